use super::*;
use crate::codec::jpeg::tests::{sample_jpeg, test_rgb};
use crate::codec::jpeg::{decode_jpeg, decode_jpeg_window_into, Region};
use crate::codec::turbo::{encode_for_tests, TurboFormat};
use crate::error::ErrorKind;
use crate::image::resize::{Filter, LetterboxOptions};
use crate::tensor::{ClassifyOptions, Layout, TensorParams};

fn classify(short: usize, crop: usize) -> PipelineSpec {
    PipelineSpec::Classify(ClassifyOptions {
        resize_short: short,
        crop_w: crop,
        crop_h: crop,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        layout: Layout::Nchw,
    })
}

fn letterbox(w: usize, h: usize) -> PipelineSpec {
    PipelineSpec::Letterbox(
        LetterboxOptions {
            width: w,
            height: h,
            ..Default::default()
        },
        Layout::Nchw,
    )
}

fn generic(w: usize, h: usize) -> PipelineSpec {
    PipelineSpec::Generic {
        filter: Filter::CvArea,
        width: w,
        height: h,
        params: TensorParams {
            layout: Layout::Nhwc,
            ..TensorParams::default()
        },
    }
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The unfused chain: decode at `scale` into a packed image, then the pipeline.
fn chain(bytes: &[u8], spec: &PipelineSpec, format: PixelFormat, scale: JpegScale) -> Vec<f32> {
    let opts = DecodeOptions {
        scale,
        ..Default::default()
    };
    let d = decode_jpeg(bytes, format, &opts).unwrap();
    let p = Pipeline::new(d.width, d.height, format, spec).unwrap();
    let mut out = vec![f32::NAN; p.tensor_len().unwrap()];
    p.run(
        &ImageView::packed(&d.pixels, d.width, d.height, format).unwrap(),
        &mut out,
    )
    .unwrap();
    out
}

fn run(bytes: &[u8], spec: &PipelineSpec, opts: &BytesOptions) -> (Vec<f32>, BytesInfo) {
    let n = bytes_tensor_len(bytes, spec, opts).unwrap();
    let mut out = vec![f32::NAN; n + 3];
    let info = bytes_to_tensor(bytes, spec, opts, &mut out).unwrap();
    assert!(out[n..].iter().all(|v| v.is_nan()), "wrote past the tensor");
    out.truncate(n);
    (out, info)
}

/// A region decode writes exactly the full decode's pixels inside the wanted window, for
/// every subsampling, progressive or not, every DCT scale, windows at every edge.
#[test]
fn region_decode_equals_full_decode_inside_the_window() {
    let (w, h) = (203, 141);
    for subsamp in [0, 1, 2, 3, 4, 5] {
        for progressive in [false, true] {
            let jpg = encode_for_tests(
                &test_rgb(w, h),
                w,
                h,
                TurboFormat::Rgb,
                90,
                subsamp,
                progressive,
                if progressive { 0 } else { 3 },
            );
            for num in [8, 4, 2, 1] {
                let opts = DecodeOptions {
                    scale: JpegScale::new(num).unwrap(),
                    ..Default::default()
                };
                let full = decode_jpeg(&jpg, PixelFormat::Rgb8, &opts).unwrap();
                let (fw, fh) = (full.width, full.height);
                let windows = [
                    (fw / 3, fh / 4, fw / 3, fh / 2),
                    (0, 0, fw / 2 + 1, fh / 3 + 1),
                    (fw - fw / 4, fh - fh / 5, fw / 4, fh / 5),
                    (fw / 2 - 1, 1, 3, fh - 2),
                    (17.min(fw - 1), 9.min(fh - 1), 1, 1),
                ];
                for (x, y, ww, wh) in windows {
                    let mut buf = vec![0xA7u8; fw * fh * 3];
                    let mut dst =
                        ImageViewMut::packed(&mut buf, fw, fh, PixelFormat::Rgb8).unwrap();
                    let want = Region { x, y, w: ww, h: wh };
                    decode_jpeg_window_into(&jpg, &mut dst, &opts, Some(want)).unwrap();
                    for yy in y..y + wh {
                        let a = &buf[(yy * fw + x) * 3..(yy * fw + x + ww) * 3];
                        let b = &full.pixels[(yy * fw + x) * 3..(yy * fw + x + ww) * 3];
                        assert_eq!(
                            a, b,
                            "subsamp {subsamp} progressive {progressive} scale {num}/8 \
                             window {ww}x{wh} at ({x},{y}), row {yy}"
                        );
                    }
                }
            }
        }
    }
}

/// A region decode of a wide image really skips columns: far pixels keep their old value.
#[test]
fn region_decode_skips_far_columns() {
    let (w, h) = (640, 96);
    let jpg = sample_jpeg(w, h, 2, false);
    let mut buf = vec![0xA7u8; w * h * 3];
    let mut dst = ImageViewMut::packed(&mut buf, w, h, PixelFormat::Rgb8).unwrap();
    let want = Region {
        x: 300,
        y: 40,
        w: 20,
        h: 10,
    };
    decode_jpeg_window_into(&jpg, &mut dst, &DecodeOptions::default(), Some(want)).unwrap();
    assert!(
        buf[..3 * 200].iter().all(|&v| v == 0xA7),
        "row 0 was decoded"
    );
    let row = 45 * w * 3;
    assert!(buf[row..row + 3 * 200].iter().all(|&v| v == 0xA7));
    assert!(buf[row + 3 * 400..row + 3 * w].iter().all(|&v| v == 0xA7));
}

#[test]
fn exact_mode_equals_decode_then_pipeline() {
    for (w, h, subsamp) in [(333, 217, 2), (217, 333, 1), (640, 480, 0), (97, 61, 3)] {
        let jpg = sample_jpeg(w, h, subsamp, subsamp == 1);
        for spec in [letterbox(160, 128), classify(72, 64), generic(51, 37)] {
            for region in [true, false] {
                let opts = BytesOptions {
                    region_decode: region,
                    ..Default::default()
                };
                let (got, info) = run(&jpg, &spec, &opts);
                let want = chain(&jpg, &spec, PixelFormat::Rgb8, JpegScale::FULL);
                assert!(same_bits(&got, &want), "{w}x{h} {spec:?} region {region}");
                assert_eq!((info.decoded_w, info.decoded_h), (w, h));
                assert_eq!((info.source_w, info.source_h), (w, h));
                assert_eq!(info.scale, JpegScale::FULL);
                assert_eq!(
                    info.geometry.is_some(),
                    matches!(spec, PipelineSpec::Letterbox(..))
                );
            }
        }
    }
}

/// Streaming the decode into the pipeline (rows skipped above the crop, columns cropped,
/// rows discarded below it) gives the unfused chain's bits for every subsampling,
/// progressive or with restart markers, every reduction, crops at every height, gray and
/// BGR, and Pillow and OpenCV filters.
#[test]
fn streamed_decode_equals_decode_then_pipeline_everywhere() {
    let (w, h) = (347, 263);
    let specs = [
        classify(72, 64),
        classify(150, 40),
        PipelineSpec::Classify(ClassifyOptions {
            resize_short: 120,
            crop_w: 30,
            crop_h: 110,
            mean: [0.5; 3],
            std: [0.25; 3],
            layout: Layout::Nhwc,
        }),
        letterbox(96, 96),
        generic(51, 37),
        PipelineSpec::Generic {
            filter: Filter::PilLanczos,
            width: 90,
            height: 70,
            params: TensorParams::default(),
        },
    ];
    let mut ran = 0;
    for subsamp in [0, 1, 2, 3, 4, 5] {
        for (progressive, restart) in [(false, 0), (true, 0), (false, 2)] {
            let jpg = encode_for_tests(
                &test_rgb(w, h),
                w,
                h,
                TurboFormat::Rgb,
                88,
                subsamp,
                progressive,
                restart,
            );
            for spec in &specs {
                for mode in [DecodeMode::Exact, DecodeMode::Reduced] {
                    for format in [PixelFormat::Rgb8, PixelFormat::Bgr8, PixelFormat::Gray8] {
                        let opts = BytesOptions {
                            mode,
                            format,
                            ..Default::default()
                        };
                        let (got, info) = run(&jpg, spec, &opts);
                        let want = chain(&jpg, spec, format, info.scale);
                        assert!(
                            same_bits(&got, &want),
                            "subsamp {subsamp} progressive {progressive} restart {restart} \
                             {spec:?} {mode:?} {format:?}"
                        );
                        ran += 1;
                    }
                }
            }
        }
    }
    assert_eq!(ran, 6 * 3 * 6 * 2 * 3);
}

#[test]
fn bgr_decode_gives_the_same_letterbox_tensor_and_gray_one_channel() {
    let jpg = sample_jpeg(300, 200, 2, false);
    let spec = letterbox(128, 128);
    let (rgb, _) = run(&jpg, &spec, &BytesOptions::default());
    let bgr_opts = BytesOptions {
        format: PixelFormat::Bgr8,
        ..Default::default()
    };
    let (bgr, _) = run(&jpg, &spec, &bgr_opts);
    assert!(same_bits(&rgb, &bgr));
    let gray_opts = BytesOptions {
        format: PixelFormat::Gray8,
        ..Default::default()
    };
    let (gray, _) = run(&jpg, &spec, &gray_opts);
    assert_eq!(gray.len(), 128 * 128);
    assert!(same_bits(
        &gray,
        &chain(&jpg, &spec, PixelFormat::Gray8, JpegScale::FULL)
    ));
}

/// Reduced mode picks Pillow's draft factor for the pipeline's resize size and equals the
/// pipeline on that reduced decode.
#[test]
fn reduced_mode_picks_the_draft_factor() {
    // (w, h, spec, expected num/8)
    let cases = [
        // 1920x1080 -> classify 256: Resize gives 455x256; 1920 >= 4*455, 1080 >= 4*256.
        (1920, 1080, classify(256, 224), 2),
        // letterbox 640: resized 640x360; 1920 >= 2*640 and 1080 >= 2*360, not 4x.
        (1920, 1080, letterbox(640, 640), 4),
        // 1280x720 -> letterbox 640: 640x360, exactly 2x.
        (1280, 720, letterbox(640, 640), 4),
        // 1279x720: 640x360 needs 1280 columns at 1/2: full size.
        (1279, 720, letterbox(640, 640), 8),
        // A small image is never reduced.
        (200, 150, classify(256, 224), 8),
        // Generic 64x48 from 1024x768: 1/8 (1024 >= 8*64, 768 >= 8*48).
        (1024, 768, generic(64, 48), 1),
    ];
    for (w, h, spec, num) in cases {
        let jpg = sample_jpeg(w, h, 2, false);
        let opts = BytesOptions {
            mode: DecodeMode::Reduced,
            ..Default::default()
        };
        let (got, info) = run(&jpg, &spec, &opts);
        assert_eq!(info.scale.num(), num, "{w}x{h} {spec:?}");
        let scale = JpegScale::new(num).unwrap();
        assert_eq!(
            (info.decoded_w, info.decoded_h),
            (
                scale.apply(w as u32) as usize,
                scale.apply(h as u32) as usize
            )
        );
        assert!(same_bits(
            &got,
            &chain(&jpg, &spec, PixelFormat::Rgb8, scale)
        ));
    }
}

#[test]
fn to_source_maps_through_the_reduction() {
    let jpg = sample_jpeg(1280, 720, 2, false);
    let opts = BytesOptions {
        mode: DecodeMode::Reduced,
        ..Default::default()
    };
    let (_, info) = run(&jpg, &letterbox(640, 640), &opts);
    assert_eq!(info.scale.num(), 4);
    // 640x360 decoded, fitted at scale 1 with 140 rows of padding on top.
    let g = info.geometry.unwrap();
    assert_eq!(
        (g.top, g.left, g.resized_w, g.resized_h),
        (140, 0, 640, 360)
    );
    assert_eq!(info.to_source(320.0, 140.0 + 180.0), Some((640.0, 360.0)));
    let (_, info) = run(&jpg, &classify(64, 56), &BytesOptions::default());
    assert_eq!(info.to_source(1.0, 1.0), None);
}

#[test]
fn png_goes_through_the_same_pipelines() {
    let (w, h) = (123, 77);
    let rgb = test_rgb(w, h);
    let mut png = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut png, w as u32, h as u32);
        enc.set_color(::png::ColorType::Rgb);
        enc.set_depth(::png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&rgb).unwrap();
    }
    for spec in [letterbox(96, 96), classify(64, 48)] {
        for mode in [DecodeMode::Exact, DecodeMode::Reduced] {
            let opts = BytesOptions {
                mode,
                ..Default::default()
            };
            let (got, info) = run(&png, &spec, &opts);
            assert_eq!(info.container, ContainerFormat::Png);
            assert_eq!(info.scale, JpegScale::FULL);
            let p = Pipeline::new(w, h, PixelFormat::Rgb8, &spec).unwrap();
            let mut want = vec![0f32; p.tensor_len().unwrap()];
            p.run(
                &ImageView::packed(&rgb, w, h, PixelFormat::Rgb8).unwrap(),
                &mut want,
            )
            .unwrap();
            assert!(same_bits(&got, &want));
        }
    }
}

/// PNGs of every colour type, depth and interlacing, streamed (non-interlaced) or decoded
/// whole (Adam7), give the bits of decode_png_into followed by the pipeline, for both
/// conventions and every decode format.
#[test]
fn png_streams_equal_decode_then_pipeline() {
    use crate::codec::png::tests::encode;
    use ::png::{BitDepth as D, ColorType as C};
    let (w, h) = (157u32, 131u32);
    let mut r = crate::test_rng::Rng32(11);
    let mut next = move || r.next_u32();
    let cases = [
        (C::Rgb, D::Eight),
        (C::Rgba, D::Sixteen),
        (C::Grayscale, D::Four),
        (C::GrayscaleAlpha, D::Eight),
        (C::Indexed, D::Eight),
    ];
    let mut ran = 0;
    for (ct, depth) in cases {
        let max = if ct == C::Indexed {
            200
        } else {
            1u32 << depth as u32
        };
        let samples: Vec<u16> = (0..(w * h) as usize * ct.samples())
            .map(|i| ((i as u32 / 7 + next() % 9) % max) as u16)
            .collect();
        let pal: Vec<u8> = (0..600).map(|_| next() as u8).collect();
        for interlaced in [false, true] {
            let file = encode(
                w,
                h,
                ct,
                depth,
                &samples,
                interlaced,
                (ct == C::Indexed).then_some(&pal[..]),
                None,
            );
            for spec in [letterbox(96, 64), classify(100, 72), generic(40, 90)] {
                for png in [PngConvention::OpenCv, PngConvention::Pillow] {
                    for format in [PixelFormat::Rgb8, PixelFormat::Gray8, PixelFormat::Bgr8] {
                        let opts = BytesOptions {
                            format,
                            png,
                            ..Default::default()
                        };
                        let (got, _) = run(&file, &spec, &opts);
                        let (w, h) = (w as usize, h as usize);
                        let mut px = vec![0u8; w * h * format.bytes_per_pixel()];
                        let o = PngOptions {
                            convention: png,
                            ..Default::default()
                        };
                        decode_png_into(
                            &file,
                            &mut ImageViewMut::packed(&mut px, w, h, format).unwrap(),
                            &o,
                        )
                        .unwrap();
                        let p = Pipeline::new(w, h, format, &spec).unwrap();
                        let mut want = vec![0f32; p.tensor_len().unwrap()];
                        p.run(&ImageView::packed(&px, w, h, format).unwrap(), &mut want)
                            .unwrap();
                        assert!(
                            same_bits(&got, &want),
                            "{ct:?} {depth:?} interlaced {interlaced} {spec:?} {png:?} {format:?}"
                        );
                        ran += 1;
                    }
                }
            }
        }
    }
    assert_eq!(ran, 5 * 2 * 3 * 2 * 3);
}

/// A corrupt PNG row below the crop is still found: every row is decoded.
#[test]
fn png_corruption_below_the_crop_is_an_error() {
    let (w, h) = (64usize, 400usize);
    let rgb = test_rgb(w, h);
    let mut file = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut file, w as u32, h as u32);
        enc.set_color(::png::ColorType::Rgb);
        enc.set_compression(::png::Compression::NoCompression);
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&rgb).unwrap();
    }
    // Stored deflate blocks: a byte near the end of the image data is a pixel of one of the
    // last rows; corrupting it breaks the zlib Adler-32 and the IDAT CRC.
    let spec = classify(64, 32);
    let opts = BytesOptions::default();
    let n = bytes_tensor_len(&file, &spec, &opts).unwrap();
    let mut out = vec![0f32; n];
    assert!(bytes_to_tensor(&file, &spec, &opts, &mut out).is_ok());
    let at = file.len() - 12 - 4 - 4 - 10;
    file[at] ^= 0x55;
    let e = bytes_to_tensor(&file, &spec, &opts, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFile, "{e}");
}

/// Damage in the JPEG rows below the centre crop is still found: the rows the tensor
/// does not need are entropy-decoded, not skipped unread.
#[test]
fn jpeg_truncation_below_the_crop_is_an_error() {
    let jpg = sample_jpeg(96, 800, 2, false);
    let cut = &jpg[..jpg.len() * 19 / 20];
    let spec = classify(96, 64);
    let strict = BytesOptions::default();
    let n = bytes_tensor_len(&jpg, &spec, &strict).unwrap();
    let mut out = vec![0f32; n];
    let whole = bytes_to_tensor(&jpg, &spec, &strict, &mut out).unwrap();
    assert!(!whole.truncated);
    let want = out.clone();
    let e = bytes_to_tensor(cut, &spec, &strict, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFile, "{e}");
    let lenient = BytesOptions {
        accept_truncated: true,
        ..strict
    };
    let info = bytes_to_tensor(cut, &spec, &lenient, &mut out).unwrap();
    assert!(info.truncated);
    // The crop lies above the damage: the tensor is the whole file's.
    assert!(same_bits(&out, &want));
}

/// A JPEG whose data runs into a second SOS: libjpeg warns ("premature end of data
/// segment"), then `jpeg_finish_decompress` fails ("Didn't expect more than one scan").
/// Strict, both the decoder and the pipeline refuse it; accepting truncation, TurboJPEG
/// reports the whole decode as a warning, and the streamed pipeline does the same (found
/// by the bounded fuzzing).
#[test]
fn fatal_error_after_a_warning_is_truncation_when_accepted() {
    fatal_after_warning(include_bytes!(
        "../../../tests/data/jpeg/fatal-after-warning.jpg"
    ));
    // A bogus Huffman table after the scan, a non-sequential SOS warned about first.
    fatal_after_warning(include_bytes!(
        "../../../tests/data/jpeg/fatal-in-data-after-warning.jpg"
    ));
}

/// A multi-scan JPEG that fails inside `jpeg_start_decompress` after a warning, cropped
/// by a classification pipeline: accepting truncation, the crop is skipped (the decode
/// has stopped) and the call succeeds as the full decode does.
#[test]
fn crop_after_a_dead_start_is_skipped() {
    let jpg: &[u8] = include_bytes!("../../../tests/data/jpeg/fatal-at-start-then-crop.jpg");
    let lenient = BytesOptions {
        accept_truncated: true,
        ..Default::default()
    };
    let full = DecodeOptions {
        accept_truncated: true,
        ..Default::default()
    };
    assert!(
        decode_jpeg(jpg, PixelFormat::Rgb8, &full)
            .unwrap()
            .outcome
            .truncated
    );
    for spec in [classify(24, 16), letterbox(32, 24), generic(9, 7)] {
        for mode in [DecodeMode::Exact, DecodeMode::Reduced] {
            let o = BytesOptions { mode, ..lenient };
            let n = bytes_tensor_len(jpg, &spec, &o).unwrap();
            let mut out = vec![f32::NAN; n];
            let info = bytes_to_tensor(jpg, &spec, &o, &mut out).unwrap();
            assert!(info.truncated, "{spec:?} {mode:?}");
            assert!(out.iter().all(|v| v.is_finite()), "{spec:?} {mode:?}");
        }
    }
}

fn fatal_after_warning(jpg: &[u8]) {
    let spec = letterbox(32, 24);
    let strict = BytesOptions::default();
    let n = bytes_tensor_len(jpg, &spec, &strict).unwrap();
    let mut out = vec![0f32; n];
    let e = bytes_to_tensor(jpg, &spec, &strict, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFile, "{e}");
    let full = DecodeOptions::default();
    assert!(decode_jpeg(jpg, PixelFormat::Rgb8, &full).is_err());
    let lenient = BytesOptions {
        accept_truncated: true,
        ..strict
    };
    let lenient_full = DecodeOptions {
        accept_truncated: true,
        ..full
    };
    let d = decode_jpeg(jpg, PixelFormat::Rgb8, &lenient_full).unwrap();
    assert!(d.outcome.truncated);
    for mode in [DecodeMode::Exact, DecodeMode::Reduced] {
        let o = BytesOptions { mode, ..lenient };
        let info = bytes_to_tensor(jpg, &spec, &o, &mut out).unwrap();
        assert!(info.truncated, "{mode:?}");
    }
    // The rows decoded before the failure, and zeros for those neither decoder could give:
    // the tensor is the lenient full decode's.
    let p = Pipeline::new(d.width, d.height, PixelFormat::Rgb8, &spec).unwrap();
    let mut want = vec![0f32; p.tensor_len().unwrap()];
    p.run(
        &ImageView::packed(&d.pixels, d.width, d.height, PixelFormat::Rgb8).unwrap(),
        &mut want,
    )
    .unwrap();
    let (got, _) = run(jpg, &spec, &lenient);
    assert!(same_bits(&got, &want));
}

#[test]
fn batch_equals_one_by_one() {
    let items: Vec<Vec<u8>> = [(333, 217, 2), (640, 480, 0), (217, 333, 1), (1000, 600, 2)]
        .iter()
        .map(|&(w, h, s)| sample_jpeg(w, h, s, false))
        .collect();
    let refs: Vec<&[u8]> = items.iter().map(|v| v.as_slice()).collect();
    for spec in [letterbox(128, 128), classify(72, 64)] {
        for mode in [DecodeMode::Exact, DecodeMode::Reduced] {
            let opts = BytesOptions {
                mode,
                ..Default::default()
            };
            let per = bytes_tensor_len(refs[0], &spec, &opts).unwrap();
            let mut out = vec![f32::NAN; per * refs.len()];
            let infos = bytes_batch_to_tensor(&refs, &spec, &opts, &mut out).unwrap();
            for (i, b) in refs.iter().enumerate() {
                let (one, info) = run(b, &spec, &opts);
                assert!(same_bits(&out[i * per..(i + 1) * per], &one), "image {i}");
                assert_eq!(infos[i], info);
            }
        }
    }
}

#[test]
fn refusals_write_nothing() {
    let jpg = sample_jpeg(64, 48, 2, false);
    let spec = letterbox(32, 32);
    let mut out = vec![f32::NAN; 3 * 32 * 32];
    let nan = |o: &[f32]| o.iter().all(|v| v.is_nan());
    let rgba = BytesOptions {
        format: PixelFormat::Rgba8,
        ..Default::default()
    };
    let e = bytes_to_tensor(&jpg, &spec, &rgba, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedFormat);
    let e = bytes_to_tensor(&jpg, &spec, &BytesOptions::default(), &mut out[..100]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
    let e =
        bytes_to_tensor(b"not an image", &spec, &BytesOptions::default(), &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedFormat);
    // Truncated entropy data: refused by default, decoded with accept_truncated.
    let cut = &jpg[..jpg.len() * 2 / 3];
    let e = bytes_to_tensor(cut, &spec, &BytesOptions::default(), &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFile);
    assert!(nan(&out));
    let lenient = BytesOptions {
        accept_truncated: true,
        ..Default::default()
    };
    assert!(
        bytes_to_tensor(cut, &spec, &lenient, &mut out)
            .unwrap()
            .truncated
    );
    // The pixel limit applies before anything is decoded.
    let small = BytesOptions {
        max_pixels: 64 * 48 - 1,
        ..Default::default()
    };
    let mut out = vec![f32::NAN; 3 * 32 * 32];
    let e = bytes_to_tensor(&jpg, &spec, &small, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeOverflow);
    assert!(nan(&out));
    // A batch whose images give different tensor sizes (letterbox auto) is refused whole.
    let auto = PipelineSpec::Letterbox(
        LetterboxOptions {
            width: 64,
            height: 64,
            auto: true,
            stride: 8,
            ..Default::default()
        },
        Layout::Nchw,
    );
    let other = sample_jpeg(64, 40, 2, false);
    let mut out = vec![f32::NAN; 2 * 3 * 64 * 64];
    let e = bytes_batch_to_tensor(&[&jpg, &other], &auto, &BytesOptions::default(), &mut out)
        .unwrap_err();
    assert!(e.message().contains("image 1"), "{}", e.message());
    assert!(nan(&out));
    let e = bytes_batch_to_tensor(&[&jpg, b"xx"], &spec, &BytesOptions::default(), &mut out)
        .unwrap_err();
    assert!(e.message().starts_with("image 1:"), "{}", e.message());
    assert!(nan(&out));
    assert!(bytes_batch_to_tensor(&[], &spec, &BytesOptions::default(), &mut out).is_err());
}
