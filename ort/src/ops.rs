//! The operators, in safe Rust: attribute parsing and compute bodies over the scipix API.
//! The FFI layer (`lib.rs`) hands them an [`Attrs`] at kernel creation and an [`Io`] per run;
//! every error is a message that becomes an `ORT_INVALID_ARGUMENT` status.

use std::ffi::CStr;

use scipix::codec::jpeg::decode_jpeg_into;
use scipix::codec::png::{decode_png_into, png_info, PngOptions};
use scipix::codec::probe::probe;
use scipix::codec::to_tensor::{bytes_tensor_len, bytes_to_tensor, BytesOptions};
use scipix::codec::{jpeg_output_size, ContainerFormat, DecodeOptions};
use scipix::image::resize::{LetterboxGeometry, LetterboxOptions};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use scipix::tensor::{ClassifyOptions, Layout, Pipeline, PipelineSpec};

/// Result of an operator step; the message is what `run` (or session creation) reports.
pub type OpResult<T> = Result<T, String>;

/// The node attributes of one kernel. `None`: the attribute is absent (the default applies).
pub trait Attrs {
    fn int(&self, name: &str) -> OpResult<Option<i64>>;
    fn ints(&self, name: &str) -> OpResult<Option<Vec<i64>>>;
    fn floats(&self, name: &str) -> OpResult<Option<Vec<f32>>>;
    fn string(&self, name: &str) -> OpResult<Option<String>>;
}

/// The tensors of one run. Inputs are borrowed read-only; each output may be taken once.
pub trait Io<'a> {
    /// Input `index` as uint8 data and its shape (the element type is checked).
    fn input_u8(&self, index: usize) -> OpResult<(Vec<i64>, &'a [u8])>;
    /// Output `index`, allocated with `shape`, as float32 data.
    fn output_f32(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [f32]>;
    /// Output `index`, allocated with `shape`, as uint8 data.
    fn output_u8(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [u8]>;
}

/// One operator: its ONNX name, tensor types, and how it is built and run.
pub trait Op: Sized + Send + Sync + 'static {
    const NAME: &'static CStr;
    /// ONNX element types (TensorProto.DataType numbers) of the inputs, in order.
    const INPUTS: &'static [i32];
    /// ONNX element types of the outputs, in order.
    const OUTPUTS: &'static [i32];
    fn new(attrs: &dyn Attrs) -> OpResult<Self>;
    fn compute<'a>(&self, io: &dyn Io<'a>) -> OpResult<()>;
}

/// TensorProto.DataType numbers.
pub const FLOAT: i32 = 1;
pub const UINT8: i32 = 2;

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

/// `color`: one value for every channel or three in the input's channel order, each 0..=255
/// (default 114, Ultralytics' grey).
fn pad_color(attrs: &dyn Attrs) -> OpResult<[u8; 4]> {
    let v = attrs.ints("color")?.unwrap_or_else(|| vec![114]);
    let byte = |x: i64| {
        u8::try_from(x).map_err(|_| format!("attribute color holds {x}: values must be 0..=255"))
    };
    match v.as_slice() {
        [g] => Ok([byte(*g)?; 4]),
        [a, b, c] => Ok([byte(*a)?, byte(*b)?, byte(*c)?, 255]),
        _ => Err(format!(
            "attribute color has {} values: give 1 or 3",
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
