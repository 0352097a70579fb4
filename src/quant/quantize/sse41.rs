//! SSE4.1 quantize: 16 elements per step, same operations as `scalar.rs`
//! (`divps`, `maxps(y, lo)`, `minps(y, hi)`, round-half-even, add zp, saturating packs).

use crate::quant::params::QDtype;
use std::arch::x86_64::*;

const ROUND: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn one(v: __m128, s: __m128, lo: __m128, hi: __m128, zp: __m128i) -> __m128i {
    let y = _mm_div_ps(v, s);
    // maxps/minps return the second operand when the first is NaN, like the scalar `if`.
    let y = _mm_min_ps(_mm_max_ps(y, lo), hi);
    // Explicit rounding: independent of the caller's MXCSR rounding mode.
    _mm_add_epi32(_mm_cvtps_epi32(_mm_round_ps::<ROUND>(y)), zp)
}

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn pack<const SIGNED: bool>(a: __m128i, b: __m128i, c: __m128i, d: __m128i) -> __m128i {
    let w0 = _mm_packs_epi32(a, b);
    let w1 = _mm_packs_epi32(c, d);
    if SIGNED {
        _mm_packs_epi16(w0, w1)
    } else {
        _mm_packus_epi16(w0, w1)
    }
}

#[target_feature(enable = "sse4.1")]
unsafe fn run<const SIGNED: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()) / 16 * 16;
    let (lo, hi) = super::scalar::bounds(dtype, zp);
    let (s, lo, hi, z) = (
        _mm_set1_ps(scale),
        _mm_set1_ps(lo),
        _mm_set1_ps(hi),
        _mm_set1_epi32(zp),
    );
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= both lengths.
        let p = xp.add(i);
        let a = one(_mm_loadu_ps(p), s, lo, hi, z);
        let b = one(_mm_loadu_ps(p.add(4)), s, lo, hi, z);
        let c = one(_mm_loadu_ps(p.add(8)), s, lo, hi, z);
        let d = one(_mm_loadu_ps(p.add(12)), s, lo, hi, z);
        _mm_storeu_si128(op.add(i).cast(), pack::<SIGNED>(a, b, c, d));
        i += 16;
    }
    n
}

/// Quantizes the largest multiple of 16 elements; returns how many were done.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn quantize(x: &[f32], out: &mut [u8], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(x, out, scale, zp, dtype),
        QDtype::U8 => run::<false>(x, out, scale, zp, dtype),
    }
}

#[target_feature(enable = "sse4.1")]
unsafe fn run_pe<const SIGNED: bool>(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()).min(scales.len()).min(zps.len()) / 16 * 16;
    let (qmin, qmax) = dtype.range();
    let (qmin, qmax) = (_mm_set1_epi32(qmin), _mm_set1_epi32(qmax));
    let (xp, op, sp, zpp) = (x.as_ptr(), out.as_mut_ptr(), scales.as_ptr(), zps.as_ptr());
    let step = |k: usize| -> __m128i {
        // SAFETY: k + 4 <= n <= every length.
        let z = _mm_loadu_si128(zpp.add(k).cast());
        let lo = _mm_cvtepi32_ps(_mm_sub_epi32(qmin, z));
        let hi = _mm_cvtepi32_ps(_mm_sub_epi32(qmax, z));
        one(_mm_loadu_ps(xp.add(k)), _mm_loadu_ps(sp.add(k)), lo, hi, z)
    };
    let mut i = 0;
    while i < n {
        let (a, b, c, d) = (step(i), step(i + 4), step(i + 8), step(i + 12));
        _mm_storeu_si128(op.add(i).cast(), pack::<SIGNED>(a, b, c, d));
        i += 16;
    }
    n
}

/// Per-element parameters; the largest multiple of 16 elements; returns how many were done.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn quantize_per_elem(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    match dtype {
        QDtype::I8 => run_pe::<true>(x, out, scales, zps, dtype),
        QDtype::U8 => run_pe::<false>(x, out, scales, zps, dtype),
    }
}
