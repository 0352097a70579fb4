//! AVX-512 (F + BW) + F16C Q8_0 / Q4_0 quantize kernels: one 32-value block is two 16-lane
//! vectors. The same rules as `avx2.rs` (whose scale computation over groups of eight
//! blocks they share): integer maximum of the sign-cleared bits, separate multiply and
//! add (never FMA), truncating conversion, and saturating (`vpmovsdb`) or plain
//! (`vpmovdb`, after clamping to 0..=15) narrowing to bytes; equal to `scalar.rs` bit for
//! bit.

use super::avx2::{hmax8, scales, GROUP};
use super::Fmt;
use crate::cpu::prefetch;
use std::arch::x86_64::*;

/// The two vectors of the block at `p`.
///
/// # Safety
/// `p` must point to 32 readable floats.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_block(p: *const f32) -> [__m512; 2] {
    // The block's two lines, `prefetch::AHEAD` bytes on (a hint: any address is allowed).
    prefetch::ahead(p);
    prefetch::ahead(p.wrapping_add(16));
    // SAFETY: the caller's contract.
    unsafe { [_mm512_loadu_ps(p), _mm512_loadu_ps(p.add(16))] }
}

#[inline]
#[target_feature(enable = "avx512f")]
fn abs_bits(v: __m512) -> __m512i {
    _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fff_ffff))
}

/// The block's sign-cleared maxima folded to eight lanes.
#[inline]
#[target_feature(enable = "avx512f")]
fn block_max(v: &[__m512; 2]) -> __m256i {
    let m = _mm512_max_epu32(abs_bits(v[0]), abs_bits(v[1]));
    _mm256_max_epu32(_mm512_castsi512_si256(m), _mm512_extracti64x4_epi64::<1>(m))
}

/// Sign-cleared maxima of the (at most eight) blocks of `xg`, lane k for block k.
///
/// # Safety
/// `xg` holds whole blocks, at most [`GROUP`].
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn group_max(xg: &[f32]) -> __m256i {
    let mut m = [_mm256_setzero_si256(); GROUP];
    for (mk, xb) in m.iter_mut().zip(xg.chunks_exact(32)) {
        // SAFETY: `xb` holds 32 floats.
        *mk = block_max(&unsafe { load_block(xb.as_ptr()) });
    }
    hmax8(&m)
}

/// `scalar::round_away(y)` for finite `y` (see `avx2::round_away`).
#[inline]
#[target_feature(enable = "avx512f")]
fn round_away(y: __m512) -> __m512i {
    let a = _mm512_castsi512_ps(abs_bits(y));
    let t = _mm512_cvttps_epi32(a);
    let up = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(
        _mm512_sub_ps(a, _mm512_cvtepi32_ps(t)),
        _mm512_set1_ps(0.5),
    );
    let r = _mm512_mask_add_epi32(t, up, t, _mm512_set1_epi32(1));
    let neg = _mm512_cmplt_epi32_mask(_mm512_castps_si512(y), _mm512_setzero_si512());
    _mm512_mask_sub_epi32(r, neg, _mm512_setzero_si512(), r)
}

#[target_feature(enable = "avx512f,avx512bw,f16c")]
unsafe fn quantize_q8_0(x: &[f32], q: &mut [u8]) {
    for (xg, qg) in x.chunks(32 * GROUP).zip(q.chunks_mut(34 * GROUP)) {
        // SAFETY: whole blocks, at most GROUP of them.
        let amax = _mm256_castsi256_ps(unsafe { group_max(xg) });
        let (ids, dh) = scales(_mm256_div_ps(amax, _mm256_set1_ps(127.0)));
        for (k, (xb, ob)) in xg.chunks_exact(32).zip(qg.chunks_exact_mut(34)).enumerate() {
            ob[..2].copy_from_slice(&dh[k].to_le_bytes());
            if !ids[k].is_finite() {
                // 1/d overflowed (subnormal block): every product is +-inf or NaN, code 0.
                ob[2..].fill(0);
                continue;
            }
            let idv = _mm512_set1_ps(ids[k]);
            // SAFETY: `xb` holds 32 floats; `ob` 34 bytes, 32 stored from offset 2.
            unsafe {
                let [a, b] = load_block(xb.as_ptr());
                let ca = _mm512_cvtsepi32_epi8(round_away(_mm512_mul_ps(a, idv)));
                let cb = _mm512_cvtsepi32_epi8(round_away(_mm512_mul_ps(b, idv)));
                let v = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(ca), cb);
                _mm256_storeu_si256(ob.as_mut_ptr().add(2).cast(), v);
            }
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,f16c")]
unsafe fn quantize_q4_0(x: &[f32], q: &mut [u8]) {
    let (bias, fifteen) = (_mm512_set1_ps(8.5), _mm512_set1_epi32(15));
    for (xg, qg) in x.chunks(32 * GROUP).zip(q.chunks_mut(18 * GROUP)) {
        let mut maxima = [0u32; GROUP];
        // SAFETY: whole blocks, at most GROUP of them; `maxima` holds one vector.
        unsafe { _mm256_storeu_si256(maxima.as_mut_ptr().cast(), group_max(xg)) };
        // The signed maximum: the first value whose magnitude is the block's maximum.
        let mut signed = [0f32; GROUP];
        for (k, xb) in xg.chunks_exact(32).enumerate() {
            let mb = _mm512_set1_epi32(maxima[k] as i32);
            // SAFETY: `xb` holds 32 floats.
            let [a, b] = unsafe { load_block(xb.as_ptr()) };
            let hit = _mm512_cmpeq_epi32_mask(abs_bits(a), mb) as u32
                | (_mm512_cmpeq_epi32_mask(abs_bits(b), mb) as u32) << 16;
            signed[k] = xb[hit.trailing_zeros() as usize];
        }
        // SAFETY: `signed` holds one vector.
        let d = _mm256_div_ps(
            unsafe { _mm256_loadu_ps(signed.as_ptr()) },
            _mm256_set1_ps(-8.0),
        );
        let (ids, dh) = scales(d);
        for (k, (xb, ob)) in xg.chunks_exact(32).zip(qg.chunks_exact_mut(18)).enumerate() {
            ob[..2].copy_from_slice(&dh[k].to_le_bytes());
            let idv = _mm512_set1_ps(ids[k]);
            // NaN/inf products (1/d overflowed) truncate to i32::MIN, clamped to 0 as the
            // scalar cast gives.
            let code = |v: __m512| {
                let y = _mm512_add_ps(_mm512_mul_ps(v, idv), bias);
                let c = _mm512_min_epi32(_mm512_cvttps_epi32(y), fifteen);
                _mm512_cvtepi32_epi8(_mm512_max_epi32(c, _mm512_setzero_si512()))
            };
            // SAFETY: `xb` holds 32 floats; `ob` 18 bytes, 16 stored from offset 2.
            unsafe {
                let [a, b] = load_block(xb.as_ptr());
                // Codes are <= 15, so a 16-bit shift moves no bit across a byte.
                let packed = _mm_or_si128(code(a), _mm_slli_epi16::<4>(code(b)));
                _mm_storeu_si128(ob.as_mut_ptr().add(2).cast(), packed);
            }
        }
    }
}

/// Quantizes whole blocks (see `super::quantize`).
///
/// # Safety
/// The CPU must support AVX-512 F and BW, and F16C.
#[target_feature(enable = "avx512f,avx512bw,f16c")]
pub(super) unsafe fn quantize(fmt: Fmt, x: &[f32], q: &mut [u8]) {
    // SAFETY: the caller's contract.
    unsafe {
        match fmt {
            Fmt::Q8_0 => quantize_q8_0(x, q),
            Fmt::Q4_0 => quantize_q4_0(x, q),
        }
    }
}
