//! PNG decoding into a caller-provided GRAY8 / RGB8 / BGR8 / RGBA8 / BGRA8 image, bit-exact
//! with OpenCV or Pillow (pick one with [`PngConvention`]).
//!
//! ```
//! use scipix::codec::png::{decode_png_into, png_info, PngOptions};
//! use scipix::image::{ImageViewMut, PixelFormat};
//!
//! // A 1x1 8-bit gray PNG whose pixel is 200.
//! let file: &[u8] = &[
//!     0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0,
//!     1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55, 0, 0, 0, 10, b'I', b'D', b'A',
//!     b'T', 0x78, 0x9c, 0x63, 0x38, 0x01, 0x00, 0x00, 0xca, 0x00, 0xc9, 0x99, 0xca, 0x5d,
//!     0x7e, 0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82,
//! ];
//! let info = png_info(file)?;
//! assert_eq!((info.width, info.height, info.bit_depth), (1, 1, 8));
//! let mut bgr = [0u8; 3];
//! let mut dst = ImageViewMut::packed(&mut bgr, 1, 1, PixelFormat::Bgr8)?;
//! decode_png_into(file, &mut dst, &PngOptions::default())?;
//! assert_eq!(bgr, [200, 200, 200]);
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! # The rules of each peer
//!
//! Found by decoding generated PNGs of every colour type and bit depth with
//! opencv-python-headless 5.1.0 (libpng inside) and Pillow 13.0.0, and for Pillow's
//! grayscale weights by reading `libImaging/Convert.c`; `tests/python/test_png_reference.py`
//! checks every row of this table against both.
//!
//! | source | [`PngConvention::OpenCv`] (`cv2.imdecode`) | [`PngConvention::Pillow`] (`convert`) |
//! | --- | --- | --- |
//! | 1/2/4-bit gray | `v * 255 / (2^depth - 1)` (x255, x85, x17) | same |
//! | 16-bit gray | `v >> 8` | `min(v, 255)` (mode `I;16` clips, it does not shift) |
//! | 16-bit GA, RGB, RGBA | `v >> 8` per channel | `v >> 8` per channel |
//! | color -> GRAY8 | libpng `png_set_rgb_to_gray(1, 0.299, 0.587)`: 8-bit `(9797 R + 19234 G + 3737 B) >> 15` (truncating); 16-bit `((9797 R + 19234 G + 3737 B + 16384) >> 15) >> 8` on the 16-bit samples. With a file gamma (gAMA further than 0.05 from 1, or sRGB = 0.45455), libpng goes through linear light: see below | `(19595 R + 38470 G + 7471 B + 0x8000) >> 16` on the 8-bit samples (`L24`); gamma ignored |
//! | palette -> GRAY8 | the 8-bit rule above on the palette colour | `L24` on the palette colour |
//! | alpha -> GRAY8, RGB8, BGR8 | dropped (never composited) | dropped (never composited) |
//! | gray -> RGB | R = G = B = gray | same |
//! | palette + tRNS -> RGBA | alpha from tRNS, 255 past its end; a tRNS longer than PLTE is ignored (libpng: "tRNS: invalid") | alpha from tRNS, 255 past its end, whatever its length |
//! | index past PLTE | opaque black | opaque black |
//! | gray + tRNS -> RGBA | ignored: alpha 255 (`IMREAD_UNCHANGED` gives 1 channel) | alpha 0 where the 8-bit output value equals `key & 0xff` (1-bit: `key * 255 & 0xff`), else 255 |
//! | RGB + tRNS -> RGBA | alpha 0 where all three raw samples equal the key, else 255 | alpha 0 where all three 8-bit output values equal `key & 0xff`, else 255 |
//! | no alpha -> RGBA | alpha 255 | alpha 255 |
//!
//! The GRAY8 destination is `IMREAD_GRAYSCALE` / `convert('L')`, RGB8 and BGR8 are
//! `IMREAD_COLOR` (BGR) / `convert('RGB')`, and RGBA8 / BGRA8 are `IMREAD_UNCHANGED` (which
//! is BGRA for 8-bit sources with alpha, gray+alpha and palette+tRNS included; for 16-bit
//! ones it is the 16-bit result `>> 8`) / `convert('RGBA')`. Pillow's gray+tRNS and 16-bit
//! RGB+tRNS rules compare the converted pixel with the low byte of the key (its
//! `ImagingConvertTransparent`), so for 2/4/16-bit sources it rarely matches: that is
//! Pillow's behaviour, reproduced on purpose.
//!
//! Gamma: neither peer gamma-corrects colours, but libpng's color-to-gray does when the
//! file declares a gamma `g` (x 100000; an sRGB chunk means 45455) and OpenCV sets no screen
//! gamma. For 8-bit sources (palette included), with `T(e)[v] = floor(255 (v / 255)^(e /
//! 100000) + 0.5)` (0 and 255 kept) and `s = floor(1e10 / g + 0.5)`: a pixel with R = G = B
//! gives `T(floor(1e15 / g / s + 0.5))[R]` (the identity in practice), others
//! `T(floor(1e10 / s + 0.5))[(9797 T(s)[R] + 19234 T(s)[G] + 3737 T(s)[B] + 16384) >> 15]`.
//! 16-bit sources use libpng's 11-bit-indexed tables (its `gamma_shift` is 5 once OpenCV
//! asks for 8-bit output). With `U(e)[i] = floor(65535 (i / 2047)^(e / 100000) + 0.5)`
//! and `c(v) = floor(65535 (v / 65535)^(q / 100000) + 0.5)`, `q = floor(1e15 / g / s +
//! 0.5)`: a pixel with R = G = B gives the smallest `i` (0..=254, else 255) with
//! `R >> 5 < (c(257 i + 128) * 2047 + 32768) / 65535 + 1` (libpng's
//! `png_build_16to8_table`), others `U(1/s)[((9797 U(s)[R >> 5] + 19234 U(s)[G >> 5] +
//! 3737 U(s)[B >> 5] + 16384) >> 15) >> 5] >> 8`, where `U(1/s)` means
//! `U(floor(1e10 / s + 0.5))`. libpng also infers sRGB from
//! an iCCP chunk holding one of the well-known sRGB profiles; scipix does not (a gap).
//!
//! # Errors and strictness
//!
//! Like OpenCV (libpng), and stricter than Pillow: a bad CRC on a critical chunk, a bad
//! zlib Adler-32, truncated data, a missing IEND, lying chunk lengths and invalid headers
//! are all errors ([`ErrorKind::InvalidFile`]). Ancillary chunks with a bad CRC (a tRNS,
//! say) are skipped, as libpng does. Pillow differs both ways: it refuses a bad CRC on any
//! chunk before IDAT, ancillary ones included, but accepts a bad IDAT CRC and a missing IEND.
//! One difference from libpng remains: a zlib stream that lacks its 4-byte Adler-32 trailer
//! (the compressed data itself complete, the chunk CRCs right) decodes, as in Pillow;
//! libpng refuses it ("Not enough image data").
//! A zlib stream longer than the image (a "bomb") is inflated to its end in bounded memory
//! and the image returned, as libpng does (with its "Too much image data" warning). Sizes above
//! [`PngOptions::max_pixels`] or a side above [`MAX_SIDE`] are refused from the header,
//! before anything is allocated ([`ErrorKind::SizeOverflow`]).
//!
//! Arguments and the header are validated before anything is written. The pixels are
//! then decoded straight into the destination, one row at a time, so a file whose
//! compressed data turns out corrupt part-way returns an error after having written the
//! rows decoded before the damage. Memory used: one row of raw samples plus the `png`
//! crate's inflate state (bounded by [`decoder_limit_bytes`]); never a whole-image buffer,
//! Adam7 included.

use crate::error::{Error, ErrorKind, Result};
use crate::image::{ImageViewMut, PixelFormat};
use std::io::Cursor;

/// Largest width or height accepted (65 500, as in libjpeg; OpenCV and Pillow accept more
/// but no sane input needs it).
pub const MAX_SIDE: u32 = super::MAX_DIMENSION;

/// Default [`PngOptions::max_pixels`]: 178 956 970, twice Pillow's `MAX_IMAGE_PIXELS`
/// (the size at which Pillow raises `DecompressionBombError`).
pub const DEFAULT_MAX_PIXELS: u64 = 178_956_970;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 13, 10, 26, 10];

/// The colour type field of IHDR (its PNG code is the discriminant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PngColorType {
    /// 0: gray, depth 1, 2, 4, 8 or 16.
    Gray = 0,
    /// 2: RGB, depth 8 or 16.
    Rgb = 2,
    /// 3: palette indices, depth 1, 2, 4 or 8.
    Palette = 3,
    /// 4: gray + alpha, depth 8 or 16.
    GrayAlpha = 4,
    /// 6: RGBA, depth 8 or 16.
    Rgba = 6,
}

impl PngColorType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => PngColorType::Gray,
            2 => PngColorType::Rgb,
            3 => PngColorType::Palette,
            4 => PngColorType::GrayAlpha,
            6 => PngColorType::Rgba,
            _ => return None,
        })
    }

    /// Samples per pixel in the file (a palette index counts as one).
    pub fn channels(self) -> usize {
        match self {
            PngColorType::Gray | PngColorType::Palette => 1,
            PngColorType::GrayAlpha => 2,
            PngColorType::Rgb => 3,
            PngColorType::Rgba => 4,
        }
    }

    fn allows_depth(self, depth: u8) -> bool {
        match self {
            PngColorType::Gray => matches!(depth, 1 | 2 | 4 | 8 | 16),
            PngColorType::Palette => matches!(depth, 1 | 2 | 4 | 8),
            _ => matches!(depth, 8 | 16),
        }
    }
}

/// What the IHDR, PLTE and tRNS chunks say, read without decoding any pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngInfo {
    /// Pixels per row, 1 ..= 2^31 - 1.
    pub width: u32,
    /// Rows, 1 ..= 2^31 - 1.
    pub height: u32,
    /// Bits per sample: 1, 2, 4, 8 or 16.
    pub bit_depth: u8,
    /// Colour type.
    pub color_type: PngColorType,
    /// Adam7 interlaced.
    pub interlaced: bool,
    /// A tRNS chunk (with a valid CRC) precedes the image data.
    pub has_trns: bool,
    /// Entries in the PLTE chunk (0 when there is none).
    pub palette_len: u16,
}

/// Whose decoding rules to reproduce where OpenCV and Pillow differ (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PngConvention {
    /// `cv2.imdecode` (libpng): `IMREAD_GRAYSCALE`, `IMREAD_COLOR`, `IMREAD_UNCHANGED`.
    #[default]
    OpenCv,
    /// Pillow: `Image.open(f).convert('L' | 'RGB' | 'RGBA')`.
    Pillow,
}

/// Options of [`decode_png_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngOptions {
    /// Largest `width * height` accepted; larger images are refused from the header before
    /// any allocation. Default [`DEFAULT_MAX_PIXELS`].
    pub max_pixels: u64,
    /// Whose conversion rules to follow. Default [`PngConvention::OpenCv`].
    pub convention: PngConvention,
}

impl Default for PngOptions {
    fn default() -> Self {
        PngOptions {
            max_pixels: DEFAULT_MAX_PIXELS,
            convention: PngConvention::OpenCv,
        }
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidFile, message)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// CRC-32 (ISO 3309, as PNG uses), bytewise with a table built at compile time.
fn crc32(parts: &[&[u8]]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[n] = c;
            n += 1;
        }
        t
    };
    let mut c = !0u32;
    for part in parts {
        for &b in *part {
            c = TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
        }
    }
    !c
}

/// Reads the header chunks of a PNG file: IHDR (which must come first, with a valid CRC),
/// then every chunk up to the first IDAT, noting PLTE and tRNS. Never reads past `bytes`
/// and allocates nothing.
///
/// Errors ([`ErrorKind::InvalidFile`]): no PNG signature, truncated or lying chunk lengths,
/// bad CRC on a critical chunk, an invalid IHDR (zero or > 2^31 - 1 size, bad colour type /
/// depth pair, unknown compression, filter or interlace method), a palette image without
/// PLTE, a misplaced or malformed PLTE, no IDAT.
pub fn png_info(bytes: &[u8]) -> Result<PngInfo> {
    scan(bytes).map(|h| h.info)
}

/// The header and the PLTE / tRNS payloads, borrowed from the file.
struct Header<'a> {
    info: PngInfo,
    plte: &'a [u8],
    trns: &'a [u8],
    /// The file gamma libpng would use (x 100000): 45455 with an sRGB chunk, else gAMA's
    /// value, 0 when neither is present.
    gamma: u32,
}

fn scan(bytes: &[u8]) -> Result<Header<'_>> {
    let (mut plte, mut trns): (&[u8], &[u8]) = (&[], &[]);
    let (mut gama, mut srgb) = (0u32, false);
    if bytes.len() < 8 || bytes[..8] != SIGNATURE {
        return Err(bad("not a PNG file (signature missing)"));
    }
    let mut pos = 8usize;
    let mut info: Option<PngInfo> = None;
    loop {
        let rest = &bytes[pos..];
        if rest.len() < 12 {
            return Err(bad(format!(
                "PNG truncated at byte {pos}: no complete chunk (IDAT missing)"
            )));
        }
        let len = be32(rest) as usize;
        if len > 0x7fff_ffff || len > rest.len() - 12 {
            return Err(bad(format!(
                "PNG chunk at byte {pos} declares {len} bytes but only {} remain",
                rest.len() - 12
            )));
        }
        let tag = &rest[4..8];
        let data = &rest[8..8 + len];
        let crc_ok = be32(&rest[8 + len..]) == crc32(&[tag, data]);
        let critical = tag[0] & 0x20 == 0;
        let name = String::from_utf8_lossy(tag).into_owned();
        if !crc_ok && critical {
            return Err(bad(format!("PNG chunk {name} at byte {pos}: CRC mismatch")));
        }
        match (tag, info.as_mut()) {
            (b"IHDR", None) => {
                if len != 13 {
                    return Err(bad(format!("PNG IHDR has {len} bytes, not 13")));
                }
                info = Some(parse_ihdr(data)?);
            }
            (_, None) => return Err(bad("PNG does not start with an IHDR chunk")),
            (b"IHDR", Some(_)) => return Err(bad("PNG has a second IHDR chunk")),
            (b"PLTE", Some(i)) => {
                if i.palette_len != 0 {
                    return Err(bad("PNG has a second PLTE chunk"));
                }
                if i.has_trns {
                    return Err(bad("PNG PLTE comes after tRNS"));
                }
                if len == 0 || !len.is_multiple_of(3) || len / 3 > 256 {
                    return Err(bad(format!("PNG PLTE has {len} bytes")));
                }
                if i.color_type == PngColorType::Palette && len / 3 > 1 << i.bit_depth {
                    return Err(bad(format!(
                        "PNG PLTE has {} entries, more than depth {} indexes",
                        len / 3,
                        i.bit_depth
                    )));
                }
                i.palette_len = (len / 3) as u16;
                plte = data;
            }
            (b"gAMA", Some(_)) if crc_ok && len == 4 && gama == 0 => gama = be32(data),
            (b"sRGB", Some(_)) if crc_ok && len == 1 => srgb = true,
            (b"tRNS", Some(i)) if crc_ok => {
                i.has_trns = true;
                trns = data;
            }
            (b"IDAT", Some(i)) => {
                if i.color_type == PngColorType::Palette && i.palette_len == 0 {
                    return Err(bad("PNG palette image has no PLTE before IDAT"));
                }
                return Ok(Header {
                    info: *i,
                    plte,
                    trns,
                    gamma: if srgb { SRGB_GAMMA } else { gama },
                });
            }
            (b"IEND", Some(_)) => return Err(bad("PNG has no IDAT chunk")),
            _ => {}
        }
        pos += 12 + len;
    }
}

fn parse_ihdr(d: &[u8]) -> Result<PngInfo> {
    let (width, height) = (be32(d), be32(&d[4..]));
    if width == 0 || height == 0 || width > 0x7fff_ffff || height > 0x7fff_ffff {
        return Err(bad(format!("PNG IHDR size {width}x{height} is invalid")));
    }
    let (depth, code) = (d[8], d[9]);
    let color_type = PngColorType::from_code(code)
        .filter(|c| c.allows_depth(depth))
        .ok_or_else(|| {
            bad(format!(
                "PNG IHDR colour type {code} with bit depth {depth} is invalid"
            ))
        })?;
    if d[10] != 0 || d[11] != 0 || d[12] > 1 {
        return Err(bad(format!(
            "PNG IHDR compression {}, filter {}, interlace {}: unknown method",
            d[10], d[11], d[12]
        )));
    }
    Ok(PngInfo {
        width,
        height,
        bit_depth: depth,
        color_type,
        interlaced: d[12] == 1,
        has_trns: false,
        palette_len: 0,
    })
}

/// Bytes of one raw (unfiltered, filter byte excluded) row of `width` pixels.
fn raw_row_len(info: &PngInfo, width: usize) -> usize {
    (width * info.color_type.channels() * info.bit_depth as usize).div_ceil(8)
}

/// The `png` crate's own allocation budget for an image of this header: its row buffers
/// (a few raw rows) plus 8 MiB for inflate state and chunk buffers.
pub fn decoder_limit_bytes(info: &PngInfo) -> usize {
    8 * (raw_row_len(info, info.width as usize) + 1) + (8 << 20)
}

fn check_limits(info: &PngInfo, opts: &PngOptions) -> Result<()> {
    super::check_size("PNG", info.width, info.height, opts.max_pixels)
}

/// libpng's `PNG_GAMMA_sRGB_INVERSE`: the file gamma an sRGB chunk implies (x 100000).
const SRGB_GAMMA: u32 = 45_455;

/// libpng's `png_gamma_significant`: further than 0.05 from 1.
fn gamma_significant(g: u32) -> bool {
    !(95_000..=105_000).contains(&g)
}

/// libpng's floating-point `png_reciprocal`: `floor(1e10 / g + 0.5)`.
fn reciprocal(g: u32) -> u32 {
    (1e10 / g as f64 + 0.5).floor() as u32
}

/// libpng's `png_build_8bit_table` with `png_gamma_8bit_correct` (floating point):
/// `floor(255 * (v / 255) ^ (g / 100000) + 0.5)`, 0 and 255 kept, identity when `g` is
/// not significant.
fn gamma_table(g: u32) -> [u8; 256] {
    let mut t = [0u8; 256];
    for (v, e) in t.iter_mut().enumerate() {
        *e = if gamma_significant(g) && v > 0 && v < 255 {
            (255.0 * (v as f64 / 255.0).powf(g as f64 * 0.00001) + 0.5).floor() as u8
        } else {
            v as u8
        };
    }
    t
}

/// The tables libpng's 8-bit `png_do_rgb_to_gray` uses when the file declares a gamma
/// (gAMA or sRGB) and OpenCV sets no screen gamma: screen = 1 / file gamma,
/// `to_1` = table(1 / file), `from_1` = table(1 / screen), `same` = table(1 / (file x
/// screen)) for pixels with R = G = B. The gray of other pixels is
/// `from_1[(9797 to_1[R] + 19234 to_1[G] + 3737 to_1[B] + 16384) >> 15]`.
struct GrayGamma {
    to_1: [u8; 256],
    from_1: [u8; 256],
    same: [u8; 256],
}

impl GrayGamma {
    /// `None` when libpng builds no tables (no gamma, or both gammas near 1).
    fn new(file_gamma: u32) -> Option<Box<Self>> {
        if file_gamma == 0 {
            return None;
        }
        let screen = reciprocal(file_gamma);
        if !gamma_significant(file_gamma) && !gamma_significant(screen) {
            return None;
        }
        // png_reciprocal2(file, screen) = floor(1e15 / file / screen + 0.5).
        let both = (1e15 / file_gamma as f64 / screen as f64 + 0.5).floor() as u32;
        Some(Box::new(GrayGamma {
            to_1: gamma_table(reciprocal(file_gamma)),
            from_1: gamma_table(reciprocal(screen)),
            same: gamma_table(both),
        }))
    }

    #[inline(always)]
    fn gray(&self, r: u8, g: u8, b: u8) -> u8 {
        if r == g && r == b {
            return self.same[r as usize];
        }
        let (r, g, b) = (
            self.to_1[r as usize] as u32,
            self.to_1[g as usize] as u32,
            self.to_1[b as usize] as u32,
        );
        self.from_1[((9797 * r + 19234 * g + 3737 * b + 16384) >> 15) as usize]
    }
}

/// libpng's `gamma_shift` for 16-bit files that OpenCV strips to 8 bits (no sBIT):
/// `16 - PNG_MAX_GAMMA_8` = 5, so its 16-bit tables are indexed by the top 11 bits.
const SHIFT16: u32 = 5;
const N16: usize = 1 << (16 - SHIFT16);

/// libpng's `png_build_16bit_table` (floating point) indexed by `v >> 5`:
/// `floor(65535 ((v >> 5) / 2047)^(g / 100000) + 0.5)`, or when `g` is not significant
/// `((v >> 5) * 65535 + 1024) / 2047`.
fn gamma_table16(g: u32) -> Vec<u16> {
    let max = (N16 - 1) as f64;
    (0..N16 as u32)
        .map(|ig| {
            if gamma_significant(g) {
                (65535.0 * (ig as f64 / max).powf(g as f64 * 0.00001) + 0.5).floor() as u16
            } else {
                ((ig * 65535 + (1 << (15 - SHIFT16))) / (N16 as u32 - 1)) as u16
            }
        })
        .collect()
}

/// libpng's `png_build_16to8_table` indexed by `v >> 5`: the 16-bit value `i * 257` of the
/// first 8-bit output `i` whose bound `(gamma16(i * 257 + 128) * 2047 + 32768) / 65535 + 1`
/// exceeds the index, 65535 past the last bound.
fn gamma_table16to8(g: u32) -> Vec<u16> {
    let correct = |v: u32| -> u32 {
        if v > 0 && v < 65535 {
            (65535.0 * (v as f64 / 65535.0).powf(g as f64 * 0.00001) + 0.5).floor() as u32
        } else {
            v
        }
    };
    let mut t = vec![65535u16; N16];
    let mut last = 0usize;
    for i in 0..255u32 {
        let out = i * 257;
        let bound = ((correct(out + 128) * (N16 as u32 - 1) + 32768) / 65535 + 1) as usize;
        while last < bound.min(N16) {
            t[last] = out as u16;
            last += 1;
        }
    }
    t
}

/// The 16-bit counterpart of [`GrayGamma`]: libpng's `png_do_rgb_to_gray` on 16-bit
/// samples with `gamma_16_to_1`, `gamma_16_from_1` (both [`gamma_table16`]) and
/// `gamma_16_table` ([`gamma_table16to8`], for R = G = B), then OpenCV's strip to 8 bits.
struct GrayGamma16 {
    to_1: Vec<u16>,
    from_1: Vec<u16>,
    same: Vec<u16>,
}

impl GrayGamma16 {
    fn new(file_gamma: u32) -> Option<Box<Self>> {
        let screen = reciprocal(file_gamma.max(1));
        if file_gamma == 0 || (!gamma_significant(file_gamma) && !gamma_significant(screen)) {
            return None;
        }
        let both = (1e15 / file_gamma as f64 / screen as f64 + 0.5).floor() as u32;
        Some(Box::new(GrayGamma16 {
            to_1: gamma_table16(reciprocal(file_gamma)),
            from_1: gamma_table16(reciprocal(screen)),
            same: gamma_table16to8(both),
        }))
    }

    #[inline(always)]
    fn gray(&self, r: u16, g: u16, b: u16) -> u8 {
        let w = if r == g && r == b {
            self.same[(r >> SHIFT16) as usize]
        } else {
            let at = |v: u16| self.to_1[(v >> SHIFT16) as usize] as u32;
            let y = (9797 * at(r) + 19234 * at(g) + 3737 * at(b) + 16384) >> 15;
            self.from_1[(y >> SHIFT16) as usize]
        };
        (w >> 8) as u8
    }
}

/// The conversion of one file's samples to one destination format under one convention.
struct Plan {
    ct: PngColorType,
    depth: u8,
    conv: PngConvention,
    format: PixelFormat,
    /// RGBA of every palette index (opaque black past PLTE).
    palette: [[u8; 4]; 256],
    /// tRNS key of gray (one sample) or RGB (three) images, as written in the file.
    key: Option<[u16; 3]>,
    /// libpng's gamma-aware color-to-gray tables (OpenCV convention, 8-bit color sources
    /// with a significant file gamma).
    gray_gamma: Option<Box<GrayGamma>>,
    /// The same for 16-bit color sources.
    gray_gamma16: Option<Box<GrayGamma16>>,
}

/// Low-bit gray scaled to 8 bits (the rule both peers use).
fn scale_low(v: u16, depth: u8) -> u8 {
    match depth {
        1 => (v * 255) as u8,
        2 => (v * 85) as u8,
        4 => (v * 17) as u8,
        _ => v as u8,
    }
}

impl Plan {
    fn new(header: &Header<'_>, format: PixelFormat, conv: PngConvention) -> Self {
        let info = &header.info;
        let mut palette = [[0, 0, 0, 255]; 256];
        for (entry, rgb) in palette.iter_mut().zip(header.plte.chunks_exact(3)) {
            entry[..3].copy_from_slice(rgb);
        }
        let trns = header.trns;
        let mut key = None;
        match info.color_type {
            // libpng drops a palette tRNS longer than PLTE as invalid; Pillow uses it.
            PngColorType::Palette
                if conv == PngConvention::OpenCv && trns.len() > info.palette_len as usize => {}
            PngColorType::Palette => {
                for (entry, &a) in palette.iter_mut().zip(trns) {
                    entry[3] = a;
                }
            }
            PngColorType::Gray if trns.len() >= 2 => {
                let g = u16::from_be_bytes([trns[0], trns[1]]);
                key = Some([g, g, g]);
            }
            PngColorType::Rgb if trns.len() >= 6 => {
                let k = |i: usize| u16::from_be_bytes([trns[i], trns[i + 1]]);
                key = Some([k(0), k(2), k(4)]);
            }
            _ => {}
        }
        let color = matches!(
            info.color_type,
            PngColorType::Rgb | PngColorType::Rgba | PngColorType::Palette
        );
        let tables = conv == PngConvention::OpenCv && format == PixelFormat::Gray8 && color;
        let gray_gamma = (tables && info.bit_depth <= 8)
            .then(|| GrayGamma::new(header.gamma))
            .flatten();
        let gray_gamma16 = (tables && info.bit_depth == 16)
            .then(|| GrayGamma16::new(header.gamma))
            .flatten();
        Plan {
            ct: info.color_type,
            depth: info.bit_depth,
            conv,
            format,
            palette,
            key,
            gray_gamma,
            gray_gamma16,
        }
    }

    /// One sample of a gray/GA/RGB/RGBA image to 8 bits.
    #[inline(always)]
    fn to8(&self, v: u16, gray_channel: bool) -> u8 {
        if self.depth == 16 {
            if gray_channel && self.ct == PngColorType::Gray && self.conv == PngConvention::Pillow {
                v.min(255) as u8
            } else {
                (v >> 8) as u8
            }
        } else {
            scale_low(v, self.depth)
        }
    }

    /// Gray value of an RGB pixel given by its raw samples.
    #[inline(always)]
    fn luma(&self, r: u16, g: u16, b: u16) -> u8 {
        let (r, g, b) = (r as u32, g as u32, b as u32);
        match (self.conv, self.depth) {
            (PngConvention::OpenCv, 16) => match &self.gray_gamma16 {
                Some(t) => t.gray(r as u16, g as u16, b as u16),
                None => (((9797 * r + 19234 * g + 3737 * b + 16384) >> 15) >> 8) as u8,
            },
            (PngConvention::OpenCv, _) => match &self.gray_gamma {
                Some(t) => t.gray(r as u8, g as u8, b as u8),
                None => ((9797 * r + 19234 * g + 3737 * b) >> 15) as u8,
            },
            (PngConvention::Pillow, d) => {
                let s = if d == 16 { 8 } else { 0 };
                (((r >> s) * 19595 + (g >> s) * 38470 + (b >> s) * 7471 + 0x8000) >> 16) as u8
            }
        }
    }

    #[inline(always)]
    fn palette_luma(&self, idx: u16) -> u8 {
        let [r, g, b, _] = self.palette[idx as usize & 0xff];
        let (r, g, b) = (r as u32, g as u32, b as u32);
        match self.conv {
            PngConvention::OpenCv => match &self.gray_gamma {
                Some(t) => t.gray(r as u8, g as u8, b as u8),
                None => ((9797 * r + 19234 * g + 3737 * b) >> 15) as u8,
            },
            PngConvention::Pillow => ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) as u8,
        }
    }

    /// GRAY8 value of pixel `s` (its raw samples).
    #[inline(always)]
    fn gray(&self, s: &[u16]) -> u8 {
        match self.ct {
            PngColorType::Gray | PngColorType::GrayAlpha => self.to8(s[0], true),
            PngColorType::Rgb | PngColorType::Rgba => self.luma(s[0], s[1], s[2]),
            PngColorType::Palette => self.palette_luma(s[0]),
        }
    }

    /// Alpha given by a tRNS key for a gray or RGB pixel whose 8-bit output is `rgb`.
    #[inline(always)]
    fn key_alpha(&self, s: &[u16], rgb: [u8; 3]) -> u8 {
        let Some(key) = self.key else { return 255 };
        let hit = match (self.conv, self.ct) {
            (PngConvention::OpenCv, PngColorType::Gray) => false,
            (PngConvention::OpenCv, _) => s[..3] == key,
            (PngConvention::Pillow, PngColorType::Gray) => {
                let k = if self.depth == 1 {
                    key[0].wrapping_mul(255)
                } else {
                    key[0]
                };
                rgb[0] == (k & 0xff) as u8
            }
            (PngConvention::Pillow, _) => (0..3).all(|c| rgb[c] == (key[c] & 0xff) as u8),
        };
        if hit {
            0
        } else {
            255
        }
    }

    /// R, G, B, A of pixel `s` (its raw samples).
    #[inline(always)]
    fn rgba(&self, s: &[u16]) -> [u8; 4] {
        match self.ct {
            PngColorType::Gray => {
                let g = self.to8(s[0], true);
                [g, g, g, self.key_alpha(s, [g, g, g])]
            }
            PngColorType::GrayAlpha => {
                let g = self.to8(s[0], true);
                [g, g, g, self.to8(s[1], false)]
            }
            PngColorType::Rgb => {
                let rgb = [
                    self.to8(s[0], false),
                    self.to8(s[1], false),
                    self.to8(s[2], false),
                ];
                [rgb[0], rgb[1], rgb[2], self.key_alpha(s, rgb)]
            }
            PngColorType::Rgba => [
                self.to8(s[0], false),
                self.to8(s[1], false),
                self.to8(s[2], false),
                self.to8(s[3], false),
            ],
            PngColorType::Palette => self.palette[s[0] as usize & 0xff],
        }
    }

    /// Converts a whole raw row of an 8-bit gray / RGB / RGBA image without a tRNS key
    /// straight into `out` (the common case, without unpacking to u16 first); false when
    /// the row needs the general path.
    fn convert_fast(&self, raw: &[u8], out: &mut [u8]) -> bool {
        if self.depth != 8 || (self.key.is_some() && self.conv == PngConvention::Pillow) {
            return false;
        }
        let rgb_key = self.key.is_some() && self.ct == PngColorType::Rgb;
        if rgb_key {
            return false;
        }
        let fmt = self.format;
        let ch = self.ct.channels();
        match (self.ct, fmt) {
            (PngColorType::Gray, PixelFormat::Gray8) => out.copy_from_slice(raw),
            (PngColorType::Gray, _) => {
                let bpp = fmt.bytes_per_pixel();
                for (o, &g) in out.chunks_exact_mut(bpp).zip(raw) {
                    o[..3].fill(g);
                    if bpp == 4 {
                        o[3] = 255;
                    }
                }
            }
            (PngColorType::Rgb | PngColorType::Rgba, PixelFormat::Gray8) => {
                for (o, p) in out.iter_mut().zip(raw.chunks_exact(ch)) {
                    *o = self.luma(p[0] as u16, p[1] as u16, p[2] as u16);
                }
            }
            (PngColorType::Rgb, PixelFormat::Rgb8) | (PngColorType::Rgba, PixelFormat::Rgba8) => {
                out.copy_from_slice(raw)
            }
            (PngColorType::Rgb | PngColorType::Rgba, _) => {
                let bpp = fmt.bytes_per_pixel();
                let (ro, go, bo) = fmt.rgb_offsets().unwrap_or((0, 1, 2));
                for (o, p) in out.chunks_exact_mut(bpp).zip(raw.chunks_exact(ch)) {
                    o[ro] = p[0];
                    o[go] = p[1];
                    o[bo] = p[2];
                    if bpp == 4 {
                        o[3] = if ch == 4 { p[3] } else { 255 };
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// Converts `n` pixels of unpacked samples into `out`, pixel `i` going to destination
    /// column `x0 + i * dx`.
    fn convert(&self, samples: &[u16], n: usize, out: &mut [u8], x0: usize, dx: usize) {
        let ch = self.ct.channels();
        let bpp = self.format.bytes_per_pixel();
        let pixels = samples.chunks_exact(ch).take(n);
        match self.format {
            PixelFormat::Gray8 => {
                for (i, s) in pixels.enumerate() {
                    out[x0 + i * dx] = self.gray(s);
                }
            }
            fmt => {
                let (ro, go, bo) = fmt.rgb_offsets().unwrap_or((0, 1, 2));
                for (i, s) in pixels.enumerate() {
                    let p = self.rgba(s);
                    let o = &mut out[(x0 + i * dx) * bpp..(x0 + i * dx + 1) * bpp];
                    o[ro] = p[0];
                    o[go] = p[1];
                    o[bo] = p[2];
                    if bpp == 4 {
                        o[3] = p[3];
                    }
                }
            }
        }
    }
}

/// Unpacks a raw row (big-endian 16-bit, or 1/2/4-bit packed MSB first) into one `u16`
/// per sample; `samples.len()` samples are produced.
fn unpack(raw: &[u8], depth: u8, samples: &mut [u16]) {
    match depth {
        16 => {
            for (s, b) in samples.iter_mut().zip(raw.chunks_exact(2)) {
                *s = u16::from_be_bytes([b[0], b[1]]);
            }
        }
        8 => {
            for (s, &b) in samples.iter_mut().zip(raw) {
                *s = b as u16;
            }
        }
        d => {
            let per = 8 / d as usize;
            let mask = (1u16 << d) - 1;
            for (i, s) in samples.iter_mut().enumerate() {
                let byte = raw[i / per] as u16;
                let shift = 8 - d as usize * (i % per + 1);
                *s = (byte >> shift) & mask;
            }
        }
    }
}

/// Adam7 passes: (x0, y0, dx, dy).
const ADAM7: [(usize, usize, usize, usize); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

fn map_err(e: png::DecodingError) -> Error {
    match e {
        png::DecodingError::LimitsExceeded => Error::new(
            ErrorKind::OutOfMemory,
            "PNG decoder needs more memory than its budget",
        ),
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            bad("PNG truncated: the data ends early")
        }
        e => bad(format!("PNG: {}", chunk_names(&e.to_string()))),
    }
}

/// The png crate prints chunk types as Rust debug structures
/// (`ChunkType { type: IEND, critical: true, .. }`); a message shows just the name.
fn chunk_names(msg: &str) -> String {
    const OPEN: &str = "ChunkType { type: ";
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i + OPEN.len()..];
        let name_end = after.find([',', ' ', '}']).unwrap_or(after.len());
        out.push_str(&after[..name_end]);
        rest = after.find('}').map_or("", |j| &after[j + 1..]);
    }
    out.push_str(rest);
    out
}

/// Decodes the PNG `bytes` into `dst` (GRAY8, RGB8, BGR8, RGBA8 or BGRA8), which must be
/// exactly the image's size; the stride is honoured, and only the `width * bpp` bytes of
/// each destination row are written. The conversion follows `opts.convention` (see the
/// module docs for the exact rules).
///
/// Errors: [`ErrorKind::InvalidFile`] (malformed, truncated or corrupt file, see
/// [`png_info`]), [`ErrorKind::SizeOverflow`] (side above [`MAX_SIDE`] or more pixels than
/// `opts.max_pixels`), [`ErrorKind::InvalidArgument`] (destination size differs from the
/// image), [`ErrorKind::OutOfMemory`]. Nothing is written when the header or arguments are
/// rejected; if the compressed data is found corrupt part-way, the rows decoded so far
/// have been written.
pub fn decode_png_into(bytes: &[u8], dst: &mut ImageViewMut<'_>, opts: &PngOptions) -> Result<()> {
    let mut rows = PngRows::start(bytes, dst.format(), opts)?;
    let (w, h) = rows.size();
    if dst.width() != w || dst.height() != h {
        return Err(Error::invalid(format!(
            "destination is {}x{}, the PNG is {w}x{h}",
            dst.width(),
            dst.height()
        )));
    }
    if rows.info.interlaced {
        rows.read_interlaced(dst)?;
    } else {
        rows.read(dst)?;
    }
    rows.finish()
}

/// The next raw (unfiltered) row of `reader`, checked to be `expect` bytes long.
fn next_raw<'r>(reader: &'r mut png::Reader<Cursor<&[u8]>>, expect: usize) -> Result<&'r [u8]> {
    let row = reader
        .next_row()
        .map_err(map_err)?
        .ok_or_else(|| bad("PNG image data ends before the last row"))?;
    let raw = row.data();
    if raw.len() != expect {
        return Err(bad(format!(
            "PNG row has {} bytes where {expect} were expected",
            raw.len()
        )));
    }
    Ok(raw)
}

/// A PNG being decoded top to bottom, converted row by row to one pixel format.
pub(crate) struct PngRows<'a> {
    reader: png::Reader<Cursor<&'a [u8]>>,
    info: PngInfo,
    plan: Plan,
    samples: Vec<u16>,
    /// The next row [`PngRows::read`] gives (non-interlaced images).
    next: usize,
}

impl<'a> PngRows<'a> {
    /// Reads the header of `bytes` and checks it (see [`decode_png_into`]'s errors).
    pub(crate) fn start(bytes: &'a [u8], format: PixelFormat, opts: &PngOptions) -> Result<Self> {
        let header = scan(bytes)?;
        let info = header.info;
        check_limits(&info, opts)?;
        let mut options = png::DecodeOptions::default();
        options.set_ignore_adler32(false);
        options.set_ignore_crc(false);
        options.set_ignore_text_chunk(true);
        options.set_ignore_iccp_chunk(true);
        let mut decoder = png::Decoder::new_with_options(Cursor::new(bytes), options);
        decoder.set_limits(png::Limits {
            bytes: decoder_limit_bytes(&info),
        });
        decoder.set_transformations(png::Transformations::IDENTITY);
        let reader = decoder.read_info().map_err(map_err)?;
        let raw_info = reader.info();
        if raw_info.width != info.width
            || raw_info.height != info.height
            || raw_info.interlaced != info.interlaced
            || raw_info.bit_depth as u8 != info.bit_depth
            || raw_info.color_type as u8 != info.color_type as u8
        {
            return Err(bad("PNG header read twice gave different answers"));
        }
        let plan = Plan::new(&header, format, opts.convention);
        let n = info.width as usize * info.color_type.channels();
        let samples = crate::error::try_filled_vec(0u16, n, "PNG row samples")?;
        Ok(PngRows {
            reader,
            info,
            plan,
            samples,
            next: 0,
        })
    }

    /// The image (width, height).
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.info.width as usize, self.info.height as usize)
    }

    /// Decodes the next `band.height()` rows of a non-interlaced image into `band` (the
    /// image's width and the format given to [`PngRows::start`]).
    pub(crate) fn read(&mut self, band: &mut ImageViewMut) -> Result<()> {
        let (w, h) = self.size();
        if self.info.interlaced
            || band.width() != w
            || band.format() != self.plan.format
            || band.height() > h - self.next
        {
            return Err(Error::invalid(format!(
                "PNG rows {}..{} into a {}x{} {} band of a {w}x{h} image",
                self.next,
                self.next + band.height(),
                band.width(),
                band.height(),
                band.format().name()
            )));
        }
        let ch = self.info.color_type.channels();
        let expect = raw_row_len(&self.info, w);
        for y in 0..band.height() {
            let raw = next_raw(&mut self.reader, expect)?;
            let out = band.row_mut(y);
            if !self.plan.convert_fast(raw, out) {
                unpack(raw, self.info.bit_depth, &mut self.samples[..w * ch]);
                self.plan.convert(&self.samples, w, out, 0, 1);
            }
            self.next += 1;
        }
        Ok(())
    }

    /// Decodes and discards rows up to `row` (non-interlaced images).
    pub(crate) fn skip_to(&mut self, row: usize) -> Result<()> {
        let expect = raw_row_len(&self.info, self.info.width as usize);
        while self.next < row.min(self.size().1) {
            next_raw(&mut self.reader, expect)?;
            self.next += 1;
        }
        Ok(())
    }

    /// Decodes every pass of an interlaced image into `dst` (the image's size).
    fn read_interlaced(&mut self, dst: &mut ImageViewMut) -> Result<()> {
        let (w, h) = self.size();
        let ch = self.info.color_type.channels();
        for &(x0, y0, dx, dy) in &ADAM7 {
            if x0 >= w || y0 >= h {
                continue; // an empty pass has no rows in the file
            }
            let n = (w - x0).div_ceil(dx);
            let expect = raw_row_len(&self.info, n);
            for y in (y0..h).step_by(dy) {
                let raw = next_raw(&mut self.reader, expect)?;
                let out = dst.row_mut(y);
                if dx == 1 && self.plan.convert_fast(raw, out) {
                    continue;
                }
                unpack(raw, self.info.bit_depth, &mut self.samples[..n * ch]);
                self.plan.convert(&self.samples, n, out, x0, dx);
            }
        }
        self.next = h;
        Ok(())
    }

    /// Decodes the rows left (discarding them) and checks the end of the image data.
    pub(crate) fn finish(mut self) -> Result<()> {
        if !self.info.interlaced {
            self.skip_to(self.size().1)?;
        }
        self.reader.finish().map_err(map_err)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Packs rows of `w` pixels of samples (one u16 each) at `bits` per sample.
    fn pack(samples: &[u16], w: usize, ch: usize, bits: usize) -> Vec<Vec<u8>> {
        let row_bytes = (w * ch * bits).div_ceil(8);
        samples
            .chunks_exact(w * ch)
            .map(|px| {
                let mut row = vec![0u8; row_bytes];
                for (i, &v) in px.iter().enumerate() {
                    match bits {
                        16 => row[2 * i..2 * i + 2].copy_from_slice(&v.to_be_bytes()),
                        8 => row[i] = v as u8,
                        b => row[i / (8 / b)] |= (v as u8) << (8 - b * (i % (8 / b) + 1)),
                    }
                }
                row
            })
            .collect()
    }

    /// A zlib stream of stored (uncompressed) deflate blocks.
    fn zlib_stored(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0x78, 0x01];
        let blocks: Vec<&[u8]> = if data.is_empty() {
            vec![&[]]
        } else {
            data.chunks(65_535).collect()
        };
        for (i, b) in blocks.iter().enumerate() {
            out.push((i + 1 == blocks.len()) as u8);
            out.extend_from_slice(&(b.len() as u16).to_le_bytes());
            out.extend_from_slice(&(!(b.len() as u16)).to_le_bytes());
            out.extend_from_slice(b);
        }
        let (mut a, mut b) = (1u32, 0u32);
        for &x in data {
            a = (a + x as u32) % 65_521;
            b = (b + a) % 65_521;
        }
        out.extend_from_slice(&((b << 16) | a).to_be_bytes());
        out
    }

    fn chunk(out: &mut Vec<u8>, tag: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(tag);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc32(&[tag, data]).to_be_bytes());
    }

    /// Encodes `samples` (one u16 per sample, row-major): with the `png` crate when not
    /// interlaced (it cannot write Adam7), by hand (filter 0, stored deflate) when interlaced.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn encode(
        w: u32,
        h: u32,
        ct: png::ColorType,
        depth: png::BitDepth,
        samples: &[u16],
        interlaced: bool,
        palette: Option<&[u8]>,
        trns: Option<&[u8]>,
    ) -> Vec<u8> {
        let bits = depth as usize;
        let ch = ct.samples();
        let (wu, hu) = (w as usize, h as usize);
        if !interlaced {
            let data: Vec<u8> = pack(samples, wu, ch, bits).concat();
            let mut out = Vec::new();
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(ct);
            enc.set_depth(depth);
            if let Some(p) = palette {
                enc.set_palette(p.to_vec());
            }
            if let Some(t) = trns {
                enc.set_trns(t.to_vec());
            }
            let mut wr = enc.write_header().unwrap();
            wr.write_image_data(&data).unwrap();
            wr.finish().unwrap();
            return out;
        }
        let mut raw = Vec::new();
        for &(x0, y0, dx, dy) in &ADAM7 {
            if x0 >= wu || y0 >= hu {
                continue;
            }
            let n = (wu - x0).div_ceil(dx);
            let mut sub = Vec::new();
            for y in (y0..hu).step_by(dy) {
                for x in (x0..wu).step_by(dx) {
                    sub.extend_from_slice(&samples[(y * wu + x) * ch..(y * wu + x + 1) * ch]);
                }
            }
            for row in pack(&sub, n, ch, bits) {
                raw.push(0);
                raw.extend_from_slice(&row);
            }
        }
        let mut out = SIGNATURE.to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[bits as u8, ct as u8, 0, 0, 1]);
        chunk(&mut out, b"IHDR", &ihdr);
        if let Some(p) = palette {
            chunk(&mut out, b"PLTE", p);
        }
        if let Some(t) = trns {
            chunk(&mut out, b"tRNS", t);
        }
        chunk(&mut out, b"IDAT", &zlib_stored(&raw));
        chunk(&mut out, b"IEND", &[]);
        out
    }

    fn lcg(seed: &mut u64) -> u16 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) as u16
    }

    fn decode(file: &[u8], w: usize, h: usize, fmt: PixelFormat, conv: PngConvention) -> Vec<u8> {
        let mut buf = vec![0u8; w * h * fmt.bytes_per_pixel()];
        let mut dst = ImageViewMut::packed(&mut buf, w, h, fmt).unwrap();
        let opts = PngOptions {
            convention: conv,
            ..PngOptions::default()
        };
        decode_png_into(file, &mut dst, &opts).unwrap();
        buf
    }

    /// Independent reference: per pixel RGBA and gray from the samples, by the table rules.
    fn reference(
        ct: png::ColorType,
        depth: u8,
        s: &[u16],
        pal: &[u8],
        trns: Option<&[u8]>,
        conv: PngConvention,
    ) -> ([u8; 4], u8) {
        let pillow = conv == PngConvention::Pillow;
        let c8 = |v: u16| -> u8 {
            match depth {
                16 => (v >> 8) as u8,
                8 => v as u8,
                d => (v as u32 * 255 / ((1u32 << d) - 1)) as u8,
            }
        };
        let l_cv = |r: u8, g: u8, b: u8| {
            ((9797 * r as u32 + 19234 * g as u32 + 3737 * b as u32) >> 15) as u8
        };
        let l_pil = |r: u8, g: u8, b: u8| {
            ((19595 * r as u32 + 38470 * g as u32 + 7471 * b as u32 + 0x8000) >> 16) as u8
        };
        let l = |r, g, b| {
            if pillow {
                l_pil(r, g, b)
            } else {
                l_cv(r, g, b)
            }
        };
        match ct {
            png::ColorType::Grayscale => {
                let g = if depth == 16 && pillow {
                    s[0].min(255) as u8
                } else {
                    c8(s[0])
                };
                let a = match trns {
                    Some(t) if pillow => {
                        let k = u16::from_be_bytes([t[0], t[1]]);
                        let k = if depth == 1 { k * 255 } else { k };
                        if g == (k & 0xff) as u8 {
                            0
                        } else {
                            255
                        }
                    }
                    _ => 255,
                };
                ([g, g, g, a], g)
            }
            png::ColorType::GrayscaleAlpha => {
                let g = c8(s[0]);
                ([g, g, g, c8(s[1])], g)
            }
            png::ColorType::Rgb | png::ColorType::Rgba => {
                let (r, g, b) = (c8(s[0]), c8(s[1]), c8(s[2]));
                let mut a = if s.len() == 4 { c8(s[3]) } else { 255 };
                if let Some(t) = trns {
                    let k = [0, 2, 4].map(|i| u16::from_be_bytes([t[i], t[i + 1]]));
                    let hit = if pillow {
                        [r, g, b] == k.map(|v| (v & 0xff) as u8)
                    } else {
                        s[..3] == k
                    };
                    if hit {
                        a = 0;
                    }
                }
                let gray = if depth == 16 && !pillow {
                    let (r, g, b) = (s[0] as u32, s[1] as u32, s[2] as u32);
                    (((9797 * r + 19234 * g + 3737 * b + 16384) >> 15) >> 8) as u8
                } else {
                    l(r, g, b)
                };
                ([r, g, b, a], gray)
            }
            png::ColorType::Indexed => {
                let i = s[0] as usize;
                let (r, g, b) = if i * 3 + 2 < pal.len() {
                    (pal[i * 3], pal[i * 3 + 1], pal[i * 3 + 2])
                } else {
                    (0, 0, 0)
                };
                let a = trns.and_then(|t| t.get(i).copied()).unwrap_or(255);
                ([r, g, b, a], l(r, g, b))
            }
        }
    }

    #[test]
    fn every_colour_type_depth_and_interlace_matches_the_rules() {
        use png::{BitDepth as D, ColorType as C};
        let cases: &[(C, &[D])] = &[
            (
                C::Grayscale,
                &[D::One, D::Two, D::Four, D::Eight, D::Sixteen],
            ),
            (C::GrayscaleAlpha, &[D::Eight, D::Sixteen]),
            (C::Rgb, &[D::Eight, D::Sixteen]),
            (C::Rgba, &[D::Eight, D::Sixteen]),
            (C::Indexed, &[D::One, D::Two, D::Four, D::Eight]),
        ];
        let mut seed = 7u64;
        for &(ct, depths) in cases {
            for &depth in depths {
                for &(w, h) in &[(1u32, 1u32), (7, 5), (33, 17)] {
                    for interlaced in [false, true] {
                        for with_trns in [false, true] {
                            let d = depth as u8;
                            let ch = ct.samples();
                            let max = if ct == C::Indexed {
                                (1u32 << d).min(200)
                            } else {
                                1u32 << d
                            };
                            let mut s: Vec<u16> = (0..w as usize * h as usize * ch)
                                .map(|_| (lcg(&mut seed) as u32 % max) as u16)
                                .collect();
                            let pal: Vec<u8> = (0..max * 3).map(|_| lcg(&mut seed) as u8).collect();
                            let trns: Option<Vec<u8>> = match (with_trns, ct) {
                                (false, _) | (true, C::GrayscaleAlpha | C::Rgba) => None,
                                (true, C::Indexed) => {
                                    Some((0..max.min(5)).map(|_| lcg(&mut seed) as u8).collect())
                                }
                                (true, _) => {
                                    // Key = the first pixel, so the key path is taken.
                                    let k: Vec<u8> =
                                        s[..ch].iter().flat_map(|v| v.to_be_bytes()).collect();
                                    if ch == 3 {
                                        let n = s.len() / 3;
                                        for p in (0..n).step_by(3) {
                                            let first = [s[0], s[1], s[2]];
                                            s[p * 3..p * 3 + 3].copy_from_slice(&first);
                                        }
                                    }
                                    Some(k)
                                }
                            };
                            let file = encode(
                                w,
                                h,
                                ct,
                                depth,
                                &s,
                                interlaced,
                                (ct == C::Indexed).then_some(&pal[..]),
                                trns.as_deref(),
                            );
                            let info = png_info(&file).unwrap();
                            assert_eq!(
                                (info.width, info.height, info.bit_depth, info.interlaced),
                                (w, h, d, interlaced)
                            );
                            assert_eq!(info.has_trns, trns.is_some());
                            for conv in [PngConvention::OpenCv, PngConvention::Pillow] {
                                let per_fmt: Vec<(PixelFormat, Vec<u8>)> = PixelFormat::ALL
                                    .iter()
                                    .map(|&f| (f, decode(&file, w as usize, h as usize, f, conv)))
                                    .collect();
                                for (p, px) in s.chunks_exact(ch).enumerate() {
                                    let (rgba, gray) =
                                        reference(ct, d, px, &pal, trns.as_deref(), conv);
                                    let a = if conv == PngConvention::OpenCv && ct == C::Grayscale {
                                        255
                                    } else {
                                        rgba[3]
                                    };
                                    let what = format!("{ct:?} {d}-bit {w}x{h} interlaced {interlaced} trns {with_trns} {conv:?} pixel {p}");
                                    for (f, buf) in &per_fmt {
                                        let bpp = f.bytes_per_pixel();
                                        let got = &buf[p * bpp..(p + 1) * bpp];
                                        let want: Vec<u8> = match f {
                                            PixelFormat::Gray8 => vec![gray],
                                            PixelFormat::Rgb8 => vec![rgba[0], rgba[1], rgba[2]],
                                            PixelFormat::Bgr8 => vec![rgba[2], rgba[1], rgba[0]],
                                            PixelFormat::Rgba8 => {
                                                vec![rgba[0], rgba[1], rgba[2], a]
                                            }
                                            PixelFormat::Bgra8 => {
                                                vec![rgba[2], rgba[1], rgba[0], a]
                                            }
                                        };
                                        assert_eq!(got, &want[..], "{what} {f:?}");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn stride_is_honoured_and_padding_untouched() {
        let s: Vec<u16> = (0..7 * 5 * 3).map(|i| (i * 7 % 256) as u16).collect();
        let file = encode(
            7,
            5,
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            &s,
            true,
            None,
            None,
        );
        let mut buf = vec![0xAAu8; 30 * 5];
        let mut dst = ImageViewMut::new(&mut buf, 7, 5, 30, PixelFormat::Rgb8).unwrap();
        decode_png_into(&file, &mut dst, &PngOptions::default()).unwrap();
        for y in 0..5 {
            let row = &buf[y * 30..y * 30 + 30];
            let want: Vec<u8> = s[y * 21..y * 21 + 21].iter().map(|&v| v as u8).collect();
            assert_eq!(&row[..21], &want[..]);
            assert!(
                row[21..].iter().all(|&b| b == 0xAA),
                "padding of row {y} written"
            );
        }
    }

    #[test]
    fn limits_and_size_mismatch_are_refused_before_writing() {
        let file = encode(
            7,
            5,
            png::ColorType::Grayscale,
            png::BitDepth::Eight,
            &[9; 35],
            false,
            None,
            None,
        );
        let mut buf = vec![1u8; 35];
        let mut buf2 = vec![1u8; 36];
        {
            let mut dst = ImageViewMut::packed(&mut buf, 7, 5, PixelFormat::Gray8).unwrap();
            let small = PngOptions {
                max_pixels: 34,
                ..PngOptions::default()
            };
            assert_eq!(
                decode_png_into(&file, &mut dst, &small).unwrap_err().kind(),
                ErrorKind::SizeOverflow
            );
            let mut wrong = ImageViewMut::packed(&mut buf2, 6, 6, PixelFormat::Gray8).unwrap();
            assert_eq!(
                decode_png_into(&file, &mut wrong, &PngOptions::default())
                    .unwrap_err()
                    .kind(),
                ErrorKind::InvalidArgument
            );
        }
        assert!(buf.iter().all(|&b| b == 1) && buf2.iter().all(|&b| b == 1));
        let mut dst = ImageViewMut::packed(&mut buf, 7, 5, PixelFormat::Gray8).unwrap();
        // A 65 501-pixel-wide header is refused whatever max_pixels says.
        let mut huge = file.clone();
        huge[16..20].copy_from_slice(&65_501u32.to_be_bytes());
        let crc = crc32(&[&huge[12..29]]);
        huge[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(png_info(&huge).unwrap().width, 65_501);
        let big = PngOptions {
            max_pixels: u64::MAX,
            ..PngOptions::default()
        };
        assert_eq!(
            decode_png_into(&huge, &mut dst, &big).unwrap_err().kind(),
            ErrorKind::SizeOverflow
        );
    }

    #[test]
    fn chunk_types_print_as_their_names() {
        assert_eq!(
            chunk_names(
                "Chunk length wrong: ChunkType { type: IEND, critical: true, private: false, \
                 reserved: false, safecopy: false }"
            ),
            "Chunk length wrong: IEND"
        );
        assert_eq!(chunk_names("no chunk here"), "no chunk here");
        assert_eq!(
            chunk_names("ChunkType { type: ABCD, critical: true } then ChunkType { type: IDAT }"),
            "ABCD then IDAT"
        );
    }

    #[test]
    fn corrupt_files_are_errors() {
        let s: Vec<u16> = (0..33 * 17).map(|i| (i % 251) as u16).collect();
        let file = encode(
            33,
            17,
            png::ColorType::Grayscale,
            png::BitDepth::Eight,
            &s,
            false,
            None,
            None,
        );
        let run = |f: &[u8]| {
            let mut buf = vec![0u8; 33 * 17];
            let mut dst = ImageViewMut::packed(&mut buf, 33, 17, PixelFormat::Gray8).unwrap();
            decode_png_into(f, &mut dst, &PngOptions::default())
        };
        assert!(run(&file).is_ok());
        for cut in [0, 7, 8, 20, 33, 40, file.len() - 13, file.len() - 1] {
            assert_eq!(
                run(&file[..cut]).unwrap_err().kind(),
                ErrorKind::InvalidFile,
                "cut {cut}"
            );
        }
        let idat = file.windows(4).position(|w| w == b"IDAT").unwrap();
        let len = be32(&file[idat - 4..]) as usize;
        let mut bad_crc = file.clone();
        bad_crc[idat + 4 + len] ^= 1;
        assert!(
            run(&bad_crc).unwrap_err().message().contains("CRC"),
            "{:?}",
            run(&bad_crc)
        );
        let mut bad_ihdr = file.clone();
        bad_ihdr[29] ^= 1;
        assert!(png_info(&bad_ihdr).is_err());
        // Adler-32 damaged, chunk CRC recomputed: still an error, as in libpng.
        let mut bad_adler = file.clone();
        bad_adler[idat + 4 + len - 1] ^= 1;
        let crc = crc32(&[&bad_adler[idat..idat + 4 + len]]);
        bad_adler[idat + 4 + len..idat + 8 + len].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(run(&bad_adler).unwrap_err().kind(), ErrorKind::InvalidFile);
    }
}
