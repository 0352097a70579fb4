//! AVX-512F normalization kernels: the lane structure and operation order of `scalar.rs`
//! on 16-lane vectors (the 16 f64 lanes are two 8-lane accumulators). Per-channel kernels
//! divide and are the AVX2 ones.

use super::LANES;
use crate::cpu::{for_each_step, Store};
use std::arch::x86_64::*;

pub(crate) use super::avx2::{chan_body, chan_inplace_body};

/// Adds element `i` of the first `16 * (len / 16)` elements into lane `i % 16` (f64).
#[target_feature(enable = "avx512f")]
pub(crate) fn sum_body(x: &[f32], lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let (lo, hi) = lanes.split_at_mut(8);
    // SAFETY: `lo` and `hi` hold 8 f64 each; every chunk holds 16 f32.
    unsafe {
        let mut acc = [_mm512_loadu_pd(lo.as_ptr()), _mm512_loadu_pd(hi.as_ptr())];
        for c in x[..n].chunks_exact(16) {
            let v = _mm512_loadu_ps(c.as_ptr());
            let (a, b) = widen(v);
            acc[0] = _mm512_add_pd(acc[0], a);
            acc[1] = _mm512_add_pd(acc[1], b);
        }
        _mm512_storeu_pd(lo.as_mut_ptr(), acc[0]);
        _mm512_storeu_pd(hi.as_mut_ptr(), acc[1]);
    }
    n
}

/// The 16 floats of `v` as f64: elements 0..8 and 8..16.
#[inline]
#[target_feature(enable = "avx512f")]
fn widen(v: __m512) -> (__m512d, __m512d) {
    let lo = _mm512_castps512_ps256(v);
    let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
    (_mm512_cvtps_pd(lo), _mm512_cvtps_pd(hi))
}

/// `acc + (v - m) * (v - m)`: subtract, multiply, then add (never fused), the step every
/// squared-deviation body shares.
#[inline]
#[target_feature(enable = "avx512f")]
fn add_sqdev(acc: __m512d, v: __m512d, m: __m512d) -> __m512d {
    let d = _mm512_sub_pd(v, m);
    _mm512_add_pd(acc, _mm512_mul_pd(d, d))
}

/// Adds `(x - m)^2` (f64, multiply then add) of the first `16 * (len / 16)` elements.
#[target_feature(enable = "avx512f")]
pub(crate) fn sqdev_body(x: &[f32], m: f64, lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mv = _mm512_set1_pd(m);
    let (lo, hi) = lanes.split_at_mut(8);
    // SAFETY: as in `sum_body`.
    unsafe {
        let mut acc = [_mm512_loadu_pd(lo.as_ptr()), _mm512_loadu_pd(hi.as_ptr())];
        for c in x[..n].chunks_exact(16) {
            let (a, b) = widen(_mm512_loadu_ps(c.as_ptr()));
            acc[0] = add_sqdev(acc[0], a, mv);
            acc[1] = add_sqdev(acc[1], b, mv);
        }
        _mm512_storeu_pd(lo.as_mut_ptr(), acc[0]);
        _mm512_storeu_pd(hi.as_mut_ptr(), acc[1]);
    }
    n
}

/// `dst = (src - mean) * inv`, 16 elements per step through `cpu::for_each_step` (so with
/// `Store::Streaming` every element, with non-temporal stores on 64-byte aligned steps);
/// returns the count done.
#[target_feature(enable = "avx512f")]
pub(crate) fn apply_body(src: &[f32], dst: &mut [f32], mean: f32, inv: f32, store: Store) -> usize {
    let n = src.len().min(dst.len());
    let (m, s) = (_mm512_set1_ps(mean), _mm512_set1_ps(inv));
    let (sp, dp) = (src.as_ptr(), dst.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| dp.align_offset(64));
    let done = for_each_step(n, 16, aligned_from, |i, aligned| {
        // SAFETY: i + 16 <= n <= both lengths; `aligned` steps are 64-byte aligned.
        unsafe {
            let v = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(sp.add(i)), m), s);
            if aligned {
                _mm512_stream_ps(dp.add(i), v);
            } else {
                _mm512_storeu_ps(dp.add(i), v);
            }
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// In-place form of [`apply_body`].
#[target_feature(enable = "avx512f")]
pub(crate) fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let n = buf.len() / 16 * 16;
    let (m, s) = (_mm512_set1_ps(mean), _mm512_set1_ps(inv));
    for c in buf[..n].chunks_exact_mut(16) {
        // SAFETY: the chunk holds 16 f32.
        unsafe {
            let v = _mm512_loadu_ps(c.as_ptr());
            _mm512_storeu_ps(c.as_mut_ptr(), _mm512_mul_ps(_mm512_sub_ps(v, m), s));
        }
    }
    n
}

/// One pass over two equal-length blocks, 16 floats of each per step: the lanes of block
/// `a` live in `acc[0..2]` and of block `b` in `acc[2..4]` (four interleaved chains hide the
/// f64 add latency), and each widened value `v` of block `blk` (0 or 1) is folded in with
/// `acc = f(acc, v, blk)`. `step(k)` runs before step `k`. Returns the elements done.
#[inline]
#[target_feature(enable = "avx512f")]
fn pair_pass(
    a: &[f32],
    b: &[f32],
    la: &mut [f64; LANES],
    lb: &mut [f64; LANES],
    mut step: impl FnMut(usize),
    f: impl Fn(__m512d, __m512d, usize) -> __m512d,
) -> usize {
    let n = a.len().min(b.len()) / 16 * 16;
    let (la0, la1) = la.split_at_mut(8);
    let (lb0, lb1) = lb.split_at_mut(8);
    let mut halves = [la0, la1, lb0, lb1];
    // SAFETY: each lane half holds 8 f64; every chunk holds 16 f32.
    unsafe {
        let mut acc: [__m512d; 4] = std::array::from_fn(|k| _mm512_loadu_pd(halves[k].as_ptr()));
        for (k, (ca, cb)) in a[..n]
            .chunks_exact(16)
            .zip(b[..n].chunks_exact(16))
            .enumerate()
        {
            step(k);
            let (a0, a1) = widen(_mm512_loadu_ps(ca.as_ptr()));
            let (b0, b1) = widen(_mm512_loadu_ps(cb.as_ptr()));
            acc[0] = f(acc[0], a0, 0);
            acc[1] = f(acc[1], a1, 0);
            acc[2] = f(acc[2], b0, 1);
            acc[3] = f(acc[3], b1, 1);
        }
        for (l, v) in halves.iter_mut().zip(acc) {
            _mm512_storeu_pd(l.as_mut_ptr(), v);
        }
    }
    n
}

/// [`sum_body`] of two blocks at once; each block's lanes get exactly what `sum_body` would
/// add. Prefetches `next` (two lines per step, a hint only) so memory stays busy while the
/// caller's second pass works from cache.
#[target_feature(enable = "avx512f")]
pub(crate) fn sum_pair_body(
    a: &[f32],
    b: &[f32],
    next: &[f32],
    la: &mut [f64; LANES],
    lb: &mut [f64; LANES],
) -> usize {
    let prefetch = |k: usize| {
        // Two 64-byte lines of `next` per step: a whole block pair over one pass.
        for line in [32 * k, 32 * k + 16] {
            if line < next.len() {
                // SAFETY: `line` is inside `next`.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(next.as_ptr().add(line).cast()) };
            }
        }
    };
    pair_pass(a, b, la, lb, prefetch, |acc, v, _| _mm512_add_pd(acc, v))
}

/// [`sqdev_body`] of two blocks at once, block `a` about `ma` and block `b` about `mb`.
#[target_feature(enable = "avx512f")]
pub(crate) fn sqdev_pair_body(
    a: &[f32],
    b: &[f32],
    ma: f64,
    mb: f64,
    la: &mut [f64; LANES],
    lb: &mut [f64; LANES],
) -> usize {
    let m = [_mm512_set1_pd(ma), _mm512_set1_pd(mb)];
    pair_pass(
        a,
        b,
        la,
        lb,
        |_| {},
        |acc, v, blk| add_sqdev(acc, v, m[blk]),
    )
}

/// One loop doing both halves of two neighbouring pairs' statistics: the sums of the fresh
/// blocks `a` and `b` (exactly [`sum_pair_body`]'s adds, without its prefetch) and the
/// squared deviations of the previous pair `c` and `d` about `mc` and `md` (exactly
/// [`sqdev_pair_body`]'s), 16 floats of each block per step. The fresh blocks' loads, which
/// come from memory, then overlap the previous pair's arithmetic, which reads L1; run one
/// after the other the two passes left the core idle while the loads waited. All four blocks
/// have the same length; returns the elements done per block.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
pub(crate) fn sum_sqdev_pairs_body(
    a: &[f32],
    b: &[f32],
    la: &mut [f64; LANES],
    lb: &mut [f64; LANES],
    c: &[f32],
    d: &[f32],
    mc: f64,
    md: f64,
    lc: &mut [f64; LANES],
    ld: &mut [f64; LANES],
) -> usize {
    let n = a.len().min(b.len()).min(c.len()).min(d.len()) / 16 * 16;
    let m = [_mm512_set1_pd(mc), _mm512_set1_pd(md)];
    let (la0, la1) = la.split_at_mut(8);
    let (lb0, lb1) = lb.split_at_mut(8);
    let (lc0, lc1) = lc.split_at_mut(8);
    let (ld0, ld1) = ld.split_at_mut(8);
    let mut sums = [la0, la1, lb0, lb1];
    let mut sqs = [lc0, lc1, ld0, ld1];
    let (pa, pb, pc, pd) = (a.as_ptr(), b.as_ptr(), c.as_ptr(), d.as_ptr());
    // SAFETY: each lane half holds 8 f64; `i + 16 <= n` on all four blocks.
    unsafe {
        let mut s: [__m512d; 4] = std::array::from_fn(|k| _mm512_loadu_pd(sums[k].as_ptr()));
        let mut q: [__m512d; 4] = std::array::from_fn(|k| _mm512_loadu_pd(sqs[k].as_ptr()));
        let mut i = 0;
        while i < n {
            let (a0, a1) = widen(_mm512_loadu_ps(pa.add(i)));
            let (b0, b1) = widen(_mm512_loadu_ps(pb.add(i)));
            s[0] = _mm512_add_pd(s[0], a0);
            s[1] = _mm512_add_pd(s[1], a1);
            s[2] = _mm512_add_pd(s[2], b0);
            s[3] = _mm512_add_pd(s[3], b1);
            let (c0, c1) = widen(_mm512_loadu_ps(pc.add(i)));
            let (d0, d1) = widen(_mm512_loadu_ps(pd.add(i)));
            q[0] = add_sqdev(q[0], c0, m[0]);
            q[1] = add_sqdev(q[1], c1, m[0]);
            q[2] = add_sqdev(q[2], d0, m[1]);
            q[3] = add_sqdev(q[3], d1, m[1]);
            i += 16;
        }
        for (l, v) in sums.iter_mut().zip(s) {
            _mm512_storeu_pd(l.as_mut_ptr(), v);
        }
        for (l, v) in sqs.iter_mut().zip(q) {
            _mm512_storeu_pd(l.as_mut_ptr(), v);
        }
    }
    n
}
