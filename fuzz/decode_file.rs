//! Decodes ONE file and prints one status line: the per-process decoder of the malformed-input
//! corpus (scripts/malformed_corpus.sh). Not a fuzz target: an ordinary program, built by
//! `cargo fuzz build` with the fuzz targets, so it gets the same AddressSanitizer build of
//! scipix and of libjpeg-turbo's C code.
//!
//! Usage: `decode_file FILE` (a name ending in `.png` goes to the PNG decoder, anything else
//! to the JPEG decoder, so that a file whose signature was damaged still reaches a decoder).
//!
//! Prints `ok WxH` or `error <Kind>: <message>` for a decode with the default options, and
//! exits 0. Before that it decodes the same bytes a few more ways (other pixel formats,
//! lenient truncation, Exif orientation, DCT scaling, Pillow's PNG rules) into strided
//! destinations fenced with guard bytes, and checks what every decoder promises: a success
//! has the size the headers announce, and nothing outside the destination's pixels is
//! written, whether the decode succeeds or fails; then it runs the from-bytes tensor
//! pipelines (exact, reduced, with and without region decoding) and checks that they accept
//! what the decode accepts and that region decoding never changes the tensor. A broken
//! promise panics (exit status 101);
//! an AddressSanitizer report, a signal or any other status is a bug in scipix or
//! libjpeg-turbo. Exit status 2: the file could not be read.
//!
//! Run by hand: `target/fuzz-asan/x86_64-unknown-linux-gnu/release/decode_file some.jpg`
//! after `scripts/malformed_corpus.sh` built it.

use scipix::codec::jpeg::{decode_jpeg_into, jpeg_output_size};
use scipix::codec::png::{decode_png_into, png_info, PngConvention, PngOptions};
use scipix::codec::probe::probe;
use scipix::codec::to_tensor::{bytes_to_tensor, BytesOptions, DecodeMode};
use scipix::codec::{ContainerFormat, DecodeOptions, JpegScale};
use scipix::image::resize::LetterboxOptions;
use scipix::image::{ImageViewMut, PixelFormat};
use scipix::tensor::{ClassifyOptions, Layout, PipelineSpec};
use scipix::{Error, Result};
use std::process::ExitCode;

/// Limit of the extra decodes (the reported one uses the default limit): a lying header
/// then costs little time, and the default limit is exercised by the reported decode.
const VARIANT_MAX_PIXELS: u64 = 1 << 24;
const GUARD: u8 = 0xA5;
/// Guard bytes before the first row, after each row and after the last row.
const FENCE: usize = 16;

/// A destination of `w x h` pixels of `format` inside a larger buffer: rows `FENCE` bytes
/// apart, `FENCE` bytes before and after, every byte outside the pixels set to `GUARD`.
struct Fenced {
    buf: Vec<u8>,
    w: usize,
    h: usize,
    format: PixelFormat,
}

impl Fenced {
    fn new(w: usize, h: usize, format: PixelFormat) -> Result<Self> {
        let len = Self::stride_of(w, format)
            .checked_mul(h)
            .and_then(|n| n.checked_add(2 * FENCE))
            .ok_or_else(|| Error::overflow("destination size overflows"))?;
        // Zeroed memory comes untouched from the allocator: a lying header that is refused
        // part way costs no time for the pixels never written. Only the fences are set.
        let mut dst = Fenced {
            buf: vec![0; len],
            w,
            h,
            format,
        };
        for r in dst.fences() {
            dst.buf[r].fill(GUARD);
        }
        Ok(dst)
    }

    fn stride_of(w: usize, format: PixelFormat) -> usize {
        w * format.bytes_per_pixel() + FENCE
    }

    /// The byte ranges outside the pixels: before the first row, after each row, at the end.
    fn fences(&self) -> impl Iterator<Item = std::ops::Range<usize>> {
        let stride = Self::stride_of(self.w, self.format);
        let row = self.w * self.format.bytes_per_pixel();
        let tail = FENCE + self.h * stride;
        std::iter::once(0..FENCE)
            .chain((0..self.h).map(move |y| {
                let end = FENCE + y * stride + row;
                end..end + FENCE
            }))
            .chain(std::iter::once(tail..tail + FENCE))
    }

    fn view(&mut self) -> ImageViewMut<'_> {
        let stride = Self::stride_of(self.w, self.format);
        ImageViewMut::new(&mut self.buf[FENCE..], self.w, self.h, stride, self.format)
            .expect("the buffer was sized for this view")
    }

    /// Panics when a byte outside the pixels changed.
    fn check(&self, what: &str) {
        for r in self.fences() {
            assert!(
                self.buf[r.clone()].iter().all(|&b| b == GUARD),
                "{what}: bytes {r:?} outside the {}x{} destination were written",
                self.w,
                self.h
            );
        }
    }
}

/// JPEG decode into a fenced destination; `Ok` holds the decoded size.
fn jpeg(bytes: &[u8], format: PixelFormat, opts: &DecodeOptions) -> Result<(usize, usize)> {
    let (w, h) = jpeg_output_size(bytes, opts)?;
    let mut dst = Fenced::new(w, h, format)?;
    let r = decode_jpeg_into(bytes, &mut dst.view(), opts);
    dst.check("JPEG decode");
    let outcome = r?;
    assert!(
        opts.accept_truncated || !outcome.truncated,
        "a strict decode reported recovered data instead of failing"
    );
    Ok((w, h))
}

/// PNG decode into a fenced destination; `Ok` holds the decoded size.
fn png(bytes: &[u8], format: PixelFormat, opts: &PngOptions) -> Result<(usize, usize)> {
    let info = png_info(bytes)?;
    let (w, h) = (info.width as usize, info.height as usize);
    if info.width > scipix::codec::MAX_DIMENSION
        || info.height > scipix::codec::MAX_DIMENSION
        || w as u64 * h as u64 > opts.max_pixels
    {
        // Too large to allocate here: the decoder must refuse it from the header, before it
        // looks at the (tiny) destination.
        let mut px = [GUARD; 4];
        let mut dst = ImageViewMut::packed(&mut px, 1, 1, PixelFormat::Bgra8)?;
        let e = decode_png_into(bytes, &mut dst, opts).expect_err("over the pixel limit");
        assert_eq!(px, [GUARD; 4], "a refused PNG wrote pixels");
        return Err(e);
    }
    let mut dst = Fenced::new(w, h, format)?;
    let r = decode_png_into(bytes, &mut dst.view(), opts);
    dst.check("PNG decode");
    r.map(|()| (w, h))
}

fn status(r: Result<(usize, usize)>) -> String {
    match r {
        Ok((w, h)) => format!("ok {w}x{h}"),
        Err(e) => {
            assert!(!e.message().is_empty(), "an error without a message: {e:?}");
            format!("error {:?}: {}", e.kind(), e.message())
        }
    }
}

fn decode_jpeg_file(bytes: &[u8]) -> String {
    let reported = jpeg(bytes, PixelFormat::Rgb8, &DecodeOptions::default());
    if let Ok(size) = reported {
        let info = probe(bytes).expect("a decodable JPEG probes");
        assert_eq!(info.format, ContainerFormat::Jpeg);
        assert_eq!((info.width as usize, info.height as usize), size);
    }
    let lenient = DecodeOptions {
        max_pixels: VARIANT_MAX_PIXELS,
        accept_truncated: true,
        ..Default::default()
    };
    for (format, opts) in [
        (
            PixelFormat::Bgra8,
            DecodeOptions {
                apply_exif_orientation: true,
                ..lenient
            },
        ),
        (
            PixelFormat::Gray8,
            DecodeOptions {
                scale: JpegScale::QUARTER,
                ..lenient
            },
        ),
        (
            PixelFormat::Bgr8,
            DecodeOptions {
                scale: JpegScale::new(3).expect("3/8 is a libjpeg scale"),
                accept_truncated: false,
                ..lenient
            },
        ),
    ] {
        // Scaling, orientation and the pixel format never decide whether a file is valid,
        // and a lenient decode accepts what a strict one does.
        let r = jpeg(bytes, format, &opts);
        if within(&reported, opts.max_pixels) {
            assert!(
                r.is_ok(),
                "a decodable JPEG failed as {format:?} {opts:?}: {r:?}"
            );
        }
    }
    pipelines(bytes, &reported);
    status(reported)
}

fn decode_png_file(bytes: &[u8]) -> String {
    let reported = png(bytes, PixelFormat::Rgb8, &PngOptions::default());
    if let Ok(size) = reported {
        let info = probe(bytes).expect("a decodable PNG probes");
        assert_eq!(info.format, ContainerFormat::Png);
        assert_eq!((info.width as usize, info.height as usize), size);
    }
    for (format, convention) in [
        (PixelFormat::Gray8, PngConvention::OpenCv),
        (PixelFormat::Bgra8, PngConvention::OpenCv),
        (PixelFormat::Rgba8, PngConvention::Pillow),
        (PixelFormat::Gray8, PngConvention::Pillow),
    ] {
        let opts = PngOptions {
            max_pixels: VARIANT_MAX_PIXELS,
            convention,
        };
        // The destination format and the convention never decide whether a file is valid.
        let r = png(bytes, format, &opts);
        if within(&reported, opts.max_pixels) {
            assert!(
                r.is_ok(),
                "a decodable PNG failed as {format:?} {convention:?}: {r:?}"
            );
        }
    }
    pipelines(bytes, &reported);
    status(reported)
}

/// The from-bytes pipelines on the same bytes (exact and reduced decodes, with and without
/// region decoding): a file the reported decode accepts gives a tensor in every mode, the
/// region decode's tensor equals the full decode's bit for bit, and nothing past the tensor
/// is written.
fn pipelines(bytes: &[u8], reported: &Result<(usize, usize)>) {
    let classify = PipelineSpec::Classify(ClassifyOptions {
        resize_short: 64,
        crop_w: 56,
        crop_h: 48,
        mean: [0.5; 3],
        std: [0.25; 3],
        layout: Layout::Nchw,
    });
    let letterbox = PipelineSpec::Letterbox(
        LetterboxOptions {
            width: 64,
            height: 64,
            ..Default::default()
        },
        Layout::Nhwc,
    );
    for spec in [classify, letterbox] {
        let mut tensors = Vec::new();
        for (mode, region) in [
            (DecodeMode::Exact, false),
            (DecodeMode::Exact, true),
            (DecodeMode::Reduced, true),
        ] {
            let opts = BytesOptions {
                mode,
                region_decode: region,
                max_pixels: VARIANT_MAX_PIXELS,
                ..Default::default()
            };
            let mut out = vec![f32::NAN; 3 * 64 * 64 + FENCE];
            let r = bytes_to_tensor(bytes, &spec, &opts, &mut out);
            let len = match spec {
                PipelineSpec::Classify(_) => 3 * 56 * 48,
                _ => 3 * 64 * 64,
            };
            assert!(
                out[len..].iter().all(|v| v.is_nan()),
                "{mode:?} region {region}: wrote past the tensor"
            );
            if within(reported, opts.max_pixels) {
                assert!(
                    r.is_ok(),
                    "a decodable file failed {mode:?} region {region}: {r:?}"
                );
            }
            tensors.push((r.is_ok(), out));
        }
        if tensors[0].0 && tensors[1].0 {
            let same = tensors[0]
                .1
                .iter()
                .zip(&tensors[1].1)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "region decoding changed the tensor");
        }
    }
}

/// Whether `r` is a successful decode of at most `max_pixels` pixels.
fn within(r: &Result<(usize, usize)>, max_pixels: u64) -> bool {
    matches!(r, Ok((w, h)) if (*w as u64) * (*h as u64) <= max_pixels)
}

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: decode_file FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    // The probe sees every file, whatever decoder it goes to.
    let _ = probe(&bytes);
    let is_png = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".png");
    let line = if is_png {
        decode_png_file(&bytes)
    } else {
        decode_jpeg_file(&bytes)
    };
    println!("{line}");
    ExitCode::SUCCESS
}
