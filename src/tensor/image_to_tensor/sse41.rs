//! SSE4.1 kernels: same scheme as AVX2 (8 pixels per step, two pshufb per output block),
//! each block converted as two halves of 4 floats.

use super::{flags, Plan, DIV, MUL, STD};
use std::arch::x86_64::*;

struct Consts {
    div: __m128,
    scale: __m128,
    sa: [__m128i; 3],
    sb: [__m128i; 3],
    /// mean/std of block k, halves 0 and 1.
    mean: [[__m128; 2]; 3],
    std: [[__m128; 2]; 3],
}

#[target_feature(enable = "sse4.1")]
unsafe fn consts(p: &Plan) -> Consts {
    let l128 = |a: &[u8; 16]| _mm_loadu_si128(a.as_ptr().cast());
    let lh = |a: &[f32; 8]| [_mm_loadu_ps(a[..4].as_ptr()), _mm_loadu_ps(a[4..].as_ptr())];
    Consts {
        div: _mm_set1_ps(p.div),
        scale: _mm_set1_ps(p.scale),
        sa: [l128(&p.shuf_a[0]), l128(&p.shuf_a[1]), l128(&p.shuf_a[2])],
        sb: [l128(&p.shuf_b[0]), l128(&p.shuf_b[1]), l128(&p.shuf_b[2])],
        mean: [lh(&p.mean_v[0]), lh(&p.mean_v[1]), lh(&p.mean_v[2])],
        std: [lh(&p.std_v[0]), lh(&p.std_v[1]), lh(&p.std_v[2])],
    }
}

#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn rule<const F: u8>(i: __m128i, c: &Consts, mean: __m128, std: __m128) -> __m128 {
    let mut v = _mm_cvtepi32_ps(i);
    if F & DIV != 0 {
        v = _mm_div_ps(v, c.div);
    }
    v = _mm_sub_ps(v, mean);
    if F & MUL != 0 {
        v = _mm_mul_ps(v, c.scale);
    }
    if F & STD != 0 {
        v = _mm_div_ps(v, std);
    }
    v
}

/// Block `k` of a group of 8 pixels, stored to `out[..8]`.
#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn block<const F: u8, const BPP: usize>(
    g: &[u8],
    b_off: usize,
    c: &Consts,
    k: usize,
    out: &mut [f32],
) {
    let bytes = if BPP == 1 {
        _mm_loadl_epi64(g[..8].as_ptr().cast())
    } else {
        let a = _mm_loadu_si128(g[..16].as_ptr().cast());
        let b = _mm_loadu_si128(g[b_off..b_off + 16].as_ptr().cast());
        _mm_or_si128(_mm_shuffle_epi8(a, c.sa[k]), _mm_shuffle_epi8(b, c.sb[k]))
    };
    let lo = rule::<F>(_mm_cvtepu8_epi32(bytes), c, c.mean[k][0], c.std[k][0]);
    let hi = rule::<F>(
        _mm_cvtepu8_epi32(_mm_srli_si128::<4>(bytes)),
        c,
        c.mean[k][1],
        c.std[k][1],
    );
    let out = &mut out[..8];
    _mm_storeu_ps(out[..4].as_mut_ptr(), lo);
    _mm_storeu_ps(out[4..].as_mut_ptr(), hi);
}

#[target_feature(enable = "sse4.1")]
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

#[target_feature(enable = "sse4.1")]
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

#[target_feature(enable = "sse4.1")]
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

#[target_feature(enable = "sse4.1")]
unsafe fn interleaved_f<const F: u8>(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    match p.bpp {
        1 => interleaved::<F, 1, 1>(src, w, p, dst),
        3 => interleaved::<F, 3, 3>(src, w, p, dst),
        _ => interleaved::<F, 4, 3>(src, w, p, dst),
    }
}

/// Converts the first `8 * (w / 8)` pixels into the planes; returns that count.
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn planar_body(
    src: &[u8],
    w: usize,
    p: &Plan,
    planes: &mut [&mut [f32]; 3],
) -> usize {
    dispatch_flags!(flags(p) & (DIV | MUL | STD), planar_f, src, w, p, planes)
}

/// Converts the first `8 * (w / 8)` pixels into interleaved `dst`; returns that count.
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    dispatch_flags!(flags(p) & (DIV | MUL | STD), interleaved_f, src, w, p, dst)
}
