"""The generated ctypes layer is checked against the header, the C compiler and the library.

- every prototype in the header is parsed (count of `scipix_*(` declarations in the raw text),
- the parsed declarations, rendered back to C, are compiled against the real header with
  -Werror: a function pointer of the parsed type must accept each function's address, each
  constant and enum value must equal the header's, and every struct's size and field offsets
  must equal the ctypes layout generated from the parse,
- every exported `scipix_*` symbol of the shared library is declared in the header, and every
  declared function exists in the library,
- every function is used by a Pythonic wrapper of the package (or is listed below as raw-only).
"""
import ctypes
import pathlib
import re
import shutil
import subprocess

import pytest

import scipix
from scipix import _header as H
from scipix._ffi import _ffi

PKG_DIR = pathlib.Path(scipix.__file__).resolve().parent

# Functions reachable only through scipix._ffi on purpose (with why).
RAW_ONLY = {}


def _header_text():
    return _ffi.header_path.read_text()


def test_every_prototype_is_parsed():
    text = re.sub(r"/\*.*?\*/", "", _header_text(), flags=re.S)
    declared = set(re.findall(r"\b(scipix_\w+)\s*\(", text))
    assert declared == set(_ffi.header.functions)
    assert len(_ffi.header.functions) >= 20


def test_header_parse_of_constructs_cbindgen_emits():
    h = H.parse(
        """
        #define A_LEN 4
        #define NAME "x\\ty"
        #define BIG 18446744073709551615ull
        #define F 0.5f
        #define FOREVER UINT32_MAX
        typedef enum { X = 0, Y, Z = 7, } E;
        typedef struct Opaque Opaque;
        typedef uint32_t Fmt;
        typedef void (*Cb)(void *user_data, const uint8_t *const *items, size_t n);
        typedef struct {
          const uint8_t *data;
          float mean[A_LEN];
          Cb cb;
          int32_t (*inline_cb)(const Opaque *o);
          unsigned int flags;
        } S;
        /** doc of f */
        const char *f(Opaque *o, S *out, Opaque **handle, float m[3], void (*g)(int));
        bool g(void);
        """
    )
    assert h.constants == {"A_LEN": 4, "NAME": "x\ty", "BIG": 2**64 - 1, "F": 0.5,
                           "FOREVER": 2**32 - 1}
    assert h.enums["E"].values == (("X", 0), ("Y", 1), ("Z", 7))
    assert h.structs["Opaque"].opaque
    s = h.structs["S"]
    assert [f.name for f in s.fields] == ["data", "mean", "cb", "inline_cb", "flags"]
    assert s.fields[1].type == H.Array(H.Named("float"), "A_LEN")
    assert s.fields[4].type == H.Named("unsigned int")
    f = h.functions["f"]
    assert f.doc == "doc of f"
    assert H.render(f.ret) == "const char *"
    assert [H.render(p.type, p.name) for p in f.params] == [
        "Opaque *o", "S *out", "Opaque **handle", "float m[3]", "void (*g)(int)"]
    assert H.render(h.aliases["Cb"].type, "Cb") == \
        "void (*Cb)(void *user_data, const uint8_t *const *items, size_t n)"
    assert h.functions["g"].params == ()


@pytest.mark.parametrize("bad", [
    "int f(int x, ...);",
    "struct S { int a; };",
    "#if FOO\n#elif BAR\n#endif\n",
    "int x = 3;",
])
def test_header_parser_rejects_what_it_does_not_know(bad):
    with pytest.raises(H.HeaderParseError):
        H.parse(bad)


def _c_check_program():
    h = _ffi.header
    lines = ['#include "scipix.h"', "#include <stddef.h>", ""]
    for name, f in h.functions.items():
        fp = H.FuncPtr(f.ret, f.params)
        lines.append(f"static {H.render(fp, 'const p_' + name)} = &{name};")
        lines.append(f"static const void *use_{name}(void) {{ return (const void *)&p_{name}; }}")
        for i, p in enumerate(f.params):
            size = ctypes.sizeof(_ffi.ctype(p.type, param=True))
            lines.append(f'_Static_assert(sizeof({H.render(p.type) if not isinstance(p.type, H.Array) else H.render(H.Pointer(p.type.of))}) == {size}, '
                         f'"{name} parameter {i}");')
        if not (isinstance(f.ret, H.Named) and f.ret.name == "void"):
            lines.append(f'_Static_assert(sizeof({H.render(f.ret)}) == '
                         f'{ctypes.sizeof(_ffi.ctype(f.ret))}, "{name} return");')
    for name, v in h.constants.items():
        if isinstance(v, int):
            lines.append(f'_Static_assert(({name}) == {v}ull, "{name}");' if v >= 0 else
                         f'_Static_assert(({name}) == {v}ll, "{name}");')
    for e in h.enums.values():
        lines.append(f'_Static_assert(sizeof({e.name}) == {ctypes.sizeof(_ffi.types[e.name])}, "{e.name}");')
        for n, v in e.values:
            lines.append(f'_Static_assert({n} == {v}, "{n}");')
    for name, s in h.structs.items():
        if s.opaque:
            continue
        cls = _ffi.types[name]
        lines.append(f'_Static_assert(sizeof({name}) == {ctypes.sizeof(cls)}, "sizeof {name}");')
        for fld in s.fields:
            off = getattr(cls, fld.name).offset
            lines.append(f'_Static_assert(offsetof({name}, {fld.name}) == {off}, "{name}.{fld.name}");')
    for name, a in h.aliases.items():
        lines.append(f'_Static_assert(sizeof({name}) == {ctypes.sizeof(_ffi.types[name])}, "{name}");')
    lines.append("int main(void) { return 0; }")
    return "\n".join(lines) + "\n"


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc) on PATH")
def test_parsed_declarations_compile_against_the_header(tmp_path):
    src = tmp_path / "check.c"
    src.write_text(_c_check_program())
    r = subprocess.run(
        ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function",
         "-Werror=incompatible-pointer-types", "-I", str(_ffi.header_path.parent),
         "-c", str(src), "-o", str(tmp_path / "check.o")],
        capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]


def _exported_symbols():
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm not available to list the library's symbols")
    out = subprocess.run([nm, "-D", "--defined-only", str(_ffi.lib_path)],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines()
            if len(line.split()) == 3 and line.split()[1] == "T"
            and line.split()[-1].startswith("scipix_")}


def test_library_and_header_declare_the_same_functions():
    assert _ffi.missing == [], f"declared but not exported: {_ffi.missing}"
    exported = _exported_symbols()
    assert exported - set(_ffi.header.functions) == set(), "exported but not in the header"


def test_status_functions_raise_and_others_do_not():
    for name, f in _ffi.header.functions.items():
        fn = _ffi.fn(name)
        is_status = isinstance(f.ret, H.Named) and f.ret.name == "ScipixStatus"
        assert (getattr(fn, "errcheck", None) is not None) == is_status, name
        assert fn.argtypes is not None and len(fn.argtypes) == len(f.params), name


def test_every_function_has_a_python_wrapper():
    sources = "\n".join(p.read_text() for p in PKG_DIR.glob("*.py")
                        if p.name not in ("_header.py", "_ffi.py"))
    unwrapped = sorted(n for n in _ffi.header.functions
                       if n not in RAW_ONLY and not re.search(rf"\b{n}\b", sources))
    assert unwrapped == [], f"C functions without a Python wrapper: {unwrapped}"


def test_every_status_has_an_exception_class():
    for name, value in _ffi.header.enums["ScipixStatus"].values:
        if name in ("SCIPIX_OK", "SCIPIX_PENDING"):
            continue
        cls = scipix.errors.BY_STATUS[value]
        assert issubclass(cls, scipix.ScipixError)
        assert cls.status == value and cls.status_name == name
        assert getattr(scipix, cls.__name__) is cls
        assert "unknown" not in scipix.status_str(value)


def test_header_matches_library_abi():
    assert scipix.abi_version() == scipix.HEADER_ABI_VERSION
    assert scipix.version() == _ffi.consts["SCIPIX_VERSION_STRING"]
