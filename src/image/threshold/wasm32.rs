//! WebAssembly SIMD128 threshold kernels: 64 u8 or 16 f32 elements per step, compare
//! masks and bit selects. u8 `v > t` is `max(v, t + 1) == v` (the plan guarantees
//! `t <= 254`), two instructions where runtimes lower `u8x16.gt_u` to three on x86; f32
//! uses the ordered `f32x4.gt`/`le`, both false for NaN as in the scalar rule.

use super::{F32Op, ThresholdType, U8Op};
use crate::cpu::simd128::{load, store};
use std::arch::wasm32::*;

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

#[inline(always)]
fn one_u8<const TY: u8>(v: v128, t: v128, t1: v128, m: v128) -> v128 {
    let above = u8x16_eq(u8x16_max(v, t1), v);
    match TY {
        BIN => v128_and(above, m),
        BIN_INV => v128_andnot(m, above),
        TRUNC => u8x16_min(v, t),
        TOZERO => v128_and(above, v),
        _ => v128_andnot(v, above),
    }
}

/// The splats of `t`, `t + 1` and `m`.
fn splats(op: U8Op) -> (v128, v128, v128) {
    (
        u8x16_splat(op.t),
        u8x16_splat(op.t.wrapping_add(1)),
        u8x16_splat(op.m),
    )
}

fn run_u8<const TY: u8>(src: &[u8], dst: &mut [u8], op: U8Op) -> usize {
    let (t, t1, m) = splats(op);
    let mut done = 0;
    for (s, d) in src.chunks_exact(64).zip(dst.chunks_exact_mut(64)) {
        let v: [v128; 4] = std::array::from_fn(|k| load(&s[16 * k..16 * k + 16]));
        for (k, v) in v.into_iter().enumerate() {
            store(&mut d[16 * k..16 * k + 16], one_u8::<TY>(v, t, t1, m));
        }
        done += 64;
    }
    done
}

fn run_u8_inplace<const TY: u8>(buf: &mut [u8], op: U8Op) -> usize {
    let (t, t1, m) = splats(op);
    let mut done = 0;
    for c in buf.chunks_exact_mut(64) {
        let v: [v128; 4] = std::array::from_fn(|k| load(&c[16 * k..16 * k + 16]));
        for (k, v) in v.into_iter().enumerate() {
            store(&mut c[16 * k..16 * k + 16], one_u8::<TY>(v, t, t1, m));
        }
        done += 64;
    }
    done
}

/// Thresholds the leading whole 64-element steps of `dst.len()` elements; returns how many
/// were done. Needs `op.t <= 254` (what `U8Plan::Apply` carries).
pub fn apply_u8(src: &[u8], dst: &mut [u8], op: U8Op) -> usize {
    match code(op.ty) {
        BIN => run_u8::<BIN>(src, dst, op),
        BIN_INV => run_u8::<BIN_INV>(src, dst, op),
        TRUNC => run_u8::<TRUNC>(src, dst, op),
        TOZERO => run_u8::<TOZERO>(src, dst, op),
        _ => run_u8::<TOZERO_INV>(src, dst, op),
    }
}

/// In-place variant of [`apply_u8`].
pub fn apply_u8_inplace(buf: &mut [u8], op: U8Op) -> usize {
    match code(op.ty) {
        BIN => run_u8_inplace::<BIN>(buf, op),
        BIN_INV => run_u8_inplace::<BIN_INV>(buf, op),
        TRUNC => run_u8_inplace::<TRUNC>(buf, op),
        TOZERO => run_u8_inplace::<TOZERO>(buf, op),
        _ => run_u8_inplace::<TOZERO_INV>(buf, op),
    }
}

/// One vector of the f32 rule; `0` is `+0.0` (all bits clear), NaN follows the scalar
/// comparisons (`gt` and `le` are both false for it).
#[inline(always)]
fn one_f32<const TY: u8>(v: v128, t: v128, m: v128) -> v128 {
    match TY {
        BIN => v128_and(f32x4_gt(v, t), m),
        BIN_INV => v128_and(f32x4_le(v, t), m),
        TRUNC => v128_bitselect(t, v, f32x4_gt(v, t)),
        TOZERO => v128_andnot(v, f32x4_le(v, t)),
        _ => v128_andnot(v, f32x4_gt(v, t)),
    }
}

fn run_f32<const TY: u8>(src: &[f32], dst: &mut [f32], op: F32Op) -> usize {
    let (t, m) = (f32x4_splat(op.t), f32x4_splat(op.m));
    let mut done = 0;
    for (s, d) in src.chunks_exact(16).zip(dst.chunks_exact_mut(16)) {
        let v = [
            load(&s[..4]),
            load(&s[4..8]),
            load(&s[8..12]),
            load(&s[12..16]),
        ];
        for (k, v) in v.into_iter().enumerate() {
            store(&mut d[4 * k..4 * k + 4], one_f32::<TY>(v, t, m));
        }
        done += 16;
    }
    done
}

fn run_f32_inplace<const TY: u8>(buf: &mut [f32], op: F32Op) -> usize {
    let (t, m) = (f32x4_splat(op.t), f32x4_splat(op.m));
    let mut done = 0;
    for c in buf.chunks_exact_mut(16) {
        let v = [
            load(&c[..4]),
            load(&c[4..8]),
            load(&c[8..12]),
            load(&c[12..16]),
        ];
        for (k, v) in v.into_iter().enumerate() {
            store(&mut c[4 * k..4 * k + 4], one_f32::<TY>(v, t, m));
        }
        done += 16;
    }
    done
}

/// f32 threshold of the leading whole 16-element steps; returns elements done.
pub fn apply_f32(src: &[f32], dst: &mut [f32], op: F32Op) -> usize {
    match code(op.ty) {
        BIN => run_f32::<BIN>(src, dst, op),
        BIN_INV => run_f32::<BIN_INV>(src, dst, op),
        TRUNC => run_f32::<TRUNC>(src, dst, op),
        TOZERO => run_f32::<TOZERO>(src, dst, op),
        _ => run_f32::<TOZERO_INV>(src, dst, op),
    }
}

/// In-place variant of [`apply_f32`].
pub fn apply_f32_inplace(buf: &mut [f32], op: F32Op) -> usize {
    match code(op.ty) {
        BIN => run_f32_inplace::<BIN>(buf, op),
        BIN_INV => run_f32_inplace::<BIN_INV>(buf, op),
        TRUNC => run_f32_inplace::<TRUNC>(buf, op),
        TOZERO => run_f32_inplace::<TOZERO>(buf, op),
        _ => run_f32_inplace::<TOZERO_INV>(buf, op),
    }
}
