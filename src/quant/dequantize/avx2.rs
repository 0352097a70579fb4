//! AVX2 dequantize: 32 bytes per step, widened to i32, `(q - zp)` converted exactly to
//! f32, times scale: the same operations as `scalar.rs`. Large outputs use streaming stores.

use crate::cpu::{for_each_step, Store};
use crate::quant::params::QDtype;
use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn eight<const SIGNED: bool>(p: *const u8, s: __m256, z: __m256i) -> __m256 {
    let b = _mm_loadl_epi64(p.cast());
    let w = if SIGNED {
        _mm256_cvtepi8_epi32(b)
    } else {
        _mm256_cvtepu8_epi32(b)
    };
    _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(w, z)), s)
}

#[target_feature(enable = "avx2")]
unsafe fn run<const SIGNED: bool>(
    q: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    store: Store,
) -> usize {
    let n = q.len().min(out.len());
    let (s, z) = (_mm256_set1_ps(scale), _mm256_set1_epi32(zp));
    let (qp, op) = (q.as_ptr(), out.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(32));
    let done = for_each_step(n, 32, aligned_from, |i, aligned| {
        // SAFETY: `for_each_step` gives i + 32 <= n <= both lengths; `aligned` steps start
        // on a 32-byte boundary, so all four streamed stores are aligned.
        let (p, o) = (qp.add(i), op.add(i));
        for k in 0..4 {
            let v = eight::<SIGNED>(p.add(8 * k), s, z);
            if aligned {
                _mm256_stream_ps(o.add(8 * k), v);
            } else {
                _mm256_storeu_ps(o.add(8 * k), v);
            }
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// Dequantizes the largest multiple of 32 elements, or all of them with
/// `Store::Streaming` (see `cpu::for_each_step`); returns how many were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn dequantize(
    q: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    dtype: QDtype,
    store: Store,
) -> usize {
    match dtype {
        QDtype::I8 => run::<true>(q, out, scale, zp, store),
        QDtype::U8 => run::<false>(q, out, scale, zp, store),
    }
}

#[target_feature(enable = "avx2")]
unsafe fn run_pe<const SIGNED: bool>(
    q: &[u8],
    out: &mut [f32],
    scales: &[f32],
    zps: &[i32],
) -> usize {
    let n = q.len().min(out.len()).min(scales.len()).min(zps.len()) / 8 * 8;
    let (qp, op, sp, zpp) = (q.as_ptr(), out.as_mut_ptr(), scales.as_ptr(), zps.as_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 8 <= n <= every length.
        let z = _mm256_loadu_si256(zpp.add(i).cast());
        let v = eight::<SIGNED>(qp.add(i), _mm256_loadu_ps(sp.add(i)), z);
        _mm256_storeu_ps(op.add(i), v);
        i += 8;
    }
    n
}

/// Per-element parameters; the largest multiple of 8 elements; returns how many were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn dequantize_per_elem(
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
