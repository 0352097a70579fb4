//! WebAssembly SIMD128 dequantize: 16 bytes per step, widened to i32, `(q - zp)` converted
//! exactly to f32, times scale: the same operations as `scalar.rs`. Each group of 4 bytes
//! is zero-extended to i32 lanes by one constant shuffle; int8 bytes first have their sign
//! bit flipped (`q ^ 0x80` read as unsigned is `q + 128`), and the 128 is folded into the
//! zero point, so both types take the same path.

use crate::cpu::simd128::{load, store};
use crate::quant::params::QDtype;
use std::arch::wasm32::*;

/// The 16 bytes of `b` as four vectors of u32, in order (index 16 picks a zero byte).
#[inline(always)]
fn widen16(b: v128) -> [v128; 4] {
    let z = u8x16_splat(0);
    [
        i8x16_shuffle::<0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16>(b, z),
        i8x16_shuffle::<4, 16, 16, 16, 5, 16, 16, 16, 6, 16, 16, 16, 7, 16, 16, 16>(b, z),
        i8x16_shuffle::<8, 16, 16, 16, 9, 16, 16, 16, 10, 16, 16, 16, 11, 16, 16, 16>(b, z),
        i8x16_shuffle::<12, 16, 16, 16, 13, 16, 16, 16, 14, 16, 16, 16, 15, 16, 16, 16>(b, z),
    ]
}

/// The stored bytes as unsigned values `u` such that `q - zp = u - (zp + bias)`.
#[inline(always)]
fn unsigned<const SIGNED: bool>(b: v128) -> v128 {
    if SIGNED {
        v128_xor(b, u8x16_splat(0x80))
    } else {
        b
    }
}

/// What `unsigned` added to every value: 128 for int8, 0 for uint8.
const fn bias<const SIGNED: bool>() -> i32 {
    if SIGNED {
        128
    } else {
        0
    }
}

#[inline(always)]
fn four(w: v128, s: v128, z: v128) -> v128 {
    f32x4_mul(f32x4_convert_i32x4(i32x4_sub(w, z)), s)
}

fn run<const SIGNED: bool>(q: &[u8], out: &mut [f32], scale: f32, zp: i32) -> usize {
    let (s, z) = (f32x4_splat(scale), i32x4_splat(zp + bias::<SIGNED>()));
    let mut done = 0;
    for (qc, oc) in q.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
        let w = widen16(unsigned::<SIGNED>(load(qc)));
        for (k, w) in w.into_iter().enumerate() {
            store(&mut oc[4 * k..4 * k + 4], four(w, s, z));
        }
        done += 16;
    }
    done
}

/// Dequantizes the largest multiple of 16 elements; returns how many were done.
pub fn dequantize(q: &[u8], out: &mut [f32], scale: f32, zp: i32, dtype: QDtype) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(q, out, scale, zp),
        QDtype::U8 => run::<false>(q, out, scale, zp),
    }
}

fn run_pe<const SIGNED: bool>(q: &[u8], out: &mut [f32], scales: &[f32], zps: &[i32]) -> usize {
    let b = i32x4_splat(bias::<SIGNED>());
    let mut done = 0;
    let chunks = q
        .chunks_exact(16)
        .zip(out.chunks_exact_mut(16))
        .zip(scales.chunks_exact(16).zip(zps.chunks_exact(16)));
    for ((qc, oc), (sc, zc)) in chunks {
        let w = widen16(unsigned::<SIGNED>(load(qc)));
        for (k, w) in w.into_iter().enumerate() {
            let r = 4 * k..4 * k + 4;
            let z = i32x4_add(load(&zc[r.clone()]), b);
            let v = four(w, load(&sc[r.clone()]), z);
            store(&mut oc[r], v);
        }
        done += 16;
    }
    done
}

/// Per-element parameters; the largest multiple of 16 elements; returns how many were done.
pub fn dequantize_per_elem(
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
