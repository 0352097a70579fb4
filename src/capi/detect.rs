//! C API: detector post-processing (non-maximum suppression, YOLO decoding, top-k, softmax).
//!
//! ```
//! use scipix::capi::detect::scipix_nms_boxes;
//! use scipix::capi::ScipixStatus;
//!
//! // Two overlapping boxes (x, y, w, h) and one apart; the weaker overlapping one goes.
//! let boxes = [0.0f32, 0.0, 10.0, 10.0, 1.0, 1.0, 10.0, 10.0, 50.0, 50.0, 5.0, 5.0];
//! let scores = [0.9f32, 0.8, 0.7];
//! let (mut kept, mut count) = ([0usize; 3], 0usize);
//! let s = scipix_nms_boxes(
//!     boxes.as_ptr(), scores.as_ptr(), 3, 0.5, 0.5, 1.0, 0,
//!     kept.as_mut_ptr(), kept.len(), &mut count,
//! );
//! assert_eq!(s, ScipixStatus::SCIPIX_OK);
//! assert_eq!(&kept[..count], &[0, 2]);
//! ```

use super::guard::guard;
use super::handle::{disjoint, try_ref_from_ptr, try_slice, try_slice_mut_pair};
use super::resize::ScipixLetterboxInfo;
use super::status::ScipixStatus;
use crate::detect::{self, Detection, YoloParams};
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::image::resize::LetterboxGeometry;
use std::mem::size_of;

/// The `n` boxes of 4 floats at `boxes` and the `n` floats at `scores` (NULL allowed when
/// `n == 0`).
fn boxes_and_scores<'a>(
    boxes: *const f32,
    scores: *const f32,
    n: usize,
) -> Result<(&'a [[f32; 4]], &'a [f32])> {
    let floats = checked_product(&[n, 4], "box coordinates")?;
    let flat: &[f32] = try_slice!(boxes, floats);
    let scores: &[f32] = try_slice!(scores, n);
    Ok((flat.as_chunks::<4>().0, scores))
}

/// Fails when the output array `(out, capacity)` of `T` overlaps one of the `inputs`
/// (pointer, bytes).
fn out_disjoint<T>(out: *mut T, capacity: usize, inputs: &[(*const f32, usize)]) -> Result<()> {
    let out_bytes = capacity.saturating_mul(size_of::<T>());
    for &(p, bytes) in inputs {
        disjoint(out.cast_const().cast(), out_bytes, p.cast(), bytes)?;
    }
    Ok(())
}

/// Copies `values` to `out` (capacity `capacity`) and their count to `*out_count`, after
/// checking both and the capacity; nothing is written on failure.
fn write_out<T: Copy>(
    values: &[T],
    out: *mut T,
    capacity: usize,
    out_count: *mut usize,
) -> Result<()> {
    let (out, count) = try_slice_mut_pair!(out, capacity, out_count, 1);
    if count.is_empty() {
        return Err(super::handle::null_error("out_count"));
    }
    if values.len() > capacity {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!(
                "out_capacity is {capacity}; the result has {} entries",
                values.len()
            ),
        ));
    }
    out[..values.len()].copy_from_slice(values);
    count[0] = values.len();
    Ok(())
}

/// Non-maximum suppression with OpenCV's `cv::dnn::NMSBoxes` rule (the `Rect2d` overload,
/// which `cv2.dnn.NMSBoxes` calls), equal to it in the kept indices and their order:
/// `boxes` holds `n` boxes as `x, y, width, height` floats, `scores` `n` scores.
/// 1. candidates: indices with `score > score_threshold` (NaN scores never pass), stable
///    sorted by score descending (equal scores keep index order), cut to `top_k` if
///    `0 < top_k < count` (`top_k == 0` keeps all);
/// 2. in that order a candidate is kept when its overlap with every box kept before it is
///    `<= t`, `t` starting at `nms_threshold`; the overlap is OpenCV's
///    `1.f - (float)jaccardDistance(a, b)` in double: `Aa + Ab <= DBL_EPSILON` (two
///    empty boxes) gives 1, a box with width or height `<= 0` intersects nothing, else
///    `inter / (Aa + Ab - inter)`; a NaN overlap suppresses;
/// 3. after each kept box, if `eta < 1` and `t > 0.5`, `t *= eta`.
///
/// The kept indices (descending score) go to `out_indices` (capacity `out_capacity`
/// entries; `n`, or `top_k` when set, always suffices) and their count to `*out_count`.
/// `n == 0` gives a count of 0 (boxes and scores may then be NULL).
/// Errors: `SCIPIX_ERR_NULL_POINTER` (boxes, scores, out_indices, out_count);
/// `SCIPIX_ERR_INVALID_ARGUMENT` (score_threshold or nms_threshold negative or NaN, eta
/// `<= 0` or NaN, as OpenCV asserts; misaligned or overlapping buffers);
/// `SCIPIX_ERR_SIZE_OVERFLOW` (`4 * n` overflows); `SCIPIX_ERR_BUFFER_TOO_SMALL`.
/// Nothing is written on failure. The caller owns every buffer. Thread-safe; the output
/// buffers must not be used by another thread during the call.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn scipix_nms_boxes(
    boxes: *const f32,
    scores: *const f32,
    n: usize,
    score_threshold: f32,
    nms_threshold: f32,
    eta: f32,
    top_k: usize,
    out_indices: *mut usize,
    out_capacity: usize,
    out_count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let (b, s) = boxes_and_scores(boxes, scores, n)?;
        out_disjoint(out_indices, out_capacity, &inputs(boxes, scores, n))?;
        let keep = detect::nms_boxes(b, s, score_threshold, nms_threshold, eta, top_k)?;
        write_out(&keep, out_indices, out_capacity, out_count)
    })
}

/// The byte spans of the box and score inputs, for the overlap checks.
fn inputs(boxes: *const f32, scores: *const f32, n: usize) -> [(*const f32, usize); 2] {
    [(boxes, n.saturating_mul(16)), (scores, n.saturating_mul(4))]
}

/// Non-maximum suppression with torchvision's `ops.nms` rule (its CPU kernel,
/// `torchvision/csrc/ops/cpu/nms_kernel.cpp`): `boxes` holds `n` boxes as
/// `x1, y1, x2, y2` floats. Boxes are visited by score descending (NaN scores first, as
/// torch's descending sort puts them; equal scores by lower index, where torch's unstable
/// CPU sort leaves them in an unspecified order beyond 16 boxes); each box not yet
/// suppressed is kept and suppresses every later box whose IoU, computed in float as
/// torchvision does (`area = (x2 - x1) * (y2 - y1)`, `w = max(0, min(x2) - max(x1))`, ...,
/// `iou = inter / (area_a + area_b - inter)`), satisfies `(double)iou > iou_threshold`.
/// Zero-area pairs give a NaN IoU, which suppresses nothing. Output as
/// `scipix_nms_boxes` (`n` entries always suffice).
/// Errors: `SCIPIX_ERR_NULL_POINTER`; `SCIPIX_ERR_INVALID_ARGUMENT` (NaN iou_threshold,
/// misaligned or overlapping buffers); `SCIPIX_ERR_SIZE_OVERFLOW`;
/// `SCIPIX_ERR_BUFFER_TOO_SMALL`. Nothing is written on failure. The caller owns every
/// buffer. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_nms_xyxy(
    boxes: *const f32,
    scores: *const f32,
    n: usize,
    iou_threshold: f64,
    out_indices: *mut usize,
    out_capacity: usize,
    out_count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let (b, s) = boxes_and_scores(boxes, scores, n)?;
        out_disjoint(out_indices, out_capacity, &inputs(boxes, scores, n))?;
        let keep = detect::nms_xyxy(b, s, iou_threshold)?;
        write_out(&keep, out_indices, out_capacity, out_count)
    })
}

/// Class-aware non-maximum suppression with torchvision's `ops.batched_nms` rule:
/// `scipix_nms_xyxy` run separately per class id (`classes[i]` for box `i`; boxes of
/// different classes never suppress each other), the kept indices of all classes merged by
/// score descending (ties by lower index, NaN first). This is torchvision's per-class
/// path exactly; its coordinate-offset path (small inputs) rounds shifted coordinates and
/// can differ in the last bits of an IoU. Output as `scipix_nms_boxes`.
/// Errors: those of `scipix_nms_xyxy`, plus `SCIPIX_ERR_NULL_POINTER` for classes.
/// Nothing is written on failure. The caller owns every buffer. Thread-safe.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn scipix_batched_nms(
    boxes: *const f32,
    scores: *const f32,
    classes: *const u32,
    n: usize,
    iou_threshold: f64,
    out_indices: *mut usize,
    out_capacity: usize,
    out_count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let (b, s) = boxes_and_scores(boxes, scores, n)?;
        let c: &[u32] = try_slice!(classes, n);
        let mut spans = inputs(boxes, scores, n).to_vec();
        spans.push((classes.cast(), n.saturating_mul(4)));
        out_disjoint(out_indices, out_capacity, &spans)?;
        let keep = detect::batched_nms(b, s, c, iou_threshold)?;
        write_out(&keep, out_indices, out_capacity, out_count)
    })
}

/// Parameters of `scipix_yolo_decode`; fill with `scipix_yolo_params_default` first, then
/// set fields by name.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixYoloParams {
    /// Number of classes C (rows 4..4+C of the output); at least 1.
    pub num_classes: usize,
    /// Number of candidates N (columns; 8400 for a 640x640 input).
    pub num_candidates: usize,
    /// A candidate is kept when its best class score is `> conf_threshold`; not NaN.
    pub conf_threshold: f32,
    /// NMS IoU threshold (`iou > iou_threshold` suppresses); not NaN.
    pub iou_threshold: f64,
    /// At most this many detections (the best ones); 0 for no limit.
    pub max_det: usize,
    /// Class-agnostic NMS (boxes of different classes suppress each other).
    pub agnostic: bool,
}

impl From<YoloParams> for ScipixYoloParams {
    fn from(p: YoloParams) -> Self {
        ScipixYoloParams {
            num_classes: p.num_classes,
            num_candidates: p.num_candidates,
            conf_threshold: p.conf_threshold,
            iou_threshold: p.iou_threshold,
            max_det: p.max_det,
            agnostic: p.agnostic,
        }
    }
}

impl From<ScipixYoloParams> for YoloParams {
    fn from(p: ScipixYoloParams) -> Self {
        YoloParams {
            num_classes: p.num_classes,
            num_candidates: p.num_candidates,
            conf_threshold: p.conf_threshold,
            iou_threshold: p.iou_threshold,
            max_det: p.max_det,
            agnostic: p.agnostic,
        }
    }
}

/// One detection of `scipix_yolo_decode`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScipixDetection {
    /// Left edge in the source frame.
    pub x1: f32,
    /// Top edge in the source frame.
    pub y1: f32,
    /// Right edge in the source frame.
    pub x2: f32,
    /// Bottom edge in the source frame.
    pub y2: f32,
    /// Best class score.
    pub score: f32,
    /// Best class (the lowest index among equal scores).
    pub class_id: u32,
    /// Column of the output the detection came from.
    pub candidate: usize,
}

impl From<Detection> for ScipixDetection {
    fn from(d: Detection) -> Self {
        let [x1, y1, x2, y2] = d.bbox;
        ScipixDetection {
            x1,
            y1,
            x2,
            y2,
            score: d.score,
            class_id: d.class,
            candidate: d.candidate,
        }
    }
}

/// Fills `*params` with Ultralytics' defaults: 80 classes, 8400 candidates, conf 0.25,
/// IoU 0.45, 300 detections, class-aware. Thread-safe.
/// Errors: `SCIPIX_ERR_NULL_POINTER` when `params` is NULL.
#[no_mangle]
pub extern "C" fn scipix_yolo_params_default(params: *mut ScipixYoloParams) -> ScipixStatus {
    guard(|| {
        let p = super::handle::try_out!(params);
        *p = YoloParams::default().into();
        Ok(())
    })
}

/// The Rust geometry of a C letterbox description (only the scales and pads are used).
fn geometry(g: &ScipixLetterboxInfo) -> LetterboxGeometry {
    LetterboxGeometry {
        scale_x: g.scale_x,
        scale_y: g.scale_y,
        resized_w: g.resized_width,
        resized_h: g.resized_height,
        left: g.left,
        top: g.top,
        right: g.right,
        bottom: g.bottom,
        out_w: g.out_width,
        out_h: g.out_height,
    }
}

/// Decodes a YOLOv8/YOLO11 detection output of shape `[1, 4 + C, N]` (`output_len` floats,
/// row-major: rows cx, cy, w, h, then C class-score rows; N candidates as columns) like
/// Ultralytics' `non_max_suppression` (`multi_label=False`) followed by `scale_boxes`:
/// 1. per candidate the best class score and class (lowest class index on ties; a NaN
///    class score drops the candidate);
/// 2. candidates with `score > conf_threshold` are kept;
/// 3. boxes become `x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2`
///    in float;
/// 4. NMS with `scipix_batched_nms`'s rule (per class), or `scipix_nms_xyxy`'s when
///    `agnostic`; detections by score descending, at most `max_det`;
/// 5. corners mapped to the source frame with `letterbox` (as returned by the letterbox
///    calls): `((x - left) / scale_x, (y - top) / scale_y)` in double, rounded to float.
///
/// Differences from Ultralytics (last bits, rare threshold cases): Ultralytics separates
/// classes by adding `class * 7680` to the float coordinates before one NMS (scipix runs
/// the NMS per class on unshifted boxes); `scale_boxes` computes in float and clips to the
/// frame (scipix maps in double and does not clip); the 30000-candidate `max_nms` cap is
/// not applied.
/// Writes the detections to `out` (capacity `out_capacity`; `max_det`, or N when
/// `max_det` is 0, always suffices) and their count to `*out_count`.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (output, params, letterbox, out, out_count);
/// `SCIPIX_ERR_INVALID_ARGUMENT` (`output_len != (4 + C) * N`, C == 0, NaN thresholds,
/// letterbox scales not finite and > 0, misaligned or overlapping buffers);
/// `SCIPIX_ERR_SIZE_OVERFLOW`; `SCIPIX_ERR_BUFFER_TOO_SMALL`. Nothing is written on
/// failure. The caller owns every buffer. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_yolo_decode(
    output: *const f32,
    output_len: usize,
    params: *const ScipixYoloParams,
    letterbox: *const ScipixLetterboxInfo,
    out: *mut ScipixDetection,
    out_capacity: usize,
    out_count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        if output_len == 0 {
            return Err(Error::invalid("output_len is 0: the output is empty"));
        }
        let x: &[f32] = try_slice!(output, output_len);
        let p: YoloParams = (*try_ref_from_ptr!(params)).into();
        let g = geometry(try_ref_from_ptr!(letterbox));
        let in_bytes = output_len.saturating_mul(4);
        out_disjoint(out, out_capacity, &[(output, in_bytes)])?;
        let dets: Vec<ScipixDetection> = detect::yolo_decode(x, &p, &g)?
            .into_iter()
            .map(Into::into)
            .collect();
        write_out(&dets, out, out_capacity, out_count)
    })
}

/// Writes the indices of the `min(k, n)` largest of `n` scores, largest first, to
/// `out_indices` (capacity `out_capacity`, at least `min(k, n)`) and their count to
/// `*out_count`. Equal scores go by lower index (numpy's `argsort(-x, kind="stable")[:k]`);
/// NaN ranks above every number (torch's descending order); `0.0` equals `-0.0`.
/// `k == 0` or `n == 0` gives a count of 0.
/// Errors: `SCIPIX_ERR_NULL_POINTER`; `SCIPIX_ERR_INVALID_ARGUMENT` (misaligned or
/// overlapping buffers); `SCIPIX_ERR_SIZE_OVERFLOW`; `SCIPIX_ERR_BUFFER_TOO_SMALL`.
/// Nothing is written on failure. The caller owns every buffer. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_top_k(
    scores: *const f32,
    n: usize,
    k: usize,
    out_indices: *mut usize,
    out_capacity: usize,
    out_count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let s: &[f32] = try_slice!(scores, n);
        out_disjoint(out_indices, out_capacity, &[(scores, n.saturating_mul(4))])?;
        if k.min(n) > out_capacity {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!(
                    "out_capacity is {out_capacity}; top {} needs that many",
                    k.min(n)
                ),
            ));
        }
        write_out(&detect::top_k(s, k), out_indices, out_capacity, out_count)
    })
}

/// Softmax of `n` floats: `m = max(src)` (any NaN makes every output NaN),
/// `e[i] = expf(src[i] - m)`, `s = sum of e[i]` in double in index order,
/// `dst[i] = (float)((double)e[i] / s)`; the float differences `src[i] - m` round as numpy's
/// do, and the result is within 4 ulp of numpy's float32 `exp(x - max) / sum` in the tests.
/// `src` and `dst` must not overlap unless equal (`dst == src` works in place).
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, dst); `SCIPIX_ERR_INVALID_ARGUMENT` (n == 0,
/// misaligned or partially overlapping buffers); `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is
/// written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_softmax_f32(src: *const f32, dst: *mut f32, n: usize) -> ScipixStatus {
    guard(|| match super::tensor::float_io(src, dst, n)? {
        super::tensor::Io::Copy(s, d) => detect::softmax(s, d),
        super::tensor::Io::InPlace(b) => {
            let copy = b.to_vec();
            detect::softmax(&copy, b)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn nms(boxes: &[f32], scores: &[f32], cap: usize) -> (ScipixStatus, Vec<usize>) {
        let mut out = vec![usize::MAX; cap];
        let mut count = usize::MAX;
        let s = scipix_nms_boxes(
            boxes.as_ptr(),
            scores.as_ptr(),
            scores.len(),
            0.1,
            0.5,
            1.0,
            0,
            out.as_mut_ptr(),
            cap,
            &mut count,
        );
        if s == ScipixStatus::SCIPIX_OK {
            out.truncate(count);
        }
        (s, out)
    }

    const BOXES: [f32; 12] = [
        0.0, 0.0, 10.0, 10.0, 1.0, 1.0, 10.0, 10.0, 50.0, 50.0, 5.0, 5.0,
    ];

    #[test]
    fn nms_writes_indices_and_count() {
        assert_eq!(
            nms(&BOXES, &[0.8, 0.9, 0.7], 3),
            (ScipixStatus::SCIPIX_OK, vec![1, 2])
        );
    }

    #[test]
    fn nms_short_capacity_writes_nothing() {
        let (s, out) = nms(&BOXES, &[0.8, 0.9, 0.7], 1);
        assert_eq!(s, ScipixStatus::SCIPIX_ERR_BUFFER_TOO_SMALL);
        assert_eq!(out, vec![usize::MAX]);
    }

    #[test]
    fn nms_rejects_null_nan_and_overflow() {
        let mut count = 7usize;
        let mut out = [0usize; 4];
        let call =
            |b: *const f32, s: *const f32, n: usize, st: f32, o: *mut usize, c: *mut usize| {
                scipix_nms_boxes(b, s, n, st, 0.5, 1.0, 0, o, 4, c)
            };
        let sc = [0.5f32; 3];
        assert_eq!(
            call(null(), sc.as_ptr(), 3, 0.1, out.as_mut_ptr(), &mut count),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        assert_eq!(
            call(
                BOXES.as_ptr(),
                sc.as_ptr(),
                3,
                0.1,
                out.as_mut_ptr(),
                null_mut()
            ),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        assert_eq!(
            call(
                BOXES.as_ptr(),
                sc.as_ptr(),
                3,
                f32::NAN,
                out.as_mut_ptr(),
                &mut count
            ),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            call(
                BOXES.as_ptr(),
                sc.as_ptr(),
                usize::MAX / 2,
                0.1,
                out.as_mut_ptr(),
                &mut count
            ),
            ScipixStatus::SCIPIX_ERR_SIZE_OVERFLOW
        );
        assert_eq!(count, 7, "nothing written on failure");
        assert_eq!(
            call(null(), null(), 0, 0.1, out.as_mut_ptr(), &mut count),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(count, 0);
    }

    #[test]
    fn xyxy_batched_and_overlap() {
        let b = [0.0f32, 0.0, 10.0, 10.0, 1.0, 1.0, 11.0, 11.0];
        let s = [0.9f32, 0.8];
        let mut out = [0usize; 2];
        let mut count = 0usize;
        let st = scipix_nms_xyxy(
            b.as_ptr(),
            s.as_ptr(),
            2,
            0.5,
            out.as_mut_ptr(),
            2,
            &mut count,
        );
        assert_eq!((st, count, out[0]), (ScipixStatus::SCIPIX_OK, 1, 0));
        let c = [0u32, 1];
        let st = scipix_batched_nms(
            b.as_ptr(),
            s.as_ptr(),
            c.as_ptr(),
            2,
            0.5,
            out.as_mut_ptr(),
            2,
            &mut count,
        );
        assert_eq!((st, count, out), (ScipixStatus::SCIPIX_OK, 2, [0, 1]));
        // The output may not alias the inputs.
        let mut buf = [0.0f32, 0.0, 10.0, 10.0, 0.9, 0.0];
        let p = buf.as_mut_ptr();
        // SAFETY: in bounds of `buf`.
        let st = scipix_nms_xyxy(p, unsafe { p.add(4) }, 1, 0.5, p.cast(), 1, &mut count);
        assert_eq!(st, ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT);
    }

    #[test]
    fn yolo_decode_through_c() {
        let mut p = std::mem::MaybeUninit::<ScipixYoloParams>::uninit();
        assert_eq!(
            scipix_yolo_params_default(p.as_mut_ptr()),
            ScipixStatus::SCIPIX_OK
        );
        // SAFETY: filled by the call.
        let mut p = unsafe { p.assume_init() };
        (p.num_classes, p.num_candidates) = (2, 2);
        let x = [
            10.0f32, 30.0, 10.0, 10.0, 4.0, 4.0, 2.0, 2.0, 0.1, 0.9, 0.3, 0.2,
        ];
        let g = ScipixLetterboxInfo {
            scale_x: 0.5,
            scale_y: 0.5,
            left: 2,
            top: 4,
            ..Default::default()
        };
        let mut out = [ScipixDetection::default(); 2];
        let mut count = 0usize;
        let st = scipix_yolo_decode(x.as_ptr(), x.len(), &p, &g, out.as_mut_ptr(), 2, &mut count);
        assert_eq!((st, count), (ScipixStatus::SCIPIX_OK, 2));
        let want = ScipixDetection {
            x1: 52.0,
            y1: 10.0,
            x2: 60.0,
            y2: 14.0,
            score: 0.9,
            class_id: 0,
            candidate: 1,
        };
        assert_eq!(out[0], want);
        let st = scipix_yolo_decode(x.as_ptr(), 11, &p, &g, out.as_mut_ptr(), 2, &mut count);
        assert_eq!(st, ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT);
    }

    #[test]
    fn top_k_and_softmax() {
        let s = [0.1f32, 0.5, 0.5, 0.2];
        let mut out = [9usize; 3];
        let mut count = 0usize;
        let st = scipix_top_k(s.as_ptr(), 4, 3, out.as_mut_ptr(), 3, &mut count);
        assert_eq!((st, count, out), (ScipixStatus::SCIPIX_OK, 3, [1, 2, 3]));
        let st = scipix_top_k(s.as_ptr(), 4, 4, out.as_mut_ptr(), 3, &mut count);
        assert_eq!(st, ScipixStatus::SCIPIX_ERR_BUFFER_TOO_SMALL);
        let mut y = [0.5f32, 0.5];
        assert_eq!(
            scipix_softmax_f32(y.as_ptr(), y.as_mut_ptr(), 2),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(y, [0.5, 0.5]);
        assert_eq!(
            scipix_softmax_f32(y.as_ptr(), y.as_mut_ptr(), 0),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
    }
}
