"""Peer comparison: ONNX Runtime QuantizeLinear to int4 / uint4 / float8 (CPU EP, one
intra-op thread) against scipix through its C ABI (one thread, SIMD), on the same arrays,
calls alternating between the two, in one run.

    cargo build --release && python3 benches/peers_lowprec.py [--reps 15]

ONNX Runtime's Python API cannot hand out int4 or float8 tensors as numpy arrays, so its
output is bound with IO binding to an ORT-allocated CPU value that is never converted
(the kernel runs in full every call). scipix writes into a preallocated buffer.
Before timing, both results are checked equal through a QuantizeLinear -> DequantizeLinear
graph. Also f32 -> f16 / bf16 against numpy / ml_dtypes and GGML Q8_0 / Q4_0 blocks against
gguf.quants (if installed), each checked bit for bit first. Calls alternate scipix, the
peer and a copy of the same bytes read plus written (benches/harness.py); prints best /
median (ms) and the ratios; the machine may be shared, so only the ratios of one run mean
anything. `rows(lib, reps, full)` is what benches/table.py collects.
"""
import argparse
import ctypes

import ml_dtypes
import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import harness

SZ = ctypes.c_size_t
VP = ctypes.c_void_p
FORMATS = {  # name: (ONNX type, scipix call kind, scipix code, zero point)
    "int4": (TensorProto.INT4, "int4", 2, 0),
    "uint4": (TensorProto.UINT4, "int4", 3, 8),
    "fp8 e4m3fn": (TensorProto.FLOAT8E4M3FN, "fp8", 0, 0.0),
    "fp8 e5m2": (TensorProto.FLOAT8E5M2, "fp8", 1, 0.0),
}


def load():
    lib = harness.load_lib()
    lib.scipix_quantize_int4.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, VP, SZ,
                                         ctypes.c_uint32, VP, SZ]
    lib.scipix_dequantize_int4.argtypes = [VP, SZ, VP, SZ, ctypes.c_uint32, SZ, VP, VP, SZ,
                                           ctypes.c_uint32, VP, SZ]
    lib.scipix_quantize_fp8.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, SZ,
                                        ctypes.c_uint32, ctypes.c_bool, VP, SZ]
    lib.scipix_dequantize_fp8.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, SZ,
                                          ctypes.c_uint32, VP, SZ]
    return lib


def session(n, qtype, scale, zp, tail):
    z = helper.make_tensor("z", qtype, [], [zp])
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"])]
    if tail == "q":
        out = helper.make_tensor_value_info("q", qtype, [n])
    else:
        nodes.append(helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"]))
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [n])], [out], [numpy_helper.from_array(np.float32(scale), "s"), z])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def ort_rows(lib, reps, full):
    """int4 / uint4 / FP8 QuantizeLinear against ONNX Runtime, results checked equal first."""
    rng = np.random.default_rng(0)
    shape1 = (SZ * 1)()
    out_rows = []
    for n, size in ((1 << 20, "1M"), (16 << 20, "16M")):
        x = rng.normal(0, 1, n).astype(np.float32)
        shape1[0] = n
        for name, (qt, kind, code, zp) in FORMATS.items():
            if not full and name in ("uint4", "fp8 e5m2"):
                continue
            scale = np.float32(0.37 if kind == "int4" else 0.01)
            s = np.array([scale], np.float32)
            z = np.array([int(zp)], np.int32)
            out = np.empty(n, np.uint8)
            back = np.empty(n, np.float32)
            if kind == "int4":
                def spx(x=x, s=s, z=z, code=code, out=out, n=n):
                    lib.scipix_quantize_int4(x.ctypes.data, shape1, 1, 0, 0, s.ctypes.data,
                                             z.ctypes.data, 1, code, out.ctypes.data, n)
                spx()
                lib.scipix_dequantize_int4(out.ctypes.data, n, shape1, 1, 0, 0, s.ctypes.data,
                                           z.ctypes.data, 1, code, back.ctypes.data, n)
            else:
                def spx(x=x, s=s, code=code, out=out, n=n):
                    lib.scipix_quantize_fp8(x.ctypes.data, shape1, 1, 0, 0, s.ctypes.data, 1,
                                            code, True, out.ctypes.data, n)
                spx()
                lib.scipix_dequantize_fp8(out.ctypes.data, shape1, 1, 0, 0, s.ctypes.data, 1,
                                          code, back.ctypes.data, n)
            want = session(n, qt, scale, zp, "dq").run(None, {"x": x})[0]
            assert np.array_equal(np.nan_to_num(want).view(np.uint32),
                                  np.nan_to_num(back).view(np.uint32)), f"{name} {size} differs"
            sess = session(n, qt, scale, zp, "q")
            io = sess.io_binding()
            io.bind_cpu_input("x", x)
            io.bind_output("q", "cpu")  # ORT allocates; nothing is converted to numpy
            written = n // 2 if kind == "int4" else n
            r = reps if n < 16 << 20 else max(5, reps // 2)
            out_rows.append(harness.measure(
                f"quantize {name}", size, spx, "ORT QuantizeLinear",
                lambda sess=sess, io=io: sess.run_with_iobinding(io), 4 * n, written, r))
            if n == 16 << 20:
                # ONNX Runtime's Python API takes no int4 / float8 input, so dequantize has
                # no peer here: its row is scipix against the copy of the same bytes.
                if kind == "int4":
                    def spx_d(s=s, z=z, code=code, out=out, back=back, n=n):
                        lib.scipix_dequantize_int4(out.ctypes.data, n, shape1, 1, 0, 0,
                                                   s.ctypes.data, z.ctypes.data, 1, code,
                                                   back.ctypes.data, n)
                else:
                    def spx_d(s=s, code=code, out=out, back=back, n=n):
                        lib.scipix_dequantize_fp8(out.ctypes.data, shape1, 1, 0, 0,
                                                  s.ctypes.data, 1, code, back.ctypes.data, n)
                out_rows.append(harness.measure(f"dequantize {name}", size, spx_d, "", None,
                                                written, 4 * n, r))
    return out_rows


def convert_rows(lib, reps, full):
    """f32 <-> f16 / bf16 against numpy / ml_dtypes casts into preallocated arrays."""
    rng = np.random.default_rng(0)
    out = []
    for n, size in ((1 << 20, "1M"), (16 << 20, "16M")):
        x = rng.normal(0, 1, n).astype(np.float32)
        r = reps if n < 16 << 20 else max(5, reps // 2)
        for name, fn, dtype, peer in (("f32 → f16", lib.scipix_f32_to_f16, np.float16, "numpy astype"),
                                      ("f32 → bf16", lib.scipix_f32_to_bf16, ml_dtypes.bfloat16,
                                       "ml_dtypes astype")):
            ours = np.empty(n, np.uint16)
            theirs = np.empty(n, dtype)
            fn.argtypes = [VP, VP, SZ]

            def spx(fn=fn, x=x, ours=ours, n=n):
                fn(x.ctypes.data, ours.ctypes.data, n)

            def ref(x=x, theirs=theirs):
                np.copyto(theirs, x, casting="unsafe")
            spx()
            ref()
            assert np.array_equal(ours, theirs.view(np.uint16)), f"{name} {size} differs"
            out.append(harness.measure(name, size, spx, peer, ref, 4 * n, 2 * n, r, scalar=True))
        for name, fn, dtype, peer in (("f16 → f32", lib.scipix_f16_to_f32, np.float16, "numpy astype"),
                                      ("bf16 → f32", lib.scipix_bf16_to_f32, ml_dtypes.bfloat16,
                                       "ml_dtypes astype")):
            h = x.astype(dtype)
            ours = np.empty(n, np.float32)
            theirs = np.empty(n, np.float32)
            fn.argtypes = [VP, VP, SZ]

            def spx(fn=fn, h=h, ours=ours, n=n):
                fn(h.ctypes.data, ours.ctypes.data, n)

            def ref(h=h, theirs=theirs):
                np.copyto(theirs, h, casting="unsafe")
            spx()
            ref()
            assert np.array_equal(ours.view(np.uint32), theirs.view(np.uint32)), f"{name} {size}"
            out.append(harness.measure(name, size, spx, peer, ref, 2 * n, 4 * n, r, scalar=True))
    return out


def ggml_rows(lib, reps, full):
    """GGML Q8_0 / Q4_0 blocks of 1M values against gguf.quants (numpy), if installed."""
    try:
        import gguf.quants as gq
        from gguf import GGMLQuantizationType as T
    except ImportError:
        return []
    lib.scipix_ggml_quantize.argtypes = [ctypes.c_uint32, VP, SZ, SZ, VP, SZ, VP]
    lib.scipix_ggml_dequantize.argtypes = [ctypes.c_uint32, VP, SZ, VP, SZ, VP]
    n, row = 1 << 20, 1024
    x = np.random.default_rng(0).normal(0, 1, n).astype(np.float32)
    out = []
    for name, code, qt in (("Q8_0", 8, T.Q8_0), ("Q4_0", 2, T.Q4_0)):
        want = gq.quantize(x.reshape(-1, row), qt)
        q = np.empty(want.size, np.uint8)
        y = np.empty(n, np.float32)

        def spx_q(code=code, q=q):
            lib.scipix_ggml_quantize(code, x.ctypes.data, n, row, q.ctypes.data, q.size, None)

        def spx_d(code=code, q=q, y=y):
            lib.scipix_ggml_dequantize(code, q.ctypes.data, q.size, y.ctypes.data, n, None)
        spx_q()
        spx_d()
        assert np.array_equal(q, want.reshape(-1)), f"GGML {name} quantize differs"
        assert np.array_equal(y.view(np.uint32), gq.dequantize(want, qt).reshape(-1).view(np.uint32))
        r = max(5, reps // 2)
        out.append(harness.measure(f"GGML {name} quantize", "1M", spx_q, "gguf.quants",
                                   lambda qt=qt: gq.quantize(x.reshape(-1, row), qt),
                                   4 * n, q.size, r, scalar=True))
        out.append(harness.measure(f"GGML {name} dequantize", "1M", spx_d, "gguf.quants",
                                   lambda qt=qt, want=want: gq.dequantize(want, qt),
                                   q.size, 4 * n, r, scalar=True))
    return out


def rows(lib, reps=15, full=True):
    lib = load()  # the same library, with this script's argtypes
    return ort_rows(lib, reps, full) + convert_rows(lib, reps, full) + ggml_rows(lib, reps, full)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    a = ap.parse_args()
    harness.print_rows(rows(load(), a.reps),
                       f"ONNX Runtime {ort.__version__}, numpy {np.__version__}, ml_dtypes "
                       f"{ml_dtypes.__version__} vs scipix; one thread, calls alternated, best / median")


if __name__ == "__main__":
    main()
