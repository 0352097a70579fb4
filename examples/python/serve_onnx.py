#!/usr/bin/env python3
"""Serve a small ONNX image model with scipix's batch queue and ONNX Runtime.

Client threads submit images (raw HxWx3 BGR bytes) to a scipix Batcher. A consumer pulls
batches, builds ONE NCHW float tensor for the whole batch with scipix's image-to-tensor
(zero copy from the queued bytes, BGR->RGB, torchvision normalization), runs the
onnxruntime session on it, and completes every ticket with its row of logits. At the end it
prints throughput, mean batch size and latency percentiles, then checks that every client
got the same output as running its image alone (numpy preprocessing, batch of one).

The model is built here with onnx.helper, with fixed random weights:
Conv(3->8, 3x3) -> Relu -> MaxPool(2) -> Conv(8->16, 3x3) -> Relu -> GlobalAveragePool ->
Flatten -> Gemm(16->10).

    python examples/python/serve_onnx.py --clients 8 --requests 100
"""
from __future__ import annotations

import argparse
import threading
import time
from typing import Dict, List

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import scipix

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CLASSES = 10


def build_model(seed: int = 0) -> bytes:
    """The serialized ONNX model (dynamic batch dimension "N", input 3 x H x W)."""
    rng = np.random.default_rng(seed)

    def w(name, *shape):
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.2).astype(np.float32), name)

    inits = [w("c1w", 8, 3, 3, 3), w("c1b", 8), w("c2w", 16, 8, 3, 3), w("c2b", 16),
             w("fcw", CLASSES, 16), w("fcb", CLASSES)]
    nodes = [
        helper.make_node("Conv", ["images", "c1w", "c1b"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2w", "c2b"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fcw", "fcb"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", CLASSES])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def make_session(model: bytes, threads: int = 1) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def reference_tensor(img: np.ndarray) -> np.ndarray:
    """torchvision ToTensor + Normalize on the RGB version of a BGR image, in numpy."""
    rgb = img[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    m = np.array(MEAN, np.float32)[:, None, None]
    s = np.array(STD, np.float32)[:, None, None]
    return ((rgb - m) / s)[None]


class Server:
    """The consumer side: scipix batches -> one NCHW tensor -> ONNX Runtime -> tickets."""

    def __init__(self, session: ort.InferenceSession, height: int, width: int, max_batch: int):
        self.session = session
        self.h, self.w = height, width
        # one reusable tensor buffer per consumer thread (the batch fills its first rows)
        self._local = threading.local()
        self.max_batch = max_batch

    def _buffer(self) -> np.ndarray:
        buf = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = np.empty((self.max_batch, 3, self.h, self.w), np.float32)
        return buf

    def __call__(self, inputs: List[np.ndarray]) -> List[bytes]:
        images = [x.reshape(self.h, self.w, 3) for x in inputs]  # views of the queued bytes
        tensor = scipix.images_to_tensor(
            images, "bgr", swap_rb=True, **scipix.tensor.torchvision(MEAN, STD),
            out=self._buffer()[: len(images)])
        logits = self.session.run(None, {"images": tensor})[0]
        return [row.tobytes() for row in logits]


def run(clients: int = 8, requests: int = 50, inflight: int = 2, max_batch: int = 16,
        max_wait_ms: int = 5, size: int = 64, consumers: int = 1, mode: str = "loop",
        ort_threads: int = 1, seed: int = 0, verbose: bool = True) -> Dict[str, float]:
    """Runs the whole example and returns its figures; raises AssertionError if any client's
    output differs from running its image alone."""
    model = build_model(seed)
    session = make_session(model, ort_threads)
    server = Server(session, size, size, max_batch)
    q = scipix.Batcher(max_batch_size=max_batch, max_wait_ms=max_wait_ms,
                       preferred_batch_size=max_batch, max_queue_size=max(1000, clients * inflight))
    threads = []
    if mode == "loop":
        threads = [threading.Thread(target=q.serve, args=(server,), name=f"consumer{i}")
                   for i in range(consumers)]
        for t in threads:
            t.start()
    elif mode == "callback":
        q.start_workers(consumers, server)
    else:
        raise ValueError(f"mode must be loop or callback, not {mode!r}")

    images: Dict[int, List[np.ndarray]] = {}
    outputs: Dict[int, List[np.ndarray]] = {}
    latencies: List[float] = []
    lock = threading.Lock()
    errors: List[BaseException] = []

    def client(k: int) -> None:
        try:
            rng = np.random.default_rng(seed * 1000 + k)
            mine = [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(requests)]
            outs: List[np.ndarray] = [None] * requests  # type: ignore[list-item]
            lat = []
            pending = []  # (index, ticket, submit time)
            nxt = 0
            while nxt < requests or pending:
                while nxt < requests and len(pending) < inflight:
                    pending.append((nxt, q.submit(mine[nxt]), time.perf_counter()))
                    nxt += 1
                i, t, t0 = pending.pop(0)
                outs[i] = np.frombuffer(q.result(t, timeout=120), np.float32)
                lat.append(time.perf_counter() - t0)
            with lock:
                images[k], outputs[k] = mine, outs
                latencies.extend(lat)
        except BaseException as e:  # reported below
            errors.append(e)

    start = time.perf_counter()
    cts = [threading.Thread(target=client, args=(k,), name=f"client{k}") for k in range(clients)]
    for t in cts:
        t.start()
    for t in cts:
        t.join()
    elapsed = time.perf_counter() - start
    q.shutdown("drain")
    for t in threads:
        t.join()
    stats = q.stats()
    q.close()
    if errors:
        raise errors[0]

    # every client's result equals its image run alone (numpy preprocessing, batch of 1)
    max_diff = 0.0
    exact = 0
    for k in range(clients):
        for img, out in zip(images[k], outputs[k]):
            alone = session.run(None, {"images": reference_tensor(img)})[0][0]
            diff = float(np.max(np.abs(alone - out)))
            max_diff = max(max_diff, diff)
            exact += bool(np.array_equal(alone, out))
            np.testing.assert_allclose(out, alone, rtol=1e-5, atol=1e-5)

    total = clients * requests
    lat_ms = np.array(latencies) * 1000
    figures = {
        "requests": total,
        "seconds": elapsed,
        "throughput_rps": total / elapsed,
        "mean_batch_size": stats.mean_batch_size,
        "batches": stats.batches,
        "latency_p50_ms": float(np.percentile(lat_ms, 50)),
        "latency_p99_ms": float(np.percentile(lat_ms, 99)),
        "queue_wait_p50_ms": stats.queue_wait_p50_ms,
        "queue_wait_p99_ms": stats.queue_wait_p99_ms,
        "exact_matches": exact,
        "max_abs_diff": max_diff,
    }
    assert stats.completed == total and stats.failed == 0 and stats.timed_out == 0
    if verbose:
        print(f"scipix {scipix.version()} ({scipix.isa_name(scipix.active_isa())}), "
              f"onnxruntime {ort.__version__}; {clients} clients x {requests} requests of "
              f"{size}x{size} BGR images, {inflight} in flight each; max batch {max_batch}, "
              f"max wait {max_wait_ms} ms, {consumers} consumer(s) ({mode})")
        print(f"throughput      {figures['throughput_rps']:9.1f} requests/s "
              f"({total} in {elapsed:.2f} s)")
        print(f"mean batch size {figures['mean_batch_size']:9.2f} ({stats.batches} batches)")
        print(f"latency         p50 {figures['latency_p50_ms']:.2f} ms, "
              f"p99 {figures['latency_p99_ms']:.2f} ms "
              f"(queue wait p50 {stats.queue_wait_p50_ms:.2f} ms, p99 {stats.queue_wait_p99_ms:.2f} ms)")
        print(f"check           all {total} outputs equal their image run alone "
              f"({exact} bit for bit, max |diff| {max_diff:.2e})")
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=100, help="per client")
    ap.add_argument("--inflight", type=int, default=2, help="requests in flight per client")
    ap.add_argument("--max-batch", type=int, default=16)
    ap.add_argument("--max-wait-ms", type=int, default=5)
    ap.add_argument("--size", type=int, default=64, help="image height and width")
    ap.add_argument("--consumers", type=int, default=1)
    ap.add_argument("--mode", choices=["loop", "callback"], default="loop",
                    help="Python consumer threads (loop) or scipix worker threads (callback)")
    ap.add_argument("--ort-threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    run(a.clients, a.requests, a.inflight, a.max_batch, a.max_wait_ms, a.size, a.consumers,
        a.mode, a.ort_threads, a.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
