//! C API: probing encoded images and decoding JPEG, exact with `cv2.imdecode` and Pillow.
//!
//! ```
//! use scipix::capi::decode::{scipix_probe, ScipixImageInfo, SCIPIX_CONTAINER_PNG};
//! use scipix::capi::ScipixStatus;
//!
//! let png = [
//!     0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
//!     0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0, 0x12, 0x16, 0xF1, 0x4D,
//! ];
//! let mut info = ScipixImageInfo::default();
//! assert_eq!(scipix_probe(png.as_ptr(), png.len(), &mut info), ScipixStatus::SCIPIX_OK);
//! assert_eq!((info.format, info.width, info.height), (SCIPIX_CONTAINER_PNG, 3, 2));
//! ```

use super::guard::guard;
use super::handle::{try_out, try_slice};
use super::image_desc::ScipixImageMut;
use super::status::ScipixStatus;
use crate::codec::{
    jpeg_output_size, probe::probe, ChromaSubsampling, ContainerFormat, DecodeOptions, ImageInfo,
    JpegScale,
};
use crate::error::{Error, Result};

/// Container format of an encoded image (one of `SCIPIX_CONTAINER_*`).
pub type ScipixContainerFormat = u32;
/// JPEG (JFIF / Exif).
pub const SCIPIX_CONTAINER_JPEG: ScipixContainerFormat = 1;
/// PNG.
pub const SCIPIX_CONTAINER_PNG: ScipixContainerFormat = 2;

/// Chroma subsampling of a JPEG (one of `SCIPIX_CHROMA_*`).
pub type ScipixChromaSubsampling = u32;
/// No subsampling (4:4:4); also every non-gray PNG.
pub const SCIPIX_CHROMA_444: ScipixChromaSubsampling = 0;
/// Chroma halved horizontally (4:2:2).
pub const SCIPIX_CHROMA_422: ScipixChromaSubsampling = 1;
/// Chroma halved both ways (4:2:0).
pub const SCIPIX_CHROMA_420: ScipixChromaSubsampling = 2;
/// Chroma halved vertically (4:4:0).
pub const SCIPIX_CHROMA_440: ScipixChromaSubsampling = 3;
/// Chroma quartered horizontally (4:1:1).
pub const SCIPIX_CHROMA_411: ScipixChromaSubsampling = 4;
/// One component (grayscale JPEG, gray PNG).
pub const SCIPIX_CHROMA_GRAY: ScipixChromaSubsampling = 5;
/// Any other layout (CMYK, unusual sampling factors).
pub const SCIPIX_CHROMA_OTHER: ScipixChromaSubsampling = 6;

/// What `scipix_probe` read from the header of an encoded image.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ScipixImageInfo {
    /// `SCIPIX_CONTAINER_JPEG` or `SCIPIX_CONTAINER_PNG`.
    pub format: ScipixContainerFormat,
    /// Stored width in pixels (before any Exif orientation), > 0.
    pub width: u32,
    /// Stored height in pixels, > 0.
    pub height: u32,
    /// JPEG: components (1 gray, 3 colour, 4 CMYK/YCCK). PNG: channels after palette
    /// expansion (gray 1, gray+alpha 2, RGB and palette 3, RGBA 4).
    pub channels: u32,
    /// Bits per sample: JPEG precision (8 or 12), PNG bit depth (1, 2, 4, 8 or 16).
    pub bit_depth: u32,
    /// JPEG: progressive frame. PNG: Adam7 interlaced.
    pub progressive_or_interlaced: bool,
    /// One of `SCIPIX_CHROMA_*`.
    pub chroma_subsampling: ScipixChromaSubsampling,
    /// Exif orientation 1..=8 of a JPEG's APP1 Exif segment; 1 when absent or invalid, and
    /// for PNG.
    pub exif_orientation: u32,
    /// JPEG start-of-frame type n of SOFn (0 baseline, 1 extended, 2 progressive, ...);
    /// 0 for PNG.
    pub sof_type: u32,
}

impl From<ImageInfo> for ScipixImageInfo {
    fn from(i: ImageInfo) -> Self {
        ScipixImageInfo {
            format: match i.format {
                ContainerFormat::Jpeg => SCIPIX_CONTAINER_JPEG,
                ContainerFormat::Png => SCIPIX_CONTAINER_PNG,
            },
            width: i.width,
            height: i.height,
            channels: i.channels as u32,
            bit_depth: i.bit_depth as u32,
            progressive_or_interlaced: i.progressive_or_interlaced,
            chroma_subsampling: match i.chroma_subsampling {
                ChromaSubsampling::S444 => SCIPIX_CHROMA_444,
                ChromaSubsampling::S422 => SCIPIX_CHROMA_422,
                ChromaSubsampling::S420 => SCIPIX_CHROMA_420,
                ChromaSubsampling::S440 => SCIPIX_CHROMA_440,
                ChromaSubsampling::S411 => SCIPIX_CHROMA_411,
                ChromaSubsampling::Gray => SCIPIX_CHROMA_GRAY,
                ChromaSubsampling::Other => SCIPIX_CHROMA_OTHER,
            },
            exif_orientation: i.exif_orientation as u32,
            sof_type: i.sof_type as u32,
        }
    }
}

/// How to decode. Fill with `scipix_decode_options_default`, then set fields by name;
/// passing NULL where a function takes options means the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixDecodeOptions {
    /// Largest `width * height` of the stored image (before scaling) accepted; larger
    /// images are refused from the header with `SCIPIX_ERR_SIZE_OVERFLOW` before
    /// anything is allocated. Default 178956970 (Pillow's decompression-bomb threshold);
    /// raise it for trusted huge images. Widths and heights above 65500 are always refused.
    pub max_pixels: u64,
    /// DCT scale numerator over 8, 1..=16: 8 full size, 4 half (`cv2.IMREAD_REDUCED_*_2`),
    /// 2 quarter (`_4`), 1 eighth (`_8`). Output size `ceil(width * scale_num / 8)` by
    /// `ceil(height * scale_num / 8)`. Default 8.
    pub scale_num: u32,
    /// Rotate/flip by the Exif orientation after scaling, as `cv2.imdecode` does; default
    /// false (Pillow without `exif_transpose`). Orientations 5..=8 swap width and height.
    pub apply_exif_orientation: bool,
    /// Accept truncated or corrupt entropy data as Pillow with
    /// `ImageFile.LOAD_TRUNCATED_IMAGES = True` does (libjpeg fills the missing blocks gray;
    /// `ScipixDecodeInfo.truncated` is set). Default false: such data is
    /// `SCIPIX_ERR_INVALID_FILE`, as cv2 5.1 (`imdecode` returns None) and Pillow refuse it.
    pub accept_truncated: bool,
}

impl From<DecodeOptions> for ScipixDecodeOptions {
    fn from(o: DecodeOptions) -> Self {
        ScipixDecodeOptions {
            max_pixels: o.max_pixels,
            scale_num: o.scale.num(),
            apply_exif_orientation: o.apply_exif_orientation,
            accept_truncated: o.accept_truncated,
        }
    }
}

/// What a successful `scipix_decode_jpeg` reports.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ScipixDecodeInfo {
    /// Width written (equals the destination's).
    pub width: usize,
    /// Height written.
    pub height: usize,
    /// libjpeg recovered from truncated or corrupt data (only with `accept_truncated`).
    pub truncated: bool,
}

/// The options behind `opts`, or the defaults for NULL.
fn options(opts: *const ScipixDecodeOptions) -> Result<DecodeOptions> {
    // SAFETY: C callers pass NULL or a valid, aligned pointer (documented contract).
    let Some(o) = (unsafe { opts.as_ref() }) else {
        return Ok(DecodeOptions::default());
    };
    Ok(DecodeOptions {
        max_pixels: o.max_pixels,
        scale: JpegScale::new(o.scale_num)?,
        apply_exif_orientation: o.apply_exif_orientation,
        accept_truncated: o.accept_truncated,
    })
}

/// Reads the header of the encoded image `data` (`len` bytes: JPEG or PNG) into `*out`,
/// without decoding pixels. Bounded: never reads past `len` bytes, allocates nothing.
/// Available in every build, including WebAssembly.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (`out` NULL, or `data` NULL with `len > 0`),
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (neither signature), `SCIPIX_ERR_INVALID_FILE` (a
/// header that is truncated or inconsistent: segment past the end, zero size, bad sampling
/// factors, SOS before the frame header, PNG IHDR missing or with a wrong CRC). `*out` is
/// written only on success. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_probe(
    data: *const u8,
    len: usize,
    out: *mut ScipixImageInfo,
) -> ScipixStatus {
    guard(|| {
        let out = try_out!(out);
        let bytes = try_slice!(data, len);
        *out = probe(bytes)?.into();
        Ok(())
    })
}

/// Fills `*opts` with the defaults: max_pixels 178956970, scale_num 8, no Exif orientation,
/// truncated data refused. Errors: `SCIPIX_ERR_NULL_POINTER` when `opts` is NULL.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_decode_options_default(opts: *mut ScipixDecodeOptions) -> ScipixStatus {
    guard(|| {
        *try_out!(opts) = DecodeOptions::default().into();
        Ok(())
    })
}

/// Computes the size `scipix_decode_jpeg` needs for the JPEG `data` (`len` bytes) with
/// `opts` (NULL = defaults): the stored size scaled by `scale_num / 8` (rounded up), with
/// width and height swapped for Exif orientations 5..=8 when `apply_exif_orientation`.
/// Reads only the header. Available in every build.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (`out_width`, `out_height` NULL, or `data` NULL with
/// `len > 0`), `SCIPIX_ERR_INVALID_ARGUMENT` (scale_num outside 1..=16),
/// `SCIPIX_ERR_SIZE_OVERFLOW` (image over max_pixels or 65500 per side),
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (not a JPEG, or one this
/// decoder refuses: 12-bit, lossless, hierarchical), `SCIPIX_ERR_INVALID_FILE`
/// (malformed header). Outputs are written only on success. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_jpeg_output_size(
    data: *const u8,
    len: usize,
    opts: *const ScipixDecodeOptions,
    out_width: *mut usize,
    out_height: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let (ow, oh) = super::handle::try_out_pair!(out_width, out_height);
        let bytes = try_slice!(data, len);
        let opts = options(opts)?;
        let (w, h) = jpeg_output_size(bytes, &opts)?;
        *ow = w;
        *oh = h;
        Ok(())
    })
}

/// Decodes the JPEG `data` (`len` bytes) into `*dst` with `opts` (NULL = defaults).
/// `dst` (GRAY8, RGB8, BGR8, RGBA8 or BGRA8; alpha is 255) must have exactly the size of
/// `scipix_jpeg_output_size`; its stride is honoured and only the `width * bpp` bytes of
/// each row are written, so it may be a sub-region of a larger image. Pixels are
/// bit-identical to libjpeg-turbo with its defaults as used by `cv2.imdecode`
/// (`IMREAD_COLOR` = BGR8, `IMREAD_GRAYSCALE` = GRAY8, `IMREAD_REDUCED_*` = scale_num 4/2/1
/// with `apply_exif_orientation`) and Pillow (`convert("RGB")`, `convert("RGBA")`,
/// `draft()`); GRAY8 is libjpeg's luma output, which Pillow gives after `draft("L", ...)`,
/// not `convert("L")` of a colour JPEG. CMYK/YCCK JPEGs match cv2 (Pillow's CMYK conversion
/// differs by up to 2 levels). `out` (may be NULL) receives the size and whether
/// truncated data was accepted.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`, `SCIPIX_ERR_INVALID_ARGUMENT` (bad options,
/// destination of another size, destination overlapping `data`),
/// `SCIPIX_ERR_SIZE_OVERFLOW` (image over max_pixels or 65500 per side),
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown destination format, not a JPEG, 12-bit,
/// lossless), `SCIPIX_ERR_INVALID_FILE` (malformed or, unless accepted, truncated
/// data), `SCIPIX_ERR_OUT_OF_MEMORY`, `SCIPIX_ERR_UNSUPPORTED` (this build has no JPEG
/// decoder: WebAssembly, or built without the `codec` feature). Nothing is written when the
/// arguments or the header are rejected; when the entropy data turns out to be corrupt
/// mid-image (`SCIPIX_ERR_INVALID_FILE`), `dst` may be partly written. Thread-safe
/// (each call uses its own decoder).
#[no_mangle]
pub extern "C" fn scipix_decode_jpeg(
    data: *const u8,
    len: usize,
    opts: *const ScipixDecodeOptions,
    dst: *const ScipixImageMut,
    out: *mut ScipixDecodeInfo,
) -> ScipixStatus {
    guard(|| {
        let dst = super::handle::try_ref_from_ptr!(dst);
        let bytes = try_slice!(data, len);
        let opts = options(opts)?;
        // SAFETY: C callers pass NULL or a valid, aligned, writable pointer.
        let out = unsafe { out.as_mut() };
        decode_into(bytes, dst, &opts, out)
    })
}

#[cfg(all(feature = "codec", not(target_arch = "wasm32")))]
fn decode_into(
    bytes: &[u8],
    dst: &ScipixImageMut,
    opts: &DecodeOptions,
    out: Option<&mut ScipixDecodeInfo>,
) -> Result<()> {
    let (start, end) = dst.byte_span()?;
    super::handle::disjoint(
        bytes.as_ptr().cast(),
        bytes.len(),
        start as *const std::ffi::c_void,
        end - start,
    )
    .map_err(|_| Error::invalid("destination image overlaps the encoded data"))?;
    // SAFETY: the caller promises the descriptor describes live, writable memory.
    let mut view = unsafe { dst.view_mut()? };
    let outcome = crate::codec::jpeg::decode_jpeg_into(bytes, &mut view, opts)?;
    if let Some(o) = out {
        *o = ScipixDecodeInfo {
            width: view.width(),
            height: view.height(),
            truncated: outcome.truncated,
        };
    }
    Ok(())
}

#[cfg(not(all(feature = "codec", not(target_arch = "wasm32"))))]
fn decode_into(
    _bytes: &[u8],
    _dst: &ScipixImageMut,
    _opts: &DecodeOptions,
    _out: Option<&mut ScipixDecodeInfo>,
) -> Result<()> {
    Err(Error::new(
        crate::error::ErrorKind::Unsupported,
        "JPEG decoding is not available in this build (WebAssembly, or the `codec` feature is off)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::image_desc::{SCIPIX_FORMAT_BGR8, SCIPIX_FORMAT_RGB8};

    #[test]
    fn defaults_and_null_arguments() {
        let mut o = ScipixDecodeOptions {
            max_pixels: 0,
            scale_num: 0,
            apply_exif_orientation: true,
            accept_truncated: true,
        };
        assert_eq!(
            scipix_decode_options_default(&mut o),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(
            (
                o.max_pixels,
                o.scale_num,
                o.apply_exif_orientation,
                o.accept_truncated
            ),
            (178_956_970, 8, false, false)
        );
        assert_eq!(
            scipix_decode_options_default(std::ptr::null_mut()),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        let mut info = ScipixImageInfo::default();
        assert_eq!(
            scipix_probe(std::ptr::null(), 4, &mut info),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        assert_eq!(
            scipix_probe(b"GIF8".as_ptr(), 4, &mut info),
            ScipixStatus::SCIPIX_ERR_UNSUPPORTED_FORMAT
        );
        assert_eq!(
            scipix_probe(b"\xFF\xD8".as_ptr(), 2, std::ptr::null_mut()),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        let bad = ScipixDecodeOptions {
            scale_num: 3 * 8,
            ..o
        };
        let (mut w, mut h) = (0usize, 0usize);
        assert_eq!(
            scipix_jpeg_output_size(b"\xFF\xD8".as_ptr(), 2, &bad, &mut w, &mut h),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
    }

    #[cfg(all(feature = "codec", not(target_arch = "wasm32")))]
    #[test]
    fn decode_through_the_c_api() {
        use crate::codec::jpeg::tests::sample_jpeg;
        let jpg = sample_jpeg(7, 5, 2, false);
        let (mut w, mut h) = (0usize, 0usize);
        let half = ScipixDecodeOptions {
            scale_num: 4,
            ..DecodeOptions::default().into()
        };
        assert_eq!(
            scipix_jpeg_output_size(jpg.as_ptr(), jpg.len(), &half, &mut w, &mut h),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!((w, h), (4, 3));
        let mut buf = vec![0u8; 4 * 3 * 3];
        let dst = ScipixImageMut {
            data: buf.as_mut_ptr(),
            width: 4,
            height: 3,
            stride: 12,
            format: SCIPIX_FORMAT_BGR8,
        };
        let mut info = ScipixDecodeInfo::default();
        assert_eq!(
            scipix_decode_jpeg(jpg.as_ptr(), jpg.len(), &half, &dst, &mut info),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!((info.width, info.height, info.truncated), (4, 3, false));
        // Full size into the 4x3 destination: refused, nothing written.
        let before = buf.clone();
        let rgb = ScipixImageMut {
            format: SCIPIX_FORMAT_RGB8,
            ..dst
        };
        assert_eq!(
            scipix_decode_jpeg(jpg.as_ptr(), jpg.len(), std::ptr::null(), &rgb, &mut info),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(buf, before);
        // Truncated data is an error by default.
        let cut = &jpg[..jpg.len() - 40];
        let mut full = [0u8; 7 * 5 * 3];
        let dst = ScipixImageMut {
            data: full.as_mut_ptr(),
            width: 7,
            height: 5,
            stride: 21,
            format: SCIPIX_FORMAT_RGB8,
        };
        assert_eq!(
            scipix_decode_jpeg(
                cut.as_ptr(),
                cut.len(),
                std::ptr::null(),
                &dst,
                std::ptr::null_mut()
            ),
            ScipixStatus::SCIPIX_ERR_INVALID_FILE
        );
    }

    #[cfg(not(all(feature = "codec", not(target_arch = "wasm32"))))]
    #[test]
    fn decode_is_unsupported_without_the_codec() {
        let mut buf = [0u8; 3];
        let dst = ScipixImageMut {
            data: buf.as_mut_ptr(),
            width: 1,
            height: 1,
            stride: 3,
            format: SCIPIX_FORMAT_RGB8,
        };
        assert_eq!(
            scipix_decode_jpeg(
                b"\xFF\xD8".as_ptr(),
                2,
                std::ptr::null(),
                &dst,
                std::ptr::null_mut()
            ),
            ScipixStatus::SCIPIX_ERR_UNSUPPORTED
        );
        let _ = SCIPIX_FORMAT_BGR8;
    }
}
