"""Image ops through the Python package, bit for bit against opencv-python on every ISA,
with strided views in and out, and bad input raising the right exception."""
from typing import Any, Callable, Dict, List
import numpy as np
import pytest

import scipix
from scipix import image
from conftest import requires
from numpy.random import Generator

cv2 = pytest.importorskip("cv2")

pytestmark = requires("scipix_gray", "scipix_threshold", "scipix_otsu_threshold")

CODES = {"rgb": cv2.COLOR_RGB2GRAY, "bgr": cv2.COLOR_BGR2GRAY,
         "rgba": cv2.COLOR_RGBA2GRAY, "bgra": cv2.COLOR_BGRA2GRAY}
TYPES = ["binary", "binary_inv", "trunc", "tozero", "tozero_inv"]


def page(rng: Generator, h: int=120, w: int=161) -> Any:
    """A text-like page: light paper, darker strokes, noise (Otsu/adaptive need structure)."""
    img = np.full((h, w), 200, np.uint8)
    for _ in range(40):
        y, x = rng.integers(0, h - 8), rng.integers(0, w - 30)
        img[y:y + 3, x:x + rng.integers(5, 30)] = rng.integers(10, 80)
    noise = rng.integers(-20, 21, (h, w))
    return np.clip(img.astype(int) + noise + np.linspace(0, 40, w)[None, :], 0, 255).astype(np.uint8)


@pytest.mark.parametrize("fmt", list(CODES))
def test_gray_equals_opencv_on_every_isa(fmt: Any, rng: Generator, each_isa: Callable[[Callable[[], Any]], Dict[Any, Any]]) -> None:
    ch = len(fmt)
    for w in (1, 7, 31, 33, 67):
        img = rng.integers(0, 256, (9, w, ch), dtype=np.uint8)
        want = cv2.cvtColor(img, CODES[fmt])
        for isa, got in each_isa(lambda: image.gray(img, fmt)).items():
            np.testing.assert_array_equal(got, want, err_msg=f"{fmt} w={w} {isa}")


def test_gray_strided_views_in_and_out(rng: Generator) -> None:
    big = rng.integers(0, 256, (50, 90, 3), dtype=np.uint8)
    crop = big[3:40, 5:77]
    canvas = np.zeros((60, 100), np.uint8)
    out = canvas[10:47, 20:92]  # a strided output view inside a larger buffer
    res = image.gray(crop, "bgr", out=out)
    assert res is out
    np.testing.assert_array_equal(out, cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_BGR2GRAY))
    assert (canvas[:10] == 0).all() and (canvas[:, :20] == 0).all()  # nothing outside written
    gray = image.gray(big, "rgb")
    np.testing.assert_array_equal(image.gray(gray), gray)  # GRAY8 input is copied


@requires("scipix_gray_f32")
def test_gray_f32(rng: Generator) -> None:
    img = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    g = image.gray(img, "rgba")
    np.testing.assert_array_equal(image.gray_f32(img, "rgba"), g.astype(np.float32))
    np.testing.assert_array_equal(image.gray_f32(img, "rgba", scale="unit"),
                                  g.astype(np.float32) / np.float32(255))
    plane = np.full((20, 40), -1, np.float32)
    image.gray_f32(img, "rgba", out=plane[:, 5:35])
    np.testing.assert_array_equal(plane[:, 5:35], g.astype(np.float32))
    assert (plane[:, :5] == -1).all()


@pytest.mark.parametrize("ttype", TYPES)
def test_threshold_equals_opencv(ttype: Any, rng: Generator, each_isa: Callable[[Callable[[], Any]], Dict[Any, Any]]) -> None:
    img = rng.integers(0, 256, (33, 67), dtype=np.uint8)
    for thresh, maxval in [(127, 255), (100.7, 200.5), (-3, 255), (255, 99), (0.5, 1)]:
        _, want = cv2.threshold(img, thresh, maxval, getattr(cv2, f"THRESH_{ttype.upper()}"))
        for isa, got in each_isa(lambda: image.threshold(img, thresh, maxval, ttype)).items():
            np.testing.assert_array_equal(got, want, err_msg=f"{ttype} {thresh} {maxval} {isa}")
    inplace = img.copy()
    assert image.threshold(inplace, 90, 255, ttype, inplace=True) is inplace
    np.testing.assert_array_equal(inplace, cv2.threshold(img, 90, 255, getattr(cv2, f"THRESH_{ttype.upper()}"))[1])


@requires("scipix_threshold_f32")
@pytest.mark.parametrize("ttype", TYPES)
def test_threshold_f32_equals_opencv(ttype: Any, rng: Generator, each_isa: Callable[[Callable[[], Any]], Dict[Any, Any]]) -> None:
    x = rng.standard_normal((17, 29)).astype(np.float32)
    x[0, :2] = [0.25, -0.0]
    code = getattr(cv2, f"THRESH_{ttype.upper()}")
    _, want = cv2.threshold(x, 0.25, 2.0, code)
    got = image.threshold(x, 0.25, 2.0, ttype)
    np.testing.assert_array_equal(got, want)
    # NaN follows OpenCV's comparisons (`>` for BINARY/TRUNC/TOZERO_INV, `<=` for
    # BINARY_INV/TOZERO), both false for NaN; checked against cv2 too.
    nan_in = np.array([[np.nan]], np.float32)
    nan_out = image.threshold(nan_in, 0.25, 2.0, ttype)[0, 0]
    rule = {"binary": 0.0, "binary_inv": 0.0, "trunc": np.nan, "tozero": np.nan,
            "tozero_inv": np.nan}[ttype]
    cv_types = {"binary": 0, "binary_inv": 1, "trunc": 2, "tozero": 3, "tozero_inv": 4}
    cv_out = cv2.threshold(nan_in, 0.25, 2.0, cv_types[ttype])[1][0, 0]
    assert (np.isnan(cv_out) and np.isnan(rule)) or cv_out == rule
    # NaNs spread over a plane, through every SIMD kernel and its tail.
    xn = x.copy()
    xn[::3, ::5] = np.nan
    want = cv2.threshold(xn, 0.25, 2.0, code)[1]
    for isa, got in each_isa(lambda: image.threshold(xn, 0.25, 2.0, ttype)).items():
        np.testing.assert_array_equal(got, want, err_msg=f"{ttype} {isa}")
    assert (np.isnan(nan_out) and np.isnan(rule)) or nan_out == rule
    y = x[:, 2:20]  # strided float view, in place
    base = x.copy()
    image.threshold(y, 0.25, 2.0, ttype, inplace=True)
    np.testing.assert_array_equal(x[:, 2:20], cv2.threshold(np.ascontiguousarray(base[:, 2:20]), 0.25, 2.0, code)[1])
    np.testing.assert_array_equal(x[:, :2], base[:, :2])


def test_otsu_equals_opencv(rng: Generator) -> None:
    for img in (page(rng), rng.integers(0, 256, (64, 64), dtype=np.uint8),
                np.full((5, 5), 77, np.uint8)):
        t_cv, want = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        assert image.otsu_threshold(img) == int(t_cv)
        t, got = image.threshold_otsu(img, 255, "binary")
        assert t == int(t_cv)
        np.testing.assert_array_equal(got, want)
    crop = page(rng)[7:100, 13:150]
    assert image.otsu_threshold(crop) == int(cv2.threshold(np.ascontiguousarray(crop), 0, 255,
                                                           cv2.THRESH_OTSU)[0])


@requires("scipix_binarize_otsu")
@pytest.mark.parametrize("fmt", sorted(CODES))
def test_binarize_otsu_equals_opencv(rng: Generator, fmt: str, each_isa: Any) -> None:
    ch = len(fmt)
    gray_page = page(rng)
    colour = np.stack([gray_page] * ch, axis=-1).astype(int) + rng.integers(-9, 10, gray_page.shape + (ch,))
    imgs = [np.clip(colour, 0, 255).astype(np.uint8), rng.integers(0, 256, (33, 47, ch), dtype=np.uint8),
            np.full((1, 1, ch), 99, np.uint8)]
    for img in imgs + [imgs[0][5:90, 3:131]]:
        want_gray = cv2.cvtColor(np.ascontiguousarray(img), CODES[fmt])
        for ttype, code in (("binary", 0), ("binary_inv", 1)):
            t_cv, want = cv2.threshold(want_gray, 0, 200, code | cv2.THRESH_OTSU)

            def run() -> Any:
                return image.binarize_otsu(img, fmt, 200, ttype, return_gray=True)
            for t, got, gray in each_isa(run).values():
                assert t == int(t_cv)
                np.testing.assert_array_equal(got, want)
                np.testing.assert_array_equal(gray, want_gray)
    t, got, gray = image.binarize_otsu(imgs[0], fmt)
    assert gray is None
    out = np.full((130, 170), 7, np.uint8)
    gout = np.full((130, 170), 7, np.uint8)
    h, w = imgs[0].shape[:2]
    t2, got2, g2 = image.binarize_otsu(imgs[0], fmt, out=out[1:h + 1, 2:w + 2], gray_out=gout[:h, :w])
    assert t2 == t and g2 is not None
    np.testing.assert_array_equal(got2, got)
    np.testing.assert_array_equal(out[0], 7)
    np.testing.assert_array_equal(gout[h:], 7)
    with pytest.raises(scipix.UnsupportedFormat):
        image.binarize_otsu(gray_page, None)
    with pytest.raises(scipix.InvalidArgument):
        image.binarize_otsu(imgs[0], fmt, 255, "trunc")
    with pytest.raises(scipix.InvalidArgument):
        image.binarize_otsu(imgs[0], fmt, out=np.empty((3, 3), np.uint8))

@requires("scipix_adaptive_threshold_mean")
@pytest.mark.parametrize("block,c", [(3, 0), (11, 2), (15, -3.5), (31, 5)])
def test_adaptive_mean_equals_opencv(block: Any, c: Any, rng: Generator) -> None:
    img = page(rng)
    for ttype in ("binary", "binary_inv"):
        code = getattr(cv2, f"THRESH_{ttype.upper()}")
        want = cv2.adaptiveThreshold(img, 255, cv2.ADAPTIVE_THRESH_MEAN_C, code, block, c)
        np.testing.assert_array_equal(image.adaptive_threshold_mean(img, 255, ttype, block, c), want)


def test_same_result_for_any_thread_count(rng: Generator) -> None:
    img = rng.integers(0, 256, (1200, 1300, 3), dtype=np.uint8)
    with scipix.num_threads(1):
        one = image.gray(img, "rgb")
    with scipix.num_threads(3):
        three = image.gray(img, "rgb")
    np.testing.assert_array_equal(one, three)


def test_bad_input_raises_and_writes_nothing(rng: Generator) -> None:
    img = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    out = np.full((10, 12), 9, np.uint8)
    with pytest.raises(scipix.InvalidArgument):
        image.gray(img, "rgb", out=np.zeros((10, 11), np.uint8))
    with pytest.raises(scipix.InvalidArgument):
        image.gray(img, "rgb", out=img[:, :, 0])  # overlaps the source (library check)
    with pytest.raises(scipix.InvalidArgument):
        image.gray(img, "rgba")
    with pytest.raises(scipix.UnsupportedFormat):
        image.gray(img.astype(np.uint16), "rgb")
    with pytest.raises(scipix.UnsupportedFormat):
        image.gray(img, "yuv")
    with pytest.raises(scipix.InvalidArgument):
        image.threshold(img[:, :, 0], 1, 255, 9, out=out)  # unknown type (library)
    with pytest.raises(scipix.InvalidArgument):
        image.threshold(img[:, :, 0], 1, 255, "otsu")
    with pytest.raises(scipix.InvalidArgument):
        image.threshold(img, 1, 255)  # 3 channels: threshold takes gray
    with pytest.raises(scipix.InvalidArgument):
        image.gray(np.zeros((0, 4, 3), np.uint8), "rgb")
    ro = np.zeros((10, 12), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(scipix.InvalidArgument):
        image.gray(img, "rgb", out=ro)
    assert (out == 9).all()


@requires("scipix_adaptive_threshold_mean")
def test_adaptive_bad_input(rng: Generator) -> None:
    img = page(rng)
    out = np.full(img.shape, 9, np.uint8)
    cases: List[Dict[str, Any]] = [dict(block_size=4), dict(block_size=1), dict(type="trunc"),
                                   dict(c=float("nan"))]
    for kw in cases:
        with pytest.raises(scipix.InvalidArgument):
            image.adaptive_threshold_mean(img, out=out, **kw)
    assert (out == 9).all()


@pytest.mark.parametrize("layout", ["nv12", "nv21", "i420", "yv12", "yuyv", "uyvy", "yvyu"])
def test_yuv_to_image_equals_cvtcolor(layout: str, rng: Generator) -> None:
    w, h = 34, 18
    big = rng.integers(0, 256, (h * 3, 2 * w + 10), dtype=np.uint8)
    if layout in ("nv12", "nv21"):
        planes = [big[:h, 3:3 + w], big[h:h + h // 2, 1:1 + w]]  # padded, unaligned views
        cv_in = np.concatenate(planes)
    elif layout in ("i420", "yv12"):
        planes = [big[:h, :w], big[h:h + h // 2, :w // 2], big[2 * h:2 * h + h // 2, 5:5 + w // 2]]
        cv_in = np.concatenate([p.reshape(-1) for p in planes]).reshape(h * 3 // 2, w)
    else:
        planes = [big[:h, 1:1 + 2 * w]]
        cv_in = planes[0].reshape(h, w, 2)
    for fmt in ("rgb", "bgr", "rgba", "bgra", "gray"):
        want = cv2.cvtColor(np.ascontiguousarray(cv_in),
                            getattr(cv2, f"COLOR_YUV2{fmt.upper()}_{layout.upper()}"))
        got = image.yuv_to_image(planes, layout, w, h, fmt)
        np.testing.assert_array_equal(got, want, err_msg=f"{layout} {fmt}")
    with pytest.raises(scipix.InvalidArgument):
        image.yuv_to_image(planes, layout, w + 1, h)
    with pytest.raises(scipix.InvalidArgument):
        image.yuv_to_image(planes, "nv16", w, h)
