"""Detector post-processing: non-maximum suppression, YOLO output decoding, top-k, softmax.

Each function reproduces one peer's rule exactly (see ``docs/guide.md``, "Detector
post-processing"):

- ``nms_boxes``: ``cv2.dnn.NMSBoxes`` (boxes as x, y, w, h), same kept indices in the same
  order;
- ``nms_xyxy`` / ``batched_nms``: torchvision's ``ops.nms`` / ``ops.batched_nms`` rule
  (boxes as x1, y1, x2, y2; per-class path for ``batched_nms``);
- ``yolo_decode``: YOLOv8/YOLO11 ``[1, 4 + C, N]`` outputs to boxes in the source frame,
  Ultralytics' ``non_max_suppression`` semantics with class-aware torchvision NMS;
- ``top_k``: ``np.argsort(-x, kind="stable")[:k]``; ``softmax``: max-subtracted, within 4 ulp
  of numpy's float32 formula.

    >>> import numpy as np, scipix
    >>> boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 5, 5]], np.float32)
    >>> scipix.detect.nms_boxes(boxes, [0.9, 0.8, 0.7], 0.5, 0.5).tolist()
    [0, 2]
"""
from __future__ import annotations

import ctypes
from typing import NamedTuple, Optional, Tuple

import numpy as np
import numpy.typing as npt

from ._arrays import contiguous_in, ptr
from ._ffi import _ffi
from .errors import InvalidArgument
from .resize import LetterboxInfo

__all__ = ["Detections", "batched_nms", "nms_boxes", "nms_xyxy", "softmax", "top_k",
           "yolo_decode"]

Indices = npt.NDArray[np.intp]


def _boxes_scores(boxes: npt.ArrayLike, scores: npt.ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
    b = contiguous_in(boxes, np.float32, "boxes")
    s = contiguous_in(scores, np.float32, "scores")
    if b.size == 0:
        b = b.reshape(0, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise InvalidArgument(f"boxes must have shape (N, 4), got {b.shape}")
    if s.ndim != 1 or s.shape[0] != b.shape[0]:
        raise InvalidArgument(f"scores must have shape ({b.shape[0]},), got {s.shape}")
    return b, s


def _indices(n: int) -> Tuple[np.ndarray, ctypes.c_size_t]:
    return np.empty(max(n, 1), dtype=np.uintp), ctypes.c_size_t(0)


def _result(out: np.ndarray, count: ctypes.c_size_t) -> Indices:
    return out[:count.value].astype(np.intp)


def nms_boxes(boxes: npt.ArrayLike, scores: npt.ArrayLike, score_threshold: float,
              nms_threshold: float, eta: float = 1.0, top_k: int = 0) -> Indices:
    """Indices kept by ``cv2.dnn.NMSBoxes(boxes, scores, score_threshold, nms_threshold,
    eta, top_k)`` (``scipix_nms_boxes``), in the same order. ``boxes``: (N, 4) as x, y, w, h,
    taken as float32 and widened to double as OpenCV's ``Rect2d``; ``top_k <= 0`` keeps
    all."""
    b, s = _boxes_scores(boxes, scores)
    n = s.shape[0]
    out, count = _indices(n)
    _ffi.scipix_nms_boxes(ptr(b, ctypes.c_float), ptr(s, ctypes.c_float), n,
                          float(score_threshold), float(nms_threshold), float(eta),
                          max(int(top_k), 0), ptr(out, ctypes.c_size_t), out.shape[0],
                          ctypes.byref(count))
    return _result(out, count)


def nms_xyxy(boxes: npt.ArrayLike, scores: npt.ArrayLike, iou_threshold: float) -> Indices:
    """Indices kept by torchvision's ``ops.nms(boxes, scores, iou_threshold)`` rule on
    float32 boxes (N, 4) as x1, y1, x2, y2 (``scipix_nms_xyxy``), by score descending,
    equal scores by lower index."""
    b, s = _boxes_scores(boxes, scores)
    n = s.shape[0]
    out, count = _indices(n)
    _ffi.scipix_nms_xyxy(ptr(b, ctypes.c_float), ptr(s, ctypes.c_float), n,
                         float(iou_threshold), ptr(out, ctypes.c_size_t), out.shape[0],
                         ctypes.byref(count))
    return _result(out, count)


def batched_nms(boxes: npt.ArrayLike, scores: npt.ArrayLike, classes: npt.ArrayLike,
                iou_threshold: float) -> Indices:
    """Indices kept by torchvision's ``ops.batched_nms`` rule (per class, merged by score
    descending; ``scipix_batched_nms``). ``classes``: (N,) non-negative integer class ids."""
    b, s = _boxes_scores(boxes, scores)
    c_in = np.asarray(classes)
    if c_in.shape != s.shape:
        raise InvalidArgument(f"classes must have shape {s.shape}, got {c_in.shape}")
    if c_in.size and (c_in.min() < 0 or c_in.max() > 0xFFFFFFFF):
        raise InvalidArgument("class ids must be in 0..2**32-1")
    c = contiguous_in(c_in, np.uint32, "classes")
    n = s.shape[0]
    out, count = _indices(n)
    _ffi.scipix_batched_nms(ptr(b, ctypes.c_float), ptr(s, ctypes.c_float),
                            ptr(c, ctypes.c_uint32), n, float(iou_threshold),
                            ptr(out, ctypes.c_size_t), out.shape[0], ctypes.byref(count))
    return _result(out, count)


class Detections(NamedTuple):
    """Detections of ``yolo_decode``, best first."""
    boxes: npt.NDArray[np.float32]
    """(K, 4) x1, y1, x2, y2 in the source frame."""
    scores: npt.NDArray[np.float32]
    """(K,) best class score."""
    class_ids: Indices
    """(K,) best class (lowest index among equal scores)."""
    candidates: Indices
    """(K,) column of the output each detection came from."""


def yolo_decode(output: npt.ArrayLike, letterbox: Optional[LetterboxInfo] = None, *,
                conf_threshold: float = 0.25, iou_threshold: float = 0.45, max_det: int = 300,
                agnostic: bool = False) -> Detections:
    """Decodes a YOLOv8/YOLO11 output of shape (1, 4 + C, N) or (4 + C, N) into detections
    in the source frame (``scipix_yolo_decode``): best class per candidate, ``score >
    conf_threshold``, boxes to x1, y1, x2, y2, class-aware NMS (torchvision's rule; all
    classes together when ``agnostic``), at most ``max_det`` (0: no limit), corners mapped
    back through ``letterbox`` (as returned by ``scipix.letterbox``; None: no mapping)."""
    x = contiguous_in(output, np.float32, "output")
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2 or x.shape[0] < 5:
        raise InvalidArgument(f"output must have shape (1, 4 + C, N) with C >= 1, got {x.shape}")
    rows, n = x.shape
    p = _ffi.type("ScipixYoloParams")()
    _ffi.scipix_yolo_params_default(ctypes.byref(p))
    p.num_classes, p.num_candidates = rows - 4, n
    p.conf_threshold, p.iou_threshold = float(conf_threshold), float(iou_threshold)
    if max_det < 0:
        raise InvalidArgument(f"max_det must be >= 0, got {max_det}")
    p.max_det, p.agnostic = int(max_det), bool(agnostic)
    g = _ffi.type("ScipixLetterboxInfo")()
    lb = letterbox if letterbox is not None else LetterboxInfo(1.0, 1.0, 0, 0, 0, 0, 0, 0, 0, 0)
    (g.scale_x, g.scale_y, g.resized_width, g.resized_height, g.left, g.top, g.right, g.bottom,
     g.out_width, g.out_height) = lb
    cap = max(min(n, max_det) if max_det else n, 1)
    det_t = _ffi.type("ScipixDetection")
    out = (det_t * cap)()
    count = ctypes.c_size_t(0)
    _ffi.scipix_yolo_decode(ptr(x, ctypes.c_float), x.size, ctypes.byref(p), ctypes.byref(g),
                            out, cap, ctypes.byref(count))
    k = count.value
    rec = np.ctypeslib.as_array(out)[:k] if k else None
    if rec is None:
        return Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                          np.zeros(0, np.intp), np.zeros(0, np.intp))
    boxes = np.stack([rec["x1"], rec["y1"], rec["x2"], rec["y2"]], axis=1).astype(np.float32)
    return Detections(boxes, rec["score"].astype(np.float32), rec["class_id"].astype(np.intp),
                      rec["candidate"].astype(np.intp))


def top_k(scores: npt.ArrayLike, k: int) -> Indices:
    """Indices of the ``min(k, N)`` largest scores, largest first; equal scores by lower
    index (``np.argsort(-x, kind="stable")[:k]``), NaN first (``scipix_top_k``)."""
    s = contiguous_in(scores, np.float32, "scores").reshape(-1)
    if k < 0:
        raise InvalidArgument(f"k must be >= 0, got {k}")
    n = s.shape[0]
    out, count = _indices(min(k, n))
    _ffi.scipix_top_k(ptr(s, ctypes.c_float), n, int(k), ptr(out, ctypes.c_size_t),
                      out.shape[0], ctypes.byref(count))
    return _result(out, count)


def softmax(x: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Softmax of a float32 vector (``scipix_softmax_f32``): ``e = expf(x - max(x))``, summed
    in double, ``e / sum`` rounded to float; within 4 ulp of numpy's float32
    ``np.exp(x - x.max()) / sum``."""
    src = contiguous_in(x, np.float32, "x").reshape(-1)
    dst = np.empty_like(src)
    _ffi.scipix_softmax_f32(ptr(src, ctypes.c_float), ptr(dst, ctypes.c_float), src.shape[0])
    return dst
