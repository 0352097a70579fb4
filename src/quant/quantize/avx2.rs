//! AVX2 quantize: 32 elements per step, equal to `scalar.rs` (`vdivps`, round-half-even,
//! clamp with `vmaxps(y, lo)` / `vminps(y, hi)`, add zp, saturating packs, then a lane
//! fix-up so bytes land in input order). Per-tensor steps first try `x * (1 / scale)` and
//! keep it only when provably equal (`scalar::FAST_LIMIT`); otherwise they divide.

use crate::cpu::{for_each_step, prefetch, Store};
use crate::quant::params::QDtype;
use std::arch::x86_64::*;

const ROUND: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn pack<const SIGNED: bool>(a: __m256i, b: __m256i, c: __m256i, d: __m256i) -> __m256i {
    // packs work per 128-bit lane: dwords come out as a0 b0 c0 d0 | a1 b1 c1 d1.
    let w0 = _mm256_packs_epi32(a, b);
    let w1 = _mm256_packs_epi32(c, d);
    let bytes = if SIGNED {
        _mm256_packs_epi16(w0, w1)
    } else {
        _mm256_packus_epi16(w0, w1)
    };
    _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

/// `round(y)` for four vectors, by the reciprocal fast path when it is provably exact for
/// every lane (see `scalar::FAST_LIMIT`), else by division. NaN and infinities need no
/// division: they give the same NaN/inf either way and `fin` maps them like the spec.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn rounded4<const FAST: bool>(v: [__m256; 4], s: __m256, inv: __m256) -> [__m256; 4] {
    if FAST {
        let abs = _mm256_set1_epi32(0x7fff_ffff);
        let mut r = [_mm256_setzero_ps(); 4];
        let mut dmax = _mm256_setzero_si256();
        for k in 0..4 {
            let y = _mm256_mul_ps(v[k], inv);
            r[k] = _mm256_round_ps::<ROUND>(y);
            // |y - round(y)| as bits: integer order is float order for non-negative
            // floats, and NaN sorts above everything (so it is sent to the division).
            let d = _mm256_and_si256(_mm256_castps_si256(_mm256_sub_ps(y, r[k])), abs);
            dmax = _mm256_max_epi32(dmax, d);
        }
        let limit = _mm256_set1_epi32(super::scalar::FAST_LIMIT.to_bits() as i32 - 1);
        let bad = _mm256_cmpgt_epi32(dmax, limit);
        if _mm256_testz_si256(bad, bad) != 0 {
            return r;
        }
    }
    v.map(|x| _mm256_round_ps::<ROUND>(_mm256_div_ps(x, s)))
}

#[target_feature(enable = "avx2")]
unsafe fn run<const SIGNED: bool, const FAST: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
    store: Store,
) -> usize {
    let n = x.len().min(out.len());
    let qmax = dtype.range().1;
    let (s, inv, qmax, zpf) = (
        _mm256_set1_ps(scale),
        _mm256_set1_ps(1.0 / scale),
        _mm256_set1_ps(qmax as f32),
        _mm256_set1_ps(zp as f32),
    );
    // From r = round(y): r + zp is exact for |r| < 2^24 (and beyond that it saturates
    // either way); vminps(qmax, t) returns t when t is NaN; vcvtps2dq turns NaN, -inf and
    // values below -2^31 into i32::MIN; the saturating packs then clamp at qmin. So this
    // equals round(clamp(y)) + zp of the spec, NaN -> qmin included.
    let fin = |r: __m256| _mm256_cvtps_epi32(_mm256_min_ps(qmax, _mm256_add_ps(r, zpf)));
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(32));
    let done = for_each_step(n, 32, aligned_from, |i, aligned| {
        // SAFETY: `for_each_step` gives i + 32 <= n <= both lengths; `aligned` steps start
        // on a 32-byte boundary, as the streaming store needs.
        let p = xp.add(i);
        prefetch::ahead(p);
        prefetch::ahead(p.wrapping_add(16));
        let v = [
            _mm256_loadu_ps(p),
            _mm256_loadu_ps(p.add(8)),
            _mm256_loadu_ps(p.add(16)),
            _mm256_loadu_ps(p.add(24)),
        ];
        let r = rounded4::<FAST>(v, s, inv);
        let bytes = pack::<SIGNED>(fin(r[0]), fin(r[1]), fin(r[2]), fin(r[3]));
        let o = op.add(i).cast::<__m256i>();
        if aligned {
            _mm256_stream_si256(o, bytes);
        } else {
            _mm256_storeu_si256(o, bytes);
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// Quantizes the largest multiple of 32 elements, or all of them with `Store::Streaming`
/// (see `cpu::for_each_step`); returns how many were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn quantize(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
    store: Store,
) -> usize {
    let fast = super::scalar::fast_path_allowed(scale);
    match (dtype, fast) {
        (QDtype::I8, true) => run::<true, true>(x, out, scale, zp, dtype, store),
        (QDtype::I8, false) => run::<true, false>(x, out, scale, zp, dtype, store),
        (QDtype::U8, true) => run::<false, true>(x, out, scale, zp, dtype, store),
        (QDtype::U8, false) => run::<false, false>(x, out, scale, zp, dtype, store),
    }
}

#[target_feature(enable = "avx2")]
unsafe fn run_pe<const SIGNED: bool, const FAST: bool>(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    invs: &[f32],
    dtype: QDtype,
) -> usize {
    let mut n = x.len().min(out.len()).min(scales.len()).min(zps.len());
    if FAST {
        n = n.min(invs.len());
    }
    let n = n / 32 * 32;
    let qmax = _mm256_set1_ps(dtype.range().1 as f32);
    let (xp, op, sp, zpp, ip) = (
        x.as_ptr(),
        out.as_mut_ptr(),
        scales.as_ptr(),
        zps.as_ptr(),
        invs.as_ptr(),
    );
    let abs = _mm256_set1_epi32(0x7fff_ffff);
    let limit = _mm256_set1_epi32(super::scalar::FAST_LIMIT.to_bits() as i32 - 1);
    let mut i = 0;
    while i < n {
        // SAFETY (all loads): i + 32 <= n <= every length used.
        prefetch::ahead(xp.add(i));
        prefetch::ahead(xp.add(i + 16));
        let v: [__m256; 4] = std::array::from_fn(|k| _mm256_loadu_ps(xp.add(i + 8 * k)));
        let mut r = [_mm256_setzero_ps(); 4];
        let mut exact = true;
        if FAST {
            let mut dmax = _mm256_setzero_si256();
            for k in 0..4 {
                let y = _mm256_mul_ps(v[k], _mm256_loadu_ps(ip.add(i + 8 * k)));
                r[k] = _mm256_round_ps::<ROUND>(y);
                let d = _mm256_and_si256(_mm256_castps_si256(_mm256_sub_ps(y, r[k])), abs);
                dmax = _mm256_max_epi32(dmax, d);
            }
            let bad = _mm256_cmpgt_epi32(dmax, limit);
            exact = _mm256_testz_si256(bad, bad) == 0;
        }
        if exact {
            for k in 0..4 {
                let s = _mm256_loadu_ps(sp.add(i + 8 * k));
                r[k] = _mm256_round_ps::<ROUND>(_mm256_div_ps(v[k], s));
            }
        }
        // As in `run`: r + zp, vminps(qmax, t) keeps NaN, vcvtps2dq and the saturating
        // packs clamp at qmin.
        let q: [__m256i; 4] = std::array::from_fn(|k| {
            let z = _mm256_cvtepi32_ps(_mm256_loadu_si256(zpp.add(i + 8 * k).cast()));
            _mm256_cvtps_epi32(_mm256_min_ps(qmax, _mm256_add_ps(r[k], z)))
        });
        _mm256_storeu_si256(op.add(i).cast(), pack::<SIGNED>(q[0], q[1], q[2], q[3]));
        i += 32;
    }
    n
}

/// Per-element parameters; the largest multiple of 32 elements; returns how many were done.
/// `invs[i] = 1 / scales[i]` enables the reciprocal fast path (callers pass it only when
/// every scale passes `scalar::fast_path_allowed`).
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn quantize_per_elem(
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    invs: Option<&[f32]>,
    dtype: QDtype,
) -> usize {
    match (dtype, invs) {
        (QDtype::I8, Some(inv)) => run_pe::<true, true>(x, out, scales, zps, inv, dtype),
        (QDtype::I8, None) => run_pe::<true, false>(x, out, scales, zps, &[], dtype),
        (QDtype::U8, Some(inv)) => run_pe::<false, true>(x, out, scales, zps, inv, dtype),
        (QDtype::U8, None) => run_pe::<false, false>(x, out, scales, zps, &[], dtype),
    }
}
