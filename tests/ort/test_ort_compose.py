"""scipix.ort.add_preprocessing / add_nms on a real ONNX model: the combined model run in
ONNX Runtime equals running scipix first and then the original model, bit for bit.

Library path: $SCIPIX_ORT_LIB, else target/release/libscipix_ort.so.
"""
import io
import os
import pathlib
from typing import Any, List

import importlib.util
import numpy as np
import pytest

import scipix

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
Image = pytest.importorskip("PIL.Image")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB = os.environ.get("SCIPIX_ORT_LIB", str(ROOT / "target" / "release" / "libscipix_ort.so"))



def _helper_module() -> Any:
    """scipix.ort of the repository (python/scipix/ort.py: pure Python, no native code), so
    the test checks this tree's helper even when an older scipix package is installed."""
    spec = importlib.util.spec_from_file_location("scipix_ort_source",
                                                  ROOT / "python" / "scipix" / "ort.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scipix_ort = _helper_module()

if not pathlib.Path(LIB).exists():
    pytest.fail(f"{LIB} not found: build it with `cargo build --release -p scipix-ort`",
                pytrace=False)


def _conv_relu(size: int = 640) -> Any:
    """A small detector-like model: Conv 3->4 (3x3, stride 2) + ReLU on [1, 3, size, size],
    then a global average pool, with fixed random weights."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.2, (4, 3, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.1, 4).astype(np.float32)
    nodes = [helper.make_node("Conv", ["images", "w", "b"], ["c"], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["features"]),
             helper.make_node("GlobalAveragePool", ["features"], ["pooled"])]
    graph = helper.make_graph(
        nodes, "conv_relu",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT,
                                       [1, 4, size // 2, size // 2]),
         helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, 4, 1, 1])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 9
    onnx.checker.check_model(m)
    return m


def _session(model: Any, custom: bool = True) -> Any:
    so = ort.SessionOptions()
    if custom:
        so.register_custom_ops_library(LIB)
    so.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])


def _photo(w: int, h: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 17), 255 * x / (w - 1), 255 * y / (h - 1)], -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a.view(np.uint32), b.view(np.uint32)))


def test_library_path_is_the_environment_variable(monkeypatch: Any) -> None:
    monkeypatch.setenv("SCIPIX_ORT_LIB", "/x/libscipix_ort.so")
    assert scipix_ort.library_path() == "/x/libscipix_ort.so"
    monkeypatch.delenv("SCIPIX_ORT_LIB")
    assert scipix_ort.library_path() is None


def test_letterbox_preprocessing_equals_scipix_then_the_model(tmp_path: pathlib.Path) -> None:
    model = _conv_relu()
    out = tmp_path / "combined.onnx"
    combined = scipix_ort.add_preprocessing(model, "LetterboxToTensor", width=640, height=640,
                                            output_path=out)
    assert out.exists() and onnx.load(str(out)) == combined
    assert [i.name for i in combined.graph.input] == ["image"]
    assert [o.name for o in combined.graph.output] == ["features", "pooled", "geometry"]
    assert len(model.graph.node) == 3  # the input model is not modified
    sess, plain = _session(combined), _session(model, custom=False)
    for w, h in [(1280, 720), (333, 517)]:
        rgb = _photo(w, h)
        features, pooled, geometry = sess.run(None, {"image": rgb})
        tensor, info = scipix.letterbox_to_tensor(rgb, 640, "rgb")
        want_f, want_p = plain.run(None, {"images": tensor})
        assert _bits_equal(features, want_f) and _bits_equal(pooled, want_p)
        assert np.array_equal(geometry, np.array(
            [info.scale_x, info.scale_y, info.left, info.top, info.right, info.bottom],
            np.float32))


def test_decode_preprocessing_takes_the_jpeg_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "model.onnx"
    onnx.save(_conv_relu(), str(path))
    combined = scipix_ort.add_preprocessing(path, "DecodeLetterboxToTensor",
                                            attrs={"width": 640, "height": 640},
                                            input_name="jpeg")
    buf = io.BytesIO()
    Image.fromarray(_photo(800, 600)).save(buf, "JPEG", quality=90)
    data = np.frombuffer(buf.getvalue(), np.uint8)
    features, pooled, _ = _session(combined).run(None, {"jpeg": data})
    tensor, _ = scipix.decode_letterbox_to_tensor(buf.getvalue(), 640)
    want_f, want_p = _session(_conv_relu(), custom=False).run(None, {"images": tensor})
    assert _bits_equal(features, want_f) and _bits_equal(pooled, want_p)


def test_classify_and_image_to_tensor_preprocessing() -> None:
    model = _conv_relu(224)
    rgb = _photo(300, 257)
    combined = scipix_ort.add_preprocessing(model, "ClassifyToTensor")
    got: List[np.ndarray] = _session(combined).run(None, {"image": rgb})
    want = _session(model, custom=False).run(
        None, {"images": scipix.classify_to_tensor(rgb, 256, 224, "rgb")})
    assert len(got) == 2 and all(_bits_equal(g, w) for g, w in zip(got, want))
    small = _photo(224, 224)
    combined2 = scipix_ort.add_preprocessing(model, "ImageToTensor", divisor=255.0,
                                             mean=[0.5], std=[0.25])
    got2 = _session(combined2).run(None, {"image": small})
    want2 = _session(model, custom=False).run(None, {"images": scipix.image_to_tensor(
        small, "rgb", divisor=255.0, mean=[0.5] * 3, std=[0.25] * 3)})
    assert all(_bits_equal(g, w) for g, w in zip(got2, want2))


def test_add_nms_appends_the_kept_indices() -> None:
    # A "detector" whose outputs are its inputs: boxes [N, 4] and scores [N].
    graph = helper.make_graph(
        [helper.make_node("Identity", ["b_in"], ["boxes"]),
         helper.make_node("Identity", ["s_in"], ["scores"])], "det",
        [helper.make_tensor_value_info("b_in", TensorProto.FLOAT, ["n", 4]),
         helper.make_tensor_value_info("s_in", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["n", 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["n"])])
    det = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    det.ir_version = 9
    rng = np.random.default_rng(1)
    b = np.concatenate([rng.uniform(0, 300, (80, 2)), rng.uniform(10, 80, (80, 2))],
                       1).astype(np.float32)
    s = rng.uniform(0, 1, 80).astype(np.float32)
    with_nms = scipix_ort.add_nms(det, "boxes", "scores", score_threshold=0.3,
                                  nms_threshold=0.45)
    _, _, keep = _session(with_nms).run(None, {"b_in": b, "s_in": s})
    assert keep.tolist() == list(scipix.detect.nms_boxes(b, s, 0.3, 0.45))
    assert 0 < len(keep) < 80


def test_helper_errors() -> None:
    model = _conv_relu(32)
    with pytest.raises(ValueError, match="op must be one of"):
        scipix_ort.add_preprocessing(model, "Resize")
    with pytest.raises(ValueError, match="no input 'x'"):
        scipix_ort.add_preprocessing(model, model_input="x")
    with pytest.raises(ValueError, match="already used"):
        scipix_ort.add_preprocessing(model, input_name="features")
    with pytest.raises(ValueError, match="no tensor"):
        scipix_ort.add_nms(model, "boxes", "scores", score_threshold=0.1, nms_threshold=0.5)
    with pytest.raises(ValueError, match="BatchedNms"):
        scipix_ort.add_nms(model, "features", "pooled", classes="c")
