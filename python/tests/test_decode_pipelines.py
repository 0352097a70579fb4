"""From-bytes pipelines (scipix.decode_letterbox_to_tensor / decode_classify_to_tensor and
their batch forms) against the peer chains they promise to equal, bit for bit:
cv2.imdecode + Ultralytics LetterBox + cv2.dnn.blobFromImage, and Pillow + torchvision's
Resize / CenterCrop / ToTensor / Normalize, in exact mode and from the DCT-reduced decodes
(cv2.IMREAD_REDUCED_COLOR_k, Pillow draft()) in reduced mode."""
import io
from typing import Any, Tuple

import numpy as np
import pytest

import scipix
from conftest import requires

cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")

pytestmark = requires("scipix_bytes_letterbox_to_tensor", "scipix_bytes_classify_to_tensor")

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
           8: cv2.IMREAD_REDUCED_COLOR_8}


def _photo(w: int, h: int, seed: int) -> np.ndarray:
    """A photo-like RGB image: smooth shading, edges and sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 128 + 100 * np.sin(x / (17 + seed)) * np.cos(y / 23)
    g = 255 * x / max(w - 1, 1)
    b = np.where((x // 40 + y // 30) % 2 == 0, 200, 40)
    img = np.stack([r, g, b], -1) + rng.normal(0, 6, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _jpeg(w: int, h: int, quality: int = 90, subsampling: int = 2, seed: int = 0) -> bytes:
    out = io.BytesIO()
    Image.fromarray(_photo(w, h, seed)).save(out, "JPEG", quality=quality, subsampling=subsampling)
    return out.getvalue()


def _letterbox_chain(bgr: np.ndarray, size: int) -> np.ndarray:
    """Ultralytics LetterBox (centred, colour 114) then blobFromImage(1/255, swapRB)."""
    h, w = bgr.shape[:2]
    r = min(size / h, size / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (size - nw) / 2, (size - nh) / 2
    if (w, h) != (nw, nh):
        bgr = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(bgr, top, bottom, left, right, cv2.BORDER_CONSTANT,
                             value=(114, 114, 114))
    blob: np.ndarray = cv2.dnn.blobFromImage(img, 1 / 255.0, swapRB=True)
    return blob


def _resize_size(w: int, h: int, short: int) -> Tuple[int, int]:
    s, long_side = (w, h) if w <= h else (h, w)
    nl = int(short * long_side / s)
    return (short, nl) if w <= h else (nl, short)


def _classify_chain(pil: Any, short: int, crop: int) -> np.ndarray:
    """torchvision Resize(short) + CenterCrop(crop) + ToTensor + Normalize on a PIL image."""
    nw, nh = _resize_size(pil.width, pil.height, short)
    if (nw, nh) != pil.size:
        pil = pil.resize((nw, nh), Image.Resampling.BILINEAR)
    a = np.asarray(pil)
    top, left = int(round((nh - crop) / 2.0)), int(round((nw - crop) / 2.0))
    a = a[top:top + crop, left:left + crop]
    x = (a.astype(np.float32) / np.float32(255) - np.asarray(MEAN, np.float32)) \
        / np.asarray(STD, np.float32)
    return x.transpose(2, 0, 1)[None]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("w,h,quality,sub", [(1280, 720, 75, 2), (1023, 767, 95, 0),
                                             (480, 640, 90, 1), (333, 217, 85, 2)])
def test_letterbox_from_bytes_matches_the_cv2_chain(w: int, h: int, quality: int, sub: int,
                                                     each_isa: Any) -> None:
    data = _jpeg(w, h, quality, sub, seed=w)
    buf = np.frombuffer(data, np.uint8)
    want = _letterbox_chain(cv2.imdecode(buf, cv2.IMREAD_COLOR), 320)
    for got in each_isa(lambda: scipix.decode_letterbox_to_tensor(data, 320)[0]).values():
        assert _same(got, want)
    got, info = scipix.decode_letterbox_to_tensor(data, 320, mode="reduced")
    k = 8 // info.scale_num
    lb = scipix.resize.letterbox_info((w, h), 320)
    # Pillow's draft rule on the letterbox's resized size picks k.
    want_k = next((f for f in (8, 4, 2)
                   if w >= f * lb.resized_width and h >= f * lb.resized_height), 1)
    assert k == want_k
    ref = cv2.imdecode(buf, REDUCED[k]) if k > 1 else cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert (info.decoded_width, info.decoded_height) == (ref.shape[1], ref.shape[0])
    assert _same(got, _letterbox_chain(ref, 320))
    # The letterboxed picture's corners map back onto the full-size image's corners.
    g = info.letterbox
    assert g is not None
    box = info.to_source([[g.left, g.top, 320 - g.right, 320 - g.bottom]])
    full = [0, 0, info.decoded_width * k, info.decoded_height * k]
    assert np.allclose(box, [full], atol=k), (box, full)


@pytest.mark.parametrize("w,h,quality,sub", [(1920, 1080, 90, 2), (1000, 1500, 95, 0),
                                             (500, 375, 75, 1), (230, 230, 85, 2)])
def test_classify_from_bytes_matches_pillow_and_torchvision(w: int, h: int, quality: int,
                                                            sub: int, each_isa: Any) -> None:
    data = _jpeg(w, h, quality, sub, seed=h)
    pil = Image.open(io.BytesIO(data)).convert("RGB")
    want = _classify_chain(pil, 256, 224)
    for region in (True, False):
        got = each_isa(lambda: scipix.decode_classify_to_tensor(
            data, 256, 224, region_decode=region)[0])
        for g in got.values():
            assert _same(g, want), region
    got, info = scipix.decode_classify_to_tensor(data, 256, 224, mode="reduced")
    drafted = Image.open(io.BytesIO(data))
    drafted.draft("RGB", _resize_size(w, h, 256))
    drafted = drafted.convert("RGB")
    assert (info.decoded_width, info.decoded_height) == drafted.size
    assert info.scale_num == 8 * drafted.width // w or drafted.size == (w, h)
    assert _same(got, _classify_chain(drafted, 256, 224))


def test_batches_equal_single_calls_and_png_goes_through() -> None:
    items = [_jpeg(640, 480, seed=1), _jpeg(300, 500, seed=2), _jpeg(1280, 720, seed=3)]
    png = io.BytesIO()
    Image.fromarray(_photo(200, 120, 4)).save(png, "PNG")
    items.append(png.getvalue())
    for mode in ("exact", "reduced"):
        t, infos = scipix.decode_letterbox_batch_to_tensor(items, 160, mode=mode)
        assert t.shape == (4, 3, 160, 160)
        for i, d in enumerate(items):
            one, info = scipix.decode_letterbox_to_tensor(d, 160, mode=mode)
            assert _same(t[i:i + 1], one) and infos[i] == info
        c, _ = scipix.decode_classify_batch_to_tensor(items, 96, 80, mode=mode)
        for i, d in enumerate(items):
            assert _same(c[i:i + 1], scipix.decode_classify_to_tensor(d, 96, 80, mode=mode)[0])
    assert infos[3].format == "png" and infos[3].scale_num == 8
    rgb = np.asarray(Image.open(io.BytesIO(items[3])).convert("RGB"))
    assert _same(t[3:4], _letterbox_chain(rgb[..., ::-1].copy(), 160))


def test_refusals() -> None:
    data = _jpeg(64, 48)
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.decode_letterbox_to_tensor(b"GIF89a....", 32)
    with pytest.raises(scipix.InvalidFile):
        scipix.decode_letterbox_to_tensor(data[: len(data) * 2 // 3], 32)
    t, info = scipix.decode_letterbox_to_tensor(data[: len(data) * 2 // 3], 32,
                                                accept_truncated=True)
    assert info.truncated
    with pytest.raises(scipix.SizeOverflow):
        scipix.decode_classify_to_tensor(data, 32, 28, max_pixels=64 * 48 - 1)
    with pytest.raises(scipix.InvalidArgument):
        scipix.decode_letterbox_to_tensor(data, 32, mode="fast")
    with pytest.raises(scipix.InvalidArgument):
        scipix.decode_letterbox_batch_to_tensor([], 32)


@pytest.mark.parametrize("w,h", [(1280, 720), (1920, 1080), (642, 362)])
def test_yuv_frames_to_tensors_match_cvtcolor_chains(w: int, h: int) -> None:
    rgb = _photo(w, h, 9)
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)  # (h * 3 / 2, w)
    flat, q = i420.reshape(-1), w * h // 4
    y = i420[:h]
    u = flat[w * h:w * h + q].reshape(h // 2, w // 2)
    v = flat[w * h + q:].reshape(h // 2, w // 2)
    # NV12 with a padded decoder surface: rows of 1344 bytes, read in place.
    y_pad = np.zeros((h, w + 64), np.uint8)
    y_pad[:, :w] = y
    uv = np.zeros((h // 2, w + 64), np.uint8)
    uv[:, 0:w:2], uv[:, 1:w:2] = u, v
    nv12 = np.concatenate([y, uv[:, :w]])
    got, info = scipix.image.yuv_letterbox_to_tensor((y_pad[:, :w], uv[:, :w]), "nv12", w, h, 640)
    want = _letterbox_chain(cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12), 640)
    assert _same(got, want) and info.top == (640 - info.resized_height) // 2
    got = scipix.image.yuv_classify_to_tensor((y, u, v), "i420", w, h, 256, 224)
    want_rgb = cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)
    assert _same(got, _classify_chain(Image.fromarray(want_rgb), 256, 224))
