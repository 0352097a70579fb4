//! GGUF reader and writer: round trips, every metadata type, layout rules.

use super::*;
use crate::error::ErrorKind;

fn sample() -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", MetaValue::String("llama".into()))
        .unwrap();
    w.add_metadata("u8", MetaValue::U8(200)).unwrap();
    w.add_metadata("i8", MetaValue::I8(-5)).unwrap();
    w.add_metadata("u16", MetaValue::U16(60000)).unwrap();
    w.add_metadata("i16", MetaValue::I16(-30000)).unwrap();
    w.add_metadata("u32", MetaValue::U32(4_000_000_000))
        .unwrap();
    w.add_metadata("i32", MetaValue::I32(-2_000_000_000))
        .unwrap();
    w.add_metadata("f32", MetaValue::F32(1.5)).unwrap();
    w.add_metadata("bool", MetaValue::Bool(true)).unwrap();
    w.add_metadata("u64", MetaValue::U64(u64::MAX)).unwrap();
    w.add_metadata("i64", MetaValue::I64(i64::MIN)).unwrap();
    w.add_metadata("f64", MetaValue::F64(-2.25)).unwrap();
    let strs = ["a", "", "ünï"]
        .map(|s| MetaValue::String(s.into()))
        .to_vec();
    w.add_metadata(
        "tokens",
        MetaValue::Array {
            elem: ValueType::String,
            items: strs.clone(),
        },
    )
    .unwrap();
    let inner = |v: &[i32]| MetaValue::Array {
        elem: ValueType::I32,
        items: v.iter().map(|&x| MetaValue::I32(x)).collect(),
    };
    w.add_metadata(
        "nested",
        MetaValue::Array {
            elem: ValueType::Array,
            items: vec![inner(&[1, 2]), inner(&[]), inner(&[3])],
        },
    )
    .unwrap();
    let x: Vec<f32> = (0..64).map(|i| (i as f32 - 20.0) * 0.1).collect();
    w.add_tensor_f32("w.q8", GgmlType::Q8_0, &[2, 32], &x)
        .unwrap();
    w.add_tensor_f32("w.q4", GgmlType::Q4_0, &[64], &x).unwrap();
    w.add_tensor_f32("b", GgmlType::F32, &[3], &x[..3]).unwrap();
    w.add_tensor("empty", GgmlType::F16, &[0, 4], Vec::new())
        .unwrap();
    w.to_bytes().unwrap()
}

#[test]
fn round_trip_every_value_type() {
    let bytes = sample();
    let g = Gguf::new(bytes.as_slice()).unwrap();
    assert_eq!(g.version(), 3);
    assert_eq!(g.alignment(), 32);
    assert_eq!(g.metadata_len(), 14);
    assert_eq!(
        g.metadata_get("general.architecture").unwrap().as_str(),
        Some("llama")
    );
    assert_eq!(g.metadata_get("u8"), Some(Value::U8(200)));
    assert_eq!(g.metadata_get("i8"), Some(Value::I8(-5)));
    assert_eq!(g.metadata_get("u16"), Some(Value::U16(60000)));
    assert_eq!(g.metadata_get("i16"), Some(Value::I16(-30000)));
    assert_eq!(g.metadata_get("u32"), Some(Value::U32(4_000_000_000)));
    assert_eq!(g.metadata_get("i32"), Some(Value::I32(-2_000_000_000)));
    assert_eq!(g.metadata_get("f32"), Some(Value::F32(1.5)));
    assert_eq!(g.metadata_get("bool"), Some(Value::Bool(true)));
    assert_eq!(g.metadata_get("u64"), Some(Value::U64(u64::MAX)));
    assert_eq!(g.metadata_get("i64"), Some(Value::I64(i64::MIN)));
    assert_eq!(g.metadata_get("f64"), Some(Value::F64(-2.25)));
    let toks = g.metadata_get("tokens").unwrap().as_array().unwrap();
    assert_eq!(toks.elem_type(), ValueType::String);
    let t: Vec<&str> = toks.iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(t, ["a", "", "ünï"]);
    assert_eq!(toks.get(2).unwrap().as_str(), Some("ünï"));
    let nested = g.metadata_get("nested").unwrap().as_array().unwrap();
    let lens: Vec<Vec<i128>> = nested
        .iter()
        .map(|a| {
            a.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_int().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(lens, vec![vec![1, 2], vec![], vec![3]]);
    assert_eq!(g.metadata(0).unwrap().0, "general.architecture");

    assert_eq!(g.len(), 4);
    let q8 = g.get("w.q8").unwrap();
    assert_eq!(q8.ggml_type, GgmlType::Q8_0);
    assert_eq!(q8.shape, &[2, 32]);
    assert_eq!(q8.ne, &[32, 2]);
    assert_eq!(q8.nbytes(), 68);
    assert_eq!(q8.file_offset % 32, 0);
    let x: Vec<f32> = (0..64).map(|i| (i as f32 - 20.0) * 0.1).collect();
    let back = q8.to_f32_vec().unwrap();
    assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() < 0.02));
    assert_eq!(g.get("b").unwrap().to_f32_vec().unwrap(), &x[..3]);
    assert_eq!(g.get("empty").unwrap().nbytes(), 0);
    assert_eq!(g.get("nope").unwrap_err().kind(), ErrorKind::NotFound);
    let names: Vec<&str> = g.iter().map(|t| t.name).collect();
    assert_eq!(names, ["w.q8", "w.q4", "b", "empty"]);
}

#[test]
fn custom_alignment_and_files_on_disk() {
    let mut w = GgufWriter::new();
    w.add_metadata(ALIGNMENT_KEY, MetaValue::U32(64)).unwrap();
    w.add_tensor("a", GgmlType::I8, &[3], vec![1u8, 2, 3])
        .unwrap();
    w.add_tensor("b", GgmlType::I8, &[2], vec![4u8, 5]).unwrap();
    let dir =
        crate::model::test_temp_dir().join(format!("scipix-gguf-{}", crate::model::process_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("m.gguf");
    w.write(&p).unwrap();
    let g = Gguf::open(&p, OpenOptions::default()).unwrap();
    assert_eq!(g.alignment(), 64);
    assert_eq!(g.get("b").unwrap().data, &[4, 5]);
    assert_eq!(g.get("b").unwrap().file_offset % 64, 0);
    drop(g); // Windows deletes no file while it is mapped
    std::fs::remove_dir_all(&dir).unwrap();

    for bad in [MetaValue::U32(0), MetaValue::U32(48), MetaValue::U64(64)] {
        assert!(GgufWriter::new().add_metadata(ALIGNMENT_KEY, bad).is_err());
    }
}

#[test]
fn writer_rejects_bad_tensors() {
    let mut w = GgufWriter::new();
    let e = w
        .add_tensor_f32("x", GgmlType::Q4_0, &[2, 48], &[0.0; 96])
        .unwrap_err();
    assert!(e.message().contains("block size 32"), "{}", e.message());
    let e = w
        .add_tensor("x", GgmlType::Q8_0, &[32], vec![0u8; 33])
        .unwrap_err();
    assert!(e.message().contains("34 bytes"), "{}", e.message());
    let e = w
        .add_tensor(&"n".repeat(64), GgmlType::F32, &[1], vec![0u8; 4])
        .unwrap_err();
    assert!(e.message().contains("63"), "{}", e.message());
    let e = w
        .add_tensor("x", GgmlType::F32, &[1, 1, 1, 1, 1], vec![0u8; 4])
        .unwrap_err();
    assert!(e.message().contains("dimensions"), "{}", e.message());
    let e = w
        .add_tensor("x", GgmlType::F32, &[usize::MAX, 2], vec![])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeOverflow);
    let e = w
        .add_tensor_f32("x", GgmlType::Q8_0, &[32], &[f32::NAN; 32])
        .unwrap_err();
    assert!(e.message().contains("finite"), "{}", e.message());
    let bad_array = MetaValue::Array {
        elem: ValueType::U8,
        items: vec![MetaValue::U8(1), MetaValue::I8(1)],
    };
    assert!(w.add_metadata("k", bad_array).is_err());
    assert!(w.is_empty());
    w.add_metadata("k", MetaValue::U8(1)).unwrap();
    assert!(w.add_metadata("k", MetaValue::U8(1)).is_err());
}

#[test]
fn reader_rules_name_the_problem() {
    let good = sample();
    let reason = |b: &[u8]| parse_header(b).unwrap_err();
    let mut b = good.clone();
    b[0] = b'X';
    assert!(matches!(reason(&b), InvalidReason::BadMagic { .. }));
    for v in [1u32, 4, 0x0300_0000] {
        let mut b = good.clone();
        b[4..8].copy_from_slice(&v.to_le_bytes());
        assert_eq!(reason(&b), InvalidReason::UnsupportedVersion { version: v });
    }
    let mut b = good.clone();
    b[4..8].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(Gguf::new(b.as_slice()).unwrap().version(), 2);
    let mut b = good.clone();
    b[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(reason(&b), InvalidReason::CountTooLarge { .. }));
    let mut b = good.clone();
    b.extend_from_slice(&[0u8; 33]);
    assert!(matches!(reason(&b), InvalidReason::TrailingBytes { .. }));
}
