//! Top-k selection and softmax over f32 scores.

use super::nms::desc_nan_first;
use crate::error::{Error, Result};
use std::cmp::Ordering;

/// Score order of [`top_k`]: descending, NaN first, equal scores by lower index.
fn rank(scores: &[f32], a: usize, b: usize) -> Ordering {
    desc_nan_first(scores[a], scores[b]).then(a.cmp(&b))
}

/// The indices of the `min(k, n)` largest scores, largest first. Equal scores go by lower
/// index (numpy's `argsort(-x, kind="stable")[:k]`); NaN ranks above every number (as in
/// torch's descending sort); `0.0` and `-0.0` are equal. `torch.topk` returns the same
/// values but promises no order among equal scores; scipix always puts the lower index
/// first. `k == 0` gives an empty result.
pub fn top_k(scores: &[f32], k: usize) -> Vec<usize> {
    let k = k.min(scores.len());
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    if k == 0 {
        return Vec::new();
    }
    if k < idx.len() {
        // The order is total (index breaks every tie), so the selected set is unique.
        idx.select_nth_unstable_by(k - 1, |&a, &b| rank(scores, a, b));
        idx.truncate(k);
    }
    idx.sort_unstable_by(|&a, &b| rank(scores, a, b));
    idx
}

/// Softmax of `src` into `dst` (same length): `m = max(src)` (a NaN anywhere makes every
/// output NaN, like numpy's `max`), `e[i] = expf(src[i] - m)` in f32 (the platform's
/// `expf`, within 1 ulp), `s = sum of e[i]` accumulated in f64 in index order,
/// `dst[i] = (float)((double)e[i] / s)`. The differences `src[i] - m` are rounded to f32 as
/// numpy rounds them, so the result is the softmax of those rounded differences to about
/// 2 ulp; against numpy's float32 `e = np.exp(x - x.max()); e / e.sum()` the tests bound
/// the difference at 4 ulp. Infinities follow the formula (`inf - inf` is NaN). Errors:
/// mismatched lengths. An empty input gives an empty output.
pub fn softmax(src: &[f32], dst: &mut [f32]) -> Result<()> {
    if src.len() != dst.len() {
        return Err(Error::invalid(format!(
            "source has {} elements, destination {}",
            src.len(),
            dst.len()
        )));
    }
    if src.is_empty() {
        return Ok(());
    }
    let m = src.iter().fold(f32::NEG_INFINITY, |m, &x| {
        if x.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(x)
        }
    });
    let mut sum = 0f64;
    for (d, &x) in dst.iter_mut().zip(src) {
        *d = (x - m).exp();
        sum += *d as f64;
    }
    for d in dst.iter_mut() {
        *d = (*d as f64 / sum) as f32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_ties_by_index_and_nan_first() {
        let s = [0.5f32, 0.9, 0.5, f32::NAN, 0.9, -1.0];
        assert_eq!(top_k(&s, 3), vec![3, 1, 4]);
        assert_eq!(top_k(&s, 5), vec![3, 1, 4, 0, 2]);
        assert_eq!(top_k(&s, 99), vec![3, 1, 4, 0, 2, 5]);
        assert_eq!(top_k(&s, 0), Vec::<usize>::new());
        assert_eq!(top_k(&[], 4), Vec::<usize>::new());
    }

    #[test]
    fn top_k_equals_a_full_stable_sort() {
        let noise = crate::image::test_noise::noise(2000, 3);
        let s: Vec<f32> = noise.iter().map(|&b| (b % 17) as f32).collect();
        let mut want: Vec<usize> = (0..s.len()).collect();
        want.sort_by(|&a, &b| s[b].partial_cmp(&s[a]).unwrap());
        for k in [1, 7, 100, 1999, 2000] {
            assert_eq!(top_k(&s, k), want[..k]);
        }
    }

    #[test]
    fn softmax_values() {
        let mut y = [0f32; 3];
        softmax(&[1.0, 1.0, 1.0], &mut y).unwrap();
        assert_eq!(y, [(1.0f64 / 3.0) as f32; 3]);
        softmax(&[0.0, 1000.0, -f32::INFINITY], &mut y).unwrap();
        assert_eq!(y, [0.0, 1.0, 0.0]);
        softmax(&[0.0, f32::NAN, 1.0], &mut y).unwrap();
        assert!(y.iter().all(|v| v.is_nan()));
        let exact = 1.0 / (1.0 + 1f64.exp());
        softmax(&[1.0, 0.0, f32::NEG_INFINITY], &mut y).unwrap();
        assert!(
            (y[1] - exact as f32).abs() <= f32::EPSILON / 2.0,
            "{}",
            y[1]
        );
        assert!(softmax(&[1.0], &mut y).is_err());
    }
}
