"""A short run of examples/python/serve_onnx.py: scipix batch queue + image-to-tensor feeding
an ONNX Runtime session; every client must get the output of its image run alone."""
from typing import Any
import importlib.util

import pytest

from conftest import ROOT, requires

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

pytestmark = requires("scipix_batcher_new", "scipix_batcher_start_workers",
                      "scipix_images_to_tensor")

EXAMPLE = ROOT / "examples" / "python" / "serve_onnx.py"


@pytest.fixture(scope="module")
def serve_onnx() -> Any:
    spec = importlib.util.spec_from_file_location("serve_onnx", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("mode,consumers", [("loop", 1), ("loop", 2), ("callback", 2)])
def test_short_run(serve_onnx: Any, mode: Any, consumers: Any, capsys: pytest.CaptureFixture[str]) -> None:
    figures = serve_onnx.run(clients=4, requests=12, inflight=3, max_batch=8, max_wait_ms=3,
                             size=32, consumers=consumers, mode=mode)
    assert figures["requests"] == 48
    assert 1 <= figures["mean_batch_size"] <= 8
    assert figures["latency_p50_ms"] <= figures["latency_p99_ms"]
    assert figures["max_abs_diff"] <= 1e-5
    out = capsys.readouterr().out
    for word in ("throughput", "mean batch size", "p50", "p99", "equal their image run alone"):
        assert word in out


def test_model_is_a_real_onnx_cnn(serve_onnx: Any) -> None:
    import onnx

    model = onnx.load_from_string(serve_onnx.build_model(0))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Conv") == 2 and "Relu" in ops and "MaxPool" in ops
