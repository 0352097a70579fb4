"""scipix.ray_serve under Ray Serve, over HTTP on 127.0.0.1: every reply equals the scipix
call made locally bit for bit, a corrupt image gets HTTP 400 with scipix's message, the
model variant returns the ONNX Runtime output of the same tensor, and a cv2 deployment doing
the same work (cv2.imdecode + the Ultralytics letterbox + blobFromImage) answers the same
bits. Then a bounded load (192 requests per deployment, 3 client threads with keep-alive
connections, the two deployments alternated in rounds) prints p50 / p99 latency and
throughput of each; speed is printed, not asserted."""
from __future__ import annotations

import http.client
import socket
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
import pytest

# Imported outright: scripts/test.sh installs Ray with its Serve extra, so a missing one
# fails the run instead of skipping the test.
import cv2  # noqa: E402
import ray  # noqa: E402
from ray import serve  # noqa: E402

import scipix.codec  # noqa: E402
import scipix.ray_serve as rs  # noqa: E402
from scipix.errors import ScipixError  # noqa: E402

REQUESTS = 192  # per deployment in the load phase: 4 rounds x 3 threads x 16
THREADS = 3
ROUNDS = 4


def ultralytics_blob(bgr: np.ndarray, side: int = 640) -> np.ndarray:
    """Ultralytics LetterBox (centred, pad 114) + blobFromImage(1/255, swapRB)."""
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


class Cv2Endpoint:
    """The comparison replica: the same reply format as scipix.ray_serve.TensorEndpoint."""

    def __init__(self) -> None:
        cv2.setNumThreads(1)

    async def __call__(self, request: Any) -> Any:
        from starlette.responses import Response

        img = cv2.imdecode(np.frombuffer(await request.body(), np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            return Response("cv2.imdecode failed", status_code=400)
        t = ultralytics_blob(img)
        return Response(t.tobytes(), media_type="application/octet-stream",
                        headers={"X-Scipix-Shape": ",".join(map(str, t.shape))})


def frames() -> List[bytes]:
    """Four camera-sized JPEGs (1280x720, 1920x1080) with smooth structure and noise."""
    rng = np.random.default_rng(27)
    out = []
    for w, h in [(1280, 720), (1920, 1080), (1280, 720), (1920, 1080)]:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([128 + 100 * np.sin(x / rng.uniform(20, 90) + c) *
                         np.cos(y / rng.uniform(20, 90)) for c in range(3)], -1)
        img = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        out.append(buf.tobytes())
    return out


def classifier(path: str) -> None:
    """A small classifier on the 640 letterbox tensor: Conv 3->8 (8x8, stride 8), ReLU,
    global average pool, Gemm 8->5, Softmax."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((8, 3, 8, 8)).astype(np.float32) * 0.1, "w")
    g = numpy_helper.from_array(rng.standard_normal((5, 8)).astype(np.float32), "g")
    nodes = [helper.make_node("Conv", ["images", "w"], ["c"], strides=[8, 8]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("Gemm", ["f", "g"], ["z"], transB=1),
             helper.make_node("Softmax", ["z"], ["probs"], axis=1)]
    graph = helper.make_graph(
        nodes, "classifier",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 5])], [w, g])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, str]]:
    """(base URL, ONNX model path) of a Serve instance with /scipix, /cv2 and /model."""
    own = not ray.is_initialized()
    if own:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    # The workers cannot import this test file by name: ship Cv2Endpoint by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    model = str(tmp_path_factory.mktemp("serve") / "classifier.onnx")
    classifier(model)
    port = free_port()
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(rs.application("letterbox", name="scipix", num_cpus=0.5),
                  name="scipix", route_prefix="/scipix")
        cv = serve.deployment(Cv2Endpoint, name="cv2", ray_actor_options={"num_cpus": 0.5},
                              max_ongoing_requests=8)
        serve.run(cv.bind(), name="cv2", route_prefix="/cv2")
        serve.run(rs.application("letterbox", name="model", num_cpus=0, model=model),
                  name="model", route_prefix="/model")
        yield f"http://127.0.0.1:{port}", model
    finally:
        serve.shutdown()
        if own:
            ray.shutdown()


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


def test_replies_equal_the_local_call(served: Tuple[str, str]) -> None:
    url, _ = served
    for data in frames():
        want, info = scipix.codec.decode_letterbox_to_tensor(data, 640)
        got, headers = rs.post(url + "/scipix", data)
        assert got.shape == (1, 3, 640, 640)
        assert np.array_equal(bits(got), bits(want))
        lb = info.letterbox
        assert lb is not None
        assert headers["x-scipix-letterbox"] == f"{lb.scale_x!r},{lb.scale_y!r},{lb.left},{lb.top}"
        cv, _ = rs.post(url + "/cv2", data)
        assert np.array_equal(bits(cv), bits(want))  # exact mode is the cv2 chain's bits


def test_corrupt_image_is_400_with_scipix_message(served: Tuple[str, str]) -> None:
    url, _ = served
    good = frames()[0]
    for bad in [good[:100] + b"x" * 50, b"not an image at all", good[: len(good) // 3]]:
        with pytest.raises(ScipixError) as local:
            scipix.codec.decode_letterbox_to_tensor(bad, 640)
        with pytest.raises(rs.HttpError) as remote:
            rs.post(url + "/scipix", bad)
        assert remote.value.status == 400
        assert remote.value.message == str(local.value)
        assert remote.value.message.startswith("SCIPIX_ERR_")
    with pytest.raises(rs.HttpError) as empty:
        rs.post(url + "/scipix", b"")
    assert empty.value.status == 400


def test_model_reply_is_the_onnx_output(served: Tuple[str, str]) -> None:
    import onnxruntime as ort

    url, model = served
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1  # as the replica's session (threads=1)
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    for data in frames()[:2]:
        t, _ = scipix.codec.decode_letterbox_to_tensor(data, 640)
        want = sess.run(None, {"images": t})[0]
        got, headers = rs.post(url + "/model", data)
        assert headers["x-scipix-shape"] == "1,5"
        # Same graph, same input, same ONNX Runtime and thread count: the same bits.
        assert np.array_equal(bits(got), bits(want))
        assert abs(float(got.sum()) - 1.0) < 1e-5


def _load(url: str, route: str, items: List[Tuple[bytes, bytes]], n: int,
          latencies: List[float], errors: List[str]) -> None:
    """One client thread: n requests over a keep-alive connection, each reply checked."""
    host, port = url.split("//")[1].split(":")
    conn: Optional[http.client.HTTPConnection] = None
    for i in range(n):
        data, want = items[i % len(items)]
        if conn is None:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
        t = time.perf_counter()
        conn.request("POST", route, body=data,
                     headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        body = r.read()
        latencies.append(time.perf_counter() - t)
        if r.status != 200 or body != want:
            errors.append(f"{route} #{i}: HTTP {r.status}, {len(body)} bytes")
        if r.getheader("connection", "").lower() == "close":
            conn.close()
            conn = None
    if conn is not None:
        conn.close()


def test_load_scipix_and_cv2_alternated(served: Tuple[str, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = served
    items = [(d, scipix.codec.decode_letterbox_to_tensor(d, 640)[0].tobytes()) for d in frames()]
    lat: Dict[str, List[float]] = {"/scipix": [], "/cv2": []}
    wall: Dict[str, float] = {"/scipix": 0.0, "/cv2": 0.0}
    errors: List[str] = []
    per_thread = REQUESTS // ROUNDS // THREADS
    for rnd in range(ROUNDS):
        order = ["/scipix", "/cv2"] if rnd % 2 == 0 else ["/cv2", "/scipix"]
        for route in order:
            threads = [threading.Thread(target=_load,
                                        args=(url, route, items, per_thread, lat[route], errors))
                       for _ in range(THREADS)]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall[route] += time.perf_counter() - t
    assert errors == []
    n = per_thread * THREADS * ROUNDS
    assert all(len(v) == n for v in lat.values())
    with capsys.disabled():
        print(f"\nServe, letterbox 640 tensor replies (4.9 MB) for 1280x720 / 1920x1080 JPEGs, "
              f"{n} requests per deployment, {THREADS} client threads, 1 replica each:")
        for route, name in (("/scipix", "scipix"), ("/cv2", "cv2")):
            ms = np.array(lat[route]) * 1e3
            print(f"  {name:6s} p50 {np.percentile(ms, 50):6.1f} ms  p99 "
                  f"{np.percentile(ms, 99):6.1f} ms  {n / wall[route]:6.1f} images/s")


def test_endpoint_compute_without_serve() -> None:
    """The replica's work called directly: the classify pipeline and the argument checks."""
    data = frames()[1]
    ep = rs.TensorEndpoint("classify", resize_short=256, crop=224, threads=None)  # keep the pool
    got, headers = ep.compute(data)
    want, _ = scipix.codec.decode_classify_to_tensor(data, 256, 224)
    assert got.shape == (1, 3, 224, 224) and headers == {}
    assert np.array_equal(bits(got), bits(want))
    reduced, headers = rs.TensorEndpoint("letterbox", mode="reduced", threads=None).compute(data)
    want, _ = scipix.codec.decode_letterbox_to_tensor(data, 640, mode="reduced")
    assert np.array_equal(bits(reduced), bits(want))
    # 1920x1080 decoded at 1/2 (960x540) to 640x360: 140 rows of padding on top
    assert headers["X-Scipix-Letterbox"].endswith(",0,140")
    with pytest.raises(ValueError, match="pipeline must be one of"):
        rs.TensorEndpoint("sharpen")
    body = np.arange(6, dtype="<f4").tobytes()
    assert np.array_equal(rs.from_reply(body, {"X-Scipix-Shape": "2,3"}),
                          np.arange(6, dtype=np.float32).reshape(2, 3))
