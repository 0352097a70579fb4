"""Loads libscipix and declares every function of its header to ctypes.

The declarations are GENERATED at import time from the header cbindgen writes
(``include/scipix.h``, parsed by ``_header``), so every exported function has exact
``argtypes``/``restype`` without a hand-written list that could drift. Functions that return
``ScipixStatus`` get an ``errcheck`` that turns a failure into the matching
``scipix.ScipixError`` subclass carrying ``scipix_last_error_message()``.

Where the library comes from (first hit wins):
1. ``$SCIPIX_LIB`` (a path to libscipix.so / .dylib / .dll),
2. the copy bundled into the package when it was built (``scipix/_native/``),
3. the repository's ``target/release`` (the checkout the package was built from, or the one
   this source file sits in).
The header is the one next to that library: ``$SCIPIX_HEADER`` if set; for ``$SCIPIX_LIB``
``<dir>/../../include/scipix.h`` (a cargo target dir) or ``<dir>/../include/scipix.h`` (an
install prefix); for the bundled copy the bundled header; for a repository its ``include/``.
"""
from __future__ import annotations

import ctypes
import os
import pathlib
import sys
from typing import Dict, List, Tuple

from . import _header as H

_PKG = pathlib.Path(__file__).resolve().parent

if sys.platform == "darwin":
    LIB_NAME = "libscipix.dylib"
elif os.name == "nt":
    LIB_NAME = "scipix.dll"
else:
    LIB_NAME = "libscipix.so"

STATUS_TYPE = "ScipixStatus"

_CTYPES_BUILTIN = {
    "void": None,
    "bool": ctypes.c_bool,
    "_Bool": ctypes.c_bool,
    "char": ctypes.c_char,
    "signed char": ctypes.c_byte,
    "unsigned char": ctypes.c_ubyte,
    "short": ctypes.c_short,
    "unsigned short": ctypes.c_ushort,
    "int": ctypes.c_int,
    "unsigned int": ctypes.c_uint,
    "unsigned": ctypes.c_uint,
    "long": ctypes.c_long,
    "unsigned long": ctypes.c_ulong,
    "long long": ctypes.c_longlong,
    "unsigned long long": ctypes.c_ulonglong,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
    "int8_t": ctypes.c_int8,
    "uint8_t": ctypes.c_uint8,
    "int16_t": ctypes.c_int16,
    "uint16_t": ctypes.c_uint16,
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "ptrdiff_t": ctypes.c_ssize_t,
    "intptr_t": ctypes.c_ssize_t,
    "uintptr_t": ctypes.c_size_t,
}


def _candidates() -> List[Tuple[pathlib.Path, List[pathlib.Path], str]]:
    """(library, header candidates, where) in search order."""
    out = []
    env = os.environ.get("SCIPIX_LIB")
    env_header = os.environ.get("SCIPIX_HEADER")
    if env:
        lib = pathlib.Path(env)
        hdrs = [lib.parent.parent.parent / "include" / "scipix.h",
                lib.parent.parent / "include" / "scipix.h"]
        out.append((lib, hdrs, "$SCIPIX_LIB"))
    out.append((_PKG / "_native" / LIB_NAME, [_PKG / "_native" / "scipix.h"], "bundled copy"))
    roots = []
    try:
        from . import _build_info  # written by the package build

        roots.append(pathlib.Path(_build_info.REPO_ROOT))
    except ImportError:
        pass
    roots.append(_PKG.parent.parent)  # running from a source checkout: <repo>/python/scipix
    for root in roots:
        out.append((root / "target" / "release" / LIB_NAME, [root / "include" / "scipix.h"],
                    f"repository {root}"))
    if env_header:
        out = [(lib, [pathlib.Path(env_header)], where) for lib, _, where in out]
    return out


def find_library() -> Tuple[pathlib.Path, pathlib.Path]:
    """Returns (library path, header path) following the documented search order."""
    tried = []
    for lib, hdrs, where in _candidates():
        if not lib.exists():
            tried.append(f"{where}: {lib} (missing)")
            if where == "$SCIPIX_LIB":
                raise ImportError(f"$SCIPIX_LIB points to {lib}, which does not exist")
            continue
        for h in hdrs:
            if h.exists():
                return lib, h
        tried.append(f"{where}: {lib} (no scipix.h at {', '.join(map(str, hdrs))})")
    raise ImportError(
        "libscipix not found; build it with `cargo build --release` and reinstall the package "
        "(`pip install ./python`), or set SCIPIX_LIB (and SCIPIX_HEADER). Tried:\n  "
        + "\n  ".join(tried)
    )


class FFI:
    """The loaded library with ctypes declarations generated from its header.

    ``ffi.header``: the parsed header; ``ffi.consts``: every ``#define`` and enum value;
    ``ffi.types``: ctypes type per typedef name; ``ffi.fn(name)``: the declared function
    (status-returning ones raise on failure); ``ffi.raw(name)``: the same symbol without the
    status check; ``ffi.has(name)``: whether the library exports it.
    """

    def __init__(self, lib_path: pathlib.Path, header_path: pathlib.Path):
        self.lib_path = pathlib.Path(lib_path)
        self.header_path = pathlib.Path(header_path)
        self.header = H.parse_file(self.header_path)
        self.cdll = ctypes.CDLL(str(self.lib_path))
        # A second handle to the same library whose functions carry no errcheck.
        self._raw_cdll = ctypes.CDLL(str(self.lib_path))
        self.consts: Dict[str, object] = dict(self.header.constants)
        self.consts.update(self.header.enum_constants())
        self.types: Dict[str, object] = {}
        self._build_types()
        self._functions: Dict[str, object] = {}
        self._raw: Dict[str, object] = {}
        self.missing: List[str] = []
        self._declare_functions()

    # -- types -------------------------------------------------------------------------------

    def _array_len(self, n) -> int:
        if isinstance(n, int):
            return n
        v = self.consts.get(n)
        if not isinstance(v, int):
            raise H.HeaderParseError(f"array length {n!r} is not an integer constant")
        return v

    def ctype(self, t: H.CType, *, param: bool = False):
        """The ctypes type for a parsed C type (``param``: as a function parameter, where
        an array decays to a pointer)."""
        if isinstance(t, H.Named):
            if t.name in _CTYPES_BUILTIN:
                return _CTYPES_BUILTIN[t.name]
            if t.name in self.types:
                return self.types[t.name]
            raise H.HeaderParseError(f"unknown type {t.name!r}")
        if isinstance(t, H.Pointer):
            to = t.to
            if isinstance(to, H.Named) and to.name == "char":
                return ctypes.c_char_p
            if isinstance(to, H.Named) and to.name == "void":
                return ctypes.c_void_p
            if isinstance(to, H.FuncPtr):  # pointer to a function pointer
                return ctypes.POINTER(self.ctype(to))
            inner = self.ctype(to)
            if inner is None:
                return ctypes.c_void_p
            return ctypes.POINTER(inner)
        if isinstance(t, H.Array):
            if param:
                return ctypes.POINTER(self.ctype(t.of))
            return self.ctype(t.of) * self._array_len(t.length)
        if isinstance(t, H.FuncPtr):
            ret = self.ctype(t.ret)
            return ctypes.CFUNCTYPE(ret, *(self.ctype(p.type, param=True) for p in t.params))
        raise TypeError(t)

    def _build_types(self) -> None:
        hd = self.header
        # Create every struct class first so pointers to later structs resolve.
        for name, s in hd.structs.items():
            base = ctypes.Union if s.union else ctypes.Structure
            self.types[name] = type(name, (base,), {"__doc__": s.doc or None})
        for name in hd.order:
            if name in hd.enums:
                self.types[name] = ctypes.c_int  # a C enum is an int
            elif name in hd.aliases:
                self.types[name] = self.ctype(hd.aliases[name].type)
            elif name in hd.structs:
                s = hd.structs[name]
                if not s.opaque:
                    self.types[name]._fields_ = [
                        (f.name, self.ctype(f.type)) for f in s.fields
                    ]

    # -- functions ---------------------------------------------------------------------------

    def _declare_functions(self) -> None:
        for name, f in self.header.functions.items():
            try:
                fn = getattr(self.cdll, name)
                raw = getattr(self._raw_cdll, name)
            except AttributeError:
                self.missing.append(name)
                continue
            for func in (fn, raw):
                func.restype = self.ctype(f.ret)
                func.argtypes = [self.ctype(p.type, param=True) for p in f.params]
            if isinstance(f.ret, H.Named) and f.ret.name == STATUS_TYPE:
                fn.errcheck = _status_errcheck
            self._functions[name] = fn
            self._raw[name] = raw

    def type(self, name: str):
        """The ctypes type of a header typedef; NotImplementedError if the header lacks it."""
        try:
            return self.types[name]
        except KeyError:
            raise NotImplementedError(
                f"{name} is not declared in {self.header_path} (capability not in this library)"
            ) from None

    def const(self, name: str):
        """A #define or enum value of the header; NotImplementedError if it lacks it."""
        try:
            return self.consts[name]
        except KeyError:
            raise NotImplementedError(
                f"{name} is not defined in {self.header_path} (capability not in this library)"
            ) from None

    def has(self, name: str) -> bool:
        return name in self._functions

    def fn(self, name: str):
        try:
            return self._functions[name]
        except KeyError:
            raise NotImplementedError(self._missing_reason(name)) from None

    def raw(self, name: str):
        try:
            return self._raw[name]
        except KeyError:
            raise NotImplementedError(self._missing_reason(name)) from None

    def _missing_reason(self, name: str) -> str:
        if name in self.missing:
            return f"{self.lib_path} does not export {name} (declared in {self.header_path})"
        return f"{name} is not declared in {self.header_path} (capability not in this library)"

    def __getattr__(self, name: str):
        if name.startswith("scipix_"):
            return self.fn(name)
        raise AttributeError(name)

    def last_error(self) -> str:
        return self._raw["scipix_last_error_message"]().decode("utf-8", "replace")


def _status_errcheck(result, func, args):
    if result == 0:
        return result
    from . import errors

    if result == errors.PENDING:
        return result
    raise errors.from_status(result, _ffi.last_error())


def _load() -> FFI:
    lib, header = find_library()
    return FFI(lib, header)


_ffi = _load()
