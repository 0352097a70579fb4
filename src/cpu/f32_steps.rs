//! Drivers for x86_64 kernels whose output is f32: each step yields four vectors for
//! consecutive output floats, and the driver stores them through [`for_each_step`], with
//! non-temporal stores on aligned steps under `Store::Streaming` and the closing `sfence`.
//! The kernels then hold only their arithmetic.

use super::{for_each_step, Store};
use std::arch::x86_64::*;

/// Fills `out` in steps of 32 floats: `step(i)` gives the four 8-float vectors for
/// `out[i..i + 32]`. Returns how many leading floats were written (all of them with
/// `Store::Streaming` on a long enough output, else the largest multiple of 32).
/// `step` is only called with `i + 32 <= out.len()`.
///
/// # Safety
/// AVX2 must be available.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn avx2(
    out: &mut [f32],
    store: Store,
    step: impl Fn(usize) -> [__m256; 4],
) -> usize {
    let n = out.len();
    let op = out.as_mut_ptr();
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(32));
    let done = for_each_step(n, 32, aligned_from, |i, aligned| {
        let v = step(i);
        for (k, v) in v.into_iter().enumerate() {
            // SAFETY: i + 32 <= n, so the 8 floats from i + 8k are inside `out`; `aligned`
            // steps start on a 32-byte boundary.
            unsafe {
                let o = op.add(i + 8 * k);
                if aligned {
                    _mm256_stream_ps(o, v);
                } else {
                    _mm256_storeu_ps(o, v);
                }
            }
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// [`avx2`] with 16-float vectors: steps of 64 floats, streamed steps 64-byte aligned.
///
/// # Safety
/// AVX-512 F must be available.
#[inline]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn avx512(
    out: &mut [f32],
    store: Store,
    step: impl Fn(usize) -> [__m512; 4],
) -> usize {
    let n = out.len();
    let op = out.as_mut_ptr();
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(64));
    let done = for_each_step(n, 64, aligned_from, |i, aligned| {
        let v = step(i);
        for (k, v) in v.into_iter().enumerate() {
            // SAFETY: i + 64 <= n, so the 16 floats from i + 16k are inside `out`;
            // `aligned` steps start on a 64-byte boundary.
            unsafe {
                let o = op.add(i + 16 * k);
                if aligned {
                    _mm512_stream_ps(o, v);
                } else {
                    _mm512_storeu_ps(o, v);
                }
            }
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}
