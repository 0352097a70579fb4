"""Bit-exactness of scipix's low-precision formats against their references, on every ISA
this CPU runs (the library's ISA cap forced per call):

* int4 / uint4 QuantizeLinear + DequantizeLinear (ONNX opset 21) against ONNX Runtime: its
  Python API cannot return int4 arrays, so a QuantizeLinear -> DequantizeLinear graph is
  compared with scipix's quantize -> dequantize, bit for bit (distinct codes give distinct
  floats for the scales used, so equal floats mean equal codes);
* FP8 E4M3FN / E5M2 with saturate on and off, the same way (a float8 zero-point initializer
  selects the output type);
* f32 -> f16 against numpy's astype(np.float16), f32 -> bf16 against ml_dtypes.bfloat16.

Run: cargo build --release && python3 -m pytest tests/python/test_lowprec.py
"""
import ctypes

import numpy as np
import pytest

import onnx
import onnxruntime as ort
import ml_dtypes
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from conftest import available_isas, check  # noqa: E402

SZ = ctypes.c_size_t
VP = ctypes.c_void_p
INT4, UINT4 = 2, 3
E4M3FN, E5M2 = 0, 1
PER_TENSOR, PER_AXIS, BLOCKED = 0, 1, 2


def _ptr(a):
    return a.ctypes.data_as(VP)


def _shape(shape):
    return (SZ * max(1, len(shape)))(*shape)


@pytest.fixture(scope="module")
def lp(lib):
    lib.scipix_quantize_int4.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, VP, SZ,
                                         ctypes.c_uint32, VP, SZ]
    lib.scipix_dequantize_int4.argtypes = [VP, SZ, VP, SZ, ctypes.c_uint32, SZ, VP, VP, SZ,
                                           ctypes.c_uint32, VP, SZ]
    lib.scipix_quantize_fp8.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, SZ,
                                        ctypes.c_uint32, ctypes.c_bool, VP, SZ]
    lib.scipix_dequantize_fp8.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, SZ,
                                          ctypes.c_uint32, VP, SZ]
    lib.scipix_f32_to_f16.argtypes = [VP, VP, SZ]
    lib.scipix_f32_to_bf16.argtypes = [VP, VP, SZ]
    yield lib
    lib.scipix_set_max_isa(lib.scipix_best_isa(), None)


def _session(nodes, x_shape, inits, opset):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(x_shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def ort_qdq(x, scales, zps, qtype, q_attrs, dq_attrs=None, opset=21):
    """ONNX Runtime's QuantizeLinear -> DequantizeLinear of `x` (float in, float out)."""
    scales = np.asarray(scales, np.float32)
    zps = np.asarray(zps)
    z = helper.make_tensor("z", qtype, list(zps.shape), zps.ravel().tolist())
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], **q_attrs),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"],
                              **(q_attrs if dq_attrs is None else dq_attrs))]
    sess = _session(nodes, x.shape, [numpy_helper.from_array(scales, "s"), z], opset)
    return sess.run(None, {"x": x})[0]


SPECIALS = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45, 1e-40, 1.1754944e-38,
     3.4028235e38, -3.4028235e38, 0.5, -0.5, 1.5, 2.5, -2.5, 7.5, 8.5, -8.5, 15.5, 100.0],
    np.float32)


def nasty(n, scale, seed, span=12):
    """Random values around the 4-bit range times `scale`, half-integer ties, specials."""
    rng = np.random.default_rng(seed)
    x = (rng.uniform(-span, span, n) * scale).astype(np.float32)
    ties = ((rng.integers(-span, span, n) + 0.5) * scale).astype(np.float32)
    x = np.where(rng.integers(0, 3, n) == 0, ties, x).astype(np.float32)
    k = min(n, len(SPECIALS))
    x[:k] = SPECIALS[:k]
    x[rng.integers(0, n, n // 20)] = SPECIALS[rng.integers(0, len(SPECIALS), n // 20)]
    return x


def scipix_qdq_int4(lib, x, scales, zps, dtype, gran, aob):
    shape = x.shape
    n = x.size
    scales = np.ascontiguousarray(scales, np.float32).ravel()
    zps = np.ascontiguousarray(zps, np.int32).ravel()
    q = np.full((n + 1) // 2 + 1, 0xEE, np.uint8)
    check(lib, lib.scipix_quantize_int4(_ptr(x), _shape(shape), len(shape), gran, aob,
                                        _ptr(scales), _ptr(zps), scales.size, dtype,
                                        _ptr(q), (n + 1) // 2))
    assert q[-1] == 0xEE
    if n % 2:
        assert q[n // 2] >> 4 == 0, "odd count pads the last high nibble with 0"
    y = np.empty(n, np.float32)
    check(lib, lib.scipix_dequantize_int4(_ptr(q), (n + 1) // 2, _shape(shape), len(shape), gran,
                                          aob, _ptr(scales), _ptr(zps), scales.size, dtype,
                                          _ptr(y), n))
    return q[:-1], y.reshape(shape)


def codes_of(q, n, dtype):
    lo, hi = q & 0xF, q >> 4
    c = np.stack([lo, hi], 1).ravel()[:n].astype(np.int8)
    return np.where(c > 7, c - 16, c) if dtype == INT4 else c


def assert_bits_equal(got, want, what):
    g, w = got.ravel().view(np.uint32), want.ravel().view(np.uint32)
    bad = np.nonzero(g != w)[0]
    assert bad.size == 0, f"{what}: {bad.size} mismatches, first {bad[:5]}: ours {got.ravel()[bad[:5]]} ort {want.ravel()[bad[:5]]}"


def test_int4_issue_example(lp):
    x = np.array([0.5, 1.5, 2.5, 7.5, 8.5, -8.5, 100], np.float32)
    q, y = scipix_qdq_int4(lp, x, [1.0], [0], INT4, PER_TENSOR, 0)
    assert codes_of(q, 7, INT4).tolist() == [0, 2, 2, 7, 7, -8, 7]
    assert_bits_equal(y, ort_qdq(x, 1.0, np.int8(0), TensorProto.INT4, {}), "example")


@pytest.mark.parametrize("dtype,scale,zp", [
    (INT4, 1.0, 0), (INT4, 0.37, 3), (INT4, 0.01, -8), (INT4, 2.0 ** -7, 7), (INT4, 1e-30, -2),
    (UINT4, 1.0, 0), (UINT4, 0.21, 8), (UINT4, 3.5, 15), (UINT4, 0.05, 5)])
def test_int4_per_tensor_every_isa(lp, dtype, scale, zp):
    qt = TensorProto.INT4 if dtype == INT4 else TensorProto.UINT4
    for n in (4099, 4100, 7):
        x = nasty(n, scale, n + zp + 8)
        want = ort_qdq(x, scale, np.array(zp), qt, {})
        for isa in available_isas(lp):
            check(lp, lp.scipix_set_max_isa(isa, None))
            q, y = scipix_qdq_int4(lp, x, [scale], [zp], dtype, PER_TENSOR, 0)
            assert_bits_equal(y, want, f"isa {isa} n {n}")


@pytest.mark.parametrize("shape,block", [((8, 64), 32), ((5, 96), 32), ((3, 70), 32),
                                         ((2, 3, 50), 16), ((7, 33), 2)])
@pytest.mark.parametrize("dtype", [INT4, UINT4])
def test_int4_blocked_every_isa(lp, shape, block, dtype):
    rng = np.random.default_rng(block + shape[-1])
    n = int(np.prod(shape))
    x = nasty(n, 0.05, n).reshape(shape)
    pshape = shape[:-1] + (-(-shape[-1] // block),)
    scales = rng.uniform(0.01, 0.1, pshape).astype(np.float32)
    lo, hi = (-8, 7) if dtype == INT4 else (0, 15)
    zps = rng.integers(lo, hi + 1, pshape)
    qt = TensorProto.INT4 if dtype == INT4 else TensorProto.UINT4
    attrs = {"axis": len(shape) - 1, "block_size": block}
    want = ort_qdq(x, scales, zps, qt, attrs)
    for isa in available_isas(lp):
        check(lp, lp.scipix_set_max_isa(isa, None))
        _, y = scipix_qdq_int4(lp, x, scales, zps, dtype, BLOCKED, block)
        assert_bits_equal(y, want, f"isa {isa}")


@pytest.mark.parametrize("shape,axis", [((7, 5), 0), ((7, 5), 1), ((3, 4, 37), 1), ((64, 33), 0)])
def test_int4_per_axis(lp, shape, axis):
    rng = np.random.default_rng(axis)
    n = int(np.prod(shape))
    x = nasty(n, 0.05, n).reshape(shape)
    scales = rng.uniform(0.01, 0.1, shape[axis]).astype(np.float32)
    zps = rng.integers(-8, 8, shape[axis])
    want = ort_qdq(x, scales, zps, TensorProto.INT4, {"axis": axis})
    for isa in available_isas(lp):
        check(lp, lp.scipix_set_max_isa(isa, None))
        _, y = scipix_qdq_int4(lp, x, scales, zps, INT4, PER_AXIS, axis)
        assert_bits_equal(y, want, f"isa {isa}")


def fp8_inputs(n, seed):
    """Random magnitudes across the whole float8 range and beyond, every f32 exponent near
    the edges with mantissas at and around the rounding points, and specials."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * np.exp2(rng.uniform(-20, 20, n))).astype(np.float32)
    exps = np.arange(100, 150, dtype=np.uint32)
    lows = np.array([0, 1, 0x7FFFF, 0x80000, 0x80001, 0xFFFFF, 0x100000, 0x100001, 0x180000,
                     0x200000, 0x280000, 0x300000, 0x380000, 0x400000, 0x480000, 0x500000,
                     0x580000, 0x600000, 0x680000, 0x700000, 0x780000, 0x7FFFFF], np.uint32)
    edge = ((exps[:, None] << 23) | lows[None, :]).ravel()
    edge = np.concatenate([edge, edge | 0x80000000]).view(np.float32)
    return np.concatenate([SPECIALS, edge, x, [448, 464, 465, 480, 496, 512, 57344, 61440,
                                               61441, 65536, 2.0 ** -10, 2.0 ** -17]]
                          ).astype(np.float32)


@pytest.mark.parametrize("fmt", [E4M3FN, E5M2])
@pytest.mark.parametrize("saturate", [True, False])
@pytest.mark.parametrize("scale", [1.0, 0.37, 3e-3])
def test_fp8_per_tensor_every_isa(lp, fmt, saturate, scale):
    x = fp8_inputs(20001, int(scale * 1000) + fmt)
    qt = TensorProto.FLOAT8E4M3FN if fmt == E4M3FN else TensorProto.FLOAT8E5M2
    want = ort_qdq(x, scale, np.array(0.0), qt, {"saturate": int(saturate)}, {})
    s = np.array([scale], np.float32)
    sh = (x.size,)
    for isa in available_isas(lp):
        check(lp, lp.scipix_set_max_isa(isa, None))
        q = np.full(x.size, 0xEE, np.uint8)
        check(lp, lp.scipix_quantize_fp8(_ptr(x), _shape(sh), 1, PER_TENSOR, 0, _ptr(s), 1, fmt,
                                         saturate, _ptr(q), q.size))
        y = np.empty(x.size, np.float32)
        check(lp, lp.scipix_dequantize_fp8(_ptr(q), _shape(sh), 1, PER_TENSOR, 0, _ptr(s), 1, fmt,
                                           _ptr(y), y.size))
        both_nan = np.isnan(y) & np.isnan(want)
        assert np.array_equal(np.signbit(y[both_nan]), np.signbit(want[both_nan]))
        assert_bits_equal(np.where(both_nan, 0, y).astype(np.float32),
                          np.where(both_nan, 0, want).astype(np.float32), f"isa {isa}")
        # The codes decode as ml_dtypes' float8 types do (the format itself).
        ref = q.view(ml_dtypes.float8_e4m3fn if fmt == E4M3FN else ml_dtypes.float8_e5m2)
        dec = ref.astype(np.float32) * np.float32(scale)
        fin = ~np.isnan(dec)
        assert np.array_equal(dec[fin], y[fin])


@pytest.mark.parametrize("fmt", [E4M3FN, E5M2])
def test_fp8_blocked_and_axis(lp, fmt):
    rng = np.random.default_rng(fmt)
    shape = (6, 70)
    x = (rng.standard_normal(shape) * 50).astype(np.float32)
    x[0, :len(SPECIALS)] = SPECIALS
    qt = TensorProto.FLOAT8E4M3FN if fmt == E4M3FN else TensorProto.FLOAT8E5M2
    for gran, aob, pshape, attrs in ((BLOCKED, 32, (6, 3), {"axis": 1, "block_size": 32}),
                                     (PER_AXIS, 1, (70,), {"axis": 1}),
                                     (PER_AXIS, 0, (6,), {"axis": 0})):
        scales = rng.uniform(0.01, 2.0, pshape).astype(np.float32)
        want = ort_qdq(x, scales, np.zeros(pshape), qt, attrs)
        for isa in available_isas(lp):
            check(lp, lp.scipix_set_max_isa(isa, None))
            q = np.zeros(x.size, np.uint8)
            check(lp, lp.scipix_quantize_fp8(_ptr(x), _shape(shape), 2, gran, aob, _ptr(scales),
                                             scales.size, fmt, True, _ptr(q), q.size))
            y = np.empty(x.size, np.float32)
            check(lp, lp.scipix_dequantize_fp8(_ptr(q), _shape(shape), 2, gran, aob,
                                               _ptr(scales), scales.size, fmt, _ptr(y), y.size))
            y = y.reshape(shape)
            assert np.array_equal(np.isnan(y), np.isnan(want))
            fin = ~np.isnan(y)
            assert_bits_equal(y[fin], want[fin], f"isa {isa} gran {gran}")


def half_inputs():
    """Every sign and exponent with mantissas at, around and between the f16 and bf16
    rounding points (ties included), NaN payloads, subnormals, and random bit patterns."""
    se = np.arange(512, dtype=np.uint32)
    lows = np.array([0, 1, 0xFFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x3000, 0x7FFF, 0x8000,
                     0x8001, 0xFFFF, 0x10000, 0x18000, 0x400000, 0x400001, 0x7FE000, 0x7FFFFF,
                     0x200000, 0x7F0000, 0x7F8000], np.uint32)
    bits = ((se[:, None] << 23) | lows[None, :]).ravel()
    rng = np.random.default_rng(16)
    rand = rng.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32)
    return np.concatenate([bits, rand]).view(np.float32)


def test_f16_and_bf16_every_isa(lp):
    x = half_inputs()
    with np.errstate(over="ignore", invalid="ignore"):
        want16 = x.astype(np.float16).view(np.uint16)
        wantbf = x.astype(ml_dtypes.bfloat16).view(np.uint16)
    for isa in available_isas(lp):
        check(lp, lp.scipix_set_max_isa(isa, None))
        for start, n in ((0, x.size), (1, x.size - 2), (3, 1001), (5, 31)):
            src = x[start:start + n]
            for fn, want in ((lp.scipix_f32_to_f16, want16), (lp.scipix_f32_to_bf16, wantbf)):
                out = np.full(n + 1, 0xBEEF, np.uint16)
                check(lp, fn(_ptr(src), _ptr(out), n))
                assert out[-1] == 0xBEEF
                bad = np.nonzero(out[:n] != want[start:start + n])[0]
                assert bad.size == 0, (
                    f"isa {isa} {fn.__name__}: {bad.size} mismatches, e.g. "
                    f"{[hex(v) for v in src[bad[:4]].view(np.uint32)]} -> "
                    f"{[hex(v) for v in out[bad[:4]]]} want "
                    f"{[hex(v) for v in want[start + bad[:4]]]}")


def test_bad_input_writes_nothing(lp):
    x = np.ones(10, np.float32)
    out = np.full(8, 0xEE, np.uint8)
    sh = _shape((10,))
    one, zero = np.array([1.0], np.float32), np.array([0], np.int32)
    for s in (0.0, np.nan, np.inf, -1.0):
        bad = np.array([s], np.float32)
        assert lp.scipix_quantize_int4(_ptr(x), sh, 1, PER_TENSOR, 0, _ptr(bad), _ptr(zero), 1,
                                       INT4, _ptr(out), 5) != 0
        assert lp.scipix_quantize_fp8(_ptr(x), sh, 1, PER_TENSOR, 0, _ptr(bad), 1, E4M3FN, True,
                                      _ptr(out), 10) != 0
    # zero point outside int4, short output, block size 0, wrong params count, bad dtype.
    z8 = np.array([8], np.int32)
    assert lp.scipix_quantize_int4(_ptr(x), sh, 1, PER_TENSOR, 0, _ptr(one), _ptr(z8), 1, INT4,
                                   _ptr(out), 5) != 0
    assert lp.scipix_quantize_int4(_ptr(x), sh, 1, PER_TENSOR, 0, _ptr(one), _ptr(zero), 1, INT4,
                                   _ptr(out), 4) != 0
    assert lp.scipix_quantize_int4(_ptr(x), sh, 1, BLOCKED, 0, _ptr(one), _ptr(zero), 1, INT4,
                                   _ptr(out), 5) != 0
    assert lp.scipix_quantize_int4(_ptr(x), sh, 1, BLOCKED, 4, _ptr(one), _ptr(zero), 1, INT4,
                                   _ptr(out), 5) != 0
    assert lp.scipix_quantize_int4(_ptr(x), sh, 1, PER_TENSOR, 0, _ptr(one), _ptr(zero), 1, 0,
                                   _ptr(out), 5) != 0
    huge = _shape((2 ** 62, 8))
    assert lp.scipix_quantize_fp8(_ptr(x), huge, 2, PER_TENSOR, 0, _ptr(one), 1, E5M2, True,
                                  _ptr(out), 8) != 0
    assert lp.scipix_quantize_fp8(_ptr(x), sh, 1, PER_TENSOR, 0, _ptr(one), 1, 7, True,
                                  _ptr(out), 10) != 0
    assert (out == 0xEE).all()
    assert b"4-bit" in lp.scipix_last_error_message() or lp.scipix_last_error_message()


def test_quantize_model_int4_is_onnx_blocked_int4(tmp_path):
    """quantize_model --int4-block 32 on all-MiniLM-L6-v2: every weight ONNX Runtime's
    DequantizeLinear(axis=1, block_size=32) reads from the written bytes equals what scipix
    reports, and the SQNR per tensor is what int4 gives (above 12 dB)."""
    import os
    import pathlib
    import subprocess

    from safetensors.numpy import load_file
    from test_safetensors_parity import model_path

    from conftest import ROOT
    exe = pathlib.Path(os.environ.get("SCIPIX_QUANTIZE_MODEL",
                                      ROOT / "build" / "c_examples" / "quantize_model"))
    if not exe.exists():
        pytest.skip(f"{exe} not built")
    src = model_path()
    out = tmp_path / "int4.safetensors"
    run = subprocess.run([str(exe), "--int4-block", "32", str(src), str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    orig, q = load_file(str(src)), load_file(str(out))
    checked = 0
    for name, w in orig.items():
        if w.ndim != 2 or name + ".scale" not in q:
            continue
        rows, cols = w.shape
        scale = q[name + ".scale"]
        assert scale.shape == (rows, -(-cols // 32))
        packed = q[name].ravel()
        assert packed.size == (w.size + 1) // 2
        z = helper.make_tensor("z", TensorProto.INT4, list(scale.shape), [0] * scale.size)
        qt = helper.make_tensor("q", TensorProto.INT4, [rows, cols], vals=packed.tobytes(),
                                raw=True)
        node = helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1, block_size=32)
        graph = helper.make_graph([node], "g", [], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [rows, cols])], [qt, numpy_helper.from_array(scale, "s"), z])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
        model.ir_version = 10
        y = ort.InferenceSession(model.SerializeToString(),
                                 providers=["CPUExecutionProvider"]).run(None, {})[0]
        w32 = w.astype(np.float32)
        # Symmetric int4: each block's absmax maps to 7, so the error is at most half a step.
        step = np.repeat(scale, 32, axis=1)[:, :cols]
        assert (np.abs(y - w32) <= 0.5 * step * 1.0001).all(), name
        sqnr = 10 * np.log10((w32.astype(np.float64) ** 2).sum() /
                             ((w32 - y).astype(np.float64) ** 2).sum())
        assert sqnr > 12.0, (name, sqnr)
        assert f"{sqnr:.2f}" in run.stdout or f"{sqnr - 0.01:.2f}" in run.stdout \
            or f"{sqnr + 0.01:.2f}" in run.stdout, (name, sqnr)
        checked += 1
    assert checked >= 36
