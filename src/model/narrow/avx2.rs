//! AVX2 f32 -> f16 / bf16, 16 elements per step. f16 uses the F16C `vcvtps2ph` with
//! round-to-nearest-even, which equals `scalar.rs` for every input except NaN (it sets the
//! quiet bit, numpy does not); a step holding a NaN is redone by the scalar kernel. bf16 is
//! the integer formulation of `scalar.rs` on eight lanes, packed to 16 bits.

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

/// Converts the largest multiple of 16 elements to f16; returns how many.
///
/// # Safety
/// The CPU must support AVX2 and F16C.
#[target_feature(enable = "avx2,f16c")]
pub unsafe fn f16(x: &[f32], out: &mut [u16]) -> usize {
    let n = x.len().min(out.len()) / 16 * 16;
    for (o, i) in out[..n].chunks_exact_mut(16).zip(x[..n].chunks_exact(16)) {
        // SAFETY: each chunk holds exactly 16 elements; loads and stores are unaligned.
        unsafe {
            let a = _mm256_loadu_ps(i.as_ptr());
            let b = _mm256_loadu_ps(i.as_ptr().add(8));
            let nan = _mm256_or_ps(
                _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a),
                _mm256_cmp_ps::<_CMP_UNORD_Q>(b, b),
            );
            if _mm256_movemask_ps(nan) != 0 {
                super::scalar::f16(i, o);
                continue;
            }
            let h = _mm256_setr_m128i(_mm256_cvtps_ph::<RNE>(a), _mm256_cvtps_ph::<RNE>(b));
            _mm256_storeu_si256(o.as_mut_ptr().cast(), h);
        }
    }
    n
}

/// Converts the largest multiple of 16 elements to bf16; returns how many.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn bf16(x: &[f32], out: &mut [u16]) -> usize {
    let n = x.len().min(out.len()) / 16 * 16;
    for (o, i) in out[..n].chunks_exact_mut(16).zip(x[..n].chunks_exact(16)) {
        // SAFETY: each chunk holds exactly 16 elements; loads and stores are unaligned.
        unsafe {
            let a = bf16_lanes(_mm256_loadu_ps(i.as_ptr()));
            let b = bf16_lanes(_mm256_loadu_ps(i.as_ptr().add(8)));
            // packus works per 128-bit lane: a0 b0 a1 b1 -> a0 a1 b0 b1.
            let p = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi32(a, b));
            _mm256_storeu_si256(o.as_mut_ptr().cast(), p);
        }
    }
    n
}
