//! Detector post-processing: non-maximum suppression, YOLO output decoding, top-k and
//! softmax.
//!
//! ```
//! use scipix::detect::{nms_boxes, nms_xyxy};
//!
//! // Two overlapping boxes and one apart (x, y, w, h); the weaker overlapping one goes.
//! let boxes = [[0.0f32, 0.0, 10.0, 10.0], [1.0, 1.0, 10.0, 10.0], [50.0, 50.0, 5.0, 5.0]];
//! let scores = [0.9f32, 0.8, 0.7];
//! assert_eq!(nms_boxes(&boxes, &scores, 0.5, 0.5, 1.0, 0)?, vec![0, 2]);
//! // The same boxes as x1, y1, x2, y2 under torchvision's rule.
//! let xyxy = [[0.0f32, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [50.0, 50.0, 55.0, 55.0]];
//! assert_eq!(nms_xyxy(&xyxy, &scores, 0.5)?, vec![0, 2]);
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! Two NMS rules live here, one per peer, each reproduced bit for bit:
//! - [`nms_boxes`]: OpenCV's `cv::dnn::NMSBoxes` for `Rect2d` boxes (x, y, w, h), IoU in
//!   double, threshold filter, stable sort, `top_k`, adaptive `eta`.
//! - [`nms_xyxy`] and [`batched_nms`]: torchvision's `nms` CPU kernel for (x1, y1, x2, y2)
//!   boxes, IoU in f32 compared with a double threshold.

mod best_class;
mod iou;
mod nms;
mod topk;
mod yolo;

pub use iou::{cv_overlap, tv_iou};
pub use nms::{batched_nms, nms_boxes, nms_xyxy};
pub use topk::{softmax, top_k};
pub use yolo::{yolo_decode, Detection, YoloParams};
