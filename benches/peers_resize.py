"""Peer comparison of resizing and the fused model-input pipelines, single-threaded:
cv2.resize (cv2.setNumThreads(1)) and PIL.Image.resize vs scipix through ctypes, both in
this process, calls alternated one by one with a copy of the same bytes read plus written
(benches/harness.py), best of 15 and median (ms).

    cargo build --release && python3 benches/peers_resize.py [--reps 15]
    python3 benches/peers_resize.py --letterbox-bound --reps 60 [--frame 3840x2160]

Rows: every mode at 1920x1080 RGB8 -> 640x640 and -> 224x224, and CV_CUBIC also -> 800x800
(1920 -> 640 is an odd integer downscale, where cubic weights are 0, 1, 0, 0 and the
horizontal pass is a gather; 800 is a fractional factor on both axes); letterbox -> tensor of
720p, 1080p and 4K BGR frames vs the Ultralytics letterbox + cv2.dnn.blobFromImage chain; classification input vs Pillow
resize + centre crop + numpy float32 ToTensor/Normalize. "copy x" is scipix's time over
the time of a copy that moves the same bytes (read plus written) with numpy. The machine
may be shared: absolute times are noisy, the ratios of one run are what to read.
`rows(lib, reps, full)` is what benches/table.py collects.
"""
import argparse
import ctypes
import sys

import numpy as np

import harness

sys.path.insert(0, str(harness.ROOT / "tests" / "python"))
from test_resize_reference import (  # noqa: E402
    BGR, CV_MODES, MEAN, MODE_NAMES, NCHW, PIL_MODES, RGB, STD, ClsParams, Img, LbParams, desc,
    f32p, photo, ultralytics_letterbox)

import cv2  # noqa: E402
from PIL import Image  # noqa: E402


def rows(lib, reps=15, full=True, modes=None):
    lib.scipix_set_num_threads(ctypes.c_size_t(1))
    cv2.setNumThreads(1)
    out = []
    frame_rgb = photo(1080, 1920, 3, 1)
    frame_bgr = np.ascontiguousarray(frame_rgb[..., ::-1])
    pil_frame = Image.fromarray(frame_rgb)
    for mode in range(11) if modes is None else modes:
        sizes = ((640, 640), (224, 224)) + (((800, 800),) if MODE_NAMES[mode] == "cv_cubic" else ())
        for (w, h) in sizes:
            dst = np.empty((h, w, 3), np.uint8)
            s, d = desc(frame_rgb, RGB), desc(dst, RGB)
            st = lib.scipix_resize(ctypes.byref(s), ctypes.byref(d), mode)
            if st != 0:
                print(f"{MODE_NAMES[mode]} {w}x{h}: {lib.scipix_last_error_message().decode()}")
                continue

            def ours(s=s, d=d, mode=mode):
                lib.scipix_resize(ctypes.byref(s), ctypes.byref(d), mode)

            if mode in CV_MODES:
                name = "cv2.resize"

                def peer(w=w, h=h, mode=mode):
                    cv2.resize(frame_rgb, (w, h), interpolation=CV_MODES[mode])
            else:
                name = "Pillow resize"

                def peer(w=w, h=h, mode=mode):
                    pil_frame.resize((w, h), PIL_MODES[mode])
            out.append(harness.measure(f"resize {MODE_NAMES[mode]}", f"1920x1080 RGB8 → {w}x{h}",
                                       ours, name, peer, frame_rgb.nbytes, dst.nbytes, reps))

    # Letterbox -> tensor vs the Ultralytics letterbox + blobFromImage chain (BGR frames of
    # the camera sizes: 720p, 1080p, 4K).
    lb = LbParams()
    lib.scipix_letterbox_params_default(ctypes.byref(lb))
    t = np.empty((1, 3, 640, 640), np.float32)
    for fw, fh in ((1280, 720), (1920, 1080), (3840, 2160)):
        fr = frame_bgr if (fw, fh) == (1920, 1080) else \
            np.ascontiguousarray(photo(fh, fw, 3, 1)[..., ::-1])
        s = desc(fr, BGR)

        def ours_lb(s=s):
            return lib.scipix_letterbox_to_tensor(ctypes.byref(s), ctypes.byref(lb), NCHW,
                                                  f32p(t), ctypes.c_size_t(t.size),
                                                  ctypes.c_size_t(0), None)

        if ours_lb() != 0:
            print("letterbox->tensor:", lib.scipix_last_error_message().decode())
            continue

        def peer_lb(fr=fr):
            img, _, _ = ultralytics_letterbox(fr)
            cv2.dnn.blobFromImage(img, 1 / 255, swapRB=True)
        out.append(harness.measure("letterbox → tensor", f"{fw}x{fh} → 640x640 f32", ours_lb,
                                   "Ultralytics letterbox + blobFromImage", peer_lb,
                                   fr.nbytes, t.nbytes, reps))

    # Classification input vs Pillow resize + crop + numpy float32 chain (RGB frame).
    p = ClsParams(256, 224, 224, NCHW)
    m, sd = np.asarray(MEAN, np.float32), np.asarray(STD, np.float32)
    tc = np.empty((1, 3, 224, 224), np.float32)
    sc = desc(frame_rgb, RGB)

    def ours_cls():
        return lib.scipix_classify_to_tensor(ctypes.byref(sc), ctypes.byref(p), f32p(m), ctypes.c_size_t(3),
                                             f32p(sd), ctypes.c_size_t(3), f32p(tc), ctypes.c_size_t(tc.size),
                                             ctypes.c_size_t(0))
    if ours_cls() == 0:
        def peer_cls():
            a = np.asarray(pil_frame.resize((455, 256), Image.Resampling.BILINEAR))[16:240, 116:340]
            x = (a.astype(np.float32) / np.float32(255) - m) / sd
            np.ascontiguousarray(x.transpose(2, 0, 1))
        out.append(harness.measure("classify → tensor", "1920x1080 → 256 → 224x224 f32", ours_cls,
                                   "Pillow resize + crop + numpy", peer_cls,
                                   frame_rgb.nbytes, tc.nbytes, reps))
    else:
        print("classify->tensor:", lib.scipix_last_error_message().decode())
    return out


def letterbox_bound(lib, reps, frame_size=(1920, 1080)):
    """Races the letterbox -> tensor call of a ``frame_size`` (16:9) BGR frame against its
    two parts alone (the CV_LINEAR resize to 640x360 and a numpy fill of the same 4.9 MB f32
    output) and the cv2 chain, call by call; prints best / median of each and the ratios to
    the cv2 chain."""
    lib.scipix_set_num_threads(ctypes.c_size_t(1))
    cv2.setNumThreads(1)
    fw, fh = frame_size
    frame = np.ascontiguousarray(photo(fh, fw, 3, 1)[..., ::-1])
    lb = LbParams()
    lib.scipix_letterbox_params_default(ctypes.byref(lb))
    t = np.empty((1, 3, 640, 640), np.float32)
    fill = np.empty_like(t)
    small = np.empty((round(640 * fh / fw), 640, 3), np.uint8)
    s, d = desc(frame, BGR), desc(small, BGR)
    fns = [
        lambda: lib.scipix_letterbox_to_tensor(ctypes.byref(s), ctypes.byref(lb), NCHW, f32p(t),
                                               ctypes.c_size_t(t.size), ctypes.c_size_t(0), None),
        lambda: lib.scipix_resize(ctypes.byref(s), ctypes.byref(d), 2),
        lambda: fill.fill(0.5),
        lambda: cv2.dnn.blobFromImage(ultralytics_letterbox(frame)[0], 1 / 255, swapRB=True),
    ]
    r = harness.race(fns, reps)
    names = ("letterbox -> tensor", f"resize to {small.shape[1]}x{small.shape[0]}", "fill 4.9 MB",
             "cv2 chain")
    for name, x in zip(names, r):
        print(f"{name:<20} {x.best * 1e3:.3f} / {x.median * 1e3:.3f} ms")
    print(f"letterbox vs cv2 {r[3].best / r[0].best:.2f}x; "
          f"resize + fill vs cv2 {r[3].best / (r[1].best + r[2].best):.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--modes", default="all", help="comma-separated mode names, or all")
    ap.add_argument("--letterbox-bound", action="store_true",
                    help="race letterbox -> tensor against its resize and tensor fill alone")
    ap.add_argument("--frame", default="1920x1080",
                    help="the --letterbox-bound frame size, WxH (16:9: 1280x720, 3840x2160)")
    args = ap.parse_args()
    lib = harness.load_lib()
    if args.letterbox_bound:
        fw, fh = (int(v) for v in args.frame.split("x"))
        letterbox_bound(lib, args.reps, (fw, fh))
        return
    modes = None if args.modes == "all" else [MODE_NAMES.index(m) for m in args.modes.split(",")]
    harness.print_rows(rows(lib, args.reps, modes=modes),
                       f"1920x1080 RGB8, one thread, best / median of {args.reps} (ms); calls alternated")


if __name__ == "__main__":
    main()
