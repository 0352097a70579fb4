//! AVX-512 (F, BW, VBMI) kernels: 16 pixels per step. One load brings the group's bytes
//! (16 * bpp <= 64, masked so nothing past the group is read); one `vpermb` per output
//! block gathers its 16 bytes (`Plan::perm16`); they are widened to i32, converted exactly
//! to f32, and the rule's steps run in the scalar order, as in `avx2.rs`.

use super::{flags, Plan, DIV, FAST, MUL, STD};
use std::arch::x86_64::*;

struct Consts {
    div: __m512,
    rdiv: __m512,
    scale: __m512,
    perm: [__m512i; 3],
    mean: [__m512; 3],
    std: [__m512; 3],
    rstd: [__m512; 3],
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn consts(p: &Plan) -> Consts {
    // SAFETY: each table row holds 64 bytes or 16 f32.
    let (lb, lf) = unsafe {
        (
            |a: &[u8; 64]| _mm512_loadu_si512(a.as_ptr().cast()),
            |a: &[f32; 16]| _mm512_loadu_ps(a.as_ptr()),
        )
    };
    Consts {
        div: _mm512_set1_ps(p.div),
        rdiv: _mm512_set1_ps(p.rdiv),
        scale: _mm512_set1_ps(p.scale),
        perm: p.perm16.each_ref().map(lb),
        mean: p.mean16.each_ref().map(lf),
        std: p.std16.each_ref().map(lf),
        rstd: p.rstd16.each_ref().map(lf),
    }
}

/// `super::fused_div` on 16 lanes: `q = t * r; e = fma(-q, d, t); fma(e, r, q)`.
#[inline]
#[target_feature(enable = "avx512f")]
fn fused_div(t: __m512, d: __m512, r: __m512) -> __m512 {
    let q = _mm512_mul_ps(t, r);
    let e = _mm512_fnmadd_ps(q, d, t);
    _mm512_fmadd_ps(e, r, q)
}

/// Output block `k` of the group whose bytes are in `g`, as 16 f32 after the rule.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn block<const F: u8>(g: __m512i, c: &Consts, k: usize) -> __m512 {
    let bytes = _mm512_castsi512_si128(_mm512_permutexvar_epi8(c.perm[k], g));
    let mut v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
    if F & DIV != 0 {
        v = if F & FAST != 0 {
            fused_div(v, c.div, c.rdiv)
        } else {
            _mm512_div_ps(v, c.div)
        };
    }
    v = _mm512_sub_ps(v, c.mean[k]);
    if F & MUL != 0 {
        v = _mm512_mul_ps(v, c.scale);
    }
    if F & STD != 0 {
        v = if F & FAST != 0 {
            fused_div(v, c.std[k], c.rstd[k])
        } else {
            _mm512_div_ps(v, c.std[k])
        };
    }
    v
}

/// The 16 * bpp bytes of group `gi`; lanes past them are zero and never read from memory.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn load_group(src: &[u8], gi: usize, bpp: usize) -> __m512i {
    let g = &src[gi * 16 * bpp..(gi + 1) * 16 * bpp];
    let mask: __mmask64 = if g.len() == 64 {
        !0
    } else {
        (1 << g.len()) - 1
    };
    // SAFETY: the mask covers exactly `g`'s bytes; masked-off bytes are not accessed.
    unsafe { _mm512_maskz_loadu_epi8(mask, g.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn planar<const F: u8>(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
    let c = consts(p);
    let groups = w / 16;
    for gi in 0..groups {
        let g = load_group(src, gi, p.bpp);
        for (k, plane) in planes.iter_mut().enumerate().take(p.channels) {
            let out = &mut plane[gi * 16..gi * 16 + 16];
            // SAFETY: `out` holds 16 f32.
            unsafe { _mm512_storeu_ps(out.as_mut_ptr(), block::<F>(g, &c, k)) };
        }
    }
    groups * 16
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn interleaved<const F: u8>(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    let c = consts(p);
    let (groups, ch) = (w / 16, p.channels);
    for gi in 0..groups {
        let g = load_group(src, gi, p.bpp);
        let out = &mut dst[gi * 16 * ch..(gi + 1) * 16 * ch];
        for (k, o) in out.chunks_exact_mut(16).enumerate() {
            // SAFETY: `o` holds 16 f32.
            unsafe { _mm512_storeu_ps(o.as_mut_ptr(), block::<F>(g, &c, k)) };
        }
    }
    groups * 16
}

/// Converts the first `16 * (w / 16)` pixels into the planes; returns that count.
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VBMI.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub(crate) unsafe fn planar_body(
    src: &[u8],
    w: usize,
    p: &Plan,
    planes: &mut [&mut [f32]; 3],
) -> usize {
    dispatch_flags!(flags(p), planar, src, w, p, planes)
}

/// Converts the first `16 * (w / 16)` pixels into interleaved `dst`; returns that count.
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VBMI.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub(crate) unsafe fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
    dispatch_flags!(flags(p), interleaved, src, w, p, dst)
}
