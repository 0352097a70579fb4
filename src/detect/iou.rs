//! Overlap measures of the two NMS peers, as scalar specifications and as one-against-many
//! loops written without branches so the compiler vectorizes them (selects, no early exit;
//! Rust never contracts `a * b + c` into a fused multiply-add, so every lane computes the
//! same operations in the same order as the scalar rule and gives the same bits).

/// OpenCV's `std::min(p, q)`: `q < p ? q : p`.
#[inline(always)]
fn cv_min(p: f64, q: f64) -> f64 {
    if q < p {
        q
    } else {
        p
    }
}

/// OpenCV's overlap of two `Rect2d` boxes `(x, y, w, h)` as used by `cv::dnn::NMSBoxes`:
/// `1.f - (float)jaccardDistance(a, b)`, computed in double:
/// - `Aa = a.w * a.h`, `Ab = b.w * b.h`; if `Aa + Ab <= DBL_EPSILON` the overlap is 1
///   (two empty or negative-area boxes count as identical);
/// - the intersection `a & b` is empty (area 0) when either box has `w <= 0` or `h <= 0`,
///   or when the box further left (the one with the smaller x; `b` on equal x) starts at a
///   negative x and ends before the other starts (same for y); otherwise its width is
///   `min(xmin.w - (xmax.x - xmin.x), xmax.w)` (height likewise), and a width or height
///   `<= 0` makes it empty;
/// - `overlap = 1.f - (float)(1.0 - Aab / (Aa + Ab - Aab))`.
///
/// NaN coordinates propagate (a NaN overlap suppresses nothing and never keeps: the
/// caller's `overlap <= threshold` is false).
pub fn cv_overlap(a: [f32; 4], b: [f32; 4]) -> f32 {
    let a = CvRect::from(a);
    let b = CvRect::from(b);
    cv_overlap_lane(a, a.area(), b, b.area())
}

/// A box as OpenCV's `Rect2d`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CvRect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl From<[f32; 4]> for CvRect {
    fn from(b: [f32; 4]) -> Self {
        CvRect {
            x: b[0] as f64,
            y: b[1] as f64,
            w: b[2] as f64,
            h: b[3] as f64,
        }
    }
}

impl CvRect {
    /// `Rect2d::area()`: `w * h`.
    pub fn area(&self) -> f64 {
        self.w * self.h
    }
}

/// The area of OpenCV's `a & b` for `Rect2d` (see [`cv_overlap`]).
#[inline(always)]
fn cv_intersection_area(a: CvRect, b: CvRect) -> f64 {
    let empty = a.w <= 0.0 || a.h <= 0.0 || b.w <= 0.0 || b.h <= 0.0;
    let (xmin, xmax) = if a.x < b.x { (a, b) } else { (b, a) };
    let (ymin, ymax) = if a.y < b.y { (a, b) } else { (b, a) };
    let apart =
        (xmin.x < 0.0 && xmin.x + xmin.w < xmax.x) || (ymin.y < 0.0 && ymin.y + ymin.h < ymax.y);
    let w = cv_min(xmin.w - (xmax.x - xmin.x), xmax.w);
    let h = cv_min(ymin.h - (ymax.y - ymin.y), ymax.h);
    if empty || apart || w <= 0.0 || h <= 0.0 {
        0.0
    } else {
        w * h
    }
}

/// [`cv_overlap`] of `a` (the candidate) and `b` (a kept box) with their areas given.
#[inline(always)]
pub(crate) fn cv_overlap_lane(a: CvRect, area_a: f64, b: CvRect, area_b: f64) -> f32 {
    let sum = area_a + area_b;
    let inter = cv_intersection_area(a, b);
    let overlap = 1.0f32 - (1.0 - inter / (sum - inter)) as f32;
    if sum <= f64::EPSILON {
        1.0
    } else {
        overlap
    }
}

/// OpenCV's test negated: a candidate is kept against one box when `overlap <= threshold`,
/// so it is suppressed when `overlap > threshold` or the overlap is NaN.
#[inline(always)]
pub(crate) fn suppressed_by(overlap: f32, threshold: f32) -> bool {
    overlap > threshold || overlap.is_nan()
}

/// The boxes NMS has kept so far, one array per field (the layout the vector loop reads).
#[derive(Debug, Default)]
pub(crate) struct CvKept {
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    h: Vec<f64>,
    area: Vec<f64>,
}

impl CvKept {
    pub fn with_capacity(n: usize) -> Self {
        let v = || Vec::with_capacity(n);
        CvKept {
            x: v(),
            y: v(),
            w: v(),
            h: v(),
            area: v(),
        }
    }

    pub fn push(&mut self, r: CvRect) {
        self.x.push(r.x);
        self.y.push(r.y);
        self.w.push(r.w);
        self.h.push(r.h);
        self.area.push(r.area());
    }

    /// True when some kept box `b` has `!(cv_overlap(cand, b) <= threshold)`: OpenCV's
    /// "not kept" test, taken over all kept boxes at once (OpenCV stops at the first hit;
    /// the answer is the same).
    pub fn suppresses(&self, cand: CvRect, threshold: f32) -> bool {
        const CHUNK: usize = 8;
        let area = cand.area();
        let n = self.x.len();
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK).min(n);
            let mut hit = false;
            for k in start..end {
                let b = CvRect {
                    x: self.x[k],
                    y: self.y[k],
                    w: self.w[k],
                    h: self.h[k],
                };
                hit |= suppressed_by(cv_overlap_lane(cand, area, b, self.area[k]), threshold);
            }
            if hit {
                return true;
            }
            start = end;
        }
        false
    }
}

/// torchvision's `std::max(a, b)`: `a < b ? b : a`.
#[inline(always)]
fn tv_max(a: f32, b: f32) -> f32 {
    if a < b {
        b
    } else {
        a
    }
}

/// torchvision's `std::min(a, b)`: `b < a ? b : a`.
#[inline(always)]
fn tv_min(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// The IoU of torchvision's CPU `nms` kernel (`torchvision/csrc/ops/cpu/nms_kernel.cpp`) for
/// boxes `(x1, y1, x2, y2)` in f32: `area = (x2 - x1) * (y2 - y1)`;
/// `xx1 = max(ax1, bx1)`, `yy1 = max(ay1, by1)`, `xx2 = min(ax2, bx2)`,
/// `yy2 = min(ay2, by2)`; `w = max(0, xx2 - xx1)`, `h = max(0, yy2 - yy1)`;
/// `inter = w * h`; `iou = inter / (area_a + area_b - inter)` (added left to right).
/// No special case for empty boxes: two zero-area boxes give `0 / 0 = NaN`, which
/// suppresses nothing.
pub fn tv_iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let area = |r: [f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    tv_iou_lane(a, area(a), b, area(b))
}

#[inline(always)]
fn tv_iou_lane(a: [f32; 4], area_a: f32, b: [f32; 4], area_b: f32) -> f32 {
    let xx1 = tv_max(a[0], b[0]);
    let yy1 = tv_max(a[1], b[1]);
    let xx2 = tv_min(a[2], b[2]);
    let yy2 = tv_min(a[3], b[3]);
    let w = tv_max(0.0, xx2 - xx1);
    let h = tv_max(0.0, yy2 - yy1);
    let inter = w * h;
    inter / (area_a + area_b - inter)
}

/// Boxes in score order, one array per field, with their areas and classes.
#[derive(Debug)]
pub(crate) struct TvSorted {
    pub x1: Vec<f32>,
    pub y1: Vec<f32>,
    pub x2: Vec<f32>,
    pub y2: Vec<f32>,
    pub area: Vec<f32>,
    pub class: Vec<u32>,
}

impl TvSorted {
    /// The boxes `order[0], order[1], ...` of `boxes` (classes all 0 when `classes` is None).
    pub fn gather(boxes: &[[f32; 4]], classes: Option<&[u32]>, order: &[usize]) -> Self {
        let field = |f: usize| order.iter().map(|&i| boxes[i][f]).collect::<Vec<f32>>();
        let (x1, y1, x2, y2) = (field(0), field(1), field(2), field(3));
        let area = (0..order.len())
            .map(|k| (x2[k] - x1[k]) * (y2[k] - y1[k]))
            .collect();
        let class = match classes {
            Some(c) => order.iter().map(|&i| c[i]).collect(),
            None => vec![0; order.len()],
        };
        TvSorted {
            x1,
            y1,
            x2,
            y2,
            area,
            class,
        }
    }

    /// Marks `suppressed[j]` for every `j > i` of the same class with
    /// `(double)iou(i, j) > threshold`. Already suppressed boxes are compared again (the
    /// mark only grows), which keeps the loop free of branches.
    pub fn suppress_after(&self, i: usize, threshold: f64, suppressed: &mut [bool]) {
        let a = [self.x1[i], self.y1[i], self.x2[i], self.y2[i]];
        let (area_a, class_a) = (self.area[i], self.class[i]);
        let n = self.x1.len();
        let (x1, y1, x2, y2) = (
            &self.x1[i + 1..n],
            &self.y1[i + 1..n],
            &self.x2[i + 1..n],
            &self.y2[i + 1..n],
        );
        let (area, class) = (&self.area[i + 1..n], &self.class[i + 1..n]);
        let out = &mut suppressed[i + 1..n];
        for k in 0..out.len() {
            let b = [x1[k], y1[k], x2[k], y2[k]];
            let iou = tv_iou_lane(a, area_a, b, area[k]);
            out[k] |= class[k] == class_a && (iou as f64) > threshold;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_overlap_follows_opencv_cases() {
        // Identical boxes: intersection = area, overlap 1.
        assert_eq!(cv_overlap([0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]), 1.0);
        // Half overlap in x: inter 2, union 6.
        let o = cv_overlap([0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 2.0, 2.0]);
        assert_eq!(o, 1.0f32 - (1.0f64 - 2.0 / 6.0) as f32);
        // Two zero-area boxes count as identical; one zero-area box overlaps nothing.
        assert_eq!(cv_overlap([5.0, 5.0, 0.0, 0.0], [9.0, 9.0, 0.0, 3.0]), 1.0);
        assert_eq!(cv_overlap([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0, 2.0]), 0.0);
        // Negative widths make the intersection empty; negative areas summing <= eps give 1.
        assert_eq!(cv_overlap([0.0, 0.0, -2.0, 2.0], [0.0, 0.0, 1.0, 1.0]), 1.0);
        assert_eq!(cv_overlap([0.0, 0.0, -2.0, 2.0], [0.0, 0.0, 3.0, 3.0]), 0.0);
        assert!(cv_overlap([f32::NAN, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]).is_nan());
    }

    #[test]
    fn tv_iou_follows_torchvision_cases() {
        assert_eq!(
            tv_iou([0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]),
            2.0 / 6.0
        );
        assert!(tv_iou([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]).is_nan());
        assert_eq!(tv_iou([0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]), 0.0);
    }

    #[test]
    fn kept_loop_equals_scalar_overlap() {
        let noise = crate::image::test_noise::noise(1200, 7);
        let v = |k: usize| noise[k] as f32 - 60.0;
        let boxes: Vec<[f32; 4]> = (0..300)
            .map(|i| {
                [
                    v(4 * i),
                    v(4 * i + 1),
                    v(4 * i + 2) / 2.0,
                    v(4 * i + 3) / 2.0,
                ]
            })
            .collect();
        for t in [0.0f32, 0.3, 0.5, 0.9] {
            for split in [1usize, 9, 17, 150] {
                let mut kept = CvKept::with_capacity(split);
                for b in &boxes[..split] {
                    kept.push(CvRect::from(*b));
                }
                for c in &boxes[split..] {
                    let want = boxes[..split]
                        .iter()
                        .any(|k| suppressed_by(cv_overlap(*c, *k), t));
                    assert_eq!(kept.suppresses(CvRect::from(*c), t), want);
                }
            }
        }
    }
}
