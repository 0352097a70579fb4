//! The operators, in safe Rust: attribute parsing and compute bodies over the scipix API.
//! The FFI layer (`lib.rs`) hands them an [`Attrs`] at kernel creation and an [`Io`] per run;
//! every error is a message that becomes an `ORT_INVALID_ARGUMENT` status.

#![forbid(unsafe_code)]

use std::ffi::CStr;

use scipix::codec::jpeg::decode_jpeg_into;
use scipix::codec::png::{decode_png_into, png_info, PngOptions};
use scipix::codec::probe::probe;
use scipix::codec::to_tensor::{bytes_tensor_len, bytes_to_tensor, BytesOptions};
use scipix::codec::{jpeg_output_size, ContainerFormat, DecodeOptions};
use scipix::detect::{batched_nms, nms_boxes};
use scipix::image::resize::MAX_SIDE;
use scipix::image::resize::{letterbox, resize, Filter, LetterboxGeometry, LetterboxOptions};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use scipix::quant::ggml::{self, GgmlType};
use scipix::quant::{dequantize_int4, packed_len, Layout as QLayout, Q4Dtype};
use scipix::tensor::{images_to_tensor, tensor_channels, TensorParams};
use scipix::tensor::{ClassifyOptions, Layout, Pipeline, PipelineSpec};

/// Result of an operator step; the message is what `run` (or session creation) reports.
pub type OpResult<T> = Result<T, String>;

/// The node attributes of one kernel. `None`: the attribute is absent (the default applies).
pub trait Attrs {
    fn int(&self, name: &str) -> OpResult<Option<i64>>;
    fn float(&self, name: &str) -> OpResult<Option<f32>>;
    fn ints(&self, name: &str) -> OpResult<Option<Vec<i64>>>;
    fn floats(&self, name: &str) -> OpResult<Option<Vec<f32>>>;
    fn string(&self, name: &str) -> OpResult<Option<String>>;
}

/// The tensors of one run. Inputs are borrowed read-only; each output may be taken once.
pub trait Io<'a> {
    /// Input `index` as uint8 data and its shape (the element type is checked).
    fn input_u8(&self, index: usize) -> OpResult<(Vec<i64>, &'a [u8])>;
    /// Input `index` as float32 data and its shape (`name` goes into the messages).
    fn input_f32(&self, index: usize, name: &str) -> OpResult<(Vec<i64>, &'a [f32])>;
    /// Input `index` as int64 data and its shape; `None` when an optional input is absent.
    fn input_i64(&self, index: usize, name: &str) -> OpResult<Option<(Vec<i64>, &'a [i64])>>;
    /// Output `index`, allocated with `shape`, as float32 data.
    fn output_f32(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [f32]>;
    /// Output `index`, allocated with `shape`, as uint8 data.
    fn output_u8(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [u8]>;
    /// Output `index`, allocated with `shape`, as int64 data.
    fn output_i64(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [i64]>;
}

/// One operator: its ONNX name, tensor types, and how it is built and run.
pub trait Op: Sized + Send + Sync + 'static {
    const NAME: &'static CStr;
    /// ONNX element types (TensorProto.DataType numbers) of the inputs, in order.
    const INPUTS: &'static [i32];
    /// ONNX element types of the outputs, in order.
    const OUTPUTS: &'static [i32];
    /// Inputs `0..REQUIRED_INPUTS` are required, the rest optional.
    const REQUIRED_INPUTS: usize = Self::INPUTS.len();
    fn new(attrs: &dyn Attrs) -> OpResult<Self>;
    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()>;
}

/// TensorProto.DataType numbers.
pub const FLOAT: i32 = 1;
pub const UINT8: i32 = 2;
pub const INT64: i32 = 7;

fn flag(attrs: &dyn Attrs, name: &str, default: bool) -> OpResult<bool> {
    match attrs.int(name)? {
        None => Ok(default),
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(v) => Err(format!("attribute {name} is {v}: it must be 0 or 1")),
    }
}

fn size(attrs: &dyn Attrs, name: &str, default: usize) -> OpResult<usize> {
    match attrs.int(name)? {
        None => Ok(default),
        Some(v) if v > 0 => {
            usize::try_from(v).map_err(|_| format!("attribute {name} is {v}: too large"))
        }
        Some(v) => Err(format!("attribute {name} is {v}: it must be positive")),
    }
}

/// `format`: "rgb" (default) or "bgr", the channel order of a `[H, W, 3]` uint8 input.
fn rgb_or_bgr(attrs: &dyn Attrs) -> OpResult<PixelFormat> {
    match attrs.string("format")?.as_deref() {
        None | Some("rgb") => Ok(PixelFormat::Rgb8),
        Some("bgr") => Ok(PixelFormat::Bgr8),
        Some(s) => Err(format!(
            "attribute format is {s:?}: it must be \"rgb\" or \"bgr\""
        )),
    }
}

/// `color`: one value for every channel (alpha included), three in the input's channel order
/// (alpha 255) or four, each 0..=255 (default 114, Ultralytics' grey).
fn pad_color(attrs: &dyn Attrs) -> OpResult<[u8; 4]> {
    let v = attrs.ints("color")?.unwrap_or_else(|| vec![114]);
    let byte = |x: i64| {
        u8::try_from(x).map_err(|_| format!("attribute color holds {x}: values must be 0..=255"))
    };
    match v.as_slice() {
        [g] => Ok([byte(*g)?; 4]),
        [a, b, c] => Ok([byte(*a)?, byte(*b)?, byte(*c)?, 255]),
        [a, b, c, d] => Ok([byte(*a)?, byte(*b)?, byte(*c)?, byte(*d)?]),
        _ => Err(format!(
            "attribute color has {} values: give 1, 3 or 4",
            v.len()
        )),
    }
}

fn floats3(attrs: &dyn Attrs, name: &str, default: [f32; 3]) -> OpResult<[f32; 3]> {
    match attrs.floats(name)? {
        None => Ok(default),
        Some(v) => match v.as_slice() {
            [g] => Ok([*g; 3]),
            [a, b, c] => Ok([*a, *b, *c]),
            _ => Err(format!(
                "attribute {name} has {} values: give 1 or 3",
                v.len()
            )),
        },
    }
}

/// The `[H, W, 3]` uint8 image of input 0 as a packed view.
fn hwc_input<'a>(io: &dyn Io<'a>, format: PixelFormat) -> OpResult<ImageView<'a>> {
    let (shape, data) = io.input_u8(0)?;
    let [h, w, c] = shape[..] else {
        return Err(format!(
            "input image has shape {shape:?}: expected rank 3, [height, width, 3]"
        ));
    };
    if c != 3 {
        return Err(format!(
            "input image has shape {shape:?}: expected 3 channels (HWC)"
        ));
    }
    if h <= 0 || w <= 0 {
        return Err(format!(
            "input image has shape {shape:?}: height and width must be positive"
        ));
    }
    ImageView::packed(data, w as usize, h as usize, format).map_err(|e| format!("input image: {e}"))
}

/// The geometry output: `[scale_x, scale_y, left, top, right, bottom]` as float32.
fn write_geometry<'a>(io: &dyn Io<'a>, index: usize, g: &LetterboxGeometry) -> OpResult<()> {
    let out = io.output_f32(index, &[6])?;
    out.copy_from_slice(&[
        g.scale_x as f32,
        g.scale_y as f32,
        g.left as f32,
        g.top as f32,
        g.right as f32,
        g.bottom as f32,
    ]);
    Ok(())
}

/// Runs `spec` on input 0 into output 0 (`[1, 3, h, w]`); returns the pipeline's geometry.
fn run_pipeline<'a>(
    io: &dyn Io<'a>,
    format: PixelFormat,
    spec: &PipelineSpec,
) -> OpResult<Option<LetterboxGeometry>> {
    let src = hwc_input(io, format)?;
    let p = Pipeline::cached(src.width(), src.height(), format, spec).map_err(|e| e.to_string())?;
    let (w, h) = p.tensor_size();
    let out = io.output_f32(0, &[1, 3, h, w])?;
    p.run(&src, out).map_err(|e| e.to_string())?;
    Ok(p.geometry())
}

fn letterbox_options(attrs: &dyn Attrs, with_auto: bool) -> OpResult<LetterboxOptions> {
    let d = LetterboxOptions::default();
    Ok(LetterboxOptions {
        width: size(attrs, "width", d.width)?,
        height: size(attrs, "height", d.height)?,
        color: pad_color(attrs)?,
        scaleup: flag(attrs, "scaleup", d.scaleup)?,
        auto: if with_auto {
            flag(attrs, "auto", d.auto)?
        } else {
            false
        },
        scale_fill: if with_auto {
            flag(attrs, "scale_fill", d.scale_fill)?
        } else {
            false
        },
        center: flag(attrs, "center", d.center)?,
        stride: if with_auto {
            size(attrs, "stride", d.stride)?
        } else {
            d.stride
        },
    })
}

/// `LetterboxToTensor`: `[H, W, 3]` uint8 → `[1, 3, h, w]` float32 RGB `/255` and the geometry.
pub struct LetterboxToTensor {
    format: PixelFormat,
    spec: PipelineSpec,
}

impl Op for LetterboxToTensor {
    const NAME: &'static CStr = c"LetterboxToTensor";
    const INPUTS: &'static [i32] = &[UINT8];
    const OUTPUTS: &'static [i32] = &[FLOAT, FLOAT];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let spec = PipelineSpec::Letterbox(letterbox_options(attrs, true)?, Layout::Nchw);
        // The options are checked here, on a 1x1 source, so a bad one fails at session creation.
        Pipeline::new(1, 1, PixelFormat::Rgb8, &spec).map_err(|e| e.to_string())?;
        Ok(LetterboxToTensor {
            format: rgb_or_bgr(attrs)?,
            spec,
        })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let g = run_pipeline(io, self.format, &self.spec)?;
        let g = g.ok_or("letterbox pipeline without geometry")?;
        write_geometry(io, 1, &g)
    }
}

/// `ClassifyToTensor`: `[H, W, 3]` uint8 → `[1, 3, crop_height, crop_width]` float32.
pub struct ClassifyToTensor {
    format: PixelFormat,
    spec: PipelineSpec,
}

impl Op for ClassifyToTensor {
    const NAME: &'static CStr = c"ClassifyToTensor";
    const INPUTS: &'static [i32] = &[UINT8];
    const OUTPUTS: &'static [i32] = &[FLOAT];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let o = ClassifyOptions {
            resize_short: size(attrs, "resize_short", 256)?,
            crop_w: size(attrs, "crop_width", 224)?,
            crop_h: size(attrs, "crop_height", 224)?,
            mean: floats3(attrs, "mean", [0.485, 0.456, 0.406])?,
            std: floats3(attrs, "std", [0.229, 0.224, 0.225])?,
            layout: Layout::Nchw,
        };
        let spec = PipelineSpec::Classify(o);
        let probe_side = o.resize_short.max(o.crop_w).max(o.crop_h);
        Pipeline::new(probe_side, probe_side, PixelFormat::Rgb8, &spec)
            .map_err(|e| e.to_string())?;
        Ok(ClassifyToTensor {
            format: rgb_or_bgr(attrs)?,
            spec,
        })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        run_pipeline(io, self.format, &self.spec).map(|_| ())
    }
}

/// The encoded bytes of input 0 (a 1-D uint8 tensor, not empty).
fn bytes_input<'a>(io: &dyn Io<'a>) -> OpResult<&'a [u8]> {
    let (shape, data) = io.input_u8(0)?;
    if shape.len() != 1 {
        return Err(format!(
            "input bytes has shape {shape:?}: expected rank 1 (the encoded file)"
        ));
    }
    if data.is_empty() {
        return Err("input bytes is empty: expected a JPEG or PNG file".into());
    }
    Ok(data)
}

/// `DecodeImage`: encoded JPEG/PNG bytes → `[H, W, 3]` uint8 RGB.
pub struct DecodeImage {
    jpeg: DecodeOptions,
}

impl Op for DecodeImage {
    const NAME: &'static CStr = c"DecodeImage";
    const INPUTS: &'static [i32] = &[UINT8];
    const OUTPUTS: &'static [i32] = &[UINT8];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let jpeg = DecodeOptions {
            apply_exif_orientation: flag(attrs, "apply_exif_orientation", false)?,
            ..DecodeOptions::default()
        };
        Ok(DecodeImage { jpeg })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let bytes = bytes_input(io)?;
        let err = |e: scipix::Error| e.to_string();
        let format = probe(bytes).map_err(err)?.format;
        let (w, h) = match format {
            ContainerFormat::Jpeg => jpeg_output_size(bytes, &self.jpeg).map_err(err)?,
            ContainerFormat::Png => {
                let i = png_info(bytes).map_err(err)?;
                (i.width as usize, i.height as usize)
            }
        };
        let out = io.output_u8(0, &[h, w, 3])?;
        let mut dst = ImageViewMut::packed(out, w, h, PixelFormat::Rgb8).map_err(err)?;
        match format {
            ContainerFormat::Jpeg => decode_jpeg_into(bytes, &mut dst, &self.jpeg).map(|_| ()),
            _ => decode_png_into(bytes, &mut dst, &PngOptions::default()),
        }
        .map_err(err)
    }
}

/// `DecodeLetterboxToTensor`: encoded JPEG/PNG bytes → `[1, 3, height, width]` float32 RGB
/// `/255` and the geometry (exact decode, then the letterbox pipeline).
pub struct DecodeLetterboxToTensor {
    spec: PipelineSpec,
    opts: BytesOptions,
}

impl Op for DecodeLetterboxToTensor {
    const NAME: &'static CStr = c"DecodeLetterboxToTensor";
    const INPUTS: &'static [i32] = &[UINT8];
    const OUTPUTS: &'static [i32] = &[FLOAT, FLOAT];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let spec = PipelineSpec::Letterbox(letterbox_options(attrs, false)?, Layout::Nchw);
        Pipeline::new(1, 1, PixelFormat::Rgb8, &spec).map_err(|e| e.to_string())?;
        let opts = BytesOptions {
            apply_exif_orientation: flag(attrs, "apply_exif_orientation", false)?,
            ..BytesOptions::default()
        };
        Ok(DecodeLetterboxToTensor { spec, opts })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let bytes = bytes_input(io)?;
        let err = |e: scipix::Error| e.to_string();
        let PipelineSpec::Letterbox(o, _) = self.spec else {
            return Err("DecodeLetterboxToTensor without a letterbox spec".into());
        };
        let len = bytes_tensor_len(bytes, &self.spec, &self.opts).map_err(err)?;
        if len != 3 * o.width * o.height {
            return Err(format!(
                "tensor of {len} floats, expected 3 x {} x {}",
                o.height, o.width
            ));
        }
        let out = io.output_f32(0, &[1, 3, o.height, o.width])?;
        let info = bytes_to_tensor(bytes, &self.spec, &self.opts, out).map_err(err)?;
        let g = info.geometry.ok_or("letterbox pipeline without geometry")?;
        write_geometry(io, 1, &g)
    }
}

/// A required float attribute.
fn required_float(attrs: &dyn Attrs, name: &str) -> OpResult<f32> {
    attrs
        .float(name)?
        .ok_or_else(|| format!("attribute {name} is required (a float)"))
}

/// The pixel format of a uint8 image tensor by its channel count: `[H, W]` and `[H, W, 1]`
/// gray, `[H, W, 3]` three channels (kept in memory order), `[H, W, 4]` four.
fn format_of(channels: i64) -> OpResult<PixelFormat> {
    match channels {
        1 => Ok(PixelFormat::Gray8),
        3 => Ok(PixelFormat::Rgb8),
        4 => Ok(PixelFormat::Rgba8),
        c => Err(format!("{c} channels: expected 1, 3 or 4")),
    }
}

/// The uint8 image of input 0: `[H, W]` (gray) or `[H, W, C]` with C in {1, 3, 4}.
/// Returns the view and whether the input had a channel axis.
fn any_image<'a>(io: &dyn Io<'a>) -> OpResult<(ImageView<'a>, bool)> {
    let (shape, data) = io.input_u8(0)?;
    let (h, w, c, has_c) = match shape[..] {
        [h, w] => (h, w, 1, false),
        [h, w, c] => (h, w, c, true),
        _ => {
            return Err(format!(
                "input image has shape {shape:?}: expected rank 2 [height, width] or 3 \
                 [height, width, channels]"
            ))
        }
    };
    let format = format_of(c).map_err(|e| format!("input image has shape {shape:?}: {e}"))?;
    if h <= 0 || w <= 0 {
        return Err(format!(
            "input image has shape {shape:?}: height and width must be positive"
        ));
    }
    let view = ImageView::packed(data, w as usize, h as usize, format)
        .map_err(|e| format!("input image: {e}"))?;
    Ok((view, has_c))
}

/// The output shape of an image of `w` x `h` with the input's channel layout.
fn image_shape(w: usize, h: usize, format: PixelFormat, has_c: bool) -> Vec<usize> {
    if has_c {
        vec![h, w, format.bytes_per_pixel()]
    } else {
        vec![h, w]
    }
}

/// `Resize`: uint8 `[H, W]` / `[H, W, C]` (C 1, 3 or 4) → the same layout at the target
/// size, with `scipix::image::resize::resize` (`scipix_resize`, `scipix.resize`): the
/// `cv_*` filters equal `cv2.resize(img, (width, height), interpolation=...)` and the
/// `pil_*` filters `Image.resize((width, height), resample)` per channel, bit for bit.
/// The target size is the optional int64 input `size` = `[height, width]` when given,
/// else the `width` and `height` attributes.
pub struct Resize {
    filter: Filter,
    size: Option<(usize, usize)>,
}

fn filter_attr(attrs: &dyn Attrs) -> OpResult<Filter> {
    let name = attrs.string("filter")?;
    let name = name.as_deref().unwrap_or("cv_linear");
    Filter::ALL
        .iter()
        .copied()
        .find(|f| f.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Filter::ALL.iter().map(|f| f.name()).collect();
            format!(
                "attribute filter is {name:?}: it must be one of {}",
                names.join(", ")
            )
        })
}

impl Op for Resize {
    const NAME: &'static CStr = c"Resize";
    const INPUTS: &'static [i32] = &[UINT8, INT64];
    const OUTPUTS: &'static [i32] = &[UINT8];
    const REQUIRED_INPUTS: usize = 1;

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let filter = filter_attr(attrs)?;
        let size = match (attrs.int("width")?, attrs.int("height")?) {
            (None, None) => None,
            (Some(_), Some(_)) => Some((size(attrs, "width", 1)?, size(attrs, "height", 1)?)),
            _ => return Err("give both width and height attributes, or neither".into()),
        };
        Ok(Resize { filter, size })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let (src, has_c) = any_image(io)?;
        let (w, h) = match io.input_i64(1, "size")? {
            Some((_, &[h, w])) if h > 0 && w > 0 => (w as usize, h as usize),
            Some((shape, v)) => {
                return Err(format!(
                    "input size has shape {shape:?} and values {v:?}: expected 2 positive \
                     values [height, width]"
                ))
            }
            None => self.size.ok_or(
                "no target size: set the width and height attributes or feed the size input",
            )?,
        };
        // scipix's limit, checked before ONNX Runtime allocates the output.
        if w > MAX_SIDE || h > MAX_SIDE {
            return Err(format!(
                "target size {w}x{h}: each side must be at most {MAX_SIDE}"
            ));
        }
        let out = io.output_u8(0, &image_shape(w, h, src.format(), has_c))?;
        let mut dst = ImageViewMut::packed(out, w, h, src.format()).map_err(|e| e.to_string())?;
        resize(&src, &mut dst, self.filter).map_err(|e| e.to_string())
    }
}

/// `Letterbox`: uint8 `[H, W]` / `[H, W, C]` (C 1, 3 or 4) → the letterboxed image in the
/// same layout and the geometry, with `scipix::image::resize::letterbox`
/// (`scipix_letterbox`): Ultralytics `LetterBox` = `cv2.resize(INTER_LINEAR)` to the
/// rounded scaled size, then `cv2.copyMakeBorder` with `color`.
pub struct Letterbox {
    opts: LetterboxOptions,
}

impl Op for Letterbox {
    const NAME: &'static CStr = c"Letterbox";
    const INPUTS: &'static [i32] = &[UINT8];
    const OUTPUTS: &'static [i32] = &[UINT8, FLOAT];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let opts = letterbox_options(attrs, true)?;
        scipix::image::resize::letterbox_geometry(1, 1, &opts).map_err(|e| e.to_string())?;
        Ok(Letterbox { opts })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let (src, has_c) = any_image(io)?;
        let g = scipix::image::resize::letterbox_geometry(src.width(), src.height(), &self.opts)
            .map_err(|e| e.to_string())?;
        let out = io.output_u8(0, &image_shape(g.out_w, g.out_h, src.format(), has_c))?;
        let mut dst =
            ImageViewMut::packed(out, g.out_w, g.out_h, src.format()).map_err(|e| e.to_string())?;
        let g = letterbox(&src, &mut dst, &self.opts).map_err(|e| e.to_string())?;
        write_geometry(io, 1, &g)
    }
}

/// `ImageToTensor`: uint8 `[H, W]`, `[H, W, C]` or a batch `[N, H, W, C]` (C 1, 3 or 4) →
/// float32 `[N, C', H, W]` (or `[N, H, W, C']` with `layout` "nhwc"; N = 1 for one image),
/// with `scipix::tensor::images_to_tensor` (`scipix_images_to_tensor`): per element, in
/// f32 without fused operations, `((x / divisor - mean[c]) * scale) / std[c]`. C' is 1 for
/// gray and 3 otherwise (alpha dropped); output channel c is the c-th byte of the pixel,
/// reversed (R<->B) by `swap_rb`, and `mean[c]` / `std[c]` apply to output channel c.
pub struct ImageToTensor {
    params: TensorParams,
}

impl Op for ImageToTensor {
    const NAME: &'static CStr = c"ImageToTensor";
    const INPUTS: &'static [i32] = &[UINT8];
    const OUTPUTS: &'static [i32] = &[FLOAT];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let d = TensorParams::default();
        let [m0, m1, m2] = floats3(attrs, "mean", [0.0; 3])?;
        let [s0, s1, s2] = floats3(attrs, "std", [1.0; 3])?;
        let layout = match attrs.string("layout")?.as_deref() {
            None | Some("nchw") => Layout::Nchw,
            Some("nhwc") => Layout::Nhwc,
            Some(s) => {
                return Err(format!(
                    "attribute layout is {s:?}: it must be \"nchw\" or \"nhwc\""
                ))
            }
        };
        let params = TensorParams {
            divisor: attrs.float("divisor")?.unwrap_or(d.divisor),
            mean: [m0, m1, m2, 0.0],
            scale: attrs.float("scale")?.unwrap_or(d.scale),
            std: [s0, s1, s2, 1.0],
            swap_rb: flag(attrs, "swap_rb", false)?,
            layout,
        };
        params.validate(3).map_err(|e| e.to_string())?;
        Ok(ImageToTensor { params })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let (shape, data) = io.input_u8(0)?;
        let (n, h, w, c) = match shape[..] {
            [h, w] => (1, h, w, 1),
            [h, w, c] => (1, h, w, c),
            [n, h, w, c] => (n, h, w, c),
            _ => {
                return Err(format!(
                    "input image has shape {shape:?}: expected [height, width], \
                     [height, width, channels] or [batch, height, width, channels]"
                ))
            }
        };
        let format = format_of(c).map_err(|e| format!("input image has shape {shape:?}: {e}"))?;
        if n <= 0 || h <= 0 || w <= 0 {
            return Err(format!(
                "input image has shape {shape:?}: batch, height and width must be positive"
            ));
        }
        let (n, h, w) = (n as usize, h as usize, w as usize);
        let per = data.len() / n;
        let imgs = data
            .chunks_exact(per)
            .map(|d| ImageView::packed(d, w, h, format))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("input image: {e}"))?;
        let oc = tensor_channels(format);
        let dims = match self.params.layout {
            Layout::Nchw => [n, oc, h, w],
            Layout::Nhwc => [n, h, w, oc],
        };
        let out = io.output_f32(0, &dims)?;
        images_to_tensor(&imgs, &self.params, out).map_err(|e| e.to_string())
    }
}

/// The `[N, 4]` float32 boxes of input 0 and the `[N]` scores of input 1.
fn boxes_scores<'a>(io: &dyn Io<'a>) -> OpResult<(&'a [[f32; 4]], &'a [f32])> {
    let (bs, b) = io.input_f32(0, "boxes")?;
    let (ss, s) = io.input_f32(1, "scores")?;
    if bs.len() != 2 || bs[1] != 4 {
        return Err(format!("input boxes has shape {bs:?}: expected [N, 4]"));
    }
    if ss.len() != 1 || ss[0] != bs[0] {
        return Err(format!(
            "input scores has shape {ss:?}: expected [{}], one score per box",
            bs[0]
        ));
    }
    let (boxes, rest) = b.as_chunks::<4>();
    if !rest.is_empty() {
        return Err("boxes are not a whole number of 4-value rows".into());
    }
    Ok((boxes, s))
}

fn write_indices<'a>(io: &dyn Io<'a>, keep: &[usize]) -> OpResult<()> {
    let out = io.output_i64(0, &[keep.len()])?;
    for (o, &k) in out.iter_mut().zip(keep) {
        *o = k as i64;
    }
    Ok(())
}

/// `Nms`: boxes float32 `[N, 4]` as (x, y, w, h) and scores float32 `[N]` → the kept
/// indices int64 `[K]` in keep order, with `scipix::detect::nms_boxes`
/// (`scipix_nms_boxes`, `scipix.detect.nms_boxes`): `cv2.dnn.NMSBoxes(boxes, scores,
/// score_threshold, nms_threshold, eta, top_k)` bit for bit.
pub struct Nms {
    score_threshold: f32,
    nms_threshold: f32,
    eta: f32,
    top_k: usize,
}

impl Op for Nms {
    const NAME: &'static CStr = c"Nms";
    const INPUTS: &'static [i32] = &[FLOAT, FLOAT];
    const OUTPUTS: &'static [i32] = &[INT64];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let op = Nms {
            score_threshold: required_float(attrs, "score_threshold")?,
            nms_threshold: required_float(attrs, "nms_threshold")?,
            eta: attrs.float("eta")?.unwrap_or(1.0),
            top_k: match attrs.int("top_k")? {
                None => 0,
                Some(k) if k >= 0 => usize::try_from(k).map_err(|e| e.to_string())?,
                Some(k) => return Err(format!("attribute top_k is {k}: it must be >= 0")),
            },
        };
        nms_boxes(&[], &[], op.score_threshold, op.nms_threshold, op.eta, 0)
            .map_err(|e| e.to_string())?;
        Ok(op)
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let (boxes, scores) = boxes_scores(io)?;
        let keep = nms_boxes(
            boxes,
            scores,
            self.score_threshold,
            self.nms_threshold,
            self.eta,
            self.top_k,
        )
        .map_err(|e| e.to_string())?;
        write_indices(io, &keep)
    }
}

/// `BatchedNms`: boxes float32 `[N, 4]` as (x1, y1, x2, y2), scores float32 `[N]` and the
/// optional int64 class ids `[N]` → kept indices int64 `[K]`, with
/// `scipix::detect::batched_nms` (`scipix_batched_nms`): torchvision's `ops.batched_nms`
/// rule (torchvision's `nms` per class, merged by score descending, ties by lower index);
/// without `classes`, every box is of one class: torchvision's `ops.nms`. The threshold is
/// the float32 attribute widened to double.
pub struct BatchedNms {
    iou_threshold: f32,
}

impl Op for BatchedNms {
    const NAME: &'static CStr = c"BatchedNms";
    const INPUTS: &'static [i32] = &[FLOAT, FLOAT, INT64];
    const OUTPUTS: &'static [i32] = &[INT64];
    const REQUIRED_INPUTS: usize = 2;

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let iou_threshold = required_float(attrs, "iou_threshold")?;
        if iou_threshold.is_nan() {
            return Err("attribute iou_threshold is NaN".into());
        }
        Ok(BatchedNms { iou_threshold })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let (boxes, scores) = boxes_scores(io)?;
        let classes = match io.input_i64(2, "classes")? {
            None => vec![0u32; boxes.len()],
            Some((shape, c)) => {
                if shape.len() != 1 || c.len() != boxes.len() {
                    return Err(format!(
                        "input classes has shape {shape:?}: expected [{}], one class per box",
                        boxes.len()
                    ));
                }
                c.iter()
                    .map(|&v| {
                        u32::try_from(v).map_err(|_| {
                            format!("input classes holds {v}: class ids must be 0..=4294967295")
                        })
                    })
                    .collect::<OpResult<Vec<u32>>>()?
            }
        };
        let keep = batched_nms(boxes, scores, &classes, self.iou_threshold as f64)
            .map_err(|e| e.to_string())?;
        write_indices(io, &keep)
    }
}

/// The `shape` attribute as sizes (each >= 0), and its element count.
fn shape_attr(attrs: &dyn Attrs, required: bool) -> OpResult<Option<(Vec<usize>, usize)>> {
    let Some(v) = attrs.ints("shape")? else {
        return if required {
            Err("attribute shape is required (the output dimensions)".into())
        } else {
            Ok(None)
        };
    };
    let dims = v
        .iter()
        .map(|&d| {
            usize::try_from(d)
                .map_err(|_| format!("attribute shape {v:?}: dimensions must be >= 0"))
        })
        .collect::<OpResult<Vec<usize>>>()?;
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("attribute shape {v:?}: element count overflows"))?;
    Ok(Some((dims, n)))
}

/// `DequantizeGGML`: raw GGML blocks (uint8, any shape, read in memory order) → float32,
/// with `scipix::quant::ggml::dequantize` (`scipix_ggml_dequantize`,
/// `scipix.gguf.ggml_dequantize`): llama.cpp's block formats bit for bit as `gguf.quants`
/// dequantizes them. Output shape: the `shape` attribute (its element count must be the
/// blocks' value count), else `[values]`.
pub struct DequantizeGgml {
    ty: GgmlType,
    shape: Option<(Vec<usize>, usize)>,
}

impl Op for DequantizeGgml {
    const NAME: &'static CStr = c"DequantizeGGML";
    const INPUTS: &'static [i32] = &[UINT8];
    const OUTPUTS: &'static [i32] = &[FLOAT];

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let name = attrs
            .string("type")?
            .ok_or("attribute type is required (a GGML type name such as \"Q4_0\")")?;
        let ty = GgmlType::from_name(&name)
            .filter(|t| t.can_dequantize())
            .ok_or_else(|| {
                format!(
                    "attribute type is {name:?}: it must be one of Q8_0, Q4_0, Q4_1, Q5_0, \
                     Q5_1, Q4_K, Q5_K, Q6_K, F32, F16, BF16"
                )
            })?;
        let shape = shape_attr(attrs, false)?;
        if let Some((_, n)) = &shape {
            if n % ty.block_size() != 0 {
                return Err(format!(
                    "attribute shape holds {n} values, not a multiple of the {name} block size {}",
                    ty.block_size()
                ));
            }
        }
        Ok(DequantizeGgml { ty, shape })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let (_, q) = io.input_u8(0)?;
        let (bs, ts) = self.ty.block();
        if !q.len().is_multiple_of(ts) {
            return Err(format!(
                "input has {} bytes, not a whole number of {ts}-byte {} blocks",
                q.len(),
                self.ty
            ));
        }
        let n = q.len() / ts * bs;
        let dims = match &self.shape {
            None => vec![n],
            Some((d, m)) if *m == n => d.clone(),
            Some((d, m)) => {
                return Err(format!(
                    "input holds {n} values but attribute shape {d:?} has {m}"
                ))
            }
        };
        let out = io.output_f32(0, &dims)?;
        ggml::dequantize(self.ty, q, out)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// `DequantizeInt4`: packed int4/uint4 (uint8 bytes, element 2i in the low nibble of byte
/// i), float32 scales and optional int64 zero points → float32 of the `shape` attribute,
/// with `scipix::quant::dequantize_int4` (`scipix_dequantize_int4`,
/// `scipix.quant.dequantize_int4`): ONNX `DequantizeLinear` (opset 21) as ONNX Runtime
/// computes it, `(q - zero_point) * scale` in f32; per tensor (one scale), per axis
/// (`axis` attribute) or in blocks of `block_size` along the last axis.
pub struct DequantizeInt4 {
    shape: Vec<usize>,
    n: usize,
    dtype: Q4Dtype,
    axis: Option<usize>,
    block_size: Option<usize>,
}

impl Op for DequantizeInt4 {
    const NAME: &'static CStr = c"DequantizeInt4";
    const INPUTS: &'static [i32] = &[UINT8, FLOAT, INT64];
    const OUTPUTS: &'static [i32] = &[FLOAT];
    const REQUIRED_INPUTS: usize = 2;

    fn new(attrs: &dyn Attrs) -> OpResult<Self> {
        let (shape, n) = shape_attr(attrs, true)?.unwrap_or_default();
        let dtype = match attrs.string("dtype")?.as_deref() {
            None | Some("int4") => Q4Dtype::I4,
            Some("uint4") => Q4Dtype::U4,
            Some(s) => {
                return Err(format!(
                    "attribute dtype is {s:?}: it must be \"int4\" or \"uint4\""
                ))
            }
        };
        let rank = shape.len() as i64;
        let axis = match attrs.int("axis")? {
            None => None,
            Some(a) if (-rank..rank).contains(&a) => Some(a.rem_euclid(rank) as usize),
            Some(a) => {
                return Err(format!(
                    "attribute axis is {a}: the shape {shape:?} has rank {rank}"
                ))
            }
        };
        let block_size = match attrs.int("block_size")? {
            None => None,
            Some(b) if b > 0 => Some(usize::try_from(b).map_err(|e| e.to_string())?),
            Some(b) => return Err(format!("attribute block_size is {b}: it must be positive")),
        };
        if axis.is_some() && block_size.is_some() {
            return Err("give attribute axis or block_size, not both".into());
        }
        if block_size.is_some() && shape.is_empty() {
            return Err("attribute block_size needs a shape of rank >= 1".into());
        }
        Ok(DequantizeInt4 {
            shape,
            n,
            dtype,
            axis,
            block_size,
        })
    }

    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()> {
        let (_, q) = io.input_u8(0)?;
        let (_, scales) = io.input_f32(1, "scale")?;
        if q.len() != packed_len(self.n) {
            return Err(format!(
                "input has {} bytes; shape {:?} needs ceil({} / 2) = {}",
                q.len(),
                self.shape,
                self.n,
                packed_len(self.n)
            ));
        }
        let layout = match (self.axis, self.block_size) {
            (Some(axis), _) => QLayout::Axis {
                shape: &self.shape,
                axis,
            },
            (_, Some(block_size)) => QLayout::Blocked {
                shape: &self.shape,
                block_size,
            },
            _ => QLayout::PerTensor,
        };
        let (_, params) = layout.counts(self.n).map_err(|e| e.to_string())?;
        if scales.len() != params {
            return Err(format!(
                "input scale has {} values, the layout needs {params}",
                scales.len()
            ));
        }
        let zps: Vec<i32> = match io.input_i64(2, "zero_point")? {
            None => vec![0; params],
            Some((_, z)) if z.len() == params || z.len() == 1 => {
                let z = z
                    .iter()
                    .map(|&v| i32::try_from(v).map_err(|_| format!("zero point {v} out of range")))
                    .collect::<OpResult<Vec<i32>>>()?;
                if z.len() == params {
                    z
                } else {
                    vec![z[0]; params]
                }
            }
            Some((_, z)) => {
                return Err(format!(
                    "input zero_point has {} values: give 1 or {params} (one per scale)",
                    z.len()
                ))
            }
        };
        let out = io.output_f32(0, &self.shape)?;
        dequantize_int4(q, self.n, layout, scales, &zps, self.dtype, out).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// Attributes from a map; a value of the wrong kind is an error, as in ONNX Runtime.
    #[derive(Default)]
    struct MapAttrs(HashMap<&'static str, Attr>);

    enum Attr {
        I(i64),
        F(f32),
        Is(Vec<i64>),
        Fs(Vec<f32>),
        S(&'static str),
    }

    impl MapAttrs {
        fn with(mut self, k: &'static str, v: Attr) -> Self {
            self.0.insert(k, v);
            self
        }
    }

    impl Attrs for MapAttrs {
        fn int(&self, name: &str) -> OpResult<Option<i64>> {
            match self.0.get(name) {
                None => Ok(None),
                Some(Attr::I(v)) => Ok(Some(*v)),
                Some(_) => Err(format!("attribute {name}: wrong type")),
            }
        }
        fn float(&self, name: &str) -> OpResult<Option<f32>> {
            match self.0.get(name) {
                None => Ok(None),
                Some(Attr::F(v)) => Ok(Some(*v)),
                Some(_) => Err(format!("attribute {name}: wrong type")),
            }
        }
        fn ints(&self, name: &str) -> OpResult<Option<Vec<i64>>> {
            match self.0.get(name) {
                None => Ok(None),
                Some(Attr::Is(v)) => Ok(Some(v.clone())),
                Some(_) => Err(format!("attribute {name}: wrong type")),
            }
        }
        fn floats(&self, name: &str) -> OpResult<Option<Vec<f32>>> {
            match self.0.get(name) {
                None => Ok(None),
                Some(Attr::Fs(v)) => Ok(Some(v.clone())),
                Some(_) => Err(format!("attribute {name}: wrong type")),
            }
        }
        fn string(&self, name: &str) -> OpResult<Option<String>> {
            match self.0.get(name) {
                None => Ok(None),
                Some(Attr::S(v)) => Ok(Some(v.to_string())),
                Some(_) => Err(format!("attribute {name}: wrong type")),
            }
        }
    }

    /// One uint8 input and float32 output buffers lent by the test (taken once each; the
    /// requested shapes are recorded and each buffer must have the requested size).
    struct VecIo<'a> {
        shape: Vec<i64>,
        input: &'a [u8],
        outs: RefCell<Vec<Option<&'a mut [f32]>>>,
        shapes: RefCell<Vec<Vec<usize>>>,
    }

    impl<'a> VecIo<'a> {
        fn new(shape: &[i64], input: &'a [u8], outs: Vec<&'a mut [f32]>) -> Self {
            let n = outs.len();
            VecIo {
                shape: shape.to_vec(),
                input,
                outs: RefCell::new(outs.into_iter().map(Some).collect()),
                shapes: RefCell::new(vec![Vec::new(); n]),
            }
        }
    }

    impl<'a> Io<'a> for VecIo<'a> {
        fn input_u8(&self, index: usize) -> OpResult<(Vec<i64>, &'a [u8])> {
            assert_eq!(index, 0);
            Ok((self.shape.clone(), self.input))
        }
        fn output_f32(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [f32]> {
            let buf = self.outs.borrow_mut()[index]
                .take()
                .expect("output taken once");
            assert_eq!(
                buf.len(),
                shape.iter().product::<usize>(),
                "output {index} {shape:?}"
            );
            self.shapes.borrow_mut()[index] = shape.to_vec();
            Ok(buf)
        }
        fn input_f32(&self, _: usize, _: &str) -> OpResult<(Vec<i64>, &'a [f32])> {
            Err("no float32 inputs here".into())
        }
        fn input_i64(&self, _: usize, _: &str) -> OpResult<Option<(Vec<i64>, &'a [i64])>> {
            Ok(None)
        }
        fn output_u8(&self, _: usize, _: &[usize]) -> OpResult<&'a mut [u8]> {
            Err("no uint8 outputs here".into())
        }
        fn output_i64(&self, _: usize, _: &[usize]) -> OpResult<&'a mut [i64]> {
            Err("no int64 outputs here".into())
        }
    }

    /// Inputs of every type, and output buffers lent by the test: each output takes the
    /// front of its buffer and records its shape.
    #[derive(Default)]
    struct AnyIo<'a> {
        u8_in: Vec<(Vec<i64>, &'a [u8])>,
        f32_in: Vec<(Vec<i64>, &'a [f32])>,
        i64_in: Vec<Option<(Vec<i64>, &'a [i64])>>,
        u8_out: RefCell<Vec<Option<&'a mut [u8]>>>,
        f32_out: RefCell<Vec<Option<&'a mut [f32]>>>,
        i64_out: RefCell<Vec<Option<&'a mut [i64]>>>,
        shapes: RefCell<Vec<Vec<usize>>>,
    }

    fn lend<'a, T>(
        bufs: &RefCell<Vec<Option<&'a mut [T]>>>,
        shapes: &RefCell<Vec<Vec<usize>>>,
        index: usize,
        shape: &[usize],
    ) -> OpResult<&'a mut [T]> {
        let buf = bufs.borrow_mut()[index].take().expect("output taken once");
        shapes.borrow_mut().push(shape.to_vec());
        Ok(&mut buf[..shape.iter().product::<usize>()])
    }

    impl<'a> Io<'a> for AnyIo<'a> {
        fn input_u8(&self, index: usize) -> OpResult<(Vec<i64>, &'a [u8])> {
            let (s, d) = self.u8_in.get(index).ok_or("missing")?;
            Ok((s.clone(), d))
        }
        fn input_f32(&self, index: usize, name: &str) -> OpResult<(Vec<i64>, &'a [f32])> {
            let (s, d) = self.f32_in.get(index).ok_or(format!("missing {name}"))?;
            Ok((s.clone(), d))
        }
        fn input_i64(&self, index: usize, _: &str) -> OpResult<Option<(Vec<i64>, &'a [i64])>> {
            Ok(self.i64_in.get(index).cloned().flatten())
        }
        fn output_u8(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [u8]> {
            lend(&self.u8_out, &self.shapes, index, shape)
        }
        fn output_f32(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [f32]> {
            lend(&self.f32_out, &self.shapes, index, shape)
        }
        fn output_i64(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [i64]> {
            lend(&self.i64_out, &self.shapes, index, shape)
        }
    }

    fn image(w: usize, h: usize) -> Vec<u8> {
        (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn letterbox_equals_the_pipeline_and_reports_the_geometry() {
        let attrs = MapAttrs::default()
            .with("width", Attr::I(64))
            .with("height", Attr::I(48))
            .with("color", Attr::Is(vec![1, 2, 3]))
            .with("format", Attr::S("bgr"));
        let op = LetterboxToTensor::new(&attrs).unwrap();
        let (w, h) = (50, 20);
        let img = image(w, h);
        let (mut got, mut geo) = (vec![f32::NAN; 3 * 48 * 64], vec![f32::NAN; 6]);
        let io = VecIo::new(&[h as i64, w as i64, 3], &img, vec![&mut got, &mut geo]);
        op.compute(&io).unwrap();
        assert_eq!(*io.shapes.borrow(), vec![vec![1, 3, 48, 64], vec![6]]);
        drop(io);
        let o = LetterboxOptions {
            width: 64,
            height: 48,
            color: [1, 2, 3, 255],
            ..LetterboxOptions::default()
        };
        let spec = PipelineSpec::Letterbox(o, Layout::Nchw);
        let p = Pipeline::new(w, h, PixelFormat::Bgr8, &spec).unwrap();
        let mut want = vec![0f32; p.tensor_len().unwrap()];
        let src = ImageView::packed(&img, w, h, PixelFormat::Bgr8).unwrap();
        p.run(&src, &mut want).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
        // 50x20 into 64x48: scale 1.28, resized 64x26 (25.6 rounds up), pads 11 above, 11 below.
        let g = p.geometry().unwrap();
        assert_eq!((g.left, g.top, g.right, g.bottom), (0, 11, 0, 11));
        assert_eq!(geo, vec![1.28, 1.28, 0.0, 11.0, 0.0, 11.0]);
    }

    #[test]
    fn attributes_are_checked_when_the_kernel_is_built() {
        let bad = |k: &'static str, v: Attr, needle: &str| {
            let err = LetterboxToTensor::new(&MapAttrs::default().with(k, v)).err();
            let err = err.unwrap_or_else(|| panic!("{k} accepted"));
            assert!(err.contains(needle), "{k}: {err}");
        };
        bad(
            "width",
            Attr::I(0),
            "attribute width is 0: it must be positive",
        );
        bad("width", Attr::Fs(vec![1.0]), "attribute width: wrong type");
        bad("color", Attr::Is(vec![256]), "values must be 0..=255");
        bad("color", Attr::Is(vec![]), "attribute color has 0 values");
        bad(
            "center",
            Attr::I(-1),
            "attribute center is -1: it must be 0 or 1",
        );
        bad("format", Attr::S("gray"), "attribute format is \"gray\"");
        bad("stride", Attr::I(-32), "attribute stride is -32");
        let std0 = MapAttrs::default().with("std", Attr::Fs(vec![0.0]));
        assert!(ClassifyToTensor::new(&std0).is_err());
        assert!(ClassifyToTensor::new(&MapAttrs::default()).is_ok());
    }

    #[test]
    fn inputs_of_the_wrong_shape_fail_the_run() {
        let op = LetterboxToTensor::new(&MapAttrs::default()).unwrap();
        let run =
            |shape: &[i64], data: &[u8]| op.compute(&VecIo::new(shape, data, vec![])).unwrap_err();
        assert!(run(&[4, 5], &[0; 20]).contains("expected rank 3"));
        assert!(run(&[4, 5, 1], &[0; 20]).contains("expected 3 channels"));
        assert!(run(&[0, 5, 3], &[]).contains("height and width must be positive"));
        let dec = DecodeImage::new(&MapAttrs::default()).unwrap();
        let run =
            |shape: &[i64], data: &[u8]| dec.compute(&VecIo::new(shape, data, vec![])).unwrap_err();
        assert!(run(&[0], &[]).contains("is empty"));
        assert!(run(&[1, 3], &[1, 2, 3]).contains("rank 1"));
        assert!(run(&[3], &[1, 2, 3]).starts_with("UnsupportedFormat: not a JPEG (FF D8) or PNG"));
    }

    #[test]
    fn nms_ops_equal_the_detect_functions() {
        let boxes = [
            0.0f32, 0.0, 10.0, 10.0, 1.0, 1.0, 10.0, 10.0, 50.0, 50.0, 5.0, 5.0,
        ];
        let scores = [0.9f32, 0.8, 0.7];
        let attrs = MapAttrs::default()
            .with("score_threshold", Attr::F(0.5))
            .with("nms_threshold", Attr::F(0.5));
        let op = Nms::new(&attrs).unwrap();
        let mut keep = [-1i64; 3];
        let io = AnyIo {
            f32_in: vec![(vec![3, 4], &boxes), (vec![3], &scores)],
            i64_out: RefCell::new(vec![Some(&mut keep)]),
            ..AnyIo::default()
        };
        op.compute(&io).unwrap();
        assert_eq!(*io.shapes.borrow(), vec![vec![2]]);
        drop(io);
        assert_eq!(keep[..2], [0, 2]);
        // The same boxes as x1, y1, x2, y2, two classes: box 1 survives in its own class.
        let xyxy = [
            0.0f32, 0.0, 10.0, 10.0, 1.0, 1.0, 11.0, 11.0, 50.0, 50.0, 55.0, 55.0,
        ];
        let op = BatchedNms::new(&MapAttrs::default().with("iou_threshold", Attr::F(0.5))).unwrap();
        let classes = [0i64, 1, 0];
        let mut keep = [-1i64; 3];
        let io = AnyIo {
            f32_in: vec![(vec![3, 4], &xyxy), (vec![3], &scores)],
            i64_in: vec![None, None, Some((vec![3], &classes))],
            i64_out: RefCell::new(vec![Some(&mut keep)]),
            ..AnyIo::default()
        };
        op.compute(&io).unwrap();
        drop(io);
        assert_eq!(keep, [0, 1, 2]);
        let bad = AnyIo {
            f32_in: vec![(vec![3, 4], &xyxy), (vec![2], &scores[..2])],
            ..AnyIo::default()
        };
        assert!(op.compute(&bad).unwrap_err().contains("one score per box"));
        assert!(
            Nms::new(&MapAttrs::default().with("nms_threshold", Attr::F(0.5)))
                .map(|_| ())
                .unwrap_err()
                .contains("attribute score_threshold is required")
        );
        let neg = MapAttrs::default()
            .with("score_threshold", Attr::F(-1.0))
            .with("nms_threshold", Attr::F(0.5));
        assert!(Nms::new(&neg).is_err());
    }

    #[test]
    fn new_operators_check_their_attributes() {
        let err = |r: OpResult<()>| r.unwrap_err();
        let m = MapAttrs::default;
        assert!(
            err(Resize::new(&m().with("filter", Attr::S("cubic"))).map(|_| ()))
                .contains("cv_linear")
        );
        assert!(err(Resize::new(&m().with("width", Attr::I(3))).map(|_| ()))
            .contains("both width and height"));
        assert!(
            err(ImageToTensor::new(&m().with("std", Attr::Fs(vec![0.0]))).map(|_| ()))
                .contains("std[0]")
        );
        assert!(
            err(ImageToTensor::new(&m().with("layout", Attr::S("chw"))).map(|_| ()))
                .contains("nchw")
        );
        assert!(
            err(DequantizeGgml::new(&m().with("type", Attr::S("Q2_K"))).map(|_| ()))
                .contains("Q8_0")
        );
        assert!(err(DequantizeGgml::new(&m()).map(|_| ())).contains("type is required"));
        let q4 = m()
            .with("type", Attr::S("Q4_0"))
            .with("shape", Attr::Is(vec![3, 5]));
        assert!(err(DequantizeGgml::new(&q4).map(|_| ())).contains("block size 32"));
        assert!(err(DequantizeInt4::new(&m()).map(|_| ())).contains("shape is required"));
        let axis = m()
            .with("shape", Attr::Is(vec![2, 3]))
            .with("axis", Attr::I(2));
        assert!(err(DequantizeInt4::new(&axis).map(|_| ())).contains("rank 2"));
    }

    #[test]
    fn dequantize_int4_blocked_equals_the_quant_function() {
        let shape = [2usize, 5];
        let codes: Vec<u8> = (0..5).map(|i| (i * 37 + 11) as u8).collect();
        let scales = [0.5f32, 0.25, 2.0, 1.5];
        let attrs = MapAttrs::default()
            .with("shape", Attr::Is(vec![2, 5]))
            .with("block_size", Attr::I(3));
        let op = DequantizeInt4::new(&attrs).unwrap();
        let mut got = [f32::NAN; 10];
        let zp = [1i64];
        let io = AnyIo {
            u8_in: vec![(vec![5], &codes)],
            f32_in: vec![(vec![], &[]), (vec![2, 2], &scales)],
            i64_in: vec![None, None, Some((vec![1], &zp))],
            f32_out: RefCell::new(vec![Some(&mut got)]),
            ..AnyIo::default()
        };
        op.compute(&io).unwrap();
        drop(io);
        let mut want = [0f32; 10];
        let layout = QLayout::Blocked {
            shape: &shape,
            block_size: 3,
        };
        dequantize_int4(&codes, 10, layout, &scales, &[1; 4], Q4Dtype::I4, &mut want).unwrap();
        assert_eq!(got, want);
        // Element 0 is the low nibble of 11 (0xB = -5), minus the zero point 1, times 0.5.
        assert_eq!(got[0], -3.0);
    }
}
