//! Thresholding of GRAY8 images and f32 planes with OpenCV's exact rules
//! (`cv::threshold`, `THRESH_OTSU`, `cv::adaptiveThreshold` with `ADAPTIVE_THRESH_MEAN_C`).
//!
//! ```
//! use scipix::image::threshold::{threshold, ThresholdType};
//! use scipix::image::{ImageView, ImageViewMut, PixelFormat};
//!
//! let src = [10u8, 100, 200];
//! let mut dst = [0u8; 3];
//! let img = ImageView::packed(&src, 3, 1, PixelFormat::Gray8)?;
//! let mut out = ImageViewMut::packed(&mut dst, 3, 1, PixelFormat::Gray8)?;
//! threshold(&img, &mut out, 99.5, 255.0, ThresholdType::Binary)?; // cv::threshold
//! assert_eq!(dst, [0, 255, 255]);
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! # Fixed threshold on u8 (`cv::threshold` on `CV_8UC1`)
//! The `f64` threshold is floored to an integer `t` and the `f64` max value rounded half to
//! even and saturated to 0..=255 (`m`), exactly like OpenCV 5.1's `cvFloor`/`cvRound` on
//! x86-64 (opencv-python-headless 5.1.0.95): results outside the i32 range saturate, so
//! `+inf` and any threshold at or above 2^31 give `i32::MAX` (no pixel is above it), `-inf`
//! and anything below -2^31 give `i32::MIN`, and NaN gives `i32::MAX` (OpenCV clamps with
//! `min(v, INT_MAX)` before converting, which returns its second operand for NaN). A NaN,
//! `+inf` or huge max value is therefore 255, and a `-inf` one 0. (OpenCV 5.0 and earlier
//! turned every out-of-range value and NaN into `i32::MIN` instead.) Then, per pixel `v`:
//!
//! | type | `v > t` | otherwise |
//! |---|---|---|
//! | Binary | `m` | 0 |
//! | BinaryInv | 0 | `m` |
//! | Trunc | `t` | `v` |
//! | ToZero | `v` | 0 |
//! | ToZeroInv | 0 | `v` |
//!
//! with `t < 0` and `t >= 255` following from the same table (e.g. Trunc with `t < 0` gives
//! all zeros, Binary with `t >= 255` gives all zeros).
//!
//! # f32
//! The threshold and max value are converted to `f32` (as OpenCV does) and the table above
//! applies with OpenCV's comparisons: `v > t` for BINARY, TRUNC and TOZERO_INV, `v <= t`
//! for BINARY_INV and TOZERO (both false for NaN, as `cv::threshold` on CV_32F), `0`
//! meaning `+0.0`.

mod adaptive;
mod otsu;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "x86_64")]
mod sse41;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;

pub use adaptive::{adaptive_threshold_mean, box_mean_divisor, BoxMeanDivisor, MAX_BLOCK_SIZE};
pub(crate) use otsu::SMALL_PIXELS;
pub use otsu::{histogram, otsu_from_histogram, otsu_threshold, threshold_otsu};

use super::bands::{band_rows, for_each_band};
use super::gray::check_f32_plane;
use super::{ImageView, ImageViewMut, PixelFormat};
use crate::cpu::{self, Isa};
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;
use rayon::prelude::*;

/// Elements at or above which a threshold, histogram or adaptive threshold is split across
/// scipix's pool. Measured with `benches/threshold.rs` on a 2-core machine: the apply runs at
/// copy speed on one core, so splitting 1M elements was slower and 16M only broke even.
pub const PARALLEL_CUTOFF_ELEMS: usize = 1 << 22;

/// The five OpenCV threshold rules (`THRESH_BINARY` .. `THRESH_TOZERO_INV`, same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThresholdType {
    /// `v > t ? max : 0`.
    Binary,
    /// `v > t ? 0 : max`.
    BinaryInv,
    /// `v > t ? t : v`.
    Trunc,
    /// `v > t ? v : 0`.
    ToZero,
    /// `v > t ? 0 : v`.
    ToZeroInv,
}

impl ThresholdType {
    /// All types in OpenCV order.
    pub const ALL: [ThresholdType; 5] = [
        ThresholdType::Binary,
        ThresholdType::BinaryInv,
        ThresholdType::Trunc,
        ThresholdType::ToZero,
        ThresholdType::ToZeroInv,
    ];

    /// From OpenCV's / the C API's numbering 0..=4.
    pub fn from_u32(v: u32) -> Option<Self> {
        Self::ALL.get(v as usize).copied()
    }
}

/// A resolved u8 threshold: `t` in 0..=254 (other thresholds become fills or copies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct U8Op {
    pub(crate) ty: ThresholdType,
    pub(crate) t: u8,
    pub(crate) m: u8,
}

/// An f32 threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct F32Op {
    pub(crate) ty: ThresholdType,
    pub(crate) t: f32,
    pub(crate) m: f32,
}

/// What a u8 threshold does to the whole image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum U8Plan {
    /// Every pixel becomes this value.
    Fill(u8),
    /// The image is unchanged.
    Copy,
    /// The per-pixel rule with `0 <= t <= 254`.
    Apply(U8Op),
}

/// Converts an integral double the way OpenCV 5.1 does on x86-64: out-of-range values
/// saturate to `i32::MIN` / `i32::MAX`, and NaN gives `i32::MAX` (OpenCV computes
/// `min(v, INT_MAX)` with SSE `minsd`, which returns `INT_MAX` for a NaN `v`).
fn to_i32_saturating(v: f64) -> i32 {
    if v.is_nan() {
        i32::MAX
    } else {
        v as i32 // Rust's float-to-int `as` saturates
    }
}

/// OpenCV 5.1's `cvFloor` on x86-64 (saturating; NaN gives `i32::MAX`).
pub fn cv_floor(v: f64) -> i32 {
    to_i32_saturating(v.floor())
}

/// OpenCV 5.1's `cvCeil` on x86-64 (saturating; NaN gives `i32::MAX`).
pub fn cv_ceil(v: f64) -> i32 {
    to_i32_saturating(v.ceil())
}

/// OpenCV 5.1's `cvRound` on x86-64: round half to even, saturating; NaN gives `i32::MAX`.
pub fn cv_round(v: f64) -> i32 {
    to_i32_saturating(v.round_ties_even())
}

/// Resolves `cv::threshold`'s u8 arguments (see the module docs).
pub fn plan_u8(thresh: f64, maxval: f64, ty: ThresholdType) -> U8Plan {
    use ThresholdType::*;
    let t = cv_floor(thresh);
    let m = cv_round(maxval).clamp(0, 255) as u8;
    if (0..255).contains(&t) {
        return U8Plan::Apply(U8Op { ty, t: t as u8, m });
    }
    let high = t >= 255;
    match (ty, high) {
        (Binary, false) => U8Plan::Fill(m),
        (Binary, true) => U8Plan::Fill(0),
        (BinaryInv, false) => U8Plan::Fill(0),
        (BinaryInv, true) => U8Plan::Fill(m),
        (Trunc | ToZeroInv, false) => U8Plan::Fill(0),
        (ToZero, true) => U8Plan::Fill(0),
        (Trunc | ToZeroInv, true) | (ToZero, false) => U8Plan::Copy,
    }
}

fn apply_u8_row(isa: Isa, plan: U8Plan, src: &[u8], dst: &mut [u8]) {
    match plan {
        U8Plan::Fill(v) => dst.fill(v),
        U8Plan::Copy => dst.copy_from_slice(src),
        U8Plan::Apply(op) => {
            let done = match isa {
                // SAFETY: the ISA was chosen by dispatch for this CPU; t <= 254.
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 | Isa::Avx512 => unsafe { avx2::apply_u8(src, dst, op) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                Isa::Sse41 => unsafe { sse41::apply_u8(src, dst, op) },
                // SAFETY: as above.
                #[cfg(target_arch = "aarch64")]
                Isa::Neon => unsafe { neon::apply_u8(src, dst, op) },
                #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                Isa::Simd128 => wasm32::apply_u8(src, dst, op),
                _ => 0,
            };
            scalar::apply_u8(&src[done..], &mut dst[done..], op);
        }
    }
}

fn apply_u8_row_inplace(isa: Isa, plan: U8Plan, buf: &mut [u8]) {
    match plan {
        U8Plan::Fill(v) => buf.fill(v),
        U8Plan::Copy => {}
        U8Plan::Apply(op) => {
            let done = match isa {
                // SAFETY: the ISA was chosen by dispatch for this CPU; t <= 254.
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 | Isa::Avx512 => unsafe { avx2::apply_u8_inplace(buf, op) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                Isa::Sse41 => unsafe { sse41::apply_u8_inplace(buf, op) },
                // SAFETY: as above.
                #[cfg(target_arch = "aarch64")]
                Isa::Neon => unsafe { neon::apply_u8_inplace(buf, op) },
                #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                Isa::Simd128 => wasm32::apply_u8_inplace(buf, op),
                _ => 0,
            };
            scalar::apply_u8_inplace(&mut buf[done..], op);
        }
    }
}

fn apply_f32_row(isa: Isa, op: F32Op, src: &[f32], dst: &mut [f32]) {
    let done = match isa {
        // SAFETY: the ISA was chosen by dispatch for this CPU.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::apply_f32(src, dst, op) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::apply_f32(src, dst, op) },
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::apply_f32(src, dst, op) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::apply_f32(src, dst, op),
        _ => 0,
    };
    scalar::apply_f32(&src[done..], &mut dst[done..], op);
}

fn apply_f32_row_inplace(isa: Isa, op: F32Op, buf: &mut [f32]) {
    let done = match isa {
        // SAFETY: the ISA was chosen by dispatch for this CPU.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::apply_f32_inplace(buf, op) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::apply_f32_inplace(buf, op) },
        // SAFETY: as above.
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::apply_f32_inplace(buf, op) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::apply_f32_inplace(buf, op),
        _ => 0,
    };
    scalar::apply_f32_inplace(&mut buf[done..], op);
}

pub(crate) fn require_gray(what: &str, f: PixelFormat) -> Result<()> {
    if f != PixelFormat::Gray8 {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!("{what} must be gray8, got {}", f.name()),
        ));
    }
    Ok(())
}

pub(crate) fn require_same_size(src: &ImageView, dst: &ImageViewMut) -> Result<()> {
    if src.width() != dst.width() || src.height() != dst.height() {
        return Err(Error::invalid(format!(
            "source is {}x{}, destination is {}x{}: sizes must match",
            src.width(),
            src.height(),
            dst.width(),
            dst.height()
        )));
    }
    Ok(())
}

/// Applies `plan` from `src` into `dst` (both GRAY8, same size, already checked).
pub(crate) fn run_plan(
    isa: Isa,
    split: bool,
    plan: U8Plan,
    src: &ImageView,
    dst: &mut ImageViewMut,
) {
    let run = |src: &ImageView, dst: &mut ImageViewMut| {
        for (y, d) in dst.rows_mut().enumerate() {
            apply_u8_row(isa, plan, src.row(y), d);
        }
    };
    for_each_band(split, src, dst, run);
}

pub(crate) fn run_plan_inplace(isa: Isa, split: bool, plan: U8Plan, img: &mut ImageViewMut) {
    if plan == U8Plan::Copy {
        return;
    }
    if split {
        let rows = band_rows(img.height());
        parallel::install(|| {
            img.bands_mut(rows).into_par_iter().for_each(|mut band| {
                for r in band.rows_mut() {
                    apply_u8_row_inplace(isa, plan, r);
                }
            })
        });
    } else {
        for r in img.rows_mut() {
            apply_u8_row_inplace(isa, plan, r);
        }
    }
}

pub(crate) fn split_for(width: usize, height: usize) -> bool {
    parallel::should_split(width.saturating_mul(height), PARALLEL_CUTOFF_ELEMS)
}

/// `cv::threshold` on a GRAY8 image into a GRAY8 image of the same size (rules in the module
/// docs). Returns the integer threshold OpenCV reports (`cvFloor(thresh)`).
pub fn threshold(
    src: &ImageView,
    dst: &mut ImageViewMut,
    thresh: f64,
    maxval: f64,
    ty: ThresholdType,
) -> Result<i32> {
    require_gray("source", src.format())?;
    require_gray("destination", dst.format())?;
    require_same_size(src, dst)?;
    let plan = plan_u8(thresh, maxval, ty);
    run_plan(
        cpu::kernel_isa(),
        split_for(src.width(), src.height()),
        plan,
        src,
        dst,
    );
    Ok(cv_floor(thresh))
}

/// In-place [`threshold`].
pub fn threshold_inplace(
    img: &mut ImageViewMut,
    thresh: f64,
    maxval: f64,
    ty: ThresholdType,
) -> Result<i32> {
    require_gray("image", img.format())?;
    let plan = plan_u8(thresh, maxval, ty);
    let split = split_for(img.width(), img.height());
    run_plan_inplace(cpu::kernel_isa(), split, plan, img);
    Ok(cv_floor(thresh))
}

/// Geometry of an f32 plane: `width` x `height` elements, row `y` at `y * stride`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneF32 {
    /// Elements per row, > 0.
    pub width: usize,
    /// Rows, > 0.
    pub height: usize,
    /// Elements from one row start to the next, >= width.
    pub stride: usize,
}

impl PlaneF32 {
    fn check(&self, len: usize) -> Result<()> {
        if self.width == 0 || self.height == 0 {
            return Err(Error::invalid(format!(
                "plane size {}x{}: width and height must be > 0",
                self.width, self.height
            )));
        }
        check_f32_plane(len, self.width, self.height, self.stride)
    }
}

fn f32_op(thresh: f64, maxval: f64, ty: ThresholdType) -> F32Op {
    F32Op {
        ty,
        t: thresh as f32,
        m: maxval as f32,
    }
}

fn run_f32(
    isa: Isa,
    split: bool,
    op: F32Op,
    src: &[f32],
    plane: PlaneF32,
    dst: &mut [f32],
    ds: usize,
) {
    let (w, h, ss) = (plane.width, plane.height, plane.stride);
    let src = &src[..ss * (h - 1) + w];
    let dst = &mut dst[..ds * (h - 1) + w];
    let run = |s: &[f32], d: &mut [f32]| {
        for (sr, dr) in s.chunks(ss).zip(d.chunks_mut(ds)) {
            apply_f32_row(isa, op, &sr[..w], &mut dr[..w]);
        }
    };
    if split {
        let rows = band_rows(h);
        parallel::install(|| {
            src.par_chunks(ss * rows)
                .zip(dst.par_chunks_mut(ds * rows))
                .for_each(|(s, d)| run(s, d))
        });
    } else {
        run(src, dst);
    }
}

/// Thresholds an f32 plane into another of the same width and height (rules in the module
/// docs; `thresh` and `maxval` are converted to f32 first). Padding is not written.
pub fn threshold_f32(
    src: &[f32],
    src_plane: PlaneF32,
    dst: &mut [f32],
    dst_stride: usize,
    thresh: f64,
    maxval: f64,
    ty: ThresholdType,
) -> Result<()> {
    src_plane.check(src.len())?;
    let dst_plane = PlaneF32 {
        stride: dst_stride,
        ..src_plane
    };
    dst_plane.check(dst.len())?;
    let (w, h) = (src_plane.width, src_plane.height);
    run_f32(
        cpu::kernel_isa(),
        split_for(w, h),
        f32_op(thresh, maxval, ty),
        src,
        src_plane,
        dst,
        dst_stride,
    );
    Ok(())
}

fn run_f32_inplace(
    isa: Isa,
    split: bool,
    op: F32Op,
    buf: &mut [f32],
    stride: usize,
    w: usize,
    h: usize,
) {
    let buf = &mut buf[..stride * (h - 1) + w];
    let run = |b: &mut [f32]| {
        for r in b.chunks_mut(stride) {
            apply_f32_row_inplace(isa, op, &mut r[..w]);
        }
    };
    if split {
        let rows = band_rows(h);
        parallel::install(|| buf.par_chunks_mut(stride * rows).for_each(run));
    } else {
        run(buf);
    }
}

/// In-place [`threshold_f32`].
pub fn threshold_f32_inplace(
    buf: &mut [f32],
    plane: PlaneF32,
    thresh: f64,
    maxval: f64,
    ty: ThresholdType,
) -> Result<()> {
    plane.check(buf.len())?;
    let (w, h) = (plane.width, plane.height);
    run_f32_inplace(
        cpu::kernel_isa(),
        split_for(w, h),
        f32_op(thresh, maxval, ty),
        buf,
        plane.stride,
        w,
        h,
    );
    Ok(())
}

#[cfg(test)]
mod tests;
