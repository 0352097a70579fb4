//! NEON threshold kernels: 64 u8 or 16 f32 elements per step, `vcgt` masks and bit selects.

use super::{F32Op, ThresholdType, U8Op};
use std::arch::aarch64::*;

const BIN: u8 = 0;
const BIN_INV: u8 = 1;
const TRUNC: u8 = 2;
const TOZERO: u8 = 3;
const TOZERO_INV: u8 = 4;

fn code(ty: ThresholdType) -> u8 {
    match ty {
        ThresholdType::Binary => BIN,
        ThresholdType::BinaryInv => BIN_INV,
        ThresholdType::Trunc => TRUNC,
        ThresholdType::ToZero => TOZERO,
        ThresholdType::ToZeroInv => TOZERO_INV,
    }
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn one_u8<const TY: u8>(v: uint8x16_t, t: uint8x16_t, m: uint8x16_t) -> uint8x16_t {
    let above = vcgtq_u8(v, t);
    match TY {
        BIN => vandq_u8(above, m),
        BIN_INV => vbicq_u8(m, above),
        TRUNC => vminq_u8(v, t),
        TOZERO => vandq_u8(above, v),
        _ => vbicq_u8(v, above),
    }
}

#[target_feature(enable = "neon")]
unsafe fn run_u8<const TY: u8>(s: *const u8, d: *mut u8, n: usize, op: U8Op) -> usize {
    let t = vdupq_n_u8(op.t);
    let m = vdupq_n_u8(op.m);
    let mut i = 0;
    while i + 64 <= n {
        // SAFETY: n readable bytes at s, n writable at d; loads precede stores.
        unsafe {
            let v0 = vld1q_u8(s.add(i));
            let v1 = vld1q_u8(s.add(i + 16));
            let v2 = vld1q_u8(s.add(i + 32));
            let v3 = vld1q_u8(s.add(i + 48));
            vst1q_u8(d.add(i), one_u8::<TY>(v0, t, m));
            vst1q_u8(d.add(i + 16), one_u8::<TY>(v1, t, m));
            vst1q_u8(d.add(i + 32), one_u8::<TY>(v2, t, m));
            vst1q_u8(d.add(i + 48), one_u8::<TY>(v3, t, m));
        }
        i += 64;
    }
    i
}

#[target_feature(enable = "neon")]
unsafe fn dispatch_u8(s: *const u8, d: *mut u8, n: usize, op: U8Op) -> usize {
    // SAFETY: forwarded contract.
    unsafe {
        match code(op.ty) {
            BIN => run_u8::<BIN>(s, d, n, op),
            BIN_INV => run_u8::<BIN_INV>(s, d, n, op),
            TRUNC => run_u8::<TRUNC>(s, d, n, op),
            TOZERO => run_u8::<TOZERO>(s, d, n, op),
            _ => run_u8::<TOZERO_INV>(s, d, n, op),
        }
    }
}

/// Thresholds the leading whole steps; returns how many elements were done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn apply_u8(src: &[u8], dst: &mut [u8], op: U8Op) -> usize {
    let n = dst.len().min(src.len());
    // SAFETY: n elements in both slices.
    unsafe { dispatch_u8(src.as_ptr(), dst.as_mut_ptr(), n, op) }
}

/// In-place variant of [`apply_u8`].
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn apply_u8_inplace(buf: &mut [u8], op: U8Op) -> usize {
    let p = buf.as_mut_ptr();
    // SAFETY: buf.len() elements; reads precede writes within each step.
    unsafe { dispatch_u8(p, p, buf.len(), op) }
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn one_f32<const TY: u8>(v: float32x4_t, t: float32x4_t, m: float32x4_t) -> float32x4_t {
    let above = vcgtq_f32(v, t);
    let bits = |x: float32x4_t| vreinterpretq_u32_f32(x);
    match TY {
        BIN => vreinterpretq_f32_u32(vandq_u32(above, bits(m))),
        BIN_INV => vreinterpretq_f32_u32(vandq_u32(vcleq_f32(v, t), bits(m))),
        TRUNC => vbslq_f32(above, t, v),
        TOZERO => vreinterpretq_f32_u32(vbicq_u32(bits(v), vcleq_f32(v, t))),
        _ => vreinterpretq_f32_u32(vbicq_u32(bits(v), above)),
    }
}

#[target_feature(enable = "neon")]
unsafe fn run_f32<const TY: u8>(s: *const f32, d: *mut f32, n: usize, op: F32Op) -> usize {
    let t = vdupq_n_f32(op.t);
    let m = vdupq_n_f32(op.m);
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: as in run_u8.
        unsafe {
            let v0 = vld1q_f32(s.add(i));
            let v1 = vld1q_f32(s.add(i + 4));
            let v2 = vld1q_f32(s.add(i + 8));
            let v3 = vld1q_f32(s.add(i + 12));
            vst1q_f32(d.add(i), one_f32::<TY>(v0, t, m));
            vst1q_f32(d.add(i + 4), one_f32::<TY>(v1, t, m));
            vst1q_f32(d.add(i + 8), one_f32::<TY>(v2, t, m));
            vst1q_f32(d.add(i + 12), one_f32::<TY>(v3, t, m));
        }
        i += 16;
    }
    i
}

#[target_feature(enable = "neon")]
unsafe fn dispatch_f32(s: *const f32, d: *mut f32, n: usize, op: F32Op) -> usize {
    // SAFETY: forwarded contract.
    unsafe {
        match code(op.ty) {
            BIN => run_f32::<BIN>(s, d, n, op),
            BIN_INV => run_f32::<BIN_INV>(s, d, n, op),
            TRUNC => run_f32::<TRUNC>(s, d, n, op),
            TOZERO => run_f32::<TOZERO>(s, d, n, op),
            _ => run_f32::<TOZERO_INV>(s, d, n, op),
        }
    }
}

/// f32 threshold of the leading whole steps; returns elements done.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn apply_f32(src: &[f32], dst: &mut [f32], op: F32Op) -> usize {
    let n = dst.len().min(src.len());
    // SAFETY: n elements in both slices.
    unsafe { dispatch_f32(src.as_ptr(), dst.as_mut_ptr(), n, op) }
}

/// In-place variant of [`apply_f32`].
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn apply_f32_inplace(buf: &mut [f32], op: F32Op) -> usize {
    let p = buf.as_mut_ptr();
    // SAFETY: buf.len() elements; reads precede writes within each step.
    unsafe { dispatch_f32(p, p, buf.len(), op) }
}
