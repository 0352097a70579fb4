//! YUV frames as video decoders and cameras hand them over (NV12, NV21, I420, YV12, YUYV,
//! UYVY, YVYU) to RGB8, BGR8, RGBA8, BGRA8 or GRAY8, bit for bit OpenCV's
//! `cv2.cvtColor(frame, COLOR_YUV2{RGB,BGR,RGBA,BGRA,GRAY}_{NV12,NV21,I420,YV12,YUYV,UYVY,YVYU})`
//! (opencv-python-headless 5.1.0.95).
//!
//! ```
//! use scipix::image::yuv::{yuv_to_image, YuvFrame, YuvLayout};
//! use scipix::image::{ImageViewMut, PixelFormat};
//!
//! // A 2x2 NV12 frame: four luma bytes, then one interleaved U, V pair.
//! let (y, uv) = ([16u8, 235, 126, 81], [128u8, 128]);
//! let frame = YuvFrame::semi_planar(YuvLayout::Nv12, 2, 2, (&y, 2), (&uv, 2))?;
//! let mut rgb = [0u8; 12];
//! yuv_to_image(&frame, &mut ImageViewMut::packed(&mut rgb, 2, 2, PixelFormat::Rgb8)?)?;
//! assert_eq!(&rgb[..6], &[0, 0, 0, 255, 255, 255]); // video-range black and white
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! # The rule
//! BT.601 video range in OpenCV's 20-bit fixed point ([`scalar::px`]):
//! `y' = max(Y - 16, 0) * 1220542 + 2^19`, `R = sat((y' + 1673527 (V-128)) >> 20)`,
//! `G = sat((y' - 852492 (V-128) - 409993 (U-128)) >> 20)`,
//! `B = sat((y' + 2116026 (U-128)) >> 20)`. Chroma is not interpolated: pixel `(x, y)` of a
//! 4:2:0 frame takes the chroma sample `(x / 2, y / 2)`, of a 4:2:2 frame `(x / 2, y)`.
//! Alpha is 255; GRAY8 is the luma plane, copied.
//!
//! # Layouts and planes
//! Each plane is `(bytes, stride)`: row `r` starts at `r * stride`, and the last row need
//! not be padded, so a decoder's padded surfaces are read in place.
//!
//! | layout | planes | chroma |
//! |---|---|---|
//! | NV12 / NV21 | Y (`width` x `height`), UV (`width` bytes x `height / 2`: U,V / V,U pairs) | 4:2:0 |
//! | I420 / YV12 | Y, then U and V (I420) or V and U (YV12), each `width / 2` x `height / 2` | 4:2:0 |
//! | YUYV / UYVY / YVYU | one plane of `2 * width` bytes x `height` (Y0 U Y1 V / U Y0 V Y1 / Y0 V Y1 U) | 4:2:2 |
//!
//! Width must be even, and for 4:2:0 the height too, as OpenCV requires.
//!
//! # Kernels
//! [`scalar`] is the specification; the SIMD kernels form the same exact 32-bit sums and
//! equal it bit for bit. They compute each chroma sample's terms once for its two pixels,
//! and for both rows of a 4:2:0 row pair. AVX-512 (with VBMI and VNNI) converts 64 pixels
//! per step, AVX2 32 (also at the AVX-512 level on CPUs without VBMI or VNNI), SSE4.1 16,
//! NEON 32, SIMD128 16. GRAY8 is a copy of the luma bytes everywhere.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod band;
#[cfg(target_arch = "aarch64")]
mod neon;
pub mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse41;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;

use super::bands::for_each_band_rows;
use super::{ImageViewMut, PixelFormat};
use crate::cpu::{self, Isa};
use crate::error::{checked_product, Error, Result};
use crate::parallel;

/// Pixels at or above which a conversion is split across scipix's pool by rows.
pub const PARALLEL_CUTOFF_PIXELS: usize = 1 << 20;

/// How a frame's luma and chroma bytes are laid out (`cv2.COLOR_YUV2*_<layout>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum YuvLayout {
    /// Y plane, then interleaved U,V pairs at half resolution in both axes.
    Nv12,
    /// Y plane, then interleaved V,U pairs at half resolution in both axes.
    Nv21,
    /// Y, U and V planes; U and V at half resolution in both axes.
    I420,
    /// Y, V and U planes; V and U at half resolution in both axes.
    Yv12,
    /// Packed 4:2:2: Y0 U Y1 V per two pixels.
    Yuyv,
    /// Packed 4:2:2: U Y0 V Y1 per two pixels.
    Uyvy,
    /// Packed 4:2:2: Y0 V Y1 U per two pixels.
    Yvyu,
}

impl YuvLayout {
    /// Every layout, in the C API's numbering.
    pub const ALL: [YuvLayout; 7] = [
        YuvLayout::Nv12,
        YuvLayout::Nv21,
        YuvLayout::I420,
        YuvLayout::Yv12,
        YuvLayout::Yuyv,
        YuvLayout::Uyvy,
        YuvLayout::Yvyu,
    ];

    /// From the C API's numbering (`SCIPIX_YUV_*`).
    pub fn from_u32(v: u32) -> Option<Self> {
        Self::ALL.get(v as usize).copied()
    }

    /// Planes the layout uses: 2 (semi-planar), 3 (planar) or 1 (packed).
    pub fn planes(self) -> usize {
        match self {
            YuvLayout::Nv12 | YuvLayout::Nv21 => 2,
            YuvLayout::I420 | YuvLayout::Yv12 => 3,
            YuvLayout::Yuyv | YuvLayout::Uyvy | YuvLayout::Yvyu => 1,
        }
    }

    /// True for the 4:2:0 layouts (chroma rows shared by two luma rows).
    pub fn is_420(self) -> bool {
        self.planes() > 1
    }

    /// Bytes plane `i` of a `width` x `height` frame spans at `stride`:
    /// `stride * (rows - 1) + row bytes`. Fails when `stride` is below the row bytes or the
    /// size overflows.
    pub fn plane_len(self, i: usize, width: usize, height: usize, stride: usize) -> Result<usize> {
        let (rows, row_bytes) = self.plane_shape(i, width, height);
        if stride < row_bytes {
            return Err(Error::invalid(format!(
                "{self:?} plane {i}: stride {stride} is below its {row_bytes} row bytes"
            )));
        }
        checked_product(&[stride, rows.saturating_sub(1)], "YUV plane")?
            .checked_add(row_bytes)
            .ok_or_else(|| Error::overflow("YUV plane size overflows usize"))
    }

    /// `(rows, row bytes)` of plane `i` of a `width` x `height` frame.
    fn plane_shape(self, i: usize, width: usize, height: usize) -> (usize, usize) {
        match (self.planes(), i) {
            (1, _) => (height, 2 * width),
            (_, 0) => (height, width),
            (2, _) => (height / 2, width),
            _ => (height / 2, width / 2),
        }
    }
}

/// A borrowed YUV frame: its layout, size and up to three `(bytes, stride)` planes.
#[derive(Debug, Clone, Copy)]
pub struct YuvFrame<'a> {
    layout: YuvLayout,
    width: usize,
    height: usize,
    planes: [(&'a [u8], usize); 3],
}

impl<'a> YuvFrame<'a> {
    /// A frame of `layout` from its planes in the order of the module table (unused
    /// trailing planes are ignored). Fails on a zero or odd size (odd width always, odd
    /// height for 4:2:0), a stride below a plane's row bytes, a plane shorter than
    /// `stride * (rows - 1) + row bytes`, or fewer planes than the layout needs.
    pub fn new(
        layout: YuvLayout,
        width: usize,
        height: usize,
        planes: &[(&'a [u8], usize)],
    ) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::invalid(format!(
                "YUV frame size {width}x{height} is empty"
            )));
        }
        if !width.is_multiple_of(2) || (layout.is_420() && !height.is_multiple_of(2)) {
            return Err(Error::invalid(format!(
                "{layout:?} needs an even width{}, got {width}x{height}",
                if layout.is_420() { " and height" } else { "" }
            )));
        }
        if planes.len() < layout.planes() {
            return Err(Error::invalid(format!(
                "{layout:?} has {} planes, {} given",
                layout.planes(),
                planes.len()
            )));
        }
        let mut out = [(&[][..], 0usize); 3];
        for (i, &(bytes, stride)) in planes.iter().take(layout.planes()).enumerate() {
            let need = layout.plane_len(i, width, height, stride)?;
            if bytes.len() < need {
                let (rows, row_bytes) = layout.plane_shape(i, width, height);
                return Err(Error::invalid(format!(
                    "{layout:?} plane {i} has {} bytes, {need} needed ({rows} rows of {row_bytes} at stride {stride})",
                    bytes.len()
                )));
            }
            out[i] = (bytes, stride);
        }
        Ok(YuvFrame {
            layout,
            width,
            height,
            planes: out,
        })
    }

    /// A packed 4:2:2 frame (`Yuyv`, `Uyvy`, `Yvyu`): one `(bytes, stride)` plane.
    pub fn packed(
        layout: YuvLayout,
        width: usize,
        height: usize,
        plane: (&'a [u8], usize),
    ) -> Result<Self> {
        Self::expect_planes(layout, 1)?;
        Self::new(layout, width, height, &[plane])
    }

    /// A semi-planar 4:2:0 frame (`Nv12`, `Nv21`): the luma and the interleaved chroma plane.
    pub fn semi_planar(
        layout: YuvLayout,
        width: usize,
        height: usize,
        y: (&'a [u8], usize),
        uv: (&'a [u8], usize),
    ) -> Result<Self> {
        Self::expect_planes(layout, 2)?;
        Self::new(layout, width, height, &[y, uv])
    }

    /// A planar 4:2:0 frame (`I420`: Y, U, V; `Yv12`: Y, V, U, in that order).
    pub fn planar(
        layout: YuvLayout,
        width: usize,
        height: usize,
        planes: [(&'a [u8], usize); 3],
    ) -> Result<Self> {
        Self::expect_planes(layout, 3)?;
        Self::new(layout, width, height, &planes)
    }

    fn expect_planes(layout: YuvLayout, n: usize) -> Result<()> {
        if layout.planes() != n {
            return Err(Error::invalid(format!(
                "{layout:?} has {} planes, not {n}",
                layout.planes()
            )));
        }
        Ok(())
    }

    /// The layout.
    pub fn layout(&self) -> YuvLayout {
        self.layout
    }

    /// Pixels per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The source bytes of frame row `r`.
    fn row(&self, r: usize) -> scalar::Row<'a> {
        let plane_row = |i: usize, row: usize| {
            let (bytes, stride) = self.planes[i];
            &bytes[row * stride..]
        };
        match self.layout {
            YuvLayout::Nv12 | YuvLayout::Nv21 => {
                let (y, uv) = (plane_row(0, r), plane_row(1, r / 2));
                let (u, v) = if self.layout == YuvLayout::Nv12 {
                    (uv, &uv[1..])
                } else {
                    (&uv[1..], uv)
                };
                scalar::Row {
                    y,
                    ystep: 1,
                    u,
                    v,
                    cstep: 2,
                }
            }
            YuvLayout::I420 | YuvLayout::Yv12 => {
                let (a, b) = (plane_row(1, r / 2), plane_row(2, r / 2));
                let (u, v) = if self.layout == YuvLayout::I420 {
                    (a, b)
                } else {
                    (b, a)
                };
                scalar::Row {
                    y: plane_row(0, r),
                    ystep: 1,
                    u,
                    v,
                    cstep: 1,
                }
            }
            YuvLayout::Yuyv | YuvLayout::Uyvy | YuvLayout::Yvyu => {
                let p = plane_row(0, r);
                let (yo, uo, vo) = self.layout.packed_offsets().expect("a packed layout");
                scalar::Row {
                    y: &p[yo..],
                    ystep: 2,
                    u: &p[uo..],
                    v: &p[vo..],
                    cstep: 4,
                }
            }
        }
    }
}

/// Converts `frame` into `dst` (RGB8, BGR8, RGBA8, BGRA8 or GRAY8, the frame's size) by the
/// rule in the module docs. Fails, writing nothing, when the sizes differ. Frames of at least
/// [`PARALLEL_CUTOFF_PIXELS`] are split by rows across scipix's pool; the result is the same
/// for every thread count.
pub fn yuv_to_image(frame: &YuvFrame, dst: &mut ImageViewMut) -> Result<()> {
    if (dst.width(), dst.height()) != (frame.width, frame.height) {
        return Err(Error::invalid(format!(
            "destination is {}x{}, the frame {}x{}",
            dst.width(),
            dst.height(),
            frame.width,
            frame.height
        )));
    }
    let split = parallel::should_split(frame.width * frame.height, PARALLEL_CUTOFF_PIXELS);
    convert_rows(cpu::kernel_isa(), frame, dst, split);
    Ok(())
}

/// What a SIMD kernel reads: one or two frame rows that share their chroma samples (two
/// only for 4:2:0), each slice running to the end of its plane. The kernel knows the
/// layout (which of U and V comes first, where the packed bytes sit) from its constructor.
#[derive(Debug, Clone, Copy)]
// Read only by the SIMD kernels, which a build for another architecture (or wasm32 without
// SIMD128) lacks.
#[cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )),
    allow(dead_code)
)]
pub(crate) enum Src<'a> {
    /// NV12 or NV21: luma rows and the interleaved chroma row.
    Semi { y: [&'a [u8]; 2], uv: &'a [u8] },
    /// I420 or YV12: luma rows and the U and V rows.
    Planar {
        y: [&'a [u8]; 2],
        u: &'a [u8],
        v: &'a [u8],
    },
    /// A packed 4:2:2 row.
    Packed(&'a [u8]),
}

impl<'a> YuvFrame<'a> {
    /// Frame row `r`, with row `r + 1` (same chroma row) when `pair`, for the SIMD kernels.
    fn src(&self, r: usize, pair: bool) -> Src<'a> {
        let plane_row = |i: usize, row: usize| {
            let (bytes, stride) = self.planes[i];
            &bytes[row * stride..]
        };
        let y = [plane_row(0, r), plane_row(0, r + pair as usize)];
        match self.layout {
            YuvLayout::Nv12 | YuvLayout::Nv21 => Src::Semi {
                y,
                uv: plane_row(1, r / 2),
            },
            YuvLayout::I420 => Src::Planar {
                y,
                u: plane_row(1, r / 2),
                v: plane_row(2, r / 2),
            },
            YuvLayout::Yv12 => Src::Planar {
                y,
                u: plane_row(2, r / 2),
                v: plane_row(1, r / 2),
            },
            YuvLayout::Yuyv | YuvLayout::Uyvy | YuvLayout::Yvyu => Src::Packed(y[0]),
        }
    }
}

impl YuvLayout {
    /// Bytes of Y0, U and V in each four-byte group of a packed 4:2:2 layout (Y1 follows
    /// Y0 two bytes later); `None` for the 4:2:0 layouts.
    pub(crate) fn packed_offsets(self) -> Option<(usize, usize, usize)> {
        match self {
            YuvLayout::Yuyv => Some((0, 1, 3)),
            YuvLayout::Uyvy => Some((1, 0, 2)),
            YuvLayout::Yvyu => Some((0, 3, 1)),
            _ => None,
        }
    }
}

/// Whether the AVX-512 kernels run at the AVX-512 level: they need VBMI (`vpermb`) and VNNI
/// (`vpdpwssds`) besides F and BW; without them that level runs the AVX2 kernels. Measured
/// with `benches/peers_yuv.py` on an Intel Xeon (family 6 model 167, AVX-512 with VBMI and
/// VNNI), the AVX-512 rows take 0.6-0.8 of the AVX2 rows' time on every case, so they are
/// the AVX-512 level's kernel. Not measured on Zen 4, which runs 512-bit operations as two
/// halves; there the saving comes from the instructions it adds (one-uop byte permutes and
/// dot products), not the width, and should hold as well.
#[cfg(target_arch = "x86_64")]
fn avx512_rows() -> bool {
    #[cfg(test)]
    if tests::NO_AVX512_ROWS.with(|c| c.get()) {
        return false;
    }
    cpu::detected().has(cpu::Features::AVX512VBMI | cpu::Features::AVX512VNNI)
}

/// One conversion's SIMD kernel with its constants, built once per band of rows. It lives on
/// the stack for the band; boxing the large variants would allocate on every call instead.
#[allow(clippy::large_enum_variant)]
enum Simd {
    /// GRAY8, or no SIMD kernel for this ISA: the scalar rows do everything.
    None,
    #[cfg(target_arch = "x86_64")]
    Avx512(avx512::Rows),
    #[cfg(target_arch = "x86_64")]
    Avx2(avx2::Rows),
    #[cfg(target_arch = "x86_64")]
    Sse41(sse41::Rows),
    #[cfg(target_arch = "aarch64")]
    Neon(neon::Rows),
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128(wasm32::Rows),
}

impl Simd {
    fn new(isa: Isa, layout: YuvLayout, fmt: PixelFormat) -> Simd {
        if fmt == PixelFormat::Gray8 {
            return Simd::None;
        }
        match isa {
            // SAFETY: dispatch chose an ISA this CPU runs, and `avx512_rows` saw VBMI and VNNI.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 if avx512_rows() => Simd::Avx512(unsafe { avx512::Rows::new(layout, fmt) }),
            // SAFETY: as above (the AVX-512 level includes AVX2).
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 => Simd::Avx2(unsafe { avx2::Rows::new(layout, fmt) }),
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => Simd::Sse41(unsafe { sse41::Rows::new(layout, fmt) }),
            // SAFETY: as above.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => Simd::Neon(unsafe { neon::Rows::new(layout, fmt) }),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => Simd::Simd128(wasm32::Rows::new(layout, fmt)),
            _ => {
                let _ = layout;
                Simd::None
            }
        }
    }

    /// Converts the leading pixels of `outs` (one row, or two 4:2:0 rows sharing chroma)
    /// from `src`; returns how many pixels of each row it converted.
    fn rows(&self, src: Src, outs: &mut [&mut [u8]]) -> usize {
        match self {
            Simd::None => {
                let _ = (src, outs);
                0
            }
            // SAFETY: `Simd::new` built this kernel only for a CPU that runs it.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512(k) => unsafe { k.rows(src, outs) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2(k) => unsafe { k.rows(src, outs) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Simd::Sse41(k) => unsafe { k.rows(src, outs) },
            // SAFETY: as above.
            #[cfg(target_arch = "aarch64")]
            Simd::Neon(k) => unsafe { k.rows(src, outs) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Simd::Simd128(k) => k.rows(src, outs),
        }
    }
}

/// GRAY8 of a packed 4:2:2 row (every other byte) with `isa`'s SIMD kernel; returns how many
/// pixels it wrote. (4:2:0 GRAY8 is a copy of the luma row, left to the scalar rows.)
fn gray_packed(isa: Isa, layout: YuvLayout, p: &[u8], out: &mut [u8]) -> usize {
    let odd = layout.packed_offsets().is_some_and(|(y, _, _)| y == 1);
    match (isa, odd) {
        // SAFETY: dispatch chose an ISA this CPU runs (the AVX-512 level has F and BW).
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, false) => unsafe { avx512::gray_packed::<0>(p, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, true) => unsafe { avx512::gray_packed::<1>(p, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, false) => unsafe { avx2::gray_packed::<0>(p, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, true) => unsafe { avx2::gray_packed::<1>(p, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        (Isa::Sse41, false) => unsafe { sse41::gray_packed::<0>(p, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        (Isa::Sse41, true) => unsafe { sse41::gray_packed::<1>(p, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        (Isa::Neon, false) => unsafe { neon::gray_packed::<0>(p, out) },
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        (Isa::Neon, true) => unsafe { neon::gray_packed::<1>(p, out) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        (Isa::Simd128, false) => wasm32::gray_packed::<0>(p, out),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        (Isa::Simd128, true) => wasm32::gray_packed::<1>(p, out),
        _ => {
            let _ = (p, out);
            0
        }
    }
}

/// Converts every row of a frame of `dst`'s size with `isa`'s kernels, in bands across the
/// pool when `split`. 4:2:0 rows go to the kernels in pairs that share their chroma row
/// (a band that starts or ends inside a pair converts its row alone); the scalar rows
/// finish what the SIMD kernel leaves.
fn convert_rows(isa: Isa, frame: &YuvFrame, dst: &mut ImageViewMut, split: bool) {
    for_each_band_rows(split, dst, |first, band| {
        convert_band(isa, frame, first, band)
    });
}

/// Converts frame rows `first..first + band.height()` into `band`.
fn convert_band(isa: Isa, frame: &YuvFrame, first: usize, band: &mut ImageViewMut) {
    let fmt = band.format();
    let simd = Simd::new(isa, frame.layout, fmt);
    let end = first + band.height();
    let pairs = frame.layout.is_420();
    let mut rows = band.rows_mut();
    let mut r = first;
    while let Some(a) = rows.next() {
        let pair = pairs && r.is_multiple_of(2) && r + 1 < end;
        let mut two;
        let mut one;
        let outs: &mut [&mut [u8]] = if pair {
            two = [a, rows.next().expect("row r + 1 is in the band")];
            &mut two
        } else {
            one = [a];
            &mut one
        };
        let done = match (fmt, frame.src(r, pair)) {
            (PixelFormat::Gray8, Src::Packed(p)) => gray_packed(isa, frame.layout, p, outs[0]),
            (_, src) => simd.rows(src, outs),
        };
        for (i, out) in outs.iter_mut().enumerate() {
            scalar::row(frame.row(r + i), out, fmt, done);
        }
        r += outs.len();
    }
}

#[cfg(test)]
mod tests;
