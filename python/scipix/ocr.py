"""PP-OCR (PP-OCRv4 as run by RapidOCR) preprocessing, bit for bit.

The three models of the PP-OCR pipeline (text detector, direction classifier, recogniser)
take float32 NCHW tensors made from 8-bit BGR images; these functions build them with
scipix's OpenCV-exact resize and image-to-tensor conversion, and equal the arrays
``rapidocr_onnxruntime`` 1.4.4 feeds ONNX Runtime bit for bit (its ``DetPreProcess``,
``TextClassifier.resize_norm_img`` and ``TextRecognizer.resize_norm_img``):

* detector: resize with ``cv2.INTER_LINEAR`` to a size whose sides are multiples of 32
  (``det_resize_shape``), then ``(x * float32(1/255) - 0.5) / 0.5``;
* classifier and recogniser: height 48, width ``ceil(48 * w / h)`` capped at the tensor
  width, ``cv2.INTER_LINEAR``, ``(x / 255 - 0.5) / 0.5``, zero padding on the right.

Images are HxWx3 uint8 arrays in BGR order (what RapidOCR works on); the channel order is
kept, as RapidOCR keeps it.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np

from .errors import InvalidArgument
from .resize import resize_to_tensor
from .tensor import image_to_tensor, normalize_channels

DET_LIMIT_SIDE_LEN = 736
"""RapidOCR's default detector limit (``config.yaml``: ``limit_side_len: 736``, type "min")."""
REC_IMAGE_SHAPE = (3, 48, 320)
"""The recogniser's tensor shape (C, H, W) in RapidOCR's configuration."""
CLS_IMAGE_SHAPE = (3, 48, 192)
"""The direction classifier's tensor shape (C, H, W) in RapidOCR's configuration."""

# numpy multiplies a float32 array by the Python float 1/255 after rounding it to float32.
_DET_SCALE = float(np.float32(1.0 / 255.0))


def _bgr(image: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
            or image.shape[2] != 3:
        raise InvalidArgument(f"{name} must be an HxWx3 uint8 (BGR) array")
    if image.strides[2] != 1 or image.strides[1] != 3:  # e.g. np.rot90 views: pack the pixels
        image = np.ascontiguousarray(image)
    return image


def det_limit_side_len(max_wh: int, limit_type: str = "min",
                       limit_side_len: int = DET_LIMIT_SIDE_LEN) -> int:
    """The limit RapidOCR's ``TextDetector`` applies to an image whose longer side is
    ``max_wh``: ``limit_side_len`` for type "min"; for "max" 960 below 960, 1500 below 1500,
    otherwise 2000 (the configured value is then not used)."""
    if limit_type == "min":
        return limit_side_len
    if max_wh < 960:
        return 960
    if max_wh < 1500:
        return 1500
    return 2000


def det_resize_shape(height: int, width: int, limit_side_len: int = DET_LIMIT_SIDE_LEN,
                     limit_type: str = "min") -> Tuple[int, int]:
    """The detector's input (height, width) for an image of ``height`` x ``width``:

    * "min": when the shorter side is below ``limit_side_len``, scale so that it equals it
      (ratio ``limit / short side`` in double), else ratio 1;
    * "max": when the longer side is above ``limit_side_len``, scale so that it equals it,
      else ratio 1;

    then each side is ``int(side * ratio)`` (truncated) rounded to a multiple of 32 with
    Python's ``round`` (halves to even: 48 -> 64, 80 -> 64). A side may come out 0
    (RapidOCR then skips detection)."""
    if limit_type not in ("min", "max"):
        raise InvalidArgument(f"limit_type must be 'min' or 'max', got {limit_type!r}")
    h, w = int(height), int(width)
    ratio = 1.0
    if limit_type == "max":
        if max(h, w) > limit_side_len:
            ratio = float(limit_side_len) / (h if h > w else w)
    elif min(h, w) < limit_side_len:
        ratio = float(limit_side_len) / (h if h < w else w)
    rh = int(round(int(h * ratio) / 32) * 32)
    rw = int(round(int(w * ratio) / 32) * 32)
    return rh, rw


def det_preprocess(image: np.ndarray, limit_side_len: int = DET_LIMIT_SIDE_LEN,
                   limit_type: str = "min", mean: float = 0.5,
                   std: float = 0.5) -> Optional[np.ndarray]:
    """The detector's input tensor, shape (1, 3, H, W) float32, H and W from
    ``det_resize_shape``: ``cv2.resize(image, (W, H))`` (INTER_LINEAR), then per value
    ``(x * float32(1/255) - mean) / std``, HWC -> CHW. None when a side rounds to 0, as
    RapidOCR returns.

    Two passes, because RapidOCR scales by the reciprocal (``x * float32(1/255)``, which for
    126 of the 256 byte values differs from ``x / 255`` in the last bit, and which no
    divisor of the one-pass rule reproduces for all 256): the fused resize-to-tensor gives
    the exact scaled values, then the mean and std are applied in place. Bit for bit RapidOCR's array for its mean and std of 0.5 (it computes that step in
    double; with 0.5 the float32 result is the same); other values may differ by one float32
    unit in the last place."""
    img = _bgr(image, "image")
    rh, rw = det_resize_shape(img.shape[0], img.shape[1], limit_side_len, limit_type)
    if rh <= 0 or rw <= 0:
        return None
    if (rh, rw) == img.shape[:2]:  # cv2.resize to the same size copies
        t = image_to_tensor(img, "bgr", scale=_DET_SCALE)
    else:
        t = resize_to_tensor(img, (rw, rh), "cv_linear", "bgr", scale=_DET_SCALE)
    return normalize_channels(t, [mean], [std], inplace=True)


def _crop_width(h: int, w: int, img_h: int, img_w: int) -> int:
    ratio = w / float(h)
    return img_w if math.ceil(img_h * ratio) > img_w else int(math.ceil(img_h * ratio))


def _resize_norm_into(out: np.ndarray, crops: Sequence[np.ndarray], img_h: int, img_w: int) -> None:
    out.fill(0.0)
    for i, crop in enumerate(crops):
        img = _bgr(crop, f"crops[{i}]")
        rw = _crop_width(img.shape[0], img.shape[1], img_h, img_w)
        if (img_h, rw) == img.shape[:2]:
            t = image_to_tensor(img, "bgr", divisor=255.0, mean=0.5, std=0.5)
        else:
            t = resize_to_tensor(img, (rw, img_h), "cv_linear", "bgr", divisor=255.0, mean=0.5,
                                 std=0.5)
        out[i, :, :, :rw] = t[0]


def rec_max_wh_ratio(crops: Sequence[np.ndarray], image_shape: Sequence[int] = REC_IMAGE_SHAPE) -> float:
    """The widest aspect ratio of a recogniser batch: ``max(W / H, w / h of each crop)``."""
    _, img_h, img_w = image_shape
    r = img_w / img_h
    for c in crops:
        r = max(r, c.shape[1] * 1.0 / c.shape[0])
    return r


def rec_preprocess(crops: Sequence[np.ndarray], image_shape: Sequence[int] = REC_IMAGE_SHAPE,
                   max_wh_ratio: Optional[float] = None) -> np.ndarray:
    """The recogniser's input for one batch of text crops, shape (N, 3, H, Wb) float32 with
    (H, W) = ``image_shape[1:]`` and ``Wb = int(H * max_wh_ratio)`` (``rec_max_wh_ratio`` of
    the crops when not given): each crop resized (INTER_LINEAR) to height H and width
    ``ceil(H * w / h)`` capped at Wb, ``(x / 255 - 0.5) / 0.5``, zeros to the right.
    RapidOCR sorts crops by aspect ratio and runs batches of 6; pass one such batch."""
    crops = list(crops)
    if not crops:
        raise InvalidArgument("crops is empty")
    c, img_h, _ = (int(v) for v in image_shape)
    if c != 3:
        raise InvalidArgument("only 3-channel tensors are supported")
    ratio = rec_max_wh_ratio(crops, image_shape) if max_wh_ratio is None else max_wh_ratio
    img_w = int(img_h * ratio)
    out = np.empty((len(crops), 3, img_h, img_w), np.float32)
    _resize_norm_into(out, crops, img_h, img_w)
    return out


def cls_preprocess(crops: Sequence[np.ndarray],
                   image_shape: Sequence[int] = CLS_IMAGE_SHAPE) -> np.ndarray:
    """The direction classifier's input, shape (N, 3, H, W) = (N, *image_shape): the
    recogniser's rule with the fixed width W (no batch-wide ratio)."""
    crops = list(crops)
    if not crops:
        raise InvalidArgument("crops is empty")
    c, img_h, img_w = (int(v) for v in image_shape)
    if c != 3:
        raise InvalidArgument("only 3-channel tensors are supported")
    out = np.empty((len(crops), 3, img_h, img_w), np.float32)
    _resize_norm_into(out, crops, img_h, img_w)
    return out
