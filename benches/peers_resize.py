"""Peer comparison of resizing and the fused model-input pipelines, single-threaded:
cv2.resize (cv2.setNumThreads(1)) and PIL.Image.resize vs scipix through ctypes, both in
this process, calls alternated one by one, best of 15 and median (ms).

    cargo build --release && python3 benches/peers_resize.py [--reps 15]

Rows: every mode at 1920x1080 RGB8 -> 640x640 and -> 224x224; letterbox -> tensor vs the
Ultralytics letterbox + cv2.dnn.blobFromImage chain; classification input vs Pillow
resize + centre crop + numpy float32 ToTensor/Normalize. "copy x" is scipix's time over
the time of a copy that moves the same bytes (read plus written) with numpy. The machine
may be shared: absolute times are noisy, the ratios of one run are what to read.
"""
import argparse
import ctypes
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "python"))
from conftest import library_path  # noqa: E402
from test_resize_reference import (  # noqa: E402
    BGR, CV_MODES, MEAN, MODE_NAMES, NCHW, PIL_MODES, RGB, STD, ClsParams, Img, LbParams, desc,
    f32p, photo, ultralytics_letterbox)

import cv2  # noqa: E402
from PIL import Image  # noqa: E402


def race(a, b, reps):
    """Alternates a() and b() call by call; returns (best_a, median_a, best_b, median_b)."""
    a()
    b()
    ta, tb = [], []
    for _ in range(reps):
        t = time.perf_counter()
        a()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        b()
        tb.append(time.perf_counter() - t)
    return min(ta), statistics.median(ta), min(tb), statistics.median(tb)


def copy_time(nbytes, reps):
    """Best time of a numpy copy that reads and writes nbytes / 2 each (nbytes moved)."""
    src = np.ones(max(nbytes // 2, 1), np.uint8)
    dst = np.empty_like(src)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        np.copyto(dst, src)
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--modes", default="all", help="comma-separated mode names, or all")
    args = ap.parse_args()
    lib = ctypes.CDLL(str(library_path()))
    lib.scipix_last_error_message.restype = ctypes.c_char_p
    lib.scipix_set_num_threads(ctypes.c_size_t(1))
    cv2.setNumThreads(1)
    reps = args.reps

    frame_rgb = photo(1080, 1920, 3, 1)
    frame_bgr = np.ascontiguousarray(frame_rgb[..., ::-1])
    pil_frame = Image.fromarray(frame_rgb)
    modes = range(11) if args.modes == "all" else [MODE_NAMES.index(m) for m in args.modes.split(",")]

    print(f"1920x1080 RGB8, one thread, best of {reps} / median (ms); calls alternated")
    print(f"{'mode':>18} {'to':>8} {'peer':>14} {'scipix':>14} {'vs peer':>8} {'copy x':>7}")
    rows = []
    for mode in modes:
        for (w, h) in ((640, 640), (224, 224)):
            out = np.empty((h, w, 3), np.uint8)
            s, d = desc(frame_rgb, RGB), desc(out, RGB)
            st = lib.scipix_resize(ctypes.byref(s), ctypes.byref(d), mode)
            if st != 0:
                print(f"{MODE_NAMES[mode]:>18} {w}x{h}: {lib.scipix_last_error_message().decode()}")
                continue

            def ours():
                lib.scipix_resize(ctypes.byref(s), ctypes.byref(d), mode)

            if mode in CV_MODES:
                def peer():
                    cv2.resize(frame_rgb, (w, h), interpolation=CV_MODES[mode])
            else:
                def peer():
                    pil_frame.resize((w, h), PIL_MODES[mode])
            bp, mp, bs, ms = race(peer, ours, reps)
            cx = bs / copy_time(frame_rgb.nbytes + out.nbytes, reps)
            rows.append((MODE_NAMES[mode], f"{w}x{h}", bp, mp, bs, ms, bp / bs, cx))
            print(f"{MODE_NAMES[mode]:>18} {w}x{h:<4} {bp * 1e3:>6.3f}/{mp * 1e3:<7.3f} "
                  f"{bs * 1e3:>6.3f}/{ms * 1e3:<7.3f} {bp / bs:>7.2f}x {cx:>6.1f}")

    # Letterbox -> tensor vs the Ultralytics letterbox + blobFromImage chain (BGR frame).
    lb = LbParams()
    lib.scipix_letterbox_params_default(ctypes.byref(lb))
    t = np.empty((1, 3, 640, 640), np.float32)
    s = desc(frame_bgr, BGR)
    st = lib.scipix_letterbox_to_tensor(ctypes.byref(s), ctypes.byref(lb), NCHW, f32p(t),
                                        ctypes.c_size_t(t.size), ctypes.c_size_t(0), None)
    if st == 0:
        def ours():
            lib.scipix_letterbox_to_tensor(ctypes.byref(s), ctypes.byref(lb), NCHW, f32p(t),
                                           ctypes.c_size_t(t.size), ctypes.c_size_t(0), None)

        def peer():
            img, _, _ = ultralytics_letterbox(frame_bgr)
            cv2.dnn.blobFromImage(img, 1 / 255, swapRB=True)
        bp, mp, bs, ms = race(peer, ours, reps)
        cx = bs / copy_time(frame_bgr.nbytes + t.nbytes, reps)
        print(f"{'letterbox->tensor':>18} {'640x640':>8} {bp * 1e3:>6.3f}/{mp * 1e3:<7.3f} "
              f"{bs * 1e3:>6.3f}/{ms * 1e3:<7.3f} {bp / bs:>7.2f}x {cx:>6.1f}   (peer: letterbox + blobFromImage)")
    else:
        print("letterbox->tensor:", lib.scipix_letterbox_to_tensor and lib.scipix_last_error_message().decode())

    # Classification input vs Pillow resize + crop + numpy float32 chain (RGB frame).
    p = ClsParams(256, 224, 224, NCHW)
    m, sd = np.asarray(MEAN, np.float32), np.asarray(STD, np.float32)
    t = np.empty((1, 3, 224, 224), np.float32)
    s = desc(frame_rgb, RGB)

    def ours():
        return lib.scipix_classify_to_tensor(ctypes.byref(s), ctypes.byref(p), f32p(m), ctypes.c_size_t(3),
                                             f32p(sd), ctypes.c_size_t(3), f32p(t), ctypes.c_size_t(t.size),
                                             ctypes.c_size_t(0))
    if ours() == 0:
        def peer():
            a = np.asarray(pil_frame.resize((455, 256), Image.Resampling.BILINEAR))[16:240, 116:340]
            x = (a.astype(np.float32) / np.float32(255) - m) / sd
            np.ascontiguousarray(x.transpose(2, 0, 1))
        bp, mp, bs, ms = race(peer, ours, reps)
        cx = bs / copy_time(frame_rgb.nbytes + t.nbytes, reps)
        print(f"{'classify->tensor':>18} {'224x224':>8} {bp * 1e3:>6.3f}/{mp * 1e3:<7.3f} "
              f"{bs * 1e3:>6.3f}/{ms * 1e3:<7.3f} {bp / bs:>7.2f}x {cx:>6.1f}   (peer: Pillow + numpy)")
    else:
        print("classify->tensor:", lib.scipix_last_error_message().decode())


if __name__ == "__main__":
    main()
