#!/usr/bin/env python3
"""Times OpenCV (one thread) against scipix (through ctypes, release build) on the same
arrays: grayscale, fixed threshold, Otsu, adaptive mean. Calls alternate scipix, OpenCV and
a copy of the same bytes read plus written (benches/harness.py); prints best / median (ms)
and the ratios as a markdown table.

    cargo build --release && python3 benches/peers_color.py [--threads N] [--isa N]
        [--only binarize | --only binarize-bound]

`--threads` sets scipix's pool size (default 1, the like-for-like comparison);
`--isa` caps scipix's kernels (SCIPIX_ISA_*: 0 scalar, 1 sse4.1, 2 avx2).
`rows(lib, reps, full)` is what benches/table.py collects (full=False: the table's cases).
"""
import argparse
import ctypes

import cv2
import numpy as np

import harness

GRAY8, RGB8, BGRA8 = 0, 1, 4


class Image(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("width", ctypes.c_size_t), ("height", ctypes.c_size_t),
                ("stride", ctypes.c_size_t), ("format", ctypes.c_uint32)]


def desc(a, fmt):
    return ctypes.byref(Image(a.ctypes.data, a.shape[1], a.shape[0], a.strides[0], fmt))


def setup(lib):
    lib.scipix_threshold.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
                                     ctypes.c_double, ctypes.c_uint32]
    lib.scipix_threshold_otsu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
                                          ctypes.c_uint32, ctypes.c_void_p]
    lib.scipix_adaptive_threshold_mean.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
                                                   ctypes.c_uint32, ctypes.c_size_t, ctypes.c_double]
    cv2.setNumThreads(1)


def clean_page(side):
    """Paper of one value with dark strokes (long runs of equal bytes)."""
    page = np.full((side, side), 228, np.uint8)
    for y in range(40, side - 40, 48):
        page[y:y + 20, 30:side - 30:9] = 35
        page[y + 8:y + 11, 30:side - 30] = 50
    return page


def rows(lib, reps=30, full=True):
    setup(lib)
    m = harness.measure
    out = []
    rng = np.random.default_rng(0)
    for side in (256, 1024, 4096):
        for fmt, ch, code, name in [(RGB8, 3, cv2.COLOR_RGB2GRAY, "gray rgb8"),
                                    (BGRA8, 4, cv2.COLOR_BGRA2GRAY, "gray bgra8")]:
            src = rng.integers(0, 256, (side, side, ch), dtype=np.uint8)
            dst = np.empty((side, side), np.uint8)
            if not full and (side == 256 or fmt == BGRA8):
                continue
            r = reps if side < 4096 else max(5, reps // 4)
            s, d = desc(src, fmt), desc(dst, GRAY8)
            out.append(m(name, f"{side}²", lambda: lib.scipix_gray(s, d), "cv2.cvtColor",
                         lambda: cv2.cvtColor(src, code, dst=dst), src.nbytes, dst.nbytes, r))
    for side in (1024, 4096):
        r = reps if side < 4096 else max(5, reps // 4)
        g = rng.integers(0, 256, (side, side), dtype=np.uint8)
        dst = np.empty_like(g)
        s, d = desc(g, GRAY8), desc(dst, GRAY8)
        size, nb = f"{side}²", g.nbytes
        if full or side == 4096:
            out.append(m("threshold binary", size, lambda: lib.scipix_threshold(s, d, 127.0, 255.0, 0),
                         "cv2.threshold", lambda: cv2.threshold(g, 127, 255, cv2.THRESH_BINARY, dst=dst),
                         nb, nb, r))
            out.append(m("otsu+apply", size, lambda: lib.scipix_threshold_otsu(s, d, 255.0, 0, None),
                         "cv2.threshold OTSU",
                         lambda: cv2.threshold(g, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=dst),
                         nb, nb, r, note="noise"))
        if full:
            out.append(m("adaptive mean 11", size,
                         lambda: lib.scipix_adaptive_threshold_mean(s, d, 255.0, 0, 11, 5.0),
                         "cv2.adaptiveThreshold",
                         lambda: cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, 0, 11, 5, dst=dst),
                         nb, nb, r))
        page = clean_page(side)
        s, d = desc(page, GRAY8), desc(dst, GRAY8)
        if full or side == 4096:
            out.append(m("otsu+apply", size, lambda: lib.scipix_threshold_otsu(s, d, 255.0, 0, None),
                         "cv2.threshold OTSU",
                         lambda: cv2.threshold(page, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=dst),
                         nb, nb, r, note="clean page"))
    out += binarize_rows(lib, reps, full)
    return out


def photo_like(side, ch, rng):
    """Smooth gradients with two tones and a little noise: long runs of equal gray values."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    base = 60 + 120 * ((np.sin(6 * x) * np.cos(4 * y)) > 0) + 40 * x
    img = np.stack([base + 10 * c for c in range(ch)], axis=-1)
    img += rng.normal(0, 1.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def binarize_rows(lib, reps=30, full=True):
    """Colour to Otsu binary: OpenCV's cvtColor + threshold(OTSU) against scipix's fused
    scipix_binarize_otsu (colour read once, binary written once), each case first checked
    bit for bit."""
    lib.scipix_binarize_otsu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_double, ctypes.c_uint32, ctypes.c_void_p]
    cv2.setNumThreads(1)
    rng = np.random.default_rng(1)
    out = []
    for side in (1024, 4096):
        for kind in ("noise", "photo"):
            for fmt, ch, code, name in [(RGB8, 3, cv2.COLOR_RGB2GRAY, "rgb8"),
                                        (BGRA8, 4, cv2.COLOR_BGRA2GRAY, "bgra8")]:
                if not full and fmt == BGRA8:
                    continue
                if kind == "noise":
                    src = rng.integers(0, 256, (side, side, ch), dtype=np.uint8)
                else:
                    src = photo_like(side, ch, rng)
                gray = np.empty((side, side), np.uint8)
                dst = np.empty((side, side), np.uint8)
                s, d = desc(src, fmt), desc(dst, GRAY8)
                t_ref = cv2.threshold(cv2.cvtColor(src, code), 0, 255,
                                      cv2.THRESH_BINARY | cv2.THRESH_OTSU)
                tt = ctypes.c_uint8()
                assert lib.scipix_binarize_otsu(s, d, None, 255.0, 0, ctypes.byref(tt)) == 0
                assert tt.value == int(t_ref[0]) and np.array_equal(dst, t_ref[1])

                def cv(src=src, code=code, gray=gray, dst=dst):
                    cv2.cvtColor(src, code, dst=gray)
                    cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU, dst=dst)

                r = reps if side < 4096 else max(5, reps // 4)
                out.append(harness.measure(
                    f"colour to Otsu binary {name}", f"{side}²",
                    lambda s=s, d=d: lib.scipix_binarize_otsu(s, d, None, 255.0, 0, None),
                    "cv2.cvtColor + threshold OTSU", cv, src.nbytes, dst.nbytes, r, note=kind))
    return out


def binarize_bound(lib, reps=30):
    """What bounds scipix_binarize_otsu, in one alternated race per case (rgb8, one thread):
    the fused call; its two halves as separate calls (scipix_gray, then
    scipix_threshold_otsu on the gray image: its histogram count and apply); the count and
    apply alone, which a single pass that counts every pixel cannot beat; OpenCV's pair."""
    cv2.setNumThreads(1)
    rng = np.random.default_rng(1)
    for side in (1024, 4096):
        for kind in ("noise", "photo"):
            if kind == "noise":
                src = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
            else:
                src = photo_like(side, 3, rng)
            gray = np.empty((side, side), np.uint8)
            dst = np.empty((side, side), np.uint8)
            s, g, d = desc(src, RGB8), desc(gray, GRAY8), desc(dst, GRAY8)
            lib.scipix_gray(s, g)
            fns = [lambda: lib.scipix_binarize_otsu(s, d, None, 255.0, 0, None),
                   lambda: lib.scipix_gray(s, g),
                   lambda: lib.scipix_threshold_otsu(g, d, 255.0, 0, None),
                   lambda: (cv2.cvtColor(src, cv2.COLOR_RGB2GRAY, dst=gray),
                            cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU,
                                          dst=dst))]
            t = harness.race(fns, reps if side < 4096 else max(5, reps // 4))
            ms = [f"{x.best * 1e3:.3g} / {x.median * 1e3:.3g}" for x in t]
            print(f"| {side}² {kind} | {ms[0]} | {ms[1]} | {ms[2]} | {ms[3]} | "
                  f"{t[3].best / t[0].best:.2f}x | {t[3].best / t[2].best:.2f}x |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--isa", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--only", choices=["binarize", "binarize-bound"], default=None)
    args = ap.parse_args()
    lib = harness.load_lib()
    lib.scipix_set_num_threads(ctypes.c_size_t(args.threads))
    if args.threads > 1:
        lib.scipix_set_opt_level(3)  # FULL: SIMD on the pool
    if args.isa is not None:
        lib.scipix_set_max_isa(ctypes.c_uint32(args.isa), None)
    if args.only == "binarize-bound":
        setup(lib)
        lib.scipix_binarize_otsu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                             ctypes.c_double, ctypes.c_uint32, ctypes.c_void_p]
        print("| case | binarize_otsu ms best / median | gray | threshold_otsu on gray "
              "(count + apply) | OpenCV pair | OpenCV / binarize | OpenCV / (count + apply) |")
        print("|---|---|---|---|---|---|---|")
        binarize_bound(lib, args.repeats)
        return
    cases = binarize_rows(lib, args.repeats) if args.only == "binarize" else rows(lib, args.repeats)
    harness.print_rows(cases,
                       f"opencv {cv2.__version__} (1 thread) vs scipix ({args.threads} thread(s)); "
                       f"best / median of {args.repeats} (fewer at 4096²), calls alternated")


if __name__ == "__main__":
    main()
