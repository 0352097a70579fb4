"""Grayscale and threshold ops checked bit for bit against opencv-python, on every ISA.

Run after `cargo build --release`:  pytest tests/python/test_opencv_color_threshold.py
"""
import ctypes

import cv2
import numpy as np
import pytest

from conftest import Image, available_isas, check

FORMATS = {  # SCIPIX_FORMAT_* -> (channels, cv2 code)
    1: (3, cv2.COLOR_RGB2GRAY),
    2: (3, cv2.COLOR_BGR2GRAY),
    3: (4, cv2.COLOR_RGBA2GRAY),
    4: (4, cv2.COLOR_BGRA2GRAY),
}
GRAY8 = 0


def desc(a: np.ndarray, fmt: int) -> Image:
    """Descriptor of a 2-D or 3-D uint8 array (any row stride, contiguous pixels)."""
    assert a.dtype == np.uint8 and a.strides[-1] == 1
    return Image(a.ctypes.data, a.shape[1], a.shape[0], a.strides[0], fmt)


@pytest.fixture(scope="module")
def sp(lib):
    P = ctypes.POINTER(Image)
    lib.scipix_gray.argtypes = [P, P]
    lib.scipix_gray_f32.argtypes = [P, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32]
    lib.scipix_threshold.argtypes = [P, P, ctypes.c_double, ctypes.c_double, ctypes.c_uint32]
    lib.scipix_threshold_inplace.argtypes = [P, ctypes.c_double, ctypes.c_double, ctypes.c_uint32]
    lib.scipix_threshold_f32.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
        ctypes.c_size_t, ctypes.c_size_t, ctypes.c_double, ctypes.c_double, ctypes.c_uint32,
    ]
    lib.scipix_otsu_threshold.argtypes = [P, ctypes.POINTER(ctypes.c_uint8)]
    lib.scipix_threshold_otsu.argtypes = [P, P, ctypes.c_double, ctypes.c_uint32,
                                          ctypes.POINTER(ctypes.c_uint8)]
    lib.scipix_adaptive_threshold_mean.argtypes = [P, P, ctypes.c_double, ctypes.c_uint32,
                                                   ctypes.c_size_t, ctypes.c_double]
    lib.scipix_binarize_otsu.argtypes = [P, P, P, ctypes.c_double, ctypes.c_uint32,
                                         ctypes.POINTER(ctypes.c_uint8)]
    yield lib
    lib.scipix_set_max_isa(4 if lib.scipix_best_isa() == 4 else 3, None)


def each_isa(lib):
    for isa in available_isas(lib):
        lib.scipix_set_max_isa(isa, None)
        yield isa


def rng(seed=0):
    return np.random.default_rng(seed)


def gray_images():
    r = rng(1)
    out = [r.integers(0, 256, (h, w), dtype=np.uint8) for h, w in
           [(1, 1), (3, 67), (17, 33), (64, 1000), (241, 517)]]
    g = np.tile(np.arange(256, dtype=np.uint8), (8, 1))
    out.append(g)  # gradient
    out.append(np.full((20, 40), 137, np.uint8))  # constant
    out.append(np.where(r.random((50, 70)) < 0.3, 12, 240).astype(np.uint8))  # two-valued
    page = np.full((120, 300), 225, np.uint8)  # text-like strokes on paper with noise
    for k in range(12):
        y, x = 10 + 9 * (k % 11), 5 + 23 * k
        page[y:y + 7, x:x + 2] = 30
        page[y + 3:y + 5, x:x + 14] = 45
    page = np.clip(page.astype(int) + r.integers(-20, 20, page.shape), 0, 255).astype(np.uint8)
    out.append(page)
    shade = (np.linspace(90, 250, 300)[None, :] + np.zeros((120, 1))).astype(np.uint8)
    out.append(np.minimum(page, shade))  # uneven lighting: what adaptive thresholds are for
    return out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_gray_matches_cvtcolor(sp, fmt):
    ch, code = FORMATS[fmt]
    r = rng(fmt)
    cases = [r.integers(0, 256, (h, w, ch), dtype=np.uint8) for h, w in
             [(1, 1), (1, 67), (5, 31), (33, 129), (480, 640)]]
    big = r.integers(0, 256, (300, 1100 + ch * 2, ch), dtype=np.uint8)
    cases.append(big[7:290, 3:1001])  # sub-view: padded stride, unaligned start
    ramp = np.zeros((256, 256, ch), np.uint8)
    ramp[..., 0] = np.arange(256)[None, :]
    ramp[..., 1] = np.arange(256)[:, None]
    ramp[..., 2] = 255 - np.arange(256)[None, :]
    cases.append(ramp)
    for src in cases:
        want = cv2.cvtColor(np.ascontiguousarray(src), code)
        for isa in each_isa(sp):
            dst = np.full((src.shape[0], src.shape[1] + 3), 0xA5, np.uint8)
            view = dst[:, 1:1 + src.shape[1]]
            check(sp, sp.scipix_gray(ctypes.byref(desc(src, fmt)), ctypes.byref(desc(view, GRAY8))))
            assert np.array_equal(view, want), (isa, src.shape)
            assert (dst[:, 0] == 0xA5).all() and (dst[:, -2:] == 0xA5).all()
            for scale, div in [(0, 1.0), (1, 255.0)]:
                f = np.full((src.shape[0], src.shape[1] + 2), -7.0, np.float32)
                check(sp, sp.scipix_gray_f32(ctypes.byref(desc(src, fmt)), f.ctypes.data,
                                             f.shape[1], scale))
                assert np.array_equal(f[:, :src.shape[1]], want.astype(np.float32) / np.float32(div))
                assert (f[:, src.shape[1]:] == -7.0).all()


def test_gray_every_color(sp):
    v = np.arange(1 << 24, dtype=np.uint32)
    img = np.stack([(v >> 16) & 255, (v >> 8) & 255, v & 255], -1).astype(np.uint8).reshape(4096, 4096, 3)
    want = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    for isa in each_isa(sp):
        dst = np.empty((4096, 4096), np.uint8)
        check(sp, sp.scipix_gray(ctypes.byref(desc(img, 1)), ctypes.byref(desc(dst, GRAY8))))
        assert np.array_equal(dst, want), isa


INF, NAN = float("inf"), float("nan")
# Past the int32 range OpenCV 5.1 saturates (NaN acting as INT32_MAX); 5.0 wrapped to INT32_MIN.
THRESHOLDS = [0, 0.5, 1, 99.99, 127, 127.5, 200, 254, 254.5, 255, 255.5, 300, -0.5, -1, -300,
              2147483647.5, 2147483648, 3e9, 1e10, 1e20, INF, NAN, -2147483649, -3e9, -INF]
MAXVALS = [255, 200, 0, 1.5, 254.5, 255.5, 300, -5, 2147483647.5, 3e9, INF, NAN, -3e9, -INF]


def test_threshold_u8_matches_opencv(sp):
    for src in gray_images():
        for t in THRESHOLDS:
            for ty in range(5):
                for m in (MAXVALS if t in (127.5, -1, 255) else [255, 254.5]):
                    _, want = cv2.threshold(src, t, m, ty)
                    for isa in each_isa(sp):
                        dst = np.full_like(src, 0x5A)
                        check(sp, sp.scipix_threshold(ctypes.byref(desc(src, GRAY8)),
                                                      ctypes.byref(desc(dst, GRAY8)), t, m, ty))
                        assert np.array_equal(dst, want), (isa, src.shape, t, m, ty)
                        inplace = src.copy()
                        check(sp, sp.scipix_threshold_inplace(ctypes.byref(desc(inplace, GRAY8)),
                                                              t, m, ty))
                        assert np.array_equal(inplace, want), (isa, "inplace", t, m, ty)


def test_threshold_f32_matches_opencv(sp):
    r = rng(3)
    srcs = [(r.standard_normal((37, 53)) * 100).astype(np.float32),
            np.linspace(-2, 2, 4096, dtype=np.float32).reshape(64, 64),
            (r.standard_normal((300, 401)) * 50).astype(np.float32)]
    srcs[1][3, :5] = [0.0, -0.0, 0.5, 1e-30, np.float32(0.1)]
    for src in srcs:
        for t in [0.0, 0.1, 0.5, -17.25, 1e6]:
            for ty in range(5):
                _, want = cv2.threshold(src, t, 2.5, ty)
                for isa in each_isa(sp):
                    dst = np.full((src.shape[0], src.shape[1] + 1), 9.0, np.float32)
                    check(sp, sp.scipix_threshold_f32(src.ctypes.data, src.shape[1], dst.ctypes.data,
                                                      dst.shape[1], src.shape[1], src.shape[0], t, 2.5, ty))
                    got = dst[:, :src.shape[1]]
                    assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (isa, t, ty)
                    assert (dst[:, -1] == 9.0).all()
                    inplace = src.copy()
                    check(sp, sp.scipix_threshold_f32(inplace.ctypes.data, src.shape[1],
                                                      inplace.ctypes.data, src.shape[1],
                                                      src.shape[1], src.shape[0], t, 2.5, ty))
                    assert np.array_equal(inplace.view(np.uint32), want.view(np.uint32))


def test_otsu_matches_opencv(sp):
    r = rng(4)
    imgs = gray_images() + [
        np.clip(r.normal(m, s, (200, 300)), 0, 255).astype(np.uint8)
        for m, s in [(60, 10), (128, 60), (200, 5)]
    ]
    mix = np.concatenate([np.clip(r.normal(70, 15, (100, 500)), 0, 255),
                          np.clip(r.normal(180, 25, (160, 500)), 0, 255)]).astype(np.uint8)
    imgs.append(mix)
    imgs.append(r.integers(0, 256, (1024, 1024), dtype=np.uint8))
    for src in imgs:
        for ty in range(5):
            t_cv, want = cv2.threshold(src, 0, 255, ty | cv2.THRESH_OTSU)
            for isa in each_isa(sp):
                t = ctypes.c_uint8(77)
                check(sp, sp.scipix_otsu_threshold(ctypes.byref(desc(src, GRAY8)), ctypes.byref(t)))
                assert t.value == int(t_cv), (isa, src.shape)
                dst = np.empty_like(src)
                t2 = ctypes.c_uint8(0)
                check(sp, sp.scipix_threshold_otsu(ctypes.byref(desc(src, GRAY8)),
                                                   ctypes.byref(desc(dst, GRAY8)), 255, ty,
                                                   ctypes.byref(t2)))
                assert t2.value == int(t_cv)
                assert np.array_equal(dst, want), (isa, src.shape, ty)
    # Max values past the int32 range saturate (OpenCV 5.1): NaN and +inf give 255.
    for m in [NAN, INF, 3e9, -INF, 200.5]:
        t_cv, want = cv2.threshold(mix, 0, m, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        for isa in each_isa(sp):
            dst = np.empty_like(mix)
            t2 = ctypes.c_uint8(0)
            check(sp, sp.scipix_threshold_otsu(ctypes.byref(desc(mix, GRAY8)),
                                               ctypes.byref(desc(dst, GRAY8)), m, 0,
                                               ctypes.byref(t2)))
            assert t2.value == int(t_cv) and np.array_equal(dst, want), (isa, m)


@pytest.mark.parametrize("block", [3, 5, 7, 11, 15, 17, 21, 31, 51, 99, 163])
def test_adaptive_mean_matches_opencv(sp, block):
    for src in gray_images():
        for ty, c, m in [(0, 2, 255), (0, 7.5, 255), (1, -3.25, 200), (0, -10, 254.5), (1, 0, 255),
                         (0, 0.5, -1), (0, 2, NAN), (1, 0, INF), (0, 3, 3e9), (1, 1, -INF)]:
            want = cv2.adaptiveThreshold(src, m, cv2.ADAPTIVE_THRESH_MEAN_C, ty, block, c)
            for isa in each_isa(sp):
                dst = np.full_like(src, 0x33)
                check(sp, sp.scipix_adaptive_threshold_mean(ctypes.byref(desc(src, GRAY8)),
                                                            ctypes.byref(desc(dst, GRAY8)),
                                                            m, ty, block, c))
                assert np.array_equal(dst, want), (isa, src.shape, block, ty, c, m,
                                                   int((dst != want).sum()))


def test_adaptive_mean_large_image(sp):
    src = gray_images()[-1]
    big = np.tile(src, (12, 8))  # 1440 x 2400: split across the pool
    for block in (11, 25):
        want = cv2.adaptiveThreshold(big, 255, cv2.ADAPTIVE_THRESH_MEAN_C, 0, block, 5)
        dst = np.empty_like(big)
        check(sp, sp.scipix_adaptive_threshold_mean(ctypes.byref(desc(big, GRAY8)),
                                                    ctypes.byref(desc(dst, GRAY8)), 255, 0, block, 5))
        assert np.array_equal(dst, want)


def test_bad_arguments_leave_output_untouched(sp):
    src = np.zeros((4, 6, 3), np.uint8)
    dst = np.full((4, 6), 9, np.uint8)
    d = desc(dst, GRAY8)
    s = desc(src, 1)
    assert sp.scipix_gray(None, ctypes.byref(d)) == 1
    rgb_out = np.full((4, 6, 3), 9, np.uint8)
    bad = desc(rgb_out, 1)
    assert sp.scipix_gray(ctypes.byref(s), ctypes.byref(bad)) == 4  # dst not gray
    assert (rgb_out == 9).all()
    small = Image(dst.ctypes.data, 5, 4, 6, GRAY8)
    assert sp.scipix_gray(ctypes.byref(s), ctypes.byref(small)) == 2  # size mismatch
    g = desc(dst, GRAY8)
    assert sp.scipix_threshold(ctypes.byref(g), ctypes.byref(d), 1, 2, 0) == 2  # overlap
    assert sp.scipix_threshold(ctypes.byref(g), ctypes.byref(d), 1, 2, 9) == 2  # type
    other = np.zeros((4, 6), np.uint8)
    o = desc(other, GRAY8)
    for k in (4, 1, 0):
        assert sp.scipix_adaptive_threshold_mean(ctypes.byref(o), ctypes.byref(d), 255, 0, k, 0) == 2
    assert sp.scipix_adaptive_threshold_mean(ctypes.byref(o), ctypes.byref(d), 255, 2, 3, 0) == 2
    assert (dst == 9).all()


def color_images(ch):
    """Colour test images with `ch` channels: noise, photo-like gradients, odd sizes, 1x1,
    constant, two-toned."""
    r = rng(7 + ch)
    out = [r.integers(0, 256, (h, w, ch), dtype=np.uint8) for h, w in
           [(1, 1), (1, 37), (3, 67), (17, 33), (64, 1000), (241, 517)]]
    y, x = np.mgrid[0:180, 0:333].astype(np.float32)
    base = 60 + 120 * ((np.sin(x / 17) * np.cos(y / 23)) > 0) + 40 * x / 333
    photo = np.stack([base + 9 * c for c in range(ch)], axis=-1) + r.normal(0, 1.5, (180, 333, ch))
    out.append(np.clip(photo, 0, 255).astype(np.uint8))
    smooth = np.stack([(x * 255 / 332), (y * 255 / 179), (x + y) * 0.5][:3] +
                      [np.full_like(x, 77)] * (ch - 3), axis=-1)
    out.append(smooth.astype(np.uint8))
    out.append(np.full((20, 40, ch), 137, np.uint8))
    two = np.where(r.random((50, 70, 1)) < 0.3, 12, 240).astype(np.uint8)
    out.append(np.repeat(two, ch, axis=2))
    return out


def binarize(sp, src, fmt, maxval, ty, with_gray):
    """Runs scipix_binarize_otsu into padded outputs; checks the padding stayed untouched and
    returns (threshold, binary, gray or None)."""
    h, w = src.shape[:2]
    dst_full = np.full((h, w + 3), 0xA5, np.uint8)
    gray_full = np.full((h, w + 5), 0x5A, np.uint8)
    dst, gray = dst_full[:, 1:w + 1], gray_full[:, 2:w + 2]
    t = ctypes.c_uint8(77)
    g = ctypes.byref(desc(gray, GRAY8)) if with_gray else None
    check(sp, sp.scipix_binarize_otsu(ctypes.byref(desc(src, fmt)), ctypes.byref(desc(dst, GRAY8)),
                                      g, maxval, ty, ctypes.byref(t)))
    assert (dst_full[:, 0] == 0xA5).all() and (dst_full[:, w + 1:] == 0xA5).all()
    assert (gray_full[:, :2] == 0x5A).all() and (gray_full[:, w + 2:] == 0x5A).all()
    if not with_gray:
        assert (gray_full == 0x5A).all()
    return t.value, dst.copy(), (gray.copy() if with_gray else None)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_binarize_otsu_matches_opencv(sp, fmt):
    ch, code = FORMATS[fmt]
    for img in color_images(ch):
        for src in (img, img[1:, 2:-1] if img.shape[0] > 1 and img.shape[1] > 3 else img):
            want_gray = cv2.cvtColor(np.ascontiguousarray(src), code)
            for ty, maxval in [(0, 255), (1, 255), (0, 200.5), (1, 1)]:
                t_cv, want = cv2.threshold(want_gray, 0, maxval, ty | cv2.THRESH_OTSU)
                for isa in each_isa(sp):
                    for with_gray in (False, True):
                        t, got, gray = binarize(sp, src, fmt, maxval, ty, with_gray)
                        ctx = (isa, src.shape, ty, maxval, with_gray)
                        assert t == int(t_cv), ctx
                        assert np.array_equal(got, want), ctx
                        if with_gray:
                            assert np.array_equal(gray, want_gray), ctx


def test_binarize_otsu_large_split_across_pool(sp):
    r = rng(11)
    y, x = np.mgrid[0:2100, 0:2050].astype(np.float32)
    base = 50 + 140 * ((np.sin(x / 90) + np.cos(y / 70)) > 0.3)
    img = np.clip(np.stack([base, base * 0.8 + 20, base * 0.6 + 30], -1)
                  + r.normal(0, 4, (2100, 2050, 3)), 0, 255).astype(np.uint8)
    for fmt, code in [(1, cv2.COLOR_RGB2GRAY), (2, cv2.COLOR_BGR2GRAY)]:
        t_cv, want = cv2.threshold(cv2.cvtColor(img, code), 0, 255,
                                   cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        for threads in (1, 2, 3):
            sp.scipix_set_num_threads(ctypes.c_size_t(threads))
            t, got, _ = binarize(sp, img, fmt, 255, 0, False)
            assert t == int(t_cv) and np.array_equal(got, want), (fmt, threads)
    sp.scipix_set_num_threads(ctypes.c_size_t(0))


def test_binarize_otsu_bad_arguments_write_nothing(sp):
    src = np.full((4, 6, 3), 50, np.uint8)
    src[:, 3:] = 200
    dst = np.full((4, 6), 9, np.uint8)
    gray = np.full((4, 6), 9, np.uint8)
    s, d, g = desc(src, 1), desc(dst, GRAY8), desc(gray, GRAY8)
    t = ctypes.c_uint8(77)
    B = ctypes.byref
    call = sp.scipix_binarize_otsu
    assert call(None, B(d), B(g), 255, 0, B(t)) == 1
    assert call(B(s), None, B(g), 255, 0, B(t)) == 1
    assert call(B(Image(src.ctypes.data, 6, 4, 18, GRAY8)), B(d), None, 255, 0, B(t)) == 4
    assert call(B(s), B(desc(np.zeros((4, 6, 3), np.uint8), 1)), None, 255, 0, B(t)) == 4
    assert call(B(s), B(d), B(Image(gray.ctypes.data, 6, 4, 6, 1)), 255, 0, B(t)) in (2, 4)
    for ty in (2, 3, 4, 9):
        assert call(B(s), B(d), B(g), 255, ty, B(t)) == 2  # only BINARY / BINARY_INV
    assert call(B(s), B(Image(dst.ctypes.data, 5, 4, 6, GRAY8)), None, 255, 0, B(t)) == 2
    assert call(B(s), B(d), B(Image(gray.ctypes.data, 6, 3, 6, GRAY8)), 255, 0, B(t)) == 2
    assert call(B(s), B(Image(dst.ctypes.data, 6, 4, 5, GRAY8)), None, 255, 0, B(t)) == 2
    # Overlap: dst inside src, gray inside src, gray over dst.
    assert call(B(s), B(Image(src.ctypes.data + 8, 6, 4, 18, GRAY8)), None, 255, 0, B(t)) == 2
    assert call(B(s), B(d), B(Image(src.ctypes.data + 8, 6, 4, 18, GRAY8)), 255, 0, B(t)) == 2
    assert call(B(s), B(d), B(Image(dst.ctypes.data + 3, 6, 3, 6, GRAY8)), 255, 0, B(t)) == 2
    assert call(B(s), B(d), B(d), 255, 0, B(t)) == 2
    assert (dst == 9).all() and (gray == 9).all() and t.value == 77
    assert (src[:, :3] == 50).all() and (src[:, 3:] == 200).all()
    # Valid call with both outputs and a NULL threshold pointer.
    assert call(B(s), B(d), B(g), 255, 1, None) == 0
    assert (dst[:, :3] == 255).all() and (dst[:, 3:] == 0).all()
    assert np.array_equal(gray, cv2.cvtColor(src, cv2.COLOR_RGB2GRAY))
