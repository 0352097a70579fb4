"""Shared fixtures for the cross-checks against reference systems (OpenCV, ONNX Runtime,
safetensors). They load the release build of the C library with ctypes.

The library path is $SCIPIX_LIB, or target/release/libscipix.so under the repository.
"""
import ctypes
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def library_path() -> pathlib.Path:
    env = os.environ.get("SCIPIX_LIB")
    return pathlib.Path(env) if env else ROOT / "target" / "release" / "libscipix.so"


@pytest.fixture(scope="session")
def lib():
    path = library_path()
    if not path.exists():
        pytest.fail(f"{path} is missing: run `cargo build --release` first")
    cdll = ctypes.CDLL(str(path))
    cdll.scipix_last_error_message.restype = ctypes.c_char_p
    cdll.scipix_status_str.restype = ctypes.c_char_p
    cdll.scipix_status_str.argtypes = [ctypes.c_int32]
    cdll.scipix_set_max_isa.argtypes = [ctypes.c_uint32, ctypes.c_void_p]
    cdll.scipix_best_isa.restype = ctypes.c_uint32
    return cdll


class Image(ctypes.Structure):
    """The layout of ScipixImage and ScipixImageMut (pointer, width, height, stride, format)."""
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("width", ctypes.c_size_t),
        ("height", ctypes.c_size_t),
        ("stride", ctypes.c_size_t),
        ("format", ctypes.c_uint32),
    ]


def check(lib, status: int) -> None:
    """Raises AssertionError with the library's message unless status is SCIPIX_OK."""
    if status != 0:
        raise AssertionError(
            f"status {status} ({lib.scipix_status_str(status).decode()}): "
            f"{lib.scipix_last_error_message().decode()}"
        )


def available_isas(lib):
    """ISA values (SCIPIX_ISA_*) this CPU runs, from scalar up to the best."""
    best = lib.scipix_best_isa()
    if best in (4, 5):  # NEON, SIMD128
        return [0, best]
    return list(range(0, best + 1))
