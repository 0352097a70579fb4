"""Inputs that once slipped past the C boundary: misaligned arrays, overlapping buffers,
impossible sizes. Each must give its status and message; none may abort the process, so the
calls that could abort run in a child process."""
import ctypes
import subprocess
import sys

import numpy as np

from conftest import library_path

INVALID_ARGUMENT, SIZE_OVERFLOW, OUT_OF_MEMORY = 2, 3, 6
c_size_p = ctypes.POINTER(ctypes.c_size_t)


def ptr(a, offset=0):
    return ctypes.c_void_p(a.ctypes.data + offset)


def test_misaligned_float_arrays_are_rejected(lib):
    raw = np.zeros(4 * 64 + 1, np.uint8)
    out = np.zeros(64, np.int8)
    lib.scipix_quantize_linear.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_float,
                                           ctypes.c_int32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]
    out[:] = 5
    assert lib.scipix_quantize_linear(ptr(raw, 1), 64, 0.1, 0, 0, ptr(out), 64) == INVALID_ARGUMENT
    assert b"aligned" in lib.scipix_last_error_message()
    assert (out == 5).all(), "nothing written on failure"


def test_overlapping_f16_conversion_is_rejected(lib):
    buf = np.zeros(16, np.float32)
    lib.scipix_f16_to_f32.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    assert lib.scipix_f16_to_f32(ptr(buf), ptr(buf), 8) == INVALID_ARGUMENT
    assert b"overlap" in lib.scipix_last_error_message()


def test_overlapping_quantize_is_rejected_before_borrowing(lib):
    buf = np.zeros(8, np.float32)
    lib.scipix_quantize_linear.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_float,
                                           ctypes.c_int32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]
    assert lib.scipix_quantize_linear(ptr(buf), 8, 0.1, 0, 0, ptr(buf), 8) == INVALID_ARGUMENT


CHILD = r"""
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
shape = (ctypes.c_size_t * 3)(0, 1 << 40, 1)
t = ctypes.c_void_p()
sz, u32, vp = ctypes.c_size_t, ctypes.c_uint32, ctypes.c_void_p
lib.scipix_qtensor_quantize.argtypes = [vp, vp, sz, u32, u32, ctypes.c_bool, u32, sz, sz, vp]
lib.scipix_quantize_linear_axis.argtypes = [vp, vp, sz, sz, vp, vp, sz, u32, vp, sz]
# Empty tensor (a zero dimension) with an absurd axis length: per-channel statistics.
print(lib.scipix_qtensor_quantize(None, shape, 3, 0, 1, False, 1, 1, 0, ctypes.byref(t)))
# Axis products that overflow although the total is 0.
shape2 = (ctypes.c_size_t * 3)(0, 1 << 33, 1 << 33)
print(lib.scipix_quantize_linear_axis(None, shape2, 3, 0, None, None, 0, 0, None, 0))
# An image descriptor describing more than isize::MAX bytes.
class Img(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("width", ctypes.c_size_t), ("height", ctypes.c_size_t),
                ("stride", ctypes.c_size_t), ("format", ctypes.c_uint32)]
buf = ctypes.create_string_buffer(16)
src = Img(ctypes.addressof(buf), 1, 2, 1 << 63, 0)
dst = Img(ctypes.addressof(buf), 1, 2, 1 << 63, 0)
print(lib.scipix_gray(ctypes.byref(src), ctypes.byref(dst)))
"""


def test_impossible_sizes_give_statuses_not_aborts():
    proc = subprocess.run([sys.executable, "-c", CHILD, str(library_path())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    qtensor, axis, gray = (int(v) for v in proc.stdout.split())
    assert qtensor == OUT_OF_MEMORY
    assert axis in (SIZE_OVERFLOW, INVALID_ARGUMENT)
    assert gray == SIZE_OVERFLOW


def test_aliased_output_pointers_are_rejected(lib):
    out = np.full(2, 7, np.float32)
    f, u32, vp = ctypes.c_float, ctypes.c_uint32, ctypes.c_void_p
    lib.scipix_quantize_params_from_range.argtypes = [f, f, u32, u32, ctypes.c_bool, vp, vp]
    assert lib.scipix_quantize_params_from_range(-1.0, 1.0, 0, 0, False, ptr(out), ptr(out)) == INVALID_ARGUMENT
    assert b"overlap" in lib.scipix_last_error_message()
    assert (out == 7).all(), "nothing written on failure"
    assert lib.scipix_quantize_params_from_range(-1.0, 1.0, 0, 0, False, ptr(out), ptr(out, 4)) == 0
