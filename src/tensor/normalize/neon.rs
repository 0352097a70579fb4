//! NEON kernels. Reductions keep the 16 f64 lanes in eight registers (lanes 2j, 2j+1
//! in register j), matching the scalar lane order.

use super::LANES;
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

#[target_feature(enable = "neon")]
unsafe fn apply_raw(src: *const f32, dst: *mut f32, n: usize, mean: f32, inv: f32) -> usize {
    let body = n / 16 * 16;
    let (m, s) = (vdupq_n_f32(mean), vdupq_n_f32(inv));
    let mut i = 0;
    while i < body {
        for k in 0..4 {
            let v = vld1q_f32(src.add(i + 4 * k));
            vst1q_f32(dst.add(i + 4 * k), vmulq_f32(vsubq_f32(v, m), s));
        }
        i += 16;
    }
    while i + 4 <= n {
        let v = vld1q_f32(src.add(i));
        vst1q_f32(dst.add(i), vmulq_f32(vsubq_f32(v, m), s));
        i += 4;
    }
    i
}

#[target_feature(enable = "neon")]
pub(crate) unsafe fn apply_body(src: &[f32], dst: &mut [f32], mean: f32, inv: f32) -> usize {
    let n = src.len().min(dst.len());
    apply_raw(src.as_ptr(), dst.as_mut_ptr(), n, mean, inv)
}

#[target_feature(enable = "neon")]
pub(crate) unsafe fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let p = buf.as_mut_ptr();
    apply_raw(p, p, buf.len(), mean, inv)
}

#[target_feature(enable = "neon")]
unsafe fn chan_raw(src: *const f32, dst: *mut f32, n: usize, mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let body = n / p * p;
    let mut i = 0;
    while i < body {
        let mut k = 0;
        while k < p {
            let v = vld1q_f32(src.add(i + k));
            let m = vld1q_f32(mean[k..k + 4].as_ptr());
            let s = vld1q_f32(std[k..k + 4].as_ptr());
            vst1q_f32(dst.add(i + k), vdivq_f32(vsubq_f32(v, m), s));
            k += 4;
        }
        i += p;
    }
    body
}

#[target_feature(enable = "neon")]
pub(crate) unsafe fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let n = src.len().min(dst.len());
    chan_raw(src.as_ptr(), dst.as_mut_ptr(), n, mean, std)
}

#[target_feature(enable = "neon")]
pub(crate) unsafe fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = buf.as_mut_ptr();
    chan_raw(p, p, buf.len(), mean, std)
}
