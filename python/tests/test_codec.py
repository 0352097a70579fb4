"""scipix.probe / scipix.decode through the Python package, against cv2 and Pillow."""
import io
from typing import Tuple

import numpy as np
import pytest

import scipix
from conftest import requires

cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")

pytestmark = requires("scipix_probe", "scipix_decode_jpeg")


def _jpeg(w: int, h: int, quality: int = 85) -> bytes:
    rng = np.random.default_rng(w * h)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x ^ y) & 255], -1)
    img = np.clip(img + rng.normal(0, 10, img.shape), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(buf.tobytes())


def test_probe_reports_the_header() -> None:
    data = _jpeg(33, 17)
    info = scipix.probe(data)
    assert (info.format, info.width, info.height, info.channels) == ("jpeg", 33, 17, 3)
    assert info.chroma_subsampling == "4:2:0" and info.exif_orientation == 1
    png = cv2.imencode(".png", np.zeros((4, 5), np.uint8))[1]
    assert scipix.probe(png).format == "png"
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.probe(b"GIF89a")
    with pytest.raises(scipix.InvalidFile):
        scipix.probe(data[:5])


@pytest.mark.parametrize("scale_num,flags", [(8, (cv2.IMREAD_COLOR, cv2.IMREAD_GRAYSCALE)),
                                              (4, (cv2.IMREAD_REDUCED_COLOR_2,
                                                   cv2.IMREAD_REDUCED_GRAYSCALE_2)),
                                              (1, (cv2.IMREAD_REDUCED_COLOR_8,
                                                   cv2.IMREAD_REDUCED_GRAYSCALE_8))])
def test_decode_matches_cv2(scale_num: int, flags: Tuple[int, int]) -> None:
    data = _jpeg(641, 479)
    buf = np.frombuffer(data, np.uint8)
    bgr = scipix.decode(data, "bgr", scale_num=scale_num, apply_exif_orientation=True)
    assert np.array_equal(bgr, cv2.imdecode(buf, flags[0]))
    gray = scipix.decode(buf, "gray", scale_num=scale_num, apply_exif_orientation=True)
    assert np.array_equal(gray, cv2.imdecode(buf, flags[1]))


def test_decode_matches_pillow_and_writes_views() -> None:
    data = _jpeg(7, 5, quality=95)
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(scipix.decode(data), rgb)
    rgba = scipix.decode(data, "rgba")
    assert rgba.shape == (5, 7, 4) and (rgba[..., 3] == 255).all()
    big = np.full((9, 12, 3), 7, np.uint8)
    scipix.decode(data, "rgb", out=big[2:7, 3:10])
    assert np.array_equal(big[2:7, 3:10], rgb)
    big[2:7, 3:10] = 7
    assert (big == 7).all()
    assert scipix.codec.jpeg_output_size(data, scale_num=4) == (4, 3)


def test_errors() -> None:
    data = _jpeg(64, 48)
    with pytest.raises(scipix.InvalidFile):
        scipix.decode(data[: len(data) // 2])
    half = scipix.decode(data[: len(data) // 2], accept_truncated=True)
    assert half.shape == (48, 64, 3)
    with pytest.raises(scipix.SizeOverflow):
        scipix.decode(data, max_pixels=64 * 48 - 1)
    with pytest.raises(scipix.InvalidArgument):
        scipix.decode(data, scale_num=0)
    with pytest.raises(scipix.InvalidArgument):
        scipix.decode(data, out=np.zeros((5, 5, 3), np.uint8))


def test_decode_png_matches_each_peer() -> None:
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (13, 17, 4), dtype=np.uint8)
    gray16 = rng.integers(0, 65536, (9, 11), dtype=np.uint16)
    for arr in (rgba, gray16, rgba[..., :3]):
        buf = cv2.imencode(".png", arr)[1]
        data = bytes(buf.tobytes())
        assert np.array_equal(scipix.decode(data, "bgr"), cv2.imdecode(buf, cv2.IMREAD_COLOR))
        assert np.array_equal(scipix.decode(data, "gray"),
                              cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE))
        pil = Image.open(io.BytesIO(data))
        for fmt, mode in (("rgb", "RGB"), ("gray", "L"), ("rgba", "RGBA")):
            assert np.array_equal(scipix.decode(data, fmt, peer="pillow"),
                                  np.asarray(pil.convert(mode))), (arr.dtype, fmt)
    with pytest.raises(scipix.InvalidArgument):
        scipix.decode(data, peer="numpy")
    with pytest.raises(scipix.InvalidArgument):
        scipix.decode(data, scale_num=4)
    with pytest.raises(scipix.InvalidFile):
        scipix.decode(data[:-20])
