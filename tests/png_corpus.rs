//! Malformed PNGs: many mutations of a few valid files (every truncation, bit flips with
//! and without a repaired CRC, lying chunk lengths, huge headers, a zlib bomb). Each must
//! give an error or a valid image: no panic, no hang, no unbounded allocation.
#![cfg(feature = "codec")]

use scipix::codec::png::{decode_png_into, png_info, PngConvention, PngOptions};
use scipix::image::{ImageViewMut, PixelFormat};
use scipix::ErrorKind;
use std::time::{Duration, Instant};

/// Destinations above this many pixels are not allocated by the test (the decoder refuses
/// them anyway under these options).
const MAX_TEST_PIXELS: u64 = 1 << 20;

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn encode(w: u32, h: u32, ct: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(ct);
    enc.set_depth(depth);
    if ct == png::ColorType::Indexed {
        enc.set_palette((0..48u8).map(|i| i.wrapping_mul(37)).collect::<Vec<_>>());
        enc.set_trns(vec![0u8, 77, 200]);
    }
    let mut wr = enc.write_header().unwrap();
    wr.write_image_data(data).unwrap();
    wr.finish().unwrap();
    out
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let noise = |n: usize| -> Vec<u8> { (0..n).map(|i| (i * 7919 % 251) as u8).collect() };
    vec![
        (
            "rgb8",
            encode(
                13,
                7,
                png::ColorType::Rgb,
                png::BitDepth::Eight,
                &noise(13 * 7 * 3),
            ),
        ),
        (
            "gray1",
            encode(
                17,
                5,
                png::ColorType::Grayscale,
                png::BitDepth::One,
                &noise(3 * 5),
            ),
        ),
        (
            "pal4",
            encode(
                9,
                6,
                png::ColorType::Indexed,
                png::BitDepth::Four,
                &noise(5 * 6),
            ),
        ),
        (
            "rgba16",
            encode(
                5,
                4,
                png::ColorType::Rgba,
                png::BitDepth::Sixteen,
                &noise(5 * 4 * 8),
            ),
        ),
        (
            "adam7_rgba8",
            include_bytes!("data/png/adam7_rgba8.png").to_vec(),
        ),
        (
            "adam7_pal2",
            include_bytes!("data/png/adam7_palette2_trns.png").to_vec(),
        ),
        (
            "gray16_trns",
            include_bytes!("data/png/gray16_trns.png").to_vec(),
        ),
    ]
}

/// Decodes `file` into every format under both conventions when its header is sane; any
/// outcome but a panic is fine, and a success must fill the image.
fn try_all(file: &[u8]) -> bool {
    let Ok(info) = png_info(file) else {
        let mut px = [0u8; 4];
        let mut dst = ImageViewMut::packed(&mut px, 1, 1, PixelFormat::Bgra8).unwrap();
        assert!(decode_png_into(file, &mut dst, &PngOptions::default()).is_err());
        return false;
    };
    let pixels = info.width as u64 * info.height as u64;
    let opts = |convention| PngOptions {
        max_pixels: MAX_TEST_PIXELS,
        convention,
    };
    if pixels > MAX_TEST_PIXELS {
        let mut px = [0u8; 4];
        let mut dst = ImageViewMut::packed(&mut px, 1, 1, PixelFormat::Bgra8).unwrap();
        let e = decode_png_into(file, &mut dst, &opts(PngConvention::OpenCv)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SizeOverflow, "{e}");
        return false;
    }
    let (w, h) = (info.width as usize, info.height as usize);
    let mut ok = false;
    for fmt in [PixelFormat::Gray8, PixelFormat::Bgra8] {
        for conv in [PngConvention::OpenCv, PngConvention::Pillow] {
            let mut buf = vec![0u8; w * h * fmt.bytes_per_pixel()];
            let mut dst = ImageViewMut::packed(&mut buf, w, h, fmt).unwrap();
            ok |= decode_png_into(file, &mut dst, &opts(conv)).is_ok();
        }
    }
    ok
}

fn set_crc(file: &mut [u8], chunk_start: usize, len: usize) {
    let crc = crc32(&file[chunk_start + 4..chunk_start + 8 + len]);
    file[chunk_start + 8 + len..chunk_start + 12 + len].copy_from_slice(&crc.to_be_bytes());
}

/// (start, data length) of every chunk.
fn chunks(file: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos + 12 <= file.len() {
        let len = u32::from_be_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
        if pos + 12 + len > file.len() {
            break;
        }
        out.push((pos, len));
        pos += 12 + len;
    }
    out
}

#[test]
fn mutations_never_panic_and_stay_bounded() {
    let start = Instant::now();
    let mut decoded = 0usize;
    let mut total = 0usize;
    for (name, seed) in seeds() {
        assert!(try_all(&seed), "seed {name} must decode");
        // Every truncation.
        for cut in 0..seed.len() {
            total += 1;
            decoded += try_all(&seed[..cut]) as usize;
        }
        let spans = chunks(&seed);
        // Bit flips, the chunk CRC left stale (must fail on critical chunks) and repaired
        // (reaches inflate, unfiltering and the conversions).
        for byte in 8..seed.len() {
            let bit = 1u8 << (byte % 8);
            let mut m = seed.clone();
            m[byte] ^= bit;
            total += 1;
            decoded += try_all(&m) as usize;
            if let Some(&(s, len)) = spans
                .iter()
                .find(|&&(s, l)| byte >= s + 4 && byte < s + 8 + l)
            {
                set_crc(&mut m, s, len);
                total += 1;
                decoded += try_all(&m) as usize;
            }
        }
        // Lying chunk lengths.
        for &(s, len) in &spans {
            for lie in [
                0u32,
                1,
                len as u32 - 1.min(len as u32),
                len as u32 + 1,
                0x7fff_ffff,
                u32::MAX,
            ] {
                let mut m = seed.clone();
                m[s..s + 4].copy_from_slice(&lie.to_be_bytes());
                total += 1;
                decoded += try_all(&m) as usize;
            }
        }
        // Huge declared sizes with a valid IHDR CRC.
        for (w, h) in [
            (65_000u32, 65_000u32),
            (65_500, 1),
            (1, 65_501),
            (0x7fff_ffff, 0x7fff_ffff),
            (2048, 1024),
        ] {
            let mut m = seed.clone();
            m[16..20].copy_from_slice(&w.to_be_bytes());
            m[20..24].copy_from_slice(&h.to_be_bytes());
            set_crc(&mut m, 8, 13);
            total += 1;
            decoded += try_all(&m) as usize;
        }
    }
    assert!(
        decoded > 0 && decoded < total,
        "{decoded} of {total} decoded"
    );
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "corpus took {:?}",
        start.elapsed()
    );
}

#[test]
fn zlib_bomb_is_bounded() {
    // IHDR 16x16 gray; the IDAT inflates to 16 MiB. libpng warns "Too much image data" and
    // returns the image; scipix either does the same or fails, in bounded time and memory.
    let bomb = include_bytes!("data/png/bomb_16x16_16mib.png");
    let start = Instant::now();
    let mut buf = [7u8; 256];
    let mut dst = ImageViewMut::packed(&mut buf, 16, 16, PixelFormat::Gray8).unwrap();
    let r = decode_png_into(bomb, &mut dst, &PngOptions::default());
    if r.is_ok() {
        assert!(buf.iter().all(|&b| b == 0));
    }
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn huge_header_is_refused_before_allocating() {
    let mut m = seeds().remove(0).1;
    m[16..24].copy_from_slice(&[0, 0, 0xfd, 0xe8, 0, 0, 0xfd, 0xe8]); // 65000 x 65000
    set_crc(&mut m, 8, 13);
    let info = png_info(&m).unwrap();
    assert_eq!((info.width, info.height), (65_000, 65_000));
    let mut px = [0u8; 3];
    let mut dst = ImageViewMut::packed(&mut px, 1, 1, PixelFormat::Rgb8).unwrap();
    let e = decode_png_into(&m, &mut dst, &PngOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeOverflow);
    assert!(e.message().contains("max_pixels"), "{e}");
}
