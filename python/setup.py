"""Build hook: bundle the repository's prebuilt libscipix and its header into the package.

The package itself is pure Python (ctypes). When ../target/release/libscipix.so (built by
`cargo build --release`) exists, it is copied into scipix/_native/ together with
../include/scipix.h, and the wheel is tagged for this platform, since it now carries a native
library. Without it the wheel stays pure and finds the library at run time through
$SCIPIX_LIB or the repository recorded in scipix/_build_info.py.
"""
import os
import pathlib
import shutil
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent

if sys.platform == "darwin":
    LIB_NAME = "libscipix.dylib"
elif os.name == "nt":
    LIB_NAME = "scipix.dll"
else:
    LIB_NAME = "libscipix.so"


def native_files():
    """(source, name in scipix/_native/) of what to bundle, or [] when not built."""
    lib = pathlib.Path(os.environ.get("SCIPIX_BUILD_LIB", REPO / "target" / "release" / LIB_NAME))
    header = REPO / "include" / "scipix.h"
    if lib.is_file() and header.is_file():
        return [(lib, LIB_NAME), (header, "scipix.h")]
    return []


class BuildPy(build_py):
    def run(self):
        super().run()
        pkg = pathlib.Path(self.build_lib) / "scipix"
        native = pkg / "_native"
        if native.exists():
            shutil.rmtree(native)
        files = native_files()
        if files:
            native.mkdir(parents=True)
            for src, name in files:
                shutil.copy2(src, native / name)
            print(f"scipix: bundled {', '.join(str(s) for s, _ in files)}")
        else:
            print("scipix: no target/release library to bundle; the package will look for "
                  "$SCIPIX_LIB or the repository's target/release at import time")
        (pkg / "_build_info.py").write_text(
            '"""Written by the package build."""\n'
            f"REPO_ROOT = {str(REPO)!r}\n"
            f"BUNDLED = {bool(files)!r}\n"
        )


cmdclass = {"build_py": BuildPy}

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package provides it
    try:
        from wheel.bdist_wheel import bdist_wheel
    except ImportError:
        bdist_wheel = None

if bdist_wheel is not None:

    class BdistWheel(bdist_wheel):
        """Tag the wheel for this platform when it carries the native library."""

        def finalize_options(self):
            super().finalize_options()
            if native_files():
                self.root_is_pure = False

        def get_tag(self):
            python, abi, plat = super().get_tag()
            if native_files():
                return "py3", "none", plat
            return python, abi, plat

    cmdclass["bdist_wheel"] = BdistWheel

setup(cmdclass=cmdclass)
