//! AVX-512 widening, 64 values per step: `vcvtph2ps` on 16 lanes (IEEE conversion, NaNs
//! quieted as in `scalar.rs`); bf16 a zero-extension and a 16-bit shift. Large outputs use
//! streaming stores (`cpu::for_each_step`).

use crate::cpu::{for_each_step, Store};
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
    let n = out.len();
    let op = out.as_mut_ptr();
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(64));
    let done = for_each_step(n, 64, aligned_from, |i, aligned| {
        // SAFETY: i + 64 <= n, so 128 source bytes from 2i and 64 floats from i are inside
        // the buffers; `aligned` steps start on a 64-byte boundary.
        unsafe {
            for k in 0..4 {
                let v = sixteen(src.add(2 * (i + 16 * k)));
                let o = op.add(i + 16 * k);
                if aligned {
                    _mm512_stream_ps(o, v);
                } else {
                    _mm512_storeu_ps(o, v);
                }
            }
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
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
