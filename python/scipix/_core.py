"""Library identity, CPU features, optimization level, instruction-set cap and threads."""
from __future__ import annotations

import contextlib
import ctypes
import enum
from typing import Any, Iterator, List, Union

from ._ffi import _ffi


# The header's constant groups as enums; tests/test_bindings.py checks that each lists
# every constant of its prefix, so a new header constant fails the tests until added here.
class Isa(enum.IntEnum):
    """Kernel families (``SCIPIX_ISA_*``)."""

    SCALAR = _ffi.const("SCIPIX_ISA_SCALAR")
    SSE41 = _ffi.const("SCIPIX_ISA_SSE41")
    AVX2 = _ffi.const("SCIPIX_ISA_AVX2")
    AVX512 = _ffi.const("SCIPIX_ISA_AVX512")
    NEON = _ffi.const("SCIPIX_ISA_NEON")
    SIMD128 = _ffi.const("SCIPIX_ISA_SIMD128")


class OptLevel(enum.IntEnum):
    """Process-wide optimization levels (``SCIPIX_OPT_*``)."""

    NONE = _ffi.const("SCIPIX_OPT_NONE")
    SIMD = _ffi.const("SCIPIX_OPT_SIMD")
    PARALLEL = _ffi.const("SCIPIX_OPT_PARALLEL")
    FULL = _ffi.const("SCIPIX_OPT_FULL")


class CpuFeature(enum.IntFlag):
    """CPU feature bits (``SCIPIX_CPU_*``)."""

    SSE2 = _ffi.const("SCIPIX_CPU_SSE2")
    SSSE3 = _ffi.const("SCIPIX_CPU_SSSE3")
    SSE41 = _ffi.const("SCIPIX_CPU_SSE41")
    SSE42 = _ffi.const("SCIPIX_CPU_SSE42")
    AVX = _ffi.const("SCIPIX_CPU_AVX")
    AVX2 = _ffi.const("SCIPIX_CPU_AVX2")
    FMA = _ffi.const("SCIPIX_CPU_FMA")
    F16C = _ffi.const("SCIPIX_CPU_F16C")
    AVX512F = _ffi.const("SCIPIX_CPU_AVX512F")
    AVX512BW = _ffi.const("SCIPIX_CPU_AVX512BW")
    AVX512VNNI = _ffi.const("SCIPIX_CPU_AVX512VNNI")
    AVX512VBMI = _ffi.const("SCIPIX_CPU_AVX512VBMI")
    NEON = _ffi.const("SCIPIX_CPU_NEON")
    DOTPROD = _ffi.const("SCIPIX_CPU_DOTPROD")
    FP16 = _ffi.const("SCIPIX_CPU_FP16")
    SIMD128 = _ffi.const("SCIPIX_CPU_SIMD128")


class PixelFormat(enum.IntEnum):
    """8-bit pixel formats (``SCIPIX_FORMAT_*``)."""

    GRAY8 = _ffi.const("SCIPIX_FORMAT_GRAY8")
    RGB8 = _ffi.const("SCIPIX_FORMAT_RGB8")
    BGR8 = _ffi.const("SCIPIX_FORMAT_BGR8")
    RGBA8 = _ffi.const("SCIPIX_FORMAT_RGBA8")
    BGRA8 = _ffi.const("SCIPIX_FORMAT_BGRA8")


def _enum_from_prefix(name: str, prefix: str, flag: bool = False) -> Any:
    """A Python enum of the header's ``#define <prefix><NAME> value`` constants, members in
    value order (``SCIPIX_ISA_AVX2`` -> ``.AVX2``). For constant groups without a class
    above; mypy sees the result as ``Any``."""
    found = sorted((v, k[len(prefix):]) for k, v in _ffi.consts.items() if k.startswith(prefix))
    base: Any = enum.IntFlag if flag else enum.IntEnum
    return base(name, [(n, v) for v, n in found], module=__name__)


_ISA_ALIASES = {"sse4.1": "SSE41", "sse4_1": "SSE41"}


def _to_enum(cls: Any, value: Any, what: str) -> int:
    from .errors import InvalidArgument

    if isinstance(value, cls):
        return int(value)
    if isinstance(value, str):
        key = _ISA_ALIASES.get(value.lower(), value).upper()
        try:
            return int(cls[key])
        except KeyError:
            raise InvalidArgument(f"unknown {what} {value!r}; one of "
                                  f"{', '.join(m.name.lower() for m in cls)}") from None
    if isinstance(value, int):
        return value  # passed through: the library validates numbers itself
    raise TypeError(f"{what} must be a {cls.__name__}, a name or an int, not {type(value).__name__}")


# -- identity --------------------------------------------------------------------------------

def version() -> str:
    """The library version "MAJOR.MINOR.PATCH" (``scipix_version``)."""
    return str(_ffi.scipix_version().decode())


def abi_version() -> int:
    """The ABI version of the loaded library (``scipix_abi_version``)."""
    return int(_ffi.scipix_abi_version())


def status_str(status: int) -> str:
    """The library's English description of a status code (``scipix_status_str``)."""
    return str(_ffi.scipix_status_str(status).decode())


def last_error_message() -> str:
    """This thread's last error message (``scipix_last_error_message``)."""
    return str(_ffi.scipix_last_error_message().decode("utf-8", "replace"))


def last_error_copy(capacity: int = 1024) -> str:
    """This thread's last error message through ``scipix_last_error_copy`` (grows the buffer
    if the message was truncated)."""
    n = _ffi.scipix_last_error_copy(None, 0)
    buf = ctypes.create_string_buffer(max(capacity, n + 1))
    _ffi.scipix_last_error_copy(buf, len(buf))
    return buf.value.decode("utf-8", "replace")


def debug_panic() -> None:
    """Makes the library panic internally; raises ``scipix.Panic`` (tests the boundary)."""
    _ffi.scipix_debug_panic()


# -- CPU features ----------------------------------------------------------------------------

def cpu_features() -> "CpuFeature":
    """The running CPU's features as a ``CpuFeature`` flag set (``scipix_cpu_features``)."""
    return CpuFeature(_ffi.scipix_cpu_features())


def cpu_features_string() -> str:
    """Detected features as space-separated names, e.g. "sse2 ... avx2 fma f16c"."""
    return str(_ffi.scipix_cpu_features_string().decode())


# -- optimization level ----------------------------------------------------------------------

def set_opt_level(level: Union["OptLevel", str, int]) -> None:
    """Sets the process-wide level: "none", "simd", "parallel" or "full" (the default)."""
    _ffi.scipix_set_opt_level(_to_enum(OptLevel, level, "optimization level"))


def get_opt_level() -> "OptLevel":
    return OptLevel(_ffi.scipix_get_opt_level())


def simd_enabled() -> bool:
    return bool(_ffi.scipix_simd_enabled())


def parallel_enabled() -> bool:
    return bool(_ffi.scipix_parallel_enabled())


def memory_opt_enabled() -> bool:
    return bool(_ffi.scipix_memory_opt_enabled())


@contextlib.contextmanager
def opt_level(level: Union[OptLevel, str, int]) -> Iterator[OptLevel]:
    """``with scipix.opt_level("none"): ...`` runs the block at that level and restores the
    previous one (process-wide: other threads see the change too)."""
    old = get_opt_level()
    set_opt_level(level)
    try:
        yield get_opt_level()
    finally:
        set_opt_level(old)


# -- instruction-set cap ---------------------------------------------------------------------

def set_max_isa(isa: Union["Isa", str, int]) -> "Isa":
    """Caps the kernel family ("scalar", "sse41", "avx2", "avx512", "neon", "simd128") and
    returns the cap in force: an ISA this CPU lacks is clamped to the best one it has."""
    eff = ctypes.c_uint32(0)
    _ffi.scipix_set_max_isa(_to_enum(Isa, isa, "ISA"), ctypes.byref(eff))
    return Isa(eff.value)


def get_max_isa() -> "Isa":
    return Isa(_ffi.scipix_get_max_isa())


def active_isa() -> "Isa":
    """The kernel family the next operation uses (scalar when the level disables SIMD)."""
    return Isa(_ffi.scipix_active_isa())


def best_isa() -> "Isa":
    return Isa(_ffi.scipix_best_isa())


def isa_name(isa: Union["Isa", int]) -> str:
    """The library's name for an ISA value ("scalar", "sse4.1", "avx2", ...)."""
    return str(_ffi.scipix_isa_name(int(isa)).decode())


def available_isas() -> List["Isa"]:
    """Every kernel family this CPU runs, scalar first (what tests iterate over)."""
    best = best_isa()
    if best in (Isa.NEON, Isa.SIMD128):
        return [Isa.SCALAR, best]
    return [i for i in Isa if i not in (Isa.NEON, Isa.SIMD128) and i <= best]


@contextlib.contextmanager
def max_isa(isa: Union[Isa, str, int]) -> Iterator[Isa]:
    """``with scipix.max_isa("scalar") as eff: ...`` forces a kernel family for the block and
    restores the previous cap (process-wide)."""
    old = get_max_isa()
    eff = set_max_isa(isa)
    try:
        yield eff
    finally:
        set_max_isa(old)


# -- threads ---------------------------------------------------------------------------------

def set_num_threads(n: int) -> None:
    """Sizes scipix's own thread pool (0 = one per logical core)."""
    if n < 0:
        from .errors import InvalidArgument

        raise InvalidArgument(f"thread count must be >= 0, got {n}")
    _ffi.scipix_set_num_threads(n)


def get_num_threads() -> int:
    return int(_ffi.scipix_get_num_threads())


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[int]:
    old = get_num_threads()
    set_num_threads(n)
    try:
        yield get_num_threads()
    finally:
        set_num_threads(old)
