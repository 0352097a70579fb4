//! C API: resizing (OpenCV- and Pillow-exact), crop and pad, letterbox, and the fused
//! resize-to-tensor pipelines.

use super::guard::{guard, guard_or};
use super::handle::{
    free_box, null_error, spans_overlap, to_boxed_ptr, try_handle, try_out, try_ref_from_ptr,
    try_slice, Castable, OwnershipBox,
};
use super::image_desc::{pixel_format, src_dst_views, ScipixImage, ScipixImageMut};
use super::status::ScipixStatus;
use super::tensor::ScipixTensorParams;
use super::tensor::{batch_slot, ensure_out_disjoint, layout_arg, out_slice, ScipixTensorLayout};
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::image::resize::{self, Filter, LetterboxGeometry, LetterboxOptions, Resizer};
use crate::image::ImageView;
use crate::tensor::{self, ClassifyOptions, Pipeline, PipelineSpec};

/// Resize filter (one of `SCIPIX_RESIZE_*`), named for the library whose result it
/// reproduces bit for bit.
pub type ScipixResizeMode = u32;
/// `cv2.resize(..., interpolation=cv2.INTER_NEAREST)`.
pub const SCIPIX_RESIZE_CV_NEAREST: ScipixResizeMode = 0;
/// `cv2.INTER_NEAREST_EXACT`.
pub const SCIPIX_RESIZE_CV_NEAREST_EXACT: ScipixResizeMode = 1;
/// `cv2.INTER_LINEAR` (the letterbox filter).
pub const SCIPIX_RESIZE_CV_LINEAR: ScipixResizeMode = 2;
/// `cv2.INTER_LINEAR_EXACT`.
pub const SCIPIX_RESIZE_CV_LINEAR_EXACT: ScipixResizeMode = 3;
/// `cv2.INTER_AREA`.
pub const SCIPIX_RESIZE_CV_AREA: ScipixResizeMode = 4;
/// `cv2.INTER_CUBIC`.
pub const SCIPIX_RESIZE_CV_CUBIC: ScipixResizeMode = 5;
/// `PIL.Image.Resampling.NEAREST`.
pub const SCIPIX_RESIZE_PIL_NEAREST: ScipixResizeMode = 6;
/// `PIL.Image.Resampling.BOX`.
pub const SCIPIX_RESIZE_PIL_BOX: ScipixResizeMode = 7;
/// `PIL.Image.Resampling.BILINEAR` (torchvision `Resize` on a PIL image).
pub const SCIPIX_RESIZE_PIL_BILINEAR: ScipixResizeMode = 8;
/// `PIL.Image.Resampling.BICUBIC`.
pub const SCIPIX_RESIZE_PIL_BICUBIC: ScipixResizeMode = 9;
/// `PIL.Image.Resampling.LANCZOS`.
pub const SCIPIX_RESIZE_PIL_LANCZOS: ScipixResizeMode = 10;

fn mode_arg(mode: ScipixResizeMode) -> Result<Filter> {
    Filter::from_u32(mode).ok_or_else(|| {
        Error::invalid(format!(
            "mode: unknown resize mode {mode} (SCIPIX_RESIZE_* is 0..=10)"
        ))
    })
}

/// Precomputed coefficient tables for one (source size, destination size, format, mode)
/// (opaque). Build one per video stream and reuse it: `scipix_resizer_run` then pays no
/// setup. Immutable after `scipix_resizer_new`, so any number of threads may run one
/// resizer at once (each call uses per-thread scratch memory). Free it exactly once.
pub struct ScipixResizer {
    _private: [u8; 0],
}

impl Castable for ScipixResizer {
    type Rust = Resizer;
    type Ownership = OwnershipBox;
}

/// Resizes `src` into `dst` (same format; sizes from the descriptors) with `mode`, bit for
/// bit what the named library gives: the `SCIPIX_RESIZE_CV_*` modes equal `cv2.resize` of
/// opencv-python-headless 5.1.0.95 with that interpolation, the `SCIPIX_RESIZE_PIL_*` modes equal
/// `PIL.Image.resize` of Pillow 13 with that filter (on an image of the same mode: "L",
/// "RGB", "RGBA"; BGR8/BGRA8 are resized as their bytes, like OpenCV). Alpha is resized
/// like the other channels. Equal sizes give a copy (as both libraries do). Only the
/// `width * bytes_per_pixel` bytes of each destination row are written. The tables come
/// from a per-thread cache of the 4 most recently used (sizes, format, mode) combinations,
/// built on a miss: repeated calls of one shape on one thread build them once. A
/// `ScipixResizer` holds them explicitly and can be shared between threads. Large
/// destinations are split into row bands on scipix's pool, with identical bytes for every
/// thread count.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, dst or a data pointer NULL);
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown format, formats differ, or a mode that does
/// not support the format); `SCIPIX_ERR_INVALID_ARGUMENT` (unknown mode, a zero side, a
/// side above 65536, bad stride, src and dst memory overlap); `SCIPIX_ERR_SIZE_OVERFLOW`.
/// Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_resize(
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
    mode: ScipixResizeMode,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let filter = mode_arg(mode)?;
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        same_format(&s, d.format())?;
        resize::resize(&s, &mut d, filter)
    })
}

fn same_format(s: &ImageView, f: crate::image::PixelFormat) -> Result<()> {
    if s.format() != f {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!(
                "dst.format: source is {}, destination is {}; they must match",
                s.format().name(),
                f.name()
            ),
        ));
    }
    Ok(())
}

/// Builds a resizer for `src_width` x `src_height` images of `format` (`SCIPIX_FORMAT_*`)
/// to `dst_width` x `dst_height` with `mode`, and stores it in `*out` (the caller owns it;
/// release with `scipix_resizer_free`). The tables use memory proportional to the sizes.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (out); `SCIPIX_ERR_INVALID_ARGUMENT` (unknown mode,
/// a zero side or one above 65536); `SCIPIX_ERR_UNSUPPORTED_FORMAT` (unknown format, or a
/// mode that does not support it). `*out` is untouched on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_resizer_new(
    src_width: usize,
    src_height: usize,
    dst_width: usize,
    dst_height: usize,
    format: u32,
    mode: ScipixResizeMode,
    out: *mut *mut ScipixResizer,
) -> ScipixStatus {
    guard(|| {
        let o = try_out!(out);
        let filter = mode_arg(mode)?;
        let format = pixel_format(format)?;
        let r = Resizer::new(src_width, src_height, dst_width, dst_height, format, filter)?;
        *o = to_boxed_ptr::<ScipixResizer>(r);
        Ok(())
    })
}

/// Releases a resizer; NULL is ignored. No other thread may be using it.
#[no_mangle]
pub extern "C" fn scipix_resizer_free(resizer: *mut ScipixResizer) {
    guard_or((), || {
        // SAFETY: NULL or a live handle from scipix_resizer_new (documented contract).
        unsafe { free_box(resizer) }
    })
}

/// Resizes `src` (the resizer's source size and format) into `dst` (its destination size
/// and format), exactly as `scipix_resize` with the resizer's mode would.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`; `SCIPIX_ERR_INVALID_ARGUMENT` (sizes other than the
/// resizer's, bad stride, overlap); `SCIPIX_ERR_UNSUPPORTED_FORMAT` (format other than the
/// resizer's); `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe:
/// many threads may run one resizer at once on different images.
#[no_mangle]
pub extern "C" fn scipix_resizer_run(
    resizer: *const ScipixResizer,
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
) -> ScipixStatus {
    guard(|| {
        let r = try_handle!(resizer);
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        r.resize(&s, &mut d)
    })
}

/// Writes the window of destination columns `x0 .. x0 + dst->width` and rows
/// `y0 .. y0 + dst->height` of the resizer's full result into `dst`: exactly those pixels
/// of what `scipix_resizer_run` would write (so a tile or a band of rows can be produced
/// alone, e.g. only the centre crop). Runs on the calling thread.
///
/// Errors: as `scipix_resizer_run`, plus `SCIPIX_ERR_INVALID_ARGUMENT` when the window
/// leaves the destination size. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_resizer_run_window(
    resizer: *const ScipixResizer,
    src: *const ScipixImage,
    x0: usize,
    y0: usize,
    dst: *const ScipixImageMut,
) -> ScipixStatus {
    guard(|| {
        let r = try_handle!(resizer);
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        resize::with_scratch(|scratch| r.resize_window(&s, x0, y0, &mut d, scratch))
    })
}

/// Writes the resizer's source and destination sizes (any pointer may be NULL to skip).
/// Errors: `SCIPIX_ERR_NULL_POINTER` when `resizer` is NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_resizer_sizes(
    resizer: *const ScipixResizer,
    src_width: *mut usize,
    src_height: *mut usize,
    dst_width: *mut usize,
    dst_height: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let r = try_handle!(resizer);
        let (s, d) = (r.src_size(), r.dst_size());
        for (p, v) in [
            (src_width, s.0),
            (src_height, s.1),
            (dst_width, d.0),
            (dst_height, d.1),
        ] {
            // SAFETY: NULL or a valid writable pointer (documented contract).
            if let Some(o) = unsafe { p.as_mut() } {
                *o = v;
            }
        }
        Ok(())
    })
}

/// A window of an image with signed offsets: result pixel (x, y) is source pixel
/// (left + x, top + y), or the fill colour where that lies outside the source.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ScipixCropRect {
    /// Source column of the first result column (negative: padding on the left).
    pub left: i64,
    /// Source row of the first result row (negative: padding on top).
    pub top: i64,
    /// Width of the result.
    pub width: usize,
    /// Height of the result.
    pub height: usize,
}

/// Computes the window `torchvision.transforms.CenterCrop((crop_height, crop_width))`
/// takes of a `width` x `height` image: per axis, when the crop is not larger than the
/// image, `offset = int(round((size - crop) / 2.0))` with Python's round (ties to even:
/// 0.5 -> 0, 1.5 -> 2, 2.5 -> 2); when it is larger, torchvision first pads
/// `(crop - size) // 2` before and `(crop - size + 1) // 2` after with 0, so
/// `offset = -((crop - size) // 2)`.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (out); `SCIPIX_ERR_INVALID_ARGUMENT` (a zero side or
/// one above 65536). Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_center_crop_rect(
    width: usize,
    height: usize,
    crop_width: usize,
    crop_height: usize,
    out: *mut ScipixCropRect,
) -> ScipixStatus {
    guard(|| {
        let o = try_out!(out);
        let r = resize::center_crop_rect(width, height, crop_width, crop_height)?;
        *o = ScipixCropRect {
            left: r.left,
            top: r.top,
            width: r.width,
            height: r.height,
        };
        Ok(())
    })
}

/// Reads the fill colour: NULL means all zero; otherwise 4 bytes are read, the first
/// `bytes_per_pixel` are used in memory channel order.
fn fill_arg(fill: *const u8) -> Result<[u8; 4]> {
    if fill.is_null() {
        return Ok([0; 4]);
    }
    let s: &[u8] = try_slice!(fill, 4);
    Ok([s[0], s[1], s[2], s[3]])
}

/// Copies the window of `src` at (`left`, `top`) with `dst`'s size into `dst` (same
/// format); destination pixels whose source lies outside `src` get the colour `fill`
/// (4 bytes read, the first bytes_per_pixel used in memory channel order; NULL = 0).
/// With the offsets of `scipix_center_crop_rect` this is torchvision's `CenterCrop`
/// (fill 0), padding included.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`; `SCIPIX_ERR_UNSUPPORTED_FORMAT` (formats differ);
/// `SCIPIX_ERR_INVALID_ARGUMENT` (bad descriptor, offsets beyond +-131072, overlap);
/// `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_crop_pad(
    src: *const ScipixImage,
    left: i64,
    top: i64,
    dst: *const ScipixImageMut,
    fill: *const u8,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let fill = fill_arg(fill)?;
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        resize::crop_pad(&s, left, top, &mut d, fill)
    })
}

/// `cv2.copyMakeBorder(src, top, bottom, left, right, cv2.BORDER_CONSTANT, value=fill)`
/// into `dst` (same format), whose size sets `bottom = dst->height - src->height - top` and
/// `right = dst->width - src->width - left`. `fill` as in `scipix_crop_pad` (NULL = 0).
///
/// Errors: `SCIPIX_ERR_NULL_POINTER`; `SCIPIX_ERR_UNSUPPORTED_FORMAT` (formats differ);
/// `SCIPIX_ERR_INVALID_ARGUMENT` (src at (left, top) does not fit in dst, bad descriptor,
/// overlap); `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_pad_constant(
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
    top: usize,
    left: usize,
    fill: *const u8,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let fill = fill_arg(fill)?;
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        resize::pad_constant(&s, &mut d, top, left, fill)
    })
}

/// Options of Ultralytics' `LetterBox`. Fill with `scipix_letterbox_params_default`
/// (640x640, colour 114, scaleup, centred, no auto, stride 32), then set fields by name.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixLetterboxParams {
    /// Target width (Ultralytics `new_shape[1]`), 1..=65536.
    pub width: usize,
    /// Target height (`new_shape[0]`), 1..=65536.
    pub height: usize,
    /// Pad colour; the first bytes_per_pixel bytes are used, in memory channel order.
    pub color: [u8; 4],
    /// Allow enlarging (`scaleup`); false caps the scale at 1.
    pub scaleup: bool,
    /// Minimum rectangle (`auto`): padding is reduced modulo `stride`, so the output is
    /// smaller than width x height.
    pub auto_pad: bool,
    /// Stretch to width x height ignoring the aspect ratio (`scaleFill`); ignored with
    /// `auto_pad`.
    pub scale_fill: bool,
    /// Split the padding between both sides (`center`); false puts it right and bottom.
    pub center: bool,
    /// Stride for `auto_pad` (> 0).
    pub stride: usize,
}

/// Where the source lands in a letterboxed image. A point (x, y) of the letterboxed
/// image maps back to the source frame as `((x - left) / scale_x, (y - top) / scale_y)`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ScipixLetterboxInfo {
    /// Horizontal scale, letterbox pixels per source pixel (Ultralytics' `r`).
    pub scale_x: f64,
    /// Vertical scale (equals scale_x unless scale_fill).
    pub scale_y: f64,
    /// Size of the resized source inside the output (`new_unpad`).
    pub resized_width: usize,
    /// Height of the resized source.
    pub resized_height: usize,
    /// Padding columns on the left.
    pub left: usize,
    /// Padding rows on top.
    pub top: usize,
    /// Padding columns on the right.
    pub right: usize,
    /// Padding rows at the bottom.
    pub bottom: usize,
    /// Output width (left + resized_width + right).
    pub out_width: usize,
    /// Output height (top + resized_height + bottom).
    pub out_height: usize,
}

impl ScipixLetterboxParams {
    pub(super) fn to_rust(self) -> LetterboxOptions {
        LetterboxOptions {
            width: self.width,
            height: self.height,
            color: self.color,
            scaleup: self.scaleup,
            auto: self.auto_pad,
            scale_fill: self.scale_fill,
            center: self.center,
            stride: self.stride,
        }
    }
}

impl From<LetterboxGeometry> for ScipixLetterboxInfo {
    fn from(g: LetterboxGeometry) -> Self {
        ScipixLetterboxInfo {
            scale_x: g.scale_x,
            scale_y: g.scale_y,
            resized_width: g.resized_w,
            resized_height: g.resized_h,
            left: g.left,
            top: g.top,
            right: g.right,
            bottom: g.bottom,
            out_width: g.out_w,
            out_height: g.out_h,
        }
    }
}

/// Fills `*params` with Ultralytics' defaults for 640x640: colour 114 (all four bytes),
/// scaleup, centred, no auto_pad, no scale_fill, stride 32. Thread-safe.
/// Errors: `SCIPIX_ERR_NULL_POINTER` when `params` is NULL.
#[no_mangle]
pub extern "C" fn scipix_letterbox_params_default(
    params: *mut ScipixLetterboxParams,
) -> ScipixStatus {
    guard(|| {
        let p = try_out!(params);
        let d = LetterboxOptions::default();
        *p = ScipixLetterboxParams {
            width: d.width,
            height: d.height,
            color: d.color,
            scaleup: d.scaleup,
            auto_pad: d.auto,
            scale_fill: d.scale_fill,
            center: d.center,
            stride: d.stride,
        };
        Ok(())
    })
}

/// Computes the letterbox of a `src_width` x `src_height` frame, in double precision
/// exactly as Ultralytics' `LetterBox` does: `r = min(height / src_height, width /
/// src_width)` (capped at 1 unless scaleup); `resized = (round(src_width * r),
/// round(src_height * r))` with Python's round (ties to even); `dw = width - resized_width`
/// (modulo stride with auto_pad; 0 with scale_fill, which also stretches to width x
/// height); with center `dw /= 2` and `left = round(dw - 0.1)`, `right = round(dw + 0.1)`
/// (without center: left = 0, right = dw); rows likewise.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (params, out); `SCIPIX_ERR_INVALID_ARGUMENT` (a zero
/// side or one above 65536 — a negative C value converted to size_t is above it —,
/// stride 0 with auto_pad, or a resized side that rounds to 0). Nothing is written on
/// failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_letterbox_info(
    src_width: usize,
    src_height: usize,
    params: *const ScipixLetterboxParams,
    out: *mut ScipixLetterboxInfo,
) -> ScipixStatus {
    guard(|| {
        let p = try_ref_from_ptr!(params).to_rust();
        let o = try_out!(out);
        *o = resize::letterbox_geometry(src_width, src_height, &p)?.into();
        Ok(())
    })
}

/// Letterboxes `src` into `dst` (same format; size `out_width` x `out_height` of
/// `scipix_letterbox_info`, i.e. params->width x params->height unless auto_pad):
/// `cv2.resize(INTER_LINEAR)` to the resized size (skipped when the size is unchanged, as
/// in Ultralytics), then `cv2.copyMakeBorder(BORDER_CONSTANT, color)`. Bit-exact with
/// Ultralytics' `LetterBox` on opencv-python-headless 5.1.0.95. `info` (may be NULL) receives the
/// geometry for mapping boxes back.
///
/// Errors: as `scipix_letterbox_info` and `scipix_resize`, plus
/// `SCIPIX_ERR_INVALID_ARGUMENT` when dst is not the letterbox size. Nothing is written on
/// failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_letterbox(
    src: *const ScipixImage,
    dst: *const ScipixImageMut,
    params: *const ScipixLetterboxParams,
    info: *mut ScipixLetterboxInfo,
) -> ScipixStatus {
    guard(|| {
        let src = try_ref_from_ptr!(src);
        let dst = try_ref_from_ptr!(dst);
        let p = try_ref_from_ptr!(params).to_rust();
        // SAFETY: NULL or a valid writable pointer (documented contract).
        let info = unsafe { info.as_mut() };
        // SAFETY: the caller promises the descriptors describe live memory (C contract).
        let (s, mut d) = unsafe { src_dst_views(src, dst)? };
        let g = resize::letterbox(&s, &mut d, &p)?;
        if let Some(i) = info {
            *i = g.into();
        }
        Ok(())
    })
}

/// Parameters of the classification pipeline (torchvision `Resize(resize_short)`,
/// `CenterCrop((crop_height, crop_width))`, `ToTensor()`, `Normalize(mean, std)`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixClassifyParams {
    /// The shorter side is resized to this (e.g. 256); the longer side becomes
    /// `int(resize_short * long / short)` (torchvision's rule for an int size).
    pub resize_short: usize,
    /// Centre crop width (e.g. 224).
    pub crop_width: usize,
    /// Centre crop height.
    pub crop_height: usize,
    /// `SCIPIX_LAYOUT_NCHW` or `SCIPIX_LAYOUT_NHWC`.
    pub layout: ScipixTensorLayout,
}

fn channel_values(p: *const f32, len: usize, channels: usize, what: &str) -> Result<[f32; 3]> {
    if p.is_null() {
        return Err(null_error(what));
    }
    if len != channels {
        return Err(Error::invalid(format!(
            "{what}_len is {len}; it must equal the tensor's channel count {channels}"
        )));
    }
    let s: &[f32] = try_slice!(p, len);
    let mut v = [s[0]; 3];
    v[..len].copy_from_slice(s);
    Ok(v)
}

/// Validates one source descriptor and the tensor destination `[out + index * per,
/// out + (index + 1) * per)` and borrows that part.
fn tensor_slot<'a>(
    desc: &ScipixImage,
    pipe: &Pipeline,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
) -> Result<&'a mut [f32]> {
    let per = pipe.tensor_len()?;
    let check = |span| {
        if spans_overlap(desc.byte_span()?, span) {
            return Err(Error::invalid(
                "the output tensor overlaps the source image bytes",
            ));
        }
        Ok(())
    };
    Ok(batch_slot(out, out_len, per, batch_index, "image", check)?.1)
}

fn run_one(
    src: *const ScipixImage,
    spec: &PipelineSpec,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
) -> Result<Option<LetterboxGeometry>> {
    let desc = try_ref_from_ptr!(src);
    // SAFETY: the caller promises the descriptor describes readable memory.
    let img = unsafe { desc.view() }?;
    let pipe = Pipeline::cached(img.width(), img.height(), img.format(), spec)?;
    let slot = tensor_slot(desc, &pipe, out, out_len, batch_index)?;
    pipe.run(&img, slot)?;
    Ok(pipe.geometry())
}

/// Letterboxes `src` (as `scipix_letterbox`) and converts it in the same pass to RGB
/// floats `/255` in `layout`, writing image `batch_index` of a batch tensor: floats
/// `[batch_index * C * H * W, (batch_index + 1) * C * H * W)` of `out` (capacity `out_len`
/// floats; C = 3, or 1 for GRAY8; H x W the letterbox output size). No full-size
/// intermediate image is made. Every element equals, bit for bit,
/// `cv2.dnn.blobFromImage(letterboxed, 1/255.0, swapRB=True)` for BGR8/BGRA8 input
/// (swapRB=False for RGB8/RGBA8 input): `(float)x * (float)(1/255.0)`; padding holds the
/// converted pad colour. `info` (may be NULL) receives the geometry.
///
/// Errors: as `scipix_letterbox_info`; `SCIPIX_ERR_NULL_POINTER` (src, params, out);
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (format or layout unknown); `SCIPIX_ERR_BUFFER_TOO_SMALL`
/// (out_len short for batch_index); `SCIPIX_ERR_INVALID_ARGUMENT` (out overlaps src,
/// misaligned out). Nothing is written on failure. Thread-safe; large tensors are split
/// into row bands on scipix's pool (identical bits for every thread count).
#[no_mangle]
pub extern "C" fn scipix_letterbox_to_tensor(
    src: *const ScipixImage,
    params: *const ScipixLetterboxParams,
    layout: ScipixTensorLayout,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
    info: *mut ScipixLetterboxInfo,
) -> ScipixStatus {
    guard(|| {
        let p = try_ref_from_ptr!(params).to_rust();
        let spec = PipelineSpec::Letterbox(p, layout_arg(layout)?);
        let g = run_one(src, &spec, out, out_len, batch_index)?;
        // SAFETY: NULL or a valid writable pointer (documented contract).
        if let (Some(i), Some(g)) = (unsafe { info.as_mut() }, g) {
            *i = g.into();
        }
        Ok(())
    })
}

pub(super) fn classify_spec(
    params: *const ScipixClassifyParams,
    format_channels: usize,
    mean: *const f32,
    mean_len: usize,
    std: *const f32,
    std_len: usize,
) -> Result<PipelineSpec> {
    let p = *try_ref_from_ptr!(params);
    let layout = layout_arg(p.layout)?;
    let mean = channel_values(mean, mean_len, format_channels, "mean")?;
    let std = channel_values(std, std_len, format_channels, "std")?;
    for c in 0..format_channels {
        if !mean[c].is_finite() {
            return Err(Error::invalid(format!(
                "mean[{c}] = {} must be finite",
                mean[c]
            )));
        }
        if !std[c].is_finite() || std[c] == 0.0 {
            return Err(Error::invalid(format!(
                "std[{c}] = {} must be finite and non-zero",
                std[c]
            )));
        }
    }
    Ok(PipelineSpec::Classify(ClassifyOptions {
        resize_short: p.resize_short,
        crop_w: p.crop_width,
        crop_h: p.crop_height,
        mean,
        std,
        layout,
    }))
}

/// The classification input of torchvision on a PIL image, fused: `Resize(resize_short)`
/// (Pillow BILINEAR, bit-exact with Pillow 13), `CenterCrop` (offsets as
/// `scipix_center_crop_rect`; zero padding when the crop is larger), `ToTensor()`,
/// `Normalize(mean, std)`, written as image `batch_index` of a batch tensor (as in
/// `scipix_letterbox_to_tensor`). Only the crop window is resized. Output channels are
/// R, G, B for every colour format (BGR input is swapped; alpha dropped), 1 for GRAY8.
/// Float rule, per element, in float32 with each step rounded to nearest and no FMA:
/// `(x / 255.0f - mean[c]) / std[c]`, i.e. numpy's
/// `((img.astype(np.float32) / np.float32(255)) - mean.astype(np.float32)) / std.astype(np.float32)`
/// and torch's CPU `ToTensor` + `Normalize`, bit for bit. `mean` and `std` have
/// `mean_len == std_len == C` entries (3, or 1 for GRAY8) in R, G, B order.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, params, mean, std, out);
/// `SCIPIX_ERR_INVALID_ARGUMENT` (mean/std of the wrong length, non-finite mean, std zero
/// or non-finite, resize_short or crop zero or above 65536, the resized long side above
/// 65536, out overlapping src); `SCIPIX_ERR_UNSUPPORTED_FORMAT`;
/// `SCIPIX_ERR_BUFFER_TOO_SMALL`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_classify_to_tensor(
    src: *const ScipixImage,
    params: *const ScipixClassifyParams,
    mean: *const f32,
    mean_len: usize,
    std: *const f32,
    std_len: usize,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
) -> ScipixStatus {
    guard(|| {
        let desc = try_ref_from_ptr!(src);
        let fmt = pixel_format(desc.format)?;
        let spec = classify_spec(
            params,
            tensor::tensor_channels(fmt),
            mean,
            mean_len,
            std,
            std_len,
        )?;
        run_one(src, &spec, out, out_len, batch_index).map(|_| ())
    })
}

/// Resizes `src` to `width` x `height` with `mode` (as `scipix_resize`) and converts it
/// with `params` (the rule of `ScipixTensorParams`) in one pass, writing image
/// `batch_index` of a batch tensor (as in `scipix_letterbox_to_tensor`). Bit for bit the
/// result of `scipix_resize` followed by `scipix_image_to_tensor`.
///
/// Errors: those of `scipix_resize` and `scipix_image_to_tensor`. Nothing is written on
/// failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_resize_to_tensor(
    src: *const ScipixImage,
    mode: ScipixResizeMode,
    width: usize,
    height: usize,
    params: *const ScipixTensorParams,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
) -> ScipixStatus {
    guard(|| {
        let filter = mode_arg(mode)?;
        let params = try_ref_from_ptr!(params).to_rust()?;
        let spec = PipelineSpec::Generic {
            filter,
            width,
            height,
            params,
        };
        run_one(src, &spec, out, out_len, batch_index).map(|_| ())
    })
}

/// Runs one pipeline spec over `n` images (any sizes) into one batch tensor.
fn run_batch(
    srcs: *const ScipixImage,
    n: usize,
    spec: impl Fn(&ScipixImage) -> Result<PipelineSpec>,
    out: *mut f32,
    out_len: usize,
    infos: *mut ScipixLetterboxInfo,
) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid("n is 0: the batch has no images"));
    }
    let descs: &[ScipixImage] = try_slice!(srcs, n);
    let mut imgs: Vec<ImageView> = Vec::with_capacity(n);
    for d in descs {
        // SAFETY: the caller promises each descriptor describes readable memory.
        imgs.push(unsafe { d.view() }?);
    }
    let spec = spec(&descs[0])?;
    // Every pipeline is built (validated) by run_batch before writing; check the output
    // span first so overlap and size errors come before any work.
    let first = Pipeline::new(imgs[0].width(), imgs[0].height(), imgs[0].format(), &spec)?;
    let per = first.tensor_len()?;
    let need = checked_product(&[n, per], "batch tensor elements")?;
    for d in descs {
        ensure_out_disjoint(d, out, need.min(out_len))?;
    }
    let info_out: &mut [ScipixLetterboxInfo] = if infos.is_null() {
        &mut []
    } else {
        super::handle::check_slice(infos.cast_const(), n, "infos")?;
        let (b0, b1) = (
            infos as usize,
            infos as usize + n * size_of::<ScipixLetterboxInfo>(),
        );
        let o0 = out as usize;
        if spans_overlap((b0, b1), (o0, o0.saturating_add(need.min(out_len) * 4))) {
            return Err(Error::invalid("infos overlaps out"));
        }
        // SAFETY: checked non-null, aligned and in size; the caller promises n entries.
        unsafe { std::slice::from_raw_parts_mut(infos, n) }
    };
    if out_len < need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("out_len is {out_len} floats, the batch needs {need}"),
        ));
    }
    let out = out_slice(out, out_len, need)?;
    let geos = tensor::run_batch(&imgs, &spec, out)?;
    for (slot, g) in info_out.iter_mut().zip(geos) {
        if let Some(g) = g {
            *slot = g.into();
        }
    }
    Ok(())
}

/// `scipix_letterbox_to_tensor` for `n` images of any sizes at once: image `i` goes to
/// floats `[i * C * H * W, (i + 1) * C * H * W)` of `out` (capacity `out_len`). Images
/// run in parallel on scipix's pool, one image per task; the bits do not depend on the
/// thread count. `infos` (may be NULL) receives `n` geometries. All images must give the
/// same tensor size (same channel count; with auto_pad, the same output size).
///
/// Errors: those of `scipix_letterbox_to_tensor` (messages name the image index),
/// `SCIPIX_ERR_NULL_POINTER` (srcs), `SCIPIX_ERR_INVALID_ARGUMENT` (n = 0, images giving
/// different tensor sizes). Every image is validated before anything is written; nothing
/// is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_letterbox_batch_to_tensor(
    srcs: *const ScipixImage,
    n: usize,
    params: *const ScipixLetterboxParams,
    layout: ScipixTensorLayout,
    out: *mut f32,
    out_len: usize,
    infos: *mut ScipixLetterboxInfo,
) -> ScipixStatus {
    guard(|| {
        let p = try_ref_from_ptr!(params).to_rust();
        let layout = layout_arg(layout)?;
        run_batch(
            srcs,
            n,
            |_| Ok(PipelineSpec::Letterbox(p, layout)),
            out,
            out_len,
            infos,
        )
    })
}

/// `scipix_classify_to_tensor` for `n` images of any sizes at once (batch layout as in
/// `scipix_letterbox_batch_to_tensor`; parallel across images, identical bits for every
/// thread count). All images must have the same channel count (C = 3 colour, 1 gray).
///
/// Errors: those of `scipix_classify_to_tensor`, plus n = 0 or mismatched channel counts
/// (`SCIPIX_ERR_INVALID_ARGUMENT`). Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_classify_batch_to_tensor(
    srcs: *const ScipixImage,
    n: usize,
    params: *const ScipixClassifyParams,
    mean: *const f32,
    mean_len: usize,
    std: *const f32,
    std_len: usize,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        run_batch(
            srcs,
            n,
            |d| {
                let fmt = pixel_format(d.format)?;
                classify_spec(
                    params,
                    tensor::tensor_channels(fmt),
                    mean,
                    mean_len,
                    std,
                    std_len,
                )
            },
            out,
            out_len,
            std::ptr::null_mut(),
        )
    })
}

/// `scipix_resize_to_tensor` for `n` images of any sizes at once, all resized to
/// `width` x `height` (batch layout and parallelism as in
/// `scipix_letterbox_batch_to_tensor`).
///
/// Errors: those of `scipix_resize_to_tensor`, plus n = 0 or mismatched channel counts
/// (`SCIPIX_ERR_INVALID_ARGUMENT`). Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_resize_batch_to_tensor(
    srcs: *const ScipixImage,
    n: usize,
    mode: ScipixResizeMode,
    width: usize,
    height: usize,
    params: *const ScipixTensorParams,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let filter = mode_arg(mode)?;
        let params = try_ref_from_ptr!(params).to_rust()?;
        run_batch(
            srcs,
            n,
            |_| {
                Ok(PipelineSpec::Generic {
                    filter,
                    width,
                    height,
                    params,
                })
            },
            out,
            out_len,
            std::ptr::null_mut(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::image_desc::{SCIPIX_FORMAT_GRAY8, SCIPIX_FORMAT_RGB8};
    use crate::capi::tensor::SCIPIX_LAYOUT_NCHW;

    fn last() -> String {
        let mut s = String::new();
        crate::capi::guard::with_last_error(|m| s = m.to_string_lossy().into_owned());
        s
    }

    #[test]
    fn modes_match_filter_order() {
        for (i, f) in Filter::ALL.iter().enumerate() {
            assert_eq!(mode_arg(i as u32).unwrap(), *f);
        }
        assert_eq!(SCIPIX_RESIZE_PIL_LANCZOS, Filter::PilLanczos as u32);
        assert_eq!(SCIPIX_RESIZE_CV_AREA, Filter::CvArea as u32);
        assert!(mode_arg(11).is_err());
    }

    #[test]
    fn bad_arguments_write_nothing() {
        let src = [9u8; 12];
        let mut dst = [0u8; 12];
        let s = ScipixImage {
            data: src.as_ptr(),
            width: 4,
            height: 3,
            stride: 4,
            format: SCIPIX_FORMAT_GRAY8,
        };
        let d = ScipixImageMut {
            data: dst.as_mut_ptr(),
            width: 4,
            height: 3,
            stride: 4,
            format: SCIPIX_FORMAT_GRAY8,
        };
        assert_eq!(
            scipix_resize(&s, &d, 99),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("mode"), "{}", last());
        let rgb = ScipixImageMut {
            format: SCIPIX_FORMAT_RGB8,
            width: 1,
            stride: 3,
            ..d
        };
        assert_eq!(
            scipix_resize(&s, &rgb, SCIPIX_RESIZE_CV_LINEAR),
            ScipixStatus::SCIPIX_ERR_UNSUPPORTED_FORMAT
        );
        // Same size is a copy for every mode.
        assert_eq!(
            scipix_resize(&s, &d, SCIPIX_RESIZE_PIL_BICUBIC),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(dst, [9u8; 12]);
        // Overlap.
        let over = ScipixImageMut {
            data: src.as_ptr().cast_mut(),
            ..d
        };
        assert_eq!(
            scipix_resize(&s, &over, SCIPIX_RESIZE_CV_LINEAR),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        let mut r: *mut ScipixResizer = std::ptr::null_mut();
        assert_eq!(
            scipix_resizer_new(0, 3, 4, 3, SCIPIX_FORMAT_GRAY8, 2, &mut r),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert!(r.is_null());
        let mut p = std::mem::MaybeUninit::<ScipixLetterboxParams>::uninit();
        assert_eq!(
            scipix_letterbox_params_default(p.as_mut_ptr()),
            ScipixStatus::SCIPIX_OK
        );
        // SAFETY: filled by the call above.
        let mut p = unsafe { p.assume_init() };
        p.width = (-5i64) as usize;
        let mut info = ScipixLetterboxInfo::default();
        assert_eq!(
            scipix_letterbox_info(4, 3, &p, &mut info),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("letterbox size"), "{}", last());
        let cp = ScipixClassifyParams {
            resize_short: 3,
            crop_width: 2,
            crop_height: 2,
            layout: SCIPIX_LAYOUT_NCHW,
        };
        let mut out = [5.0f32; 8];
        let (m, sd) = ([0.5f32], [0.0f32]);
        assert_eq!(
            scipix_classify_to_tensor(
                &s,
                &cp,
                m.as_ptr(),
                1,
                sd.as_ptr(),
                1,
                out.as_mut_ptr(),
                8,
                0
            ),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("std[0]"), "{}", last());
        let sd = [0.5f32, 0.5];
        assert_eq!(
            scipix_classify_to_tensor(
                &s,
                &cp,
                m.as_ptr(),
                1,
                sd.as_ptr(),
                2,
                out.as_mut_ptr(),
                8,
                0
            ),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("std_len"), "{}", last());
        assert!(out.iter().all(|&v| v == 5.0));
        let mut rect = ScipixCropRect::default();
        assert_eq!(
            scipix_center_crop_rect(10, 10, 7, 12, &mut rect),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!((rect.left, rect.top), (2, -1));
    }
}
