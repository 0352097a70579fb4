"""How the installed package finds its library and header (subprocesses with a controlled
environment), and that it works without the repository on sys.path."""
import os
import subprocess
import sys

import scipix
from conftest import ROOT

CODE = "import scipix; print(scipix.lib_path); print(scipix.header_path); print(scipix.version())"


def run(env_extra, code=CODE):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIPIX_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd="/")


def test_default_is_the_bundled_copy_or_the_repository():
    r = run({})
    assert r.returncode == 0, r.stderr
    lib, header, version = r.stdout.split()
    assert version == scipix.version()
    assert lib.endswith("libscipix.so") and header.endswith("scipix.h")
    bundled = "_native" in lib
    assert bundled == ("_native" in header)  # a library is always paired with its header


def test_scipix_lib_wins_and_finds_the_header_next_to_it():
    lib = ROOT / "target" / "release" / "libscipix.so"
    if not lib.exists():
        import pytest
        pytest.skip("no target/release build")
    r = run({"SCIPIX_LIB": str(lib)})
    assert r.returncode == 0, r.stderr
    got_lib, got_header, _ = r.stdout.split()
    assert got_lib == str(lib) and got_header == str(ROOT / "include" / "scipix.h")


def test_missing_scipix_lib_is_a_clear_import_error():
    r = run({"SCIPIX_LIB": "/nonexistent/libscipix.so"})
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "/nonexistent/libscipix.so" in r.stderr


def test_scipix_header_overrides_the_header(tmp_path):
    hdr = tmp_path / "scipix.h"
    hdr.write_text(scipix.header_path.read_text())
    r = run({"SCIPIX_HEADER": str(hdr)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[1] == str(hdr)


def test_abi_mismatch_warns(tmp_path):
    hdr = tmp_path / "scipix.h"
    hdr.write_text(scipix.header_path.read_text().replace(
        "#define SCIPIX_ABI_VERSION 1", "#define SCIPIX_ABI_VERSION 999"))
    r = run({"SCIPIX_HEADER": str(hdr)}, "import warnings; warnings.simplefilter('error'); import scipix")
    assert r.returncode != 0 and "ABI" in r.stderr
