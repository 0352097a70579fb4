"""scipix's Resize, Nms and DequantizeInt4 operators against ONNX Runtime's own operators
for the same job, each side one single-node graph in ONNX Runtime:

* uint8 HWC RGB 1280x720 -> 640x360: scipix `Resize` (cv_linear) vs ONNX `Resize`
  (linear, half_pixel, on the [H, W, 3] tensor with scales [0.5, 0.5, 1]); each side's
  distance from `cv2.resize(INTER_LINEAR)` is printed with the times;
* 2000 boxes: scipix `Nms` (cv2.dnn.NMSBoxes rule) vs ONNX `NonMaxSuppression`
  (center_point_box=1, i.e. x_center, y_center, w, h, a different box encoding and
  output; times only, and whether the kept sets agree);
* a blocked int4 weight [4096, 1024], block 32: scipix `DequantizeInt4` on a fed tensor
  vs ONNX `DequantizeLinear` on the same bytes as an INT4 initializer (ONNX Runtime cannot
  take int4 from a feed); the outputs are compared bit for bit.

ONNX Runtime runs with one intra-op thread and the process is pinned to one CPU, so
scipix's own pool has one thread too. Calls alternate between the two sides; best and
median per call are reported.

Run from the repository root after `cargo build --release -p scipix-ort`:
    python3 benches/peers_ort_resize_nms.py [--runs 200]
"""
import argparse
import os
import pathlib
import statistics
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # before any pool starts

import cv2  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = os.environ.get("SCIPIX_ORT_LIB", str(ROOT / "target/release/libscipix_ort.so"))


def session(nodes: Sequence[Any], inputs: Sequence[Tuple[str, int]], out_type: int,
            inits: Sequence[Any] = ()) -> Any:
    """A graph of `nodes` whose single output "y" or "k" has element type `out_type`."""
    outputs = [n.output[0] for n in nodes[-1:]]
    g = helper.make_graph(list(nodes), "bench",
                          [helper.make_tensor_value_info(n, t, None) for n, t in inputs],
                          [helper.make_tensor_value_info(n, out_type, None) for n in outputs],
                          list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21),
                                            helper.make_opsetid("scipix", 1)])
    m.ir_version = 10
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.register_custom_ops_library(LIB)
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def race(runners: Dict[str, Callable[[], Any]], runs: int) -> Dict[str, List[float]]:
    times: Dict[str, List[float]] = {k: [] for k in runners}
    for _ in range(5):
        for f in runners.values():
            f()
    for _ in range(runs):
        for k, f in runners.items():  # alternated call by call
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    return times


def report(title: str, times: Dict[str, List[float]], notes: Dict[str, str]) -> None:
    print(title)
    for k, t in times.items():
        print(f"  {k:44s} best {min(t) * 1e3:8.3f} ms  median {statistics.median(t) * 1e3:8.3f}"
              f" ms  {notes.get(k, '')}")


def photo(w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 17) * np.cos(y / 23), 255 * x / (w - 1),
                    np.where((x // 40 + y // 30) % 2 == 0, 200, 40)], -1)
    return np.clip(img + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)


def bench_resize(runs: int) -> None:
    rgb = photo(1280, 720)
    want = cv2.resize(rgb, (640, 360), interpolation=cv2.INTER_LINEAR)
    sp = session([helper.make_node("Resize", ["x"], ["y"], domain="scipix", width=640,
                                   height=360, filter="cv_linear")], [("x", TensorProto.UINT8)],
                 TensorProto.UINT8)
    scales = numpy_helper.from_array(np.array([0.5, 0.5, 1.0], np.float32), "scales")
    std = session([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                                    coordinate_transformation_mode="half_pixel")],
                  [("x", TensorProto.UINT8)], TensorProto.UINT8, [scales])
    runners = {"scipix Resize cv_linear": lambda: sp.run(None, {"x": rgb})[0],
               "ONNX Resize linear half_pixel": lambda: std.run(None, {"x": rgb})[0]}
    notes = {}
    for k, f in runners.items():
        out = f()
        d = np.abs(out.astype(np.int16) - want.astype(np.int16))
        notes[k] = f"vs cv2: {np.count_nonzero(d)} of {d.size} bytes differ, max {d.max()}"
    report("1280x720 RGB uint8 -> 640x360", race(runners, runs), notes)


def bench_nms(runs: int) -> None:
    rng = np.random.default_rng(3)
    n = 2000
    xywh = np.concatenate([rng.uniform(0, 600, (n, 2)), rng.uniform(5, 120, (n, 2))],
                          1).astype(np.float32)
    scores = rng.uniform(0, 1, n).astype(np.float32)
    sp = session([helper.make_node("Nms", ["b", "s"], ["k"], domain="scipix",
                                   score_threshold=0.25, nms_threshold=0.45)],
                 [("b", TensorProto.FLOAT), ("s", TensorProto.FLOAT)], TensorProto.INT64)
    consts = [numpy_helper.from_array(np.array([n], np.int64), "maxk"),
              numpy_helper.from_array(np.array([0.45], np.float32), "iou"),
              numpy_helper.from_array(np.array([0.25], np.float32), "thr")]
    std = session([helper.make_node("NonMaxSuppression", ["b", "s", "maxk", "iou", "thr"], ["k"],
                                    center_point_box=1)],
                  [("b", TensorProto.FLOAT), ("s", TensorProto.FLOAT)], TensorProto.INT64, consts)
    centre = np.concatenate([xywh[:, :2] + xywh[:, 2:] / 2, xywh[:, 2:]], 1)[None]
    feeds_std = {"b": np.ascontiguousarray(centre, np.float32), "s": scores[None, None]}
    runners = {"scipix Nms (NMSBoxes rule)": lambda: sp.run(None, {"b": xywh, "s": scores})[0],
               "ONNX NonMaxSuppression": lambda: std.run(None, feeds_std)[0]}
    keep = runners["scipix Nms (NMSBoxes rule)"]()
    ref = cv2.dnn.NMSBoxes(xywh.astype(np.float64).tolist(), scores.tolist(), 0.25, 0.45)
    onnx_keep = runners["ONNX NonMaxSuppression"]()[:, 2]
    notes = {"scipix Nms (NMSBoxes rule)":
             f"kept {len(keep)}, equal to cv2.dnn.NMSBoxes: "
             f"{keep.tolist() == np.asarray(ref).ravel().tolist()}",
             "ONNX NonMaxSuppression": f"kept {len(onnx_keep)}, same set: "
             f"{sorted(onnx_keep.tolist()) == sorted(keep.tolist())}"}
    report(f"NMS of {n} boxes, score > 0.25, IoU 0.45", race(runners, runs), notes)


def bench_int4(runs: int) -> None:
    rng = np.random.default_rng(5)
    shape, block = (4096, 1024), 32
    q = rng.integers(0, 256, shape[0] * shape[1] // 2, dtype=np.uint8)
    s = rng.uniform(0.01, 1, (shape[0], shape[1] // block)).astype(np.float32)
    sp = session([helper.make_node("DequantizeInt4", ["q", "s"], ["y"], domain="scipix",
                                   shape=list(shape), block_size=block)],
                 [("q", TensorProto.UINT8), ("s", TensorProto.FLOAT)], TensorProto.FLOAT)
    inits = [helper.make_tensor("qi", TensorProto.INT4, list(shape), q.tobytes(), raw=True),
             numpy_helper.from_array(s, "si")]
    std = session([helper.make_node("DequantizeLinear", ["qi", "si"], ["y"], block_size=block)],
                  [], TensorProto.FLOAT, inits)
    flat = s.ravel()
    runners = {"scipix DequantizeInt4": lambda: sp.run(None, {"q": q, "s": flat})[0],
               "ONNX DequantizeLinear (initializer)": lambda: std.run(None, {})[0]}
    a, b = (f() for f in runners.values())
    same = bool(np.array_equal(a.view(np.uint32), b.view(np.uint32)))
    report(f"int4 {shape[0]}x{shape[1]}, block {block} -> float32 (equal bits: {same})",
           race(runners, runs), {})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    a = ap.parse_args()
    print(f"onnxruntime {ort.__version__}, 1 intra-op thread, 1 CPU, {a.runs} alternated calls")
    bench_resize(a.runs)
    bench_nms(a.runs)
    bench_int4(max(a.runs // 10, 10))


if __name__ == "__main__":
    main()
