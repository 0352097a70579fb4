"""JPEG decoding checked bit for bit against cv2.imdecode and Pillow (both libjpeg-turbo with
its defaults), including DCT-scaled decodes (IMREAD_REDUCED_*, Image.draft), Exif
orientation, sub-region destinations and truncated data.

Run after `cargo build --release`:  pytest tests/python/test_decode_reference.py
"""
import ctypes
import io
import math

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from conftest import check, Image as ImageMut

GRAY8, RGB8, BGR8, RGBA8, BGRA8 = range(5)
CHANNELS = {GRAY8: 1, RGB8: 3, BGR8: 3, RGBA8: 4, BGRA8: 4}
OK, INVALID_FILE = 0, 8


class ImageInfo(ctypes.Structure):
    _fields_ = [
        ("format", ctypes.c_uint32),
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("channels", ctypes.c_uint32),
        ("bit_depth", ctypes.c_uint32),
        ("progressive_or_interlaced", ctypes.c_bool),
        ("chroma_subsampling", ctypes.c_uint32),
        ("exif_orientation", ctypes.c_uint32),
        ("sof_type", ctypes.c_uint32),
    ]


class DecodeOptions(ctypes.Structure):
    _fields_ = [
        ("max_pixels", ctypes.c_uint64),
        ("scale_num", ctypes.c_uint32),
        ("apply_exif_orientation", ctypes.c_bool),
        ("accept_truncated", ctypes.c_bool),
    ]


class DecodeInfo(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_size_t),
        ("height", ctypes.c_size_t),
        ("truncated", ctypes.c_bool),
    ]


@pytest.fixture(scope="module")
def sp(lib):
    lib.scipix_probe.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ImageInfo)]
    lib.scipix_decode_options_default.argtypes = [ctypes.POINTER(DecodeOptions)]
    lib.scipix_jpeg_output_size.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(DecodeOptions),
        ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t),
    ]
    lib.scipix_decode_jpeg.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(DecodeOptions),
        ctypes.POINTER(ImageMut), ctypes.POINTER(DecodeInfo),
    ]
    return lib


def options(lib, scale_num=8, orient=False, truncated=False):
    o = DecodeOptions()
    check(lib, lib.scipix_decode_options_default(ctypes.byref(o)))
    o.scale_num, o.apply_exif_orientation, o.accept_truncated = scale_num, orient, truncated
    return o


def decode(lib, data: bytes, fmt: int, scale_num=8, orient=False, truncated=False,
           margin=(0, 0)):
    """Decodes into a sub-region at offset `margin` (rows, columns) of a larger buffer
    filled with 0xA5, checks that nothing outside the region changed, returns the region."""
    o = options(lib, scale_num, orient, truncated)
    w, h = ctypes.c_size_t(), ctypes.c_size_t()
    check(lib, lib.scipix_jpeg_output_size(data, len(data), ctypes.byref(o),
                                           ctypes.byref(w), ctypes.byref(h)))
    w, h, c = w.value, h.value, CHANNELS[fmt]
    my, mx = margin
    parent = np.full((h + 2 * my, (w + 2 * mx) * c + 3), 0xA5, np.uint8)
    view = parent[my:my + h, mx * c:(mx + w) * c]
    dst = ImageMut(view.ctypes.data, w, h, parent.strides[0], fmt)
    info = DecodeInfo()
    check(lib, lib.scipix_decode_jpeg(data, len(data), ctypes.byref(o), ctypes.byref(dst),
                                      ctypes.byref(info)))
    assert (info.width, info.height) == (w, h)
    out = view.copy()
    view[...] = 0xA5
    assert (parent == 0xA5).all(), "bytes outside the destination view were written"
    return out.reshape(h, w, c) if c > 1 else out.reshape(h, w)


def make_image(w: int, h: int, seed: int) -> np.ndarray:
    """BGR: smooth gradients, noise and hard edges (what stresses IDCT and upsampling)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    b = 128 + 100 * np.sin(x / max(w, 1) * 6.0) * np.cos(y / max(h, 1) * 4.0)
    g = 255 * x / max(w - 1, 1)
    r = 255 * y / max(h - 1, 1)
    img = np.stack([b, g, r], axis=-1) + rng.normal(0, 12, (h, w, 3))
    img[(x.astype(int) // 9 + y.astype(int) // 7) % 5 == 0] = (20, 230, 40)
    img[h // 3:h // 3 + max(1, h // 8), :, 2] = 250
    return np.clip(img, 0, 255).astype(np.uint8)


def cv2_jpeg(img, quality, sampling=None, progressive=False, restart=0, gray=False):
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    if sampling is not None:
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, sampling]
    if progressive:
        params += [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]
    if restart:
        params += [cv2.IMWRITE_JPEG_RST_INTERVAL, restart]
    src = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if gray else img
    ok, buf = cv2.imencode(".jpg", src, params)
    assert ok
    return buf.tobytes()


def pil_jpeg(img, mode="RGB", orientation=None, **kw):
    im = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).convert(mode)
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw["exif"] = exif
    f = io.BytesIO()
    im.save(f, "JPEG", **kw)
    return f.getvalue()


SIZES = [(1, 1), (7, 5), (33, 17), (641, 479)]
ENCODERS = {
    "cv2-q75-420": lambda i: cv2_jpeg(i, 75, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420),
    "cv2-q90-422": lambda i: cv2_jpeg(i, 90, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422),
    "cv2-q95-444": lambda i: cv2_jpeg(i, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444),
    "cv2-q80-440-restart": lambda i: cv2_jpeg(i, 80, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_440,
                                              restart=3),
    "cv2-q85-411-progressive": lambda i: cv2_jpeg(i, 85, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411,
                                                  progressive=True),
    "cv2-gray": lambda i: cv2_jpeg(i, 85, gray=True),
    "pil-q75-420": lambda i: pil_jpeg(i, quality=75, subsampling=2),
    "pil-q90-422-progressive": lambda i: pil_jpeg(i, quality=90, subsampling=1,
                                                  progressive=True),
    "pil-q95-444": lambda i: pil_jpeg(i, quality=95, subsampling=0),
    "pil-gray-progressive": lambda i: pil_jpeg(i, "L", quality=80, progressive=True),
}
REDUCED = {  # scale_num -> (color flag, gray flag)
    4: (cv2.IMREAD_REDUCED_COLOR_2, cv2.IMREAD_REDUCED_GRAYSCALE_2),
    2: (cv2.IMREAD_REDUCED_COLOR_4, cv2.IMREAD_REDUCED_GRAYSCALE_4),
    1: (cv2.IMREAD_REDUCED_COLOR_8, cv2.IMREAD_REDUCED_GRAYSCALE_8),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("enc", list(ENCODERS))
def test_matches_cv2_and_pillow(sp, size, enc):
    w, h = size
    data = ENCODERS[enc](make_image(w, h, seed=w * 31 + h))
    buf = np.frombuffer(data, np.uint8)

    info = ImageInfo()
    check(sp, sp.scipix_probe(data, len(data), ctypes.byref(info)))
    assert (info.format, info.width, info.height, info.bit_depth) == (1, w, h, 8)
    assert info.progressive_or_interlaced == ("progressive" in enc)
    assert info.channels == (1 if "gray" in enc else 3)

    # cv2.imdecode: full size and every IMREAD_REDUCED_* (orientation applied, cv2's default).
    margin = (2, 3)
    assert np.array_equal(decode(sp, data, BGR8, orient=True, margin=margin),
                          cv2.imdecode(buf, cv2.IMREAD_COLOR))
    assert np.array_equal(decode(sp, data, GRAY8, orient=True, margin=margin),
                          cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE))
    for num, (color, gray) in REDUCED.items():
        assert np.array_equal(decode(sp, data, BGR8, num, orient=True), cv2.imdecode(buf, color))
        assert np.array_equal(decode(sp, data, GRAY8, num, orient=True), cv2.imdecode(buf, gray))

    # Pillow: convert() of the full image, and draft() for the scaled decodes.
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(decode(sp, data, RGB8, margin=margin), rgb)
    assert np.array_equal(decode(sp, data, RGBA8),
                          np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")))
    bgra = decode(sp, data, BGRA8)
    assert np.array_equal(bgra[..., 2::-1], rgb) and (bgra[..., 3] == 255).all()
    if info.channels == 1:
        assert np.array_equal(decode(sp, data, GRAY8),
                              np.asarray(Image.open(io.BytesIO(data)).convert("L")))
    for k in (2, 4, 8):
        for mode, fmt in (("RGB", RGB8), ("L", GRAY8)):
            im = Image.open(io.BytesIO(data))
            im.draft(mode, (max(1, w // k), max(1, h // k)))
            got = np.asarray(im.convert(mode))
            num = next(n for n in (8, 4, 2, 1)
                       if im.size == (math.ceil(w * n / 8), math.ceil(h * n / 8)))
            assert np.array_equal(decode(sp, data, fmt, num), got), (mode, k, num)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation(sp, orientation):
    img = make_image(33, 17, seed=orientation)
    data = pil_jpeg(img, orientation=orientation, quality=90)
    info = ImageInfo()
    check(sp, sp.scipix_probe(data, len(data), ctypes.byref(info)))
    assert info.exif_orientation == orientation
    buf = np.frombuffer(data, np.uint8)
    # cv2 applies the orientation by default, also to the reduced decodes.
    assert np.array_equal(decode(sp, data, BGR8, orient=True), cv2.imdecode(buf, cv2.IMREAD_COLOR))
    assert np.array_equal(decode(sp, data, GRAY8, 4, orient=True),
                          cv2.imdecode(buf, cv2.IMREAD_REDUCED_GRAYSCALE_2))
    # Pillow leaves it to ImageOps.exif_transpose.
    im = Image.open(io.BytesIO(data))
    assert np.array_equal(decode(sp, data, RGB8), np.asarray(im.convert("RGB")))
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    assert np.array_equal(decode(sp, data, RGB8, orient=True), np.asarray(upright))


def test_truncated_data(sp):
    data = cv2_jpeg(make_image(641, 479, seed=5), 90, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420)
    cut = data[: len(data) * 2 // 3]
    o = options(sp)
    dst_arr = np.zeros((479, 641, 3), np.uint8)
    dst = ImageMut(dst_arr.ctypes.data, 641, 479, 641 * 3, BGR8)
    assert sp.scipix_decode_jpeg(cut, len(cut), ctypes.byref(o), ctypes.byref(dst), None) \
        == INVALID_FILE
    assert b"JPEG" in sp.scipix_last_error_message()
    # cv2 5.1 refuses it too (imdecode returns None), and so does Pillow by default.
    assert cv2.imdecode(np.frombuffer(cut, np.uint8), cv2.IMREAD_COLOR) is None
    with pytest.raises(OSError):
        Image.open(io.BytesIO(cut)).convert("RGB")
    # Accepted on request: exactly Pillow with LOAD_TRUNCATED_IMAGES (libjpeg fills the
    # missing blocks, gray).
    o = options(sp, truncated=True)
    info = DecodeInfo()
    dst.format = RGB8
    check(sp, sp.scipix_decode_jpeg(cut, len(cut), ctypes.byref(o), ctypes.byref(dst),
                                    ctypes.byref(info)))
    assert info.truncated
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        ref = np.asarray(Image.open(io.BytesIO(cut)).convert("RGB"))
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    assert np.array_equal(dst_arr, ref)


def test_refusals(sp):
    data = cv2_jpeg(make_image(64, 48, seed=1), 90)
    w, h = ctypes.c_size_t(), ctypes.c_size_t()
    o = options(sp)
    o.max_pixels = 64 * 48 - 1
    assert sp.scipix_jpeg_output_size(data, len(data), ctypes.byref(o), ctypes.byref(w),
                                      ctypes.byref(h)) == 3  # SIZE_OVERFLOW
    o = options(sp, scale_num=17)
    assert sp.scipix_jpeg_output_size(data, len(data), ctypes.byref(o), ctypes.byref(w),
                                      ctypes.byref(h)) == 2
    png = cv2.imencode(".png", make_image(5, 4, seed=2))[1].tobytes()
    info = ImageInfo()
    check(sp, sp.scipix_probe(png, len(png), ctypes.byref(info)))
    assert (info.format, info.width, info.height, info.channels, info.bit_depth) == \
        (2, 5, 4, 3, 8)
    assert sp.scipix_jpeg_output_size(png, len(png), None, ctypes.byref(w),
                                      ctypes.byref(h)) == 4  # UNSUPPORTED_FORMAT


@pytest.mark.parametrize("size", [(1, 1), (33, 17), (641, 479)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_cmyk_matches_cv2(sp, size):
    """Adobe CMYK JPEGs: cv2 and Pillow disagree, scipix follows cv2 (documented)."""
    w, h = size
    cmyk = np.random.default_rng(w).integers(0, 256, (h, w, 4), dtype=np.uint8)
    f = io.BytesIO()
    Image.fromarray(cmyk, "CMYK").save(f, "JPEG", quality=90)
    data = f.getvalue()
    buf = np.frombuffer(data, np.uint8)
    assert np.array_equal(decode(sp, data, BGR8, orient=True, margin=(1, 2)),
                          cv2.imdecode(buf, cv2.IMREAD_COLOR))
    assert np.array_equal(decode(sp, data, GRAY8, orient=True),
                          cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE))
    for num, (color, gray) in REDUCED.items():
        assert np.array_equal(decode(sp, data, BGR8, num, orient=True), cv2.imdecode(buf, color))
        assert np.array_equal(decode(sp, data, GRAY8, num, orient=True), cv2.imdecode(buf, gray))
