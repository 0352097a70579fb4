"""The small-image fast path of resize, gray and threshold (cffi descriptors straight from
C-contiguous buffers): the same bytes as the ctypes descriptor path and as OpenCV, and every
refusal of the slow path still raised (dtype, shape, format, read-only or unpackable
outputs, overlap), whichever path an argument takes."""
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
