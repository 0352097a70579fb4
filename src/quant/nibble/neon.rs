//! NEON nibble packing: `vld2q_u8` splits 32 codes into even and odd elements, which are
//! saturated and merged into 16 bytes; unpack splits nibbles and `vst2q_u8` interleaves them.

use std::arch::aarch64::*;

/// Packs whole steps of 32 codes; returns how many codes were done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn pack(codes: &[u8], out: &mut [u8], signed: bool) -> usize {
    let n = (codes.len() / 32 * 32).min(out.len() / 16 * 32);
    let sat = |v: uint8x16_t| {
        if signed {
            let s = vreinterpretq_s8_u8(v);
            vreinterpretq_u8_s8(vmaxq_s8(vminq_s8(s, vdupq_n_s8(7)), vdupq_n_s8(-8)))
        } else {
            vminq_u8(v, vdupq_n_u8(15))
        }
    };
    for (o, c) in out[..n / 2]
        .chunks_exact_mut(16)
        .zip(codes[..n].chunks_exact(32))
    {
        // SAFETY: 32 readable codes and 16 writable bytes per step.
        unsafe {
            let v = vld2q_u8(c.as_ptr());
            let lo = vandq_u8(sat(v.0), vdupq_n_u8(0x0f));
            let hi = vshlq_n_u8::<4>(sat(v.1));
            vst1q_u8(o.as_mut_ptr(), vorrq_u8(lo, hi));
        }
    }
    n
}

/// Unpacks whole steps of 32 codes (16 bytes); returns how many codes were done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn unpack(packed: &[u8], codes: &mut [u8], signed: bool) -> usize {
    let n = (codes.len() / 32 * 32).min(packed.len() / 16 * 32);
    for (c, p) in codes[..n]
        .chunks_exact_mut(32)
        .zip(packed[..n / 2].chunks_exact(16))
    {
        // SAFETY: 16 readable bytes and 32 writable codes per step.
        unsafe {
            let b = vld1q_u8(p.as_ptr());
            let (lo, hi) = if signed {
                // Shift the nibble to the top, then arithmetic-shift it back.
                let l = vshrq_n_s8::<4>(vreinterpretq_s8_u8(vshlq_n_u8::<4>(b)));
                let h = vshrq_n_s8::<4>(vreinterpretq_s8_u8(b));
                (vreinterpretq_u8_s8(l), vreinterpretq_u8_s8(h))
            } else {
                (vandq_u8(b, vdupq_n_u8(0x0f)), vshrq_n_u8::<4>(b))
            };
            vst2q_u8(c.as_mut_ptr(), uint8x16x2_t(lo, hi));
        }
    }
    n
}
