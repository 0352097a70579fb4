//! Decoding of encoded images (JPEG and PNG) into caller-provided, strided 8-bit images,
//! exact with `cv2.imdecode` and Pillow, and a format probe.
//!
//! ```
//! use scipix::codec::{probe, ContainerFormat};
//!
//! // The first bytes of a PNG: signature and IHDR of a 3x2 RGB image, 8 bits per sample.
//! let png = [
//!     0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
//!     0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0, 0x12, 0x16, 0xF1, 0x4D,
//! ];
//! let info = probe::probe(&png)?;
//! assert_eq!((info.format, info.width, info.height, info.channels), (ContainerFormat::Png, 3, 2, 3));
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! # Rules
//!
//! - [`probe::probe`] reads only the header (JPEG: markers up to the first SOF, with the
//!   Exif orientation of an APP1 segment before it; PNG: signature and IHDR). It is pure
//!   safe Rust, never reads past the slice, allocates nothing, and is available in every
//!   build (also WebAssembly and builds without the `codec` feature).
//! - JPEG pixels come from libjpeg-turbo 3.1 (built from source and linked statically) with
//!   its defaults, the same as OpenCV's `cv2.imdecode` and Pillow: accurate integer IDCT
//!   (`JDCT_ISLOW`) and fancy (triangle-filter) chroma upsampling. So the output is
//!   bit-identical to:
//!   - RGB8 / BGR8: Pillow `Image.open(f).convert("RGB")`, `cv2.imdecode(buf, IMREAD_COLOR)`;
//!   - RGBA8 / BGRA8: the same colours with alpha 255 (Pillow `convert("RGBA")`);
//!   - GRAY8: libjpeg's own grayscale output (the Y channel of a YCbCr JPEG): exactly
//!     `cv2.IMREAD_GRAYSCALE` and Pillow after `draft("L", ...)`. Pillow's
//!     `convert("L")` of a colour JPEG differs (it goes through RGB with its own weights);
//!     for a grayscale JPEG all three agree.
//! - [`DecodeOptions::scale`] is libjpeg's DCT scaling `num/8`: `cv2.IMREAD_REDUCED_*_2/4/8`
//!   are scale 4, 2 and 1; Pillow's `draft()` picks the same factors. The output size is
//!   `ceil(width * num / 8) x ceil(height * num / 8)` ([`output_size`]).
//! - Exif orientation ([`DecodeOptions::apply_exif_orientation`]): off by default, like
//!   Pillow without `ImageOps.exif_transpose`; on, the image is flipped/rotated after
//!   scaling as `cv2.imdecode` does by default (orientations 5 to 8 swap width and height).
//! - Limits, checked from the header before anything is allocated or written: width and
//!   height at most [`MAX_DIMENSION`] (libjpeg's own limit), `width * height` at most
//!   [`DecodeOptions::max_pixels`] (of the stored image, before scaling), and progressive
//!   JPEGs at most [`MAX_SCANS`] scans (a "progressive bomb" with thousands of tiny scans is
//!   refused instead of taking minutes).
//! - Corrupt or truncated data: any libjpeg warning (premature end of data, corrupt entropy
//!   data) is an [`crate::ErrorKind::InvalidFile`] error, as cv2 5.1 (`imdecode` returns
//!   None) and Pillow (`OSError`) refuse truncated files, unless
//!   [`DecodeOptions::accept_truncated`] is set; then libjpeg fills the missing blocks
//!   (gray), exactly as Pillow with `ImageFile.LOAD_TRUNCATED_IMAGES = True`, and the
//!   outcome says `truncated`. With it set, a fatal libjpeg error that comes after a warning
//!   also counts as truncation (TurboJPEG's rule): the rows decoded before it are kept, the
//!   from-bytes pipelines read the rest as zeros.
//! - CMYK and YCCK JPEGs (Adobe): cv2 and Pillow disagree (by up to 2 levels); scipix
//!   matches cv2: libjpeg's raw CMYK converted with OpenCV's integer formulas.
//! - 12-bit, lossless and hierarchical JPEGs are refused with `UnsupportedFormat`;
//!   arithmetic-coded 8-bit JPEGs decode.
//! - PNG ([`png`], pure Rust, on every target with the `codec` feature): the rules of each
//!   peer are in that module; pick the peer with [`png::PngConvention`].

#[cfg(feature = "codec")]
pub mod png;
pub mod probe;
#[cfg(feature = "codec")]
pub mod to_tensor;

#[cfg(all(feature = "codec", not(target_arch = "wasm32")))]
pub mod jpeg;
#[cfg(all(feature = "codec", not(target_arch = "wasm32")))]
mod scanlines;
#[cfg(all(feature = "codec", not(target_arch = "wasm32")))]
mod turbo;

#[cfg(all(test, feature = "codec", not(target_arch = "wasm32")))]
mod jpeg_corpus_tests;

use crate::error::{Error, ErrorKind, Result};

/// True when this build can decode JPEG (cargo feature `codec`, not WebAssembly).
pub const JPEG_DECODE_AVAILABLE: bool = cfg!(all(feature = "codec", not(target_arch = "wasm32")));

/// Largest width or height decoded (libjpeg's `JPEG_MAX_DIMENSION`).
pub const MAX_DIMENSION: u32 = 65_500;

/// Default for [`DecodeOptions::max_pixels`]: Pillow's decompression-bomb error threshold
/// (`2 * Image.MAX_IMAGE_PIXELS`, i.e. `2 * (1 GiB / 4 / 3)` pixels).
pub const DEFAULT_MAX_PIXELS: u64 = 178_956_970;

/// Most scans a progressive JPEG may have (libjpeg-turbo's own recommendation for
/// security-critical applications, `TJFLAG_LIMITSCANS`). Real encoders write about ten.
pub const MAX_SCANS: u32 = 500;

/// The container format of an encoded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerFormat {
    /// JPEG (JFIF/Exif, SOI marker `FF D8`).
    Jpeg,
    /// PNG (8-byte signature and IHDR chunk).
    Png,
}

/// Chroma subsampling of a JPEG, from the sampling factors of its components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChromaSubsampling {
    /// No subsampling (also every non-gray PNG).
    S444,
    /// Chroma halved horizontally.
    S422,
    /// Chroma halved in both directions.
    S420,
    /// Chroma halved vertically.
    S440,
    /// Chroma quartered horizontally.
    S411,
    /// One component: grayscale (also gray PNGs).
    Gray,
    /// Any other layout (CMYK, unusual factors).
    Other,
}

/// What the header of an encoded image says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageInfo {
    /// JPEG or PNG.
    pub format: ContainerFormat,
    /// Stored width in pixels (before any Exif orientation), > 0.
    pub width: u32,
    /// Stored height in pixels, > 0.
    pub height: u32,
    /// JPEG: components (1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK). PNG: channels after palette
    /// expansion (gray 1, gray+alpha 2, RGB and palette 3, RGBA 4).
    pub channels: u8,
    /// Bits per sample: JPEG precision (8 or 12), PNG bit depth (1, 2, 4, 8, 16).
    pub bit_depth: u8,
    /// JPEG: progressive (SOF2, SOF6, SOF10, SOF14). PNG: Adam7 interlaced.
    pub progressive_or_interlaced: bool,
    /// JPEG: from the sampling factors. PNG: `Gray` for gray types, `S444` otherwise.
    pub chroma_subsampling: ChromaSubsampling,
    /// Exif orientation 1..=8 from the JPEG's APP1 Exif segment; 1 when absent or invalid,
    /// and always 1 for PNG (this version does not read `eXIf`).
    pub exif_orientation: u8,
    /// JPEG start-of-frame type (0..=15 of `SOFn`); 0 for PNG.
    pub sof_type: u8,
}

/// A JPEG DCT scale factor `num / 8`, `num` in 1..=16 (libjpeg-turbo supports exactly these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JpegScale(u8);

impl JpegScale {
    /// Full size (8/8).
    pub const FULL: JpegScale = JpegScale(8);
    /// Half size (4/8): `IMREAD_REDUCED_*_2`.
    pub const HALF: JpegScale = JpegScale(4);
    /// Quarter size (2/8): `IMREAD_REDUCED_*_4`.
    pub const QUARTER: JpegScale = JpegScale(2);
    /// Eighth size (1/8): `IMREAD_REDUCED_*_8`.
    pub const EIGHTH: JpegScale = JpegScale(1);

    /// The factor `num / 8`; fails unless `num` is in 1..=16.
    pub fn new(num: u32) -> Result<Self> {
        if (1..=16).contains(&num) {
            Ok(JpegScale(num as u8))
        } else {
            Err(Error::invalid(format!(
                "JPEG scale {num}/8: the numerator must be in 1..=16"
            )))
        }
    }

    /// The numerator over 8.
    pub fn num(self) -> u32 {
        self.0 as u32
    }

    /// `ceil(dim * num / 8)`: the size libjpeg produces for a stored size `dim`.
    pub fn apply(self, dim: u32) -> u32 {
        ((dim as u64 * self.0 as u64).div_ceil(8)) as u32
    }
}

impl Default for JpegScale {
    fn default() -> Self {
        JpegScale::FULL
    }
}

/// How to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Largest `width * height` (stored size, before scaling) accepted; larger images are
    /// refused from the header with `InvalidArgument` before any allocation. Default
    /// [`DEFAULT_MAX_PIXELS`]; raise it for known-good huge images.
    pub max_pixels: u64,
    /// DCT scale factor; default full size.
    pub scale: JpegScale,
    /// Rotate/flip per the Exif orientation (cv2's default); default false (Pillow's).
    pub apply_exif_orientation: bool,
    /// Accept truncated or corrupt entropy data as Pillow with `LOAD_TRUNCATED_IMAGES` does
    /// (the outcome reports it); default false: such data is an `InvalidFile` error, as in
    /// cv2 5.1 and Pillow's default.
    pub accept_truncated: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_pixels: DEFAULT_MAX_PIXELS,
            scale: JpegScale::FULL,
            apply_exif_orientation: false,
            accept_truncated: false,
        }
    }
}

/// What a successful decode reports besides the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOutcome {
    /// libjpeg recovered from truncated or corrupt data (premature end of data, corrupt
    /// entropy segments) and filled what was missing; only possible with
    /// [`DecodeOptions::accept_truncated`].
    pub truncated: bool,
}

/// Checks `info` against the limits of `opts` (dimension limit, pixel count).
pub fn check_limits(info: &ImageInfo, opts: &DecodeOptions) -> Result<()> {
    check_size("JPEG", info.width, info.height, opts.max_pixels)
}

/// The decompression-bomb limits every decoder applies from the header, before allocating
/// or writing anything: a side above [`MAX_DIMENSION`], or more than `max_pixels` pixels,
/// is [`ErrorKind::SizeOverflow`] (`SCIPIX_ERR_SIZE_OVERFLOW`). `what` names the format in
/// the message.
pub fn check_size(what: &str, width: u32, height: u32, max_pixels: u64) -> Result<()> {
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Error::overflow(format!(
            "{what} is {width}x{height}: width and height must be at most {MAX_DIMENSION}"
        )));
    }
    let pixels = width as u64 * height as u64;
    if pixels > max_pixels {
        return Err(Error::overflow(format!(
            "{what} is {width}x{height} = {pixels} pixels, more than max_pixels {max_pixels} \
             (raise it for trusted input)"
        )));
    }
    Ok(())
}

/// The (width, height) a JPEG decode of `info` with `opts` produces: scaled with
/// [`JpegScale::apply`], then swapped for Exif orientations 5..=8 when
/// [`DecodeOptions::apply_exif_orientation`] is set. Fails when `info` is not a JPEG or breaks
/// the limits of [`check_limits`].
pub fn output_size(info: &ImageInfo, opts: &DecodeOptions) -> Result<(usize, usize)> {
    if info.format != ContainerFormat::Jpeg {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "output_size: the image is not a JPEG",
        ));
    }
    check_limits(info, opts)?;
    let w = opts.scale.apply(info.width) as usize;
    let h = opts.scale.apply(info.height) as usize;
    if opts.apply_exif_orientation && info.exif_orientation >= 5 {
        Ok((h, w))
    } else {
        Ok((w, h))
    }
}

/// Probes `bytes` and checks that this decoder handles it: a JPEG with 8-bit samples,
/// 1, 3 or 4 (CMYK/YCCK) components, a baseline, extended, progressive or arithmetic-coded frame.
pub fn probe_decodable(bytes: &[u8]) -> Result<ImageInfo> {
    let info = probe::probe(bytes)?;
    if info.format != ContainerFormat::Jpeg {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "not a JPEG (this decoder reads JPEG only)",
        ));
    }
    let unsupported = |what: String| Err(Error::new(ErrorKind::UnsupportedFormat, what));
    if !matches!(info.sof_type, 0 | 1 | 2 | 9 | 10) {
        return unsupported(format!(
            "JPEG SOF{} (lossless or hierarchical) is not supported",
            info.sof_type
        ));
    }
    if info.bit_depth != 8 {
        return unsupported(format!(
            "JPEG with {}-bit samples is not supported (8-bit only)",
            info.bit_depth
        ));
    }
    match info.channels {
        1 | 3 | 4 => Ok(info),
        n => unsupported(format!("JPEG with {n} components is not supported")),
    }
}

/// The (width, height) `jpeg::decode_jpeg_into` needs for `bytes` with `opts`: the header's
/// size scaled by `opts.scale`, swapped for Exif orientations 5..=8 when
/// `opts.apply_exif_orientation`. Refuses what the decode would refuse from the header.
pub fn jpeg_output_size(bytes: &[u8], opts: &DecodeOptions) -> Result<(usize, usize)> {
    output_size(&probe_decodable(bytes)?, opts)
}
