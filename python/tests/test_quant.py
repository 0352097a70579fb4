"""Quantization through the Python package: bit-exact with ONNX Runtime's QuantizeLinear /
DequantizeLinear (per tensor, per axis, blocked), parameters, quantized tensors,
calibration and metrics."""
import math

import numpy as np
import pytest

import scipix
from scipix import quant
from conftest import requires
from numpy.random import Generator
from typing import Any, Callable, Dict, Optional

pytestmark = requires("scipix_quantize_linear", "scipix_dequantize_linear",
                      "scipix_quantize_params_from_range")

NP = {"int8": np.int8, "uint8": np.uint8}


def _ort_session(node: Any, x_shape: Any, x_type: Any, y_type: Any, inits: Any, opset: Any) -> Any:
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import helper

    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", x_type, list(x_shape))],
        [helper.make_tensor_value_info("y", y_type, list(x_shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    del onnx
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def ort_q(x: Any, scale: Any, zp: Any, dtype: Any, axis: Any=None, block_size: Optional[int]=None, dequant: bool=False) -> Any:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    tp = {"int8": TensorProto.INT8, "uint8": TensorProto.UINT8}[dtype]
    attrs, opset = {}, 13
    if axis is not None:
        attrs["axis"] = axis
    if block_size is not None:
        attrs["block_size"] = block_size
        opset = 21
    op = "DequantizeLinear" if dequant else "QuantizeLinear"
    node = helper.make_node(op, ["x", "s", "z"], ["y"], **attrs)
    inits = [numpy_helper.from_array(np.asarray(scale, np.float32), "s"),
             numpy_helper.from_array(np.asarray(zp, NP[dtype]), "z")]
    xt, yt = (tp, TensorProto.FLOAT) if dequant else (TensorProto.FLOAT, tp)
    return _ort_session(node, x.shape, xt, yt, inits, opset).run(None, {"x": x})[0]


def edge_values(rng: Generator, n: int=4099) -> Any:
    x = (rng.standard_normal(n) * 300).astype(np.float32)
    special = [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.5, 128.5, -128.5,
               -129.5, 1e30, -1e30, np.inf, -np.inf]
    x[: len(special)] = special
    return x


@pytest.mark.parametrize("dtype,zp", [("int8", 0), ("int8", -7), ("uint8", 128), ("uint8", 3)])
def test_per_tensor_equals_onnxruntime_on_every_isa(dtype: Any, zp: Any, rng: Generator, each_isa: Callable[[Callable[[], Any]], Dict[Any, Any]]) -> None:
    x = edge_values(rng)
    want = ort_q(x, 1.0, zp, dtype)
    for isa, got in each_isa(lambda: quant.quantize(x, 1.0, zp, dtype)).items():
        assert got.dtype == NP[dtype]
        np.testing.assert_array_equal(got, want, err_msg=str(isa))
    q = quant.quantize(x, 0.37, zp, dtype)
    np.testing.assert_array_equal(q, ort_q(x, 0.37, zp, dtype))
    np.testing.assert_array_equal(quant.dequantize(q, 0.37, zp),
                                  ort_q(q, 0.37, zp, dtype, dequant=True))


def test_nan_gives_the_documented_value() -> None:
    x = np.array([np.nan, 1.0], np.float32)
    assert quant.quantize(x, 1.0, 0, "int8")[0] == -128
    assert quant.quantize(x, 1.0, 5, "uint8")[0] == 0


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_per_axis_equals_onnxruntime(axis: Any, rng: Generator) -> None:
    x = (rng.standard_normal((4, 5, 6)) * 10).astype(np.float32)
    c = x.shape[axis]
    scales = rng.uniform(0.01, 0.2, c).astype(np.float32)
    zps = rng.integers(-20, 20, c).astype(np.int8)
    q = quant.quantize(x, scales, zps, "int8", axis=axis)
    np.testing.assert_array_equal(q, ort_q(x, scales, zps, "int8", axis=axis % 3))
    np.testing.assert_array_equal(quant.dequantize(q, scales, zps, axis=axis),
                                  ort_q(q, scales, zps, "int8", axis=axis % 3, dequant=True))


def test_blocked_equals_onnxruntime_opset21(rng: Generator) -> None:
    x = (rng.standard_normal((3, 70)) * 5).astype(np.float32)
    nb = math.ceil(70 / 32)
    scales = rng.uniform(0.01, 0.1, (3, nb)).astype(np.float32)
    zps = rng.integers(0, 255, (3, nb)).astype(np.uint8)
    q = quant.quantize(x, scales, zps, "uint8", block_size=32)
    pytest.importorskip("onnxruntime")
    try:
        want = ort_q(x, scales, zps, "uint8", axis=1, block_size=32)
    except Exception as e:  # an onnxruntime without opset-21 blocked quantization
        pytest.skip(f"onnxruntime cannot run blocked QuantizeLinear: {e}")
    np.testing.assert_array_equal(q, want)
    np.testing.assert_array_equal(
        quant.dequantize(q, scales, zps, block_size=32),
        ort_q(q, scales, zps, "uint8", axis=1, block_size=32, dequant=True))


def test_params_follow_onnxruntime_formulas(rng: Generator) -> None:
    # compute_scale_zp: range widened to 0, scale in double stored as float
    s, z = quant.params_from_range(-1.0, 3.0, "uint8")
    assert s == np.float32((3.0 + 1.0) / 255) and z == round(0 - (-1.0) / s)
    s, z = quant.params_from_range(0.5, 2.0, "int8", "symmetric")
    assert z == 0 and s == np.float32(2.0 * 2 / 254)
    assert quant.params_from_range(0.0, 0.0, "int8") == (1.0, 0)
    x = rng.standard_normal(1000).astype(np.float32)
    assert quant.params_from_data(x, "uint8") == quant.params_from_range(x.min(), x.max(), "uint8")
    w = rng.standard_normal((8, 16)).astype(np.float32)
    scales, zps = quant.params_axis(w, 0, "int8", "symmetric")
    for c in range(8):
        assert (scales[c], zps[c]) == quant.params_from_data(w[c], "int8", "symmetric")
    with pytest.raises(scipix.InvalidArgument):
        quant.params_from_range(2.0, 1.0)
    with pytest.raises(scipix.InvalidArgument):
        quant.params_from_range(0.0, float("inf"))
    with pytest.raises(scipix.InvalidArgument):
        quant.params_from_range(0.0, 1.0, mode="log")
    with pytest.raises(scipix.UnsupportedFormat):
        quant.params_from_range(0.0, 1.0, dtype="int4")


@requires("scipix_qtensor_quantize")
@pytest.mark.parametrize("gran,kw", [("per_tensor", {}), ("per_axis", {"axis": 0}),
                                     ("blocked", {"block_size": 16})])
def test_qtensor(gran: Any, kw: Any, rng: Generator) -> None:
    w = rng.standard_normal((32, 48)).astype(np.float32)
    t = quant.QTensor(w, "int8", "symmetric", granularity=gran, **kw)
    assert t.shape == (32, 48) and t.dtype == np.int8 and t.nbytes == w.size
    name, axis, block = t.granularity
    assert name == gran and axis == kw.get("axis", 0) and block == kw.get("block_size", 0)
    n_params = {"per_tensor": 1, "per_axis": 32, "blocked": 32 * 3}[gran]
    assert t.scales.shape == (n_params,) and t.zero_points.shape == (n_params,)
    assert t.compression_ratio == pytest.approx(4 * w.size / (w.size + 5 * n_params))
    data = t.data
    assert not data.flags.writeable
    # the handle's bytes equal the functional API with the handle's parameters
    if gran == "per_tensor":
        want = quant.quantize(w, t.scales[0], t.zero_points[0], "int8")
        deq = quant.dequantize(data, t.scales[0], t.zero_points[0])
    elif gran == "per_axis":
        want = quant.quantize(w, t.scales, t.zero_points, "int8", axis=0)
        deq = quant.dequantize(data, t.scales, t.zero_points, axis=0)
    else:
        want = quant.quantize(w, t.scales.reshape(32, 3), t.zero_points, "int8", block_size=16)
        deq = quant.dequantize(data, t.scales, t.zero_points, block_size=16)
    np.testing.assert_array_equal(data, want)
    np.testing.assert_array_equal(t.dequantize(), deq)
    del t  # views keep the tensor alive
    np.testing.assert_array_equal(data, want)
    assert quant.sqnr_db(w, deq) > 30


@requires("scipix_calibrator_new")
def test_calibrators(rng: Generator) -> None:
    batches = [(rng.standard_normal((16, 4)) * [1, 2, 3, 4]).astype(np.float32) for _ in range(5)]
    allx = np.concatenate(batches)
    mm = quant.Calibrator("minmax", dtype="uint8")
    for b in batches:
        mm.observe(b)
    lo, hi = mm.range()
    assert mm.channels == 1 and lo[0] == allx.min() and hi[0] == allx.max()
    s, z = mm.compute()
    assert (s[0], z[0]) == quant.params_from_range(allx.min(), allx.max(), "uint8")
    pc = quant.Calibrator("minmax", per_channel=True, axis=1, dtype="int8", mode="symmetric")
    for b in batches:
        pc.observe(b)
    lo, hi = pc.range()
    np.testing.assert_array_equal(lo, allx.min(axis=0))
    np.testing.assert_array_equal(hi, allx.max(axis=0))
    pct = quant.Calibrator("percentile", percentile=99.0, mode="symmetric")
    for b in batches:
        pct.observe(b)
    lo, hi = pct.range()
    assert 0 < hi[0] <= np.abs(allx).max() and lo[0] == -hi[0]
    mse_cal = quant.Calibrator("mse", mode="symmetric")
    mse_cal.observe(allx)
    s, z = mse_cal.compute()
    assert s[0] > 0 and z[0] == 0
    with pytest.raises(scipix.InvalidState):
        quant.Calibrator().range()  # nothing observed
    with pytest.raises(scipix.InvalidArgument):
        quant.Calibrator("percentile", percentile=101)
    with pytest.raises(scipix.InvalidArgument):
        quant.Calibrator("kl")
    assert {"minmax", "percentile", "mse"} <= set(quant._methods())
    with pytest.raises(scipix.InvalidArgument):
        pc.observe(np.zeros((2, 5), np.float32))  # channel count changed


@requires("scipix_sqnr_db", "scipix_quantization_mse")
def test_metrics(rng: Generator) -> None:
    x = rng.uniform(-1, 1, 100_000).astype(np.float32)
    s, z = quant.params_from_range(-1, 1, "int8", "symmetric")
    y = quant.dequantize(quant.quantize(x, s, z, "int8"), s, z)
    err = x.astype(np.float64) - y
    assert quant.mse(x, y) == pytest.approx(np.mean(err ** 2), rel=1e-12)
    want = 10 * math.log10(np.sum(x.astype(np.float64) ** 2) / np.sum(err ** 2))
    assert quant.sqnr_db(x, y) == pytest.approx(want, rel=1e-12)
    assert 40 < quant.sqnr_db(x, y) < 50  # about 6.02*8 - 1.2 dB for this range use
    assert quant.sqnr_db(x, x) == math.inf
    assert quant.sqnr_db(np.zeros(4), np.ones(4)) == -math.inf
    assert quant.mse([], []) == 0.0
    with pytest.raises(scipix.InvalidArgument):
        quant.mse(x, x[:10])


def test_bad_input_raises_and_writes_nothing(rng: Generator) -> None:
    x = rng.standard_normal(100).astype(np.float32)
    out = np.full(100, 7, np.int8)
    for scale, zp, dtype in [(0.0, 0, "int8"), (-1.0, 0, "int8"), (float("nan"), 0, "int8"),
                             (1.0, 200, "int8"), (1.0, -1, "uint8")]:
        with pytest.raises(scipix.InvalidArgument):
            quant.quantize(x, scale, zp, dtype, out=out if dtype == "int8" else None)
    assert (out == 7).all()
    with pytest.raises(scipix.InvalidArgument):
        quant.quantize(x.reshape(10, 10), np.ones(3), np.zeros(3), axis=0)  # wrong length
    with pytest.raises(scipix.InvalidArgument):
        quant.quantize(x.reshape(10, 10), np.ones(10), np.zeros(10), axis=2)
    with pytest.raises(scipix.InvalidArgument):
        quant.quantize(x, np.ones(3), 0)  # arrays without axis
    with pytest.raises(scipix.UnsupportedFormat):
        quant.dequantize(np.zeros(3, np.int16), 1.0, 0)
    with pytest.raises(scipix.InvalidArgument):
        quant.quantize(x.reshape(10, 10), np.ones((10, 1)), np.zeros(10), block_size=0)


def _ort_histogram_range(method: Any, xs: Any, symmetric: Any, percentile: float=99.999) -> Any:
    pytest.importorskip("onnxruntime")
    import contextlib
    import io

    from onnxruntime.quantization.calibrate import HistogramCollector

    ref = HistogramCollector(method=method, symmetric=symmetric, num_bins=2048,
                             num_quantized_bins=128, percentile=percentile, scenario="same")
    with contextlib.redirect_stdout(io.StringIO()):
        for x in xs:
            ref.collect({"t": x})
        lo, hi = ref.compute_collection_result()["t"][:2]
    return np.float32(lo), np.float32(hi)


@requires("scipix_calibrator_new")
@pytest.mark.parametrize("method,symmetric", [("percentile", True), ("percentile", False),
                                              ("entropy", False)])
def test_histogram_calibrators_equal_onnxruntime(method: Any, symmetric: Any, rng: Generator) -> None:
    if method not in quant._methods():
        pytest.skip(f"SCIPIX_CALIB_{method.upper()} not in this library")
    xs = [(rng.standard_normal(2000) * s).astype(np.float32).reshape(-1, 100) for s in (1, 2, 0.5)]
    want = _ort_histogram_range(method, xs, symmetric, 99.9)
    cal = quant.Calibrator(method, percentile=99.9 if method == "percentile" else None,
                           mode="symmetric" if symmetric else "asymmetric")
    for x in xs:
        cal.observe(x)
    lo, hi = cal.range()
    assert (lo[0], hi[0]) == want
