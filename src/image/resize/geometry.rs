//! Crop, pad and letterbox: the geometry of model inputs around a resize.
//!
//! * [`center_crop_rect`] computes the window `torchvision.transforms.CenterCrop` takes;
//!   [`crop_pad`] copies any window of an image, filling what lies outside with one colour
//!   (so a crop larger than the image pads, as torchvision does).
//! * [`pad_constant`] is `cv2.copyMakeBorder(src, top, bottom, left, right,
//!   BORDER_CONSTANT, value)`.
//! * [`letterbox_geometry`] / [`letterbox`] are Ultralytics' `LetterBox`: scale to fit
//!   keeping the aspect ratio (`cv2.resize` `INTER_LINEAR`), pad with 114.

use super::{Filter, Resizer, MAX_SIDE};
use crate::error::{Error, Result};
use crate::image::{ImageView, ImageViewMut};

/// A window of a source image addressed with signed offsets: output pixel `(x, y)` of a
/// `width` x `height` result is source pixel `(left + x, top + y)`, or the fill colour
/// where that lies outside the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropRect {
    /// Source column of the window's first column (negative: padding on the left).
    pub left: i64,
    /// Source row of the window's first row (negative: padding on top).
    pub top: i64,
    /// Window width in pixels.
    pub width: usize,
    /// Window height in pixels.
    pub height: usize,
}

/// Python's `round()` on a float: to nearest, ties to even (`round(2.5) == 2`).
fn py_round(x: f64) -> f64 {
    x.round_ties_even()
}

fn check_sides(what: &str, w: usize, h: usize) -> Result<()> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::invalid(format!(
            "{what} {w}x{h}: each side must be 1..={MAX_SIDE}"
        )));
    }
    Ok(())
}

/// One axis of `torchvision.transforms.functional.center_crop`: an image side `n` cropped
/// to `c`. When `c > n` torchvision pads `(c - n) // 2` before (and `(c - n + 1) // 2`
/// after), and the crop then starts at the padded image's first pixel; otherwise the crop
/// starts at `int(round((n - c) / 2.0))` with Python's ties-to-even rounding.
fn center_axis(n: usize, c: usize) -> i64 {
    if c > n {
        -(((c - n) / 2) as i64)
    } else {
        py_round((n - c) as f64 / 2.0) as i64
    }
}

/// The window `torchvision.transforms.CenterCrop((crop_h, crop_w))` takes of a `w` x `h`
/// image (see [`CropRect`]; negative offsets are torchvision's zero padding when the crop
/// is larger than the image). Fails on a zero or too large side.
pub fn center_crop_rect(w: usize, h: usize, crop_w: usize, crop_h: usize) -> Result<CropRect> {
    check_sides("image size", w, h)?;
    check_sides("crop size", crop_w, crop_h)?;
    Ok(CropRect {
        left: center_axis(w, crop_w),
        top: center_axis(h, crop_h),
        width: crop_w,
        height: crop_h,
    })
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

fn fill_row(row: &mut [u8], px: &[u8]) {
    for d in row.chunks_exact_mut(px.len()) {
        d.copy_from_slice(px);
    }
}

/// Copies the window of `src` at (`left`, `top`) of `dst`'s size into `dst`; destination
/// pixels whose source lies outside `src` get `fill` (its first `bytes_per_pixel` bytes,
/// in memory channel order). Formats must match. Writes nothing on failure.
pub fn crop_pad(
    src: &ImageView,
    left: i64,
    top: i64,
    dst: &mut ImageViewMut,
    fill: [u8; 4],
) -> Result<()> {
    if src.format() != dst.format() {
        return Err(Error::new(
            crate::error::ErrorKind::UnsupportedFormat,
            format!(
                "source is {} but destination is {}",
                src.format().name(),
                dst.format().name()
            ),
        ));
    }
    let lim = MAX_SIDE as i64 * 2;
    if left.abs() > lim || top.abs() > lim {
        return Err(Error::invalid(format!(
            "crop offset ({left},{top}) is beyond +-{lim}"
        )));
    }
    let bpp = src.format().bytes_per_pixel();
    let px = &fill[..bpp];
    let (ox, sx, nx) = overlap(left, dst.width(), src.width());
    let (oy, sy, ny) = overlap(top, dst.height(), src.height());
    for y in 0..dst.height() {
        let row = dst.row_mut(y);
        if nx == 0 || y < oy || y >= oy + ny {
            fill_row(row, px);
            continue;
        }
        let s = src.row(sy + y - oy);
        fill_row(&mut row[..ox * bpp], px);
        row[ox * bpp..(ox + nx) * bpp].copy_from_slice(&s[sx * bpp..(sx + nx) * bpp]);
        fill_row(&mut row[(ox + nx) * bpp..], px);
    }
    Ok(())
}

/// `torchvision.transforms.CenterCrop(dst size)` of `src` into `dst` (same format):
/// the window of [`center_crop_rect`], padded with `fill` (torchvision uses 0) where the
/// crop is larger than the image.
pub fn center_crop(src: &ImageView, dst: &mut ImageViewMut, fill: [u8; 4]) -> Result<()> {
    let r = center_crop_rect(src.width(), src.height(), dst.width(), dst.height())?;
    crop_pad(src, r.left, r.top, dst, fill)
}

/// `cv2.copyMakeBorder(src, top, bottom, left, right, cv2.BORDER_CONSTANT, value=fill)`
/// into `dst`, whose size fixes `bottom = dst.height - src.height - top` and
/// `right = dst.width - src.width - left`. Fails (writing nothing) when `src` at
/// (`left`, `top`) does not fit inside `dst` or the formats differ.
pub fn pad_constant(
    src: &ImageView,
    dst: &mut ImageViewMut,
    top: usize,
    left: usize,
    fill: [u8; 4],
) -> Result<()> {
    let fits = |o: usize, n: usize, all: usize| o.checked_add(n).is_some_and(|e| e <= all);
    if !fits(left, src.width(), dst.width()) || !fits(top, src.height(), dst.height()) {
        return Err(Error::invalid(format!(
            "a {}x{} source at (left {left}, top {top}) does not fit the {}x{} destination",
            src.width(),
            src.height(),
            dst.width(),
            dst.height()
        )));
    }
    crop_pad(src, -(left as i64), -(top as i64), dst, fill)
}

/// Options of Ultralytics' `LetterBox(new_shape, auto, scale_fill, scaleup, center,
/// stride)` plus the pad colour. [`Default`] is Ultralytics' default for 640x640:
/// no `auto`, no `scale_fill`, `scaleup`, `center`, stride 32, colour 114.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetterboxOptions {
    /// Target width (`new_shape[1]`).
    pub width: usize,
    /// Target height (`new_shape[0]`).
    pub height: usize,
    /// Pad colour, first `bytes_per_pixel` bytes in memory channel order.
    pub color: [u8; 4],
    /// Allow enlarging (`scaleup`); when false the scale is at most 1.
    pub scaleup: bool,
    /// Minimum rectangle (`auto`): keep only `padding mod stride`, so the output is
    /// smaller than the target.
    pub auto: bool,
    /// Stretch to the target without keeping the aspect (`scaleFill`); ignored with `auto`.
    pub scale_fill: bool,
    /// Split the padding on both sides (`center`); when false all of it goes right/bottom.
    pub center: bool,
    /// Stride of `auto` (> 0).
    pub stride: usize,
}

impl Default for LetterboxOptions {
    fn default() -> Self {
        LetterboxOptions {
            width: 640,
            height: 640,
            color: [114, 114, 114, 114],
            scaleup: true,
            auto: false,
            scale_fill: false,
            center: true,
            stride: 32,
        }
    }
}

/// Where the source lands in a letterboxed image, and how to map points back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LetterboxGeometry {
    /// Horizontal scale (letterbox pixels per source pixel); equals `scale_y` unless
    /// `scale_fill`.
    pub scale_x: f64,
    /// Vertical scale.
    pub scale_y: f64,
    /// Size of the resized source inside the output (`new_unpad`).
    pub resized_w: usize,
    /// Height of the resized source.
    pub resized_h: usize,
    /// Padding columns on the left.
    pub left: usize,
    /// Padding rows on top.
    pub top: usize,
    /// Padding columns on the right.
    pub right: usize,
    /// Padding rows at the bottom.
    pub bottom: usize,
    /// Output width: `left + resized_w + right` (the target width unless `auto`).
    pub out_w: usize,
    /// Output height: `top + resized_h + bottom`.
    pub out_h: usize,
}

impl LetterboxGeometry {
    /// Maps a point of the letterboxed image back to the source frame:
    /// `((x - left) / scale_x, (y - top) / scale_y)` (Ultralytics' `scale_boxes` with the
    /// exact pads; clip to the frame yourself if needed).
    pub fn to_source(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (x - self.left as f64) / self.scale_x,
            (y - self.top as f64) / self.scale_y,
        )
    }
}

/// Ultralytics' `LetterBox` arithmetic, in f64 exactly as its Python code runs it:
///
/// ```text
/// r = min(height / h, width / w); if !scaleup: r = min(r, 1.0)
/// resized = (round(w * r), round(h * r))          # Python round: ties to even
/// dw, dh = width - resized_w, height - resized_h
/// if auto: dw, dh = dw mod stride, dh mod stride
/// elif scale_fill: dw = dh = 0; resized = (width, height); scales = width / w, height / h
/// if center: dw /= 2; dh /= 2
/// top = round(dh - 0.1) if center else 0; bottom = round(dh + 0.1)
/// left = round(dw - 0.1) if center else 0; right = round(dw + 0.1)
/// ```
///
/// Fails on a zero or too large source or target side, a zero stride, or a resized side
/// that rounds to 0 (e.g. a 1x10000 frame fitted into 640x640).
pub fn letterbox_geometry(
    src_w: usize,
    src_h: usize,
    o: &LetterboxOptions,
) -> Result<LetterboxGeometry> {
    check_sides("source size", src_w, src_h)?;
    check_sides("letterbox size", o.width, o.height)?;
    if o.auto && o.stride == 0 {
        return Err(Error::invalid("letterbox stride must be > 0 with auto"));
    }
    let mut r = (o.height as f64 / src_h as f64).min(o.width as f64 / src_w as f64);
    if !o.scaleup {
        r = r.min(1.0);
    }
    let mut rw = py_round(src_w as f64 * r) as usize;
    let mut rh = py_round(src_h as f64 * r) as usize;
    let (mut sx, mut sy) = (r, r);
    let (mut dw, mut dh) = (o.width as f64 - rw as f64, o.height as f64 - rh as f64);
    if o.auto {
        dw = ((o.width - rw) % o.stride) as f64;
        dh = ((o.height - rh) % o.stride) as f64;
    } else if o.scale_fill {
        dw = 0.0;
        dh = 0.0;
        rw = o.width;
        rh = o.height;
        sx = o.width as f64 / src_w as f64;
        sy = o.height as f64 / src_h as f64;
    }
    if rw == 0 || rh == 0 {
        return Err(Error::invalid(format!(
            "letterbox: the {src_w}x{src_h} source scaled by {r} is {rw}x{rh}; each side must be >= 1"
        )));
    }
    if o.center {
        dw /= 2.0;
        dh /= 2.0;
    }
    let before = |d: f64| {
        if o.center {
            py_round(d - 0.1) as usize
        } else {
            0
        }
    };
    let after = |d: f64| py_round(d + 0.1) as usize;
    let (left, right, top, bottom) = (before(dw), after(dw), before(dh), after(dh));
    Ok(LetterboxGeometry {
        scale_x: sx,
        scale_y: sy,
        resized_w: rw,
        resized_h: rh,
        left,
        top,
        right,
        bottom,
        out_w: left + rw + right,
        out_h: top + rh + bottom,
    })
}

/// Letterboxes `src` into `dst` (same format, size `out_w` x `out_h` of the geometry):
/// `cv2.resize(INTER_LINEAR)` to the resized size (a copy when the size is unchanged, as
/// in Ultralytics), then `cv2.copyMakeBorder` with `o.color`. Returns the geometry.
/// Writes nothing on failure.
pub fn letterbox(
    src: &ImageView,
    dst: &mut ImageViewMut,
    o: &LetterboxOptions,
) -> Result<LetterboxGeometry> {
    let g = letterbox_geometry(src.width(), src.height(), o)?;
    if (dst.width(), dst.height()) != (g.out_w, g.out_h) {
        return Err(Error::invalid(format!(
            "letterbox destination is {}x{}, the letterbox of a {}x{} source is {}x{}",
            dst.width(),
            dst.height(),
            src.width(),
            src.height(),
            g.out_w,
            g.out_h
        )));
    }
    if src.format() != dst.format() {
        return Err(Error::new(
            crate::error::ErrorKind::UnsupportedFormat,
            format!(
                "source is {} but destination is {}",
                src.format().name(),
                dst.format().name()
            ),
        ));
    }
    let rs = Resizer::new(
        src.width(),
        src.height(),
        g.resized_w,
        g.resized_h,
        src.format(),
        Filter::CvLinear,
    )?;
    {
        let mut inner = dst.subview_mut(g.left, g.top, g.resized_w, g.resized_h)?;
        rs.resize(src, &mut inner)?;
    }
    let bpp = src.format().bytes_per_pixel();
    let px = &o.color[..bpp];
    let (l, rw) = (g.left, g.resized_w);
    for y in 0..dst.height() {
        let row = dst.row_mut(y);
        if y < g.top || y >= g.top + g.resized_h {
            fill_row(row, px);
        } else {
            fill_row(&mut row[..l * bpp], px);
            fill_row(&mut row[(l + rw) * bpp..], px);
        }
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::PixelFormat;

    #[test]
    fn center_crop_offsets_follow_torchvision() {
        // (n - c) / 2 rounded half to even: 1 -> 0 (0.5), 3 -> 2 (1.5), 5 -> 2 (2.5), 7 -> 4.
        for (n, c, want) in [
            (10, 9, 0),
            (10, 7, 2),
            (10, 5, 2),
            (11, 4, 4),
            (256, 224, 16),
            (7, 7, 0),
        ] {
            assert_eq!(center_axis(n, c), want, "n {n} c {c}");
        }
        // Larger crop: torchvision pads (c - n) // 2 before.
        assert_eq!(center_axis(5, 8), -1);
        assert_eq!(center_axis(5, 9), -2);
        let r = center_crop_rect(300, 5, 224, 9).unwrap();
        assert_eq!((r.left, r.top, r.width, r.height), (38, -2, 224, 9));
        assert!(center_crop_rect(0, 5, 1, 1).is_err());
        assert!(center_crop_rect(5, 5, 0, 1).is_err());
    }

    #[test]
    fn crop_pad_copies_inside_and_fills_outside() {
        let src: Vec<u8> = (0..5 * 4).map(|v| v as u8).collect();
        let s = ImageView::packed(&src, 5, 4, PixelFormat::Gray8).unwrap();
        let mut out = vec![0u8; 4 * 3];
        let mut d = ImageViewMut::packed(&mut out, 4, 3, PixelFormat::Gray8).unwrap();
        crop_pad(&s, 3, -1, &mut d, [9; 4]).unwrap();
        assert_eq!(out, vec![9, 9, 9, 9, 3, 4, 9, 9, 8, 9, 9, 9]);
        let mut out = vec![0u8; 3 * 2 * 3];
        let mut d = ImageViewMut::packed(&mut out, 3, 2, PixelFormat::Rgb8).unwrap();
        let rgb = vec![1u8; 3];
        let s = ImageView::packed(&rgb, 1, 1, PixelFormat::Rgb8).unwrap();
        pad_constant(&s, &mut d, 1, 1, [7, 8, 9, 0]).unwrap();
        assert_eq!(&out[..9], &[7, 8, 9, 7, 8, 9, 7, 8, 9]);
        assert_eq!(&out[9..], &[7, 8, 9, 1, 1, 1, 7, 8, 9]);
        let mut d = ImageViewMut::packed(&mut out, 3, 2, PixelFormat::Rgb8).unwrap();
        assert!(pad_constant(&s, &mut d, 2, 0, [0; 4]).is_err());
    }

    #[test]
    fn letterbox_geometry_matches_ultralytics_arithmetic() {
        let o = LetterboxOptions::default();
        // 1920x1080 -> r = 1/3, 640x360, dh = 140 -> 140 / 140.
        let g = letterbox_geometry(1920, 1080, &o).unwrap();
        assert_eq!((g.resized_w, g.resized_h), (640, 360));
        assert_eq!((g.left, g.right, g.top, g.bottom), (0, 0, 140, 140));
        assert_eq!((g.out_w, g.out_h), (640, 640));
        // 500x335: r = 1.28, 335 * 1.28 = 428.8 -> 429, dh = 211 / 2 = 105.5:
        // top round(105.4) = 105, bottom round(105.6) = 106.
        let g = letterbox_geometry(500, 335, &o).unwrap();
        assert_eq!(
            (g.resized_w, g.resized_h, g.top, g.bottom),
            (640, 429, 105, 106)
        );
        // scaleup off keeps small images at scale 1.
        let g = letterbox_geometry(
            100,
            50,
            &LetterboxOptions {
                scaleup: false,
                ..o
            },
        )
        .unwrap();
        assert_eq!(
            (g.scale_x, g.resized_w, g.left, g.right),
            (1.0, 100, 270, 270)
        );
        // auto: padding mod 32 -> 1920x1080 to 640x384.
        let g = letterbox_geometry(1920, 1080, &LetterboxOptions { auto: true, ..o }).unwrap();
        assert_eq!((g.out_w, g.out_h, g.top, g.bottom), (640, 384, 12, 12));
        // not centred: all padding after.
        let g = letterbox_geometry(1920, 1080, &LetterboxOptions { center: false, ..o }).unwrap();
        assert_eq!((g.top, g.bottom), (0, 280));
        let g = letterbox_geometry(
            1920,
            1080,
            &LetterboxOptions {
                scale_fill: true,
                ..o
            },
        )
        .unwrap();
        assert_eq!((g.resized_w, g.resized_h, g.top), (640, 640, 0));
        assert_eq!((g.scale_x, g.scale_y), (640.0 / 1920.0, 640.0 / 1080.0));
        // A side that rounds to zero is refused.
        assert!(letterbox_geometry(1, 10000, &o).is_err());
        assert!(letterbox_geometry(0, 10, &o).is_err());
        let (x, y) = letterbox_geometry(1920, 1080, &o)
            .unwrap()
            .to_source(320.0, 140.0);
        assert_eq!((x, y), (960.0, 0.0));
    }
}
