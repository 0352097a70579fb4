"""scipix.ray on a simulated 2-node Ray cluster: the example pipeline's output equals a plain
loop bit for bit, corrupt files become error rows, a killed actor and a removed node cost
nothing but time, pools are sized from the CPUs Ray assigns, handles refuse pickling."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import pytest
import ray
import ray_pipeline
from conftest import IMAGES, SIDE, reference

import scipix
from scipix.ray import OnnxModel, Preprocess, configure_threads, worker_threads

TIMEOUT = 120  # seconds for one remote call: a hang fails the test instead of the run


def collect(ds: Any, on_first: Optional[Callable[[int], None]] = None,
            progress: Optional[List[int]] = None) -> List[Dict[str, Any]]:
    """Every output row of ``ds`` (sorted by path); ``on_first(rows so far)`` runs once,
    after the first output batch arrives; ``progress[0]`` follows the row count."""
    rows: List[Dict[str, Any]] = []
    for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
        if progress is not None:
            progress[0] = len(rows) + len(batch["path"])
        for i in range(len(batch["path"])):
            rows.append({"path": str(batch["path"][i]), "map": bytes(batch["map"][i]),
                         "map_shape": [int(v) for v in batch["map_shape"][i]],
                         "error": str(batch["error"][i])})
        if on_first is not None:
            on_first(len(rows))
            on_first = None
    return sorted(rows, key=lambda r: r["path"])


def det_input(seed: int = 0) -> np.ndarray:
    return scipix.ocr.det_preprocess(ray_pipeline.scene(seed), limit_side_len=SIDE,
                                     limit_type="max")


def original_output(x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    s = ort.InferenceSession(ray_pipeline.detector_path(), providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


def test_import_scipix_does_not_import_ray() -> None:
    code = ("import sys, scipix; "
            "assert 'ray' not in sys.modules and 'scipix.ray' not in sys.modules, "
            "sorted(m for m in sys.modules if 'ray' in m)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_parity_parquet(ray_cluster: Any, image_dir: str, det_model: Any, tmp_path: Any) -> None:
    graph, weights = det_model
    out = str(tmp_path / "parquet")
    ray_pipeline.build(image_dir, graph, weights, workers=1, side=SIDE,
                       batch_size=8).write_parquet(out)
    got = ray_pipeline.read_output(out)
    want = reference(image_dir)
    assert len(want) == IMAGES and all(r["error"] == "" for r in want)
    assert len({tuple(r["map_shape"]) for r in want}) > 1  # several shapes: ragged batches
    assert [r["path"] for r in got] == [r["path"] for r in want]  # each file exactly once
    assert ray_pipeline.compare(got, want) == []
    # the maps are real detector output: probabilities, not all zero
    m = np.frombuffer(got[0]["map"], np.float32)
    assert m.size == int(np.prod(got[0]["map_shape"])) and 0 < m.max() <= 1
    # conftest turned Ray Data's usage collection off: its thread outlives ray.shutdown() and
    # can end the process when it polls during a shutdown
    assert "data-usage-metrics-poller" not in [t.name for t in threading.enumerate()]


def _corrupt_dir(image_dir: str, tmp_path: Any) -> Dict[str, str]:
    d = tmp_path / "mixed"
    d.mkdir()
    names = sorted(os.listdir(image_dir))[:24]
    for n in names:
        shutil.copy(os.path.join(image_dir, n), d / n)
    jpg = open(os.path.join(image_dir, names[0]), "rb").read()
    png = bytearray(open(os.path.join(image_dir, names[3]), "rb").read())
    png[png.find(b"IDAT") + 10] ^= 0xFF  # the chunk's CRC no longer matches
    bad = {"bad_truncated.jpg": jpg[: len(jpg) // 2], "bad_header.jpg": jpg[:20],
           "bad_garbage.jpg": bytes(range(256)) * 8, "bad_empty.png": b"",
           "bad_crc.png": bytes(png)}
    expected = {}
    for name, data in bad.items():
        (d / name).write_bytes(data)
        with pytest.raises(scipix.ScipixError) as e:
            scipix.decode(data, "bgr")
        expected[str(d / name)] = f"{d / name}: {e.value}"
    return expected


def test_corrupt_files_become_error_rows(ray_cluster: Any, image_dir: str, det_model: Any,
                                         tmp_path: Any) -> None:
    graph, weights = det_model
    expected = _corrupt_dir(image_dir, tmp_path)
    d = str(tmp_path / "mixed")
    out = str(tmp_path / "parquet")
    ray_pipeline.build(d, graph, weights, workers=1, side=SIDE, batch_size=4).write_parquet(out)
    got = ray_pipeline.read_output(out)
    assert len(got) == 24 + len(expected)
    errors = {r["path"]: r["error"] for r in got if r["error"]}
    assert errors == expected  # file name and scipix's message, nothing else failed
    assert all(r["map"] == b"" and list(r["map_shape"]) == [0, 0, 0]
               for r in got if r["error"])
    assert "SCIPIX_ERR_INVALID_FILE: PNG chunk IDAT" in errors[os.path.join(d, "bad_crc.png")]
    assert "Premature end of JPEG file" in errors[os.path.join(d, "bad_truncated.jpg")]
    assert ray_pipeline.compare(got, reference(d)) == []  # valid rows unaffected


def test_actor_sigkill_restarts_and_completes(ray_cluster: Any, image_dir: str,
                                              det_model: Any, tmp_path: Any) -> None:
    graph, weights = det_model
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()

    class PidModel(OnnxModel):  # defined here: travels to the workers by value
        def __init__(self, *, pid_dir: str, **kw: Any) -> None:
            super().__init__(**kw)
            open(os.path.join(pid_dir, str(os.getpid())), "w").close()

        def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
            time.sleep(0.15)  # keeps work queued at the actor when the kill lands
            return super().__call__(batch)

    killed: List[int] = []

    def kill(rows_so_far: int) -> None:
        assert rows_so_far < IMAGES // 2
        pid = int(os.listdir(pid_dir)[0])
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    ds = ray_pipeline.build(image_dir, graph, weights, workers=1, side=SIDE, batch_size=4,
                            model_cls=PidModel, model_kwargs={"pid_dir": str(pid_dir)})
    rows = collect(ds, on_first=kill)
    assert len(killed) == 1
    pids = {int(p) for p in os.listdir(pid_dir)}
    assert killed[0] in pids and len(pids) >= 2  # the actor came back in a new process
    assert [r["path"] for r in rows] == sorted(r["path"] for r in reference(image_dir))
    assert ray_pipeline.compare(rows, reference(image_dir)) == []


def test_actor_method_pid_kill_restart(ray_cluster: Any, det_model: Any) -> None:
    graph, weights = det_model
    actor = ray.remote(OnnxModel).options(num_cpus=1, max_restarts=1, max_task_retries=2) \
        .remote(graph, weights)
    x = det_input(3)
    want = original_output(x)
    pid = ray.get(actor.pid.remote(), timeout=TIMEOUT)
    assert np.array_equal(ray.get(actor.run.remote(x), timeout=TIMEOUT)[0], want)
    os.kill(pid, signal.SIGKILL)
    # the call is retried on the restarted actor
    assert np.array_equal(ray.get(actor.run.remote(x), timeout=TIMEOUT)[0], want)
    assert ray.get(actor.pid.remote(), timeout=TIMEOUT) != pid
    ray.kill(actor)


def test_node_removed_mid_run(ray_cluster: Any, image_dir: str, det_model: Any,
                              tmp_path: Any) -> None:
    graph, weights = det_model
    pid_dir = tmp_path / "nodes"
    pid_dir.mkdir()
    ray_cluster.add_node(num_cpus=1)  # 3 CPUs: two model actors and the reads
    ray_cluster.wait_for_nodes()

    class NodeModel(OnnxModel):
        def __init__(self, *, pid_dir: str, **kw: Any) -> None:
            node = ray.get_runtime_context().get_node_id()  # known before the slow part
            open(os.path.join(pid_dir, f"{node}_{os.getpid()}"), "w").close()
            super().__init__(**kw)

        def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
            time.sleep(0.2)  # keeps work queued at the actors when the node goes
            return super().__call__(batch)

    progress = [0]
    at_removal: List[int] = []
    removed: List[str] = []

    def remove_one() -> None:
        # the first non-head node an actor runs on (the head cannot be removed)
        deadline = time.monotonic() + TIMEOUT
        victims: List[Any] = []
        while not victims and time.monotonic() < deadline:
            actor_nodes = {f.split("_")[0] for f in os.listdir(pid_dir)}
            victims = [n for n in ray_cluster.worker_nodes if n.node_id in actor_nodes]
            time.sleep(0.05)
        at_removal.append(progress[0])
        if victims:
            removed.append(victims[0].node_id)
            ray_cluster.remove_node(victims[0])

    thread = threading.Thread(target=remove_one)
    ds = ray_pipeline.build(image_dir, graph, weights, workers=2, side=SIDE, batch_size=4,
                            model_cls=NodeModel, model_kwargs={"pid_dir": str(pid_dir)})
    try:
        rows = collect(ds, on_first=lambda n: thread.start(), progress=progress)
        thread.join()
    finally:
        # back to two nodes for the module's other tests
        for n in list(ray_cluster.worker_nodes):
            if len(ray_cluster.worker_nodes) > 1:
                ray_cluster.remove_node(n)
    assert removed, "no model actor ran outside the head node"
    assert at_removal[0] < IMAGES  # mid-run: rows were still to come
    assert [r["path"] for r in rows] == sorted(r["path"] for r in reference(image_dir))
    assert ray_pipeline.compare(rows, reference(image_dir)) == []


def test_pool_sizing_in_actors(ray_cluster: Any, det_model: Any) -> None:
    graph, weights = det_model
    assert worker_threads() == 1  # the driver has no CPU assignment
    big = ray_cluster.add_node(num_cpus=2)  # the only node an actor of 2 CPUs fits on
    ray_cluster.wait_for_nodes()
    try:
        x = det_input(5)
        want = original_output(x)
        for cpus in (1, 2):
            actor = ray.remote(OnnxModel).options(num_cpus=cpus).remote(graph, weights)
            assert ray.get(actor.threads_in_use.remote(), timeout=TIMEOUT) == {
                "scipix": cpus, "onnxruntime": cpus}
            # the thread count does not change a bit of the output
            assert np.array_equal(ray.get(actor.run.remote(x), timeout=TIMEOUT)[0], want)
            ray.kill(actor)
            pre = ray.remote(Preprocess).options(num_cpus=cpus).remote("ocr_det")

            @ray.remote(num_cpus=cpus)
            def task_threads() -> List[int]:
                return [worker_threads(), configure_threads(), scipix.get_num_threads()]

            assert ray.get(pre.__ray_call__.remote(lambda self: self.threads),
                           timeout=TIMEOUT) == cpus
            ray.kill(pre)  # frees the 2-CPU node for the task
            assert ray.get(task_threads.remote(), timeout=TIMEOUT) == [cpus, cpus, cpus]
    finally:
        ray_cluster.remove_node(big)


def test_handles_refuse_pickling_in_workers(ray_cluster: Any, det_model: Any) -> None:
    _, weights = det_model

    @ray.remote(num_cpus=1)
    def inside(path: str) -> List[str]:
        import pickle

        st = scipix.Safetensors(path)
        out = []
        for attempt in (lambda: pickle.dumps(st), lambda: ray.put(st)):
            try:
                attempt()
                out.append("pickled")
            except TypeError as e:
                out.append(str(e))
        out.append(str(len(st)))  # still usable
        return out

    msgs = ray.get(inside.remote(weights), timeout=TIMEOUT)
    assert len(msgs) == 3 and int(msgs[2]) > 100
    for m in msgs[:2]:
        assert "scipix.Safetensors wraps a C handle" in m and "open it in each worker" in m

    st = scipix.Safetensors(weights)
    with pytest.raises(TypeError) as e:
        inside.remote(st)
    chain, exc = [], e.value
    while exc is not None:
        chain.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    assert any("open it in each worker" in c for c in chain), chain


def test_onnx_model_shares_or_copies_weights_with_equal_outputs(det_model: Any) -> None:
    """Both weight modes give the original model's output bit for bit; the shared mode runs
    the session without prepacking, over ONNX Runtime's own read-only map of the file."""
    x = det_input(3)
    want = original_output(x)
    for share in (True, False):
        m = OnnxModel(*det_model, threads=1, share_weights=share)
        assert m.share_weights is share
        got = m.run(x)[0]
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want)
    m = OnnxModel(*det_model, threads=1)
    opts = m.session.get_session_options()
    assert opts.get_session_config_entry("session.disable_prepacking") == "1"
    maps = open("/proc/self/maps").read()
    assert os.path.realpath(det_model[1]) in maps


def test_onnx_model_refuses_a_graph_that_reads_other_bytes(det_model: Any, tmp_path: Any) -> None:
    """A graph whose external data points elsewhere than the tensor scipix validated (a
    shifted offset, another file) is refused before a session exists."""
    import onnx

    graph, weights = det_model
    m = onnx.load(graph, load_external_data=False)
    ext = [t for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert len(ext) > 100
    shutil.copy(weights, tmp_path / os.path.basename(weights))
    for e in ext[5].external_data:
        if e.key == "offset":
            e.value = str(int(e.value) + 4)
    bad = tmp_path / "shifted.onnx"
    onnx.save(m, str(bad))
    with pytest.raises(scipix.errors.InvalidArgument, match=ext[5].name):
        OnnxModel(str(bad), str(tmp_path / os.path.basename(weights)), threads=1)
    other = tmp_path / "other.safetensors"
    shutil.copy(weights, other)
    with pytest.raises(scipix.errors.InvalidArgument, match="not"):
        OnnxModel(graph, str(other), threads=1)
    # The copying mode does not read the graph's references: the given file's tensors win.
    got = OnnxModel(str(bad), str(tmp_path / os.path.basename(weights)), threads=1,
                    share_weights=False).run(det_input(4))[0]
    assert np.array_equal(got, original_output(det_input(4)))
