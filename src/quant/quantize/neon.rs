//! NEON quantize: 16 elements per step, equal to `scalar.rs` (`fdiv`, `frintn`
//! round-half-even, clamp with `fmaxnm(y, lo)` / `fminnm(y, hi)` which also turn NaN into
//! `lo`, add zp, saturating narrows). Per-tensor steps first try `x * (1 / scale)` and keep
//! it only when provably equal (`scalar::FAST_LIMIT`); otherwise they divide.

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

/// `round(y)` for four vectors, by the reciprocal fast path when it is provably exact for
/// every lane (see `scalar::FAST_LIMIT`), else by division.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn rounded4<const FAST: bool>(
    v: [float32x4_t; 4],
    s: float32x4_t,
    inv: float32x4_t,
) -> [float32x4_t; 4] {
    if FAST {
        let limit = vdupq_n_f32(super::scalar::FAST_LIMIT);
        let mut r = [vdupq_n_f32(0.0); 4];
        let mut ok = vdupq_n_u32(u32::MAX);
        for k in 0..4 {
            let y = vmulq_f32(v[k], inv);
            r[k] = vrndnq_f32(y);
            // d < limit is false for NaN.
            ok = vandq_u32(ok, vcltq_f32(vabdq_f32(y, r[k]), limit));
        }
        if vminvq_u32(ok) == u32::MAX {
            return r;
        }
    }
    v.map(|x| vrndnq_f32(vdivq_f32(x, s)))
}

#[target_feature(enable = "neon")]
unsafe fn run<const SIGNED: bool, const FAST: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
) -> usize {
    let n = x.len().min(out.len()) / 16 * 16;
    let (lo, hi) = super::scalar::bounds(dtype, zp);
    let (s, inv, lo, hi, z) = (
        vdupq_n_f32(scale),
        vdupq_n_f32(1.0 / scale),
        vdupq_n_f32(lo),
        vdupq_n_f32(hi),
        vdupq_n_s32(zp),
    );
    // round(clamp(y)) == clamp(round(y)) for integer bounds; fmaxnm(NaN, lo) gives lo.
    let fin = |r: float32x4_t| vaddq_s32(vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(r, lo), hi)), z);
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= both lengths.
        let p = xp.add(i);
        let v = [
            vld1q_f32(p),
            vld1q_f32(p.add(4)),
            vld1q_f32(p.add(8)),
            vld1q_f32(p.add(12)),
        ];
        let r = rounded4::<FAST>(v, s, inv);
        vst1q_u8(
            op.add(i),
            pack::<SIGNED>(fin(r[0]), fin(r[1]), fin(r[2]), fin(r[3])),
        );
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
    let fast = super::scalar::fast_path_allowed(scale);
    match (dtype, fast) {
        (QDtype::I8, true) => run::<true, true>(x, out, scale, zp, dtype),
        (QDtype::I8, false) => run::<true, false>(x, out, scale, zp, dtype),
        (QDtype::U8, true) => run::<false, true>(x, out, scale, zp, dtype),
        (QDtype::U8, false) => run::<false, false>(x, out, scale, zp, dtype),
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
