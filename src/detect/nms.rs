//! Greedy non-maximum suppression under OpenCV's and torchvision's rules.

use super::iou::{CvKept, CvRect, TvSorted};
use crate::error::{Error, Result};
use std::cmp::Ordering;

fn same_len(boxes: usize, scores: usize) -> Result<()> {
    if boxes != scores {
        return Err(Error::invalid(format!(
            "{boxes} boxes but {scores} scores: need one score per box"
        )));
    }
    Ok(())
}

/// Indices of the scores above `threshold` (`score > threshold`, so NaN scores never
/// pass), sorted by score descending with a stable sort (equal scores keep index order),
/// cut to `top_k` when `0 < top_k < count`: OpenCV's `GetMaxScoreIndex`.
fn cv_candidates(scores: &[f32], threshold: f32, top_k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i] > threshold)
        .collect();
    // OpenCV's comparator is `a > b`; no NaN is left, so `partial_cmp` is total here.
    order.sort_by(|&a, &b| scores[b].partial_cmp(&scores[a]).unwrap_or(Ordering::Equal));
    if top_k > 0 && top_k < order.len() {
        order.truncate(top_k);
    }
    order
}

fn check_cv_args(score_threshold: f32, nms_threshold: f32, eta: f32) -> Result<()> {
    // OpenCV asserts the same (`CV_Assert(score_threshold >= 0, nms_threshold >= 0, eta > 0)`),
    // which a NaN fails.
    let negative = |v: f32| v.is_nan() || v < 0.0;
    if negative(score_threshold) || negative(nms_threshold) || eta.is_nan() || eta <= 0.0 {
        return Err(Error::invalid(format!(
            "need score_threshold >= 0 (got {score_threshold}), nms_threshold >= 0 \
             (got {nms_threshold}) and eta > 0 (got {eta}); NaN fails each"
        )));
    }
    Ok(())
}

/// `cv::dnn::NMSBoxes` for `Rect2d` boxes `(x, y, w, h)`, bit for bit in the kept indices
/// and their order:
/// 1. candidates: indices with `score > score_threshold` (NaN scores are dropped), stable
///    sorted by score descending (equal scores keep index order), cut to `top_k` if
///    `0 < top_k < count` (`top_k == 0` keeps all);
/// 2. in that order a candidate is kept when `overlap(candidate, k) <= t` for every box
///    `k` kept before it, `overlap` being [`super::cv_overlap`] (IoU in double, rounded to
///    float; a NaN overlap suppresses), `t` starting at `nms_threshold`;
/// 3. after each kept box, if `eta < 1` and `t > 0.5`, `t *= eta` (in float).
///
/// Returns the kept indices in keep order (descending score). Errors, as OpenCV's asserts:
/// mismatched lengths, `score_threshold < 0`, `nms_threshold < 0`, `eta <= 0`, or any of
/// them NaN. Boxes are not validated: zero-area, negative-size and NaN boxes follow the
/// overlap rule.
pub fn nms_boxes(
    boxes: &[[f32; 4]],
    scores: &[f32],
    score_threshold: f32,
    nms_threshold: f32,
    eta: f32,
    top_k: usize,
) -> Result<Vec<usize>> {
    same_len(boxes.len(), scores.len())?;
    check_cv_args(score_threshold, nms_threshold, eta)?;
    let order = cv_candidates(scores, score_threshold, top_k);
    let mut kept = CvKept::with_capacity(order.len());
    let mut keep = Vec::with_capacity(order.len());
    let mut t = nms_threshold;
    for &i in &order {
        let cand = CvRect::from(boxes[i]);
        if kept.suppresses(cand, t) {
            continue;
        }
        kept.push(cand);
        keep.push(i);
        if eta < 1.0 && t > 0.5 {
            t *= eta;
        }
    }
    Ok(keep)
}

/// torchvision's order of scores: descending, NaN first (a NaN ranks above every number,
/// as in torch's descending sort), `0.0` and `-0.0` equal; callers sort stably so ties
/// keep index order.
pub(crate) fn desc_nan_first(a: f32, b: f32) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
    }
}

fn check_iou_threshold(t: f64) -> Result<()> {
    if t.is_nan() {
        return Err(Error::invalid("iou_threshold is NaN"));
    }
    Ok(())
}

/// The greedy pass of torchvision's CPU kernel over boxes in score order, with boxes of
/// different classes never suppressing each other. Returns original indices.
fn tv_greedy(boxes: &[[f32; 4]], scores: &[f32], classes: Option<&[u32]>, t: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| desc_nan_first(scores[a], scores[b]));
    let sorted = TvSorted::gather(boxes, classes, &order);
    let mut suppressed = vec![false; order.len()];
    let mut keep = Vec::new();
    for i in 0..order.len() {
        if suppressed[i] {
            continue;
        }
        keep.push(order[i]);
        sorted.suppress_after(i, t, &mut suppressed);
    }
    keep
}

/// torchvision's `ops.nms` (CPU kernel `torchvision/csrc/ops/cpu/nms_kernel.cpp`) for boxes
/// `(x1, y1, x2, y2)`: boxes are visited by score descending; each box not yet suppressed
/// is kept and suppresses every later box with `(double)iou > iou_threshold`, `iou` being
/// [`super::tv_iou`] in f32. Returns kept indices by score descending.
///
/// Ties: torchvision orders with `scores.sort(0, descending=true)`, which on the CPU is
/// `std::sort` with torch's `KeyValueCompDesc` (not stable): equal scores come out in index
/// order for up to 16 boxes (insertion sort) and in an unspecified order beyond. scipix
/// always puts the lower index first (a stable sort, numpy's `argsort(-s, kind="stable")`),
/// so it equals torchvision whenever the scores are distinct or torchvision's order happens
/// to be the index order. NaN scores rank first, as `KeyValueCompDesc` puts them. Boxes are not validated (zero-area boxes give a
/// NaN IoU, which suppresses nothing). Errors: mismatched lengths, NaN `iou_threshold`
/// (torchvision would suppress nothing).
pub fn nms_xyxy(boxes: &[[f32; 4]], scores: &[f32], iou_threshold: f64) -> Result<Vec<usize>> {
    same_len(boxes.len(), scores.len())?;
    check_iou_threshold(iou_threshold)?;
    Ok(tv_greedy(boxes, scores, None, iou_threshold))
}

/// Class-aware NMS with torchvision's `ops.batched_nms` rule: [`nms_xyxy`] run separately
/// for each class (boxes of different classes never suppress each other), the kept indices
/// of all classes merged by score descending (ties by lower index, NaN first). This is
/// torchvision's per-class ("vanilla") path exactly; its coordinate-offset path (used for
/// small inputs: boxes shifted by `class * (max_coordinate + 1)` and one `nms`) computes the
/// IoU on shifted f32 coordinates and can differ from it in the last bits of an IoU, so in
/// rare cases at the threshold. Errors: mismatched lengths, NaN `iou_threshold`.
pub fn batched_nms(
    boxes: &[[f32; 4]],
    scores: &[f32],
    classes: &[u32],
    iou_threshold: f64,
) -> Result<Vec<usize>> {
    same_len(boxes.len(), scores.len())?;
    if classes.len() != boxes.len() {
        return Err(Error::invalid(format!(
            "{} boxes but {} class ids: need one class per box",
            boxes.len(),
            classes.len()
        )));
    }
    check_iou_threshold(iou_threshold)?;
    Ok(tv_greedy(boxes, scores, Some(classes), iou_threshold))
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: [[f32; 4]; 4] = [
        [0.0, 0.0, 10.0, 10.0],
        [1.0, 1.0, 10.0, 10.0],
        [0.0, 0.0, 10.0, 10.0],
        [40.0, 40.0, 10.0, 10.0],
    ];

    #[test]
    fn cv_keeps_in_score_order_and_filters_strictly() {
        let s = [0.5f32, 0.9, 0.6, 0.3];
        assert_eq!(nms_boxes(&B, &s, 0.3, 0.5, 1.0, 0).unwrap(), vec![1]);
        assert_eq!(nms_boxes(&B, &s, 0.29, 0.5, 1.0, 0).unwrap(), vec![1, 3]);
        assert_eq!(
            nms_boxes(&B, &s, 0.0, 1.0, 1.0, 0).unwrap(),
            vec![1, 2, 0, 3]
        );
        assert_eq!(nms_boxes(&B, &s, 0.0, 1.0, 1.0, 2).unwrap(), vec![1, 2]);
    }

    #[test]
    fn cv_equal_scores_keep_index_order_and_nan_is_dropped() {
        let s = [0.7f32, 0.7, f32::NAN, 0.7];
        assert_eq!(nms_boxes(&B, &s, 0.1, 0.5, 1.0, 0).unwrap(), vec![0, 3]);
        assert_eq!(nms_boxes(&B, &s, 0.1, 1.0, 1.0, 0).unwrap(), vec![0, 1, 3]);
    }

    #[test]
    fn cv_eta_lowers_the_threshold_after_each_keep() {
        // Overlap of box 1 with box 0 is 81/119 = 0.68: kept at 0.7, suppressed at 0.7*0.9.
        let s = [0.9f32, 0.8, 0.1, 0.05];
        let b = [B[0], B[1], B[3], [100.0, 100.0, 1.0, 1.0]];
        assert_eq!(
            nms_boxes(&b, &s, 0.0, 0.7, 1.0, 0).unwrap(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(nms_boxes(&b, &s, 0.0, 0.7, 0.9, 0).unwrap(), vec![0, 2, 3]);
    }

    #[test]
    fn cv_rejects_what_opencv_asserts() {
        let s = [0.5f32; 4];
        for (st, nt, eta) in [
            (f32::NAN, 0.5, 1.0),
            (-0.1, 0.5, 1.0),
            (0.1, f32::NAN, 1.0),
            (0.1, 0.5, 0.0),
            (0.1, 0.5, f32::NAN),
        ] {
            assert!(nms_boxes(&B, &s, st, nt, eta, 0).is_err());
        }
        assert!(nms_boxes(&B, &s[..3], 0.1, 0.5, 1.0, 0).is_err());
        assert_eq!(
            nms_boxes(&[], &[], 0.1, 0.5, 1.0, 0).unwrap(),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn cv_zero_area_boxes_suppress_each_other_only() {
        let b = [
            [3.0f32, 3.0, 0.0, 0.0],
            [50.0, 9.0, 0.0, 4.0],
            [3.0, 3.0, 5.0, 5.0],
        ];
        let s = [0.9f32, 0.8, 0.7];
        assert_eq!(nms_boxes(&b, &s, 0.0, 0.5, 1.0, 0).unwrap(), vec![0, 2]);
    }

    fn xyxy() -> [[f32; 4]; 4] {
        B.map(|[x, y, w, h]| [x, y, x + w, y + h])
    }

    #[test]
    fn tv_rule_and_tie_order() {
        let s = [0.7f32, 0.7, 0.9, 0.7];
        assert_eq!(nms_xyxy(&xyxy(), &s, 0.5).unwrap(), vec![2, 3]);
        assert_eq!(nms_xyxy(&xyxy(), &s, 1.0).unwrap(), vec![2, 0, 1, 3]);
        // NaN ranks first and keeps its box.
        let s = [0.7f32, f32::NAN, 0.9, 0.7];
        assert_eq!(nms_xyxy(&xyxy(), &s, 0.5).unwrap(), vec![1, 3]);
        assert!(nms_xyxy(&xyxy(), &s, f64::NAN).is_err());
        assert!(nms_xyxy(&xyxy(), &s[..2], 0.5).is_err());
    }

    #[test]
    fn tv_threshold_compares_in_double() {
        // IoU 1/3 in f32 is above 1/3 in f64 (0.33333334 > 0.333...): suppressed.
        let b = [[0.0f32, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]];
        let s = [0.9f32, 0.8];
        assert_eq!(nms_xyxy(&b, &s, 1.0 / 3.0).unwrap(), vec![0]);
        assert_eq!(nms_xyxy(&b, &s, (1.0f32 / 3.0) as f64).unwrap(), vec![0, 1]);
    }

    #[test]
    fn batched_keeps_other_classes() {
        let s = [0.7f32, 0.8, 0.9, 0.6];
        assert_eq!(
            batched_nms(&xyxy(), &s, &[0, 0, 0, 0], 0.5).unwrap(),
            vec![2, 3]
        );
        assert_eq!(
            batched_nms(&xyxy(), &s, &[0, 1, 0, 0], 0.5).unwrap(),
            vec![2, 1, 3]
        );
        assert!(batched_nms(&xyxy(), &s, &[0, 1], 0.5).is_err());
    }
}
