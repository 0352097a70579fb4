"""Fixtures for the scipix Python package tests.

The tests import the INSTALLED package (`pip install ./python`), so they check what users
get. Tests of a capability whose C functions the loaded library does not export are skipped
with the missing symbol named (`requires`); they run as soon as the library has them.
"""
from typing import Any
import pathlib

import numpy as np
import pytest

import scipix
from scipix._ffi import _ffi

ROOT = pathlib.Path(__file__).resolve().parents[2]


def requires(*symbols: str) -> pytest.MarkDecorator:
    """Skip marker: the test needs these C functions in the loaded library."""
    missing = [s for s in symbols if not _ffi.has(s)]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"{', '.join(missing)} not exported by {_ffi.lib_path} (capability not merged yet)",
    )


@pytest.fixture
def each_isa() -> Any:
    """Yields a function running a callable under every ISA this CPU has, restoring state."""
    def run(fn: Any) -> Any:
        results = {}
        for isa in scipix.available_isas():
            with scipix.max_isa(isa):
                results[isa] = fn()
        return results
    return run


@pytest.fixture
def rng() -> Any:
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _restore_global_controls() -> Any:
    level, isa, threads = scipix.get_opt_level(), scipix.get_max_isa(), scipix.get_num_threads()
    yield
    scipix.set_opt_level(level)
    scipix.set_max_isa(isa)
    if scipix.get_num_threads() != threads:
        scipix.set_num_threads(threads)
