//! NEON kernels: 8 pixels per step; each output block's 8 bytes come from one `tbl` over
//! the 32-byte table of two loads, widened to u32, converted exactly to f32, then the
//! rule's steps in scalar order (FMA only in the verified fused division, see `Plan::fast`).

use super::{flags, Plan, DIV, FAST, MUL, STD};
use std::arch::aarch64::*;

struct Consts {
    div: float32x4_t,
    rdiv: float32x4_t,
    scale: float32x4_t,
    tbl: [uint8x16_t; 3],
    mean: [[float32x4_t; 2]; 3],
    std: [[float32x4_t; 2]; 3],
    rstd: [[float32x4_t; 2]; 3],
}

#[target_feature(enable = "neon")]
unsafe fn consts(p: &Plan) -> Consts {
    let lt = |a: &[u8; 16]| vld1q_u8(a.as_ptr());
    let lh = |a: &[f32; 8]| [vld1q_f32(a[..4].as_ptr()), vld1q_f32(a[4..].as_ptr())];
    Consts {
        div: vdupq_n_f32(p.div),
        rdiv: vdupq_n_f32(p.rdiv),
        scale: vdupq_n_f32(p.scale),
        tbl: [lt(&p.tbl[0]), lt(&p.tbl[1]), lt(&p.tbl[2])],
        mean: [lh(&p.mean_v[0]), lh(&p.mean_v[1]), lh(&p.mean_v[2])],
        std: [lh(&p.std_v[0]), lh(&p.std_v[1]), lh(&p.std_v[2])],
        rstd: [lh(&p.rstd_v[0]), lh(&p.rstd_v[1]), lh(&p.rstd_v[2])],
    }
}

/// `super::fused_div` on 4 lanes: `q = t * r; e = fma(-q, d, t); fma(e, r, q)`.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn fused_div(t: float32x4_t, d: float32x4_t, r: float32x4_t) -> float32x4_t {
    let q = vmulq_f32(t, r);
    let e = vfmsq_f32(t, q, d);
    vfmaq_f32(q, e, r)
}

#[target_feature(enable = "neon")]
#[inline]
unsafe fn rule<const F: u8>(
    i: uint32x4_t,
    c: &Consts,
    mean: float32x4_t,
    std: float32x4_t,
    rstd: float32x4_t,
) -> float32x4_t {
    let mut v = vcvtq_f32_u32(i);
    if F & DIV != 0 {
        v = if F & FAST != 0 {
            fused_div(v, c.div, c.rdiv)
        } else {
            vdivq_f32(v, c.div)
        };
    }
    v = vsubq_f32(v, mean);
    if F & MUL != 0 {
        v = vmulq_f32(v, c.scale);
    }
    if F & STD != 0 {
        v = if F & FAST != 0 {
            fused_div(v, std, rstd)
        } else {
            vdivq_f32(v, std)
        };
    }
    v
}

#[target_feature(enable = "neon")]
#[inline]
unsafe fn block<const F: u8, const BPP: usize>(
    g: &[u8],
    b_off: usize,
    c: &Consts,
    k: usize,
    out: &mut [f32],
) {
    let bytes = if BPP == 1 {
        vld1_u8(g[..8].as_ptr())
    } else {
        let t = uint8x16x2_t(
            vld1q_u8(g[..16].as_ptr()),
            vld1q_u8(g[b_off..b_off + 16].as_ptr()),
        );
        vget_low_u8(vqtbl2q_u8(t, c.tbl[k]))
    };
    let h = vmovl_u8(bytes);
    let lo = rule::<F>(
        vmovl_u16(vget_low_u16(h)),
        c,
        c.mean[k][0],
        c.std[k][0],
        c.rstd[k][0],
    );
    let hi = rule::<F>(
        vmovl_high_u16(h),
        c,
        c.mean[k][1],
        c.std[k][1],
        c.rstd[k][1],
    );
    let out = &mut out[..8];
    vst1q_f32(out[..4].as_mut_ptr(), lo);
    vst1q_f32(out[4..].as_mut_ptr(), hi);
}

#[target_feature(enable = "neon")]
#[allow(clippy::needless_range_loop)] // k indexes planes and the block tables
unsafe fn planar<const F: u8, const BPP: usize, const CH: usize>(
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

#[target_feature(enable = "neon")]
unsafe fn interleaved<const F: u8, const BPP: usize, const CH: usize>(
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

#[target_feature(enable = "neon")]
unsafe fn planar_f<const F: u8>(
    src: &[u8],
    w: usize,
    p: &Plan,
    planes: &mut [&mut [f32]; 3],
) -> usize {
    match p.bpp {
        1 => planar::<F, 1, 1>(src, w, p, planes),
        3 => planar::<F, 3, 3>(src, w, p, planes),
        _ => planar::<F, 4, 3>(src, w, p, planes),
    }
}

#[target_feature(enable = "neon")]
unsafe fn interleaved_f<const F: u8>(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    match p.bpp {
        1 => interleaved::<F, 1, 1>(src, w, p, dst),
        3 => interleaved::<F, 3, 3>(src, w, p, dst),
        _ => interleaved::<F, 4, 3>(src, w, p, dst),
    }
}

/// Converts the first `8 * (w / 8)` pixels into the planes; returns that count.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn planar_body(
    src: &[u8],
    w: usize,
    p: &Plan,
    planes: &mut [&mut [f32]; 3],
) -> usize {
    dispatch_flags!(flags(p), planar_f, src, w, p, planes)
}

/// Converts the first `8 * (w / 8)` pixels into interleaved `dst`; returns that count.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    dispatch_flags!(flags(p), interleaved_f, src, w, p, dst)
}
