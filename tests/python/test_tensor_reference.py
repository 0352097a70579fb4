"""Cross-checks of image-to-tensor and normalization against reference systems:
torchvision's ToTensor()+Normalize (re-implemented in numpy float32 with torchvision's
operation order: x / 255, then - mean, then / std) and OpenCV's cv2.dnn.blobFromImage.
Every available ISA is forced in turn; the maximum ulp difference is asserted."""
import ctypes

import numpy as np
import pytest

from conftest import Image, available_isas, check

import cv2

GRAY, RGB, BGR, RGBA, BGRA = range(5)
NCHW, NHWC = 0, 1


class Params(ctypes.Structure):
    _fields_ = [
        ("scale", ctypes.c_float),
        ("mean", ctypes.c_float * 4),
        ("std", ctypes.c_float * 4),
        ("swap_rb", ctypes.c_bool),
        ("layout", ctypes.c_uint32),
        ("divisor", ctypes.c_float),
    ]


def image(arr, fmt):
    assert arr.dtype == np.uint8
    h, w = arr.shape[:2]
    return Image(arr.ctypes.data, w, h, arr.strides[0], fmt)


def params(lib, **kw):
    p = Params()
    check(lib, lib.scipix_tensor_params_default(ctypes.byref(p)))
    for k, v in kw.items():
        if k in ("mean", "std"):
            arr = getattr(p, k)
            for i, x in enumerate(v):
                arr[i] = x
        else:
            setattr(p, k, v)
    return p


def to_tensor(lib, arr, fmt, p):
    h, w = arr.shape[:2]
    c = 1 if fmt == GRAY else 3
    out = np.full(c * h * w, np.nan, dtype=np.float32)
    img = image(arr, fmt)
    check(
        lib,
        lib.scipix_image_to_tensor(
            ctypes.byref(img), ctypes.byref(p), out.ctypes.data_as(ctypes.c_void_p), out.size
        ),
    )
    shape = (1, c, h, w) if p.layout == NCHW else (1, h, w, c)
    return out.reshape(shape)


def ulp_diff(a, b):
    """Max distance in units in the last place between float32 arrays (sign-aware)."""
    ai = a.astype(np.float32).view(np.int32).astype(np.int64)
    bi = b.astype(np.float32).view(np.int32).astype(np.int64)
    ai = np.where(ai < 0, -(ai & 0x7FFFFFFF), ai)
    bi = np.where(bi < 0, -(bi & 0x7FFFFFFF), bi)
    return int(np.abs(ai - bi).max())


def for_each_isa(lib):
    for isa in available_isas(lib):
        lib.scipix_set_max_isa(isa, None)
        yield isa
    lib.scipix_set_max_isa(lib.scipix_best_isa(), None)


def torchvision_reference(rgb):
    """ToTensor() then Normalize(mean, std), in float32, in torchvision's order."""
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    t = rgb.transpose(2, 0, 1).astype(np.float32) / np.float32(255)  # ToTensor: .div(255)
    t = t - mean[:, None, None]  # Normalize: .sub_(mean)
    t = t / std[:, None, None]  # .div_(std)
    return t[None]


@pytest.mark.parametrize("w,h", [(224, 224), (67, 31), (1, 1)])
def test_torchvision_to_tensor_normalize_exact(lib, w, h):
    rng = np.random.default_rng(w * 1000 + h)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    want = torchvision_reference(rgb)
    p = params(lib, divisor=255.0, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    for isa in for_each_isa(lib):
        got = to_tensor(lib, rgb, RGB, p)
        assert ulp_diff(got, want) == 0, isa
        # Same result from BGR input with swap_rb, and NHWC is the transpose.
        p.swap_rb = True
        assert ulp_diff(to_tensor(lib, bgr, BGR, p), want) == 0, isa
        p.swap_rb = False
        p.layout = NHWC
        assert ulp_diff(to_tensor(lib, rgb, RGB, p), want.transpose(0, 2, 3, 1)) == 0
        p.layout = NCHW


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("sf,mean", [(1 / 255, (104.0, 117.0, 123.0)), (0.017, (103.53, 116.28, 123.675)), (1.0, (0.0, 0.0, 0.0))])
def test_blob_from_image_exact(lib, swap, sf, mean):
    rng = np.random.default_rng(7)
    bgr = rng.integers(0, 256, (97, 131, 3), dtype=np.uint8)
    want = cv2.dnn.blobFromImage(bgr, scalefactor=sf, mean=mean, swapRB=swap, crop=False)
    p = params(lib, scale=sf, mean=list(mean), swap_rb=swap)
    for isa in for_each_isa(lib):
        got = to_tensor(lib, bgr, BGR, p)
        assert got.shape == want.shape
        assert ulp_diff(got, want) == 0, isa


def test_blob_from_image_bgra_and_gray(lib):
    rng = np.random.default_rng(3)
    bgra = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    # blobFromImage keeps 4 channels; scipix drops alpha, so compare the first three.
    want = cv2.dnn.blobFromImage(bgra, 0.5, mean=(10, 20, 30, 0))[:, :3]
    got = to_tensor(lib, bgra, BGRA, params(lib, scale=0.5, mean=[10, 20, 30]))
    assert ulp_diff(got, want) == 0
    gray = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    want = cv2.dnn.blobFromImage(gray, 0.25, mean=(7,))
    got = to_tensor(lib, gray, GRAY, params(lib, scale=0.25, mean=[7]))
    assert ulp_diff(got, want) == 0


def test_padded_stride_and_batch(lib):
    rng = np.random.default_rng(11)
    big = rng.integers(0, 256, (60, 250), dtype=np.uint8)
    rows = big[5:45, 7:7 + 63 * 3]  # 40 rows of 63 BGR pixels, stride 250, odd start
    sub = np.ascontiguousarray(rows).reshape(40, 63, 3)
    p = params(lib, divisor=255.0, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], swap_rb=True)
    want = torchvision_reference(np.ascontiguousarray(sub[:, :, ::-1]))
    img = Image(rows.ctypes.data, 63, 40, big.strides[0], BGR)
    assert ulp_diff(to_tensor_img(lib, img, 3, p), want) == 0
    imgs = (Image * 3)(img, img, img)
    out = np.full(3 * want.size, np.nan, dtype=np.float32)
    for threads in (1, 2):
        lib.scipix_set_num_threads(threads)
        check(lib, lib.scipix_images_to_tensor(imgs, 3, ctypes.byref(p), out.ctypes.data_as(ctypes.c_void_p), out.size))
        assert ulp_diff(out.reshape(3, *want.shape[1:]), np.concatenate([want] * 3)) == 0
    lib.scipix_set_num_threads(0)


def to_tensor_img(lib, img, c, p):
    out = np.full(c * img.height * img.width, np.nan, dtype=np.float32)
    check(lib, lib.scipix_image_to_tensor(ctypes.byref(img), ctypes.byref(p), out.ctypes.data_as(ctypes.c_void_p), out.size))
    return out.reshape(1, c, img.height, img.width)


def test_normalize_matches_numpy(lib):
    rng = np.random.default_rng(5)
    x = (1.0e4 + rng.standard_normal(1 << 20)).astype(np.float32)
    mean_ref = x.astype(np.float64).mean()
    var_ref = x.astype(np.float64).var()
    m = ctypes.c_float()
    s = ctypes.c_float()
    dm = ctypes.c_double()
    dv = ctypes.c_double()
    eps = np.float32(1e-8)
    for isa in for_each_isa(lib):
        check(lib, lib.scipix_tensor_stats_f32(
            x.ctypes.data_as(ctypes.c_void_p), x.size, ctypes.byref(dm), ctypes.byref(dv)))
        # scipix's f64 statistics agree with numpy's f64 ones to rounding level.
        assert abs(dm.value - mean_ref) / mean_ref < 1e-14, isa
        assert abs(dv.value - var_ref) / var_ref < 1e-11, isa
        y = np.empty_like(x)
        check(lib, lib.scipix_normalize_f32(
            x.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p), x.size,
            ctypes.c_float(eps), ctypes.byref(m), ctypes.byref(s)))
        assert m.value == np.float32(dm.value)
        assert s.value == np.float32(np.sqrt(dv.value))
        # The documented apply rule, evaluated in numpy float32 from scipix's statistics:
        # m = (float)mean, inv = (float)(1 / sqrt(var + (double)eps)), (x - m) * inv.
        mf = np.float32(dm.value)
        inv = np.float32(1.0 / np.sqrt(dv.value + np.float64(eps)))
        assert ulp_diff(y, (x - mf) * inv) == 0, isa
        ref = (x.astype(np.float64) - mean_ref) / np.sqrt(var_ref + 1e-8)
        assert np.abs(y - ref).max() < 1e-3


def test_normalize_channels_matches_numpy(lib):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 33, 17)).astype(np.float32) * 50 + 120
    mean = np.array([123.675, 116.28, 103.53], dtype=np.float32)
    std = np.array([58.395, 57.12, 57.375], dtype=np.float32)
    for layout, arr, want in [
        (NCHW, x, (x - mean[:, None, None]) / std[:, None, None]),
        (NHWC, np.ascontiguousarray(x.transpose(1, 2, 0)), (x.transpose(1, 2, 0) - mean) / std),
    ]:
        y = np.empty_like(arr)
        check(lib, lib.scipix_normalize_channels_f32(
            arr.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p), arr.size, 3,
            layout, mean.ctypes.data_as(ctypes.c_void_p), std.ctypes.data_as(ctypes.c_void_p)))
        assert ulp_diff(y, want) == 0
