"""int8/uint8 linear quantization exactly as ONNX QuantizeLinear / DequantizeLinear,
parameters from ranges or data, quantized tensors, calibration and error metrics.

    q = saturate(round_half_to_even(x / scale) + zero_point)      x' = (q - zero_point) * scale

``quantize(x, scale, zp)`` is per tensor; pass arrays of scales and zero points with ``axis=``
for per-axis (ONNX ``axis``) or with ``block_size=`` for blocks along the last axis (scales of
shape ``(*x.shape[:-1], ceil(k / block_size))``, as ONNX opset 21). ``dtype`` is "int8" or
"uint8" (or the numpy type).
"""
from __future__ import annotations

import ctypes
from typing import Any, Optional, Tuple

import numpy as np

from ._arrays import aligned, contiguous_in, ptr
from ._ffi import _ffi
from ._handles import NotPicklable
from .errors import InvalidArgument, UnsupportedFormat

_NP = {"int8": np.dtype(np.int8), "uint8": np.dtype(np.uint8)}
_MODES = ("asymmetric", "symmetric")
_GRANS = {"per_tensor": "SCIPIX_QGRAN_PER_TENSOR", "per_axis": "SCIPIX_QGRAN_PER_AXIS",
          "blocked": "SCIPIX_QGRAN_BLOCKED"}


def _methods() -> Tuple[str, ...]:
    """Calibration method names from the header's SCIPIX_CALIB_* constants."""
    return tuple(k[len("SCIPIX_CALIB_"):].lower() for k in _ffi.consts if k.startswith("SCIPIX_CALIB_"))


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, str):
        name = dtype.lower()
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            raise UnsupportedFormat(f"unknown quantized dtype {dtype!r}") from None
    if name not in _NP:
        raise UnsupportedFormat(f"quantized dtype must be int8 or uint8, not {dtype!r}")
    return name


def _dtype_code(dtype: Any) -> int:
    return _ffi.const(f"SCIPIX_QDTYPE_{_dtype_name(dtype).upper()}")


def _mode_code(mode: Any) -> int:
    if mode not in _MODES:
        raise InvalidArgument(f"unknown quantization mode {mode!r}; one of {', '.join(_MODES)}")
    return _ffi.const(f"SCIPIX_QMODE_{mode.upper()}")


def _shape_arr(shape: Any) -> Any:
    return (ctypes.c_size_t * max(len(shape), 1))(*shape)


def _f32(x: Any, name: str = "x") -> np.ndarray:
    return contiguous_in(x, np.float32, name)


def _axis(axis: int, ndim: int) -> int:
    a = axis + ndim if axis < 0 else axis
    if not 0 <= a < ndim:
        raise InvalidArgument(f"axis {axis} out of range for a {ndim}-d tensor")
    return a


# -- parameters -------------------------------------------------------------------------------

def params_from_range(rmin: float, rmax: float, dtype: Any = "int8", mode: str = "asymmetric",
                      reduce_range: bool = False) -> Tuple[float, int]:
    """(scale, zero_point) for the real range [rmin, rmax] as ONNX Runtime's
    ``compute_scale_zp`` (range widened to include 0; ``scipix_quantize_params_from_range``)."""
    s, z = ctypes.c_float(), ctypes.c_int32()
    _ffi.scipix_quantize_params_from_range(rmin, rmax, _dtype_code(dtype), _mode_code(mode),
                                           reduce_range, ctypes.byref(s), ctypes.byref(z))
    return s.value, z.value


def params_from_data(x: Any, dtype: Any = "int8", mode: str = "asymmetric",
                     reduce_range: bool = False) -> Tuple[float, int]:
    """(scale, zero_point) from the data's min and max (``scipix_quantize_params_from_data``)."""
    a = _f32(x)
    s, z = ctypes.c_float(), ctypes.c_int32()
    _ffi.scipix_quantize_params_from_data(ptr(a, ctypes.c_float), a.size, _dtype_code(dtype),
                                          _mode_code(mode), reduce_range, ctypes.byref(s),
                                          ctypes.byref(z))
    return s.value, z.value


def params_axis(x: Any, axis: int = 0, dtype: Any = "int8", mode: str = "asymmetric",
                reduce_range: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """Per-channel (scales float32[C], zero_points int32[C]) along ``axis``
    (``scipix_quantize_params_axis``); axis 0 of an [out, in] weight = per output channel."""
    a = _f32(x)
    ax = _axis(axis, a.ndim)
    c = a.shape[ax]
    scales, zps = np.empty(c, np.float32), np.empty(c, np.int32)
    _ffi.scipix_quantize_params_axis(ptr(a, ctypes.c_float), _shape_arr(a.shape), a.ndim, ax,
                                     _dtype_code(dtype), _mode_code(mode), reduce_range,
                                     ptr(scales, ctypes.c_float), ptr(zps, ctypes.c_int32), c)
    return scales, zps


# -- quantize / dequantize -------------------------------------------------------------------

def _params_arrays(scale: Any, zero_point: Any) -> Tuple[np.ndarray, np.ndarray]:
    s = np.ascontiguousarray(scale, dtype=np.float32).ravel()
    z = np.ascontiguousarray(zero_point, dtype=np.int64).ravel()
    if z.size == 1 and s.size > 1:
        z = np.full(s.size, z[0])
    if s.size != z.size:
        raise InvalidArgument(f"{s.size} scales but {z.size} zero points")
    if (z < np.iinfo(np.int32).min).any() or (z > np.iinfo(np.int32).max).any():
        raise InvalidArgument("zero point outside int32")
    return s, np.ascontiguousarray(z.astype(np.int32))


def _out(out: Any, shape: Any, dtype: Any, name: str = "out") -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype)
    if not isinstance(out, np.ndarray) or out.dtype != np.dtype(dtype):
        raise UnsupportedFormat(f"{name} must be a {np.dtype(dtype)} numpy array")
    if out.shape != tuple(shape) or not out.flags.c_contiguous or not out.flags.writeable \
            or not out.flags.aligned:
        raise InvalidArgument(f"{name} must be a writable, aligned, C-contiguous array of shape "
                              f"{tuple(shape)}")
    return out


def quantize(x: Any, scale: Any, zero_point: Any = 0, dtype: Any = "int8", *, axis: Optional[int] = None,
             block_size: Optional[int] = None, out: Optional[np.ndarray] = None) -> np.ndarray:
    """ONNX QuantizeLinear, bit-exact with ONNX Runtime: per tensor
    (``scipix_quantize_linear``), per axis (``scipix_quantize_linear_axis``) or blocked
    along the last axis (``scipix_quantize_linear_blocked``). Returns int8/uint8 of x's shape."""
    a = _f32(x)
    name = _dtype_name(dtype)
    res = _out(out, a.shape, _NP[name])
    code = _dtype_code(name)
    if axis is not None and block_size is not None:
        raise InvalidArgument("pass axis= or block_size=, not both")
    if axis is None and block_size is None:
        if np.ndim(scale) or np.ndim(zero_point):
            raise InvalidArgument("per-tensor quantization takes one scale and one zero point; "
                                  "pass axis= or block_size= for arrays")
        _ffi.scipix_quantize_linear(ptr(a, ctypes.c_float), a.size, float(scale),
                                    int(zero_point), code, res.ctypes.data, res.size)
        return res
    s, z = _params_arrays(scale, zero_point)
    if axis is not None:
        _ffi.scipix_quantize_linear_axis(ptr(a, ctypes.c_float), _shape_arr(a.shape), a.ndim,
                                         _axis(axis, max(a.ndim, 1)), ptr(s, ctypes.c_float),
                                         ptr(z, ctypes.c_int32), s.size, code, res.ctypes.data,
                                         res.size)
    else:
        _ffi.scipix_quantize_linear_blocked(ptr(a, ctypes.c_float), _shape_arr(a.shape), a.ndim,
                                            block_size, ptr(s, ctypes.c_float),
                                            ptr(z, ctypes.c_int32), s.size, code,
                                            res.ctypes.data, res.size)
    return res


def dequantize(q: Any, scale: Any, zero_point: Any = 0, *, axis: Optional[int] = None,
               block_size: Optional[int] = None, out: Optional[np.ndarray] = None) -> np.ndarray:
    """ONNX DequantizeLinear, bit-exact with ONNX Runtime; ``q`` is int8 or uint8 (its dtype
    selects the C dtype). Same granularities as ``quantize``."""
    qa = np.asarray(q)
    name = _dtype_name(qa.dtype)
    qa = aligned(qa)
    code = _dtype_code(name)
    res = _out(out, qa.shape, np.float32)
    if axis is not None and block_size is not None:
        raise InvalidArgument("pass axis= or block_size=, not both")
    if axis is None and block_size is None:
        if np.ndim(scale) or np.ndim(zero_point):
            raise InvalidArgument("per-tensor dequantization takes one scale and one zero point")
        _ffi.scipix_dequantize_linear(qa.ctypes.data, qa.size, float(scale), int(zero_point),
                                      code, ptr(res, ctypes.c_float), res.size)
        return res
    s, z = _params_arrays(scale, zero_point)
    if axis is not None:
        _ffi.scipix_dequantize_linear_axis(qa.ctypes.data, _shape_arr(qa.shape), qa.ndim,
                                           _axis(axis, max(qa.ndim, 1)), ptr(s, ctypes.c_float),
                                           ptr(z, ctypes.c_int32), s.size, code,
                                           ptr(res, ctypes.c_float), res.size)
    else:
        _ffi.scipix_dequantize_linear_blocked(qa.ctypes.data, _shape_arr(qa.shape), qa.ndim,
                                              block_size, ptr(s, ctypes.c_float),
                                              ptr(z, ctypes.c_int32), s.size, code,
                                              ptr(res, ctypes.c_float), res.size)
    return res


# -- quantized tensor --------------------------------------------------------------------------

class _Handle:
    def __init__(self, p: Any, free: Any) -> None:
        self.ptr, self._free = p, free

    def __del__(self) -> None:
        p, self.ptr = self.ptr, None
        if p:
            try:
                self._free(p)
            except Exception:  # interpreter shutdown
                pass


class _View:
    def __init__(self, owner: Any, addr: Any, shape: Any, dtype: Any) -> None:
        self._owner = owner
        self.__array_interface__ = {"version": 3, "shape": tuple(shape),
                                    "typestr": np.dtype(dtype).str, "data": (addr, True)}


def _view(owner: Any, addr: Any, shape: Any, dtype: Any) -> np.ndarray:
    if not addr or int(np.prod(shape, dtype=np.int64)) == 0:
        a = np.empty(shape, dtype)
        a.flags.writeable = False
        return a
    return np.asarray(_View(owner, addr, shape, dtype))


class QTensor(NotPicklable):
    """A quantized tensor owned by scipix (``scipix_qtensor_*``): parameters computed from
    the data's min/max, then quantized. ``data``, ``scales``, ``zero_points`` are read-only
    numpy views into it (they keep it alive)."""

    def __init__(self, x: Any, dtype: Any = "int8", mode: str = "asymmetric", *, reduce_range: bool = False,
                 granularity: str = "per_tensor", axis: int = 0, block_size: int = 0) -> None:
        a = _f32(x)
        if granularity not in _GRANS:
            raise InvalidArgument(f"unknown granularity {granularity!r}; one of {', '.join(_GRANS)}")
        if granularity == "per_axis":
            axis = _axis(axis, a.ndim)
        out = ctypes.POINTER(_ffi.type("ScipixQTensor"))()
        _ffi.scipix_qtensor_quantize(ptr(a, ctypes.c_float), _shape_arr(a.shape), a.ndim,
                                     _dtype_code(dtype), _mode_code(mode), reduce_range,
                                     _ffi.const(_GRANS[granularity]), axis, block_size,
                                     ctypes.byref(out))
        self._h = _Handle(out, _ffi.fn("scipix_qtensor_free"))

    @property
    def dtype(self) -> np.dtype:
        d = ctypes.c_uint32()
        _ffi.scipix_qtensor_dtype(self._h.ptr, ctypes.byref(d))
        return _NP["int8"] if d.value == _ffi.const("SCIPIX_QDTYPE_INT8") else _NP["uint8"]

    @property
    def shape(self) -> Tuple[int, ...]:
        p = ctypes.POINTER(ctypes.c_size_t)()
        r = ctypes.c_size_t()
        _ffi.scipix_qtensor_shape(self._h.ptr, ctypes.byref(p), ctypes.byref(r))
        return tuple(p[i] for i in range(r.value))

    @property
    def granularity(self) -> Tuple[str, int, int]:
        """(granularity name, axis, block_size)."""
        g, ax, bs = ctypes.c_uint32(), ctypes.c_size_t(), ctypes.c_size_t()
        _ffi.scipix_qtensor_granularity(self._h.ptr, ctypes.byref(g), ctypes.byref(ax), ctypes.byref(bs))
        name = next(k for k, v in _GRANS.items() if _ffi.const(v) == g.value)
        return name, ax.value, bs.value

    @property
    def nbytes(self) -> int:
        return int(_ffi.scipix_qtensor_nbytes(self._h.ptr))

    @property
    def data(self) -> np.ndarray:
        """The quantized values (read-only view, x's shape)."""
        p, n = ctypes.c_void_p(), ctypes.c_size_t()
        _ffi.scipix_qtensor_data(self._h.ptr, ctypes.byref(p), ctypes.byref(n))
        return _view(self._h, p.value, self.shape, self.dtype)

    @property
    def scales(self) -> np.ndarray:
        p, n = ctypes.POINTER(ctypes.c_float)(), ctypes.c_size_t()
        _ffi.scipix_qtensor_scales(self._h.ptr, ctypes.byref(p), ctypes.byref(n))
        return _view(self._h, ctypes.cast(p, ctypes.c_void_p).value, (n.value,), np.float32)

    @property
    def zero_points(self) -> np.ndarray:
        p, n = ctypes.POINTER(ctypes.c_int32)(), ctypes.c_size_t()
        _ffi.scipix_qtensor_zero_points(self._h.ptr, ctypes.byref(p), ctypes.byref(n))
        return _view(self._h, ctypes.cast(p, ctypes.c_void_p).value, (n.value,), np.int32)

    @property
    def compression_ratio(self) -> float:
        return float(_ffi.scipix_qtensor_compression_ratio(self._h.ptr))

    def dequantize(self, out: Optional[np.ndarray] = None) -> np.ndarray:
        res = _out(out, self.shape, np.float32)
        _ffi.scipix_qtensor_dequantize(self._h.ptr, ptr(res, ctypes.c_float), res.size)
        return res


# -- calibration -------------------------------------------------------------------------------

class Calibrator(NotPicklable):
    """Streams batches of f32 data (``observe``) and yields clipping ranges and quantization
    parameters (``scipix_calibrator_*``). ``method``: "minmax", "percentile" (default
    percentile 99.999 as ONNX Runtime), "entropy" (ONNX Runtime's KL method) or "mse" (the
    names of the header's ``SCIPIX_CALIB_*``). Not thread-safe (like the C handle): use one
    calibrator from one thread at a time."""

    def __init__(self, method: str = "minmax", *, percentile: Optional[float] = None,
                 dtype: Any = "int8", mode: str = "asymmetric", reduce_range: bool = False,
                 per_channel: bool = False, axis: int = 0) -> None:
        if method not in _methods():
            raise InvalidArgument(f"unknown calibration method {method!r}; one of {', '.join(_methods())}")
        if axis < 0:
            raise InvalidArgument("axis must be >= 0 (the rank is not known before observe)")
        out = ctypes.POINTER(_ffi.type("ScipixCalibrator"))()
        _ffi.scipix_calibrator_new(_ffi.const(f"SCIPIX_CALIB_{method.upper()}"),
                                   0.0 if percentile is None else float(percentile),
                                   _dtype_code(dtype), _mode_code(mode), reduce_range,
                                   per_channel, axis, ctypes.byref(out))
        self._h = _Handle(out, _ffi.fn("scipix_calibrator_free"))

    def observe(self, x: Any) -> "Calibrator":
        a = _f32(x)
        _ffi.scipix_calibrator_observe(self._h.ptr, ptr(a, ctypes.c_float), _shape_arr(a.shape), a.ndim)
        return self

    @property
    def channels(self) -> int:
        return int(_ffi.scipix_calibrator_channels(self._h.ptr))

    def range(self) -> Tuple[np.ndarray, np.ndarray]:
        """(rmin, rmax) float32 arrays, one entry per channel (1 when per tensor)."""
        n = self.channels
        lo, hi = np.empty(n, np.float32), np.empty(n, np.float32)
        _ffi.scipix_calibrator_range(self._h.ptr, ptr(lo, ctypes.c_float), ptr(hi, ctypes.c_float), n)
        return lo, hi

    def compute(self) -> Tuple[np.ndarray, np.ndarray]:
        """(scales float32, zero_points int32), one per channel."""
        n = self.channels
        s, z = np.empty(n, np.float32), np.empty(n, np.int32)
        _ffi.scipix_calibrator_compute(self._h.ptr, ptr(s, ctypes.c_float), ptr(z, ctypes.c_int32), n)
        return s, z


# -- metrics -----------------------------------------------------------------------------------

def _pair(x: Any, y: Any) -> Any:
    a, b = _f32(x, "x"), _f32(y, "y")
    if a.size != b.size:
        raise InvalidArgument(f"x has {a.size} elements but y has {b.size}")
    return a, b


def mse(x: Any, y: Any) -> float:
    """Mean squared error in double (``scipix_quantization_mse``)."""
    a, b = _pair(x, y)
    out = ctypes.c_double()
    _ffi.scipix_quantization_mse(ptr(a, ctypes.c_float), ptr(b, ctypes.c_float), a.size, ctypes.byref(out))
    return out.value


def sqnr_db(x: Any, y: Any) -> float:
    """10*log10(sum(x^2) / sum((x - y)^2)) in dB (``scipix_sqnr_db``); +inf for an exact
    reconstruction, -inf for a zero signal with noise."""
    a, b = _pair(x, y)
    out = ctypes.c_double()
    _ffi.scipix_sqnr_db(ptr(a, ctypes.c_float), ptr(b, ctypes.c_float), a.size, ctypes.byref(out))
    return out.value


# -- int4 / uint4 and float8 ------------------------------------------------------------------

_Q4 = ("int4", "uint4")
_FP8 = {"e4m3fn": "SCIPIX_FP8_E4M3FN", "e5m2": "SCIPIX_FP8_E5M2"}


def _lowbit_layout(shape: Tuple[int, ...], scale: Any, axis: Optional[int],
                   block_size: Optional[int]) -> Tuple[int, int, np.ndarray]:
    """(granularity code, axis_or_block, scales) for a 4-bit or float8 call."""
    if axis is not None and block_size is not None:
        raise InvalidArgument("pass axis= or block_size=, not both")
    s = np.ascontiguousarray(scale, dtype=np.float32).ravel()
    if axis is not None:
        return _ffi.const(_GRANS["per_axis"]), _axis(axis, max(len(shape), 1)), s
    if block_size is not None:
        return _ffi.const(_GRANS["blocked"]), int(block_size), s
    if np.ndim(scale):
        raise InvalidArgument("per-tensor quantization takes one scale; pass axis= or "
                              "block_size= for arrays")
    return _ffi.const(_GRANS["per_tensor"]), 0, s


def _q4_code(dtype: str) -> int:
    if dtype not in _Q4:
        raise UnsupportedFormat(f"4-bit dtype must be 'int4' or 'uint4', not {dtype!r}")
    return _ffi.const(f"SCIPIX_QDTYPE_{dtype.upper()}")


def _q4_zps(zero_point: Any, n: int) -> np.ndarray:
    z = np.ascontiguousarray(zero_point, dtype=np.int64).ravel()
    if z.size == 1 and n > 1:
        z = np.full(n, z[0])
    if z.size != n:
        raise InvalidArgument(f"{n} scales but {z.size} zero points")
    return np.ascontiguousarray(np.clip(z, -2 ** 31, 2 ** 31 - 1).astype(np.int32))


def quantize_int4(x: Any, scale: Any, zero_point: Any = 0, dtype: str = "int4", *,
                  axis: Optional[int] = None,
                  block_size: Optional[int] = None) -> np.ndarray:
    """ONNX QuantizeLinear to int4/uint4 (opset 21), bit-exact with ONNX Runtime
    (``scipix_quantize_int4``): ``q = saturate(round_half_even(x / scale) + zero_point)`` to
    [-8, 7] / [0, 15]; per tensor, per axis (``axis=``) or in blocks along the last axis
    (``block_size=``, scales of shape ``(*x.shape[:-1], ceil(k / block_size))``). Returns the
    packed bytes (uint8, ``ceil(x.size / 2)``): element 2i in the low nibble of byte i."""
    a = _f32(x)
    gran, aob, s = _lowbit_layout(a.shape, scale, axis, block_size)
    z = _q4_zps(zero_point, s.size)
    res = np.empty((a.size + 1) // 2, np.uint8)
    shape = a.shape if a.ndim else (1,)
    _ffi.scipix_quantize_int4(ptr(a, ctypes.c_float), _shape_arr(shape), len(shape), gran, aob,
                              ptr(s, ctypes.c_float), ptr(z, ctypes.c_int32), s.size,
                              _q4_code(dtype), res.ctypes.data, res.size)
    return res


def dequantize_int4(q: Any, shape: Tuple[int, ...], scale: Any, zero_point: Any = 0,
                    dtype: str = "int4", *,
                    axis: Optional[int] = None, block_size: Optional[int] = None) -> np.ndarray:
    """ONNX DequantizeLinear from packed int4/uint4 bytes (as ``quantize_int4`` returns them),
    bit-exact with ONNX Runtime (``scipix_dequantize_int4``): ``(q - zero_point) * scale``.
    Returns float32 of ``shape``."""
    qa = aligned(np.ascontiguousarray(q, dtype=np.uint8))
    shape = tuple(int(d) for d in shape) or (1,)
    gran, aob, s = _lowbit_layout(shape, scale, axis, block_size)
    z = _q4_zps(zero_point, s.size)
    res = np.empty(shape, np.float32)
    _ffi.scipix_dequantize_int4(qa.ctypes.data, qa.size, _shape_arr(shape), len(shape), gran, aob,
                                ptr(s, ctypes.c_float), ptr(z, ctypes.c_int32), s.size,
                                _q4_code(dtype), ptr(res, ctypes.c_float), res.size)
    return res


def _fp8_code(fmt: str) -> int:
    if fmt not in _FP8:
        raise UnsupportedFormat(f"float8 format must be one of {', '.join(_FP8)}, not {fmt!r}")
    return _ffi.const(_FP8[fmt])


def quantize_fp8(x: Any, scale: Any = 1.0, fmt: str = "e4m3fn", *, saturate: bool = True,
                 axis: Optional[int] = None, block_size: Optional[int] = None) -> np.ndarray:
    """ONNX QuantizeLinear to float8 (``fmt`` "e4m3fn" or "e5m2", opset 19+ ``saturate``),
    bit-exact with ONNX Runtime (``scipix_quantize_fp8``: ``x / scale`` in f32, round to
    nearest even; saturate clamps to +/-448 / +/-57344). Returns the codes as uint8 of x's
    shape (``.view(ml_dtypes.float8_e4m3fn)`` reads them as floats)."""
    a = _f32(x)
    gran, aob, s = _lowbit_layout(a.shape, scale, axis, block_size)
    res = np.empty(a.shape, np.uint8)
    shape = a.shape if a.ndim else (1,)
    _ffi.scipix_quantize_fp8(ptr(a, ctypes.c_float), _shape_arr(shape), len(shape), gran, aob,
                             ptr(s, ctypes.c_float), s.size, _fp8_code(fmt), bool(saturate),
                             res.ctypes.data, res.size)
    return res


def dequantize_fp8(q: Any, scale: Any = 1.0, fmt: str = "e4m3fn", *,
                   axis: Optional[int] = None,
                   block_size: Optional[int] = None) -> np.ndarray:
    """ONNX DequantizeLinear from float8 codes (uint8 or an ml_dtypes float8 array), bit-exact
    with ONNX Runtime (``scipix_dequantize_fp8``: ``float(q) * scale``)."""
    qa = np.asarray(q)
    qa = aligned(np.ascontiguousarray(qa.view(np.uint8) if qa.dtype.itemsize == 1 else qa))
    if qa.dtype != np.uint8:
        raise UnsupportedFormat("float8 codes must be a 1-byte array")
    gran, aob, s = _lowbit_layout(qa.shape, scale, axis, block_size)
    res = np.empty(qa.shape, np.float32)
    shape = qa.shape if qa.ndim else (1,)
    _ffi.scipix_dequantize_fp8(qa.ctypes.data, _shape_arr(shape), len(shape), gran, aob,
                               ptr(s, ctypes.c_float), s.size, _fp8_code(fmt),
                               ptr(res, ctypes.c_float), res.size)
    return res


def to_f16(x: Any) -> np.ndarray:
    """f32 -> float16 exactly as numpy's ``astype(np.float16)`` (``scipix_f32_to_f16``)."""
    a = _f32(x)
    res = np.empty(a.shape, np.float16)
    _ffi.scipix_f32_to_f16(ptr(a, ctypes.c_float), ptr(res, ctypes.c_uint16), a.size)
    return res


def to_bf16(x: Any) -> np.ndarray:
    """f32 -> bfloat16 bit patterns (uint16) exactly as ``ml_dtypes.bfloat16``
    (``scipix_f32_to_bf16``); ``.view(ml_dtypes.bfloat16)`` reads them as floats."""
    a = _f32(x)
    res = np.empty(a.shape, np.uint16)
    _ffi.scipix_f32_to_bf16(ptr(a, ctypes.c_float), ptr(res, ctypes.c_uint16), a.size)
    return res
