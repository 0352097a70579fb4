"""Peer comparison: ONNX Runtime QuantizeLinear / DequantizeLinear (CPU EP, one intra-op
thread, IO binding into preallocated buffers, so only the kernel and the session call are
timed) against scipix through its C ABI on the same arrays, in one run, single thread.

    cargo build --release && python3 benches/peers_quant.py [--reps 20]

Prints elements/s (best of `reps`, so less sensitive to a shared machine than a mean),
the ratios to ONNX Runtime and to scipix's scalar path, and the ratio to a numpy copy of
the same f32 input; the results of both are compared byte for byte before timing.
"""
import argparse
import ctypes
import os
import pathlib
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = os.environ.get("SCIPIX_LIB", str(ROOT / "target" / "release" / "libscipix.so"))
SZ = ctypes.c_size_t
INT8 = 0


def load():
    lib = ctypes.CDLL(LIB)
    lib.scipix_quantize_linear.argtypes = [ctypes.c_void_p, SZ, ctypes.c_float, ctypes.c_int32,
                                           ctypes.c_uint32, ctypes.c_void_p, SZ]
    lib.scipix_dequantize_linear.argtypes = [ctypes.c_void_p, SZ, ctypes.c_float, ctypes.c_int32,
                                             ctypes.c_uint32, ctypes.c_void_p, SZ]
    lib.scipix_quantize_linear_axis.argtypes = [ctypes.c_void_p, ctypes.c_void_p, SZ, SZ,
                                                ctypes.c_void_p, ctypes.c_void_p, SZ,
                                                ctypes.c_uint32, ctypes.c_void_p, SZ]
    lib.scipix_set_max_isa.argtypes = [ctypes.c_uint32, ctypes.c_void_p]
    lib.scipix_best_isa.restype = ctypes.c_uint32
    lib.scipix_set_opt_level(1)  # SIMD, one thread: the same footing as ORT below
    return lib


def session(op, shape, scale, zp, axis=None):
    attrs = {} if axis is None else {"axis": axis}
    inp, out = ("x", TensorProto.FLOAT), ("y", TensorProto.INT8)
    if op == "DequantizeLinear":
        inp, out = ("x", TensorProto.INT8), ("y", TensorProto.FLOAT)
    node = helper.make_node(op, ["x", "s", "z"], ["y"], **attrs)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info(*inp, list(shape))],
        [helper.make_tensor_value_info(*out, list(shape))],
        [numpy_helper.from_array(np.asarray(scale, np.float32), "s"),
         numpy_helper.from_array(np.asarray(zp, np.int8), "z")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def bound(sess, x, y):
    io = sess.io_binding()
    io.bind_cpu_input("x", x)
    io.bind_output("y", "cpu", 0, y.dtype, list(y.shape), y.ctypes.data)
    return lambda: sess.run_with_iobinding(io)


def best(fn, reps):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    lib = load()
    best_isa = lib.scipix_best_isa()
    rng = np.random.default_rng(0)
    scale, zp = np.float32(4.0 / 255.0), 0
    rows = []
    for n, name in ((100_000, "100K"), (1 << 20, "1M"), (16 << 20, "16M")):
        x = rng.uniform(-2, 2, n).astype(np.float32)
        q_ort = np.empty(n, np.int8)
        q_spx = np.empty(n, np.int8)
        d_ort = np.empty(n, np.float32)
        d_spx = np.empty(n, np.float32)
        run_q = bound(session("QuantizeLinear", (n,), scale, zp), x, q_ort)
        run_d = bound(session("DequantizeLinear", (n,), scale, zp), q_ort, d_ort)
        xp, qp, dp = x.ctypes.data, q_spx.ctypes.data, d_spx.ctypes.data

        def spx_q():
            lib.scipix_quantize_linear(xp, n, scale, zp, INT8, qp, n)

        def spx_d():
            lib.scipix_dequantize_linear(qp, n, scale, zp, INT8, dp, n)

        dst = np.empty_like(x)
        t_copy = best(lambda: np.copyto(dst, x), a.reps)
        run_q(); spx_q(); run_d(); spx_d()
        assert np.array_equal(q_ort, q_spx), "quantize results differ"
        assert np.array_equal(d_ort.view(np.uint32), d_spx.view(np.uint32)), "dequantize differs"
        for op, ort_fn, spx_fn in (("quantize", run_q, spx_q), ("dequantize", run_d, spx_d)):
            lib.scipix_set_max_isa(best_isa, None)
            t_ort, t_spx = best(ort_fn, a.reps), best(spx_fn, a.reps)
            lib.scipix_set_max_isa(0, None)
            t_sc = best(spx_fn, max(3, a.reps // 4))
            lib.scipix_set_max_isa(best_isa, None)
            rows.append((name, op, n / t_ort, n / t_spx, n / t_sc, n / t_copy))
    # Per-channel [4096, 4096], axis 0 (per output row) and axis 1.
    shape = (4096, 4096)
    n = shape[0] * shape[1]
    w = rng.normal(0, 1, shape).astype(np.float32)
    for axis in (0, 1):
        ch = shape[axis]
        s = (np.abs(w).max(axis=1 - axis) / 127).astype(np.float32)
        z = np.zeros(ch, np.int8)
        q_ort = np.empty(shape, np.int8)
        q_spx = np.empty(shape, np.int8)
        run = bound(session("QuantizeLinear", shape, s, z, axis=axis), w, q_ort)
        zi = z.astype(np.int32)
        shp = (SZ * 2)(*shape)

        def spx():
            lib.scipix_quantize_linear_axis(w.ctypes.data, shp, 2, axis, s.ctypes.data,
                                            zi.ctypes.data, ch, INT8, q_spx.ctypes.data, n)

        dst = np.empty_like(w)
        t_copy = best(lambda: np.copyto(dst, w), max(5, a.reps // 2))
        run(); spx()
        assert np.array_equal(q_ort, q_spx), f"per-axis {axis} differs"
        t_ort, t_spx = best(run, max(5, a.reps // 2)), best(spx, max(5, a.reps // 2))
        lib.scipix_set_max_isa(0, None)
        t_sc = best(spx, 3)
        lib.scipix_set_max_isa(best_isa, None)
        rows.append((f"4096x4096 axis {axis}", "quantize", n / t_ort, n / t_spx, n / t_sc,
                     n / t_copy))
    print(f"{'size':>18} {'op':>10} {'ORT Gel/s':>10} {'scipix':>8} {'x ORT':>6} "
          f"{'scalar':>8} {'x scalar':>8} {'f32 copy':>9} {'x copy':>7}")
    for name, op, o, s, sc, cp in rows:
        print(f"{name:>18} {op:>10} {o / 1e9:10.2f} {s / 1e9:8.2f} {s / o:6.2f} "
              f"{sc / 1e9:8.2f} {s / sc:8.2f} {cp / 1e9:9.2f} {s / cp:7.2f}")


if __name__ == "__main__":
    main()
