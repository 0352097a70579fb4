#!/usr/bin/env python3
"""Per-call overhead on tiny images: the scipix Python package against cv2 (one thread) on
4x4 images, where the fixed cost of a call is all there is: resize 4x4 -> 2x2 (with and
without ``out=``), gray RGB -> GRAY, a fixed threshold and the other image operations (float
gray, float32 threshold, Otsu, colour to Otsu binary, adaptive mean), plus the C API's own
cost on the same images through ctypes with descriptors built once (and a ctypes call of an
empty function, the floor that method adds). Then the other per-image functions on tiny images
(``Resizer``, crop, pad, letterbox, the tensor functions), against the cv2 (or numpy) calls
that do the same where there are any.

    python3 benches/peers_overhead.py [--reps 200] [--batch 200] [--json FILE]

Each timed call runs the operation ``--batch`` times in a loop; the sides of a row
alternate call by call (benches/harness.py's ``race``) and the figures are per operation,
best of ``--reps`` and median, in microseconds. The package measured is the installed one
(``import scipix``, built with maturin) and the C API is the library that package loaded
(``$SCIPIX_LIB`` if set). These rows are per-call microseconds of the Python package, not
the C-API-through-ctypes milliseconds of the main table, so benches/table.py (``make
bench``) runs this script on its own with ``--json`` and prints them as a table of their
own, against the per-call targets in TARGETS_US. The Rust side of the C API (no ctypes) is
``cargo bench --bench capi_overhead``.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import pathlib
from typing import Any, Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np

import harness
import scipix
from scipix import image as sp_image
from scipix import resize as sp_resize
from scipix import tensor as sp_tensor
from scipix._ffi import _ffi


def batched(fn: Callable[[], object], n: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(n):
            fn()
    return run


# Per-call targets (µs, best) of the image ops and resize from Python: 2 with `out=` given,
# 3 without. Rows not listed have none.
TARGETS_US = {
    "resize 4x4 -> 2x2 gray": 3.0,
    "resize 4x4 -> 2x2 gray, out=": 2.0,
    "gray 4x4 rgb": 3.0,
    "gray 4x4 rgb, out=": 2.0,
    "threshold 4x4": 3.0,
    "threshold 4x4, out=": 2.0,
    "Resizer 4x4 -> 2x2 gray": 3.0,
    "Resizer 4x4 -> 2x2 gray, out=": 2.0,
    "resize 4x4 -> 2x2 rgb, out=": 2.0,
    "gray_f32 4x4 rgb, out=": 2.0,
    "threshold float32 4x4, out=": 2.0,
    "threshold_otsu 4x4, out=": 2.0,
    "binarize_otsu 4x4 rgb, out=": 2.0,
    "adaptive_threshold_mean 4x4 (3x3), out=": 2.0,
}
RECORDS: List[Dict[str, Any]] = []


def us(t: harness.Timing, n: int) -> str:
    return f"{t.best / n * 1e6:.2f} / {t.median / n * 1e6:.2f}"


def record(section: str, op: str, t: harness.Timing, n: int, peer: str = "-",
           tp: Optional[harness.Timing] = None) -> None:
    """Keeps one row for --json: per-call best and median in µs of both sides."""
    RECORDS.append({"section": section, "op": op, "scipix_us": [t.best / n * 1e6,
                                                                t.median / n * 1e6],
                    "peer": peer, "peer_us": None if tp is None else [tp.best / n * 1e6,
                                                                      tp.median / n * 1e6],
                    "target_us": TARGETS_US.get(op)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--json", help="also write the rows here (benches/table.py reads them)")
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
    otsu = cv2.THRESH_BINARY | cv2.THRESH_OTSU
    f32 = np.float32
    gf = g.astype(f32)
    f4, f4b = np.empty((4, 4), f32), np.empty((4, 4), f32)
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
        ("gray_f32 4x4 rgb, out=", lambda: sp_image.gray_f32(rgb, "rgb", out=f4),
         "cv2.cvtColor + astype", lambda: cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(f32)),
        ("threshold float32 4x4, out=", lambda: sp_image.threshold(gf, 127, 255, out=f4),
         "cv2.threshold dst=", lambda: cv2.threshold(gf, 127, 255, binary, dst=f4b)),
        ("threshold_otsu 4x4, out=", lambda: sp_image.threshold_otsu(g, out=o4),
         "cv2.threshold OTSU dst=", lambda: cv2.threshold(g, 0, 255, otsu, dst=o4b)),
        ("binarize_otsu 4x4 rgb, out=", lambda: sp_image.binarize_otsu(rgb, "rgb", out=o4),
         "cv2.cvtColor + threshold OTSU",
         lambda: cv2.threshold(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 0, 255, otsu)),
        ("adaptive_threshold_mean 4x4 (3x3), out=",
         lambda: sp_image.adaptive_threshold_mean(g, block_size=3, out=o4),
         "cv2.adaptiveThreshold dst=",
         lambda: cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, binary, 3, 2,
                                       dst=o4b)),
    ]
    n = a.batch
    print(f"Per call, µs, best / median of {a.reps} x {n} calls "
          f"(scipix {scipix.__version__ if hasattr(scipix, '__version__') else ''}, "
          f"cv2 {cv2.__version__}, numpy {np.__version__})")
    print("| op | scipix (Python) µs | peer | peer µs | scipix / peer (best) |")
    print("|---|---|---|---|---|")
    for op, fn, peer, pfn in cases:
        t = harness.race([batched(fn, n), batched(pfn, n)], a.reps)
        record("python", op, t[0], n, peer, t[1])
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
    others(a.reps, n, g, rgb, o2)
    t = harness.race([batched(fn, n) for _, fn in c_cases], a.reps)
    floor = t[-1].best / n
    print("\nC API through ctypes, descriptors built once (per call, µs, best / median; "
          "'- floor': best minus the empty call's best)")
    print("| call | µs | - floor |\n|---|---|---|")
    for (name, _), tt in zip(c_cases, t):
        record("c", name, tt, n)
        print(f"| {name} | {us(tt, n)} | {tt.best / n * 1e6 - floor * 1e6:.2f} |")
    if a.json:
        pathlib.Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(a.json).write_text(json.dumps(RECORDS))


def others(reps: int, n: int, g: np.ndarray, rgb: np.ndarray, o2: np.ndarray) -> None:
    """The remaining per-image functions on tiny images; the peer is what OpenCV (or numpy
    slicing) does for the same result, "-" where there is none."""
    rgb46 = np.ascontiguousarray(np.concatenate([rgb, rgb[:, :2]], axis=1))  # 4x6: W 6, H 4
    info = sp_resize.letterbox_info((6, 4), 8)
    lb_pad = (info.top, info.bottom, info.left, info.right)
    lb_size = (info.resized_width, info.resized_height)
    lin, const = cv2.INTER_LINEAR, cv2.BORDER_CONSTANT

    def cv_letterbox() -> np.ndarray:
        r = cv2.resize(rgb46, lb_size, interpolation=lin)
        return cv2.copyMakeBorder(r, *lb_pad, const, value=(114, 114, 114))

    resizer = sp_resize.Resizer((4, 4), (2, 2), "cv_linear", "gray")
    o2rgb = np.empty((2, 2, 3), np.uint8)
    t1 = np.empty((1, 3, 4, 4), np.float32)
    cases: List[Tuple[str, Callable[[], object], str, Optional[Callable[[], object]]]] = [
        ("Resizer 4x4 -> 2x2 gray", lambda: resizer(g),
         "cv2.resize", lambda: cv2.resize(g, (2, 2), interpolation=lin)),
        ("Resizer 4x4 -> 2x2 gray, out=", lambda: resizer(g, out=o2),
         "cv2.resize dst=", lambda: cv2.resize(g, (2, 2), dst=o2, interpolation=lin)),
        ("resize 4x4 -> 2x2 rgb, out=", lambda: sp_resize.resize(rgb, (2, 2), format="rgb",
                                                                 out=o2rgb),
         "cv2.resize dst=", lambda: cv2.resize(rgb, (2, 2), dst=o2rgb, interpolation=lin)),
        ("crop_pad 4x4 rgb, 2x2 window", lambda: sp_resize.crop_pad(rgb, 1, 1, (2, 2), "rgb"),
         "numpy slice .copy()", lambda: rgb[1:3, 1:3].copy()),
        ("center_crop 4x4 rgb -> 2x2", lambda: sp_resize.center_crop(rgb, 2, "rgb"),
         "numpy slice .copy()", lambda: rgb[1:3, 1:3].copy()),
        ("pad_constant 4x4 gray, 1 each side", lambda: sp_resize.pad_constant(g, 1, 1, 1, 1),
         "cv2.copyMakeBorder", lambda: cv2.copyMakeBorder(g, 1, 1, 1, 1, const, value=0)),
        ("letterbox 6x4 rgb -> 8", lambda: sp_resize.letterbox(rgb46, 8, "rgb"),
         "cv2.resize + copyMakeBorder", cv_letterbox),
        ("letterbox_to_tensor 6x4 rgb -> 8", lambda: sp_resize.letterbox_to_tensor(rgb46, 8, "rgb"),
         "... + dnn.blobFromImage", lambda: cv2.dnn.blobFromImage(cv_letterbox(), 1 / 255)),
        ("classify_to_tensor 4x4 rgb (4, crop 2)",
         lambda: sp_resize.classify_to_tensor(rgb, 4, 2, "rgb"), "-", None),
        ("resize_to_tensor 4x4 gray -> 2x2", lambda: sp_resize.resize_to_tensor(g, (2, 2)),
         "dnn.blobFromImage size=", lambda: cv2.dnn.blobFromImage(g, 1.0, (2, 2))),
        ("image_to_tensor 4x4 rgb", lambda: sp_tensor.image_to_tensor(rgb, "rgb"),
         "dnn.blobFromImage", lambda: cv2.dnn.blobFromImage(rgb)),
        ("image_to_tensor 4x4 rgb, out=", lambda: sp_tensor.image_to_tensor(rgb, "rgb", out=t1),
         "dnn.blobFromImage", lambda: cv2.dnn.blobFromImage(rgb)),
        ("images_to_tensor 2 x 4x4 rgb", lambda: sp_tensor.images_to_tensor([rgb, rgb], "rgb"),
         "dnn.blobFromImages", lambda: cv2.dnn.blobFromImages([rgb, rgb])),
    ]
    print("\nOther per-image functions, tiny images (per call, µs, best / median)")
    print("| op | scipix (Python) µs | peer | peer µs | scipix / peer (best) |")
    print("|---|---|---|---|---|")
    for op, fn, peer, pfn in cases:
        if pfn is None:
            (ts,) = harness.race([batched(fn, n)], reps)
            record("python", op, ts, n)
            print(f"| {op} | {us(ts, n)} | {peer} | - | - |", flush=True)
            continue
        ts, tp = harness.race([batched(fn, n), batched(pfn, n)], reps)
        record("python", op, ts, n, peer, tp)
        print(f"| {op} | {us(ts, n)} | {peer} | {us(tp, n)} | {ts.best / tp.best:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
