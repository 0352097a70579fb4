//! Otsu's threshold with OpenCV's exact arithmetic (`getThreshVal_Otsu_8u` in
//! `imgproc/src/thresh.cpp`): a 256-bin histogram, then one pass in f64 keeping the first
//! bin whose between-class variance is strictly greater than every earlier one.

use super::{
    cv_floor, plan_u8, require_gray, require_same_size, run_plan, scalar, split_for, ThresholdType,
};
use crate::cpu;
use crate::error::Result;
use crate::image::bands::band_rows;
use crate::image::{ImageView, ImageViewMut};
use crate::parallel;
use rayon::prelude::*;

/// Images of at most this many pixels are counted straight into the u64 totals (here and in
/// [`binarize`](crate::image::binarize)): clearing, moving and summing sub-histograms costs
/// more than the chains of increments they break (a 4x4 RGB8 `binarize_otsu` spent about 0.6
/// of its 1.08 µs on its 16 KiB of them).
pub(crate) const SMALL_PIXELS: usize = 256;

/// Adds the histogram of `img` to `total`, flushing the u32 sub-histograms before they
/// could overflow.
fn histogram_serial(img: &ImageView, total: &mut [u64; 256]) {
    const FLUSH: usize = 1 << 30;
    if img.width() * img.height() <= SMALL_PIXELS {
        for row in img.rows() {
            for &v in row {
                total[v as usize] += 1;
            }
        }
        return;
    }
    let mut h = [[0u32; 256]; 4];
    let mut pending = 0usize;
    let flush = |h: &mut [[u32; 256]; 4], total: &mut [u64; 256]| {
        for (i, t) in total.iter_mut().enumerate() {
            *t += h[0][i] as u64 + h[1][i] as u64 + h[2][i] as u64 + h[3][i] as u64;
        }
        *h = [[0u32; 256]; 4];
    };
    for row in img.rows() {
        for part in row.chunks(FLUSH) {
            if pending + part.len() > FLUSH {
                flush(&mut h, total);
                pending = 0;
            }
            scalar::histogram_add(part, &mut h);
            pending += part.len();
        }
    }
    flush(&mut h, total);
}

pub(crate) fn histogram_with(split: bool, img: &ImageView) -> [u64; 256] {
    let mut total = [0u64; 256];
    if !split {
        histogram_serial(img, &mut total);
        return total;
    }
    let rows = band_rows(img.height());
    let bands = img.height().div_ceil(rows);
    let w = img.width();
    // Per-band histograms summed: integer counts, so identical for any split.
    let parts: Vec<[u64; 256]> = parallel::install(|| {
        (0..bands)
            .into_par_iter()
            .map(|b| {
                let y = b * rows;
                let band = img
                    .subview(0, y, w, rows.min(img.height() - y))
                    .expect("band inside the image");
                let mut h = [0u64; 256];
                histogram_serial(&band, &mut h);
                h
            })
            .collect()
    });
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// Histogram (256 bins) of a GRAY8 image. Split across scipix's pool for large images;
/// the counts do not depend on the split.
pub fn histogram(img: &ImageView) -> Result<[u64; 256]> {
    require_gray("image", img.format())?;
    Ok(histogram_with(split_for(img.width(), img.height()), img))
}

/// Otsu's threshold of a histogram, computed exactly as OpenCV does:
///
/// ```text
/// scale = 1 / N;  mu = scale * sum(i * h[i])
/// q1 = mu1 = max_sigma = 0;  best = 0
/// for i in 0..256:
///     p = h[i] * scale;  mu1 *= q1;  q1 += p;  q2 = 1 - q1
///     if min(q1, q2) < FLT_EPSILON or max(q1, q2) > 1 - FLT_EPSILON: continue
///     mu1 = (mu1 + i * p) / q1;  mu2 = (mu - q1 * mu1) / q2
///     sigma = q1 * q2 * (mu1 - mu2)^2
///     if sigma > max_sigma: max_sigma = sigma; best = i
/// ```
///
/// in f64 with this operation order (no fused multiply-add). An empty or single-valued
/// histogram gives 0.
///
/// Two steps skip work without changing a bit of the result. The sum for `mu` leaves out
/// empty bins (adding `+0.0` to a non-negative sum changes nothing). And an empty bin
/// leaves `q1` and `q2` as they were, so when one leaves `mu1` unchanged as well, every
/// further empty bin repeats it exactly: same `mu1`, and a `sigma` equal to one already
/// compared, which cannot be strictly greater. The loop then jumps to the next non-empty
/// bin. The chain `mu1 -> mu1 * q1 -> / q1` costs about 20 cycles per bin, so on small or
/// sparse images (a 4x4 crop has at most 16 values) this is most of the call. After a
/// non-empty bin followed by an empty one, that empty bin's step is computed beside the
/// chain and the jump taken when it leaves `mu1` as it is (it has in every histogram tried:
/// `(m * q) / q == m` for `m = x / q`), so the next non-empty bin does not wait for it
/// (`scipix_threshold_otsu` on 4x4: 445 -> 355-390 ns).
pub fn otsu_from_histogram(h: &[u64; 256]) -> u8 {
    otsu_scan(h).0
}

/// [`otsu_from_histogram`]'s loop: the threshold, the largest between-class variance and
/// `mu1` after the last bin (the last two let the tests hold every step to OpenCV's, not only
/// the threshold they give).
pub(crate) fn otsu_scan(h: &[u64; 256]) -> (u8, f64, f64) {
    let n: u64 = h.iter().sum();
    if n == 0 {
        return (0, 0.0, 0.0);
    }
    let scale = 1.0 / n as f64;
    let mut mu = 0.0f64;
    for (i, &c) in h.iter().enumerate() {
        if c != 0 {
            mu += i as f64 * c as f64;
        }
    }
    mu *= scale;
    let eps = f32::EPSILON as f64;
    let (mut mu1, mut q1) = (0.0f64, 0.0f64);
    let (mut max_sigma, mut best) = (0.0f64, 0u8);
    let mut i = 0usize;
    while i < 256 {
        let c = h[i];
        let before = mu1;
        let p_i = c as f64 * scale;
        mu1 *= q1;
        q1 += p_i;
        let q2 = 1.0 - q1;
        let inside = q1.min(q2) >= eps && q1.max(q2) <= 1.0 - eps;
        if inside {
            mu1 = (mu1 + i as f64 * p_i) / q1;
            let mu2 = (mu - q1 * mu1) / q2;
            let sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
            if sigma > max_sigma {
                max_sigma = sigma;
                best = i as u8;
            }
        }
        i += 1;
        let skip = if c != 0 && inside && i < 256 && h[i] == 0 {
            // Bin i is empty and keeps q1 and q2: its step is taken here, beside the chain
            // through `mu1` rather than on it (the next bins use `mu1` only if it changes).
            let p0 = 0.0 * scale;
            let next = (mu1 * q1 + i as f64 * p0) / q1;
            next.to_bits() == mu1.to_bits()
        } else {
            c == 0 && mu1.to_bits() == before.to_bits()
        };
        if skip {
            while i < 256 && h[i] == 0 {
                i += 1;
            }
        }
    }
    (best, max_sigma, mu1)
}

/// [`otsu_scan`] as OpenCV writes it, every bin in turn: the specification the
/// tests hold the skipping loop to.
#[cfg(test)]
pub(crate) fn otsu_every_bin(h: &[u64; 256]) -> (u8, f64, f64) {
    let n: u64 = h.iter().sum();
    if n == 0 {
        return (0, 0.0, 0.0);
    }
    let scale = 1.0 / n as f64;
    let mut mu = 0.0f64;
    for (i, &c) in h.iter().enumerate() {
        mu += i as f64 * c as f64;
    }
    mu *= scale;
    let eps = f32::EPSILON as f64;
    let (mut mu1, mut q1) = (0.0f64, 0.0f64);
    let (mut max_sigma, mut best) = (0.0f64, 0u8);
    for (i, &c) in h.iter().enumerate() {
        let p_i = c as f64 * scale;
        mu1 *= q1;
        q1 += p_i;
        let q2 = 1.0 - q1;
        if q1.min(q2) < eps || q1.max(q2) > 1.0 - eps {
            continue;
        }
        mu1 = (mu1 + i as f64 * p_i) / q1;
        let mu2 = (mu - q1 * mu1) / q2;
        let sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
        if sigma > max_sigma {
            max_sigma = sigma;
            best = i as u8;
        }
    }
    (best, max_sigma, mu1)
}

/// Otsu's threshold of a GRAY8 image (the value `cv::threshold(..., THRESH_OTSU)` returns).
pub fn otsu_threshold(img: &ImageView) -> Result<u8> {
    Ok(otsu_from_histogram(&histogram(img)?))
}

/// `cv::threshold(src, dst, _, maxval, ty | THRESH_OTSU)`: computes Otsu's threshold of
/// `src`, applies the fixed-threshold rule `ty` with it, and returns it.
pub fn threshold_otsu(
    src: &ImageView,
    dst: &mut ImageViewMut,
    maxval: f64,
    ty: ThresholdType,
) -> Result<u8> {
    require_gray("source", src.format())?;
    require_gray("destination", dst.format())?;
    require_same_size(src, dst)?;
    let split = split_for(src.width(), src.height());
    let t = otsu_from_histogram(&histogram_with(split, src));
    debug_assert_eq!(cv_floor(t as f64), t as i32);
    let plan = plan_u8(t as f64, maxval, ty);
    run_plan(cpu::kernel_isa(), split, plan, src, dst);
    Ok(t)
}
