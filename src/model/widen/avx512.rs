//! AVX-512 widening, 64 values per step: `vcvtph2ps` on 16 lanes (IEEE conversion, NaNs
//! quieted as in `scalar.rs`); bf16 a zero-extension and a 16-bit shift. Large outputs use
//! streaming stores (`cpu::for_each_step`).

use crate::cpu::{f32_steps, Store};
use std::arch::x86_64::*;

/// Runs `sixteen` (16 values from 32 source bytes at a pointer) over 64 values per step.
///
/// # Safety
/// `src` must hold `2 * out.len()` readable bytes; AVX-512 F must be available.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn run(
    src: *const u8,
    out: &mut [f32],
    store: Store,
    sixteen: impl Fn(*const u8) -> __m512,
) -> usize {
    // SAFETY: `step(i)` has i + 64 <= out.len(), so its 128 source bytes from 2i are inside
    // `src` (the caller's contract).
    unsafe {
        f32_steps::avx512(out, store, |i| {
            std::array::from_fn(|k| sixteen(src.add(2 * (i + 16 * k))))
        })
    }
}

/// f16 -> f32; returns how many were done.
///
/// # Safety
/// `src` must hold `2 * out.len()` readable bytes; AVX-512 F must be available.
#[target_feature(enable = "avx512f")]
pub unsafe fn f16(src: *const u8, out: &mut [f32], store: Store) -> usize {
    // SAFETY: the caller's contract; each load reads 32 bytes inside `src`.
    unsafe {
        run(src, out, store, |p| {
            _mm512_cvtph_ps(_mm256_loadu_si256(p.cast()))
        })
    }
}

/// bf16 -> f32; returns how many were done.
///
/// # Safety
/// `src` must hold `2 * out.len()` readable bytes; AVX-512 F must be available.
#[target_feature(enable = "avx512f")]
pub unsafe fn bf16(src: *const u8, out: &mut [f32], store: Store) -> usize {
    // SAFETY: as in `f16`.
    unsafe {
        run(src, out, store, |p| {
            let w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(p.cast()));
            _mm512_castsi512_ps(_mm512_slli_epi32::<16>(w))
        })
    }
}
