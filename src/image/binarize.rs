//! Colour straight to a binary image with Otsu's threshold, bit-identical to OpenCV's
//! `cv::cvtColor(src, gray, COLOR_{RGB,BGR,RGBA,BGRA}2GRAY)` followed by
//! `cv::threshold(gray, dst, 0, maxval, THRESH_BINARY[_INV] | THRESH_OTSU)`.
//!
//! ```
//! use scipix::image::binarize::binarize_otsu;
//! use scipix::image::threshold::ThresholdType;
//! use scipix::image::{ImageView, ImageViewMut, PixelFormat};
//!
//! // Two dark and two light RGB pixels.
//! let rgb = [10u8, 10, 10, 20, 20, 20, 200, 200, 200, 250, 250, 250];
//! let src = ImageView::packed(&rgb, 4, 1, PixelFormat::Rgb8)?;
//! let mut out = [0u8; 4];
//! let mut dst = ImageViewMut::packed(&mut out, 4, 1, PixelFormat::Gray8)?;
//! let t = binarize_otsu(&src, &mut dst, None, 255.0, ThresholdType::Binary)?;
//! assert_eq!((t, out), (20, [0, 0, 255, 255]));
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! The rule, for every pixel with channel bytes R, G, B (alpha ignored):
//!
//! ```text
//! gray = (9798 * R + 19235 * G + 3735 * B + 16384) >> 15      (crate::image::gray)
//! t    = Otsu threshold of the 256-bin histogram of gray      (threshold::otsu_from_histogram)
//! m    = maxval rounded half to even, saturated to 0..=255
//! dst  = gray > t ? m : 0        (Binary)
//! dst  = gray > t ? 0 : m        (BinaryInv)
//! ```
//!
//! Two passes over memory instead of three: the first converts the colour image to gray and
//! counts the gray values' histogram as it goes (on SSE4.1, AVX2 and AVX-512 in one loop, 64
//! pixels a step; elsewhere in L1-sized chunks), writing the gray values into the destination (or
//! into the optional gray destination); the second thresholds them where they are. No
//! temporary image is allocated.

use super::gray::{gray_row, weights};
use super::gray_histogram::{gray_count_row, SubHist, SUBS};
use super::threshold::{
    otsu_from_histogram, plan_u8, require_gray, run_plan, run_plan_inplace, split_for,
    ThresholdType, SMALL_PIXELS,
};
use super::{ImageView, ImageViewMut};
use crate::cpu::{self, Isa};
use crate::error::{Error, ErrorKind, Result};
use crate::image::bands::band_rows;
use crate::parallel;
use rayon::prelude::*;

/// Sub-histograms of u32 counters, flushed into u64 totals before they could overflow.
struct Hist {
    h: SubHist,
    pending: usize,
    total: [u64; 256],
}

impl Hist {
    const FLUSH: usize = 1 << 30;
    /// Longest run of pixels handed to the kernel at once (only rows longer than this are
    /// cut): one call adds far less than `FLUSH`, so no counter passes 2^30 between flushes.
    const PIECE: usize = 1 << 24;

    fn new() -> Self {
        Hist {
            h: [[0; 256]; SUBS],
            pending: 0,
            total: [0; 256],
        }
    }

    /// Converts the row `src` to gray into `dst` and counts it.
    fn add_row(&mut self, isa: Isa, src: &[u8], dst: &mut [u8], bpp: usize, w: [u32; 3]) {
        for (s, d) in src
            .chunks(Self::PIECE * bpp)
            .zip(dst.chunks_mut(Self::PIECE))
        {
            if self.pending + d.len() > Self::FLUSH {
                self.flush();
            }
            gray_count_row(isa, s, d, bpp, w, &mut self.h);
            self.pending += d.len();
        }
    }

    fn flush(&mut self) {
        for (i, t) in self.total.iter_mut().enumerate() {
            *t += self.h.iter().map(|p| p[i] as u64).sum::<u64>();
        }
        self.h = [[0; 256]; SUBS];
        self.pending = 0;
    }

    fn finish(mut self) -> [u64; 256] {
        self.flush();
        self.total
    }
}

/// Converts `src` (a colour format) to gray into `gray` and returns the histogram of the gray
/// values, in one pass ([`gray_count_row`]).
fn gray_and_histogram(isa: Isa, src: &ImageView, gray: &mut ImageViewMut) -> [u64; 256] {
    let bpp = src.format().bytes_per_pixel();
    let w = weights(src.format()).expect("colour format");
    if src.width() * src.height() <= SMALL_PIXELS {
        let mut total = [0u64; 256];
        for (y, d) in gray.rows_mut().enumerate() {
            gray_row(isa, src.row(y), d, bpp, w);
            for &g in d.iter() {
                total[g as usize] += 1;
            }
        }
        return total;
    }
    let mut hist = Hist::new();
    for (y, d) in gray.rows_mut().enumerate() {
        hist.add_row(isa, src.row(y), d, bpp, w);
    }
    hist.finish()
}

/// [`gray_and_histogram`], split into bands of rows across scipix's pool when `split`; the
/// counts are integers, so the sum is the same for any split.
fn gray_and_histogram_with(
    isa: Isa,
    split: bool,
    src: &ImageView,
    gray: &mut ImageViewMut,
) -> [u64; 256] {
    if !split {
        return gray_and_histogram(isa, src, gray);
    }
    let rows = band_rows(src.height());
    let width = src.width();
    let parts: Vec<[u64; 256]> = parallel::install(|| {
        gray.bands_mut(rows)
            .into_par_iter()
            .enumerate()
            .map(|(i, mut band)| {
                let part = src
                    .subview(0, i * rows, width, band.height())
                    .expect("band inside the image");
                gray_and_histogram(isa, &part, &mut band)
            })
            .collect()
    });
    let mut total = [0u64; 256];
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

fn check_args(
    src: &ImageView,
    dst: &ImageViewMut,
    gray: Option<&ImageViewMut>,
    ty: ThresholdType,
) -> Result<()> {
    if src.format().rgb_offsets().is_none() {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!(
                "source must be rgb8, bgr8, rgba8 or bgra8, got {}",
                src.format().name()
            ),
        ));
    }
    if !matches!(ty, ThresholdType::Binary | ThresholdType::BinaryInv) {
        return Err(Error::invalid(format!(
            "threshold type must be Binary or BinaryInv, got {ty:?}"
        )));
    }
    let outs = std::iter::once(("destination", dst)).chain(gray.map(|g| ("gray destination", g)));
    for (what, d) in outs {
        require_gray(what, d.format())?;
        if d.width() != src.width() || d.height() != src.height() {
            return Err(Error::invalid(format!(
                "source is {}x{}, {what} is {}x{}: sizes must match",
                src.width(),
                src.height(),
                d.width(),
                d.height()
            )));
        }
    }
    Ok(())
}

pub(crate) fn run(
    isa: Isa,
    split: bool,
    src: &ImageView,
    dst: &mut ImageViewMut,
    gray: Option<&mut ImageViewMut>,
    maxval: f64,
    ty: ThresholdType,
) -> u8 {
    match gray {
        Some(g) => {
            let t = otsu_from_histogram(&gray_and_histogram_with(isa, split, src, g));
            run_plan(isa, split, plan_u8(t as f64, maxval, ty), &g.as_view(), dst);
            t
        }
        None => {
            // The destination holds the gray values until they are thresholded in place.
            let t = otsu_from_histogram(&gray_and_histogram_with(isa, split, src, dst));
            run_plan_inplace(isa, split, plan_u8(t as f64, maxval, ty), dst);
            t
        }
    }
}

/// Converts the colour image `src` (RGB8, BGR8, RGBA8 or BGRA8) to gray, picks Otsu's
/// threshold of that gray image and writes the binary image into the GRAY8 `dst` (rule in
/// the module docs); returns the threshold, the value `cv::threshold` returns with
/// `THRESH_OTSU`. When `gray` is given (GRAY8, same size) it also receives the gray image.
///
/// Errors: [`ErrorKind::UnsupportedFormat`] (source not a colour format, a destination not
/// GRAY8), [`ErrorKind::InvalidArgument`] (`ty` not Binary/BinaryInv, sizes differ); nothing
/// is written then. Rows are split across scipix's pool for large images, with the same
/// result for any thread count and instruction set.
pub fn binarize_otsu(
    src: &ImageView,
    dst: &mut ImageViewMut,
    gray: Option<&mut ImageViewMut>,
    maxval: f64,
    ty: ThresholdType,
) -> Result<u8> {
    check_args(src, dst, gray.as_deref(), ty)?;
    let split = split_for(src.width(), src.height());
    Ok(run(cpu::kernel_isa(), split, src, dst, gray, maxval, ty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::gray::to_gray;
    use crate::image::test_noise::noise;
    use crate::image::threshold::threshold_otsu;
    use crate::image::PixelFormat;

    /// A smooth two-tone picture: long runs of equal gray values, two modes.
    fn photo(w: usize, h: usize, bpp: usize) -> Vec<u8> {
        let mut v = vec![0u8; w * h * bpp];
        for y in 0..h {
            for x in 0..w {
                let base = if (x / 7 + y / 5) % 3 == 0 { 40 } else { 190 };
                for c in 0..bpp {
                    v[(y * w + x) * bpp + c] = (base + (x * 13 / w.max(1)) + c * 3) as u8;
                }
            }
        }
        v
    }

    /// The two-step reference: scalar gray, then the existing Otsu threshold.
    fn reference(src: &ImageView, maxval: f64, ty: ThresholdType) -> (u8, Vec<u8>, Vec<u8>) {
        let (w, h) = (src.width(), src.height());
        let mut gray = vec![0u8; w * h];
        let mut bin = vec![0u8; w * h];
        cpu::with_isa(Isa::Scalar, |_| {
            let mut g = ImageViewMut::packed(&mut gray, w, h, PixelFormat::Gray8).unwrap();
            to_gray(src, &mut g).unwrap();
        });
        let gv = ImageView::packed(&gray, w, h, PixelFormat::Gray8).unwrap();
        let mut b = ImageViewMut::packed(&mut bin, w, h, PixelFormat::Gray8).unwrap();
        let t = cpu::with_isa(Isa::Scalar, |_| threshold_otsu(&gv, &mut b, maxval, ty)).unwrap();
        (t, gray, bin)
    }

    fn check(src: &ImageView, maxval: f64, ty: ThresholdType, what: &str) {
        let (w, h) = (src.width(), src.height());
        let (t0, g0, b0) = reference(src, maxval, ty);
        let pad = 3;
        for isa in Isa::available() {
            for split in [false, true] {
                for with_gray in [false, true] {
                    let ds = w + pad;
                    let mut bin = vec![0xA5u8; ds * h];
                    let mut gray = vec![0x5Au8; ds * h];
                    let mut d = ImageViewMut::new(&mut bin, w, h, ds, PixelFormat::Gray8).unwrap();
                    let mut g = ImageViewMut::new(&mut gray, w, h, ds, PixelFormat::Gray8).unwrap();
                    let gopt = if with_gray { Some(&mut g) } else { None };
                    let t =
                        cpu::with_isa(isa, |isa| run(isa, split, src, &mut d, gopt, maxval, ty));
                    let ctx = format!("{what} {isa:?} split {split} gray {with_gray} {ty:?}");
                    assert_eq!(t, t0, "{ctx}");
                    for y in 0..h {
                        assert_eq!(&bin[y * ds..y * ds + w], &b0[y * w..(y + 1) * w], "{ctx}");
                        assert!(bin[y * ds + w..(y + 1) * ds].iter().all(|&v| v == 0xA5));
                        let grow = &gray[y * ds..y * ds + w];
                        if with_gray {
                            assert_eq!(grow, &g0[y * w..(y + 1) * w], "{ctx}");
                        } else {
                            assert!(grow.iter().all(|&v| v == 0x5A), "{ctx}");
                        }
                        assert!(gray[y * ds + w..(y + 1) * ds].iter().all(|&v| v == 0x5A));
                    }
                }
            }
        }
    }

    #[test]
    fn known_values() {
        let rgb = [10u8, 10, 10, 20, 20, 20, 200, 200, 200, 250, 250, 250];
        let src = ImageView::packed(&rgb, 4, 1, PixelFormat::Rgb8).unwrap();
        let mut out = [7u8; 4];
        let mut g = [7u8; 4];
        let mut dst = ImageViewMut::packed(&mut out, 4, 1, PixelFormat::Gray8).unwrap();
        let mut gd = ImageViewMut::packed(&mut g, 4, 1, PixelFormat::Gray8).unwrap();
        let t = binarize_otsu(
            &src,
            &mut dst,
            Some(&mut gd),
            200.4,
            ThresholdType::BinaryInv,
        );
        assert_eq!(t.unwrap(), 20);
        assert_eq!(out, [200, 200, 0, 0]);
        assert_eq!(g, [10, 20, 200, 250]);
    }

    #[test]
    fn every_isa_matches_two_step_reference_on_awkward_geometry() {
        for format in [
            PixelFormat::Rgb8,
            PixelFormat::Bgr8,
            PixelFormat::Rgba8,
            PixelFormat::Bgra8,
        ] {
            let bpp = format.bytes_per_pixel();
            for &(w, h) in &[(1usize, 1usize), (1, 5), (7, 3), (31, 2), (33, 4), (67, 9)] {
                for &(spad, off) in &[(0usize, 0usize), (5, 1), (16, 3)] {
                    let stride = w * bpp + spad;
                    let buf = noise(off + stride * h, (w * 131 + h * 7 + off) as u64);
                    let src = ImageView::new(&buf[off..], w, h, stride, format).unwrap();
                    let ty = if off % 2 == 0 {
                        ThresholdType::Binary
                    } else {
                        ThresholdType::BinaryInv
                    };
                    check(
                        &src,
                        255.0,
                        ty,
                        &format!("{format:?} {w}x{h} +{spad} @{off}"),
                    );
                }
            }
        }
    }

    #[test]
    fn large_images_subviews_and_photos() {
        for format in [PixelFormat::Bgr8, PixelFormat::Rgba8] {
            let bpp = format.bytes_per_pixel();
            let (w, h) = (2111, 70);
            let noisy = noise(w * h * bpp, 9);
            let smooth = photo(w, h, bpp);
            for (name, buf) in [("noise", &noisy), ("photo", &smooth)] {
                let full = ImageView::packed(buf, w, h, format).unwrap();
                let sub = full.subview(5, 3, 2100, 61).unwrap();
                for ty in [ThresholdType::Binary, ThresholdType::BinaryInv] {
                    check(&sub, 128.0, ty, &format!("{format:?} {name}"));
                }
            }
        }
    }

    /// The histogram itself, not only what Otsu makes of it: a strided sub-view of a page
    /// with flat runs (whole 32- and 64-pixel steps of one gray value, runs broken by one
    /// pixel), noise and both extremes, against a plain count of the scalar gray image; and
    /// the threshold, against the two-step reference.
    #[test]
    fn histogram_and_threshold_of_crafted_page_on_every_isa() {
        let (w, h, bpp) = (301usize, 23usize, 4usize);
        let mut buf = noise((w + 9) * h * bpp + 2, 5);
        for y in 0..h {
            for x in 0..w {
                let i = 2 + (y * (w + 9) + x) * bpp;
                let v = match (x / 70 + y) % 4 {
                    0 => continue,
                    1 if x % 53 == 0 => 0,
                    1 => 255,
                    2 => 231,
                    _ => (x / 9) as u8,
                };
                buf[i..i + 3].fill(v);
            }
        }
        let src = ImageView::new(&buf[2..], w, h, (w + 9) * bpp, PixelFormat::Bgra8).unwrap();
        let (t0, g0, _) = reference(&src, 255.0, ThresholdType::Binary);
        let mut want = [0u64; 256];
        g0.iter().for_each(|&v| want[v as usize] += 1);
        assert!(want[255] > 0 && want[0] > 0 && want[231] > 64 * 10);
        for isa in Isa::available() {
            for split in [false, true] {
                let mut out = vec![0u8; w * h];
                let mut d = ImageViewMut::packed(&mut out, w, h, PixelFormat::Gray8).unwrap();
                let got =
                    cpu::with_isa(isa, |isa| gray_and_histogram_with(isa, split, &src, &mut d));
                assert_eq!(got, want, "{isa:?} split {split}");
                assert_eq!(out, g0, "{isa:?} split {split}");
                assert_eq!(otsu_from_histogram(&got), t0, "{isa:?} split {split}");
            }
        }
        check(&src, 255.0, ThresholdType::Binary, "crafted page");
    }

    /// Both sides of the small-image cut-off (`SMALL_PIXELS`): the histogram against a plain
    /// count of the scalar gray image, with a run of one value.
    #[test]
    fn histogram_of_small_images_on_every_isa() {
        for &(w, h) in &[
            (1usize, 1usize),
            (4, 4),
            (16, 16),
            (257, 1),
            (1, 257),
            (17, 16),
        ] {
            let mut buf = noise(w * h * 3, (w * 7 + h) as u64);
            buf[..3 * w.min(9)].fill(200);
            let src = ImageView::packed(&buf, w, h, PixelFormat::Rgb8).unwrap();
            let (_, g0, _) = reference(&src, 255.0, ThresholdType::Binary);
            let mut want = [0u64; 256];
            g0.iter().for_each(|&v| want[v as usize] += 1);
            for isa in Isa::available() {
                let mut out = vec![0u8; w * h];
                let mut d = ImageViewMut::packed(&mut out, w, h, PixelFormat::Gray8).unwrap();
                let got =
                    cpu::with_isa(isa, |isa| gray_and_histogram_with(isa, false, &src, &mut d));
                assert_eq!(got, want, "{w}x{h} {isa:?}");
                assert_eq!(out, g0, "{w}x{h} {isa:?}");
            }
        }
    }

    #[test]
    fn constant_image_gives_zero_threshold() {
        let buf = vec![77u8; 40 * 3 * 3];
        let src = ImageView::packed(&buf, 40, 3, PixelFormat::Rgb8).unwrap();
        check(&src, 255.0, ThresholdType::Binary, "constant");
        let (t, _, bin) = reference(&src, 255.0, ThresholdType::Binary);
        assert_eq!(t, 0);
        assert!(bin.iter().all(|&v| v == 255));
    }

    #[test]
    fn rejects_bad_arguments_without_writing() {
        let buf = [9u8; 24];
        let src = ImageView::packed(&buf, 2, 3, PixelFormat::Rgba8).unwrap();
        let graysrc = ImageView::packed(&buf, 2, 3, PixelFormat::Gray8).unwrap();
        let mut out = [7u8; 6];
        let mut g = [7u8; 6];
        let mut small = [7u8; 4];
        let bin = ThresholdType::Binary;
        {
            let mut d = ImageViewMut::packed(&mut out, 2, 3, PixelFormat::Gray8).unwrap();
            let e = binarize_otsu(&graysrc, &mut d, None, 255.0, bin).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnsupportedFormat);
            let e = binarize_otsu(&src, &mut d, None, 255.0, ThresholdType::Trunc).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            let mut gs = ImageViewMut::packed(&mut small, 2, 2, PixelFormat::Gray8).unwrap();
            let e = binarize_otsu(&src, &mut d, Some(&mut gs), 255.0, bin).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
        {
            let mut d = ImageViewMut::packed(&mut out, 3, 2, PixelFormat::Gray8).unwrap();
            let mut gd = ImageViewMut::packed(&mut g, 2, 3, PixelFormat::Gray8).unwrap();
            let e = binarize_otsu(&src, &mut d, Some(&mut gd), 255.0, bin).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
        {
            let mut d = ImageViewMut::packed(&mut out, 2, 1, PixelFormat::Rgb8).unwrap();
            let e = binarize_otsu(&src, &mut d, None, 255.0, bin).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnsupportedFormat);
        }
        assert!(out.iter().chain(&g).chain(&small).all(|&v| v == 7));
    }

    /// No kernel reads past the source: colour images of odd widths and whole vector steps,
    /// a few heights (the small-image path and the sub-histogram one) whose last byte is
    /// the one before an inaccessible page; every ISA's threshold, binary and gray images
    /// equal the two-step scalar reference.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn no_kernel_reads_past_the_image() {
        use crate::test_guard::{Guarded, WIDTHS};
        let formats = [
            PixelFormat::Rgb8,
            PixelFormat::Bgr8,
            PixelFormat::Rgba8,
            PixelFormat::Bgra8,
        ];
        for format in formats {
            let bpp = format.bytes_per_pixel();
            for w in WIDTHS {
                for h in [1usize, 3, 9] {
                    let data = if h == 3 {
                        noise(w * h * bpp, (w + h) as u64)
                    } else {
                        photo(w, h, bpp)
                    };
                    let guarded = Guarded::new(&data);
                    let src = ImageView::packed(guarded.as_slice(), w, h, format).unwrap();
                    let what = format!("guarded {format:?} {w}x{h}");
                    check(&src, 255.0, ThresholdType::Binary, &what);
                }
            }
        }
    }
}
