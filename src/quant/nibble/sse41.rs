//! SSE4.1 nibble packing: 32 codes per pack step (saturate with `pminsb`/`pmaxsb` or
//! `pminub`, merge each pair inside a 16-bit lane, `packuswb`), 16 bytes per unpack step
//! (split nibbles, `punpck{l,h}bw` to interleave, `(n ^ 8) - 8` to sign-extend).

use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "sse4.1")]
fn pair_bytes(v: __m128i, signed: bool) -> __m128i {
    let c = if signed {
        _mm_max_epi8(_mm_min_epi8(v, _mm_set1_epi8(7)), _mm_set1_epi8(-8))
    } else {
        _mm_min_epu8(v, _mm_set1_epi8(15))
    };
    _mm_or_si128(
        _mm_and_si128(c, _mm_set1_epi16(0x000f)),
        _mm_and_si128(_mm_srli_epi16::<4>(c), _mm_set1_epi16(0x00f0)),
    )
}

/// Packs whole steps of 32 codes; returns how many codes were done.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn pack(codes: &[u8], out: &mut [u8], signed: bool) -> usize {
    let n = (codes.len() / 32 * 32).min(out.len() / 16 * 32);
    for (o, c) in out[..n / 2]
        .chunks_exact_mut(16)
        .zip(codes[..n].chunks_exact(32))
    {
        // SAFETY: 32 readable codes and 16 writable bytes per step; unaligned accesses.
        unsafe {
            let a = pair_bytes(_mm_loadu_si128(c.as_ptr().cast()), signed);
            let b = pair_bytes(_mm_loadu_si128(c.as_ptr().add(16).cast()), signed);
            _mm_storeu_si128(o.as_mut_ptr().cast(), _mm_packus_epi16(a, b));
        }
    }
    n
}

#[inline]
#[target_feature(enable = "sse4.1")]
fn widen(v: __m128i, signed: bool) -> __m128i {
    if signed {
        _mm_sub_epi8(_mm_xor_si128(v, _mm_set1_epi8(8)), _mm_set1_epi8(8))
    } else {
        v
    }
}

/// Unpacks whole steps of 32 codes (16 bytes); returns how many codes were done.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn unpack(packed: &[u8], codes: &mut [u8], signed: bool) -> usize {
    let n = (codes.len() / 32 * 32).min(packed.len() / 16 * 32);
    for (c, p) in codes[..n]
        .chunks_exact_mut(32)
        .zip(packed[..n / 2].chunks_exact(16))
    {
        // SAFETY: 16 readable bytes and 32 writable codes per step; unaligned accesses.
        unsafe {
            let b = _mm_loadu_si128(p.as_ptr().cast());
            let m = _mm_set1_epi8(0x0f);
            let lo = _mm_and_si128(b, m);
            let hi = _mm_and_si128(_mm_srli_epi16::<4>(b), m);
            let d = c.as_mut_ptr().cast::<__m128i>();
            _mm_storeu_si128(d, widen(_mm_unpacklo_epi8(lo, hi), signed));
            _mm_storeu_si128(d.add(1), widen(_mm_unpackhi_epi8(lo, hi), signed));
        }
    }
    n
}
