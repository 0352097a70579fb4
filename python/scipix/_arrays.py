"""numpy <-> C descriptors: pointers, image descriptors, output allocation."""
from __future__ import annotations

import ctypes
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ._ffi import _decl, _ffi
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

# format_value of the names and values that need no normalising, computed once: the
# per-call lookup is one dict access. None stands for "gray" (cimage accepts it only for
# one-channel arrays, as image_desc does).
_FORMAT_CACHE: Dict[Any, Tuple[int, int]] = {}


def _fill_format_cache() -> None:
    for key, (const, ch) in FORMATS.items():
        try:
            v = _ffi.const(const)
        except NotImplementedError:
            continue
        for k in (key, key.upper(), key + "8", key.upper() + "8"):
            _FORMAT_CACHE[k] = (v, ch)
        _FORMAT_CACHE[v] = (v, ch)  # also PixelFormat members (IntEnum: same hash)
    if "gray" in _FORMAT_CACHE:
        _FORMAT_CACHE[None] = _FORMAT_CACHE["gray"]


_fill_format_cache()


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
    if type(fmt) is str or type(fmt) is int:
        hit = _FORMAT_CACHE.get(fmt)
        if hit is not None:
            return hit
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


# -- cffi descriptors (the small-image fast path) ------------------------------------------------

_U8 = np.dtype(np.uint8)
_from_buffer = _decl.from_buffer
# every field of a descriptor is set by its initialiser: skip cffi's zeroing of the memory
_new = _decl.new_allocator(should_clear_after_alloc=False)
_U8_ARRAY = _decl.typeof("uint8_t[]")
_IMAGE_P = _decl.typeof("ScipixImage *")
_IMAGE_MUT_P = _decl.typeof("ScipixImageMut *")
_U8_P = _decl.typeof("uint8_t *")
_F32_ARRAY = _decl.typeof("float[]")
_IMAGE_ARRAY = _decl.typeof("ScipixImage[]")
_NDARRAY = np.ndarray
FORMAT_ITEM = _FORMAT_CACHE.__getitem__
"""(value, channels) of a format name/value that needs no normalising; KeyError for the
others, TypeError for unhashable ones (the general path then says what is wrong)."""

_empty = np.empty


_GRAY8_VALUE = _FORMAT_CACHE["gray"][0] if "gray" in _FORMAT_CACHE else -1

# Descriptor entries not in use, for the fast paths of resize, Resizer and the image ops:
# [ScipixImage *, ScipixImageMut *, uint8_t * (the Otsu threshold out-parameter), geometry
# key of the source descriptor, geometry key of the destination]. A call takes an entry
# (list.pop: atomic, so no two calls, threads or re-entrant calls ever hold the same one),
# fills the descriptors, makes the C call and puts the entry back. A descriptor whose key
# equals the new geometry (shape and format) gets only its data pointer: that costs ~0.15 µs
# less than filling every field. An entry left out by an exception is only garbage; the pool
# holds at most as many entries as calls were ever under way at once, and no entry keeps an
# array alive (the buffers are the caller's locals).
_IO_POOL: List[List[Any]] = []
io_push = _IO_POOL.append
_io_pop = _IO_POOL.pop


def _io_new() -> List[Any]:
    return [_new(_IMAGE_P), _new(_IMAGE_MUT_P), _decl.new(_U8_P), None, None]


def io_fill(sbuf: Any, sh: Tuple[int, ...], ch: int, v: int, dbuf: Any = None,
            dsh: Tuple[int, ...] = (), dch: int = 0, dv: int = 0) -> List[Any]:
    """An entry of the pool with its source descriptor over ``sbuf`` (a C-contiguous array of
    shape ``sh``, ``ch`` channels, format value ``v``) and, when ``dbuf`` is given, its
    destination over ``dbuf`` (shape ``dsh``, ``dch`` channels, format ``dv``). A descriptor
    whose key ``(shape, format)`` matches gets only its data pointer. Put the entry back with
    ``io_push`` after the C call."""
    try:
        e = _io_pop()
    except IndexError:
        e = _io_new()
    key = (sh, v)
    if e[3] == key:
        e[0].data = sbuf
    else:
        e[0][0] = (sbuf, sh[1], sh[0], sh[1] * ch, v)
        e[3] = key
    if dbuf is not None:
        key = (dsh, dv)
        if e[4] == key:
            e[1].data = dbuf
        else:
            e[1][0] = (dbuf, dsh[1], dsh[0], dsh[1] * dch, dv)
            e[4] = key
    return e


def fast_src(image: Any, fmt: Any) -> Optional[Tuple[List[Any], Any]]:
    """The fast path's source descriptor: (entry of the pool with its ``ScipixImage *``
    filled, buffer to keep alive for the call). Applies to a C-contiguous uint8 ndarray with
    a format of the cache (no format on a 2-D array means gray); None for anything else, and
    the caller takes its general path, which checks everything and says what is wrong. The
    caller puts the entry back with ``io_push`` after its C call (which validates again)."""
    if type(image) is not _NDARRAY or image.dtype is not _U8:
        return None
    sh = image.shape
    try:
        v, ch = FORMAT_ITEM(fmt if fmt is not None or len(sh) != 2 else "gray")
        if not (len(sh) == 2 if ch == 1 else len(sh) == 3 and sh[2] == ch) or not sh[0] \
                or not sh[1]:
            return None
        buf = _from_buffer(_U8_ARRAY, image)
    except (KeyError, TypeError, BufferError, ValueError):
        return None  # unknown or unhashable format, not C-contiguous
    return io_fill(buf, sh, ch, v), buf


def fast_gray_io(image: Any, fmt: Any, out: Any) -> Optional[Tuple[List[Any], np.ndarray,
                                                                    Any, Any]]:
    """``fast_src`` with an HxW GRAY8 destination: (entry with both descriptors filled,
    output array, source buffer, destination buffer; the caller keeps the buffers alive for
    the call). ``out`` is None (a new array) or a C-contiguous writable uint8 HxW ndarray; for
    anything else, or when ``fast_src`` would not apply, None (the general path then says
    what is wrong). The caller puts the entry back with ``io_push`` after its C call."""
    if type(image) is not _NDARRAY or image.dtype is not _U8:
        return None
    sh = image.shape
    try:
        v, ch = FORMAT_ITEM(fmt if fmt is not None or len(sh) != 2 else "gray")
    except (KeyError, TypeError):
        return None  # unknown or unhashable format
    if ch == 1:
        if len(sh) != 2:
            return None
        hw = sh
    elif len(sh) == 3 and sh[2] == ch:
        hw = sh[:2]
    else:
        return None
    h, w = hw
    if not h or not w:
        return None
    if out is None:
        res = _empty(hw, _U8)
    elif type(out) is _NDARRAY and out.dtype is _U8 and out.shape == hw:
        res = out
    else:
        return None
    try:
        sbuf = _from_buffer(_U8_ARRAY, image)
        dbuf = _from_buffer(_U8_ARRAY, res, True)
    except (BufferError, ValueError, TypeError):
        return None  # not C-contiguous, read-only
    e = io_fill(sbuf, sh, ch, v, dbuf, hw, 1, _GRAY8_VALUE)
    return e, res, sbuf, dbuf


def _cdesc(ptype: Any, desc: Any) -> Any:
    """A cffi copy of a ctypes image descriptor (same layout; the data stays where it is)."""
    addr = ctypes.c_void_p.from_buffer(desc, type(desc).data.offset).value
    return _new(ptype, (_decl.cast(_U8_P, addr or 0), desc.width, desc.height, desc.stride,
                        desc.format))


def cimage(arr: Any, fmt: Any = None, name: str = "image") -> Tuple[Any, np.ndarray]:
    """``image_desc`` for calls through ``_ffi.c``: (cffi ``ScipixImage *``, array described).

    A C-contiguous uint8 ndarray with a format name/value from the cache (2-D for gray,
    HxWxC for C channels; no format on a 2-D array means gray, as in ``image_desc``) is
    described straight from its buffer (``ffi.from_buffer``: no
    ``arr.ctypes``, no copy); anything else, or anything that fails on the way, goes
    through ``image_desc`` with all its checks, copies and messages. The C function still
    checks sizes, strides, formats and overlap. The caller keeps the array alive for the
    call."""
    if type(arr) is np.ndarray and arr.dtype is _U8:
        shape = arr.shape
        try:
            v, ch = _FORMAT_CACHE[fmt if fmt is not None or len(shape) != 2 else "gray"]
            if (len(shape) == 2 if ch == 1 else len(shape) == 3 and shape[2] == ch) \
                    and shape[0] and shape[1]:
                return _new(_IMAGE_P, (_from_buffer(_U8_ARRAY, arr), shape[1], shape[0],
                                       shape[1] * ch, v)), arr
        except (KeyError, TypeError, BufferError, ValueError):
            pass  # unknown format, unhashable, not C-contiguous: image_desc says what
    desc, keep = image_desc(arr, fmt, name=name)
    return _cdesc(_IMAGE_P, desc), keep


def cimage_mut(arr: Any, fmt: Any = None, name: str = "out") -> Any:
    """``image_desc(..., writable=True)`` for calls through ``_ffi.c``: a cffi
    ``ScipixImageMut *`` over ``arr``, which must be writable (the fast path as ``cimage``,
    with a writable buffer; strided rows are described in place by ``image_desc``, other
    layouts and read-only arrays refused)."""
    if type(arr) is np.ndarray and arr.dtype is _U8:
        shape = arr.shape
        try:
            v, ch = _FORMAT_CACHE[fmt if fmt is not None or len(shape) != 2 else "gray"]
            if (len(shape) == 2 if ch == 1 else len(shape) == 3 and shape[2] == ch) \
                    and shape[0] and shape[1]:
                return _new(_IMAGE_MUT_P, (_from_buffer(_U8_ARRAY, arr, True), shape[1],
                                           shape[0], shape[1] * ch, v))
        except (KeyError, TypeError, BufferError, ValueError):
            pass  # also read-only (BufferError/ValueError): image_desc raises the message
    desc, _ = image_desc(arr, fmt, writable=True, name=name)
    return _cdesc(_IMAGE_MUT_P, desc)


def cf32_out(res: np.ndarray) -> Any:
    """A cffi ``float *`` over a writable C-contiguous float32 array (one made here, or an
    ``out=`` the caller checked): ``ffi.from_buffer`` refuses anything else. The caller
    keeps the returned object (it holds the buffer) for the call."""
    return _from_buffer(_F32_ARRAY, res, True)


_new_f32 = _decl.new  # zero-filled: float[] of the given values


def cf32_in(values: Any) -> Tuple[Any, int]:
    """(cffi ``float[]``, count) of a short vector of numbers (mean, std): a tuple or list of
    numbers is converted by cffi (float rounding as numpy's ``astype(float32)``), anything
    else through numpy."""
    if type(values) is tuple or type(values) is list:
        try:
            return _new_f32(_F32_ARRAY, values), len(values)
        except (TypeError, OverflowError):
            pass  # not plain numbers: numpy's conversion and errors
    a = np.ascontiguousarray(np.atleast_1d(np.asarray(values, dtype=np.float32))).ravel()
    return _new_f32(_F32_ARRAY, a.tolist()), a.size


def cimages(images: Any, formats: Any) -> Tuple[Any, List[np.ndarray]]:
    """A cffi ``ScipixImage[n]`` over N images (each as ``cimage`` describes it; ``formats``
    one for all or one per image) and the arrays described, to keep alive for the call."""
    images = list(images)
    if not images:
        raise InvalidArgument("images is empty")
    if formats is None or isinstance(formats, (str, int)):
        formats = [formats] * len(images)
    if len(formats) != len(images):
        raise InvalidArgument(f"{len(formats)} formats for {len(images)} images")
    descs = _new(_IMAGE_ARRAY, len(images))
    keep = []
    for i, (img, fmt) in enumerate(zip(images, formats)):
        d, a = cimage(img, fmt, f"images[{i}]")
        descs[i] = d[0]
        keep.append(a)
    return descs, keep
