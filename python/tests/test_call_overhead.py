"""The small-image fast paths of resize, gray, threshold and the other image operations
(cffi descriptors straight from C-contiguous buffers): the same bytes as the ctypes
descriptor path and as OpenCV, and every refusal of the slow path still raised (dtype,
shape, format, read-only or unpackable outputs, overlap), whichever path an argument
takes."""
from typing import Callable, List

import numpy as np
import pytest

import scipix
from scipix import _arrays, image
from scipix import resize as rs
from scipix._ffi import _decl, _ffi
from numpy.random import Generator

cv2 = pytest.importorskip("cv2")


def test_fast_and_descriptor_paths_agree(rng: Generator) -> None:
    g = rng.integers(0, 256, (4, 4), dtype=np.uint8)
    rgb = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    big = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    crop = big[2:6, 3:7]  # row-strided view: the descriptor path, in place
    assert not crop.flags.c_contiguous
    for src in (rgb, crop, np.ascontiguousarray(crop[:, :, ::-1])):
        want = cv2.resize(src, (2, 2), interpolation=cv2.INTER_LINEAR)
        assert np.array_equal(rs.resize(src, (2, 2), format="rgb"), want)
        assert np.array_equal(rs.resize(src, 2, format=scipix.PixelFormat.RGB8), want)
        assert np.array_equal(image.gray(src, "RGB8"), cv2.cvtColor(src, cv2.COLOR_RGB2GRAY))
    out = np.full((3, 5), 9, np.uint8)
    r = rs.resize(g, (4, 2), "cv_area", out=out[1:3, :4])  # strided output, in place
    assert np.array_equal(r, cv2.resize(g, (4, 2), interpolation=cv2.INTER_AREA))
    assert out[0].tolist() == [9] * 5 and out[:, 4].tolist() == [9] * 3
    o = np.empty((4, 4, 1), np.uint8)  # HxWx1 out of gray: written through its 2-D view
    assert np.array_equal(image.threshold(g, 100, 200, "trunc", out=o), o[:, :, 0])
    assert np.array_equal(o[:, :, 0], cv2.threshold(g, 100, 200, cv2.THRESH_TRUNC)[1])
    ro = rgb.copy()
    ro.flags.writeable = False  # read-only inputs are fine
    assert np.array_equal(image.gray(ro, "rgb"), image.gray(rgb, "rgb"))
    lst = g.astype(np.uint8).tolist()  # not an array: converted (int64 here, refused below)
    assert np.array_equal(image.threshold(np.asarray(lst, np.uint8), 127),
                          cv2.threshold(g, 127, 255, 0)[1])


def test_refusals_survive_the_fast_path() -> None:
    g = np.zeros((4, 4), np.uint8)
    rgb = np.zeros((4, 4, 3), np.uint8)
    ro = np.zeros((2, 2), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(scipix.InvalidArgument, match="read-only"):
        rs.resize(g, (2, 2), out=ro)
    with pytest.raises(scipix.InvalidArgument, match="read-only"):
        image.threshold(g, 1, out=np.frombuffer(bytes(16), np.uint8).reshape(4, 4))
    with pytest.raises(scipix.InvalidArgument, match="cannot be written in place"):
        image.gray(rgb, "rgb", out=np.zeros((4, 8), np.uint8)[:, ::2])
    with pytest.raises(scipix.InvalidArgument, match="shape"):
        rs.resize(g, (2, 2), out=np.zeros((3, 2), np.uint8))
    with pytest.raises(scipix.UnsupportedFormat, match="uint8"):
        rs.resize(g, (2, 2), out=np.zeros((2, 2), np.int16))
    with pytest.raises(scipix.UnsupportedFormat, match="uint8"):
        rs.resize(g.astype(np.float64), (2, 2))
    with pytest.raises(scipix.UnsupportedFormat, match="uint8"):
        image.threshold(g.tolist(), 127)  # type: ignore[arg-type]
    with pytest.raises(scipix.InvalidArgument, match="format="):
        image.gray(rgb)
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        image.gray(rgb, "rgba")
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        rs.resize(g, (2, 2), format="rgb")
    with pytest.raises(scipix.UnsupportedFormat, match="unknown pixel format"):
        image.gray(rgb, "rgb9")
    with pytest.raises(TypeError):
        image.gray(rgb, ["rgb"])
    with pytest.raises(scipix.InvalidArgument, match="empty"):
        rs.resize(np.zeros((0, 4), np.uint8), (2, 2))
    with pytest.raises(scipix.InvalidArgument):
        rs.resize(np.zeros(16, np.uint8), (2, 2))
    with pytest.raises(scipix.InvalidArgument, match="mode"):
        rs.resize(g, (2, 2), "cv_bogus")
    with pytest.raises(scipix.InvalidArgument):
        rs.resize(g, (2, 2), 99)  # unknown mode number: refused by the C function
    with pytest.raises(scipix.InvalidArgument):
        rs.resize(g, (0, 2))
    with pytest.raises(scipix.InvalidArgument):
        rs.resize(g, (2.5, 2))  # type: ignore[arg-type]
    with pytest.raises(scipix.InvalidArgument, match="threshold type"):
        image.threshold(g, 1, type="binary_x")
    with pytest.raises(scipix.InvalidArgument):
        image.threshold(g, 1, type=9)
    # src and dst on the same memory: the overlap check is the C function's
    with pytest.raises(scipix.InvalidArgument, match="overlap"):
        image.threshold(g, 1, out=g)
    with pytest.raises(scipix.InvalidArgument, match="overlap"):
        rs.resize(g, (4, 4), out=g)
    # a failing call leaves the message of its own error, as through ctypes
    with pytest.raises(scipix.ScipixError) as e:
        rs.resize(rgb, (2, 2), 99, format="rgb")
    assert _ffi.last_error() in str(e.value)


def test_fast_descriptors_describe_the_array() -> None:
    a = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    d, keep = _arrays.cimage(a, "bgr")
    assert keep is a
    assert (d.width, d.height, d.stride, d.format) == (4, 2, 12, _ffi.const("SCIPIX_FORMAT_BGR8"))
    addr = int(_decl.cast("uintptr_t", d.data))
    assert addr == a.ctypes.data
    m = _arrays.cimage_mut(a[:, 1:3], "bgr")  # strided: from image_desc, same memory
    assert (m.width, m.height, m.stride) == (2, 2, 12)
    assert int(_decl.cast("uintptr_t", m.data)) == a.ctypes.data + 3


def test_format_value_cache_matches_the_names() -> None:
    for name in ("gray", "rgb", "bgr", "rgba", "bgra"):
        for spelled in (name, name.upper(), name + "8", name.capitalize()):
            v, ch = _arrays.format_value(spelled)
            assert _arrays.format_value(v) == (v, ch)
            assert _arrays.format_value(scipix.PixelFormat(v)) == (v, ch)


def test_resizer_call_fast_path(rng: Generator) -> None:
    src = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    want = cv2.resize(src, (3, 2), interpolation=cv2.INTER_LINEAR)
    r = rs.Resizer((8, 6), (3, 2), "cv_linear", "rgb")
    assert np.array_equal(r(src), want)
    out = np.empty((2, 3, 3), np.uint8)
    assert r(src, out=out) is out and np.array_equal(out, want)
    big = np.zeros((10, 12, 3), np.uint8)
    big[1:7, 2:10] = src
    assert np.array_equal(r(big[1:7, 2:10]), want)  # strided crop, described in place
    with pytest.raises(scipix.InvalidArgument):
        r(src[:5])  # not the size it was built for: refused by the C function
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        r(src[:, :, 0].copy())
    r.close()
    with pytest.raises(scipix.NullPointer):
        r(src)


def test_inline_fast_paths_equal_the_general_path(rng: Generator) -> None:
    """resize, gray, threshold and Resizer calls take an inline path for C-contiguous uint8
    arrays: the same bytes as for views and copies (general path) and as OpenCV."""
    big = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)
    for src in (big[1:5, 2:8, :3], big[1:5, 2:8, :3].copy(), big[::-1][:4, :6, :3]):
        fast = np.ascontiguousarray(src)
        for fmt, code in (("rgb", cv2.COLOR_RGB2GRAY), ("BGR", cv2.COLOR_BGR2GRAY),
                          (scipix.PixelFormat.BGR8, cv2.COLOR_BGR2GRAY),
                          (int(scipix.PixelFormat.RGB8), cv2.COLOR_RGB2GRAY)):
            want = cv2.cvtColor(fast, code)
            assert np.array_equal(image.gray(src, fmt), want)
            assert np.array_equal(image.gray(fast, fmt), want)
            o = np.full((4, 6), 7, np.uint8)
            assert image.gray(fast, fmt, out=o) is o and np.array_equal(o, want)
            strided = np.zeros((4, 9), np.uint8)
            image.gray(fast, fmt, out=strided[:, 1:7])  # strided out: general path, in place
            assert np.array_equal(strided[:, 1:7], want) and not strided[:, 0].any()
            r = rs.resize(fast, (3, 2), "cv_area", fmt)
            assert np.array_equal(r, cv2.resize(fast, (3, 2), interpolation=cv2.INTER_AREA))
            assert np.array_equal(rs.resize(src, (3, 2), "cv_area", fmt), r)
    rgba = np.ascontiguousarray(big[:4, :6])
    assert np.array_equal(image.gray(rgba, "bgra"), cv2.cvtColor(rgba, cv2.COLOR_BGRA2GRAY))
    g = np.ascontiguousarray(big[:5, :7, 1])  # 2-D gray, no format
    view = big[:5, :7, 1]  # same pixels, pixel stride 4: copied by the general path
    for t, ct in (("binary", cv2.THRESH_BINARY), ("tozero_inv", cv2.THRESH_TOZERO_INV),
                  (cv2.THRESH_TRUNC, cv2.THRESH_TRUNC)):
        want = cv2.threshold(g, 99, 200, ct)[1]
        assert np.array_equal(image.threshold(g, 99, 200, t), want)
        assert np.array_equal(image.threshold(view, 99, 200, t), want)
        o = np.empty((5, 7), np.uint8)
        assert image.threshold(g, 99, 200, t, out=o) is o and np.array_equal(o, want)
    assert np.array_equal(image.threshold(g, np.float64(99.5), 200),
                          cv2.threshold(g, 99.5, 200, cv2.THRESH_BINARY)[1])
    assert np.array_equal(image.gray(g), g)  # gray of gray: a copy
    assert np.array_equal(rs.resize(g, (3, 3)), cv2.resize(g, (3, 3)))
    assert np.array_equal(rs.resize(g, (3, 3), format="gray"), cv2.resize(g, (3, 3)))
    assert np.array_equal(rs.resize(view, (3, 3)), cv2.resize(g, (3, 3)))
    assert np.array_equal(rs.resize(g, 3, _ffi.const("SCIPIX_RESIZE_CV_NEAREST")),
                          cv2.resize(g, (3, 3), interpolation=cv2.INTER_NEAREST))
    rz = rs.Resizer((7, 5), (3, 2), "cv_linear", "gray")
    want = cv2.resize(g, (3, 2))
    assert np.array_equal(rz(g), want) and np.array_equal(rz(view), want)
    o = np.empty((2, 3), np.uint8)
    assert rz(g, out=o) is o and np.array_equal(o, want)


def test_image_op_fast_paths_equal_the_general_path(rng: Generator) -> None:
    """gray_f32, float32 threshold, the Otsu operations and the adaptive threshold take the
    pooled-descriptor path for C-contiguous arrays: the same results as for strided views
    (general path) and as OpenCV, into new arrays and into out= arrays."""
    big = rng.integers(0, 256, (9, 13, 4), dtype=np.uint8)
    src = big[1:6, 2:9, :3]  # pixel stride 4: the general path
    fast = np.ascontiguousarray(src)
    g_view = big[1:6, 2:9, 1]
    g = np.ascontiguousarray(g_view)
    want_gray = cv2.cvtColor(fast, cv2.COLOR_RGB2GRAY)
    for scale, div in (("byte", 1.0), ("unit", 255.0)):
        want = (want_gray.astype(np.float32) / np.float32(div)).astype(np.float32)
        assert np.array_equal(image.gray_f32(fast, "rgb", scale=scale), want)
        assert np.array_equal(image.gray_f32(src, "rgb", scale=scale), want)
        of = np.full((5, 7), -1, np.float32)
        assert image.gray_f32(fast, "rgb", scale=scale, out=of) is of
        assert np.array_equal(of, want)
    gf = (g.astype(np.float32) - 100.25) * np.float32(1.5)
    for ty, ct in (("binary", cv2.THRESH_BINARY), ("trunc", cv2.THRESH_TRUNC),
                   ("tozero_inv", cv2.THRESH_TOZERO_INV)):
        want = cv2.threshold(gf, 12.5, 200.0, ct)[1]
        assert np.array_equal(image.threshold(gf, 12.5, 200.0, ty), want)
        assert np.array_equal(image.threshold(np.asfortranarray(gf), 12.5, 200.0, ty), want)
        of = np.empty_like(gf)
        assert image.threshold(gf, 12.5, 200.0, ty, out=of) is of and np.array_equal(of, want)
    ot, want = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    assert image.otsu_threshold(g) == image.otsu_threshold(g_view) == int(ot)
    for img in (g, g_view):
        t, b = image.threshold_otsu(img)
        assert t == int(ot) and np.array_equal(b, want)
    o = np.empty((5, 7), np.uint8)
    t, b = image.threshold_otsu(g, out=o)
    assert t == int(ot) and b is o and np.array_equal(o, want)
    ot, want = cv2.threshold(want_gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    for img in (fast, src):
        t, b, none = image.binarize_otsu(img, "rgb", 255, "binary_inv")
        assert (t, none) == (int(ot), None) and np.array_equal(b, want)
    t, b, gr = image.binarize_otsu(fast, "rgb", 255, "binary_inv", out=o, return_gray=True)
    assert gr is not None and np.array_equal(gr, want_gray)
    assert b is o and np.array_equal(o, want)
    want = cv2.adaptiveThreshold(g, 200, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 3, 2)
    assert np.array_equal(image.adaptive_threshold_mean(g, 200, block_size=3, c=2), want)
    assert np.array_equal(image.adaptive_threshold_mean(g_view, 200, block_size=3, c=2), want)
    o = np.empty((5, 7), np.uint8)
    assert image.adaptive_threshold_mean(g, 200, block_size=3, c=2, out=o) is o
    assert np.array_equal(o, want)


def test_pooled_descriptors_follow_every_array_and_geometry(rng: Generator) -> None:
    """A pooled descriptor that already holds a geometry gets only the new data pointer:
    calls alternating arrays of one shape, shapes and formats (sequentially, so they reuse
    one entry) each read their own source and write their own output."""
    shapes = [(4, 4), (4, 4), (5, 3), (4, 4), (1, 9), (5, 3)]
    fmts = [("rgb", cv2.COLOR_RGB2GRAY, 3), ("bgr", cv2.COLOR_BGR2GRAY, 3),
            ("rgba", cv2.COLOR_RGBA2GRAY, 4)]
    otsu = cv2.THRESH_BINARY | cv2.THRESH_OTSU
    for k in range(40):
        h, w = shapes[k % len(shapes)]
        fmt, code, ch = fmts[k % 5 % 3]
        src = rng.integers(0, 256, (h, w, ch), dtype=np.uint8)
        g = rng.integers(0, 256, (h, w), dtype=np.uint8)
        want_gray = cv2.cvtColor(src, code)
        o = np.full((h, w), 7, np.uint8)
        assert image.gray(src, fmt, out=o) is o and np.array_equal(o, want_gray)
        assert np.array_equal(image.gray(src, fmt), want_gray)
        assert np.array_equal(image.threshold(g, 99, 200), cv2.threshold(g, 99, 200, 0)[1])
        ot, want = cv2.threshold(g, 0, 255, otsu)
        t, b = image.threshold_otsu(g, out=o)
        assert (t, b is o) == (int(ot), True) and np.array_equal(o, want)
        g2 = 255 - g  # same geometry, other data
        assert image.otsu_threshold(g2) == int(cv2.threshold(g2, 0, 255, otsu)[0])
        ot, want = cv2.threshold(want_gray, 0, 255, otsu)
        t, b, _ = image.binarize_otsu(src, fmt)
        assert t == int(ot) and np.array_equal(b, want)
        want = cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 3, 2)
        assert np.array_equal(image.adaptive_threshold_mean(g, block_size=3), want)
        src2 = 255 - src
        want_f = cv2.cvtColor(src2, code).astype(np.float32)
        assert np.array_equal(image.gray_f32(src2, fmt), want_f)
    assert 1 <= len(_arrays._IO_POOL) <= 8


def test_image_op_fast_paths_keep_the_errors() -> None:
    g = np.zeros((4, 4), np.uint8)
    rgb = np.zeros((4, 4, 3), np.uint8)
    gf = np.zeros((4, 4), np.float32)
    ro = np.zeros((4, 4), np.uint8)
    ro.flags.writeable = False
    rof = np.zeros((4, 4), np.float32)
    rof.flags.writeable = False
    read_only: List[Callable[[], object]] = [
        lambda: image.gray_f32(rgb, "rgb", out=rof), lambda: image.threshold(gf, 1, out=rof),
        lambda: image.threshold_otsu(g, out=ro), lambda: image.binarize_otsu(rgb, "rgb", out=ro),
        lambda: image.adaptive_threshold_mean(g, block_size=3, out=ro)]
    for call in read_only:
        with pytest.raises(scipix.InvalidArgument, match="read-only"):
            call()
    wrong_shape: List[Callable[[], object]] = [
        lambda: image.gray_f32(rgb, "rgb", out=np.zeros((4, 5), np.float32)),
        lambda: image.threshold(gf, 1, out=np.zeros((5, 4), np.float32)),
        lambda: image.threshold_otsu(g, out=np.zeros((4, 5), np.uint8)),
        lambda: image.binarize_otsu(rgb, "rgb", out=np.zeros((5, 4), np.uint8)),
        lambda: image.adaptive_threshold_mean(g, block_size=3, out=np.zeros((4, 5), np.uint8))]
    for call in wrong_shape:
        with pytest.raises(scipix.InvalidArgument, match="shape"):
            call()
    with pytest.raises(scipix.UnsupportedFormat, match="float32"):
        image.threshold(gf, 1, out=np.zeros((4, 4), np.float64))
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        image.gray_f32(rgb, "rgba")
    with pytest.raises(scipix.InvalidArgument, match="channels"):
        image.otsu_threshold(rgb)
    with pytest.raises(scipix.InvalidArgument):
        image.adaptive_threshold_mean(g, block_size=4)  # even: the C function
    with pytest.raises(scipix.InvalidArgument, match="empty"):
        image.threshold_otsu(np.zeros((0, 4), np.uint8))
    # threshold types: cv2's numbers take the fast path too; others still fail in C
    bad_type: List[Callable[[], object]] = [
        lambda: image.threshold(g, 1, 255, 9), lambda: image.threshold_otsu(g, 255, 9),
        lambda: image.binarize_otsu(rgb, "rgb", 255, 9),
        lambda: image.binarize_otsu(rgb, "rgb", 255, "trunc"),
        lambda: image.adaptive_threshold_mean(g, 255, 9, block_size=3)]
    for call in bad_type:
        with pytest.raises(scipix.InvalidArgument):
            call()
    with pytest.raises(scipix.UnsupportedFormat, match="colour|rgb8"):
        image.binarize_otsu(g, "gray")
    with pytest.raises(scipix.UnsupportedFormat, match="colour|rgb8"):
        image.binarize_otsu(g, None)
    n = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    for ty in (cv2.THRESH_BINARY_INV, "binary_inv"):
        assert np.array_equal(image.threshold_otsu(n, 200, ty)[1],
                              cv2.threshold(n, 0, 200, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1])
        assert np.array_equal(image.adaptive_threshold_mean(n, 200, ty, 3, 1.0),
                              cv2.adaptiveThreshold(n, 200, cv2.ADAPTIVE_THRESH_MEAN_C,
                                                    cv2.THRESH_BINARY_INV, 3, 1.0))


def test_inline_fast_paths_keep_the_errors() -> None:
    g = np.zeros((4, 4), np.uint8)
    rgb = np.zeros((4, 4, 3), np.uint8)
    ro = np.zeros((4, 4), np.uint8)
    ro.flags.writeable = False
    ro2 = np.zeros((2, 2), np.uint8)
    ro2.flags.writeable = False
    rz = rs.Resizer((4, 4), (2, 2), "cv_linear", "gray")
    read_only: List[Callable[[], object]] = [
        lambda: image.gray(rgb, "rgb", out=ro), lambda: image.threshold(g, 1, out=ro),
        lambda: rz(g, out=ro2), lambda: rs.resize(g, (2, 2), out=ro2)]
    for call in read_only:
        with pytest.raises(scipix.InvalidArgument, match="read-only"):
            call()
    wrong_dtype: List[Callable[[], object]] = [
        lambda: image.gray(rgb, "rgb", out=np.zeros((4, 4), np.int16)),
        lambda: image.threshold(g, 1, out=np.zeros((4, 4), np.uint16)),
        lambda: rz(g, out=np.zeros((2, 2), np.float32)),
        lambda: rz(g.astype(np.int8)),
        lambda: image.gray(rgb.astype(np.float32), "rgb")]
    for call in wrong_dtype:
        with pytest.raises(scipix.UnsupportedFormat, match="uint8"):
            call()
    wrong_shape: List[Callable[[], object]] = [
        lambda: image.gray(rgb, "rgb", out=np.zeros((4, 5), np.uint8)),
        lambda: image.threshold(g, 1, out=np.zeros((5, 4), np.uint8)),
        lambda: rz(g, out=np.zeros((2, 3), np.uint8))]
    for call in wrong_shape:
        with pytest.raises(scipix.InvalidArgument, match="shape"):
            call()
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        image.gray(rgb, scipix.PixelFormat.RGBA8)
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        image.gray(g, "bgr")
    with pytest.raises(scipix.InvalidArgument, match="format="):
        rs.resize(rgb, (2, 2))
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        rz(rgb)
    with pytest.raises(scipix.InvalidArgument):
        rz(np.zeros((4, 5), np.uint8))  # not the size it was built for: the C function
    for flat in (np.zeros(12, np.uint8), np.array(5, np.uint8)):  # 1-D and 0-D
        flat_calls: List[Callable[[], object]] = [
            lambda: image.gray(flat, "rgb"), lambda: image.gray(flat),
            lambda: image.threshold(flat, 1), lambda: rz(flat),
            lambda: rs.resize(flat, (2, 2), format="rgb")]
        for fn in flat_calls:
            with pytest.raises(scipix.InvalidArgument):
                fn()
    with pytest.raises(scipix.InvalidArgument, match="empty"):
        image.threshold(np.zeros((0, 4), np.uint8), 1)
    with pytest.raises(scipix.InvalidArgument, match="empty"):
        image.gray(np.zeros((4, 0, 3), np.uint8), "rgb")
    with pytest.raises(scipix.InvalidArgument):
        rs.resize(g, (True, 2))
    with pytest.raises(TypeError):
        image.threshold(g, "1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        image.gray(rgb, {"rgb"})


def test_param_structs_are_filled_in_declaration_order() -> None:
    """The cffi param structs are built from positional tuples: their field order must be
    the header's (a field added to the header fails here until the builders know it)."""
    for struct, fields in (("ScipixLetterboxParams", rs.LETTERBOX_PARAMS_FIELDS),
                           ("ScipixClassifyParams", rs.CLASSIFY_PARAMS_FIELDS),
                           ("ScipixTensorParams", scipix.tensor.TENSOR_PARAMS_FIELDS)):
        assert tuple(f for f, _ in _decl.typeof(struct).fields) == fields
    c = scipix.tensor.ctensor_params(255.0, (1, 2, 3), 0.5, 2.0, True, "nhwc")
    p = scipix.tensor.tensor_params(divisor=255.0, mean=(1, 2, 3), std=0.5, scale=2.0,
                                    swap_rb=True, layout="nhwc")
    for f in ("divisor", "scale", "swap_rb", "layout"):
        assert getattr(c, f) == getattr(p, f)
    assert list(c.mean) == list(p.mean) and list(c.std) == list(p.std)
    d = scipix.tensor.ctensor_params()
    q = scipix.tensor.tensor_params()
    assert (d.divisor, d.scale, d.swap_rb, d.layout, list(d.mean), list(d.std)) == \
        (q.divisor, q.scale, q.swap_rb, q.layout, list(q.mean), list(q.std))


def test_cffi_crop_pad_letterbox_tensor_paths(rng: Generator) -> None:
    rgb = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    view = np.zeros((8, 12, 3), np.uint8)[1:7, 2:11]
    view[:] = rgb
    a = rs.crop_pad(rgb, -1, 2, (5, 6), "rgb", fill=(1, 2, 3))
    assert np.array_equal(rs.crop_pad(view, -1, 2, (5, 6), "rgb", fill=[1, 2, 3]), a)
    assert a[:, 0].tolist() == [[1, 2, 3]] * 6 and np.array_equal(a[:4, 1:], rgb[2:, :4])
    want = cv2.copyMakeBorder(rgb, 1, 2, 3, 0, cv2.BORDER_CONSTANT, value=(7, 8, 9))
    assert np.array_equal(rs.pad_constant(view, 1, 2, 3, 0, "rgb", value=(7, 8, 9)), want)
    lb, info = rs.letterbox(view, 16, "rgb", color=(1, 2, 3))
    lb2, info2 = rs.letterbox(rgb, 16, "rgb", color=(1, 2, 3))
    assert np.array_equal(lb, lb2) and info == info2 and lb.shape == (16, 16, 3)
    t, tinfo = rs.letterbox_to_tensor(rgb, 16, "bgr")
    assert tinfo == rs.letterbox_info((9, 6), 16)
    blob = cv2.dnn.blobFromImage(rs.letterbox(rgb, 16, "bgr")[0], 1 / 255.0, swapRB=True)
    assert np.array_equal(t, blob)
    m = rs.classify_to_tensor(rgb, 6, 4, "rgb")
    for mean in ([0.485, 0.456, 0.406], np.array(rs.IMAGENET_MEAN), ("0.485", "0.456", "0.406")):
        assert np.array_equal(rs.classify_to_tensor(view, 6, 4, "rgb", mean=mean), m)
    with pytest.raises(scipix.InvalidArgument, match="mean has 2 values"):
        rs.classify_to_tensor(rgb, 6, 4, "rgb", mean=(0.5, 0.5))
    with pytest.raises(ValueError):
        rs.classify_to_tensor(rgb, 6, 4, "rgb", mean=("x", 1, 2))
    with pytest.raises(scipix.InvalidArgument, match="color"):
        rs.letterbox(rgb, 16, "rgb", color=300)
    with pytest.raises(scipix.InvalidArgument, match="stride"):
        rs.letterbox(rgb, 16, "rgb", stride=True)
    with pytest.raises(scipix.InvalidArgument, match="read-only"):
        ro = np.zeros((2, 2, 3), np.uint8)
        ro.flags.writeable = False
        rs.crop_pad(rgb, 0, 0, (2, 2), "rgb", out=ro)
    out = np.empty((1, 3, 6, 9), np.float32)
    assert scipix.image_to_tensor(view, "rgb", out=out) is out
    assert np.array_equal(out, scipix.image_to_tensor(rgb, "rgb"))
    with pytest.raises(scipix.InvalidArgument, match="hold"):
        scipix.image_to_tensor(rgb, "rgb", out=np.empty(10, np.float32))
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.image_to_tensor(rgb, "rgb", out=np.empty((1, 3, 6, 9), np.float64))
    with pytest.raises(scipix.InvalidArgument):
        scipix.image_to_tensor(rgb, "rgb", out=np.empty((1, 3, 6, 18), np.float32)[..., ::2])
    b = scipix.images_to_tensor([rgb, view], "rgb", layout="nhwc")
    assert b.shape == (2, 6, 9, 3) and np.array_equal(b[0], b[1])
    assert np.array_equal(b[0], scipix.image_to_tensor(rgb, "rgb", layout="nhwc")[0])
    assert scipix.tensor.image_tensor_len(rgb, "rgb") == 3 * 6 * 9


def test_descriptor_pool_under_threads(rng: Generator) -> None:
    """The fast paths refill pooled descriptor pairs: threads resizing, converting and
    thresholding images of different sizes at once each get their own results."""
    import threading

    jobs = []
    for k in range(4):
        src = rng.integers(0, 256, (5 + k, 7 + 2 * k, 3), dtype=np.uint8)
        jobs.append((src, (3 + k, 2 + k), cv2.resize(src, (3 + k, 2 + k)),
                     cv2.cvtColor(src, cv2.COLOR_BGR2GRAY)))
    bad: List[int] = []

    def work(k: int) -> None:
        src, size, want_r, want_g = jobs[k]
        want_t = int(cv2.threshold(want_g, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0])
        rz = rs.Resizer((src.shape[1], src.shape[0]), size, "cv_linear", "rgb")
        for _ in range(300):
            ok = (np.array_equal(rs.resize(src, size, format="rgb"), want_r)
                  and np.array_equal(rz(src), want_r)
                  and np.array_equal(image.gray(src, "bgr"), want_g)
                  and np.array_equal(image.threshold(want_g, 90), (want_g > 90) * np.uint8(255))
                  and image.threshold_otsu(want_g)[0] == want_t
                  and image.binarize_otsu(src, "bgr")[0] == want_t)
            if not ok:
                bad.append(k)
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []
    assert 1 <= len(_arrays._IO_POOL) <= 8  # one entry per call under way at once
