"""GGML blocks through the C API against gguf.quants 0.19.0, bit for bit, on every ISA."""
import ctypes

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T, quants

from conftest import available_isas, check

SZ = ctypes.c_size_t
P = ctypes.c_void_p


class _Q:
    """ggml_quantize / ggml_dequantize over the C API (the shape of the package wrappers)."""

    def __init__(self, lib):
        self.lib = lib
        lib.scipix_ggml_row_size.argtypes = [ctypes.c_uint32, SZ, P]
        lib.scipix_ggml_quantize.argtypes = [ctypes.c_uint32, P, SZ, SZ, P, SZ, P]
        lib.scipix_ggml_dequantize.argtypes = [ctypes.c_uint32, P, SZ, P, SZ, P]

    def ggml_quantize(self, x, kind):
        t = int(T[kind.upper()])
        x = np.ascontiguousarray(x, np.float32)
        size = SZ()
        check(self.lib, self.lib.scipix_ggml_row_size(t, x.size, ctypes.byref(size)))
        out = np.empty(size.value, np.uint8)
        check(self.lib, self.lib.scipix_ggml_quantize(t, x.ctypes.data, x.size, x.shape[-1],
                                                      out.ctypes.data, out.size, None))
        return out

    def ggml_dequantize(self, q, kind):
        t = int(T[kind.upper()])
        q = np.ascontiguousarray(q, np.uint8)
        block, size = {"q4_k": (256, 144), "q5_k": (256, 176), "q6_k": (256, 210)}.get(
            kind, (32, {"q8_0": 34, "q4_0": 18, "q4_1": 20, "q5_0": 22, "q5_1": 24}.get(kind, 1)))
        out = np.empty(q.size // size * block, np.float32)
        check(self.lib, self.lib.scipix_ggml_dequantize(t, q.ctypes.data, q.size,
                                                        out.ctypes.data, out.size, None))
        return out


@pytest.fixture()
def quant(lib):
    return _Q(lib)


def _inputs():
    rng = np.random.default_rng(7)
    yield (rng.standard_normal((8, 256)) * 0.05).astype(np.float32)
    yield (rng.integers(-16, 17, (4, 64)) * 0.25).astype(np.float32)  # ties
    z = np.zeros((2, 32), np.float32)
    z[1, 3] = 1e-40  # subnormal block: 1/d overflows
    yield z


@pytest.mark.parametrize("kind", ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1"])
def test_quantize_and_dequantize_match_gguf(lib, quant, kind):
    t = T[kind.upper()]
    for x in _inputs():
        with np.errstate(all="ignore"):
            want = quants.quantize(x, t)
            want_back = quants.dequantize(want, t).reshape(-1)
        for isa in available_isas(lib):
            check(lib, lib.scipix_set_max_isa(isa, None))
            got = quant.ggml_quantize(x, kind)
            assert got.tobytes() == want.tobytes(), (kind, isa)
            back = quant.ggml_dequantize(got, kind)
            assert back.view(np.uint32).tobytes() == want_back.view(np.uint32).tobytes()
        check(lib, lib.scipix_set_max_isa(lib.scipix_best_isa(), None))


@pytest.mark.parametrize("kind", ["q4_k", "q5_k", "q6_k"])
def test_k_quants_dequantize_match_gguf(quant, kind):
    t = T[kind.upper()]
    rng = np.random.default_rng(3)
    block = {"q4_k": 144, "q5_k": 176, "q6_k": 210}[kind]
    q = rng.integers(0, 256, (3, 2 * block), dtype=np.uint8)
    # finite f16 scales so the comparison is about the formulas
    for r in range(3):
        for b in range(2):
            off = b * block + (208 if kind == "q6_k" else 0)
            q[r, off:off + 2] = np.frombuffer(np.float16(0.01 * (b + 1)).tobytes(), np.uint8)
            if kind != "q6_k":
                q[r, off + 2:off + 4] = np.frombuffer(np.float16(0.003).tobytes(), np.uint8)
    want = quants.dequantize(q, t).reshape(-1)
    got = quant.ggml_dequantize(q, kind)
    assert got.view(np.uint32).tobytes() == want.view(np.uint32).tobytes()
