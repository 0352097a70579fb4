//! Reference min/max scan. NaNs are skipped (`v < min` and `v > max` are false for NaN);
//! the dispatching wrapper reports a zero extreme as +0.0 whatever its sign, so the
//! result does not depend on the order lanes meet -0.0 and +0.0.

/// Folds `x` into the running `(min, max)`.
pub fn minmax(x: &[f32], acc: (f32, f32)) -> (f32, f32) {
    let (mut mn, mut mx) = acc;
    for &v in x {
        if v < mn {
            mn = v;
        }
        if v > mx {
            mx = v;
        }
    }
    (mn, mx)
}

/// Element-wise running extremes: `mins[i] = min(mins[i], x[i])`, likewise `maxs`.
pub fn minmax_accumulate(x: &[f32], mins: &mut [f32], maxs: &mut [f32]) {
    for ((&v, mn), mx) in x.iter().zip(mins.iter_mut()).zip(maxs.iter_mut()) {
        if v < *mn {
            *mn = v;
        }
        if v > *mx {
            *mx = v;
        }
    }
}
