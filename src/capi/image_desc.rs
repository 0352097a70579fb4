//! C API: the image descriptor every image operation takes.
//!
//! ```
//! use scipix::capi::image_desc::{ScipixImage, SCIPIX_FORMAT_RGB8};
//!
//! // A 2x2 RGB image whose rows are 8 bytes apart (2 padding bytes per row).
//! let pixels = [0u8; 16];
//! let desc = ScipixImage {
//!     data: pixels.as_ptr(),
//!     width: 2,
//!     height: 2,
//!     stride: 8,
//!     format: SCIPIX_FORMAT_RGB8,
//! };
//! assert_eq!(desc.stride, 8);
//! ```

use super::handle::{null_error, spans_overlap};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{required_len, ImageView, ImageViewMut, PixelFormat};

/// Pixel format of an 8-bit image (one of `SCIPIX_FORMAT_*`).
pub type ScipixPixelFormat = u32;
/// One byte per pixel: luma.
pub const SCIPIX_FORMAT_GRAY8: ScipixPixelFormat = 0;
/// Three bytes per pixel in memory order R, G, B.
pub const SCIPIX_FORMAT_RGB8: ScipixPixelFormat = 1;
/// Three bytes per pixel in memory order B, G, R (OpenCV's default).
pub const SCIPIX_FORMAT_BGR8: ScipixPixelFormat = 2;
/// Four bytes per pixel in memory order R, G, B, A.
pub const SCIPIX_FORMAT_RGBA8: ScipixPixelFormat = 3;
/// Four bytes per pixel in memory order B, G, R, A.
pub const SCIPIX_FORMAT_BGRA8: ScipixPixelFormat = 4;

/// A read-only image in the caller's memory. Row `y` starts at `data + y * stride`;
/// `stride >= width * bytes_per_pixel(format)`, and the last row need not be padded, so
/// the buffer must hold `stride * (height - 1) + width * bytes_per_pixel` bytes. To pass a
/// sub-region of a larger image, point `data` at its first pixel and keep the parent's
/// stride. scipix only reads the pixels, during the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixImage {
    /// First byte of the first pixel. Any alignment.
    pub data: *const u8,
    /// Pixels per row, > 0.
    pub width: usize,
    /// Rows, > 0.
    pub height: usize,
    /// Bytes from the start of one row to the start of the next.
    pub stride: usize,
    /// One of `SCIPIX_FORMAT_*`.
    pub format: ScipixPixelFormat,
}

/// A writable image in the caller's memory; same layout rules as `ScipixImage`. scipix
/// writes only the `width * bytes_per_pixel` bytes of each row, never the padding.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixImageMut {
    /// First byte of the first pixel. Any alignment.
    pub data: *mut u8,
    /// Pixels per row, > 0.
    pub width: usize,
    /// Rows, > 0.
    pub height: usize,
    /// Bytes from the start of one row to the start of the next.
    pub stride: usize,
    /// One of `SCIPIX_FORMAT_*`.
    pub format: ScipixPixelFormat,
}

pub(crate) fn pixel_format(v: ScipixPixelFormat) -> Result<PixelFormat> {
    PixelFormat::from_u32(v).ok_or_else(|| {
        Error::new(
            ErrorKind::UnsupportedFormat,
            format!("unknown pixel format {v}"),
        )
    })
}

/// Byte range `[start, end)` a descriptor covers (after validation).
fn span(data: usize, len: usize) -> (usize, usize) {
    (data, data + len)
}

impl ScipixImage {
    /// Validates the descriptor and borrows the caller's pixels.
    ///
    /// # Safety
    /// `data` must point to the bytes the descriptor describes, valid for `'a`.
    pub(crate) unsafe fn view<'a>(&self) -> Result<ImageView<'a>> {
        let format = pixel_format(self.format)?;
        let len = required_len(self.width, self.height, self.stride, format)?;
        if self.data.is_null() {
            return Err(null_error("image.data"));
        }
        // SAFETY: the caller promises `len` readable bytes at `data`.
        let bytes = unsafe { std::slice::from_raw_parts(self.data, len) };
        ImageView::new(bytes, self.width, self.height, self.stride, format)
    }

    /// Byte range the image covers, for overlap checks; assumes a validated descriptor.
    pub(crate) fn byte_span(&self) -> Result<(usize, usize)> {
        let format = pixel_format(self.format)?;
        Ok(span(
            self.data as usize,
            required_len(self.width, self.height, self.stride, format)?,
        ))
    }
}

impl ScipixImageMut {
    /// Validates the descriptor and borrows the caller's pixels for writing.
    ///
    /// # Safety
    /// `data` must point to the bytes the descriptor describes, valid and not otherwise
    /// borrowed for `'a`.
    pub(crate) unsafe fn view_mut<'a>(&self) -> Result<ImageViewMut<'a>> {
        let format = pixel_format(self.format)?;
        let len = required_len(self.width, self.height, self.stride, format)?;
        if self.data.is_null() {
            return Err(null_error("image.data"));
        }
        // SAFETY: the caller promises `len` writable bytes at `data`.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.data, len) };
        ImageViewMut::new(bytes, self.width, self.height, self.stride, format)
    }

    /// Byte range the image covers, for overlap checks.
    pub(crate) fn byte_span(&self) -> Result<(usize, usize)> {
        let format = pixel_format(self.format)?;
        Ok(span(
            self.data as usize,
            required_len(self.width, self.height, self.stride, format)?,
        ))
    }
}

/// Fails with `SCIPIX_ERR_INVALID_ARGUMENT` when the source and destination byte ranges
/// overlap (operations that are not in-place cannot read pixels they already overwrote).
pub(crate) fn ensure_disjoint(src: &ScipixImage, dst: &ScipixImageMut) -> Result<()> {
    if spans_overlap(src.byte_span()?, dst.byte_span()?) {
        return Err(Error::invalid(
            "source and destination images overlap; use the in-place variant or separate buffers",
        ));
    }
    Ok(())
}

/// The views of an out-of-place operation: [`ensure_disjoint`], then both descriptors.
///
/// # Safety
/// Both descriptors describe live memory (the C contract of every image function).
pub(crate) unsafe fn src_dst_views<'a>(
    src: &ScipixImage,
    dst: &ScipixImageMut,
) -> Result<(ImageView<'a>, ImageViewMut<'a>)> {
    ensure_disjoint(src, dst)?;
    // SAFETY: per this function's contract.
    unsafe { Ok((src.view()?, dst.view_mut()?)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_validation() {
        let buf = [0u8; 64];
        let ok = ScipixImage {
            data: buf.as_ptr(),
            width: 4,
            height: 4,
            stride: 12,
            format: SCIPIX_FORMAT_RGB8,
        };
        // SAFETY: buf outlives the view and holds the 48 bytes described.
        let v = unsafe { ok.view() }.unwrap();
        assert_eq!(
            (v.width(), v.height(), v.format()),
            (4, 4, PixelFormat::Rgb8)
        );
        let bad_fmt = ScipixImage { format: 9, ..ok };
        // SAFETY: rejected before reading.
        assert_eq!(
            unsafe { bad_fmt.view() }.unwrap_err().kind(),
            ErrorKind::UnsupportedFormat
        );
        let null = ScipixImage {
            data: std::ptr::null(),
            ..ok
        };
        // SAFETY: rejected before reading.
        assert_eq!(
            unsafe { null.view() }.unwrap_err().kind(),
            ErrorKind::NullPointer
        );
        let short_stride = ScipixImage { stride: 11, ..ok };
        // SAFETY: rejected before reading.
        assert_eq!(
            unsafe { short_stride.view() }.unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn overlap_is_detected() {
        let mut buf = [0u8; 64];
        let p = buf.as_mut_ptr();
        let src = ScipixImage {
            data: p,
            width: 4,
            height: 2,
            stride: 4,
            format: SCIPIX_FORMAT_GRAY8,
        };
        // SAFETY: offsets stay inside buf.
        let dst_far = ScipixImageMut {
            data: unsafe { p.add(8) },
            ..ScipixImageMut {
                data: p,
                width: 4,
                height: 2,
                stride: 4,
                format: SCIPIX_FORMAT_GRAY8,
            }
        };
        assert!(ensure_disjoint(&src, &dst_far).is_ok());
        // SAFETY: offsets stay inside buf.
        let dst_near = ScipixImageMut {
            data: unsafe { p.add(7) },
            ..dst_far
        };
        assert!(ensure_disjoint(&src, &dst_near).is_err());
    }
}
