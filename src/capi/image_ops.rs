//! C API: grayscale conversion and thresholding (OpenCV-exact), over `ScipixImage`
//! descriptors and plain f32 planes.
//!
//! ```
//! use scipix::capi::image_desc::{ScipixImage, ScipixImageMut, SCIPIX_FORMAT_RGB8, SCIPIX_FORMAT_GRAY8};
//! use scipix::capi::image_ops::scipix_gray;
//! use scipix::capi::ScipixStatus;
//!
//! let rgb = [255u8, 255, 255, 0, 0, 0];
//! let mut gray = [7u8; 2];
//! let src = ScipixImage { data: rgb.as_ptr(), width: 2, height: 1, stride: 6, format: SCIPIX_FORMAT_RGB8 };
//! let dst = ScipixImageMut { data: gray.as_mut_ptr(), width: 2, height: 1, stride: 2, format: SCIPIX_FORMAT_GRAY8 };
//! assert_eq!(scipix_gray(&src, &dst), ScipixStatus::SCIPIX_OK);
//! assert_eq!(gray, [255, 0]);
//! ```

use super::guard::guard;
use super::handle::{
    null_error, spans_overlap, try_out, try_ref_from_ptr, try_slice, try_slice_mut,
};
use super::image_desc::{ensure_disjoint, src_dst_views, ScipixImage, ScipixImageMut};
use super::status::ScipixStatus;
use crate::error::{checked_product, Error, Result};
use crate::image::binarize;
use crate::image::gray::{self, GrayScale};
use crate::image::threshold::{self, PlaneF32, ThresholdType};

/// Threshold rule (one of `SCIPIX_THRESH_*`, same numbering as OpenCV's `THRESH_*`).
pub type ScipixThresholdType = u32;
/// `dst = src > t ? maxval : 0`.
pub const SCIPIX_THRESH_BINARY: ScipixThresholdType = 0;
/// `dst = src > t ? 0 : maxval`.
pub const SCIPIX_THRESH_BINARY_INV: ScipixThresholdType = 1;
/// `dst = src > t ? t : src`.
pub const SCIPIX_THRESH_TRUNC: ScipixThresholdType = 2;
/// `dst = src > t ? src : 0`.
pub const SCIPIX_THRESH_TOZERO: ScipixThresholdType = 3;
/// `dst = src > t ? 0 : src`.
pub const SCIPIX_THRESH_TOZERO_INV: ScipixThresholdType = 4;

/// Value range of `scipix_gray_f32` output (one of `SCIPIX_GRAY_SCALE_*`).
pub type ScipixGrayScale = u32;
/// `(float)gray`, 0.0 ..= 255.0.
pub const SCIPIX_GRAY_SCALE_BYTE: ScipixGrayScale = 0;
/// `(float)gray / 255.0f`, 0.0 ..= 1.0 (IEEE division, correctly rounded).
pub const SCIPIX_GRAY_SCALE_UNIT: ScipixGrayScale = 1;

fn threshold_type(v: ScipixThresholdType) -> Result<ThresholdType> {
    ThresholdType::from_u32(v).ok_or_else(|| Error::invalid(format!("unknown threshold type {v}")))
}

fn gray_scale(v: ScipixGrayScale) -> Result<GrayScale> {
    match v {
        SCIPIX_GRAY_SCALE_BYTE => Ok(GrayScale::Byte),
        SCIPIX_GRAY_SCALE_UNIT => Ok(GrayScale::Unit),
        _ => Err(Error::invalid(format!("unknown gray scale {v}"))),
    }
}

/// Elements an f32 plane needs (`stride * (height - 1) + width`), validated, and its size in
/// bytes (checked against `isize::MAX`).
fn f32_plane_len(width: usize, height: usize, stride: usize, what: &str) -> Result<usize> {
    if width == 0 || height == 0 {
        return Err(Error::invalid(format!(
            "{what}: size {width}x{height}, width and height must be > 0"
        )));
    }
    if stride < width {
        return Err(Error::invalid(format!(
            "{what}: stride {stride} elements is smaller than the width {width}"
        )));
    }
    let len = stride
        .checked_mul(height - 1)
        .and_then(|n| n.checked_add(width))
        .ok_or_else(|| {
            Error::overflow(format!(
                "{what}: stride {stride} x height {height} overflows"
            ))
        })?;
    let bytes = checked_product(&[len, 4], what)?;
    if bytes > isize::MAX as usize {
        return Err(Error::overflow(format!(
            "{what}: {bytes} bytes exceeds the address space"
        )));
    }
    Ok(len)
}

/// Converts `src` (RGB8, BGR8, RGBA8, BGRA8, or GRAY8 which is copied) into the GRAY8 image
/// `dst` of the same width and height, bit-identical to OpenCV 5's
/// `cv::cvtColor(COLOR_RGB2GRAY / BGR2GRAY / RGBA2GRAY / BGRA2GRAY)`:
/// `gray = (9798*R + 19235*G + 3735*B + 16384) >> 15` (alpha ignored).
/// Only the `width` bytes of each destination row are written.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, dst or a data pointer NULL),
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown format, or dst not GRAY8),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (zero size, stride below a row, sizes differ, src and dst
/// memory overlap), `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure.
/// Thread-safe; rows may be split across scipix's pool, with identical results.
#[no_mangle]
pub extern "C" fn scipix_gray(src: *const ScipixImage, dst: *const ScipixImageMut) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        gray::to_gray(&s, &mut d)
    })
}

/// Converts `src` (RGB8, BGR8, RGBA8, BGRA8 or GRAY8) to a gray float plane: element (x, y)
/// is `dst[y * dst_stride_elems + x]`; `dst` must hold
/// `dst_stride_elems * (height - 1) + width` floats and `dst_stride_elems >= width`. The value
/// is exactly the u8 gray of `scipix_gray` converted to float: as is for
/// `SCIPIX_GRAY_SCALE_BYTE`, divided by 255 for `SCIPIX_GRAY_SCALE_UNIT`. Padding elements
/// are not written.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`, `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown format),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (bad size/stride, unknown scale, dst overlaps src),
/// `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gray_f32(
    src: *const ScipixImage,
    dst: *mut f32,
    dst_stride_elems: usize,
    scale: ScipixGrayScale,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        // SAFETY: the caller promises the descriptor describes live memory.
        let s = unsafe { src.view()? };
        let scale = gray_scale(scale)?;
        let len = f32_plane_len(s.width(), s.height(), dst_stride_elems, "destination")?;
        if spans_overlap(
            src.byte_span()?,
            (dst as usize, (dst as usize).saturating_add(len * 4)),
        ) {
            return Err(Error::invalid(
                "destination floats overlap the source image",
            ));
        }
        let out: &mut [f32] = try_slice_mut!(dst, len);
        gray::to_gray_f32(&s, out, dst_stride_elems, scale)
    })
}

/// `cv::threshold(src, dst, thresh, maxval, type)` on GRAY8 images of the same size.
/// Exactly OpenCV's u8 rules: `t = floor(thresh)`, `m = maxval` rounded half to even and
/// saturated to 0..255, with OpenCV 5.1's x86-64 conversions (opencv-python-headless
/// 5.1.0.95): values beyond the int32 range saturate, so +inf and thresh >= 2^31 act as
/// INT32_MAX, -inf as INT32_MIN, and NaN as INT32_MAX (a NaN, +inf or huge `maxval` gives
/// 255); per pixel BINARY `v > t ? m : 0`, BINARY_INV `v > t ? 0 : m`, TRUNC
/// `v > t ? t : v`, TOZERO `v > t ? v : 0`, TOZERO_INV `v > t ? 0 : v` (so e.g. t < 0 with
/// BINARY gives all `m`, t >= 255 gives all 0).
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`, `SCIPIX_ERR_UNSUPPORTED_FORMAT` (not GRAY8),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (unknown type, sizes differ, bad stride, overlap: use
/// `scipix_threshold_inplace`), `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_threshold(
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
    thresh: f64,
    maxval: f64,
    thresh_type: ScipixThresholdType,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let ty = threshold_type(thresh_type)?;
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        threshold::threshold(&s, &mut d, thresh, maxval, ty).map(|_| ())
    })
}

/// In-place `scipix_threshold` on the GRAY8 image `img` (same rules). Only the `width`
/// bytes of each row are touched.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`, `SCIPIX_ERR_UNSUPPORTED_FORMAT` (not GRAY8),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (unknown type, bad size or stride),
/// `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_threshold_inplace(
    img: *const ScipixImageMut,
    thresh: f64,
    maxval: f64,
    thresh_type: ScipixThresholdType,
) -> ScipixStatus {
    guard(|| {
        let img = try_ref_from_ptr!(img);
        let ty = threshold_type(thresh_type)?;
        // SAFETY: the caller promises the descriptor describes live memory.
        let mut d = unsafe { img.view_mut()? };
        threshold::threshold_inplace(&mut d, thresh, maxval, ty).map(|_| ())
    })
}

/// Thresholds a `width` x `height` float plane (`cv::threshold` on CV_32F): row y of src
/// starts at `src + y * src_stride_elems`, of dst at `dst + y * dst_stride_elems`.
/// `thresh` and `maxval` are converted to float, then per element the five rules of
/// `scipix_threshold` apply with OpenCV's comparisons: `v > t` for BINARY, TRUNC and
/// TOZERO_INV, `v <= t` for BINARY_INV and TOZERO (a NaN gives 0 for BINARY and BINARY_INV
/// and stays NaN otherwise, as OpenCV; "0" is +0.0). In place when
/// `src == dst` with equal strides; otherwise the two planes must not overlap. Padding is
/// not written.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`, `SCIPIX_ERR_INVALID_ARGUMENT` (zero size, stride below
/// width, unknown type, partial overlap), `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on
/// failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_threshold_f32(
    src: *const f32,
    src_stride_elems: usize,
    dst: *mut f32,
    dst_stride_elems: usize,
    width: usize,
    height: usize,
    thresh: f64,
    maxval: f64,
    thresh_type: ScipixThresholdType,
) -> ScipixStatus {
    guard(|| {
        let ty = threshold_type(thresh_type)?;
        let slen = f32_plane_len(width, height, src_stride_elems, "source")?;
        let dlen = f32_plane_len(width, height, dst_stride_elems, "destination")?;
        if src.is_null() {
            return Err(null_error("src"));
        }
        if dst.is_null() {
            return Err(null_error("dst"));
        }
        let plane = PlaneF32 {
            width,
            height,
            stride: src_stride_elems,
        };
        if std::ptr::eq(src, dst) && src_stride_elems == dst_stride_elems {
            let buf: &mut [f32] = try_slice_mut!(dst, dlen);
            return threshold::threshold_f32_inplace(buf, plane, thresh, maxval, ty);
        }
        let (s0, d0) = (src as usize, dst as usize);
        if spans_overlap(
            (s0, s0.saturating_add(slen * 4)),
            (d0, d0.saturating_add(dlen * 4)),
        ) {
            return Err(Error::invalid(
                "source and destination planes overlap; pass the same pointer and stride for in place",
            ));
        }
        let s: &[f32] = try_slice!(src, slen);
        let d: &mut [f32] = try_slice_mut!(dst, dlen);
        threshold::threshold_f32(s, plane, d, dst_stride_elems, thresh, maxval, ty)
    })
}

/// Computes Otsu's threshold of the GRAY8 image `src` and stores it in `*out_threshold`:
/// the value `cv::threshold(src, dst, 0, maxval, THRESH_OTSU)` returns (OpenCV's
/// histogram and double-precision loop, first maximum of the between-class variance;
/// 0 for a single-valued image).
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`, `SCIPIX_ERR_UNSUPPORTED_FORMAT` (not GRAY8),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (bad size or stride), `SCIPIX_ERR_SIZE_OVERFLOW`.
/// `*out_threshold` is written only on success. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_otsu_threshold(
    src: *const ScipixImage,
    out_threshold: *mut u8,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let out = try_out!(out_threshold);
        // SAFETY: the caller promises the descriptor describes live memory.
        let s = unsafe { src.view()? };
        *out = threshold::otsu_threshold(&s)?;
        Ok(())
    })
}

/// `cv::threshold(src, dst, 0, maxval, type | THRESH_OTSU)`: computes Otsu's threshold of
/// `src` (as `scipix_otsu_threshold`) and applies rule `type` with it into `dst` (GRAY8,
/// same size, not overlapping). `out_threshold` may be NULL; otherwise it receives the
/// threshold on success.
///
/// Errors: as `scipix_threshold`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_threshold_otsu(
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
    maxval: f64,
    thresh_type: ScipixThresholdType,
    out_threshold: *mut u8,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let ty = threshold_type(thresh_type)?;
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        let t = threshold::threshold_otsu(&s, &mut d, maxval, ty)?;
        // SAFETY: NULL or a valid, writable uint8_t (C contract).
        if let Some(out) = unsafe { out_threshold.as_mut() } {
            *out = t;
        }
        Ok(())
    })
}

/// Colour image straight to a binary image with Otsu's threshold, bit-identical to
/// `cv::cvtColor(src, gray, COLOR_{RGB,BGR,RGBA,BGRA}2GRAY)` followed by
/// `cv::threshold(gray, dst, 0, maxval, type | THRESH_OTSU)`:
/// `gray = (9798*R + 19235*G + 3735*B + 16384) >> 15` (alpha ignored), `t` = Otsu's
/// threshold of the gray histogram (as `scipix_otsu_threshold`), `m` = `maxval` rounded half
/// to even and saturated to 0..255, then `dst = gray > t ? m : 0` (`SCIPIX_THRESH_BINARY`) or
/// `gray > t ? 0 : m` (`SCIPIX_THRESH_BINARY_INV`). `src` is RGB8, BGR8, RGBA8 or BGRA8;
/// `dst` is GRAY8 of the same size. `gray_dst` may be NULL; otherwise (GRAY8, same size) it
/// also receives the gray image. `out_threshold` may be NULL; otherwise it receives `t` on
/// success. The gray image is computed once, in the same pass as its histogram, and is kept
/// in `dst` (or `gray_dst`) until thresholded: no temporary image is allocated. Only the
/// `width` bytes of each destination row are written.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, dst or a data pointer NULL),
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown format, src not a colour format, a destination
/// not GRAY8), `SCIPIX_ERR_INVALID_ARGUMENT` (type not BINARY/BINARY_INV, zero size, stride
/// below a row, sizes differ, any two of src, dst and gray_dst overlap),
/// `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe; rows may be split
/// across scipix's pool, with identical results.
#[no_mangle]
pub extern "C" fn scipix_binarize_otsu(
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
    gray_dst: *const ScipixImageMut,
    maxval: f64,
    thresh_type: ScipixThresholdType,
    out_threshold: *mut u8,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let ty = threshold_type(thresh_type)?;
        // SAFETY: NULL or a valid descriptor (C contract).
        let gray_desc = unsafe { gray_dst.as_ref() };
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        let mut g = match gray_desc {
            Some(gd) => {
                ensure_disjoint(src, gd)?;
                if spans_overlap(dst.byte_span()?, gd.byte_span()?) {
                    return Err(Error::invalid(
                        "destination and gray destination images overlap",
                    ));
                }
                // SAFETY: as above; disjoint from the other two images.
                Some(unsafe { gd.view_mut()? })
            }
            None => None,
        };
        let t = binarize::binarize_otsu(&s, &mut d, g.as_mut(), maxval, ty)?;
        // SAFETY: NULL or a valid, writable uint8_t (C contract).
        if let Some(out) = unsafe { out_threshold.as_mut() } {
            *out = t;
        }
        Ok(())
    })
}

/// `cv::adaptiveThreshold(src, dst, maxval, ADAPTIVE_THRESH_MEAN_C, type, block_size, C)`
/// bit for bit, on GRAY8 images of the same size (not overlapping). The local mean is
/// OpenCV's normalized `block_size` x `block_size` box filter with replicated borders,
/// rounded as OpenCV rounds it (fixed point `((s + dd) * ds) >> 23` for block_size <= 15,
/// double rounding half to even above). Then `m = maxval` rounded and saturated, and
/// BINARY gives `m` where `src - mean > -ceil(C)`, BINARY_INV gives `m` where
/// `src - mean <= -floor(C)`, else 0. A negative `maxval` gives an all-zero image.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`, `SCIPIX_ERR_UNSUPPORTED_FORMAT` (not GRAY8),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (type not BINARY/BINARY_INV, block_size even, below 3
/// or above 4095, C not finite or |C| >= 2^31, sizes differ, overlap, bad stride),
/// `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_adaptive_threshold_mean(
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
    maxval: f64,
    thresh_type: ScipixThresholdType,
    block_size: usize,
    c: f64,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let ty = threshold_type(thresh_type)?;
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        threshold::adaptive_threshold_mean(&s, &mut d, maxval, ty, block_size, c)
    })
}
