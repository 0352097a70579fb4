"""YOLO-style input graph inside ONNX Runtime: uint8 HWC RGB image -> letterbox 640 ->
float32 [1, 3, 640, 640] RGB /255, built two ways:

* scipix: one `scipix.LetterboxToTensor` node (ort/, libscipix_ort.so);
* onnxruntime-extensions' pre-processing steps (Resize "not_larger", LetterBox fill 114,
  ChannelsLastToChannelsFirst, ImageBytesToFloat, Unsqueeze), i.e. standard ONNX ops,
  in front of an Identity "model".

Both run in ONNX Runtime with one intra-op thread, and the process is pinned to one CPU so
scipix's own pool has one thread too. Calls alternate between the graphs; best and median
per call are reported, and each graph's distance from the cv2 chain (Ultralytics LetterBox +
cv2.dnn.blobFromImage(img, 1/255, swapRB=True)).

Run from the repository root after `cargo build --release -p scipix-ort`:
    python3 benches/peers_ort_ops.py [--size 1280x720] [--runs 200]
`make bench` (benches/table.py) takes its rows from `rows()`, which runs this script with
`--json` in a child process (the CPU pinning must not reach the table's own process).
onnxruntime-extensions is optional (`pip install --no-deps onnxruntime-extensions==0.15.2`);
without it only the scipix graph and the cv2 chain are measured.
"""
import argparse
import json
import os
import pathlib
import statistics
import time
from typing import Any, Callable, Dict, List, Optional

import subprocess
import sys

import numpy as np

if __name__ == "__main__":  # one CPU, before any pool starts (not when table.py imports rows)
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import cv2  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from peers_decode_pipeline import ultralytics_blob  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = os.environ.get("SCIPIX_ORT_LIB", str(ROOT / "target/release/libscipix_ort.so"))
SIZE = 640


def session(model: onnx.ModelProto, libs: List[str]) -> Any:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    for lib in libs:
        so.register_custom_ops_library(lib)
    return ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])


def scipix_graph() -> onnx.ModelProto:
    node = helper.make_node("LetterboxToTensor", ["image"], ["tensor", "geometry"],
                            domain="scipix", width=SIZE, height=SIZE)
    g = helper.make_graph(
        [node], "scipix_letterbox",
        [helper.make_tensor_value_info("image", TensorProto.UINT8, ["h", "w", 3])],
        [helper.make_tensor_value_info("tensor", TensorProto.FLOAT, [1, 3, SIZE, SIZE]),
         helper.make_tensor_value_info("geometry", TensorProto.FLOAT, [6])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18),
                                            helper.make_opsetid("scipix", 1)])
    m.ir_version = 10
    return m


def extensions_graph() -> Optional[onnx.ModelProto]:
    try:
        from onnxruntime_extensions.tools.pre_post_processing import (
            ChannelsLastToChannelsFirst, ImageBytesToFloat, LetterBox, PrePostProcessor, Resize,
            Unsqueeze)
    except ImportError:
        return None
    g = helper.make_graph(
        [helper.make_node("Identity", ["images"], ["tensor"])], "identity",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("tensor", TensorProto.FLOAT, [1, 3, SIZE, SIZE])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10
    inputs = [helper.make_tensor_value_info("image", TensorProto.UINT8, ["h", "w", 3])]
    pipeline = PrePostProcessor(inputs, 18)
    pipeline.add_pre_processing([
        Resize(SIZE, layout="HWC", policy="not_larger"),
        LetterBox(target_shape=(SIZE, SIZE), fill_value=114),
        ChannelsLastToChannelsFirst(),
        ImageBytesToFloat(),
        Unsqueeze([0]),
    ])
    out: onnx.ModelProto = pipeline.run(model)
    return out


def cv2_chain(bgr: np.ndarray) -> np.ndarray:
    """The Ultralytics LetterBox + blobFromImage chain the scipix op equals."""
    return ultralytics_blob(bgr, SIZE)


def photo(w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 128 + 100 * np.sin(x / 17) * np.cos(y / 23)
    g = 255 * x / max(w - 1, 1)
    b = np.where((x // 40 + y // 30) % 2 == 0, 200, 40)
    img = np.stack([r, g, b], -1) + rng.normal(0, 6, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


TABLE_SIZES = ["1280x720", "1920x1080"]


def table_json(sizes: List[str], reps: int) -> None:
    """Prints one JSON object per size: best/median seconds of the scipix graph, the
    onnxruntime-extensions graph and a copy of the same memory traffic (benches/harness.py
    rules, alternated call by call)."""
    import harness
    import onnxruntime_extensions
    ext = extensions_graph()
    assert ext is not None
    sp = session(scipix_graph(), [LIB])
    es = session(ext, [onnxruntime_extensions.get_library_path()])
    for size in sizes:
        w, h = (int(v) for v in size.split("x"))
        rgb = photo(w, h)
        t = harness.race([lambda: sp.run(["tensor"], {"image": rgb}),
                          lambda: es.run(None, {"image": rgb}),
                          harness.copy_baseline(rgb.nbytes, 4 * 3 * SIZE * SIZE)], reps)
        print(json.dumps({"size": size, "extensions": onnxruntime_extensions.__version__,
                          "t": [[x.best, x.median] for x in t]}), flush=True)


def rows(lib: Any, reps: int = 15, full: bool = True) -> List[Any]:
    """Table rows (benches/table.py): the two graphs in ONNX Runtime, from a child process
    pinned to one CPU (scipix's pool inside libscipix_ort.so then has one thread, as the
    table's other rows)."""
    import harness
    if not pathlib.Path(LIB).exists():
        print(f"# {LIB} missing (cargo build --release -p scipix-ort): no ONNX Runtime rows",
              file=sys.stderr)
        return []
    r = subprocess.run([sys.executable, __file__, "--json", "--runs", str(reps)],
                       capture_output=True, text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        d = json.loads(line)
        s, e, c = (harness.Timing(*x) for x in d["t"])
        out.append(harness.Row("letterbox to tensor in ORT (scipix op)",
                               f"{d['size']} RGB8 → 640²", s,
                               f"onnxruntime-extensions {d['extensions']} steps in ORT", e, c))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1280x720", help="source WxH")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--json", action="store_true", help="the table's rows (see rows())")
    a = ap.parse_args()
    if a.json:
        table_json(TABLE_SIZES, a.runs)
        return
    w, h = (int(v) for v in a.size.split("x"))
    rgb = photo(w, h)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    want = cv2_chain(bgr)

    runners: Dict[str, Callable[[], np.ndarray]] = {}
    sp = session(scipix_graph(), [LIB])
    runners["scipix LetterboxToTensor"] = lambda: sp.run(["tensor"], {"image": rgb})[0]
    ext = extensions_graph()
    if ext is not None:
        import onnxruntime_extensions
        es = session(ext, [onnxruntime_extensions.get_library_path()])
        runners[f"onnxruntime-extensions {onnxruntime_extensions.__version__} steps"] = \
            lambda: es.run(None, {"image": rgb})[0]
    else:
        print("onnxruntime-extensions not installed: scipix graph and cv2 chain only")
    runners["cv2 chain (outside ORT, reference)"] = lambda: cv2_chain(bgr)

    times: Dict[str, List[float]] = {k: [] for k in runners}
    for _ in range(5):
        for f in runners.values():
            f()
    for _ in range(a.runs):
        for k, f in runners.items():  # alternated call by call
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)

    print(f"{w}x{h} RGB uint8 -> [1, 3, {SIZE}, {SIZE}] float32; onnxruntime {ort.__version__}, "
          f"1 intra-op thread, 1 CPU, {a.runs} alternated calls each")
    for k, f in runners.items():
        out = np.asarray(f(), np.float32).reshape(want.shape)
        d = np.abs(out.astype(np.float64) - want.astype(np.float64))
        differ = int(np.count_nonzero(out.view(np.uint32) != want.view(np.uint32)))
        steps = np.rint(d * 255)
        print(f"  {k:48s} best {min(times[k]) * 1e3:7.3f} ms  median "
              f"{statistics.median(times[k]) * 1e3:7.3f} ms  vs cv2: {differ} of {want.size} "
              f"floats differ, max {int(steps.max())}/255")


if __name__ == "__main__":
    main()
