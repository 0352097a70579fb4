"""Bit-exactness of scipix's QuantizeLinear / DequantizeLinear against ONNX Runtime (CPU EP),
per tensor, per axis (ONNX `axis`) and block-wise (opset 21 `block_size`), for int8 and uint8,
on every ISA this CPU runs, plus parameter and calibrator formulas against ONNX Runtime's
quantization tools.

Run: cargo build --release && python3 -m pytest tests/python/test_onnxruntime_quant.py
"""
import ctypes

import numpy as np
import pytest

import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from conftest import available_isas, check  # noqa: E402

INT8, UINT8 = 0, 1
NP = {INT8: np.int8, UINT8: np.uint8}
TP = {INT8: TensorProto.INT8, UINT8: TensorProto.UINT8}
SZ = ctypes.c_size_t
FP = ctypes.POINTER(ctypes.c_float)


def _ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def _shape(shape):
    return (SZ * max(1, len(shape)))(*shape)


@pytest.fixture(scope="module")
def qlib(lib):
    lib.scipix_quantize_linear.argtypes = [
        ctypes.c_void_p, SZ, ctypes.c_float, ctypes.c_int32, ctypes.c_uint32, ctypes.c_void_p, SZ]
    lib.scipix_dequantize_linear.argtypes = [
        ctypes.c_void_p, SZ, ctypes.c_float, ctypes.c_int32, ctypes.c_uint32, ctypes.c_void_p, SZ]
    axis_args = [ctypes.c_void_p, ctypes.c_void_p, SZ, SZ, ctypes.c_void_p, ctypes.c_void_p, SZ,
                 ctypes.c_uint32, ctypes.c_void_p, SZ]
    for f in ("quantize_linear_axis", "dequantize_linear_axis",
              "quantize_linear_blocked", "dequantize_linear_blocked"):
        getattr(lib, "scipix_" + f).argtypes = axis_args
    lib.scipix_quantize_params_from_range.argtypes = [
        ctypes.c_float, ctypes.c_float, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_bool,
        ctypes.c_void_p, ctypes.c_void_p]
    yield lib
    lib.scipix_set_max_isa(lib.scipix_best_isa(), None)


def _session(node, inputs, outputs, inits, opset):
    graph = helper.make_graph([node], "g", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def _ort_linear(op, data, in_type, out_type, scale, zp, dtype, axis, block_size):
    """Runs one ONNX QuantizeLinear/DequantizeLinear node on `data` (input named "x")."""
    scale = np.asarray(scale, np.float32)
    zp = np.asarray(zp, NP[dtype])
    attrs = {}
    opset = 13
    if axis is not None:
        attrs["axis"] = axis
    if block_size is not None:
        attrs["block_size"] = block_size
        opset = 21
    node = helper.make_node(op, ["x", "s", "z"], ["y"], **attrs)
    sess = _session(
        node,
        [helper.make_tensor_value_info("x", in_type, list(data.shape))],
        [helper.make_tensor_value_info("y", out_type, list(data.shape))],
        [numpy_helper.from_array(scale, "s"), numpy_helper.from_array(zp, "z")],
        opset,
    )
    return sess.run(None, {"x": data})[0]


def ort_quantize(x, scale, zp, dtype, axis=None, block_size=None):
    return _ort_linear("QuantizeLinear", x, TensorProto.FLOAT, TP[dtype], scale, zp, dtype,
                       axis, block_size)


def ort_dequantize(q, scale, zp, dtype, axis=None, block_size=None):
    return _ort_linear("DequantizeLinear", q, TP[dtype], TensorProto.FLOAT, scale, zp, dtype,
                       axis, block_size)


SPECIALS = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, -3e-39, 1.1754944e-38,
     3.4028235e38, -3.4028235e38, 1e20, -1e20, 127.5, -128.5, 255.5, 0.5, -0.5, 1.5, 2.5],
    np.float32)


def nasty(n, scale, seed):
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore"):  # huge scales make some inputs infinite, on purpose
        x = rng.uniform(-300, 300, n).astype(np.float32) * np.float32(scale)
        ties = ((rng.integers(-300, 300, n) + 0.5) * scale).astype(np.float32)
    pick = rng.integers(0, 4, n)
    x = np.where(pick == 0, ties, x).astype(np.float32)
    k = min(n, len(SPECIALS))
    x[:k] = SPECIALS[:k]
    x[rng.integers(0, n, n // 20)] = SPECIALS[rng.integers(0, len(SPECIALS), n // 20)]
    return x


def scipix_quantize(lib, x, scale, zp, dtype):
    out = np.full(x.size, 0x5A, np.uint8)
    check(lib, lib.scipix_quantize_linear(_ptr(x), x.size, scale, zp, dtype, _ptr(out), out.size))
    return out.view(NP[dtype]).reshape(x.shape)


PARAMS = [
    (INT8, 0.5, 0), (INT8, 0.1, 3), (INT8, 0.037, -17), (INT8, 1.0, 127), (INT8, 2.0 ** -7, -128),
    (INT8, 1e-40, 0), (INT8, 3e37, 5),
    (UINT8, 0.5, 128), (UINT8, 0.1, 0), (UINT8, 0.0123, 255), (UINT8, 1.0, 77), (UINT8, 0.25, 3),
]


@pytest.mark.parametrize("dtype,scale,zp", PARAMS)
def test_per_tensor_bit_exact_every_isa(qlib, dtype, scale, zp):
    x = nasty(4099, scale, zp + 1000)
    want = ort_quantize(x, scale, zp, dtype)
    for isa in available_isas(qlib):
        check(qlib, qlib.scipix_set_max_isa(isa, None))
        got = scipix_quantize(qlib, x, scale, zp, dtype)
        bad = np.nonzero(got != want)[0]
        assert bad.size == 0, (
            f"isa {isa}: {bad.size} mismatches, first at {bad[:5]}: x={x[bad[:5]]} "
            f"ours={got[bad[:5]]} ort={want[bad[:5]]}")
        # Dequantize every code.
        q = np.arange(256, dtype=np.uint8).view(NP[dtype])
        want_d = ort_dequantize(q, scale, zp, dtype)
        got_d = np.empty(256, np.float32)
        check(qlib, qlib.scipix_dequantize_linear(_ptr(q), 256, scale, zp, dtype, _ptr(got_d), 256))
        assert np.array_equal(got_d.view(np.uint32), want_d.view(np.uint32)), f"isa {isa}"


def test_special_values_documented(qlib):
    """NaN -> dtype minimum, +/-inf saturate, -0.0 -> zero point: same as ONNX Runtime."""
    x = np.array([np.nan, np.inf, -np.inf, -0.0, 0.5, 1.5, -2.5], np.float32)
    for dtype, zp, lo, hi in ((INT8, 3, -128, 127), (UINT8, 10, 0, 255)):
        want = ort_quantize(x, 1.0, zp, dtype)
        got = scipix_quantize(qlib, x, 1.0, zp, dtype)
        assert got.tolist() == want.tolist()
        assert got.tolist() == [lo, hi, lo, zp, zp + 0, zp + 2, zp - 2]


@pytest.mark.parametrize("shape,axis", [((7, 5), 0), ((7, 5), 1), ((3, 4, 37), 1), ((3, 4, 37), 2),
                                        ((2, 3, 4, 5), 0), ((2, 3, 4, 5), 3), ((64, 130), 0),
                                        ((64, 130), 1)])
@pytest.mark.parametrize("dtype", [INT8, UINT8])
def test_per_axis_bit_exact(qlib, shape, axis, dtype):
    rng = np.random.default_rng(axis + len(shape))
    n = int(np.prod(shape))
    x = nasty(n, 0.05, n).reshape(shape)
    ch = shape[axis]
    scales = rng.uniform(0.005, 0.2, ch).astype(np.float32)
    lo, hi = (-128, 127) if dtype == INT8 else (0, 255)
    zps = rng.integers(lo, hi + 1, ch).astype(np.int32)
    want = ort_quantize(x, scales, zps.astype(NP[dtype]), dtype, axis=axis)
    want_d = ort_dequantize(want, scales, zps.astype(NP[dtype]), dtype, axis=axis)
    for isa in available_isas(qlib):
        check(qlib, qlib.scipix_set_max_isa(isa, None))
        got = np.zeros(n, np.uint8)
        check(qlib, qlib.scipix_quantize_linear_axis(
            _ptr(x), _shape(shape), len(shape), axis, _ptr(scales), _ptr(zps), ch, dtype,
            _ptr(got), n))
        assert np.array_equal(got.view(NP[dtype]).reshape(shape), want), f"isa {isa}"
        back = np.zeros(n, np.float32)
        check(qlib, qlib.scipix_dequantize_linear_axis(
            _ptr(got), _shape(shape), len(shape), axis, _ptr(scales), _ptr(zps), ch, dtype,
            _ptr(back), n))
        assert np.array_equal(back.reshape(shape).view(np.uint32), want_d.view(np.uint32))


@pytest.mark.parametrize("shape,block", [((4, 64), 32), ((3, 70), 32), ((2, 3, 50), 16)])
@pytest.mark.parametrize("dtype", [INT8, UINT8])
def test_blocked_bit_exact(qlib, shape, block, dtype):
    rng = np.random.default_rng(block)
    n = int(np.prod(shape))
    x = nasty(n, 0.05, n + 1).reshape(shape)
    pshape = shape[:-1] + (-(-shape[-1] // block),)
    scales = rng.uniform(0.005, 0.2, pshape).astype(np.float32)
    lo, hi = (-128, 127) if dtype == INT8 else (0, 255)
    zps = rng.integers(lo, hi + 1, pshape).astype(np.int32)
    try:
        want = ort_quantize(x, scales, zps.astype(NP[dtype]), dtype, axis=-1, block_size=block)
        want_d = ort_dequantize(want, scales, zps.astype(NP[dtype]), dtype, axis=-1,
                                block_size=block)
    except Exception as e:  # pragma: no cover - depends on the installed ONNX Runtime
        pytest.skip(f"ONNX Runtime lacks blocked {dtype}: {e}")
    for isa in available_isas(qlib):
        check(qlib, qlib.scipix_set_max_isa(isa, None))
        got = np.zeros(n, np.uint8)
        check(qlib, qlib.scipix_quantize_linear_blocked(
            _ptr(x), _shape(shape), len(shape), block, _ptr(scales), _ptr(zps), scales.size,
            dtype, _ptr(got), n))
        assert np.array_equal(got.view(NP[dtype]).reshape(shape), want), f"isa {isa}"
        back = np.zeros(n, np.float32)
        check(qlib, qlib.scipix_dequantize_linear_blocked(
            _ptr(got), _shape(shape), len(shape), block, _ptr(scales), _ptr(zps), scales.size,
            dtype, _ptr(back), n))
        assert np.array_equal(back.reshape(shape).view(np.uint32), want_d.view(np.uint32))


def test_large_parallel_bit_exact(qlib):
    x = nasty(3_000_001, 0.01, 99)
    want = ort_quantize(x, 0.01, -3, INT8)
    for isa in available_isas(qlib):
        check(qlib, qlib.scipix_set_max_isa(isa, None))
        assert np.array_equal(scipix_quantize(qlib, x, 0.01, -3, INT8), want)


def test_params_match_compute_scale_zp(qlib):
    from onnxruntime.quantization.quant_utils import compute_scale_zp, get_qmin_qmax_for_qType

    rng = np.random.default_rng(3)
    ranges = [(-1.0, 3.0), (2.0, 5.0), (-5.0, -2.0), (0.0, 0.0), (3.0, 3.0), (-1e-30, 1e-30),
              (0.0, 1e-40), (-0.3, 0.7), (-123.4, 0.001)]
    ranges += [tuple(sorted(rng.uniform(-10, 10, 2).tolist())) for _ in range(40)]
    for rmin, rmax in ranges:
        for dtype in (INT8, UINT8):
            for sym in (False, True):
                for rr in (False, True):
                    qmin, qmax = get_qmin_qmax_for_qType(TP[dtype], reduce_range=rr, symmetric=sym)
                    zp, scale = compute_scale_zp(np.float32(rmin), np.float32(rmax), qmin, qmax,
                                                 symmetric=sym)
                    s = ctypes.c_float()
                    z = ctypes.c_int32()
                    check(qlib, qlib.scipix_quantize_params_from_range(
                        rmin, rmax, dtype, int(sym), rr, ctypes.byref(s), ctypes.byref(z)))
                    assert np.float32(s.value).tobytes() == np.float32(scale).tobytes(), (
                        rmin, rmax, dtype, sym, rr, s.value, scale)
                    assert z.value == int(zp), (rmin, rmax, dtype, sym, rr, z.value, zp)


def _calibrator(lib, method, percentile, dtype, sym, per_channel=False, axis=0):
    lib.scipix_calibrator_new.argtypes = [ctypes.c_uint32, ctypes.c_double, ctypes.c_uint32,
                                          ctypes.c_uint32, ctypes.c_bool, ctypes.c_bool, SZ,
                                          ctypes.c_void_p]
    lib.scipix_calibrator_observe.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, SZ]
    lib.scipix_calibrator_range.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, SZ]
    lib.scipix_calibrator_compute.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, SZ]
    lib.scipix_calibrator_channels.argtypes = [ctypes.c_void_p]
    lib.scipix_calibrator_channels.restype = SZ
    lib.scipix_calibrator_free.argtypes = [ctypes.c_void_p]
    h = ctypes.c_void_p()
    check(lib, lib.scipix_calibrator_new(method, percentile, dtype, int(sym), False, per_channel,
                                         axis, ctypes.byref(h)))
    return h


def _observe(lib, h, x):
    x = np.ascontiguousarray(x, np.float32)
    check(lib, lib.scipix_calibrator_observe(h, _ptr(x), _shape(x.shape), x.ndim))


def _range(lib, h):
    n = lib.scipix_calibrator_channels(h)
    lo, hi = np.zeros(n, np.float32), np.zeros(n, np.float32)
    check(lib, lib.scipix_calibrator_range(h, _ptr(lo), _ptr(hi), n))
    return lo, hi


BATCH_SETS = {
    "one": [("normal", 1.0, 20000)],
    "widening": [("normal", 1.0, 5000), ("normal", 3.0, 5000), ("laplace", 2.0, 7000)],
    "narrowing": [("laplace", 4.0, 6000), ("normal", 0.5, 6000)],
    "positive": [("relu", 1.0, 8000), ("relu", 2.5, 8000)],
}


def _batches(name, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for kind, s, n in BATCH_SETS[name]:
        if kind == "normal":
            x = rng.normal(0.0, s, n)
        elif kind == "laplace":
            x = rng.laplace(0.0, s, n)
        else:
            x = np.maximum(rng.normal(0.2, s, n), 0.0)
        out.append(x.astype(np.float32).reshape(-1, 100))
    return out


@pytest.mark.parametrize("batches", sorted(BATCH_SETS))
@pytest.mark.parametrize("sym", [False, True])
@pytest.mark.parametrize("percentile", [99.999, 99.9, 99.0])
def test_percentile_calibrator_matches_onnxruntime(qlib, batches, sym, percentile):
    from onnxruntime.quantization.calibrate import HistogramCollector

    xs = _batches(batches)
    ref = HistogramCollector(method="percentile", symmetric=sym, num_bins=2048,
                             num_quantized_bins=128, percentile=percentile, scenario="same")
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        for x in xs:
            ref.collect({"t": x})
        want = ref.compute_collection_result()["t"]
    h = _calibrator(qlib, 1, percentile, INT8, sym)
    try:
        for x in xs:
            _observe(qlib, h, x)
        lo, hi = _range(qlib, h)
    finally:
        qlib.scipix_calibrator_free(h)
    assert (np.float32(lo[0]), np.float32(hi[0])) == (np.float32(want[0]), np.float32(want[1])), (
        lo, hi, want[:2])


@pytest.mark.parametrize("sym", [False, True])
def test_minmax_calibrator_matches_onnxruntime_formula(qlib, sym):
    from onnxruntime.quantization.quant_utils import compute_scale_zp, get_qmin_qmax_for_qType

    xs = _batches("widening", 4)
    rmin = min(float(x.min()) for x in xs)
    rmax = max(float(x.max()) for x in xs)
    if sym:  # MinMaxCalibrater.compute_data with symmetric=True
        m = max(abs(rmin), abs(rmax))
        rmin, rmax = -m, m
    for dtype in (INT8, UINT8):
        h = _calibrator(qlib, 0, 0.0, dtype, sym)
        try:
            for x in xs:
                _observe(qlib, h, x)
            s, z = np.zeros(1, np.float32), np.zeros(1, np.int32)
            check(qlib, qlib.scipix_calibrator_compute(h, _ptr(s), _ptr(z), 1))
        finally:
            qlib.scipix_calibrator_free(h)
        qmin, qmax = get_qmin_qmax_for_qType(TP[dtype], symmetric=sym)
        zp, scale = compute_scale_zp(np.float32(rmin), np.float32(rmax), qmin, qmax, symmetric=sym)
        assert s[0].tobytes() == np.float32(scale).tobytes()
        assert z[0] == int(zp)


def test_per_channel_calibrator_equals_per_channel_slices(qlib):
    """Per-channel calibration along axis 1 equals calibrating each channel's values alone."""
    rng = np.random.default_rng(11)
    xs = [rng.normal(0, 1 + c, (8, 4, 50)).astype(np.float32) for c in range(3)]
    h = _calibrator(qlib, 1, 99.9, INT8, True, per_channel=True, axis=1)
    try:
        for x in xs:
            _observe(qlib, h, x)
        lo, hi = _range(qlib, h)
    finally:
        qlib.scipix_calibrator_free(h)
    assert lo.size == 4
    for c in range(4):
        hc = _calibrator(qlib, 1, 99.9, INT8, True)
        try:
            for x in xs:
                _observe(qlib, hc, np.ascontiguousarray(x[:, c, :]))
            l1, h1 = _range(qlib, hc)
        finally:
            qlib.scipix_calibrator_free(hc)
        assert (lo[c], hi[c]) == (l1[0], h1[0])


@pytest.mark.parametrize("batches", ["one", "widening", "positive"])
def test_entropy_calibrator_matches_onnxruntime(qlib, batches):
    import contextlib
    import io

    from onnxruntime.quantization.calibrate import HistogramCollector

    xs = _batches(batches, 7)
    ref = HistogramCollector(method="entropy", symmetric=False, num_bins=2048,
                             num_quantized_bins=128, percentile=99.999, scenario="same")
    with contextlib.redirect_stdout(io.StringIO()):
        for x in xs:
            ref.collect({"t": x})
        want = ref.compute_collection_result()["t"]
    h = _calibrator(qlib, 3, 0.0, INT8, False)
    try:
        for x in xs:
            _observe(qlib, h, x)
        lo, hi = _range(qlib, h)
    finally:
        qlib.scipix_calibrator_free(h)
    assert (np.float32(lo[0]), np.float32(hi[0])) == (np.float32(want[0]), np.float32(want[1])), (
        lo, hi, want[:2])
