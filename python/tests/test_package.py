"""What the installed package is made of and how it finds its library (subprocesses with a
controlled environment, run outside the repository so only the installed package counts)."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
from typing import Dict

import pytest

import scipix

from conftest import ROOT

CODE = "import scipix; print(scipix.lib_path); print(scipix.header_path); print(scipix.version())"
PKG_DIR = pathlib.Path(scipix.__file__).resolve().parent


def run(env_extra: Dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIPIX_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, *(args or ("-c", CODE))], capture_output=True,
                          text=True, env=env, cwd="/")


def test_default_is_the_bundled_library_and_header() -> None:
    r = run({})
    assert r.returncode == 0, r.stderr
    lib, header, version = r.stdout.split()
    assert version == scipix.version()
    assert pathlib.Path(lib).parent == PKG_DIR / "_native"
    assert header == str(PKG_DIR / "include" / "scipix.h")


def test_package_files() -> None:
    assert (PKG_DIR / "py.typed").is_file()
    assert (PKG_DIR / "_native" / "ffi.py").is_file()  # the build-time declarations
    assert not (PKG_DIR / "_header.py").exists()


def test_scipix_lib_selects_another_build() -> None:
    lib = ROOT / "target" / "release" / "libscipix.so"
    if not lib.exists():
        pytest.skip("no target/release build")
    r = run({"SCIPIX_LIB": str(lib)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == str(lib)


def test_missing_scipix_lib_is_a_clear_import_error() -> None:
    r = run({"SCIPIX_LIB": "/nonexistent/libscipix.so"})
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "/nonexistent/libscipix.so" in r.stderr


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc) on PATH")
def test_a_library_of_another_abi_is_refused(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "other.c"
    src.write_text("#include <stdint.h>\nuint32_t scipix_abi_version(void) { return 999; }\n")
    lib = tmp_path / "libother.so"
    subprocess.run(["cc", "-shared", "-fPIC", str(src), "-o", str(lib)], check=True)
    r = run({"SCIPIX_LIB": str(lib)})
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "ABI 999" in r.stderr


def test_python_m_scipix_reports_the_installation() -> None:
    r = run({}, "-m", "scipix")
    assert r.returncode == 0, r.stderr
    fields = dict(line.split(":", 1) for line in r.stdout.splitlines())
    fields = {k: v.strip() for k, v in fields.items()}
    assert fields["scipix"] == scipix.__version__
    assert fields["ABI"].startswith(str(scipix.abi_version()))
    assert fields["CPU features"] == (scipix.cpu_features_string() or "(none)")
    assert fields["best ISA"] == scipix.isa_name(scipix.best_isa())
    assert fields["active ISA"] == scipix.isa_name(scipix.best_isa())
    assert int(fields["threads"]) >= 1
    assert fields["library"] == str(scipix.lib_path)
    assert fields["header"] == str(scipix.header_path)
    capped = run({"SCIPIX_MAX_ISA": "scalar"}, "-m", "scipix")
    assert capped.returncode == 0, capped.stderr
    assert "active ISA:         scalar" in capped.stdout or "scalar (capped" in capped.stdout


def test_python_m_scipix_rejects_arguments() -> None:
    r = run({}, "-m", "scipix", "--bogus")
    assert r.returncode == 2 and "usage" in r.stderr
