//! Fused model-input pipelines: resize, crop or pad, and image-to-tensor in one pass over
//! the source, with no full-size intermediate image.
//!
//! A [`Pipeline`] resizes the source to an intermediate size, takes a window of that
//! (possibly reaching outside it, which is padding) and converts it with a
//! [`TensorParams`] rule into an f32 tensor. It works band by band: a few destination rows
//! are resized into a small per-thread buffer ([`Resizer::resize_window`]'s contract: a
//! window equals the same window of the full resize), converted into the tensor with the
//! image-to-tensor row kernels, then the next band. The bits are therefore exactly those
//! of the unfused chain (resize, crop/pad, image-to-tensor), for every thread count.
//!
//! Three presets:
//! * [`PipelineSpec::Letterbox`]: Ultralytics `LetterBox` (cv2 `INTER_LINEAR`, pad colour)
//!   then `cv2.dnn.blobFromImage(letterboxed, 1/255, swapRB)` giving RGB: the rule
//!   `out = (x - 0) * (float)(1/255)` (blobFromImage's order; bit-exact).
//! * [`PipelineSpec::Classify`]: torchvision `Resize(S)` on a PIL image (Pillow `BILINEAR`,
//!   shorter side to `S`, longer side `int(S * long / short)`), `CenterCrop`, `ToTensor()`,
//!   `Normalize(mean, std)`: per element in float32, `(x / 255 - mean[c]) / std[c]`
//!   (division, subtraction, division, each rounded to nearest) — the same as
//!   `((img.astype(np.float32) / np.float32(255)) - mean_f32) / std_f32`.
//! * [`PipelineSpec::Generic`]: any [`Filter`] to any size, then any [`TensorParams`].

use super::image_to_tensor::RowConverter;
use super::{tensor_channels, Layout, TensorParams};
use crate::cpu::{self, Isa};
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::image::resize::{
    center_crop_rect, letterbox_geometry, src_rows::SrcRows, with_scratch, CropRect, Filter,
    LetterboxGeometry, LetterboxOptions, Resizer, MAX_SIDE,
};
use crate::image::{ImageView, ImageViewMut, PixelFormat};
use crate::parallel;
use rayon::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// torchvision-style classification input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassifyOptions {
    /// `Resize(resize_short)`: the shorter side becomes this (e.g. 256).
    pub resize_short: usize,
    /// `CenterCrop((crop_h, crop_w))` width (e.g. 224).
    pub crop_w: usize,
    /// Crop height.
    pub crop_h: usize,
    /// `Normalize` mean per RGB channel (gray uses `mean[0]`).
    pub mean: [f32; 3],
    /// `Normalize` std per RGB channel; finite and non-zero.
    pub std: [f32; 3],
    /// Tensor layout.
    pub layout: Layout,
}

/// What a [`Pipeline`] computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PipelineSpec {
    /// Letterbox then RGB, `/255` (blobFromImage rule), in `layout`.
    Letterbox(LetterboxOptions, Layout),
    /// Shorter-side resize, centre crop, ToTensor + Normalize.
    Classify(ClassifyOptions),
    /// `filter` to `width` x `height`, then `params`.
    Generic {
        /// Resize filter.
        filter: Filter,
        /// Tensor width.
        width: usize,
        /// Tensor height.
        height: usize,
        /// Conversion rule and layout.
        params: TensorParams,
    },
}

/// torchvision's output size of `Resize(size)` (an int) for a `w` x `h` image:
/// the shorter side becomes `size`, the longer `int(size * long / short)` (Python true
/// division, truncated). Fails when a side would be 0 or above [`MAX_SIDE`].
pub fn torchvision_resize_size(w: usize, h: usize, size: usize) -> Result<(usize, usize)> {
    if w == 0 || h == 0 || size == 0 || size > MAX_SIDE {
        return Err(Error::invalid(format!(
            "resize_short {size} of a {w}x{h} image: sizes must be 1..={MAX_SIDE}"
        )));
    }
    let (short, long) = if w <= h { (w, h) } else { (h, w) };
    // size * long is exact in f64 (both <= 2^16 here after the checks above).
    let new_long = ((size as f64 * long as f64) / short as f64) as usize;
    if new_long == 0 || new_long > MAX_SIDE {
        return Err(Error::invalid(format!(
            "resizing the {w}x{h} image's shorter side to {size} makes the longer side \
             {new_long}, outside 1..={MAX_SIDE}"
        )));
    }
    Ok(if w <= h {
        (size, new_long)
    } else {
        (new_long, size)
    })
}

/// Pipelines kept per thread by [`Pipeline::cached`], most recently used first.
pub const PIPELINE_CACHE: usize = 4;

type PipelineKey = (usize, usize, PixelFormat, PipelineSpec);

thread_local! {
    static PIPELINES: RefCell<Vec<(PipelineKey, Rc<Pipeline>)>> = const { RefCell::new(Vec::new()) };
}

/// A fused pipeline for one source size and format; immutable, so one may serve many
/// threads at once (the scratch memory is per thread).
#[derive(Debug)]
pub struct Pipeline {
    resizer: Resizer,
    rect: CropRect,
    pad: [u8; 4],
    params: TensorParams,
    geometry: Option<LetterboxGeometry>,
}

fn rgb_params(format: PixelFormat, layout: Layout) -> TensorParams {
    TensorParams {
        swap_rb: matches!(format, PixelFormat::Bgr8 | PixelFormat::Bgra8),
        layout,
        ..TensorParams::default()
    }
}

impl Pipeline {
    /// Builds the pipeline (resize tables, window, rule) for `src_w` x `src_h` `format`
    /// sources. Fails on zero or too large sizes, an intermediate size outside the limits,
    /// invalid parameters, or a filter the format does not support.
    pub fn new(
        src_w: usize,
        src_h: usize,
        format: PixelFormat,
        spec: &PipelineSpec,
    ) -> Result<Self> {
        let ch = tensor_channels(format);
        match *spec {
            PipelineSpec::Letterbox(o, layout) => {
                let g = letterbox_geometry(src_w, src_h, &o)?;
                let params = TensorParams {
                    scale: (1.0f64 / 255.0) as f32,
                    ..rgb_params(format, layout)
                };
                let resizer = Resizer::new(
                    src_w,
                    src_h,
                    g.resized_w,
                    g.resized_h,
                    format,
                    Filter::CvLinear,
                )?;
                Ok(Pipeline {
                    resizer,
                    rect: CropRect {
                        left: -(g.left as i64),
                        top: -(g.top as i64),
                        width: g.out_w,
                        height: g.out_h,
                    },
                    pad: o.color,
                    params,
                    geometry: Some(g),
                })
            }
            PipelineSpec::Classify(o) => {
                let (rw, rh) = torchvision_resize_size(src_w, src_h, o.resize_short)?;
                let rect = center_crop_rect(rw, rh, o.crop_w, o.crop_h)?;
                let mut params = TensorParams {
                    divisor: 255.0,
                    ..rgb_params(format, o.layout)
                };
                params.mean[..3].copy_from_slice(&o.mean);
                params.std[..3].copy_from_slice(&o.std);
                params.validate(ch)?;
                let resizer = Resizer::new(src_w, src_h, rw, rh, format, Filter::PilBilinear)?;
                Ok(Pipeline {
                    resizer,
                    rect,
                    pad: [0; 4],
                    params,
                    geometry: None,
                })
            }
            PipelineSpec::Generic {
                filter,
                width,
                height,
                params,
            } => {
                params.validate(ch)?;
                let resizer = Resizer::new(src_w, src_h, width, height, format, filter)?;
                Ok(Pipeline {
                    resizer,
                    rect: CropRect {
                        left: 0,
                        top: 0,
                        width,
                        height,
                    },
                    pad: [0; 4],
                    params,
                    geometry: None,
                })
            }
        }
    }

    /// The pipeline for (`src_w`, `src_h`, `format`, `spec`) from this thread's cache of the
    /// [`PIPELINE_CACHE`] most recently used ones, built (as [`Pipeline::new`], with its
    /// errors) and cached on a miss. Pipelines are immutable, so a cached one gives the same
    /// bits as a fresh one; this is what the one-shot C functions use, so a stream of
    /// same-size frames builds the resize tables once per thread.
    pub fn cached(
        src_w: usize,
        src_h: usize,
        format: PixelFormat,
        spec: &PipelineSpec,
    ) -> Result<Rc<Pipeline>> {
        let key = (src_w, src_h, format, *spec);
        let found = PIPELINES.with(|c| {
            let mut c = c.try_borrow_mut().ok()?;
            let i = c.iter().position(|(k, _)| *k == key)?;
            let e = c.remove(i);
            let p = e.1.clone();
            c.insert(0, e);
            Some(p)
        });
        if let Some(p) = found {
            return Ok(p);
        }
        let p = Rc::new(Pipeline::new(src_w, src_h, format, spec)?);
        PIPELINES.with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                c.insert(0, (key, p.clone()));
                c.truncate(PIPELINE_CACHE);
            }
        });
        Ok(p)
    }

    /// The letterbox geometry (scale and pads), for [`PipelineSpec::Letterbox`].
    pub fn geometry(&self) -> Option<LetterboxGeometry> {
        self.geometry
    }

    /// The window of the resized image the tensor covers (negative offsets and sizes past
    /// the resized image are padding).
    pub fn window(&self) -> CropRect {
        self.rect
    }

    /// The resizer inside (its destination is the intermediate size).
    pub fn resizer(&self) -> &Resizer {
        &self.resizer
    }

    /// Tensor (width, height).
    pub fn tensor_size(&self) -> (usize, usize) {
        (self.rect.width, self.rect.height)
    }

    /// The conversion rule applied after the resize.
    pub fn params(&self) -> &TensorParams {
        &self.params
    }

    /// Floats of one image's tensor: `C * height * width`.
    pub fn tensor_len(&self) -> Result<usize> {
        checked_product(
            &[
                tensor_channels(self.resizer.format()),
                self.rect.height,
                self.rect.width,
            ],
            "tensor elements (channels x height x width)",
        )
    }

    fn check_src(&self, src: &ImageView) -> Result<()> {
        if src.format() != self.resizer.format() {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!(
                    "source is {}, the pipeline was built for {}",
                    src.format().name(),
                    self.resizer.format().name()
                ),
            ));
        }
        if (src.width(), src.height()) != self.resizer.src_size() {
            let (w, h) = self.resizer.src_size();
            return Err(Error::invalid(format!(
                "source is {}x{}, the pipeline was built for {w}x{h}",
                src.width(),
                src.height()
            )));
        }
        Ok(())
    }

    /// Writes the tensor of `src` into `out[..tensor_len]`; rows are split across scipix's
    /// pool for large tensors (identical bits for every thread count). Fails, writing
    /// nothing, on a source of another size or format, or a short `out`.
    pub fn run(&self, src: &ImageView, out: &mut [f32]) -> Result<()> {
        self.check_src(src)?;
        let need = self.tensor_len()?;
        if out.len() < need {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("output holds {} floats, the tensor needs {need}", out.len()),
            ));
        }
        self.run_unchecked(src, &mut out[..need], true);
        Ok(())
    }

    /// [`Pipeline::run`] without its checks (the caller's: `src` has the pipeline's size
    /// and format, `out` is exactly [`Pipeline::tensor_len`] long); `allow_split` lets it
    /// split rows across the pool.
    pub(crate) fn run_unchecked(&self, src: &ImageView, out: &mut [f32], allow_split: bool) {
        let isa = cpu::kernel_isa();
        let conv = RowConverter::new(src.format(), &self.params, isa);
        let bpp = src.format().bytes_per_pixel();
        let padv = conv.pixel_values(&self.pad[..bpp]);
        let (w, h) = (self.rect.width, self.rect.height);
        let ch = conv.channels();
        let split = allow_split
            && h > 1
            && parallel::should_split(w * h * ch * 4, super::pipeline::SPLIT_BYTES);
        let rows = if split {
            h.div_ceil(parallel::num_threads() * 4).max(1)
        } else {
            h
        };
        let ctx = Ctx {
            p: self,
            src: SrcRows::whole(*src),
            conv: &conv,
            padv,
            isa,
        };
        if conv.planar() {
            let plane = w * h;
            let (a, rest) = out.split_at_mut(plane);
            let (b, c) = rest.split_at_mut(plane);
            let tasks: Vec<(usize, [&mut [f32]; 3])> = a
                .chunks_mut(rows * w)
                .zip(b.chunks_mut(rows * w))
                .zip(c.chunks_mut(rows * w))
                .enumerate()
                .map(|(i, ((a, b), c))| (i * rows, [a, b, c]))
                .collect();
            let job = |(y0, planes): (usize, [&mut [f32]; 3])| {
                let n = planes[0].len() / w;
                ctx.rows(y0, n, Dst::Planar(planes));
            };
            if split {
                parallel::install(|| tasks.into_par_iter().for_each(job));
            } else {
                tasks.into_iter().for_each(job);
            }
        } else {
            let row_len = w * ch;
            let job = |(i, chunk): (usize, &mut [f32])| {
                let n = chunk.len() / row_len;
                ctx.rows(i * rows, n, Dst::Interleaved(chunk));
            };
            if split {
                parallel::install(|| out.par_chunks_mut(rows * row_len).enumerate().for_each(job));
            } else {
                out.chunks_mut(rows * row_len).enumerate().for_each(job);
            }
        }
    }
}

/// Tensor bytes from which one image's pipeline splits its rows across the pool (a
/// 224x224x3 tensor is 600 KB; below 256 KB the work is ~0.1 ms or less).
pub const SPLIT_BYTES: usize = 1 << 18;

/// Bytes of resized pixels per band: small enough to stay in L2 between the resize and
/// the conversion, large enough that the vertical filter's overlap between bands is cheap.
/// (The unit tests use 1 KB, so that their small images span many bands.)
const BAND_BYTES: usize = if cfg!(test) { 1 << 10 } else { 1 << 16 };

thread_local! {
    static BAND: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Rows `y0..y0 + n` of one image's tensor.
enum Dst<'a> {
    Planar([&'a mut [f32]; 3]),
    Interleaved(&'a mut [f32]),
}

impl Dst<'_> {
    /// Sets pixels `from..to` of row `r` (rows `w` pixels of `ch` channels) to `padv`.
    fn fill(&mut self, w: usize, ch: usize, padv: [f32; 3], r: usize, from: usize, to: usize) {
        match self {
            Dst::Planar(planes) => {
                for (c, plane) in planes.iter_mut().enumerate() {
                    plane[r * w + from..r * w + to].fill(padv[c]);
                }
            }
            Dst::Interleaved(d) => {
                let row = &mut d[r * w * ch..(r + 1) * w * ch];
                for px in row[from * ch..to * ch].chunks_exact_mut(ch) {
                    px.copy_from_slice(&padv[..ch]);
                }
            }
        }
    }
}

struct Ctx<'a> {
    p: &'a Pipeline,
    src: SrcRows<'a>,
    conv: &'a RowConverter,
    padv: [f32; 3],
    isa: Isa,
}

/// The part of `0..len` an axis window `start..start + n` covers: (first output index
/// inside, first source index, count).
fn overlap(start: i64, n: usize, len: usize) -> (usize, usize, usize) {
    let lo = start.max(0);
    let hi = (start + n as i64).min(len as i64);
    if hi <= lo {
        return (0, 0, 0);
    }
    ((lo - start) as usize, lo as usize, (hi - lo) as usize)
}

impl Ctx<'_> {
    fn fill(&self, dst: &mut Dst, r: usize, from: usize, to: usize) {
        dst.fill(
            self.p.rect.width,
            self.conv.channels(),
            self.padv,
            r,
            from,
            to,
        );
    }

    fn convert(&self, dst: &mut Dst, r: usize, x: usize, src_row: &[u8], n: usize) {
        let w = self.p.rect.width;
        match dst {
            Dst::Planar([a, b, c]) => {
                let o = r * w + x;
                let mut planes = [&mut a[o..o + n], &mut b[o..o + n], &mut c[o..o + n]];
                self.conv.row_planar(src_row, n, &mut planes);
            }
            Dst::Interleaved(d) => {
                let ch = self.conv.channels();
                let o = (r * w + x) * ch;
                self.conv.row_interleaved(src_row, n, &mut d[o..o + n * ch]);
            }
        }
    }

    /// Fills tensor rows `y0..y0 + n`, band by band, into `dst` holding rows `y0..y0 + n`.
    fn rows(&self, y0: usize, n: usize, mut dst: Dst) {
        self.rows_at(y0, n, &mut dst, y0);
    }

    /// [`Ctx::rows`] into `dst` holding tensor rows from `base` on.
    fn rows_at(&self, y0: usize, n: usize, dst: &mut Dst, base: usize) {
        let p = self.p;
        let (w, h) = (p.rect.width, p.rect.height);
        let (rw, rh) = p.resizer.dst_size();
        let (ox, sx, nx) = overlap(p.rect.left, w, rw);
        let (oy, sy, ny) = overlap(p.rect.top, h, rh);
        let format = p.resizer.format();
        let bpp = format.bytes_per_pixel();
        let band_rows = (BAND_BYTES / (nx * bpp).max(1)).max(4);
        BAND.with(|cell| {
            let mut fresh = Vec::new();
            let mut guard = cell.try_borrow_mut();
            let buf: &mut Vec<u8> = match guard.as_mut() {
                Ok(b) => b,
                Err(_) => &mut fresh,
            };
            with_scratch(|scratch| {
                let mut y = y0;
                while y < y0 + n {
                    let r = y - base;
                    if nx == 0 || y < oy || y >= oy + ny {
                        self.fill(dst, r, 0, w);
                        y += 1;
                        continue;
                    }
                    let b = band_rows.min(y0 + n - y).min(oy + ny - y);
                    let len = b * nx * bpp;
                    if buf.len() < len {
                        buf.resize(len, 0);
                    }
                    let mut img = ImageViewMut::packed(&mut buf[..len], nx, b, format)
                        .expect("band geometry is valid");
                    p.resizer.run_window_rows(
                        self.isa,
                        &self.src,
                        sx,
                        sy + (y - oy),
                        &mut img,
                        scratch,
                    );
                    let view = img.as_view();
                    for i in 0..b {
                        self.fill(dst, r + i, 0, ox);
                        self.convert(dst, r + i, ox, view.row(i), nx);
                        self.fill(dst, r + i, ox + nx, w);
                    }
                    y += b;
                }
            });
        });
    }
}

/// Runs one pipeline per image (images may differ in size and format) into one batch
/// tensor: image `i` fills floats `[i * per, (i + 1) * per)` where `per` is the common
/// tensor length. Images run in parallel on scipix's pool (one image per task); the bits
/// do not depend on the thread count. Every image's pipeline is built (and so validated)
/// before anything is written. Returns each image's letterbox geometry (for
/// [`PipelineSpec::Letterbox`]).
pub fn run_batch(
    srcs: &[ImageView],
    spec: &PipelineSpec,
    out: &mut [f32],
) -> Result<Vec<Option<LetterboxGeometry>>> {
    if srcs.is_empty() {
        return Err(Error::invalid("the batch has no images"));
    }
    let mut pipes = Vec::with_capacity(srcs.len());
    let mut per = None;
    for (i, s) in srcs.iter().enumerate() {
        let p = Pipeline::new(s.width(), s.height(), s.format(), spec)
            .map_err(|e| Error::new(e.kind(), format!("image {i}: {}", e.message())))?;
        let len = p.tensor_len()?;
        match per {
            None => per = Some(len),
            Some(n) if n != len => {
                return Err(Error::invalid(format!(
                    "image {i} gives a tensor of {len} floats, image 0 one of {n} \
                     (channel counts or letterbox sizes differ)"
                )))
            }
            _ => {}
        }
        pipes.push(p);
    }
    let per = per.unwrap_or(0);
    let need = checked_product(&[srcs.len(), per], "batch tensor elements")?;
    if out.len() < need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {} floats, the batch needs {need}", out.len()),
        ));
    }
    let out = &mut out[..need];
    let work: Vec<(&Pipeline, &ImageView, &mut [f32])> = pipes
        .iter()
        .zip(srcs)
        .zip(out.chunks_mut(per))
        .map(|((p, s), o)| (p, s, o))
        .collect();
    if work.len() > 1 && parallel::should_split(need * 4, SPLIT_BYTES) {
        parallel::install(|| {
            work.into_par_iter()
                .with_max_len(1)
                .for_each(|(p, s, o)| p.run_unchecked(s, o, false))
        });
    } else {
        for (p, s, o) in work {
            p.run_unchecked(s, o, true);
        }
    }
    Ok(pipes.iter().map(|p| p.geometry).collect())
}

mod streamed;
pub(crate) use streamed::RowSource;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::image::resize::{crop_pad, letterbox};
    use crate::image::test_noise::bytes;
    use crate::tensor::image_to_tensor;

    #[test]
    fn torchvision_size_rule() {
        assert_eq!(torchvision_resize_size(500, 375, 256).unwrap(), (341, 256));
        assert_eq!(torchvision_resize_size(375, 500, 256).unwrap(), (256, 341));
        assert_eq!(torchvision_resize_size(300, 300, 256).unwrap(), (256, 256));
        // int(224 * 1001 / 3) = int(74741.33) is above the limit.
        assert!(torchvision_resize_size(1001, 3, 224).is_err());
        assert!(torchvision_resize_size(10, 10, 0).is_err());
    }

    /// The unfused chain: resize (or letterbox) to an image, crop/pad, image_to_tensor.
    fn unfused(src: &ImageView, spec: &PipelineSpec) -> Result<Vec<f32>> {
        let p = Pipeline::new(src.width(), src.height(), src.format(), spec)?;
        let f = src.format();
        let bpp = f.bytes_per_pixel();
        let (tw, th) = p.tensor_size();
        let mut img = vec![0u8; tw * th * bpp];
        {
            let mut d = ImageViewMut::packed(&mut img, tw, th, f)?;
            if let PipelineSpec::Letterbox(o, _) = spec {
                letterbox(src, &mut d, o)?;
            } else {
                let (rw, rh) = p.resizer.dst_size();
                let mut mid = vec![0u8; rw * rh * bpp];
                let mut m = ImageViewMut::packed(&mut mid, rw, rh, f)?;
                p.resizer.resize(src, &mut m)?;
                crop_pad(&m.as_view(), p.rect.left, p.rect.top, &mut d, p.pad)?;
            }
        }
        let mut out = vec![f32::NAN; p.tensor_len()?];
        image_to_tensor(&ImageView::packed(&img, tw, th, f)?, &p.params, &mut out)?;
        Ok(out)
    }

    fn fused(src: &ImageView, spec: &PipelineSpec) -> Result<Vec<f32>> {
        let p = Pipeline::new(src.width(), src.height(), src.format(), spec)?;
        let mut out = vec![f32::NAN; p.tensor_len()?];
        p.run(src, &mut out)?;
        Ok(out)
    }

    fn same_bits(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn fused_equals_unfused_chain_on_every_isa() {
        let specs = [
            PipelineSpec::Letterbox(
                LetterboxOptions {
                    width: 64,
                    height: 48,
                    ..Default::default()
                },
                Layout::Nchw,
            ),
            PipelineSpec::Letterbox(
                LetterboxOptions {
                    width: 40,
                    height: 40,
                    color: [1, 2, 3, 4],
                    ..Default::default()
                },
                Layout::Nhwc,
            ),
            PipelineSpec::Classify(ClassifyOptions {
                resize_short: 37,
                crop_w: 31,
                crop_h: 45,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 0.225],
                layout: Layout::Nchw,
            }),
            PipelineSpec::Generic {
                filter: Filter::CvLinear,
                width: 23,
                height: 17,
                params: TensorParams {
                    divisor: 3.0,
                    mean: [1.0, 2.0, 3.0, 0.0],
                    layout: Layout::Nhwc,
                    ..Default::default()
                },
            },
        ];
        let mut ran = 0;
        for isa in cpu::Isa::available() {
            cpu::with_isa(isa, |_| {
                for (i, spec) in specs.iter().enumerate() {
                    for f in PixelFormat::ALL {
                        for (w, h) in [(97, 61), (40, 40), (13, 90)] {
                            let bpp = f.bytes_per_pixel();
                            let stride = w * bpp + 5;
                            let buf = bytes(stride * h, (w * h + i) as u32);
                            let src = ImageView::new(&buf, w, h, stride, f).unwrap();
                            let want = unfused(&src, spec);
                            let got = fused(&src, spec);
                            match (want, got) {
                                (Ok(a), Ok(b)) => {
                                    assert!(same_bits(&a, &b), "{isa:?} {spec:?} {f:?} {w}x{h}");
                                    ran += 1;
                                }
                                // Filters not available yet fail the same way in both.
                                (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
                                (a, b) => panic!("{a:?} vs {b:?}"),
                            }
                        }
                    }
                }
            });
        }
        // Every spec uses a filter both families implement, so every case must have run.
        assert_eq!(ran, cpu::Isa::available().len() * specs.len() * 5 * 3);
    }

    #[test]
    fn same_size_generic_is_image_to_tensor() {
        // With an unchanged size every filter is a copy, so the pipeline must equal
        // image_to_tensor exactly (runs even before any filter exists).
        let (w, h) = (33, 21);
        let buf = bytes(w * h * 3, 5);
        let src = ImageView::packed(&buf, w, h, PixelFormat::Bgr8).unwrap();
        let params = TensorParams {
            divisor: 255.0,
            mean: [0.5, 0.4, 0.3, 0.0],
            std: [0.2, 0.3, 0.4, 1.0],
            swap_rb: true,
            ..Default::default()
        };
        let spec = PipelineSpec::Generic {
            filter: Filter::PilLanczos,
            width: w,
            height: h,
            params,
        };
        let got = fused(&src, &spec).unwrap();
        let mut want = vec![0f32; got.len()];
        image_to_tensor(&src, &params, &mut want).unwrap();
        assert!(same_bits(&got, &want));
        // A crop window larger than the image pads with the converted fill (0 here).
        let spec = PipelineSpec::Classify(ClassifyOptions {
            resize_short: 21,
            crop_w: 40,
            crop_h: 25,
            mean: [0.5, 0.4, 0.3],
            std: [0.2, 0.3, 0.4],
            layout: Layout::Nchw,
        });
        let p = Pipeline::new(w, h, PixelFormat::Bgr8, &spec).unwrap();
        let mut out = vec![f32::NAN; p.tensor_len().unwrap()];
        p.run(&src, &mut out).unwrap();
        // torchvision pads (40 - 33) // 2 = 3 columns on the left and 2 rows on top.
        assert_eq!(p.rect.left, -3);
        assert_eq!(p.rect.top, -2);
        let r_plane = &out[..40 * 25];
        assert_eq!(r_plane[0], (0.0f32 / 255.0 - 0.5) / 0.2);
        let px = src.pixel(0, 0);
        assert_eq!(
            r_plane[2 * 40 + 3].to_bits(),
            ((px[2] as f32 / 255.0 - 0.5) / 0.2).to_bits()
        );
    }

    #[test]
    fn bad_input_is_rejected_before_writing() {
        let buf = bytes(10 * 10 * 3, 1);
        let src = ImageView::packed(&buf, 10, 10, PixelFormat::Rgb8).unwrap();
        let mut o = ClassifyOptions {
            resize_short: 10,
            crop_w: 10,
            crop_h: 10,
            mean: [0.0; 3],
            std: [1.0, 0.0, 1.0],
            layout: Layout::Nchw,
        };
        let e = Pipeline::new(10, 10, PixelFormat::Rgb8, &PipelineSpec::Classify(o)).unwrap_err();
        assert!(e.message().contains("std[1]"), "{}", e.message());
        o.std = [1.0; 3];
        let p = Pipeline::new(10, 10, PixelFormat::Rgb8, &PipelineSpec::Classify(o)).unwrap();
        let mut out = vec![7.0f32; 299];
        assert_eq!(
            p.run(&src, &mut out).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
        assert!(out.iter().all(|&v| v == 7.0));
        let other = ImageView::packed(&buf, 9, 10, PixelFormat::Rgb8).unwrap();
        let mut out = vec![7.0f32; 300];
        assert!(p.run(&other, &mut out).is_err());
        assert!(out.iter().all(|&v| v == 7.0));
        assert!(run_batch(&[], &PipelineSpec::Classify(o), &mut out).is_err());
    }

    #[test]
    fn cached_pipelines_are_reused_and_give_the_same_bits() {
        let (w, h) = (97, 61);
        let buf = bytes(w * h * 3, 5);
        let src = ImageView::packed(&buf, w, h, PixelFormat::Bgr8).unwrap();
        let spec = |n| {
            PipelineSpec::Letterbox(
                LetterboxOptions {
                    width: n,
                    height: n,
                    ..LetterboxOptions::default()
                },
                Layout::Nchw,
            )
        };
        let a = Pipeline::cached(w, h, PixelFormat::Bgr8, &spec(64)).unwrap();
        let b = Pipeline::cached(w, h, PixelFormat::Bgr8, &spec(64)).unwrap();
        assert!(Rc::ptr_eq(&a, &b));
        let fresh = Pipeline::new(w, h, PixelFormat::Bgr8, &spec(64)).unwrap();
        let mut got = vec![0f32; a.tensor_len().unwrap()];
        let mut want = vec![1f32; got.len()];
        a.run(&src, &mut got).unwrap();
        fresh.run(&src, &mut want).unwrap();
        assert!(same_bits(&got, &want));
        // Another format or spec is another entry; PIPELINE_CACHE newer ones evict it.
        let c = Pipeline::cached(w, h, PixelFormat::Rgb8, &spec(64)).unwrap();
        assert!(!Rc::ptr_eq(&a, &c));
        for n in 0..PIPELINE_CACHE {
            Pipeline::cached(w, h, PixelFormat::Bgr8, &spec(32 + n)).unwrap();
        }
        let d = Pipeline::cached(w, h, PixelFormat::Bgr8, &spec(64)).unwrap();
        assert!(!Rc::ptr_eq(&a, &d));
        // Errors are not cached.
        assert!(Pipeline::cached(0, h, PixelFormat::Bgr8, &spec(64)).is_err());
    }

    /// No fused path reads past the source: every preset (letterbox, classify, a resize and
    /// a same-size copy), every format, odd sizes, sources ending on the byte before an
    /// inaccessible page; every ISA's tensor equals the scalar one, and that the unfused
    /// chain.
    /// A 40x32 letterbox (NCHW) and a short-side-37, 31x33-crop classify preset with
    /// ImageNet statistics in `classify_layout`: small model inputs for the guard tests.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    pub(crate) fn small_presets(classify_layout: Layout) -> [PipelineSpec; 2] {
        [
            PipelineSpec::Letterbox(
                LetterboxOptions {
                    width: 40,
                    height: 32,
                    ..Default::default()
                },
                Layout::Nchw,
            ),
            PipelineSpec::Classify(ClassifyOptions {
                resize_short: 37,
                crop_w: 31,
                crop_h: 33,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 0.225],
                layout: classify_layout,
            }),
        ]
    }

    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn no_fused_path_reads_past_the_source() {
        use crate::test_guard::Guarded;
        let nhwc = TensorParams {
            divisor: 3.0,
            mean: [1.0, 2.0, 3.0, 0.0],
            layout: Layout::Nhwc,
            ..Default::default()
        };
        for f in PixelFormat::ALL {
            for (w, h) in [(1, 1), (3, 7), (33, 21), (65, 3), (97, 61), (129, 5)] {
                let [letterbox, classify] = small_presets(Layout::Nchw);
                let specs = [
                    letterbox,
                    classify,
                    PipelineSpec::Generic {
                        filter: Filter::CvLinear,
                        width: 23,
                        height: 17,
                        params: nhwc,
                    },
                    PipelineSpec::Generic {
                        filter: Filter::PilBilinear,
                        width: w,
                        height: h,
                        params: nhwc,
                    },
                ];
                let guarded = Guarded::new(&bytes(w * h * f.bytes_per_pixel(), (w + h) as u32));
                let src = ImageView::packed(guarded.as_slice(), w, h, f).unwrap();
                for spec in &specs {
                    let want = cpu::with_isa(Isa::Scalar, |_| fused(&src, spec)).unwrap();
                    let chain = cpu::with_isa(Isa::Scalar, |_| unfused(&src, spec)).unwrap();
                    assert!(same_bits(&want, &chain), "{spec:?} {f:?} {w}x{h}");
                    for isa in Isa::available() {
                        let got = cpu::with_isa(isa, |_| fused(&src, spec)).unwrap();
                        assert!(same_bits(&got, &want), "{isa:?} {spec:?} {f:?} {w}x{h}");
                    }
                }
            }
        }
    }
}
