"""numpy <-> C descriptors: pointers, image descriptors, output allocation."""
from __future__ import annotations

import ctypes
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ._ffi import _ffi
from .errors import InvalidArgument, UnsupportedFormat

# Pixel format name -> (header constant, channels).
FORMATS = {
    "gray": ("SCIPIX_FORMAT_GRAY8", 1),
    "rgb": ("SCIPIX_FORMAT_RGB8", 3),
    "bgr": ("SCIPIX_FORMAT_BGR8", 3),
    "rgba": ("SCIPIX_FORMAT_RGBA8", 4),
    "bgra": ("SCIPIX_FORMAT_BGRA8", 4),
}


_POINTERS: Dict[Any, Any] = {}


def ptr(arr: np.ndarray, ctype: Any) -> Any:
    """A ``POINTER(ctype)`` to the first element of ``arr`` (no copy). The caller keeps
    ``arr`` alive for the duration of the call. (``ctypes.cast`` of the address costs a
    third of ``arr.ctypes.data_as``.)"""
    p = _POINTERS.get(ctype)
    if p is None:
        p = _POINTERS[ctype] = ctypes.POINTER(ctype)
    return ctypes.cast(arr.ctypes.data, p)


def format_value(fmt: Any) -> Tuple[int, int]:
    """(SCIPIX_FORMAT_* value, channels) for a name such as "rgb" or a PixelFormat."""
    if isinstance(fmt, str):
        key = fmt.lower().removesuffix("8")
        if key not in FORMATS:
            raise UnsupportedFormat(f"unknown pixel format {fmt!r}; one of {', '.join(FORMATS)}")
        const, ch = FORMATS[key]
        return _ffi.const(const), ch
    v = int(fmt)
    for const, ch in FORMATS.values():
        if _ffi.const(const) == v:
            return v, ch
    raise UnsupportedFormat(f"unknown pixel format {fmt!r}")


def _channels_of(arr: np.ndarray) -> int:
    if arr.ndim == 2:
        return 1
    if arr.ndim == 3:
        return int(arr.shape[2])
    raise InvalidArgument(f"an image must be HxW or HxWxC, got shape {arr.shape}")


def _maps_to_descriptor(arr: np.ndarray) -> bool:
    """True if rows may be strided but pixels inside a row are packed (what the C image
    descriptor can express: data pointer + row stride in bytes)."""
    if arr.ndim == 3:
        c = arr.shape[2]
        if arr.shape[1] > 1 and arr.strides[1] != c:
            return False
        if c > 1 and arr.strides[2] != 1:
            return False
    elif arr.ndim == 2 and arr.shape[1] > 1 and arr.strides[1] != 1:
        return False
    return arr.strides[0] >= 0 or arr.shape[0] == 1


def image_desc(arr: Any, fmt: Any = None, *, writable: bool = False,
               name: str = "image") -> Tuple[Any, np.ndarray]:
    """Describes a uint8 HxW or HxWxC numpy array as a ``ScipixImage`` (``writable``:
    ``ScipixImageMut``) without copying. Row stride = ``arr.strides[0]``, so views such as
    ``img[10:50, 20:80]`` map directly onto the parent's memory.

    Returns (descriptor, array actually described). For an input whose layout the descriptor
    cannot express (pixels not packed inside a row, negative row stride) a packed copy is
    described instead; an output must be expressible (raises ``InvalidArgument``).
    """
    if not isinstance(arr, np.ndarray):
        if writable:
            raise InvalidArgument(f"{name} must be a numpy array")
        arr = np.asarray(arr)
    if arr.dtype != np.uint8:
        raise UnsupportedFormat(f"{name} must be uint8, got {arr.dtype}")
    ch = _channels_of(arr)
    if fmt is None:
        if ch != 1:
            raise InvalidArgument(f"{name} has {ch} channels: pass format= (rgb, bgr, rgba or bgra)")
        fmt = "gray"
    fval, fch = format_value(fmt)
    if fch != ch:
        raise InvalidArgument(f"{name} has {ch} channel(s) but format {fmt!r} has {fch}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidArgument(f"{name} is empty (shape {arr.shape})")
    if not _maps_to_descriptor(arr):
        if writable:
            raise InvalidArgument(
                f"{name} (strides {arr.strides}) cannot be written in place: pixels must be "
                "packed within each row and the row stride positive")
        arr = np.ascontiguousarray(arr)
    if writable and not arr.flags.writeable:
        raise InvalidArgument(f"{name} is read-only")
    cls = _ffi.type("ScipixImageMut" if writable else "ScipixImage")
    stride = arr.strides[0] if arr.shape[0] > 1 else arr.shape[1] * ch
    desc = cls(None, arr.shape[1], arr.shape[0], stride, fval)
    # write the address straight into the pointer field (faster than a ctypes.cast)
    ctypes.c_void_p.from_buffer(desc, cls.data.offset).value = arr.ctypes.data
    return desc, arr


def out_array(out: Optional[np.ndarray], shape: Any, dtype: Any, name: str = "out") -> np.ndarray:
    """Returns ``out`` after checking its shape and dtype, or a new array."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise InvalidArgument(f"{name} must be a numpy array")
    if out.dtype != np.dtype(dtype):
        raise UnsupportedFormat(f"{name} must be {np.dtype(dtype)}, got {out.dtype}")
    if tuple(out.shape) != tuple(shape):
        raise InvalidArgument(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if not out.flags.writeable:
        raise InvalidArgument(f"{name} is read-only")
    return out


def contiguous_out(out: Optional[np.ndarray], shape: Any, dtype: Any,
                   name: str = "out") -> np.ndarray:
    out = out_array(out, shape, dtype, name)
    if not out.flags.c_contiguous:
        raise InvalidArgument(f"{name} must be C-contiguous")
    return out


def contiguous_in(arr: Any, dtype: Any, name: str = "input") -> np.ndarray:
    """A C-contiguous, aligned array of ``dtype`` (no copy when ``arr`` already is one; the
    C functions require pointers aligned for their element type)."""
    a = np.asarray(arr)
    if a.dtype != np.dtype(dtype):
        if a.dtype.kind not in "fiub":
            raise UnsupportedFormat(f"{name} must be numeric, got {a.dtype}")
        a = a.astype(dtype)
    return aligned(a)


def aligned(a: np.ndarray) -> np.ndarray:
    """``a`` if C-contiguous and aligned for its dtype, else an aligned C-contiguous copy
    (keeps 0-d arrays 0-d, unlike ``np.ascontiguousarray``)."""
    return np.require(a, requirements=["C", "A"])
