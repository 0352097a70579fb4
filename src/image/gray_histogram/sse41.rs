//! SSE4.1 fused gray and count: the AVX2 kernel's loop (see its documentation) with four
//! 16-pixel conversions ([`Gray16`](crate::image::gray::sse41::Gray16)) per 64-pixel step.

use super::{count64, SubHist};
use crate::image::gray::sse41::Gray16;
use std::arch::x86_64::*;

/// How far ahead of the step's colour bytes they are prefetched (bytes).
const PREFETCH_SRC: usize = 3072;
/// How far ahead of the step's gray bytes the destination is prefetched (bytes).
const PREFETCH_DST: usize = 1024;

/// Whether the 64 bytes of `g` are all equal.
#[inline]
#[target_feature(enable = "sse4.1")]
fn uniform(g: [__m128i; 4]) -> bool {
    let first = _mm_shuffle_epi8(g[0], _mm_setzero_si128());
    let eq = _mm_and_si128(
        _mm_and_si128(_mm_cmpeq_epi8(g[0], first), _mm_cmpeq_epi8(g[1], first)),
        _mm_and_si128(_mm_cmpeq_epi8(g[2], first), _mm_cmpeq_epi8(g[3], first)),
    );
    _mm_movemask_epi8(eq) == 0xffff
}

/// One row of `BPP`-byte pixels: `blocks` steps of 64.
///
/// # Safety
/// SSE4.1; `64 * blocks * BPP` bytes readable at `s`, `64 * blocks` writable at `d`, and
/// `blocks >= 1`.
#[inline(always)]
unsafe fn run<const BPP: usize>(
    g: &Gray16,
    s: *const u8,
    d: *mut u8,
    blocks: usize,
    h: &mut SubHist,
) {
    let mut run = false;
    for b in 0..blocks {
        let x = b * 64;
        // Prefetches never fault, so the addresses may run past the row.
        for line in 0..BPP {
            let a = s.wrapping_add(x * BPP + PREFETCH_SRC + line * 64);
            _mm_prefetch::<_MM_HINT_T0>(a.cast());
        }
        _mm_prefetch::<_MM_HINT_T0>(d.wrapping_add(x + PREFETCH_DST).cast::<i8>());
        // SAFETY: step b reads bytes [64 b BPP, 64 (b + 1) BPP) of `s`, writes [64 b,
        // 64 (b + 1)) of `d`, and counts step b - 1's bytes, all inside (caller's promise).
        unsafe {
            let p = s.add(x * BPP);
            let v = [
                g.convert::<BPP>(p),
                g.convert::<BPP>(p.add(16 * BPP)),
                g.convert::<BPP>(p.add(32 * BPP)),
                g.convert::<BPP>(p.add(48 * BPP)),
            ];
            for (k, &q) in v.iter().enumerate() {
                _mm_storeu_si128(d.add(x + 16 * k).cast(), q);
            }
            if b > 0 {
                count64(d.add(x - 64), run, h);
            }
            run = uniform(v);
        }
    }
    // SAFETY: the last step's 64 bytes, written above.
    unsafe { count64(d.add((blocks - 1) * 64), run, h) };
}

/// Converts and counts the leading whole 64-pixel steps of the row (`dst.len()` pixels of
/// `bpp` = 3 or 4 bytes in `src`, weights `w`); returns how many pixels were done.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn gray_count_row(
    src: &[u8],
    dst: &mut [u8],
    bpp: usize,
    w: [u32; 3],
    h: &mut SubHist,
) -> usize {
    let n = dst.len().min(src.len() / bpp);
    let blocks = n / 64;
    if blocks == 0 {
        return 0;
    }
    // SAFETY: SSE4.1 is the caller's promise; `blocks` whole steps lie inside both slices.
    unsafe {
        let g = Gray16::new(bpp, w);
        if bpp == 3 {
            run::<3>(&g, src.as_ptr(), dst.as_mut_ptr(), blocks, h);
        } else {
            run::<4>(&g, src.as_ptr(), dst.as_mut_ptr(), blocks, h);
        }
    }
    blocks * 64
}
