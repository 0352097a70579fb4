"""GGML quantization blocks and GGUF files (llama.cpp's model format).

``ggml_quantize(x, "Q8_0")`` / ``ggml_dequantize(data, "Q8_0")`` convert between float32 and
ggml's reference blocks, bit-exact with ``gguf.quants`` of the ``gguf`` package 0.19.0.
``Gguf(path)`` maps a GGUF file read-only and validates it (reads only the header);
``g["name"]`` returns a read-only numpy VIEW of the tensor's bytes in the map (no copy), which
keeps the mapping alive. ``GgufWriter`` builds a file (metadata, then tensors) and writes it
atomically.

GGML types are given as a ``GgmlType``, its name ("Q4_0", "f32"), or the integer id (so
``gguf.GGMLQuantizationType`` members work too).
"""
from __future__ import annotations

import ctypes
import enum
import os
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from ._arrays import contiguous_in, ptr
from ._ffi import _ffi
from .errors import InvalidArgument, NotFound, UnsupportedFormat
from .model import Model, _Closable, _flags, _Handle, _path, _view


def _const(name: str) -> int:
    return int(_ffi.const(name))


class GgmlType(enum.IntEnum):
    """GGML tensor types scipix names (``SCIPIX_GGML_*``)."""

    F32 = _const("SCIPIX_GGML_F32")
    F16 = _const("SCIPIX_GGML_F16")
    Q4_0 = _const("SCIPIX_GGML_Q4_0")
    Q4_1 = _const("SCIPIX_GGML_Q4_1")
    Q5_0 = _const("SCIPIX_GGML_Q5_0")
    Q5_1 = _const("SCIPIX_GGML_Q5_1")
    Q8_0 = _const("SCIPIX_GGML_Q8_0")
    Q4_K = _const("SCIPIX_GGML_Q4_K")
    Q5_K = _const("SCIPIX_GGML_Q5_K")
    Q6_K = _const("SCIPIX_GGML_Q6_K")
    BF16 = _const("SCIPIX_GGML_BF16")


GgmlTypeLike = Union[GgmlType, str, int]

# GGUF metadata value types (SCIPIX_GGUF_TYPE_*) with a fixed size -> numpy dtype
_VALUE_DTYPES: Dict[str, np.dtype[Any]] = {
    "UINT8": np.dtype("u1"), "INT8": np.dtype("i1"), "UINT16": np.dtype("<u2"),
    "INT16": np.dtype("<i2"), "UINT32": np.dtype("<u4"), "INT32": np.dtype("<i4"),
    "FLOAT32": np.dtype("<f4"), "BOOL": np.dtype("?"), "UINT64": np.dtype("<u8"),
    "INT64": np.dtype("<i8"), "FLOAT64": np.dtype("<f8"),
}
# GGML types whose tensors are returned with their numeric dtype (others as raw blocks)
_TENSOR_DTYPES: Dict[int, np.dtype[Any]] = {
    GgmlType.F32: np.dtype("<f4"), GgmlType.F16: np.dtype("<f2"),
    GgmlType.BF16: np.dtype("<u2"),  # bit patterns: numpy has no bfloat16
}


def _value_type(code: int) -> str:
    for name in _VALUE_DTYPES.keys() | {"STRING", "ARRAY"}:
        if _ffi.consts.get(f"SCIPIX_GGUF_TYPE_{name}") == code:
            return name
    return f"TYPE_{code}"


def _type_code(t: GgmlTypeLike) -> int:
    if isinstance(t, str):
        key = f"SCIPIX_GGML_{t.upper()}"
        if key not in _ffi.consts:
            raise UnsupportedFormat(f"unknown GGML type {t!r}; one of "
                                    f"{', '.join(m.name for m in GgmlType)}")
        return _ffi.consts[key]
    if isinstance(t, int):
        return int(t)
    raise TypeError(f"GGML type must be a GgmlType, a name or an int, not {type(t).__name__}")


# -- blocks ------------------------------------------------------------------------------------

def ggml_type_name(t: GgmlTypeLike) -> Optional[str]:
    """ggml's name of a type ("Q4_0", "F32", ...; ``scipix_ggml_type_name``), or None for an
    id the library does not know."""
    name = _ffi.scipix_ggml_type_name(_type_code(t))
    return None if not name else str(name.decode())


def ggml_row_size(t: GgmlTypeLike, n: int) -> int:
    """Bytes that ``n`` values of type ``t`` take (``scipix_ggml_row_size``); ``n`` must be a
    whole number of blocks (32, or 256 for the K-quants)."""
    size = ctypes.c_size_t()
    _ffi.scipix_ggml_row_size(_type_code(t), n, ctypes.byref(size))
    return size.value


def _block_size(code: int) -> int:
    for bs in (1, 32, 256):
        try:
            ggml_row_size(code, bs)
            return bs
        except InvalidArgument:
            continue
    raise UnsupportedFormat(f"GGML type {code} has no known block size")


def ggml_quantize(x: Any, t: GgmlTypeLike) -> np.ndarray:
    """Quantizes float32 ``x`` to GGML blocks of ``t`` (Q8_0, Q4_0, Q4_1, Q5_0 or Q5_1) row by
    row along the last axis (``scipix_ggml_quantize``), bit-exact with
    ``gguf.quants.quantize``. Returns uint8 of shape ``(*x.shape[:-1], row bytes)``, like it;
    the last axis must be a multiple of 32."""
    a = contiguous_in(x, np.float32, "x")
    if a.ndim == 0:
        raise InvalidArgument("ggml_quantize needs at least one axis")
    code = _type_code(t)
    row_len = a.shape[-1]
    row_bytes = ggml_row_size(code, row_len)
    out = np.empty((*a.shape[:-1], row_bytes), np.uint8)
    if a.size == 0:
        return out
    written = ctypes.c_size_t()
    _ffi.scipix_ggml_quantize(code, ptr(a, ctypes.c_float), a.size, row_len,
                              ptr(out, ctypes.c_uint8), out.size, ctypes.byref(written))
    assert written.value == out.size
    return out


def ggml_dequantize(data: Any, t: GgmlTypeLike, n: Optional[int] = None) -> np.ndarray:
    """Dequantizes GGML blocks of ``t`` (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, F32,
    F16 or BF16) to float32 (``scipix_ggml_dequantize``), bit-exact with
    ``gguf.quants.dequantize``. ``data`` is bytes or a uint8 array; a multi-dimensional array
    is taken as rows along its last axis and the result has shape
    ``(*data.shape[:-1], values per row)``, like ``gguf``. ``n`` (the value count the bytes
    hold) is computed when omitted; when given it must match."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        q = np.frombuffer(bytes(data), np.uint8)
    else:
        arr = np.asarray(data)
        if arr.dtype != np.uint8:
            arr = np.ascontiguousarray(arr).view(np.uint8)
        q = np.ascontiguousarray(arr)
    code = _type_code(t)
    bs = _block_size(code)
    per_block = ggml_row_size(code, bs)
    if q.size % per_block:
        raise InvalidArgument(f"{q.size} bytes are not whole {ggml_type_name(code)} blocks "
                              f"({per_block} bytes)")
    total = q.size // per_block * bs
    if n is not None and n != total:
        raise InvalidArgument(f"{q.size} bytes of {ggml_type_name(code)} hold {total} values, "
                              f"not {n}")
    out = np.empty(total, np.float32)
    if total:
        written = ctypes.c_size_t()
        _ffi.scipix_ggml_dequantize(code, ptr(q, ctypes.c_uint8), q.size, ptr(out, ctypes.c_float),
                                    out.size, ctypes.byref(written))
        assert written.value == total
    if q.ndim > 1:
        return out.reshape(*q.shape[:-1], -1)
    return out


# -- reader ------------------------------------------------------------------------------------

class GgufTensorInfo(NamedTuple):
    name: str
    type: int  # GGML type id
    type_name: str  # "Q4_0", ... ("TYPE_<id>" for ids the library does not name)
    shape: Tuple[int, ...]  # row-major, outermost first
    num_elements: int
    nbytes: int
    file_offset: int
    data: int  # address inside the map


MetadataValue = Any  # int, float, bool, str, numpy array (numeric arrays) or list of str


class Gguf(_Closable):
    """A validated GGUF file (v2 or v3), mapped read-only (``scipix_gguf_open``), or an
    already mapped ``Model`` (``model=``, ``scipix_gguf_from_model``).

    ``version``, ``alignment``; tensors: ``len(g)``, ``names()``, ``tensors()``,
    ``info(name or index)``, ``find(name)``, ``g[name]`` (zero-copy view), ``to_f32(name)``;
    metadata: ``metadata_keys()``, ``metadata_find(key)``, ``metadata_get(key)``,
    ``metadata`` (dict). Thread-safe for concurrent reads, like the C handle."""

    def __init__(self, path: Any = None, flags: int = 0, *, model: Optional[Model] = None,
                 **options: Any) -> None:
        out = ctypes.POINTER(_ffi.type("ScipixGguf"))()
        if model is not None:
            if path is not None:
                raise InvalidArgument("pass a path or a model, not both")
            _ffi.scipix_gguf_from_model(model._ptr, ctypes.byref(out))
            self.path = model.path
        else:
            if path is None:
                raise InvalidArgument("pass a path or model=")
            _ffi.scipix_gguf_open(_path(path), _flags(flags, options), ctypes.byref(out))
            self.path = os.fspath(path)
        self._h = _Handle(out, _ffi.fn("scipix_gguf_free"))

    # -- header ------------------------------------------------------------------------------

    def _info(self) -> Tuple[int, int]:
        v, a = ctypes.c_uint32(), ctypes.c_size_t()
        _ffi.scipix_gguf_info(self._ptr, ctypes.byref(v), ctypes.byref(a))
        return v.value, a.value

    @property
    def version(self) -> int:
        """Format version, 2 or 3 (``scipix_gguf_info``)."""
        return self._info()[0]

    @property
    def alignment(self) -> int:
        """Data alignment in bytes (``general.alignment``, default 32)."""
        return self._info()[1]

    # -- tensors -----------------------------------------------------------------------------

    def __len__(self) -> int:
        n = ctypes.c_size_t()
        _ffi.scipix_gguf_tensor_count(self._ptr, ctypes.byref(n))
        return n.value

    def find(self, name: str) -> int:
        """Index of tensor ``name`` (``scipix_gguf_find``); ``NotFound`` if absent."""
        i = ctypes.c_size_t()
        _ffi.scipix_gguf_find(self._ptr, name.encode("utf-8"), ctypes.byref(i))
        return i.value

    def info(self, key: Union[str, int]) -> GgufTensorInfo:
        """Describes a tensor by name or index in file order (``scipix_gguf_tensor_info``)."""
        if isinstance(key, str):
            key = self.find(key)
        elif not isinstance(key, int):
            raise TypeError(f"tensor key must be str or int, not {type(key).__name__}")
        i = _ffi.type("ScipixGgufTensorInfo")()
        _ffi.scipix_gguf_tensor_info(self._ptr, key, ctypes.byref(i))
        shape = tuple(int(i.shape[k]) for k in range(i.rank))
        addr = ctypes.cast(i.data, ctypes.c_void_p).value or 0
        return GgufTensorInfo(i.name.decode("utf-8"), int(i.type),
                              ggml_type_name(int(i.type)) or f"TYPE_{i.type}", shape,
                              int(i.num_elements), int(i.nbytes), int(i.file_offset), addr)

    def tensors(self) -> List[GgufTensorInfo]:
        """Every tensor's description, in file order."""
        return [self.info(k) for k in range(len(self))]

    def names(self) -> List[str]:
        return [t.name for t in self.tensors()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.find(name)
            return True
        except (NotFound, InvalidArgument):
            return False

    def __getitem__(self, key: Union[str, int]) -> np.ndarray:
        """A read-only numpy view of the tensor in the map (no copy): F32 and F16 with their
        dtype and shape, BF16 as uint16 bit patterns, block types as uint8 rows of shape
        ``(*shape[:-1], row bytes)`` (as ``gguf.GGUFReader``'s ``data``)."""
        try:
            info = self.info(key)
        except NotFound as e:
            raise KeyError(key) from e
        dt = _TENSOR_DTYPES.get(info.type)
        if dt is not None:
            return _view(self._h, info.data, info.shape, dt)
        if len(info.shape) >= 1 and info.num_elements:
            rows = info.num_elements // info.shape[-1]
            return _view(self._h, info.data, (*info.shape[:-1], info.nbytes // rows),
                         np.dtype("u1"))
        return _view(self._h, info.data, (info.nbytes,), np.dtype("u1"))

    def raw(self, key: Union[str, int]) -> np.ndarray:
        """The tensor's bytes as a read-only 1-d uint8 view."""
        info = self.info(key)
        return _view(self._h, info.data, (info.nbytes,), np.dtype("u1"))

    def to_f32(self, key: Union[str, int]) -> np.ndarray:
        """The tensor dequantized to a new float32 array of its shape (``ggml_dequantize``)."""
        info = self.info(key)
        return ggml_dequantize(self.raw(key), info.type, info.num_elements).reshape(info.shape)

    # -- metadata ----------------------------------------------------------------------------

    def metadata_count(self) -> int:
        n = ctypes.c_size_t()
        _ffi.scipix_gguf_metadata_count(self._ptr, ctypes.byref(n))
        return n.value

    def metadata_key(self, index: int) -> str:
        """Key of entry ``index`` in file order (``scipix_gguf_metadata_key``)."""
        k = ctypes.c_char_p()
        _ffi.scipix_gguf_metadata_key(self._ptr, index, ctypes.byref(k))
        return (k.value or b"").decode("utf-8")

    def metadata_keys(self) -> List[str]:
        return [self.metadata_key(i) for i in range(self.metadata_count())]

    def metadata_find(self, key: str) -> int:
        """Index of metadata ``key`` (``scipix_gguf_metadata_find``); ``NotFound`` if absent."""
        i = ctypes.c_size_t()
        _ffi.scipix_gguf_metadata_find(self._ptr, key.encode("utf-8"), ctypes.byref(i))
        return i.value

    def metadata_type(self, key: Union[str, int]) -> Tuple[str, Optional[str]]:
        """(value type, element type of an array or None), names of ``SCIPIX_GGUF_TYPE_*``
        without the prefix ("UINT32", "STRING", ("ARRAY", "INT32"), ...)."""
        _, v = self._value(key)
        t = _value_type(v.type)
        return t, (_value_type(v.elem_type) if t == "ARRAY" else None)

    def _value(self, key: Union[str, int]) -> Tuple[int, Any]:
        index = self.metadata_find(key) if isinstance(key, str) else key
        v = _ffi.type("ScipixGgufValue")()
        _ffi.scipix_gguf_metadata_value(self._ptr, index, ctypes.byref(v))
        return index, v

    def metadata_get(self, key: Union[str, int]) -> MetadataValue:
        """One metadata value by key or index (``scipix_gguf_metadata_value``): int, float,
        bool or str; arrays of fixed-size values as read-only numpy views into the map, arrays
        of strings as a list of str (``scipix_gguf_metadata_array_string``), arrays of arrays
        as their encoded bytes (uint8)."""
        index, v = self._value(key)
        t = _value_type(v.type)
        if t == "STRING":
            return ctypes.string_at(v.str, v.str_len).decode("utf-8") if v.str_len else ""
        if t == "BOOL":
            return bool(v.u)
        if t in ("FLOAT32", "FLOAT64"):
            return float(v.f)
        if t.startswith("UINT"):
            return int(v.u)
        if t.startswith("INT"):
            return int(v.i)
        if t != "ARRAY":
            raise UnsupportedFormat(f"metadata value type {v.type} is not supported")
        et = _value_type(v.elem_type)
        if et == "STRING":
            s, n = ctypes.c_char_p(), ctypes.c_size_t()
            out: List[str] = []
            for e in range(v.count):
                _ffi.scipix_gguf_metadata_array_string(self._ptr, index, e, ctypes.byref(s),
                                                       ctypes.byref(n))
                out.append(ctypes.string_at(s, n.value).decode("utf-8") if n.value else "")
            return out
        addr = ctypes.cast(v.data, ctypes.c_void_p).value or 0
        dt = _VALUE_DTYPES.get(et)
        if dt is None:  # nested arrays: the encoded bytes
            return _view(self._h, addr, (int(v.data_len),), np.dtype("u1"))
        return _view(self._h, addr, (int(v.count),), dt)

    @property
    def metadata(self) -> Dict[str, MetadataValue]:
        """Every metadata entry in file order (values as ``metadata_get``)."""
        return {self.metadata_key(i): self.metadata_get(i) for i in range(self.metadata_count())}


# -- writer ------------------------------------------------------------------------------------

class _WriterHandle(_Handle):
    """The writer's handle, with the arrays it borrows: they live exactly as long as it."""

    def __init__(self, ptr_: Any, free: Any) -> None:
        super().__init__(ptr_, free)
        self.keep: List[np.ndarray] = []


class GgufWriter(_Closable):
    """Builds a GGUF v3 file (``scipix_gguf_writer_*``): metadata and tensors in insertion
    order, data aligned to 32 bytes (or ``general.alignment``, added with ``add_u32``), laid
    out as ``gguf.GGUFWriter`` does. ``write(path)`` writes atomically and may be called
    again; ``close()`` (or leaving a ``with`` block) ends the use of the writer."""

    def __init__(self) -> None:
        out = ctypes.POINTER(_ffi.type("ScipixGgufWriter"))()
        _ffi.scipix_gguf_writer_new(ctypes.byref(out))
        self._wh = _WriterHandle(out, _ffi.fn("scipix_gguf_writer_free"))
        self._h = self._wh

    # -- metadata ----------------------------------------------------------------------------

    def add_string(self, key: str, value: str) -> None:
        _ffi.scipix_gguf_writer_add_string(self._ptr, key.encode("utf-8"), value.encode("utf-8"))

    def add_u32(self, key: str, value: int) -> None:
        _check_int(value, 0, 2**32 - 1, key)
        _ffi.scipix_gguf_writer_add_u32(self._ptr, key.encode("utf-8"), value)

    def add_i32(self, key: str, value: int) -> None:
        _check_int(value, -2**31, 2**31 - 1, key)
        _ffi.scipix_gguf_writer_add_i32(self._ptr, key.encode("utf-8"), value)

    def add_u64(self, key: str, value: int) -> None:
        _check_int(value, 0, 2**64 - 1, key)
        _ffi.scipix_gguf_writer_add_u64(self._ptr, key.encode("utf-8"), value)

    def add_i64(self, key: str, value: int) -> None:
        _check_int(value, -2**63, 2**63 - 1, key)
        _ffi.scipix_gguf_writer_add_i64(self._ptr, key.encode("utf-8"), value)

    def add_f32(self, key: str, value: float) -> None:
        _ffi.scipix_gguf_writer_add_f32(self._ptr, key.encode("utf-8"), float(value))

    def add_f64(self, key: str, value: float) -> None:
        _ffi.scipix_gguf_writer_add_f64(self._ptr, key.encode("utf-8"), float(value))

    def add_bool(self, key: str, value: bool) -> None:
        _ffi.scipix_gguf_writer_add_bool(self._ptr, key.encode("utf-8"), bool(value))

    # -- tensors -----------------------------------------------------------------------------

    def add_tensor(self, name: str, array: Any, type: Optional[GgmlTypeLike] = None) -> None:
        """Adds a numpy array. Without ``type``: float32 as F32, float16 as F16, borrowed
        (no copy; the writer keeps the array alive). With ``type`` Q8_0, Q4_0, Q4_1, Q5_0,
        Q5_1 (or F32): the float32 values quantized into the writer
        (``scipix_gguf_writer_add_tensor_f32``; the last axis a multiple of 32)."""
        if type is not None:
            a = contiguous_in(array, np.float32, name)
            dims = _dims(a.shape)
            _ffi.scipix_gguf_writer_add_tensor_f32(self._ptr, name.encode("utf-8"),
                                                   _type_code(type), dims, a.ndim,
                                                   ptr(a, ctypes.c_float) if a.size else None,
                                                   a.size)
            return
        arr = np.asarray(array)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        if arr.dtype == np.float32:
            code = int(GgmlType.F32)
        elif arr.dtype == np.float16:
            code = int(GgmlType.F16)
        else:
            raise UnsupportedFormat(f"tensor {name!r}: no GGML type for {arr.dtype}; pass "
                                    "type= to quantize, or add_tensor_bytes")
        arr = np.ascontiguousarray(arr)
        buf = arr.reshape(-1).view(np.uint8)
        _ffi.scipix_gguf_writer_add_tensor_borrowed(self._ptr, name.encode("utf-8"), code,
                                                    _dims(arr.shape), arr.ndim,
                                                    ptr(buf, ctypes.c_uint8) if buf.size else None,
                                                    buf.size)
        self._wh.keep.append(buf)

    def add_tensor_bytes(self, name: str, type: GgmlTypeLike, shape: Tuple[int, ...],
                         data: Any) -> None:
        """Adds already encoded data of GGML ``type`` and row-major ``shape`` (bytes or a
        uint8 array such as ``ggml_quantize``'s result), copied into the writer
        (``scipix_gguf_writer_add_tensor``)."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            buf = np.frombuffer(bytes(data), np.uint8)
        else:
            buf = np.ascontiguousarray(np.asarray(data)).reshape(-1).view(np.uint8)
        _ffi.scipix_gguf_writer_add_tensor(self._ptr, name.encode("utf-8"), _type_code(type),
                                           _dims(shape), len(shape),
                                           ptr(buf, ctypes.c_uint8) if buf.size else None,
                                           buf.size)

    def write(self, path: Any) -> None:
        """Writes the file to ``path`` atomically (``scipix_gguf_writer_write``)."""
        _ffi.scipix_gguf_writer_write(self._ptr, _path(path))


def _dims(shape: Any) -> Any:
    return (ctypes.c_size_t * max(len(shape), 1))(*shape)


def _check_int(value: int, lo: int, hi: int, key: str) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not lo <= value <= hi:
        raise InvalidArgument(f"metadata {key!r}: {value!r} is not an integer in [{lo}, {hi}]")
