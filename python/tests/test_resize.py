"""Resizing, letterbox and the fused pipelines through the Python package, cross-checked
against cv2 and Pillow, with bad input raising the right exception."""
from typing import Any, Callable, Dict

import numpy as np
import pytest
from numpy.random import Generator

import scipix
from scipix import resize as rz
from conftest import requires

cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")

pytestmark = requires("scipix_resize", "scipix_letterbox_to_tensor", "scipix_classify_to_tensor")

CV = {"cv_nearest": cv2.INTER_NEAREST, "cv_nearest_exact": cv2.INTER_NEAREST_EXACT,
      "cv_linear": cv2.INTER_LINEAR, "cv_linear_exact": cv2.INTER_LINEAR_EXACT,
      "cv_area": cv2.INTER_AREA, "cv_cubic": cv2.INTER_CUBIC}
PIL = {"pil_nearest": Image.Resampling.NEAREST, "pil_box": Image.Resampling.BOX,
       "pil_bilinear": Image.Resampling.BILINEAR, "pil_bicubic": Image.Resampling.BICUBIC,
       "pil_lanczos": Image.Resampling.LANCZOS}


def implemented(mode: str) -> bool:
    try:
        rz.resize(np.zeros((4, 6, 3), np.uint8), (3, 2), mode, "rgb")
        return True
    except scipix.UnsupportedFormat:
        return False


@pytest.mark.parametrize("mode", list(CV) + list(PIL))
def test_resize_matches_the_library(mode: str, rng: Generator,
                                    each_isa: Callable[[Callable[[], Any]], Dict[Any, Any]]) -> None:
    if not implemented(mode):
        pytest.skip(f"{mode} not in this build")
    img = rng.integers(0, 256, (61, 97, 3), dtype=np.uint8)
    view = img[3:50, 5:90]  # a strided crop is passed in place
    for size in [(40, 29), (150, 70), (1, 1)]:
        if mode in CV:
            want = cv2.resize(view, size, interpolation=CV[mode])
        else:
            want = np.asarray(Image.fromarray(np.ascontiguousarray(view)).resize(size, PIL[mode]))
        got = each_isa(lambda: rz.resize(view, size, mode, "rgb"))
        for isa, g in got.items():
            diff = np.abs(g.astype(np.int32) - want.astype(np.int32))
            if mode == "cv_cubic":
                # opencv-python hands u8 cubic on sources of 4x4 and more to Intel IPP, whose
                # rounding of exact half-way values scipix bounds but does not reproduce
                # (guide, "Resizing and model inputs").
                assert diff.max() <= 1 and np.count_nonzero(diff) <= 0.005 * diff.size, (mode, size, isa)
            else:
                assert diff.max() == 0, (mode, size, isa)


def test_letterbox_and_tensor(rng: Generator) -> None:
    if not implemented("cv_linear"):
        pytest.skip("cv_linear not in this build")
    frame = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    img, info = rz.letterbox(frame, 320, "bgr")
    small = cv2.resize(frame, (320, 240), interpolation=cv2.INTER_LINEAR)
    want = cv2.copyMakeBorder(small, 40, 40, 0, 0, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    assert np.array_equal(img, want)
    assert (info.scale_x, info.top, info.bottom, info.out_height) == (0.5, 40, 40, 320)
    t, info2 = scipix.letterbox_to_tensor(frame, 320, "bgr")
    assert info2 == info
    blob = cv2.dnn.blobFromImage(want, 1 / 255, swapRB=True)
    assert np.array_equal(t.view(np.uint32), blob.view(np.uint32))
    boxes = info.to_source([[0, 40, 320, 280]])
    assert np.allclose(boxes, [[0, 0, 640, 480]])
    batch, infos = scipix.letterbox_batch_to_tensor([frame, frame[:100, :300]], 320, "bgr")
    assert batch.shape == (2, 3, 320, 320)
    assert np.array_equal(batch[0], t[0])
    assert infos[1].resized_width == 320


def test_classification_pipeline_matches_pillow_and_float32_chain(rng: Generator) -> None:
    if not implemented("pil_bilinear"):
        pytest.skip("pil_bilinear not in this build")
    rgb = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    got = scipix.classify_to_tensor(rgb, 256, 224, "rgb")
    a = np.asarray(Image.fromarray(rgb).resize((341, 256), Image.Resampling.BILINEAR))[16:240, 58:282]
    mean = np.asarray(rz.IMAGENET_MEAN, dtype=np.float32)
    std = np.asarray(rz.IMAGENET_STD, dtype=np.float32)
    want = ((a.astype(np.float32) / np.float32(255) - mean) / std).transpose(2, 0, 1)[None]
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    nhwc = scipix.classify_to_tensor(rgb[..., ::-1], 256, 224, "bgr", layout="nhwc")
    assert np.array_equal(nhwc[0].transpose(2, 0, 1), got[0])
    batch = scipix.classify_batch_to_tensor([rgb, rgb[:300, :280]], 256, 224, "rgb")
    assert np.array_equal(batch[0], got[0])


def test_resizer_handle_and_generic_batch(rng: Generator) -> None:
    img = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    with rz.Resizer((40, 30), (40, 30), "pil_bicubic", "rgb") as r:
        assert r.sizes() == ((40, 30), (40, 30))
        assert np.array_equal(r(img), img)  # same size: a copy, as Pillow and cv2 do
        assert np.array_equal(r.window(img, 5, 7, 3, 2), img[7:9, 5:8])
    t = rz.resize_batch_to_tensor([img, img], (40, 30), "cv_linear", "rgb", divisor=255.0)
    want = scipix.image_to_tensor(img, "rgb", divisor=255.0)
    assert t.shape == (2, 3, 30, 40) and np.array_equal(t[1], want[0])


def test_crop_and_pad(rng: Generator) -> None:
    img = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    got = rz.pad_constant(img, 1, 2, 3, 4, "bgr", value=(5, 6, 7))
    assert np.array_equal(got, cv2.copyMakeBorder(img, 1, 2, 3, 4, cv2.BORDER_CONSTANT, value=(5, 6, 7)))
    assert rz.center_crop_rect((10, 10), (7, 3)) == (2, 4, 7, 3)  # round(1.5)=2, round(3.5)=4
    crop = rz.center_crop(img, (5, 13), "rgb")
    assert crop.shape == (13, 5, 3)
    assert (crop[:2] == 0).all() and np.array_equal(crop[2:11], img[:, 3:8])


def test_bad_input_raises() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    for bad in (float("nan"), -640, 0, 2.5):
        with pytest.raises(scipix.InvalidArgument, match="new_shape"):
            rz.letterbox_to_tensor(img, bad, "rgb")  # type: ignore[arg-type]  # bad values on purpose
    with pytest.raises(scipix.InvalidArgument, match="unknown resize mode"):
        rz.resize(img, (5, 5), "bogus", "rgb")
    with pytest.raises(scipix.InvalidArgument, match="std"):
        scipix.classify_to_tensor(img, 10, 8, "rgb", std=(0.2, 0.2))
    with pytest.raises(scipix.InvalidArgument, match=r"std\[0\]"):
        scipix.classify_to_tensor(img, 10, 8, "rgb", std=(0.0, 0.2, 0.2))
