//! Decoding of YOLOv8/YOLO11 detection outputs into boxes in the source frame.

use super::best_class::best_classes;
use super::nms::{batched_nms, nms_xyxy};
use crate::error::{checked_product, Error, Result};
use crate::image::resize::LetterboxGeometry;

/// Parameters of [`yolo_decode`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YoloParams {
    /// Number of classes `C` (rows `4..4 + C` of the output); at least 1.
    pub num_classes: usize,
    /// Number of candidates `N` (columns of the output; 8400 for 640x640).
    pub num_candidates: usize,
    /// A candidate is kept when its best class score is `> conf_threshold`; not NaN.
    pub conf_threshold: f32,
    /// IoU threshold of the NMS (`iou > iou_threshold` suppresses); not NaN.
    pub iou_threshold: f64,
    /// At most this many detections are returned (the best ones); 0 for no limit.
    pub max_det: usize,
    /// Class-agnostic NMS: boxes of different classes suppress each other too.
    pub agnostic: bool,
}

impl Default for YoloParams {
    /// Ultralytics' defaults: 80 classes, 8400 candidates, conf 0.25, IoU 0.45, 300
    /// detections, class-aware.
    fn default() -> Self {
        YoloParams {
            num_classes: 80,
            num_candidates: 8400,
            conf_threshold: 0.25,
            iou_threshold: 0.45,
            max_det: 300,
            agnostic: false,
        }
    }
}

/// One detection of [`yolo_decode`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// `x1, y1, x2, y2` in the source frame.
    pub bbox: [f32; 4],
    /// The best class score.
    pub score: f32,
    /// The best class (lowest class index among equal scores).
    pub class: u32,
    /// Column of the output the detection came from.
    pub candidate: usize,
}

fn check_params(output: &[f32], p: &YoloParams, g: &LetterboxGeometry) -> Result<()> {
    if p.num_classes == 0 || p.num_classes > u32::MAX as usize {
        return Err(Error::invalid(format!(
            "num_classes is {}: need 1..=2^32-1",
            p.num_classes
        )));
    }
    let rows = p
        .num_classes
        .checked_add(4)
        .ok_or_else(|| Error::overflow("num_classes + 4 overflows"))?;
    let need = checked_product(&[rows, p.num_candidates], "output elements")?;
    if output.len() != need {
        return Err(Error::invalid(format!(
            "output has {} floats; [1, 4 + {}, {}] needs {need}",
            output.len(),
            p.num_classes,
            p.num_candidates
        )));
    }
    if p.conf_threshold.is_nan() || p.iou_threshold.is_nan() {
        return Err(Error::invalid(
            "conf_threshold and iou_threshold must not be NaN",
        ));
    }
    let ok = |s: f64| s.is_finite() && s > 0.0;
    if !ok(g.scale_x) || !ok(g.scale_y) {
        return Err(Error::invalid(format!(
            "letterbox scales {} and {} must be finite and > 0",
            g.scale_x, g.scale_y
        )));
    }
    Ok(())
}

/// Ultralytics' `xywh2xyxy` in f32: `x1 = cx - w / 2`, `y1 = cy - h / 2`,
/// `x2 = cx + w / 2`, `y2 = cy + h / 2`.
fn xyxy(output: &[f32], n: usize, j: usize) -> [f32; 4] {
    let (cx, cy) = (output[j], output[n + j]);
    let (dw, dh) = (output[2 * n + j] / 2.0, output[3 * n + j] / 2.0);
    [cx - dw, cy - dh, cx + dw, cy + dh]
}

/// Maps a letterbox box to the source frame with [`LetterboxGeometry::to_source`] in f64,
/// rounding each coordinate to f32 once.
fn to_source(g: &LetterboxGeometry, b: [f32; 4]) -> [f32; 4] {
    let (x1, y1) = g.to_source(b[0] as f64, b[1] as f64);
    let (x2, y2) = g.to_source(b[2] as f64, b[3] as f64);
    [x1 as f32, y1 as f32, x2 as f32, y2 as f32]
}

/// Decodes a YOLOv8/YOLO11 detection output `[1, 4 + C, N]` (rows `cx, cy, w, h`, then
/// `C` class scores; `N` candidates as columns) the way Ultralytics' `non_max_suppression`
/// (`multi_label=False`) followed by `scale_boxes` does:
/// 1. per candidate the best class score and class (lowest class index on ties; a NaN
///    class score drops the candidate);
/// 2. candidates with `score > conf_threshold` are kept;
/// 3. boxes become `x1, y1, x2, y2` in f32 (`cx - w / 2`, ..., in the letterbox frame);
/// 4. NMS by torchvision's rule: [`batched_nms`] per class, or [`nms_xyxy`] when
///    `agnostic`; detections by score descending (ties by lower candidate index), cut to
///    `max_det` (0: no cut);
/// 5. each corner mapped to the source frame with `geometry.to_source` in f64, then
///    rounded to f32.
///
/// Differences from Ultralytics, all in the last bits or in rare edge cases: Ultralytics
/// separates classes by adding `class * 7680` to the f32 coordinates before one `nms`,
/// which rounds the coordinates; scipix runs the NMS per class on the unshifted boxes
/// (torchvision's exact per-class rule). `scale_boxes` computes in f32 and clips to the
/// frame; scipix maps in f64 and does not clip. The `max_nms` cap (30000 candidates before
/// NMS) is not applied (YOLO outputs at common sizes have fewer candidates).
///
/// Errors: `output.len() != (4 + C) * N`, `C == 0`, NaN thresholds, non-finite or
/// non-positive letterbox scales.
pub fn yolo_decode(
    output: &[f32],
    p: &YoloParams,
    geometry: &LetterboxGeometry,
) -> Result<Vec<Detection>> {
    check_params(output, p, geometry)?;
    let n = p.num_candidates;
    let (best, class) = best_classes(output, p.num_classes, n);
    let passed: Vec<usize> = (0..n).filter(|&j| best[j] > p.conf_threshold).collect();
    let boxes: Vec<[f32; 4]> = passed.iter().map(|&j| xyxy(output, n, j)).collect();
    let scores: Vec<f32> = passed.iter().map(|&j| best[j]).collect();
    let mut keep = if p.agnostic {
        nms_xyxy(&boxes, &scores, p.iou_threshold)?
    } else {
        let classes: Vec<u32> = passed.iter().map(|&j| class[j]).collect();
        batched_nms(&boxes, &scores, &classes, p.iou_threshold)?
    };
    if p.max_det > 0 {
        keep.truncate(p.max_det);
    }
    Ok(keep
        .into_iter()
        .map(|k| Detection {
            bbox: to_source(geometry, boxes[k]),
            score: scores[k],
            class: class[passed[k]],
            candidate: passed[k],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::resize::{letterbox_geometry, LetterboxOptions};

    /// A `[1, 4 + 3, 4]` output: candidates 0 and 1 overlap (class 2), 2 is class 0 at the
    /// same place as 0, 3 is below the threshold.
    fn output() -> Vec<f32> {
        let rows: [[f32; 4]; 7] = [
            [100.0, 102.0, 100.0, 300.0], // cx
            [50.0, 50.0, 50.0, 300.0],    // cy
            [40.0, 40.0, 40.0, 10.0],     // w
            [20.0, 20.0, 20.0, 10.0],     // h
            [0.1, 0.0, 0.8, 0.1],         // class 0
            [0.2, 0.3, 0.1, 0.2],         // class 1
            [0.9, 0.7, 0.1, 0.2],         // class 2
        ];
        rows.concat()
    }

    fn identity() -> LetterboxGeometry {
        let o = LetterboxOptions {
            width: 640,
            height: 640,
            ..LetterboxOptions::default()
        };
        letterbox_geometry(640, 640, &o).unwrap()
    }

    fn params() -> YoloParams {
        YoloParams {
            num_classes: 3,
            num_candidates: 4,
            ..YoloParams::default()
        }
    }

    #[test]
    fn decodes_class_aware() {
        let d = yolo_decode(&output(), &params(), &identity()).unwrap();
        let got: Vec<(usize, u32, f32)> =
            d.iter().map(|d| (d.candidate, d.class, d.score)).collect();
        assert_eq!(got, vec![(0, 2, 0.9), (2, 0, 0.8)]);
        assert_eq!(d[0].bbox, [80.0, 40.0, 120.0, 60.0]);
    }

    #[test]
    fn agnostic_and_max_det() {
        let p = YoloParams {
            agnostic: true,
            ..params()
        };
        let d = yolo_decode(&output(), &p, &identity()).unwrap();
        assert_eq!(d.iter().map(|d| d.candidate).collect::<Vec<_>>(), vec![0]);
        let p = YoloParams {
            max_det: 1,
            iou_threshold: 1.0,
            ..params()
        };
        let d = yolo_decode(&output(), &p, &identity()).unwrap();
        assert_eq!(d.iter().map(|d| d.candidate).collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn maps_back_through_the_letterbox() {
        // 1280x640 into 640x640: scale 0.5, 160 rows of padding on top.
        let o = LetterboxOptions {
            width: 640,
            height: 640,
            ..LetterboxOptions::default()
        };
        let g = letterbox_geometry(1280, 640, &o).unwrap();
        assert_eq!((g.scale_x, g.top), (0.5, 160));
        let d = yolo_decode(&output(), &params(), &g).unwrap();
        assert_eq!(d[0].bbox, [160.0, -240.0, 240.0, -200.0]);
    }

    #[test]
    fn nan_scores_drop_the_candidate_and_bad_shapes_fail() {
        let mut out = output();
        out[4 * 4 + 1] = f32::NAN; // class 0 of candidate 1
        out[6 * 4] = f32::NAN; // class 2 of candidate 0
        let d = yolo_decode(&out, &params(), &identity()).unwrap();
        assert_eq!(d.iter().map(|d| d.candidate).collect::<Vec<_>>(), vec![2]);
        assert!(yolo_decode(&out[1..], &params(), &identity()).is_err());
        let p = YoloParams {
            num_classes: 0,
            ..params()
        };
        assert!(yolo_decode(&out, &p, &identity()).is_err());
        let p = YoloParams {
            conf_threshold: f32::NAN,
            ..params()
        };
        assert!(yolo_decode(&out, &p, &identity()).is_err());
    }
}
