"""The ctypes layer derived from the build-time declarations is checked against the header,
the C compiler and the library.

- the package carries exactly the functions the header declares, and the library exports
  exactly those (``nm -D``),
- every ctypes prototype has the size and kind (pointer, signed or unsigned integer, float,
  bool) of the C prototype cffi parsed, and status-returning functions raise,
- constants, enum values, struct sizes and field offsets, and the size of every parameter and
  return type are compared with the C compiler's view of the real header (``_Static_assert``),
- the header shipped in the package is the repository's (the package is current),
- every function is used by a Pythonic wrapper of the package.
"""
from __future__ import annotations

import ctypes
import pathlib
import re
import shutil
import subprocess
from typing import Any, List, Set

import pytest

import scipix
from scipix import _ffi as ffi_module
from scipix._ffi import _ffi

from conftest import ROOT

PKG_DIR = pathlib.Path(scipix.__file__).resolve().parent
decl: Any = ffi_module._decl

# Functions reachable only through scipix._ffi on purpose (with why).
RAW_ONLY: Set[str] = set()


def _header() -> pathlib.Path:
    assert _ffi.header_path is not None, "the package ships scipix/include/scipix.h"
    return _ffi.header_path


def _header_text() -> str:
    return _header().read_text()


def test_the_package_declares_every_function_of_the_header() -> None:
    text = re.sub(r"/\*.*?\*/", "", _header_text(), flags=re.S)
    declared = set(re.findall(r"\b(scipix_\w+)\s*\(", text))
    assert declared == set(_ffi.functions)
    assert len(_ffi.functions) >= 20


def test_the_shipped_header_is_the_repository_header() -> None:
    repo = ROOT / "include" / "scipix.h"
    if not repo.exists():
        pytest.skip("not run from a source checkout")
    assert _header_text() == repo.read_text(), (
        "the installed package was built from other sources: reinstall it (pip install ./python)")


def _kind(ct: Any) -> str:
    """'pointer', 'struct', 'float', 'bool', 'signed' or 'unsigned' for a ctypes type."""
    if ct in (ctypes.c_void_p, ctypes.c_char_p) or isinstance(ct, type) and issubclass(
            ct, (ctypes._Pointer, ctypes._CFuncPtr)):  # type: ignore[attr-defined]
        return "pointer"
    if isinstance(ct, type) and issubclass(ct, (ctypes.Structure, ctypes.Union)):
        return "struct"
    if ct in (ctypes.c_float, ctypes.c_double, ctypes.c_longdouble):
        return "float"
    if ct is ctypes.c_bool:
        return "bool"
    return "signed" if ct(-1).value == -1 else "unsigned"


def _c_kind(t: Any) -> str:
    """The same classification of a cffi type."""
    if t.kind in ("pointer", "function"):
        return "pointer"
    if t.kind in ("struct", "union"):
        return "struct"
    if t.kind == "enum":
        return "signed" if any(v < 0 for v in t.elements) else "unsigned"
    if t.cname in ("float", "double", "long double"):
        return "float"
    if t.cname in ("_Bool", "bool"):
        return "bool"
    return "signed" if int(decl.cast(t, -1)) == -1 else "unsigned"


@pytest.mark.parametrize("name", _ffi.functions)
def test_ctypes_prototype_matches_c(name: str) -> None:
    proto = _ffi.prototype(name)
    fn = _ffi.fn(name)
    raw = _ffi.raw(name)
    assert len(fn.argtypes) == len(proto.args) == len(raw.argtypes)
    for i, (ct, t) in enumerate(zip(fn.argtypes, proto.args)):
        assert ctypes.sizeof(ct) == decl.sizeof(t), f"{name} parameter {i}"
        assert _kind(ct) == _c_kind(t), f"{name} parameter {i}: {t.cname}"
    if proto.result.kind == "void":
        assert fn.restype is None
    else:
        assert ctypes.sizeof(fn.restype) == decl.sizeof(proto.result), f"{name} return"
        assert _kind(fn.restype) == _c_kind(proto.result), f"{name} return"
    is_status = proto.result.kind == "enum" and proto.result.cname == "ScipixStatus"
    assert (getattr(fn, "errcheck", None) is not None) == is_status, name
    assert getattr(raw, "errcheck", None) is None


def _c_check_program() -> str:
    lines = ['#include "scipix.h"', "#include <stddef.h>", ""]
    for name in _ffi.functions:
        proto = _ffi.prototype(name)
        for i, t in enumerate(proto.args):
            lines.append(f'_Static_assert(sizeof({t.cname}) == {decl.sizeof(t)}, '
                         f'"{name} parameter {i}");')
        if proto.result.kind != "void":
            lines.append(f'_Static_assert(sizeof({proto.result.cname}) == '
                         f'{decl.sizeof(proto.result)}, "{name} return");')
    for name, v in _ffi.consts.items():
        lines.append(f'_Static_assert(({name}) == {v}ull, "{name}");' if v >= 0 else
                     f'_Static_assert(({name}) == {v}ll, "{name}");')
    for name in _ffi.type_names():
        t = decl.typeof(name)
        if t.kind in ("struct", "union"):
            try:
                size = decl.sizeof(t)
            except decl.error:
                continue  # opaque
            cls = _ffi.type(name)
            assert ctypes.sizeof(cls) == size
            lines.append(f'_Static_assert(sizeof({name}) == {size}, "sizeof {name}");')
            for fname, f in t.fields:
                assert getattr(cls, fname).offset == f.offset
                lines.append(f'_Static_assert(offsetof({name}, {fname}) == {f.offset}, '
                             f'"{name}.{fname}");')
        else:
            lines.append(f'_Static_assert(sizeof({name}) == '
                         f'{ctypes.sizeof(_ffi.type(name))}, "{name}");')
    lines.append("int main(void) { return 0; }")
    return "\n".join(lines) + "\n"


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc) on PATH")
def test_declarations_agree_with_the_c_compiler(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "check.c"
    src.write_text(_c_check_program())
    r = subprocess.run(
        ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(_header().parent),
         "-c", str(src), "-o", str(tmp_path / "check.o")],
        capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]


def test_every_integer_define_of_the_header_is_carried() -> None:
    defines = re.findall(r"^#define (SCIPIX_\w+) (\S+)", _header_text(), flags=re.M)
    skipped = {"SCIPIX_H", "SCIPIX_VERSION_STRING"}  # include guard; a string
    missing = [n for n, _ in defines if n not in skipped and n not in _ffi.consts]
    assert missing == []


def _exported_symbols() -> Set[str]:
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm not available to list the library's symbols")
    out = subprocess.run([nm, "-D", "--defined-only", str(_ffi.lib_path)],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines()
            if len(line.split()) == 3 and line.split()[1] == "T"
            and line.split()[-1].startswith("scipix_")}


def test_library_and_header_declare_the_same_functions() -> None:
    assert _ffi.missing == [], f"declared but not exported: {_ffi.missing}"
    exported = _exported_symbols()
    assert exported - set(_ffi.functions) == set(), "exported but not in the header"


def test_every_function_has_a_python_wrapper() -> None:
    sources = "\n".join(p.read_text() for p in PKG_DIR.glob("*.py") if p.name != "_ffi.py")
    unwrapped: List[str] = sorted(n for n in _ffi.functions
                                  if n not in RAW_ONLY and not re.search(rf"\b{n}\b", sources))
    assert unwrapped == [], f"C functions without a Python wrapper: {unwrapped}"


def test_every_status_has_an_exception_class() -> None:
    for name, value in _ffi.enum_values("ScipixStatus").items():
        if name in ("SCIPIX_OK", "SCIPIX_PENDING"):
            continue
        cls = scipix.errors.BY_STATUS[value]
        assert issubclass(cls, scipix.ScipixError)
        assert cls.status == value and cls.status_name == name
        assert getattr(scipix, cls.__name__) is cls
        assert "unknown" not in scipix.status_str(value)


def test_declarations_match_library_abi() -> None:
    assert scipix.abi_version() == scipix.HEADER_ABI_VERSION
    assert scipix.version() == "%d.%d.%d" % (
        _ffi.consts["SCIPIX_VERSION_MAJOR"], _ffi.consts["SCIPIX_VERSION_MINOR"],
        _ffi.consts["SCIPIX_VERSION_PATCH"])
    assert f'#define SCIPIX_VERSION_STRING "{scipix.version()}"' in _header_text()


def test_unknown_names_raise_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="not declared"):
        _ffi.fn("scipix_no_such_function")
    with pytest.raises(NotImplementedError, match="not declared"):
        _ffi.type("ScipixNoSuchType")
    with pytest.raises(NotImplementedError, match="not defined"):
        _ffi.const("SCIPIX_NO_SUCH_CONSTANT")
    assert not _ffi.has("scipix_no_such_function")
    with pytest.raises(AttributeError):
        _ffi.not_a_c_name  # noqa: B018


@pytest.mark.parametrize("cls,prefix", [
    (scipix.Isa, "SCIPIX_ISA_"), (scipix.OptLevel, "SCIPIX_OPT_"),
    (scipix.CpuFeature, "SCIPIX_CPU_"), (scipix.PixelFormat, "SCIPIX_FORMAT_"),
])
def test_enums_list_every_constant_of_their_prefix(cls: Any, prefix: str) -> None:
    header = {k[len(prefix):]: v for k, v in _ffi.consts.items() if k.startswith(prefix)}
    assert {m.name: m.value for m in cls} == header
