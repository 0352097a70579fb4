"""Image-to-tensor and normalization through the Python package, against numpy references
with the documented float order, OpenCV's blobFromImage and the raw C calls."""
from typing import Any, Callable, Dict
import ctypes

import numpy as np
import pytest

import scipix
from scipix._ffi import _ffi
from conftest import requires
from numpy.random import Generator

pytestmark = requires("scipix_image_to_tensor", "scipix_images_to_tensor",
                      "scipix_image_tensor_len", "scipix_tensor_params_default")

ORDER = {"rgb": [0, 1, 2], "bgr": [0, 1, 2], "rgba": [0, 1, 2], "bgra": [0, 1, 2]}


def reference(img: Any, fmt: Any, divisor: float=1.0, mean: Any=(0, 0, 0), std: Any=(1, 1, 1), scale: float=1.0, swap_rb: bool=False,
              layout: str="nchw") -> Any:
    """The documented rule in float32: ((x / divisor - mean[c]) * scale) / std[c]."""
    x = img.astype(np.float32)
    if x.ndim == 2:
        x = x[:, :, None]
    x = x[:, :, :1] if fmt in (None, "gray") else x[:, :, :3]
    if swap_rb and x.shape[2] == 3:
        x = x[:, :, ::-1]
    c = x.shape[2]
    m = np.array(list(mean)[:c] if np.ndim(mean) else [mean] * c, dtype=np.float32)
    s = np.array(list(std)[:c] if np.ndim(std) else [std] * c, dtype=np.float32)
    y = ((x / np.float32(divisor) - m) * np.float32(scale)) / s
    y = y.astype(np.float32)
    return y.transpose(2, 0, 1)[None] if layout == "nchw" else y[None]


@pytest.mark.parametrize("fmt", ["gray", "rgb", "bgr", "rgba", "bgra"])
@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_matches_the_documented_rule_on_every_isa(fmt: Any, layout: Any, rng: Generator, each_isa: Callable[[Callable[[], Any]], Dict[Any, Any]]) -> None:
    ch = {"gray": 1, "rgb": 3, "bgr": 3, "rgba": 4, "bgra": 4}[fmt]
    img = rng.integers(0, 256, (37, 53, ch) if ch > 1 else (37, 53), dtype=np.uint8)
    kw = dict(divisor=255.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
              scale=1.5, swap_rb=True, layout=layout)
    want = reference(img, fmt, **kw)
    results = each_isa(lambda: scipix.image_to_tensor(img, fmt, **kw))
    for isa, got in results.items():
        assert got.shape == want.shape and got.dtype == np.float32
        np.testing.assert_array_equal(got, want, err_msg=str(isa))


def test_strided_crop_is_read_in_place(rng: Generator) -> None:
    big = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    crop = big[5:40, 7:70]  # row stride 240 bytes, first pixel at an offset
    assert not crop.flags.c_contiguous
    got = scipix.image_to_tensor(crop, "rgb")
    np.testing.assert_array_equal(got, reference(np.ascontiguousarray(crop), "rgb"))
    # a view with pixels not packed in a row (every other column) is copied, same result
    every_other = big[:, ::2]
    np.testing.assert_array_equal(scipix.image_to_tensor(every_other, "rgb"),
                                  reference(np.ascontiguousarray(every_other), "rgb"))


def test_output_buffer_is_written_in_place(rng: Generator) -> None:
    img = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
    out = np.full((1, 3, 16, 24), -1, dtype=np.float32)
    res = scipix.image_to_tensor(img, "bgr", out=out)
    assert res is out
    np.testing.assert_array_equal(out, reference(img, "bgr"))
    assert scipix.image_tensor_len(img, "bgr") == 3 * 16 * 24
    assert scipix.image_tensor_len(img[:, :, 0]) == 16 * 24


def test_torchvision_mapping(rng: Generator) -> None:
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    got = scipix.image_to_tensor(img, "rgb", **scipix.tensor.torchvision(mean, std))
    # torchvision: ToTensor = x.float() / 255 (CHW), Normalize = (t - mean) / std, in float32
    t = img.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    t = (t - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_array_equal(got[0], t)


def test_opencv_blob_from_image_mapping(rng: Generator) -> None:
    cv2 = pytest.importorskip("cv2")
    img = rng.integers(0, 256, (30, 41, 3), dtype=np.uint8)
    for swap in (False, True):
        blob = cv2.dnn.blobFromImage(img, 1 / 127.5, (41, 30), (127.5, 120.0, 100.0), swap, False)
        got = scipix.image_to_tensor(img, "bgr", **scipix.tensor.blob_from_image(
            1 / 127.5, (127.5, 120.0, 100.0), swap))
        # exact where OpenCV does the same two float operations; allow 1 ulp otherwise
        np.testing.assert_array_max_ulp(got, blob.astype(np.float32), maxulp=1)


def test_batch_equals_single_images(rng: Generator) -> None:
    imgs = [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(3)]
    imgs.append(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8))
    fmts = ["rgb", "bgr", "rgb", "bgra"]
    kw: Dict[str, Any] = dict(divisor=255.0, mean=0.5, std=0.25)
    batch = scipix.images_to_tensor(imgs, fmts, **kw)
    assert batch.shape == (4, 3, 20, 30)
    for i, (im, f) in enumerate(zip(imgs, fmts)):
        np.testing.assert_array_equal(batch[i], scipix.image_to_tensor(im, f, **kw)[0])
    nhwc = scipix.images_to_tensor(imgs[:3], "rgb", layout="nhwc")
    assert nhwc.shape == (3, 20, 30, 3)
    np.testing.assert_array_equal(nhwc, np.stack(imgs[:3]).astype(np.float32))


def test_same_result_for_any_thread_count(rng: Generator) -> None:
    img = rng.integers(0, 256, (700, 900, 3), dtype=np.uint8)
    with scipix.num_threads(1):
        one = scipix.image_to_tensor(img, "rgb", divisor=255.0, mean=0.5, std=0.3)
    with scipix.num_threads(4):
        four = scipix.image_to_tensor(img, "rgb", divisor=255.0, mean=0.5, std=0.3)
    np.testing.assert_array_equal(one, four)


def test_params_struct_matches_the_c_default() -> None:
    p = scipix.tensor.tensor_params()
    assert (p.divisor, p.scale, list(p.mean), list(p.std), p.swap_rb, p.layout) == (
        1.0, 1.0, [0.0] * 4, [1.0] * 4, False, _ffi.consts["SCIPIX_LAYOUT_NCHW"])


def test_bad_input_raises_and_writes_nothing(rng: Generator) -> None:
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    out = np.full((1, 3, 8, 8), 7, dtype=np.float32)
    with pytest.raises(scipix.InvalidArgument, match="std"):
        scipix.image_to_tensor(img, "rgb", std=(1, 0, 1), out=out)
    with pytest.raises(scipix.InvalidArgument):
        scipix.image_to_tensor(img, "rgb", divisor=0.0, out=out)
    with pytest.raises(scipix.InvalidArgument):
        scipix.image_to_tensor(img, "rgb", mean=float("nan"), out=out)
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.image_to_tensor(img, "rgb", layout=9, out=out)
    assert (out == 7).all()
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.image_to_tensor(img.astype(np.float32), "rgb")
    with pytest.raises(scipix.InvalidArgument, match="channel"):
        scipix.image_to_tensor(img, "rgba")
    with pytest.raises(scipix.InvalidArgument, match="format="):
        scipix.image_to_tensor(img)
    with pytest.raises(scipix.InvalidArgument, match="hold"):
        scipix.image_to_tensor(img, "rgb", out=np.empty(10, np.float32))
    with pytest.raises(scipix.InvalidArgument):
        scipix.images_to_tensor([img, img[:4]], "rgb")  # library: mismatched sizes
    with pytest.raises(scipix.InvalidArgument):
        scipix.images_to_tensor([], "rgb")


def test_c_layer_rejects_null_and_short_buffers() -> None:
    img = np.zeros((4, 4), np.uint8)
    desc, _ = scipix._arrays.image_desc(img)
    p = scipix.tensor.tensor_params()
    small = (ctypes.c_float * 3)()
    raw = _ffi.raw("scipix_image_to_tensor")
    assert raw(None, ctypes.byref(p), small, 3) == _ffi.consts["SCIPIX_ERR_NULL_POINTER"]
    assert raw(ctypes.byref(desc), ctypes.byref(p), small, 3) == _ffi.consts["SCIPIX_ERR_BUFFER_TOO_SMALL"]
    assert list(small) == [0.0, 0.0, 0.0]
    with pytest.raises(scipix.BufferTooSmall):
        _ffi.scipix_image_to_tensor(ctypes.byref(desc), ctypes.byref(p), small, 3)


@requires("scipix_normalize_f32", "scipix_tensor_stats_f32")
def test_normalize_matches_double_statistics(rng: Generator) -> None:
    x = (rng.standard_normal(100_003) * 3 + 1e4).astype(np.float32)
    mean, var = scipix.tensor_stats(x)
    xd = x.astype(np.float64)
    assert mean == pytest.approx(xd.mean(), rel=1e-12)
    assert var == pytest.approx(xd.var(), rel=1e-9)
    y, m, s = scipix.normalize(x, return_stats=True)
    assert m == np.float32(mean) and s == pytest.approx(np.sqrt(var), rel=1e-6)
    inv = np.float32(1.0 / np.sqrt(var + 1e-8))
    np.testing.assert_array_equal(y, (x - np.float32(mean)) * inv)
    z = x.copy()
    assert scipix.normalize(z, inplace=True) is z
    np.testing.assert_array_equal(z, y)


@requires("scipix_normalize_f32")
def test_normalize_bad_input() -> None:
    with pytest.raises(scipix.InvalidArgument):
        scipix.normalize(np.ones(16, np.float32), eps=0.0)  # zero variance, eps 0
    with pytest.raises(scipix.InvalidArgument):
        scipix.normalize(np.array([1.0, np.nan], np.float32))
    with pytest.raises(scipix.InvalidArgument):
        scipix.normalize(np.zeros(0, np.float32))


@requires("scipix_normalize_channels_f32")
def test_normalize_channels(rng: Generator) -> None:
    x = rng.standard_normal((3, 10, 12)).astype(np.float32)
    mean, std = [0.1, -0.2, 0.3], [0.5, 2.0, 1.5]
    got = scipix.normalize_channels(x, mean, std)
    want = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_array_equal(got, want)
    hwc = np.ascontiguousarray(x.transpose(1, 2, 0))
    np.testing.assert_array_equal(scipix.normalize_channels(hwc, mean, std, layout="nhwc"),
                                  want.transpose(1, 2, 0))
    with pytest.raises(scipix.InvalidArgument):
        scipix.normalize_channels(x, mean, [1.0, 0.0, 1.0])
    with pytest.raises(scipix.InvalidArgument):
        scipix.normalize_channels(x, mean, std[:2])
    with pytest.raises(scipix.InvalidArgument):
        scipix.normalize_channels(np.ones(10, np.float32), mean, std)  # 10 % 3 != 0
