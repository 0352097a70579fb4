//! NEON kernels. Reductions keep the 16 f64 lanes in eight registers (lanes 2j, 2j+1
//! in register j), matching the scalar lane order.

use super::LANES;
use crate::cpu::Store;
use std::arch::aarch64::*;

#[target_feature(enable = "neon")]
unsafe fn load_lanes(lanes: &[f64; LANES]) -> [float64x2_t; 8] {
    let mut acc = [vdupq_n_f64(0.0); 8];
    for (j, a) in acc.iter_mut().enumerate() {
        *a = vld1q_f64(lanes[2 * j..].as_ptr());
    }
    acc
}

#[target_feature(enable = "neon")]
unsafe fn store_lanes(acc: &[float64x2_t; 8], lanes: &mut [f64; LANES]) {
    for (j, a) in acc.iter().enumerate() {
        vst1q_f64(lanes[2 * j..].as_mut_ptr(), *a);
    }
}

/// The 16 values of a chunk as eight pairs of f64.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn widen(c: &[f32]) -> [float64x2_t; 8] {
    let mut out = [vdupq_n_f64(0.0); 8];
    for q in 0..4 {
        let v = vld1q_f32(c[4 * q..4 * q + 4].as_ptr());
        out[2 * q] = vcvt_f64_f32(vget_low_f32(v));
        out[2 * q + 1] = vcvt_high_f64_f32(v);
    }
    out
}

/// Adds the first `16 * (x.len() / 16)` elements into the lanes; returns that count.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn sum_body(x: &[f32], lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mut acc = load_lanes(lanes);
    for c in x[..n].chunks_exact(16) {
        let w = widen(c);
        for j in 0..8 {
            acc[j] = vaddq_f64(acc[j], w[j]);
        }
    }
    store_lanes(&acc, lanes);
    n
}

/// Adds `(x - m)^2` (f64, multiply then add) of the first `16 * (len / 16)` elements.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn sqdev_body(x: &[f32], m: f64, lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mv = vdupq_n_f64(m);
    let mut acc = load_lanes(lanes);
    for c in x[..n].chunks_exact(16) {
        let w = widen(c);
        for j in 0..8 {
            let d = vsubq_f64(w[j], mv);
            acc[j] = vaddq_f64(acc[j], vmulq_f64(d, d));
        }
    }
    store_lanes(&acc, lanes);
    n
}

/// `dst = (src - mean) * inv` on the first `4 * (n / 4)` elements; returns that count.
/// NEON has no streaming stores here: `_store` is ignored.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn apply_body(
    src: &[f32],
    dst: &mut [f32],
    mean: f32,
    inv: f32,
    _store: Store,
) -> usize {
    let n = src.len().min(dst.len()) / 4 * 4;
    let (m, s) = (vdupq_n_f32(mean), vdupq_n_f32(inv));
    for (sc, dc) in src[..n].chunks_exact(4).zip(dst[..n].chunks_exact_mut(4)) {
        let v = vld1q_f32(sc.as_ptr());
        vst1q_f32(dc.as_mut_ptr(), vmulq_f32(vsubq_f32(v, m), s));
    }
    n
}

/// In-place form of [`apply_body`].
#[target_feature(enable = "neon")]
pub(crate) unsafe fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let n = buf.len() / 4 * 4;
    let (m, s) = (vdupq_n_f32(mean), vdupq_n_f32(inv));
    for c in buf[..n].chunks_exact_mut(4) {
        let v = vld1q_f32(c.as_ptr());
        vst1q_f32(c.as_mut_ptr(), vmulq_f32(vsubq_f32(v, m), s));
    }
    n
}

/// `dst[i] = (src[i] - mean[i % P]) / std[i % P]` over whole periods `P = mean.len()`
/// (a multiple of 4); returns the count done.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = src.len().min(dst.len()) / p * p;
    for (sp, dp) in src[..n].chunks_exact(p).zip(dst[..n].chunks_exact_mut(p)) {
        for (k, (sv, dv)) in sp.chunks_exact(4).zip(dp.chunks_exact_mut(4)).enumerate() {
            let m = vld1q_f32(mean[k * 4..k * 4 + 4].as_ptr());
            let s = vld1q_f32(std[k * 4..k * 4 + 4].as_ptr());
            let v = vld1q_f32(sv.as_ptr());
            vst1q_f32(dv.as_mut_ptr(), vdivq_f32(vsubq_f32(v, m), s));
        }
    }
    n
}

/// In-place form of [`chan_body`].
#[target_feature(enable = "neon")]
pub(crate) unsafe fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = buf.len() / p * p;
    for bp in buf[..n].chunks_exact_mut(p) {
        for (k, c) in bp.chunks_exact_mut(4).enumerate() {
            let m = vld1q_f32(mean[k * 4..k * 4 + 4].as_ptr());
            let s = vld1q_f32(std[k * 4..k * 4 + 4].as_ptr());
            let v = vld1q_f32(c.as_ptr());
            vst1q_f32(c.as_mut_ptr(), vdivq_f32(vsubq_f32(v, m), s));
        }
    }
    n
}
