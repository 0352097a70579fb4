#!/usr/bin/env python3
"""Times the from-bytes pipelines (scipix_bytes_letterbox_to_tensor,
scipix_bytes_classify_to_tensor and the batch form) against the peer chains they equal,
each case first checked bit for bit:

* letterbox: cv2.imdecode + Ultralytics LetterBox (cv2.resize INTER_LINEAR +
  copyMakeBorder) + cv2.dnn.blobFromImage(img, 1/255, swapRB=True);
* classify: Pillow open + convert("RGB") + torchvision's Resize(256) (Pillow BILINEAR) +
  CenterCrop(224) + ToTensor + Normalize in numpy float32; and, for the reduced mode,
  the same chain after Pillow's draft() (what the reduced mode equals).

One thread on every side (harness.py), calls alternated, best / median, plus a copy of the
decoded bytes. Inputs are the real-photo mosaics of benches/peers_decode.py (scikit-image
samples, pinned in benches/requirements.txt), encoded by Pillow at quality 75 / 4:2:0.
`--accuracy` prints, instead, how far the reduced mode's tensors are from the exact ones
(PSNR over the tensor in [0, 1] units, and the largest difference in 1/255 steps).

    cargo build --release && python3 benches/peers_decode_pipeline.py [--reps N] [--accuracy]

`rows(lib, reps, full)` is what benches/table.py collects (full=False: the table's cases).
"""
import argparse
import ctypes
import io
import os
import time

import cv2
import numpy as np
from PIL import Image as PILImage

import harness
from peers_decode import jpeg_bytes, mosaic

NCHW = 0
EXACT, REDUCED = 0, 1
MEAN = np.asarray((0.485, 0.456, 0.406), np.float32)
STD = np.asarray((0.229, 0.224, 0.225), np.float32)

# The targets: (row, peer, least peer time / scipix time).
TARGETS = [("jpeg → letterbox 640 (exact)", "cv2 chain", 1.5),
           ("jpeg → classify 224 (exact)", "Pillow+numpy chain", 3.0),
           ("jpeg → classify 224 (reduced)", "Pillow+numpy chain", 8.0),
           ("jpeg → classify 224 (reduced)", "Pillow draft chain", 2.0),
           ("nv12 → letterbox 640", "cvtColor chain", 2.0),
           ("64 jpegs → letterbox batch, 2 threads", "same, 1 thread", 1.8)]


class LbParams(ctypes.Structure):
    _fields_ = [("width", ctypes.c_size_t), ("height", ctypes.c_size_t),
                ("color", ctypes.c_uint8 * 4), ("scaleup", ctypes.c_bool),
                ("auto_pad", ctypes.c_bool), ("scale_fill", ctypes.c_bool),
                ("center", ctypes.c_bool), ("stride", ctypes.c_size_t)]


class LbInfo(ctypes.Structure):
    _fields_ = [("scale_x", ctypes.c_double), ("scale_y", ctypes.c_double)] + [
        (n, ctypes.c_size_t) for n in ("resized_width", "resized_height", "left", "top", "right",
                                       "bottom", "out_width", "out_height")]


class ClsParams(ctypes.Structure):
    _fields_ = [("resize_short", ctypes.c_size_t), ("crop_width", ctypes.c_size_t),
                ("crop_height", ctypes.c_size_t), ("layout", ctypes.c_uint32)]


class BytesOptions(ctypes.Structure):
    _fields_ = [("mode", ctypes.c_uint32), ("format", ctypes.c_uint32),
                ("max_pixels", ctypes.c_uint64), ("apply_exif_orientation", ctypes.c_bool),
                ("accept_truncated", ctypes.c_bool), ("png_convention", ctypes.c_uint32),
                ("region_decode", ctypes.c_bool)]


class BytesInfo(ctypes.Structure):
    _fields_ = [("container", ctypes.c_uint32), ("source_width", ctypes.c_size_t),
                ("source_height", ctypes.c_size_t), ("decoded_width", ctypes.c_size_t),
                ("decoded_height", ctypes.c_size_t), ("scale_num", ctypes.c_uint32),
                ("truncated", ctypes.c_bool), ("letterbox", LbInfo)]


class Frame(ctypes.Structure):
    _fields_ = [("layout", ctypes.c_uint32), ("width", ctypes.c_size_t),
                ("height", ctypes.c_size_t), ("planes", ctypes.c_void_p * 3),
                ("strides", ctypes.c_size_t * 3)]


F32P = ctypes.POINTER(ctypes.c_float)
NV12 = 0


def bind(lib):
    lib.scipix_letterbox_params_default.argtypes = [ctypes.POINTER(LbParams)]
    lib.scipix_bytes_options_default.argtypes = [ctypes.POINTER(BytesOptions)]
    lib.scipix_bytes_letterbox_to_tensor.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(LbParams), ctypes.c_uint32,
        ctypes.POINTER(BytesOptions), F32P, ctypes.c_size_t, ctypes.c_size_t,
        ctypes.POINTER(BytesInfo)]
    lib.scipix_bytes_classify_to_tensor.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ClsParams), F32P, ctypes.c_size_t,
        F32P, ctypes.c_size_t, ctypes.POINTER(BytesOptions), F32P, ctypes.c_size_t,
        ctypes.c_size_t, ctypes.POINTER(BytesInfo)]
    lib.scipix_yuv_letterbox_to_tensor.argtypes = [
        ctypes.POINTER(Frame), ctypes.POINTER(LbParams), ctypes.c_uint32, F32P, ctypes.c_size_t,
        ctypes.c_size_t, ctypes.POINTER(LbInfo)]
    lib.scipix_bytes_letterbox_batch_to_tensor.argtypes = [
        ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t,
        ctypes.POINTER(LbParams), ctypes.c_uint32, ctypes.POINTER(BytesOptions), F32P,
        ctypes.c_size_t, ctypes.POINTER(BytesInfo)]


def ok(lib, status):
    if status != 0:
        raise RuntimeError(lib.scipix_last_error_message().decode())


def options(lib, mode):
    o = BytesOptions()
    ok(lib, lib.scipix_bytes_options_default(ctypes.byref(o)))
    o.mode = mode
    return o


def letterbox_fn(lib, data, mode, side=640, info=None):
    p = LbParams()
    ok(lib, lib.scipix_letterbox_params_default(ctypes.byref(p)))
    p.width = p.height = side
    o = options(lib, mode)
    n = len(data)

    def run():
        out = np.empty((1, 3, side, side), np.float32)
        ok(lib, lib.scipix_bytes_letterbox_to_tensor(
            data, n, ctypes.byref(p), NCHW, ctypes.byref(o), out.ctypes.data_as(F32P), out.size,
            0, None if info is None else ctypes.byref(info)))
        return out

    return run


def classify_fn(lib, data, mode, short=256, crop=224, info=None):
    p = ClsParams(short, crop, crop, NCHW)
    o = options(lib, mode)
    n = len(data)
    mp, sp = MEAN.ctypes.data_as(F32P), STD.ctypes.data_as(F32P)

    def run():
        out = np.empty((1, 3, crop, crop), np.float32)
        ok(lib, lib.scipix_bytes_classify_to_tensor(
            data, n, ctypes.byref(p), mp, 3, sp, 3, ctypes.byref(o), out.ctypes.data_as(F32P),
            out.size, 0, None if info is None else ctypes.byref(info)))
        return out

    return run


def ultralytics_blob(bgr, side=640):
    """Ultralytics LetterBox (centred, pad 114) + blobFromImage(1/255, swapRB)."""
    h, w = bgr.shape[:2]
    r = min(side / h, side / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (side - nw) / 2, (side - nh) / 2
    if (w, h) != (nw, nh):
        bgr = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(bgr, top, bottom, left, right, cv2.BORDER_CONSTANT,
                             value=(114, 114, 114))
    return cv2.dnn.blobFromImage(img, 1 / 255.0, swapRB=True)


def cv2_chain(data, flags=cv2.IMREAD_COLOR, side=640):
    buf = np.frombuffer(data, np.uint8)
    return lambda: ultralytics_blob(cv2.imdecode(buf, flags), side)


def resize_size(w, h, short):
    s, long_side = (w, h) if w <= h else (h, w)
    nl = int(short * long_side / s)
    return (short, nl) if w <= h else (nl, short)


def torchvision(pil, short=256, crop=224):
    """Resize(short) (Pillow BILINEAR) + CenterCrop(crop) + ToTensor + Normalize."""
    nw, nh = resize_size(pil.width, pil.height, short)
    if (nw, nh) != pil.size:
        pil = pil.resize((nw, nh), PILImage.Resampling.BILINEAR)
    top, left = int(round((nh - crop) / 2.0)), int(round((nw - crop) / 2.0))
    a = np.asarray(pil.crop((left, top, left + crop, top + crop)))
    x = (a.astype(np.float32) / np.float32(255) - MEAN) / STD
    return x.transpose(2, 0, 1)[None]


def pillow_chain(data, draft=False, short=256):
    def run():
        im = PILImage.open(io.BytesIO(data))
        if draft:
            im.draft("RGB", resize_size(im.width, im.height, short))
        return torchvision(im.convert("RGB"), short)

    return run


def same(a, b, what):
    assert a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32)), \
        f"{what}: scipix differs from the peer chain"


def nv12_fn(lib, nv12, w, h, side=640):
    p = LbParams()
    ok(lib, lib.scipix_letterbox_params_default(ctypes.byref(p)))
    p.width = p.height = side
    base = nv12.ctypes.data
    f = Frame(NV12, w, h, (ctypes.c_void_p * 3)(base, base + w * h, None),
              (ctypes.c_size_t * 3)(w, w, 0))

    def run():
        out = np.empty((1, 3, side, side), np.float32)
        ok(lib, lib.scipix_yuv_letterbox_to_tensor(ctypes.byref(f), ctypes.byref(p), NCHW,
                                                   out.ctypes.data_as(F32P), out.size, 0, None))
        return out

    return run


def batch_fn(lib, items, threads, side=640):
    """64 encoded images -> one letterbox batch tensor with `threads` pool threads."""
    p = LbParams()
    ok(lib, lib.scipix_letterbox_params_default(ctypes.byref(p)))
    p.width = p.height = side
    o = options(lib, EXACT)
    n = len(items)
    ptrs = (ctypes.c_char_p * n)(*items)
    lens = (ctypes.c_size_t * n)(*[len(b) for b in items])

    def run():
        lib.scipix_set_opt_level(harness.SCIPIX_OPT_SIMD if threads == 1 else 3)
        lib.scipix_set_num_threads(ctypes.c_size_t(threads))
        out = np.empty((n, 3, side, side), np.float32)
        ok(lib, lib.scipix_bytes_letterbox_batch_to_tensor(
            ptrs, lens, n, ctypes.byref(p), NCHW, ctypes.byref(o), out.ctypes.data_as(F32P),
            out.size, None))
        lib.scipix_set_opt_level(harness.SCIPIX_OPT_SIMD)
        return out

    return run


def rows(lib, reps=15, full=True):
    cv2.setNumThreads(1)
    bind(lib)
    lib.scipix_set_num_threads.argtypes = [ctypes.c_size_t]
    out = []
    sizes = [(1920, 1080, True), (4032, 3024, True), (1280, 720, False), (640, 480, False)]
    for w, h, in_table in sizes:
        if not (full or in_table):
            continue
        data = jpeg_bytes(mosaic(w, h), 75, 2)
        size = f"{w}x{h} q75 4:2:0"
        r = reps if w * h <= 2_100_000 else max(5, reps // 3)
        decoded = w * h * 3
        ours = letterbox_fn(lib, data, EXACT)
        peer = cv2_chain(data)
        same(ours(), peer(), f"letterbox {size}")
        out.append(harness.measure("jpeg → letterbox 640 (exact)", size, ours, "cv2 chain", peer,
                                   len(data), decoded, r))
        red = letterbox_fn(lib, data, REDUCED)
        if full or (w, h) == (1920, 1080):
            out.append(harness.measure("jpeg → letterbox 640 (reduced)", size, red, "cv2 chain",
                                       peer, len(data), decoded // 4, r,
                                       note="peer decodes at full size"))
        ours = classify_fn(lib, data, EXACT)
        peer = pillow_chain(data)
        same(ours(), peer(), f"classify {size}")
        out.append(harness.measure("jpeg → classify 224 (exact)", size, ours,
                                   "Pillow+numpy chain", peer, len(data), decoded, r))
        red = classify_fn(lib, data, REDUCED)
        drafted = pillow_chain(data, draft=True)
        same(red(), drafted(), f"classify reduced {size}")
        out.append(harness.measure("jpeg → classify 224 (reduced)", size, red,
                                   "Pillow+numpy chain", peer, len(data), decoded // 16, r,
                                   note="peer decodes at full size"))
        out.append(harness.measure("jpeg → classify 224 (reduced)", size, red,
                                   "Pillow draft chain", drafted, len(data), decoded // 16, r))
    # Camera frames: NV12 -> letterbox tensor against cvtColor + the Ultralytics chain.
    frames = [(1920, 1080, True), (1280, 720, True), (3840, 2160, False)]
    for w, h, in_table in frames:
        if not (full or in_table):
            continue
        nv12 = cv2.cvtColor(np.asarray(mosaic(w, h)), cv2.COLOR_RGB2YUV_I420)
        y, u, v = nv12[:h], nv12[h:h + h // 4].reshape(-1), nv12[h + h // 4:].reshape(-1)
        nv12 = np.concatenate([y.reshape(-1), np.stack([u, v], -1).reshape(-1)]).reshape(-1, w)
        ours = nv12_fn(lib, nv12, w, h)
        peer = lambda nv12=nv12: ultralytics_blob(cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12))
        same(ours(), peer(), f"nv12 {w}x{h}")
        out.append(harness.measure("nv12 → letterbox 640", f"{w}x{h}", ours, "cvtColor chain",
                                   peer, nv12.nbytes, w * h * 3, reps))
    # A batch of 64 photos of mixed sizes, 2 pool threads against 1.
    mix = [(1920, 1080), (1280, 720), (1024, 768), (640, 480)]
    items = [jpeg_bytes(mosaic(*mix[i % 4]), 75 + i % 20, 2) for i in range(64)]
    one, two = batch_fn(lib, items, 1), batch_fn(lib, items, 2)
    same(one(), two(), "batch")
    br = max(3, reps // 5)
    a, b = harness.race([two, one], br)
    total = sum(w * h * 3 for w, h in (mix[i % 4] for i in range(64)))
    copy = harness.race([harness.copy_baseline(sum(map(len, items)), total)], br)[0]
    out.append(harness.Row("64 jpegs → letterbox batch, 2 threads", "mixed 640x480..1080p",
                           a, "same, 1 thread", b, copy,
                           note=f"{os.cpu_count()} CPUs"))
    return out


def accuracy():
    """PSNR and largest difference of the reduced mode against exact mode."""
    lib = harness.load_lib()
    bind(lib)
    print("| pipeline | source | scale | PSNR dB | largest difference (1/255) |")
    print("|---|---|---|---|---|")
    for w, h in [(4032, 3024), (1920, 1080), (1280, 720)]:
        for q in (75, 95):
            data = jpeg_bytes(mosaic(w, h), q, 2 if q == 75 else 0)
            for name, fn in [("letterbox 640", letterbox_fn), ("classify 224", classify_fn)]:
                info = BytesInfo()
                ex, red = fn(lib, data, EXACT)(), fn(lib, data, REDUCED, info=info)()
                if fn is classify_fn:  # normalized: back to [0, 1] units
                    ex = ex * STD[None, :, None, None] + MEAN[None, :, None, None]
                    red = red * STD[None, :, None, None] + MEAN[None, :, None, None]
                d = ex.astype(np.float64) - red.astype(np.float64)
                mse = float(np.mean(d * d))
                psnr = 10 * np.log10(1 / mse) if mse > 0 else float("inf")
                k = f"1/{8 // info.scale_num}"
                print(f"| {name} | {w}x{h} q{q} | {k} | {psnr:.1f} | "
                      f"{np.abs(d).max() * 255:.0f} |")


def bound(reps):
    """The floor of the reduced classification rows: libjpeg-turbo's entropy decoding,
    which no DCT scale skips. Races scipix's reduced classify call against cv2.imdecode at
    IMREAD_REDUCED_COLOR_8 (1/8: one DC coefficient per block, so nearly all of its time is
    Huffman decoding) and at the scale the pipeline picked, and Pillow's draft chain."""
    lib = harness.load_lib()
    bind(lib)
    flags = {1: cv2.IMREAD_REDUCED_COLOR_8, 2: cv2.IMREAD_REDUCED_COLOR_4,
             4: cv2.IMREAD_REDUCED_COLOR_2, 8: cv2.IMREAD_COLOR}
    print("| source | scale | scipix reduced classify ms | cv2.imdecode same scale ms | "
          "cv2.imdecode 1/8 ms (entropy floor) | Pillow draft chain ms |")
    print("|---|---|---|---|---|---|")
    for w, h in [(1920, 1080), (4032, 3024)]:
        data = jpeg_bytes(mosaic(w, h), 75, 2)
        arr = np.frombuffer(data, np.uint8)
        info = BytesInfo()
        ours = classify_fn(lib, data, REDUCED, info=info)
        ours()
        k = info.scale_num

        drafted = pillow_chain(data, draft=True)
        t = harness.race([ours, lambda: cv2.imdecode(arr, flags[k]),
                          lambda: cv2.imdecode(arr, cv2.IMREAD_REDUCED_COLOR_8), drafted], reps)
        print(f"| {w}x{h} q75 4:2:0 | 1/{8 // k} | {t[0].best * 1e3:.2f} | "
              f"{t[1].best * 1e3:.2f} | {t[2].best * 1e3:.2f} | {t[3].best * 1e3:.2f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--bound", action="store_true")
    args = ap.parse_args()
    if args.accuracy:
        accuracy()
        return
    if args.bound:
        bound(args.reps)
        return
    t = time.time()
    rs = rows(harness.load_lib(), args.reps)
    print(harness.markdown(rs))
    print("\ntargets (peer best / scipix best):")
    for op, peer, want in TARGETS:
        for r in rs:
            if r.op == op and r.peer_name == peer:
                got = r.vs_peer
                print(f"  {op} vs {peer} {r.size}: {got:.2f}x (target {want}x) "
                      f"{'met' if got >= want else 'MISSED'}")
    print(f"\n({time.time() - t:.0f} s)")


if __name__ == "__main__":
    main()
