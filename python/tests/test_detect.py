"""Detector post-processing against its peers: ``cv2.dnn.NMSBoxes`` (indices and order,
1000 random trials plus adversarial cases), a numpy transcription of torchvision's CPU NMS
kernel, Ultralytics-style YOLO decoding built from numpy and that reference, numpy's stable
argsort for top-k and numpy's float32 softmax formula."""
from typing import Any, List, Tuple

import cv2
import numpy as np
import pytest
from numpy.random import Generator

import scipix
from scipix import detect
from conftest import requires

pytestmark = requires("scipix_nms_boxes", "scipix_nms_xyxy", "scipix_batched_nms",
                      "scipix_yolo_decode", "scipix_top_k", "scipix_softmax_f32")


# -- OpenCV ------------------------------------------------------------------------------------

def cv_nms(boxes: np.ndarray, scores: np.ndarray, st: float, nt: float, eta: float = 1.0,
           top_k: int = 0) -> List[int]:
    """cv2.dnn.NMSBoxes on the same float32 values (widened to Rect2d by the binding)."""
    rects = [tuple(float(v) for v in b) for b in boxes]
    r = cv2.dnn.NMSBoxes(rects, [float(s) for s in scores], st, nt, eta=eta, top_k=top_k)
    return [int(i) for i in np.asarray(r).reshape(-1)]


def random_case(rng: Generator, n: int) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes on an integer or fractional grid, clustered so that NMS has work, with a few
    zero or negative sizes; scores with many exact ties."""
    centers = rng.uniform(0, 200, size=(max(n // 8, 1), 2))
    c = centers[rng.integers(0, len(centers), n)] + rng.normal(0, 6, (n, 2))
    wh = rng.uniform(1, 60, (n, 2))
    boxes = np.concatenate([c - wh / 2, wh], axis=1)
    if rng.random() < 0.5:
        boxes = np.round(boxes)
    odd = rng.random(n) < 0.03
    boxes[odd, 2 + rng.integers(0, 2)] *= rng.choice([0.0, -1.0])
    levels = rng.integers(2, 50)
    scores = np.round(rng.random(n) * levels) / levels
    return boxes.astype(np.float32), scores.astype(np.float32)


def test_nms_boxes_equals_cv2_on_1000_random_trials(rng: Generator) -> None:
    total_kept = 0
    for trial in range(1000):
        n = int(rng.choice([1, 2, 5, 17, 64, 200, 500]))
        boxes, scores = random_case(rng, n)
        st = float(rng.choice([0.0, 0.1, 0.25, 0.5]))
        nt = float(rng.choice([0.0, 0.3, 0.45, 0.5, 0.7, 1.0]))
        eta = float(rng.choice([1.0, 1.0, 0.9, 0.5]))
        top_k = int(rng.choice([0, 0, 1, 10, 100]))
        want = cv_nms(boxes, scores, st, nt, eta, top_k)
        got = detect.nms_boxes(boxes, scores, st, nt, eta, top_k).tolist()
        assert got == want, (trial, n, st, nt, eta, top_k)
        total_kept += len(want)
    assert total_kept > 5000  # the trials kept boxes and suppressed others


ADVERSARIAL = {
    "equal_scores": (np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [2, 2, 3, 3],
                               [40, 40, 5, 5]], np.float32), np.full(5, 0.5, np.float32)),
    "zero_area": (np.array([[3, 3, 0, 0], [50, 9, 0, 4], [3, 3, 5, 5], [3, 3, 0, 5],
                            [4, 4, 5, 0]], np.float32), np.array([0.9, 0.8, 0.7, 0.6, 0.5], np.float32)),
    "negative_sizes": (np.array([[0, 0, -10, 10], [0, 0, 10, 10], [-5, -5, 10, -3],
                                 [-20, -20, 30, 30], [5, 5, -1, -1]], np.float32),
                       np.array([0.9, 0.8, 0.7, 0.6, 0.5], np.float32)),
    "nan_scores": (np.array([[0, 0, 10, 10], [1, 1, 10, 10], [40, 40, 5, 5], [41, 41, 5, 5]],
                            np.float32), np.array([np.nan, 0.8, np.nan, 0.6], np.float32)),
    "negative_coordinates": (np.array([[-10, -10, 8, 8], [-12, -9, 8, 8], [-30, -30, 5, 5],
                                       [-26, -29, 5, 5]], np.float32),
                             np.array([0.9, 0.8, 0.7, 0.6], np.float32)),
    "nan_box": (np.array([[np.nan, 0, 10, 10], [0, 0, 10, 10], [1, 1, 10, 10]], np.float32),
                np.array([0.9, 0.8, 0.7], np.float32)),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("top_k", [0, 2])
@pytest.mark.parametrize("eta", [1.0, 0.6])
def test_nms_boxes_equals_cv2_on_adversarial_inputs(name: str, top_k: int, eta: float) -> None:
    boxes, scores = ADVERSARIAL[name]
    for st, nt in [(0.0, 0.5), (0.5, 0.0), (0.1, 1.0), (0.6, 0.3)]:
        want = cv_nms(boxes, scores, st, nt, eta, top_k)
        assert detect.nms_boxes(boxes, scores, st, nt, eta, top_k).tolist() == want


def test_adversarial_rules_hold_as_documented() -> None:
    boxes, scores = ADVERSARIAL["nan_scores"]
    assert detect.nms_boxes(boxes, scores, 0.0, 0.5).tolist() == [1, 3]  # NaN never passes
    boxes, scores = ADVERSARIAL["equal_scores"]
    assert detect.nms_boxes(boxes, scores, 0.0, 1.0).tolist() == [0, 1, 2, 3, 4]
    boxes, scores = ADVERSARIAL["zero_area"]
    assert detect.nms_boxes(boxes, scores, 0.0, 0.5).tolist() == [0, 2]


def test_nms_boxes_empty_input_and_errors() -> None:
    empty = np.zeros((0, 4), np.float32)
    assert detect.nms_boxes(empty, np.zeros(0, np.float32), 0.1, 0.5).tolist() == []
    assert cv_nms(empty, np.zeros(0, np.float32), 0.1, 0.5) == []
    boxes, scores = ADVERSARIAL["equal_scores"]
    for st, nt, eta in [(float("nan"), 0.5, 1.0), (-0.1, 0.5, 1.0), (0.1, float("nan"), 1.0),
                        (0.1, 0.5, 0.0)]:
        with pytest.raises(scipix.InvalidArgument):
            detect.nms_boxes(boxes, scores, st, nt, eta)
        with pytest.raises(cv2.error):
            cv_nms(boxes, scores, st, nt, eta)
    with pytest.raises(scipix.InvalidArgument):
        detect.nms_boxes(boxes, scores[:3], 0.1, 0.5)


# -- torchvision -------------------------------------------------------------------------------

def tv_order(scores: np.ndarray) -> np.ndarray:
    """torch's descending sort order (KeyValueCompDesc: NaN first, then scores descending),
    with equal scores by index: torch's CPU sort is std::sort, whose order among equal
    scores is unspecified beyond 16 elements; scipix documents the index order."""
    idx = np.arange(len(scores))
    nan = np.isnan(scores)
    rest = idx[~nan][np.argsort(-scores[~nan], kind="stable")]
    return np.concatenate([idx[nan], rest]).astype(np.intp)


def tv_nms_reference(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> List[int]:
    """torchvision/csrc/ops/cpu/nms_kernel.cpp (nms_kernel_impl) transcribed to numpy
    float32: areas (x2 - x1) * (y2 - y1); for each box in score order not yet suppressed,
    keep it and suppress the later ones with (double)(inter / (iarea + areas[j] - inter)) >
    iou_threshold, w = max(0, min(x2) - max(x1)) with std::max/std::min's argument order."""
    b = boxes.astype(np.float32)
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    order = tv_order(scores)
    suppressed = np.zeros(len(b), bool)
    keep: List[int] = []
    zero = np.float32(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for pos, i in enumerate(order):
            if suppressed[i]:
                continue
            keep.append(int(i))
            j = order[pos + 1:]
            xx1 = np.where(x1[i] < x1[j], x1[j], x1[i])  # std::max(ix1, x1[j])
            yy1 = np.where(y1[i] < y1[j], y1[j], y1[i])
            xx2 = np.where(x2[j] < x2[i], x2[j], x2[i])  # std::min(ix2, x2[j])
            yy2 = np.where(y2[j] < y2[i], y2[j], y2[i])
            dx, dy = xx2 - xx1, yy2 - yy1
            w = np.where(zero < dx, dx, zero)  # std::max(0, dx)
            h = np.where(zero < dy, dy, zero)
            inter = w * h
            ovr = inter / ((areas[i] + areas[j]) - inter)
            suppressed[j[ovr.astype(np.float64) > iou_threshold]] = True
    return keep


def tv_batched_reference(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray,
                         iou_threshold: float) -> List[int]:
    """torchvision.ops.boxes._batched_nms_vanilla: nms per class, the kept indices merged
    and ordered by score descending (ties by index, NaN first)."""
    kept: List[int] = []
    for c in np.unique(classes):
        members = np.flatnonzero(classes == c)
        kept += [int(members[k]) for k in tv_nms_reference(boxes[members], scores[members],
                                                           iou_threshold)]
    kept_arr = np.array(sorted(kept), dtype=np.intp)
    return [int(kept_arr[k]) for k in tv_order(scores[kept_arr])] if kept else []


def xyxy(boxes: np.ndarray) -> np.ndarray:
    b = boxes.copy()
    b[:, 2:] = boxes[:, :2] + boxes[:, 2:]
    return b


def test_nms_xyxy_and_batched_equal_the_torchvision_reference(rng: Generator) -> None:
    for trial in range(300):
        n = int(rng.choice([1, 3, 40, 300]))
        boxes, scores = random_case(rng, n)
        b = xyxy(boxes)
        if trial % 10 == 0:
            scores[rng.random(n) < 0.1] = np.nan
        t = float(rng.choice([0.0, 1 / 3, 0.45, 0.5, 0.7]))
        assert detect.nms_xyxy(b, scores, t).tolist() == tv_nms_reference(b, scores, t), trial
        classes = rng.integers(0, 4, n)
        got = detect.batched_nms(b, scores, classes, t).tolist()
        assert got == tv_batched_reference(b, scores, classes, t), trial


def test_torchvision_rule_edge_cases() -> None:
    b = np.array([[0, 0, 2, 2], [1, 0, 3, 2], [5, 5, 5, 5], [5, 5, 5, 5]], np.float32)
    s = np.array([0.9, 0.8, 0.7, 0.7], np.float32)
    # IoU 1/3 in float32 is above 1/3 in double; zero-area boxes (NaN IoU) stay.
    assert detect.nms_xyxy(b, s, 1 / 3).tolist() == [0, 2, 3]
    assert tv_nms_reference(b, s, 1 / 3) == [0, 2, 3]
    assert detect.nms_xyxy(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5).tolist() == []
    with pytest.raises(scipix.InvalidArgument):
        detect.nms_xyxy(b, s, float("nan"))


# -- YOLO --------------------------------------------------------------------------------------

def yolo_reference(out: np.ndarray, lb: Any, conf: float, iou: float, max_det: int,
                   agnostic: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ultralytics' non_max_suppression (multi_label=False) with torchvision's per-class NMS
    (the reference above) and scale_boxes done as LetterboxInfo.to_source in float64."""
    x = out[0]
    cls = x[4:]
    best = cls.max(axis=0)
    cid = cls.argmax(axis=0)  # first maximum
    cand = np.flatnonzero(best > np.float32(conf))
    cx, cy, w, h = x[0, cand], x[1, cand], x[2, cand], x[3, cand]
    dw, dh = w / np.float32(2), h / np.float32(2)
    boxes = np.stack([cx - dw, cy - dh, cx + dw, cy + dh], axis=1).astype(np.float32)
    scores = best[cand]
    classes = np.zeros(len(cand), np.intp) if agnostic else cid[cand]
    keep = np.array(tv_batched_reference(boxes, scores, classes, iou), dtype=np.intp)
    if max_det:
        keep = keep[:max_det]
    mapped = lb.to_source(boxes[keep]).astype(np.float32)
    return mapped, scores[keep], cid[cand][keep], cand[keep]


@pytest.mark.parametrize("agnostic", [False, True])
def test_yolo_decode_equals_the_reference(rng: Generator, agnostic: bool) -> None:
    lb = scipix.resize.letterbox_info((1280, 720), 640)
    for trial in range(20):
        c, n = int(rng.choice([1, 3, 80])), int(rng.choice([10, 400, 8400]))
        out = np.empty((1, 4 + c, n), np.float32)
        out[0, :2] = rng.uniform(0, 640, (2, n))
        out[0, :2] = np.round(out[0, :2] / 8) * 8  # stacked candidates, as real outputs have
        out[0, 2:4] = rng.uniform(4, 200, (2, n))
        out[0, 4:] = rng.random((c, n)) ** 6
        max_det = int(rng.choice([0, 5, 300]))
        got = detect.yolo_decode(out, lb, conf_threshold=0.25, iou_threshold=0.45,
                                 max_det=max_det, agnostic=agnostic)
        want = yolo_reference(out, lb, 0.25, 0.45, max_det, agnostic)
        assert got.candidates.tolist() == want[3].tolist(), trial
        np.testing.assert_array_equal(got.boxes, want[0])
        np.testing.assert_array_equal(got.scores, want[1])
        assert got.class_ids.tolist() == want[2].tolist()


def test_yolo_decode_rejects_bad_shapes() -> None:
    with pytest.raises(scipix.InvalidArgument):
        detect.yolo_decode(np.zeros((1, 4, 10), np.float32))
    p = np.zeros((1, 6, 3), np.float32)
    p[0, 4, 1] = np.nan
    p[0, 5, 1] = 0.9
    assert detect.yolo_decode(p).candidates.tolist() == []  # a NaN class score drops it
    with pytest.raises(scipix.InvalidArgument):
        detect.yolo_decode(p, conf_threshold=float("nan"))


# -- top-k and softmax -------------------------------------------------------------------------

def test_top_k_equals_stable_argsort(rng: Generator) -> None:
    for n in [0, 1, 7, 100, 5000]:
        s = (rng.integers(0, 20, n) / 4).astype(np.float32)
        for k in [0, 1, 5, n // 2, n, n + 3]:
            want = np.argsort(-s, kind="stable")[:k]
            assert detect.top_k(s, k).tolist() == want.tolist(), (n, k)
    s = np.array([0.5, np.nan, 0.5, 2.0], np.float32)
    assert detect.top_k(s, 3).tolist() == [1, 3, 0]  # NaN ranks first


def ulps(a: np.ndarray, b: np.ndarray) -> int:
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    return int(np.abs(ia - ib).max())


def test_softmax_within_4_ulp_of_numpy(rng: Generator) -> None:
    worst = 0
    for n in [1, 2, 10, 80, 1000, 10000]:
        for scale in [1.0, 10.0, 100.0]:
            x = (rng.standard_normal(n) * scale).astype(np.float32)
            e = np.exp(x - x.max())
            want = e / e.sum(dtype=np.float32)
            got = detect.softmax(x)
            assert got.dtype == np.float32
            keep = want > np.float32(1e-30)  # compare normal numbers by ulp
            worst = max(worst, ulps(got[keep], want[keep]))
    assert worst <= 4
    assert np.isnan(detect.softmax(np.array([1.0, np.nan], np.float32))).all()
    with pytest.raises(scipix.InvalidArgument):
        detect.softmax(np.zeros(0, np.float32))
