//! C API: PNG decoding into a caller-provided image, bit-exact with OpenCV or Pillow.
//!
//! ```
//! use scipix::capi::decode_png::{scipix_png_info, ScipixPngInfo};
//! use scipix::capi::ScipixStatus;
//!
//! let not_png = [0u8; 16];
//! let mut info = ScipixPngInfo::default();
//! let status = unsafe { scipix_png_info(not_png.as_ptr(), not_png.len(), &mut info) };
//! assert_eq!(status, ScipixStatus::SCIPIX_ERR_INVALID_FILE);
//! ```

use super::guard::guard;
use super::handle::{try_out, try_slice};
use super::image_desc::ScipixImageMut;
use super::status::ScipixStatus;
use crate::codec::png::{self, PngConvention, PngOptions};
use crate::error::{Error, Result};

/// Whose rules `scipix_decode_png` reproduces (one of `SCIPIX_PNG_CONVENTION_*`).
pub type ScipixPngConvention = u32;
/// `cv2.imdecode` (OpenCV 5, libpng): GRAY8 = `IMREAD_GRAYSCALE`, BGR8/RGB8 =
/// `IMREAD_COLOR`, BGRA8/RGBA8 = `IMREAD_UNCHANGED` (alpha 255 when the file has none).
/// 16-bit samples `>> 8`; color to gray is libpng's `(9797 R + 19234 G + 3737 B) >> 15`
/// (16-bit: `((... + 16384) >> 15) >> 8`), through libpng's gamma tables when the file
/// declares a gamma (gAMA, sRGB; rules in the Rust docs of `scipix::codec::png`); alpha
/// is dropped, never composited; tRNS gives alpha for palette and RGB images, not for gray
/// ones.
pub const SCIPIX_PNG_CONVENTION_OPENCV: ScipixPngConvention = 0;
/// Pillow 13: `Image.open(f).convert('L' | 'RGB' | 'RGBA')`. 16-bit gray is clipped to
/// 255 (`min(v, 255)`), other 16-bit samples `>> 8`; color to gray is
/// `(19595 R + 38470 G + 7471 B + 0x8000) >> 16` on 8-bit samples; alpha dropped; a tRNS key
/// makes alpha 0 where the converted 8-bit pixel equals the key's low byte.
pub const SCIPIX_PNG_CONVENTION_PILLOW: ScipixPngConvention = 1;

/// Options of `scipix_decode_png`. Fill with `scipix_png_options_default`, then set fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixPngOptions {
    /// Largest `width * height` accepted (default 178956970, twice Pillow's
    /// `MAX_IMAGE_PIXELS`); larger images fail from their header, before any allocation.
    /// Independently, a side above 65500 always fails.
    pub max_pixels: u64,
    /// One of `SCIPIX_PNG_CONVENTION_*` (default OpenCV).
    pub convention: ScipixPngConvention,
}

/// What a PNG's header chunks say (IHDR, PLTE, tRNS), read without decoding pixels.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScipixPngInfo {
    /// Pixels per row.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Bits per sample: 1, 2, 4, 8 or 16.
    pub bit_depth: u8,
    /// PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA.
    pub color_type: u8,
    /// 1 when Adam7 interlaced, else 0.
    pub interlaced: u8,
    /// 1 when a tRNS chunk precedes the image data, else 0.
    pub has_trns: u8,
    /// Entries of the PLTE chunk, 0 when there is none.
    pub palette_len: u16,
}

impl Default for ScipixPngOptions {
    fn default() -> Self {
        ScipixPngOptions {
            max_pixels: png::DEFAULT_MAX_PIXELS,
            convention: SCIPIX_PNG_CONVENTION_OPENCV,
        }
    }
}

impl ScipixPngOptions {
    fn to_rust(self) -> Result<PngOptions> {
        let convention = match self.convention {
            SCIPIX_PNG_CONVENTION_OPENCV => PngConvention::OpenCv,
            SCIPIX_PNG_CONVENTION_PILLOW => PngConvention::Pillow,
            v => return Err(Error::invalid(format!("unknown PNG convention {v}"))),
        };
        Ok(PngOptions {
            max_pixels: self.max_pixels,
            convention,
        })
    }
}

/// Fills `*opts` with the defaults: max_pixels 178956970, OpenCV convention.
/// Errors: `SCIPIX_ERR_NULL_POINTER` when `opts` is NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_png_options_default(opts: *mut ScipixPngOptions) -> ScipixStatus {
    guard(|| {
        let out = try_out!(opts);
        *out = ScipixPngOptions::default();
        Ok(())
    })
}

/// Reads the header of the PNG file `data[0..len)` into `*out` without decoding pixels:
/// only the chunks before the first IDAT are read, never past `len`, and nothing is
/// allocated. Use it to size the destination of `scipix_decode_png`.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (out NULL, or data NULL with len > 0),
/// `SCIPIX_ERR_INVALID_FILE` (not a PNG, truncated, lying chunk length, bad CRC on a critical
/// chunk, invalid IHDR, palette image without PLTE, no IDAT). `*out` is written only on
/// success. Thread-safe; `data` is only read, during the call.
///
/// # Safety
/// `data` must point to `len` readable bytes (or be anything with `len == 0`).
#[no_mangle]
pub unsafe extern "C" fn scipix_png_info(
    data: *const u8,
    len: usize,
    out: *mut ScipixPngInfo,
) -> ScipixStatus {
    guard(|| {
        let out = try_out!(out);
        let bytes: &[u8] = try_slice!(data, len);
        let i = png::png_info(bytes)?;
        *out = ScipixPngInfo {
            width: i.width,
            height: i.height,
            bit_depth: i.bit_depth,
            color_type: i.color_type as u8,
            interlaced: i.interlaced as u8,
            has_trns: i.has_trns as u8,
            palette_len: i.palette_len,
        };
        Ok(())
    })
}

/// Decodes the PNG file `data[0..len)` into `dst`, whose width and height must equal the
/// image's (see `scipix_png_info`) and whose format is any `SCIPIX_FORMAT_*`; the stride is
/// honoured and only the `width * bytes_per_pixel` bytes of each row are written.
/// Every colour type, bit depth 1/2/4/8/16 and Adam7 are supported; the conversion follows
/// `opts->convention` (NULL `opts` = `scipix_png_options_default`), bit-exact with that
/// peer (rules at `SCIPIX_PNG_CONVENTION_*`).
///
/// Strict like libpng: bad CRCs on critical chunks, a bad zlib checksum, truncated data,
/// a missing IEND and lying chunk lengths fail. Memory: one row of samples plus a bounded
/// inflate state, never a whole-image buffer.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (dst or dst->data NULL, data NULL with len > 0),
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown dst format), `SCIPIX_ERR_INVALID_ARGUMENT` (dst
/// size differs from the image, bad stride, unknown convention, data overlaps dst),
/// `SCIPIX_ERR_SIZE_OVERFLOW` (image above max_pixels or a side above 65500),
/// `SCIPIX_ERR_INVALID_FILE` (malformed or corrupt file), `SCIPIX_ERR_OUT_OF_MEMORY`.
/// Nothing is written when the arguments or the header are rejected; when the compressed
/// data is found corrupt part-way, rows decoded before the damage have been written.
/// Thread-safe (the caller must not touch `dst` during the call).
///
/// # Safety
/// `data` must point to `len` readable bytes; `dst` must describe writable memory.
#[no_mangle]
pub unsafe extern "C" fn scipix_decode_png(
    data: *const u8,
    len: usize,
    opts: *const ScipixPngOptions,
    dst: *const ScipixImageMut,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: C callers pass NULL or a valid, aligned options pointer.
        let opts = match unsafe { opts.as_ref() } {
            Some(o) => o.to_rust()?,
            None => PngOptions::default(),
        };
        let dst = super::handle::try_ref_from_ptr!(dst);
        let bytes: &[u8] = try_slice!(data, len);
        if len > 0 {
            super::handle::disjoint(data.cast(), len, dst.data.cast_const().cast(), {
                dst.byte_span().map(|(a, b)| b - a).unwrap_or(0)
            })?;
        }
        // SAFETY: the caller promises the descriptor describes live, writable memory.
        let mut d = unsafe { dst.view_mut()? };
        png::decode_png_into(bytes, &mut d, &opts)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::image_desc::{SCIPIX_FORMAT_BGR8, SCIPIX_FORMAT_GRAY8};

    /// The 1x1 gray PNG (pixel 200) of the `codec::png` docs.
    const ONE: &[u8] = &[
        0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0,
        0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55, 0, 0, 0, 10, b'I', b'D', b'A', b'T', 0x78,
        0x9c, 0x63, 0x38, 0x01, 0x00, 0x00, 0xca, 0x00, 0xc9, 0x99, 0xca, 0x5d, 0x7e, 0, 0, 0, 0,
        b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn info_options_and_decode() {
        let mut info = ScipixPngInfo::default();
        // SAFETY: valid slice and out pointer.
        let s = unsafe { scipix_png_info(ONE.as_ptr(), ONE.len(), &mut info) };
        assert_eq!(s, ScipixStatus::SCIPIX_OK);
        assert_eq!(
            (info.width, info.height, info.bit_depth, info.color_type),
            (1, 1, 8, 0)
        );
        let mut opts = ScipixPngOptions {
            max_pixels: 0,
            convention: 9,
        };
        assert_eq!(
            scipix_png_options_default(&mut opts),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(opts.max_pixels, 178_956_970);
        let mut px = [0u8; 4];
        let dst = ScipixImageMut {
            data: px.as_mut_ptr(),
            width: 1,
            height: 1,
            stride: 4,
            format: SCIPIX_FORMAT_BGR8,
        };
        // SAFETY: valid pointers.
        let s = unsafe { scipix_decode_png(ONE.as_ptr(), ONE.len(), std::ptr::null(), &dst) };
        assert_eq!(s, ScipixStatus::SCIPIX_OK);
        assert_eq!(px, [200, 200, 200, 0]);
        let bad = ScipixPngOptions {
            convention: 7,
            ..opts
        };
        let gray = ScipixImageMut {
            format: SCIPIX_FORMAT_GRAY8,
            ..dst
        };
        // SAFETY: valid pointers.
        let s = unsafe { scipix_decode_png(ONE.as_ptr(), ONE.len(), &bad, &gray) };
        assert_eq!(s, ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT);
        // SAFETY: NULL dst is rejected before use.
        let s = unsafe { scipix_decode_png(ONE.as_ptr(), ONE.len(), &opts, std::ptr::null()) };
        assert_eq!(s, ScipixStatus::SCIPIX_ERR_NULL_POINTER);
        // SAFETY: NULL data with len > 0 is rejected before use.
        let s = unsafe { scipix_decode_png(std::ptr::null(), 5, &opts, &gray) };
        assert_eq!(s, ScipixStatus::SCIPIX_ERR_NULL_POINTER);
        let small = ScipixPngOptions {
            max_pixels: 0,
            ..opts
        };
        // SAFETY: valid pointers.
        let s = unsafe { scipix_decode_png(ONE.as_ptr(), ONE.len(), &small, &gray) };
        assert_eq!(s, ScipixStatus::SCIPIX_ERR_SIZE_OVERFLOW);
        assert_eq!(px, [200, 200, 200, 0], "nothing written on failure");
    }
}
