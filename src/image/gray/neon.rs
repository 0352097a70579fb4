//! NEON grayscale: `vld3`/`vld4` deinterleave 16 pixels into planes, widening multiplies
//! form the exact 32-bit sums, `vrshrn` applies the round-half-up shift.

use super::scalar::SHIFT;
use std::arch::aarch64::*;

#[inline]
#[target_feature(enable = "neon")]
unsafe fn gray16(p0: uint8x16_t, p1: uint8x16_t, p2: uint8x16_t, w: [u32; 3]) -> uint8x16_t {
    let (w0, w1, w2) = (w[0] as u16, w[1] as u16, w[2] as u16);
    let half = |a: uint16x8_t, b: uint16x8_t, c: uint16x8_t| {
        let lo = vmlal_n_u16(
            vmlal_n_u16(vmull_n_u16(vget_low_u16(a), w0), vget_low_u16(b), w1),
            vget_low_u16(c),
            w2,
        );
        let hi = vmlal_n_u16(
            vmlal_n_u16(vmull_n_u16(vget_high_u16(a), w0), vget_high_u16(b), w1),
            vget_high_u16(c),
            w2,
        );
        // vrshrn adds 1 << (SHIFT - 1) before shifting: round half up, like the scalar kernel.
        vcombine_u16(
            vrshrn_n_u32::<{ SHIFT as i32 }>(lo),
            vrshrn_n_u32::<{ SHIFT as i32 }>(hi),
        )
    };
    let lo = half(
        vmovl_u8(vget_low_u8(p0)),
        vmovl_u8(vget_low_u8(p1)),
        vmovl_u8(vget_low_u8(p2)),
    );
    let hi = half(
        vmovl_u8(vget_high_u8(p0)),
        vmovl_u8(vget_high_u8(p1)),
        vmovl_u8(vget_high_u8(p2)),
    );
    vcombine_u8(vmovn_u16(lo), vmovn_u16(hi))
}

/// Converts as many leading pixels as whole 16-pixel steps allow; returns how many.
///
/// # Safety
/// The CPU must support NEON (always true on aarch64).
#[target_feature(enable = "neon")]
pub unsafe fn gray_row(src: &[u8], dst: &mut [u8], bpp: usize, w: [u32; 3]) -> usize {
    let n = dst.len().min(src.len() / bpp);
    let s = src.as_ptr();
    let d = dst.as_mut_ptr();
    let mut x = 0;
    while x + 16 <= n {
        // SAFETY: bytes [bpp x, bpp (x + 16)) are inside `src`, [x, x + 16) inside `dst`.
        unsafe {
            let g = if bpp == 3 {
                let v = vld3q_u8(s.add(x * 3));
                gray16(v.0, v.1, v.2, w)
            } else {
                let v = vld4q_u8(s.add(x * 4));
                gray16(v.0, v.1, v.2, w)
            };
            vst1q_u8(d.add(x), g);
        }
        x += 16;
    }
    x
}
