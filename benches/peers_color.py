#!/usr/bin/env python3
"""Times OpenCV (one thread) against scipix (through ctypes, release build) on the same
arrays: grayscale, fixed threshold, Otsu, adaptive mean. Prints Gpixel/s and the ratio.

    cargo build --release && python3 benches/peers_color.py [--threads N] [--isa N]

`--threads` sets scipix's pool size (default 1, the like-for-like comparison);
`--isa` caps scipix's kernels (SCIPIX_ISA_*: 0 scalar, 1 sse4.1, 2 avx2).
Best of several repeats, so a shared, noisy machine biases both sides the same way.
"""
import argparse
import ctypes
import os
import pathlib
import time

import cv2
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


class Image(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("width", ctypes.c_size_t), ("height", ctypes.c_size_t),
                ("stride", ctypes.c_size_t), ("format", ctypes.c_uint32)]


def desc(a, fmt):
    return ctypes.byref(Image(a.ctypes.data, a.shape[1], a.shape[0], a.strides[0], fmt))


def best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def alternated(fns, repeats):
    """Times the callables in `fns` call by call in turn (so load drifts hit all sides alike);
    returns (best, median) seconds for each."""
    for f in fns:
        f()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for f, ts in zip(fns, times):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
    return [(min(ts), sorted(ts)[len(ts) // 2]) for ts in times]


def photo_like(side, ch, rng):
    """Smooth gradients with two tones and a little noise: long runs of equal gray values."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    base = 60 + 120 * ((np.sin(6 * x) * np.cos(4 * y)) > 0) + 40 * x
    img = np.stack([base + 10 * c for c in range(ch)], axis=-1)
    img += rng.normal(0, 1.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def binarize_case(lib, repeats, rng):
    """Colour to Otsu binary: OpenCV's cvtColor + threshold(OTSU) against scipix's fused
    scipix_binarize_otsu, scipix's own two calls, and a copy moving the same bytes (colour read
    once, binary written once). Calls alternated; best and median of `repeats`."""
    lib.scipix_binarize_otsu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_double, ctypes.c_uint32, ctypes.c_void_p]
    print(f"\ncolour -> Otsu binary; best / median of {repeats} alternated calls, ms")
    print(f"{'case':<30}{'opencv':>15}{'scipix fused':>15}{'scipix 2 calls':>16}{'copy':>15}"
          f"{'cv/fused':>10}{'copy/fused':>11}")
    for side in (1024, 4096):
        for kind in ("noise", "photo"):
            for fmt, ch, code, name in [(1, 3, cv2.COLOR_RGB2GRAY, "rgb8"),
                                        (4, 4, cv2.COLOR_BGRA2GRAY, "bgra8")]:
                if kind == "noise":
                    src = rng.integers(0, 256, (side, side, ch), dtype=np.uint8)
                else:
                    src = photo_like(side, ch, rng)
                gray = np.empty((side, side), np.uint8)
                dst = np.empty((side, side), np.uint8)
                # A memcpy of (ch + 1) / 2 bytes per pixel reads and writes as many bytes
                # as the fused call (ch read, 1 written).
                flat = src.reshape(-1)[: (ch + 1) * side * side // 2]
                cp = np.empty(flat.size, np.uint8)
                s, d, g = desc(src, fmt), desc(dst, 0), desc(gray, 0)
                t_ref = cv2.threshold(cv2.cvtColor(src, code), 0, 255,
                                      cv2.THRESH_BINARY | cv2.THRESH_OTSU)
                tt = ctypes.c_uint8()
                assert lib.scipix_binarize_otsu(s, d, None, 255.0, 0, ctypes.byref(tt)) == 0
                assert tt.value == int(t_ref[0]) and np.array_equal(dst, t_ref[1])

                def cv():
                    cv2.cvtColor(src, code, dst=gray)
                    cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=dst)

                def two():
                    lib.scipix_gray(s, g)
                    lib.scipix_threshold_otsu(g, d, 255.0, 0, None)

                reps = repeats if side < 4096 else max(5, repeats // 3)
                res = alternated([cv, lambda: lib.scipix_binarize_otsu(s, d, None, 255.0, 0, None),
                                  two, lambda: np.copyto(cp, flat)], reps)
                (cb, cm), (fb, fm), (tb, tm), (pb, pm) = res
                ms = lambda b, m: f"{b * 1e3:7.2f}/{m * 1e3:<7.2f}"
                print(f"{name + ' ' + kind + ' ' + str(side) + '^2':<30}{ms(cb, cm):>15}{ms(fb, fm):>15}"
                      f"{ms(tb, tm):>16}{ms(pb, pm):>15}{cb / fb:>10.2f}{pb / fb:>11.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--isa", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--only", choices=["binarize"], default=None)
    args = ap.parse_args()
    lib = ctypes.CDLL(os.environ.get("SCIPIX_LIB", str(ROOT / "target/release/libscipix.so")))
    lib.scipix_set_num_threads(ctypes.c_size_t(args.threads))
    if args.isa is not None:
        lib.scipix_set_max_isa(ctypes.c_uint32(args.isa), None)
    cv2.setNumThreads(1)
    lib.scipix_threshold.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
                                     ctypes.c_double, ctypes.c_uint32]
    lib.scipix_threshold_otsu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
                                          ctypes.c_uint32, ctypes.c_void_p]
    lib.scipix_adaptive_threshold_mean.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
                                                   ctypes.c_uint32, ctypes.c_size_t, ctypes.c_double]
    print(f"opencv {cv2.__version__} (1 thread) vs scipix ({args.threads} thread(s)); best of {args.repeats}")
    print(f"{'op':<28}{'pixels':>10}{'opencv GP/s':>13}{'scipix GP/s':>13}{'ratio':>8}")
    rng = np.random.default_rng(0)
    if args.only == "binarize":
        binarize_case(lib, args.repeats, rng)
        return

    def row(name, n, t_cv, t_sp):
        print(f"{name:<28}{n:>10}{n / t_cv / 1e9:>13.2f}{n / t_sp / 1e9:>13.2f}{t_cv / t_sp:>8.2f}")

    for side in (256, 1024, 4096):
        n = side * side
        for fmt, ch, code, name in [(1, 3, cv2.COLOR_RGB2GRAY, "gray rgb8"),
                                    (4, 4, cv2.COLOR_BGRA2GRAY, "gray bgra8")]:
            src = rng.integers(0, 256, (side, side, ch), dtype=np.uint8)
            dst = np.empty((side, side), np.uint8)
            reps = args.repeats if side < 4096 else max(5, args.repeats // 4)
            t_cv = best(lambda: cv2.cvtColor(src, code, dst=dst), reps)
            s, d = desc(src, fmt), desc(dst, 0)
            t_sp = best(lambda: lib.scipix_gray(s, d), reps)
            row(f"{name} {side}^2", n, t_cv, t_sp)
    for side in (1024, 4096):
        n = side * side
        reps = args.repeats if side < 4096 else max(5, args.repeats // 4)
        g = rng.integers(0, 256, (side, side), dtype=np.uint8)
        dst = np.empty_like(g)
        s, d = desc(g, 0), desc(dst, 0)
        t_cv = best(lambda: cv2.threshold(g, 127, 255, cv2.THRESH_BINARY, dst=dst), reps)
        t_sp = best(lambda: lib.scipix_threshold(s, d, 127.0, 255.0, 0), reps)
        row(f"threshold binary {side}^2", n, t_cv, t_sp)
        t_cv = best(lambda: cv2.threshold(g, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=dst), reps)
        t_sp = best(lambda: lib.scipix_threshold_otsu(s, d, 255.0, 0, None), reps)
        row(f"otsu+apply {side}^2", n, t_cv, t_sp)
        t_cv = best(lambda: cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, 0, 11, 5, dst=dst), reps)
        t_sp = best(lambda: lib.scipix_adaptive_threshold_mean(s, d, 255.0, 0, 11, 5.0), reps)
        row(f"adaptive mean 11 {side}^2", n, t_cv, t_sp)
        # A clean page: paper of one value with dark strokes (long runs of equal bytes).
        page = np.full((side, side), 228, np.uint8)
        for y in range(40, side - 40, 48):
            page[y:y + 20, 30:side - 30:9] = 35
            page[y + 8:y + 11, 30:side - 30] = 50
        s, d = desc(page, 0), desc(dst, 0)
        t_cv = best(lambda: cv2.threshold(page, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=dst), reps)
        t_sp = best(lambda: lib.scipix_threshold_otsu(s, d, 255.0, 0, None), reps)
        row(f"otsu+apply clean page {side}^2", n, t_cv, t_sp)
    binarize_case(lib, args.repeats, rng)


if __name__ == "__main__":
    main()
