//! AVX2 Q8_0 / Q4_0 kernels: one 32-value block is four 8-lane vectors. Equal to
//! `scalar.rs`: the block maximum is an integer maximum of the sign-cleared bit patterns
//! (exact for finite values), the first lane holding it gives Q4_0's signed maximum,
//! the scale and its reciprocal are the scalar f32 expressions, products and sums are
//! separate `vmulps` / `vaddps` (never FMA), and `vcvttps2dq` truncates.

use super::{scalar, Fmt};
use std::arch::x86_64::*;

const FLOOR: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn hmax_epu32(v: __m256i) -> u32 {
    let m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let m = _mm_max_epu32(m, _mm_shuffle_epi32::<0b01_00_11_10>(m));
    let m = _mm_max_epu32(m, _mm_shuffle_epi32::<0b10_11_00_01>(m));
    _mm_cvtsi128_si32(m) as u32
}

/// Largest sign-cleared bit pattern of `x`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn max_abs_bits(x: &[f32]) -> u32 {
    let mask = _mm256_set1_epi32(0x7fff_ffff);
    let (mut m0, mut m1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        // SAFETY: `c` holds 16 floats.
        let a = _mm256_loadu_si256(c.as_ptr() as *const __m256i);
        let b = _mm256_loadu_si256(c.as_ptr().add(8) as *const __m256i);
        m0 = _mm256_max_epu32(m0, _mm256_and_si256(a, mask));
        m1 = _mm256_max_epu32(m1, _mm256_and_si256(b, mask));
    }
    hmax_epu32(_mm256_max_epu32(m0, m1)).max(scalar::max_abs_bits(chunks.remainder()))
}

/// The block's four vectors and their sign-cleared bit patterns.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load_block(p: *const f32) -> ([__m256; 4], [__m256i; 4]) {
    let mask = _mm256_set1_epi32(0x7fff_ffff);
    let v = [
        _mm256_loadu_ps(p),
        _mm256_loadu_ps(p.add(8)),
        _mm256_loadu_ps(p.add(16)),
        _mm256_loadu_ps(p.add(24)),
    ];
    let a = v.map(|v| _mm256_and_si256(_mm256_castps_si256(v), mask));
    (v, a)
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn max4(a: &[__m256i; 4]) -> u32 {
    hmax_epu32(_mm256_max_epu32(
        _mm256_max_epu32(a[0], a[1]),
        _mm256_max_epu32(a[2], a[3]),
    ))
}

/// Packs four vectors of i32 (in i16 range) into 32 bytes in element order, with signed
/// (`SIGNED`) or unsigned saturation of the final step.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn pack_bytes<const SIGNED: bool>(i: [__m256i; 4]) -> __m256i {
    let w0 = _mm256_packs_epi32(i[0], i[1]);
    let w1 = _mm256_packs_epi32(i[2], i[3]);
    let b = if SIGNED {
        _mm256_packs_epi16(w0, w1)
    } else {
        _mm256_packus_epi16(w0, w1)
    };
    _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

#[target_feature(enable = "avx2")]
unsafe fn quantize_q8_0(x: &[f32], q: &mut [u8]) {
    let (absf, signf) = (
        _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff)),
        _mm256_castsi256_ps(_mm256_set1_epi32(i32::MIN)),
    );
    let (half, one) = (_mm256_set1_ps(0.5), _mm256_set1_ps(1.0));
    for (xb, ob) in x.chunks_exact(32).zip(q.chunks_exact_mut(34)) {
        let (v, a) = load_block(xb.as_ptr());
        let d = f32::from_bits(max4(&a)) / 127.0;
        let id = scalar::recip(d);
        scalar::put_f16(ob, d);
        if !id.is_finite() {
            // 1/d overflowed (subnormal block): every product is +-inf or NaN, code 0.
            ob[2..].fill(0);
            continue;
        }
        let idv = _mm256_set1_ps(id);
        let codes = v.map(|v| {
            let y = _mm256_mul_ps(v, idv);
            let ay = _mm256_and_ps(y, absf);
            let fl = _mm256_round_ps::<FLOOR>(ay);
            let up = _mm256_and_ps(
                _mm256_cmp_ps::<_CMP_GE_OQ>(_mm256_sub_ps(ay, fl), half),
                one,
            );
            let r = _mm256_or_ps(_mm256_add_ps(fl, up), _mm256_and_ps(y, signf));
            _mm256_cvttps_epi32(r)
        });
        // SAFETY: `ob` holds 34 bytes; 32 are stored from offset 2.
        _mm256_storeu_si256(
            ob.as_mut_ptr().add(2) as *mut __m256i,
            pack_bytes::<true>(codes),
        );
    }
}

#[target_feature(enable = "avx2")]
unsafe fn dequantize_q8_0(q: &[u8], x: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(34).zip(x.chunks_exact_mut(32)) {
        let d = _mm256_set1_ps(scalar::get_f16(qb));
        let (qp, op) = (qb.as_ptr().add(2), ob.as_mut_ptr());
        for k in 0..4 {
            // SAFETY: bytes 2 + 8k .. 10 + 8k of the 34-byte block; floats 8k .. 8k + 8.
            let b = _mm_loadl_epi64(qp.add(8 * k) as *const __m128i);
            let f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
            _mm256_storeu_ps(op.add(8 * k), _mm256_mul_ps(f, d));
        }
    }
}

#[target_feature(enable = "avx2")]
unsafe fn quantize_q4_0(x: &[f32], q: &mut [u8]) {
    let (bias, fifteen) = (_mm256_set1_ps(8.5), _mm256_set1_epi32(15));
    for (xb, ob) in x.chunks_exact(32).zip(q.chunks_exact_mut(18)) {
        let (v, a) = load_block(xb.as_ptr());
        let mb = _mm256_set1_epi32(max4(&a) as i32);
        let hit =
            |k: usize| _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a[k], mb))) as u32;
        let first = (hit(0) | hit(1) << 8 | hit(2) << 16 | hit(3) << 24).trailing_zeros();
        let d = xb[first as usize] / -8.0;
        let id = scalar::recip(d);
        scalar::put_f16(ob, d);
        let idv = _mm256_set1_ps(id);
        // NaN/inf products (1/d overflowed) truncate to i32::MIN, which the unsigned pack
        // turns into 0, as the scalar cast.
        let codes = v.map(|v| {
            let y = _mm256_add_ps(_mm256_mul_ps(v, idv), bias);
            _mm256_min_epi32(_mm256_cvttps_epi32(y), fifteen)
        });
        let b = pack_bytes::<false>(codes);
        let lo = _mm256_castsi256_si128(b);
        let hi = _mm256_extracti128_si256::<1>(b);
        // Codes are <= 15, so a 16-bit shift moves no bit across a byte.
        let packed = _mm_or_si128(lo, _mm_slli_epi16::<4>(hi));
        // SAFETY: `ob` holds 18 bytes; 16 are stored from offset 2.
        _mm_storeu_si128(ob.as_mut_ptr().add(2) as *mut __m128i, packed);
    }
}

#[target_feature(enable = "avx2")]
unsafe fn dequantize_q4_0(q: &[u8], x: &mut [f32]) {
    let (low, eight) = (_mm_set1_epi8(0x0f), _mm_set1_epi8(8));
    for (qb, ob) in q.chunks_exact(18).zip(x.chunks_exact_mut(32)) {
        let d = _mm256_set1_ps(scalar::get_f16(qb));
        // SAFETY: bytes 2..18 of the 18-byte block.
        let b = _mm_loadu_si128(qb.as_ptr().add(2) as *const __m128i);
        let lo = _mm_sub_epi8(_mm_and_si128(b, low), eight);
        let hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16::<4>(b), low), eight);
        let op = ob.as_mut_ptr();
        for (k, half) in [lo, hi].into_iter().enumerate() {
            let f0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(half));
            let f1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128::<8>(half)));
            // SAFETY: floats 16k .. 16k + 16 of the 32-float block.
            _mm256_storeu_ps(op.add(16 * k), _mm256_mul_ps(d, f0));
            _mm256_storeu_ps(op.add(16 * k + 8), _mm256_mul_ps(d, f1));
        }
    }
}

/// Quantizes whole blocks (see `super::quantize`).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn quantize(fmt: Fmt, x: &[f32], q: &mut [u8]) {
    match fmt {
        Fmt::Q8_0 => quantize_q8_0(x, q),
        Fmt::Q4_0 => quantize_q4_0(x, q),
    }
}

/// Dequantizes whole blocks (see `super::dequantize`).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn dequantize(fmt: Fmt, q: &[u8], x: &mut [f32]) {
    match fmt {
        Fmt::Q8_0 => dequantize_q8_0(q, x),
        Fmt::Q4_0 => dequantize_q4_0(q, x),
    }
}
