//! AVX2 grayscale: 32 pixels per step, same arithmetic as the SSE4.1 kernel on two 128-bit
//! lanes (each lane holds 4 whole pixels), then one `vpermd` restores pixel order.

use super::scalar::{ROUND, SHIFT};
use crate::cpu::prefetch;
use std::arch::x86_64::*;

/// Weighted sums of 8 three-byte pixels at `p`: pixels 0-3 in lane 0 (bytes 0..12 of a load
/// at `p`), 4-7 in lane 1 (bytes 4..16 of a load at `p + 8`), so exactly the 24 pixel bytes
/// are read.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn sums3(p: *const u8, m01: __m256i, m2: __m256i, w01: __m256i, w2r: __m256i) -> __m256i {
    let one = _mm256_set1_epi32(1 << 16);
    // SAFETY: the caller guarantees 24 readable bytes at `p`.
    let v = unsafe {
        let lo = _mm_loadu_si128(p.cast());
        let hi = _mm_loadu_si128(p.add(8).cast());
        _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi)
    };
    let a = _mm256_madd_epi16(_mm256_shuffle_epi8(v, m01), w01);
    let b = _mm256_madd_epi16(_mm256_or_si256(_mm256_shuffle_epi8(v, m2), one), w2r);
    _mm256_srli_epi32::<{ SHIFT as i32 }>(_mm256_add_epi32(a, b))
}

/// Weighted sums of 8 four-byte pixels at `p` (reads 32 bytes).
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn sums4(p: *const u8, w02: __m256i, w1: __m256i) -> __m256i {
    // SAFETY: the caller guarantees 32 readable bytes at `p`.
    let v = unsafe { _mm256_loadu_si256(p.cast()) };
    let even = _mm256_and_si256(v, _mm256_set1_epi16(0xff));
    let odd = _mm256_srli_epi16::<8>(v);
    let s = _mm256_add_epi32(_mm256_madd_epi16(even, w02), _mm256_madd_epi16(odd, w1));
    _mm256_srli_epi32::<{ SHIFT as i32 }>(_mm256_add_epi32(s, _mm256_set1_epi32(ROUND as i32)))
}

/// Packs four vectors of 8 sums (pixels 0-7, 8-15, 16-23, 24-31) into 32 bytes in order.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn pack32(r0: __m256i, r1: __m256i, r2: __m256i, r3: __m256i) -> __m256i {
    // packs/packus work per lane: dwords end up as pixels 0-3, 8-11, 16-19, 24-27 | 4-7, ...
    let g = _mm256_packus_epi16(_mm256_packs_epi32(r0, r1), _mm256_packs_epi32(r2, r3));
    _mm256_permutevar8x32_epi32(g, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

/// The constants of one conversion, built once per row: 32 pixels of `BPP` bytes per
/// [`Gray32::convert`] call, the kernel [`gray_row`] runs (also used by the fused
/// gray-and-histogram kernel, so the two cannot drift apart).
pub(crate) struct Gray32 {
    /// `pshufb` masks of three-byte pixels (unused for four-byte pixels).
    m01: __m256i,
    m2: __m256i,
    /// Word-pair weights: (w0, w1) and (w2, ROUND) for three-byte pixels, (w0, w2) and (w1,
    /// 0) for four-byte pixels.
    wa: __m256i,
    wb: __m256i,
}

impl Gray32 {
    /// Constants for pixels of `bpp` (3 or 4) bytes whose bytes 0, 1, 2 carry `w`.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn new(bpp: usize, w: [u32; 3]) -> Self {
        let m = |i: i8| [i, -1, i + 1, -1];
        let q = |i: i8| [i + 2, -1, -1, -1];
        let mut m01 = [0i8; 32];
        let mut m2 = [0i8; 32];
        for k in 0..8 {
            // Lane 1 is loaded 8 bytes later, so its pixel 4 starts at byte 4 of the lane.
            let base = (k % 4) as i8 * 3 + if k >= 4 { 4 } else { 0 };
            m01[k * 4..k * 4 + 4].copy_from_slice(&m(base));
            m2[k * 4..k * 4 + 4].copy_from_slice(&q(base));
        }
        // SAFETY: 32-byte arrays.
        let (m01, m2) = unsafe {
            (
                _mm256_loadu_si256(m01.as_ptr().cast()),
                _mm256_loadu_si256(m2.as_ptr().cast()),
            )
        };
        let (wa, wb) = if bpp == 3 {
            (w[0] | (w[1] << 16), w[2] | (ROUND << 16))
        } else {
            (w[0] | (w[2] << 16), w[1])
        };
        Gray32 {
            m01,
            m2,
            wa: _mm256_set1_epi32(wa as i32),
            wb: _mm256_set1_epi32(wb as i32),
        }
    }

    /// Gray values of the 32 pixels of `BPP` bytes at `p`, in order. `self` must have been
    /// built for `BPP`.
    ///
    /// # Safety
    /// The CPU must support AVX2 and the `32 * BPP` bytes at `p` must be readable.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn convert<const BPP: usize>(&self, p: *const u8) -> __m256i {
        // SAFETY: the caller guarantees 32 * BPP readable bytes at `p`.
        unsafe {
            if BPP == 3 {
                let r0 = sums3(p, self.m01, self.m2, self.wa, self.wb);
                let r1 = sums3(p.add(24), self.m01, self.m2, self.wa, self.wb);
                let r2 = sums3(p.add(48), self.m01, self.m2, self.wa, self.wb);
                let r3 = sums3(p.add(72), self.m01, self.m2, self.wa, self.wb);
                pack32(r0, r1, r2, r3)
            } else {
                let r0 = sums4(p, self.wa, self.wb);
                let r1 = sums4(p.add(32), self.wa, self.wb);
                let r2 = sums4(p.add(64), self.wa, self.wb);
                let r3 = sums4(p.add(96), self.wa, self.wb);
                pack32(r0, r1, r2, r3)
            }
        }
    }
}

/// Converts as many leading pixels as whole 32-pixel steps allow without reading past
/// `src`; returns how many were written.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn gray_row(src: &[u8], dst: &mut [u8], bpp: usize, w: [u32; 3]) -> usize {
    let n = dst.len().min(src.len() / bpp);
    let s = src.as_ptr();
    let d = dst.as_mut_ptr();
    // SAFETY: AVX2 is the caller's promise.
    let g = unsafe { Gray32::new(bpp, w) };
    let mut x = 0;
    if bpp == 3 {
        while x + 32 <= n {
            // Hints for the 96 bytes `prefetch::AHEAD` on (any address is allowed).
            prefetch::ahead(s.wrapping_add(x * 3));
            prefetch::ahead(s.wrapping_add(x * 3 + 64));
            // SAFETY: bytes [3x, 3x + 96) are inside `src`, [x, x + 32) inside `dst`.
            unsafe { _mm256_storeu_si256(d.add(x).cast(), g.convert::<3>(s.add(x * 3))) };
            x += 32;
        }
    } else {
        while x + 32 <= n {
            prefetch::ahead(s.wrapping_add(x * 4));
            prefetch::ahead(s.wrapping_add(x * 4 + 64));
            // SAFETY: bytes [4x, 4x + 128) are inside `src`, [x, x + 32) inside `dst`.
            unsafe { _mm256_storeu_si256(d.add(x).cast(), g.convert::<4>(s.add(x * 4))) };
            x += 32;
        }
    }
    x
}
