//! AVX-512 (F + BW) quantize: 64 elements per step, equal to `scalar.rs` by the same steps
//! as `avx2.rs` on 512-bit vectors: the reciprocal fast path kept only when provably exact
//! (`scalar::FAST_LIMIT`), else `vdivps`; round half to even; add zp; `vminps` with qmax;
//! `vcvtps2dq`; saturating packs; a dword permute so bytes land in input order.

use crate::cpu::{for_each_step, prefetch, Store};
use crate::quant::params::QDtype;
use std::arch::x86_64::*;

const ROUND: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

/// Packs four vectors of i32 into 64 saturated bytes in input order.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn pack<const SIGNED: bool>(a: __m512i, b: __m512i, c: __m512i, d: __m512i) -> __m512i {
    // Packs work per 128-bit lane: dword 4k + j of the result holds lane k of input j.
    let w0 = _mm512_packs_epi32(a, b);
    let w1 = _mm512_packs_epi32(c, d);
    let bytes = if SIGNED {
        _mm512_packs_epi16(w0, w1)
    } else {
        _mm512_packus_epi16(w0, w1)
    };
    let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    _mm512_permutexvar_epi32(order, bytes)
}

/// `round(y)` for four vectors: by `x * inv` when that is provably exact for every lane
/// (`|y' - round(y')| < FAST_LIMIT`; NaN compares unordered and fails), else by division.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn rounded4<const FAST: bool>(v: [__m512; 4], s: __m512, inv: __m512) -> [__m512; 4] {
    if FAST {
        let limit = _mm512_set1_ps(super::scalar::FAST_LIMIT);
        let mut r = [_mm512_setzero_ps(); 4];
        let mut bad: __mmask16 = 0;
        for k in 0..4 {
            let y = _mm512_mul_ps(v[k], inv);
            r[k] = _mm512_roundscale_ps::<ROUND>(y);
            let d = _mm512_abs_ps(_mm512_sub_ps(y, r[k]));
            bad |= _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(d, limit);
        }
        if bad == 0 {
            return r;
        }
    }
    v.map(|x| _mm512_roundscale_ps::<ROUND>(_mm512_div_ps(x, s)))
}

#[target_feature(enable = "avx512f,avx512bw")]
fn run<const SIGNED: bool, const FAST: bool>(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
    store: Store,
) -> usize {
    let n = x.len().min(out.len());
    let (s, inv, qmax, zpf) = (
        _mm512_set1_ps(scale),
        _mm512_set1_ps(1.0 / scale),
        _mm512_set1_ps(dtype.range().1 as f32),
        _mm512_set1_ps(zp as f32),
    );
    // As in `avx2.rs`: r + zp is exact, vminps(qmax, t) returns t when t is NaN, vcvtps2dq
    // turns NaN and -inf into i32::MIN, and the saturating packs clamp at qmin.
    let fin = |r: __m512| _mm512_cvtps_epi32(_mm512_min_ps(qmax, _mm512_add_ps(r, zpf)));
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(64));
    let done = for_each_step(n, 64, aligned_from, |i, aligned| {
        // SAFETY: `for_each_step` gives i + 64 <= n <= both lengths; `aligned` steps start
        // on a 64-byte boundary, as the streaming store needs.
        unsafe {
            let p = xp.add(i);
            for line in 0..4 {
                prefetch::ahead(p.wrapping_add(16 * line));
            }
            let v = [
                _mm512_loadu_ps(p),
                _mm512_loadu_ps(p.add(16)),
                _mm512_loadu_ps(p.add(32)),
                _mm512_loadu_ps(p.add(48)),
            ];
            let r = rounded4::<FAST>(v, s, inv);
            let bytes = pack::<SIGNED>(fin(r[0]), fin(r[1]), fin(r[2]), fin(r[3]));
            let o = op.add(i).cast::<__m512i>();
            if aligned {
                _mm512_stream_si512(o, bytes);
            } else {
                _mm512_storeu_si512(o, bytes);
            }
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// Quantizes the largest multiple of 64 elements, or all of them with `Store::Streaming`
/// (see `cpu::for_each_step`); returns how many were done.
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[target_feature(enable = "avx512f,avx512bw")]
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
