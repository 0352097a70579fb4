//! NEON dequantize: 16 bytes per step, widened to i32, `(q - zp)` converted exactly to
//! f32, times scale: the same operations as `scalar.rs`.

use crate::quant::params::QDtype;
use std::arch::aarch64::*;

#[inline]
#[target_feature(enable = "neon")]
unsafe fn widen16<const SIGNED: bool>(b: uint8x16_t) -> (int16x8_t, int16x8_t) {
    if SIGNED {
        let s = vreinterpretq_s8_u8(b);
        (vmovl_s8(vget_low_s8(s)), vmovl_s8(vget_high_s8(s)))
    } else {
        (
            vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(b))),
            vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(b))),
        )
    }
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn four(w: int32x4_t, s: float32x4_t, z: int32x4_t) -> float32x4_t {
    vmulq_f32(vcvtq_f32_s32(vsubq_s32(w, z)), s)
}

#[target_feature(enable = "neon")]
unsafe fn run<const SIGNED: bool>(q: &[u8], out: &mut [f32], scale: f32, zp: i32) -> usize {
    let n = q.len().min(out.len()) / 16 * 16;
    let (s, z) = (vdupq_n_f32(scale), vdupq_n_s32(zp));
    let (qp, op) = (q.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= both lengths.
        let (lo, hi) = widen16::<SIGNED>(vld1q_u8(qp.add(i)));
        let o = op.add(i);
        vst1q_f32(o, four(vmovl_s16(vget_low_s16(lo)), s, z));
        vst1q_f32(o.add(4), four(vmovl_s16(vget_high_s16(lo)), s, z));
        vst1q_f32(o.add(8), four(vmovl_s16(vget_low_s16(hi)), s, z));
        vst1q_f32(o.add(12), four(vmovl_s16(vget_high_s16(hi)), s, z));
        i += 16;
    }
    n
}

/// Dequantizes the largest multiple of 16 elements; returns how many were done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn dequantize(q: &[u8], out: &mut [f32], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(q, out, scale, zp),
        QDtype::U8 => run::<false>(q, out, scale, zp),
    }
}

#[target_feature(enable = "neon")]
unsafe fn run_pe<const SIGNED: bool>(
    q: &[u8],
    out: &mut [f32],
    scales: &[f32],
    zps: &[i32],
) -> usize {
    let n = q.len().min(out.len()).min(scales.len()).min(zps.len()) / 16 * 16;
    let (qp, op, sp, zpp) = (q.as_ptr(), out.as_mut_ptr(), scales.as_ptr(), zps.as_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= every length.
        let (lo, hi) = widen16::<SIGNED>(vld1q_u8(qp.add(i)));
        let ws = [
            vmovl_s16(vget_low_s16(lo)),
            vmovl_s16(vget_high_s16(lo)),
            vmovl_s16(vget_low_s16(hi)),
            vmovl_s16(vget_high_s16(hi)),
        ];
        for (k, w) in ws.into_iter().enumerate() {
            let j = i + 4 * k;
            let v = four(w, vld1q_f32(sp.add(j)), vld1q_s32(zpp.add(j)));
            vst1q_f32(op.add(j), v);
        }
        i += 16;
    }
    n
}

/// Per-element parameters; the largest multiple of 16 elements; returns how many were done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn dequantize_per_elem(
    q: &[u8],
    out: &mut [f32],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    match dtype {
        QDtype::I8 => run_pe::<true>(q, out, scales, zps),
        QDtype::U8 => run_pe::<false>(q, out, scales, zps),
    }
}
