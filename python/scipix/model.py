"""Memory-mapped model files and the safetensors reader/writer.

``Safetensors(path)`` maps a file read-only and validates it (reads only the header).
``st["name"]`` returns a read-only numpy VIEW into the map (no copy); the view keeps the
mapping alive, so it stays valid after ``st.close()`` or after ``st`` is garbage collected.
``write_safetensors(path, {"w": array}, metadata)`` writes a file atomically.

dtypes: F64/F32/F16/I64/I32/I16/I8/U64/U32/U16/U8/BOOL map to the numpy dtype of that name;
BF16 is returned as its uint16 bit patterns (numpy has no bfloat16; ``st.to_f32(name)``
converts exactly); the F8/F6/F4 and other formats numpy lacks come back as raw uint8 bytes.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Tuple

import numpy as np

from ._arrays import aligned, ptr
from ._ffi import _ffi
from ._handles import NotPicklable
from .errors import InvalidArgument, InvalidState, UnsupportedFormat

# safetensors dtype name -> numpy dtype of the returned view
NUMPY: Dict[str, np.dtype[Any]] = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"), "I8": np.dtype("i1"), "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"), "C64": np.dtype("<c8"),
}
# numpy dtype -> safetensors dtype name (for the writer)
FROM_NUMPY: Dict[Any, str] = {
    np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
    np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("int16"): "I16",
    np.dtype("int8"): "I8", np.dtype("uint64"): "U64", np.dtype("uint32"): "U32",
    np.dtype("uint16"): "U16", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL",
    np.dtype("complex64"): "C64",
}

_FLAGS = {"sequential": "SCIPIX_MODEL_SEQUENTIAL", "random": "SCIPIX_MODEL_RANDOM",
          "willneed": "SCIPIX_MODEL_WILLNEED", "lock": "SCIPIX_MODEL_LOCK",
          "populate": "SCIPIX_MODEL_POPULATE"}
_ADVICE = ("normal", "sequential", "random", "willneed")


def dtype_code(name: str) -> int:
    """``SCIPIX_ST_<name>`` for a safetensors dtype name such as "F32"."""
    key = f"SCIPIX_ST_{str(name).upper()}"
    if key not in _ffi.consts:
        _ffi.const("SCIPIX_ST_F32")  # NotImplementedError if the library has no models
        raise UnsupportedFormat(f"unknown safetensors dtype {name!r}")
    return _ffi.consts[key]


def dtype_name(code: int) -> str:
    """The header name of a ``SCIPIX_ST_*`` code ("F32", ...; "unknown")."""
    return str(_ffi.scipix_st_dtype_name(code).decode())


def dtype_bits(code_or_name: str) -> int:
    """Bits per element of a dtype (0 for an unknown code)."""
    code = dtype_code(code_or_name) if isinstance(code_or_name, str) else int(code_or_name)
    return int(_ffi.scipix_st_dtype_bits(code))


def _flags(flags: Any, kw: Any) -> int:
    v = int(flags)
    for name, on in kw.items():
        if name not in _FLAGS:
            raise TypeError(f"unknown option {name!r}; one of {', '.join(_FLAGS)}")
        if on:
            v |= _ffi.const(_FLAGS[name])
    return v


def _path(path: Any) -> bytes:
    return os.fsencode(path)


class _Handle:
    """Owns one C handle and frees it exactly once, when the last Python reference (the
    wrapper object or a numpy view into its memory) is gone."""

    def __init__(self, ptr_: Any, free: Any) -> None:
        self.ptr = ptr_
        self._free = free

    def __del__(self) -> None:
        p, self.ptr = self.ptr, None
        if p:
            try:
                self._free(p)
            except Exception:  # interpreter shutdown: the library may be gone already
                pass


class _View:
    """numpy array interface over memory owned by a handle (keeps the handle alive)."""

    def __init__(self, owner: Any, addr: int, shape: Any, dtype: np.dtype) -> None:
        self._owner = owner
        self.__array_interface__ = {
            "version": 3, "shape": tuple(shape), "typestr": dtype.str,
            "data": (addr, True),  # read-only
        }


def _view(owner: Any, addr: int, shape: Any, dtype: np.dtype) -> np.ndarray:
    if int(np.prod(shape, dtype=np.int64)) == 0 or not addr:
        a = np.empty(shape, dtype)  # nothing to point at
        a.flags.writeable = False
        return a
    return np.asarray(_View(owner, addr, shape, dtype))


class _Closable(NotPicklable):
    _h: Optional[_Handle]
    _closed = False

    @property
    def _ptr(self) -> Any:
        if self._closed:
            raise InvalidState(f"{type(self).__name__} is closed")
        assert self._h is not None
        return self._h.ptr

    def close(self) -> None:
        """Ends the use of this object (later calls raise ``InvalidState``). The C handle is
        released when this object and every numpy view into its memory are gone, so a
        thread still inside a call, or an array still in use, never sees freed memory."""
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Model(_Closable):
    """A read-only memory-mapped file (``scipix_model_open``). Options: ``sequential``,
    ``random``, ``willneed``, ``lock``, ``populate`` (see the C documentation)."""

    def __init__(self, path: Any, flags: int = 0, **options: Any) -> None:
        out = ctypes.POINTER(_ffi.type("ScipixModel"))()
        _ffi.scipix_model_open(_path(path), _flags(flags, options), ctypes.byref(out))
        self._h = _Handle(out, _ffi.fn("scipix_model_free"))
        self.path = os.fspath(path)

    @classmethod
    def _from_ptr(cls, p: Any, path: Any = None) -> "Model":
        m = cls.__new__(cls)
        m._h = _Handle(p, _ffi.fn("scipix_model_free"))
        m.path = path
        return m

    def bytes(self) -> np.ndarray:
        """The whole file as a read-only uint8 view into the map (``scipix_model_bytes``)."""
        data = ctypes.POINTER(ctypes.c_uint8)()
        n = ctypes.c_size_t()
        _ffi.scipix_model_bytes(self._ptr, ctypes.byref(data), ctypes.byref(n))
        return _view(self._h, ctypes.addressof(data.contents), (n.value,), np.dtype("u1"))

    def __len__(self) -> int:
        return self.bytes().size

    def advise(self, advice: str, offset: Optional[int] = None, length: Optional[int] = None) -> None:
        """Access hint "normal", "sequential", "random" or "willneed" for the whole file
        (``scipix_model_advise``) or a byte range (``scipix_model_advise_range``)."""
        if advice not in _ADVICE:
            raise InvalidArgument(f"unknown advice {advice!r}; one of {', '.join(_ADVICE)}")
        code = _ffi.const(f"SCIPIX_ADVICE_{advice.upper()}")
        if offset is None and length is None:
            _ffi.scipix_model_advise(self._ptr, code)
        else:
            _ffi.scipix_model_advise_range(self._ptr, code, offset or 0, length or 0)


class TensorInfo(NamedTuple):
    name: str
    dtype: str
    shape: Tuple[int, ...]
    num_elements: int
    nbytes: int
    file_offset: int
    alignment: int
    bits_per_element: int
    data: int  # address inside the map


class Safetensors(_Closable, Mapping[str, np.ndarray]):
    """A validated safetensors file, mapped read-only (``scipix_safetensors_open``).

    A read-only mapping from tensor name (file order) to numpy views into the map.
    ``info(name)``, ``metadata`` (dict), ``to_f32(name)``, ``model()``. Thread-safe for
    concurrent reads, like the C handle."""

    def __init__(self, path: Any=None, flags: int = 0, *, model: Optional[Model] = None, **options: Any) -> None:
        out = ctypes.POINTER(_ffi.type("ScipixSafetensors"))()
        if model is not None:
            if path is not None:
                raise InvalidArgument("pass a path or a model, not both")
            _ffi.scipix_safetensors_from_model(model._ptr, ctypes.byref(out))
            self.path = model.path
        else:
            if path is None:
                raise InvalidArgument("pass a path or model=")
            _ffi.scipix_safetensors_open(_path(path), _flags(flags, options), ctypes.byref(out))
            self.path = os.fspath(path)
        self._h = _Handle(out, _ffi.fn("scipix_safetensors_free"))
        self._names: Optional[List[str]] = None

    # -- names -------------------------------------------------------------------------------

    def _count(self) -> int:
        n = ctypes.c_size_t()
        _ffi.scipix_safetensors_tensor_count(self._ptr, ctypes.byref(n))
        return n.value

    def names(self) -> List[str]:
        """Tensor names in file order (``scipix_safetensors_tensor_name``)."""
        if self._names is None:
            out: List[str] = []
            name = ctypes.c_char_p()
            for i in range(self._count()):
                _ffi.scipix_safetensors_tensor_name(self._ptr, i, ctypes.byref(name))
                out.append((name.value or b"").decode("utf-8"))
            self._names = out
        return list(self._names)

    def __len__(self) -> int:
        return self._count()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __contains__(self, name: object) -> bool:
        from .errors import NotFound

        try:
            self.info(name)
            return True
        except (NotFound, InvalidArgument, TypeError):
            return False

    # -- tensors -----------------------------------------------------------------------------

    def _info_struct(self, key: Any) -> Any:
        info = _ffi.type("ScipixStTensorInfo")()
        if isinstance(key, int):
            _ffi.scipix_safetensors_tensor_info(self._ptr, key, ctypes.byref(info))
        else:
            if not isinstance(key, str):
                raise TypeError(f"tensor name must be str, not {type(key).__name__}")
            _ffi.scipix_safetensors_find(self._ptr, key.encode("utf-8"), ctypes.byref(info))
        return info

    def info(self, key: Any) -> TensorInfo:
        """Describes a tensor by name (``scipix_safetensors_find``) or index in file order
        (``scipix_safetensors_tensor_info``)."""
        i = self._info_struct(key)
        shape = tuple(i.shape[k] for k in range(i.rank))
        addr = ctypes.cast(i.data, ctypes.c_void_p).value or 0
        return TensorInfo(i.name.decode("utf-8"), dtype_name(i.dtype), shape, i.num_elements,
                          i.nbytes, i.file_offset, i.alignment, i.bits_per_element, addr)

    def __getitem__(self, key: Any) -> np.ndarray:
        """A read-only numpy view of the tensor's bytes in the map (no copy)."""
        from .errors import NotFound

        try:
            info = self.info(key)
        except NotFound as e:
            raise KeyError(key) from e
        dt = NUMPY.get(info.dtype)
        if dt is None or info.bits_per_element != dt.itemsize * 8:
            return _view(self._h, info.data, (info.nbytes,), np.dtype("u1"))
        return _view(self._h, info.data, info.shape, dt)

    def raw(self, key: Any) -> np.ndarray:
        """The tensor's bytes as a read-only uint8 view."""
        info = self.info(key)
        return _view(self._h, info.data, (info.nbytes,), np.dtype("u1"))

    def to_f32(self, key: Any) -> np.ndarray:
        """The tensor converted to a new float32 array: F16 and BF16 exactly through
        ``scipix_f16_to_f32`` / ``scipix_bf16_to_f32``, other numeric dtypes by numpy."""
        info = self.info(key)
        if info.dtype in ("F16", "BF16"):
            src = self[key]
            return (f16_to_f32 if info.dtype == "F16" else bf16_to_f32)(src)
        dt = NUMPY.get(info.dtype)
        if dt is None or info.dtype == "C64":
            raise UnsupportedFormat(f"{info.dtype} tensor {info.name!r} has no float32 conversion")
        return self[key].astype(np.float32)

    # -- metadata and the map ----------------------------------------------------------------

    @property
    def metadata(self) -> Dict[str, str]:
        """``__metadata__`` in header order (``scipix_safetensors_metadata_entry``)."""
        n = ctypes.c_size_t()
        _ffi.scipix_safetensors_metadata_count(self._ptr, ctypes.byref(n))
        out = {}
        k, v = ctypes.c_char_p(), ctypes.c_char_p()
        for i in range(n.value):
            _ffi.scipix_safetensors_metadata_entry(self._ptr, i, ctypes.byref(k), ctypes.byref(v))
            out[(k.value or b"").decode("utf-8")] = (v.value or b"").decode("utf-8")
        return out

    def metadata_get(self, key: str) -> str:
        """One metadata value (``scipix_safetensors_metadata_get``); ``NotFound`` if absent."""
        v = ctypes.c_char_p()
        _ffi.scipix_safetensors_metadata_get(self._ptr, key.encode("utf-8"), ctypes.byref(v))
        return (v.value or b"").decode("utf-8")

    def model(self) -> Model:
        """The mapped file behind this handle (``scipix_safetensors_model``), e.g. to
        prefetch a tensor with ``advise("willneed", info.file_offset, info.nbytes)``."""
        out = ctypes.POINTER(_ffi.type("ScipixModel"))()
        _ffi.scipix_safetensors_model(self._ptr, ctypes.byref(out))
        return Model._from_ptr(out, self.path)


# -- conversion --------------------------------------------------------------------------------

def _u16_bits(x: Any, what: Any) -> Any:
    a = np.asarray(x)
    if a.dtype == np.float16:
        a = a.view(np.uint16)
    if a.dtype != np.uint16:
        raise UnsupportedFormat(f"{what} needs float16 or uint16 bit patterns, got {a.dtype}")
    return aligned(a)  # views into a map may sit at odd addresses


def f16_to_f32(x: Any) -> np.ndarray:
    """IEEE half (float16 array or uint16 bit patterns) to float32, exactly."""
    a = _u16_bits(x, "f16_to_f32")
    out = np.empty(a.shape, np.float32)
    _ffi.scipix_f16_to_f32(ptr(a, ctypes.c_uint16), ptr(out, ctypes.c_float), a.size)
    return out


def bf16_to_f32(x: Any) -> np.ndarray:
    """bfloat16 bit patterns (uint16) to float32, exactly."""
    a = _u16_bits(x, "bf16_to_f32")
    out = np.empty(a.shape, np.float32)
    _ffi.scipix_bf16_to_f32(ptr(a, ctypes.c_uint16), ptr(out, ctypes.c_float), a.size)
    return out


# -- writer ------------------------------------------------------------------------------------

def write_safetensors(path: Any, tensors: Mapping[str, object],
                      metadata: Optional[Mapping[str, str]] = None) -> None:
    """Writes ``tensors`` (name -> numpy array, or ``(dtype_name, shape, bytes)`` for dtypes
    numpy lacks, e.g. ``("BF16", (2, 3), raw)``) and ``metadata`` to ``path`` atomically
    (``scipix_safetensors_writer_*``: temp file, fsync, rename)."""
    out = ctypes.POINTER(_ffi.type("ScipixSafetensorsWriter"))()
    _ffi.scipix_safetensors_writer_new(ctypes.byref(out))
    h = _Handle(out, _ffi.fn("scipix_safetensors_writer_free"))
    keep = []  # arrays the writer borrows: alive until the writer is freed below
    for name, t in tensors.items():
        borrowed = False
        if isinstance(t, tuple):
            dname, shape, data = t
            buf = np.frombuffer(bytes(data), np.uint8) if not isinstance(data, np.ndarray) \
                else np.ascontiguousarray(data).view(np.uint8).ravel()
        else:
            borrowed = True
            arr = np.asarray(t)  # (not ascontiguousarray: it turns a 0-d scalar into 1-d)
            if not arr.flags.c_contiguous:
                arr = arr.copy(order="C")
            if arr.dtype.byteorder == ">":
                arr = arr.astype(arr.dtype.newbyteorder("<"))
            dname = FROM_NUMPY.get(arr.dtype.newbyteorder("=") if arr.dtype.byteorder != "|" else arr.dtype)
            if dname is None:
                raise UnsupportedFormat(f"tensor {name!r}: no safetensors dtype for {arr.dtype}")
            shape = arr.shape
            buf = arr.reshape(-1).view(np.uint8) if arr.size else np.empty(0, np.uint8)
        dims = (ctypes.c_size_t * max(len(shape), 1))(*shape)
        # numpy arrays are borrowed (no copy; kept alive in `keep`), raw bytes are copied
        add = (_ffi.scipix_safetensors_writer_add_tensor_borrowed if borrowed
               else _ffi.scipix_safetensors_writer_add_tensor)
        add(h.ptr, name.encode("utf-8"), dtype_code(dname), dims, len(shape),
            ptr(buf, ctypes.c_uint8) if buf.size else None, buf.size)
        keep.append(buf)
    for k, v in (metadata or {}).items():
        _ffi.scipix_safetensors_writer_add_metadata(h.ptr, k.encode("utf-8"), v.encode("utf-8"))
    try:
        _ffi.scipix_safetensors_writer_write(h.ptr, _path(path))
    finally:
        del h  # frees the writer (CPython: now), before the borrowed arrays go
        keep.clear()
