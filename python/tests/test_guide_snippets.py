"""Every C and Python code block of docs/guide.md is built and run.

- ```c file=NAME.c blocks are complete programs: compiled with
  `cc -std=c11 -Wall -Wextra -Werror -pedantic` against the header and library the package
  loaded (include/ + target/release, or the copies bundled in the package), then run; they
  must exit 0.
- ```cpp file=NAME.cpp blocks likewise, compiled with
  `c++ -std=c++17 -Wall -Wextra -Werror -pedantic` and include/scipix.hpp from the repository.
- ```python blocks are exec'd, each in a fresh namespace in a temporary directory.
- Other blocks (sh, cmake, text) are not code to run.
A block that uses a C function the loaded library does not export (C++ blocks: through the
wrapper of that name) is skipped, naming it, so
sections of capabilities that have not landed yet run once they do.
"""
from typing import Any
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from scipix._ffi import _ffi
from pathlib import Path

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide.md"

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def _blocks() -> Any:
    if not GUIDE.exists():
        return []
    text = GUIDE.read_text()
    out = []
    for m in FENCE.finditer(text):
        info = m.group(1).split()
        if not info or info[0] not in ("c", "cpp", "python"):
            continue
        line = text.count("\n", 0, m.start()) + 1
        attrs = dict(a.split("=", 1) for a in info[1:] if "=" in a)
        out.append(pytest.param(info[0], attrs, m.group(2), line, id=f"{info[0]}-line{line}"))
    return out


BLOCKS = _blocks()


def test_guide_exists_and_has_snippets() -> None:
    assert GUIDE.exists(), f"{GUIDE} missing"
    langs = {p.values[0] for p in BLOCKS}
    assert {"c", "cpp", "python"} <= langs
    fences = [l for l in GUIDE.read_text().splitlines() if l.startswith("```")]
    assert len(fences) % 2 == 0, "an unclosed code fence in the guide"


def _missing_symbols(code: Any) -> Any:
    used = set(re.findall(r"\b(scipix_\w+)\s*\(", code))
    # C++ blocks call scipix::x (a free function) for the C function scipix_x; check() is
    # the C++ layer's own.
    used |= {"scipix_" + n for n in re.findall(r"\bscipix::([a-z]\w*)\s*\(", code) if n != "check"}
    return sorted(s for s in used if not _ffi.has(s))


@pytest.mark.parametrize("lang,attrs,code,line", BLOCKS)
def test_snippet(lang: Any, attrs: Any, code: Any, line: Any, tmp_path: Path) -> None:
    missing = _missing_symbols(code)
    if missing:
        pytest.skip(f"guide line {line} uses {', '.join(missing)}, not in {_ffi.lib_path}")
    if lang == "c":
        _run_c(attrs, code, line, tmp_path)
    elif lang == "cpp":
        _run_cpp(attrs, code, line, tmp_path)
    else:
        _run_python(code, line, tmp_path)


def _run_c(attrs: Any, code: Any, line: Any, tmp_path: Path) -> None:
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    name = attrs.get("file")
    assert name and name.endswith(".c"), f"guide line {line}: C blocks need file=NAME.c"
    _build_and_run([cc, "-std=c11"], name, code, line, tmp_path)


def _run_cpp(attrs: Any, code: Any, line: Any, tmp_path: Path) -> None:
    cxx = shutil.which("c++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    name = attrs.get("file")
    assert name and name.endswith(".cpp"), f"guide line {line}: C++ blocks need file=NAME.cpp"
    # scipix.hpp is not bundled in the package: take it from the repository; it includes
    # the scipix.h found first, the loaded one.
    _build_and_run([cxx, "-std=c++17"], name, code, line, tmp_path,
                   extra_includes=[str(ROOT / "include")])


def _build_and_run(compiler: Any, name: Any, code: Any, line: Any, tmp_path: Path,
                   extra_includes: Any = ()) -> None:
    src = tmp_path / name
    src.write_text(code)
    # The library's soname is libscipix.so.<major>: give a private dir both names.
    libdir = tmp_path / "lib"
    libdir.mkdir()
    for link in ("libscipix.so", f"libscipix.so.{_ffi.consts['SCIPIX_VERSION_MAJOR']}"):
        (libdir / link).symlink_to(_ffi.lib_path)
    exe = tmp_path / name.rsplit(".", 1)[0]
    includes = ["-I", str(pathlib.Path(str(_ffi.header_path)).parent)]
    for inc in extra_includes:
        includes += ["-I", inc]
    r = subprocess.run(
        [*compiler, "-Wall", "-Wextra", "-Werror", "-pedantic", *includes, str(src), "-o", str(exe),
         "-L", str(libdir), "-lscipix", "-lpthread", "-lm", f"-Wl,-rpath,{libdir}"],
        capture_output=True, text=True)
    assert r.returncode == 0, f"guide line {line}: {name} does not build:\n{r.stderr}"
    env = dict(os.environ, LD_LIBRARY_PATH=str(libdir))
    r = subprocess.run([str(exe)], capture_output=True, text=True, cwd=tmp_path, env=env,
                       timeout=120)
    assert r.returncode == 0, (f"guide line {line}: {name} exited {r.returncode}\n"
                               f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")


def _run_python(code: Any, line: Any, tmp_path: Path) -> None:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, f"docs/guide.md:{line}", "exec"), {"__name__": "__guide__"})
    except NotImplementedError as e:  # a capability not in this library
        pytest.skip(f"guide line {line}: {e}")
    finally:
        os.chdir(old)
