//! AVX2 quantize: 32 elements per step, same operations as `scalar.rs`
//! (`vdivps`, `vmaxps(y, lo)`, `vminps(y, hi)`, round-half-even, add zp, saturating packs,
//! then a lane fix-up so bytes land in input order).

use crate::quant::params::QDtype;
use std::arch::x86_64::*;

const ROUND: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn one(v: __m256, s: __m256, lo: __m256, hi: __m256, zp: __m256i) -> __m256i {
    let y = _mm256_div_ps(v, s);
    // vmaxps/vminps return the second operand when the first is NaN, like the scalar `if`.
    let y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);
    _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_round_ps::<ROUND>(y)), zp)
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn pack<const SIGNED: bool>(a: __m256i, b: __m256i, c: __m256i, d: __m256i) -> __m256i {
    // packs work per 128-bit lane: dwords come out as a0 b0 c0 d0 | a1 b1 c1 d1.
    let w0 = _mm256_packs_epi32(a, b);
    let w1 = _mm256_packs_epi32(c, d);
    let bytes = if SIGNED {
        _mm256_packs_epi16(w0, w1)
    } else {
        _mm256_packus_epi16(w0, w1)
    };
    _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

#[target_feature(enable = "avx2")]
unsafe fn run<const SIGNED: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()) / 32 * 32;
    let (lo, hi) = super::scalar::bounds(dtype, zp);
    let (s, lo, hi, z) = (
        _mm256_set1_ps(scale),
        _mm256_set1_ps(lo),
        _mm256_set1_ps(hi),
        _mm256_set1_epi32(zp),
    );
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 32 <= n <= both lengths.
        let p = xp.add(i);
        let a = one(_mm256_loadu_ps(p), s, lo, hi, z);
        let b = one(_mm256_loadu_ps(p.add(8)), s, lo, hi, z);
        let c = one(_mm256_loadu_ps(p.add(16)), s, lo, hi, z);
        let d = one(_mm256_loadu_ps(p.add(24)), s, lo, hi, z);
        _mm256_storeu_si256(op.add(i).cast(), pack::<SIGNED>(a, b, c, d));
        i += 32;
    }
    n
}

/// Quantizes the largest multiple of 32 elements; returns how many were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn quantize(x: &[f32], out: &mut [u8], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(x, out, scale, zp, dtype),
        QDtype::U8 => run::<false>(x, out, scale, zp, dtype),
    }
}

#[target_feature(enable = "avx2")]
unsafe fn run_pe<const SIGNED: bool>(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()).min(scales.len()).min(zps.len()) / 32 * 32;
    let (qmin, qmax) = dtype.range();
    let (qmin, qmax) = (_mm256_set1_epi32(qmin), _mm256_set1_epi32(qmax));
    let (xp, op, sp, zpp) = (x.as_ptr(), out.as_mut_ptr(), scales.as_ptr(), zps.as_ptr());
    let step = |k: usize| -> __m256i {
        // SAFETY: k + 8 <= n <= every length.
        let z = _mm256_loadu_si256(zpp.add(k).cast());
        let lo = _mm256_cvtepi32_ps(_mm256_sub_epi32(qmin, z));
        let hi = _mm256_cvtepi32_ps(_mm256_sub_epi32(qmax, z));
        one(
            _mm256_loadu_ps(xp.add(k)),
            _mm256_loadu_ps(sp.add(k)),
            lo,
            hi,
            z,
        )
    };
    let mut i = 0;
    while i < n {
        let (a, b, c, d) = (step(i), step(i + 8), step(i + 16), step(i + 24));
        _mm256_storeu_si256(op.add(i).cast(), pack::<SIGNED>(a, b, c, d));
        i += 32;
    }
    n
}

/// Per-element parameters; the largest multiple of 32 elements; returns how many were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
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
