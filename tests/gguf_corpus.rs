//! Malformed-file corpus for the GGUF reader (every input gives an error or a
//! self-consistent file, never a panic, an out-of-bounds read or an unbounded
//! allocation), and interoperability with the `gguf` Python package 0.19.0
//! (`GGUFReader` reads what scipix writes; scipix reads what `GGUFWriter` writes).

use scipix::model::gguf::{parse_header, InvalidReason, MetaValue, Value, ValueType};
use scipix::model::{Gguf, GgufWriter, OpenOptions};
use scipix::quant::ggml::{self, GgmlType};
use scipix::ErrorKind;
use std::process::Command;

fn valid_file() -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.add_metadata("general.name", MetaValue::String("tiny".into()))
        .unwrap();
    w.add_metadata("n", MetaValue::U32(7)).unwrap();
    w.add_metadata(
        "toks",
        MetaValue::Array {
            elem: ValueType::String,
            items: vec![
                MetaValue::String("ab".into()),
                MetaValue::String("c".into()),
            ],
        },
    )
    .unwrap();
    let x: Vec<f32> = (0..64).map(|i| i as f32 * 0.25 - 3.0).collect();
    w.add_tensor_f32("a", GgmlType::Q8_0, &[2, 32], &x).unwrap();
    w.add_tensor_f32("b", GgmlType::F32, &[5], &x[..5]).unwrap();
    w.add_tensor_f32("c", GgmlType::Q4_1, &[32], &x[..32])
        .unwrap();
    w.to_bytes().unwrap()
}

/// Parses `bytes`; on success checks that the result is self-consistent.
fn parse_checked(bytes: &[u8]) -> Result<usize, InvalidReason> {
    let h = parse_header(bytes)?;
    let g = Gguf::new(bytes).expect("parse_header accepted it");
    let mut end = h.data_start;
    for t in g.iter() {
        assert_eq!(
            t.ggml_type.row_bytes(t.num_elements()),
            Some(t.nbytes()),
            "{}",
            t.name
        );
        assert!(t.file_offset + t.nbytes() <= bytes.len());
        assert_eq!(t.file_offset % g.alignment(), 0);
        assert!(t.file_offset >= end, "tensors overlap");
        end = t.file_offset + t.nbytes();
        assert!(std::ptr::eq(g.get(t.name).unwrap().data, t.data));
    }
    for (_, v) in g.metadata_iter() {
        if let Value::Array(a) = v {
            assert!(a.iter().count() == a.len());
        }
    }
    Ok(end)
}

#[test]
fn valid_file_parses() {
    parse_checked(&valid_file()).unwrap();
}

#[test]
fn every_truncation_is_rejected() {
    let file = valid_file();
    let end = parse_checked(&file).unwrap();
    for cut in 0..file.len() {
        match parse_checked(&file[..cut]) {
            // Only the zero padding after the last tensor may be dropped.
            Ok(_) => assert!(
                cut >= end,
                "prefix of {cut} bytes (data ends at {end}) accepted"
            ),
            Err(_) => assert!(cut < end, "prefix of {cut} bytes rejected"),
        }
    }
    let mut longer = file.clone();
    longer.resize(file.len() + 1, 0);
    assert!(matches!(
        parse_checked(&longer),
        Err(InvalidReason::TrailingBytes { len: 1, .. })
    ));
}

#[test]
fn every_bit_flip_is_handled() {
    let file = valid_file();
    let header_end = parse_header(&file).unwrap().data_start;
    for i in 0..header_end {
        for bit in 0..8 {
            let mut b = file.clone();
            b[i] ^= 1 << bit;
            let _ = parse_checked(&b);
        }
    }
}

fn le64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A hand-built file: header, given metadata bytes and tensor-info bytes, padding, data.
fn raw(n_tensors: u64, n_kv: u64, body: &[u8], data: usize) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&n_tensors.to_le_bytes());
    b.extend_from_slice(&n_kv.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(b.len().next_multiple_of(32) + data, 0);
    b
}

fn s(x: &[u8]) -> Vec<u8> {
    let mut v = (x.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(x);
    v
}

fn tinfo(name: &[u8], ne: &[u64], ty: u32, offset: u64) -> Vec<u8> {
    let mut v = s(name);
    v.extend_from_slice(&(ne.len() as u32).to_le_bytes());
    for d in ne {
        v.extend_from_slice(&d.to_le_bytes());
    }
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&offset.to_le_bytes());
    v
}

fn kv(key: &[u8], ty: u32, val: &[u8]) -> Vec<u8> {
    let mut v = s(key);
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(val);
    v
}

#[test]
fn lying_files_are_rejected_with_the_rule() {
    use InvalidReason::*;
    let r = |b: Vec<u8>| parse_header(&b).unwrap_err();
    // Counts far beyond the file, checked before allocating.
    assert!(matches!(r(raw(1 << 40, 0, &[], 0)), CountTooLarge { .. }));
    assert!(matches!(r(raw(0, u64::MAX, &[], 0)), CountTooLarge { .. }));
    // A string length beyond the file.
    let mut k = kv(b"k", 8, &s(b"v"));
    le64(&mut k, 13, u64::MAX);
    assert!(matches!(r(raw(0, 1, &k, 0)), LengthOutOfBounds { .. }));
    // An array count beyond the file.
    let mut arr = 0u32.to_le_bytes().to_vec();
    arr.extend_from_slice(&(1u64 << 50).to_le_bytes());
    assert!(matches!(
        r(raw(0, 1, &kv(b"k", 9, &arr), 0)),
        LengthOutOfBounds { .. }
    ));
    // Arrays nested too deep.
    let mut deep = Vec::new();
    for _ in 0..20 {
        deep.extend_from_slice(&9u32.to_le_bytes());
        deep.extend_from_slice(&1u64.to_le_bytes());
    }
    deep.extend_from_slice(&0u32.to_le_bytes());
    deep.extend_from_slice(&0u64.to_le_bytes());
    assert!(matches!(
        r(raw(0, 1, &kv(b"k", 9, &deep[12..]), 0)),
        ArrayTooDeep { .. }
    ));
    // Unknown value type, bad bool, non-UTF-8 key and value, NUL in a key, duplicate key.
    assert!(matches!(
        r(raw(0, 1, &kv(b"k", 13, &[0]), 0)),
        UnknownValueType { type_id: 13, .. }
    ));
    assert!(matches!(
        r(raw(0, 1, &kv(b"k", 7, &[2]), 0)),
        BadBool { value: 2, .. }
    ));
    assert!(matches!(
        r(raw(0, 1, &kv(b"\xff", 0, &[0]), 0)),
        NotUtf8 { .. }
    ));
    assert!(matches!(
        r(raw(0, 1, &kv(b"k", 8, &s(b"\xc3\x28")), 0)),
        NotUtf8 { .. }
    ));
    assert!(matches!(
        r(raw(0, 1, &kv(b"k\0", 0, &[0]), 0)),
        NulInString { .. }
    ));
    let two = [kv(b"k", 0, &[0]), kv(b"k", 0, &[1])].concat();
    assert!(matches!(r(raw(0, 2, &two, 0)), DuplicateKey(_)));
    // Bad alignment values and types.
    for (ty, val) in [
        (4u32, 0u32.to_le_bytes().to_vec()),
        (4, 48u32.to_le_bytes().to_vec()),
        (5, 32i32.to_le_bytes().to_vec()),
    ] {
        assert!(matches!(
            r(raw(0, 1, &kv(b"general.alignment", ty, &val), 0)),
            BadAlignment { .. }
        ));
    }
    // Tensor infos: unknown type ids, too many dims, row not whole blocks, overflow.
    for id in [4u32, 5, 31, 36, 42, u32::MAX] {
        let e = r(raw(1, 0, &tinfo(b"t", &[32], id, 0), 64));
        assert!(
            matches!(e, UnknownGgmlType { type_id, .. } if type_id == id),
            "{e}"
        );
    }
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"t", &[1; 5], 0, 0), 64)),
        TooManyDims { .. }
    ));
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"t", &[48], 2, 0), 64)),
        RowNotBlockMultiple { .. }
    ));
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"t", &[1 << 62, 4], 0, 0), 64)),
        ShapeOverflow { .. }
    ));
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"t", &[u64::MAX], 0, 0), 64)),
        ShapeOverflow { .. }
    ));
    assert!(matches!(
        r(raw(1, 0, &tinfo(&[b'n'; 64], &[1], 0, 0), 64)),
        NameTooLong { .. }
    ));
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"\xfe", &[1], 0, 0), 64)),
        NotUtf8 { .. }
    ));
    // Offsets: misaligned, overlapping, leaving holes, past the end, duplicate names.
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"t", &[1], 0, 4), 64)),
        MisalignedOffset { .. }
    ));
    let two = [tinfo(b"a", &[16], 0, 0), tinfo(b"b", &[16], 0, 32)].concat();
    assert!(matches!(
        r(raw(2, 0, &two, 128)),
        Overlap {
            offset: 32,
            expected: 64,
            ..
        }
    ));
    let two = [tinfo(b"a", &[16], 0, 0), tinfo(b"b", &[16], 0, 96)].concat();
    assert!(matches!(
        r(raw(2, 0, &two, 256)),
        Hole {
            offset: 96,
            expected: 64,
            ..
        }
    ));
    let two = [tinfo(b"a", &[16], 0, 0), tinfo(b"a", &[16], 0, 64)].concat();
    assert!(matches!(r(raw(2, 0, &two, 128)), DuplicateTensorName(_)));
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"t", &[16], 0, 0), 63)),
        DataOutOfBounds { .. }
    ));
    assert!(matches!(
        r(raw(1, 0, &tinfo(b"t", &[16], 0, 1 << 63), 64)),
        Hole { .. }
    ));
    // The accepted counterpart of the cases above.
    let two = [tinfo(b"a", &[16], 0, 0), tinfo(b"b", &[16], 0, 64)].concat();
    parse_checked(&raw(2, 0, &two, 128)).unwrap();
}

#[test]
fn random_mutations_never_panic() {
    let file = valid_file();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = file.clone();
        for k in 0..(x % 4 + 1) {
            let i = ((x >> (8 * k)) as usize) % b.len();
            b[i] = (x >> (16 + k)) as u8;
        }
        if x.is_multiple_of(7) {
            b.truncate((x >> 20) as usize % b.len());
        }
        let _ = parse_checked(&b);
    }
}

#[test]
fn mapped_corrupt_files_give_invalid_file_status() {
    let dir = std::env::temp_dir().join(format!("scipix-gguf-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.gguf");
    let mut b = valid_file();
    b.truncate(40);
    std::fs::write(&p, &b).unwrap();
    let e = Gguf::open(&p, OpenOptions::default()).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidFile);
    assert!(
        e.message().starts_with("invalid GGUF file: "),
        "{}",
        e.message()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs (scripts/ensure_tools.sh installs it with the gguf package)");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn gguf_py_reads_what_scipix_writes() {
    let dir = std::env::temp_dir().join(format!("scipix-gguf-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("scipix.gguf");
    let x: Vec<f32> = (0..96)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.03)
        .collect();
    let mut w = GgufWriter::new();
    w.add_metadata("general.name", MetaValue::String("ünïcode".into()))
        .unwrap();
    w.add_metadata("k.i64", MetaValue::I64(-7)).unwrap();
    w.add_metadata("k.bool", MetaValue::Bool(true)).unwrap();
    w.add_metadata(
        "k.floats",
        MetaValue::Array {
            elem: ValueType::F32,
            items: vec![MetaValue::F32(0.5), MetaValue::F32(-1.0)],
        },
    )
    .unwrap();
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::F32,
    ] {
        w.add_tensor_f32(&format!("t.{}", ty.name()), ty, &[3, 32], &x)
            .unwrap();
    }
    w.write(&p).unwrap();
    let script = r#"
import sys, numpy as np
from gguf import GGUFReader, quants
r = GGUFReader(sys.argv[1])
f = r.fields
print(bytes(f["general.name"].parts[f["general.name"].data[0]]).decode())
print(int(f["k.i64"].parts[-1][0]), bool(f["k.bool"].parts[-1][0]))
print([float(f["k.floats"].parts[i][0]) for i in f["k.floats"].data])
for t in r.tensors:
    v = quants.dequantize(t.data, t.tensor_type).reshape(-1)
    print(t.name, t.tensor_type.name, list(map(int, t.shape)), int(t.data_offset), v.astype(np.float32).tobytes().hex())
"#;
    let out = python(script, &[p.to_str().unwrap()]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("ünïcode"));
    assert_eq!(lines.next(), Some("-7 True"));
    assert_eq!(lines.next(), Some("[0.5, -1.0]"));
    let g = Gguf::open(&p, OpenOptions::default()).unwrap();
    for (line, t) in lines.zip(g.iter()) {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts[0], t.name);
        assert_eq!(parts[1], t.ggml_type.name());
        let mine: String = t
            .to_f32_vec()
            .unwrap()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            parts[parts.len() - 1],
            mine,
            "{}: gguf.quants dequantizes our bytes differently",
            t.name
        );
        assert_eq!(
            parts[parts.len() - 2].parse::<usize>().unwrap(),
            t.file_offset
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn scipix_reads_what_gguf_py_writes() {
    let dir = std::env::temp_dir().join(format!("scipix-gguf-py2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("py.gguf");
    let script = r#"
import sys, numpy as np
from gguf import GGUFWriter, GGMLQuantizationType as T, quants
w = GGUFWriter(sys.argv[1], "llama")
w.add_uint8("u8", 250); w.add_int8("i8", -3); w.add_uint16("u16", 65000); w.add_int16("i16", -2)
w.add_uint32("u32", 7); w.add_int32("i32", -9); w.add_float32("f32", 0.25); w.add_bool("b", False)
w.add_uint64("u64", 2**63); w.add_int64("i64", -2**40); w.add_float64("f64", 1e300)
w.add_string("s", "héllo"); w.add_array("arr", [1, 2, 3]); w.add_array("sarr", ["x", "yz"])
w.add_array("nested", [[1, 2], [3]])
rng = np.random.default_rng(5)
x = (rng.standard_normal((4, 256)) * 0.1).astype(np.float32)
for t in (T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1):
    q = quants.quantize(x, t)
    w.add_tensor("w." + t.name, q, raw_shape=q.shape, raw_dtype=t)
w.add_tensor("f", x[0])
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
print(x.tobytes().hex())
"#;
    let out = python(script, &[p.to_str().unwrap()]);
    let xb: Vec<u8> = (0..out.trim().len() / 2)
        .map(|i| u8::from_str_radix(&out.trim()[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let x: Vec<f32> = xb
        .chunks(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let g = Gguf::open(&p, OpenOptions::default()).unwrap();
    assert_eq!(
        g.metadata_get("general.architecture").unwrap().as_str(),
        Some("llama")
    );
    assert_eq!(g.metadata_get("u8"), Some(Value::U8(250)));
    assert_eq!(g.metadata_get("i8"), Some(Value::I8(-3)));
    assert_eq!(g.metadata_get("u16"), Some(Value::U16(65000)));
    assert_eq!(g.metadata_get("i16"), Some(Value::I16(-2)));
    assert_eq!(g.metadata_get("u32"), Some(Value::U32(7)));
    assert_eq!(g.metadata_get("i32"), Some(Value::I32(-9)));
    assert_eq!(g.metadata_get("f32"), Some(Value::F32(0.25)));
    assert_eq!(g.metadata_get("b"), Some(Value::Bool(false)));
    assert_eq!(g.metadata_get("u64"), Some(Value::U64(1 << 63)));
    assert_eq!(g.metadata_get("i64"), Some(Value::I64(-(1 << 40))));
    assert_eq!(g.metadata_get("f64"), Some(Value::F64(1e300)));
    assert_eq!(g.metadata_get("s").unwrap().as_str(), Some("héllo"));
    let arr = g.metadata_get("arr").unwrap().as_array().unwrap();
    assert_eq!(
        arr.iter().map(|v| v.as_int().unwrap()).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let sarr = g.metadata_get("sarr").unwrap().as_array().unwrap();
    assert_eq!(
        sarr.iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>(),
        ["x", "yz"]
    );
    let nested = g.metadata_get("nested").unwrap().as_array().unwrap();
    assert_eq!(nested.elem_type(), ValueType::Array);
    assert_eq!(nested.get(1).unwrap().as_array().unwrap().len(), 1);
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
    ] {
        let t = g.get(&format!("w.{}", ty.name())).unwrap();
        assert_eq!(t.ggml_type, ty);
        assert_eq!(t.shape, &[4, 256]);
        // Bit-exact with gguf.quants: our quantizer reproduces the file's bytes.
        assert_eq!(ggml::quantize_to_vec(ty, &x, 256).unwrap(), t.data, "{ty}");
    }
    assert_eq!(g.get("f").unwrap().to_f32_vec().unwrap(), &x[..256]);
    std::fs::remove_dir_all(&dir).unwrap();
}
