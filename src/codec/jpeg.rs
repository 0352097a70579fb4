//! JPEG decoding into caller memory, exact with `cv2.imdecode` and Pillow (see the rules in
//! [`crate::codec`]).
//!
//! ```
//! use scipix::codec::{jpeg, DecodeOptions, JpegScale};
//! use scipix::image::{ImageViewMut, PixelFormat};
//!
//! # fn demo(bytes: &[u8]) -> scipix::Result<()> {
//! // Half size, as cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_2) (BGR order).
//! let opts = DecodeOptions { scale: JpegScale::HALF, apply_exif_orientation: true, ..Default::default() };
//! let (w, h) = jpeg::jpeg_output_size(bytes, &opts)?;
//! let mut pixels = vec![0u8; w * h * 3];
//! let mut dst = ImageViewMut::packed(&mut pixels, w, h, PixelFormat::Bgr8)?;
//! let outcome = jpeg::decode_jpeg_into(bytes, &mut dst, &opts)?;
//! assert!(!outcome.truncated);
//! # Ok(())
//! # }
//! ```

pub(crate) use super::turbo::Region;
use super::turbo::{Handle, Limits, TurboFormat};
pub use super::{jpeg_output_size, probe_decodable};
use super::{output_size, DecodeOptions, DecodeOutcome, MAX_SCANS};
use crate::error::{try_filled_vec, Error, Result};
use crate::image::{ImageViewMut, PixelFormat};

/// A decoded image in an owned, tightly packed buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    /// `width * height * bytes_per_pixel` bytes, rows top to bottom.
    pub pixels: Vec<u8>,
    /// Width in pixels.
    pub width: usize,
    /// Height in rows.
    pub height: usize,
    /// Pixel format of `pixels`.
    pub format: PixelFormat,
    /// Whether libjpeg recovered from truncated data.
    pub outcome: DecodeOutcome,
}

fn turbo_format(f: PixelFormat) -> TurboFormat {
    match f {
        PixelFormat::Gray8 => TurboFormat::Gray,
        PixelFormat::Rgb8 => TurboFormat::Rgb,
        PixelFormat::Bgr8 => TurboFormat::Bgr,
        PixelFormat::Rgba8 => TurboFormat::Rgba,
        PixelFormat::Bgra8 => TurboFormat::Bgra,
    }
}

/// Decodes the JPEG `bytes` into `dst`, whose size must be exactly
/// [`jpeg_output_size`] and whose format may be any [`PixelFormat`] (alpha is 255). Only the
/// `width * bpp` bytes of each destination row are written, so `dst` may be a sub-region of a
/// larger image. Nothing is written when the header, the options or `dst` are rejected; when
/// the entropy data turns out to be corrupt (an `InvalidFile` error during the decode), `dst`
/// may be partly written.
pub fn decode_jpeg_into(
    bytes: &[u8],
    dst: &mut ImageViewMut,
    opts: &DecodeOptions,
) -> Result<DecodeOutcome> {
    decode_jpeg_window_into(bytes, dst, opts, None)
}

/// [`decode_jpeg_into`] that, given `want` (a rectangle of the output), may decode only
/// the part of the image those pixels need: the pixels of `want` are exactly those of the
/// full decode, pixels far from `want` are not written (see `turbo::Handle::
/// decompress_region` for the margin). Exif-rotated and CMYK images are decoded whole.
pub(crate) fn decode_jpeg_window_into(
    bytes: &[u8],
    dst: &mut ImageViewMut,
    opts: &DecodeOptions,
    want: Option<Region>,
) -> Result<DecodeOutcome> {
    let info = probe_decodable(bytes)?;
    let (w, h) = output_size(&info, opts)?;
    if (dst.width(), dst.height()) != (w, h) {
        return Err(Error::invalid(format!(
            "destination is {}x{}, the decoded JPEG is {w}x{h}",
            dst.width(),
            dst.height()
        )));
    }
    let format = turbo_format(dst.format());
    let limits = Limits {
        max_pixels: opts.max_pixels,
        max_scans: MAX_SCANS,
        stop_on_warning: !opts.accept_truncated,
    };
    let mut handle = Handle::decompressor()?;
    let orientation = if opts.apply_exif_orientation {
        info.exif_orientation
    } else {
        1
    };
    let cmyk = info.channels == 4;
    let truncated = if orientation == 1 && !cmyk {
        let stride = dst.stride();
        handle
            .decompress_region(
                bytes,
                opts.scale.num(),
                format,
                dst.as_bytes_mut(),
                stride,
                limits,
                want,
            )?
            .0
    } else {
        // Decode upright at the scaled size (CMYK as libjpeg's raw CMYK, converted the way
        // OpenCV does), then flip/rotate into place.
        let sw = opts.scale.apply(info.width) as usize;
        let sh = opts.scale.apply(info.height) as usize;
        let decoded = if cmyk { TurboFormat::Cmyk } else { format };
        let n = decoded.bytes_per_pixel();
        let mut tmp = try_filled_vec(0u8, sw * sh * n, "JPEG decode buffer")?;
        let t = handle.decompress(bytes, opts.scale.num(), decoded, &mut tmp, sw * n, limits)?;
        if cmyk {
            tmp = cmyk_to(&tmp, dst.format())?;
        }
        orient(&tmp, sw, sh, format.bytes_per_pixel(), orientation, dst);
        t
    };
    Ok(DecodeOutcome { truncated })
}

/// [`decode_jpeg_into`] into a new packed buffer of `format`.
pub fn decode_jpeg(
    bytes: &[u8],
    format: PixelFormat,
    opts: &DecodeOptions,
) -> Result<DecodedImage> {
    let (width, height) = jpeg_output_size(bytes, opts)?;
    let mut pixels = try_filled_vec(
        0u8,
        width * height * format.bytes_per_pixel(),
        "JPEG output",
    )?;
    let mut dst = ImageViewMut::packed(&mut pixels, width, height, format)?;
    let outcome = decode_jpeg_into(bytes, &mut dst, opts)?;
    Ok(DecodedImage {
        pixels,
        width,
        height,
        format,
        outcome,
    })
}

/// Converts libjpeg's raw CMYK pixels (as Adobe writes them: inverted) to `format` exactly
/// as OpenCV's `icvCvt_CMYK2BGR_8u_C4C3R` / `icvCvt_CMYK2Gray_8u_C4C1R`:
/// `R = K - ((255 - C) * K >> 8)` (likewise G from M, B from Y), gray
/// `(4899 R + 9617 G + 1868 B + 8192) >> 14`, alpha 255. (Pillow's CMYK to RGB differs by up
/// to 2 levels; scipix follows cv2 here.)
fn cmyk_to(cmyk: &[u8], format: PixelFormat) -> Result<Vec<u8>> {
    let bpp = format.bytes_per_pixel();
    let mut out = try_filled_vec(0u8, cmyk.len() / 4 * bpp, "CMYK conversion buffer")?;
    for (px, o) in cmyk.chunks_exact(4).zip(out.chunks_exact_mut(bpp)) {
        let k = px[3] as u32;
        let f = |c: u8| (k - (((255 - c as u32) * k) >> 8)) as u8;
        let (r, g, b) = (f(px[0]), f(px[1]), f(px[2]));
        match format.rgb_offsets() {
            None => {
                o[0] = ((4899 * r as u32 + 9617 * g as u32 + 1868 * b as u32 + 8192) >> 14) as u8
            }
            Some((ri, gi, bi)) => {
                o[ri] = r;
                o[gi] = g;
                o[bi] = b;
                if bpp == 4 {
                    o[3] = 255;
                }
            }
        }
    }
    Ok(out)
}

/// Writes the packed `sw`x`sh` image `src` into `dst` transformed by Exif `orientation`
/// (2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
/// 8 rotate 90 counter-clockwise), as OpenCV's `ApplyExifOrientation` does.
fn orient(src: &[u8], sw: usize, sh: usize, bpp: usize, orientation: u8, dst: &mut ImageViewMut) {
    let (dw, dh) = (dst.width(), dst.height());
    for y in 0..dh {
        let row = dst.row_mut(y);
        for x in 0..dw {
            let (sx, sy) = match orientation {
                2 => (sw - 1 - x, y),
                3 => (sw - 1 - x, sh - 1 - y),
                4 => (x, sh - 1 - y),
                5 => (y, x),
                6 => (y, sh - 1 - x),
                7 => (sw - 1 - y, sh - 1 - x),
                8 => (sw - 1 - y, x),
                _ => (x, y),
            };
            let s = (sy * sw + sx) * bpp;
            row[x * bpp..(x + 1) * bpp].copy_from_slice(&src[s..s + bpp]);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::turbo::encode_for_tests;
    use super::*;
    use crate::codec::JpegScale;
    use crate::error::ErrorKind;

    /// A smooth gradient with edges: the kind of content whose chroma upsampling matters.
    pub(crate) fn test_rgb(w: usize, h: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let edge = if (x / 5 + y / 3) % 2 == 0 { 60 } else { 0 };
                v.push(((x * 255) / w.max(1)) as u8);
                v.push(((y * 255) / h.max(1)) as u8 / 2 + edge);
                v.push(((x ^ y) * 7 % 256) as u8);
            }
        }
        v
    }

    pub(crate) fn sample_jpeg(w: usize, h: usize, subsamp: i32, progressive: bool) -> Vec<u8> {
        encode_for_tests(
            &test_rgb(w, h),
            w,
            h,
            TurboFormat::Rgb,
            85,
            subsamp,
            progressive,
            0,
        )
    }

    #[test]
    fn decodes_to_every_format_consistently() {
        let jpg = sample_jpeg(33, 17, 2, false);
        let opts = DecodeOptions::default();
        let rgb = decode_jpeg(&jpg, PixelFormat::Rgb8, &opts).unwrap();
        assert_eq!((rgb.width, rgb.height), (33, 17));
        // The round trip is close to the source (quality 85).
        let src = test_rgb(33, 17);
        let err: u64 = rgb
            .pixels
            .iter()
            .zip(&src)
            .map(|(a, b)| a.abs_diff(*b) as u64)
            .sum();
        assert!(
            err / (src.len() as u64) < 24,
            "mean error {}",
            err / src.len() as u64
        );
        let bgr = decode_jpeg(&jpg, PixelFormat::Bgr8, &opts).unwrap();
        let rgba = decode_jpeg(&jpg, PixelFormat::Rgba8, &opts).unwrap();
        let bgra = decode_jpeg(&jpg, PixelFormat::Bgra8, &opts).unwrap();
        for i in 0..33 * 17 {
            let p = &rgb.pixels[i * 3..i * 3 + 3];
            assert_eq!(&bgr.pixels[i * 3..i * 3 + 3], &[p[2], p[1], p[0]]);
            assert_eq!(&rgba.pixels[i * 4..i * 4 + 4], &[p[0], p[1], p[2], 255]);
            assert_eq!(&bgra.pixels[i * 4..i * 4 + 4], &[p[2], p[1], p[0], 255]);
        }
        let gray = decode_jpeg(&jpg, PixelFormat::Gray8, &opts).unwrap();
        assert_eq!(gray.pixels.len(), 33 * 17);
    }

    #[test]
    fn scaled_sizes_round_up() {
        let jpg = sample_jpeg(33, 17, 1, true);
        for (num, want) in [
            (8, (33, 17)),
            (4, (17, 9)),
            (2, (9, 5)),
            (1, (5, 3)),
            (16, (66, 34)),
        ] {
            let opts = DecodeOptions {
                scale: JpegScale::new(num).unwrap(),
                ..Default::default()
            };
            assert_eq!(jpeg_output_size(&jpg, &opts).unwrap(), want);
            let d = decode_jpeg(&jpg, PixelFormat::Gray8, &opts).unwrap();
            assert_eq!((d.width, d.height), want);
        }
        assert!(JpegScale::new(0).is_err() && JpegScale::new(17).is_err());
    }

    #[test]
    fn sub_region_leaves_the_rest_untouched() {
        let jpg = sample_jpeg(7, 5, 2, false);
        let packed = decode_jpeg(&jpg, PixelFormat::Rgb8, &DecodeOptions::default()).unwrap();
        let (stride, rows) = (40, 9);
        let mut buf = vec![0xA5u8; stride * rows];
        let mut parent = ImageViewMut::new(&mut buf, 12, rows, stride, PixelFormat::Rgb8).unwrap();
        let mut sub = parent.subview_mut(3, 2, 7, 5).unwrap();
        decode_jpeg_into(&jpg, &mut sub, &DecodeOptions::default()).unwrap();
        for y in 0..rows {
            for x in 0..stride {
                let inside = (2..7).contains(&y) && (9..30).contains(&x);
                let v = buf[y * stride + x];
                if inside {
                    assert_eq!(v, packed.pixels[(y - 2) * 21 + (x - 9)]);
                } else {
                    assert_eq!(v, 0xA5, "byte ({x},{y}) outside the view was written");
                }
            }
        }
    }

    #[test]
    fn wrong_destination_is_refused_without_writing() {
        let jpg = sample_jpeg(8, 8, 0, false);
        let mut buf = vec![9u8; 9 * 8 * 3];
        let mut dst = ImageViewMut::packed(&mut buf, 9, 8, PixelFormat::Rgb8).unwrap();
        let e = decode_jpeg_into(&jpg, &mut dst, &DecodeOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(buf.iter().all(|&b| b == 9));
    }

    #[test]
    fn limits_are_checked_from_the_header() {
        let jpg = sample_jpeg(40, 30, 2, false);
        let tight = DecodeOptions {
            max_pixels: 40 * 30 - 1,
            ..Default::default()
        };
        assert_eq!(
            jpeg_output_size(&jpg, &tight).unwrap_err().kind(),
            ErrorKind::SizeOverflow
        );
        let exact = DecodeOptions {
            max_pixels: 40 * 30,
            ..Default::default()
        };
        assert!(decode_jpeg(&jpg, PixelFormat::Gray8, &exact).is_ok());
    }

    #[test]
    fn truncation_is_an_error_unless_accepted() {
        let jpg = sample_jpeg(64, 48, 2, false);
        let cut = &jpg[..jpg.len() * 2 / 3];
        let e = decode_jpeg(cut, PixelFormat::Rgb8, &DecodeOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidFile, "{e}");
        let lenient = DecodeOptions {
            accept_truncated: true,
            ..Default::default()
        };
        let d = decode_jpeg(cut, PixelFormat::Rgb8, &lenient).unwrap();
        assert!(d.outcome.truncated);
        let full = decode_jpeg(&jpg, PixelFormat::Rgb8, &lenient).unwrap();
        assert!(!full.outcome.truncated);
    }

    #[test]
    fn orientation_matches_the_upright_decode() {
        let jpg = sample_jpeg(6, 4, 0, false);
        let up = decode_jpeg(&jpg, PixelFormat::Gray8, &DecodeOptions::default()).unwrap();
        let px = |x: usize, y: usize| up.pixels[y * 6 + x];
        let mut dst = vec![0u8; 24];
        type SourceOf = fn(usize, usize) -> (usize, usize);
        let expect: [(u8, (usize, usize), SourceOf); 7] = [
            (2, (6, 4), |x, y| (5 - x, y)),
            (3, (6, 4), |x, y| (5 - x, 3 - y)),
            (4, (6, 4), |x, y| (x, 3 - y)),
            (5, (4, 6), |x, y| (y, x)),
            (6, (4, 6), |x, y| (y, 3 - x)),
            (7, (4, 6), |x, y| (5 - y, 3 - x)),
            (8, (4, 6), |x, y| (5 - y, x)),
        ];
        for (o, (w, h), f) in expect {
            let mut v = ImageViewMut::packed(&mut dst, w, h, PixelFormat::Gray8).unwrap();
            orient(&up.pixels, 6, 4, 1, o, &mut v);
            for y in 0..h {
                for x in 0..w {
                    let (sx, sy) = f(x, y);
                    assert_eq!(dst[y * w + x], px(sx, sy), "orientation {o} at ({x},{y})");
                }
            }
        }
    }

    #[test]
    fn cmyk_follows_opencv() {
        let raw: Vec<u8> = (0..12 * 10 * 4).map(|i| (i * 97 % 256) as u8).collect();
        let jpg = encode_for_tests(&raw, 12, 10, TurboFormat::Cmyk, 95, 0, false, 0);
        assert_eq!(probe_decodable(&jpg).unwrap().channels, 4);
        let opts = DecodeOptions::default();
        let rgb = decode_jpeg(&jpg, PixelFormat::Rgb8, &opts).unwrap();
        let gray = decode_jpeg(&jpg, PixelFormat::Gray8, &opts).unwrap();
        let bgra = decode_jpeg(&jpg, PixelFormat::Bgra8, &opts).unwrap();
        for i in 0..120 {
            let p = &rgb.pixels[i * 3..i * 3 + 3];
            let (r, g, b) = (p[0] as u32, p[1] as u32, p[2] as u32);
            assert_eq!(
                gray.pixels[i] as u32,
                (4899 * r + 9617 * g + 1868 * b + 8192) >> 14
            );
            assert_eq!(&bgra.pixels[i * 4..i * 4 + 4], &[p[2], p[1], p[0], 255]);
        }
        // Oriented and scaled CMYK decodes take the same path.
        let o = DecodeOptions {
            scale: JpegScale::HALF,
            apply_exif_orientation: true,
            ..opts
        };
        assert_eq!(decode_jpeg(&jpg, PixelFormat::Rgb8, &o).unwrap().width, 6);
    }

    #[test]
    fn non_jpeg_and_unsupported_inputs() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let e = decode_jpeg(&png, PixelFormat::Rgb8, &DecodeOptions::default()).unwrap_err();
        assert!(matches!(
            e.kind(),
            ErrorKind::UnsupportedFormat | ErrorKind::InvalidFile
        ));
        let from_rgba = encode_for_tests(&[0u8; 16 * 4], 4, 4, TurboFormat::Rgba, 90, 0, false, 0);
        assert!(decode_jpeg(&from_rgba, PixelFormat::Rgb8, &DecodeOptions::default()).is_ok());
    }
}
