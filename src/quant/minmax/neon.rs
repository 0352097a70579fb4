//! NEON min/max: four accumulator pairs updated with compare-and-select
//! (`acc = v < acc ? v : acc`), exactly the scalar comparisons, so NaNs are skipped.

use std::arch::aarch64::*;

#[inline]
#[target_feature(enable = "neon")]
unsafe fn min_sel(v: float32x4_t, acc: float32x4_t) -> float32x4_t {
    vbslq_f32(vcltq_f32(v, acc), v, acc)
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn max_sel(v: float32x4_t, acc: float32x4_t) -> float32x4_t {
    vbslq_f32(vcgtq_f32(v, acc), v, acc)
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn lanes(v: float32x4_t) -> [f32; 4] {
    let mut a = [0f32; 4];
    vst1q_f32(a.as_mut_ptr(), v);
    a
}

/// Scans the largest multiple of 16 elements; returns (count, min, max) of that part,
/// folded with `acc`.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn minmax(x: &[f32], acc: (f32, f32)) -> (usize, (f32, f32)) {
    let n = x.len() / 16 * 16;
    if n == 0 {
        return (0, acc);
    }
    let p = x.as_ptr();
    let mut mn = [vdupq_n_f32(acc.0); 4];
    let mut mx = [vdupq_n_f32(acc.1); 4];
    let mut i = 0;
    while i < n {
        for k in 0..4 {
            // SAFETY: i + 16 <= n <= x.len().
            let v = vld1q_f32(p.add(i + 4 * k));
            mn[k] = min_sel(v, mn[k]);
            mx[k] = max_sel(v, mx[k]);
        }
        i += 16;
    }
    let m = min_sel(min_sel(mn[0], mn[1]), min_sel(mn[2], mn[3]));
    let x_ = max_sel(max_sel(mx[0], mx[1]), max_sel(mx[2], mx[3]));
    let init = (f32::INFINITY, f32::NEG_INFINITY);
    let lo = super::scalar::minmax(&lanes(m), init).0;
    let hi = super::scalar::minmax(&lanes(x_), init).1;
    (n, (lo, hi))
}

/// Element-wise running extremes on the largest multiple of 4; returns the count.
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn minmax_accumulate(x: &[f32], mins: &mut [f32], maxs: &mut [f32]) -> usize {
    let n = x.len().min(mins.len()).min(maxs.len()) / 4 * 4;
    let (p, a, b) = (x.as_ptr(), mins.as_mut_ptr(), maxs.as_mut_ptr());
    let mut i = 0;
    while i < n {
        // SAFETY: i + 4 <= n <= every length.
        let v = vld1q_f32(p.add(i));
        vst1q_f32(a.add(i), min_sel(v, vld1q_f32(a.add(i))));
        vst1q_f32(b.add(i), max_sel(v, vld1q_f32(b.add(i))));
        i += 4;
    }
    n
}
