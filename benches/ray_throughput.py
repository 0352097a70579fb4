#!/usr/bin/env python3
"""Images per second of a Ray Data pipeline that turns camera JPEGs into YOLO letterbox
tensors, with scipix against OpenCV and Pillow doing the same work, and the same stage
timed alone outside Ray.

Inputs: JPEGs at 1280x720 and 1920x1080 (half each, quality 90, 4:2:0), made from the
real-photo mosaics of benches/peers_decode.py (8 distinct frames per size, repeated to the
count) and written once to $TMPDIR/scipix_ray_frames_<count>/.

1. Pipeline: ``read_binary_files -> map_batches(stage) -> map_batches(count)``, run as tasks
   (read, stage and count fused into one task per block, batch 16), at most ``workers``
   tasks at a time on a local Ray instance with 2 CPUs; the driver sums the counts. Stages,
   each producing the (N, 3, 640, 640) float32 tensor:
   - scipix: ``scipix.ray.Preprocess("letterbox", new_shape=640)`` (one scipix thread per
     task: the CPUs Ray assigned);
   - cv2: ``cv2.imdecode`` + Ultralytics ``LetterBox`` (``cv2.resize`` INTER_LINEAR,
     ``copyMakeBorder`` 114) + ``cv2.dnn.blobFromImage(1/255, swapRB=True)``, one thread;
   - pillow: ``Image.open().convert("RGB")`` + ``resize`` BILINEAR to the letterbox size +
     paste on a 114 canvas + ``/ 255`` CHW float32.
   With ``--model``, a small ONNX classifier (``scipix.ray.OnnxModel``, one thread) runs on
   the tensors before the count. The three pipelines are alternated (the order rotates
   each repetition); best and median images/s per stage and worker count.
2. The stage alone, one thread, in this process (no Ray), alternated call by call
   (benches/harness.race): decode + letterbox tensor from the JPEG bytes; the same with the
   JPEG decoded at 1/2 (scipix ``mode="reduced"`` against ``cv2.IMREAD_REDUCED_COLOR_2``,
   equal tensors); and the letterbox tensor alone from an already decoded image (cv2 and
   scipix from the decoded uint8 array, Pillow from the decoded Image), per frame size.

    python3 benches/ray_throughput.py              # 480 images, 1 and 2 workers, 3 repetitions
    python3 benches/ray_throughput.py --quick      # 96 images, 2 workers, 2 repetitions
    python3 benches/ray_throughput.py --model --no-alone   # with the classifier, no table 2
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

SIDE = 640
SIZES = [(1280, 720), (1920, 1080)]


# -- the peer stages -----------------------------------------------------------------------------

def ultralytics_blob(bgr: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Ultralytics LetterBox (centred, pad 114) + blobFromImage(1/255, swapRB)."""
    import cv2

    h, w = bgr.shape[:2]
    r = min(side / h, side / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (side - nw) / 2, (side - nh) / 2
    if (w, h) != (nw, nh):
        bgr = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(bgr, top, bottom, left, right, cv2.BORDER_CONSTANT,
                             value=(114, 114, 114))
    return np.asarray(cv2.dnn.blobFromImage(img, 1 / 255.0, swapRB=True))


def pillow_letterbox(img: Any, side: int = SIDE) -> np.ndarray:
    """The same letterbox with Pillow: BILINEAR resize, centred on a 114 canvas, /255 CHW."""
    from PIL import Image

    w, h = img.size
    r = min(side / h, side / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    if (w, h) != (nw, nh):
        img = img.resize((nw, nh), Image.BILINEAR)
    canvas = Image.new("RGB", (side, side), (114, 114, 114))
    canvas.paste(img, (int(round((side - nw) / 2 - 0.1)), int(round((side - nh) / 2 - 0.1))))
    a = np.asarray(canvas, np.float32) * np.float32(1 / 255.0)
    return np.ascontiguousarray(a.transpose(2, 0, 1))[None]


def pillow_decode(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


class Cv2Stage:
    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        import cv2

        cv2.setNumThreads(1)
        out = [ultralytics_blob(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR))
               for b in batch["bytes"]]
        return {"tensor": np.concatenate(out)}


class PillowStage:
    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        out = [pillow_letterbox(pillow_decode(bytes(b))) for b in batch["bytes"]]
        return {"tensor": np.concatenate(out)}


class ModelStage:
    """``scipix.ray.OnnxModel`` on the tensor column, opened once per worker process (the
    instance holds only the paths, so it runs as tasks fused with the stage before it)."""

    def __init__(self, graph: str, weights: str) -> None:
        self.graph, self.weights = graph, weights
        self.model: Any = None

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        if self.model is None:
            import scipix.ray

            self.model = scipix.ray.OnnxModel(self.graph, self.weights, threads=1)
        out: Dict[str, np.ndarray] = self.model(batch)
        return out


def classifier() -> Tuple[str, str]:
    """(graph, weights) of a small classifier on the 640 letterbox tensor, any batch size:
    Conv 3->16 (8x8, stride 8), ReLU, global average pool, Gemm 16->10, Softmax, split by
    scipix.ray.split_onnx_weights into $TMPDIR/scipix_ray_classifier/."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    import scipix.ray

    d = os.path.join(tempfile.gettempdir(), "scipix_ray_classifier")
    graph, weights = os.path.join(d, "graph.onnx"), os.path.join(d, "weights.safetensors")
    if os.path.exists(weights):
        return graph, weights
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((16, 3, 8, 8), np.float32) * 0.1, "w")
    g = numpy_helper.from_array(rng.standard_normal((10, 16), np.float32), "g")
    nodes = [helper.make_node("Conv", ["images", "w"], ["c"], strides=[8, 8]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("Gemm", ["f", "g"], ["z"], transB=1),
             helper.make_node("Softmax", ["z"], ["probs"], axis=1)]
    model = helper.make_model(helper.make_graph(
        nodes, "classifier",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, SIDE, SIDE])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])], [w, g]),
        opset_imports=[helper.make_opsetid("", 17)])
    full = os.path.join(d, "full.onnx")
    onnx.save(model, full)
    scipix.ray.split_onnx_weights(full, graph, weights)
    return graph, weights


def count(batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    if "probs" in batch:
        t = batch["probs"]
        assert t.shape[1:] == (10,), t.shape
    else:
        t = batch["tensor"]
        assert t.shape[1:] == (3, SIDE, SIDE) and t.dtype == np.float32, t.shape
    errors = batch.get("error")
    bad = 0 if errors is None else int(sum(1 for e in errors if e))
    return {"n": np.array([len(t)]), "errors": np.array([bad])}


# -- inputs --------------------------------------------------------------------------------------

def frames(count_: int) -> str:
    """The directory of `count_` JPEGs (written once)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    path = os.path.join(tempfile.gettempdir(), f"scipix_ray_frames_{count_}")
    if os.path.isdir(path) and len(os.listdir(path)) == count_:
        return path
    from peers_decode import jpeg_bytes, mosaic

    tmp = path + f".tmp{os.getpid()}"
    os.makedirs(tmp)
    distinct = []
    for w, h in SIZES:
        for k in range(8):  # cell sizes vary the mosaic: 8 different frames per size
            distinct.append(jpeg_bytes(mosaic(w, h, 320 + 80 * k, 270 + 60 * k), 90, 2))
    for i in range(count_):
        size = i % 2
        with open(os.path.join(tmp, f"frame{i:05d}.jpg"), "wb") as f:
            f.write(distinct[size * 8 + (i // 2) % 8])
    os.rename(tmp, path)
    return path


# -- 1. the Ray Data pipeline --------------------------------------------------------------------

def stage_fn(name: str) -> Callable[[Dict[str, np.ndarray]], Dict[str, np.ndarray]]:
    if name == "scipix":
        import scipix.ray

        return scipix.ray.Preprocess("letterbox", new_shape=SIDE)  # type: ignore[no-any-return]
    return Cv2Stage() if name == "cv2" else PillowStage()


def pipeline(ray: Any, directory: str, stage: str, workers: int, n: int,
             model: Optional[Tuple[str, str]] = None) -> float:
    """Images/s of one run; checks every image came through."""
    ds = ray.data.read_binary_files(directory, override_num_blocks=max(1, n // 16))
    ds = ds.map_batches(stage_fn(stage), batch_size=16, batch_format="numpy",
                        concurrency=workers)
    if model is not None:
        ds = ds.map_batches(ModelStage(*model), batch_size=16, batch_format="numpy",
                            concurrency=workers)
    ds = ds.map_batches(count, batch_size=None, batch_format="numpy", concurrency=workers)
    t = time.perf_counter()
    done = errors = 0
    for b in ds.iter_batches(batch_size=None, batch_format="numpy"):
        done += int(b["n"].sum())
        errors += int(b["errors"].sum())
    dt = time.perf_counter() - t
    assert (done, errors) == (n, 0), (stage, done, errors)
    return n / dt


def run_pipelines(directory: str, n: int, workers: Sequence[int], reps: int,
                  stages: Sequence[str], model: Optional[Tuple[str, str]] = None,
                  ) -> List[Dict[str, Any]]:
    import ray

    # off, as in the tests: Ray Data's usage thread can end the process during ray.shutdown()
    os.environ.setdefault("RAY_DATA_USAGE_DISABLED", "1")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    if __name__ != "__main__":
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    rows = []
    try:
        for w in workers:
            got: Dict[str, List[float]] = {s: [] for s in stages}
            for s in stages:  # warm-up: workers started, modules imported
                pipeline(ray, directory, s, w, n, model)
            for r in range(reps):
                for s in stages[r % len(stages):] + stages[:r % len(stages)]:
                    got[s].append(pipeline(ray, directory, s, w, n, model))
            for s in stages:
                rows.append({"workers": w, "stage": s, "best": max(got[s]),
                             "median": statistics.median(got[s])})
    finally:
        ray.shutdown()
    return rows


# -- 2. the stage alone --------------------------------------------------------------------------

def stage_alone(reps: int) -> List[Tuple[str, str, List[Any]]]:
    import cv2

    import scipix
    import scipix.codec
    import scipix.resize

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import harness
    from peers_decode import jpeg_bytes, mosaic

    cv2.setNumThreads(1)
    scipix.set_num_threads(1)
    out = []
    for w, h in SIZES:
        data = jpeg_bytes(mosaic(w, h), 90, 2)
        buf = np.frombuffer(data, np.uint8)
        want = scipix.codec.decode_letterbox_to_tensor(data, SIDE)[0]
        assert np.array_equal(want, ultralytics_blob(cv2.imdecode(buf, cv2.IMREAD_COLOR)))
        t = harness.race([lambda: scipix.codec.decode_letterbox_to_tensor(data, SIDE),
                          lambda: ultralytics_blob(cv2.imdecode(buf, cv2.IMREAD_COLOR)),
                          lambda: pillow_letterbox(pillow_decode(data))], reps)
        out.append((f"{w}x{h}", "decode + letterbox tensor", t))
        # DCT-reduced decoding at 1/2 (both sizes keep at least the 640 letterbox's resized
        # size at 1/2): scipix mode="reduced" against cv2.IMREAD_REDUCED_COLOR_2 (no Pillow
        # column: its draft() is the same trick).
        half = cv2.IMREAD_REDUCED_COLOR_2
        red = scipix.codec.decode_letterbox_to_tensor(data, SIDE, mode="reduced")
        assert red[1].scale_num == 4, red[1]
        assert np.array_equal(red[0], ultralytics_blob(cv2.imdecode(buf, half)))
        t = harness.race([
            lambda: scipix.codec.decode_letterbox_to_tensor(data, SIDE, mode="reduced"),
            lambda: ultralytics_blob(cv2.imdecode(buf, half))], reps)
        out.append((f"{w}x{h}", "decode at 1/2 + letterbox tensor", t + [None]))
        rgb = scipix.codec.decode(data, "rgb")
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        pil = pillow_decode(data)
        t = harness.race([lambda: scipix.resize.letterbox_to_tensor(rgb, SIDE, "rgb"),
                          lambda: ultralytics_blob(bgr),
                          lambda: pillow_letterbox(pil)], reps)
        out.append((f"{w}x{h}", "letterbox tensor from decoded", t))
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="96 images, 2 workers, 2 repetitions")
    ap.add_argument("--count", type=int, default=480)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-alone", action="store_true", help="skip the stage-alone table")
    ap.add_argument("--model", action="store_true",
                    help="add a small ONNX classifier (scipix.ray.OnnxModel) after the stage")
    args = ap.parse_args(argv)
    n, workers, reps = (96, [2], 2) if args.quick else (args.count, [1, 2], args.reps)
    stages = ["scipix", "cv2", "pillow"]
    directory = frames(n)
    load0 = os.getloadavg()
    rows = run_pipelines(directory, n, workers, reps, stages,
                         classifier() if args.model else None)
    model = " -> classifier (scipix.ray.OnnxModel)" if args.model else ""
    print(f"Ray Data: read_binary_files -> letterbox 640 tensor{model} -> count, {n} JPEGs "
          f"(1280x720 and 1920x1080), best / median of {reps}")
    print("| workers | stage | images/s best | images/s median | scipix / stage (best) |")
    print("|---|---|---|---|---|")
    for r in rows:
        ref = next(x for x in rows if x["workers"] == r["workers"] and x["stage"] == "scipix")
        print(f"| {r['workers']} | {r['stage']} | {r['best']:.1f} | {r['median']:.1f} | "
              f"{ref['best'] / r['best']:.2f}x |", flush=True)
    if not args.no_alone:
        print("\nThe stage alone, one thread, no Ray: ms per image best / median "
              f"(of {4 * reps + 8} calls), and the peer's best over scipix's")
        print("| frame | work | scipix ms | cv2 ms | Pillow ms | cv2 / scipix | Pillow / scipix |")
        print("|---|---|---|---|---|---|---|")
        for size, work, (s, c, p) in stage_alone(4 * reps + 8):
            pil = (f"{p.best * 1e3:.2f} / {p.median * 1e3:.2f}", f"{p.best / s.best:.2f}x") \
                if p is not None else ("-", "-")
            print(f"| {size} | {work} | {s.best * 1e3:.2f} / {s.median * 1e3:.2f} | "
                  f"{c.best * 1e3:.2f} / {c.median * 1e3:.2f} | {pil[0]} | "
                  f"{c.best / s.best:.2f}x | {pil[1]} |", flush=True)
    load1 = os.getloadavg()
    print(f"\nload average {load0[0]:.2f} before, {load1[0]:.2f} after; "
          f"{os.cpu_count()} CPUs", file=sys.stderr)


if __name__ == "__main__":
    main()
