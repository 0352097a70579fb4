//! `cv::adaptiveThreshold` with `ADAPTIVE_THRESH_MEAN_C`, bit-exact.
//!
//! OpenCV computes the local mean with `boxFilter(src, mean, CV_8U, (k, k), normalize,
//! BORDER_REPLICATE | BORDER_ISOLATED)`: the integer sum `s` of the k x k window (rows and
//! columns outside the image repeat the edge pixel) is turned into a u8 by
//!
//! * `k * k <= 256` (k <= 15): `((s + dd) * ds) >> 23` with `d = k * k`, `ds = floor(2^23 / d)`,
//!   `dd = d / 2`, then `dd += 1` if the fraction of `2^23 / d` is below 0.5, else `ds += 1`;
//! * larger k: `round_half_even(s * (1.0 / (k * k)))` in f64. (OpenCV's vector path uses f32
//!   here; the two agree for every sum when k <= 163, so above that OpenCV itself can differ
//!   between pixel positions in rare cases.)
//!
//! Then with `m = saturate_u8(round_half_even(maxval))` and `c' = ceil(C)` for Binary,
//! `floor(C)` for BinaryInv: Binary gives `m` where `src - mean > -c'`, else 0; BinaryInv
//! gives `m` where `src - mean <= -c'`, else 0. A negative `maxval` gives an all-zero image.

use super::{
    cv_ceil, cv_floor, cv_round, require_gray, require_same_size, split_for, ThresholdType,
};
use crate::error::{Error, Result};
use crate::image::gray::band_rows;
use crate::image::{ImageView, ImageViewMut};
use crate::parallel;
use rayon::prelude::*;

/// Largest accepted block size (keeps every window sum exact in u32 column sums).
pub const MAX_BLOCK_SIZE: usize = 65535;

/// How a window sum becomes the u8 mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoxMeanDivisor {
    /// `((s + dd) * ds) >> 23`.
    Fixed {
        /// Added before the multiply.
        dd: u64,
        /// Multiplier.
        ds: u64,
    },
    /// `round_half_even(s * scale)`.
    Float {
        /// `1.0 / (k * k)`.
        scale: f64,
    },
}

impl BoxMeanDivisor {
    #[inline(always)]
    fn mean(self, s: u64) -> u8 {
        match self {
            BoxMeanDivisor::Fixed { dd, ds } => (((s + dd) * ds) >> 23).min(255) as u8,
            BoxMeanDivisor::Float { scale } => cv_round(s as f64 * scale).clamp(0, 255) as u8,
        }
    }
}

/// The divisor OpenCV's box filter uses for a `k` x `k` normalized window on u8.
pub fn box_mean_divisor(k: usize) -> BoxMeanDivisor {
    let d = k * k;
    if d <= 256 {
        let scalef = (1u64 << 23) as f64 / d as f64;
        let mut ds = scalef.floor();
        let frac = scalef - ds;
        let mut dd = (d / 2) as u64;
        if frac < 0.5 {
            dd += 1;
        } else {
            ds += 1.0;
        }
        BoxMeanDivisor::Fixed { dd, ds: ds as u64 }
    } else {
        BoxMeanDivisor::Float {
            scale: 1.0 / d as f64,
        }
    }
}

fn add_row(col: &mut [u32], row: &[u8]) {
    for (c, &v) in col.iter_mut().zip(row) {
        *c += v as u32;
    }
}

fn slide_rows(col: &mut [u32], add: &[u8], sub: &[u8]) {
    for ((c, &a), &s) in col.iter_mut().zip(add).zip(sub) {
        *c = *c + a as u32 - s as u32;
    }
}

/// Thresholds rows `y0 ..` of `src` into `dst` (a band of the output starting at row y0).
fn band(
    src: &ImageView,
    y0: usize,
    dst: &mut ImageViewMut,
    k: usize,
    div: BoxMeanDivisor,
    tab: &[u8; 511],
    col: &mut [u32],
) {
    let (w, h) = (src.width() as isize, src.height() as isize);
    let r = (k / 2) as isize;
    let cy = |y: isize| y.clamp(0, h - 1) as usize;
    let cx = |x: isize| x.clamp(0, w - 1) as usize;
    col.fill(0);
    for dy in -r..=r {
        add_row(col, src.row(cy(y0 as isize + dy)));
    }
    let rows = dst.height();
    for (j, out) in dst.rows_mut().enumerate() {
        let y = (y0 + j) as isize;
        let srow = src.row(y as usize);
        let mut s: u64 = (-r..=r).map(|dx| col[cx(dx)] as u64).sum();
        for (x, (o, &v)) in out.iter_mut().zip(srow).enumerate() {
            let mean = div.mean(s);
            *o = tab[(v as usize + 255) - mean as usize];
            let x = x as isize;
            s = s + col[cx(x + r + 1)] as u64 - col[cx(x - r)] as u64;
        }
        if j + 1 < rows {
            slide_rows(col, src.row(cy(y + r + 1)), src.row(cy(y - r)));
        }
    }
}

/// `cv::adaptiveThreshold(src, dst, maxval, ADAPTIVE_THRESH_MEAN_C, ty, block_size, c)` on
/// GRAY8 images of the same size (rules in the module docs). `ty` must be Binary or
/// BinaryInv, `block_size` odd, >= 3 and <= [`MAX_BLOCK_SIZE`], `c` finite with |c| < 2^31.
pub fn adaptive_threshold_mean(
    src: &ImageView,
    dst: &mut ImageViewMut,
    maxval: f64,
    ty: ThresholdType,
    block_size: usize,
    c: f64,
) -> Result<()> {
    require_gray("source", src.format())?;
    require_gray("destination", dst.format())?;
    require_same_size(src, dst)?;
    if !matches!(ty, ThresholdType::Binary | ThresholdType::BinaryInv) {
        return Err(Error::invalid(format!(
            "adaptive threshold supports Binary and BinaryInv, got {ty:?}"
        )));
    }
    if block_size < 3 || block_size % 2 == 0 || block_size > MAX_BLOCK_SIZE {
        return Err(Error::invalid(format!(
            "block size {block_size} must be odd and in 3..={MAX_BLOCK_SIZE}"
        )));
    }
    if !c.is_finite() || c.abs() >= 2147483648.0 {
        return Err(Error::invalid(format!(
            "constant C = {c} must be finite with |C| < 2^31"
        )));
    }
    if maxval < 0.0 {
        for r in dst.rows_mut() {
            r.fill(0);
        }
        return Ok(());
    }
    let tab = make_tab(maxval, ty, c);
    let div = box_mean_divisor(block_size);
    run(
        split_for(src.width(), src.height()),
        src,
        dst,
        block_size,
        div,
        &tab,
    );
    Ok(())
}

/// `tab[src - mean + 255]`: the output for each difference.
fn make_tab(maxval: f64, ty: ThresholdType, c: f64) -> [u8; 511] {
    let m = cv_round(maxval).clamp(0, 255) as u8;
    let binary = ty == ThresholdType::Binary;
    let idelta = if binary { cv_ceil(c) } else { cv_floor(c) } as i64;
    let mut tab = [0u8; 511];
    for (i, t) in tab.iter_mut().enumerate() {
        let d = i as i64 - 255;
        let hit = if binary { d > -idelta } else { d <= -idelta };
        *t = if hit { m } else { 0 };
    }
    tab
}

fn run(
    split: bool,
    src: &ImageView,
    dst: &mut ImageViewMut,
    k: usize,
    div: BoxMeanDivisor,
    tab: &[u8; 511],
) {
    let w = src.width();
    if split {
        let rows = band_rows(src.height()).max(16);
        parallel::install(|| {
            dst.bands_mut(rows)
                .into_par_iter()
                .enumerate()
                .for_each(|(i, mut b)| {
                    let mut col = vec![0u32; w];
                    band(src, i * rows, &mut b, k, div, tab, &mut col)
                })
        });
    } else {
        let mut col = vec![0u32; w];
        band(src, 0, dst, k, div, tab, &mut col);
    }
}

#[cfg(test)]
pub(crate) fn run_for_test(
    split: bool,
    src: &ImageView,
    dst: &mut ImageViewMut,
    maxval: f64,
    ty: ThresholdType,
    k: usize,
    c: f64,
) {
    run(
        split,
        src,
        dst,
        k,
        box_mean_divisor(k),
        &make_tab(maxval, ty, c),
    );
}
