//! SSE4.1 grayscale: 16 pixels per step. Three-byte pixels are gathered with `pshufb` into
//! 16-bit (p0, p1) and (p2, 1) pairs, four-byte pixels are split into (p0, p2) and (p1, p3)
//! pairs with a mask and a shift; `pmaddwd` then forms the exact 32-bit weighted sums.

use super::scalar::{ROUND, SHIFT};
use std::arch::x86_64::*;

/// Weighted sums of the 4 three-byte pixels selected by the masks from the 16 bytes at `p`.
#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn sums3(p: *const u8, m01: __m128i, m2: __m128i, w01: __m128i, w2r: __m128i) -> __m128i {
    let one = _mm_set1_epi32(1 << 16);
    // SAFETY: the caller guarantees 16 readable bytes at `p`.
    let v = unsafe { _mm_loadu_si128(p.cast()) };
    let a = _mm_madd_epi16(_mm_shuffle_epi8(v, m01), w01);
    let b = _mm_madd_epi16(_mm_or_si128(_mm_shuffle_epi8(v, m2), one), w2r);
    _mm_srli_epi32::<{ SHIFT as i32 }>(_mm_add_epi32(a, b))
}

/// Weighted sums of the 4 four-byte pixels at `p` (reads 16 bytes).
#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn sums4(p: *const u8, w02: __m128i, w1: __m128i) -> __m128i {
    // SAFETY: the caller guarantees 16 readable bytes at `p`.
    let v = unsafe { _mm_loadu_si128(p.cast()) };
    let even = _mm_and_si128(v, _mm_set1_epi16(0xff));
    let odd = _mm_srli_epi16::<8>(v);
    let s = _mm_add_epi32(_mm_madd_epi16(even, w02), _mm_madd_epi16(odd, w1));
    _mm_srli_epi32::<{ SHIFT as i32 }>(_mm_add_epi32(s, _mm_set1_epi32(ROUND as i32)))
}

/// Converts as many leading pixels as whole 16-pixel steps allow without reading past
/// `src`; returns how many were written. The caller finishes the rest with the scalar kernel.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn gray_row(src: &[u8], dst: &mut [u8], bpp: usize, w: [u32; 3]) -> usize {
    let n = dst.len().min(src.len() / bpp);
    let s = src.as_ptr();
    let d = dst.as_mut_ptr();
    let mut x = 0;
    if bpp == 3 {
        let m01 = _mm_setr_epi8(0, -1, 1, -1, 3, -1, 4, -1, 6, -1, 7, -1, 9, -1, 10, -1);
        let m2 = _mm_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
        // The same pixels 4 bytes into the load: the last group is loaded at byte 32 so a step
        // reads exactly its 48 bytes.
        let m01h = _mm_setr_epi8(4, -1, 5, -1, 7, -1, 8, -1, 10, -1, 11, -1, 13, -1, 14, -1);
        let m2h = _mm_setr_epi8(6, -1, -1, -1, 9, -1, -1, -1, 12, -1, -1, -1, 15, -1, -1, -1);
        let w01 = _mm_set1_epi32((w[0] | (w[1] << 16)) as i32);
        let w2r = _mm_set1_epi32((w[2] | (ROUND << 16)) as i32);
        while x + 16 <= n {
            // SAFETY: bytes [3x, 3x + 48) are inside `src`, [x, x + 16) inside `dst`.
            unsafe {
                let p = s.add(x * 3);
                let r0 = sums3(p, m01, m2, w01, w2r);
                let r1 = sums3(p.add(12), m01, m2, w01, w2r);
                let r2 = sums3(p.add(24), m01, m2, w01, w2r);
                let r3 = sums3(p.add(32), m01h, m2h, w01, w2r);
                let g = _mm_packus_epi16(_mm_packs_epi32(r0, r1), _mm_packs_epi32(r2, r3));
                _mm_storeu_si128(d.add(x).cast(), g);
            }
            x += 16;
        }
    } else {
        let w02 = _mm_set1_epi32((w[0] | (w[2] << 16)) as i32);
        let w1 = _mm_set1_epi32(w[1] as i32);
        while x + 16 <= n {
            // SAFETY: bytes [4x, 4x + 64) are inside `src`, [x, x + 16) inside `dst`.
            unsafe {
                let p = s.add(x * 4);
                let r0 = sums4(p, w02, w1);
                let r1 = sums4(p.add(16), w02, w1);
                let r2 = sums4(p.add(32), w02, w1);
                let r3 = sums4(p.add(48), w02, w1);
                let g = _mm_packus_epi16(_mm_packs_epi32(r0, r1), _mm_packs_epi32(r2, r3));
                _mm_storeu_si128(d.add(x).cast(), g);
            }
            x += 16;
        }
    }
    x
}
