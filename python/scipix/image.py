"""Image operations on uint8 numpy images, bit-exact with OpenCV.

Images are HxW (gray) or HxWxC uint8 arrays with ``format`` "rgb", "bgr", "rgba" or "bgra".
Any view whose pixels are packed inside each row (crops such as ``img[10:90, 20:200]``) is
passed to scipix in place, with the array's row stride; other layouts are copied once.
Outputs are new arrays, or ``out=`` arrays you pass (which may be strided views too: only
the ``width`` pixels of each row are written).

Threshold types: "binary", "binary_inv", "trunc", "tozero", "tozero_inv", or the same
numbers as OpenCV's ``cv2.THRESH_*`` (0..4).
"""
from __future__ import annotations

import builtins
import ctypes
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from ._arrays import (_F32_ARRAY, _NDARRAY, cimage, cimage_mut, fast_gray_io, fast_src,
                      format_value, image_desc, io_push, out_array, ptr)
from ._ffi import _decl, _ffi, check
from .errors import InvalidArgument, UnsupportedFormat

THRESHOLD_TYPES = ("binary", "binary_inv", "trunc", "tozero", "tozero_inv")
_THRESH_VALUES = {k: _ffi.consts[f"SCIPIX_THRESH_{k.upper()}"] for k in THRESHOLD_TYPES
                  if f"SCIPIX_THRESH_{k.upper()}" in _ffi.consts}
# The type names and their values (cv2.THRESH_* numbers), for the fast paths' lookups.
_THRESH_FAST: Dict[Any, int] = {**_THRESH_VALUES, **{v: v for v in _THRESH_VALUES.values()}}
_U8 = np.dtype(np.uint8)
_F32 = np.dtype(np.float32)
_c_gray = _ffi.cfn("scipix_gray")
_c_gray_f32 = _ffi.cfn("scipix_gray_f32")
_c_threshold = _ffi.cfn("scipix_threshold")
_c_threshold_inplace = _ffi.cfn("scipix_threshold_inplace")
_c_threshold_f32 = _ffi.cfn("scipix_threshold_f32")
_c_otsu_threshold = _ffi.cfn("scipix_otsu_threshold")
_c_threshold_otsu = _ffi.cfn("scipix_threshold_otsu")
_c_binarize_otsu = _ffi.cfn("scipix_binarize_otsu")
_c_adaptive_threshold_mean = _ffi.cfn("scipix_adaptive_threshold_mean")
_new = _decl.new
_NULL = _decl.NULL
_from_buffer = _decl.from_buffer
_empty = np.empty
_F32_P = _decl.typeof("float *")
_U8_P = _decl.typeof("uint8_t *")
_GRAY_SCALE = {k: _ffi.const(f"SCIPIX_GRAY_SCALE_{k.upper()}") for k in ("byte", "unit")}


def _f32p(a: np.ndarray) -> Any:
    """A cffi ``float *`` to ``a``'s first element (the caller keeps ``a`` alive)."""
    return _decl.cast(_F32_P, a.ctypes.data)


def _fast_f32_out(out: Any, shape: Tuple[int, int]) -> Optional[Tuple[Any, np.ndarray]]:
    """(``float *``, array) of ``out`` None (a new array) or a C-contiguous aligned writable
    float32 array of ``shape``; None for anything else (the general path checks it)."""
    if out is None:
        res = _empty(shape, _F32)
    elif builtins.type(out) is _NDARRAY and out.dtype is _F32 and out.shape == shape \
            and out.flags.aligned:
        res = out
    else:
        return None
    try:
        return _from_buffer(_F32_ARRAY, res, True), res
    except (BufferError, ValueError, TypeError):
        return None  # not C-contiguous, read-only


def _fast_f32(image: np.ndarray, out: Any) -> Optional[Tuple[Any, Any, np.ndarray]]:
    """(source ``float *``, destination ``float *``, output array) for a C-contiguous aligned
    float32 HxW ``image`` and an ``out`` as ``_fast_f32_out`` takes; None for anything else."""
    sh = image.shape
    if len(sh) != 2 or not sh[0] or not sh[1] or not image.flags.aligned:
        return None
    fo = _fast_f32_out(out, (sh[0], sh[1]))
    if fo is None:
        return None
    try:
        return _from_buffer(_F32_ARRAY, image), fo[0], fo[1]
    except (BufferError, ValueError, TypeError):
        return None  # not C-contiguous


def _thresh_type(t: Any) -> int:
    if type(t) is str:
        v = _THRESH_VALUES.get(t)
        if v is not None:
            return v
    if isinstance(t, str):
        if t.lower() not in THRESHOLD_TYPES:
            raise InvalidArgument(f"unknown threshold type {t!r}; one of {', '.join(THRESHOLD_TYPES)}")
        return _ffi.const(f"SCIPIX_THRESH_{t.upper()}")
    return int(t)


def _gray_out(out: Any, shape: Any, name: str = "out") -> Tuple[Any, np.ndarray]:
    """A writable HxW uint8 output for calls through ``_ffi.c`` (a cffi ``ScipixImageMut *``
    and the array; a new array when ``out`` is None)."""
    if out is None:
        out = np.empty(shape, np.uint8)
    elif not isinstance(out, np.ndarray):
        raise InvalidArgument(f"{name} must be a numpy array")
    if out.ndim == 3 and out.shape[2] == 1:
        out = out[:, :, 0]
    if out.shape != tuple(shape):
        raise InvalidArgument(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    return cimage_mut(out, "gray", name), out


def _plane_f32(a: Any, name: str, writable: bool) -> Tuple[np.ndarray, int]:
    """(array, row stride in elements) of a 2-D float32 plane with packed rows."""
    if not isinstance(a, np.ndarray):
        if writable:
            raise InvalidArgument(f"{name} must be a numpy array")
        a = np.asarray(a)
    if a.dtype != np.float32:
        if writable:
            raise UnsupportedFormat(f"{name} must be float32, got {a.dtype}")
        a = a.astype(np.float32)
    if a.ndim != 2:
        raise InvalidArgument(f"{name} must be 2-D (H x W), got shape {a.shape}")
    ok = ((a.shape[1] <= 1 or a.strides[1] == 4) and a.strides[0] >= 0 and a.strides[0] % 4 == 0
          and a.flags.aligned)
    if not ok:
        if writable:
            raise InvalidArgument(f"{name} (strides {a.strides}) must be aligned with packed rows")
        a = np.ascontiguousarray(a)
    if writable and not a.flags.writeable:
        raise InvalidArgument(f"{name} is read-only")
    stride = a.strides[0] // 4 if a.shape[0] > 1 else a.shape[1]
    return a, max(stride, a.shape[1])


def _hw(image: Any) -> Tuple[int, int]:
    a = np.asarray(image) if not isinstance(image, np.ndarray) else image
    if a.ndim not in (2, 3):
        raise InvalidArgument(f"an image must be HxW or HxWxC, got shape {a.shape}")
    return a.shape[0], a.shape[1]


# -- grayscale ---------------------------------------------------------------------------------

def gray(image: np.ndarray, format: Any=None, *, out: Optional[np.ndarray] = None) -> np.ndarray:
    """BT.601 luma, bit-identical to ``cv2.cvtColor(img, COLOR_{RGB,BGR,RGBA,BGRA}2GRAY)``:
    ``(9798 R + 19235 G + 3735 B + 16384) >> 15`` (``scipix_gray``). Returns HxW uint8."""
    f = fast_gray_io(image, format, out)
    if f is not None:
        e, fres, _sbuf, _dbuf = f
        st = _c_gray(e[0], e[1])
        io_push(e)
        if st:
            check(st)
        return fres
    src, keep = cimage(image, format, "image")
    dst, res = _gray_out(out, keep.shape[:2])
    st = _c_gray(src, dst)
    if st:
        check(st)
    return res


def gray_f32(image: np.ndarray, format: Any=None, *, scale: str = "byte",
             out: Optional[np.ndarray] = None) -> np.ndarray:
    """Gray as float32: exactly ``float(gray(...))`` ("byte", 0..255) or that divided by 255
    ("unit", 0..1) (``scipix_gray_f32``)."""
    if scale not in ("byte", "unit"):
        raise InvalidArgument(f"scale must be 'byte' or 'unit', not {scale!r}")
    fs = fast_src(image, format)
    if fs is not None:
        e, _buf = fs
        fo = _fast_f32_out(out, image.shape[:2])
        if fo is not None:
            st = _c_gray_f32(e[0], fo[0], image.shape[1], _GRAY_SCALE[scale])
            io_push(e)
            if st:
                check(st)
            return fo[1]
        io_push(e)
    src, keep = cimage(image, format, "image")
    shape = keep.shape[:2]
    if out is None:
        out = np.empty(shape, np.float32)
    if not isinstance(out, np.ndarray) or out.shape != tuple(shape):
        raise InvalidArgument(f"out must be a float32 array of shape {tuple(shape)}")
    res, stride = _plane_f32(out, "out", writable=True)
    st = _c_gray_f32(src, _f32p(res), stride, _GRAY_SCALE[scale])
    if st:
        check(st)
    return res


# -- thresholds --------------------------------------------------------------------------------

def threshold(image: np.ndarray, thresh: float, maxval: float = 255.0, type: Union[str, int] = "binary", *,
              out: Optional[np.ndarray] = None, inplace: bool = False) -> np.ndarray:
    """``cv2.threshold(image, thresh, maxval, type)[1]``, bit for bit. uint8 gray images use
    OpenCV's u8 rules (``scipix_threshold``, or ``scipix_threshold_inplace`` with
    ``inplace=True``); float32 planes use its float rules (``scipix_threshold_f32``)."""
    try:
        t: Optional[int] = _THRESH_FAST[type]  # a name or cv2 number: fast paths
    except (KeyError, TypeError):
        t = None
    # Fast path: a C-contiguous uint8 HxW ndarray, a type name, no or a C-contiguous uint8
    # HxW out (fast_gray_io); anything else takes the general path below.
    if t is not None and not inplace:
        f = fast_gray_io(image, None, out)
        if f is not None:
            e, fres, _sbuf, _dbuf = f
            st = _c_threshold(e[0], e[1], thresh, maxval, t)
            io_push(e)
            if st:
                check(st)
            return fres
    # Float32 planes: a type name, C-contiguous aligned HxW arrays (_fast_f32).
    if t is not None and not inplace and builtins.type(image) is _NDARRAY \
            and image.dtype is _F32:
        ff = _fast_f32(image, out)
        if ff is not None:
            src_p, dst_p, fres = ff
            h, w = image.shape
            st = _c_threshold_f32(src_p, w, dst_p, w, w, h, thresh, maxval, t)
            if st:
                check(st)
            return fres
    if t is None:
        t = _thresh_type(type)
    arr = image if isinstance(image, np.ndarray) else np.asarray(image)
    if arr.dtype is not _U8 and arr.dtype == np.float32:
        src, sstride = _plane_f32(arr, "image", writable=inplace)
        if inplace:
            if out is not None:
                raise InvalidArgument("pass out= or inplace=True, not both")
            dst, dstride = src, sstride
        else:
            if out is None:
                out = np.empty(src.shape, np.float32)
            if not isinstance(out, np.ndarray) or out.shape != src.shape:
                raise InvalidArgument(f"out must be a float32 array of shape {src.shape}")
            dst, dstride = _plane_f32(out, "out", writable=True)
        st = _c_threshold_f32(_f32p(src), sstride, _f32p(dst), dstride, src.shape[1],
                              src.shape[0], thresh, maxval, t)
        if st:
            check(st)
        return dst
    if inplace:
        if out is not None:
            raise InvalidArgument("pass out= or inplace=True, not both")
        desc, res = _gray_out(arr, _hw(arr), name="image")
        st = _c_threshold_inplace(desc, thresh, maxval, t)
        if st:
            check(st)
        return res
    src, keep = cimage(arr, None, "image")
    if out is None:
        res = np.empty(keep.shape[:2], _U8)
        dst = cimage_mut(res, "gray", "out")
    else:
        dst, res = _gray_out(out, keep.shape[:2])
    st = _c_threshold(src, dst, thresh, maxval, t)
    if st:
        check(st)
    return res


def otsu_threshold(image: np.ndarray) -> int:
    """Otsu's threshold of a uint8 gray image: the value ``cv2.threshold(img, 0, 255,
    THRESH_OTSU)`` returns (``scipix_otsu_threshold``)."""
    fs = fast_src(image, None)
    if fs is not None:
        e, _buf = fs
        t = e[2]
        st = _c_otsu_threshold(e[0], t)
        v: int = t[0]
        io_push(e)
        if st:
            check(st)
        return v
    t = _new(_U8_P)
    src, _keep = cimage(image, None, "image")
    st = _c_otsu_threshold(src, t)
    if st:
        check(st)
    return int(t[0])


def threshold_otsu(image: np.ndarray, maxval: float = 255.0, type: Union[str, int] = "binary", *,
                   out: Optional[np.ndarray] = None) -> Tuple[int, np.ndarray]:
    """``cv2.threshold(img, 0, maxval, type | THRESH_OTSU)``: returns (threshold, image)
    (``scipix_threshold_otsu``)."""
    try:
        ty: Optional[int] = _THRESH_FAST[type]  # a name or cv2 number: fast paths
    except (KeyError, TypeError):
        ty = None
    f = None if ty is None else fast_gray_io(image, None, out)
    if f is not None:
        e, fres, _sbuf, _dbuf = f
        t = e[2]
        st = _c_threshold_otsu(e[0], e[1], maxval, ty, t)
        v = t[0]
        io_push(e)
        if st:
            check(st)
        return v, fres
    ty = _thresh_type(type)
    t = _new(_U8_P)
    src, keep = cimage(image, None, "image")
    dst, res = _gray_out(out, keep.shape[:2])
    st = _c_threshold_otsu(src, dst, maxval, ty, t)
    if st:
        check(st)
    return int(t[0]), res


def binarize_otsu(image: np.ndarray, format: Any, maxval: float = 255.0,
                  type: Union[str, int] = "binary", *, out: Optional[np.ndarray] = None,
                  gray_out: Optional[np.ndarray] = None,
                  return_gray: bool = False) -> Tuple[int, np.ndarray, Optional[np.ndarray]]:
    """Colour image straight to a binary image with Otsu's threshold, bit for bit
    ``cv2.threshold(cv2.cvtColor(img, COLOR_<FORMAT>2GRAY), 0, maxval, type | THRESH_OTSU)``
    (``scipix_binarize_otsu``): one pass computes gray and its histogram, a second writes the
    binary image. ``format`` is "rgb", "bgr", "rgba" or "bgra"; ``type`` "binary" or
    "binary_inv". Returns (threshold, binary HxW uint8, gray HxW uint8 or None): the gray
    image is written only when ``gray_out`` is given or ``return_gray`` is true."""
    try:
        ty: Optional[int] = _THRESH_FAST[type]  # a name or cv2 number: fast paths
    except (KeyError, TypeError):
        ty = None
    # A gray source (format "gray" or None) is refused by the C call and by the check below.
    f = None if gray_out is not None or return_gray or ty is None \
        else fast_gray_io(image, format, out)
    if f is not None:
        e, fres, _sbuf, _dbuf = f
        t = e[2]
        st = _c_binarize_otsu(e[0], e[1], _NULL, maxval, ty, t)
        v = t[0]
        io_push(e)
        if st:
            check(st)
        return v, fres, None
    if format is None or str(format).lower() == "gray":
        raise UnsupportedFormat("binarize_otsu needs a colour image: format rgb, bgr, rgba or bgra")
    t = _new(_U8_P)
    src, keep = cimage(image, format, "image")
    shape = keep.shape[:2]
    dst, res = _gray_out(out, shape)
    gray_res: Optional[np.ndarray] = None
    gray_ref: Any = _decl.NULL
    if gray_out is not None or return_gray:
        gray_ref, gray_res = _gray_out(gray_out, shape, name="gray_out")
    st = _c_binarize_otsu(src, dst, gray_ref, maxval, _thresh_type(type), t)
    if st:
        check(st)
    return int(t[0]), res, gray_res


def adaptive_threshold_mean(image: np.ndarray, maxval: float = 255.0, type: Union[str, int] = "binary",
                            block_size: int = 11, c: float = 2.0, *,
                            out: Optional[np.ndarray] = None) -> np.ndarray:
    """``cv2.adaptiveThreshold(img, maxval, ADAPTIVE_THRESH_MEAN_C, type, block_size, c)``
    bit for bit (``scipix_adaptive_threshold_mean``); ``type`` "binary" or "binary_inv"."""
    if block_size < 0:
        raise InvalidArgument(f"block_size must be odd and >= 3, got {block_size}")
    try:
        ty: Optional[int] = _THRESH_FAST[type]  # a name or cv2 number: fast paths
    except (KeyError, TypeError):
        ty = None
    f = None if ty is None else fast_gray_io(image, None, out)
    if f is not None:
        e, fres, _sbuf, _dbuf = f
        st = _c_adaptive_threshold_mean(e[0], e[1], maxval, ty, block_size, c)
        io_push(e)
        if st:
            check(st)
        return fres
    ty = _thresh_type(type)
    src, keep = cimage(image, None, "image")
    dst, res = _gray_out(out, keep.shape[:2])
    st = _c_adaptive_threshold_mean(src, dst, maxval, ty, block_size, c)
    if st:
        check(st)
    return res


# -- YUV frames --------------------------------------------------------------------------------

_YUV_LAYOUTS = ("nv12", "nv21", "i420", "yv12", "yuyv", "uyvy", "yvyu")


def _yuv_frame(planes: Any, layout: str, width: int, height: int) -> Tuple[Any, List[np.ndarray]]:
    """The ScipixYuvFrame over `planes` (read in place) and the arrays to keep alive."""
    key = str(layout).lower()
    if key not in _YUV_LAYOUTS:
        raise InvalidArgument(f"unknown YUV layout {layout!r}; one of {', '.join(_YUV_LAYOUTS)}")
    if isinstance(planes, np.ndarray):
        planes = (planes,)
    arrs = []
    for i, p in enumerate(planes):
        a = p if isinstance(p, np.ndarray) else np.asarray(p)
        if a.dtype != np.uint8 or a.ndim != 2:
            a = a.reshape(a.shape[0], -1) if a.ndim == 3 and a.dtype == np.uint8 else a
        if a.dtype != np.uint8 or a.ndim != 2:
            raise InvalidArgument(f"plane {i} must be a 2-D uint8 array, got {a.dtype} {a.shape}")
        if a.shape[1] > 1 and a.strides[1] != 1 or a.strides[0] < 0:
            a = np.ascontiguousarray(a)
        arrs.append(a)
    if len(arrs) > 3:
        raise InvalidArgument(f"a YUV frame has at most 3 planes, got {len(arrs)}")
    frame = _ffi.type("ScipixYuvFrame")()
    frame.layout = _YUV_LAYOUTS.index(key)
    frame.width, frame.height = width, height
    plane_t = type(frame.planes[0])
    for i, a in enumerate(arrs):
        frame.planes[i] = ctypes.cast(a.ctypes.data, plane_t)
        frame.strides[i] = a.strides[0] if a.shape[0] > 1 else a.shape[1]
    return frame, arrs


def yuv_to_image(planes: Any, layout: str, width: int, height: int, format: Any = "rgb", *,
                 out: Optional[np.ndarray] = None) -> np.ndarray:
    """A YUV frame to an image, bit for bit ``cv2.cvtColor(frame, COLOR_YUV2<FORMAT>_<LAYOUT>)``
    (``scipix_yuv_to_image``). ``planes`` is one 2-D uint8 array per plane, each read in
    place with its own row stride (a decoder's padded surfaces work as they are): NV12/NV21
    ``(y, uv)``; I420 ``(y, u, v)``; YV12 ``(y, v, u)``; YUYV/UYVY/YVYU ``(packed,)`` with
    ``2 * width`` bytes per row. A single array is taken as one plane. ``format``: "rgb",
    "bgr", "rgba", "bgra" or "gray". Returns HxWxC (HxW for gray) uint8."""
    frame, _keep = _yuv_frame(planes, layout, width, height)
    fval, ch = format_value(format)
    shape = (height, width) if ch == 1 else (height, width, ch)
    res = out_array(out, shape, np.uint8)
    dst, _ = image_desc(res, format, writable=True, name="out")
    _ffi.scipix_yuv_to_image(ctypes.byref(frame), ctypes.byref(dst))
    return res


def yuv_letterbox_to_tensor(planes: Any, layout: str, width: int, height: int,
                            new_shape: Any = 640, *, color: Any = 114, scaleup: bool = True,
                            center: bool = True, tensor_layout: Union[str, int] = "nchw",
                            ) -> Tuple[np.ndarray, Any]:
    """A YUV frame (planes as for ``yuv_to_image``) letterboxed into an RGB float32 tensor
    ``/255`` in one call (``scipix_yuv_letterbox_to_tensor``): bit for bit
    ``cv2.cvtColor(frame, COLOR_YUV2BGR_<layout>)`` + Ultralytics ``LetterBox`` +
    ``cv2.dnn.blobFromImage(img, 1/255, swapRB=True)``. Returns (tensor, LetterboxInfo)."""
    from .resize import _info, _letterbox_params, _tensor_shape, _wh
    from .tensor import _layout_value
    frame, _keep = _yuv_frame(planes, layout, width, height)
    p = _letterbox_params(new_shape, color, scaleup, False, False, center, 32, 3)
    w, h = _wh(new_shape, "new_shape")
    res = np.empty(_tensor_shape(1, 3, h, w, tensor_layout), np.float32)
    i = _ffi.type("ScipixLetterboxInfo")()
    _ffi.scipix_yuv_letterbox_to_tensor(ctypes.byref(frame), ctypes.byref(p),
                                        _layout_value(tensor_layout), ptr(res, ctypes.c_float),
                                        res.size, 0, ctypes.byref(i))
    return res, _info(i)


def yuv_classify_to_tensor(planes: Any, layout: str, width: int, height: int,
                           resize_short: int = 256, crop: Any = 224, *,
                           mean: Any = (0.485, 0.456, 0.406), std: Any = (0.229, 0.224, 0.225),
                           tensor_layout: Union[str, int] = "nchw") -> np.ndarray:
    """A YUV frame into torchvision's classification input (``Resize`` with Pillow
    BILINEAR, ``CenterCrop``, ``ToTensor``, ``Normalize``) on its RGB conversion, in one
    call (``scipix_yuv_classify_to_tensor``)."""
    from .resize import _classify_args, _tensor_shape
    frame, _keep = _yuv_frame(planes, layout, width, height)
    p, m, s, cw, chh = _classify_args(resize_short, crop, tensor_layout, mean, std, 3)
    res = np.empty(_tensor_shape(1, 3, chh, cw, tensor_layout), np.float32)
    _ffi.scipix_yuv_classify_to_tensor(ctypes.byref(frame), ctypes.byref(p),
                                       ptr(m, ctypes.c_float), m.size, ptr(s, ctypes.c_float),
                                       s.size, ptr(res, ctypes.c_float), res.size, 0)
    return res
