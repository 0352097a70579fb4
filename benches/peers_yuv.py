#!/usr/bin/env python3
"""Times cv2.cvtColor(COLOR_YUV2*) (one thread) against scipix_yuv_to_image (through ctypes,
release build) on camera and decoder frame sizes, each case first checked bit for bit.
Calls alternate scipix, OpenCV, scipix's scalar path and a copy of the same bytes
(benches/harness.py); prints best / median (ms) and the ratios as a markdown table.

    cargo build --release && python3 benches/peers_yuv.py [--reps N]

`rows(lib, reps, full)` is what benches/table.py collects (full=False: the table's cases).
"""
import argparse
import ctypes

import cv2
import numpy as np

import harness

LAYOUTS = ["NV12", "NV21", "I420", "YV12", "YUYV", "UYVY", "YVYU"]
FORMATS = {"GRAY": (0, 1), "RGB": (1, 3), "BGR": (2, 3), "RGBA": (3, 4), "BGRA": (4, 4)}


class Frame(ctypes.Structure):
    _fields_ = [("layout", ctypes.c_uint32), ("width", ctypes.c_size_t),
                ("height", ctypes.c_size_t), ("planes", ctypes.c_void_p * 3),
                ("strides", ctypes.c_size_t * 3)]


class Image(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("width", ctypes.c_size_t), ("height", ctypes.c_size_t),
                ("stride", ctypes.c_size_t), ("format", ctypes.c_uint32)]


def frame_of(layout, cv_in, w, h):
    """The scipix frame over cv2's own input array (planes read in place)."""
    base = cv_in.ctypes.data
    if layout in ("NV12", "NV21"):
        planes, strides = [base, base + w * h, None], [w, w, 0]
    elif layout in ("I420", "YV12"):
        planes = [base, base + w * h, base + w * h + (w // 2) * (h // 2)]
        strides = [w, w // 2, w // 2]
    else:
        planes, strides = [base, None, None], [2 * w, 0, 0]
    return Frame(LAYOUTS.index(layout), w, h, (ctypes.c_void_p * 3)(*planes),
                 (ctypes.c_size_t * 3)(*strides))


def rows(lib, reps=20, full=True):
    lib.scipix_yuv_to_image.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    cases = [("NV12", "BGR", 1920, 1080), ("NV12", "RGB", 1280, 720),
             ("I420", "BGR", 3840, 2160), ("YUYV", "BGR", 1280, 720)]
    if full:
        cases += [("NV12", "RGBA", 1920, 1080), ("NV21", "BGR", 1920, 1080),
                  ("YV12", "RGB", 1920, 1080), ("UYVY", "BGRA", 1920, 1080),
                  ("NV12", "GRAY", 1920, 1080)]
    out = []
    for layout, fmt, w, h in cases:
        if layout in ("YUYV", "UYVY", "YVYU"):
            cv_in = rng.integers(0, 256, (h, w, 2), dtype=np.uint8)
        else:
            cv_in = rng.integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)
        code = getattr(cv2, f"COLOR_YUV2{fmt}_{layout}")
        fval, ch = FORMATS[fmt]
        dst = np.empty((h, w, ch) if ch > 1 else (h, w), np.uint8)
        f = frame_of(layout, cv_in, w, h)
        d = Image(dst.ctypes.data, w, h, dst.strides[0], fval)
        fr, dr = ctypes.byref(f), ctypes.byref(d)
        assert lib.scipix_yuv_to_image(fr, dr) == 0, lib.scipix_last_error_message()
        want = cv2.cvtColor(cv_in, code)
        assert np.array_equal(dst, want), (layout, fmt)
        r = reps if w * h < 4_000_000 else max(5, reps // 3)
        out.append(harness.measure(f"yuv {layout.lower()} to {fmt.lower()}", f"{w}x{h}",
                                   lambda: lib.scipix_yuv_to_image(fr, dr), "cv2.cvtColor",
                                   lambda: cv2.cvtColor(cv_in, code, dst=dst),
                                   cv_in.nbytes, dst.nbytes, r, scalar=True))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    lib = harness.load_lib()
    harness.print_rows(rows(lib, args.reps, full=True))


if __name__ == "__main__":
    main()
