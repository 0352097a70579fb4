"""YUV frames to RGB/BGR/RGBA/BGRA/GRAY checked bit for bit against cv2.cvtColor
(opencv-python-headless, pinned in requirements.txt), on every ISA, with padded plane strides
and unaligned plane starts as decoders hand them over.

Run after `cargo build --release`:  pytest tests/python/test_yuv_reference.py
"""
import ctypes

import cv2
import numpy as np
import pytest

from conftest import available_isas, check, Image as ImageMut

LAYOUTS = ["NV12", "NV21", "I420", "YV12", "YUYV", "UYVY", "YVYU"]  # SCIPIX_YUV_* order
FORMATS = {0: "GRAY", 1: "RGB", 2: "BGR", 3: "RGBA", 4: "BGRA"}  # SCIPIX_FORMAT_* -> cv2 name
CHANNELS = {0: 1, 1: 3, 2: 3, 3: 4, 4: 4}


class Frame(ctypes.Structure):
    _fields_ = [
        ("layout", ctypes.c_uint32),
        ("width", ctypes.c_size_t),
        ("height", ctypes.c_size_t),
        ("planes", ctypes.c_void_p * 3),
        ("strides", ctypes.c_size_t * 3),
    ]


@pytest.fixture(scope="module")
def sp(lib):
    lib.scipix_yuv_to_image.argtypes = [ctypes.POINTER(Frame), ctypes.POINTER(ImageMut)]
    yield lib
    lib.scipix_set_max_isa(lib.scipix_best_isa(), None)


def padded(rng, rows, row_bytes, pad, off):
    """A (rows, row_bytes) plane view inside a larger buffer: `pad` bytes after each row,
    starting `off` bytes in (so the plane start is unaligned)."""
    buf = rng.integers(0, 256, off + rows * (row_bytes + pad), dtype=np.uint8)
    return buf[off:off + rows * (row_bytes + pad)].reshape(rows, row_bytes + pad)[:, :row_bytes]


def make_frame(rng, layout, w, h, pad, off):
    """(planes as numpy views, the contiguous array cv2.cvtColor takes)."""
    if layout in ("NV12", "NV21"):
        y, uv = padded(rng, h, w, pad, off), padded(rng, h // 2, w, pad + 2, off + 1)
        return [y, uv], np.concatenate([y, uv])
    if layout in ("I420", "YV12"):
        y = padded(rng, h, w, pad, off)
        a, b = padded(rng, h // 2, w // 2, pad, off + 3), padded(rng, h // 2, w // 2, 1, off + 2)
        # cv2 takes Y, then the two chroma planes (U, V for I420; V, U for YV12) flattened
        # into one (h * 3 / 2, w) array, which is the order of the planes here.
        cv = np.concatenate([y.reshape(-1), a.reshape(-1), b.reshape(-1)]).reshape(h * 3 // 2, w)
        return [y, a, b], cv
    p = padded(rng, h, 2 * w, pad, off)
    return [p], p.reshape(h, w, 2)


def run(sp, layout, planes, w, h, fmt):
    ch = CHANNELS[fmt]
    out = np.full((h, w * ch + 5), 0xA5, np.uint8)
    view = out[:, 1:1 + w * ch]
    f = Frame(LAYOUTS.index(layout), w, h,
              (ctypes.c_void_p * 3)(*[p.ctypes.data for p in planes] + [None] * (3 - len(planes))),
              (ctypes.c_size_t * 3)(*[p.strides[0] for p in planes] + [0] * (3 - len(planes))))
    d = ImageMut(view.ctypes.data, w, h, out.strides[0], fmt)
    check(sp, sp.scipix_yuv_to_image(ctypes.byref(f), ctypes.byref(d)))
    assert (out[:, 0] == 0xA5).all() and (out[:, -4:] == 0xA5).all()
    return view.reshape(h, w, ch) if ch > 1 else view


@pytest.mark.parametrize("layout", LAYOUTS)
def test_matches_cvtcolor(sp, layout):
    rng = np.random.default_rng(LAYOUTS.index(layout))
    sizes = [(2, 2), (6, 4), (34, 18), (98, 66), (642, 480)]
    if layout in ("YUYV", "UYVY", "YVYU"):
        sizes += [(4, 3), (10, 1)]  # 4:2:2 allows odd heights
    for w, h in sizes:
        for pad, off in [(0, 0), (7, 3)]:
            planes, cv_in = make_frame(rng, layout, w, h, pad, off)
            cv_in = np.ascontiguousarray(cv_in)
            for fmt, name in FORMATS.items():
                code = getattr(cv2, f"COLOR_YUV2{name}_{layout}")
                want = cv2.cvtColor(cv_in, code)
                for isa in available_isas(sp):
                    sp.scipix_set_max_isa(isa, None)
                    got = run(sp, layout, planes, w, h, fmt)
                    assert np.array_equal(got, want), (layout, name, w, h, pad, isa,
                                                       int((got != want).sum()))


def test_every_yuv_triple(sp):
    """All 2^24 (Y, U, V) triples through NV12 against cv2: one chroma pair per 2x2 block."""
    n = 1 << 24
    v = np.arange(n, dtype=np.uint32)
    yv, uv_, vv = (v >> 16) & 255, (v >> 8) & 255, v & 255
    w = 4096
    h = 2 * n // (w // 2)  # every triple in its own 2x2 block
    y = np.repeat(np.repeat(yv.reshape(h // 2, w // 2).astype(np.uint8), 2, 0), 2, 1)
    uv = np.stack([uv_, vv], -1).astype(np.uint8).reshape(h // 2, w)
    want = cv2.cvtColor(np.concatenate([y, uv]), cv2.COLOR_YUV2BGR_NV12)
    for isa in available_isas(sp):
        sp.scipix_set_max_isa(isa, None)
        got = run(sp, "NV12", [y, uv], w, h, 2)
        assert np.array_equal(got, want), isa


def test_bad_frames(sp):
    y = np.zeros((4, 4), np.uint8)
    uv = np.zeros((2, 4), np.uint8)
    out = np.full((4, 12), 7, np.uint8)
    d = ImageMut(out.ctypes.data, 4, 4, 12, 1)
    cases = [
        (Frame(0, 3, 4, (ctypes.c_void_p * 3)(y.ctypes.data, uv.ctypes.data, None),
               (ctypes.c_size_t * 3)(4, 4, 0)), 2),  # odd width
        (Frame(0, 4, 4, (ctypes.c_void_p * 3)(y.ctypes.data, None, None),
               (ctypes.c_size_t * 3)(4, 4, 0)), 1),  # NULL chroma plane
        (Frame(7, 4, 4, (ctypes.c_void_p * 3)(y.ctypes.data, uv.ctypes.data, None),
               (ctypes.c_size_t * 3)(4, 4, 0)), 2),  # unknown layout
        (Frame(0, 4, 4, (ctypes.c_void_p * 3)(y.ctypes.data, uv.ctypes.data, None),
               (ctypes.c_size_t * 3)(3, 4, 0)), 2),  # stride below the row
    ]
    for f, status in cases:
        assert sp.scipix_yuv_to_image(ctypes.byref(f), ctypes.byref(d)) == status
        assert (out == 7).all()
