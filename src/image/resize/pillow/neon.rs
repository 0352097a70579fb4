//! NEON convolution passes. NEON multiplies 32-bit lanes exactly (`vmlaq_n_s32`), so the
//! bytes are widened to `i32` and multiplied by the full fixed-point coefficients: the sums
//! are the scalar ones (see [`super::scalar`]).
//!
//! Vertical: 16 bytes of a row per step. Horizontal: one output pixel per step, its 3 or 4
//! channels in the four lanes, two taps per 8-byte load.

use super::coeffs::{PRECISION_BITS, ROUND};
use std::arch::aarch64::*;

/// `clip8` of four sums, as the low 4 bytes of the result.
#[inline]
#[target_feature(enable = "neon")]
fn finish4(acc: int32x4_t) -> u32 {
    let t = vshrq_n_s32::<{ PRECISION_BITS as i32 }>(acc);
    let w = vqmovn_s32(t);
    let b = vqmovun_s16(vcombine_s16(w, w));
    vget_lane_u32::<0>(vreinterpret_u32_u8(b))
}

#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "neon")]
fn h_one<const BPP: usize>(
    a: &[u8],
    base: usize,
    start: &[u32],
    k: &[i32],
    taps: usize,
    n: usize,
    da: &mut [u8],
) {
    // Spreads pixels t, t + 1 to 4 bytes each (index 255 reads as 0).
    let idx: [u8; 8] = if BPP == 4 {
        [0, 1, 2, 3, 4, 5, 6, 7]
    } else {
        [0, 1, 2, 255, 3, 4, 5, 255]
    };
    // SAFETY: 8 readable bytes.
    let idx = unsafe { vld1_u8(idx.as_ptr()) };
    for x in 0..n {
        let s = (start[x] as usize - base) * BPP;
        assert!(taps.is_multiple_of(2) && s + (taps - 2) * BPP + 8 <= a.len());
        let kx = &k[x * taps..][..taps];
        let mut acc = vdupq_n_s32(ROUND);
        for (p, kk) in kx.chunks_exact(2).enumerate() {
            // SAFETY: the load ends at or before the asserted bound.
            let v = unsafe { vld1_u8(a.as_ptr().add(s + 2 * p * BPP)) };
            let w = vmovl_u8(vtbl1_u8(v, idx));
            let p0 = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(w)));
            let p1 = vreinterpretq_s32_u32(vmovl_high_u16(w));
            acc = vmlaq_n_s32(vmlaq_n_s32(acc, p0, kk[0]), p1, kk[1]);
        }
        let o = x * BPP;
        da[o..o + BPP].copy_from_slice(&finish4(acc).to_le_bytes()[..BPP]);
    }
}

/// Horizontal outputs `0..n` of every row (`bpp` 3 or 4; `taps` even).
///
/// # Safety
/// The CPU must support NEON.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "neon")]
pub unsafe fn h_rows(
    src: &[&[u8]],
    dst: &mut [&mut [u8]],
    base: usize,
    start: &[u32],
    k: &[i32],
    taps: usize,
    bpp: usize,
    n: usize,
) {
    for (s, d) in src.iter().zip(dst.iter_mut()) {
        if bpp == 4 {
            h_one::<4>(s, base, start, k, taps, n, d);
        } else {
            h_one::<3>(s, base, start, k, taps, n, d);
        }
    }
}

/// Vertical pass of one output row over whole 16-byte steps; returns the bytes written.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn v_row(src: &[u8], stride: usize, first: usize, k: &[i32], dst: &mut [u8]) -> usize {
    let len = dst.len();
    let taps = k.len();
    assert!(taps >= 1 && first + (taps - 1) * stride + len <= src.len());
    let mut i = 0;
    while i + 16 <= len {
        let mut acc = [vdupq_n_s32(ROUND); 4];
        for (t, &c) in k.iter().enumerate() {
            // SAFETY: row t < taps, bytes i..i + 16 <= len (asserted above).
            let v = unsafe { vld1q_u8(src.as_ptr().add(first + t * stride + i)) };
            let lo = vmovl_u8(vget_low_u8(v));
            let hi = vmovl_high_u8(v);
            let q = [
                vmovl_u16(vget_low_u16(lo)),
                vmovl_high_u16(lo),
                vmovl_u16(vget_low_u16(hi)),
                vmovl_high_u16(hi),
            ];
            for j in 0..4 {
                acc[j] = vmlaq_n_s32(acc[j], vreinterpretq_s32_u32(q[j]), c);
            }
        }
        let w: [int16x4_t; 4] =
            std::array::from_fn(|j| vqmovn_s32(vshrq_n_s32::<{ PRECISION_BITS as i32 }>(acc[j])));
        let b0 = vqmovun_s16(vcombine_s16(w[0], w[1]));
        let b1 = vqmovun_s16(vcombine_s16(w[2], w[3]));
        // SAFETY: i + 16 <= len.
        unsafe { vst1q_u8(dst.as_mut_ptr().add(i), vcombine_u8(b0, b1)) };
        i += 16;
    }
    i
}
