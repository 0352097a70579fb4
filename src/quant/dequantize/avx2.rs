//! AVX2 dequantize: 32 bytes per step, widened to i32, `(q - zp)` converted exactly to
//! f32, times scale: the same operations as `scalar.rs`. Large outputs use streaming stores.

use crate::cpu::{f32_steps, Store};
use crate::quant::params::QDtype;
use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn eight<const SIGNED: bool>(p: *const u8, s: __m256, z: __m256i) -> __m256 {
    let b = _mm_loadl_epi64(p.cast());
    let w = if SIGNED {
        _mm256_cvtepi8_epi32(b)
    } else {
        _mm256_cvtepu8_epi32(b)
    };
    _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(w, z)), s)
}

#[target_feature(enable = "avx2")]
unsafe fn run<const SIGNED: bool>(
    q: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    store: Store,
) -> usize {
    let n = q.len().min(out.len());
    let (s, z) = (_mm256_set1_ps(scale), _mm256_set1_epi32(zp));
    let qp = q.as_ptr();
    // SAFETY: `step(i)` has i + 32 <= n <= q.len().
    unsafe {
        f32_steps::avx2(&mut out[..n], store, |i| {
            std::array::from_fn(|k| eight::<SIGNED>(qp.add(i + 8 * k), s, z))
        })
    }
}

/// Dequantizes the largest multiple of 32 elements, or all of them with
/// `Store::Streaming` (see `cpu::for_each_step`); returns how many were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn dequantize(
    q: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    dtype: QDtype,
    store: Store,
) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(q, out, scale, zp, store),
        QDtype::U8 => run::<false>(q, out, scale, zp, store),
    }
}

#[target_feature(enable = "avx2")]
unsafe fn run_pe<const SIGNED: bool>(
    q: &[u8],
    out: &mut [f32],
    scales: &[f32],
    zps: &[i32],
) -> usize {
    let n = q.len().min(out.len()).min(scales.len()).min(zps.len()) / 8 * 8;
    let (qp, op, sp, zpp) = (q.as_ptr(), out.as_mut_ptr(), scales.as_ptr(), zps.as_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 8 <= n <= every length.
        let z = _mm256_loadu_si256(zpp.add(i).cast());
        let v = eight::<SIGNED>(qp.add(i), _mm256_loadu_ps(sp.add(i)), z);
        _mm256_storeu_ps(op.add(i), v);
        i += 8;
    }
    n
}

/// Per-element parameters; the largest multiple of 8 elements; returns how many were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
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

/// int4 / uint4 from packed nibbles (element `2i` in the low nibble of byte `i`), fused:
/// 16 packed bytes per step split into 32 codes, sign-extended for int4 by
/// `(c ^ 8) - 8`, then `run`'s arithmetic. Does an even number of elements: all of
/// `min(2 * packed.len(), out.len())` rounded down to even with `Store::Streaming` when the
/// output's alignment allows whole-byte steps, else whole steps of 32.
#[target_feature(enable = "avx2")]
unsafe fn run_nibbles<const SIGNED: bool>(
    packed: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    store: Store,
) -> usize {
    let n = packed.len().saturating_mul(2).min(out.len()) & !1;
    let (s, z) = (_mm256_set1_ps(scale), _mm256_set1_epi32(zp));
    let pp = packed.as_ptr();
    // Every step must start on an even element (a whole packed byte). Streamed steps start
    // at the first 32-byte aligned element, so stream only when that is even; the head
    // step (0), the tail step (n - 32, n even) and cached steps (multiples of 32) are even.
    let store = match out.as_ptr().align_offset(32) {
        a if a % 2 == 0 => store,
        _ => Store::Cached,
    };
    let (low, eight_) = (_mm_set1_epi8(0x0f), _mm_set1_epi8(8));
    // SAFETY: `step(i)` has an even i with i + 32 <= n, so the 16 bytes from i / 2 are
    // inside `packed`.
    unsafe {
        f32_steps::avx2(&mut out[..n], store, |i| {
            let b = _mm_loadu_si128(pp.add(i / 2).cast());
            let lo = _mm_and_si128(b, low);
            let hi = _mm_and_si128(_mm_srli_epi16::<4>(b), low);
            let codes = [_mm_unpacklo_epi8(lo, hi), _mm_unpackhi_epi8(lo, hi)].map(|c| {
                if SIGNED {
                    _mm_sub_epi8(_mm_xor_si128(c, eight_), eight_)
                } else {
                    c
                }
            });
            std::array::from_fn(|k| {
                let c = codes[k / 2];
                let c = if k % 2 == 0 {
                    c
                } else {
                    _mm_srli_si128::<8>(c)
                };
                let w = if SIGNED {
                    _mm256_cvtepi8_epi32(c)
                } else {
                    _mm256_cvtepu8_epi32(c)
                };
                _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(w, z)), s)
            })
        })
    }
}

/// Dequantizes packed int4 (`signed`) or uint4 codes; returns how many elements were done
/// (even; see `run_nibbles`).
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn dequantize_nibbles(
    packed: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    signed: bool,
    store: Store,
) -> usize {
    if signed {
        run_nibbles::<true>(packed, out, scale, zp, store)
    } else {
        run_nibbles::<false>(packed, out, scale, zp, store)
    }
}
