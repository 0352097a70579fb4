"""int4/uint4, float8 and f16/bf16 through the Python package, against numpy, ml_dtypes and
ONNX Runtime (the full cross-check on every ISA is tests/python/test_lowprec.py)."""
import numpy as np
import pytest

import scipix
from scipix import quant
from conftest import requires

pytestmark = requires("scipix_quantize_int4", "scipix_quantize_fp8", "scipix_f32_to_f16")


def test_int4_issue_example_and_round_trip() -> None:
    x = np.array([0.5, 1.5, 2.5, 7.5, 8.5, -8.5, 100], np.float32)
    q = quant.quantize_int4(x, 1.0)
    assert q.tolist() == [0x20, 0x72, 0x87, 0x07]
    assert quant.dequantize_int4(q, x.shape, 1.0).tolist() == [0, 2, 2, 7, 7, -8, 7]


def test_int4_blocked_matches_onnx_runtime() -> None:
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 64)).astype(np.float32)
    s = (np.abs(x).reshape(4, 2, 32).max(-1) / 7).astype(np.float32)
    z = helper.make_tensor("z", TensorProto.INT4, [4, 2], [0] * 8)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1, block_size=32),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1, block_size=32)]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, [4, 64])],
                          [helper.make_tensor_value_info("y", 1, [4, 64])],
                          [numpy_helper.from_array(s, "s"), z])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    want = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]
                                ).run(None, {"x": x})[0]
    q = quant.quantize_int4(x, s, block_size=32)
    got = quant.dequantize_int4(q, x.shape, s, block_size=32)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_fp8_matches_ml_dtypes_decoding() -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = np.array([1.0, 448.0, 1000.0, -np.inf, 0.3, 2.0 ** -9], np.float32)
    q = quant.quantize_fp8(x, 1.0, "e4m3fn")
    assert q.view(ml_dtypes.float8_e4m3fn).astype(np.float32).tolist() == \
        [1.0, 448.0, 448.0, -448.0, 0.3125, 2.0 ** -9]
    assert np.isnan(quant.dequantize_fp8(quant.quantize_fp8(x, 1.0, saturate=False))[2])
    q = quant.quantize_fp8(x, 1.0, "e5m2", saturate=False)
    assert quant.dequantize_fp8(q, 1.0, "e5m2")[3] == -np.inf


def test_f16_bf16_match_numpy_and_ml_dtypes() -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bits = np.array([0x3F808000, 0x7F800001, 0x007FFFFF, 0x477FF000, 0xFFC12345], np.uint32)
    x = bits.view(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        assert quant.to_f16(x).view(np.uint16).tolist() == \
            x.astype(np.float16).view(np.uint16).tolist()
        assert quant.to_bf16(x).tolist() == x.astype(ml_dtypes.bfloat16).view(np.uint16).tolist()


def test_bad_scale_raises_and_names_it() -> None:
    with pytest.raises(scipix.InvalidArgument, match="scale"):
        quant.quantize_int4(np.ones(4, np.float32), 0.0)
    with pytest.raises(scipix.InvalidArgument, match="scale"):
        quant.quantize_fp8(np.ones(4, np.float32), float("nan"))
