//! AVX2 (+ F16C for f16) widening, 32 values per step: `vcvtph2ps` on 8 lanes, which is
//! IEEE conversion and quiets NaNs exactly as `scalar.rs` does; bf16 is a zero-extension
//! and a 16-bit shift. Large outputs use streaming stores (`cpu::for_each_step`).

use crate::cpu::{f32_steps, Store};
use std::arch::x86_64::*;

/// Runs `eight` (8 values from 16 source bytes at a pointer) over 32 values per step.
///
/// # Safety
/// `src` must hold `2 * out.len()` readable bytes; AVX2 must be available.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn run(
    src: *const u8,
    out: &mut [f32],
    store: Store,
    eight: impl Fn(*const u8) -> __m256,
) -> usize {
    // SAFETY: `step(i)` has i + 32 <= out.len(), so its 64 source bytes from 2i are inside
    // `src` (the caller's contract).
    unsafe {
        f32_steps::avx2(out, store, |i| {
            std::array::from_fn(|k| eight(src.add(2 * (i + 8 * k))))
        })
    }
}

/// f16 -> f32; returns how many were done.
///
/// # Safety
/// `src` must hold `2 * out.len()` readable bytes; AVX2 and F16C must be available.
#[target_feature(enable = "avx2,f16c")]
pub unsafe fn f16(src: *const u8, out: &mut [f32], store: Store) -> usize {
    // SAFETY: the caller's contract; each load reads 16 bytes inside `src`.
    unsafe {
        run(src, out, store, |p| {
            _mm256_cvtph_ps(_mm_loadu_si128(p.cast()))
        })
    }
}

/// bf16 -> f32; returns how many were done.
///
/// # Safety
/// `src` must hold `2 * out.len()` readable bytes; AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn bf16(src: *const u8, out: &mut [f32], store: Store) -> usize {
    // SAFETY: as in `f16`.
    unsafe {
        run(src, out, store, |p| {
            let w = _mm256_cvtepu16_epi32(_mm_loadu_si128(p.cast()));
            _mm256_castsi256_ps(_mm256_slli_epi32::<16>(w))
        })
    }
}
