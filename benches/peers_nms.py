#!/usr/bin/env python3
"""Times detector post-processing against OpenCV (cv2.setNumThreads(1)) on a YOLOv8 output
at 640x640 (8400 candidates, 80 classes): scipix_nms_boxes against cv2.dnn.NMSBoxes on the
same boxes and scores (checked equal index for index first), and scipix_yolo_decode (best
class, threshold, class-aware NMS, mapping to the source frame, one C call) against the
numpy + cv2 chain a Python user writes (max/argmax over the class rows, threshold, box
conversion, cv2.dnn.NMSBoxesBatched, mapping back). Calls alternate scipix, the peer and a
copy of the same bytes (benches/harness.py); prints best / median (ms) and the ratios.

    cargo build --release && python3 benches/peers_nms.py [--reps N]

The output is synthetic but shaped like a real one: 24 objects in a 1280x720 frame
letterboxed to 640x640, each seen by 10 to 40 candidates of jittered boxes (the stacked
predictions of neighbouring anchors), with sigmoid-like class scores (most candidates and
classes far below 0.01); a few hundred candidates pass conf 0.25. The NMS row feeds every
candidate's best score to both sides (score_threshold 0.25, nms_threshold 0.45), as
`cv2.dnn.NMSBoxes(boxes, scores, 0.25, 0.45)` is called after a YOLO forward pass, and a
second row only the candidates above 0.25. Most of cv2's time is its binding converting the
numpy boxes to `std::vector<Rect2d>` (with score_threshold 1.0, so that nothing is
suppressed, the call takes about as long); scipix reads the array in place.

`rows(lib, reps, full)` is what benches/table.py collects.
"""
import argparse
import ctypes

import cv2
import numpy as np

import harness

N, C = 8400, 80
CONF, IOU = 0.25, 0.45
# letterbox of 1280x720 into 640x640: scale 0.5, 140 rows of padding on top
SCALE, LEFT, TOP = 0.5, 0, 140
TARGETS = [("nms", "cv2.dnn.NMSBoxes", 5.0)]


class LetterboxInfo(ctypes.Structure):
    _fields_ = [("scale_x", ctypes.c_double), ("scale_y", ctypes.c_double),
                ("resized_width", ctypes.c_size_t), ("resized_height", ctypes.c_size_t),
                ("left", ctypes.c_size_t), ("top", ctypes.c_size_t),
                ("right", ctypes.c_size_t), ("bottom", ctypes.c_size_t),
                ("out_width", ctypes.c_size_t), ("out_height", ctypes.c_size_t)]


class YoloParams(ctypes.Structure):
    _fields_ = [("num_classes", ctypes.c_size_t), ("num_candidates", ctypes.c_size_t),
                ("conf_threshold", ctypes.c_float), ("iou_threshold", ctypes.c_double),
                ("max_det", ctypes.c_size_t), ("agnostic", ctypes.c_bool)]


class Detection(ctypes.Structure):
    _fields_ = [("x1", ctypes.c_float), ("y1", ctypes.c_float), ("x2", ctypes.c_float),
                ("y2", ctypes.c_float), ("score", ctypes.c_float), ("class_id", ctypes.c_uint32),
                ("candidate", ctypes.c_size_t)]


def yolo_output(seed=0):
    """A [1, 84, 8400] float32 output as described in the module docs."""
    rng = np.random.default_rng(seed)
    out = np.empty((4 + C, N), np.float32)
    out[0] = rng.uniform(0, 640, N)
    out[1] = rng.uniform(TOP, 640 - TOP, N)
    out[2:4] = rng.uniform(4, 120, (2, N))
    out[4:] = (rng.random((C, N)) ** 8) * 0.05
    free = rng.permutation(N)
    at = 0
    for _ in range(24):
        cx, cy = rng.uniform(60, 580), rng.uniform(TOP + 40, 640 - TOP - 40)
        w, h, cls = rng.uniform(20, 200), rng.uniform(20, 160), rng.integers(0, C)
        k = int(rng.integers(10, 41))
        idx = free[at:at + k]
        at += k
        out[0, idx] = cx + rng.normal(0, w * 0.05, k)
        out[1, idx] = cy + rng.normal(0, h * 0.05, k)
        out[2, idx] = w * rng.uniform(0.85, 1.15, k)
        out[3, idx] = h * rng.uniform(0.85, 1.15, k)
        out[4 + cls, idx] = rng.uniform(0.2, 0.95, k)
    return out[None]


def fptr(a, t=ctypes.c_float):
    return a.ctypes.data_as(ctypes.POINTER(t))


def bind(lib):
    f, sz = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_size_t)
    lib.scipix_nms_boxes.argtypes = [f, f, ctypes.c_size_t, ctypes.c_float, ctypes.c_float,
                                     ctypes.c_float, ctypes.c_size_t, sz, ctypes.c_size_t, sz]
    lib.scipix_yolo_decode.argtypes = [f, ctypes.c_size_t, ctypes.POINTER(YoloParams),
                                       ctypes.POINTER(LetterboxInfo), ctypes.POINTER(Detection),
                                       ctypes.c_size_t, sz]


def nms_case(lib, out, prefilter):
    """(scipix fn, cv2 fn, bytes read, kept count): both sides on the xywh boxes and best
    scores of every candidate (or, with `prefilter`, of those above CONF), checked equal."""
    x = out[0]
    boxes = np.ascontiguousarray(np.stack([x[0] - x[2] / 2, x[1] - x[3] / 2, x[2], x[3]], 1))
    scores = np.ascontiguousarray(x[4:].max(0))
    if prefilter:
        keep = scores > CONF
        boxes, scores = np.ascontiguousarray(boxes[keep]), np.ascontiguousarray(scores[keep])
    n = len(scores)
    idx = np.empty(n, np.uintp)
    count = ctypes.c_size_t(0)
    bp, sp, ip = fptr(boxes), fptr(scores), fptr(idx, ctypes.c_size_t)

    def ours():
        lib.scipix_nms_boxes(bp, sp, n, CONF, IOU, 1.0, 0, ip, n, ctypes.byref(count))
        return idx[:count.value]

    def peer():
        return cv2.dnn.NMSBoxes(boxes, scores, CONF, IOU)

    a, b = ours().tolist(), np.asarray(peer()).reshape(-1).tolist()
    if a != b:
        raise SystemExit(f"nms: scipix kept {a[:10]}..., cv2 {b[:10]}...")
    return ours, peer, boxes.nbytes + scores.nbytes, len(a)


def decode_case(lib, out):
    """(scipix fn, numpy + cv2 fn): the whole post-processing of one output."""
    params = YoloParams(C, N, CONF, IOU, 300, False)
    lb = LetterboxInfo(SCALE, SCALE, 640, 360, LEFT, TOP, 0, 140, 640, 640)
    dets = (Detection * 300)()
    count = ctypes.c_size_t(0)
    op = fptr(out)

    def ours():
        lib.scipix_yolo_decode(op, out.size, ctypes.byref(params), ctypes.byref(lb), dets, 300,
                               ctypes.byref(count))
        return count.value

    def peer():
        x = out[0]
        cls_scores = x[4:]
        scores = cls_scores.max(0)
        keep = scores > CONF
        cls = cls_scores[:, keep].argmax(0)
        b = x[:4, keep].T
        xywh = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 2], b[:, 3]], 1)
        k = np.asarray(cv2.dnn.NMSBoxesBatched(xywh, scores[keep], cls, CONF, IOU)).reshape(-1)
        k = k[np.argsort(-scores[keep][k], kind="stable")][:300]
        xyxy = np.concatenate([xywh[k, :2], xywh[k, :2] + xywh[k, 2:]], 1).astype(np.float64)
        xyxy[:, [0, 2]] = (xyxy[:, [0, 2]] - LEFT) / SCALE
        xyxy[:, [1, 3]] = (xyxy[:, [1, 3]] - TOP) / SCALE
        return len(k)

    return ours, peer, out.nbytes, ours(), peer()


def rows(lib, reps=30, full=True):
    cv2.setNumThreads(1)
    bind(lib)
    out = yolo_output()
    res = []
    passed = int((out[0, 4:].max(0) > CONF).sum())
    for prefilter, size in [(False, f"{N} boxes, {passed} > {CONF}"),
                            (True, f"{passed} boxes (pre-filtered)")]:
        ours, peer, nbytes, kept = nms_case(lib, out, prefilter)
        res.append(harness.measure("nms", size, ours, "cv2.dnn.NMSBoxes", peer, nbytes,
                                   kept * 8, reps, note=f"{kept} kept"))
    ours, peer, nbytes, n_ours, n_peer = decode_case(lib, out)
    res.append(harness.measure("yolo decode + nms", f"[1, {4 + C}, {N}]", ours,
                               "numpy + cv2.dnn.NMSBoxesBatched", peer, nbytes, n_ours * 32,
                               reps, note=f"{n_ours} detections (numpy + cv2: {n_peer})"))
    return res


def target_lines(rs):
    out = []
    for op, peer, want in TARGETS:
        for r in rs:
            if r.op == op and r.peer_name == peer:
                ok = "met" if r.vs_peer >= want else "NOT met"
                out.append(f"{op} vs {peer}: {r.vs_peer:.2f}x best, {r.vs_peer_median:.2f}x "
                           f"median (target {want}x): {ok}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    lib = harness.load_lib()
    rs = rows(lib, args.reps, full=True)
    harness.print_rows(rs)
    print("\nTargets (vs peer = peer time / scipix time):")
    print("\n".join(f"* {line}" for line in target_lines(rs)))


if __name__ == "__main__":
    main()
