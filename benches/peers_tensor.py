"""Peer comparison on the same arrays, single-threaded: numpy normalization and
cv2.dnn.blobFromImage (cv2.setNumThreads(1)) vs scipix through ctypes.

    cargo build --release && python3 benches/peers_tensor.py [--reps 50] [--only normalize-bound]

Calls alternate scipix, the peer, a copy of the same bytes read plus written and scipix's
scalar path (benches/harness.py); prints best / median (ms) and the ratios. The machine may
be shared; numbers are noisy, ratios from one run are the useful part.
`rows(lib, reps, full)` is what benches/table.py collects (full=False: the table's cases).
"""
import argparse
import ctypes
import sys

import numpy as np

import harness

sys.path.insert(0, str(harness.ROOT / "tests" / "python"))
from test_tensor_reference import BGR, Image, params  # noqa: E402

import cv2  # noqa: E402


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def rows(lib, reps=50, full=True):
    cv2.setNumThreads(1)
    out = []
    rng = np.random.default_rng(0)
    # normalization (x - mean) / sqrt(var + eps), float32
    for n, size in ((8192, "8K"), (1 << 20, "1M"), (1 << 24, "16M")):
        x = (1.0e4 + rng.standard_normal(n)).astype(np.float32)
        y = np.empty_like(x)
        r = max(5, reps // 10) if n >= 1 << 24 else reps

        def run(x=x, y=y, n=n):
            lib.scipix_normalize_f32(ptr(x), ptr(y), n, ctypes.c_float(1e-8), None, None)

        out.append(harness.measure(
            "normalize f32", size, run, "numpy",
            lambda x=x: (x - x.mean()) / np.sqrt(x.var() + np.float32(1e-8)),
            x.nbytes, y.nbytes, r, scalar=True))

    # image to NCHW float tensor, BGR u8 -> RGB
    for side in (224, 640, 1024):
        if not full and side == 1024:
            continue
        bgr = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        img = Image(bgr.ctypes.data, side, side, side * 3, BGR)
        t = np.empty(3 * side * side, dtype=np.float32)
        r = reps // 2 if side <= 640 else max(5, reps // 6)
        rules = [("blob", params(lib, scale=1 / 255, mean=[104, 117, 123], swap_rb=True))]
        if full:
            rules.append(("torch", params(lib, divisor=255.0, mean=[0.485, 0.456, 0.406],
                                          std=[0.229, 0.224, 0.225], swap_rb=True)))
        for rule, p in rules:
            def ours(img=img, p=p, t=t):
                lib.scipix_image_to_tensor(ctypes.byref(img), ctypes.byref(p), ptr(t), t.size)

            out.append(harness.measure(
                f"image to tensor ({rule} rule)", f"{side}²", ours, "cv2.dnn.blobFromImage",
                lambda bgr=bgr: cv2.dnn.blobFromImage(bgr, 1 / 255, mean=(104, 117, 123), swapRB=True),
                bgr.nbytes, t.nbytes, r, scalar=True))
    return out


def normalize_bound(lib, reps=200):
    """What bounds scipix_normalize_f32 at 1M floats (4 MB, more than this machine's L2),
    in one alternated race: the statistics must see every element before the first output,
    so the buffer is read twice and the output written once. The floor is one read of x
    (numpy's max, a plain read) plus one copy of x (what the apply pass moves); scipix's
    statistics call alone and numpy's chain are raced beside them."""
    lib.scipix_set_num_threads(ctypes.c_size_t(1))
    n = 1 << 20
    x = (1.0e4 + np.random.default_rng(0).standard_normal(n)).astype(np.float32)
    y = np.empty_like(x)
    mean, var = ctypes.c_double(), ctypes.c_double()
    fns = [lambda: lib.scipix_normalize_f32(ptr(x), ptr(y), n, ctypes.c_float(1e-8), None, None),
           lambda: lib.scipix_tensor_stats_f32(ptr(x), ctypes.c_size_t(n), ctypes.byref(mean),
                                               ctypes.byref(var)),
           lambda: x.max(),
           lambda: np.copyto(y, x),
           lambda: (x - x.mean()) / np.sqrt(x.var() + np.float32(1e-8))]
    t = harness.race(fns, reps)
    ms = [f"{v.best * 1e3:.3g} / {v.median * 1e3:.3g}" for v in t]
    floor = t[2].best + t[3].best
    print("| normalize 1M | statistics alone | read (x.max) | copy | numpy | floor = read + copy "
          "| normalize / floor | numpy / floor |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {ms[0]} | {ms[1]} | {ms[2]} | {ms[3]} | {ms[4]} | {floor * 1e3:.3g} | "
          f"{t[0].best / floor:.2f} | {t[4].best / floor:.2f}x |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--only", choices=["normalize-bound"], default=None)
    args = ap.parse_args()
    lib = harness.load_lib()
    if args.only == "normalize-bound":
        normalize_bound(lib)
        return
    harness.print_rows(rows(lib, args.reps),
                       f"normalization vs numpy {np.__version__}, image to tensor vs OpenCV "
                       f"{cv2.__version__}; one thread, calls alternated, best / median")


if __name__ == "__main__":
    main()
