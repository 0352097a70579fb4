//! SSE4.1 min/max: four accumulator pairs of `minps(v, acc)` / `maxps(v, acc)`, which keep
//! `acc` when `v` is NaN, like the scalar comparisons.

use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn hmin(v: __m128) -> f32 {
    let mut a = [0f32; 4];
    _mm_storeu_ps(a.as_mut_ptr(), v);
    super::scalar::minmax(&a, (f32::INFINITY, f32::NEG_INFINITY)).0
}

#[inline]
#[target_feature(enable = "sse4.1")]
unsafe fn hmax(v: __m128) -> f32 {
    let mut a = [0f32; 4];
    _mm_storeu_ps(a.as_mut_ptr(), v);
    super::scalar::minmax(&a, (f32::INFINITY, f32::NEG_INFINITY)).1
}

/// Scans the largest multiple of 16 elements; returns (count, min, max) of that part,
/// folded with `acc`.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn minmax(x: &[f32], acc: (f32, f32)) -> (usize, (f32, f32)) {
    let n = x.len() / 16 * 16;
    if n == 0 {
        return (0, acc);
    }
    let p = x.as_ptr();
    let mut mn = [_mm_set1_ps(acc.0); 4];
    let mut mx = [_mm_set1_ps(acc.1); 4];
    let mut i = 0;
    while i < n {
        for k in 0..4 {
            // SAFETY: i + 16 <= n <= x.len().
            let v = _mm_loadu_ps(p.add(i + 4 * k));
            mn[k] = _mm_min_ps(v, mn[k]);
            mx[k] = _mm_max_ps(v, mx[k]);
        }
        i += 16;
    }
    let m = _mm_min_ps(_mm_min_ps(mn[0], mn[1]), _mm_min_ps(mn[2], mn[3]));
    let x_ = _mm_max_ps(_mm_max_ps(mx[0], mx[1]), _mm_max_ps(mx[2], mx[3]));
    (n, (hmin(m), hmax(x_)))
}

/// Element-wise running extremes on the largest multiple of 4; returns the count.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub unsafe fn minmax_accumulate(x: &[f32], mins: &mut [f32], maxs: &mut [f32]) -> usize {
    let n = x.len().min(mins.len()).min(maxs.len()) / 4 * 4;
    let (p, a, b) = (x.as_ptr(), mins.as_mut_ptr(), maxs.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 4 <= n <= every length.
        let v = _mm_loadu_ps(p.add(i));
        _mm_storeu_ps(a.add(i), _mm_min_ps(v, _mm_loadu_ps(a.add(i))));
        _mm_storeu_ps(b.add(i), _mm_max_ps(v, _mm_loadu_ps(b.add(i))));
        i += 4;
    }
    n
}
