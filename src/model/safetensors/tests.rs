use super::*;

/// Builds a file from a raw header string and a data region.
fn raw(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn reason(header: &str, data_len: usize) -> InvalidReason {
    parse_header(&raw(header, &vec![0u8; data_len])).unwrap_err()
}

const T: &str = r#""dtype":"F32","shape":[2],"data_offsets""#;

#[test]
fn reads_a_valid_file() {
    let mut w = SafetensorsWriter::new();
    let a: Vec<u8> = (0..24).collect();
    let b = vec![9u8; 16];
    w.add_tensor("a", Dtype::F32, &[2, 3], &a[..]).unwrap();
    w.add_tensor("b.weight", Dtype::F64, &[2], b.clone())
        .unwrap();
    w.add_tensor("scalar", Dtype::I8, &[], vec![5u8]).unwrap();
    w.add_tensor("empty", Dtype::F16, &[0, 4], Vec::new())
        .unwrap();
    w.add_metadata("format", "pt").unwrap();
    w.add_metadata("q\"uote", "line\nbreak").unwrap();
    let bytes = w.to_bytes().unwrap();
    assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()) % 8, 0);

    let st = Safetensors::new(bytes.clone()).unwrap();
    assert_eq!(st.len(), 4);
    // File order: F64 first (largest element), then F32, F16, I8.
    let names: Vec<&str> = st.iter().map(|t| t.name).collect();
    assert_eq!(names, ["b.weight", "a", "empty", "scalar"]);
    let a_view = st.get("a").unwrap();
    assert_eq!(a_view.dtype, Dtype::F32);
    assert_eq!(a_view.shape, &[2, 3]);
    assert_eq!(a_view.data, &a[..]);
    assert_eq!(a_view.num_elements(), 6);
    assert_eq!(&bytes[a_view.file_offset..a_view.file_offset + 24], &a[..]);
    assert_eq!(st.get("b.weight").unwrap().file_offset % 8, 0);
    assert_eq!(st.get("scalar").unwrap().data, &[5]);
    assert_eq!(st.get("scalar").unwrap().shape, &[] as &[usize]);
    assert_eq!(st.get("empty").unwrap().nbytes(), 0);
    assert_eq!(st.get("nope").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(st.metadata_get("format"), Some("pt"));
    assert_eq!(st.metadata_get("q\"uote"), Some("line\nbreak"));
    assert_eq!(st.metadata().len(), 2);
    assert!(st.tensor(4).is_none());
    assert_eq!(st.index_of("a"), Some(1));
}

#[test]
fn converts_half_types_to_f32() {
    let mut w = SafetensorsWriter::new();
    w.add_tensor("h", Dtype::F16, &[2], vec![0x00, 0x3c, 0x00, 0xc0])
        .unwrap();
    w.add_tensor("b", Dtype::BF16, &[1], vec![0x80, 0x3f])
        .unwrap();
    w.add_tensor("i", Dtype::I16, &[1], vec![1, 0]).unwrap();
    let st = Safetensors::new(w.to_bytes().unwrap()).unwrap();
    assert_eq!(st.get("h").unwrap().to_f32_vec().unwrap(), [1.0, -2.0]);
    assert_eq!(st.get("b").unwrap().to_f32_vec().unwrap(), [1.0]);
    assert_eq!(
        st.get("i").unwrap().to_f32_vec().unwrap_err().kind(),
        ErrorKind::UnsupportedFormat
    );
}

#[test]
fn every_dtype_roundtrips_including_sub_byte() {
    let mut w = SafetensorsWriter::new();
    for d in Dtype::ALL {
        // 8 elements always fill whole bytes (8 * 6 bits = 6 bytes).
        let n = d.byte_len(8).unwrap();
        w.add_tensor(d.name(), d, &[2, 4], vec![d.bits() as u8; n])
            .unwrap();
    }
    let st = Safetensors::new(w.to_bytes().unwrap()).unwrap();
    for d in Dtype::ALL {
        let t = st.get(d.name()).unwrap();
        assert_eq!(t.dtype, d);
        assert_eq!(t.nbytes(), d.bits());
        assert!(t.data.iter().all(|&b| b == d.bits() as u8));
    }
    // 3 F4 elements are 12 bits: not whole bytes.
    let e = w
        .add_tensor("odd", Dtype::F4, &[3], vec![0u8; 2])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn writer_rejects_bad_tensors() {
    let mut w = SafetensorsWriter::new();
    w.add_tensor("x", Dtype::U8, &[1], vec![0]).unwrap();
    let bad: [(&str, Dtype, &[usize], usize); 5] = [
        ("x", Dtype::U8, &[1], 1),
        ("", Dtype::U8, &[1], 1),
        ("__metadata__", Dtype::U8, &[1], 1),
        ("y", Dtype::F32, &[2], 7),
        ("n\0ul", Dtype::U8, &[1], 1),
    ];
    for (name, d, shape, len) in bad {
        let e = w.add_tensor(name, d, shape, vec![0; len]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{name}");
    }
    let e = w
        .add_tensor("big", Dtype::F32, &[usize::MAX, 2], Vec::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeOverflow);
    w.add_metadata("k", "v").unwrap();
    assert!(w.add_metadata("k", "w").is_err());
    assert_eq!(w.len(), 1);
}

#[test]
fn atomic_write_replaces_file() {
    let dir = crate::model::test_temp_dir()
        .join(format!("scipix-st-write-{}", crate::model::process_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.safetensors");
    std::fs::write(&path, b"old").unwrap();
    let mut w = SafetensorsWriter::new();
    w.add_tensor("t", Dtype::I32, &[2], vec![1, 0, 0, 0, 2, 0, 0, 0])
        .unwrap();
    w.write(&path).unwrap();
    let st = Safetensors::open(&path, OpenOptions::default()).unwrap();
    assert_eq!(st.get("t").unwrap().data, &[1, 0, 0, 0, 2, 0, 0, 0]);
    assert_eq!(
        st.model().len(),
        std::fs::metadata(&path).unwrap().len() as usize
    );
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1);
    // Writing into a missing directory fails cleanly.
    let e = w.write(dir.join("missing/x.safetensors")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    drop(st);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn header_length_rules() {
    assert_eq!(
        parse_header(b"1234567"),
        Err(InvalidReason::FileTooSmall { len: 7 })
    );
    assert_eq!(parse_header(&[0u8; 8]), Err(InvalidReason::EmptyHeader));
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    assert_eq!(
        parse_header(&huge),
        Err(InvalidReason::HeaderTooLarge { len: u64::MAX })
    );
    let mut over = (MAX_HEADER_LEN + 1).to_le_bytes().to_vec();
    over.extend_from_slice(b"{}");
    assert!(matches!(
        parse_header(&over),
        Err(InvalidReason::HeaderTooLarge { .. })
    ));
    let mut short = 10u64.to_le_bytes().to_vec();
    short.extend_from_slice(b"{}");
    assert_eq!(
        parse_header(&short),
        Err(InvalidReason::HeaderOutOfBounds {
            header_len: 10,
            file_len: 10
        })
    );
    let mut bad_utf8 = 4u64.to_le_bytes().to_vec();
    bad_utf8.extend_from_slice(b"{\xff}}");
    assert_eq!(
        parse_header(&bad_utf8),
        Err(InvalidReason::HeaderNotUtf8 { valid_up_to: 1 })
    );
    // The minimal valid file: an empty object, padded or not.
    assert!(parse_header(&raw("{}", &[])).is_ok());
    assert!(parse_header(&raw("{}      ", &[])).is_ok());
    assert!(parse_header(&raw(r#"{"__metadata__":null}"#, &[])).is_ok());
}

#[test]
fn each_rule_has_its_own_reason() {
    use InvalidReason::*;
    let cases: Vec<(String, usize, InvalidReason)> = vec![
        ("[1]".into(), 0, HeaderNotObject { found: "an array" }),
        (
            format!(r#"{{"a":{{{T}:[0,8]}},"a":{{{T}:[8,16]}}}}"#),
            16,
            DuplicateTensorName("a".into()),
        ),
        (
            r#"{"__metadata__":{"k":"1","k":"2"}}"#.into(),
            0,
            DuplicateMetadataKey("k".into()),
        ),
        (
            r#"{"__metadata__":{},"__metadata__":{}}"#.into(),
            0,
            DuplicateMetadataBlock,
        ),
        (
            r#"{"__metadata__":[1]}"#.into(),
            0,
            MetadataNotObject { found: "an array" },
        ),
        (
            r#"{"__metadata__":{"k":1}}"#.into(),
            0,
            MetadataValueNotString {
                key: "k".into(),
                found: "a number",
            },
        ),
        (
            r#"{"__metadata__":{"k":"a\u0000b"}}"#.into(),
            0,
            NulInString {
                what: "metadata value for key \"k\"".into(),
            },
        ),
        (
            format!(r#"{{"a\u0000":{{{T}:[0,8]}}}}"#),
            8,
            NulInString {
                what: "tensor name".into(),
            },
        ),
        (
            r#"{"a":5}"#.into(),
            0,
            TensorNotObject {
                tensor: "a".into(),
                found: "a number",
            },
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2]}}"#.into(),
            8,
            MissingField {
                tensor: "a".into(),
                field: "data_offsets",
            },
        ),
        (
            r#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#.into(),
            8,
            MissingField {
                tensor: "a".into(),
                field: "dtype",
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8],"extra":1}}}}"#),
            8,
            UnknownField {
                tensor: "a".into(),
                field: "extra".into(),
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8],"dtype":"F32"}}}}"#),
            8,
            DuplicateField {
                tensor: "a".into(),
                field: "dtype".into(),
            },
        ),
        (
            r#"{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}"#.into(),
            8,
            DtypeNotString { tensor: "a".into() },
        ),
        (
            r#"{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#.into(),
            8,
            UnknownDtype {
                tensor: "a".into(),
                dtype: "F33".into(),
            },
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#.into(),
            8,
            BadShape { tensor: "a".into() },
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#.into(),
            8,
            BadShape { tensor: "a".into() },
        ),
        (
            r#"{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}"#.into(),
            8,
            BadShape { tensor: "a".into() },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8,16]}}}}"#),
            8,
            BadDataOffsets { tensor: "a".into() },
        ),
        (
            format!(r#"{{"a":{{{T}:[0]}}}}"#),
            8,
            BadDataOffsets { tensor: "a".into() },
        ),
        (
            format!(r#"{{"a":{{{T}:"0,8"}}}}"#),
            8,
            BadDataOffsets { tensor: "a".into() },
        ),
        (
            r#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#.into(),
            8,
            ShapeOverflow { tensor: "a".into() },
        ),
        (
            r#"{"a":{"dtype":"F64","shape":[1152921504606846976,16],"data_offsets":[0,8]}}"#.into(),
            8,
            ShapeOverflow { tensor: "a".into() },
        ),
        (
            r#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#.into(),
            1,
            SubByteMisaligned {
                tensor: "a".into(),
                bits: 12,
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[8,0]}}}}"#),
            8,
            OffsetsReversed {
                tensor: "a".into(),
                begin: 8,
                end: 0,
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,12]}}}}"#),
            12,
            ByteLengthMismatch {
                tensor: "a".into(),
                expected: 8,
                actual: 12,
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8]}}}}"#),
            4,
            OffsetOutOfBounds {
                tensor: "a".into(),
                end: 8,
                data_len: 4,
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[18446744073709551607,18446744073709551615]}}}}"#),
            8,
            OffsetOutOfBounds {
                tensor: "a".into(),
                end: u64::MAX,
                data_len: 8,
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8]}},"b":{{{T}:[4,12]}}}}"#),
            12,
            Overlap {
                first: "a".into(),
                second: "b".into(),
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8]}},"b":{{{T}:[0,8]}}}}"#),
            8,
            Overlap {
                first: "a".into(),
                second: "b".into(),
            },
        ),
        (
            format!(
                r#"{{"a":{{{T}:[0,8]}},"e":{{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}}}"#
            ),
            8,
            Overlap {
                first: "a".into(),
                second: "e".into(),
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8]}},"b":{{{T}:[10,18]}}}}"#),
            18,
            Hole {
                after: Some("a".into()),
                start: 8,
                len: 2,
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[4,12]}}}}"#),
            12,
            Hole {
                after: None,
                start: 0,
                len: 4,
            },
        ),
        (
            format!(r#"{{"a":{{{T}:[0,8]}}}}"#),
            9,
            TrailingBytes { start: 8, len: 1 },
        ),
        (r#"{}"#.into(), 3, TrailingBytes { start: 0, len: 3 }),
    ];
    for (header, data_len, want) in cases {
        assert_eq!(reason(&header, data_len), want, "header {header}");
        // Every reason converts to an InvalidFile error with a message naming it.
        let e = Safetensors::new(raw(&header, &vec![0u8; data_len]))
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidFile);
        assert!(e.message().contains(&want.to_string()));
    }
    assert!(matches!(reason("{\"a\":", 0), InvalidJson(_)));
}

#[test]
fn file_order_is_offset_order() {
    // Header lists b before a, data has a first; zero-byte tensors keep header order.
    let h = format!(
        r#"{{"b":{{{T}:[8,16]}},"z2":{{"dtype":"U8","shape":[0],"data_offsets":[8,8]}},"z1":{{"dtype":"U8","shape":[0],"data_offsets":[8,8]}},"a":{{{T}:[0,8]}}}}"#
    );
    let st = Safetensors::new(raw(&h, &[1u8; 16])).unwrap();
    let names: Vec<&str> = st.iter().map(|t| t.name).collect();
    assert_eq!(names, ["a", "z2", "z1", "b"]);
}
