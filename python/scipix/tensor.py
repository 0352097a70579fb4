"""Image-to-tensor conversion and f32 tensor normalization.

``image_to_tensor(img, "rgb", ...)`` turns an 8-bit image (any numpy view whose pixels are
packed inside each row, e.g. a crop ``img[y0:y1, x0:x1]``) into a float32 NCHW or NHWC tensor
with the exact rule of ``ScipixTensorParams``::

    out = ((x / divisor - mean[c]) * scale) / std[c]      (float32, in this order, no FMA)

Presets: ``torchvision(mean, std)`` (``ToTensor()`` + ``Normalize``) and
``blob_from_image(scalefactor, mean, swap_rb)`` (OpenCV ``dnn.blobFromImage``) return the
keyword arguments to pass.
"""
from __future__ import annotations

import ctypes
import math
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ._arrays import cf32_out, cimage, cimages, contiguous_in, format_value, ptr
from ._ffi import _decl, _ffi, check
from .errors import InvalidArgument, UnsupportedFormat

LAYOUTS = ("nchw", "nhwc")


_LAYOUT_VALUES = {k: _ffi.consts[f"SCIPIX_LAYOUT_{k.upper()}"] for k in LAYOUTS
                  if f"SCIPIX_LAYOUT_{k.upper()}" in _ffi.consts}
_NCHW = _LAYOUT_VALUES.get("nchw")
_TENSOR_PARAMS_P = _decl.typeof("ScipixTensorParams *")
_new = _decl.new  # zero-filled structs
_c_image_to_tensor = _ffi.cfn("scipix_image_to_tensor")
_c_images_to_tensor = _ffi.cfn("scipix_images_to_tensor")
_c_image_tensor_len = _ffi.cfn("scipix_image_tensor_len")


def _layout_value(layout: Any) -> int:
    if type(layout) is str:
        v = _LAYOUT_VALUES.get(layout)
        if v is not None:
            return v
    if isinstance(layout, str):
        key = layout.lower()
        if key not in LAYOUTS:
            raise UnsupportedFormat(f"unknown tensor layout {layout!r}; nchw or nhwc")
        return _ffi.const(f"SCIPIX_LAYOUT_{key.upper()}")
    return int(layout)


def _vec4(values: Any, fill: float, what: str) -> Any:
    if values is None:
        return [fill] * 4
    if np.isscalar(values):
        return [float(values)] * 4  # type: ignore[arg-type]  # np.isscalar: a number
    vals = [float(v) for v in values]
    if not 1 <= len(vals) <= 4:
        raise InvalidArgument(f"{what} must have 1 to 4 entries (one per channel), got {len(vals)}")
    if len(vals) == 1:
        return vals * 4
    return vals + [fill] * (4 - len(vals))


def tensor_params(*, divisor: float = 1.0, mean: Any=None, std: Any=None, scale: float = 1.0,
                  swap_rb: bool = False, layout: Union[str, int] = "nchw") -> Any:
    """A filled ``ScipixTensorParams`` (starting from ``scipix_tensor_params_default``).
    ``mean``/``std``: one value for every channel or one per output channel."""
    cls = _ffi.type("ScipixTensorParams")
    p = cls()
    _ffi.scipix_tensor_params_default(ctypes.byref(p))
    p.divisor = divisor
    p.scale = scale
    p.mean[:] = _vec4(mean, 0.0, "mean")
    p.std[:] = _vec4(std, 1.0, "std")
    p.swap_rb = bool(swap_rb)
    p.layout = _layout_value(layout)
    return p


# Fields of ScipixTensorParams in declaration order, as ``ctensor_params`` fills them (a test
# compares this with the header).
TENSOR_PARAMS_FIELDS = ("scale", "mean", "std", "swap_rb", "layout", "divisor")
_DEFAULT_VEC = {0.0: [0.0] * 4, 1.0: [1.0] * 4}


def ctensor_params(divisor: float = 1.0, mean: Any = None, std: Any = None, scale: float = 1.0,
                   swap_rb: bool = False, layout: Union[str, int] = "nchw") -> Any:
    """``tensor_params`` as a cffi ``ScipixTensorParams *`` for calls through ``_ffi.c``
    (every field set here; the C function validates the values)."""
    return _new(_TENSOR_PARAMS_P, (
        scale, _DEFAULT_VEC[0.0] if mean is None else _vec4(mean, 0.0, "mean"),
        _DEFAULT_VEC[1.0] if std is None else _vec4(std, 1.0, "std"), bool(swap_rb),
        _layout_value(layout), divisor))


def torchvision(mean: Sequence[float], std: Sequence[float]) -> Dict[str, Any]:
    """Keyword arguments reproducing torchvision ``ToTensor()`` then ``Normalize(mean, std)``
    on an RGB image: divisor 255, the given mean and std, scale 1."""
    return {"divisor": 255.0, "mean": mean, "std": std, "scale": 1.0}


def blob_from_image(scalefactor: float = 1.0, mean: Any=(0.0, 0.0, 0.0), swap_rb: bool = False) -> Dict[str, Any]:
    """Keyword arguments reproducing OpenCV ``dnn.blobFromImage(img, scalefactor, size, mean,
    swapRB)`` without resizing: divisor 1, the given mean, scale = scalefactor, std 1.
    OpenCV subtracts ``mean`` in the order of the channels after the swap, as here."""
    return {"divisor": 1.0, "mean": mean, "std": 1.0, "scale": scalefactor, "swap_rb": swap_rb}


def _channels(fmt_channels: int) -> int:
    return 1 if fmt_channels == 1 else 3


def _shape(n: int, c: int, h: int, w: int, layout: Any) -> Tuple[int, ...]:
    return (n, c, h, w) if _layout_value(layout) == _NCHW else (n, h, w, c)


def _out(out: Any, shape: Any) -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype=np.float32)
    n = math.prod(shape)
    if not isinstance(out, np.ndarray) or out.dtype != np.float32:
        raise UnsupportedFormat("out must be a float32 numpy array")
    if not out.flags.c_contiguous or not out.flags.writeable or not out.flags.aligned:
        raise InvalidArgument("out must be a writable, aligned, C-contiguous float32 array")
    if out.size != n:
        raise InvalidArgument(f"out must hold {n} floats (shape {shape}), it holds {out.size}")
    return out


def image_tensor_len(image: np.ndarray, format: Any=None) -> int:
    """Floats the tensor of ``image`` needs (``scipix_image_tensor_len``)."""
    desc, _keep = cimage(image, format)
    n = _new("size_t *")
    st = _c_image_tensor_len(desc, n)
    if st:
        check(st)
    return int(n[0])


def image_to_tensor(image: np.ndarray, format: Any=None, *, divisor: float = 1.0, mean: Any=None,
                    std: Any=None, scale: float = 1.0, swap_rb: bool = False, layout: Union[str, int] = "nchw",
                    out: Optional[np.ndarray] = None) -> np.ndarray:
    """Converts one uint8 image (HxW gray or HxWxC with ``format`` "rgb", "bgr", "rgba",
    "bgra") into a float32 tensor of shape (1, C, H, W) (``layout="nchw"``) or (1, H, W, C),
    C = 1 for gray and 3 for colour (alpha dropped). ``out``: a float32 C-contiguous array of
    that many elements to write into (returned as is). ``scipix_image_to_tensor``."""
    desc, keep = cimage(image, format, "image")
    params = ctensor_params(divisor, mean, std, scale, swap_rb, layout)
    shape = ((1, 1 if keep.ndim == 2 else 3, keep.shape[0], keep.shape[1])
             if params.layout == _NCHW else
             (1, keep.shape[0], keep.shape[1], 1 if keep.ndim == 2 else 3))
    res = _out(out, shape)
    st = _c_image_to_tensor(desc, params, cf32_out(res), res.size)
    if st:
        check(st)
    return res


def images_to_tensor(images: Sequence[np.ndarray], formats: Any=None, *, divisor: float = 1.0,
                     mean: Any=None, std: Any=None, scale: float = 1.0, swap_rb: bool = False,
                     layout: Union[str, int] = "nchw", out: Optional[np.ndarray] = None) -> np.ndarray:
    """Packs N same-size images into one (N, C, H, W) (or NHWC) float32 tensor, converting
    them in parallel on scipix's pool (``scipix_images_to_tensor``). ``formats``: one format
    for all images or one per image."""
    descs, keep = cimages(images, formats)
    _, fch = format_value(descs[0].format)
    shape = _shape(len(keep), _channels(fch), keep[0].shape[0], keep[0].shape[1], layout)
    params = ctensor_params(divisor, mean, std, scale, swap_rb, layout)
    res = _out(out, shape)
    st = _c_images_to_tensor(descs, len(keep), params, cf32_out(res), res.size)
    if st:
        check(st)
    return res


# -- normalization of f32 buffers -------------------------------------------------------------

def _f32_in_out(x: Any, out: Any, inplace: bool) -> Tuple[np.ndarray, np.ndarray]:
    if inplace:
        if not isinstance(x, np.ndarray) or x.dtype != np.float32 or not x.flags.c_contiguous \
                or not x.flags.writeable or not x.flags.aligned:
            raise InvalidArgument("in-place normalization needs a writable, aligned, C-contiguous "
                                  "float32 array")
        return x, x
    src = contiguous_in(x, np.float32, "x")
    if out is None:
        dst = np.empty_like(src)
    else:
        if not isinstance(out, np.ndarray) or out.dtype != np.float32:
            raise UnsupportedFormat("out must be a float32 numpy array")
        if out.shape != src.shape or not out.flags.c_contiguous or not out.flags.writeable \
                or not out.flags.aligned:
            raise InvalidArgument(f"out must be a writable C-contiguous float32 array of shape {src.shape}")
        dst = out
    return src, dst


def normalize(x: Any, *, eps: float = 1e-8, out: Optional[np.ndarray] = None,
              inplace: bool = False, return_stats: bool = False) -> Any:
    """Zero mean, unit variance: ``(x - mean) * (1 / sqrt(var + eps))`` over all elements,
    statistics in double (``scipix_normalize_f32``). Returns the float32 result, or
    ``(result, mean, std)`` with ``return_stats``."""
    src, dst = _f32_in_out(x, out, inplace)
    m, s = ctypes.c_float(), ctypes.c_float()
    _ffi.scipix_normalize_f32(ptr(src, ctypes.c_float), ptr(dst, ctypes.c_float), src.size,
                              eps, ctypes.byref(m), ctypes.byref(s))
    return (dst, m.value, s.value) if return_stats else dst


def tensor_stats(x: Any) -> Tuple[float, float]:
    """(mean, population variance) of all elements, in double (``scipix_tensor_stats_f32``)."""
    src = contiguous_in(x, np.float32, "x")
    m, v = ctypes.c_double(), ctypes.c_double()
    _ffi.scipix_tensor_stats_f32(ptr(src, ctypes.c_float), src.size, ctypes.byref(m), ctypes.byref(v))
    return m.value, v.value


def normalize_channels(x: Any, mean: Sequence[float], std: Sequence[float], *, layout: Union[str, int] = "nchw",
                       out: Optional[np.ndarray] = None, inplace: bool = False) -> np.ndarray:
    """Per-channel ``(x - mean[c]) / std[c]`` (``scipix_normalize_channels_f32``). For
    ``layout="nchw"`` ``x`` is C planes (shape (C, H, W) or (1, C, H, W)); for ``"nhwc"`` the
    channel is the last axis. The channel count is ``len(mean)``."""
    src, dst = _f32_in_out(x, out, inplace)
    m = np.ascontiguousarray(mean, dtype=np.float32).ravel()
    s = np.ascontiguousarray(std, dtype=np.float32).ravel()
    if m.size != s.size:
        raise InvalidArgument(f"mean has {m.size} entries but std has {s.size}")
    _ffi.scipix_normalize_channels_f32(ptr(src, ctypes.c_float), ptr(dst, ctypes.c_float),
                                       src.size, m.size, _layout_value(layout),
                                       ptr(m, ctypes.c_float), ptr(s, ctypes.c_float))
    return dst
