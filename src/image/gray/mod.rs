//! Color to grayscale, bit-identical to OpenCV's `cv::cvtColor` with `COLOR_RGB2GRAY`,
//! `COLOR_BGR2GRAY`, `COLOR_RGBA2GRAY` and `COLOR_BGRA2GRAY` on 8-bit images (OpenCV 5.x).
//!
//! ```
//! use scipix::image::gray::{to_gray_f32, GrayScale};
//! use scipix::image::{ImageView, PixelFormat};
//!
//! let rgba = [255u8, 255, 255, 0, 0, 0, 0, 255];
//! let src = ImageView::packed(&rgba, 2, 1, PixelFormat::Rgba8)?;
//! let mut plane = [0f32; 2];
//! to_gray_f32(&src, &mut plane, 2, GrayScale::Unit)?;
//! assert_eq!(plane, [1.0, 0.0]);
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! For every pixel, with R, G, B its channel bytes (alpha ignored):
//!
//! ```text
//! gray = (9798 * R + 19235 * G + 3735 * B + 16384) >> 15
//! ```
//!
//! i.e. weights 0.299 / 0.587 / 0.114 in 15-bit fixed point (they sum to 32768), round half
//! up. The sum never exceeds 255 * 32768 + 16384, so no saturation is needed and the result
//! is always 0..=255. OpenCV 4.x used 14-bit weights (4899, 9617, 1868, round 8192, shift 14),
//! which differ from these in about 0.3 % of pixels by one level; scipix follows OpenCV 5.
//!
//! A GRAY8 source is copied unchanged. [`to_gray_f32`] converts that same u8 gray value to
//! `f32`, either as is (0..=255) or divided by 255 (0..=1, IEEE division, correctly
//! rounded), so it is exact and identical on every instruction set.

pub mod scalar;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "x86_64")]
pub(crate) mod sse41;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;

use super::bands::{band_rows, for_each_band};
use super::{ImageView, ImageViewMut, PixelFormat};
use crate::cpu::{self, Isa};
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;
use rayon::prelude::*;

/// Pixels at or above which a conversion is split across scipix's pool. Measured with
/// `benches/gray.rs` on a 2-core machine: at 512^2 the split was slower than one thread,
/// at 1024^2 slightly faster; memory bandwidth caps larger images either way.
pub const PARALLEL_CUTOFF_PIXELS: usize = 1 << 20;

/// Value range of [`to_gray_f32`] output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrayScale {
    /// `gray as f32`, 0.0..=255.0.
    Byte,
    /// `gray as f32 / 255.0`, 0.0..=1.0.
    Unit,
}

/// Fixed-point weights of the bytes at offsets 0, 1, 2 of a `format` pixel; `None` for GRAY8.
pub fn weights(format: PixelFormat) -> Option<[u32; 3]> {
    use scalar::{WB, WG, WR};
    let (r, g, b) = format.rgb_offsets()?;
    let mut w = [0u32; 3];
    w[r] = WR;
    w[g] = WG;
    w[b] = WB;
    Some(w)
}

/// Converts one row of `dst.len()` pixels with the chosen kernel family; the SIMD kernels
/// do whole vectors and the scalar kernel finishes the tail.
pub(crate) fn gray_row(isa: Isa, src: &[u8], dst: &mut [u8], bpp: usize, w: [u32; 3]) {
    let done = match isa {
        // SAFETY: `kernel_isa`/`with_isa` only report families this CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::gray_row(src, dst, bpp, w) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::gray_row(src, dst, bpp, w) },
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::gray_row(src, dst, bpp, w) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::gray_row(src, dst, bpp, w),
        _ => 0,
    };
    scalar::gray_row(&src[done * bpp..], &mut dst[done..], bpp, w);
}

fn check_same_size(src: &ImageView, w: usize, h: usize) -> Result<()> {
    if src.width() != w || src.height() != h {
        return Err(Error::invalid(format!(
            "source is {}x{}, destination is {w}x{h}: sizes must match",
            src.width(),
            src.height()
        )));
    }
    Ok(())
}

fn convert(isa: Isa, split: bool, src: &ImageView, dst: &mut ImageViewMut) {
    let bpp = src.format().bytes_per_pixel();
    let w = weights(src.format());
    let run = |src: &ImageView, dst: &mut ImageViewMut| {
        for (y, d) in dst.rows_mut().enumerate() {
            match w {
                Some(w) => gray_row(isa, src.row(y), d, bpp, w),
                None => d.copy_from_slice(src.row(y)),
            }
        }
    };
    for_each_band(split, src, dst, run);
}

/// Converts `src` (RGB8, BGR8, RGBA8, BGRA8 or GRAY8) into the GRAY8 image `dst` of the same
/// size (formula in the module docs). Rows are split across scipix's pool above
/// [`PARALLEL_CUTOFF_PIXELS`]; the result is the same for any thread count and ISA.
pub fn to_gray(src: &ImageView, dst: &mut ImageViewMut) -> Result<()> {
    if dst.format() != PixelFormat::Gray8 {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!("destination must be gray8, got {}", dst.format().name()),
        ));
    }
    check_same_size(src, dst.width(), dst.height())?;
    let isa = cpu::kernel_isa();
    let split = parallel::should_split(src.width() * src.height(), PARALLEL_CUTOFF_PIXELS);
    convert(isa, split, src, dst);
    Ok(())
}

/// Checks an f32 plane of `width` x `height` with `stride` elements per row in a buffer of
/// `len` elements.
pub(crate) fn check_f32_plane(
    len: usize,
    width: usize,
    height: usize,
    stride: usize,
) -> Result<()> {
    if stride < width {
        return Err(Error::invalid(format!(
            "destination stride {stride} elements is smaller than the width {width}"
        )));
    }
    let needed = stride
        .checked_mul(height - 1)
        .and_then(|n| n.checked_add(width))
        .ok_or_else(|| Error::overflow(format!("stride {stride} x height {height} overflows")))?;
    if len < needed {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("destination has {len} elements, {width}x{height} with stride {stride} needs {needed}"),
        ));
    }
    Ok(())
}

fn gray_f32_row(isa: Isa, src: &[u8], dst: &mut [f32], format: PixelFormat, scale: GrayScale) {
    const CHUNK: usize = 256;
    let bpp = format.bytes_per_pixel();
    let mut buf = [0u8; CHUNK];
    for (s, d) in src.chunks(CHUNK * bpp).zip(dst.chunks_mut(CHUNK)) {
        let g = &mut buf[..d.len()];
        match weights(format) {
            Some(w) => gray_row(isa, s, g, bpp, w),
            None => g.copy_from_slice(s),
        }
        match scale {
            GrayScale::Byte => d.iter_mut().zip(g.iter()).for_each(|(o, &v)| *o = v as f32),
            GrayScale::Unit => d
                .iter_mut()
                .zip(g.iter())
                .for_each(|(o, &v)| *o = v as f32 / 255.0),
        }
    }
}

fn convert_f32(
    isa: Isa,
    split: bool,
    src: &ImageView,
    dst: &mut [f32],
    stride: usize,
    scale: GrayScale,
) {
    let (w, h) = (src.width(), src.height());
    let run = |src: &ImageView, dst: &mut [f32]| {
        for y in 0..src.height() {
            gray_f32_row(
                isa,
                src.row(y),
                &mut dst[y * stride..y * stride + w],
                src.format(),
                scale,
            );
        }
    };
    let dst = &mut dst[..stride * (h - 1) + w];
    if split {
        let rows = band_rows(h);
        parallel::install(|| {
            dst.par_chunks_mut(stride * rows)
                .enumerate()
                .for_each(|(i, band)| {
                    let n = rows.min(h - i * rows);
                    let part = src
                        .subview(0, i * rows, w, n)
                        .expect("band inside the image");
                    run(&part, band);
                })
        });
    } else {
        run(src, dst);
    }
}

/// Converts `src` to a gray `f32` plane: element (x, y) is `dst[y * stride + x]`, `stride >=
/// width` elements, and `dst` must hold `stride * (height - 1) + width` elements. The value
/// is the u8 gray of [`to_gray`] as `f32` ([`GrayScale::Byte`]) or divided by 255
/// ([`GrayScale::Unit`]). Padding elements are not written.
pub fn to_gray_f32(
    src: &ImageView,
    dst: &mut [f32],
    stride: usize,
    scale: GrayScale,
) -> Result<()> {
    check_f32_plane(dst.len(), src.width(), src.height(), stride)?;
    let isa = cpu::kernel_isa();
    let split = parallel::should_split(src.width() * src.height(), PARALLEL_CUTOFF_PIXELS);
    convert_f32(isa, split, src, dst, stride, scale);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::test_noise::noise;

    fn reference(src: &ImageView) -> Vec<u8> {
        let mut out = Vec::new();
        for y in 0..src.height() {
            for x in 0..src.width() {
                let p = src.pixel(x, y);
                let v = match src.format().rgb_offsets() {
                    None => p[0],
                    Some((r, g, b)) => {
                        // Independent restatement of the documented formula.
                        ((9798 * p[r] as u32 + 19235 * p[g] as u32 + 3735 * p[b] as u32 + 16384)
                            >> 15) as u8
                    }
                };
                out.push(v);
            }
        }
        out
    }

    #[test]
    fn weights_follow_channel_order() {
        assert_eq!(weights(PixelFormat::Rgb8), Some([9798, 19235, 3735]));
        assert_eq!(weights(PixelFormat::Bgra8), Some([3735, 19235, 9798]));
        assert_eq!(weights(PixelFormat::Gray8), None);
        assert_eq!(9798 + 19235 + 3735, 1 << 15);
    }

    #[test]
    fn known_values() {
        // Pure colors and the rounding boundary.
        let px = [
            255u8, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 1, 1, 1, 0, 0, 0,
        ];
        let img = ImageView::packed(&px, 6, 1, PixelFormat::Rgb8).unwrap();
        let mut out = [0u8; 6];
        let mut d = ImageViewMut::packed(&mut out, 6, 1, PixelFormat::Gray8).unwrap();
        to_gray(&img, &mut d).unwrap();
        // 255*9798/32768 = 76.24 -> 76; G 149.69 -> 150; B 29.06 -> 29.
        assert_eq!(out, [76, 150, 29, 255, 1, 0]);
    }

    #[test]
    fn every_isa_matches_reference_on_awkward_geometry() {
        for format in PixelFormat::ALL {
            let bpp = format.bytes_per_pixel();
            for width in 1..=67 {
                for &(height, pad, off) in
                    &[(1usize, 0usize, 0usize), (3, 5, 1), (2, 1, 3), (5, 16, 2)]
                {
                    let stride = width * bpp + pad;
                    let buf = noise(off + stride * height, (width * 31 + height) as u64);
                    let src = ImageView::new(&buf[off..], width, height, stride, format).unwrap();
                    let want = reference(&src);
                    for isa in Isa::available() {
                        cpu::with_isa(isa, |isa| {
                            let dstride = width + pad;
                            let mut out = vec![0xA5u8; off + dstride * height];
                            let mut dst = ImageViewMut::new(
                                &mut out[off..],
                                width,
                                height,
                                dstride,
                                PixelFormat::Gray8,
                            )
                            .unwrap();
                            convert(isa, false, &src, &mut dst);
                            let got: Vec<u8> = dst.as_view().rows().flatten().copied().collect();
                            assert_eq!(
                                got, want,
                                "{format:?} {width}x{height} pad {pad} off {off} {isa:?}"
                            );
                            // Padding untouched.
                            for y in 0..height - 1 {
                                let s = off + y * dstride + width;
                                assert!(out[s..s + pad].iter().all(|&v| v == 0xA5));
                            }
                            assert!(out[..off].iter().all(|&v| v == 0xA5));
                        });
                    }
                }
            }
        }
    }

    #[test]
    fn subview_large_image_and_bands() {
        for format in [PixelFormat::Bgr8, PixelFormat::Rgba8] {
            let bpp = format.bytes_per_pixel();
            let (w, h) = (1031, 263);
            let buf = noise(w * h * bpp, 7);
            let full = ImageView::packed(&buf, w, h, format).unwrap();
            let src = full.subview(3, 5, 1001, 250).unwrap();
            let want = reference(&src);
            for isa in Isa::available() {
                for split in [false, true] {
                    let mut out = vec![0u8; 1001 * 250];
                    let mut dst =
                        ImageViewMut::packed(&mut out, 1001, 250, PixelFormat::Gray8).unwrap();
                    cpu::with_isa(isa, |isa| convert(isa, split, &src, &mut dst));
                    assert!(out == want, "{format:?} {isa:?} split {split}");
                }
            }
        }
    }

    #[test]
    fn f32_output_is_the_u8_gray_converted() {
        let (w, h, stride) = (37, 9, 41);
        let buf = noise(w * h * 3, 3);
        let src = ImageView::packed(&buf, w, h, PixelFormat::Rgb8).unwrap();
        let want = reference(&src);
        for isa in Isa::available() {
            for split in [false, true] {
                for scale in [GrayScale::Byte, GrayScale::Unit] {
                    let mut out = vec![-1.0f32; stride * (h - 1) + w];
                    cpu::with_isa(isa, |isa| {
                        convert_f32(isa, split, &src, &mut out, stride, scale)
                    });
                    for y in 0..h {
                        for x in 0..w {
                            let g = want[y * w + x] as f32;
                            let e = if scale == GrayScale::Unit {
                                g / 255.0
                            } else {
                                g
                            };
                            assert_eq!(out[y * stride + x].to_bits(), e.to_bits());
                        }
                        if y + 1 < h {
                            assert!(out[y * stride + w..(y + 1) * stride]
                                .iter()
                                .all(|&v| v == -1.0));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_bad_arguments() {
        let buf = [0u8; 12];
        let src = ImageView::packed(&buf, 2, 2, PixelFormat::Rgb8).unwrap();
        let mut out = [7u8; 12];
        let mut wrong_fmt = ImageViewMut::packed(&mut out, 2, 2, PixelFormat::Rgb8).unwrap();
        assert_eq!(
            to_gray(&src, &mut wrong_fmt).unwrap_err().kind(),
            ErrorKind::UnsupportedFormat
        );
        let mut small = ImageViewMut::packed(&mut out, 2, 1, PixelFormat::Gray8).unwrap();
        assert_eq!(
            to_gray(&src, &mut small).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert!(out.iter().all(|&v| v == 7));
        let mut f = [0f32; 4];
        assert_eq!(
            to_gray_f32(&src, &mut f, 1, GrayScale::Byte)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            to_gray_f32(&src, &mut f[..3], 2, GrayScale::Byte)
                .unwrap_err()
                .kind(),
            ErrorKind::BufferTooSmall
        );
        assert!(to_gray_f32(&src, &mut f, 2, GrayScale::Unit).is_ok());
    }

    /// No kernel reads past the source: every format, odd widths (a tail of every SIMD
    /// family, single pixels, several vector steps), whole vector steps and a few heights,
    /// each source ending on the byte before an inaccessible page; the u8 and f32 results
    /// of every ISA equal the scalar ones, and those the formula.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn no_kernel_reads_past_the_image() {
        use crate::test_guard::{Guarded, WIDTHS};
        for format in PixelFormat::ALL {
            let bpp = format.bytes_per_pixel();
            for w in WIDTHS {
                for h in [1usize, 2, 5] {
                    let guarded = Guarded::new(&noise(w * h * bpp, (w * 7 + h) as u64));
                    let src = ImageView::packed(guarded.as_slice(), w, h, format).unwrap();
                    let run = |isa| {
                        let mut out = vec![0u8; w * h];
                        let mut d =
                            ImageViewMut::packed(&mut out, w, h, PixelFormat::Gray8).unwrap();
                        convert(isa, false, &src, &mut d);
                        let mut f = vec![0f32; w * h];
                        convert_f32(isa, false, &src, &mut f, w, GrayScale::Unit);
                        (out, f.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                    };
                    let want = run(Isa::Scalar);
                    assert_eq!(want.0, reference(&src), "{format:?} {w}x{h}");
                    for isa in Isa::available() {
                        let got = cpu::with_isa(isa, run);
                        assert!(got == want, "{format:?} {w}x{h} {isa:?}");
                    }
                }
            }
        }
    }
}
