"""Peer comparison on the same arrays, single-threaded: numpy normalization and
cv2.dnn.blobFromImage (cv2.setNumThreads(1)) vs scipix through ctypes.

    cargo build --release && python3 benches/peers_tensor.py

Prints the best of several runs (ms), throughput and the scipix/peer speed ratio. The
machine may be shared; numbers are noisy, ratios from one run are the useful part.
"""
import ctypes
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "python"))
from conftest import library_path  # noqa: E402
from test_tensor_reference import BGR, Image, params  # noqa: E402

import cv2  # noqa: E402

SCIPIX_OPT_SIMD = 1  # SIMD kernels, one thread


def best(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    lib = ctypes.CDLL(str(library_path()))
    lib.scipix_best_isa.restype = ctypes.c_uint32
    lib.scipix_set_max_isa.argtypes = [ctypes.c_uint32, ctypes.c_void_p]
    lib.scipix_set_opt_level(SCIPIX_OPT_SIMD)
    cv2.setNumThreads(1)
    ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731

    print("normalization (x - mean) / sqrt(var + eps), float32, one thread")
    print(f"{'n':>10} {'numpy ms':>10} {'scalar ms':>10} {'scipix ms':>10} {'scipix Gelem/s':>15} {'vs numpy':>9} {'vs scalar':>9}")
    rng = np.random.default_rng(0)
    for n in (8192, 1 << 20, 1 << 24):
        x = (1.0e4 + rng.standard_normal(n)).astype(np.float32)
        y = np.empty_like(x)
        reps = 5 if n >= 1 << 24 else 50
        t_np = best(lambda: (x - x.mean()) / np.sqrt(x.var() + np.float32(1e-8)), reps)
        run = lambda: lib.scipix_normalize_f32(ptr(x), ptr(y), n, ctypes.c_float(1e-8), None, None)  # noqa: E731
        lib.scipix_set_max_isa(0, None)  # scalar kernels
        t_sc = best(run, reps)
        lib.scipix_set_max_isa(lib.scipix_best_isa(), None)
        t_sp = best(run, reps)
        print(f"{n:>10} {t_np * 1e3:>10.3f} {t_sc * 1e3:>10.3f} {t_sp * 1e3:>10.3f} {n / t_sp / 1e9:>15.2f} "
              f"{t_np / t_sp:>8.1f}x {t_sc / t_sp:>8.1f}x")

    print()
    print("image to NCHW float tensor, BGR u8 -> RGB, one thread")
    print(f"{'image':>10} {'rule':>6} {'cv2 ms':>9} {'scipix ms':>10} {'scipix GP/s':>12} {'ratio':>7}")
    for side in (224, 640, 1024):
        bgr = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        img = Image(bgr.ctypes.data, side, side, side * 3, BGR)
        out = np.empty(3 * side * side, dtype=np.float32)
        reps = 20 if side <= 640 else 8
        t_cv = best(
            lambda: cv2.dnn.blobFromImage(bgr, 1 / 255, mean=(104, 117, 123), swapRB=True), reps
        )
        for rule, p in [
            ("blob", params(lib, scale=1 / 255, mean=[104, 117, 123], swap_rb=True)),
            (
                "torch",
                params(lib, divisor=255.0, mean=[0.485, 0.456, 0.406],
                       std=[0.229, 0.224, 0.225], swap_rb=True),
            ),
        ]:
            t_sp = best(
                lambda: lib.scipix_image_to_tensor(ctypes.byref(img), ctypes.byref(p), ptr(out), out.size),
                reps,
            )
            px = side * side
            print(f"{side:>7}^2 {rule:>6} {t_cv * 1e3:>9.3f} {t_sp * 1e3:>10.3f} {px / t_sp / 1e9:>12.2f} {t_cv / t_sp:>6.1f}x")


if __name__ == "__main__":
    main()
