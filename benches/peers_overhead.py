#!/usr/bin/env python3
"""Per-call overhead on tiny images: the scipix Python package against cv2 (one thread) on
4x4 images, where the fixed cost of a call is all there is: resize 4x4 -> 2x2 (with and
without ``out=``), gray RGB -> GRAY and a fixed threshold, plus the C API's own cost on the
same images through ctypes with descriptors built once (and a ctypes call of an empty
function, the floor that method adds).

    python3 benches/peers_overhead.py [--reps 200] [--batch 200]

Each timed call runs the operation ``--batch`` times in a loop; the sides of a row
alternate call by call (benches/harness.py's ``race``) and the figures are per operation,
best of ``--reps`` and median, in microseconds. The package measured is the installed one
(``import scipix``, built with maturin) and the C API is the library that package loaded
(``$SCIPIX_LIB`` if set). Standalone: these rows are per-call microseconds of the Python
package, not the C-API-through-ctypes milliseconds of benches/table.py, so they are not in
its PEERS list. The Rust side of the C API (no ctypes) is ``cargo bench --bench
capi_overhead``.
"""
from __future__ import annotations

import argparse
import ctypes
from typing import Callable, List, Tuple

import cv2
import numpy as np

import harness
import scipix
from scipix import image as sp_image
from scipix import resize as sp_resize
from scipix._ffi import _ffi


def batched(fn: Callable[[], object], n: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(n):
            fn()
    return run


def us(t: harness.Timing, n: int) -> str:
    return f"{t.best / n * 1e6:.2f} / {t.median / n * 1e6:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=200)
    a = ap.parse_args()
    cv2.setNumThreads(1)
    scipix.set_opt_level("simd")  # SIMD kernels, no pool (as every peer script)
    rng = np.random.default_rng(0)
    g = rng.integers(0, 256, (4, 4), dtype=np.uint8)
    rgb = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    o2 = np.empty((2, 2), np.uint8)
    o4 = np.empty((4, 4), np.uint8)
    o4b = np.empty((4, 4), np.uint8)
    lin, binary = cv2.INTER_LINEAR, cv2.THRESH_BINARY
    cases: List[Tuple[str, Callable[[], object], str, Callable[[], object]]] = [
        ("resize 4x4 -> 2x2 gray", lambda: sp_resize.resize(g, (2, 2)),
         "cv2.resize", lambda: cv2.resize(g, (2, 2), interpolation=lin)),
        ("resize 4x4 -> 2x2 gray, out=", lambda: sp_resize.resize(g, (2, 2), out=o2),
         "cv2.resize dst=", lambda: cv2.resize(g, (2, 2), dst=o2, interpolation=lin)),
        ("gray 4x4 rgb", lambda: sp_image.gray(rgb, "rgb"),
         "cv2.cvtColor", lambda: cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)),
        ("gray 4x4 rgb, out=", lambda: sp_image.gray(rgb, "rgb", out=o4),
         "cv2.cvtColor dst=", lambda: cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY, dst=o4b)),
        ("threshold 4x4", lambda: sp_image.threshold(g, 127, 255, "binary"),
         "cv2.threshold", lambda: cv2.threshold(g, 127, 255, binary)),
        ("threshold 4x4, out=", lambda: sp_image.threshold(g, 127, 255, "binary", out=o4),
         "cv2.threshold dst=", lambda: cv2.threshold(g, 127, 255, binary, dst=o4b)),
    ]
    n = a.batch
    print(f"Per call, µs, best / median of {a.reps} x {n} calls "
          f"(scipix {scipix.__version__ if hasattr(scipix, '__version__') else ''}, "
          f"cv2 {cv2.__version__}, numpy {np.__version__})")
    print("| op | scipix (Python) µs | peer | peer µs | scipix / peer (best) |")
    print("|---|---|---|---|---|")
    for op, fn, peer, pfn in cases:
        t = harness.race([batched(fn, n), batched(pfn, n)], a.reps)
        print(f"| {op} | {us(t[0], n)} | {peer} | {us(t[1], n)} "
              f"| {t[0].best / t[1].best:.2f} |", flush=True)

    # The C API on the same images: descriptors built once, raw symbols (no status check),
    # pointer arguments as c_void_p. An empty call (scipix_abi_version) is what ctypes adds.
    lib = _ffi.cdll

    class Img(ctypes.Structure):
        _fields_ = [("data", ctypes.c_void_p), ("width", ctypes.c_size_t),
                    ("height", ctypes.c_size_t), ("stride", ctypes.c_size_t),
                    ("format", ctypes.c_uint32)]

    def d(arr: np.ndarray, fmt: int) -> ctypes.c_void_p:
        keep.append(Img(arr.ctypes.data, arr.shape[1], arr.shape[0], arr.strides[0], fmt))
        return ctypes.c_void_p(ctypes.addressof(keep[-1]))

    keep: List[Img] = []
    gray8, rgb8 = _ffi.const("SCIPIX_FORMAT_GRAY8"), _ffi.const("SCIPIX_FORMAT_RGB8")
    mode = _ffi.const("SCIPIX_RESIZE_CV_LINEAR")
    sg, so2, srgb, so4 = d(g, gray8), d(o2, gray8), d(rgb, rgb8), d(o4, gray8)
    fns = {}
    for name, args in [("scipix_resize", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32]),
                       ("scipix_gray", [ctypes.c_void_p, ctypes.c_void_p]),
                       ("scipix_threshold", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
                                             ctypes.c_double, ctypes.c_uint32])]:
        f = lib[name]
        f.argtypes, f.restype = args, ctypes.c_int32
        fns[name] = f
    empty = lib["scipix_abi_version"]
    empty.argtypes, empty.restype = [], ctypes.c_uint32
    r, gr, th = fns["scipix_resize"], fns["scipix_gray"], fns["scipix_threshold"]
    assert r(sg, so2, mode) == 0 and gr(srgb, so4) == 0 and th(sg, so4, 127.0, 255.0, 0) == 0
    c_cases = [("scipix_resize 4x4 -> 2x2 gray", lambda: r(sg, so2, mode)),
               ("scipix_gray 4x4 rgb", lambda: gr(srgb, so4)),
               ("scipix_threshold 4x4", lambda: th(sg, so4, 127.0, 255.0, 0)),
               ("(empty call: scipix_abi_version)", lambda: empty())]
    t = harness.race([batched(fn, n) for _, fn in c_cases], a.reps)
    floor = t[-1].best / n
    print("\nC API through ctypes, descriptors built once (per call, µs, best / median; "
          "'- floor': best minus the empty call's best)")
    print("| call | µs | - floor |\n|---|---|---|")
    for (name, _), tt in zip(c_cases, t):
        print(f"| {name} | {us(tt, n)} | {tt.best / n * 1e6 - floor * 1e6:.2f} |")


if __name__ == "__main__":
    main()
