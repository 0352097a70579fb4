"""Library identity, CPU features, optimization level, ISA cap, threads and errors."""
from typing import Any
import ctypes
import pathlib
import threading

import pytest

import scipix
from scipix._ffi import _ffi

CPUINFO_NAMES = {
    "SSE2": "sse2", "SSSE3": "ssse3", "SSE41": "sse4_1", "SSE42": "sse4_2", "AVX": "avx",
    "AVX2": "avx2", "FMA": "fma", "F16C": "f16c", "AVX512F": "avx512f", "AVX512BW": "avx512bw",
    "AVX512VNNI": "avx512_vnni", "AVX512VBMI": "avx512vbmi",
}


def test_version_strings() -> None:
    assert scipix.version() == "%d.%d.%d" % (
        _ffi.consts["SCIPIX_VERSION_MAJOR"], _ffi.consts["SCIPIX_VERSION_MINOR"],
        _ffi.consts["SCIPIX_VERSION_PATCH"])
    assert scipix.__version__ == scipix.version()
    assert scipix.abi_version() == _ffi.consts["SCIPIX_ABI_VERSION"]


def test_cpu_features_match_proc_cpuinfo() -> None:
    feats = scipix.cpu_features()
    assert int(feats) == _ffi.raw("scipix_cpu_features")()
    info = pathlib.Path("/proc/cpuinfo")
    if not info.exists():
        pytest.skip("no /proc/cpuinfo")
    flags = next((l for l in info.read_text().splitlines() if l.startswith("flags")), "").split()
    if "sse2" not in flags:
        pytest.skip("not x86_64")
    for member, name in CPUINFO_NAMES.items():
        assert bool(feats & scipix.CpuFeature[member]) == (name in flags), member
    names = scipix.cpu_features_string().split()
    assert ("avx2" in names) == ("avx2" in flags)


def test_opt_levels_switch_simd_and_parallel() -> None:
    expect = {"none": (False, False, False), "simd": (True, False, False),
              "parallel": (False, True, False), "full": (True, True, True)}
    for name, (simd, par, mem) in expect.items():
        scipix.set_opt_level(name)
        assert scipix.get_opt_level() == scipix.OptLevel[name.upper()]
        assert (scipix.simd_enabled(), scipix.parallel_enabled(),
                scipix.memory_opt_enabled()) == (simd, par, mem)
    with scipix.opt_level(scipix.OptLevel.NONE) as lvl:
        assert lvl == scipix.OptLevel.NONE and scipix.active_isa() == scipix.Isa.SCALAR
    assert scipix.get_opt_level() == scipix.OptLevel.FULL


def test_bad_opt_level_raises_with_the_library_message() -> None:
    with pytest.raises(scipix.InvalidArgument) as e:
        scipix.set_opt_level(7)
    assert e.value.status == _ffi.consts["SCIPIX_ERR_INVALID_ARGUMENT"]
    assert "7" in e.value.message and e.value.message == scipix.last_error_message()
    assert scipix.last_error_copy(4) == e.value.message  # grows past a small buffer
    with pytest.raises(scipix.InvalidArgument, match="unknown optimization level"):
        scipix.set_opt_level("fastest")
    with pytest.raises(TypeError):
        scipix.set_opt_level(1.5)  # type: ignore[arg-type]  # the wrong type on purpose
    assert scipix.get_opt_level() == scipix.OptLevel.FULL  # nothing changed


def test_forcing_each_isa() -> None:
    best = scipix.best_isa()
    assert scipix.available_isas()[0] == scipix.Isa.SCALAR and scipix.available_isas()[-1] == best
    for isa in scipix.available_isas():
        with scipix.max_isa(isa) as eff:
            assert eff == isa == scipix.get_max_isa() == scipix.active_isa()
    assert scipix.get_max_isa() == best
    assert scipix.set_max_isa("sse4.1" if best != scipix.Isa.NEON else "scalar") in scipix.available_isas()


def test_isa_the_cpu_lacks_is_clamped_with_a_message() -> None:
    other = scipix.Isa.NEON if scipix.best_isa() != scipix.Isa.NEON else scipix.Isa.AVX2
    eff = scipix.set_max_isa(other)
    assert eff == scipix.best_isa()
    assert "not available" in scipix.last_error_message()
    with pytest.raises(scipix.InvalidArgument):
        scipix.set_max_isa(99)
    with pytest.raises(scipix.InvalidArgument):
        scipix.set_max_isa("mmx")


def test_isa_names() -> None:
    assert [scipix.isa_name(i) for i in scipix.Isa] == ["scalar", "sse4.1", "avx2", "avx512", "neon"]
    assert scipix.isa_name(1234) == "unknown"


def test_threads() -> None:
    with scipix.num_threads(1) as n:
        assert n == 1 == scipix.get_num_threads()
    scipix.set_num_threads(3)
    assert scipix.get_num_threads() == 3
    scipix.set_num_threads(0)
    assert scipix.get_num_threads() >= 1
    with pytest.raises(scipix.InvalidArgument):
        scipix.set_num_threads(5000)
    with pytest.raises(scipix.InvalidArgument):
        scipix.set_num_threads(-1)


def test_panic_becomes_an_exception_and_the_interpreter_survives() -> None:
    for _ in range(3):
        with pytest.raises(scipix.Panic, match="scipix_debug_panic called"):
            scipix.debug_panic()
    assert scipix.version()


def test_status_descriptions() -> None:
    assert scipix.status_str(0) == "ok"
    assert scipix.status_str(-5) == "unknown status code"
    err = scipix.errors.from_status(_ffi.consts["SCIPIX_ERR_TIMEOUT"], "waited")
    assert isinstance(err, scipix.Timeout) and isinstance(err, TimeoutError)
    assert str(err) == "SCIPIX_ERR_TIMEOUT: waited"


def test_error_message_is_per_thread() -> None:
    seen = {}

    def worker(level: Any) -> None:
        try:
            scipix.set_opt_level(level)
        except scipix.InvalidArgument as e:
            seen[level] = e.message

    threads = [threading.Thread(target=worker, args=(lvl,)) for lvl in (10, 11, 12, 13)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for lvl, msg in seen.items():
        assert str(lvl) in msg
    assert len(seen) == 4


def test_raw_calls_skip_the_status_check() -> None:
    assert _ffi.raw("scipix_set_opt_level")(9) == _ffi.consts["SCIPIX_ERR_INVALID_ARGUMENT"]
    assert isinstance(_ffi.scipix_get_num_threads(), int)
    with pytest.raises(NotImplementedError, match="not declared"):
        _ffi.fn("scipix_no_such_function")
    with pytest.raises(ctypes.ArgumentError):
        _ffi.scipix_set_opt_level("x")
