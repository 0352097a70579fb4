//! AVX2 (+FMA) kernels: 8 pixels per step, bytes gathered with two pshufb per output block,
//! widened to i32, converted exactly to f32, then the rule's steps in scalar order.

use super::Plan;
use std::arch::x86_64::*;

use super::{flags, DIV, FAST, MUL, STD};

struct Consts {
    div: __m256,
    rdiv: __m256,
    scale: __m256,
    sa: [__m128i; 3],
    sb: [__m128i; 3],
    mean: [__m256; 3],
    std: [__m256; 3],
    rstd: [__m256; 3],
}

#[target_feature(enable = "avx2,fma")]
unsafe fn consts(p: &Plan) -> Consts {
    let l128 = |a: &[u8; 16]| _mm_loadu_si128(a.as_ptr().cast());
    let l256 = |a: &[f32; 8]| _mm256_loadu_ps(a.as_ptr());
    Consts {
        div: _mm256_set1_ps(p.div),
        rdiv: _mm256_set1_ps(p.rdiv),
        scale: _mm256_set1_ps(p.scale),
        sa: [l128(&p.shuf_a[0]), l128(&p.shuf_a[1]), l128(&p.shuf_a[2])],
        sb: [l128(&p.shuf_b[0]), l128(&p.shuf_b[1]), l128(&p.shuf_b[2])],
        mean: [l256(&p.mean_v[0]), l256(&p.mean_v[1]), l256(&p.mean_v[2])],
        std: [l256(&p.std_v[0]), l256(&p.std_v[1]), l256(&p.std_v[2])],
        rstd: [l256(&p.rstd_v[0]), l256(&p.rstd_v[1]), l256(&p.rstd_v[2])],
    }
}

/// `super::fused_div` on 8 lanes: `q = t * r; e = fma(-q, d, t); fma(e, r, q)`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn fused_div(t: __m256, d: __m256, r: __m256) -> __m256 {
    let q = _mm256_mul_ps(t, r);
    let e = _mm256_fnmadd_ps(q, d, t);
    _mm256_fmadd_ps(e, r, q)
}

/// Block `k` of the group whose bytes are `g` (8 * bpp bytes) as 8 f32 after the rule.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn block<const F: u8, const BPP: usize>(
    g: &[u8],
    b_off: usize,
    c: &Consts,
    k: usize,
) -> __m256 {
    let bytes = if BPP == 1 {
        _mm_loadl_epi64(g[..8].as_ptr().cast())
    } else {
        let a = _mm_loadu_si128(g[..16].as_ptr().cast());
        let b = _mm_loadu_si128(g[b_off..b_off + 16].as_ptr().cast());
        _mm_or_si128(_mm_shuffle_epi8(a, c.sa[k]), _mm_shuffle_epi8(b, c.sb[k]))
    };
    let mut v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    if F & DIV != 0 {
        v = if F & FAST != 0 {
            fused_div(v, c.div, c.rdiv)
        } else {
            _mm256_div_ps(v, c.div)
        };
    }
    v = _mm256_sub_ps(v, c.mean[k]);
    if F & MUL != 0 {
        v = _mm256_mul_ps(v, c.scale);
    }
    if F & STD != 0 {
        v = if F & FAST != 0 {
            fused_div(v, c.std[k], c.rstd[k])
        } else {
            _mm256_div_ps(v, c.std[k])
        };
    }
    v
}

#[target_feature(enable = "avx2,fma")]
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
            let v = block::<F, BPP>(g, p.b_off, &c, k);
            _mm256_storeu_ps(planes[k][gi * 8..gi * 8 + 8].as_mut_ptr(), v);
        }
    }
    groups * 8
}

#[target_feature(enable = "avx2,fma")]
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
            let v = block::<F, BPP>(g, p.b_off, &c, k);
            _mm256_storeu_ps(out[k * 8..k * 8 + 8].as_mut_ptr(), v);
        }
    }
    groups * 8
}

#[target_feature(enable = "avx2,fma")]
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

#[target_feature(enable = "avx2,fma")]
unsafe fn interleaved_f<const F: u8>(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    match p.bpp {
        1 => interleaved::<F, 1, 1>(src, w, p, dst),
        3 => interleaved::<F, 3, 3>(src, w, p, dst),
        _ => interleaved::<F, 4, 3>(src, w, p, dst),
    }
}

/// Converts the first `8 * (w / 8)` pixels into the planes; returns that count.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn planar_body(
    src: &[u8],
    w: usize,
    p: &Plan,
    planes: &mut [&mut [f32]; 3],
) -> usize {
    dispatch_flags!(flags(p), planar_f, src, w, p, planes)
}

/// Converts the first `8 * (w / 8)` pixels into interleaved `dst`; returns that count.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    dispatch_flags!(flags(p), interleaved_f, src, w, p, dst)
}
