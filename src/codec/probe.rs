//! The format probe: what an encoded image is, from its header alone.
//!
//! ```
//! use scipix::codec::probe::probe;
//! use scipix::ErrorKind;
//!
//! assert_eq!(probe(b"GIF89a").unwrap_err().kind(), ErrorKind::UnsupportedFormat);
//! assert_eq!(probe(&[0xFF, 0xD8, 0xFF]).unwrap_err().kind(), ErrorKind::InvalidFile);
//! ```
//!
//! JPEG: the markers after SOI are walked segment by segment (fill bytes `FF` allowed,
//! each length checked against the slice) up to the first SOFn, whose precision, size,
//! component count and sampling factors give the info; an APP1 `Exif` segment before it
//! gives the orientation (TIFF IFD0 tag 0x0112, either byte order; a malformed Exif block is
//! ignored, as decoders do). SOS or EOI before any SOF, a segment running past the end, a
//! zero width, height or component count, sampling factors outside 1..=4, or a SOF length
//! that disagrees with its component count are `InvalidFile`.
//!
//! PNG: the signature, then IHDR as the first chunk with length 13 and a correct CRC; the
//! width and height in 1..=2^31-1, a legal bit depth for the colour type, compression and
//! filter method 0, interlace 0 or 1. Anything else is `InvalidFile`.
//!
//! Neither format allocates or reads past `bytes`. Other formats are `UnsupportedFormat`.

use super::{ChromaSubsampling, ContainerFormat, ImageInfo};
use crate::error::{Error, ErrorKind, Result};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Identifies `bytes` as JPEG or PNG and reads its header. See the module docs for the rules.
pub fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        probe_jpeg(bytes)
    } else if bytes.starts_with(&PNG_SIGNATURE) {
        probe_png(bytes)
    } else {
        Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "not a JPEG (FF D8) or PNG (89 50 4E 47 0D 0A 1A 0A) signature",
        ))
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidFile, message)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Walks the JPEG markers up to the first SOF.
pub(crate) fn probe_jpeg(bytes: &[u8]) -> Result<ImageInfo> {
    let mut pos = 2; // after SOI
    let mut orientation = 1u8;
    loop {
        // A marker: one FF, any number of FF fill bytes, then the code.
        if bytes.get(pos) != Some(&0xFF) {
            return Err(bad(format!(
                "JPEG: expected a marker at offset {pos}, found {}",
                bytes
                    .get(pos)
                    .map_or("the end of the data".to_string(), |b| format!("{b:#04x}"))
            )));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&code) = bytes.get(pos) else {
            return Err(bad("JPEG: data ends inside a marker"));
        };
        pos += 1;
        match code {
            0x00 => {
                return Err(bad(format!(
                    "JPEG: stuffed zero at offset {pos} outside entropy data"
                )))
            }
            0xD8 => return Err(bad("JPEG: a second SOI before the frame header")),
            0x01 | 0xD0..=0xD7 => continue, // standalone: TEM, RSTn
            0xD9 => return Err(bad("JPEG: EOI before any frame header")),
            0xDA => return Err(bad("JPEG: scan (SOS) before any frame header")),
            _ => {}
        }
        let len = be16(bytes, pos).ok_or_else(|| {
            bad(format!(
                "JPEG: data ends in the length of marker FF{code:02X}"
            ))
        })? as usize;
        if len < 2 {
            return Err(bad(format!(
                "JPEG: marker FF{code:02X} at offset {} has length {len} (< 2)",
                pos - 2
            )));
        }
        let end = pos + len;
        let Some(body) = bytes.get(pos + 2..end) else {
            return Err(bad(format!(
                "JPEG: segment FF{code:02X} at offset {} claims {len} bytes, only {} remain",
                pos - 2,
                bytes.len() - pos
            )));
        };
        match code {
            0xE1 if body.starts_with(b"Exif\0\0") && orientation == 1 => {
                orientation = exif_orientation(&body[6..]).unwrap_or(1);
            }
            // SOFn: C0..CF except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                return sof_info(code - 0xC0, body, orientation);
            }
            _ => {}
        }
        pos = end;
    }
}

fn sof_info(sof: u8, body: &[u8], orientation: u8) -> Result<ImageInfo> {
    if body.len() < 6 {
        return Err(bad(format!(
            "JPEG: SOF{sof} segment of {} bytes is too short",
            body.len()
        )));
    }
    let precision = body[0];
    let height = be16(body, 1).unwrap_or(0) as u32;
    let width = be16(body, 3).unwrap_or(0) as u32;
    let ncomp = body[5] as usize;
    if width == 0 || height == 0 {
        return Err(bad(format!(
            "JPEG: frame size {width}x{height} (zero sizes and DNL-defined heights are not supported)"
        )));
    }
    if ncomp == 0 {
        return Err(bad("JPEG: frame header with zero components"));
    }
    if body.len() != 6 + 3 * ncomp {
        return Err(bad(format!(
            "JPEG: SOF{sof} has {} bytes, {ncomp} components need {}",
            body.len(),
            6 + 3 * ncomp
        )));
    }
    if !matches!(precision, 2..=16) {
        return Err(bad(format!("JPEG: sample precision {precision}")));
    }
    let mut factors = [(0u8, 0u8); 4];
    for i in 0..ncomp {
        let f = body[6 + 3 * i + 1];
        let (h, v) = (f >> 4, f & 0x0F);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(bad(format!(
                "JPEG: component {i} has sampling factors {h}x{v} (each must be 1..=4)"
            )));
        }
        if i < 4 {
            factors[i] = (h, v);
        }
    }
    let chroma = match ncomp {
        1 => ChromaSubsampling::Gray,
        3 if factors[1] == (1, 1) && factors[2] == (1, 1) => match factors[0] {
            (1, 1) => ChromaSubsampling::S444,
            (2, 1) => ChromaSubsampling::S422,
            (2, 2) => ChromaSubsampling::S420,
            (1, 2) => ChromaSubsampling::S440,
            (4, 1) => ChromaSubsampling::S411,
            _ => ChromaSubsampling::Other,
        },
        _ => ChromaSubsampling::Other,
    };
    Ok(ImageInfo {
        format: ContainerFormat::Jpeg,
        width,
        height,
        channels: ncomp.min(255) as u8,
        bit_depth: precision,
        progressive_or_interlaced: matches!(sof, 2 | 6 | 10 | 14),
        chroma_subsampling: chroma,
        exif_orientation: orientation,
        sof_type: sof,
    })
}

/// Orientation tag (0x0112) of IFD0 in a TIFF block; `None` when absent or malformed.
fn exif_orientation(tiff: &[u8]) -> Option<u8> {
    let little = match tiff.get(..4)? {
        [b'I', b'I', 42, 0] => true,
        [b'M', b'M', 0, 42] => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let s = tiff.get(at..at.checked_add(2)?)?;
        Some(if little {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let s = tiff.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    for i in 0..count {
        let entry = ifd.checked_add(2 + 12 * i)?;
        if entry.checked_add(12)? > tiff.len() {
            return None;
        }
        if u16_at(entry)? == 0x0112 {
            let (kind, n) = (u16_at(entry + 2)?, u32_at(entry + 4)?);
            let value = u16_at(entry + 8)?;
            return (kind == 3 && n == 1 && (1..=8).contains(&value)).then_some(value as u8);
        }
    }
    None
}

/// CRC-32 (ISO 3309, as PNG uses), bitwise: only ever run over the 17 bytes of IHDR.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn probe_png(bytes: &[u8]) -> Result<ImageInfo> {
    let short = || bad("PNG: data ends inside the IHDR chunk");
    let len = be32(bytes, 8).ok_or_else(short)?;
    if bytes.get(12..16) != Some(b"IHDR") {
        return Err(bad("PNG: the first chunk is not IHDR"));
    }
    if len != 13 {
        return Err(bad(format!("PNG: IHDR length {len}, must be 13")));
    }
    let chunk = bytes.get(12..29).ok_or_else(short)?;
    let crc = be32(bytes, 29).ok_or_else(short)?;
    if crc32(chunk) != crc {
        return Err(bad("PNG: IHDR CRC mismatch"));
    }
    let d = &chunk[4..];
    let width = be32(d, 0).unwrap_or(0);
    let height = be32(d, 4).unwrap_or(0);
    let (depth, colour, compression, filter, interlace) = (d[8], d[9], d[10], d[11], d[12]);
    let limit = 1..=0x7FFF_FFFFu32;
    if !limit.contains(&width) || !limit.contains(&height) {
        return Err(bad(format!(
            "PNG: size {width}x{height}, each must be in 1..=2^31-1"
        )));
    }
    let channels = match (colour, depth) {
        (0, 1 | 2 | 4 | 8 | 16) => 1,
        (2, 8 | 16) => 3,
        (3, 1 | 2 | 4 | 8) => 3,
        (4, 8 | 16) => 2,
        (6, 8 | 16) => 4,
        _ => {
            return Err(bad(format!(
                "PNG: bit depth {depth} is not allowed for colour type {colour}"
            )))
        }
    };
    if compression != 0 || filter != 0 || interlace > 1 {
        return Err(bad(format!(
            "PNG: compression {compression}, filter {filter}, interlace {interlace} (must be 0, 0, 0 or 1)"
        )));
    }
    Ok(ImageInfo {
        format: ContainerFormat::Png,
        width,
        height,
        channels,
        bit_depth: depth,
        progressive_or_interlaced: interlace == 1,
        chroma_subsampling: if matches!(colour, 0 | 4) {
            ChromaSubsampling::Gray
        } else {
            ChromaSubsampling::S444
        },
        exif_orientation: 1,
        sof_type: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG header: SOI, optional APP1, SOF with the given factors.
    fn jpeg_header(sof: u8, w: u16, h: u16, factors: &[u8], app1: Option<&[u8]>) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        if let Some(a) = app1 {
            v.extend_from_slice(&[0xFF, 0xE1]);
            v.extend_from_slice(&((a.len() + 2) as u16).to_be_bytes());
            v.extend_from_slice(a);
        }
        v.extend_from_slice(&[0xFF, 0xC0 + sof]);
        v.extend_from_slice(&((8 + 3 * factors.len()) as u16).to_be_bytes());
        v.push(8);
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&w.to_be_bytes());
        v.push(factors.len() as u8);
        for (i, f) in factors.iter().enumerate() {
            v.extend_from_slice(&[i as u8 + 1, *f, 0]);
        }
        v
    }

    fn exif(orientation: u16, little: bool) -> Vec<u8> {
        let mut v = b"Exif\0\0".to_vec();
        type Put<T, const N: usize> = fn(T) -> [u8; N];
        let (p16, p32): (Put<u16, 2>, Put<u32, 4>) = if little {
            (u16::to_le_bytes, u32::to_le_bytes)
        } else {
            (u16::to_be_bytes, u32::to_be_bytes)
        };
        v.extend_from_slice(if little { b"II*\0" } else { b"MM\0*" });
        v.extend_from_slice(&p32(8));
        v.extend_from_slice(&p16(2));
        // An unrelated tag first, then orientation.
        v.extend_from_slice(&p16(0x010F));
        v.extend_from_slice(&p16(2));
        v.extend_from_slice(&p32(4));
        v.extend_from_slice(&p32(0));
        v.extend_from_slice(&p16(0x0112));
        v.extend_from_slice(&p16(3));
        v.extend_from_slice(&p32(1));
        v.extend_from_slice(&p16(orientation));
        v.extend_from_slice(&[0, 0]);
        v
    }

    #[test]
    fn jpeg_sampling_factors_give_subsampling() {
        let cases = [
            (&[0x11u8, 0x11, 0x11][..], ChromaSubsampling::S444),
            (&[0x21, 0x11, 0x11], ChromaSubsampling::S422),
            (&[0x22, 0x11, 0x11], ChromaSubsampling::S420),
            (&[0x12, 0x11, 0x11], ChromaSubsampling::S440),
            (&[0x41, 0x11, 0x11], ChromaSubsampling::S411),
            (&[0x11], ChromaSubsampling::Gray),
            (&[0x11, 0x11, 0x11, 0x11], ChromaSubsampling::Other),
            (&[0x22, 0x21, 0x11], ChromaSubsampling::Other),
        ];
        for (f, want) in cases {
            let info = probe(&jpeg_header(0, 33, 17, f, None)).unwrap();
            assert_eq!(info.chroma_subsampling, want, "{f:?}");
            assert_eq!((info.width, info.height), (33, 17));
            assert_eq!(info.channels as usize, f.len());
            assert_eq!((info.bit_depth, info.exif_orientation), (8, 1));
            assert!(!info.progressive_or_interlaced);
        }
        let p = probe(&jpeg_header(2, 1, 1, &[0x11], None)).unwrap();
        assert!(p.progressive_or_interlaced);
        assert_eq!(p.sof_type, 2);
    }

    #[test]
    fn exif_orientation_in_both_byte_orders() {
        for little in [true, false] {
            for o in 1..=8 {
                let h = jpeg_header(0, 4, 4, &[0x11], Some(&exif(o, little)));
                assert_eq!(probe(&h).unwrap().exif_orientation, o as u8);
            }
            // Out of range and malformed blocks are ignored.
            let h = jpeg_header(0, 4, 4, &[0x11], Some(&exif(9, little)));
            assert_eq!(probe(&h).unwrap().exif_orientation, 1);
            let mut e = exif(6, little);
            e.truncate(20);
            let h = jpeg_header(0, 4, 4, &[0x11], Some(&e));
            assert_eq!(probe(&h).unwrap().exif_orientation, 1);
        }
    }

    #[test]
    fn jpeg_lies_are_errors() {
        let good = jpeg_header(0, 8, 8, &[0x22, 0x11, 0x11], None);
        for n in 0..good.len() {
            let e = probe(&good[..n]).unwrap_err();
            let want = if n < 2 {
                ErrorKind::UnsupportedFormat
            } else {
                ErrorKind::InvalidFile
            };
            assert_eq!(e.kind(), want, "truncated to {n}");
        }
        for bad_hdr in [
            jpeg_header(0, 0, 8, &[0x11], None),
            jpeg_header(0, 8, 0, &[0x11], None),
            jpeg_header(0, 8, 8, &[0x51], None),
            jpeg_header(0, 8, 8, &[0x10], None),
            jpeg_header(0, 8, 8, &[], None),
        ] {
            assert_eq!(probe(&bad_hdr).unwrap_err().kind(), ErrorKind::InvalidFile);
        }
        // Segment length below 2 and past the end; SOS and EOI before SOF.
        for b in [
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01][..],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF, 0x00],
            &[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02],
            &[0xFF, 0xD8, 0xFF, 0xD9],
            &[0xFF, 0xD8, 0x12],
        ] {
            assert_eq!(
                probe(b).unwrap_err().kind(),
                ErrorKind::InvalidFile,
                "{b:?}"
            );
        }
        // A SOF whose length disagrees with its component count.
        let mut h = jpeg_header(0, 8, 8, &[0x11, 0x11, 0x11], None);
        h[4..6].copy_from_slice(&14u16.to_be_bytes());
        h.truncate(2 + 2 + 14);
        assert_eq!(probe(&h).unwrap_err().kind(), ErrorKind::InvalidFile);
        // Fill bytes and restart markers before the frame are fine.
        let mut h = vec![0xFF, 0xD8, 0xFF, 0xFF, 0xD0];
        h.extend_from_slice(&jpeg_header(0, 3, 5, &[0x11], None)[2..]);
        assert_eq!(probe(&h).unwrap().width, 3);
    }

    fn png_header(w: u32, h: u32, depth: u8, colour: u8, interlace: u8) -> Vec<u8> {
        let mut v = PNG_SIGNATURE.to_vec();
        v.extend_from_slice(&13u32.to_be_bytes());
        let mut chunk = b"IHDR".to_vec();
        chunk.extend_from_slice(&w.to_be_bytes());
        chunk.extend_from_slice(&h.to_be_bytes());
        chunk.extend_from_slice(&[depth, colour, 0, 0, interlace]);
        v.extend_from_slice(&chunk);
        v.extend_from_slice(&crc32(&chunk).to_be_bytes());
        v
    }

    #[test]
    fn png_header_fields() {
        let i = probe(&png_header(641, 479, 16, 6, 1)).unwrap();
        assert_eq!(
            (i.format, i.width, i.height, i.channels, i.bit_depth),
            (ContainerFormat::Png, 641, 479, 4, 16)
        );
        assert!(i.progressive_or_interlaced);
        assert_eq!(
            probe(&png_header(1, 1, 1, 0, 0))
                .unwrap()
                .chroma_subsampling,
            ChromaSubsampling::Gray
        );
        assert_eq!(probe(&png_header(1, 1, 8, 3, 0)).unwrap().channels, 3);
        for bad_hdr in [
            png_header(0, 1, 8, 2, 0),
            png_header(1, 0x8000_0000, 8, 2, 0),
            png_header(1, 1, 4, 2, 0),
            png_header(1, 1, 8, 5, 0),
            png_header(1, 1, 8, 2, 2),
        ] {
            assert_eq!(probe(&bad_hdr).unwrap_err().kind(), ErrorKind::InvalidFile);
        }
        let mut c = png_header(5, 5, 8, 2, 0);
        c[20] ^= 1;
        assert_eq!(probe(&c).unwrap_err().kind(), ErrorKind::InvalidFile);
        let good = png_header(5, 5, 8, 2, 0);
        for n in 8..good.len() {
            assert_eq!(
                probe(&good[..n]).unwrap_err().kind(),
                ErrorKind::InvalidFile
            );
        }
    }
}
