//! AVX2 min/max: four accumulator pairs of `vminps(v, acc)` / `vmaxps(v, acc)`, which keep
//! `acc` when `v` is NaN, like the scalar comparisons.

use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn lanes(v: __m256) -> [f32; 8] {
    let mut a = [0f32; 8];
    _mm256_storeu_ps(a.as_mut_ptr(), v);
    a
}

/// Scans the largest multiple of 32 elements; returns (count, min, max) of that part,
/// folded with `acc`.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn minmax(x: &[f32], acc: (f32, f32)) -> (usize, (f32, f32)) {
    let n = x.len() / 32 * 32;
    if n == 0 {
        return (0, acc);
    }
    let p = x.as_ptr();
    let mut mn = [_mm256_set1_ps(acc.0); 4];
    let mut mx = [_mm256_set1_ps(acc.1); 4];
    let mut i = 0;
    while i < n {
        for k in 0..4 {
            // SAFETY: i + 32 <= n <= x.len().
            let v = _mm256_loadu_ps(p.add(i + 8 * k));
            mn[k] = _mm256_min_ps(v, mn[k]);
            mx[k] = _mm256_max_ps(v, mx[k]);
        }
        i += 32;
    }
    let m = _mm256_min_ps(_mm256_min_ps(mn[0], mn[1]), _mm256_min_ps(mn[2], mn[3]));
    let x_ = _mm256_max_ps(_mm256_max_ps(mx[0], mx[1]), _mm256_max_ps(mx[2], mx[3]));
    let init = (f32::INFINITY, f32::NEG_INFINITY);
    let lo = super::scalar::minmax(&lanes(m), init).0;
    let hi = super::scalar::minmax(&lanes(x_), init).1;
    (n, (lo, hi))
}

/// Element-wise running extremes on the largest multiple of 8; returns the count.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn minmax_accumulate(x: &[f32], mins: &mut [f32], maxs: &mut [f32]) -> usize {
    let n = x.len().min(mins.len()).min(maxs.len()) / 8 * 8;
    let (p, a, b) = (x.as_ptr(), mins.as_mut_ptr(), maxs.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 8 <= n <= every length.
        let v = _mm256_loadu_ps(p.add(i));
        _mm256_storeu_ps(a.add(i), _mm256_min_ps(v, _mm256_loadu_ps(a.add(i))));
        _mm256_storeu_ps(b.add(i), _mm256_max_ps(v, _mm256_loadu_ps(b.add(i))));
        i += 8;
    }
    n
}
