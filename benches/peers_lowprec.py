"""Peer comparison: ONNX Runtime QuantizeLinear to int4 / uint4 / float8 (CPU EP, one
intra-op thread) against scipix through its C ABI (one thread, SIMD), on the same arrays,
calls alternating between the two, in one run.

    cargo build --release && python3 benches/peers_lowprec.py [--reps 15]

ONNX Runtime's Python API cannot hand out int4 or float8 tensors as numpy arrays, so its
output is bound with IO binding to an ORT-allocated CPU value that is never converted
(the kernel runs in full every call). scipix writes into a preallocated buffer.
Before timing, both results are checked equal through a QuantizeLinear -> DequantizeLinear
graph. Prints elements/s (best of `reps` and median) and the ratio scipix / ONNX Runtime
for both; the machine may be shared, so only the ratios of one run mean anything.
"""
import argparse
import ctypes
import os
import pathlib
import statistics
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = os.environ.get("SCIPIX_LIB", str(ROOT / "target" / "release" / "libscipix.so"))
SZ = ctypes.c_size_t
VP = ctypes.c_void_p
FORMATS = {  # name: (ONNX type, scipix call kind, scipix code, zero point)
    "int4": (TensorProto.INT4, "int4", 2, 0),
    "uint4": (TensorProto.UINT4, "int4", 3, 8),
    "fp8 e4m3fn": (TensorProto.FLOAT8E4M3FN, "fp8", 0, 0.0),
    "fp8 e5m2": (TensorProto.FLOAT8E5M2, "fp8", 1, 0.0),
}


def load():
    lib = ctypes.CDLL(LIB)
    lib.scipix_quantize_int4.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, VP, SZ,
                                         ctypes.c_uint32, VP, SZ]
    lib.scipix_dequantize_int4.argtypes = [VP, SZ, VP, SZ, ctypes.c_uint32, SZ, VP, VP, SZ,
                                           ctypes.c_uint32, VP, SZ]
    lib.scipix_quantize_fp8.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, SZ,
                                        ctypes.c_uint32, ctypes.c_bool, VP, SZ]
    lib.scipix_dequantize_fp8.argtypes = [VP, VP, SZ, ctypes.c_uint32, SZ, VP, SZ,
                                          ctypes.c_uint32, VP, SZ]
    lib.scipix_ggml_quantize.argtypes = [ctypes.c_uint32, VP, SZ, SZ, VP, SZ, VP]
    lib.scipix_ggml_dequantize.argtypes = [ctypes.c_uint32, VP, SZ, VP, SZ, VP]
    lib.scipix_set_opt_level(1)  # SIMD, one thread: the same footing as ORT below
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


def ggml_rows(lib, reps):
    """GGML Q8_0 / Q4_0 both ways, scipix vs gguf.quants (numpy), alternated call by call."""
    from gguf import GGMLQuantizationType as T
    from gguf import quants

    rng = np.random.default_rng(1)
    rows = []
    done = SZ()
    for n, size in ((1 << 20, "1M"), (16 << 20, "16M")):
        x = rng.normal(0, 1, n).astype(np.float32)
        for name, code, ty in (("Q8_0", 8, T.Q8_0), ("Q4_0", 2, T.Q4_0)):
            want = quants.quantize(x.reshape(-1, 1024), ty).reshape(-1)
            q = np.empty(want.size, np.uint8)
            back = np.empty(n, np.float32)

            def spx_q():
                lib.scipix_ggml_quantize(code, x.ctypes.data, n, 1024, q.ctypes.data, q.size,
                                         ctypes.byref(done))

            def spx_d():
                lib.scipix_ggml_dequantize(code, q.ctypes.data, q.size, back.ctypes.data, n,
                                           ctypes.byref(done))

            spx_q()
            assert np.array_equal(q, want), f"{name} {size} quantize differs"
            spx_d()
            peer_back = quants.dequantize(want.reshape(-1, want.size // (n // 1024)), ty)
            assert np.array_equal(back.view(np.uint32), peer_back.reshape(-1).view(np.uint32))
            x2 = x.reshape(-1, 1024)
            w2 = want.reshape(n // 1024, -1)
            for op, peer, spx in (("quantize", lambda: quants.quantize(x2, ty), spx_q),
                                  ("dequantize", lambda: quants.dequantize(w2, ty), spx_d)):
                t_p, t_s = [], []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    peer()
                    t1 = time.perf_counter()
                    spx()
                    t2 = time.perf_counter()
                    t_p.append(t1 - t0)
                    t_s.append(t2 - t1)
                rows.append((size, f"{name} {op}", n / min(t_p), n / min(t_s),
                             n / statistics.median(t_p), n / statistics.median(t_s)))
    print(f"{'size':>5} {'GGML':>15} {'gguf best':>9} {'scipix':>8} {'x gguf':>7} "
          f"{'gguf med':>8} {'scipix':>8} {'x gguf':>7}   (G elements/s, one thread)")
    for size, name, pb, sb, pm, sm in rows:
        print(f"{size:>5} {name:>15} {pb / 1e9:9.3f} {sb / 1e9:8.3f} {sb / pb:7.1f} "
              f"{pm / 1e9:8.3f} {sm / 1e9:8.3f} {sm / pm:7.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--ggml-reps", type=int, default=5)
    ap.add_argument("--only-ggml", action="store_true")
    a = ap.parse_args()
    lib = load()
    if a.only_ggml:
        ggml_rows(lib, a.ggml_reps)
        return
    rng = np.random.default_rng(0)
    shape1 = (SZ * 1)()
    rows = []
    for n, size in ((1 << 20, "1M"), (16 << 20, "16M")):
        x = rng.normal(0, 1, n).astype(np.float32)
        shape1[0] = n
        for name, (qt, kind, code, zp) in FORMATS.items():
            scale = np.float32(0.37 if kind == "int4" else 0.01)
            s = np.array([scale], np.float32)
            z = np.array([int(zp)], np.int32)
            out = np.empty(n, np.uint8)
            back = np.empty(n, np.float32)
            if kind == "int4":
                def spx():
                    lib.scipix_quantize_int4(x.ctypes.data, shape1, 1, 0, 0, s.ctypes.data,
                                             z.ctypes.data, 1, code, out.ctypes.data, n)
                spx()
                lib.scipix_dequantize_int4(out.ctypes.data, n, shape1, 1, 0, 0, s.ctypes.data,
                                           z.ctypes.data, 1, code, back.ctypes.data, n)
            else:
                def spx():
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
            ort_fn = lambda: sess.run_with_iobinding(io)  # noqa: E731
            ort_fn(), spx()
            t_o, t_s = [], []
            for _ in range(a.reps):  # alternate call by call
                t0 = time.perf_counter()
                ort_fn()
                t1 = time.perf_counter()
                spx()
                t2 = time.perf_counter()
                t_o.append(t1 - t0)
                t_s.append(t2 - t1)
            rows.append((size, name, n / min(t_o), n / min(t_s), n / statistics.median(t_o),
                         n / statistics.median(t_s)))
    print(f"{'size':>5} {'format':>11} {'ORT best':>9} {'scipix':>8} {'x ORT':>6} "
          f"{'ORT med':>8} {'scipix':>8} {'x ORT':>6}   (G elements/s, one thread)")
    for size, name, ob, sb, om, sm in rows:
        print(f"{size:>5} {name:>11} {ob / 1e9:9.3f} {sb / 1e9:8.3f} {sb / ob:6.2f} "
              f"{om / 1e9:8.3f} {sm / 1e9:8.3f} {sm / om:6.2f}")
    ggml_rows(lib, a.ggml_reps)


if __name__ == "__main__":
    main()
