//! SSE4.1 grayscale: 16 pixels per step. Three-byte pixels are gathered with `pshufb` into
//! 16-bit (p0, p1) and (p2, 1) pairs, four-byte pixels are split into (p0, p2) and (p1, p3)
//! pairs with a mask and a shift; `pmaddwd` then forms the exact 32-bit weighted sums.

use super::scalar::{ROUND, SHIFT};
use crate::cpu::prefetch;
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

/// The constants of one conversion, built once per row: 16 pixels of `BPP` bytes per
/// [`Gray16::convert`] call, the kernel [`gray_row`] runs (also used by the fused
/// gray-and-histogram kernel, so the two cannot drift apart).
pub(crate) struct Gray16 {
    /// `pshufb` masks of three-byte pixels, for loads at the group and 4 bytes before it.
    m01: __m128i,
    m2: __m128i,
    m01h: __m128i,
    m2h: __m128i,
    /// Word-pair weights: (w0, w1) and (w2, ROUND) for three-byte pixels, (w0, w2) and (w1,
    /// 0) for four-byte pixels.
    wa: __m128i,
    wb: __m128i,
}

impl Gray16 {
    /// Constants for pixels of `bpp` (3 or 4) bytes whose bytes 0, 1, 2 carry `w`.
    ///
    /// # Safety
    /// The CPU must support SSE4.1.
    #[target_feature(enable = "sse4.1")]
    pub(crate) unsafe fn new(bpp: usize, w: [u32; 3]) -> Self {
        let (wa, wb) = if bpp == 3 {
            (w[0] | (w[1] << 16), w[2] | (ROUND << 16))
        } else {
            (w[0] | (w[2] << 16), w[1])
        };
        Gray16 {
            m01: _mm_setr_epi8(0, -1, 1, -1, 3, -1, 4, -1, 6, -1, 7, -1, 9, -1, 10, -1),
            m2: _mm_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1),
            // The same pixels 4 bytes into the load: the last group is loaded at byte 32 so a
            // step reads exactly its 48 bytes.
            m01h: _mm_setr_epi8(4, -1, 5, -1, 7, -1, 8, -1, 10, -1, 11, -1, 13, -1, 14, -1),
            m2h: _mm_setr_epi8(6, -1, -1, -1, 9, -1, -1, -1, 12, -1, -1, -1, 15, -1, -1, -1),
            wa: _mm_set1_epi32(wa as i32),
            wb: _mm_set1_epi32(wb as i32),
        }
    }

    /// Gray values of the 16 pixels of `BPP` bytes at `p`, in order. `self` must have been
    /// built for `BPP`.
    ///
    /// # Safety
    /// The CPU must support SSE4.1 and the `16 * BPP` bytes at `p` must be readable.
    #[inline]
    #[target_feature(enable = "sse4.1")]
    pub(crate) unsafe fn convert<const BPP: usize>(&self, p: *const u8) -> __m128i {
        // SAFETY: the caller guarantees 16 * BPP readable bytes at `p`.
        unsafe {
            let (r0, r1, r2, r3) = if BPP == 3 {
                (
                    sums3(p, self.m01, self.m2, self.wa, self.wb),
                    sums3(p.add(12), self.m01, self.m2, self.wa, self.wb),
                    sums3(p.add(24), self.m01, self.m2, self.wa, self.wb),
                    sums3(p.add(32), self.m01h, self.m2h, self.wa, self.wb),
                )
            } else {
                (
                    sums4(p, self.wa, self.wb),
                    sums4(p.add(16), self.wa, self.wb),
                    sums4(p.add(32), self.wa, self.wb),
                    sums4(p.add(48), self.wa, self.wb),
                )
            };
            _mm_packus_epi16(_mm_packs_epi32(r0, r1), _mm_packs_epi32(r2, r3))
        }
    }
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
    // SAFETY: SSE4.1 is the caller's promise.
    let g = unsafe { Gray16::new(bpp, w) };
    let mut x = 0;
    if bpp == 3 {
        while x + 16 <= n {
            // A hint for the line `prefetch::AHEAD` on (any address is allowed).
            prefetch::ahead(s.wrapping_add(x * 3));
            // SAFETY: bytes [3x, 3x + 48) are inside `src`, [x, x + 16) inside `dst`.
            unsafe { _mm_storeu_si128(d.add(x).cast(), g.convert::<3>(s.add(x * 3))) };
            x += 16;
        }
    } else {
        while x + 16 <= n {
            prefetch::ahead(s.wrapping_add(x * 4));
            // SAFETY: bytes [4x, 4x + 64) are inside `src`, [x, x + 16) inside `dst`.
            unsafe { _mm_storeu_si128(d.add(x).cast(), g.convert::<4>(s.add(x * 4))) };
            x += 16;
        }
    }
    x
}
