//! AVX2 + F16C Q8_0 / Q4_0 kernels: one 32-value block is four 8-lane vectors. Equal to
//! `scalar.rs`: the block maximum is an integer maximum of the sign-cleared bit patterns
//! (exact for finite values), the first lane holding it gives Q4_0's signed maximum,
//! the scale and its reciprocal are the scalar f32 expressions, products and sums are
//! separate `vmulps` / `vaddps` (never FMA), and `vcvttps2dq` truncates.
//!
//! Quantize works on groups of eight blocks: their maxima are reduced together into one
//! vector (a transposing reduction), so the two divisions per block (`d = max / k`,
//! `id = 1 / d`) and the f16 rounding of `d` (`vcvtps2ph`, round to nearest even, as
//! numpy, including overflow to inf) run once per eight blocks instead of once per block.
//! Dequantize widens each stored f16 scale with `vcvtph2ps` (exact, as the scalar path).

use super::{scalar, Fmt};
use crate::cpu::prefetch;
use std::arch::x86_64::*;

/// Blocks whose scales are computed together.
pub(super) const GROUP: usize = 8;
const RNE: i32 = _MM_FROUND_TO_NEAREST_INT;

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

/// The four vectors of the block at `p`.
///
/// # Safety
/// `p` must point to 32 readable floats.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load_block(p: *const f32) -> [__m256; 4] {
    // The block's two lines, `prefetch::AHEAD` bytes on (a hint: any address is allowed).
    prefetch::ahead(p);
    prefetch::ahead(p.wrapping_add(16));
    [
        _mm256_loadu_ps(p),
        _mm256_loadu_ps(p.add(8)),
        _mm256_loadu_ps(p.add(16)),
        _mm256_loadu_ps(p.add(24)),
    ]
}

#[inline]
#[target_feature(enable = "avx2")]
fn abs_bits(v: __m256) -> __m256i {
    _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7fff_ffff))
}

/// Lane-wise maximum of the block's sign-cleared bit patterns (eight partial maxima).
#[inline]
#[target_feature(enable = "avx2")]
fn block_max(v: &[__m256; 4]) -> __m256i {
    let a = v.map(|v| abs_bits(v));
    _mm256_max_epu32(_mm256_max_epu32(a[0], a[1]), _mm256_max_epu32(a[2], a[3]))
}

/// Lane k = the largest of the eight lanes of `m[k]`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn hmax8(m: &[__m256i; GROUP]) -> __m256i {
    // Per 128-bit half: [a0, b0, a1, b1] max [a2, b2, a3, b3].
    let pair = |a, b| _mm256_max_epu32(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
    let quad = |a, b| _mm256_max_epu32(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
    let lo = quad(pair(m[0], m[1]), pair(m[2], m[3]));
    let hi = quad(pair(m[4], m[5]), pair(m[6], m[7]));
    _mm256_max_epu32(
        _mm256_permute2x128_si256::<0x20>(lo, hi),
        _mm256_permute2x128_si256::<0x31>(lo, hi),
    )
}

/// `id = if d == 0 { 0 } else { 1 / d }` per lane (see `scalar::recip`), and `d` rounded
/// to f16 bits.
#[inline]
#[target_feature(enable = "avx2,f16c")]
pub(super) fn scales(d: __m256) -> ([f32; GROUP], [u16; GROUP]) {
    let zero = _mm256_cmp_ps::<_CMP_EQ_OQ>(d, _mm256_setzero_ps());
    let id = _mm256_andnot_ps(zero, _mm256_div_ps(_mm256_set1_ps(1.0), d));
    let (mut ids, mut dh) = ([0f32; GROUP], [0u16; GROUP]);
    // SAFETY: both arrays hold exactly one vector's bytes.
    unsafe {
        _mm256_storeu_ps(ids.as_mut_ptr(), id);
        _mm_storeu_si128(dh.as_mut_ptr().cast(), _mm256_cvtps_ph::<RNE>(d));
    }
    (ids, dh)
}

/// The f16 at `b[0..2]` (little-endian) as f32, broadcast: `vcvtph2ps` is exact.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn scale_of(b: &[u8]) -> __m256 {
    let h = u16::from_le_bytes([b[0], b[1]]);
    _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(h as i32)))
}

/// Packs four vectors of i32 (in i16 range) into 32 bytes in element order, with signed
/// (`SIGNED`) or unsigned saturation of the final step.
#[inline]
#[target_feature(enable = "avx2")]
fn pack_bytes<const SIGNED: bool>(i: [__m256i; 4]) -> __m256i {
    let w0 = _mm256_packs_epi32(i[0], i[1]);
    let w1 = _mm256_packs_epi32(i[2], i[3]);
    let b = if SIGNED {
        _mm256_packs_epi16(w0, w1)
    } else {
        _mm256_packus_epi16(w0, w1)
    };
    _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

/// `scalar::round_away(y)` for finite `y`: `t = trunc(|y|)`, plus one where
/// `|y| - t >= 0.5` (exact), with the sign of `y` (`vpsignd` also maps -0.0 to 0).
#[inline]
#[target_feature(enable = "avx2")]
fn round_away(y: __m256) -> __m256i {
    let a = _mm256_castsi256_ps(abs_bits(y));
    let t = _mm256_cvttps_epi32(a);
    let up =
        _mm256_cmp_ps::<_CMP_GE_OQ>(_mm256_sub_ps(a, _mm256_cvtepi32_ps(t)), _mm256_set1_ps(0.5));
    _mm256_sign_epi32(
        _mm256_sub_epi32(t, _mm256_castps_si256(up)),
        _mm256_castps_si256(y),
    )
}

#[target_feature(enable = "avx2,f16c")]
unsafe fn quantize_q8_0(x: &[f32], q: &mut [u8]) {
    for (xg, qg) in x.chunks(32 * GROUP).zip(q.chunks_mut(34 * GROUP)) {
        let nb = xg.len() / 32;
        let mut m = [_mm256_setzero_si256(); GROUP];
        for (k, mk) in m.iter_mut().enumerate().take(nb) {
            // SAFETY: block k of the group holds 32 floats.
            *mk = block_max(&load_block(xg.as_ptr().add(32 * k)));
        }
        let amax = _mm256_castsi256_ps(hmax8(&m));
        let (ids, dh) = scales(_mm256_div_ps(amax, _mm256_set1_ps(127.0)));
        for (k, (xb, ob)) in xg.chunks_exact(32).zip(qg.chunks_exact_mut(34)).enumerate() {
            ob[..2].copy_from_slice(&dh[k].to_le_bytes());
            if !ids[k].is_finite() {
                // 1/d overflowed (subnormal block): every product is +-inf or NaN, code 0.
                ob[2..].fill(0);
                continue;
            }
            let idv = _mm256_set1_ps(ids[k]);
            let codes = load_block(xb.as_ptr()).map(|v| round_away(_mm256_mul_ps(v, idv)));
            // SAFETY: `ob` holds 34 bytes; 32 are stored from offset 2.
            _mm256_storeu_si256(
                ob.as_mut_ptr().add(2) as *mut __m256i,
                pack_bytes::<true>(codes),
            );
        }
    }
}

#[target_feature(enable = "avx2,f16c")]
unsafe fn dequantize_q8_0(q: &[u8], x: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(34).zip(x.chunks_exact_mut(32)) {
        let d = scale_of(qb);
        let (qp, op) = (qb.as_ptr().add(2), ob.as_mut_ptr());
        for k in 0..4 {
            // SAFETY: bytes 2 + 8k .. 10 + 8k of the 34-byte block; floats 8k .. 8k + 8.
            let b = _mm_loadl_epi64(qp.add(8 * k) as *const __m128i);
            let f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
            _mm256_storeu_ps(op.add(8 * k), _mm256_mul_ps(f, d));
        }
    }
}

#[target_feature(enable = "avx2,f16c")]
unsafe fn quantize_q4_0(x: &[f32], q: &mut [u8]) {
    let (bias, fifteen) = (_mm256_set1_ps(8.5), _mm256_set1_epi32(15));
    for (xg, qg) in x.chunks(32 * GROUP).zip(q.chunks_mut(18 * GROUP)) {
        let nb = xg.len() / 32;
        let mut m = [_mm256_setzero_si256(); GROUP];
        for (k, mk) in m.iter_mut().enumerate().take(nb) {
            // SAFETY: block k of the group holds 32 floats.
            *mk = block_max(&load_block(xg.as_ptr().add(32 * k)));
        }
        let mut maxima = [0u32; GROUP];
        // SAFETY: `maxima` holds one vector.
        _mm256_storeu_si256(maxima.as_mut_ptr().cast(), hmax8(&m));
        // The signed maximum: the first value whose magnitude is the block's maximum.
        let mut signed = [0f32; GROUP];
        for (k, xb) in xg.chunks_exact(32).enumerate() {
            let mb = _mm256_set1_epi32(maxima[k] as i32);
            let a = load_block(xb.as_ptr()).map(|v| abs_bits(v));
            let hit = |k: usize| {
                _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a[k], mb))) as u32
            };
            let first = (hit(0) | hit(1) << 8 | hit(2) << 16 | hit(3) << 24).trailing_zeros();
            signed[k] = xb[first as usize];
        }
        let d = _mm256_div_ps(_mm256_loadu_ps(signed.as_ptr()), _mm256_set1_ps(-8.0));
        let (ids, dh) = scales(d);
        for (k, (xb, ob)) in xg.chunks_exact(32).zip(qg.chunks_exact_mut(18)).enumerate() {
            ob[..2].copy_from_slice(&dh[k].to_le_bytes());
            let idv = _mm256_set1_ps(ids[k]);
            // NaN/inf products (1/d overflowed) truncate to i32::MIN, which the unsigned
            // pack turns into 0, as the scalar cast.
            let codes = load_block(xb.as_ptr()).map(|v| {
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
}

#[target_feature(enable = "avx2,f16c")]
unsafe fn dequantize_q4_0(q: &[u8], x: &mut [f32]) {
    let (low, eight) = (_mm_set1_epi8(0x0f), _mm_set1_epi8(8));
    for (qb, ob) in q.chunks_exact(18).zip(x.chunks_exact_mut(32)) {
        let d = scale_of(qb);
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
///
/// # Safety
/// The CPU must support AVX2 and F16C.
#[target_feature(enable = "avx2,f16c")]
pub(super) unsafe fn quantize(fmt: Fmt, x: &[f32], q: &mut [u8]) {
    match fmt {
        Fmt::Q8_0 => quantize_q8_0(x, q),
        Fmt::Q4_0 => quantize_q4_0(x, q),
    }
}

/// Dequantizes whole blocks (see `super::dequantize`).
///
/// # Safety
/// The CPU must support AVX2 and F16C.
#[target_feature(enable = "avx2,f16c")]
pub(super) unsafe fn dequantize(fmt: Fmt, q: &[u8], x: &mut [f32]) {
    match fmt {
        Fmt::Q8_0 => dequantize_q8_0(q, x),
        Fmt::Q4_0 => dequantize_q4_0(q, x),
    }
}
