#!/usr/bin/env python3
"""Times image decoding against cv2.imdecode (cv2.setNumThreads(1)) and Pillow
(`Image.open(BytesIO(b)).convert("RGB")` + `np.asarray`): scipix_decode_jpeg and
scipix_decode_png through ctypes (release build), each case first checked bit for bit
against its peer. Calls alternate scipix, the peer and a copy of the same bytes
(benches/harness.py: the copy moves (encoded + decoded bytes) / 2); prints best / median
(ms), the ratios as a markdown table, then the issue's targets beside the measured ratios.

    cargo build --release && python3 benches/peers_decode.py [--reps N]

Each side returns a new array per call, as cv2.imdecode and Pillow do: scipix's side asks
the output size (scipix_jpeg_output_size / scipix_png_info), allocates with np.empty and
decodes into it, as `scipix.codec.decode` does. The JPEG work itself is libjpeg-turbo on
both sides (callgrind: within 4% of cv2's instructions per decode), so the ratios against
cv2.imdecode come from what surrounds it: under `perf`, cv2.imdecode spends about a third of
its time in the kernel, faulting in and unmapping the pages of its fresh output Mat (1080p
and 12 MP alike), scipix's side a twentieth at 1080p and a sixth at 12 MP (numpy asks for
transparent huge pages for big arrays). The ratios measure the whole call a Python user
makes.

Inputs are real photos: the scikit-image samples (astronaut, coffee, chelsea, rocket, the
motorcycle, the IHC slide; shipped inside the scikit-image wheel, pinned in
benches/requirements.txt) tiled in a grid and scaled with Pillow's LANCZOS to 1920x1080,
1280x720, 4032x3024 (a 12 MP phone photo) and 320x240, then encoded in memory by Pillow
(libjpeg-turbo) at quality 75 / 4:2:0 and quality 95 / 4:4:4; for PNG, a rendered
1920x1080 screenshot (flat background, window chrome, text, buttons and a photo
thumbnail; RGB, and RGBA with transparent rounded corners and a soft shadow) and the
1080p photo mosaic, saved by Pillow (zlib level 6).

`rows(lib, reps, full)` is what benches/table.py collects (full=False: the table's cases).
"""
import argparse
import ctypes
import functools
import io
import sys

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter, ImageOps

import harness

sys.path.insert(0, str(harness.ROOT / "tests" / "python"))
from conftest import Image as ImageMut  # noqa: E402
from test_decode_reference import DecodeOptions  # noqa: E402
from test_png_reference import PngInfo, PngOptions  # noqa: E402

RGB8, BGR8, RGBA8, BGRA8 = 1, 2, 3, 4
BPP = {RGB8: 3, BGR8: 3, RGBA8: 4, BGRA8: 4}
PNG_OPENCV, PNG_PILLOW = 0, 1

# The targets: (row kind, peer, least peer time / scipix time).
TARGETS = [("decode jpeg", "cv2.imdecode", 1.0), ("decode jpeg", "Pillow", 1.3),
           ("decode png", "cv2.imdecode", 1.2)]


# ------------------------------------------------------------------------------ inputs

@functools.lru_cache(maxsize=None)
def photos():
    """The scikit-image sample photos (RGB uint8), as PIL images."""
    try:
        from skimage import data
    except ImportError:
        raise SystemExit("scikit-image is missing: pip install -r benches/requirements.txt "
                         "(scripts/bench.sh installs it)")
    arrays = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(),
              data.stereo_motorcycle()[0], data.immunohistochemistry()]
    return tuple(PILImage.fromarray(a) for a in arrays)


@functools.lru_cache(maxsize=None)
def mosaic(w, h, cell_w=640, cell_h=540):
    """A w x h RGB image: the sample photos in a grid of about cell_w x cell_h cells, each
    cropped to its cell's aspect ratio and scaled with LANCZOS (ImageOps.fit), mirrored
    on every other pass so neighbouring cells differ."""
    pics = photos()
    cols, rows_ = max(1, round(w / cell_w)), max(1, round(h / cell_h))
    out = PILImage.new("RGB", (w, h))
    k = 0
    for j in range(rows_):
        for i in range(cols):
            x0, x1 = w * i // cols, w * (i + 1) // cols
            y0, y1 = h * j // rows_, h * (j + 1) // rows_
            pic = pics[k % len(pics)]
            if (k // len(pics)) % 2:
                pic = ImageOps.mirror(pic)
            out.paste(ImageOps.fit(pic, (x1 - x0, y1 - y0), PILImage.LANCZOS), (x0, y0))
            k += 1
    return out


def screenshot(w=1920, h=1080, rgba=False):
    """A desktop-like screenshot: flat background, a window with a title bar, a sidebar of
    menu entries, lines of text, buttons, a table grid and a photo thumbnail. With `rgba`,
    the window's rounded corners and its blurred shadow are the only non-opaque pixels."""
    img = PILImage.new("RGBA" if rgba else "RGB", (w, h), (236, 239, 244, 0 if rgba else 255))
    if not rgba:
        img.paste((58, 110, 165), (0, 0, w, h))  # desktop
    else:
        shadow = PILImage.new("L", (w, h), 0)
        ImageDraw.Draw(shadow).rounded_rectangle((60, 56, w - 52, h - 36), 14, fill=110)
        shadow = shadow.filter(ImageFilter.GaussianBlur(12))
        img.putalpha(shadow)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = 48, 40, w - 48, h - 48
    d.rounded_rectangle((x0, y0, x1, y1), 12, fill=(250, 250, 250, 255),
                        outline=(200, 200, 205, 255))
    d.rounded_rectangle((x0, y0, x1, y0 + 36), 12, fill=(222, 226, 232, 255))
    d.rectangle((x0, y0 + 24, x1, y0 + 36), fill=(222, 226, 232, 255))
    for i, c in enumerate([(237, 106, 94), (245, 191, 79), (98, 197, 84)]):
        d.ellipse((x0 + 14 + 22 * i, y0 + 11, x0 + 28 + 22 * i, y0 + 25), fill=c + (255,))
    d.text((w // 2 - 90, y0 + 11), "scipix - decode report.txt", fill=(40, 40, 40, 255))
    d.rectangle((x0, y0 + 36, x0 + 260, y1), fill=(243, 244, 246, 255))
    for i in range(24):
        y = y0 + 60 + 34 * i
        if i == 3:
            d.rectangle((x0 + 8, y - 6, x0 + 252, y + 20), fill=(207, 226, 255, 255))
        d.rectangle((x0 + 20, y, x0 + 34, y + 14), fill=(120, 144, 180, 255))
        d.text((x0 + 44, y + 1), f"Folder {i:02d} / results_{i * 37 % 101}",
               fill=(30, 30, 30, 255))
    tx = x0 + 290
    words = ("decode the frames with the same rules as the peers then compare every byte "
             "of the output scale chroma upsampling stride alpha").split()
    for i in range(26):
        line = " ".join(words[(i * 7 + k) % len(words)] for k in range(6 + i % 9))
        d.text((tx, y0 + 70 + 22 * i), f"{i + 1:3d}  {line}", fill=(20, 20, 20, 255))
    gx, gy = tx, y0 + 680
    for r in range(9):
        for c in range(6):
            d.rectangle((gx + 150 * c, gy + 26 * r, gx + 150 * (c + 1), gy + 26 * (r + 1)),
                        fill=(255, 255, 255, 255) if r % 2 else (246, 248, 250, 255),
                        outline=(215, 218, 222, 255))
            d.text((gx + 150 * c + 8, gy + 26 * r + 7), f"{(r * 13 + c * 7) % 97:>4}.{c}{r} ms",
                   fill=(50, 50, 50, 255))
    for i, label in enumerate(["Open", "Decode", "Compare", "Export"]):
        bx = x1 - 480 + 115 * i
        d.rounded_rectangle((bx, y1 - 56, bx + 100, y1 - 20), 6,
                            fill=(37, 99, 235, 255) if i == 1 else (229, 231, 235, 255))
        d.text((bx + 28, y1 - 44), label,
               fill=(255, 255, 255, 255) if i == 1 else (20, 20, 20, 255))
    thumb = ImageOps.fit(photos()[1], (480, 320), PILImage.LANCZOS)
    img.paste(thumb, (x1 - 520, y0 + 70))
    d.rectangle((x1 - 521, y0 + 69, x1 - 40, y0 + 390), outline=(180, 180, 180, 255))
    return img


def jpeg_bytes(img, quality, subsampling):
    """Pillow's JPEG (libjpeg-turbo, standard Huffman tables, baseline) in memory;
    subsampling 2 = 4:2:0, 0 = 4:4:4."""
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, subsampling=subsampling)
    return buf.getvalue()


def png_bytes(img):
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


# ------------------------------------------------------------------------------ sides

def bind(lib):
    lib.scipix_decode_options_default.argtypes = [ctypes.POINTER(DecodeOptions)]
    lib.scipix_jpeg_output_size.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(DecodeOptions),
        ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t)]
    lib.scipix_decode_jpeg.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(DecodeOptions),
        ctypes.POINTER(ImageMut), ctypes.c_void_p]
    lib.scipix_png_options_default.argtypes = [ctypes.POINTER(PngOptions)]
    lib.scipix_png_info.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(PngInfo)]
    lib.scipix_decode_png.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                      ctypes.POINTER(PngOptions), ctypes.POINTER(ImageMut)]


def jpeg_decoder(lib, data, fmt, scale_num=8, orient=False):
    """scipix's side: output size, a new array, decode into it."""
    o = DecodeOptions()
    assert lib.scipix_decode_options_default(ctypes.byref(o)) == 0
    o.scale_num, o.apply_exif_orientation = scale_num, orient
    n, c = len(data), BPP[fmt]

    def run():
        w, h = ctypes.c_size_t(), ctypes.c_size_t()
        if lib.scipix_jpeg_output_size(data, n, ctypes.byref(o), ctypes.byref(w),
                                       ctypes.byref(h)) != 0:
            raise RuntimeError(lib.scipix_last_error_message().decode())
        out = np.empty((h.value, w.value, c), np.uint8)
        dst = ImageMut(out.ctypes.data, w.value, h.value, w.value * c, fmt)
        if lib.scipix_decode_jpeg(data, n, ctypes.byref(o), ctypes.byref(dst), None) != 0:
            raise RuntimeError(lib.scipix_last_error_message().decode())
        return out

    return run


def png_decoder(lib, data, fmt, convention=PNG_OPENCV):
    o = PngOptions()
    assert lib.scipix_png_options_default(ctypes.byref(o)) == 0
    o.convention = convention
    n, c = len(data), BPP[fmt]

    def run():
        i = PngInfo()
        if lib.scipix_png_info(data, n, ctypes.byref(i)) != 0:
            raise RuntimeError(lib.scipix_last_error_message().decode())
        out = np.empty((i.height, i.width, c), np.uint8)
        dst = ImageMut(out.ctypes.data, i.width, i.height, i.width * c, fmt)
        if lib.scipix_decode_png(data, n, ctypes.byref(o), ctypes.byref(dst)) != 0:
            raise RuntimeError(lib.scipix_last_error_message().decode())
        return out

    return run


def pillow_rgb(data, mode="RGB", draft=None):
    """Pillow's side: open, (draft to the DCT scale), convert, as a numpy array."""
    def run():
        im = PILImage.open(io.BytesIO(data))
        if draft:
            im.draft(mode, (im.width // draft, im.height // draft))
        return np.asarray(im.convert(mode))

    return run


def cv2_decode(data, flags):
    buf = np.frombuffer(data, np.uint8)
    return lambda: cv2.imdecode(buf, flags)


def checked(ours, peer, what):
    """Both sides once, compared bit for bit; returns the decoded array's size in bytes."""
    a, b = ours(), peer()
    if b.ndim == 2:
        b = b[:, :, None]
    assert a.shape == b.shape and np.array_equal(a, b), f"{what}: scipix differs from the peer"
    return a.nbytes


# ------------------------------------------------------------------------------ rows

def rows(lib, reps=15, full=True):
    cv2.setNumThreads(1)
    bind(lib)
    out = []

    def race(op, size, ours, peer_name, peer, data, r):
        nbytes = checked(ours, peer, f"{op} {size}")
        out.append(harness.measure(op, size, ours, peer_name, peer, len(data), nbytes, r))

    def reps_for(w, h):
        return reps if w * h <= 2_100_000 else max(5, reps // 3)

    # full-size JPEG: (width, height, quality, subsampling, in the table)
    jpegs = [(1920, 1080, 75, 2, True), (1920, 1080, 95, 0, True), (4032, 3024, 75, 2, True),
             (1280, 720, 75, 2, False), (320, 240, 75, 2, False)]
    for w, h, q, sub, in_table in jpegs:
        if not (full or in_table):
            continue
        data = jpeg_bytes(mosaic(w, h), q, sub)
        size = f"{w}x{h} q{q} {'4:2:0' if sub == 2 else '4:4:4'}"
        r = reps * 3 if w * h < 100_000 else reps_for(w, h)
        race("decode jpeg to bgr", size, jpeg_decoder(lib, data, BGR8), "cv2.imdecode",
             cv2_decode(data, cv2.IMREAD_COLOR), data, r)
        if full or (w, h, q) == (1920, 1080, 75):
            race("decode jpeg to rgb", size, jpeg_decoder(lib, data, RGB8), "Pillow",
                 pillow_rgb(data), data, r)

    # DCT-scaled JPEG: 1/2 and 1/4 of the phone photo (and of 1080p in full)
    scaled = [(4032, 3024, 2), (4032, 3024, 4)]
    if full:
        scaled += [(1920, 1080, 2), (1920, 1080, 4)]
    for w, h, s in scaled:
        data = jpeg_bytes(mosaic(w, h), 75, 2)
        size = f"{w}x{h} q75 4:2:0 → 1/{s}"
        r = reps_for(w // s, h // s)
        flag = cv2.IMREAD_REDUCED_COLOR_2 if s == 2 else cv2.IMREAD_REDUCED_COLOR_4
        race("decode jpeg scaled to bgr", size, jpeg_decoder(lib, data, BGR8, 8 // s, True),
             "cv2.imdecode REDUCED", cv2_decode(data, flag), data, r)
        if full or s == 4:
            race("decode jpeg scaled to rgb", size, jpeg_decoder(lib, data, RGB8, 8 // s),
                 "Pillow draft", pillow_rgb(data, draft=s), data, r)

    # PNG: the screenshot (RGB and RGBA) and the 1080p photo mosaic
    pngs = [("screenshot", screenshot(), BGR8, cv2.IMREAD_COLOR),
            ("screenshot RGBA", screenshot(rgba=True), BGRA8, cv2.IMREAD_UNCHANGED),
            ("photo", mosaic(1920, 1080), BGR8, cv2.IMREAD_COLOR)]
    for name, img, fmt, flag in pngs:
        data = png_bytes(img)
        size = f"1920x1080 {name}"
        to = "bgra" if fmt == BGRA8 else "bgr"
        race(f"decode png to {to}", size, png_decoder(lib, data, fmt), "cv2.imdecode",
             cv2_decode(data, flag), data, reps)
        if full:
            mode, pfmt = ("RGBA", RGBA8) if fmt == BGRA8 else ("RGB", RGB8)
            race(f"decode png to {mode.lower()}", size,
                 png_decoder(lib, data, pfmt, PNG_PILLOW), "Pillow", pillow_rgb(data, mode),
                 data, reps)
    return out


def target_lines(rs):
    """The issue's targets beside the measured ratios (best, median)."""
    lines = []
    for kind, peer, want in TARGETS:
        for r in rs:
            scaled = "scaled" in r.op
            if not r.op.startswith(kind) or scaled or not r.peer_name.startswith(peer):
                continue
            ok = "met" if r.vs_peer >= want else "MISSED"
            lines.append(f"{r.op} {r.size} vs {r.peer_name}: target >= {want:.1f}x, measured "
                         f"{r.vs_peer:.2f}x best ({r.vs_peer_median:.2f}x median): {ok}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    args = ap.parse_args()
    lib = harness.load_lib()
    rs = rows(lib, args.reps, full=True)
    harness.print_rows(rs)
    print("\nIssue targets (full-size decode; vs peer = peer time / scipix time):")
    print("\n".join(f"* {line}" for line in target_lines(rs)))


if __name__ == "__main__":
    main()
