//! AVX2 kernels. Reductions keep the 16 f64 lanes in four registers (lanes 4j..4j+4 in
//! register j), so each lane adds the same values in the same order as the scalar kernel.

use super::LANES;
use crate::cpu::{for_each_step, Store};
use std::arch::x86_64::*;

/// Adds the first `16 * (x.len() / 16)` elements into the lanes; returns that count.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn sum_body(x: &[f32], lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mut acc = [
        _mm256_loadu_pd(lanes[0..].as_ptr()),
        _mm256_loadu_pd(lanes[4..].as_ptr()),
        _mm256_loadu_pd(lanes[8..].as_ptr()),
        _mm256_loadu_pd(lanes[12..].as_ptr()),
    ];
    for c in x[..n].chunks_exact(16) {
        let a = _mm256_loadu_ps(c[0..].as_ptr());
        let b = _mm256_loadu_ps(c[8..].as_ptr());
        acc[0] = _mm256_add_pd(acc[0], _mm256_cvtps_pd(_mm256_castps256_ps128(a)));
        acc[1] = _mm256_add_pd(acc[1], _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(a)));
        acc[2] = _mm256_add_pd(acc[2], _mm256_cvtps_pd(_mm256_castps256_ps128(b)));
        acc[3] = _mm256_add_pd(acc[3], _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(b)));
    }
    for (j, a) in acc.iter().enumerate() {
        _mm256_storeu_pd(lanes[4 * j..].as_mut_ptr(), *a);
    }
    n
}

/// Adds `(x - m)^2` (f64, multiply then add) of the first `16 * (len / 16)` elements.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn sqdev_body(x: &[f32], m: f64, lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mv = _mm256_set1_pd(m);
    let mut acc = [
        _mm256_loadu_pd(lanes[0..].as_ptr()),
        _mm256_loadu_pd(lanes[4..].as_ptr()),
        _mm256_loadu_pd(lanes[8..].as_ptr()),
        _mm256_loadu_pd(lanes[12..].as_ptr()),
    ];
    for c in x[..n].chunks_exact(16) {
        let a = _mm256_loadu_ps(c[0..].as_ptr());
        let b = _mm256_loadu_ps(c[8..].as_ptr());
        let parts = [
            _mm256_castps256_ps128(a),
            _mm256_extractf128_ps::<1>(a),
            _mm256_castps256_ps128(b),
            _mm256_extractf128_ps::<1>(b),
        ];
        for j in 0..4 {
            let d = _mm256_sub_pd(_mm256_cvtps_pd(parts[j]), mv);
            acc[j] = _mm256_add_pd(acc[j], _mm256_mul_pd(d, d));
        }
    }
    for (j, a) in acc.iter().enumerate() {
        _mm256_storeu_pd(lanes[4 * j..].as_mut_ptr(), *a);
    }
    n
}

/// `dst = (src - mean) * inv`, 8 elements per step through `cpu::for_each_step` (so with
/// `Store::Streaming` every element, with non-temporal stores on 32-byte aligned steps);
/// returns the count done.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn apply_body(
    src: &[f32],
    dst: &mut [f32],
    mean: f32,
    inv: f32,
    store: Store,
) -> usize {
    let n = src.len().min(dst.len());
    let (m, s) = (_mm256_set1_ps(mean), _mm256_set1_ps(inv));
    let (sp, dp) = (src.as_ptr(), dst.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| dp.align_offset(32));
    let done = for_each_step(n, 8, aligned_from, |i, aligned| {
        // SAFETY: i + 8 <= n <= both lengths; `aligned` steps are 32-byte aligned.
        let v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(sp.add(i)), m), s);
        if aligned {
            _mm256_stream_ps(dp.add(i), v);
        } else {
            _mm256_storeu_ps(dp.add(i), v);
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// In-place form of [`apply_body`].
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let n = buf.len() / 8 * 8;
    let (m, s) = (_mm256_set1_ps(mean), _mm256_set1_ps(inv));
    for c in buf[..n].chunks_exact_mut(8) {
        let v = _mm256_loadu_ps(c.as_ptr());
        _mm256_storeu_ps(c.as_mut_ptr(), _mm256_mul_ps(_mm256_sub_ps(v, m), s));
    }
    n
}

/// `dst[i] = (src[i] - mean[i % P]) / std[i % P]` over whole periods `P = mean.len()`
/// (a multiple of 8); returns the count done.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = src.len().min(dst.len()) / p * p;
    for (sp, dp) in src[..n].chunks_exact(p).zip(dst[..n].chunks_exact_mut(p)) {
        for (k, (sv, dv)) in sp.chunks_exact(8).zip(dp.chunks_exact_mut(8)).enumerate() {
            let m = _mm256_loadu_ps(mean[k * 8..k * 8 + 8].as_ptr());
            let s = _mm256_loadu_ps(std[k * 8..k * 8 + 8].as_ptr());
            let v = _mm256_loadu_ps(sv.as_ptr());
            _mm256_storeu_ps(dv.as_mut_ptr(), _mm256_div_ps(_mm256_sub_ps(v, m), s));
        }
    }
    n
}

/// In-place form of [`chan_body`].
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = buf.len() / p * p;
    for bp in buf[..n].chunks_exact_mut(p) {
        for (k, c) in bp.chunks_exact_mut(8).enumerate() {
            let m = _mm256_loadu_ps(mean[k * 8..k * 8 + 8].as_ptr());
            let s = _mm256_loadu_ps(std[k * 8..k * 8 + 8].as_ptr());
            let v = _mm256_loadu_ps(c.as_ptr());
            _mm256_storeu_ps(c.as_mut_ptr(), _mm256_div_ps(_mm256_sub_ps(v, m), s));
        }
    }
    n
}

/// The 16 floats at `p` as four f64 vectors (elements 0..4, 4..8, 8..12, 12..16).
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn widen16(p: *const f32) -> [__m256d; 4] {
    let (a, b) = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
    [
        _mm256_cvtps_pd(_mm256_castps256_ps128(a)),
        _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(a)),
        _mm256_cvtps_pd(_mm256_castps256_ps128(b)),
        _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(b)),
    ]
}

/// Prefetches the two 64-byte lines of `next` that step `k` of a pair pass covers.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn prefetch_step(next: &[f32], k: usize) {
    for line in [32 * k, 32 * k + 16] {
        if line < next.len() {
            _mm_prefetch::<_MM_HINT_T0>(next.as_ptr().add(line).cast());
        }
    }
}

/// One pass over two equal-length blocks, 16 floats of each per step: block `a`'s 16 lanes
/// live in `acc[0..4]` and block `b`'s in `acc[4..8]` (eight interleaved chains hide the f64
/// add latency), and each widened value `v` of block `blk` (0 or 1) is folded in with
/// `acc = f(acc, v, blk)`. `step(k)` runs before step `k`. Returns the elements done.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn pair_pass(
    a: &[f32],
    b: &[f32],
    la: &mut [f64; LANES],
    lb: &mut [f64; LANES],
    mut step: impl FnMut(usize),
    f: impl Fn(__m256d, __m256d, usize) -> __m256d,
) -> usize {
    let n = a.len().min(b.len()) / 16 * 16;
    let mut acc: [__m256d; 8] = std::array::from_fn(|j| {
        let l = if j < 4 {
            &la[4 * j..]
        } else {
            &lb[4 * (j - 4)..]
        };
        _mm256_loadu_pd(l.as_ptr())
    });
    for k in 0..n / 16 {
        step(k);
        let (va, vb) = (
            widen16(a.as_ptr().add(16 * k)),
            widen16(b.as_ptr().add(16 * k)),
        );
        for j in 0..4 {
            acc[j] = f(acc[j], va[j], 0);
            acc[4 + j] = f(acc[4 + j], vb[j], 1);
        }
    }
    for j in 0..4 {
        _mm256_storeu_pd(la[4 * j..].as_mut_ptr(), acc[j]);
        _mm256_storeu_pd(lb[4 * j..].as_mut_ptr(), acc[4 + j]);
    }
    n
}

/// [`sum_body`] of two blocks at once, prefetching `next` (a hint only); each block's lanes
/// get exactly what `sum_body` adds.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn sum_pair_body(
    a: &[f32],
    b: &[f32],
    next: &[f32],
    la: &mut [f64; LANES],
    lb: &mut [f64; LANES],
) -> usize {
    pair_pass(
        a,
        b,
        la,
        lb,
        |k| prefetch_step(next, k),
        |acc, v, _| _mm256_add_pd(acc, v),
    )
}

/// [`sqdev_body`] of two blocks at once, block `a` about `ma` and block `b` about `mb`.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn sqdev_pair_body(
    a: &[f32],
    b: &[f32],
    ma: f64,
    mb: f64,
    la: &mut [f64; LANES],
    lb: &mut [f64; LANES],
) -> usize {
    let m = [_mm256_set1_pd(ma), _mm256_set1_pd(mb)];
    pair_pass(
        a,
        b,
        la,
        lb,
        |_| {},
        |acc, v, blk| {
            let d = _mm256_sub_pd(v, m[blk]);
            _mm256_add_pd(acc, _mm256_mul_pd(d, d))
        },
    )
}
