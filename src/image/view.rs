//! Borrowed, strided views of 8-bit images: the Rust side of the C image descriptor.
//!
//! ```
//! use scipix::image::{ImageView, PixelFormat};
//!
//! // A 4x3 gray image and the 2x2 crop at (1, 1): a view into the same memory.
//! let data: Vec<u8> = (0..12).collect();
//! let img = ImageView::packed(&data, 4, 3, PixelFormat::Gray8)?;
//! let crop = img.subview(1, 1, 2, 2)?;
//! assert_eq!((crop.stride(), crop.row(0), crop.row(1)), (4, &[5, 6][..], &[9, 10][..]));
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! A view covers `height` rows of `width` pixels; row `y` starts at byte `y * stride`.
//! The last row need not be padded, so the buffer needs `stride * (height - 1) + row_bytes`
//! bytes. Views of sub-regions share the parent's buffer and stride.

use super::format::PixelFormat;
use crate::error::{Error, ErrorKind, Result};

/// Checks the geometry and returns (row_bytes, bytes needed).
fn layout(
    len: usize,
    width: usize,
    height: usize,
    stride: usize,
    format: PixelFormat,
) -> Result<(usize, usize)> {
    if width == 0 || height == 0 {
        return Err(Error::invalid(format!(
            "image size {width}x{height}: width and height must be > 0"
        )));
    }
    let row_bytes = width
        .checked_mul(format.bytes_per_pixel())
        .ok_or_else(|| Error::overflow(format!("width {width} x bytes per pixel overflows")))?;
    if stride < row_bytes {
        return Err(Error::invalid(format!(
            "stride {stride} is smaller than a row of {width} {} pixels ({row_bytes} bytes)",
            format.name()
        )));
    }
    let needed = stride
        .checked_mul(height - 1)
        .and_then(|b| b.checked_add(row_bytes))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| Error::overflow(format!("stride {stride} x height {height} overflows")))?;
    if len < needed {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("image buffer has {len} bytes, {width}x{height} with stride {stride} needs {needed}"),
        ));
    }
    Ok((row_bytes, needed))
}

/// Bytes a buffer needs for the geometry: `stride * (height - 1) + width * bpp`, checked.
pub fn required_len(
    width: usize,
    height: usize,
    stride: usize,
    format: PixelFormat,
) -> Result<usize> {
    layout(usize::MAX, width, height, stride, format).map(|(_, n)| n)
}

/// Row bytes of a tightly packed image (`width * bpp`), checked for overflow.
fn packed_stride(width: usize, format: PixelFormat) -> Result<usize> {
    width
        .checked_mul(format.bytes_per_pixel())
        .ok_or_else(|| Error::overflow("width x bytes per pixel overflows"))
}

fn check_region(w_all: usize, h_all: usize, x: usize, y: usize, w: usize, h: usize) -> Result<()> {
    let fits = |o: usize, s: usize, all: usize| o.checked_add(s).is_some_and(|e| e <= all);
    if w == 0 || h == 0 || !fits(x, w, w_all) || !fits(y, h, h_all) {
        return Err(Error::invalid(format!(
            "region {w}x{h} at ({x},{y}) is empty or outside the {w_all}x{h_all} image"
        )));
    }
    Ok(())
}

/// A read-only strided image borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct ImageView<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
    format: PixelFormat,
}

/// A writable strided image borrowed from the caller.
#[derive(Debug)]
pub struct ImageViewMut<'a> {
    data: &'a mut [u8],
    width: usize,
    height: usize,
    stride: usize,
    format: PixelFormat,
}

impl<'a> ImageView<'a> {
    /// Wraps `data`; fails on zero sizes, overflow, `stride < width * bpp` or a short buffer.
    pub fn new(
        data: &'a [u8],
        width: usize,
        height: usize,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        let (_, needed) = layout(data.len(), width, height, stride, format)?;
        Ok(ImageView {
            data: &data[..needed],
            width,
            height,
            stride,
            format,
        })
    }

    /// A tightly packed view (`stride = width * bpp`).
    pub fn packed(
        data: &'a [u8],
        width: usize,
        height: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        Self::new(data, width, height, packed_stride(width, format)?, format)
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Height in rows.
    pub fn height(&self) -> usize {
        self.height
    }
    /// Distance between row starts, in bytes.
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// Pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }
    /// Bytes of pixel data in one row (`width * bpp`).
    pub fn row_bytes(&self) -> usize {
        self.width * self.format.bytes_per_pixel()
    }
    /// The underlying bytes, from the first pixel to the last (padding included).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The pixels of row `y` (exactly `row_bytes` bytes). Panics if `y >= height`.
    pub fn row(&self, y: usize) -> &'a [u8] {
        assert!(y < self.height, "row {y} out of {}", self.height);
        let start = y * self.stride;
        &self.data[start..start + self.row_bytes()]
    }

    /// Iterates rows top to bottom.
    pub fn rows(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.height).map(move |y| self.row(y))
    }

    /// The bytes of pixel (x, y). Panics when outside the image.
    pub fn pixel(&self, x: usize, y: usize) -> &'a [u8] {
        assert!(x < self.width, "column {x} out of {}", self.width);
        let bpp = self.format.bytes_per_pixel();
        &self.row(y)[x * bpp..(x + 1) * bpp]
    }

    /// A view of the `w`x`h` region at (x, y), sharing this buffer.
    pub fn subview(&self, x: usize, y: usize, w: usize, h: usize) -> Result<ImageView<'a>> {
        check_region(self.width, self.height, x, y, w, h)?;
        let start = y * self.stride + x * self.format.bytes_per_pixel();
        ImageView::new(&self.data[start..], w, h, self.stride, self.format)
    }
}

impl<'a> ImageViewMut<'a> {
    /// Wraps `data`; same checks as [`ImageView::new`].
    pub fn new(
        data: &'a mut [u8],
        width: usize,
        height: usize,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        let (_, needed) = layout(data.len(), width, height, stride, format)?;
        Ok(ImageViewMut {
            data: &mut data[..needed],
            width,
            height,
            stride,
            format,
        })
    }

    /// A tightly packed writable view.
    pub fn packed(
        data: &'a mut [u8],
        width: usize,
        height: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        Self::new(data, width, height, packed_stride(width, format)?, format)
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Height in rows.
    pub fn height(&self) -> usize {
        self.height
    }
    /// Distance between row starts, in bytes.
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// Pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }
    /// Bytes of pixel data in one row.
    pub fn row_bytes(&self) -> usize {
        self.width * self.format.bytes_per_pixel()
    }

    /// The underlying bytes, from the first pixel to the last (padding included), writable:
    /// for decoders that fill whole strided images (only row pixels may be written).
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        self.data
    }

    /// A read-only view of the same pixels.
    pub fn as_view(&self) -> ImageView<'_> {
        ImageView {
            data: self.data,
            width: self.width,
            height: self.height,
            stride: self.stride,
            format: self.format,
        }
    }

    /// The pixels of row `y`, writable. Panics if `y >= height`.
    pub fn row_mut(&mut self, y: usize) -> &mut [u8] {
        assert!(y < self.height, "row {y} out of {}", self.height);
        let (start, n) = (y * self.stride, self.row_bytes());
        &mut self.data[start..start + n]
    }

    /// The bytes of pixel (x, y), writable. Panics when outside the image.
    pub fn pixel_mut(&mut self, x: usize, y: usize) -> &mut [u8] {
        assert!(x < self.width, "column {x} out of {}", self.width);
        let bpp = self.format.bytes_per_pixel();
        &mut self.row_mut(y)[x * bpp..(x + 1) * bpp]
    }

    /// Iterates writable rows top to bottom (each exactly `row_bytes` long).
    pub fn rows_mut(&mut self) -> impl Iterator<Item = &mut [u8]> + '_ {
        let n = self.row_bytes();
        self.data.chunks_mut(self.stride).map(move |r| &mut r[..n])
    }

    /// Splits into consecutive bands of at most `rows` rows each, for parallel work.
    /// Every band is a valid view; together they cover the image once.
    pub fn bands_mut(&mut self, rows: usize) -> Vec<ImageViewMut<'_>> {
        let rows = rows.max(1);
        let (w, s, f, h) = (self.width, self.stride, self.format, self.height);
        let mut out = Vec::with_capacity(h.div_ceil(rows));
        let mut rest: &mut [u8] = self.data;
        let mut y = 0;
        while y < h {
            let n = rows.min(h - y);
            let take = if y + n == h { rest.len() } else { n * s };
            let (band, tail) = std::mem::take(&mut rest).split_at_mut(take);
            out.push(ImageViewMut {
                data: band,
                width: w,
                height: n,
                stride: s,
                format: f,
            });
            rest = tail;
            y += n;
        }
        out
    }

    /// A writable view of the `w`x`h` region at (x, y).
    pub fn subview_mut(
        &mut self,
        x: usize,
        y: usize,
        w: usize,
        h: usize,
    ) -> Result<ImageViewMut<'_>> {
        check_region(self.width, self.height, x, y, w, h)?;
        let start = y * self.stride + x * self.format.bytes_per_pixel();
        ImageViewMut::new(&mut self.data[start..], w, h, self.stride, self.format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_is_validated() {
        let buf = vec![0u8; 100];
        assert_eq!(
            ImageView::new(&buf, 0, 1, 3, PixelFormat::Rgb8)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            ImageView::new(&buf, 4, 2, 11, PixelFormat::Rgb8)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            ImageView::new(&buf, 4, 9, 12, PixelFormat::Rgb8)
                .unwrap_err()
                .kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(
            ImageView::new(&buf, usize::MAX, 1, 1, PixelFormat::Rgb8)
                .unwrap_err()
                .kind(),
            ErrorKind::SizeOverflow
        );
        assert_eq!(
            ImageView::new(&buf, 2, usize::MAX, 8, PixelFormat::Rgb8)
                .unwrap_err()
                .kind(),
            ErrorKind::SizeOverflow
        );
        // More than isize::MAX bytes can never describe a real buffer.
        assert_eq!(
            required_len(1, 2, isize::MAX as usize + 1, PixelFormat::Gray8)
                .unwrap_err()
                .kind(),
            ErrorKind::SizeOverflow
        );
        // Last row unpadded: 3 rows of stride 40 need 2*40 + 12 = 92 bytes.
        assert!(ImageView::new(&buf[..92], 4, 3, 40, PixelFormat::Rgb8).is_ok());
        assert!(ImageView::new(&buf[..91], 4, 3, 40, PixelFormat::Rgb8).is_err());
    }

    #[test]
    fn subview_and_pixel_address_the_parent() {
        let buf: Vec<u8> = (0..=255).collect();
        let img = ImageView::new(&buf, 5, 4, 16, PixelFormat::Rgb8).unwrap();
        assert_eq!(img.pixel(2, 3), &[54, 55, 56]);
        let sub = img.subview(1, 2, 3, 2).unwrap();
        assert_eq!(sub.pixel(0, 0), &[35, 36, 37]);
        assert_eq!(sub.pixel(1, 1), img.pixel(2, 3));
        assert_eq!(sub.row(1), &buf[51..60]);
        assert!(img.subview(3, 0, 3, 1).is_err());
        assert!(img.subview(0, 0, 0, 1).is_err());
        assert!(img.subview(usize::MAX, 0, 2, 1).is_err());
    }

    #[test]
    fn bands_cover_every_row_once() {
        let mut buf = vec![0u8; 9 * 9 + 7];
        let mut img = ImageViewMut::new(&mut buf, 7, 10, 9, PixelFormat::Gray8).unwrap();
        let bands = img.bands_mut(3);
        assert_eq!(
            bands.iter().map(|b| b.height()).collect::<Vec<_>>(),
            vec![3, 3, 3, 1]
        );
        for (i, mut b) in bands.into_iter().enumerate() {
            for r in b.rows_mut() {
                r.fill(i as u8 + 1);
            }
        }
        let view = img.as_view();
        for y in 0..10 {
            assert!(view.row(y).iter().all(|&v| v as usize == y / 3 + 1));
        }
    }
}
