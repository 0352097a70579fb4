"""Resizing bit-exact with OpenCV and Pillow, crop and pad, letterbox, and the fused
resize-to-tensor pipelines.

Modes (``mode=``): "cv_nearest", "cv_nearest_exact", "cv_linear", "cv_linear_exact",
"cv_area", "cv_cubic" (equal to ``cv2.resize`` with that ``INTER_*``) and "pil_nearest",
"pil_box", "pil_bilinear", "pil_bicubic", "pil_lanczos" (equal to ``PIL.Image.resize``
with that filter), or the ``SCIPIX_RESIZE_*`` numbers.

Images are HxW (gray) or HxWxC uint8 arrays with ``format`` "rgb", "bgr", "rgba" or
"bgra", as in ``scipix.image``; row-strided views are passed without copies.
"""
from __future__ import annotations

import ctypes
import math
import numbers
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, SupportsInt, Tuple, Union, cast

import numpy as np
import numpy.typing as npt

from ._arrays import (FORMAT_ITEM, io_fill, io_push, _NDARRAY, _U8, _U8_ARRAY, cf32_in,
                      cf32_out, cimage, cimage_mut, cimages, format_value)
from ._ffi import _decl, _ffi, check
from ._handles import NotPicklable
from .errors import InvalidArgument
from .tensor import _NCHW, _layout_value, ctensor_params

Size = Union[int, Sequence[int]]
"""A size: an int (square) or a (width, height) pair."""
Mode = Union[str, int]
"""A resize mode name (``MODES``) or a ``SCIPIX_RESIZE_*`` number."""
Format = Optional[Union[str, int]]
"""A pixel format name ("rgb", "bgr", "rgba", "bgra", "gray") or ``PixelFormat``; None: gray."""
Color = Union[int, Sequence[int], None]
"""A fill colour: one value for every channel or one per channel (0..255)."""

MODES = ("cv_nearest", "cv_nearest_exact", "cv_linear", "cv_linear_exact", "cv_area",
         "cv_cubic", "pil_nearest", "pil_box", "pil_bilinear", "pil_bicubic", "pil_lanczos")


_MODE_VALUES = {k: _ffi.consts[f"SCIPIX_RESIZE_{k.upper()}"] for k in MODES
                if f"SCIPIX_RESIZE_{k.upper()}" in _ffi.consts}
_MODE_ITEM: Callable[[Any], int] = _MODE_VALUES.__getitem__


def _mode_value(mode: Mode) -> int:
    if type(mode) is str:
        v = _MODE_VALUES.get(mode)
        if v is not None:
            return v
    if isinstance(mode, str):
        key = mode.lower()
        if key not in MODES:
            raise InvalidArgument(f"unknown resize mode {mode!r}; one of {', '.join(MODES)}")
        return _ffi.const(f"SCIPIX_RESIZE_{key.upper()}")
    return int(mode)


def _size(value: Any, what: str) -> int:
    """A positive integer size; NaN, infinities, negatives, zero and fractions are refused
    with a message naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgument(f"{what} must be a positive integer, got {value!r}")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise InvalidArgument(f"{what} must be a positive integer, got {value!r}")
    n = cast(SupportsInt, value)  # a numbers.Real: int() takes it
    if value != int(n) or int(n) <= 0:
        raise InvalidArgument(f"{what} must be a positive integer, got {value!r}")
    return int(n)


def _wh(size: Any, what: str) -> Tuple[int, int]:
    """(width, height) from an int (square) or a (width, height) pair."""
    if type(size) is tuple and len(size) == 2:  # the common case, without the number checks
        w, h = size
        if type(w) is int and type(h) is int and w > 0 and h > 0:
            return w, h
    elif type(size) is int and size > 0:
        return size, size
    if isinstance(size, numbers.Real) and not isinstance(size, bool):
        s = _size(size, what)
        return s, s
    try:
        w, h = size
    except (TypeError, ValueError):
        raise InvalidArgument(f"{what} must be an int or a (width, height) pair, got {size!r}") from None
    return _size(w, f"{what} width"), _size(h, f"{what} height")


def _fill(color: Any, channels: int) -> ctypes.Array[ctypes.c_uint8]:
    return (ctypes.c_uint8 * 4)(*_fill4(color, channels))


def _fill4(color: Any, channels: int) -> Tuple[int, int, int, int]:
    """The 4 fill bytes of a colour (one value, or ``channels`` to 4 values, each 0..255)."""
    if type(color) is int and 0 <= color <= 255:
        return (color, color, color, color)
    if color is None:
        vals = [0] * 4
    elif isinstance(color, numbers.Real):
        vals = [int(cast(SupportsInt, color))] * 4
    else:
        vals = [int(v) for v in color]
        if len(vals) < channels or len(vals) > 4:
            raise InvalidArgument(f"color must have {channels} to 4 values, got {len(vals)}")
        vals = vals + [vals[-1]] * (4 - len(vals))
    if any(v < 0 or v > 255 for v in vals):
        raise InvalidArgument(f"color values must be 0..255, got {vals}")
    return (vals[0], vals[1], vals[2], vals[3])


def _out_image(out: Optional[np.ndarray], shape: Tuple[int, ...], name: str = "out") -> np.ndarray:
    if type(out) is np.ndarray and out.shape == shape:
        return out
    if out is None:
        out = np.empty(shape, np.uint8)
    elif not isinstance(out, np.ndarray) or tuple(out.shape) != tuple(shape):
        raise InvalidArgument(f"{name} must be a uint8 array of shape {tuple(shape)}")
    return out


def _shape_like(keep: np.ndarray, w: int, h: int) -> Tuple[int, ...]:
    return (h, w) if keep.ndim == 2 else (h, w, keep.shape[2])


_c_resize = _ffi.cfn("scipix_resize")
_c_resizer_run = _ffi.cfn("scipix_resizer_run")
_c_resizer_run_window = _ffi.cfn("scipix_resizer_run_window")
_c_resizer_sizes = _ffi.cfn("scipix_resizer_sizes")
_c_center_crop_rect = _ffi.cfn("scipix_center_crop_rect")
_c_crop_pad = _ffi.cfn("scipix_crop_pad")
_c_pad_constant = _ffi.cfn("scipix_pad_constant")
_c_letterbox_info = _ffi.cfn("scipix_letterbox_info")
_c_letterbox = _ffi.cfn("scipix_letterbox")
_c_letterbox_to_tensor = _ffi.cfn("scipix_letterbox_to_tensor")
_c_letterbox_batch_to_tensor = _ffi.cfn("scipix_letterbox_batch_to_tensor")
_c_classify_to_tensor = _ffi.cfn("scipix_classify_to_tensor")
_c_classify_batch_to_tensor = _ffi.cfn("scipix_classify_batch_to_tensor")
_c_resize_to_tensor = _ffi.cfn("scipix_resize_to_tensor")
_c_resize_batch_to_tensor = _ffi.cfn("scipix_resize_batch_to_tensor")
_from_buffer = _decl.from_buffer
_empty = np.empty
# descriptors are filled in full by their initialisers: no zeroing
_new = _decl.new_allocator(should_clear_after_alloc=False)
_new0 = _decl.new  # zero-filled: structs whose every field is not given
_LB_PARAMS_P = _decl.typeof("ScipixLetterboxParams *")
_LB_INFO_P = _decl.typeof("ScipixLetterboxInfo *")
_CLASSIFY_P = _decl.typeof("ScipixClassifyParams *")
_CROP_RECT_P = _decl.typeof("ScipixCropRect *")
_SIZE_P = _decl.typeof("size_t *")
# Fields of the param structs in declaration order, as filled here (a test compares these
# with the header).
LETTERBOX_PARAMS_FIELDS = ("width", "height", "color", "scaleup", "auto_pad", "scale_fill",
                           "center", "stride")
CLASSIFY_PARAMS_FIELDS = ("resize_short", "crop_width", "crop_height", "layout")


def resize(image: np.ndarray, size: Size, mode: Mode = "cv_linear", format: Format = None, *,
           out: Optional[np.ndarray] = None) -> np.ndarray:
    """Resizes to ``size`` = (width, height) (or an int for a square), bit for bit
    ``cv2.resize(image, (w, h), interpolation=...)`` for the "cv_*" modes and
    ``np.asarray(Image.fromarray(image).resize((w, h), filter))`` for the "pil_*" modes
    (``scipix_resize``)."""
    # Fast path: C-contiguous uint8 ndarray in (and out), a (w, h) tuple of ints, a format
    # name/value of the cache, a mode name or number. Anything else, or any check failing
    # here, takes the general path below, which raises the error.
    if type(image) is _NDARRAY and image.dtype is _U8 and type(size) is tuple:
        sh = image.shape
        try:
            v, ch = FORMAT_ITEM(format)
            m = mode if type(mode) is int else _MODE_ITEM(mode)
            w, h = size
        except (KeyError, TypeError, ValueError):
            pass  # unknown or unhashable format or mode, not a pair: the general path
        else:
            if (len(sh) == 2 if ch == 1 else len(sh) == 3 and sh[2] == ch) and sh[0] and sh[1] \
                    and type(w) is int and type(h) is int and w > 0 and h > 0:
                oshape = (h, w) if ch == 1 else (h, w, ch)
                fres: Optional[np.ndarray] = None
                if out is None:
                    fres = _empty(oshape, _U8)
                elif type(out) is _NDARRAY and out.dtype is _U8 and out.shape == oshape:
                    fres = out
                if fres is not None:
                    try:
                        sbuf = _from_buffer(_U8_ARRAY, image)
                        dbuf = _from_buffer(_U8_ARRAY, fres, True)
                    except (BufferError, ValueError, TypeError):
                        pass  # not C-contiguous, read-only out: the general path
                    else:
                        e = io_fill(sbuf, sh, ch, v, dbuf, oshape, ch, v)
                        st = _c_resize(e[0], e[1], m)
                        io_push(e)
                        if st:
                            check(st)
                        return fres
    # the common arguments checked inline (a call each costs as much as the check)
    if type(size) is tuple and len(size) == 2 and type(size[0]) is int \
            and type(size[1]) is int and size[0] > 0 and size[1] > 0:
        w, h = size
    else:
        w, h = _wh(size, "size")
    src, keep = cimage(image, format, "image")
    if keep.ndim == 2:
        shape: Tuple[int, ...] = (h, w)
        fmt: Format = "gray" if format is None else format
    else:
        shape, fmt = (h, w, keep.shape[2]), format
    if out is None:
        res = np.empty(shape, np.uint8)
    elif type(out) is np.ndarray and out.shape == shape:
        res = out
    else:
        res = _out_image(out, shape)
    mv = _MODE_VALUES.get(mode) if type(mode) is str else None
    st = _c_resize(src, cimage_mut(res, fmt, "out"), _mode_value(mode) if mv is None else mv)
    if st:
        check(st)
    return res


class Resizer(NotPicklable):
    """A reusable resizer for one (source size, destination size, format, mode): the
    coefficient tables are built once (``scipix_resizer_new``). Thread-safe."""

    def __init__(self, src_size: Size, dst_size: Size, mode: Mode = "cv_linear",
                 format: Union[str, int] = "rgb") -> None:
        self.src_size = _wh(src_size, "src_size")
        self.dst_size = _wh(dst_size, "dst_size")
        self.format = format
        fval, self._channels = format_value(format)
        self._fval = fval
        w, h = self.dst_size
        self._dst_shape = (h, w) if self._channels == 1 else (h, w, self._channels)
        self._ndim = 2 if self._channels == 1 else 3
        handle = ctypes.POINTER(_ffi.type("ScipixResizer"))()
        _ffi.scipix_resizer_new(self.src_size[0], self.src_size[1], self.dst_size[0],
                                self.dst_size[1], fval, _mode_value(mode), ctypes.byref(handle))
        self._h: Optional[Any] = handle  # POINTER(ScipixResizer); None once closed
        # the same handle for the cffi calls of __call__; NULL once closed
        self._c: Any = _decl.cast(
            "ScipixResizer *", ctypes.cast(handle, ctypes.c_void_p).value or 0)

    def __call__(self, image: np.ndarray, *, out: Optional[np.ndarray] = None) -> np.ndarray:
        # fast path: C-contiguous uint8 arrays of the format's channel layout (the C
        # function checks the size); anything else the general path below
        if type(image) is _NDARRAY and image.dtype is _U8:
            sh = image.shape
            ch = self._channels
            if len(sh) == self._ndim and (ch == 1 or sh[2] == ch) and sh[0] and sh[1]:
                fres: Optional[np.ndarray] = None
                if out is None:
                    fres = _empty(self._dst_shape, _U8)
                elif type(out) is _NDARRAY and out.dtype is _U8 and out.shape == self._dst_shape:
                    fres = out
                if fres is not None:
                    try:
                        sbuf = _from_buffer(_U8_ARRAY, image)
                        dbuf = _from_buffer(_U8_ARRAY, fres, True)
                    except (BufferError, ValueError, TypeError):
                        pass
                    else:
                        v = self._fval
                        e = io_fill(sbuf, sh, ch, v, dbuf, self._dst_shape, ch, v)
                        st = _c_resizer_run(self._c, e[0], e[1])
                        io_push(e)
                        if st:
                            check(st)
                        return fres
        src, keep = cimage(image, self.format, "image")
        w, h = self.dst_size
        res = _out_image(out, _shape_like(keep, w, h))
        st = _c_resizer_run(self._c, src, cimage_mut(res, self.format, "out"))
        if st:
            check(st)
        return res

    def window(self, image: np.ndarray, x0: int, y0: int, width: int, height: int) -> np.ndarray:
        """Pixels ``[y0:y0+height, x0:x0+width]`` of the full result, computed alone."""
        src, keep = cimage(image, self.format, "image")
        res = np.empty(_shape_like(keep, width, height), np.uint8)
        st = _c_resizer_run_window(self._c, src, x0, y0, cimage_mut(res, self.format, "out"))
        if st:
            check(st)
        return res

    def sizes(self) -> Tuple[Tuple[int, int], Tuple[int, int]]:
        """((src width, src height), (dst width, dst height)) as the library holds them
        (``scipix_resizer_sizes``)."""
        v = [ctypes.c_size_t() for _ in range(4)]
        _ffi.scipix_resizer_sizes(self._h, *[ctypes.byref(x) for x in v])
        return (v[0].value, v[1].value), (v[2].value, v[3].value)

    def close(self) -> None:
        if getattr(self, "_h", None) is not None:
            self._c = _decl.NULL
            _ffi.scipix_resizer_free(self._h)
            self._h = None

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> Resizer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class CropRect(NamedTuple):
    left: int
    top: int
    width: int
    height: int


def center_crop_rect(image_size: Size, crop_size: Size) -> CropRect:
    """The window ``torchvision.transforms.CenterCrop`` takes: ``image_size`` and
    ``crop_size`` as (width, height) or int (``scipix_center_crop_rect``)."""
    w, h = _wh(image_size, "image_size")
    cw, ch = _wh(crop_size, "crop_size")
    r = _new(_CROP_RECT_P)
    st = _c_center_crop_rect(w, h, cw, ch, r)
    if st:
        check(st)
    return CropRect(r.left, r.top, r.width, r.height)


def crop_pad(image: np.ndarray, left: int, top: int, size: Size, format: Format = None, *,
             fill: Color = 0,
             out: Optional[np.ndarray] = None) -> np.ndarray:
    """The ``size`` = (width, height) window at (left, top), padded with ``fill`` outside
    the image (``scipix_crop_pad``)."""
    w, h = _wh(size, "size")
    src, keep = cimage(image, format, "image")
    fmt = format if format is not None else "gray"
    res = _out_image(out, _shape_like(keep, w, h))
    fill4 = _fill4(fill, 1 if keep.ndim == 2 else keep.shape[2])
    st = _c_crop_pad(src, int(left), int(top), cimage_mut(res, fmt, "out"), fill4)
    if st:
        check(st)
    return res


def center_crop(image: np.ndarray, size: Size, format: Format = None, *,
                fill: Color = 0) -> np.ndarray:
    """``torchvision.transforms.CenterCrop((h, w))`` of ``image``; ``size`` = (width,
    height) or int. Pads with ``fill`` (torchvision: 0) when the crop is larger."""
    a = image if type(image) is _NDARRAY else np.asarray(image)
    r = center_crop_rect((a.shape[1], a.shape[0]), size)
    return crop_pad(a, r.left, r.top, (r.width, r.height), format, fill=fill)


def pad_constant(image: np.ndarray, top: int, bottom: int, left: int, right: int,
                 format: Format = None, *, value: Color = 0) -> np.ndarray:
    """``cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT,
    value=value)`` (``scipix_pad_constant``)."""
    for v, n in ((top, "top"), (bottom, "bottom"), (left, "left"), (right, "right")):
        if int(v) < 0:
            raise InvalidArgument(f"{n} must be >= 0, got {v}")
    src, keep = cimage(image, format, "image")
    fmt = format if format is not None else "gray"
    h, w = keep.shape[0] + top + bottom, keep.shape[1] + left + right
    res = np.empty(_shape_like(keep, w, h), np.uint8)
    fill4 = _fill4(value, 1 if keep.ndim == 2 else keep.shape[2])
    st = _c_pad_constant(src, cimage_mut(res, fmt, "out"), int(top), int(left), fill4)
    if st:
        check(st)
    return res


class LetterboxInfo(NamedTuple):
    """Where the frame lands: a letterbox point (x, y) maps back to
    ``((x - left) / scale_x, (y - top) / scale_y)``."""
    scale_x: float
    scale_y: float
    resized_width: int
    resized_height: int
    left: int
    top: int
    right: int
    bottom: int
    out_width: int
    out_height: int

    def to_source(self, boxes: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Maps boxes (..., 4) as x1, y1, x2, y2 from the letterbox back to the frame."""
        b = np.array(boxes, dtype=np.float64, copy=True)
        b[..., [0, 2]] = (b[..., [0, 2]] - self.left) / self.scale_x
        b[..., [1, 3]] = (b[..., [1, 3]] - self.top) / self.scale_y
        return b


def _letterbox_params(new_shape: Size, color: Color, scaleup: bool, auto: bool, scale_fill: bool,
                      center: bool, stride: int, channels: int) -> Any:
    w, h = _wh(new_shape, "new_shape")
    p = _ffi.type("ScipixLetterboxParams")()
    _ffi.scipix_letterbox_params_default(ctypes.byref(p))
    p.width, p.height = w, h
    p.color[:] = list(_fill(color, channels))
    p.scaleup, p.auto_pad, p.scale_fill, p.center = bool(scaleup), bool(auto), bool(scale_fill), bool(center)
    p.stride = _size(stride, "stride")
    return p


def _clb_params(new_shape: Size, color: Color, scaleup: bool, auto: bool, scale_fill: bool,
                center: bool, stride: int, channels: int) -> Any:
    """``_letterbox_params`` as a cffi ``ScipixLetterboxParams *`` (every field set)."""
    w, h = _wh(new_shape, "new_shape")
    fill4 = _fill4(color, channels)
    s = stride if type(stride) is int and stride > 0 else _size(stride, "stride")
    return _new(_LB_PARAMS_P, (w, h, fill4, bool(scaleup), bool(auto), bool(scale_fill),
                               bool(center), s))


def _info(i: Any) -> LetterboxInfo:
    return LetterboxInfo(i.scale_x, i.scale_y, i.resized_width, i.resized_height, i.left, i.top,
                         i.right, i.bottom, i.out_width, i.out_height)


def letterbox_info(image_size: Size, new_shape: Size = 640, *, scaleup: bool = True,
                   auto: bool = False, scale_fill: bool = False, center: bool = True,
                   stride: int = 32) -> LetterboxInfo:
    """Ultralytics ``LetterBox`` geometry for a frame of ``image_size`` = (width, height)
    (``scipix_letterbox_info``). ``new_shape``: int or (width, height)."""
    w, h = _wh(image_size, "image_size")
    p = _clb_params(new_shape, 114, scaleup, auto, scale_fill, center, stride, 1)
    i = _new(_LB_INFO_P)
    st = _c_letterbox_info(w, h, p, i)
    if st:
        check(st)
    return _info(i)


def letterbox(image: np.ndarray, new_shape: Size = 640, format: Format = None, *,
              color: Color = 114, scaleup: bool = True, auto: bool = False,
              scale_fill: bool = False, center: bool = True,
              stride: int = 32) -> Tuple[np.ndarray, LetterboxInfo]:
    """Ultralytics ``LetterBox`` (cv2 ``INTER_LINEAR`` + ``copyMakeBorder``), bit for bit.
    ``new_shape``: int or (width, height). Returns (image, LetterboxInfo)."""
    src, keep = cimage(image, format, "image")
    p = _clb_params(new_shape, color, scaleup, auto, scale_fill, center, stride,
                    1 if keep.ndim == 2 else keep.shape[2])
    i = _new(_LB_INFO_P)
    st = _c_letterbox_info(keep.shape[1], keep.shape[0], p, i)  # the output size
    if st:
        check(st)
    fmt = format if format is not None else "gray"
    res = np.empty(_shape_like(keep, i.out_width, i.out_height), np.uint8)
    st = _c_letterbox(src, cimage_mut(res, fmt, "out"), p, i)
    if st:
        check(st)
    return res, _info(i)


def _tensor_shape(n: int, c: int, h: int, w: int, layout: Union[str, int]) -> Tuple[int, ...]:
    return (n, c, h, w) if _layout_value(layout) == _NCHW else (n, h, w, c)


def letterbox_to_tensor(image: np.ndarray, new_shape: Size = 640, format: Format = None, *,
                        color: Color = 114, scaleup: bool = True, auto: bool = False,
                        scale_fill: bool = False, center: bool = True, stride: int = 32,
                        layout: Union[str, int] = "nchw") -> Tuple[np.ndarray, LetterboxInfo]:
    """Letterbox then RGB float32 ``/255`` in one pass (``scipix_letterbox_to_tensor``):
    equal to ``cv2.dnn.blobFromImage(letterboxed, 1/255, swapRB=True)`` for BGR input.
    Returns (tensor of shape (1, C, H, W) or (1, H, W, C), LetterboxInfo)."""
    src, keep = cimage(image, format, "image")
    p = _clb_params(new_shape, color, scaleup, auto, scale_fill, center, stride,
                    1 if keep.ndim == 2 else keep.shape[2])
    i = _new(_LB_INFO_P)
    st = _c_letterbox_info(keep.shape[1], keep.shape[0], p, i)  # the output size
    if st:
        check(st)
    c = 1 if keep.ndim == 2 else 3
    lv = _layout_value(layout)
    res = np.empty(_tensor_shape(1, c, i.out_height, i.out_width, lv), np.float32)
    st = _c_letterbox_to_tensor(src, p, lv, cf32_out(res), res.size, 0, i)
    if st:
        check(st)
    return res, _info(i)


def letterbox_batch_to_tensor(images: Sequence[np.ndarray], new_shape: Size = 640,
                              formats: Union[Format, Sequence[Format]] = None, *,
                              color: Color = 114, scaleup: bool = True, center: bool = True,
                              layout: Union[str, int] = "nchw"
                              ) -> Tuple[np.ndarray, List[LetterboxInfo]]:
    """``letterbox_to_tensor`` for N frames of any sizes into one (N, C, H, W) tensor, in
    parallel across frames (``scipix_letterbox_batch_to_tensor``). Returns (tensor, infos)."""
    descs, keep = cimages(images, formats)
    ch = 1 if keep[0].ndim == 2 else keep[0].shape[2]
    p = _clb_params(new_shape, color, scaleup, False, False, center, 32, ch)
    w, h = _wh(new_shape, "new_shape")
    c = 1 if keep[0].ndim == 2 else 3
    lv = _layout_value(layout)
    res = np.empty(_tensor_shape(len(keep), c, h, w, lv), np.float32)
    infos = _new("ScipixLetterboxInfo[]", len(keep))
    st = _c_letterbox_batch_to_tensor(descs, len(keep), p, lv, cf32_out(res), res.size, infos)
    if st:
        check(st)
    return res, [_info(i) for i in infos]


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _classify_args(resize_short: int, crop: Size, layout: Union[str, int], mean: npt.ArrayLike,
                   std: npt.ArrayLike, channels: int
                   ) -> Tuple[Any, npt.NDArray[np.float32], npt.NDArray[np.float32], int, int]:
    cw, chh = _wh(crop, "crop")
    p = _ffi.type("ScipixClassifyParams")()
    p.resize_short = _size(resize_short, "resize_short")
    p.crop_width, p.crop_height = cw, chh
    p.layout = _layout_value(layout)
    m = np.ascontiguousarray(np.atleast_1d(np.asarray(mean, dtype=np.float32)))
    s = np.ascontiguousarray(np.atleast_1d(np.asarray(std, dtype=np.float32)))
    if m.size != channels:
        raise InvalidArgument(f"mean has {m.size} values; the tensor has {channels} channel(s)")
    if s.size != channels:
        raise InvalidArgument(f"std has {s.size} values; the tensor has {channels} channel(s)")
    return p, m, s, cw, chh


_IMAGENET: Dict[str, Any] = {}  # (mean, std) default vectors as cffi float[3], built once


def _cclassify_args(resize_short: int, crop: Size, layout: Union[str, int], mean: Any,
                    std: Any, channels: int) -> Tuple[Any, Any, int, Any, int, int, int]:
    """``_classify_args`` for calls through ``_ffi.c``: (params, mean, mean count, std, std
    count, crop width, crop height), cffi objects."""
    cw, chh = _wh(crop, "crop")
    rs = resize_short if type(resize_short) is int and resize_short > 0 \
        else _size(resize_short, "resize_short")
    p = _new(_CLASSIFY_P, (rs, cw, chh, _layout_value(layout)))
    if mean is IMAGENET_MEAN and std is IMAGENET_STD and channels == 3:
        if not _IMAGENET:
            _IMAGENET["v"] = (cf32_in(mean), cf32_in(std))
        (m, mn), (s, sn) = _IMAGENET["v"]
    else:
        m, mn = cf32_in(mean)
        s, sn = cf32_in(std)
    if mn != channels:
        raise InvalidArgument(f"mean has {mn} values; the tensor has {channels} channel(s)")
    if sn != channels:
        raise InvalidArgument(f"std has {sn} values; the tensor has {channels} channel(s)")
    return p, m, mn, s, sn, cw, chh


def classify_to_tensor(image: np.ndarray, resize_short: int = 256, crop: Size = 224,
                       format: Format = None, *, mean: npt.ArrayLike = IMAGENET_MEAN,
                       std: npt.ArrayLike = IMAGENET_STD,
                       layout: Union[str, int] = "nchw") -> np.ndarray:
    """torchvision ``Resize(resize_short)`` (Pillow BILINEAR) + ``CenterCrop(crop)`` +
    ``ToTensor()`` + ``Normalize(mean, std)`` in one pass (``scipix_classify_to_tensor``).
    Float32 rule per element: ``(x / 255 - mean[c]) / std[c]``. Output channels are RGB for
    every colour format. Returns (1, C, H, W) (or NHWC)."""
    src, keep = cimage(image, format, "image")
    c = 1 if keep.ndim == 2 else 3
    p, m, mn, s, sn, cw, chh = _cclassify_args(resize_short, crop, layout, mean, std, c)
    res = np.empty(_tensor_shape(1, c, chh, cw, p.layout), np.float32)
    st = _c_classify_to_tensor(src, p, m, mn, s, sn, cf32_out(res), res.size, 0)
    if st:
        check(st)
    return res


def classify_batch_to_tensor(images: Sequence[np.ndarray], resize_short: int = 256,
                             crop: Size = 224, formats: Union[Format, Sequence[Format]] = None, *,
                             mean: npt.ArrayLike = IMAGENET_MEAN,
                             std: npt.ArrayLike = IMAGENET_STD,
                             layout: Union[str, int] = "nchw") -> np.ndarray:
    """``classify_to_tensor`` for N images of any sizes into one (N, C, H, W) tensor, in
    parallel across images (``scipix_classify_batch_to_tensor``)."""
    descs, keep = cimages(images, formats)
    c = 1 if keep[0].ndim == 2 else 3
    p, m, mn, s, sn, cw, chh = _cclassify_args(resize_short, crop, layout, mean, std, c)
    res = np.empty(_tensor_shape(len(keep), c, chh, cw, p.layout), np.float32)
    st = _c_classify_batch_to_tensor(descs, len(keep), p, m, mn, s, sn, cf32_out(res), res.size)
    if st:
        check(st)
    return res


def resize_to_tensor(image: np.ndarray, size: Size, mode: Mode = "cv_linear",
                     format: Format = None, *, divisor: float = 1.0, mean: Any = None,
                     std: Any = None, scale: float = 1.0, swap_rb: bool = False,
                     layout: Union[str, int] = "nchw") -> np.ndarray:
    """Any resize mode then the ``scipix.tensor.image_to_tensor`` rule, fused
    (``scipix_resize_to_tensor``): bit for bit ``image_to_tensor(resize(...), ...)``."""
    w, h = _wh(size, "size")
    src, keep = cimage(image, format, "image")
    c = 1 if keep.ndim == 2 else 3
    params = ctensor_params(divisor, mean, std, scale, swap_rb, layout)
    res = np.empty(_tensor_shape(1, c, h, w, params.layout), np.float32)
    st = _c_resize_to_tensor(src, _mode_value(mode), w, h, params, cf32_out(res), res.size, 0)
    if st:
        check(st)
    return res


def resize_batch_to_tensor(images: Sequence[np.ndarray], size: Size, mode: Mode = "cv_linear",
                           formats: Union[Format, Sequence[Format]] = None, *,
                           divisor: float = 1.0, mean: Any = None, std: Any = None,
                           scale: float = 1.0, swap_rb: bool = False,
                           layout: Union[str, int] = "nchw") -> np.ndarray:
    """``resize_to_tensor`` for N images of any sizes into one (N, C, H, W) tensor, in
    parallel across images (``scipix_resize_batch_to_tensor``)."""
    w, h = _wh(size, "size")
    descs, keep = cimages(images, formats)
    c = 1 if keep[0].ndim == 2 else 3
    params = ctensor_params(divisor, mean, std, scale, swap_rb, layout)
    res = np.empty(_tensor_shape(len(keep), c, h, w, params.layout), np.float32)
    st = _c_resize_batch_to_tensor(descs, len(keep), _mode_value(mode), w, h, params,
                                   cf32_out(res), res.size)
    if st:
        check(st)
    return res
