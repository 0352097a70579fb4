//! Malformed input: mutations of valid JPEGs (every truncation length, bit flips in the
//! headers, lying frame sizes, broken Huffman tables, zero-length segments, random byte
//! damage) must each give an error or a complete image: never a panic, a hang or an
//! allocation driven by a lying header.

use super::jpeg::tests::sample_jpeg;
use super::jpeg::{decode_jpeg, decode_jpeg_into, jpeg_output_size};
use super::probe::probe;
use super::turbo::{encode_for_tests, TurboFormat};
use super::{DecodeOptions, JpegScale};
use crate::error::ErrorKind;
use crate::image::{ImageViewMut, PixelFormat};

/// Decodes with strict and lenient options (and a scaled gray variant); every success must
/// be a complete image of the probed size.
fn exercise(bytes: &[u8]) {
    let _ = probe(bytes);
    for (format, opts) in [
        (PixelFormat::Rgb8, DecodeOptions::default()),
        (
            PixelFormat::Bgra8,
            DecodeOptions {
                accept_truncated: true,
                apply_exif_orientation: true,
                ..Default::default()
            },
        ),
        (
            PixelFormat::Gray8,
            DecodeOptions {
                accept_truncated: true,
                scale: JpegScale::QUARTER,
                ..Default::default()
            },
        ),
    ] {
        if let Ok(d) = decode_jpeg(bytes, format, &opts) {
            assert_eq!(
                d.pixels.len(),
                d.width * d.height * format.bytes_per_pixel()
            );
            assert_eq!(jpeg_output_size(bytes, &opts).unwrap(), (d.width, d.height));
        }
    }
}

fn bases() -> Vec<Vec<u8>> {
    let gray: Vec<u8> = (0..23 * 9).map(|i| (i * 37 % 251) as u8).collect();
    vec![
        sample_jpeg(33, 17, 2, false),
        sample_jpeg(16, 16, 1, true),
        encode_for_tests(&gray, 23, 9, TurboFormat::Gray, 75, 3, false, 1),
        encode_for_tests(
            &[gray.clone(), gray.clone(), gray.clone(), gray.clone()].concat()[..11 * 13 * 4],
            11,
            13,
            TurboFormat::Cmyk,
            90,
            2,
            false,
            0,
        ),
        encode_for_tests(
            &super::jpeg::tests::test_rgb(9, 20),
            9,
            20,
            TurboFormat::Rgb,
            95,
            0,
            true,
            2,
        ),
    ]
}

/// Offset of the first segment with marker `code` (its FF byte).
fn find_marker(b: &[u8], code: u8) -> Option<usize> {
    (2..b.len() - 1).find(|&i| b[i] == 0xFF && b[i + 1] == code)
}

/// Offset of the first byte after the SOS header (where entropy data starts).
fn header_end(b: &[u8]) -> usize {
    let sos = find_marker(b, 0xDA).unwrap();
    sos + 2 + u16::from_be_bytes([b[sos + 2], b[sos + 3]]) as usize
}

#[test]
fn every_truncation_is_an_error_or_an_image() {
    for base in bases() {
        exercise(&base);
        for n in 0..base.len() {
            exercise(&base[..n]);
        }
        // The strict default refuses any cut inside the entropy data.
        let cut = &base[..header_end(&base) + 4];
        let e = decode_jpeg(cut, PixelFormat::Rgb8, &DecodeOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidFile);
    }
}

#[test]
fn header_bit_flips() {
    for base in bases() {
        for i in 0..header_end(&base) + 8 {
            for bit in 0..8 {
                let mut m = base.clone();
                m[i] ^= 1 << bit;
                exercise(&m);
            }
        }
    }
}

#[test]
fn lying_frame_sizes_are_refused_before_allocating() {
    for base in bases() {
        let sof = find_marker(&base, 0xC0)
            .or_else(|| find_marker(&base, 0xC2))
            .unwrap();
        for (w, h) in [
            (65000u16, 65000u16),
            (65535, 1),
            (1, 65501),
            (0, 5),
            (5, 0),
            (1, 1),
            (4000, 3000),
        ] {
            let mut m = base.clone();
            m[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
            m[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
            exercise(&m);
            if (w, h) == (65000, 65000) {
                let e = jpeg_output_size(&m, &DecodeOptions::default()).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::SizeOverflow, "{e}");
                // With the limit lifted the size is reported, and a destination of any other
                // size is refused before decoding.
                let big = DecodeOptions {
                    max_pixels: u64::MAX,
                    ..Default::default()
                };
                assert_eq!(jpeg_output_size(&m, &big).unwrap(), (65000, 65000));
                let mut px = [0u8; 3];
                let mut dst = ImageViewMut::packed(&mut px, 1, 1, PixelFormat::Rgb8).unwrap();
                let e = decode_jpeg_into(&m, &mut dst, &big).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            }
            if w > 65500 || h > 65500 {
                assert!(jpeg_output_size(
                    &m,
                    &DecodeOptions {
                        max_pixels: u64::MAX,
                        ..Default::default()
                    }
                )
                .is_err());
            }
        }
    }
}

#[test]
fn broken_huffman_tables_and_zero_length_segments() {
    for base in bases() {
        let dht = find_marker(&base, 0xC4).unwrap();
        // Code counts (16 bytes after the class/id byte) and the first symbols.
        for off in dht + 5..dht + 5 + 24 {
            for v in [0x00, 0xFF, 0x80, 0x10] {
                let mut m = base.clone();
                m[off] = v;
                exercise(&m);
            }
        }
        // Segment lengths of 0, 1, 2 and huge on DHT, DQT and SOS.
        for code in [0xC4, 0xDB, 0xDA, 0xC0, 0xC2] {
            if let Some(at) = find_marker(&base, code) {
                for len in [0u16, 1, 2, 3, 0xFFFF] {
                    let mut m = base.clone();
                    m[at + 2..at + 4].copy_from_slice(&len.to_be_bytes());
                    exercise(&m);
                }
            }
        }
        // Empty and zero-length APPn segments inserted after SOI.
        for seg in [
            &[0xFF, 0xE0, 0x00, 0x02][..],
            &[0xFF, 0xE1, 0x00, 0x00],
            &[0xFF, 0xFE, 0x00, 0x01],
        ] {
            let mut m = base[..2].to_vec();
            m.extend_from_slice(seg);
            m.extend_from_slice(&base[2..]);
            exercise(&m);
        }
    }
}

#[test]
fn random_damage() {
    let mut r = crate::test_rng::Rng::new(1);
    let mut next = move || r.next_u64();
    for base in bases() {
        for _ in 0..300 {
            let mut m = base.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % m.len() as u64) as usize;
                m[i] = next() as u8;
            }
            exercise(&m);
        }
    }
}
