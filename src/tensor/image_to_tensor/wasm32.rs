//! WebAssembly SIMD128 kernels: the SSE4.1 scheme (8 pixels per step, two 16-byte loads per
//! group, one `i8x16.swizzle` per load and output block; the plan's 0x80 entries are out of
//! range and give 0), each block widened to u32, converted exactly to f32 and run through
//! the rule's steps in scalar order. WebAssembly has no FMA, so the fused division of
//! `Plan::fast` is never used here.

use super::{flags, Plan, RowKernel, DIV, MUL, STD};
use crate::cpu::simd128::{load, load8, store};
use std::arch::wasm32::*;

/// The SIMD128 family for the `match` in `image_to_tensor`.
pub(super) struct Simd128K;

impl RowKernel for Simd128K {
    fn planar_body(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
        dispatch_flags!(flags(p) & (DIV | MUL | STD), planar_f, src, w, p, planes)
    }
    fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
        dispatch_flags!(flags(p) & (DIV | MUL | STD), interleaved_f, src, w, p, dst)
    }
}

struct Consts {
    div: v128,
    scale: v128,
    sa: [v128; 3],
    sb: [v128; 3],
    /// mean/std of block k, halves 0 and 1.
    mean: [[v128; 2]; 3],
    std: [[v128; 2]; 3],
}

fn consts(p: &Plan) -> Consts {
    let lh = |a: &[f32; 8]| [load(&a[..4]), load(&a[4..])];
    Consts {
        div: f32x4_splat(p.div),
        scale: f32x4_splat(p.scale),
        sa: p.shuf_a.map(|t| load(&t)),
        sb: p.shuf_b.map(|t| load(&t)),
        mean: [lh(&p.mean_v[0]), lh(&p.mean_v[1]), lh(&p.mean_v[2])],
        std: [lh(&p.std_v[0]), lh(&p.std_v[1]), lh(&p.std_v[2])],
    }
}

#[inline(always)]
fn rule<const F: u8>(i: v128, c: &Consts, mean: v128, std: v128) -> v128 {
    // The values are 0..=255, so the signed conversion is exact.
    let mut v = f32x4_convert_i32x4(i);
    if F & DIV != 0 {
        v = f32x4_div(v, c.div);
    }
    v = f32x4_sub(v, mean);
    if F & MUL != 0 {
        v = f32x4_mul(v, c.scale);
    }
    if F & STD != 0 {
        v = f32x4_div(v, std);
    }
    v
}

/// Block `k` of a group of 8 pixels, stored to `out[..8]`.
#[inline(always)]
fn block<const F: u8, const BPP: usize>(
    g: &[u8],
    b_off: usize,
    c: &Consts,
    k: usize,
    out: &mut [f32],
) {
    let bytes = if BPP == 1 {
        load8(&g[..8])
    } else {
        let a = load(&g[..16]);
        let b = load(&g[b_off..b_off + 16]);
        v128_or(i8x16_swizzle(a, c.sa[k]), i8x16_swizzle(b, c.sb[k]))
    };
    let h = u16x8_extend_low_u8x16(bytes);
    let lo = rule::<F>(u32x4_extend_low_u16x8(h), c, c.mean[k][0], c.std[k][0]);
    let hi = rule::<F>(u32x4_extend_high_u16x8(h), c, c.mean[k][1], c.std[k][1]);
    let out = &mut out[..8];
    store(&mut out[..4], lo);
    store(&mut out[4..], hi);
}

#[allow(clippy::needless_range_loop)] // k indexes planes and the block tables
fn planar<const F: u8, const BPP: usize, const CH: usize>(
    src: &[u8],
    w: usize,
    p: &Plan,
    planes: &mut [&mut [f32]; 3],
) -> usize {
    let c = consts(p);
    let groups = w / 8;
    for gi in 0..groups {
        let g = &src[gi * 8 * BPP..(gi + 1) * 8 * BPP];
        for k in 0..CH {
            block::<F, BPP>(g, p.b_off, &c, k, &mut planes[k][gi * 8..]);
        }
    }
    groups * 8
}

fn interleaved<const F: u8, const BPP: usize, const CH: usize>(
    src: &[u8],
    w: usize,
    p: &Plan,
    dst: &mut [f32],
) -> usize {
    let c = consts(p);
    let groups = w / 8;
    for gi in 0..groups {
        let g = &src[gi * 8 * BPP..(gi + 1) * 8 * BPP];
        let out = &mut dst[gi * 8 * CH..(gi + 1) * 8 * CH];
        for k in 0..CH {
            block::<F, BPP>(g, p.b_off, &c, k, &mut out[k * 8..]);
        }
    }
    groups * 8
}

fn planar_f<const F: u8>(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
    match p.bpp {
        1 => planar::<F, 1, 1>(src, w, p, planes),
        3 => planar::<F, 3, 3>(src, w, p, planes),
        _ => planar::<F, 4, 3>(src, w, p, planes),
    }
}

fn interleaved_f<const F: u8>(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    match p.bpp {
        1 => interleaved::<F, 1, 1>(src, w, p, dst),
        3 => interleaved::<F, 3, 3>(src, w, p, dst),
        _ => interleaved::<F, 4, 3>(src, w, p, dst),
    }
}
