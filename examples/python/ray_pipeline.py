"""scipix inside Ray Data: encoded images -> PP-OCRv4 detector input -> detector -> Parquet.

    python3 examples/python/ray_pipeline.py --images 300 --workers 1 --nodes 2 --side 160 --check

1. writes ``--images`` synthetic scenes with text-like shapes (deterministic; 3 of 4 as JPEG,
   1 of 4 as PNG, four frame sizes) into ``--data`` (default ``OUT/images``), unless they
   are there already;
2. splits RapidOCR's PP-OCRv4 detector (``ch_PP-OCRv4_det_infer.onnx`` from the
   ``rapidocr_onnxruntime`` wheel) into a graph and a safetensors weights file
   (``scipix.ray.split_onnx_weights``);
3. starts a simulated cluster of ``--nodes`` nodes (``ray.cluster_utils.Cluster``, each with
   ``--node-cpus`` CPUs) and runs ``read_binary_files(include_paths=True)`` ->
   ``scipix.ray.Preprocess("ocr_det")`` (an instance: Ray fuses it into a neighbouring stage) ->
   ``scipix.ray.OnnxModel`` (``--workers`` actors of 1 CPU each) -> Parquet in ``OUT/parquet``
   with one row per file: ``path``, ``map`` (the detector's probability map, float32 bytes),
   ``map_shape`` (C, H, W), ``error`` ("" or the path and scipix's message);
4. prints images/s (the pipeline's wall time, cluster start-up excluded);
5. with ``--check``: runs a plain loop over the same files (scipix decode +
   ``scipix.ocr.det_preprocess`` + ONNX Runtime on the original model, one image at a time)
   and exits 1 unless the Parquet rows equal it row for row and bit for bit, each file
   exactly once.

The actors need ``--workers`` CPUs and the read/preprocess tasks at least one more: the
cluster must have ``nodes * node_cpus > workers``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

SIZES = [(320, 240), (240, 320), (288, 288), (352, 224)]  # (width, height)
WORDS = ["scipix", "Ray", "tensor", "OCR", "2026", "images/s", "exact", "batch", "node",
         "actor", "map", "Parquet"]


def detector_path() -> str:
    """RapidOCR's PP-OCRv4 detector model."""
    import rapidocr_onnxruntime

    return os.path.join(os.path.dirname(rapidocr_onnxruntime.__file__), "models",
                        "ch_PP-OCRv4_det_infer.onnx")


def scene(i: int, seed: int = 0) -> np.ndarray:
    """A deterministic BGR frame with text lines, boxes and noise."""
    import cv2

    rng = np.random.default_rng([seed, i])
    w, h = SIZES[i % len(SIZES)]
    bg = rng.integers(170, 250, 3)
    img = np.empty((h, w, 3), np.uint8)
    img[:] = bg.astype(np.uint8)
    img = cv2.add(img, rng.integers(0, 20, (h, w, 3), dtype=np.uint8))
    for _ in range(int(rng.integers(1, 4))):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(img, (x0, y0), (x0 + int(rng.integers(20, 120)), y0 + int(rng.integers(20, 80))),
                      color, int(rng.integers(-1, 3)) or 1)
    for line in range(int(rng.integers(2, 6))):
        text = " ".join(WORDS[int(k)] for k in rng.integers(0, len(WORDS), int(rng.integers(1, 4))))
        org = (int(rng.integers(2, w // 3)), int(20 + line * (h - 30) / 5))
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.4, 0.9)),
                    tuple(int(c) for c in rng.integers(0, 90, 3)), int(rng.integers(1, 3)),
                    cv2.LINE_AA)
    return img


def generate(directory: str, n: int, seed: int = 0) -> List[str]:
    """Writes scenes 0..n-1 as ``img_XXXXX.jpg`` / ``.png`` (every 4th a PNG) into
    ``directory`` (files already there are kept) and returns their paths, sorted."""
    import cv2

    os.makedirs(directory, exist_ok=True)
    paths = []
    for i in range(n):
        ext = ".png" if i % 4 == 3 else ".jpg"
        path = os.path.join(directory, f"img_{i:05d}{ext}")
        if not os.path.exists(path):
            params = [cv2.IMWRITE_JPEG_QUALITY, 85] if ext == ".jpg" else []
            ok, buf = cv2.imencode(ext, scene(i, seed), params)
            assert ok
            with open(path + ".tmp", "wb") as f:
                f.write(buf.tobytes())
            os.replace(path + ".tmp", path)
        paths.append(path)
    return sorted(paths)


def split_model(directory: str) -> Tuple[str, str]:
    """(graph, weights) of the detector split for OnnxModel, written once into
    ``directory``."""
    from scipix.ray import split_onnx_weights

    graph = os.path.join(directory, "det_graph.onnx")
    weights = os.path.join(directory, "det.safetensors")
    if not (os.path.exists(graph) and os.path.exists(weights)):
        os.makedirs(directory, exist_ok=True)
        split_onnx_weights(detector_path(), graph + ".tmp", weights)
        os.replace(graph + ".tmp", graph)
    return graph, weights


def to_records(batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """The model's output as Parquet-friendly columns: ``map`` (float32 bytes; b"" for an
    error row), ``map_shape`` (C, H, W)."""
    maps = batch["maps"]
    n = len(batch["path"])
    data = np.empty(n, dtype=object)
    shapes = np.zeros((n, 3), np.int64)
    for i in range(n):
        m = np.ascontiguousarray(maps[i], np.float32)
        data[i] = m.tobytes()
        shapes[i] = m.shape if m.ndim == 3 else (0, 0, 0)
    return {"path": batch["path"], "map": data, "map_shape": shapes, "error": batch["error"]}


def build(data_dir: str, graph: str, weights: str, *, workers: int, side: int,
          batch_size: int = 16, model_cls: Any = None,
          model_kwargs: Optional[Dict[str, Any]] = None,
          resources: Optional[Dict[str, float]] = None) -> Any:
    """The Ray Data pipeline (lazy): files -> Preprocess -> OnnxModel actors -> records.
    ``model_cls``: an OnnxModel subclass (the tests use one that reports its pid);
    ``resources``: custom resources each model actor needs (to pin actors to nodes). Ray Data
    gives its actors ``max_restarts=-1`` and ``max_task_retries=-1``: an actor that dies is
    restarted and its unfinished batches run again."""
    import ray
    from scipix.ray import OnnxModel, Preprocess

    ds = ray.data.read_binary_files(data_dir, include_paths=True)
    ds = ds.map_batches(Preprocess("ocr_det", limit_side_len=side, limit_type="max"),
                        batch_format="numpy", batch_size=batch_size)
    ds = ds.map_batches(model_cls or OnnxModel,
                        fn_constructor_kwargs={"graph": graph, "weights": weights,
                                               "output_columns": {"sigmoid_0.tmp_0": "maps"},
                                               **(model_kwargs or {})},
                        batch_format="numpy", batch_size=batch_size,
                        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1,
                        resources=resources)
    return ds.map_batches(to_records, batch_format="numpy")


def read_output(out_dir: str) -> List[Dict[str, Any]]:
    """The Parquet rows, sorted by path."""
    import pyarrow.parquet as pq

    table = pq.read_table(out_dir, columns=["path", "map", "map_shape", "error"])
    rows = table.to_pylist()
    return sorted(rows, key=lambda r: r["path"])


def reference(paths: List[str], side: int) -> List[Dict[str, Any]]:
    """The plain loop: scipix decode + det_preprocess + ONNX Runtime on the original model,
    one image at a time, errors formatted as Preprocess formats them."""
    import onnxruntime as ort

    import scipix
    from scipix.errors import ScipixError

    sess = ort.InferenceSession(detector_path(), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    rows = []
    for p in sorted(paths):
        with open(p, "rb") as f:
            data = f.read()
        try:
            x = scipix.ocr.det_preprocess(scipix.decode(data, "bgr"), limit_side_len=side,
                                          limit_type="max")
            if x is None:
                raise scipix.errors.InvalidArgument("a side rounds to 0")
        except ScipixError as e:
            rows.append({"path": p, "map": b"", "map_shape": [0, 0, 0], "error": f"{p}: {e}"})
            continue
        y = sess.run(None, {name: x})[0][0]
        rows.append({"path": p, "map": y.tobytes(), "map_shape": list(y.shape), "error": ""})
    return rows


def compare(got: List[Dict[str, Any]], want: List[Dict[str, Any]]) -> List[str]:
    """Differences between two row lists (empty when equal row for row, bit for bit)."""
    problems = []
    gp = [r["path"] for r in got]
    if len(set(gp)) != len(gp):
        problems.append(f"{len(gp) - len(set(gp))} duplicate rows")
    if sorted(set(gp)) != sorted(r["path"] for r in want):
        problems.append(f"paths differ: {len(gp)} rows, {len(want)} expected")
        return problems
    for g, w in zip(got, want):
        if list(g["map_shape"]) != list(w["map_shape"]):
            problems.append(f"{g['path']}: map_shape {list(g['map_shape'])} != {list(w['map_shape'])}")
        for k in ("map", "error"):
            if g[k] != w[k]:
                problems.append(f"{g['path']}: {k} differs")
    return problems


def start_cluster(nodes: int, node_cpus: int) -> Any:
    """A simulated cluster of ``nodes`` nodes (the head counts as one), connected."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": node_cpus, "include_dashboard": False})
    for _ in range(nodes - 1):
        cluster.add_node(num_cpus=node_cpus)
    ray.init(address=cluster.address, log_to_driver=False)
    cluster.wait_for_nodes()
    return cluster


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=1, help="model actors (1 CPU each)")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--node-cpus", type=int, default=1)
    ap.add_argument("--side", type=int, default=256, help="detector input's longer side")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--out", default="/tmp/scipix_ray_pipeline")
    ap.add_argument("--data", default=None, help="image directory (default OUT/images)")
    ap.add_argument("--check", action="store_true", help="compare with a plain loop")
    args = ap.parse_args(argv)
    if args.nodes * args.node_cpus <= args.workers:
        ap.error("the cluster needs more CPUs than --workers (the read tasks need one)")

    import shutil

    import ray

    data_dir = args.data or os.path.join(args.out, "images")
    paths = generate(data_dir, args.images)
    graph, weights = split_model(os.path.join(args.out, "model"))
    out_dir = os.path.join(args.out, "parquet")
    shutil.rmtree(out_dir, ignore_errors=True)
    ray.data.DataContext.get_current().enable_progress_bars = False
    # Ray Data 2.60's usage-metrics thread can end this process with exit code 1 if it polls
    # while ray.shutdown() runs, after the output is written (guide: "Scaling out with Ray").
    os.environ.setdefault("RAY_DATA_USAGE_DISABLED", "1")
    cluster = start_cluster(args.nodes, args.node_cpus)
    try:
        t0 = time.perf_counter()
        build(data_dir, graph, weights, workers=args.workers, side=args.side,
              batch_size=args.batch_size).write_parquet(out_dir)
        dt = time.perf_counter() - t0
    finally:
        ray.shutdown()
        cluster.shutdown()
    got = read_output(out_dir)
    print(f"{len(got)} images, {args.nodes} nodes x {args.node_cpus} CPU, {args.workers} "
          f"model actor(s), side {args.side}: {dt:.2f} s, {len(got) / dt:.1f} images/s")
    if args.check:
        problems = compare(got, reference(paths, args.side))
        if problems:
            print("check FAILED:\n  " + "\n  ".join(problems[:20]))
            return 1
        print(f"check: {len(got)} rows equal the plain loop bit for bit, each file once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
