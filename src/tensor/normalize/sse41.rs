//! SSE4.1 kernels. Reductions keep the 16 f64 lanes in eight registers (lanes 2j, 2j+1
//! in register j), matching the scalar lane order.

use super::LANES;
use crate::cpu::{for_each_step, Store};
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

/// `dst = (src - mean) * inv`, 4 elements per step through `cpu::for_each_step` (so with
/// `Store::Streaming` every element, with non-temporal stores on 16-byte aligned steps);
/// returns the count done.
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn apply_body(
    src: &[f32],
    dst: &mut [f32],
    mean: f32,
    inv: f32,
    store: Store,
) -> usize {
    let n = src.len().min(dst.len());
    let (m, s) = (_mm_set1_ps(mean), _mm_set1_ps(inv));
    let (sp, dp) = (src.as_ptr(), dst.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| dp.align_offset(16));
    let done = for_each_step(n, 4, aligned_from, |i, aligned| {
        // SAFETY: i + 4 <= n <= both lengths; `aligned` steps are 16-byte aligned.
        let v = _mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(sp.add(i)), m), s);
        if aligned {
            _mm_stream_ps(dp.add(i), v);
        } else {
            _mm_storeu_ps(dp.add(i), v);
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// In-place form of [`apply_body`].
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let n = buf.len() / 4 * 4;
    let (m, s) = (_mm_set1_ps(mean), _mm_set1_ps(inv));
    for c in buf[..n].chunks_exact_mut(4) {
        let v = _mm_loadu_ps(c.as_ptr());
        _mm_storeu_ps(c.as_mut_ptr(), _mm_mul_ps(_mm_sub_ps(v, m), s));
    }
    n
}

/// `dst[i] = (src[i] - mean[i % P]) / std[i % P]` over whole periods `P = mean.len()`
/// (a multiple of 4); returns the count done.
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = src.len().min(dst.len()) / p * p;
    for (sp, dp) in src[..n].chunks_exact(p).zip(dst[..n].chunks_exact_mut(p)) {
        for (k, (sv, dv)) in sp.chunks_exact(4).zip(dp.chunks_exact_mut(4)).enumerate() {
            let m = _mm_loadu_ps(mean[k * 4..k * 4 + 4].as_ptr());
            let s = _mm_loadu_ps(std[k * 4..k * 4 + 4].as_ptr());
            let v = _mm_loadu_ps(sv.as_ptr());
            _mm_storeu_ps(dv.as_mut_ptr(), _mm_div_ps(_mm_sub_ps(v, m), s));
        }
    }
    n
}

/// In-place form of [`chan_body`].
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = buf.len() / p * p;
    for bp in buf[..n].chunks_exact_mut(p) {
        for (k, c) in bp.chunks_exact_mut(4).enumerate() {
            let m = _mm_loadu_ps(mean[k * 4..k * 4 + 4].as_ptr());
            let s = _mm_loadu_ps(std[k * 4..k * 4 + 4].as_ptr());
            let v = _mm_loadu_ps(c.as_ptr());
            _mm_storeu_ps(c.as_mut_ptr(), _mm_div_ps(_mm_sub_ps(v, m), s));
        }
    }
    n
}
