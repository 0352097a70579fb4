//! From encoded bytes to a model tensor in one call: decode (JPEG or PNG), then a fused
//! [`Pipeline`] (letterbox, classification or any resize) into an f32 tensor, for one
//! image or a batch of images of any sizes.
//!
//! ```
//! # #[cfg(not(target_arch = "wasm32"))]
//! # fn demo(jpeg: &[u8]) -> scipix::Result<()> {
//! use scipix::codec::to_tensor::{bytes_to_tensor, BytesOptions, DecodeMode};
//! use scipix::image::resize::LetterboxOptions;
//! use scipix::tensor::{Layout, PipelineSpec};
//!
//! let spec = PipelineSpec::Letterbox(LetterboxOptions::default(), Layout::Nchw);
//! let mut tensor = vec![0f32; 3 * 640 * 640];
//! let opts = BytesOptions { mode: DecodeMode::Reduced, ..Default::default() };
//! let info = bytes_to_tensor(jpeg, &spec, &opts, &mut tensor)?;
//! // A box found in the tensor, mapped back to the original image's pixels:
//! let (x, y) = info.to_source(320.0, 320.0).expect("a letterbox pipeline maps points");
//! # let _ = (x, y);
//! # Ok(())
//! # }
//! ```
//!
//! # Rules
//!
//! - [`DecodeMode::Exact`]: the image is decoded at full size, bit for bit as
//!   [`super::jpeg::decode_jpeg_into`] / [`super::png::decode_png_into`] (so as `cv2.imdecode`
//!   and Pillow), then the pipeline runs on it: the tensor equals the peer chain, e.g.
//!   `cv2.imdecode` + Ultralytics `LetterBox` + `cv2.dnn.blobFromImage(..., 1/255,
//!   swapRB=True)`, or Pillow `Image.open().convert("RGB")` + torchvision `Resize`,
//!   `CenterCrop`, `ToTensor`, `Normalize`.
//! - [`DecodeMode::Reduced`] (JPEG only; PNG decodes as in exact mode): libjpeg's DCT
//!   scaling by 1/8, 1/4 or 1/2 first, the largest reduction `k` in {8, 4, 2} (else 1) with
//!   `W >= k * tw` and `H >= k * th`, where `W x H` is the image (after the Exif orientation
//!   when applied) and `tw x th` the size the pipeline resizes it to at full size (letterbox:
//!   the resized part; classification: torchvision's `Resize` size; generic: the output
//!   size). That is Pillow's `draft("RGB", (tw, th))` choice, and the decode equals
//!   `cv2.IMREAD_REDUCED_COLOR_k` / `draft()`; the pipeline then runs on the reduced image,
//!   so the tensor equals the peer chain started from that reduced decode. The guide states
//!   how far this is from exact mode on real photos.
//! - Band by band: an upright (or orientation-ignored), non-CMYK JPEG and a non-interlaced
//!   PNG are decoded row by row straight into the pipeline, which keeps only the band of
//!   rows the current tensor rows read (a few dozen rows, in a per-thread buffer kept
//!   between calls): no full-size decoded image is ever written. JPEG rows above the first
//!   row read are skipped (`jpeg_skip_scanlines`, less one iMCU of margin that is decoded
//!   so the first row's chroma upsampling is the full decode's); rows below the last one
//!   read are entropy-decoded (skipped, not output), so corrupt data is found wherever it
//!   lies. Exif-rotated
//!   and CMYK JPEGs and Adam7 PNGs are decoded whole into the per-thread buffer first.
//! - Region decoding ([`BytesOptions::region_decode`], on by default): when the tensor uses
//!   only part of the image (the centre crop of classification), only the JPEG's iMCU
//!   columns (and, decoding whole, rows) that part reads
//!   ([`crate::image::resize::Resizer::src_rect`] plus a margin) are decoded. The tensor is
//!   bit-identical either way; it is only faster.
//! - Limits and errors: those of the decoders ([`BytesOptions::max_pixels`], truncated data
//!   refused unless [`BytesOptions::accept_truncated`]) and of [`Pipeline::new`]. Nothing is
//!   written to the tensor when the header or the arguments are refused. Corrupt or
//!   truncated entropy-coded data is found only while decoding, which now runs alongside
//!   the pipeline: the call fails and the tensor rows before the damage may be written.

use super::png::{decode_png_into, PngConvention, PngOptions, PngRows};
use super::probe::probe;
use super::{check_size, ContainerFormat, DecodeOptions, ImageInfo, JpegScale, DEFAULT_MAX_PIXELS};
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::image::resize::{letterbox_geometry, LetterboxGeometry};
use crate::image::{ImageView, ImageViewMut, PixelFormat};
use crate::parallel;
use crate::tensor::source_buffer::with_source_buffer;
use crate::tensor::RowSource;
use crate::tensor::{tensor_channels, torchvision_resize_size, Pipeline, PipelineSpec};
use rayon::prelude::*;

/// How [`bytes_to_tensor`] decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecodeMode {
    /// Full-size decode: the tensor equals the peer chain bit for bit.
    #[default]
    Exact,
    /// JPEG DCT-domain reduction first (see the module rules): several times faster on
    /// large photos, equal to the peer chain started from `IMREAD_REDUCED_*` / `draft()`.
    Reduced,
}

/// Options of [`bytes_to_tensor`] and [`bytes_batch_to_tensor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BytesOptions {
    /// Exact or reduced decode. Default exact.
    pub mode: DecodeMode,
    /// The decoded pixel format the pipeline starts from: [`PixelFormat::Rgb8`] (default),
    /// [`PixelFormat::Bgr8`] (the letterbox rule swaps it to RGB, as `blobFromImage`
    /// with `swapRB`, so the tensor is the same) or [`PixelFormat::Gray8`] (one channel).
    pub format: PixelFormat,
    /// Largest `width * height` accepted (before any reduction). Default
    /// [`DEFAULT_MAX_PIXELS`].
    pub max_pixels: u64,
    /// Apply the JPEG's Exif orientation (cv2's default). Default false (Pillow's).
    pub apply_exif_orientation: bool,
    /// Accept truncated JPEG data (libjpeg fills what is missing; a fatal error after a
    /// warning counts as truncation too, the rows it leaves undecoded read as zeros).
    /// Default false.
    pub accept_truncated: bool,
    /// Whose PNG conversion rules to follow. Default OpenCV's.
    pub png: PngConvention,
    /// Decode only the JPEG region the tensor reads (same bits, less work). Default true.
    pub region_decode: bool,
}

impl Default for BytesOptions {
    fn default() -> Self {
        BytesOptions {
            mode: DecodeMode::Exact,
            format: PixelFormat::Rgb8,
            max_pixels: DEFAULT_MAX_PIXELS,
            apply_exif_orientation: false,
            accept_truncated: false,
            png: PngConvention::OpenCv,
            region_decode: true,
        }
    }
}

/// What [`bytes_to_tensor`] did with one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BytesInfo {
    /// JPEG or PNG.
    pub container: ContainerFormat,
    /// Image width at full size (after the Exif orientation when applied).
    pub source_w: usize,
    /// Image height at full size.
    pub source_h: usize,
    /// Width of the decoded image the pipeline ran on (smaller in reduced mode).
    pub decoded_w: usize,
    /// Height of the decoded image.
    pub decoded_h: usize,
    /// The DCT scale used (`num / 8`; full size for PNG and exact mode).
    pub scale: JpegScale,
    /// The letterbox geometry, relative to the decoded image (letterbox pipelines only).
    pub geometry: Option<LetterboxGeometry>,
    /// libjpeg recovered from truncated data (only with `accept_truncated`).
    pub truncated: bool,
}

impl BytesInfo {
    /// Maps a point of a letterbox tensor back to the full-size image: the letterbox
    /// mapping onto the decoded image, times `8 / num` (a reduced pixel `i` covers source
    /// pixels `[i * 8 / num, (i + 1) * 8 / num)`). `None` for other pipelines.
    pub fn to_source(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let (dx, dy) = self.geometry?.to_source(x, y);
        let f = 8.0 / self.scale.num() as f64;
        Some((dx * f, dy * f))
    }
}

/// Checked and planned: what to decode and which pipeline to run.
struct Plan {
    info: ImageInfo,
    decode: DecodeOptions,
    oriented: (usize, usize),
    decoded: (usize, usize),
}

fn check_format(f: PixelFormat) -> Result<()> {
    match f {
        PixelFormat::Rgb8 | PixelFormat::Bgr8 | PixelFormat::Gray8 => Ok(()),
        other => Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!(
                "from-bytes pipelines decode to RGB8, BGR8 or GRAY8, not {}",
                other.name()
            ),
        )),
    }
}

/// The size the pipeline resizes a `w` x `h` image to (the decode-reduction target).
fn resize_target(spec: &PipelineSpec, w: usize, h: usize) -> Result<(usize, usize)> {
    Ok(match spec {
        PipelineSpec::Letterbox(o, _) => {
            let g = letterbox_geometry(w, h, o)?;
            (g.resized_w, g.resized_h)
        }
        PipelineSpec::Classify(o) => torchvision_resize_size(w, h, o.resize_short)?,
        PipelineSpec::Generic { width, height, .. } => (*width, *height),
    })
}

fn plan(bytes: &[u8], spec: &PipelineSpec, opts: &BytesOptions) -> Result<Plan> {
    check_format(opts.format)?;
    let info = probe(bytes)?;
    let what = match info.format {
        ContainerFormat::Jpeg => "JPEG",
        ContainerFormat::Png => "PNG",
    };
    check_size(what, info.width, info.height, opts.max_pixels)?;
    let swap = info.format == ContainerFormat::Jpeg
        && opts.apply_exif_orientation
        && info.exif_orientation >= 5;
    let (w, h) = (info.width as usize, info.height as usize);
    let oriented = if swap { (h, w) } else { (w, h) };
    let mut scale = JpegScale::FULL;
    if info.format == ContainerFormat::Jpeg && opts.mode == DecodeMode::Reduced {
        let (tw, th) = resize_target(spec, oriented.0, oriented.1)?;
        if let Some(k) = [8, 4, 2]
            .into_iter()
            .find(|&k| oriented.0 >= k * tw && oriented.1 >= k * th)
        {
            scale = JpegScale::new(8 / k as u32)?;
        }
    }
    let decoded = (
        scale.apply(oriented.0 as u32) as usize,
        scale.apply(oriented.1 as u32) as usize,
    );
    let decode = DecodeOptions {
        max_pixels: opts.max_pixels,
        scale,
        apply_exif_orientation: opts.apply_exif_orientation,
        accept_truncated: opts.accept_truncated,
    };
    Ok(Plan {
        info,
        decode,
        oriented,
        decoded,
    })
}

/// The tensor length (floats) of `spec` on a `w` x `h` decoded image, without building
/// the resize tables.
fn tensor_len_for(spec: &PipelineSpec, format: PixelFormat, w: usize, h: usize) -> Result<usize> {
    let (tw, th) = match spec {
        PipelineSpec::Letterbox(o, _) => {
            let g = letterbox_geometry(w, h, o)?;
            (g.out_w, g.out_h)
        }
        PipelineSpec::Classify(o) => (o.crop_w, o.crop_h),
        PipelineSpec::Generic { width, height, .. } => (*width, *height),
    };
    checked_product(&[tensor_channels(format), th, tw], "tensor elements")
}

/// The source rectangle `(x0, y0, x1, y1)` the tensor of `pipe` reads from a `dw` x `dh`
/// image, when it is smaller than the image.
#[cfg(not(target_arch = "wasm32"))]
fn read_rect(pipe: &Pipeline, dw: usize, dh: usize) -> Option<(usize, usize, usize, usize)> {
    let r = pipe.window();
    let (rw, rh) = pipe.resizer().dst_size();
    // The part of the resized image inside the tensor window (the rest is padding).
    let x = r.left.max(0) as usize;
    let y = r.top.max(0) as usize;
    let x_end = (r.left + r.width as i64).clamp(0, rw as i64) as usize;
    let y_end = (r.top + r.height as i64).clamp(0, rh as i64) as usize;
    if x >= x_end || y >= y_end {
        return None;
    }
    let (x0, y0, x1, y1) = pipe.resizer().src_rect(x, y, x_end - x, y_end - y);
    (x1 > x0 && y1 > y0 && (x1 - x0) * (y1 - y0) < dw * dh).then_some((x0, y0, x1, y1))
}

/// Decodes per `plan` into `dst` (the decoded size), only the part `pipe` reads when the
/// options allow it.
fn decode(
    bytes: &[u8],
    plan: &Plan,
    pipe: &Pipeline,
    opts: &BytesOptions,
    dst: &mut ImageViewMut,
) -> Result<bool> {
    match plan.info.format {
        ContainerFormat::Png => {
            let o = PngOptions {
                max_pixels: opts.max_pixels,
                convention: opts.png,
            };
            decode_png_into(bytes, dst, &o).map(|()| false)
        }
        ContainerFormat::Jpeg => decode_jpeg(bytes, plan, pipe, opts, dst),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn decode_jpeg(
    bytes: &[u8],
    plan: &Plan,
    pipe: &Pipeline,
    opts: &BytesOptions,
    dst: &mut ImageViewMut,
) -> Result<bool> {
    use super::jpeg::{decode_jpeg_window_into, Region};
    let (dw, dh) = plan.decoded;
    let want = opts
        .region_decode
        .then(|| read_rect(pipe, dw, dh))
        .flatten()
        .map(|(x0, y0, x1, y1)| Region {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        });
    decode_jpeg_window_into(bytes, dst, &plan.decode, want).map(|o| o.truncated)
}

#[cfg(target_arch = "wasm32")]
fn decode_jpeg(
    _: &[u8],
    _: &Plan,
    _: &Pipeline,
    _: &BytesOptions,
    _: &mut ImageViewMut,
) -> Result<bool> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "JPEG decoding is not available in WebAssembly builds",
    ))
}

/// Whether `plan` decodes row by row into the pipeline ([`stream_jpeg`], [`stream_png`]):
/// an upright (or orientation-ignored), non-CMYK JPEG, or a non-interlaced PNG.
fn streams(plan: &Plan) -> bool {
    match plan.info.format {
        ContainerFormat::Jpeg => {
            cfg!(not(target_arch = "wasm32"))
                && plan.info.channels != 4
                && (!plan.decode.apply_exif_orientation || plan.info.exif_orientation <= 1)
        }
        ContainerFormat::Png => !plan.info.progressive_or_interlaced,
    }
}

/// Decodes the non-interlaced PNG row by row straight into `pipe`, which holds only the
/// rows of the current band; rows the tensor does not read are decoded and discarded
/// (PNG rows depend on the ones above), so corrupt data is found wherever it is.
fn stream_png(
    bytes: &[u8],
    plan: &Plan,
    pipe: &Pipeline,
    opts: &BytesOptions,
    out: &mut [f32],
) -> Result<()> {
    struct Rows<'d, 'a>(&'d mut PngRows<'a>);
    impl RowSource for Rows<'_, '_> {
        fn produce(&mut self, first: usize, band: &mut ImageViewMut) -> Result<()> {
            self.0.skip_to(first)?;
            self.0.read(band)
        }
    }
    let o = PngOptions {
        max_pixels: opts.max_pixels,
        convention: opts.png,
    };
    let mut rows = PngRows::start(bytes, opts.format, &o)?;
    if rows.size() != plan.decoded {
        return Err(Error::new(
            ErrorKind::InvalidFile,
            "PNG header read twice gave different answers",
        ));
    }
    pipe.run_streamed(out, &mut Rows(&mut rows))?;
    rows.finish()
}

/// Decodes the JPEG row by row straight into `pipe`, which holds only the rows of the
/// current band: the rows above the first one the tensor reads are skipped (less a
/// margin of one iMCU, at least 8 rows, decoded so that the chroma upsampling of the
/// first row read is the full decode's), and with region decoding only the iMCU columns
/// the tensor reads (plus the same margin) are decoded. The rows below the last one read
/// are entropy-decoded (`Scanlines::finish`), so corrupt or truncated data is found
/// wherever it is.
#[cfg(not(target_arch = "wasm32"))]
fn stream_jpeg(
    bytes: &[u8],
    plan: &Plan,
    pipe: &Pipeline,
    opts: &BytesOptions,
    out: &mut [f32],
) -> Result<bool> {
    use super::scanlines::Scanlines;
    use super::turbo::Limits;

    struct Rows<'d, 'a> {
        dec: &'d mut Scanlines<'a>,
        margin: usize,
    }
    impl RowSource for Rows<'_, '_> {
        fn produce(&mut self, first: usize, band: &mut ImageViewMut) -> Result<()> {
            if first > self.dec.next_row() {
                self.dec.skip_to(first.saturating_sub(self.margin))?;
                self.dec.discard_to(first)?;
            }
            self.dec.read(band)
        }
    }

    let limits = Limits {
        max_pixels: opts.max_pixels,
        max_scans: super::MAX_SCANS,
        stop_on_warning: !opts.accept_truncated,
    };
    let mut dec = Scanlines::start(bytes, plan.decode.scale.num(), opts.format, limits)?;
    let (dw, dh) = plan.decoded;
    if dec.size() != (dw, dh) {
        return Err(Error::new(
            ErrorKind::InvalidFile,
            format!(
                "JPEG decode: libjpeg reads a {}x{} image where the header says {dw}x{dh}",
                dec.size().0,
                dec.size().1
            ),
        ));
    }
    let (mw, mh) = dec.imcu();
    let (mx, my) = (mw.max(8).next_multiple_of(mw.max(1)), mh.max(8));
    let rect = read_rect(pipe, dw, dh);
    if let (true, Some((x0, _, x1, _))) = (opts.region_decode, rect) {
        let (a, b) = (x0.saturating_sub(mx), (x1 + mx).min(dw));
        if b - a < dw {
            dec.crop(a, b - a)?;
        }
    }
    let margin = if opts.region_decode { my } else { dh };
    pipe.run_streamed(
        out,
        &mut Rows {
            dec: &mut dec,
            margin,
        },
    )?;
    dec.finish()
}

#[cfg(target_arch = "wasm32")]
fn stream_jpeg(_: &[u8], _: &Plan, _: &Pipeline, _: &BytesOptions, _: &mut [f32]) -> Result<bool> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "JPEG decoding is not available in WebAssembly builds",
    ))
}

/// Decodes and runs one planned image into `out` (exactly its tensor length).
fn run_planned(
    bytes: &[u8],
    plan: &Plan,
    spec: &PipelineSpec,
    opts: &BytesOptions,
    out: &mut [f32],
    allow_split: bool,
) -> Result<BytesInfo> {
    let (dw, dh) = plan.decoded;
    let pipe = Pipeline::cached(dw, dh, opts.format, spec)?;
    let need = pipe.tensor_len()?;
    if out.len() != need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {} floats, the tensor needs {need}", out.len()),
        ));
    }
    let bytes_len = checked_product(
        &[dw, dh, opts.format.bytes_per_pixel()],
        "decoded image bytes",
    )?;
    let truncated = if !streams(plan) {
        with_source_buffer(bytes_len, |buf| {
            let truncated = {
                let mut dst = ImageViewMut::packed(buf, dw, dh, opts.format)?;
                decode(bytes, plan, &pipe, opts, &mut dst)?
            };
            let src = ImageView::packed(buf, dw, dh, opts.format)?;
            pipe.run_unchecked(&src, out, allow_split);
            Ok(truncated)
        })?
    } else if plan.info.format == ContainerFormat::Png {
        stream_png(bytes, plan, &pipe, opts, out)?;
        false
    } else {
        stream_jpeg(bytes, plan, &pipe, opts, out)?
    };
    Ok(BytesInfo {
        container: plan.info.format,
        source_w: plan.oriented.0,
        source_h: plan.oriented.1,
        decoded_w: dw,
        decoded_h: dh,
        scale: plan.decode.scale,
        geometry: pipe.geometry(),
        truncated,
    })
}

/// The tensor length (floats) [`bytes_to_tensor`] writes for `bytes` with `spec` and
/// `opts`, from the header alone.
pub fn bytes_tensor_len(bytes: &[u8], spec: &PipelineSpec, opts: &BytesOptions) -> Result<usize> {
    let p = plan(bytes, spec, opts)?;
    tensor_len_for(spec, opts.format, p.decoded.0, p.decoded.1)
}

/// Decodes the JPEG or PNG `bytes` and runs `spec` on it into `out[..len]`, where `len` is
/// [`bytes_tensor_len`] (see the module rules). A streamed decode runs on the calling
/// thread (decoding is sequential); an image decoded whole has the pipeline's rows split
/// across scipix's pool for large tensors. The bits do not depend on the thread count.
///
/// Errors: those of the probe, the decoders and [`Pipeline::new`]; `UnsupportedFormat` for
/// a decode format other than RGB8/BGR8/GRAY8; `BufferTooSmall` for a short `out`.
pub fn bytes_to_tensor(
    bytes: &[u8],
    spec: &PipelineSpec,
    opts: &BytesOptions,
    out: &mut [f32],
) -> Result<BytesInfo> {
    let p = plan(bytes, spec, opts)?;
    let need = tensor_len_for(spec, opts.format, p.decoded.0, p.decoded.1)?;
    if out.len() < need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {} floats, the tensor needs {need}", out.len()),
        ));
    }
    run_planned(bytes, &p, spec, opts, &mut out[..need], true)
}

/// Work (decoded bytes) above which a batch runs its images in parallel: one 64 KB image
/// decodes and converts in tens of microseconds, well above the pool's dispatch cost.
const BATCH_SPLIT_BYTES: usize = 1 << 16;

/// [`bytes_to_tensor`] for `items` (JPEG or PNG, any sizes): image `i` fills floats
/// `[i * per, (i + 1) * per)` of `out`, where `per` is the common tensor length. Images are
/// decoded and converted in parallel on scipix's pool, one image per task; the bits do
/// not depend on the thread count. Every header is read and checked, and every image must
/// give the same tensor length, before anything is decoded or written. If an image's data
/// turns out corrupt during its decode, the error names it (the lowest such index) and
/// other images' slots may have been written.
pub fn bytes_batch_to_tensor(
    items: &[&[u8]],
    spec: &PipelineSpec,
    opts: &BytesOptions,
    out: &mut [f32],
) -> Result<Vec<BytesInfo>> {
    if items.is_empty() {
        return Err(Error::invalid("the batch has no images"));
    }
    let name = |i: usize, e: Error| Error::new(e.kind(), format!("image {i}: {}", e.message()));
    let mut plans = Vec::with_capacity(items.len());
    let mut per = 0;
    let mut work = 0usize;
    for (i, b) in items.iter().enumerate() {
        let p = plan(b, spec, opts).map_err(|e| name(i, e))?;
        let len =
            tensor_len_for(spec, opts.format, p.decoded.0, p.decoded.1).map_err(|e| name(i, e))?;
        if i == 0 {
            per = len;
        } else if len != per {
            return Err(Error::invalid(format!(
                "image {i} gives a tensor of {len} floats, image 0 one of {per}"
            )));
        }
        work = work.saturating_add(p.decoded.0 * p.decoded.1 * opts.format.bytes_per_pixel());
        plans.push(p);
    }
    let need = checked_product(&[items.len(), per], "batch tensor elements")?;
    if out.len() < need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {} floats, the batch needs {need}", out.len()),
        ));
    }
    let tasks: Vec<_> = items
        .iter()
        .zip(&plans)
        .zip(out[..need].chunks_mut(per))
        .collect();
    let results: Vec<Result<BytesInfo>> =
        if items.len() > 1 && parallel::should_split(work, BATCH_SPLIT_BYTES) {
            parallel::install(|| {
                tasks
                    .into_par_iter()
                    .with_max_len(1)
                    .map(|((b, p), o)| run_planned(b, p, spec, opts, o, false))
                    .collect()
            })
        } else {
            tasks
                .into_iter()
                .map(|((b, p), o)| run_planned(b, p, spec, opts, o, true))
                .collect()
        };
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| name(i, e)))
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
