//! WebAssembly SIMD128 dequantize: 16 bytes per step, widened to i32, `(q - zp)` converted
//! exactly to f32, times scale: the same operations as `scalar.rs`.

use crate::cpu::simd128::{load, store};
use crate::quant::params::QDtype;
use std::arch::wasm32::*;

/// The 16 bytes of `b` as four vectors of i32, in order.
#[inline(always)]
fn widen16<const SIGNED: bool>(b: v128) -> [v128; 4] {
    if SIGNED {
        let (lo, hi) = (i16x8_extend_low_i8x16(b), i16x8_extend_high_i8x16(b));
        [
            i32x4_extend_low_i16x8(lo),
            i32x4_extend_high_i16x8(lo),
            i32x4_extend_low_i16x8(hi),
            i32x4_extend_high_i16x8(hi),
        ]
    } else {
        let (lo, hi) = (u16x8_extend_low_u8x16(b), u16x8_extend_high_u8x16(b));
        [
            u32x4_extend_low_u16x8(lo),
            u32x4_extend_high_u16x8(lo),
            u32x4_extend_low_u16x8(hi),
            u32x4_extend_high_u16x8(hi),
        ]
    }
}

#[inline(always)]
fn four(w: v128, s: v128, z: v128) -> v128 {
    f32x4_mul(f32x4_convert_i32x4(i32x4_sub(w, z)), s)
}

fn run<const SIGNED: bool>(q: &[u8], out: &mut [f32], scale: f32, zp: i32) -> usize {
    let (s, z) = (f32x4_splat(scale), i32x4_splat(zp));
    let mut done = 0;
    for (qc, oc) in q.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
        let w = widen16::<SIGNED>(load(qc));
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
    let mut done = 0;
    let chunks = q
        .chunks_exact(16)
        .zip(out.chunks_exact_mut(16))
        .zip(scales.chunks_exact(16).zip(zps.chunks_exact(16)));
    for ((qc, oc), (sc, zc)) in chunks {
        let w = widen16::<SIGNED>(load(qc));
        for (k, w) in w.into_iter().enumerate() {
            let r = 4 * k..4 * k + 4;
            let v = four(w, load(&sc[r.clone()]), load(&zc[r.clone()]));
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
