//! Row-by-row JPEG decoding: libjpeg's `jpeg_read_scanlines` through the small C layer
//! `jpeg_rows.c` (compiled by the build script against the vendored libjpeg-turbo), for
//! the from-bytes pipelines that resize band by band without a full-size decoded image.
//!
//! The settings are TurboJPEG's defaults (accurate integer IDCT, fancy upsampling), so the
//! rows equal [`super::jpeg::decode_jpeg_into`]'s and therefore `cv2.imdecode`'s and
//! Pillow's; the tests compare them. libjpeg's fatal errors `longjmp` to a `setjmp` inside
//! the same C entry point, never across a Rust frame (no Rust callback is installed), and
//! come back as an error status with libjpeg's message. All `unsafe` of this decoder is in
//! this file.

use super::turbo::Limits;
use crate::error::{Error, ErrorKind, Result};
use crate::image::{ImageViewMut, PixelFormat};
use std::ffi::{c_char, c_int, c_uint, c_ulonglong, CStr};
use std::marker::PhantomData;
use std::ptr::NonNull;

#[repr(C)]
struct Jr {
    _opaque: [u8; 0],
}

extern "C" {
    fn scipix_jr_new() -> *mut Jr;
    fn scipix_jr_free(jr: *mut Jr);
    fn scipix_jr_message(jr: *const Jr) -> *const c_char;
    fn scipix_jr_warned(jr: *const Jr) -> c_int;
    #[allow(clippy::too_many_arguments)]
    fn scipix_jr_start(
        jr: *mut Jr,
        buf: *const u8,
        len: usize,
        scale_num: c_int,
        format: c_int,
        stop_on_warning: c_int,
        scan_limit: c_int,
        max_pixels: c_ulonglong,
        w: *mut c_uint,
        h: *mut c_uint,
    ) -> c_int;
    fn scipix_jr_imcu(jr: *const Jr, w: *mut c_uint, h: *mut c_uint);
    fn scipix_jr_crop(jr: *mut Jr, x: *mut c_uint, w: *mut c_uint) -> c_int;
    fn scipix_jr_skip(jr: *mut Jr, n: c_uint) -> c_int;
    fn scipix_jr_read(jr: *mut Jr, dst: *mut u8, pitch: usize, n: c_uint) -> c_int;
    fn scipix_jr_finish(jr: *mut Jr) -> c_int;
}

/// A JPEG being decoded top to bottom, reading `bytes` (borrowed for the decoder's life).
pub(crate) struct Scanlines<'a> {
    jr: NonNull<Jr>,
    bytes: PhantomData<&'a [u8]>,
    width: usize,
    height: usize,
    format: PixelFormat,
    bpp: usize,
    /// Columns `x..x + w` of each row are decoded (all of them unless cropped).
    x: usize,
    w: usize,
    /// The next row libjpeg will output.
    next: usize,
    /// Rows read and thrown away (the margin above the first row asked for).
    scratch: Vec<u8>,
}

impl Drop for Scanlines<'_> {
    fn drop(&mut self) {
        // SAFETY: the decoder came from scipix_jr_new and is freed once.
        unsafe { scipix_jr_free(self.jr.as_ptr()) };
    }
}

impl<'a> Scanlines<'a> {
    /// Reads the header of `bytes` and starts decoding at `scale_num / 8` to `format`
    /// (GRAY8, RGB8 or BGR8). Fails on a CMYK/YCCK or non-8-bit JPEG, a header over
    /// `limits.max_pixels`, or what libjpeg refuses in the header.
    pub(crate) fn start(
        bytes: &'a [u8],
        scale_num: u32,
        format: PixelFormat,
        limits: Limits,
    ) -> Result<Self> {
        let code = match format {
            PixelFormat::Gray8 => 0,
            PixelFormat::Rgb8 => 1,
            PixelFormat::Bgr8 => 2,
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedFormat,
                    format!(
                        "scanline JPEG decoding gives GRAY8, RGB8 or BGR8, not {}",
                        other.name()
                    ),
                ))
            }
        };
        // SAFETY: no arguments; a null return is handled.
        let jr = NonNull::new(unsafe { scipix_jr_new() })
            .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, "cannot create a JPEG decoder"))?;
        let mut s = Scanlines {
            jr,
            bytes: PhantomData,
            width: 0,
            height: 0,
            format,
            bpp: format.bytes_per_pixel(),
            x: 0,
            w: 0,
            next: 0,
            scratch: Vec::new(),
        };
        let (mut w, mut h): (c_uint, c_uint) = (0, 0);
        let scan_limit = c_int::try_from(limits.max_scans).unwrap_or(c_int::MAX);
        // SAFETY: live decoder; `bytes` is readable for its length and outlives the
        // decoder (the lifetime 'a), which keeps a pointer to it; w and h are writable.
        let rc = unsafe {
            scipix_jr_start(
                s.jr.as_ptr(),
                bytes.as_ptr(),
                bytes.len(),
                scale_num as c_int,
                code,
                limits.stop_on_warning as c_int,
                scan_limit,
                limits.max_pixels,
                &mut w,
                &mut h,
            )
        };
        s.check(rc)?;
        (s.width, s.height, s.w) = (w as usize, h as usize, w as usize);
        Ok(s)
    }

    /// The output size (width, height) at the chosen scale.
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// The next row [`Scanlines::read`] decodes.
    pub(crate) fn next_row(&self) -> usize {
        self.next
    }

    /// One iMCU in output pixels (width, height).
    pub(crate) fn imcu(&self) -> (usize, usize) {
        let (mut w, mut h): (c_uint, c_uint) = (0, 0);
        // SAFETY: live, started decoder; w and h are writable.
        unsafe { scipix_jr_imcu(self.jr.as_ptr(), &mut w, &mut h) };
        (w as usize, h as usize)
    }

    /// Decodes only columns `x..x + w` (widened by libjpeg to whole iMCU columns) from
    /// now on; must come before the first row is read. Returns the columns decoded (all of
    /// them when the decode has already stopped; see [`Scanlines::check`]).
    pub(crate) fn crop(&mut self, x: usize, w: usize) -> Result<(usize, usize)> {
        if self.next != 0 || w == 0 || x.checked_add(w).is_none_or(|e| e > self.width) {
            return Err(Error::invalid(format!(
                "JPEG crop of columns {x}..{} of {} after row {}",
                x.saturating_add(w),
                self.width,
                self.next
            )));
        }
        let (mut cx, mut cw) = (x as c_uint, w as c_uint);
        // SAFETY: live decoder, no row read yet; cx and cw are writable.
        let rc = unsafe { scipix_jr_crop(self.jr.as_ptr(), &mut cx, &mut cw) };
        self.check(rc)?;
        if rc == 0 {
            (self.x, self.w) = (cx as usize, cw as usize);
        }
        Ok((self.x, self.w))
    }

    /// Skips rows up to `row` (the rows are entropy-decoded, not output).
    pub(crate) fn skip_to(&mut self, row: usize) -> Result<()> {
        if row > self.next {
            let n = (row.min(self.height) - self.next) as c_uint;
            // SAFETY: live decoder; libjpeg stops at the bottom of the image.
            let rc = unsafe { scipix_jr_skip(self.jr.as_ptr(), n) };
            self.check(rc)?;
            self.next += n as usize;
        }
        Ok(())
    }

    /// Decodes the next `band.height()` rows into `band` (full image width, the format
    /// given to [`Scanlines::start`]): the decoded columns land at their places, the
    /// others are left as they are.
    pub(crate) fn read(&mut self, band: &mut ImageViewMut) -> Result<()> {
        let n = band.height();
        if band.width() != self.width || band.format() != self.format || n > self.height - self.next
        {
            return Err(Error::invalid(format!(
                "JPEG rows {}..{} into a {}x{n} band of a {}x{} image",
                self.next,
                self.next + n,
                band.width(),
                self.width,
                self.height
            )));
        }
        if n == 0 {
            return Ok(());
        }
        let pitch = band.stride();
        let offset = self.x * self.bpp;
        let bytes = band.as_bytes_mut();
        // SAFETY: live decoder with at least n rows left; each of the n rows written is
        // `self.w * bpp` bytes at `offset + i * pitch` in `bytes`: inside it, as the band
        // is n rows of `self.width >= self.x + self.w` pixels `pitch` bytes apart (checked
        // above and by ImageViewMut); libjpeg writes nothing else.
        let rc = unsafe {
            scipix_jr_read(
                self.jr.as_ptr(),
                bytes.as_mut_ptr().add(offset),
                pitch,
                n as c_uint,
            )
        };
        self.check(rc)?;
        self.next += n;
        Ok(())
    }

    /// Reads and discards rows up to `row`.
    pub(crate) fn discard_to(&mut self, row: usize) -> Result<()> {
        let row_bytes = self.width * self.bpp;
        while self.next < row.min(self.height) {
            let n = (row.min(self.height) - self.next).min(16);
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.resize(n * row_bytes, 0);
            let mut band =
                ImageViewMut::packed(&mut scratch[..n * row_bytes], self.width, n, self.format)?;
            let r = self.read(&mut band);
            self.scratch = scratch;
            r?;
        }
        Ok(())
    }

    /// Entropy-decodes the rows left, so corrupt or truncated data anywhere in the image is
    /// found as by a full decode, and reads to the end of the image. All but the last row
    /// are skipped with `jpeg_skip_scanlines`, which decodes their coefficients but no
    /// pixels (a skip to the very bottom would not decode them at all); the last row is
    /// decoded and discarded. Returns whether libjpeg recovered from a warning (possible
    /// only without `stop_on_warning`).
    pub(crate) fn finish(mut self) -> Result<bool> {
        self.skip_to(self.height.saturating_sub(1))?;
        self.discard_to(self.height)?;
        // SAFETY: live decoder whose every row was output.
        let rc = unsafe { scipix_jr_finish(self.jr.as_ptr()) };
        self.check(rc)?;
        // SAFETY: live decoder.
        Ok(unsafe { scipix_jr_warned(self.jr.as_ptr()) } != 0)
    }

    /// 0 is success; 1 is a decode that stopped on a fatal error after warnings with
    /// `stop_on_warning` off: TurboJPEG reports that as a warning (the image truncated, not
    /// failed), and so does this decoder: the rows it cannot give are zero, and
    /// [`Scanlines::finish`] reports the image truncated.
    fn check(&self, rc: c_int) -> Result<()> {
        if rc == 0 || rc == 1 {
            return Ok(());
        }
        // SAFETY: live decoder; the message is a NUL-terminated buffer inside it.
        let msg = unsafe { CStr::from_ptr(scipix_jr_message(self.jr.as_ptr())) };
        Err(Error::new(
            ErrorKind::InvalidFile,
            format!("JPEG decode: {}", msg.to_string_lossy()),
        ))
    }
}
