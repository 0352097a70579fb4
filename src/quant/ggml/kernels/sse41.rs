//! SSE4.1 Q8_0 / Q4_0 kernels: one 32-value block is eight 4-lane vectors; the same
//! operations as `avx2.rs` (exact integer maximum of the sign-cleared bits, separate
//! multiply and add, truncating conversion), equal to `scalar.rs` bit for bit.

use super::{scalar, Fmt};
use std::arch::x86_64::*;

const FLOOR: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn hmax_epu32(m: __m128i) -> u32 {
    let m = _mm_max_epu32(m, _mm_shuffle_epi32::<0b01_00_11_10>(m));
    let m = _mm_max_epu32(m, _mm_shuffle_epi32::<0b10_11_00_01>(m));
    _mm_cvtsi128_si32(m) as u32
}

/// Largest sign-cleared bit pattern of `x`.
#[target_feature(enable = "sse4.1")]
pub(super) unsafe fn max_abs_bits(x: &[f32]) -> u32 {
    let mask = _mm_set1_epi32(0x7fff_ffff);
    let (mut m0, mut m1) = (_mm_setzero_si128(), _mm_setzero_si128());
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        // SAFETY: `c` holds 8 floats.
        let a = _mm_loadu_si128(c.as_ptr() as *const __m128i);
        let b = _mm_loadu_si128(c.as_ptr().add(4) as *const __m128i);
        m0 = _mm_max_epu32(m0, _mm_and_si128(a, mask));
        m1 = _mm_max_epu32(m1, _mm_and_si128(b, mask));
    }
    hmax_epu32(_mm_max_epu32(m0, m1)).max(scalar::max_abs_bits(chunks.remainder()))
}

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn load_block(p: *const f32) -> ([__m128; 8], [__m128i; 8], u32) {
    let mask = _mm_set1_epi32(0x7fff_ffff);
    let mut v = [_mm_setzero_ps(); 8];
    let mut a = [_mm_setzero_si128(); 8];
    let mut m = _mm_setzero_si128();
    for k in 0..8 {
        // SAFETY: the caller passes 32 readable floats.
        v[k] = _mm_loadu_ps(p.add(4 * k));
        a[k] = _mm_and_si128(_mm_castps_si128(v[k]), mask);
        m = _mm_max_epu32(m, a[k]);
    }
    (v, a, hmax_epu32(m))
}

/// Packs eight vectors of i32 into 32 bytes in element order (signed or unsigned
/// saturation in the last step).
#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn pack_bytes<const SIGNED: bool>(i: &[__m128i; 8]) -> [__m128i; 2] {
    let w = [
        _mm_packs_epi32(i[0], i[1]),
        _mm_packs_epi32(i[2], i[3]),
        _mm_packs_epi32(i[4], i[5]),
        _mm_packs_epi32(i[6], i[7]),
    ];
    if SIGNED {
        [_mm_packs_epi16(w[0], w[1]), _mm_packs_epi16(w[2], w[3])]
    } else {
        [_mm_packus_epi16(w[0], w[1]), _mm_packus_epi16(w[2], w[3])]
    }
}

#[target_feature(enable = "sse4.1")]
unsafe fn quantize_q8_0(x: &[f32], q: &mut [u8]) {
    let (absf, signf) = (
        _mm_castsi128_ps(_mm_set1_epi32(0x7fff_ffff)),
        _mm_castsi128_ps(_mm_set1_epi32(i32::MIN)),
    );
    let (half, one) = (_mm_set1_ps(0.5), _mm_set1_ps(1.0));
    for (xb, ob) in x.chunks_exact(32).zip(q.chunks_exact_mut(34)) {
        let (v, _, amax) = load_block(xb.as_ptr());
        let d = f32::from_bits(amax) / 127.0;
        let id = scalar::recip(d);
        scalar::put_f16(ob, d);
        if !id.is_finite() {
            ob[2..].fill(0);
            continue;
        }
        let idv = _mm_set1_ps(id);
        let codes = v.map(|v| {
            let y = _mm_mul_ps(v, idv);
            let ay = _mm_and_ps(y, absf);
            let fl = _mm_round_ps::<FLOOR>(ay);
            let up = _mm_and_ps(_mm_cmpge_ps(_mm_sub_ps(ay, fl), half), one);
            _mm_cvttps_epi32(_mm_or_ps(_mm_add_ps(fl, up), _mm_and_ps(y, signf)))
        });
        let [b0, b1] = pack_bytes::<true>(&codes);
        // SAFETY: `ob` holds 34 bytes; 32 are stored from offset 2.
        _mm_storeu_si128(ob.as_mut_ptr().add(2) as *mut __m128i, b0);
        _mm_storeu_si128(ob.as_mut_ptr().add(18) as *mut __m128i, b1);
    }
}

#[target_feature(enable = "sse4.1")]
unsafe fn dequantize_q8_0(q: &[u8], x: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(34).zip(x.chunks_exact_mut(32)) {
        let d = _mm_set1_ps(scalar::get_f16(qb));
        let (qp, op) = (qb.as_ptr().add(2), ob.as_mut_ptr());
        for k in 0..8 {
            // SAFETY: bytes 2 + 4k .. 6 + 4k of the block; floats 4k .. 4k + 4.
            let b = _mm_cvtsi32_si128((qp.add(4 * k) as *const i32).read_unaligned());
            let f = _mm_cvtepi32_ps(_mm_cvtepi8_epi32(b));
            _mm_storeu_ps(op.add(4 * k), _mm_mul_ps(f, d));
        }
    }
}

#[target_feature(enable = "sse4.1")]
unsafe fn quantize_q4_0(x: &[f32], q: &mut [u8]) {
    let (bias, fifteen) = (_mm_set1_ps(8.5), _mm_set1_epi32(15));
    for (xb, ob) in x.chunks_exact(32).zip(q.chunks_exact_mut(18)) {
        let (v, a, amax) = load_block(xb.as_ptr());
        let mb = _mm_set1_epi32(amax as i32);
        let mut mask = 0u32;
        for (k, a) in a.iter().enumerate() {
            mask |= (_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(*a, mb))) as u32) << (4 * k);
        }
        let d = xb[mask.trailing_zeros() as usize] / -8.0;
        let id = scalar::recip(d);
        scalar::put_f16(ob, d);
        let idv = _mm_set1_ps(id);
        let codes = v.map(|v| {
            let y = _mm_add_ps(_mm_mul_ps(v, idv), bias);
            _mm_min_epi32(_mm_cvttps_epi32(y), fifteen)
        });
        let [lo, hi] = pack_bytes::<false>(&codes);
        // SAFETY: `ob` holds 18 bytes; 16 are stored from offset 2.
        _mm_storeu_si128(
            ob.as_mut_ptr().add(2) as *mut __m128i,
            _mm_or_si128(lo, _mm_slli_epi16::<4>(hi)),
        );
    }
}

#[target_feature(enable = "sse4.1")]
unsafe fn dequantize_q4_0(q: &[u8], x: &mut [f32]) {
    let (low, eight) = (_mm_set1_epi8(0x0f), _mm_set1_epi8(8));
    for (qb, ob) in q.chunks_exact(18).zip(x.chunks_exact_mut(32)) {
        let d = _mm_set1_ps(scalar::get_f16(qb));
        // SAFETY: bytes 2..18 of the 18-byte block.
        let b = _mm_loadu_si128(qb.as_ptr().add(2) as *const __m128i);
        let lo = _mm_sub_epi8(_mm_and_si128(b, low), eight);
        let hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16::<4>(b), low), eight);
        let op = ob.as_mut_ptr();
        for (k, mut h) in [lo, hi].into_iter().enumerate() {
            for j in 0..4 {
                let f = _mm_cvtepi32_ps(_mm_cvtepi8_epi32(h));
                // SAFETY: floats 16k + 4j .. 16k + 4j + 4 of the 32-float block.
                _mm_storeu_ps(op.add(16 * k + 4 * j), _mm_mul_ps(d, f));
                h = _mm_srli_si128::<4>(h);
            }
        }
    }
}

/// Quantizes whole blocks (see `super::quantize`).
#[target_feature(enable = "sse4.1")]
pub(super) unsafe fn quantize(fmt: Fmt, x: &[f32], q: &mut [u8]) {
    match fmt {
        Fmt::Q8_0 => quantize_q8_0(x, q),
        Fmt::Q4_0 => quantize_q4_0(x, q),
    }
}

/// Dequantizes whole blocks (see `super::dequantize`).
#[target_feature(enable = "sse4.1")]
pub(super) unsafe fn dequantize(fmt: Fmt, q: &[u8], x: &mut [f32]) {
    match fmt {
        Fmt::Q8_0 => dequantize_q8_0(q, x),
        Fmt::Q4_0 => dequantize_q4_0(q, x),
    }
}
