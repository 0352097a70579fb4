//! C API: from encoded JPEG/PNG bytes to a model tensor in one call (decode, then the
//! fused letterbox or classification pipeline), for one image or a batch.

use super::decode::{ScipixContainerFormat, SCIPIX_CONTAINER_JPEG, SCIPIX_CONTAINER_PNG};
use super::decode_png::{
    ScipixPngConvention, SCIPIX_PNG_CONVENTION_OPENCV, SCIPIX_PNG_CONVENTION_PILLOW,
};
use super::guard::guard;
use super::handle::{check_slice, spans_overlap, try_out, try_ref_from_ptr, try_slice};
use super::image_desc::{pixel_format, ScipixPixelFormat, SCIPIX_FORMAT_RGB8};
use super::resize::{
    classify_spec, ScipixClassifyParams, ScipixLetterboxInfo, ScipixLetterboxParams,
};
use super::status::ScipixStatus;
use super::tensor::{batch_slot, layout_arg, out_byte_span, out_slice, ScipixTensorLayout};
use crate::codec::png::PngConvention;
use crate::codec::to_tensor::{
    bytes_batch_to_tensor, bytes_tensor_len, bytes_to_tensor, BytesInfo, BytesOptions, DecodeMode,
};
use crate::codec::ContainerFormat;
use crate::error::{checked_product, Error, Result};
use crate::tensor::{tensor_channels, PipelineSpec};

/// How a from-bytes pipeline decodes (one of `SCIPIX_DECODE_*`).
pub type ScipixDecodeMode = u32;
/// Full-size decode: the tensor equals the peer chain (`cv2.imdecode` + letterbox +
/// `blobFromImage`; Pillow + torchvision) bit for bit.
pub const SCIPIX_DECODE_EXACT: ScipixDecodeMode = 0;
/// JPEG DCT-domain reduction by the largest of 1/8, 1/4, 1/2 that keeps the decoded image
/// at least `k` times the pipeline's resize size on both sides (Pillow's `draft()` rule),
/// then the same pipeline on the reduced image: equal to the peer chain started from
/// `cv2.IMREAD_REDUCED_COLOR_k` / `draft()`. PNG decodes at full size.
pub const SCIPIX_DECODE_REDUCED: ScipixDecodeMode = 1;

/// Options of the `scipix_bytes_*_to_tensor` functions. Fill with
/// `scipix_bytes_options_default`, then set fields by name; NULL options mean the
/// defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixBytesOptions {
    /// `SCIPIX_DECODE_EXACT` (default) or `SCIPIX_DECODE_REDUCED`.
    pub mode: ScipixDecodeMode,
    /// Decoded format the pipeline starts from: `SCIPIX_FORMAT_RGB8` (default),
    /// `SCIPIX_FORMAT_BGR8` (same tensor: the letterbox rule swaps to RGB) or
    /// `SCIPIX_FORMAT_GRAY8` (a one-channel tensor).
    pub format: ScipixPixelFormat,
    /// Largest `width * height` accepted, before any reduction (default 178956970);
    /// sides above 65500 are always refused. Checked from the header before anything is
    /// allocated.
    pub max_pixels: u64,
    /// Apply the JPEG's Exif orientation (cv2's default); default false (Pillow's).
    pub apply_exif_orientation: bool,
    /// Accept truncated JPEG data (libjpeg fills the missing blocks; the info's
    /// `truncated` is set); default false: `SCIPIX_ERR_INVALID_FILE`.
    pub accept_truncated: bool,
    /// `SCIPIX_PNG_CONVENTION_OPENCV` (default) or `SCIPIX_PNG_CONVENTION_PILLOW`.
    pub png_convention: ScipixPngConvention,
    /// Decode only the JPEG iMCU columns and rows the tensor reads (the centre crop of
    /// classification): the same bits, less work. Default true.
    pub region_decode: bool,
}

impl Default for ScipixBytesOptions {
    fn default() -> Self {
        let o = BytesOptions::default();
        ScipixBytesOptions {
            mode: SCIPIX_DECODE_EXACT,
            format: SCIPIX_FORMAT_RGB8,
            max_pixels: o.max_pixels,
            apply_exif_orientation: o.apply_exif_orientation,
            accept_truncated: o.accept_truncated,
            png_convention: SCIPIX_PNG_CONVENTION_OPENCV,
            region_decode: o.region_decode,
        }
    }
}

/// What a from-bytes pipeline did with one image. A point (x, y) of a letterbox tensor
/// maps to the full-size image as `((x - letterbox.left) / letterbox.scale_x * 8 /
/// scale_num, (y - letterbox.top) / letterbox.scale_y * 8 / scale_num)`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ScipixBytesInfo {
    /// `SCIPIX_CONTAINER_JPEG` or `SCIPIX_CONTAINER_PNG`.
    pub container: ScipixContainerFormat,
    /// Full-size width (after the Exif orientation when applied).
    pub source_width: usize,
    /// Full-size height.
    pub source_height: usize,
    /// Width of the decoded image the pipeline ran on (smaller with reduction).
    pub decoded_width: usize,
    /// Height of the decoded image.
    pub decoded_height: usize,
    /// DCT scale numerator over 8 used (8: full size).
    pub scale_num: u32,
    /// libjpeg recovered from truncated data (only with `accept_truncated`).
    pub truncated: bool,
    /// Letterbox geometry relative to the decoded image; zeros for classification.
    pub letterbox: ScipixLetterboxInfo,
}

impl From<BytesInfo> for ScipixBytesInfo {
    fn from(i: BytesInfo) -> Self {
        ScipixBytesInfo {
            container: match i.container {
                ContainerFormat::Jpeg => SCIPIX_CONTAINER_JPEG,
                ContainerFormat::Png => SCIPIX_CONTAINER_PNG,
            },
            source_width: i.source_w,
            source_height: i.source_h,
            decoded_width: i.decoded_w,
            decoded_height: i.decoded_h,
            scale_num: i.scale.num(),
            truncated: i.truncated,
            letterbox: i.geometry.map(Into::into).unwrap_or_default(),
        }
    }
}

impl ScipixBytesOptions {
    fn to_rust(self) -> Result<BytesOptions> {
        let mode = match self.mode {
            SCIPIX_DECODE_EXACT => DecodeMode::Exact,
            SCIPIX_DECODE_REDUCED => DecodeMode::Reduced,
            v => {
                return Err(Error::invalid(format!(
                    "mode: unknown decode mode {v} (SCIPIX_DECODE_EXACT or _REDUCED)"
                )))
            }
        };
        let png = match self.png_convention {
            SCIPIX_PNG_CONVENTION_OPENCV => PngConvention::OpenCv,
            SCIPIX_PNG_CONVENTION_PILLOW => PngConvention::Pillow,
            v => return Err(Error::invalid(format!("unknown PNG convention {v}"))),
        };
        Ok(BytesOptions {
            mode,
            format: pixel_format(self.format)?,
            max_pixels: self.max_pixels,
            apply_exif_orientation: self.apply_exif_orientation,
            accept_truncated: self.accept_truncated,
            png,
            region_decode: self.region_decode,
        })
    }
}

fn options(opts: *const ScipixBytesOptions) -> Result<BytesOptions> {
    // SAFETY: C callers pass NULL or a valid, aligned pointer (documented contract).
    match unsafe { opts.as_ref() } {
        None => Ok(BytesOptions::default()),
        Some(o) => o.to_rust(),
    }
}

/// Fails when the float output `[out, out + floats)` overlaps the encoded bytes.
fn ensure_disjoint(bytes: &[u8], out: (usize, usize)) -> Result<()> {
    let b0 = bytes.as_ptr() as usize;
    if spans_overlap((b0, b0 + bytes.len()), out) {
        return Err(Error::invalid(
            "the output tensor overlaps the encoded data",
        ));
    }
    Ok(())
}

/// One image into slot `batch_index` of `out`.
#[allow(clippy::too_many_arguments)]
fn run_one(
    data: *const u8,
    len: usize,
    spec: &PipelineSpec,
    opts: &BytesOptions,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
    info: *mut ScipixBytesInfo,
) -> Result<()> {
    let bytes: &[u8] = try_slice!(data, len);
    let per = bytes_tensor_len(bytes, spec, opts)?;
    let check = |span| ensure_disjoint(bytes, span);
    let ((), slot) = batch_slot(out, out_len, per, batch_index, "image", check)?;
    let i = bytes_to_tensor(bytes, spec, opts, slot)?;
    // SAFETY: NULL or a valid writable pointer (documented contract).
    if let Some(slot) = unsafe { info.as_mut() } {
        *slot = i.into();
    }
    Ok(())
}

/// `n` images into one batch tensor.
#[allow(clippy::too_many_arguments)]
fn run_batch(
    datas: *const *const u8,
    lens: *const usize,
    n: usize,
    spec: &PipelineSpec,
    opts: &BytesOptions,
    out: *mut f32,
    out_len: usize,
    infos: *mut ScipixBytesInfo,
) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid("n is 0: the batch has no images"));
    }
    let ptrs: &[*const u8] = try_slice!(datas, n);
    let lens: &[usize] = try_slice!(lens, n);
    let mut items: Vec<&[u8]> = Vec::with_capacity(n);
    for (i, (&p, &l)) in ptrs.iter().zip(lens).enumerate() {
        if l > 0 {
            check_slice(p, l, "datas[i]")
                .map_err(|e| Error::new(e.kind(), format!("image {i}: {}", e.message())))?;
        }
        // SAFETY: checked non-NULL and in size when l > 0; C callers pass `lens[i]`
        // readable bytes at `datas[i]` (documented contract).
        items.push(if l == 0 {
            &[]
        } else {
            unsafe { std::slice::from_raw_parts(p, l) }
        });
    }
    let per = bytes_tensor_len(items[0], spec, opts)
        .map_err(|e| Error::new(e.kind(), format!("image 0: {}", e.message())))?;
    let need = checked_product(&[n, per], "batch tensor elements")?;
    for b in &items {
        ensure_disjoint(b, out_byte_span(out, need.min(out_len))?)?;
    }
    let info_out: &mut [ScipixBytesInfo] = if infos.is_null() {
        &mut []
    } else {
        check_slice(infos.cast_const(), n, "infos")?;
        let (b0, b1) = (
            infos as usize,
            infos as usize + n * size_of::<ScipixBytesInfo>(),
        );
        let o0 = out as usize;
        if spans_overlap((b0, b1), (o0, o0.saturating_add(need.min(out_len) * 4))) {
            return Err(Error::invalid("infos overlaps out"));
        }
        // SAFETY: checked non-null, aligned and in size; the caller promises n entries.
        unsafe { std::slice::from_raw_parts_mut(infos, n) }
    };
    let out = out_slice(out, out_len, need)?;
    let got = bytes_batch_to_tensor(&items, spec, opts, out)?;
    for (slot, i) in info_out.iter_mut().zip(got) {
        *slot = i.into();
    }
    Ok(())
}

/// Fills `*opts` with the defaults: exact mode, RGB8, max_pixels 178956970, no Exif
/// orientation, truncated data refused, OpenCV's PNG convention, region decoding on.
/// Errors: `SCIPIX_ERR_NULL_POINTER` when `opts` is NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_bytes_options_default(opts: *mut ScipixBytesOptions) -> ScipixStatus {
    guard(|| {
        *try_out!(opts) = ScipixBytesOptions::default();
        Ok(())
    })
}

/// Decodes the JPEG or PNG `data[0..len)` and letterboxes it into an RGB tensor `/255` in
/// `layout`, as `scipix_letterbox_to_tensor` on the decoded image, writing image
/// `batch_index` of a batch tensor: the `C * H * W` floats from
/// `out + batch_index * C * H * W` (capacity `out_len` floats; C = 3, or 1 with GRAY8
/// decoding; H x W the letterbox size). Exact mode equals `cv2.imdecode(buf, IMREAD_COLOR)` + Ultralytics
/// `LetterBox` + `cv2.dnn.blobFromImage(img, 1/255.0, swapRB=True)` bit for bit; reduced
/// mode equals the same chain from `cv2.imdecode(buf, IMREAD_REDUCED_COLOR_k)` (see
/// `SCIPIX_DECODE_REDUCED`). `opts` may be NULL (defaults); `info` (may be NULL) receives
/// the sizes, the scale and the geometry for mapping boxes back.
///
/// Errors: `SCIPIX_ERR_NULL_POINTER` (data with len > 0, params, out);
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (neither JPEG nor PNG, 12-bit or lossless JPEG, decode
/// format other than RGB8/BGR8/GRAY8, unknown layout); `SCIPIX_ERR_INVALID_FILE`
/// (malformed or, unless accepted, truncated data); `SCIPIX_ERR_SIZE_OVERFLOW` (over
/// max_pixels or 65500 per side); `SCIPIX_ERR_INVALID_ARGUMENT` (bad options or
/// letterbox parameters, out overlapping data, misaligned out);
/// `SCIPIX_ERR_BUFFER_TOO_SMALL`; `SCIPIX_ERR_OUT_OF_MEMORY`; `SCIPIX_ERR_UNSUPPORTED`
/// (a JPEG in a WebAssembly build). Nothing is written to `out` when the arguments or the
/// header are refused; corrupt or truncated data is found while decoding, which runs band
/// by band alongside the resize (no full-size decoded image is kept), so the tensor rows
/// before the damage may have been written. Thread-safe; each thread keeps its band
/// buffer between calls.
#[no_mangle]
pub extern "C" fn scipix_bytes_letterbox_to_tensor(
    data: *const u8,
    len: usize,
    params: *const ScipixLetterboxParams,
    layout: ScipixTensorLayout,
    opts: *const ScipixBytesOptions,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
    info: *mut ScipixBytesInfo,
) -> ScipixStatus {
    guard(|| {
        let p = try_ref_from_ptr!(params).to_rust();
        let spec = PipelineSpec::Letterbox(p, layout_arg(layout)?);
        let o = options(opts)?;
        run_one(data, len, &spec, &o, out, out_len, batch_index, info)
    })
}

/// Decodes the JPEG or PNG `data[0..len)` and runs torchvision's classification input on
/// it, as `scipix_classify_to_tensor` on the decoded image (`mean`/`std` have C entries:
/// 3, or 1 with GRAY8 decoding), writing image `batch_index` of a batch tensor. Exact mode
/// equals Pillow `Image.open(f).convert("RGB")` + `Resize(resize_short)` + `CenterCrop` +
/// `ToTensor()` + `Normalize(mean, std)` bit for bit; reduced mode equals that chain after
/// Pillow's `img.draft("RGB", (w, h))` with (w, h) the `Resize` size at full size. With
/// `region_decode`, only the JPEG columns and rows the centre crop reads are decoded.
///
/// Errors: those of `scipix_bytes_letterbox_to_tensor` and `scipix_classify_to_tensor`.
/// Nothing is written to `out` when the arguments or the header are refused; corrupt data
/// found while decoding may leave the rows before it written (as for
/// `scipix_bytes_letterbox_to_tensor`). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_bytes_classify_to_tensor(
    data: *const u8,
    len: usize,
    params: *const ScipixClassifyParams,
    mean: *const f32,
    mean_len: usize,
    std: *const f32,
    std_len: usize,
    opts: *const ScipixBytesOptions,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
    info: *mut ScipixBytesInfo,
) -> ScipixStatus {
    guard(|| {
        let o = options(opts)?;
        let ch = tensor_channels(o.format);
        let spec = classify_spec(params, ch, mean, mean_len, std, std_len)?;
        run_one(data, len, &spec, &o, out, out_len, batch_index, info)
    })
}

/// `scipix_bytes_letterbox_to_tensor` for `n` encoded images (`datas[i]`, `lens[i]`
/// bytes; JPEG or PNG, any sizes): image `i` fills floats `[i * C * H * W, (i + 1) * C *
/// H * W)` of `out`. Images are decoded and converted in parallel on scipix's pool, one
/// image per task; the bits do not depend on the thread count. `infos` (may be NULL)
/// receives `n` entries. Every header is read and checked before anything is decoded or
/// written (with auto_pad, all images must give the same letterbox size).
///
/// Errors: those of `scipix_bytes_letterbox_to_tensor` (messages name the image index),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (n = 0, differing tensor sizes). Nothing is written on a
/// refused header or argument; if an image's data turns out corrupt during its decode
/// (`SCIPIX_ERR_INVALID_FILE`, naming the lowest such index), the slots of other images,
/// and the rows of that image's slot before the damage, may have been written.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_bytes_letterbox_batch_to_tensor(
    datas: *const *const u8,
    lens: *const usize,
    n: usize,
    params: *const ScipixLetterboxParams,
    layout: ScipixTensorLayout,
    opts: *const ScipixBytesOptions,
    out: *mut f32,
    out_len: usize,
    infos: *mut ScipixBytesInfo,
) -> ScipixStatus {
    guard(|| {
        let p = try_ref_from_ptr!(params).to_rust();
        let spec = PipelineSpec::Letterbox(p, layout_arg(layout)?);
        let o = options(opts)?;
        run_batch(datas, lens, n, &spec, &o, out, out_len, infos)
    })
}

/// `scipix_bytes_classify_to_tensor` for `n` encoded images of any sizes (batch layout,
/// parallelism and failure rules as in `scipix_bytes_letterbox_batch_to_tensor`).
///
/// Errors: those of `scipix_bytes_classify_to_tensor`, plus n = 0. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_bytes_classify_batch_to_tensor(
    datas: *const *const u8,
    lens: *const usize,
    n: usize,
    params: *const ScipixClassifyParams,
    mean: *const f32,
    mean_len: usize,
    std: *const f32,
    std_len: usize,
    opts: *const ScipixBytesOptions,
    out: *mut f32,
    out_len: usize,
    infos: *mut ScipixBytesInfo,
) -> ScipixStatus {
    guard(|| {
        let o = options(opts)?;
        let ch = tensor_channels(o.format);
        let spec = classify_spec(params, ch, mean, mean_len, std, std_len)?;
        run_batch(datas, lens, n, &spec, &o, out, out_len, infos)
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
