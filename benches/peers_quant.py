"""Peer comparison: ONNX Runtime QuantizeLinear / DequantizeLinear (CPU EP, one intra-op
thread, IO binding into preallocated buffers, so only the kernel and the session call are
timed) against scipix through its C ABI on the same arrays, in one run, single thread.

    cargo build --release && python3 benches/peers_quant.py [--reps 20]

Calls alternate scipix, ONNX Runtime, a copy of the same bytes read plus written and
scipix's scalar path (benches/harness.py); prints best / median (ms) and the ratios. The
results of both are compared byte for byte before timing.
`rows(lib, reps, full)` is what benches/table.py collects (full=False: the table's cases).
"""
import argparse
import ctypes

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import harness

SZ = ctypes.c_size_t
INT8 = 0


def load():
    lib = harness.load_lib()
    lib.scipix_quantize_linear.argtypes = [ctypes.c_void_p, SZ, ctypes.c_float, ctypes.c_int32,
                                           ctypes.c_uint32, ctypes.c_void_p, SZ]
    lib.scipix_dequantize_linear.argtypes = [ctypes.c_void_p, SZ, ctypes.c_float, ctypes.c_int32,
                                             ctypes.c_uint32, ctypes.c_void_p, SZ]
    lib.scipix_quantize_linear_axis.argtypes = [ctypes.c_void_p, ctypes.c_void_p, SZ, SZ,
                                                ctypes.c_void_p, ctypes.c_void_p, SZ,
                                                ctypes.c_uint32, ctypes.c_void_p, SZ]
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


def rows(lib, reps=20, full=True):
    lib = load()  # the same library, with this script's argtypes
    out = []
    rng = np.random.default_rng(0)
    scale, zp = np.float32(4.0 / 255.0), 0
    for n, name in ((100_000, "100K"), (1 << 20, "1M"), (16 << 20, "16M")):
        x = rng.uniform(-2, 2, n).astype(np.float32)
        if not full and n == 100_000:
            continue
        q_ort = np.empty(n, np.int8)
        q_spx = np.empty(n, np.int8)
        d_ort = np.empty(n, np.float32)
        d_spx = np.empty(n, np.float32)
        run_q = bound(session("QuantizeLinear", (n,), scale, zp), x, q_ort)
        run_d = bound(session("DequantizeLinear", (n,), scale, zp), q_ort, d_ort)
        xp, qp, dp = x.ctypes.data, q_spx.ctypes.data, d_spx.ctypes.data

        def spx_q(xp=xp, qp=qp, n=n):
            lib.scipix_quantize_linear(xp, n, scale, zp, INT8, qp, n)

        def spx_d(qp=qp, dp=dp, n=n):
            lib.scipix_dequantize_linear(qp, n, scale, zp, INT8, dp, n)

        run_q(); spx_q(); run_d(); spx_d()
        assert np.array_equal(q_ort, q_spx), "quantize results differ"
        assert np.array_equal(d_ort.view(np.uint32), d_spx.view(np.uint32)), "dequantize differs"
        r = reps if n < 16 << 20 else max(5, reps // 3)
        out.append(harness.measure("quantize int8", name, spx_q, "ORT QuantizeLinear", run_q,
                                   4 * n, n, r, scalar=True))
        out.append(harness.measure("dequantize int8", name, spx_d, "ORT DequantizeLinear", run_d,
                                   n, 4 * n, r, scalar=True))
    # Per-channel [4096, 4096], axis 0 (per output row) and axis 1.
    shape = (4096, 4096)
    n = shape[0] * shape[1]
    w = rng.normal(0, 1, shape).astype(np.float32)
    for axis in (0, 1):
        ch = shape[axis]
        s = (np.abs(w).max(axis=1 - axis) / 127).astype(np.float32)
        if not full and axis == 0:
            continue
        z = np.zeros(ch, np.int8)
        q_ort = np.empty(shape, np.int8)
        q_spx = np.empty(shape, np.int8)
        run = bound(session("QuantizeLinear", shape, s, z, axis=axis), w, q_ort)
        zi = z.astype(np.int32)
        shp = (SZ * 2)(*shape)

        def spx(axis=axis, s=s, zi=zi, ch=ch, q_spx=q_spx, shp=shp):
            lib.scipix_quantize_linear_axis(w.ctypes.data, shp, 2, axis, s.ctypes.data,
                                            zi.ctypes.data, ch, INT8, q_spx.ctypes.data, n)

        run(); spx()
        assert np.array_equal(q_ort, q_spx), f"per-axis {axis} differs"
        out.append(harness.measure(f"quantize int8 per-channel axis {axis}", "4096x4096", spx,
                                   "ORT QuantizeLinear", run, 4 * n, n, max(5, reps // 4),
                                   scalar=True))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    lib = load()
    harness.print_rows(rows(lib, a.reps),
                       f"ONNX Runtime {ort.__version__} (1 thread, IO binding) vs scipix (SIMD, "
                       f"1 thread); calls alternated, best / median")


if __name__ == "__main__":
    main()
