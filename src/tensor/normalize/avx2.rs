//! AVX2 kernels. Reductions keep the 16 f64 lanes in four registers (lanes 4j..4j+4 in
//! register j), so each lane adds the same values in the same order as the scalar kernel.

use super::LANES;
use std::arch::x86_64::*;

/// Adds the first `16 * (x.len() / 16)` elements into the lanes; returns that count.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn sum_body(x: &[f32], lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mut acc = [
        _mm256_loadu_pd(lanes[0..].as_ptr()),
        _mm256_loadu_pd(lanes[4..].as_ptr()),
        _mm256_loadu_pd(lanes[8..].as_ptr()),
        _mm256_loadu_pd(lanes[12..].as_ptr()),
    ];
    for c in x[..n].chunks_exact(16) {
        let a = _mm256_loadu_ps(c[0..].as_ptr());
        let b = _mm256_loadu_ps(c[8..].as_ptr());
        acc[0] = _mm256_add_pd(acc[0], _mm256_cvtps_pd(_mm256_castps256_ps128(a)));
        acc[1] = _mm256_add_pd(acc[1], _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(a)));
        acc[2] = _mm256_add_pd(acc[2], _mm256_cvtps_pd(_mm256_castps256_ps128(b)));
        acc[3] = _mm256_add_pd(acc[3], _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(b)));
    }
    for (j, a) in acc.iter().enumerate() {
        _mm256_storeu_pd(lanes[4 * j..].as_mut_ptr(), *a);
    }
    n
}

/// Adds `(x - m)^2` (f64, multiply then add) of the first `16 * (len / 16)` elements.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn sqdev_body(x: &[f32], m: f64, lanes: &mut [f64; LANES]) -> usize {
    let n = x.len() / 16 * 16;
    let mv = _mm256_set1_pd(m);
    let mut acc = [
        _mm256_loadu_pd(lanes[0..].as_ptr()),
        _mm256_loadu_pd(lanes[4..].as_ptr()),
        _mm256_loadu_pd(lanes[8..].as_ptr()),
        _mm256_loadu_pd(lanes[12..].as_ptr()),
    ];
    for c in x[..n].chunks_exact(16) {
        let a = _mm256_loadu_ps(c[0..].as_ptr());
        let b = _mm256_loadu_ps(c[8..].as_ptr());
        let parts = [
            _mm256_castps256_ps128(a),
            _mm256_extractf128_ps::<1>(a),
            _mm256_castps256_ps128(b),
            _mm256_extractf128_ps::<1>(b),
        ];
        for j in 0..4 {
            let d = _mm256_sub_pd(_mm256_cvtps_pd(parts[j]), mv);
            acc[j] = _mm256_add_pd(acc[j], _mm256_mul_pd(d, d));
        }
    }
    for (j, a) in acc.iter().enumerate() {
        _mm256_storeu_pd(lanes[4 * j..].as_mut_ptr(), *a);
    }
    n
}

/// `dst = (src - mean) * inv` on the first `8 * (n / 8)` elements; returns that count.
/// `src` and `dst` may be the same buffer (in place).
#[target_feature(enable = "avx2")]
unsafe fn apply_raw(src: *const f32, dst: *mut f32, n: usize, mean: f32, inv: f32) -> usize {
    let body = n / 32 * 32;
    let (m, s) = (_mm256_set1_ps(mean), _mm256_set1_ps(inv));
    let mut i = 0;
    while i < body {
        for k in 0..4 {
            let v = _mm256_loadu_ps(src.add(i + 8 * k));
            _mm256_storeu_ps(dst.add(i + 8 * k), _mm256_mul_ps(_mm256_sub_ps(v, m), s));
        }
        i += 32;
    }
    while i + 8 <= n {
        let v = _mm256_loadu_ps(src.add(i));
        _mm256_storeu_ps(dst.add(i), _mm256_mul_ps(_mm256_sub_ps(v, m), s));
        i += 8;
    }
    i
}

#[target_feature(enable = "avx2")]
pub(crate) unsafe fn apply_body(src: &[f32], dst: &mut [f32], mean: f32, inv: f32) -> usize {
    let n = src.len().min(dst.len());
    apply_raw(src.as_ptr(), dst.as_mut_ptr(), n, mean, inv)
}

#[target_feature(enable = "avx2")]
pub(crate) unsafe fn apply_inplace_body(buf: &mut [f32], mean: f32, inv: f32) -> usize {
    let p = buf.as_mut_ptr();
    apply_raw(p, p, buf.len(), mean, inv)
}

/// `dst[i] = (src[i] - mean[i % P]) / std[i % P]` over whole periods `P = mean.len()`
/// (a multiple of 8); returns the count done. `src` may equal `dst`.
#[target_feature(enable = "avx2")]
unsafe fn chan_raw(src: *const f32, dst: *mut f32, n: usize, mean: &[f32], std: &[f32]) -> usize {
    let p = mean.len();
    let body = n / p * p;
    let mut i = 0;
    while i < body {
        let mut k = 0;
        while k < p {
            let v = _mm256_loadu_ps(src.add(i + k));
            let m = _mm256_loadu_ps(mean[k..k + 8].as_ptr());
            let s = _mm256_loadu_ps(std[k..k + 8].as_ptr());
            _mm256_storeu_ps(dst.add(i + k), _mm256_div_ps(_mm256_sub_ps(v, m), s));
            k += 8;
        }
        i += p;
    }
    body
}

#[target_feature(enable = "avx2")]
pub(crate) unsafe fn chan_body(src: &[f32], dst: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let n = src.len().min(dst.len());
    chan_raw(src.as_ptr(), dst.as_mut_ptr(), n, mean, std)
}

#[target_feature(enable = "avx2")]
pub(crate) unsafe fn chan_inplace_body(buf: &mut [f32], mean: &[f32], std: &[f32]) -> usize {
    let p = buf.as_mut_ptr();
    chan_raw(p, p, buf.len(), mean, std)
}
