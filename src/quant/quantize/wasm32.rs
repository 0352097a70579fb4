//! WebAssembly SIMD128 quantize: 16 elements per step, equal to `scalar.rs` and built the
//! same way: `f32x4.div`, the clamp as `pmax(lo, y)` = `lo < y ? y : lo` and `pmin(hi, y)` =
//! `y < hi ? y : hi` (the scalar `if`s exactly, NaN -> `lo` included), then the scalar
//! kernel's round half to even by adding 1.5 * 2^23, after which the low mantissa bits hold
//! the integer: subtracting the constant's bits (minus zp) as integers gives `q` directly,
//! instead of `i32x4.trunc_sat_f32x4_s`, which runtimes lower to a long NaN- and
//! overflow-checking sequence. Saturating narrows then pack the bytes.
//!
//! No reciprocal fast path here (the x86 and NEON kernels try `x * (1 / scale)` first):
//! under wasmtime on x86_64 its all-lanes check made the kernel slower, about 1.3x the
//! scalar kernel's speed against 2.0x for plain division (`examples/kernel_speed.rs`).

use super::scalar::bounds;
use crate::cpu::simd128::{load, store};
use crate::quant::params::QDtype;
use std::arch::wasm32::*;

/// The round-half-even constant of `scalar::round_half_even`.
const MAGIC: f32 = 12_582_912.0;

/// `round_half_even(clamp(y)) + zp` as i32, with `mz = MAGIC.to_bits() - zp`: the clamped
/// value lies in [-255, 255], so `c + MAGIC` is in [2^23, 2^24), where the f32 spacing is 1
/// (the addition rounds half to even, as in the scalar kernel) and its bits are
/// `MAGIC.to_bits() + round(c)`.
#[inline(always)]
fn fin(y: v128, lo: v128, hi: v128, mz: v128) -> v128 {
    let c = f32x4_pmin(hi, f32x4_pmax(lo, y));
    i32x4_sub(f32x4_add(c, f32x4_splat(MAGIC)), mz)
}

#[inline(always)]
fn pack<const SIGNED: bool>(a: v128, b: v128, c: v128, d: v128) -> v128 {
    let (w0, w1) = (i16x8_narrow_i32x4(a, b), i16x8_narrow_i32x4(c, d));
    if SIGNED {
        i8x16_narrow_i16x8(w0, w1)
    } else {
        u8x16_narrow_i16x8(w0, w1)
    }
}

fn run<const SIGNED: bool>(x: &[f32], out: &mut [u8], scale: f32, zp: i32, dtype: QDtype) -> usize {
    let (lo, hi) = bounds(dtype, zp);
    let (s, lo, hi, mz) = (
        f32x4_splat(scale),
        f32x4_splat(lo),
        f32x4_splat(hi),
        i32x4_splat(MAGIC.to_bits() as i32 - zp),
    );
    let mut done = 0;
    for (xc, oc) in x.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
        let r: [v128; 4] =
            std::array::from_fn(|k| fin(f32x4_div(load(&xc[4 * k..]), s), lo, hi, mz));
        store(oc, pack::<SIGNED>(r[0], r[1], r[2], r[3]));
        done += 16;
    }
    done
}

/// Quantizes the largest multiple of 16 elements; returns how many were done.
pub fn quantize(x: &[f32], out: &mut [u8], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(x, out, scale, zp, dtype),
        QDtype::U8 => run::<false>(x, out, scale, zp, dtype),
    }
}

fn run_pe<const SIGNED: bool>(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) -> usize {
    let (qmin, qmax) = dtype.range();
    let (qmin, qmax) = (i32x4_splat(qmin), i32x4_splat(qmax));
    let magic = i32x4_splat(MAGIC.to_bits() as i32);
    let step = |x: &[f32], s: &[f32], z: &[i32]| {
        let z = load(z);
        let lo = f32x4_convert_i32x4(i32x4_sub(qmin, z));
        let hi = f32x4_convert_i32x4(i32x4_sub(qmax, z));
        fin(f32x4_div(load(x), load(s)), lo, hi, i32x4_sub(magic, z))
    };
    let mut done = 0;
    let chunks = x
        .chunks_exact(16)
        .zip(out.chunks_exact_mut(16))
        .zip(scales.chunks_exact(16).zip(zps.chunks_exact(16)));
    for ((xc, oc), (sc, zc)) in chunks {
        let r: [v128; 4] = std::array::from_fn(|k| step(&xc[4 * k..], &sc[4 * k..], &zc[4 * k..]));
        store(oc, pack::<SIGNED>(r[0], r[1], r[2], r[3]));
        done += 16;
    }
    done
}

/// Per-element parameters; the largest multiple of 16 elements; returns how many were done.
pub fn quantize_per_elem(
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
