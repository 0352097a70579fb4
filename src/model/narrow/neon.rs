//! NEON f32 -> f16 / bf16: 8 elements per step, the integer formulation of `scalar.rs` on
//! four lanes at a time (selects for the NaN, inf, subnormal and normal cases), narrowed to
//! 16 bits. (`fcvtn` quiets NaNs, which numpy does not, and needs the unstable f16 type.)

use super::scalar::{F16_REBIAS, F16_SUB_MAGIC};
use std::arch::aarch64::*;

#[inline]
#[target_feature(enable = "neon")]
fn f16_lanes(v: float32x4_t) -> uint16x4_t {
    let b = vreinterpretq_u32_f32(v);
    let sign = vshrq_n_u32::<16>(vandq_u32(b, vdupq_n_u32(0x8000_0000)));
    let a = vandq_u32(b, vdupq_n_u32(0x7fff_ffff));
    let magic = vdupq_n_u32(F16_SUB_MAGIC);
    let sub = vsubq_u32(
        vreinterpretq_u32_f32(vaddq_f32(
            vreinterpretq_f32_u32(a),
            vreinterpretq_f32_u32(magic),
        )),
        magic,
    );
    let odd = vandq_u32(vshrq_n_u32::<13>(a), vdupq_n_u32(1));
    let norm = vshrq_n_u32::<13>(vaddq_u32(
        vaddq_u32(a, vdupq_n_u32(0x0fff_u32.wrapping_sub(F16_REBIAS))),
        odd,
    ));
    let m = vshrq_n_u32::<13>(vandq_u32(a, vdupq_n_u32(0x007f_ffff)));
    let inf = vdupq_n_u32(0x7c00);
    let nan = vorrq_u32(
        vorrq_u32(inf, m),
        vandq_u32(vceqq_u32(m, vdupq_n_u32(0)), vdupq_n_u32(1)),
    );
    let r = vbslq_u32(vcltq_u32(a, vdupq_n_u32(0x3880_0000)), sub, norm);
    let r = vbslq_u32(vcgtq_u32(a, vdupq_n_u32(0x477f_ffff)), inf, r);
    let r = vbslq_u32(vcgtq_u32(a, vdupq_n_u32(0x7f80_0000)), nan, r);
    vmovn_u32(vorrq_u32(r, sign))
}

#[inline]
#[target_feature(enable = "neon")]
fn bf16_lanes(v: float32x4_t) -> uint16x4_t {
    let b = vreinterpretq_u32_f32(v);
    let odd = vandq_u32(vshrq_n_u32::<16>(b), vdupq_n_u32(1));
    let r = vshrq_n_u32::<16>(vaddq_u32(vaddq_u32(b, vdupq_n_u32(0x7fff)), odd));
    let a = vandq_u32(b, vdupq_n_u32(0x7fff_ffff));
    let nan = vorrq_u32(
        vshrq_n_u32::<16>(vandq_u32(b, vdupq_n_u32(0x8000_0000))),
        vdupq_n_u32(0x7fc0),
    );
    vmovn_u32(vbslq_u32(vcgtq_u32(a, vdupq_n_u32(0x7f80_0000)), nan, r))
}

#[inline]
#[target_feature(enable = "neon")]
fn run<const BF: bool>(x: &[f32], out: &mut [u16]) -> usize {
    let lanes = |v| if BF { bf16_lanes(v) } else { f16_lanes(v) };
    let n = x.len().min(out.len()) / 8 * 8;
    for (o, i) in out[..n].chunks_exact_mut(8).zip(x[..n].chunks_exact(8)) {
        // SAFETY: each chunk holds exactly 8 elements; NEON loads/stores are unaligned.
        unsafe {
            let a = lanes(vld1q_f32(i.as_ptr()));
            let b = lanes(vld1q_f32(i.as_ptr().add(4)));
            vst1q_u16(o.as_mut_ptr(), vcombine_u16(a, b));
        }
    }
    n
}

/// Converts the largest multiple of 8 elements to f16; returns how many.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn f16(x: &[f32], out: &mut [u16]) -> usize {
    run::<false>(x, out)
}

/// Converts the largest multiple of 8 elements to bf16; returns how many.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn bf16(x: &[f32], out: &mut [u16]) -> usize {
    run::<true>(x, out)
}
