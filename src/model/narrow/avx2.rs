//! AVX2 f32 -> f16 / bf16, 16 elements per step. f16 uses the F16C `vcvtps2ph` with
//! round-to-nearest-even, which equals `scalar.rs` for every input except NaN (it sets the
//! quiet bit, numpy does not); a step holding a NaN is redone by the scalar kernel. bf16 is
//! the integer formulation of `scalar.rs` on eight lanes, packed to 16 bits.

use crate::cpu::{for_each_step, Store};
use std::arch::x86_64::*;

/// RNE, regardless of MXCSR (imm bit 2 clear).
const RNE: i32 = _MM_FROUND_TO_NEAREST_INT;

#[inline]
#[target_feature(enable = "avx2")]
fn bf16_lanes(v: __m256) -> __m256i {
    let b = _mm256_castps_si256(v);
    let odd = _mm256_and_si256(_mm256_srli_epi32::<16>(b), _mm256_set1_epi32(1));
    let r = _mm256_srli_epi32::<16>(_mm256_add_epi32(
        _mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)),
        odd,
    ));
    let a = _mm256_and_si256(b, _mm256_set1_epi32(0x7fff_ffff));
    let is_nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7f80_0000));
    let nan = _mm256_or_si256(
        _mm256_srli_epi32::<16>(_mm256_and_si256(b, _mm256_set1_epi32(i32::MIN))),
        _mm256_set1_epi32(0x7fc0),
    );
    _mm256_blendv_epi8(r, nan, is_nan)
}

/// Writes 16 results (32 bytes) at `o`, streamed when `aligned`.
///
/// # Safety
/// `o` must have 16 writable elements, 32-byte aligned when `aligned`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn put(o: *mut u16, v: __m256i, aligned: bool) {
    // SAFETY: the caller's contract.
    unsafe {
        if aligned {
            _mm256_stream_si256(o.cast(), v);
        } else {
            _mm256_storeu_si256(o.cast(), v);
        }
    }
}

#[target_feature(enable = "avx2,f16c")]
fn run<const BF: bool>(x: &[f32], out: &mut [u16], store: Store) -> usize {
    let n = x.len().min(out.len());
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(32));
    let done = for_each_step(n, 16, aligned_from, |i, aligned| {
        // SAFETY: `for_each_step` gives i + 16 <= n <= both lengths; `aligned` steps start
        // on a 32-byte boundary.
        unsafe {
            let a = _mm256_loadu_ps(xp.add(i));
            let b = _mm256_loadu_ps(xp.add(i + 8));
            if BF {
                // packus works per 128-bit lane: a0 b0 a1 b1 -> a0 a1 b0 b1.
                let p = _mm256_packus_epi32(bf16_lanes(a), bf16_lanes(b));
                put(
                    op.add(i),
                    _mm256_permute4x64_epi64::<0b11_01_10_00>(p),
                    aligned,
                );
                return;
            }
            let nan = _mm256_or_ps(
                _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a),
                _mm256_cmp_ps::<_CMP_UNORD_Q>(b, b),
            );
            if _mm256_movemask_ps(nan) != 0 {
                // Ordinary stores to a line no streamed store touches (see `for_each_step`).
                let o = std::slice::from_raw_parts_mut(op.add(i), 16);
                super::scalar::f16(std::slice::from_raw_parts(xp.add(i), 16), o);
                return;
            }
            let h = _mm256_setr_m128i(_mm256_cvtps_ph::<RNE>(a), _mm256_cvtps_ph::<RNE>(b));
            put(op.add(i), h, aligned);
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// Converts to f16 the largest multiple of 16 elements, or all of them with
/// `Store::Streaming` (see `cpu::for_each_step`); returns how many were done.
///
/// # Safety
/// The CPU must support AVX2 and F16C.
#[target_feature(enable = "avx2,f16c")]
pub unsafe fn f16(x: &[f32], out: &mut [u16], store: Store) -> usize {
    run::<false>(x, out, store)
}

/// Converts to bf16 like [`f16`].
///
/// # Safety
/// The CPU must support AVX2 and F16C (every AVX2 CPU scipix dispatches to has it; the
/// dispatcher checks).
#[target_feature(enable = "avx2,f16c")]
pub unsafe fn bf16(x: &[f32], out: &mut [u16], store: Store) -> usize {
    run::<true>(x, out, store)
}
