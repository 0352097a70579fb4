//! SSE4.1 dequantize: 16 bytes per step, widened to i32, `(q - zp)` converted exactly to
//! f32, times scale: the same operations as `scalar.rs`.

use crate::quant::params::QDtype;
use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn widen<const SIGNED: bool>(b: __m128i) -> __m128i {
    if SIGNED {
        _mm_cvtepi8_epi32(b)
    } else {
        _mm_cvtepu8_epi32(b)
    }
}

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn four<const SIGNED: bool>(b: __m128i, s: __m128, z: __m128i) -> __m128 {
    _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(widen::<SIGNED>(b), z)), s)
}

#[target_feature(enable = "sse4.1")]
unsafe fn run<const SIGNED: bool>(q: &[u8], out: &mut [f32], scale: f32, zp: i32) -> usize {
    let n = q.len().min(out.len()) / 16 * 16;
    let (s, z) = (_mm_set1_ps(scale), _mm_set1_epi32(zp));
    let (qp, op) = (q.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= both lengths.
        let b = _mm_loadu_si128(qp.add(i).cast());
        let o = op.add(i);
        _mm_storeu_ps(o, four::<SIGNED>(b, s, z));
        _mm_storeu_ps(o.add(4), four::<SIGNED>(_mm_srli_si128::<4>(b), s, z));
        _mm_storeu_ps(o.add(8), four::<SIGNED>(_mm_srli_si128::<8>(b), s, z));
        _mm_storeu_ps(o.add(12), four::<SIGNED>(_mm_srli_si128::<12>(b), s, z));
        i += 16;
    }
    n
}

/// Dequantizes the largest multiple of 16 elements; returns how many were done.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn dequantize(q: &[u8], out: &mut [f32], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(q, out, scale, zp),
        QDtype::U8 => run::<false>(q, out, scale, zp),
    }
}

#[target_feature(enable = "sse4.1")]
unsafe fn run_pe<const SIGNED: bool>(
    q: &[u8],
    out: &mut [f32],
    scales: &[f32],
    zps: &[i32],
) -> usize {
    let n = q.len().min(out.len()).min(scales.len()).min(zps.len()) / 4 * 4;
    let (qp, op, sp, zpp) = (q.as_ptr(), out.as_mut_ptr(), scales.as_ptr(), zps.as_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 4 <= n <= every length; the 4-byte load stays inside `q`.
        let b = _mm_cvtsi32_si128(qp.add(i).cast::<i32>().read_unaligned());
        let v = four::<SIGNED>(
            b,
            _mm_loadu_ps(sp.add(i)),
            _mm_loadu_si128(zpp.add(i).cast()),
        );
        _mm_storeu_ps(op.add(i), v);
        i += 4;
    }
    n
}

/// Per-element parameters; the largest multiple of 4 elements; returns how many were done.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn dequantize_per_elem(
    q: &[u8],
    out: &mut [f32],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    match dtype {
        QDtype::I8 => run_pe::<true>(q, out, scales, zps),
        QDtype::U8 => run_pe::<false>(q, out, scales, zps),
    }
}
