"""scipix.ocr against RapidOCR (rapidocr-onnxruntime, pinned in
tests/python/requirements-nodeps.txt) and its real PP-OCRv4 models.

(a) the detector, classifier and recogniser inputs equal RapidOCR's arrays bit for bit;
(b) the detector's output maps from ONNX Runtime are identical for both inputs;
(c) the whole OCR pipeline returns the same boxes, strings and scores when RapidOCR's
    preprocessing steps are replaced by scipix's.
Inputs: text rendered with cv2.putText at sizes that reach every branch of the resize rule
(odd sizes included), and two real photos (tests/data/ocr: a photo of a sign, a launch photo
with text written on it).
"""
from __future__ import annotations

import importlib
import pathlib
import sys
from typing import Any, Dict, Iterator, List, Tuple

import numpy as np
import pytest

from scipix import ocr

from conftest import ROOT

rapidocr = pytest.importorskip(
    "rapidocr_onnxruntime",
    reason="rapidocr-onnxruntime is not installed (pip install --no-deps -r "
           "tests/python/requirements-nodeps.txt, plus the pins of tests/python/requirements.txt)")
import cv2  # noqa: E402
from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess  # noqa: E402

DATA = ROOT / "tests" / "data" / "ocr"
WORDS = ["SCIPIX 2026", "Hello OCR", "preprocess", "exact 0.5"]


def render(h: int, w: int, seed: int, words: List[str] = WORDS) -> np.ndarray:
    """A BGR image of h x w with black, coloured and white-on-dark text lines."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 235, np.uint8)
    img += rng.integers(0, 20, (h, w, 3), dtype=np.uint8)  # paper grain
    scale = max(0.4, min(h / 180, w / 700))
    thick = max(1, int(round(scale * 2)))
    y = int(40 * scale) + 4
    for i, text in enumerate(words):
        color = [(0, 0, 0), (160, 30, 20), (20, 20, 150), (40, 90, 40)][i % 4]
        cv2.putText(img, text, (int(12 * scale) + 2, y), cv2.FONT_HERSHEY_SIMPLEX, scale, color,
                    thick, cv2.LINE_AA)
        y += int(45 * scale) + 6
        if y >= h:
            break
    return img


def photo(name: str) -> np.ndarray:
    img = cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)
    assert img is not None, DATA / name
    return np.asarray(img)


def launch_photo_with_text() -> np.ndarray:
    img = photo("rocket.jpg").copy()
    cv2.putText(img, "DSCOVR 2015", (20, 60), cv2.FONT_HERSHEY_DUPLEX, 1.6, (255, 255, 255), 3,
                cv2.LINE_AA)
    return img


# (height, width): min side below 736 (upscaled), at or above it (ratio 1, only rounded to
# 32), odd sizes, portrait, wide strips, sizes whose rounding meets a half (48 -> 64).
DET_SIZES = [(37, 211), (48, 80), (120, 640), (301, 997), (480, 640), (720, 1280),
             (735, 735), (736, 1001), (777, 1283), (1080, 1920), (1283, 777), (2001, 913),
             (3024, 4032)]


@pytest.mark.parametrize("limit_type,limit", [("min", 736), ("max", 960), ("min", 100),
                                              ("max", 2000)])
@pytest.mark.parametrize("h,w", DET_SIZES)
def test_det_preprocess_equals_rapidocr(h: int, w: int, limit_type: str, limit: int) -> None:
    img = render(h, w, seed=h * 7 + w)
    ref = DetPreProcess(limit, limit_type)(img)
    got = ocr.det_preprocess(img, limit, limit_type)
    assert ref is not None and got is not None
    assert got.dtype == ref.dtype == np.float32 and got.shape == ref.shape
    assert got.tobytes() == ref.tobytes()


def test_det_resize_shape_rules() -> None:
    # "min": 480 -> 736 on the short side; 640 * 736 / 480 = 981.33 -> 981 -> 992 (31 -> 31*32)
    assert ocr.det_resize_shape(480, 640) == (736, 992)
    assert ocr.det_resize_shape(1080, 1920) == (1088, 1920)       # ratio 1, rounded to 32
    assert ocr.det_resize_shape(48, 80, 80, "max") == (64, 64)     # 1.5 -> 2, 2.5 -> 2
    assert ocr.det_resize_shape(10, 10, 10, "max") == (0, 0)
    assert ocr.det_limit_side_len(959, "max") == 960 and ocr.det_limit_side_len(1499, "max") == 1500
    assert ocr.det_limit_side_len(1500, "max") == 2000 and ocr.det_limit_side_len(5000, "min") == 736
    assert ocr.det_preprocess(np.zeros((10, 10, 3), np.uint8), 10, "max") is None
    assert DetPreProcess(10, "max")(np.zeros((10, 10, 3), np.uint8)) is None


def test_det_preprocess_every_byte_value() -> None:
    """All 256 values through the ratio-1 path: the scale is x * float32(1/255), not x / 255."""
    img = np.arange(32 * 32 * 3, dtype=np.uint32).reshape(32, 32, 3).astype(np.uint8)
    ref = DetPreProcess(32, "max")(img)
    got = ocr.det_preprocess(img, 32, "max")
    assert ref is not None and got is not None and got.tobytes() == ref.tobytes()
    x = np.arange(256, dtype=np.float32)
    assert (x / np.float32(255) != x * np.float32(1 / 255)).any()  # why the rule matters


@pytest.fixture(scope="module")
def engine() -> Any:
    return rapidocr.RapidOCR()


def crops_of(engine: Any, img: np.ndarray) -> List[np.ndarray]:
    boxes, _ = engine.text_det(img)
    assert boxes is not None and len(boxes) > 0
    return list(engine.get_crop_img_list(img, engine.sorted_boxes(boxes)))


def synthetic_crops(seed: int) -> List[np.ndarray]:
    """Crops of many aspect ratios (narrow, exactly 48 high, wider than the batch width) and
    a np.rot90 view, as RapidOCR makes for tall boxes."""
    rng = np.random.default_rng(seed)
    out: List[np.ndarray] = []
    for h, w in [(48, 17), (48, 320), (31, 7), (23, 401), (67, 180), (15, 1201), (100, 33)]:
        out.append(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    out.append(np.rot90(rng.integers(0, 256, (90, 30, 3), dtype=np.uint8)))
    return out


def rapid_rec_batch(engine: Any, crops: List[np.ndarray], ratio: float) -> np.ndarray:
    return np.concatenate([engine.text_rec.resize_norm_img(c, ratio)[np.newaxis] for c in crops]
                          ).astype(np.float32)


@pytest.mark.parametrize("source", ["rendered", "sign", "launch", "synthetic"])
def test_rec_and_cls_preprocess_equal_rapidocr(engine: Any, source: str) -> None:
    if source == "rendered":
        crops = crops_of(engine, render(333, 901, seed=5))
    elif source == "sign":
        crops = crops_of(engine, photo("text.png"))
    elif source == "launch":
        crops = crops_of(engine, launch_photo_with_text())
    else:
        crops = synthetic_crops(9)
    assert len(crops) >= 1
    # RapidOCR's batches: crops sorted by aspect ratio, 6 at a time
    order = np.argsort([c.shape[1] / float(c.shape[0]) for c in crops])
    batches = [[crops[i] for i in order[b:b + 6]] for b in range(0, len(crops), 6)]
    for batch in batches:
        ratio = ocr.rec_max_wh_ratio(batch)
        ref = rapid_rec_batch(engine, batch, ratio)
        got = ocr.rec_preprocess(batch)
        assert got.shape == ref.shape and got.tobytes() == ref.tobytes()
        ref_cls = np.concatenate([engine.text_cls.resize_norm_img(c)[np.newaxis] for c in batch])
        got_cls = ocr.cls_preprocess(batch)
        assert got_cls.shape == ref_cls.shape and got_cls.tobytes() == ref_cls.tobytes()
    if source == "synthetic":  # the batch width follows the widest crop: 15 x 1201 -> 3843
        assert ocr.rec_preprocess(crops).shape == (len(crops), 3, 48, int(48 * 1201 / 15))


def det_inputs() -> Iterator[Tuple[str, np.ndarray]]:
    yield "rendered 400x560", render(400, 560, seed=1)
    yield "rendered 777x1283", render(777, 1283, seed=2)
    yield "sign photo", photo("text.png")
    yield "launch photo", launch_photo_with_text()


@pytest.mark.parametrize("name,img", list(det_inputs()), ids=[n for n, _ in det_inputs()])
def test_detector_maps_identical(engine: Any, name: str, img: np.ndarray) -> None:
    det = engine.text_det
    limit = ocr.det_limit_side_len(max(img.shape[:2]), det.limit_type, det.limit_side_len)
    ref_in = det.get_preprocess(max(img.shape[:2]))(img)
    got_in = ocr.det_preprocess(img, limit, det.limit_type)
    assert got_in is not None and got_in.tobytes() == ref_in.tobytes()
    ref_map = det.infer(ref_in)[0]
    got_map = det.infer(got_in)[0]
    assert np.array_equal(got_map, ref_map)
    assert ref_map.max() > 0.9  # the detector sees text in every input


def use_scipix_preprocessing(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Dict[str, int]:
    """Routes RapidOCR's three preprocessing steps through scipix.ocr; counts the calls."""
    calls = {"det": 0, "cls": 0, "rec": 0}
    det = engine.text_det

    def det_pre(max_wh: int) -> Any:
        limit = ocr.det_limit_side_len(max_wh, det.limit_type, det.limit_side_len)

        def run(img: np.ndarray) -> Any:
            calls["det"] += 1
            return ocr.det_preprocess(img, limit, det.limit_type, det.mean[0], det.std[0])
        return run

    def cls_pre(img: np.ndarray) -> np.ndarray:
        calls["cls"] += 1
        return np.asarray(ocr.cls_preprocess([img], engine.text_cls.cls_image_shape)[0])

    def rec_pre(img: np.ndarray, max_wh_ratio: float) -> np.ndarray:
        calls["rec"] += 1
        return np.asarray(ocr.rec_preprocess([img], engine.text_rec.rec_image_shape,
                                             max_wh_ratio)[0])

    monkeypatch.setattr(det, "get_preprocess", det_pre)
    monkeypatch.setattr(engine.text_cls, "resize_norm_img", cls_pre)
    monkeypatch.setattr(engine.text_rec, "resize_norm_img", rec_pre)
    return calls


def texts(result: Any) -> List[str]:
    return [r[1] for r in result] if result else []


@pytest.mark.parametrize("name,img", list(det_inputs()), ids=[n for n, _ in det_inputs()])
def test_full_ocr_identical(engine: Any, monkeypatch: pytest.MonkeyPatch, name: str,
                            img: np.ndarray) -> None:
    own, _ = engine(img)
    with monkeypatch.context() as m:
        calls = use_scipix_preprocessing(engine, m)
        ours, _ = engine(img)
    # every crop is classified and recognised; results below text_score are dropped
    assert calls["det"] == 1 and calls["rec"] == calls["cls"] >= len(own) > 0
    assert ours == own  # boxes, strings and scores
    found = "".join(texts(own)).replace(" ", "")
    if name.startswith("rendered"):
        assert "SCIPIX2026" in found and "HelloOCR" in found, found
    elif name == "launch photo":
        assert "2015" in found and "DSC" in found, found


def test_quantized_detector_keeps_the_strings() -> None:
    """The detector with int8 per-channel weights (scipix.quant, quantize_model's rule) runs
    in ONNX Runtime; on rendered text the probability map moves a little (a pixel on a text
    edge can flip, so the largest difference is near 1; the mean stays below 0.001 and under
    0.5% of the pixels change side of the 0.3 threshold, benches/ocr_pp_ocrv4.py measured
    0.0006 and 0.06% at most on rendered text) and the recognised strings do not change."""
    sys.path.insert(0, str(ROOT / "benches"))
    try:
        bench: Any = importlib.import_module("ocr_pp_ocrv4")
    finally:
        sys.path.pop(0)
    fp32 = rapidocr.RapidOCR()
    model, stats = bench.quantized_detector("int8")
    assert stats["weights"] == 64 and stats["min_sqnr_db"] > 30
    q8 = bench.engine_with_detector(model)
    img = render(400, 560, seed=1)
    x = ocr.det_preprocess(img, fp32.text_det.limit_side_len, "min")
    a, b = fp32.text_det.infer(x)[0], q8.text_det.infer(x)[0]
    diff = np.abs(a.astype(np.float64) - b)
    flipped = float(np.mean((a > 0.3) != (b > 0.3)))
    assert 0 < diff.mean() < 1e-3 and flipped < 5e-3, (diff.mean(), flipped)
    own, quantized = texts(fp32(img)[0]), texts(q8(img)[0])
    assert quantized == own and len(own) >= 3
