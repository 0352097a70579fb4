"""Loads libscipix and declares its C functions to ctypes.

The declarations come from the package build, not from parsing anything at import: maturin
(cffi mode) runs cffi's C parser over the header ``build.rs`` generates with cbindgen and
ships the result as ``scipix/_native/ffi.py`` (compact cffi type tables) next to the
library. This module turns those tables into ctypes declarations on first use of each
function or type: exact ``argtypes``/``restype``, ``ctypes.Structure`` layouts checked
against cffi's, and, for functions returning ``ScipixStatus``, an ``errcheck`` that raises
the matching ``scipix.ScipixError`` subclass carrying ``scipix_last_error_message()``.
A function or struct added to ``include/scipix.h`` is therefore callable as
``_ffi.scipix_new_function(...)`` as soon as the package is rebuilt.

The library is the one bundled in ``scipix/_native/``, or ``$SCIPIX_LIB`` (a path to
another build of libscipix, e.g. a debug build) when set; importing fails if that library's
ABI version differs from the one the declarations describe.
"""
from __future__ import annotations

import ctypes
import os
import pathlib
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from . import _native

_decl: Any = _native.ffi  # cffi FFI object holding the build-time declarations
_decl_lib: Any = _native.lib  # the bundled library as seen by cffi (names and types)

_PKG = pathlib.Path(__file__).resolve().parent
NATIVE_DIR = pathlib.Path(_native.__file__).resolve().parent
STATUS_TYPE = "ScipixStatus"
_UNRESOLVED = object()  # a declared function whose prototype was not looked up yet

CType = Any  # a ctypes type (class), or None for void

_PRIMITIVES: Dict[str, CType] = {
    "char": ctypes.c_char,
    "signed char": ctypes.c_byte,
    "unsigned char": ctypes.c_ubyte,
    "short": ctypes.c_short,
    "unsigned short": ctypes.c_ushort,
    "int": ctypes.c_int,
    "unsigned int": ctypes.c_uint,
    "long": ctypes.c_long,
    "unsigned long": ctypes.c_ulong,
    "long long": ctypes.c_longlong,
    "unsigned long long": ctypes.c_ulonglong,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
    "long double": ctypes.c_longdouble,
    "_Bool": ctypes.c_bool,
    "bool": ctypes.c_bool,
    "int8_t": ctypes.c_int8,
    "uint8_t": ctypes.c_uint8,
    "int16_t": ctypes.c_int16,
    "uint16_t": ctypes.c_uint16,
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "ssize_t": ctypes.c_ssize_t,
    "ptrdiff_t": ctypes.c_ssize_t,
    "intptr_t": ctypes.c_ssize_t,
    "uintptr_t": ctypes.c_size_t,
    "wchar_t": ctypes.c_wchar,
}


def bundled_library() -> pathlib.Path:
    """The library file maturin placed next to the generated declarations."""
    libs = [p for p in NATIVE_DIR.iterdir()
            if p.suffix in (".so", ".dylib", ".dll") or ".so." in p.name]
    if len(libs) != 1:
        raise ImportError(f"expected one shared library in {NATIVE_DIR}, found "
                          f"{[p.name for p in libs]}; reinstall the package")
    return libs[0]


def header_file() -> Optional[pathlib.Path]:
    """The C header shipped with the package (``scipix/include/scipix.h``), if present."""
    h = _PKG / "include" / "scipix.h"
    return h if h.is_file() else None


class FFI:
    """The loaded library with ctypes declarations derived from the build-time ones.

    ``ffi.scipix_x`` / ``ffi.fn(name)``: the declared function (status-returning ones raise
    on failure); ``ffi.raw(name)``: the same symbol without the status check;
    ``ffi.has(name)``: whether the library exports it; ``ffi.consts``: every ``#define``
    and enum value; ``ffi.type(name)``: the ctypes type of a C type name;
    ``ffi.functions``: every declared function name.
    """

    def __init__(self, lib_path: pathlib.Path):
        self.lib_path = pathlib.Path(lib_path)
        self.header_path = header_file()
        self.cdll = ctypes.CDLL(str(self.lib_path))
        # The C API names functions scipix_* and constants SCIPIX_*. Constants and enum
        # values are plain ints in the cffi lib; a function's prototype is looked up on
        # first use (that resolves the symbol, which is most of the cost).
        self.consts: Dict[str, int] = {}
        self._prototypes: Dict[str, Any] = {}
        for name in dir(_decl_lib):
            if name.startswith("scipix_"):
                self._prototypes[name] = _UNRESOLVED
            else:
                self.consts[name] = getattr(_decl_lib, name)
        self._ctypes: Dict[Any, CType] = {}
        self._functions: Dict[str, Any] = {}
        self._raw: Dict[str, Any] = {}

    # -- types -------------------------------------------------------------------------------

    def ctype(self, t: Any) -> CType:
        """The ctypes type for a cffi type object (None for void)."""
        cached = self._ctypes.get(t, False)
        if cached is not False:
            return cached
        kind = t.kind
        result: CType
        if kind == "primitive":
            result = _PRIMITIVES[t.cname]
        elif kind == "void":
            result = None
        elif kind == "enum":
            signed = any(v < 0 for v in t.elements)
            size = _decl.sizeof(t)
            result = {(4, True): ctypes.c_int32, (4, False): ctypes.c_uint32,
                      (8, True): ctypes.c_int64, (8, False): ctypes.c_uint64}[(size, signed)]
        elif kind == "pointer":
            result = self._pointer(t.item)
        elif kind == "array":
            if t.length is None:
                result = ctypes.POINTER(self.ctype(t.item))
            else:
                result = self.ctype(t.item) * t.length
        elif kind in ("struct", "union"):
            return self._struct(t)
        elif kind == "function":
            args = [self.ctype(a) for a in t.args]
            result = ctypes.CFUNCTYPE(self.ctype(t.result), *args)
        else:
            raise TypeError(f"no ctypes equivalent for {t.cname} ({kind})")
        self._ctypes[t] = result
        return result

    def _pointer(self, item: Any) -> CType:
        if item.kind == "primitive" and item.cname == "char":
            return ctypes.c_char_p
        if item.kind == "void":
            return ctypes.c_void_p
        if item.kind == "function":  # a function pointer is the CFUNCTYPE itself
            return self.ctype(item)
        return ctypes.POINTER(self.ctype(item))

    def _struct(self, t: Any) -> CType:
        name = t.cname.split(" ", 1)[-1]
        base = ctypes.Union if t.kind == "union" else ctypes.Structure
        cls: Any = type(name, (base,), {})
        self._ctypes[t] = cls  # before the fields, so self-references resolve
        try:
            size = _decl.sizeof(t)  # also completes cffi's lazily built field list
        except _decl.error:  # opaque: only ever used through pointers
            return cls
        fields: List[Tuple[Any, ...]] = []
        for fname, f in t.fields:
            if f.bitsize != -1:
                fields.append((fname, self.ctype(f.type), f.bitsize))
            else:
                fields.append((fname, self.ctype(f.type)))
        cls._fields_ = fields
        if ctypes.sizeof(cls) != size or any(
                getattr(cls, fname).offset != f.offset for fname, f in t.fields):
            raise ImportError(f"ctypes and cffi disagree on the layout of {name}")
        return cls

    def type(self, name: str) -> CType:
        """The ctypes type of a C type name of the header ("ScipixImage", "ScipixIsa", a
        callback typedef...); NotImplementedError if the header lacks it."""
        try:
            t = _decl.typeof(name)
        except Exception:  # cffi raises ffi.error / CDefError for unknown names
            raise NotImplementedError(
                f"{name} is not declared in the header this package was built from") from None
        return self.ctype(t)

    def type_names(self) -> List[str]:
        """Every typedef, struct and union name the declarations hold."""
        typedefs, structs, unions = _decl.list_types()
        return sorted(set(typedefs) | set(structs) | set(unions))

    def const(self, name: str) -> int:
        """A #define or enum value of the header; NotImplementedError if it lacks it."""
        try:
            return self.consts[name]
        except KeyError:
            raise NotImplementedError(
                f"{name} is not defined in the header this package was built from") from None

    def enum_values(self, name: str) -> Dict[str, int]:
        """The members of an enum type of the header, in value order."""
        t = _decl.typeof(name)
        if t.kind != "enum":
            raise TypeError(f"{name} is not an enum")
        return {t.elements[v]: v for v in sorted(t.elements)}

    # -- functions ---------------------------------------------------------------------------

    @property
    def functions(self) -> List[str]:
        """Every function the declarations hold, sorted."""
        return sorted(self._prototypes)

    def prototype(self, name: str) -> Any:
        """The cffi function type of ``name`` (``.args``, ``.result``)."""
        p = self._prototypes.get(name)
        if p is _UNRESOLVED:
            try:
                p = _decl.typeof(getattr(_decl_lib, name))
            except AttributeError:  # declared, but the bundled library lacks the symbol
                p = None
            self._prototypes[name] = p
        if p is None:
            raise NotImplementedError(self._missing_reason(name))
        return p

    def _declare(self, name: str) -> None:
        proto = self.prototype(name)
        try:
            fn = self.cdll[name]
            raw = self.cdll[name]  # a second function object: same symbol, no errcheck
        except AttributeError:
            raise NotImplementedError(self._missing_reason(name)) from None
        restype = self.ctype(proto.result)
        argtypes = [self.ctype(a) for a in proto.args]
        for f in (fn, raw):
            f.restype = restype
            f.argtypes = argtypes
        if proto.result.kind == "enum" and proto.result.cname == STATUS_TYPE:
            fn.errcheck = _status_errcheck
        self._functions[name] = fn
        self._raw[name] = raw

    def has(self, name: str) -> bool:
        """Whether ``name`` is declared and the loaded library exports it."""
        if name in self._functions:
            return True
        if name not in self._prototypes:
            return False
        try:
            self.cdll[name]
        except AttributeError:
            return False
        return True

    def fn(self, name: str) -> Any:
        f = self._functions.get(name)
        if f is None:
            self._declare(name)
            f = self._functions[name]
        return f

    def raw(self, name: str) -> Any:
        if name not in self._raw:
            self._declare(name)
        return self._raw[name]

    @property
    def missing(self) -> List[str]:
        """Declared functions the loaded library does not export."""
        return [n for n in self.functions if not self.has(n)]

    def _missing_reason(self, name: str) -> str:
        if name in self._prototypes:
            return f"{self.lib_path} does not export {name}"
        return f"{name} is not declared in the header this package was built from"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("scipix_"):
            f = self.fn(name)
            setattr(self, name, f)  # later lookups skip __getattr__
            return f
        raise AttributeError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.functions)

    def last_error(self) -> str:
        msg: bytes = self.raw("scipix_last_error_message")()
        return msg.decode("utf-8", "replace")


def _status_errcheck(result: int, func: Callable[..., Any], args: Tuple[Any, ...]) -> int:
    if result == 0:
        return result
    from . import errors

    if result == errors.PENDING:
        return result
    raise errors.from_status(result, _ffi.last_error())


def _load() -> FFI:
    env = os.environ.get("SCIPIX_LIB")
    if env:
        path = pathlib.Path(env)
        if not path.exists():
            raise ImportError(f"$SCIPIX_LIB points to {path}, which does not exist")
    else:
        path = bundled_library()
    ffi = FFI(path)
    declared = ffi.consts.get("SCIPIX_ABI_VERSION")
    try:
        actual = ffi.raw("scipix_abi_version")()
    except NotImplementedError as e:
        raise ImportError(f"{path} is not libscipix: {e}") from None
    if declared is not None and actual != declared:
        raise ImportError(
            f"{path} implements scipix ABI {actual} but this package was built for ABI "
            f"{declared}: unset SCIPIX_LIB or rebuild the package from the same sources")
    return ffi


_ffi = _load()
