//! AVX2 convolution passes. Every product `p * k` is formed exactly as
//! `p * (k >> 15) * 2^15 + p * (k & 0x7fff)` by two `pmaddwd`, which also add the products
//! of two taps; the 32-bit sums equal the scalar ones (see [`super::scalar`]).
//!
//! Vertical: 32 bytes of a row per step, two tap rows interleaved byte by byte into
//! (row t, row t + 1) `i16` pairs. Horizontal: two rows at once, one per 128-bit lane; the
//! two pixels of a tap pair are shuffled into (pixel t, pixel t + 1) pairs per channel, so
//! one lane holds the 4 (or 3) channel sums of one output pixel.

use super::coeffs::{PRECISION_BITS, ROUND, SPLIT};
use std::arch::x86_64::*;

/// The shuffle that turns the 8 bytes of pixels t, t + 1 into per-channel `i16` pairs.
#[inline]
#[target_feature(enable = "avx2")]
fn pair_mask(bpp: usize) -> __m256i {
    if bpp == 4 {
        _mm256_setr_epi8(
            0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1, 0, -1, 4, -1, 1, -1, 5, -1, 2,
            -1, 6, -1, 3, -1, 7, -1,
        )
    } else {
        _mm256_setr_epi8(
            0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1, 0, -1, 3, -1, 1, -1, 4, -1,
            2, -1, 5, -1, -1, -1, -1, -1,
        )
    }
}

/// Final rounding shift of split sums: `((hi << SPLIT) + lo + ROUND) >> 22`.
#[inline]
#[target_feature(enable = "avx2")]
fn finish(hi: __m256i, lo: __m256i) -> __m256i {
    let t = _mm256_add_epi32(_mm256_slli_epi32::<{ SPLIT as i32 }>(hi), lo);
    _mm256_srai_epi32::<{ PRECISION_BITS as i32 }>(_mm256_add_epi32(t, _mm256_set1_epi32(ROUND)))
}

/// Horizontal outputs `0..n` of rows `a` and `b` (the second result is dropped when `db`
/// is `None`).
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2")]
fn h_two<const BPP: usize>(
    a: &[u8],
    b: &[u8],
    base: usize,
    start: &[u32],
    hp: &[i32],
    lp: &[i32],
    npairs: usize,
    n: usize,
    da: &mut [u8],
    mut db: Option<&mut [u8]>,
) {
    let mask = pair_mask(BPP);
    let len = a.len().min(b.len());
    for x in 0..n {
        let s = (start[x] as usize - base) * BPP;
        // The last pair is loaded as 8 bytes at pixel s + 2 (npairs - 1).
        assert!(s + (2 * npairs - 2) * BPP + 8 <= len);
        let (hx, lx) = (&hp[x * npairs..][..npairs], &lp[x * npairs..][..npairs]);
        let (mut ah, mut al) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        for p in 0..npairs {
            let off = s + 2 * p * BPP;
            // SAFETY: off + 8 <= len (asserted above for the largest off).
            let v = unsafe {
                let va = _mm_loadl_epi64(a.as_ptr().add(off).cast());
                let vb = _mm_loadl_epi64(b.as_ptr().add(off).cast());
                _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(va), vb)
            };
            let px = _mm256_shuffle_epi8(v, mask);
            ah = _mm256_add_epi32(ah, _mm256_madd_epi16(px, _mm256_set1_epi32(hx[p])));
            al = _mm256_add_epi32(al, _mm256_madd_epi16(px, _mm256_set1_epi32(lx[p])));
        }
        let t = finish(ah, al);
        let w = _mm256_packs_epi32(t, t);
        let q = _mm256_packus_epi16(w, w);
        let o = x * BPP;
        let wa = _mm256_extract_epi32::<0>(q).to_le_bytes();
        da[o..o + BPP].copy_from_slice(&wa[..BPP]);
        if let Some(db) = db.as_deref_mut() {
            let wb = _mm256_extract_epi32::<4>(q).to_le_bytes();
            db[o..o + BPP].copy_from_slice(&wb[..BPP]);
        }
    }
}

/// Horizontal outputs `0..n` of every row (`bpp` 3 or 4), two rows at a time.
///
/// # Safety
/// The CPU must support AVX2.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2")]
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
    for (s, d) in src.chunks(2).zip(dst.chunks_mut(2)) {
        let (da, rest) = d.split_first_mut().expect("a row");
        let db = rest.first_mut().map(|r| &mut **r);
        let b = s.get(1).copied().unwrap_or(s[0]);
        if bpp == 4 {
            h_two::<4>(s[0], b, base, start, hp, lp, npairs, n, da, db);
        } else {
            h_two::<3>(s[0], b, base, start, hp, lp, npairs, n, da, db);
        }
    }
}

/// Vertical pass of one output row over whole 32-byte steps; returns the bytes written.
/// Tap `t` reads `src[first + t * stride..]`; `hp`, `lp` are the row's coefficient pairs.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
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
    let z = _mm256_setzero_si256();
    let mut i = 0;
    while i + 32 <= len {
        let mut h = [z; 4];
        let mut l = [z; 4];
        for (p, (&hw, &lw)) in hp.iter().zip(lp).enumerate() {
            let ta = 2 * p;
            // A missing odd tap reuses row ta with coefficient 0.
            let tb = (ta + 1).min(taps - 1);
            // SAFETY: rows ta, tb < taps, bytes i..i + 32 <= len (asserted above).
            let (a, b) = unsafe {
                (
                    _mm256_loadu_si256(src.as_ptr().add(first + ta * stride + i).cast()),
                    _mm256_loadu_si256(src.as_ptr().add(first + tb * stride + i).cast()),
                )
            };
            let u = _mm256_unpacklo_epi8(a, b);
            let w = _mm256_unpackhi_epi8(a, b);
            let px = [
                _mm256_unpacklo_epi8(u, z),
                _mm256_unpackhi_epi8(u, z),
                _mm256_unpacklo_epi8(w, z),
                _mm256_unpackhi_epi8(w, z),
            ];
            let (hv, lv) = (_mm256_set1_epi32(hw), _mm256_set1_epi32(lw));
            for j in 0..4 {
                h[j] = _mm256_add_epi32(h[j], _mm256_madd_epi16(px[j], hv));
                l[j] = _mm256_add_epi32(l[j], _mm256_madd_epi16(px[j], lv));
            }
        }
        let t: [__m256i; 4] = std::array::from_fn(|j| finish(h[j], l[j]));
        let q = _mm256_packus_epi16(
            _mm256_packs_epi32(t[0], t[1]),
            _mm256_packs_epi32(t[2], t[3]),
        );
        // SAFETY: i + 32 <= len.
        unsafe { _mm256_storeu_si256(dst.as_mut_ptr().add(i).cast(), q) };
        i += 32;
    }
    i
}
