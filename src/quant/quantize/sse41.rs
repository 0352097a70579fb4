//! SSE4.1 quantize: 16 elements per step, equal to `scalar.rs` (`divps`, round-half-even,
//! clamp with `maxps(y, lo)` / `minps(y, hi)`, add zp, saturating packs). Per-tensor steps
//! first try `x * (1 / scale)` and keep it only when provably equal
//! (`scalar::FAST_LIMIT`); otherwise they divide.

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

/// `round(y)` for four vectors, by the reciprocal fast path when it is provably exact for
/// every lane (see `scalar::FAST_LIMIT`), else by division. NaN and infinities need no
/// division: they give the same NaN/inf either way and `fin` maps them like the spec.
#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn rounded4<const FAST: bool>(v: [__m128; 4], s: __m128, inv: __m128) -> [__m128; 4] {
    if FAST {
        let abs = _mm_set1_epi32(0x7fff_ffff);
        let mut r = [_mm_setzero_ps(); 4];
        let mut dmax = _mm_setzero_si128();
        for k in 0..4 {
            let y = _mm_mul_ps(v[k], inv);
            r[k] = _mm_round_ps::<ROUND>(y);
            // |y - round(y)| as bits: integer order is float order for non-negative
            // floats, and NaN sorts above everything (so it is sent to the division).
            let d = _mm_and_si128(_mm_castps_si128(_mm_sub_ps(y, r[k])), abs);
            dmax = _mm_max_epi32(dmax, d);
        }
        let limit = _mm_set1_epi32(super::scalar::FAST_LIMIT.to_bits() as i32 - 1);
        let bad = _mm_cmpgt_epi32(dmax, limit);
        if _mm_testz_si128(bad, bad) != 0 {
            return r;
        }
    }
    v.map(|x| _mm_round_ps::<ROUND>(_mm_div_ps(x, s)))
}

#[target_feature(enable = "sse4.1")]
unsafe fn run<const SIGNED: bool, const FAST: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()) / 16 * 16;
    let qmax = dtype.range().1;
    let (s, inv, qmax, zpf) = (
        _mm_set1_ps(scale),
        _mm_set1_ps(1.0 / scale),
        _mm_set1_ps(qmax as f32),
        _mm_set1_ps(zp as f32),
    );
    // From r = round(y): r + zp is exact for |r| < 2^24 (and beyond that it saturates
    // either way); minps(qmax, t) returns t when t is NaN; cvtps2dq turns NaN, -inf and
    // values below -2^31 into i32::MIN; the saturating packs then clamp at qmin. So this
    // equals round(clamp(y)) + zp of the spec, NaN -> qmin included.
    let fin = |r: __m128| _mm_cvtps_epi32(_mm_min_ps(qmax, _mm_add_ps(r, zpf)));
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= both lengths.
        let p = xp.add(i);
        let v = [
            _mm_loadu_ps(p),
            _mm_loadu_ps(p.add(4)),
            _mm_loadu_ps(p.add(8)),
            _mm_loadu_ps(p.add(12)),
        ];
        let r = rounded4::<FAST>(v, s, inv);
        _mm_storeu_si128(
            op.add(i).cast(),
            pack::<SIGNED>(fin(r[0]), fin(r[1]), fin(r[2]), fin(r[3])),
        );
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
    let fast = super::scalar::fast_path_allowed(scale);
    match (dtype, fast) {
        (QDtype::I8, true) => run::<true, true>(x, out, scale, zp, dtype),
        (QDtype::I8, false) => run::<true, false>(x, out, scale, zp, dtype),
        (QDtype::U8, true) => run::<false, true>(x, out, scale, zp, dtype),
        (QDtype::U8, false) => run::<false, false>(x, out, scale, zp, dtype),
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
