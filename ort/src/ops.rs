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
        fn output_u8(&self, _: usize, _: &[usize]) -> OpResult<&'a mut [u8]> {
            Err("no uint8 outputs here".into())
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
}
