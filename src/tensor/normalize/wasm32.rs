//! WebAssembly SIMD128 kernels. Reductions keep the 16 f64 lanes in eight vectors (lanes
//! 2j, 2j+1 in vector j), matching the scalar lane order; f32 -> f64 promotion is exact.

use super::{Kern, LANES};
use crate::cpu::simd128::{load, store};
use crate::cpu::Store;
use std::arch::wasm32::*;

/// The SIMD128 family for `with_kernel!`.
pub(super) struct Simd128K;

impl Kern for Simd128K {
    fn sum_body(x: &[f32], lanes: &mut [f64; LANES]) -> usize {
        sum_body(x, lanes)
    }
    fn sqdev_body(x: &[f32], m: f64, lanes: &mut [f64; LANES]) -> usize {
        sqdev_body(x, m, lanes)
    }
    fn apply_body(src: &[f32], dst: &mut [f32], mean: f32, inv: f32, _store: Store) -> usize {
        // No non-temporal stores in WebAssembly: `_store` is ignored.
        apply_body(src, dst, mean, inv)
    }
    fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
        apply_inplace_body(buf, mean, inv)
    }
    fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
        chan_body(src, dst, mean, std)
    }
    fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
        chan_inplace_body(buf, mean, std)
    }
}

fn load_lanes(lanes: &[f64; LANES]) -> [v128; 8] {
    std::array::from_fn(|j| load(&lanes[2 * j..]))
}

fn store_lanes(acc: &[v128; 8], lanes: &mut [f64; LANES]) {
    for (j, a) in acc.iter().enumerate() {
        store(&mut lanes[2 * j..], *a);
    }
}

/// The 16 values of a chunk as eight pairs of f64.
#[inline(always)]
fn widen(c: &[f32]) -> [v128; 8] {
    let mut out = [f64x2_splat(0.0); 8];
    for q in 0..4 {
        let v = load(&c[4 * q..4 * q + 4]);
        out[2 * q] = f64x2_promote_low_f32x4(v);
        out[2 * q + 1] = f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 2, 3>(v, v));
    }
    out
}

/// Adds the first `16 * (x.len() / 16)` elements into the lanes; returns that count.
fn sum_body(x: &[f32], lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mut acc = load_lanes(lanes);
    for c in x[..n].chunks_exact(16) {
        let w = widen(c);
        for j in 0..8 {
            acc[j] = f64x2_add(acc[j], w[j]);
        }
    }
    store_lanes(&acc, lanes);
    n
}

/// Adds `(x - m)^2` (f64, multiply then add) of the first `16 * (len / 16)` elements.
fn sqdev_body(x: &[f32], m: f64, lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mv = f64x2_splat(m);
    let mut acc = load_lanes(lanes);
    for c in x[..n].chunks_exact(16) {
        let w = widen(c);
        for j in 0..8 {
            let d = f64x2_sub(w[j], mv);
            acc[j] = f64x2_add(acc[j], f64x2_mul(d, d));
        }
    }
    store_lanes(&acc, lanes);
    n
}

/// `(x - mean) * inv` on the 16 floats of `c` into `o`.
#[inline(always)]
fn apply16(c: &[f32], o: &mut [f32], m: v128, s: v128) {
    let v: [v128; 4] = std::array::from_fn(|k| load(&c[4 * k..4 * k + 4]));
    for (k, v) in v.into_iter().enumerate() {
        store(&mut o[4 * k..4 * k + 4], f32x4_mul(f32x4_sub(v, m), s));
    }
}

/// `dst = (src - mean) * inv` on the first `16 * (n / 16)` elements; returns that count.
fn apply_body(src: &[f32], dst: &mut [f32], mean: f32, inv: f32) -> usize {
    let (m, s) = (f32x4_splat(mean), f32x4_splat(inv));
    let mut done = 0;
    for (sc, dc) in src.chunks_exact(16).zip(dst.chunks_exact_mut(16)) {
        apply16(sc, dc, m, s);
        done += 16;
    }
    done
}

/// In-place form of [`apply_body`].
fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let (m, s) = (f32x4_splat(mean), f32x4_splat(inv));
    let mut done = 0;
    for c in buf.chunks_exact_mut(16) {
        let v: [v128; 4] = std::array::from_fn(|k| load(&c[4 * k..4 * k + 4]));
        for (k, v) in v.into_iter().enumerate() {
            store(&mut c[4 * k..4 * k + 4], f32x4_mul(f32x4_sub(v, m), s));
        }
        done += 16;
    }
    done
}

/// `(x - mean) / std` of 4 floats with the pattern's 4 means and stds.
#[inline(always)]
fn chan4(x: &[f32], mean: &[f32], std: &[f32]) -> v128 {
    f32x4_div(f32x4_sub(load(x), load(mean)), load(std))
}

/// `dst[i] = (src[i] - mean[i % P]) / std[i % P]` over whole periods `P = mean.len()`
/// (a multiple of 4); returns the count done.
fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = src.len().min(dst.len()) / p * p;
    for (sp, dp) in src[..n].chunks_exact(p).zip(dst[..n].chunks_exact_mut(p)) {
        for (k, (sv, dv)) in sp.chunks_exact(4).zip(dp.chunks_exact_mut(4)).enumerate() {
            let r = 4 * k..4 * k + 4;
            store(dv, chan4(sv, &mean[r.clone()], &std[r]));
        }
    }
    n
}

/// In-place form of [`chan_body`].
fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let n = buf.len() / p * p;
    for bp in buf[..n].chunks_exact_mut(p) {
        for (k, c) in bp.chunks_exact_mut(4).enumerate() {
            let r = 4 * k..4 * k + 4;
            let v = chan4(c, &mean[r.clone()], &std[r]);
            store(c, v);
        }
    }
    n
}
