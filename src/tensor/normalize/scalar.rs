//! Reference kernels: the SIMD kernels equal these bit for bit.
//!
//! Reductions are lane-blocked: element `i` (counted from the start of the block) is
//! added, in index order, to f64 lane `i % LANES`; SIMD kernels keep exactly these lanes
//! in their registers, so every lane sees the same additions in the same order.

use super::LANES;

/// `lanes[i % LANES] += x[i] as f64` for every element, in order.
pub(crate) fn sum_lanes(x: &[f32], lanes: &mut [f64; LANES]) {
    for (i, &v) in x.iter().enumerate() {
        lanes[i % LANES] += v as f64;
    }
}

/// `d = x[i] as f64 - m; lanes[i % LANES] += d * d` (separate multiply and add).
pub(crate) fn sqdev_lanes(x: &[f32], m: f64, lanes: &mut [f64; LANES]) {
    for (i, &v) in x.iter().enumerate() {
        let d = v as f64 - m;
        lanes[i % LANES] += d * d;
    }
}

/// The normalization step in f32: `(x - mean) * inv`.
#[inline(always)]
pub(crate) fn apply_one(x: f32, mean: f32, inv: f32) -> f32 {
    (x - mean) * inv
}

pub(crate) fn apply(src: &[f32], dst: &mut [f32], mean: f32, inv: f32) {
    for (o, &v) in dst.iter_mut().zip(src) {
        *o = apply_one(v, mean, inv);
    }
}

pub(crate) fn apply_inplace(buf: &mut [f32], mean: f32, inv: f32) {
    for v in buf {
        *v = apply_one(*v, mean, inv);
    }
}

/// The per-channel step in f32: `(x - mean) / std`.
#[inline(always)]
pub(crate) fn chan_one(x: f32, mean: f32, std: f32) -> f32 {
    (x - mean) / std
}

/// Element `i` uses `mean[i % mean.len()]` and `std[i % std.len()]` (same lengths).
pub(crate) fn chan(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) {
    let p = mean.len();
    for (i, (o, &v)) in dst.iter_mut().zip(src).enumerate() {
        *o = chan_one(v, mean[i % p], std[i % p]);
    }
}

pub(crate) fn chan_inplace(buf: &mut [f32], mean: &[f32], std: &[f32]) {
    let p = mean.len();
    for (i, v) in buf.iter_mut().enumerate() {
        *v = chan_one(*v, mean[i % p], std[i % p]);
    }
}
