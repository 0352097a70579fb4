//! NEON quantize: 16 elements per step, same operations as `scalar.rs`
//! (`fdiv`, `fmaxnm(y, lo)` / `fminnm(y, hi)` which also turn NaN into `lo`,
//! `fcvtns` round-half-even, add zp, saturating narrows).

use crate::quant::params::QDtype;
use std::arch::aarch64::*;

#[inline]
#[target_feature(enable = "neon")]
unsafe fn one(
    v: float32x4_t,
    s: float32x4_t,
    lo: float32x4_t,
    hi: float32x4_t,
    zp: int32x4_t,
) -> int32x4_t {
    let y = vdivq_f32(v, s);
    let y = vminnmq_f32(vmaxnmq_f32(y, lo), hi);
    vaddq_s32(vcvtnq_s32_f32(y), zp)
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn pack<const SIGNED: bool>(
    a: int32x4_t,
    b: int32x4_t,
    c: int32x4_t,
    d: int32x4_t,
) -> uint8x16_t {
    let w0 = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b));
    let w1 = vcombine_s16(vqmovn_s32(c), vqmovn_s32(d));
    if SIGNED {
        vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(w0), vqmovn_s16(w1)))
    } else {
        vcombine_u8(vqmovun_s16(w0), vqmovun_s16(w1))
    }
}

#[target_feature(enable = "neon")]
unsafe fn run<const SIGNED: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()) / 16 * 16;
    let (lo, hi) = super::scalar::bounds(dtype, zp);
    let (s, lo, hi, z) = (
        vdupq_n_f32(scale),
        vdupq_n_f32(lo),
        vdupq_n_f32(hi),
        vdupq_n_s32(zp),
    );
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= both lengths.
        let p = xp.add(i);
        let a = one(vld1q_f32(p), s, lo, hi, z);
        let b = one(vld1q_f32(p.add(4)), s, lo, hi, z);
        let c = one(vld1q_f32(p.add(8)), s, lo, hi, z);
        let d = one(vld1q_f32(p.add(12)), s, lo, hi, z);
        vst1q_u8(op.add(i), pack::<SIGNED>(a, b, c, d));
        i += 16;
    }
    n
}

/// Quantizes the largest multiple of 16 elements; returns how many were done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn quantize(x: &[f32], out: &mut [u8], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(x, out, scale, zp, dtype),
        QDtype::U8 => run::<false>(x, out, scale, zp, dtype),
    }
}

#[target_feature(enable = "neon")]
unsafe fn run_pe<const SIGNED: bool>(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()).min(scales.len()).min(zps.len()) / 16 * 16;
    let (qmin, qmax) = dtype.range();
    let (qmin, qmax) = (vdupq_n_s32(qmin), vdupq_n_s32(qmax));
    let (xp, op, sp, zpp) = (x.as_ptr(), out.as_mut_ptr(), scales.as_ptr(), zps.as_ptr());
    let step = |k: usize| -> int32x4_t {
        // SAFETY: k + 4 <= n <= every length.
        let z = vld1q_s32(zpp.add(k));
        let lo = vcvtq_f32_s32(vsubq_s32(qmin, z));
        let hi = vcvtq_f32_s32(vsubq_s32(qmax, z));
        one(vld1q_f32(xp.add(k)), vld1q_f32(sp.add(k)), lo, hi, z)
    };
    let mut i = 0;
    while i < n {
        let (a, b, c, d) = (step(i), step(i + 4), step(i + 8), step(i + 12));
        vst1q_u8(op.add(i), pack::<SIGNED>(a, b, c, d));
        i += 16;
    }
    n
}

/// Per-element parameters; the largest multiple of 16 elements; returns how many were done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn quantize_per_elem(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    match dtype {
        QDtype::I8 => run_pe::<true>(x, out, scales, zps, dtype),
        QDtype::U8 => run_pe::<false>(x, out, scales, zps, dtype),
    }
}
