//! WebAssembly SIMD128 quantize: 16 elements per step, equal to `scalar.rs`. `f32x4.div`,
//! `f32x4.nearest` (round half to even), the clamp as `pmax(lo, y)` = `lo < y ? y : lo` and
//! `pmin(hi, y)` = `y < hi ? y : hi` (the scalar `if`s exactly, NaN -> `lo` included), an
//! exact truncation of the now-integral value, add zp, saturating narrows. Per-tensor steps
//! first try `x * (1 / scale)` and keep it only when provably equal (`scalar::FAST_LIMIT`);
//! otherwise they divide.

use super::scalar::{bounds, fast_path_allowed, FAST_LIMIT};
use crate::cpu::simd128::{load, store};
use crate::quant::params::QDtype;
use std::arch::wasm32::*;

/// `round(clamp(r))` as i32 plus `zp`, from `r = round(y)`: rounding before or after the
/// clamp gives the same value because the bounds are integers.
#[inline(always)]
fn fin(r: v128, lo: v128, hi: v128, zp: v128) -> v128 {
    let c = f32x4_pmin(hi, f32x4_pmax(lo, r));
    i32x4_add(i32x4_trunc_sat_f32x4(c), zp)
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

/// `round(y)` for four vectors, by the reciprocal fast path when it is provably exact for
/// every lane (see `scalar::FAST_LIMIT`), else by division. NaN and infinities fail the
/// test (`lt` is false for NaN, and `inf - inf` is NaN) and are divided.
#[inline(always)]
fn rounded4<const FAST: bool>(v: [v128; 4], s: v128, inv: v128) -> [v128; 4] {
    if FAST {
        let limit = f32x4_splat(FAST_LIMIT);
        let mut r = [f32x4_splat(0.0); 4];
        let mut ok = u32x4_splat(u32::MAX);
        for k in 0..4 {
            let y = f32x4_mul(v[k], inv);
            r[k] = f32x4_nearest(y);
            ok = v128_and(ok, f32x4_lt(f32x4_abs(f32x4_sub(y, r[k])), limit));
        }
        if i32x4_all_true(ok) {
            return r;
        }
    }
    v.map(|x| f32x4_nearest(f32x4_div(x, s)))
}

fn run<const SIGNED: bool, const FAST: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
) -> usize {
    let (lo, hi) = bounds(dtype, zp);
    let (s, inv, lo, hi, z) = (
        f32x4_splat(scale),
        f32x4_splat(1.0 / scale),
        f32x4_splat(lo),
        f32x4_splat(hi),
        i32x4_splat(zp),
    );
    let mut done = 0;
    for (xc, oc) in x.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
        let v = [
            load(&xc[..4]),
            load(&xc[4..8]),
            load(&xc[8..12]),
            load(&xc[12..16]),
        ];
        let r = rounded4::<FAST>(v, s, inv).map(|r| fin(r, lo, hi, z));
        store(oc, pack::<SIGNED>(r[0], r[1], r[2], r[3]));
        done += 16;
    }
    done
}

/// Quantizes the largest multiple of 16 elements; returns how many were done.
pub fn quantize(x: &[f32], out: &mut [u8], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match (dtype, fast_path_allowed(scale)) {
        (QDtype::I8, true) => run::<true, true>(x, out, scale, zp, dtype),
        (QDtype::I8, false) => run::<true, false>(x, out, scale, zp, dtype),
        (QDtype::U8, true) => run::<false, true>(x, out, scale, zp, dtype),
        (QDtype::U8, false) => run::<false, false>(x, out, scale, zp, dtype),
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
    let step = |x: &[f32], s: &[f32], z: &[i32]| {
        let z = load(z);
        let lo = f32x4_convert_i32x4(i32x4_sub(qmin, z));
        let hi = f32x4_convert_i32x4(i32x4_sub(qmax, z));
        fin(f32x4_nearest(f32x4_div(load(x), load(s))), lo, hi, z)
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
