//! SSE4.1 f32 -> f16 / bf16: 8 elements per step, the integer formulation of `scalar.rs`
//! on four lanes at a time (selects for the NaN, inf, subnormal and normal cases), then an
//! unsigned saturating pack of the 16-bit codes (which never saturates: every code fits).

use super::scalar::{F16_REBIAS, F16_SUB_MAGIC};
use std::arch::x86_64::*;

/// f16 codes of four f32 lanes, in the low 16 bits of each 32-bit lane.
#[inline]
#[target_feature(enable = "sse4.1")]
pub(super) fn f16_lanes(v: __m128) -> __m128i {
    let b = _mm_castps_si128(v);
    let sign = _mm_srli_epi32::<16>(_mm_and_si128(b, _mm_set1_epi32(i32::MIN)));
    let a = _mm_and_si128(b, _mm_set1_epi32(0x7fff_ffff));
    let magic = _mm_set1_epi32(F16_SUB_MAGIC as i32);
    let sub = _mm_sub_epi32(
        _mm_castps_si128(_mm_add_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(magic))),
        magic,
    );
    let odd = _mm_and_si128(_mm_srli_epi32::<13>(a), _mm_set1_epi32(1));
    let bias = _mm_set1_epi32(0x0fff - F16_REBIAS as i32);
    let norm = _mm_srli_epi32::<13>(_mm_add_epi32(_mm_add_epi32(a, bias), odd));
    let m = _mm_srli_epi32::<13>(_mm_and_si128(a, _mm_set1_epi32(0x007f_ffff)));
    let inf = _mm_set1_epi32(0x7c00);
    let nan = _mm_or_si128(
        _mm_or_si128(inf, m),
        _mm_and_si128(_mm_cmpeq_epi32(m, _mm_setzero_si128()), _mm_set1_epi32(1)),
    );
    // Signed compares are fine: `a` is non-negative.
    let is_sub = _mm_cmplt_epi32(a, _mm_set1_epi32(0x3880_0000));
    let is_inf = _mm_cmpgt_epi32(a, _mm_set1_epi32(0x477f_ffff));
    let is_nan = _mm_cmpgt_epi32(a, _mm_set1_epi32(0x7f80_0000));
    let r = _mm_blendv_epi8(norm, sub, is_sub);
    let r = _mm_blendv_epi8(r, inf, is_inf);
    let r = _mm_blendv_epi8(r, nan, is_nan);
    _mm_or_si128(r, sign)
}

/// bf16 codes of four f32 lanes, in the low 16 bits of each 32-bit lane.
#[inline]
#[target_feature(enable = "sse4.1")]
pub(super) fn bf16_lanes(v: __m128) -> __m128i {
    let b = _mm_castps_si128(v);
    let odd = _mm_and_si128(_mm_srli_epi32::<16>(b), _mm_set1_epi32(1));
    let r = _mm_srli_epi32::<16>(_mm_add_epi32(_mm_add_epi32(b, _mm_set1_epi32(0x7fff)), odd));
    let a = _mm_and_si128(b, _mm_set1_epi32(0x7fff_ffff));
    let is_nan = _mm_cmpgt_epi32(a, _mm_set1_epi32(0x7f80_0000));
    let nan = _mm_or_si128(
        _mm_srli_epi32::<16>(_mm_and_si128(b, _mm_set1_epi32(i32::MIN))),
        _mm_set1_epi32(0x7fc0),
    );
    _mm_blendv_epi8(r, nan, is_nan)
}

#[inline]
#[target_feature(enable = "sse4.1")]
fn run<const BF: bool>(x: &[f32], out: &mut [u16]) -> usize {
    let lanes = |v| if BF { bf16_lanes(v) } else { f16_lanes(v) };
    let n = x.len().min(out.len()) / 8 * 8;
    for (o, i) in out[..n].chunks_exact_mut(8).zip(x[..n].chunks_exact(8)) {
        // SAFETY: each chunk holds exactly 8 elements; loads and stores are unaligned.
        unsafe {
            let a = lanes(_mm_loadu_ps(i.as_ptr()));
            let b = lanes(_mm_loadu_ps(i.as_ptr().add(4)));
            _mm_storeu_si128(o.as_mut_ptr().cast(), _mm_packus_epi32(a, b));
        }
    }
    n
}

/// Converts the largest multiple of 8 elements to f16; returns how many.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn f16(x: &[f32], out: &mut [u16]) -> usize {
    run::<false>(x, out)
}

/// Converts the largest multiple of 8 elements to bf16; returns how many.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn bf16(x: &[f32], out: &mut [u16]) -> usize {
    run::<true>(x, out)
}
