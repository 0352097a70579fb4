//! C API: YUV frames (NV12, NV21, I420, YV12, YUYV, UYVY, YVYU) to RGB/BGR/RGBA/BGRA/GRAY,
//! bit for bit `cv2.cvtColor(COLOR_YUV2*)`.
//!
//! ```
//! use scipix::capi::image_desc::{ScipixImageMut, SCIPIX_FORMAT_RGB8};
//! use scipix::capi::yuv::{scipix_yuv_to_image, ScipixYuvFrame, SCIPIX_YUV_NV12};
//! use scipix::capi::ScipixStatus;
//!
//! let (y, uv) = ([235u8; 4], [128u8, 128]); // a white 2x2 NV12 frame
//! let frame = ScipixYuvFrame {
//!     layout: SCIPIX_YUV_NV12, width: 2, height: 2,
//!     planes: [y.as_ptr(), uv.as_ptr(), std::ptr::null()], strides: [2, 2, 0],
//! };
//! let mut rgb = [0u8; 12];
//! let dst = ScipixImageMut { data: rgb.as_mut_ptr(), width: 2, height: 2, stride: 6, format: SCIPIX_FORMAT_RGB8 };
//! assert_eq!(scipix_yuv_to_image(&frame, &dst), ScipixStatus::SCIPIX_OK);
//! assert_eq!(rgb, [255; 12]);
//! ```

use super::guard::guard;
use super::handle::{null_error, spans_overlap, try_ref_from_ptr};
use super::image_desc::ScipixImageMut;
use super::status::ScipixStatus;
use crate::error::{Error, Result};
use crate::image::yuv::{self, YuvFrame, YuvLayout};

/// Layout of a YUV frame (one of `SCIPIX_YUV_*`; the names are OpenCV's `COLOR_YUV2*_<name>`).
pub type ScipixYuvLayout = u32;
/// Y plane, then one plane of interleaved U,V pairs (`width` bytes x `height / 2` rows).
pub const SCIPIX_YUV_NV12: ScipixYuvLayout = 0;
/// Y plane, then one plane of interleaved V,U pairs (`width` bytes x `height / 2` rows).
pub const SCIPIX_YUV_NV21: ScipixYuvLayout = 1;
/// Y, U, V planes; U and V are `width / 2` x `height / 2`.
pub const SCIPIX_YUV_I420: ScipixYuvLayout = 2;
/// Y, V, U planes (`planes[1]` is V); V and U are `width / 2` x `height / 2`.
pub const SCIPIX_YUV_YV12: ScipixYuvLayout = 3;
/// One plane of `2 * width` bytes per row: Y0 U Y1 V.
pub const SCIPIX_YUV_YUYV: ScipixYuvLayout = 4;
/// One plane of `2 * width` bytes per row: U Y0 V Y1.
pub const SCIPIX_YUV_UYVY: ScipixYuvLayout = 5;
/// One plane of `2 * width` bytes per row: Y0 V Y1 U.
pub const SCIPIX_YUV_YVYU: ScipixYuvLayout = 6;

/// A read-only YUV frame in the caller's memory, as a video decoder or camera hands it
/// over. Plane `i` row `r` starts at `planes[i] + r * strides[i]`; the last row need not be
/// padded, so plane `i` must hold `strides[i] * (rows - 1) + row_bytes` bytes (rows and row
/// bytes per layout on `SCIPIX_YUV_*`). Planes a layout does not use are ignored (NULL is
/// fine). `width` must be even, and `height` too for the 4:2:0 layouts (NV12, NV21, I420,
/// YV12). scipix only reads the planes, during the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixYuvFrame {
    /// One of `SCIPIX_YUV_*`.
    pub layout: ScipixYuvLayout,
    /// Pixels per row, even, > 0.
    pub width: usize,
    /// Rows, > 0 (even for 4:2:0).
    pub height: usize,
    /// First byte of each plane, in the order of the layout's doc; any alignment.
    pub planes: [*const u8; 3],
    /// Bytes from one row of each plane to the next.
    pub strides: [usize; 3],
}

fn layout(v: ScipixYuvLayout) -> Result<YuvLayout> {
    YuvLayout::from_u32(v).ok_or_else(|| Error::invalid(format!("unknown YUV layout {v}")))
}

/// Converts `frame` into `dst` (RGB8, BGR8, RGBA8, BGRA8 or GRAY8, the frame's size), bit for
/// bit `cv2.cvtColor(frame, COLOR_YUV2{RGB,BGR,RGBA,BGRA,GRAY}_<layout>)` of
/// opencv-python-headless 5.1.0.95: BT.601 video range in OpenCV's 20-bit fixed point,
/// `y' = max(Y - 16, 0) * 1220542 + 2^19`, `R = sat((y' + 1673527 (V-128)) >> 20)`,
/// `G = sat((y' - 852492 (V-128) - 409993 (U-128)) >> 20)`, `B = sat((y' + 2116026 (U-128)) >> 20)`;
/// chroma is taken from sample `(x / 2, y / 2)` (4:2:0) or `(x / 2, y)` (4:2:2), not
/// interpolated; alpha is 255; GRAY8 copies the luma plane. Large frames run on scipix's
/// pool, with the same result for every thread count.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (frame, dst, a used plane or dst.data NULL),
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown dst format), `SCIPIX_ERR_INVALID_ARGUMENT`
/// (unknown layout, zero or odd size, a stride below its row bytes, dst of another size,
/// dst overlapping a plane), `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_yuv_to_image(
    frame: *const ScipixYuvFrame,
    dst: *const ScipixImageMut,
) -> ScipixStatus {
    guard(|| {
        let f = try_ref_from_ptr!(frame);
        let dst = try_ref_from_ptr!(dst);
        let frame = frame_from_c(f, dst.byte_span()?, "destination")?;
        // SAFETY: the caller promises the descriptor describes live, writable memory.
        let mut d = unsafe { dst.view_mut()? };
        yuv::yuv_to_image(&frame, &mut d)
    })
}

/// Borrows the planes of a C frame (each checked: non-NULL, in the address space, not
/// overlapping the output byte span `out`, named `what` in the message) as a [`YuvFrame`].
pub(super) fn frame_from_c<'a>(
    f: &'a ScipixYuvFrame,
    out: (usize, usize),
    what: &str,
) -> Result<YuvFrame<'a>> {
    let layout = layout(f.layout)?;
    let n = layout.planes();
    let mut planes: [(&[u8], usize); 3] = [(&[], 0); 3];
    for (i, plane) in planes.iter_mut().enumerate().take(n) {
        let len = layout.plane_len(i, f.width, f.height, f.strides[i])?;
        if len > isize::MAX as usize {
            return Err(Error::overflow(format!(
                "frame plane {i}: {len} bytes exceed the address space"
            )));
        }
        let ptr = f.planes[i];
        if ptr.is_null() {
            return Err(null_error(&format!("frame.planes[{i}]")));
        }
        if spans_overlap((ptr as usize, (ptr as usize).saturating_add(len)), out) {
            return Err(Error::invalid(format!(
                "{what} overlaps plane {i} of the frame"
            )));
        }
        // SAFETY: non-null; the caller promises `len` readable bytes there (the
        // descriptor's documented contract), live for the call.
        *plane = (
            unsafe { std::slice::from_raw_parts(ptr, len) },
            f.strides[i],
        );
    }
    YuvFrame::new(layout, f.width, f.height, &planes[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::image_desc::{SCIPIX_FORMAT_BGR8, SCIPIX_FORMAT_GRAY8};

    fn frame(
        layout: ScipixYuvLayout,
        planes: [*const u8; 3],
        strides: [usize; 3],
    ) -> ScipixYuvFrame {
        ScipixYuvFrame {
            layout,
            width: 4,
            height: 2,
            planes,
            strides,
        }
    }

    #[test]
    fn validates_before_writing() {
        let (y, uv) = ([100u8; 8], [90u8, 240, 90, 240]);
        let mut out = [7u8; 24];
        let dst = ScipixImageMut {
            data: out.as_mut_ptr(),
            width: 4,
            height: 2,
            stride: 12,
            format: SCIPIX_FORMAT_BGR8,
        };
        let null = std::ptr::null();
        let ok = frame(SCIPIX_YUV_NV12, [y.as_ptr(), uv.as_ptr(), null], [4, 4, 0]);
        let bad = [
            (
                ScipixYuvFrame { layout: 9, ..ok },
                ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT,
            ),
            (
                ScipixYuvFrame { width: 3, ..ok },
                ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT,
            ),
            (
                ScipixYuvFrame { height: 0, ..ok },
                ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT,
            ),
            (
                ScipixYuvFrame {
                    strides: [3, 4, 0],
                    ..ok
                },
                ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT,
            ),
            (
                ScipixYuvFrame {
                    planes: [y.as_ptr(), null, null],
                    ..ok
                },
                ScipixStatus::SCIPIX_ERR_NULL_POINTER,
            ),
            (
                ScipixYuvFrame {
                    strides: [usize::MAX, 4, 0],
                    ..ok
                },
                ScipixStatus::SCIPIX_ERR_SIZE_OVERFLOW,
            ),
            (
                ScipixYuvFrame {
                    strides: [isize::MAX as usize + 1, 4, 0],
                    ..ok
                },
                ScipixStatus::SCIPIX_ERR_SIZE_OVERFLOW,
            ),
        ];
        for (f, want) in bad {
            assert_eq!(scipix_yuv_to_image(&f, &dst), want, "{f:?}");
            assert!(out.iter().all(|&v| v == 7));
        }
        assert_eq!(
            scipix_yuv_to_image(std::ptr::null(), &dst),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        // The destination may not overlap a plane.
        let mut buf = [16u8; 32];
        let p = buf.as_mut_ptr();
        let overlap = ScipixImageMut {
            data: p,
            width: 4,
            height: 2,
            stride: 4,
            format: SCIPIX_FORMAT_GRAY8,
        };
        let f = frame(
            SCIPIX_YUV_NV12,
            [p as *const u8, uv.as_ptr(), null],
            [4, 4, 0],
        );
        assert_eq!(
            scipix_yuv_to_image(&f, &overlap),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(scipix_yuv_to_image(&ok, &dst), ScipixStatus::SCIPIX_OK);
        let [r, g, b] = crate::image::yuv::scalar::px(100, 90, 240);
        assert_eq!(&out[..3], &[b, g, r]);
    }
}
