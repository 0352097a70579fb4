//! Resizing 8-bit images, bit-exact with OpenCV's `cv::resize` (the `Cv*` filters) and with
//! Pillow's `Image.resize` (the `Pil*` filters).
//!
//! A [`Resizer`] holds the coefficient tables for one (source size, destination size,
//! format, filter); build it once per video stream and reuse it. [`resize`] is the one-shot
//! form. Every destination pixel depends only on the source and its own position, so a
//! window of the destination ([`Resizer::resize_window`]) equals the same window of the full
//! result, and splitting rows across threads gives the same bytes for every thread count.
//!
//! The exact rule of each filter family is stated in [`opencv`] and [`pillow`].

mod gather;
pub mod geometry;
pub mod opencv;
pub mod pillow;
pub(crate) mod src_rows;

pub use geometry::{
    center_crop, center_crop_rect, crop_pad, letterbox, letterbox_geometry, pad_constant, CropRect,
    LetterboxGeometry, LetterboxOptions,
};

use super::{ImageView, ImageViewMut, PixelFormat};
use crate::cpu::{self, Isa};
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;
use rayon::prelude::*;
use src_rows::SrcRows;
use std::cell::RefCell;
use std::rc::Rc;

/// Interpolation filter, named for the library whose result it reproduces bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Filter {
    /// `cv2.INTER_NEAREST`.
    CvNearest = 0,
    /// `cv2.INTER_NEAREST_EXACT`.
    CvNearestExact = 1,
    /// `cv2.INTER_LINEAR`.
    CvLinear = 2,
    /// `cv2.INTER_LINEAR_EXACT`.
    CvLinearExact = 3,
    /// `cv2.INTER_AREA`.
    CvArea = 4,
    /// `cv2.INTER_CUBIC`.
    CvCubic = 5,
    /// `PIL.Image.Resampling.NEAREST`.
    PilNearest = 6,
    /// `PIL.Image.Resampling.BOX`.
    PilBox = 7,
    /// `PIL.Image.Resampling.BILINEAR` (what `torchvision.transforms.Resize` uses on a PIL image).
    PilBilinear = 8,
    /// `PIL.Image.Resampling.BICUBIC`.
    PilBicubic = 9,
    /// `PIL.Image.Resampling.LANCZOS`.
    PilLanczos = 10,
}

impl Filter {
    /// All filters, in C enum order (`SCIPIX_RESIZE_*`).
    pub const ALL: [Filter; 11] = [
        Filter::CvNearest,
        Filter::CvNearestExact,
        Filter::CvLinear,
        Filter::CvLinearExact,
        Filter::CvArea,
        Filter::CvCubic,
        Filter::PilNearest,
        Filter::PilBox,
        Filter::PilBilinear,
        Filter::PilBicubic,
        Filter::PilLanczos,
    ];

    /// Converts the C value; `None` when unknown.
    pub fn from_u32(v: u32) -> Option<Self> {
        Self::ALL.get(v as usize).copied()
    }

    /// True for the filters that reproduce OpenCV.
    pub fn is_opencv(self) -> bool {
        (self as u32) <= Filter::CvCubic as u32
    }

    /// Lower-case name, e.g. `cv_linear`, `pil_bicubic`.
    pub fn name(self) -> &'static str {
        match self {
            Filter::CvNearest => "cv_nearest",
            Filter::CvNearestExact => "cv_nearest_exact",
            Filter::CvLinear => "cv_linear",
            Filter::CvLinearExact => "cv_linear_exact",
            Filter::CvArea => "cv_area",
            Filter::CvCubic => "cv_cubic",
            Filter::PilNearest => "pil_nearest",
            Filter::PilBox => "pil_box",
            Filter::PilBilinear => "pil_bilinear",
            Filter::PilBicubic => "pil_bicubic",
            Filter::PilLanczos => "pil_lanczos",
        }
    }
}

/// Largest source or destination side accepted, in pixels (both libraries' limits are of
/// this order; it also keeps every coefficient table and intermediate row bounded).
pub const MAX_SIDE: usize = 1 << 16;

#[derive(Debug)]
enum Plan {
    /// Same source and destination size: both libraries return a copy of the source
    /// (`cv::resize` copies when `dsize == src.size()`, Pillow's `resize` returns `copy()`).
    Copy,
    Cv(opencv::Plan),
    Pil(pillow::Plan),
}

/// Destination bytes (`width * height * bytes_per_pixel`) from which [`Resizer::resize`]
/// splits rows across scipix's pool. Measured single-threaded with
/// `benches/peers_resize.py`: the cheapest filter (`CvNearest`, a byte gather) writes a
/// 224x224 RGB8 destination (150 KB) from 1920x1080 in ~0.13 ms, so 64 KB is ~50 us of work
/// even for it, an order of magnitude above the pool's dispatch cost of a few microseconds
/// per band; every other filter costs several times more per destination byte.
pub const SPLIT_BYTES: usize = 1 << 16;

thread_local! {
    /// One [`Scratch`] per thread, kept between calls so steady-state resizing allocates
    /// nothing (the families grow their buffers once to the largest size seen).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's pooled [`Scratch`] (a fresh one if it is already in use
/// further up the stack, which only happens on re-entry).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Per-thread working memory of [`Resizer::resize_window`]; reuse one across calls to avoid
/// allocating in the loop. Its contents never affect the result.
#[derive(Debug, Default)]
pub struct Scratch {
    cv: opencv::Scratch,
    pil: pillow::Scratch,
}

/// Precomputed tables for resizing `src_w` x `src_h` `format` images to `dst_w` x `dst_h`
/// with one filter. Immutable once built (`Send + Sync`), so one resizer may serve many
/// threads at once; the working memory of each call is per thread ([`Scratch`]).
#[derive(Debug)]
pub struct Resizer {
    plan: Plan,
    filter: Filter,
    format: PixelFormat,
    src: (usize, usize),
    dst: (usize, usize),
}

fn check_side(what: &str, w: usize, h: usize) -> Result<()> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::invalid(format!(
            "{what} size {w}x{h}: each side must be 1..={MAX_SIDE}"
        )));
    }
    Ok(())
}

impl Resizer {
    /// Builds the tables; fails on a zero or too large side.
    pub fn new(
        src_w: usize,
        src_h: usize,
        dst_w: usize,
        dst_h: usize,
        format: PixelFormat,
        filter: Filter,
    ) -> Result<Self> {
        check_side("source", src_w, src_h)?;
        check_side("destination", dst_w, dst_h)?;
        let plan = if (src_w, src_h) == (dst_w, dst_h) {
            Plan::Copy
        } else if filter.is_opencv() {
            Plan::Cv(opencv::Plan::new(
                filter, src_w, src_h, dst_w, dst_h, format,
            )?)
        } else {
            Plan::Pil(pillow::Plan::new(
                filter, src_w, src_h, dst_w, dst_h, format,
            )?)
        };
        Ok(Resizer {
            plan,
            filter,
            format,
            src: (src_w, src_h),
            dst: (dst_w, dst_h),
        })
    }

    /// The filter this resizer reproduces.
    pub fn filter(&self) -> Filter {
        self.filter
    }

    /// Pixel format of both images.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// Source size (width, height).
    pub fn src_size(&self) -> (usize, usize) {
        self.src
    }

    /// Full destination size (width, height).
    pub fn dst_size(&self) -> (usize, usize) {
        self.dst
    }

    /// A source rectangle `(x0, y0, x1, y1)` (end exclusive, inside the source) holding
    /// every source pixel that destination pixels `x..x + w` by `y..y + h` read: what a
    /// caller must provide (decode, copy) to get that window right when the rest of the
    /// source is unknown. Conservative, from the filter's radius `r` in destination pixels
    /// (nearest, box, linear, area 1; cubic 2; Lanczos 3) and the scale `s` (source per
    /// destination pixel) of each axis: destination span `d0..d1` needs at most
    /// `floor(d0 * s - m) .. ceil(d1 * s + m)` with `m = r * max(s, 1) + 2`, clamped to the
    /// source, widened to every pixel the plan's tables read (the Pillow plans' uniform tap
    /// counts read a few zero-weight pixels past the support at the edges). Empty windows
    /// give an empty rectangle.
    pub fn src_rect(&self, x: usize, y: usize, w: usize, h: usize) -> (usize, usize, usize, usize) {
        let r = match self.filter {
            Filter::CvCubic | Filter::PilBicubic => 2.0,
            Filter::PilLanczos => 3.0,
            _ => 1.0,
        };
        let span = |d0: usize, n: usize, src: usize, dst: usize| {
            if n == 0 {
                return (0, 0);
            }
            let s = src as f64 / dst as f64;
            let m = r * s.max(1.0) + 2.0;
            let lo = (d0 as f64 * s - m).floor().max(0.0) as usize;
            let hi = ((d0 + n) as f64 * s + m).ceil().min(src as f64) as usize;
            (lo.min(src), hi.max(lo.min(src)))
        };
        let (mut x0, mut x1) = span(x, w, self.src.0, self.dst.0);
        let (mut y0, mut y1) = span(y, h, self.src.1, self.dst.1);
        // Also what the plan's tables read, zero-weight taps included.
        let widen = |lo: &mut usize, hi: &mut usize, (a, b): (usize, usize), len: usize| {
            if b > a {
                *lo = (*lo).min(a);
                *hi = (*hi).max(b.min(len));
            }
        };
        if w > 0 && h > 0 {
            match &self.plan {
                Plan::Pil(p) => {
                    widen(&mut x0, &mut x1, p.read_span(false, x..x + w), self.src.0);
                    widen(&mut y0, &mut y1, p.read_span(true, y..y + h), self.src.1);
                }
                Plan::Cv(p) => {
                    if let Some(rows) = p.source_rows() {
                        let taps = rows.len() / self.dst.1;
                        let t = &rows[y * taps..(y + h) * taps];
                        let lo = t.iter().min().map_or(0, |&v| v as usize);
                        let hi = t.iter().max().map_or(0, |&v| v as usize + 1);
                        widen(&mut y0, &mut y1, (lo, hi), self.src.1);
                    }
                }
                Plan::Copy => {}
            }
        }
        (x0, y0, x1, y1)
    }

    /// The source rows the vertical pass reads, in destination-row order (each destination
    /// row's taps in turn, so a downscale lists them in nondecreasing order), when the plan
    /// reads rows through a table (OpenCV nearest, linear and cubic); `None` when it may
    /// read every row (copy, area, the Pillow filters).
    pub(crate) fn source_rows(&self) -> Option<&[u32]> {
        match &self.plan {
            Plan::Cv(p) => p.source_rows(),
            _ => None,
        }
    }

    fn check_src(&self, src: &ImageView) -> Result<()> {
        if src.format() != self.format {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!(
                    "source is {}, the resizer was built for {}",
                    src.format().name(),
                    self.format.name()
                ),
            ));
        }
        if (src.width(), src.height()) != self.src {
            return Err(Error::invalid(format!(
                "source is {}x{}, the resizer was built for {}x{}",
                src.width(),
                src.height(),
                self.src.0,
                self.src.1
            )));
        }
        Ok(())
    }

    /// Writes destination pixels `x0..x0 + out.width()` by `y0..y0 + out.height()` of the
    /// full resize of `src` into `out`, on the calling thread. The window must lie inside the
    /// destination size and `out` must have the resizer's format.
    pub fn resize_window(
        &self,
        src: &ImageView,
        x0: usize,
        y0: usize,
        out: &mut ImageViewMut,
        scratch: &mut Scratch,
    ) -> Result<()> {
        self.check_src(src)?;
        if out.format() != self.format {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!(
                    "destination is {}, the resizer was built for {}",
                    out.format().name(),
                    self.format.name()
                ),
            ));
        }
        let inside = |o: usize, n: usize, all: usize| o.checked_add(n).is_some_and(|e| e <= all);
        if !inside(x0, out.width(), self.dst.0) || !inside(y0, out.height(), self.dst.1) {
            return Err(Error::invalid(format!(
                "window {}x{} at ({x0},{y0}) is outside the {}x{} destination",
                out.width(),
                out.height(),
                self.dst.0,
                self.dst.1
            )));
        }
        self.run_window(cpu::kernel_isa(), src, x0, y0, out, scratch);
        Ok(())
    }

    /// [`Resizer::resize_window`] without the checks, with the kernel family chosen by the
    /// caller (the checks are the caller's).
    pub(crate) fn run_window(
        &self,
        isa: Isa,
        src: &ImageView,
        x0: usize,
        y0: usize,
        out: &mut ImageViewMut,
        scratch: &mut Scratch,
    ) {
        self.run_window_rows(isa, &SrcRows::whole(*src), x0, y0, out, scratch);
    }

    /// [`Resizer::run_window`] reading the source through `src`, which must hold every
    /// row [`Resizer::src_rect`] gives for the window.
    pub(crate) fn run_window_rows(
        &self,
        isa: Isa,
        src: &SrcRows,
        x0: usize,
        y0: usize,
        out: &mut ImageViewMut,
        scratch: &mut Scratch,
    ) {
        match &self.plan {
            Plan::Copy => {
                let bpp = self.format.bytes_per_pixel();
                let n = out.row_bytes();
                for y in 0..out.height() {
                    out.row_mut(y)
                        .copy_from_slice(&src.row(y0 + y)[x0 * bpp..x0 * bpp + n]);
                }
            }
            Plan::Cv(p) => p.run(isa, src, x0, y0, out, &mut scratch.cv),
            Plan::Pil(p) => p.run(isa, src, x0, y0, out, &mut scratch.pil),
        }
    }

    /// Resizes the whole of `src` into `dst` (the destination size). Rows of the
    /// destination are split into bands across scipix's pool when the destination has at
    /// least [`SPLIT_BYTES`] bytes; every band is the same window of the one full result,
    /// so the bytes are identical for every thread count. Each thread uses its pooled
    /// [`Scratch`]. Fails, writing nothing, on a source or destination of another size or
    /// format than the resizer's.
    pub fn resize(&self, src: &ImageView, dst: &mut ImageViewMut) -> Result<()> {
        if (dst.width(), dst.height()) != self.dst {
            return Err(Error::invalid(format!(
                "destination is {}x{}, the resizer was built for {}x{}",
                dst.width(),
                dst.height(),
                self.dst.0,
                self.dst.1
            )));
        }
        self.check_src(src)?;
        if dst.format() != self.format {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!(
                    "destination is {}, the resizer was built for {}",
                    dst.format().name(),
                    self.format.name()
                ),
            ));
        }
        let isa = cpu::kernel_isa();
        let bytes = dst.row_bytes() * dst.height();
        if dst.height() < 2 || !parallel::should_split(bytes, SPLIT_BYTES) {
            with_scratch(|s| self.run_window(isa, src, 0, 0, dst, s));
            return Ok(());
        }
        let rows = dst.height().div_ceil(parallel::num_threads() * 4).max(1);
        let mut bands = dst.bands_mut(rows);
        parallel::install(|| {
            bands.par_iter_mut().enumerate().for_each(|(i, band)| {
                with_scratch(|s| self.run_window(isa, src, 0, i * rows, band, s))
            })
        });
        Ok(())
    }
}

/// Resizers kept per thread by [`resize`], most recently used first.
pub const ONE_SHOT_CACHE: usize = 4;

thread_local! {
    static ONE_SHOT: RefCell<Vec<Rc<Resizer>>> = const { RefCell::new(Vec::new()) };
}

/// The resizer for (source size, destination size, format, filter) from this thread's
/// cache of the [`ONE_SHOT_CACHE`] most recently used ones, built and cached on a miss.
/// Resizers are immutable, so a cached one gives the same bytes as a fresh one.
pub(crate) fn cached_resizer(
    src: (usize, usize),
    dst: (usize, usize),
    format: PixelFormat,
    filter: Filter,
) -> Result<Rc<Resizer>> {
    let hit =
        |r: &Rc<Resizer>| r.src == src && r.dst == dst && r.format == format && r.filter == filter;
    let found = ONE_SHOT.with(|c| {
        let mut c = c.try_borrow_mut().ok()?;
        let i = c.iter().position(hit)?;
        let r = c.remove(i);
        c.insert(0, r.clone());
        Some(r)
    });
    if let Some(r) = found {
        return Ok(r);
    }
    let r = Rc::new(Resizer::new(src.0, src.1, dst.0, dst.1, format, filter)?);
    ONE_SHOT.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            c.insert(0, r.clone());
            c.truncate(ONE_SHOT_CACHE);
        }
    });
    Ok(r)
}

/// One-shot resize of `src` into `dst` (both of one format; sizes taken from the views).
/// The tables come from a per-thread cache of the [`ONE_SHOT_CACHE`] most recently used
/// (sizes, format, filter) combinations, so repeated calls of one shape build them once;
/// the result is the same as with a fresh [`Resizer`].
pub fn resize(src: &ImageView, dst: &mut ImageViewMut, filter: Filter) -> Result<()> {
    cached_resizer(
        (src.width(), src.height()),
        (dst.width(), dst.height()),
        src.format(),
        filter,
    )?
    .resize(src, dst)
}

/// Whether the AVX-512 kernels may use byte permutes (AVX-512 VBMI): when the CPU has it.
/// Tests can turn it off per thread ([`NO_VBMI`]) to cover the AVX-512 paths without it.
#[cfg(target_arch = "x86_64")]
pub(crate) fn vbmi() -> bool {
    #[cfg(test)]
    if NO_VBMI.with(|c| c.get()) {
        return false;
    }
    cpu::detected().has(cpu::Features::AVX512VBMI)
}

#[cfg(test)]
thread_local! {
    /// Set to run the AVX-512 kernels without VBMI on a CPU that has it.
    pub(crate) static NO_VBMI: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::test_noise::bytes;

    /// No kernel reads past the source image, on every ISA (AVX-512 also without VBMI),
    /// every filter and format: each source ends on the byte before an inaccessible page
    /// (a read past it would fault), and the result equals the scalar one. The sizes take
    /// the packed rows, clamped borders, partial last blocks and two-window blocks of every
    /// kernel family through the image's last row.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn no_kernel_reads_past_the_image() {
        use crate::test_guard::Guarded;
        let sizes = [
            (97, 23, 301, 41),
            (301, 41, 97, 23),
            (640, 9, 160, 5),
            (500, 9, 166, 5),
            (640, 9, 213, 4),
            (71, 5, 17, 3),
            (1001, 3, 250, 2),
            (1920, 6, 224, 3),
            (333, 5, 83, 3),
            (45, 64, 131, 64),
            (5, 3, 17, 11),
            (3, 5, 8, 2),
            (96, 45, 32, 15),
            (90, 90, 45, 45),
        ];
        let formats = [PixelFormat::Gray8, PixelFormat::Rgb8, PixelFormat::Rgba8];
        for (i, &(sw, sh, dw, dh)) in sizes.iter().enumerate() {
            for fmt in formats {
                let guarded = Guarded::new(&bytes(sw * sh * fmt.channels(), i as u32 + 3));
                let src = ImageView::packed(guarded.as_slice(), sw, sh, fmt).unwrap();
                for filter in Filter::ALL {
                    let r = Resizer::new(sw, sh, dw, dh, fmt, filter).unwrap();
                    let mut want = vec![0u8; dw * dh * fmt.channels()];
                    let mut d = ImageViewMut::packed(&mut want, dw, dh, fmt).unwrap();
                    let mut scratch = Scratch::default();
                    r.run_window(Isa::Scalar, &src, 0, 0, &mut d, &mut scratch);
                    let vbmi = cpu::detected().has(cpu::Features::AVX512VBMI);
                    let paths = Isa::available().into_iter().flat_map(|isa| {
                        let twice = isa == Isa::Avx512 && vbmi;
                        [(isa, false)]
                            .into_iter()
                            .chain(twice.then_some((isa, true)))
                    });
                    for (isa, no_vbmi) in paths {
                        NO_VBMI.with(|c| c.set(no_vbmi));
                        let mut got = vec![0u8; want.len()];
                        let mut d = ImageViewMut::packed(&mut got, dw, dh, fmt).unwrap();
                        r.run_window(isa, &src, 0, 0, &mut d, &mut scratch);
                        NO_VBMI.with(|c| c.set(false));
                        assert!(
                            got == want,
                            "{} {isa:?} {sw}x{sh}->{dw}x{dh} {}",
                            filter.name(),
                            fmt.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn row_split_gives_the_same_bytes_for_every_thread_count() {
        let (sw, sh, dw, dh) = (501, 377, 300, 211);
        let f = PixelFormat::Rgb8;
        let src_buf = bytes(sw * sh * 3, 9);
        let src = ImageView::packed(&src_buf, sw, sh, f).unwrap();
        for filter in [Filter::CvLinear, Filter::PilBilinear, Filter::CvArea] {
            let r = Resizer::new(sw, sh, dw, dh, f, filter).unwrap();
            // Reference: one window covering everything, on this thread.
            let mut want = vec![0u8; dw * dh * 3];
            let mut w = ImageViewMut::packed(&mut want, dw, dh, f).unwrap();
            r.resize_window(&src, 0, 0, &mut w, &mut Scratch::default())
                .unwrap();
            for threads in [1, 2, 3] {
                parallel::set_num_threads(threads).unwrap();
                let mut got = vec![0u8; dw * dh * 3];
                let mut g = ImageViewMut::packed(&mut got, dw, dh, f).unwrap();
                r.resize(&src, &mut g).unwrap();
                assert!(got == want, "{filter:?} with {threads} threads");
            }
            parallel::set_num_threads(0).unwrap();
        }
    }

    #[test]
    fn resize_checks_sizes_and_formats_before_writing() {
        let src_buf = bytes(20 * 10, 1);
        let src = ImageView::packed(&src_buf, 20, 10, PixelFormat::Gray8).unwrap();
        let r = Resizer::new(20, 10, 7, 5, PixelFormat::Gray8, Filter::CvLinear).unwrap();
        let mut out = vec![42u8; 7 * 5 * 3];
        let mut wrong = ImageViewMut::packed(&mut out, 7, 5, PixelFormat::Rgb8).unwrap();
        assert_eq!(
            r.resize(&src, &mut wrong).unwrap_err().kind(),
            ErrorKind::UnsupportedFormat
        );
        let mut small = ImageViewMut::packed(&mut out, 6, 5, PixelFormat::Gray8).unwrap();
        assert!(r.resize(&src, &mut small).is_err());
        assert!(out.iter().all(|&v| v == 42));
        assert!(Resizer::new(0, 10, 7, 5, PixelFormat::Gray8, Filter::CvLinear).is_err());
        assert!(Resizer::new(
            20,
            10,
            MAX_SIDE + 1,
            5,
            PixelFormat::Gray8,
            Filter::CvLinear
        )
        .is_err());
    }

    #[test]
    fn one_shot_reuses_cached_tables_with_the_same_bytes() {
        let (sw, sh, dw, dh) = (83, 47, 31, 19);
        let f = PixelFormat::Rgb8;
        let buf = bytes(sw * sh * 3, 3);
        let src = ImageView::packed(&buf, sw, sh, f).unwrap();
        let a = cached_resizer((sw, sh), (dw, dh), f, Filter::PilNearest).unwrap();
        let b = cached_resizer((sw, sh), (dw, dh), f, Filter::PilNearest).unwrap();
        assert!(Rc::ptr_eq(&a, &b));
        let c = cached_resizer((sw, sh), (dw, dh), f, Filter::PilBox).unwrap();
        assert!(!Rc::ptr_eq(&a, &c));
        for filter in [Filter::PilNearest, Filter::PilBicubic, Filter::CvLinear] {
            let mut want = vec![0u8; dw * dh * 3];
            let mut w = ImageViewMut::packed(&mut want, dw, dh, f).unwrap();
            Resizer::new(sw, sh, dw, dh, f, filter)
                .unwrap()
                .resize(&src, &mut w)
                .unwrap();
            for _ in 0..2 {
                let mut got = vec![1u8; dw * dh * 3];
                let mut g = ImageViewMut::packed(&mut got, dw, dh, f).unwrap();
                resize(&src, &mut g, filter).unwrap();
                assert!(got == want, "{filter:?}");
            }
        }
        for n in 0..ONE_SHOT_CACHE {
            cached_resizer((sw, sh), (dw + 1 + n, dh), f, Filter::PilNearest).unwrap();
        }
        let d = cached_resizer((sw, sh), (dw, dh), f, Filter::PilNearest).unwrap();
        assert!(!Rc::ptr_eq(&a, &d));
        assert!(cached_resizer((0, sh), (dw, dh), f, Filter::PilNearest).is_err());
    }
}
