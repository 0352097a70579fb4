"""GGML blocks and GGUF files, cross-checked against the ``gguf`` package (llama.cpp's Python
reference, 0.19.0): quantize/dequantize bit-exact with ``gguf.quants``, files written by
``GgufWriter`` read back by ``gguf.GGUFReader``, files written by ``gguf.GGUFWriter`` read by
``Gguf``."""
from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest

import scipix
from scipix.gguf import GgmlType, Gguf, GgufWriter

from conftest import requires

gguf = pytest.importorskip("gguf")
Q = gguf.GGMLQuantizationType

pytestmark = requires("scipix_gguf_open", "scipix_ggml_quantize")

WRITABLE = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"]
READABLE = WRITABLE + ["Q4_K", "Q5_K", "Q6_K", "F32", "F16", "BF16"]


def _data(rng: Any, shape: Any) -> np.ndarray:
    x = rng.standard_normal(shape).astype(np.float32) * 3
    x.reshape(-1)[::37] = 0.0  # exact zeros and an all-zero block
    x.reshape(-1)[:32] = 0.0
    return np.asarray(x, np.float32)


def test_type_names_and_row_sizes_match_gguf() -> None:
    for t in GgmlType:
        assert scipix.ggml_type_name(t) == Q(int(t)).name
        block, size = gguf.GGML_QUANT_SIZES[Q(int(t))]
        assert scipix.ggml_row_size(t, 4 * 256) == 4 * 256 // block * size
        assert scipix.ggml_row_size(t.name.lower(), 0) == 0
    assert scipix.ggml_type_name(Q.Q8_0) == "Q8_0"  # gguf's enum works as a type id
    assert scipix.ggml_type_name(9999) is None
    with pytest.raises(scipix.InvalidArgument):
        scipix.ggml_row_size("Q8_0", 33)
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.ggml_row_size(9999, 32)
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.ggml_row_size("Q9_9", 32)


@pytest.mark.parametrize("name", WRITABLE)
def test_quantize_and_dequantize_are_bit_exact_with_gguf(name: str, rng: Any) -> None:
    x = _data(rng, (6, 128))
    ours = scipix.ggml_quantize(x, name)
    ref = gguf.quants.quantize(x, Q[name])
    assert ours.dtype == np.uint8 and ours.shape == ref.shape == (6, scipix.ggml_row_size(name, 128))
    np.testing.assert_array_equal(ours, ref)
    back = scipix.ggml_dequantize(ours, name)
    ref_back = gguf.quants.dequantize(ref, Q[name])
    assert back.dtype == np.float32 and back.shape == x.shape
    np.testing.assert_array_equal(back, ref_back)
    # 1-d bytes with an explicit count, and the error is small but real
    flat = scipix.ggml_dequantize(ours.tobytes(), name, x.size)
    np.testing.assert_array_equal(flat, ref_back.reshape(-1))
    assert 0 < np.abs(flat - x.reshape(-1)).max() < 1.0
    assert (flat[:32] == 0).all()


@pytest.mark.parametrize("name", ["Q4_K", "Q5_K", "Q6_K", "F16", "BF16", "F32"])
def test_dequantize_of_any_bytes_is_bit_exact_with_gguf(name: str, rng: Any) -> None:
    nbytes = scipix.ggml_row_size(name, 512)
    raw = rng.integers(0, 256, (3, nbytes), dtype=np.uint8)
    if name == "F32":  # keep the values finite so the comparison is about values
        raw = rng.standard_normal((3, 512)).astype(np.float32).view(np.uint8)
    ours = scipix.ggml_dequantize(raw, name)
    ref = gguf.quants.dequantize(raw, Q[name])
    assert ours.shape == ref.shape == (3, 512)
    np.testing.assert_array_equal(ours, ref)  # NaNs (from random scales) in the same places


def test_quantize_errors(rng: Any) -> None:
    with pytest.raises(scipix.UnsupportedFormat):
        scipix.ggml_quantize(np.zeros(256, np.float32), "Q4_K")
    with pytest.raises(scipix.InvalidArgument):
        scipix.ggml_quantize(np.zeros(40, np.float32), "Q8_0")
    bad = np.zeros(32, np.float32)
    bad[3] = np.nan
    with pytest.raises(scipix.InvalidArgument):
        scipix.ggml_quantize(bad, "Q8_0")
    with pytest.raises(scipix.InvalidArgument):
        scipix.ggml_dequantize(np.zeros(33, np.uint8), "Q8_0")
    with pytest.raises(scipix.InvalidArgument):
        scipix.ggml_dequantize(np.zeros(34, np.uint8), "Q8_0", 64)


def _write_ours(path: pathlib.Path, rng: Any) -> dict[str, Any]:
    x = _data(rng, (4, 64))
    f32 = rng.standard_normal((2, 3, 5)).astype(np.float32)
    f16 = rng.standard_normal((7,)).astype(np.float16)
    q40 = scipix.ggml_quantize(_data(rng, (3, 32)), "Q4_0")
    with GgufWriter() as w:
        w.add_string("general.architecture", "llama")
        w.add_string("general.name", "tiny ünïcode")
        w.add_u32("llama.context_length", 4096)
        w.add_i32("test.i32", -7)
        w.add_u64("test.u64", 2**40 + 3)
        w.add_i64("test.i64", -(2**40))
        w.add_f32("test.f32", 0.1)
        w.add_f64("test.f64", 1 / 3)
        w.add_bool("test.bool", True)
        w.add_tensor("x.q8", x, "Q8_0")
        w.add_tensor("x.q5_1", x, GgmlType.Q5_1)
        w.add_tensor("f32", f32)
        w.add_tensor("f16", f16)
        w.add_tensor_bytes("q40", "Q4_0", (3, 32), q40)
        w.write(path)
    return {"x": x, "f32": f32, "f16": f16, "q40": q40}


def test_writer_output_is_read_by_gguf_reader(tmp_path: pathlib.Path, rng: Any) -> None:
    path = tmp_path / "ours.gguf"
    src = _write_ours(path, rng)
    r = gguf.GGUFReader(path)
    fields = {k: f.contents() for k, f in r.fields.items()}
    assert fields["general.architecture"] == "llama"
    assert fields["general.name"] == "tiny ünïcode"
    assert fields["llama.context_length"] == 4096
    assert fields["test.i32"] == -7
    assert fields["test.u64"] == 2**40 + 3
    assert fields["test.i64"] == -(2**40)
    assert fields["test.f32"] == np.float32(0.1)
    assert fields["test.f64"] == 1 / 3
    assert fields["test.bool"] is True
    assert r.fields["test.f32"].types == [gguf.GGUFValueType.FLOAT32]
    assert r.fields["test.u64"].types == [gguf.GGUFValueType.UINT64]
    tensors = {t.name: t for t in r.tensors}
    assert list(tensors) == ["x.q8", "x.q5_1", "f32", "f16", "q40"]
    assert tensors["x.q8"].tensor_type == Q.Q8_0
    np.testing.assert_array_equal(tensors["x.q8"].data, gguf.quants.quantize(src["x"], Q.Q8_0))
    np.testing.assert_array_equal(tensors["x.q5_1"].data,
                                  gguf.quants.quantize(src["x"], Q.Q5_1))
    assert tensors["f32"].tensor_type == Q.F32
    np.testing.assert_array_equal(tensors["f32"].data, src["f32"])
    np.testing.assert_array_equal(tensors["f16"].data, src["f16"])
    np.testing.assert_array_equal(tensors["q40"].data, src["q40"])
    assert all(t.data_offset % 32 == 0 for t in r.tensors)


def test_reader_round_trip_of_our_file(tmp_path: pathlib.Path, rng: Any) -> None:
    path = tmp_path / "ours.gguf"
    src = _write_ours(path, rng)
    with Gguf(path) as g:
        assert (g.version, g.alignment) == (3, 32)
        assert len(g) == 5 and g.names() == ["x.q8", "x.q5_1", "f32", "f16", "q40"]
        assert "f32" in g and "nope" not in g
        assert g.find("f16") == 3
        with pytest.raises(scipix.NotFound):
            g.find("nope")
        with pytest.raises(KeyError):
            g["nope"]
        info = g.info("x.q8")
        assert (info.type, info.type_name, info.shape, info.num_elements) == (
            GgmlType.Q8_0, "Q8_0", (4, 64), 256)
        assert info.nbytes == scipix.ggml_row_size("Q8_0", 256) and info.file_offset % 32 == 0
        f32 = g["f32"]
        assert f32.dtype == np.float32 and not f32.flags.writeable and not f32.flags.owndata
        assert f32.ctypes.data == g.info("f32").data  # a view into the map
        np.testing.assert_array_equal(f32, src["f32"])
        np.testing.assert_array_equal(g["f16"], src["f16"])
        q8 = g["x.q8"]
        assert q8.shape == (4, 68)
        np.testing.assert_array_equal(q8, gguf.quants.quantize(src["x"], Q.Q8_0))
        np.testing.assert_array_equal(g.to_f32("x.q5_1"),
                                      gguf.quants.dequantize(
                                          gguf.quants.quantize(src["x"], Q.Q5_1), Q.Q5_1))
        md = g.metadata
        assert list(md) == ["general.architecture", "general.name", "llama.context_length",
                            "test.i32", "test.u64", "test.i64", "test.f32", "test.f64",
                            "test.bool"]
        assert md["general.name"] == "tiny ünïcode"
        assert md["llama.context_length"] == 4096 and md["test.i32"] == -7
        assert md["test.u64"] == 2**40 + 3 and md["test.i64"] == -(2**40)
        assert md["test.f32"] == float(np.float32(0.1)) and md["test.f64"] == 1 / 3
        assert md["test.bool"] is True
        assert g.metadata_type("test.u64") == ("UINT64", None)
        assert g.metadata_find("test.bool") == 8 and g.metadata_key(0) == "general.architecture"
    with pytest.raises(scipix.InvalidState):
        g.info(0)
    assert f32[0, 0, 0] == src["f32"][0, 0, 0]  # the view outlives the closed reader


def test_reader_of_a_gguf_package_file(tmp_path: pathlib.Path, rng: Any) -> None:
    path = tmp_path / "theirs.gguf"
    x = _data(rng, (2, 96))
    w = gguf.GGUFWriter(path, "llama")
    w.add_custom_alignment(64)
    w.add_token_list(["<s>", "</s>", "héllo", ""])
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.floats", [0.5, 1.5])
    w.add_float32("test.f", 2.5)
    w.add_tensor("w", x)
    q = gguf.quants.quantize(x, Q.Q4_1)
    w.add_tensor("w.q4_1", q, raw_shape=q.shape, raw_dtype=Q.Q4_1)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    model = scipix.Model(path)
    with Gguf(model=model) as g:
        assert g.alignment == 64 and g.version == 3
        assert all(t.file_offset % 64 == 0 for t in g.tensors())
        md = g.metadata
        assert md["general.architecture"] == "llama"
        assert md["general.alignment"] == 64
        assert md["tokenizer.ggml.tokens"] == ["<s>", "</s>", "héllo", ""]
        assert g.metadata_type("tokenizer.ggml.tokens") == ("ARRAY", "STRING")
        ints = md["test.ints"]
        assert g.metadata_type("test.ints")[0] == "ARRAY"
        assert ints.tolist() == [1, -2, 3]
        assert md["test.floats"].tolist() == [0.5, 1.5] and md["test.f"] == 2.5
        np.testing.assert_array_equal(g["w"], x)
        assert g.info("w.q4_1").shape == (2, 96)
        np.testing.assert_array_equal(g["w.q4_1"], q)
        np.testing.assert_array_equal(g.to_f32("w.q4_1"), gguf.quants.dequantize(q, Q.Q4_1))
    model.close()


def test_writer_errors_and_alignment(tmp_path: pathlib.Path) -> None:
    w = GgufWriter()
    w.add_u32("general.alignment", 64)
    w.add_string("k", "v")
    with pytest.raises(scipix.InvalidArgument):
        w.add_string("k", "again")
    with pytest.raises(scipix.InvalidArgument):
        w.add_u32("neg", -1)
    with pytest.raises(scipix.InvalidArgument):
        w.add_tensor("bad", np.zeros(40, np.float32), "Q8_0")
    with pytest.raises(scipix.UnsupportedFormat):
        w.add_tensor("ints", np.zeros(4, np.int32))
    w.add_tensor("a", np.arange(3, dtype=np.float32))
    w.add_tensor("b", np.arange(5, dtype=np.float32))
    w.write(tmp_path / "a.gguf")
    w.close()
    r = gguf.GGUFReader(tmp_path / "a.gguf")
    assert [t.data_offset % 64 for t in r.tensors] == [0, 0]
    np.testing.assert_array_equal(r.tensors[1].data, np.arange(5, dtype=np.float32))
    with pytest.raises(scipix.InvalidState):
        w.write(tmp_path / "b.gguf")
