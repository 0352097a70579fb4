//! The only file that calls libjpeg-turbo (TurboJPEG 3 API of the statically linked,
//! vendored libjpeg-turbo 3.1). All `unsafe` of the codec is here.
//!
//! Error handling across the boundary: libjpeg reports fatal errors by calling
//! `error_exit`, which TurboJPEG replaces with a `longjmp` to a `setjmp` taken inside the
//! same TurboJPEG entry point (`tj3DecompressHeader`, `tj3Decompress8`, `tj3Compress8`; see
//! `my_error_exit` and the `setjmp(this->jerr.setjmp_buffer)` at the top of each function in
//! turbojpeg.c / turbojpeg-mp.c). We install no callbacks (no custom source manager, error
//! manager or progress monitor), so no Rust frame is ever between the `setjmp` and the
//! `longjmp`: the jump stays inside C and the call returns -1. Messages are formatted into
//! TurboJPEG's thread-local error string (its `output_message` is replaced too), so nothing
//! is printed to stderr.
//!
//! A handle is created per decode and destroyed by `Drop`; TurboJPEG handles are not shared
//! between threads, so decoding is thread-safe.

use crate::error::{Error, ErrorKind, Result};
use std::ffi::{c_int, CStr};
use std::ptr::NonNull;
use turbojpeg_sys as tj;

// The three entry points that take a `size_t`, declared here with `usize`. turbojpeg-sys
// 1.2's pregenerated bindings spell `size_t` as `c_ulong`, which is 32 bits on 64-bit
// Windows: through them the JPEG size would reach C with garbage upper bits and
// `tj3Compress8` would write 8 bytes into a 4-byte out-parameter (found by the lib tests
// under wine). `size_t` is `usize` on every target Rust supports. The symbols come from the
// same static libturbojpeg that turbojpeg-sys links.
extern "C" {
    fn tj3DecompressHeader(handle: tj::tjhandle, jpeg_buf: *const u8, jpeg_size: usize) -> c_int;
    fn tj3Decompress8(
        handle: tj::tjhandle,
        jpeg_buf: *const u8,
        jpeg_size: usize,
        dst_buf: *mut u8,
        pitch: c_int,
        pixel_format: c_int,
    ) -> c_int;
    #[cfg(test)]
    fn tj3Compress8(
        handle: tj::tjhandle,
        src_buf: *const u8,
        width: c_int,
        pitch: c_int,
        height: c_int,
        pixel_format: c_int,
        jpeg_buf: *mut *mut u8,
        jpeg_size: *mut usize,
    ) -> c_int;
}

/// Output pixel layouts TurboJPEG writes (8 bits per sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TurboFormat {
    Gray,
    Rgb,
    Bgr,
    Rgba,
    Bgra,
    /// libjpeg's raw CMYK (Adobe JPEGs store it inverted); only for CMYK/YCCK JPEGs.
    Cmyk,
}

impl TurboFormat {
    fn code(self) -> c_int {
        (match self {
            TurboFormat::Gray => tj::TJPF_TJPF_GRAY,
            TurboFormat::Rgb => tj::TJPF_TJPF_RGB,
            TurboFormat::Bgr => tj::TJPF_TJPF_BGR,
            TurboFormat::Rgba => tj::TJPF_TJPF_RGBA,
            TurboFormat::Bgra => tj::TJPF_TJPF_BGRA,
            TurboFormat::Cmyk => tj::TJPF_TJPF_CMYK,
        }) as c_int
    }

    pub(crate) fn bytes_per_pixel(self) -> usize {
        match self {
            TurboFormat::Gray => 1,
            TurboFormat::Rgb | TurboFormat::Bgr => 3,
            TurboFormat::Rgba | TurboFormat::Bgra | TurboFormat::Cmyk => 4,
        }
    }
}

/// Colour space of a JPEG as TurboJPEG reads it from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JpegColorspace {
    /// YCbCr, RGB or grayscale: decodable to every [`TurboFormat`].
    Decodable,
    /// CMYK or YCCK (Adobe): only decodable to CMYK.
    Cmyk,
}

/// What `tj3DecompressHeader` reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub width: u32,
    pub height: u32,
    pub precision: u32,
    pub lossless: bool,
    pub colorspace: JpegColorspace,
}

/// Limits applied by libjpeg-turbo itself during the decode (belt and braces: the caller has
/// checked the header already).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_pixels: u64,
    pub max_scans: u32,
    pub stop_on_warning: bool,
}

/// A TurboJPEG instance (decompressor or, in tests, compressor).
pub(crate) struct Handle(NonNull<std::ffi::c_void>);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from tj3Init and is destroyed once.
        unsafe { tj::tj3Destroy(self.0.as_ptr()) };
    }
}

fn clamp_int(v: u64) -> c_int {
    v.min(c_int::MAX as u64) as c_int
}

impl Handle {
    fn init(kind: tj::TJINIT) -> Result<Self> {
        // SAFETY: tj3Init has no preconditions; NULL means failure.
        let raw = unsafe { tj::tj3Init(kind as c_int) };
        NonNull::new(raw).map(Handle).ok_or_else(|| {
            Error::new(
                ErrorKind::OutOfMemory,
                "libjpeg-turbo: cannot create a decoder instance",
            )
        })
    }

    /// A decompressor.
    pub(crate) fn decompressor() -> Result<Self> {
        Self::init(tj::TJINIT_TJINIT_DECOMPRESS)
    }

    /// The message of the last failure on this handle.
    fn message(&self) -> String {
        // SAFETY: the handle is live; the returned string is NUL-terminated and owned by
        // TurboJPEG (valid until the next call on this thread), copied here at once.
        let p = unsafe { tj::tj3GetErrorStr(self.0.as_ptr()) };
        if p.is_null() {
            return "unknown libjpeg-turbo error".into();
        }
        // SAFETY: non-NULL, NUL-terminated (see above).
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    /// True when the last failure was only a warning (the image was still produced).
    fn last_was_warning(&self) -> bool {
        // SAFETY: live handle.
        unsafe { tj::tj3GetErrorCode(self.0.as_ptr()) == tj::TJERR_TJERR_WARNING as c_int }
    }

    fn set(&mut self, param: tj::TJPARAM, value: c_int) -> Result<()> {
        // SAFETY: live handle; TurboJPEG validates the parameter and value.
        if unsafe { tj::tj3Set(self.0.as_ptr(), param as c_int, value) } != 0 {
            return Err(Error::invalid(format!(
                "libjpeg-turbo parameter {param}={value}: {}",
                self.message()
            )));
        }
        Ok(())
    }

    fn get(&self, param: tj::TJPARAM) -> c_int {
        // SAFETY: live handle.
        unsafe { tj::tj3Get(self.0.as_ptr(), param as c_int) }
    }

    /// Reads the header of `jpeg` (markers up to the first SOS).
    pub(crate) fn read_header(&mut self, jpeg: &[u8]) -> Result<Header> {
        if jpeg.is_empty() {
            return Err(Error::new(ErrorKind::InvalidFile, "JPEG: empty input"));
        }
        // SAFETY: live handle; `jpeg` is a valid slice of `jpeg.len()` bytes, only read.
        let rc = unsafe { tj3DecompressHeader(self.0.as_ptr(), jpeg.as_ptr(), jpeg.len()) };
        if rc != 0 {
            return Err(Error::new(
                ErrorKind::InvalidFile,
                format!("JPEG header: {}", self.message()),
            ));
        }
        let cs = self.get(tj::TJPARAM_TJPARAM_COLORSPACE);
        Ok(Header {
            width: self.get(tj::TJPARAM_TJPARAM_JPEGWIDTH).max(0) as u32,
            height: self.get(tj::TJPARAM_TJPARAM_JPEGHEIGHT).max(0) as u32,
            precision: self.get(tj::TJPARAM_TJPARAM_PRECISION).max(0) as u32,
            lossless: self.get(tj::TJPARAM_TJPARAM_LOSSLESS) == 1,
            colorspace: if cs == tj::TJCS_TJCS_CMYK as c_int || cs == tj::TJCS_TJCS_YCCK as c_int {
                JpegColorspace::Cmyk
            } else {
                JpegColorspace::Decodable
            },
        })
    }

    /// Decodes `jpeg` at `scale_num / 8` into `out`: rows of `width * bpp` bytes at
    /// `pitch`-byte intervals, where (width, height) is the scaled size TurboJPEG reports for
    /// this very input. Returns whether libjpeg recovered from a warning (only when
    /// `limits.stop_on_warning` is false). Fails, without writing, when `out` is too small
    /// for that size; on a decode error `out` may be partly written.
    pub(crate) fn decompress(
        &mut self,
        jpeg: &[u8],
        scale_num: u32,
        format: TurboFormat,
        out: &mut [u8],
        pitch: usize,
        limits: Limits,
    ) -> Result<bool> {
        self.decompress_region(jpeg, scale_num, format, out, pitch, limits, None)
            .map(|(t, _)| t)
    }

    /// [`Handle::decompress`] that decodes only the part of the scaled image needed for the
    /// pixels of `want` (all of it when `None`), writing them in their places of the
    /// full-size image `out` (pitch `pitch`); pixels outside the returned region are not
    /// written. The region decoded is `want` grown by a margin of at least one scaled iMCU
    /// (and 8 pixels) on every side, the left edge aligned down to the scaled iMCU width as
    /// libjpeg's `jpeg_crop_scanline` requires, rows above it skipped with
    /// `jpeg_skip_scanlines`. The margin keeps the chroma upsampling of every pixel of
    /// `want` identical to the full decode's (the tests compare the two); only the margin
    /// pixels next to a cut edge differ from the full decode. JPEGs whose subsampling
    /// TurboJPEG cannot name are decoded whole. Returns the truncation flag and the region
    /// written.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn decompress_region(
        &mut self,
        jpeg: &[u8],
        scale_num: u32,
        format: TurboFormat,
        out: &mut [u8],
        pitch: usize,
        limits: Limits,
        want: Option<Region>,
    ) -> Result<(bool, Region)> {
        let header = self.read_header(jpeg)?;
        if header.precision != 8 || header.lossless {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!(
                    "JPEG: {}-bit{} images are not supported",
                    header.precision,
                    if header.lossless { " lossless" } else { "" },
                ),
            ));
        }
        let cmyk = header.colorspace == JpegColorspace::Cmyk;
        if cmyk != (format == TurboFormat::Cmyk) {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                if cmyk {
                    "JPEG: a CMYK/YCCK image decodes only to CMYK"
                } else {
                    "JPEG: only CMYK/YCCK images decode to CMYK"
                },
            ));
        }
        let g = gcd(scale_num, 8);
        let factor = tj::tjscalingfactor {
            num: (scale_num / g) as c_int,
            denom: (8 / g) as c_int,
        };
        // SAFETY: live handle; the factor is passed by value.
        if unsafe { tj::tj3SetScalingFactor(self.0.as_ptr(), factor) } != 0 {
            return Err(Error::invalid(format!(
                "JPEG scale {scale_num}/8: {}",
                self.message()
            )));
        }
        let w = (header.width as usize * scale_num as usize).div_ceil(8);
        let h = (header.height as usize * scale_num as usize).div_ceil(8);
        let row = w * format.bytes_per_pixel();
        let needed = pitch
            .checked_mul(h.saturating_sub(1))
            .and_then(|n| n.checked_add(row));
        if w == 0 || h == 0 || pitch < row || needed.is_none_or(|n| n > out.len()) {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!(
                    "JPEG decode of {w}x{h}: buffer of {} bytes with pitch {pitch} is too small",
                    out.len()
                ),
            ));
        }
        let region = match want {
            Some(r) => self.crop_region(r, scale_num, w, h)?,
            None => Region::whole(w, h),
        };
        let offset = region.y * pitch + region.x * format.bytes_per_pixel();
        let pitch = c_int::try_from(pitch)
            .map_err(|_| Error::overflow(format!("row pitch {pitch} exceeds libjpeg's int")))?;
        // TurboJPEG's limit is an int; above that (possible: 65500^2 > 2^31) "no limit" (0)
        // leaves the caller's larger limit, already checked from the header, in charge.
        let max_pixels = if limits.max_pixels > c_int::MAX as u64 {
            0
        } else {
            limits.max_pixels as c_int
        };
        self.set(tj::TJPARAM_TJPARAM_MAXPIXELS, max_pixels)?;
        self.set(
            tj::TJPARAM_TJPARAM_SCANLIMIT,
            clamp_int(limits.max_scans as u64),
        )?;
        self.set(
            tj::TJPARAM_TJPARAM_STOPONWARNING,
            limits.stop_on_warning as c_int,
        )?;
        // libjpeg-turbo's defaults, spelled out: accurate DCT, fancy upsampling.
        self.set(tj::TJPARAM_TJPARAM_FASTDCT, 0)?;
        self.set(tj::TJPARAM_TJPARAM_FASTUPSAMPLE, 0)?;
        self.set(tj::TJPARAM_TJPARAM_BOTTOMUP, 0)?;
        // SAFETY: live handle; `jpeg` is readable for its length; `out` holds the
        // `pitch * (h - 1) + w * bpp` bytes TurboJPEG writes for this input at this scale
        // (checked above from the header of the same bytes, which TurboJPEG reuses).
        // With a region, the first pixel written is at `offset` (inside `out`: the region
        // lies inside the w x h image checked above), and rows stay `pitch` apart.
        let rc = unsafe {
            tj3Decompress8(
                self.0.as_ptr(),
                jpeg.as_ptr(),
                jpeg.len(),
                out.as_mut_ptr().add(offset),
                pitch,
                format.code(),
            )
        };
        if rc == 0 {
            return Ok((false, region));
        }
        if !limits.stop_on_warning && self.last_was_warning() {
            return Ok((true, region));
        }
        Err(Error::new(
            ErrorKind::InvalidFile,
            format!("JPEG decode: {}", self.message()),
        ))
    }
}

impl Handle {
    /// Grows `want` (inside the scaled `w` x `h` image) by the margin described at
    /// [`Handle::decompress_region`] and sets it as TurboJPEG's cropping region (after the
    /// header and the scaling factor). Returns the region that will be decoded.
    fn crop_region(&mut self, want: Region, scale_num: u32, w: usize, h: usize) -> Result<Region> {
        if want.w == 0
            || want.h == 0
            || want.x.checked_add(want.w).is_none_or(|e| e > w)
            || want.y.checked_add(want.h).is_none_or(|e| e > h)
        {
            return Err(Error::invalid(format!(
                "JPEG region {}x{} at ({},{}) is outside the {w}x{h} image",
                want.w, want.h, want.x, want.y
            )));
        }
        // tjMCUWidth / tjMCUHeight per TJSAMP_* (444, 422, 420, gray, 440, 411, 441).
        const MCU: [(usize, usize); 7] =
            [(8, 8), (16, 8), (16, 16), (8, 8), (8, 16), (32, 8), (8, 32)];
        let sub = self.get(tj::TJPARAM_TJPARAM_SUBSAMP);
        let Some(&(mw, mh)) = usize::try_from(sub).ok().and_then(|i| MCU.get(i)) else {
            return Ok(Region::whole(w, h));
        };
        let scaled = |d: usize| (d * scale_num as usize).div_ceil(8);
        let (mw, mh) = (scaled(mw), scaled(mh));
        let (mx, my) = (mw.max(8).next_multiple_of(mw), mh.max(8));
        let x0 = want.x.saturating_sub(mx) / mw * mw;
        let x1 = (want.x + want.w + mx).min(w);
        let y0 = want.y.saturating_sub(my);
        let y1 = (want.y + want.h + my).min(h);
        let r = Region {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        };
        if r == Region::whole(w, h) {
            return Ok(r);
        }
        let c = tj::tjregion {
            x: x0 as c_int,
            y: y0 as c_int,
            w: r.w as c_int,
            h: r.h as c_int,
        };
        // SAFETY: live handle whose header was read; the region is passed by value and
        // checked by TurboJPEG against the scaled size.
        if unsafe { tj::tj3SetCroppingRegion(self.0.as_ptr(), c) } != 0 {
            return Err(Error::invalid(format!(
                "JPEG region {}x{} at ({x0},{y0}): {}",
                r.w,
                r.h,
                self.message()
            )));
        }
        Ok(r)
    }
}

/// A rectangle of a (scaled) JPEG image, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

impl Region {
    pub(crate) fn whole(w: usize, h: usize) -> Self {
        Region { x: 0, y: 0, w, h }
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Test-only encoder: `pixels` (packed, `format`) to a JPEG with `quality` (1..=100),
/// TurboJPEG subsampling code `subsamp` (`TJSAMP_*`: 0 444, 1 422, 2 420, 3 gray, 5 440,
/// 6 411), optional progressive mode and restart interval in MCU blocks.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_for_tests(
    pixels: &[u8],
    width: usize,
    height: usize,
    format: TurboFormat,
    quality: i32,
    subsamp: i32,
    progressive: bool,
    restart_blocks: i32,
) -> Vec<u8> {
    assert_eq!(pixels.len(), width * height * format.bytes_per_pixel());
    let mut h = Handle::init(tj::TJINIT_TJINIT_COMPRESS).unwrap();
    h.set(tj::TJPARAM_TJPARAM_QUALITY, quality).unwrap();
    h.set(tj::TJPARAM_TJPARAM_SUBSAMP, subsamp).unwrap();
    h.set(tj::TJPARAM_TJPARAM_PROGRESSIVE, progressive as c_int)
        .unwrap();
    h.set(tj::TJPARAM_TJPARAM_RESTARTBLOCKS, restart_blocks)
        .unwrap();
    let mut buf: *mut u8 = std::ptr::null_mut();
    let mut size: usize = 0;
    // SAFETY: live compressor; `pixels` holds width*height packed pixels (asserted);
    // TurboJPEG allocates `buf` with tj3Alloc, freed below after copying `size` bytes.
    unsafe {
        let rc = tj3Compress8(
            h.0.as_ptr(),
            pixels.as_ptr(),
            width as c_int,
            0,
            height as c_int,
            format.code(),
            &mut buf,
            &mut size,
        );
        assert_eq!(rc, 0, "tj3Compress8: {}", h.message());
        let out = std::slice::from_raw_parts(buf, size).to_vec();
        tj::tj3Free(buf.cast());
        out
    }
}
