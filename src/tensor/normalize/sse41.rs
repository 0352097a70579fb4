//! SSE4.1 kernels. Reductions keep the 16 f64 lanes in eight registers (lanes 2j, 2j+1
//! in register j), matching the scalar lane order.

use super::LANES;
use std::arch::x86_64::*;

#[target_feature(enable = "sse4.1")]
unsafe fn load_lanes(lanes: &[f64; LANES]) -> [__m128d; 8] {
    let mut acc = [_mm_setzero_pd(); 8];
    for (j, a) in acc.iter_mut().enumerate() {
        *a = _mm_loadu_pd(lanes[2 * j..].as_ptr());
    }
    acc
}

#[target_feature(enable = "sse4.1")]
unsafe fn store_lanes(acc: &[__m128d; 8], lanes: &mut [f64; LANES]) {
    for (j, a) in acc.iter().enumerate() {
        _mm_storeu_pd(lanes[2 * j..].as_mut_ptr(), *a);
    }
}

/// The 16 values of a chunk as eight pairs of f64.
#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn widen(c: &[f32]) -> [__m128d; 8] {
    let mut out = [_mm_setzero_pd(); 8];
    for q in 0..4 {
        let v = _mm_loadu_ps(c[4 * q..4 * q + 4].as_ptr());
        out[2 * q] = _mm_cvtps_pd(v);
        out[2 * q + 1] = _mm_cvtps_pd(_mm_movehl_ps(v, v));
    }
    out
}

/// Adds the first `16 * (x.len() / 16)` elements into the lanes; returns that count.
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn sum_body(x: &[f32], lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mut acc = load_lanes(lanes);
    for c in x[..n].chunks_exact(16) {
        let w = widen(c);
        for j in 0..8 {
            acc[j] = _mm_add_pd(acc[j], w[j]);
        }
    }
    store_lanes(&acc, lanes);
    n
}

/// Adds `(x - m)^2` (f64, multiply then add) of the first `16 * (len / 16)` elements.
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn sqdev_body(x: &[f32], m: f64, lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mv = _mm_set1_pd(m);
    let mut acc = load_lanes(lanes);
    for c in x[..n].chunks_exact(16) {
        let w = widen(c);
        for j in 0..8 {
            let d = _mm_sub_pd(w[j], mv);
            acc[j] = _mm_add_pd(acc[j], _mm_mul_pd(d, d));
        }
    }
    store_lanes(&acc, lanes);
    n
}

#[target_feature(enable = "sse4.1")]
unsafe fn apply_raw(src: *const f32, dst: *mut f32, n: usize, mean: f32, inv: f32) -> usize {
    let body = n / 16 * 16;
    let (m, s) = (_mm_set1_ps(mean), _mm_set1_ps(inv));
    let mut i = 0;
    while i < body {
        for k in 0..4 {
            let v = _mm_loadu_ps(src.add(i + 4 * k));
            _mm_storeu_ps(dst.add(i + 4 * k), _mm_mul_ps(_mm_sub_ps(v, m), s));
        }
        i += 16;
    }
    while i + 4 <= n {
        let v = _mm_loadu_ps(src.add(i));
        _mm_storeu_ps(dst.add(i), _mm_mul_ps(_mm_sub_ps(v, m), s));
        i += 4;
    }
    i
}

#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn apply_body(src: &[f32], dst: &mut [f32], mean: f32, inv: f32) -> usize {
    let n = src.len().min(dst.len());
    apply_raw(src.as_ptr(), dst.as_mut_ptr(), n, mean, inv)
}

#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let p = buf.as_mut_ptr();
    apply_raw(p, p, buf.len(), mean, inv)
}

#[target_feature(enable = "sse4.1")]
unsafe fn chan_raw(src: *const f32, dst: *mut f32, n: usize, mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let body = n / p * p;
    let mut i = 0;
    while i < body {
        let mut k = 0;
        while k < p {
            let v = _mm_loadu_ps(src.add(i + k));
            let m = _mm_loadu_ps(mean[k..k + 4].as_ptr());
            let s = _mm_loadu_ps(std[k..k + 4].as_ptr());
            _mm_storeu_ps(dst.add(i + k), _mm_div_ps(_mm_sub_ps(v, m), s));
            k += 4;
        }
        i += p;
    }
    body
}

#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let n = src.len().min(dst.len());
    chan_raw(src.as_ptr(), dst.as_mut_ptr(), n, mean, std)
}

#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = buf.as_mut_ptr();
    chan_raw(p, p, buf.len(), mean, std)
}
