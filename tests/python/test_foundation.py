"""The foundation's C API as a foreign caller sees it: features, dispatch controls, errors."""
import ctypes
import pathlib

from conftest import check

CPUINFO_NAMES = {
    0: "sse2", 1: "ssse3", 2: "sse4_1", 3: "sse4_2", 4: "avx", 5: "avx2",
    6: "fma", 7: "f16c", 8: "avx512f", 9: "avx512bw",
}


def test_feature_bits_match_proc_cpuinfo(lib):
    lib.scipix_cpu_features.restype = ctypes.c_uint64
    bits = lib.scipix_cpu_features()
    info = pathlib.Path("/proc/cpuinfo").read_text()
    flags = next(l for l in info.splitlines() if l.startswith("flags")).split()
    if "sse2" not in flags:  # not x86_64
        return
    for bit, name in CPUINFO_NAMES.items():
        assert bool(bits >> bit & 1) == (name in flags), name
    lib.scipix_cpu_features_string.restype = ctypes.c_char_p
    names = lib.scipix_cpu_features_string().decode().split()
    assert ("avx2" in names) == ("avx2" in flags)


def test_forcing_each_isa_changes_the_active_kernel(lib):
    lib.scipix_active_isa.restype = ctypes.c_uint32
    best = lib.scipix_best_isa()
    eff = ctypes.c_uint32(99)
    try:
        for isa in range(0, best + 1):
            check(lib, lib.scipix_set_max_isa(isa, ctypes.byref(eff)))
            assert eff.value == isa
            assert lib.scipix_active_isa() == isa
        check(lib, lib.scipix_set_opt_level(0))  # NONE: scalar whatever the cap
        assert lib.scipix_active_isa() == 0
    finally:
        check(lib, lib.scipix_set_opt_level(3))
        check(lib, lib.scipix_set_max_isa(best, None))


def test_errors_carry_status_and_message(lib):
    assert lib.scipix_set_opt_level(7) == 2  # SCIPIX_ERR_INVALID_ARGUMENT
    assert b"7" in lib.scipix_last_error_message()
    assert lib.scipix_debug_panic() == 17  # SCIPIX_ERR_PANIC, and the interpreter survives
    assert lib.scipix_last_error_message() == b"internal panic: scipix_debug_panic called"
    assert lib.scipix_status_str(0) == b"ok"
