//! AVX-512 f32 -> f16 / bf16, 32 elements per step. f16 uses `vcvtps2ph` on 16 lanes with
//! round-to-nearest-even, equal to `scalar.rs` except for NaN (quiet bit set), so a step
//! holding a NaN is redone by the scalar kernel. bf16 is the integer formulation of
//! `scalar.rs` narrowed with `vpmovdw`: AVX512_BF16's `vcvtneps2bf16` is not used because
//! it treats subnormal inputs as zero (ml_dtypes rounds them: 0x007fffff gives 0x0080, the
//! instruction 0x0000) and keeps NaN payloads (ml_dtypes gives 0x7fc0), and the integer
//! path is as fast at memory speed (see benches/convert.rs).

use std::arch::x86_64::*;

const RNE: i32 = _MM_FROUND_TO_NEAREST_INT;

#[inline]
#[target_feature(enable = "avx512f")]
fn bf16_lanes(v: __m512) -> __m256i {
    let b = _mm512_castps_si512(v);
    let odd = _mm512_and_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(1));
    let r = _mm512_srli_epi32::<16>(_mm512_add_epi32(
        _mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)),
        odd,
    ));
    let a = _mm512_and_si512(b, _mm512_set1_epi32(0x7fff_ffff));
    let is_nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7f80_0000));
    let nan = _mm512_or_si512(
        _mm512_srli_epi32::<16>(_mm512_and_si512(b, _mm512_set1_epi32(i32::MIN))),
        _mm512_set1_epi32(0x7fc0),
    );
    _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(is_nan, r, nan))
}

/// Converts the largest multiple of 32 elements to f16; returns how many.
///
/// # Safety
/// The CPU must support AVX-512 F.
#[target_feature(enable = "avx512f")]
pub unsafe fn f16(x: &[f32], out: &mut [u16]) -> usize {
    let n = x.len().min(out.len()) / 32 * 32;
    for (o, i) in out[..n].chunks_exact_mut(32).zip(x[..n].chunks_exact(32)) {
        // SAFETY: each chunk holds exactly 32 elements; loads and stores are unaligned.
        unsafe {
            let a = _mm512_loadu_ps(i.as_ptr());
            let b = _mm512_loadu_ps(i.as_ptr().add(16));
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a)
                | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(b, b);
            if nan != 0 {
                super::scalar::f16(i, o);
                continue;
            }
            let p = o.as_mut_ptr().cast::<__m256i>();
            _mm256_storeu_si256(p, _mm512_cvtps_ph::<RNE>(a));
            _mm256_storeu_si256(p.add(1), _mm512_cvtps_ph::<RNE>(b));
        }
    }
    n
}

/// Converts the largest multiple of 32 elements to bf16; returns how many.
///
/// # Safety
/// The CPU must support AVX-512 F.
#[target_feature(enable = "avx512f")]
pub unsafe fn bf16(x: &[f32], out: &mut [u16]) -> usize {
    let n = x.len().min(out.len()) / 32 * 32;
    for (o, i) in out[..n].chunks_exact_mut(32).zip(x[..n].chunks_exact(32)) {
        // SAFETY: each chunk holds exactly 32 elements; loads and stores are unaligned.
        unsafe {
            let p = o.as_mut_ptr().cast::<__m256i>();
            _mm256_storeu_si256(p, bf16_lanes(_mm512_loadu_ps(i.as_ptr())));
            _mm256_storeu_si256(p.add(1), bf16_lanes(_mm512_loadu_ps(i.as_ptr().add(16))));
        }
    }
    n
}
