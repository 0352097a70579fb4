//! AVX2 nibble packing: `sse41.rs`'s steps on 256-bit vectors, 64 codes per pack step and
//! 32 bytes per unpack step, with the lane fix-ups (`vpermq`, `vperm2i128`) that keep
//! bytes in input order.

use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx2")]
fn pair_bytes(v: __m256i, signed: bool) -> __m256i {
    let c = if signed {
        _mm256_max_epi8(
            _mm256_min_epi8(v, _mm256_set1_epi8(7)),
            _mm256_set1_epi8(-8),
        )
    } else {
        _mm256_min_epu8(v, _mm256_set1_epi8(15))
    };
    _mm256_or_si256(
        _mm256_and_si256(c, _mm256_set1_epi16(0x000f)),
        _mm256_and_si256(_mm256_srli_epi16::<4>(c), _mm256_set1_epi16(0x00f0)),
    )
}

/// Packs whole steps of 64 codes; returns how many codes were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn pack(codes: &[u8], out: &mut [u8], signed: bool) -> usize {
    let n = (codes.len() / 64 * 64).min(out.len() / 32 * 64);
    for (o, c) in out[..n / 2]
        .chunks_exact_mut(32)
        .zip(codes[..n].chunks_exact(64))
    {
        // SAFETY: 64 readable codes and 32 writable bytes per step; unaligned accesses.
        unsafe {
            let a = pair_bytes(_mm256_loadu_si256(c.as_ptr().cast()), signed);
            let b = pair_bytes(_mm256_loadu_si256(c.as_ptr().add(32).cast()), signed);
            // packus per 128-bit lane: a0 b0 a1 b1 -> a0 a1 b0 b1.
            let p = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi16(a, b));
            _mm256_storeu_si256(o.as_mut_ptr().cast(), p);
        }
    }
    n
}

#[inline]
#[target_feature(enable = "avx2")]
fn widen(v: __m256i, signed: bool) -> __m256i {
    if signed {
        _mm256_sub_epi8(
            _mm256_xor_si256(v, _mm256_set1_epi8(8)),
            _mm256_set1_epi8(8),
        )
    } else {
        v
    }
}

/// Unpacks whole steps of 64 codes (32 bytes); returns how many codes were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn unpack(packed: &[u8], codes: &mut [u8], signed: bool) -> usize {
    let n = (codes.len() / 64 * 64).min(packed.len() / 32 * 64);
    for (c, p) in codes[..n]
        .chunks_exact_mut(64)
        .zip(packed[..n / 2].chunks_exact(32))
    {
        // SAFETY: 32 readable bytes and 64 writable codes per step; unaligned accesses.
        unsafe {
            let b = _mm256_loadu_si256(p.as_ptr().cast());
            let m = _mm256_set1_epi8(0x0f);
            let lo = _mm256_and_si256(b, m);
            let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(b), m);
            let x = _mm256_unpacklo_epi8(lo, hi); // bytes 0..8 | 16..24, interleaved
            let y = _mm256_unpackhi_epi8(lo, hi); // bytes 8..16 | 24..32
            let d = c.as_mut_ptr().cast::<__m256i>();
            _mm256_storeu_si256(d, widen(_mm256_permute2x128_si256::<0x20>(x, y), signed));
            _mm256_storeu_si256(
                d.add(1),
                widen(_mm256_permute2x128_si256::<0x31>(x, y), signed),
            );
        }
    }
    n
}
