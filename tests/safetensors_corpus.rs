//! Malformed-file corpus for the safetensors reader: every input must give an error (or,
//! for mutations that happen to keep the file valid, a self-consistent result), never a
//! panic, an out-of-bounds read or an unbounded allocation.

use scipix::model::safetensors::{parse_header, InvalidReason, MAX_HEADER_LEN};
use scipix::model::{Dtype, OpenOptions, Safetensors, SafetensorsWriter};
use scipix::ErrorKind;

fn valid_file() -> Vec<u8> {
    let mut w = SafetensorsWriter::new();
    w.add_tensor("w", Dtype::F32, &[2, 3], vec![1u8; 24])
        .unwrap();
    w.add_tensor("b", Dtype::F16, &[3], vec![2u8; 6]).unwrap();
    w.add_tensor("ids", Dtype::I64, &[2], vec![3u8; 16])
        .unwrap();
    w.add_tensor("q", Dtype::F4, &[4], vec![4u8; 2]).unwrap();
    w.add_metadata("format", "pt").unwrap();
    w.to_bytes().unwrap()
}

fn raw(header: &str, data_len: usize) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data_len, 0);
    out
}

/// Parses `bytes`; on success checks that the result is self-consistent.
fn parse_checked(bytes: &[u8]) -> Result<(), InvalidReason> {
    let h = parse_header(bytes)?;
    let st = Safetensors::new(bytes).expect("parse_header accepted it");
    let total: usize = st.iter().map(|t| t.nbytes()).sum();
    assert_eq!(total, h.data_len);
    assert_eq!(8 + h.header_len + h.data_len, bytes.len());
    for t in st.iter() {
        assert_eq!(t.dtype.byte_len(t.num_elements()), Some(t.nbytes()));
        assert!(t.file_offset + t.nbytes() <= bytes.len());
    }
    Ok(())
}

#[test]
fn valid_file_parses() {
    parse_checked(&valid_file()).unwrap();
}

#[test]
fn every_truncation_is_rejected() {
    let file = valid_file();
    for cut in 0..file.len() {
        let r = parse_checked(&file[..cut]);
        assert!(r.is_err(), "prefix of {cut} bytes was accepted");
    }
    // One byte too many is rejected as well.
    let mut longer = file.clone();
    longer.push(0);
    assert!(matches!(
        parse_checked(&longer),
        Err(InvalidReason::TrailingBytes { len: 1, .. })
    ));
}

#[test]
fn every_bit_flip_is_handled() {
    let file = valid_file();
    let header_end = 8 + u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    let mut rejected = 0;
    for byte in 0..file.len() {
        for bit in 0..8 {
            let mut f = file.clone();
            f[byte] ^= 1 << bit;
            match parse_checked(&f) {
                Err(_) => rejected += 1,
                Ok(()) => assert!(
                    // Accepted flips keep the file valid: data bytes, or header bytes inside
                    // strings (names, metadata) or the space padding.
                    byte >= 8,
                    "flip of bit {bit} in length byte {byte} accepted"
                ),
            }
            // Data-region flips never matter.
            if byte >= header_end {
                assert!(parse_checked(&f).is_ok());
            }
        }
    }
    assert!(rejected > 0);
}

#[test]
fn huge_lengths_are_rejected_before_allocating() {
    let tail = b"{}";
    for n in [u64::MAX, 1 << 63, 1 << 40, MAX_HEADER_LEN + 1] {
        let mut f = n.to_le_bytes().to_vec();
        f.extend_from_slice(tail);
        assert!(matches!(
            parse_header(&f),
            Err(InvalidReason::HeaderTooLarge { .. })
        ));
    }
    for n in [MAX_HEADER_LEN, 3, 1000] {
        let mut f = n.to_le_bytes().to_vec();
        f.extend_from_slice(tail);
        assert!(matches!(
            parse_header(&f),
            Err(InvalidReason::HeaderOutOfBounds { .. })
        ));
    }
    let bad = [
        r#"{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]}}"#,
        r#"{"a":{"dtype":"F64","shape":[18446744073709551615,18446744073709551615],"data_offsets":[0,8]}}"#,
        r#"{"a":{"dtype":"U8","shape":[100000000000000000000],"data_offsets":[0,8]}}"#,
        r#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,100000000000000000000]}}"#,
        r#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[18446744073709551615,18446744073709551615]}}"#,
    ];
    for h in bad {
        assert!(parse_checked(&raw(h, 8)).is_err(), "{h}");
    }
}

#[test]
fn structural_violations_are_rejected() {
    let t = r#""dtype":"F32","shape":[2],"data_offsets""#;
    let cases: Vec<(String, usize)> = vec![
        // overlapping offsets
        (format!(r#"{{"a":{{{t}:[0,8]}},"b":{{{t}:[4,12]}}}}"#), 12),
        (format!(r#"{{"a":{{{t}:[0,8]}},"b":{{{t}:[0,8]}}}}"#), 8),
        // holes
        (format!(r#"{{"a":{{{t}:[0,8]}},"b":{{{t}:[9,17]}}}}"#), 17),
        (format!(r#"{{"a":{{{t}:[1,9]}}}}"#), 9),
        (format!(r#"{{"a":{{{t}:[0,8]}}}}"#), 10),
        // bad JSON
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#.into(),
            8,
        ),
        (
            r#"{"a":{"dtype":"F32" "shape":[2],"data_offsets":[0,8]}}"#.into(),
            8,
        ),
        (r#"{'a':1}"#.into(), 0),
        ("null".into(), 0),
        ("\"str\"".into(), 0),
        ("{}}".into(), 0),
        ("{\"a\":NaN}".into(), 0),
        // duplicate names
        (format!(r#"{{"a":{{{t}:[0,8]}},"a":{{{t}:[8,16]}}}}"#), 16),
        // bad dtypes
        (
            r#"{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}"#.into(),
            8,
        ),
        (
            r#"{"a":{"dtype":"","shape":[2],"data_offsets":[0,8]}}"#.into(),
            8,
        ),
        (
            r#"{"a":{"dtype":null,"shape":[2],"data_offsets":[0,8]}}"#.into(),
            8,
        ),
        // shape mismatch
        (
            r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#.into(),
            8,
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,8]}}"#.into(),
            8,
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2,0],"data_offsets":[0,8]}}"#.into(),
            8,
        ),
        (
            r#"{"a":{"dtype":"F6_E2M3","shape":[3],"data_offsets":[0,3]}}"#.into(),
            3,
        ),
    ];
    for (h, data_len) in cases {
        let r = parse_checked(&raw(&h, data_len));
        assert!(r.is_err(), "accepted: {h}");
    }
}

#[test]
fn random_mutations_never_panic() {
    let file = valid_file();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut f = file.clone();
        for _ in 0..1 + next() % 4 {
            let pos = (next() as usize) % f.len();
            match next() % 4 {
                0 => f[pos] = next() as u8,
                1 => f[pos] = b"{}[]\",:0 9-e"[(next() % 12) as usize],
                2 => {
                    f.remove(pos);
                }
                _ => f.insert(pos, next() as u8),
            }
            if f.is_empty() {
                break;
            }
        }
        let _ = parse_checked(&f);
    }
}

#[test]
fn mapped_corrupt_files_give_invalid_file_status() {
    let dir = std::env::temp_dir().join(format!("scipix-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = valid_file();
    for (i, bytes) in [&file[..9], &file[..file.len() - 1], &file[..20]]
        .iter()
        .enumerate()
    {
        let p = dir.join(format!("bad{i}.safetensors"));
        std::fs::write(&p, bytes).unwrap();
        let e = Safetensors::open(&p, OpenOptions::default()).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidFile);
        assert!(e.message().starts_with("invalid safetensors file: "));
    }
    let p = dir.join("good.safetensors");
    std::fs::write(&p, &file).unwrap();
    let st = Safetensors::open(&p, OpenOptions::default()).unwrap();
    assert_eq!(st.len(), 4);
    drop(st);
    std::fs::remove_dir_all(&dir).unwrap();
}
