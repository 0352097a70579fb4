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
use crate::cpu::{self, Isa};
use crate::error::{Error, Result};
use crate::image::bands::band_rows;
use crate::image::{ImageView, ImageViewMut};
use crate::parallel;
use rayon::prelude::*;

/// Largest accepted block size (every window sum, at most 255 * 4095^2, fits in u32).
pub const MAX_BLOCK_SIZE: usize = 4095;

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

/// Per-band scratch rows, allocated once per band, never inside the row loop.
struct Scratch {
    col: Vec<u32>,
    pad: Vec<u32>,
    sums: Vec<u32>,
    means: Vec<u8>,
}

impl Scratch {
    fn new(w: usize, k: usize) -> Self {
        Scratch {
            col: vec![0; w],
            pad: vec![0; w + k - 1],
            sums: vec![0; w],
            means: vec![0; w],
        }
    }
}

/// The final compare: `d = src - mean`; Binary hits where `d > thr`, BinaryInv where
/// `d <= thr`, with `thr = -c'` clamped to a range where the outcome cannot change.
#[derive(Debug, Clone, Copy)]
struct Rule {
    binary: bool,
    thr: i16,
    m: u8,
}

impl Rule {
    fn new(maxval: f64, ty: ThresholdType, c: f64) -> Self {
        let binary = ty == ThresholdType::Binary;
        let idelta = if binary { cv_ceil(c) } else { cv_floor(c) } as i64;
        Rule {
            binary,
            thr: (-idelta).clamp(-512, 512) as i16,
            m: cv_round(maxval).clamp(0, 255) as u8,
        }
    }
}

/// Round half to even of `0 <= x < 2^51` (adding and removing 2^52 leaves the rounded
/// integer under the default rounding mode); equals `cvRound` on these values.
#[inline(always)]
fn round_even_small(x: f64) -> f64 {
    const BIG: f64 = 4503599627370496.0; // 2^52
    (x + BIG) - BIG
}

/// One output row from the current column sums.
#[inline(always)]
fn row_out(
    srow: &[u8],
    out: &mut [u8],
    k: usize,
    div: BoxMeanDivisor,
    rule: Rule,
    sc: &mut Scratch,
) {
    let w = out.len();
    let r = k / 2;
    let Scratch {
        col,
        pad,
        sums,
        means,
    } = sc;
    // Column sums with r replicated edge columns on each side.
    pad[..r].fill(col[0]);
    pad[r..r + w].copy_from_slice(col);
    pad[r + w..].fill(col[w - 1]);
    // Window sums: sums[x] = sums[x - 1] + pad[x + k - 1] - pad[x - 1] (exact integers).
    let mut run: u32 = pad[..k].iter().sum();
    sums[0] = run;
    for ((d, &a), &b) in sums[1..].iter_mut().zip(&pad[k..]).zip(&pad[..w - 1]) {
        run = run.wrapping_add(a).wrapping_sub(b);
        *d = run;
    }
    match div {
        BoxMeanDivisor::Fixed { dd, ds } => {
            // ((s + dd) * ds) >> 23 == ((s + dd) * (ds << 9)) >> 32: s + dd < 2^16 and
            // ds << 9 < 2^32 for every k <= 15, so the high half of a u32 x u32 product.
            let (dd, ds9) = (dd as u32, (ds << 9) as u32);
            for (m, &s) in means.iter_mut().zip(sums.iter()) {
                *m = (((s + dd) as u64 * ds9 as u64) >> 32) as u8;
            }
        }
        BoxMeanDivisor::Float { scale } => {
            for (m, &s) in means.iter_mut().zip(sums.iter()) {
                *m = round_even_small(s as f64 * scale) as u8;
            }
        }
    }
    let Rule { binary, thr, m } = rule;
    for ((o, &v), &mean) in out.iter_mut().zip(srow).zip(means.iter()) {
        let d = v as i16 - mean as i16;
        let hit = if binary { d > thr } else { d <= thr };
        *o = if hit { m } else { 0 };
    }
}

/// Thresholds rows `y0 ..` of `src` into `dst` (a band of the output starting at row y0).
#[inline(always)]
fn band(
    src: &ImageView,
    y0: usize,
    dst: &mut ImageViewMut,
    k: usize,
    div: BoxMeanDivisor,
    rule: Rule,
) {
    let h = src.height() as isize;
    let r = (k / 2) as isize;
    let cy = |y: isize| y.clamp(0, h - 1) as usize;
    let mut sc = Scratch::new(src.width(), k);
    for dy in -r..=r {
        add_row(&mut sc.col, src.row(cy(y0 as isize + dy)));
    }
    let rows = dst.height();
    for (j, out) in dst.rows_mut().enumerate() {
        let y = (y0 + j) as isize;
        row_out(src.row(y as usize), out, k, div, rule, &mut sc);
        if j + 1 < rows {
            slide_rows(&mut sc.col, src.row(cy(y + r + 1)), src.row(cy(y - r)));
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
    if block_size < 3 || block_size.is_multiple_of(2) || block_size > MAX_BLOCK_SIZE {
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
    let rule = Rule::new(maxval, ty, c);
    let div = box_mean_divisor(block_size);
    let split = split_for(src.width(), src.height());
    run(cpu::kernel_isa(), split, src, dst, block_size, div, rule);
    Ok(())
}

/// The same integer code compiled for AVX2, where the compiler vectorizes the column-sum
/// update, the mean (a u32 x u32 high product) and the compare 8 lanes wide instead of 4;
/// integer arithmetic, so the result is identical to the baseline build.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn band_avx2(
    src: &ImageView,
    y0: usize,
    dst: &mut ImageViewMut,
    k: usize,
    div: BoxMeanDivisor,
    rule: Rule,
) {
    band(src, y0, dst, k, div, rule)
}

fn band_isa(
    isa: Isa,
    src: &ImageView,
    y0: usize,
    dst: &mut ImageViewMut,
    k: usize,
    div: BoxMeanDivisor,
    rule: Rule,
) {
    match isa {
        // SAFETY: dispatch only reports families this CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { band_avx2(src, y0, dst, k, div, rule) },
        _ => band(src, y0, dst, k, div, rule),
    }
}

#[allow(clippy::too_many_arguments)] // the plan of one call, passed down unchanged
fn run(
    isa: Isa,
    split: bool,
    src: &ImageView,
    dst: &mut ImageViewMut,
    k: usize,
    div: BoxMeanDivisor,
    rule: Rule,
) {
    if split {
        let rows = band_rows(src.height()).max(16);
        parallel::install(|| {
            dst.bands_mut(rows)
                .into_par_iter()
                .enumerate()
                .for_each(|(i, mut b)| band_isa(isa, src, i * rows, &mut b, k, div, rule))
        });
    } else {
        band_isa(isa, src, 0, dst, k, div, rule);
    }
}

#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_for_test(
    isa: Isa,
    split: bool,
    src: &ImageView,
    dst: &mut ImageViewMut,
    maxval: f64,
    ty: ThresholdType,
    k: usize,
    c: f64,
) {
    run(
        isa,
        split,
        src,
        dst,
        k,
        box_mean_divisor(k),
        Rule::new(maxval, ty, c),
    );
}
