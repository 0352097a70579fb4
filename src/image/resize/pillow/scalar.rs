//! The specification: Pillow's 8-bit convolution passes, premultiplication and the
//! nearest-neighbour gather, one pixel at a time.
//!
//! Every convolution output byte is
//!
//! ```text
//! clamp((2^21 + sum_t k[t] * p[t]) >> 22, 0, 255)
//! ```
//!
//! with `k` the fixed-point coefficients of [`super::coeffs::Axis`], `p` the source bytes of
//! one channel under the window, the sum in exact 32-bit integer arithmetic and `>>` an
//! arithmetic shift (Pillow's `clip8`). Pillow's sum never leaves the `i32` range, so the
//! SIMD kernels may add the same products in any order, and may even let partial sums wrap:
//! two's-complement addition is exact modulo 2^32 and the true total fits.

use super::coeffs::{PRECISION_BITS, ROUND};

/// `clip8`: the accumulator's integer part, clamped to a byte.
#[inline(always)]
pub fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

fn h_row_c<const C: usize>(
    src: &[u8],
    base: usize,
    start: &[u32],
    k: &[i32],
    taps: usize,
    dst: &mut [u8],
) {
    for ((d, &s), kk) in dst.chunks_exact_mut(C).zip(start).zip(k.chunks_exact(taps)) {
        let first = (s as usize - base) * C;
        let px = &src[first..first + taps * C];
        let mut acc = [ROUND; C];
        for (p, &c) in px.chunks_exact(C).zip(kk) {
            for ch in 0..C {
                acc[ch] = acc[ch].wrapping_add(p[ch] as i32 * c);
            }
        }
        for ch in 0..C {
            d[ch] = clip8(acc[ch]);
        }
    }
}

/// Horizontal pass over one row: `src` holds source pixels from column `base` on; output
/// pixel `i` (of `dst.len() / bpp`) uses source columns `start[i]..start[i] + taps` with
/// coefficients `k[i * taps..]`.
pub fn h_row(
    src: &[u8],
    base: usize,
    start: &[u32],
    k: &[i32],
    taps: usize,
    bpp: usize,
    dst: &mut [u8],
) {
    match bpp {
        1 => h_row_c::<1>(src, base, start, k, taps, dst),
        3 => h_row_c::<3>(src, base, start, k, taps, dst),
        _ => h_row_c::<4>(src, base, start, k, taps, dst),
    }
}

/// Vertical pass for one output row: byte `i` of `dst` is the sum over `t < k.len()` of
/// `k[t] * src[first + t * stride + i]`.
pub fn v_row(src: &[u8], stride: usize, first: usize, k: &[i32], dst: &mut [u8]) {
    for (i, d) in dst.iter_mut().enumerate() {
        let mut acc = ROUND;
        for (t, &c) in k.iter().enumerate() {
            acc = acc.wrapping_add(src[first + t * stride + i] as i32 * c);
        }
        *d = clip8(acc);
    }
}

/// Pillow's `RGBA -> RGBa`: each colour byte becomes `MULDIV255(c, a)`, i.e.
/// `t = c * a + 128; ((t >> 8) + t) >> 8`; alpha (byte 3) is kept.
pub fn premultiply(src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let a = s[3] as u32;
        for c in 0..3 {
            let t = s[c] as u32 * a + 128;
            d[c] = (((t >> 8) + t) >> 8) as u8;
        }
        d[3] = s[3];
    }
}

/// Pillow's `RGBa -> RGBA`, in place: with alpha 0 or 255 the colour bytes are kept,
/// otherwise each becomes `min(255, 255 * c / a)` (integer division).
pub fn unpremultiply(px: &mut [u8]) {
    for p in px.chunks_exact_mut(4) {
        let a = p[3] as u32;
        if a != 0 && a != 255 {
            for c in &mut p[..3] {
                *c = ((255 * *c as u32) / a).min(255) as u8;
            }
        }
    }
}
