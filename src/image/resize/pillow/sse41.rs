//! SSE4.1 convolution passes: the AVX2 arithmetic ([`super::avx2`]) on 128-bit vectors,
//! one row at a time in the horizontal pass and 16 bytes per step in the vertical pass.

use super::coeffs::{PRECISION_BITS, ROUND, SPLIT};
use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "sse4.1")]
fn pair_mask(bpp: usize) -> __m128i {
    if bpp == 4 {
        _mm_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1)
    } else {
        _mm_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1)
    }
}

#[inline]
#[target_feature(enable = "sse4.1")]
fn finish(hi: __m128i, lo: __m128i) -> __m128i {
    let t = _mm_add_epi32(_mm_slli_epi32::<{ SPLIT as i32 }>(hi), lo);
    _mm_srai_epi32::<{ PRECISION_BITS as i32 }>(_mm_add_epi32(t, _mm_set1_epi32(ROUND)))
}

#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "sse4.1")]
fn h_one<const BPP: usize>(
    a: &[u8],
    base: usize,
    start: &[u32],
    hp: &[i32],
    lp: &[i32],
    npairs: usize,
    n: usize,
    da: &mut [u8],
) {
    let mask = pair_mask(BPP);
    for x in 0..n {
        let s = (start[x] as usize - base) * BPP;
        assert!(s + (2 * npairs - 2) * BPP + 8 <= a.len());
        let (hx, lx) = (&hp[x * npairs..][..npairs], &lp[x * npairs..][..npairs]);
        let (mut ah, mut al) = (_mm_setzero_si128(), _mm_setzero_si128());
        for p in 0..npairs {
            let off = s + 2 * p * BPP;
            // SAFETY: off + 8 <= a.len() (asserted above for the largest off).
            let v = unsafe { _mm_loadl_epi64(a.as_ptr().add(off).cast()) };
            let px = _mm_shuffle_epi8(v, mask);
            ah = _mm_add_epi32(ah, _mm_madd_epi16(px, _mm_set1_epi32(hx[p])));
            al = _mm_add_epi32(al, _mm_madd_epi16(px, _mm_set1_epi32(lx[p])));
        }
        let t = finish(ah, al);
        let w = _mm_packs_epi32(t, t);
        let q = _mm_packus_epi16(w, w);
        let o = x * BPP;
        da[o..o + BPP].copy_from_slice(&_mm_cvtsi128_si32(q).to_le_bytes()[..BPP]);
    }
}

/// Horizontal outputs `0..n` of every row (`bpp` 3 or 4).
///
/// # Safety
/// The CPU must support SSE4.1.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "sse4.1")]
pub unsafe fn h_rows(
    src: &[&[u8]],
    dst: &mut [&mut [u8]],
    base: usize,
    start: &[u32],
    hp: &[i32],
    lp: &[i32],
    npairs: usize,
    bpp: usize,
    n: usize,
) {
    for (s, d) in src.iter().zip(dst.iter_mut()) {
        if bpp == 4 {
            h_one::<4>(s, base, start, hp, lp, npairs, n, d);
        } else {
            h_one::<3>(s, base, start, hp, lp, npairs, n, d);
        }
    }
}

/// Vertical pass of one output row over whole 16-byte steps; returns the bytes written.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn v_row(
    src: &[u8],
    stride: usize,
    first: usize,
    taps: usize,
    hp: &[i32],
    lp: &[i32],
    dst: &mut [u8],
) -> usize {
    let len = dst.len();
    assert!(taps >= 1 && first + (taps - 1) * stride + len <= src.len());
    assert!(hp.len() == taps.div_ceil(2) && lp.len() == hp.len());
    let z = _mm_setzero_si128();
    let mut i = 0;
    while i + 16 <= len {
        let mut h = [z; 4];
        let mut l = [z; 4];
        for (p, (&hw, &lw)) in hp.iter().zip(lp).enumerate() {
            let ta = 2 * p;
            let tb = (ta + 1).min(taps - 1);
            // SAFETY: rows ta, tb < taps, bytes i..i + 16 <= len (asserted above).
            let (a, b) = unsafe {
                (
                    _mm_loadu_si128(src.as_ptr().add(first + ta * stride + i).cast()),
                    _mm_loadu_si128(src.as_ptr().add(first + tb * stride + i).cast()),
                )
            };
            let u = _mm_unpacklo_epi8(a, b);
            let w = _mm_unpackhi_epi8(a, b);
            let px = [
                _mm_unpacklo_epi8(u, z),
                _mm_unpackhi_epi8(u, z),
                _mm_unpacklo_epi8(w, z),
                _mm_unpackhi_epi8(w, z),
            ];
            let (hv, lv) = (_mm_set1_epi32(hw), _mm_set1_epi32(lw));
            for j in 0..4 {
                h[j] = _mm_add_epi32(h[j], _mm_madd_epi16(px[j], hv));
                l[j] = _mm_add_epi32(l[j], _mm_madd_epi16(px[j], lv));
            }
        }
        let t: [__m128i; 4] = std::array::from_fn(|j| finish(h[j], l[j]));
        let q = _mm_packus_epi16(_mm_packs_epi32(t[0], t[1]), _mm_packs_epi32(t[2], t[3]));
        // SAFETY: i + 16 <= len.
        unsafe { _mm_storeu_si128(dst.as_mut_ptr().add(i).cast(), q) };
        i += 16;
    }
    i
}
