//! The filters that reproduce Pillow's `Image.resize` bit for bit (Pillow 13, 8-bit modes
//! `L`, `RGB` and `RGBA`; BGR and BGRA are the same arithmetic on swapped channels).
//!
//! # The rules
//!
//! **Same size.** When the destination size equals the source size every filter copies the
//! source unchanged (`Image.resize` returns `self.copy()`).
//!
//! **NEAREST** (`ImagingScaleAffine` through `ImagingTransform`): with `a = src_w / dst_w`
//! in `f64`, destination column `x` takes source column `floor(xo_x)` where `xo_0 = a / 2`
//! and `xo_{x+1} = xo_x + a` is accumulated in `f64` exactly as Pillow adds it; rows alike.
//! A column or row that would fall outside the source is zero (Pillow's fill); with these
//! sizes it never happens. No premultiplication, even for RGBA.
//!
//! **BOX, BILINEAR, BICUBIC, LANCZOS** (`ImagingResample`): a separable convolution. For
//! each axis with a changed size, `scale = in / out`, `filterscale = max(scale, 1)`,
//! `support = filter_support * filterscale` (0.5, 1, 2, 3 times `filterscale`); output `i`
//! has centre `c = (i + 0.5) * scale`, window `[trunc(c - support + 0.5) max 0,
//! trunc(c + support + 0.5) min in)`, and weights `filter((j - c + 0.5) / filterscale)`
//! (the division done as a multiplication by `1 / filterscale`), each divided by their sum
//! (unless it is 0), then rounded half away from zero to 22 fractional bits
//! ([`coeffs::PRECISION_BITS`]). The filters: box 1 on (-0.5, 0.5]; bilinear `1 - |x|`;
//! bicubic Keys with a = -0.5; lanczos `sinc(x) sinc(x / 3)` on [-3, 3). All in `f64` with
//! Pillow's operation order (Lanczos uses the platform `sin`, as Pillow does).
//!
//! Each output byte is `clamp((2^21 + sum k * p) >> 22, 0, 255)` in `i32` ([`scalar`]).
//! When both sizes change, the two passes run one after the other and the first one's bytes
//! (rounded and clamped as above) feed the second. Pillow 13 picks the order: vertical first
//! when the height shrinks by more than twice as many pixels as the width
//! (`src_h - dst_h > 0 && src_h - dst_h > 2 * (src_w - dst_w)`), otherwise horizontal first
//! (then over only the source rows the vertical pass reads). The order changes the result
//! (different intermediate rounding), so it is part of the rule. When only one size changes
//! only that pass runs.
//!
//! **RGBA and BGRA** with these four filters: `Image.resize` converts `RGBA` to the
//! premultiplied `RGBa` first and back afterwards, so scipix does the same, bit for bit:
//! colour `c` becomes `MULDIV255(c, a) = (t + (t >> 8)) >> 8` with `t = c * a + 128` before
//! the passes, and after them `min(255, 255 * c / a)` (integer division) unless `a` is 0 or
//! 255, where the colour is kept. Alpha itself is resized like any channel. So a fully
//! transparent pixel contributes no colour to its neighbours.
//!
//! # Windows
//!
//! `Plan::run` computes any window of the destination: the first pass covers only the
//! source rows and columns the window's taps read (horizontal first: the window's columns of
//! the source rows its vertical taps read; vertical first: the window's rows over the source
//! columns its horizontal taps read). Each intermediate byte depends only on its own position,
//! so every window equals the same pixels of the full result.
//!
//! # Kernels
//!
//! [`scalar`] is the specification; SSE4.1, AVX2, AVX-512 and NEON kernels run the two
//! convolution passes (shared by BOX, BILINEAR, BICUBIC and LANCZOS) and give the same bytes.
//! The x86 kernels split each 22-bit coefficient as `k = (k >> 15) * 2^15 + (k & 0x7fff)`,
//! both halves `i16`, and form every product exactly with two `pmaddwd` (which also add the
//! products of two taps); NEON multiplies 32-bit lanes directly. The sums are the scalar
//! ones: integer addition in any order, wrapping included, ends at the same `i32`.
//!
//! - Vertical pass: every format, 16/32/64 bytes of a row per step (SSE4.1/AVX2/AVX-512),
//!   16 on NEON; the scalar kernel finishes the row, except on AVX-512, which loads and
//!   stores the row's last `len % 64` bytes under a mask (small destinations, such as
//!   333x251 -> 83x62 whose 249-byte rows left 57 bytes per row to AVX2 and scalar:
//!   BICUBIC 0.101 -> 0.086 ms, best of 30, two runs of each build; full 64-byte rows
//!   unchanged).
//! - Horizontal pass: RGB and RGBA (3 or 4 bytes per pixel), one output pixel per step,
//!   its channels in one 128-bit lane; AVX2 filters 2 rows at once and AVX-512 4 (one per
//!   lane, sharing each coefficient broadcast). GRAY8 rows, windows with an odd tap count
//!   (only when the taps span the whole source) and the last outputs whose 8-byte pair
//!   loads would pass the row's end use the scalar kernel. With AVX-512 VNNI and VBMI,
//!   every coefficient is split as `a 2^16 + b 2^8 + c` with signed bytes `a`, `b`, `c`
//!   ([`coeffs::Axis::k8`]; every `k` in `-0x808080..=0x7f7f7f`, weights below 1.99: all
//!   of Pillow's tables, upscales and the negative lobes of BICUBIC and LANCZOS included).
//!   `vpdpbusd` multiplies pixels (`u8`) by one byte plane (`i8`) and adds 4 products per
//!   `i32` lane without saturating, modulo 2^32, and `(a << 16) + (b << 8) + c` is then
//!   the scalar `i32` sum modulo 2^32, that is the scalar sum (wrapping included). When
//!   the taps fill at least 3/4 of their 16-tap groups, one row is filtered 16 taps at a
//!   time by three `vpdpbusd`; with 16 or more taps filling 3/4 of 8-tap groups instead,
//!   the same arithmetic runs on 8 taps of two outputs per vector. Before either, the same
//!   byte split runs element-major where the axis allows (`blocks.rs`: shrinks, mild or
//!   large, and upscales alike, any channel count, GRAY8 included): 16 destination
//!   elements per vector, each 4-tap group one `vpermb` per row (past a downscale of
//!   about 4, one `vpermt2b` of a 128-byte window up to about 7, then four `vpermb`, one
//!   per quarter of the vector) and three `vpdpbusd`, coefficient loads
//!   shared by 4 rows, 16 finished bytes per store. 1920x1080 RGB8, alternated against the
//!   kernels above: to 640x640 BOX 1.59 -> 0.64 ms, BILINEAR 1.85 -> 0.88, BICUBIC 2.66 ->
//!   1.14, LANCZOS 3.20 -> 1.60; to 224x224 BOX 0.83 -> 0.62, BILINEAR 1.18 -> 0.99,
//!   BICUBIC 1.77 -> 1.64, LANCZOS 2.35 -> 2.19. With the wider split, blocks against the
//!   per-output 16-tap kernel on the same outputs (`btiming` below, RGB8, us per row):
//!   1920 -> 640 BICUBIC 0.55 against 1.84, 1920 -> 960 LANCZOS 0.73 against 2.70,
//!   1920 -> 416 BOX 0.54 against 1.17, 4032 -> 640 LANCZOS 3.13 against 3.58, 3840 ->
//!   512 LANCZOS 2.97 against 2.87 (level), so the blocks keep priority. Merging the
//!   quarter windows two at a time with `vpermt2b` and a blend instead of four masked
//!   `vpermb` measured 10% slower (0.54 -> 0.60, 3.13 -> 3.50) and was not kept.
//!
//!   Until the split had 7-bit low digits (`a 2^14 + b 2^7 + c`, weights below about 0.5)
//!   only large shrinks took these kernels; mild shrinks and upscales ran the pair kernel
//!   (RGB) or the scalar one (GRAY8 rows). With 8-bit digits, measured one at a time on
//!   an Intel Xeon (family 6 model 167, AVX-512 VBMI + VNNI, 2 cores shared, load average
//!   about 3), best of 30, RGB8 unless said: 1001x667 -> 500x333 BOX 0.638 -> 0.323 ms,
//!   BICUBIC 1.121 -> 0.524, GRAY8 BICUBIC 1.337 -> 0.217; 333x251 -> 666x502 LANCZOS
//!   0.543 -> 0.384. Against Pillow-SIMD 12.1.1.post0 over the 102 RGB cases of
//!   `benches/peers_resize_grid.py --pillow-simd --formats rgb` (2026-12-07; before: 16:11
//!   UTC, load average 3.1-3.8; after, with the masked vertical row ends above: 16:52,
//!   load average 1.8-2.0), min / geomean / cases below 1.0x, before -> after: BOX
//!   0.59x / 1.06x / 52 -> 0.87x / 1.38x / 11, BILINEAR 0.67x / 1.17x / 32 -> 0.85x /
//!   1.38x / 8, BICUBIC 0.63x / 1.17x / 29 -> 0.89x / 1.39x / 11, LANCZOS 0.75x / 1.30x /
//!   18 -> 0.90x / 1.54x / 14. Every 1/2, 2x and small-source model square is now above
//!   1.0x (lowest 1.32x); what stays below is large shrinks (1/4 of the small sources,
//!   1001x667 to 12 MP to the model squares, mostly 0.9-0.99x), which already took the
//!   byte kernels.
//!
//!   The vertical pass keeps `vpmaddwd` / `vpdpwssd` on 16-bit halves: a `vpdpbusd`
//!   vertical kernel on the same byte planes (4 source rows interleaved per `i32` lane,
//!   3 `vpdpbusd` per 4 taps and 16 columns against 4 `vpdpwssd` per 2 taps) measured
//!   slower on this CPU at every tap count tried (5760-byte rows, 2 to 30 taps: 1.05x to
//!   1.6x the time), so it was not kept.
//! - NEAREST is a table-driven gather of whole pixels (it moves bytes and does no
//!   arithmetic) by the `gather` family (`gather::pixels`: a byte permute or `vpgatherdd`
//!   per block, 4 pixels per SSE4.1 step, 3-byte pixels as 4-byte words elsewhere);
//!   destination rows that take the same source row as the previous one copy that row.
//!
//! # Differences from Pillow
//!
//! None found: the cross-check (`tests/resize_pillow.rs`) compares every format, filter and
//! many size pairs (1x1, 1xN, Nx1, one dimension only, up, down, mixed, 1920 -> 7) with
//! Pillow 13.0.0 byte for byte. LANCZOS coefficients use the C library's `sin` as Pillow
//! does; a platform whose `sin` differs in the last bit from the one Pillow was run with
//! could round a coefficient differently (not observed on glibc).

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
mod blocks;
pub mod coeffs;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "x86_64")]
mod sse41;

use super::src_rows::SrcRows;
use super::Filter;
use crate::cpu::Isa;
use crate::error::{Error, ErrorKind, Result};
use crate::image::{ImageViewMut, PixelFormat};
use blocks::HBlocks;
use coeffs::{Axis, Kernel};

// `Plan` keeps its `Op` boxed, so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Op {
    Copy,
    /// `sorted`: `cols` never decreases (always, as `nearest_table` builds it; checked once
    /// here because the SIMD gather relies on it).
    Nearest {
        cols: Vec<u32>,
        rows: Vec<u32>,
        sorted: bool,
    },
    Conv {
        h: Option<Axis>,
        v: Option<Axis>,
        /// The element blocks of `h` at the plan's channel count (x86-64 only).
        hb: Option<HBlocks>,
    },
}

/// Coefficient tables for one resize.
#[derive(Debug)]
pub struct Plan {
    /// Boxed: the tables live on the heap, so the plan stays small inside `Resizer`.
    op: Box<Op>,
    bpp: usize,
    premultiply: bool,
    /// Pillow 13 runs the vertical pass first when the height shrinks by more than twice
    /// as many pixels as the width: `src_h - dst_h > 0 && src_h - dst_h > 2 (src_w - dst_w)`.
    vertical_first: bool,
}

/// Working memory reused across calls.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Premultiplied copy of the source region (RGBA and BGRA only).
    pre: Vec<u8>,
    /// Output of the horizontal pass.
    tmp: Vec<u8>,
}

/// Pillow's nearest-neighbour positions: `xo` starts at `a / 2` and grows by `a` per step,
/// `a = in / out` (`ImagingScaleAffine`); [`u32::MAX`] marks a position outside the source.
fn nearest_table(in_size: usize, out_size: usize) -> Vec<u32> {
    let a = (in_size as f32) as f64 / out_size as f64;
    let mut xo = 0.0 + a * 0.5;
    (0..out_size)
        .map(|_| {
            let x = if xo < 0.0 { -1 } else { xo as i64 };
            xo += a;
            if (0..in_size as i64).contains(&x) {
                x as u32
            } else {
                u32::MAX
            }
        })
        .collect()
}

fn kernel_of(filter: Filter) -> Option<Kernel> {
    match filter {
        Filter::PilBox => Some(Kernel::Box),
        Filter::PilBilinear => Some(Kernel::Bilinear),
        Filter::PilBicubic => Some(Kernel::Bicubic),
        Filter::PilLanczos => Some(Kernel::Lanczos),
        _ => None,
    }
}

impl Plan {
    /// Builds the tables (sizes are already checked to be 1..=MAX_SIDE).
    pub(crate) fn new(
        filter: Filter,
        src_w: usize,
        src_h: usize,
        dst_w: usize,
        dst_h: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        let bpp = format.bytes_per_pixel();
        let same = src_w == dst_w && src_h == dst_h;
        let op = if same {
            Op::Copy
        } else if filter == Filter::PilNearest {
            let cols = nearest_table(src_w, dst_w);
            Op::Nearest {
                sorted: cols.windows(2).all(|w| w[0] <= w[1]),
                cols,
                rows: nearest_table(src_h, dst_h),
            }
        } else {
            let kernel = kernel_of(filter).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("{} is not a Pillow filter", filter.name()),
                )
            })?;
            let h = (src_w != dst_w).then(|| Axis::new(kernel, src_w, dst_w));
            let hb = h
                .as_ref()
                .filter(|_| cfg!(target_arch = "x86_64"))
                .and_then(|a| HBlocks::new(a, bpp));
            Op::Conv {
                h,
                v: (src_h != dst_h).then(|| Axis::new(kernel, src_h, dst_h)),
                hb,
            }
        };
        let premultiply = matches!(op, Op::Conv { .. }) && bpp == 4;
        let shrink_h = src_h as i64 - dst_h as i64;
        let vertical_first = shrink_h > 0 && shrink_h > (src_w as i64 - dst_w as i64) * 2;
        Ok(Plan {
            op: Box::new(op),
            bpp,
            premultiply,
            vertical_first,
        })
    }

    /// The source columns `[lo, hi)` (`vertical` false) or rows (`vertical` true) that
    /// destination columns or rows `range` read, exactly as [`Plan::run`] reads them
    /// (uniform tap counts make edge windows read a few zero-weight pixels too).
    pub(crate) fn read_span(
        &self,
        vertical: bool,
        range: std::ops::Range<usize>,
    ) -> (usize, usize) {
        match &*self.op {
            Op::Copy => (range.start, range.end),
            Op::Nearest { cols, rows, .. } => {
                let t = if vertical { &rows[range] } else { &cols[range] };
                let t = t.iter().filter(|&&v| v != u32::MAX);
                let lo = t.clone().min().map_or(0, |&v| v as usize);
                let hi = t.max().map_or(0, |&v| v as usize + 1);
                (lo, hi.max(lo))
            }
            Op::Conv { h, v, .. } => match if vertical { v } else { h } {
                Some(a) => a.span(range),
                None => (range.start, range.end),
            },
        }
    }

    /// Writes destination pixels `x0..x0 + out.width()` by `y0..y0 + out.height()` of the
    /// full resize into `out` (checked by the caller).
    pub(crate) fn run(
        &self,
        isa: Isa,
        src: &SrcRows,
        x0: usize,
        y0: usize,
        out: &mut ImageViewMut,
        scratch: &mut Scratch,
    ) {
        let bpp = self.bpp;
        let (ow, oh) = (out.width(), out.height());
        match &*self.op {
            Op::Copy => {
                for (y, d) in out.rows_mut().enumerate() {
                    d.copy_from_slice(&src.row(y0 + y)[x0 * bpp..(x0 + ow) * bpp]);
                }
            }
            Op::Nearest { cols, rows, sorted } => {
                let cols = &cols[x0..x0 + ow];
                // Destination rows that take the same source row (upscaling) copy the
                // previous destination row instead of gathering again.
                let mut prev: Option<(u32, &mut [u8])> = None;
                for (d, &r) in out.rows_mut().zip(&rows[y0..y0 + oh]) {
                    match &prev {
                        Some((pr, p)) if *pr == r => d.copy_from_slice(p),
                        _ if r == u32::MAX => d.fill(0),
                        _ => super::gather::pixels(isa, src.row(r as usize), cols, *sorted, bpp, d),
                    }
                    prev = Some((r, d));
                }
            }
            Op::Conv { h, v, hb } => {
                let h = h.as_ref().map(|a| (a, hb.as_ref()));
                self.run_conv(isa, h, v.as_ref(), src, x0, y0, out, scratch);
                if self.premultiply {
                    for d in out.rows_mut() {
                        scalar::unpremultiply(d);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_conv(
        &self,
        isa: Isa,
        h: Option<(&Axis, Option<&HBlocks>)>,
        v: Option<&Axis>,
        src: &SrcRows,
        x0: usize,
        y0: usize,
        out: &mut ImageViewMut,
        scratch: &mut Scratch,
    ) {
        let bpp = self.bpp;
        let (ow, oh) = (out.width(), out.height());
        // Source rows and columns this window reads.
        let (ry0, ry1) = match v {
            Some(a) => a.span(y0..y0 + oh),
            None => (y0, y0 + oh),
        };
        let (cx0, cx1) = match h {
            Some((a, _)) => a.span(x0..x0 + ow),
            None => (x0, x0 + ow),
        };
        // The source the passes read: `data` with `stride`, where (row ry0, column cx0)
        // is at byte `origin`.
        let (data, stride, origin): (&[u8], usize, usize) = if self.premultiply {
            let w = (cx1 - cx0) * bpp;
            scratch.pre.resize(w * (ry1 - ry0), 0);
            for (y, d) in (ry0..ry1).zip(scratch.pre.chunks_exact_mut(w)) {
                scalar::premultiply(&src.row(y)[cx0 * bpp..cx1 * bpp], d);
            }
            (&scratch.pre, w, 0)
        } else {
            (src.as_bytes(), src.stride(), src.offset(ry0) + cx0 * bpp)
        };
        let row_len = (cx1 - cx0) * bpp;
        let src_row = |r: usize| &data[origin + r * stride..origin + r * stride + row_len];
        match (h, v) {
            (Some(h), Some(v)) if self.vertical_first => {
                let tw = row_len;
                scratch.tmp.resize(tw * oh, 0);
                v_pass(
                    isa,
                    data,
                    stride,
                    origin,
                    ry0,
                    v,
                    y0,
                    scratch.tmp.chunks_exact_mut(tw),
                );
                h_pass(
                    isa,
                    scratch.tmp.chunks_exact(tw),
                    out.rows_mut(),
                    cx0,
                    h,
                    x0..x0 + ow,
                    bpp,
                );
            }
            (Some(h), Some(v)) => {
                let tw = ow * bpp;
                scratch.tmp.resize(tw * (ry1 - ry0), 0);
                h_pass(
                    isa,
                    (0..ry1 - ry0).map(src_row),
                    scratch.tmp.chunks_exact_mut(tw),
                    cx0,
                    h,
                    x0..x0 + ow,
                    bpp,
                );
                v_pass(isa, &scratch.tmp, tw, 0, ry0, v, y0, out.rows_mut());
            }
            (Some(h), None) => {
                h_pass(
                    isa,
                    (0..oh).map(src_row),
                    out.rows_mut(),
                    cx0,
                    h,
                    x0..x0 + ow,
                    bpp,
                );
            }
            (None, Some(v)) => v_pass(isa, data, stride, origin, ry0, v, y0, out.rows_mut()),
            (None, None) => unreachable!("a convolution plan changes at least one size"),
        }
    }
}

/// Whether the AVX-512 vertical kernel accumulates with `vpdpwssd` (AVX-512 VNNI): when the CPU
/// has it. Tests can turn it off per thread to cover both AVX-512 paths.
#[cfg(target_arch = "x86_64")]
fn vnni() -> bool {
    #[cfg(test)]
    if tests::NO_VNNI.with(|c| c.get()) {
        return false;
    }
    crate::cpu::detected().has(crate::cpu::Features::AVX512VNNI)
}

#[cfg(target_arch = "x86_64")]
use super::vbmi;

/// Rows handed to the horizontal kernels at once (the widest kernel filters 4 rows together).
const GROUP: usize = 4;

/// Horizontal pass: each destination row gets outputs `range` of `axis` from its source
/// row, which starts at source column `base`. With AVX-512 VBMI and VNNI, the element
/// blocks `hb` inside the range run [`avx512::h_rows_blocks`] and the outputs before and
/// after them the per-output kernels ([`h_rows`]); otherwise [`h_rows`] does them all.
fn h_pass<'s, 'd>(
    isa: Isa,
    mut src: impl Iterator<Item = &'s [u8]>,
    mut dst: impl Iterator<Item = &'d mut [u8]>,
    base: usize,
    (axis, hb): (&Axis, Option<&HBlocks>),
    range: std::ops::Range<usize>,
    bpp: usize,
) {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = hb;
    // Decided at the first rows: (blocks, outputs before them and their SIMD prefix,
    // outputs after them and theirs, the rows' length).
    type Part<'a> = (Window<'a>, usize);
    let mut plan: Option<((usize, usize), Part, Part, usize)> = None;
    loop {
        let mut srcs: [&[u8]; GROUP] = [&[]; GROUP];
        let mut dsts: [&mut [u8]; GROUP] = Default::default();
        let mut n = 0;
        while n < GROUP {
            match (src.next(), dst.next()) {
                (Some(s), Some(d)) => {
                    srcs[n] = s;
                    dsts[n] = d;
                    n += 1;
                }
                _ => break,
            }
        }
        if n == 0 {
            return;
        }
        let (blk, (head, head_simd), (tail, tail_simd), row_len) = plan.get_or_insert_with(|| {
            let row_len = srcs[0].len();
            #[allow(unused_mut)]
            let mut blk = (0, 0);
            #[cfg(target_arch = "x86_64")]
            if let Some(hb) = hb.filter(|_| isa == Isa::Avx512 && vbmi() && vnni()) {
                blk = hb.range(range.start * bpp, range.end * bpp, base * bpp, row_len);
            }
            // Outputs wholly done by the blocks: `mid`.
            let mid = if blk.0 < blk.1 {
                (blk.0 * blocks::BLOCK).div_ceil(bpp)..blk.1 * blocks::BLOCK / bpp
            } else {
                range.end..range.end
            };
            let part = |r: std::ops::Range<usize>| {
                let w = window(axis, r, base, bpp);
                let simd = w.simd_outputs(row_len);
                (w, simd)
            };
            (
                blk,
                part(range.start..mid.start),
                part(mid.end..range.end),
                row_len,
            )
        });
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (blk, row_len);
        #[cfg(target_arch = "x86_64")]
        if blk.0 < blk.1 {
            // The blocks' windows were checked against the first rows' length.
            assert!(srcs[..n].iter().all(|s| s.len() == *row_len));
            if let Some(hb) = hb {
                // SAFETY: `blk` is non-empty only where AVX-512 VBMI and VNNI run, and comes
                // from `HBlocks::range` for this window, `base` and these rows' length.
                unsafe {
                    avx512::h_rows_blocks(
                        &srcs[..n],
                        &mut dsts[..n],
                        base * bpp,
                        hb,
                        blk.0,
                        blk.1,
                        range.start * bpp,
                    )
                };
            }
        }
        h_rows(isa, &srcs[..n], &mut dsts[..n], head, *head_simd);
        if !tail.start.is_empty() {
            let at = (range.end - range.start - tail.start.len()) * bpp;
            let mut rest: [&mut [u8]; GROUP] = Default::default();
            for (r, d) in rest.iter_mut().zip(dsts[..n].iter_mut()) {
                *r = &mut d[at..];
            }
            h_rows(isa, &srcs[..n], &mut rest[..n], tail, *tail_simd);
        }
    }
}

/// The per-output tables of outputs `range` of `axis`, read from source rows that start at
/// source column `base`.
fn window(axis: &Axis, range: std::ops::Range<usize>, base: usize, bpp: usize) -> Window<'_> {
    Window {
        base,
        start: &axis.start[range.clone()],
        k: &axis.k[range.start * axis.taps..range.end * axis.taps],
        hp: &axis.hp[range.start * axis.npairs..range.end * axis.npairs],
        lp: &axis.lp[range.start * axis.npairs..range.end * axis.npairs],
        k8: axis
            .k8
            .get(range.start * 3 * axis.n16..range.end * 3 * axis.n16)
            .unwrap_or(&[]),
        n16: axis.n16,
        k82: if range.start.is_multiple_of(2) {
            let stride = 6 * axis.n8;
            axis.k82
                .get(range.start / 2 * stride..range.end.div_ceil(2) * stride)
                .unwrap_or(&[])
        } else {
            &[]
        },
        n8: axis.n8,
        taps: axis.taps,
        npairs: axis.npairs,
        bpp,
        simd: axis.simd,
    }
}

/// The outputs of one horizontal pass and their tables (the pair tables feed the x86
/// kernels only).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Window<'a> {
    base: usize,
    start: &'a [u32],
    k: &'a [i32],
    hp: &'a [i32],
    lp: &'a [i32],
    /// Byte planes of the coefficients (empty when they do not split into bytes).
    k8: &'a [i8],
    n16: usize,
    /// [`coeffs::Axis::k82`] from the window's first output (empty when that is odd).
    k82: &'a [i8],
    n8: usize,
    taps: usize,
    npairs: usize,
    bpp: usize,
    simd: bool,
}

impl Window<'_> {
    /// Which AVX-512 VNNI byte kernel filters this window, by its group size in taps: 16
    /// when the taps fill at least 3/4 of their 16-tap groups, else 8 (two outputs per
    /// vector) when there are at least 16 taps filling 3/4 of their 8-tap groups, else none
    /// (the pair kernel), and none when the coefficients do not split into bytes. Outside
    /// those cases the pair kernel measured as fast or faster (1920 -> 640 and 224 RGB8,
    /// `timing` below: 4, 6 and 10 taps).
    #[cfg(target_arch = "x86_64")]
    fn byte_groups(&self) -> Option<usize> {
        if !self.k8.is_empty() && 4 * self.taps >= 3 * self.n16 {
            Some(16)
        } else if !self.k82.is_empty() && self.taps >= 16 && 4 * self.taps >= 3 * self.n8 {
            Some(8)
        } else {
            None
        }
    }

    /// How many leading outputs the SIMD kernels filter: they need an even number of taps,
    /// 3 or 4 bytes per pixel, and read each tap pair as 8 bytes, which must stay inside a
    /// source row of `row_len` bytes. The rest goes to the scalar kernel.
    fn simd_outputs(&self, row_len: usize) -> usize {
        if !self.simd || self.taps % 2 == 1 || !(self.bpp == 3 || self.bpp == 4) {
            return 0;
        }
        let fits = |&s: &u32| (s as usize - self.base + self.taps - 2) * self.bpp + 8 <= row_len;
        self.start
            .iter()
            .position(|s| !fits(s))
            .unwrap_or(self.start.len())
    }
}

/// Filters up to [`GROUP`] rows with the kernel family `isa`: outputs `..n` by the SIMD
/// kernel, the rest by the scalar one.
fn h_rows(isa: Isa, src: &[&[u8]], dst: &mut [&mut [u8]], w: &Window, n: usize) {
    let done = if n == 0 {
        0
    } else {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        let (b, st, bpp) = (w.base, w.start, w.bpp);
        #[cfg(target_arch = "x86_64")]
        let (hp, lp, np) = (w.hp, w.lp, w.npairs);
        match isa {
            // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`/`with_isa`, capped at
            // what this CPU runs.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe {
                match (vbmi() && vnni()).then(|| w.byte_groups()).flatten() {
                    Some(16) => avx512::h_rows_vnni8(src, dst, b, st, w.k8, w.n16, w.taps, bpp, n),
                    Some(_) => avx512::h_rows_vnni8x2(src, dst, b, st, w.k82, w.n8, w.taps, bpp, n),
                    None => avx512::h_rows(src, dst, b, st, hp, lp, np, bpp, n),
                }
                n
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe {
                avx2::h_rows(src, dst, b, st, hp, lp, np, bpp, n);
                n
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => unsafe {
                sse41::h_rows(src, dst, b, st, hp, lp, np, bpp, n);
                n
            },
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe {
                neon::h_rows(src, dst, b, st, w.k, w.taps, bpp, n);
                n
            },
            _ => 0,
        }
    };
    let (taps, bpp) = (w.taps, w.bpp);
    for (s, d) in src.iter().zip(dst.iter_mut()) {
        scalar::h_row(
            s,
            w.base,
            &w.start[done..],
            &w.k[done * taps..],
            taps,
            bpp,
            &mut d[done * bpp..],
        );
    }
}

/// Vertical pass into the rows `dst` (destination rows from `y0`, each as long as the
/// bytes wanted): `data` holds source rows from `row0` on, `stride` bytes apart, the first
/// one at byte `origin`.
#[allow(clippy::too_many_arguments)]
fn v_pass<'d>(
    isa: Isa,
    data: &[u8],
    stride: usize,
    origin: usize,
    row0: usize,
    axis: &Axis,
    y0: usize,
    dst: impl Iterator<Item = &'d mut [u8]>,
) {
    let (taps, np) = (axis.taps, axis.npairs);
    for (y, d) in (y0..).zip(dst) {
        let first = origin + (axis.start[y] as usize - row0) * stride;
        let k = &axis.k[y * taps..(y + 1) * taps];
        let (hp, lp) = (
            &axis.hp[y * np..(y + 1) * np],
            &axis.lp[y * np..(y + 1) * np],
        );
        let isa = if axis.simd { isa } else { Isa::Scalar };
        let done = match isa {
            // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`/`with_isa`, capped at
            // what this CPU runs.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe {
                let n = if vnni() {
                    avx512::v_row_vnni(data, stride, first, taps, hp, lp, d)
                } else {
                    avx512::v_row(data, stride, first, taps, hp, lp, d)
                };
                n + avx2::v_row(data, stride, first + n, taps, hp, lp, &mut d[n..])
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::v_row(data, stride, first, taps, hp, lp, d) },
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => unsafe { sse41::v_row(data, stride, first, taps, hp, lp, d) },
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { neon::v_row(data, stride, first, k, d) },
            _ => 0,
        };
        let _ = (hp, lp);
        scalar::v_row(data, stride, first + done, k, &mut d[done..]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Filter, Resizer, Scratch as ResizeScratch, NO_VBMI};
    use super::blocks::{FORCE_LAYOUT, N_LAYOUTS};

    thread_local! {
        /// Set to run the AVX-512 kernels without VNNI on a CPU that has it.
        pub(super) static NO_VNNI: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    use crate::cpu::{self, Isa};
    use crate::image::test_noise::noise;
    use crate::image::{ImageView, ImageViewMut, PixelFormat};

    const FORMATS: [PixelFormat; 5] = [
        PixelFormat::Gray8,
        PixelFormat::Rgb8,
        PixelFormat::Bgr8,
        PixelFormat::Rgba8,
        PixelFormat::Bgra8,
    ];
    const CONV: [Filter; 4] = [
        Filter::PilBox,
        Filter::PilBilinear,
        Filter::PilBicubic,
        Filter::PilLanczos,
    ];

    /// Resizes a sub-view of a padded buffer (odd offset, stride with slack) into a window
    /// of a padded destination; returns the window's packed bytes.
    #[allow(clippy::too_many_arguments)]
    fn run(
        isa: Isa,
        f: Filter,
        fmt: PixelFormat,
        s: (usize, usize),
        d: (usize, usize),
        win: (usize, usize, usize, usize),
        data: &[u8],
    ) -> Vec<u8> {
        let bpp = fmt.bytes_per_pixel();
        let stride = (s.0 + 3) * bpp + 1;
        let big = ImageView::new(data, s.0 + 3, s.1 + 1, stride, fmt).unwrap();
        let src = big.subview(1, 1, s.0, s.1).unwrap();
        let r = Resizer::new(s.0, s.1, d.0, d.1, fmt, f).unwrap();
        let (x0, y0, w, h) = win;
        let ostride = w * bpp + 5;
        let mut out = vec![0xA5u8; ostride * (h + 1)];
        let mut o = ImageViewMut::new(&mut out[1..], w, h, ostride, fmt).unwrap();
        let mut scratch = ResizeScratch::default();
        cpu::with_isa(isa, |eff| {
            assert_eq!(eff, isa);
            r.resize_window(&src, x0, y0, &mut o, &mut scratch).unwrap();
        });
        let o = o.as_view();
        o.rows().flatten().copied().collect()
    }

    /// Every ISA the machine has, plus the AVX-512 paths without VNNI and/or without VBMI
    /// when the CPU has them (the plain AVX-512 entry runs the widest kernels), as
    /// (isa, VNNI turned off, VBMI turned off).
    fn isa_paths() -> Vec<(Isa, bool, bool)> {
        let mut v: Vec<(Isa, bool, bool)> = Isa::available()
            .into_iter()
            .map(|i| (i, false, false))
            .collect();
        if v.iter().any(|&(i, _, _)| i == Isa::Avx512) {
            let has = |f| cpu::detected().has(f);
            let (vnni, vbmi) = (
                has(cpu::Features::AVX512VNNI),
                has(cpu::Features::AVX512VBMI),
            );
            if vnni {
                v.push((Isa::Avx512, true, false));
            }
            if vbmi {
                v.push((Isa::Avx512, false, true));
            }
            if vnni && vbmi {
                v.push((Isa::Avx512, true, true));
            }
        }
        v
    }

    #[test]
    fn every_isa_equals_scalar_on_odd_sizes_strides_and_windows() {
        let sizes = [
            ((37, 23), (100, 9)),
            ((101, 67), (33, 31)),
            ((300, 7), (97, 5)),
            ((9, 150), (70, 41)),
            ((64, 64), (64, 17)),
            ((45, 64), (131, 64)),
            ((3, 5), (8, 2)),
            ((1, 40), (1, 13)),
            ((260, 3), (7, 9)),
            // Element blocks with a window per quarter (downscales past about 4).
            ((1000, 9), (120, 5)),
            ((1920, 6), (224, 3)),
            ((40, 1), (13, 1)),
            ((1, 40), (5, 40)),
            ((203, 2), (77, 1)),
            ((97, 4), (11, 3)),
            ((517, 2), (60, 3)),
            // Element blocks with one 128-byte window (downscales of about 4 to 7).
            ((1001, 3), (250, 2)),
            ((333, 5), (83, 3)),
            ((640, 3), (100, 2)),
            ((203, 2), (40, 1)),
            ((4032, 2), (640, 1)),
            // Weights of 0.5 and more, negative lobes (bicubic, lanczos): mild shrinks
            // (about 1/2, 1/1.5), upscales, model squares from small sources, near-identity.
            ((101, 67), (50, 33)),
            ((67, 51), (134, 102)),
            ((50, 37), (64, 64)),
            ((33, 25), (22, 22)),
            ((131, 9), (97, 13)),
            ((5, 3), (17, 11)),
            ((200, 70), (199, 150)),
            ((2, 130), (3, 67)),
        ];
        let mut checked = 0;
        for (i, &(s, d)) in sizes.iter().enumerate() {
            for fmt in FORMATS {
                let bpp = fmt.bytes_per_pixel();
                let data = noise(((s.0 + 3) * bpp + 1) * (s.1 + 1), i as u64 * 77 + 5);
                for f in [Filter::PilNearest].into_iter().chain(CONV) {
                    let wins = [
                        (0, 0, d.0, d.1),
                        (d.0 / 3, d.1 / 2, d.0 - d.0 / 3, d.1 - d.1 / 2),
                        (d.0 / 2, 0, (d.0 - d.0 / 2).min(5), 1),
                    ];
                    for win in wins {
                        let want = run(Isa::Scalar, f, fmt, s, d, win, &data);
                        // The widest path once more with each block layout forced.
                        let forced = isa_paths()
                            .into_iter()
                            .filter(|&(i, a, b)| i == Isa::Avx512 && !a && !b)
                            .flat_map(|p| (0..N_LAYOUTS).map(move |l| (p, Some(l))));
                        let paths = isa_paths().into_iter().map(|p| (p, None)).chain(forced);
                        for ((isa, no_vnni, no_vbmi), layout) in paths {
                            NO_VNNI.with(|c| c.set(no_vnni));
                            NO_VBMI.with(|c| c.set(no_vbmi));
                            FORCE_LAYOUT.with(|c| c.set(layout));
                            let got = run(isa, f, fmt, s, d, win, &data);
                            NO_VNNI.with(|c| c.set(false));
                            NO_VBMI.with(|c| c.set(false));
                            FORCE_LAYOUT.with(|c| c.set(None));
                            assert_eq!(
                                got,
                                want,
                                "{} {} {}x{} -> {}x{} window {win:?} on {}{}{} layout {layout:?}",
                                fmt.name(),
                                f.name(),
                                s.0,
                                s.1,
                                d.0,
                                d.1,
                                isa.name(),
                                if no_vnni { " without VNNI" } else { "" },
                                if no_vbmi { " without VBMI" } else { "" }
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked >= sizes.len() * 5 * 4 * 3);
    }

    #[test]
    fn windows_equal_the_full_resize_for_every_filter() {
        let (s, d) = ((53, 41), (29, 60));
        for fmt in FORMATS {
            let bpp = fmt.bytes_per_pixel();
            let data = noise(((s.0 + 3) * bpp + 1) * (s.1 + 1), 9);
            for f in [Filter::PilNearest].into_iter().chain(CONV) {
                let full = run(Isa::Scalar, f, fmt, s, d, (0, 0, d.0, d.1), &data);
                for (x0, y0, w, h) in [(0, 0, 1, 1), (5, 7, 13, 20), (28, 59, 1, 1), (3, 0, 26, 60)]
                {
                    let got = run(cpu::kernel_isa(), f, fmt, s, d, (x0, y0, w, h), &data);
                    for r in 0..h {
                        let a = &full[((y0 + r) * d.0 + x0) * bpp..][..w * bpp];
                        assert_eq!(
                            &got[r * w * bpp..][..w * bpp],
                            a,
                            "{} {}",
                            fmt.name(),
                            f.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn known_values() {
        let one = |f: Filter, fmt: PixelFormat, px: &[u8], s: (usize, usize), d: (usize, usize)| {
            let src = ImageView::packed(px, s.0, s.1, fmt).unwrap();
            let mut out = vec![0u8; d.0 * d.1 * fmt.bytes_per_pixel()];
            let mut o = ImageViewMut::packed(&mut out, d.0, d.1, fmt).unwrap();
            super::super::resize(&src, &mut o, f).unwrap();
            out
        };
        // Two pixels averaged with weights 2^21 each: (255 * 2^21 + 2^21) >> 22 = 128.
        assert_eq!(
            one(
                Filter::PilBilinear,
                PixelFormat::Gray8,
                &[0, 255],
                (2, 1),
                (1, 1)
            ),
            [128]
        );
        // A flat image stays flat under every filter, in both passes.
        let flat = vec![77u8; 30 * 20 * 3];
        for f in CONV {
            assert!(one(f, PixelFormat::Rgb8, &flat, (30, 20), (11, 47))
                .iter()
                .all(|&v| v == 77));
        }
        // Nearest of 4 -> 2 takes columns floor(1) and floor(3).
        assert_eq!(
            one(
                Filter::PilNearest,
                PixelFormat::Gray8,
                &[1, 2, 3, 4],
                (4, 1),
                (2, 1)
            ),
            [2, 4]
        );
        // RGBA is premultiplied: a transparent red next to an opaque blue gives blue, not purple.
        let px = [255, 0, 0, 0, 0, 0, 255, 255];
        assert_eq!(
            one(Filter::PilBilinear, PixelFormat::Rgba8, &px, (2, 1), (1, 1)),
            [0, 0, 255, 128]
        );
        // Same size is a copy, even for RGBA (no premultiplication round trip).
        let px = [200, 100, 50, 3];
        assert_eq!(
            one(Filter::PilLanczos, PixelFormat::Rgba8, &px, (1, 1), (1, 1)),
            px
        );
    }
}

/// Measurements behind the AVX-512 horizontal dispatch (run by hand, prints only):
/// `cargo test --release --lib pillow::timing -- --ignored --nocapture`.
#[cfg(all(test, target_arch = "x86_64"))]
mod timing {
    use super::coeffs::{Axis, Kernel};
    use super::{avx512, Window};
    use crate::cpu::{self, Features, Isa};
    use crate::image::resize::NO_VBMI;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn horizontal_kernels_alternated() {
        let f = cpu::detected();
        if !Isa::Avx512.supported_by(f) || !f.has(Features::AVX512VBMI | Features::AVX512VNNI) {
            return;
        }
        let _ = NO_VBMI;
        let (sw, rows) = (1920usize, 64usize);
        let src: Vec<u8> = (0..sw * 3 * rows).map(|i| (i * 7 % 251) as u8).collect();
        for kernel in [
            Kernel::Box,
            Kernel::Bilinear,
            Kernel::Bicubic,
            Kernel::Lanczos,
        ] {
            for dw in [640usize, 224] {
                let a = Axis::new(kernel, sw, dw);
                let w = Window {
                    base: 0,
                    start: &a.start,
                    k: &a.k,
                    hp: &a.hp,
                    lp: &a.lp,
                    k8: &a.k8,
                    n16: a.n16,
                    k82: &a.k82,
                    n8: a.n8,
                    taps: a.taps,
                    npairs: a.npairs,
                    bpp: 3,
                    simd: a.simd,
                };
                let n = w.simd_outputs(sw * 3);
                let mut d1 = vec![0u8; dw * 3 * 4];
                let mut d2 = vec![0u8; dw * 3 * 4];
                let mut d3 = vec![0u8; dw * 3 * 4];
                let (mut t1, mut t2, mut t3) = (Vec::new(), Vec::new(), Vec::new());
                for _ in 0..300 {
                    let t = Instant::now();
                    for r in src.chunks_exact(sw * 3 * 4) {
                        let s: Vec<&[u8]> = r.chunks_exact(sw * 3).collect();
                        let mut d: Vec<&mut [u8]> = d1.chunks_exact_mut(dw * 3).collect();
                        // SAFETY: AVX-512 F/BW checked above.
                        unsafe {
                            avx512::h_rows(&s, &mut d, 0, w.start, w.hp, w.lp, w.npairs, 3, n)
                        };
                    }
                    t1.push(t.elapsed().as_secs_f64());
                    let t = Instant::now();
                    for r in src.chunks_exact(sw * 3 * 4) {
                        let s: Vec<&[u8]> = r.chunks_exact(sw * 3).collect();
                        let mut d: Vec<&mut [u8]> = d2.chunks_exact_mut(dw * 3).collect();
                        // SAFETY: AVX-512 F/BW/VBMI/VNNI checked above.
                        unsafe {
                            avx512::h_rows_vnni8(&s, &mut d, 0, w.start, w.k8, w.n16, w.taps, 3, n)
                        };
                    }
                    t2.push(t.elapsed().as_secs_f64());
                    let t = Instant::now();
                    for r in src.chunks_exact(sw * 3 * 4) {
                        let s: Vec<&[u8]> = r.chunks_exact(sw * 3).collect();
                        let mut d: Vec<&mut [u8]> = d3.chunks_exact_mut(dw * 3).collect();
                        // SAFETY: AVX-512 F/BW/VBMI/VNNI checked above.
                        unsafe {
                            avx512::h_rows_vnni8x2(
                                &s, &mut d, 0, w.start, w.k82, w.n8, w.taps, 3, n,
                            )
                        };
                    }
                    t3.push(t.elapsed().as_secs_f64());
                }
                assert_eq!(d1, d2);
                assert_eq!(d1, d3);
                t3.sort_by(f64::total_cmp);
                t1.sort_by(f64::total_cmp);
                t2.sort_by(f64::total_cmp);
                println!(
                    "{kernel:?} 1920->{dw} taps {}: per row us pair {:.2}/{:.2} bytes16 {:.2}/{:.2} bytes8x2 {:.2}/{:.2}",
                    a.taps,
                    t1[0] * 1e6 / rows as f64,
                    t1[150] * 1e6 / rows as f64,
                    t2[0] * 1e6 / rows as f64,
                    t2[150] * 1e6 / rows as f64,
                    t3[0] * 1e6 / rows as f64,
                    t3[150] * 1e6 / rows as f64
                );
            }
        }
    }
}

/// Element blocks against the per-output byte kernels on the same outputs (run by hand,
/// prints only): `cargo test --release --lib pillow::btiming -- --ignored --nocapture`.
#[cfg(all(test, target_arch = "x86_64"))]
mod btiming {
    use super::avx512;
    use super::blocks::{HBlocks, BLOCK};
    use super::coeffs::{Axis, Kernel};
    use crate::cpu::{self, Features, Isa};
    use std::time::Instant;

    #[test]
    #[ignore]
    fn blocks_against_per_output() {
        let f = cpu::detected();
        if !Isa::Avx512.supported_by(f) || !f.has(Features::AVX512VBMI | Features::AVX512VNNI) {
            return;
        }
        for (kernel, sw, dw, bpp) in [
            (Kernel::Lanczos, 4032usize, 640usize, 3usize),
            (Kernel::Lanczos, 3840, 512, 3),
            (Kernel::Bicubic, 3840, 518, 3),
            (Kernel::Box, 1920, 416, 3),
            (Kernel::Bilinear, 1920, 256, 3),
            (Kernel::Bicubic, 1001, 250, 3),
            (Kernel::Bicubic, 1920, 640, 3),
            (Kernel::Lanczos, 1920, 960, 3),
            (Kernel::Lanczos, 4032, 640, 1),
        ] {
            let a = Axis::new(kernel, sw, dw);
            let Some(hb) = HBlocks::new(&a, bpp) else {
                println!("{kernel:?} {sw}->{dw}: no blocks");
                continue;
            };
            let rows = 8;
            let src: Vec<u8> = (0..sw * bpp * rows).map(|i| (i * 7 % 251) as u8).collect();
            let (b0, b1) = hb.range(0, dw * bpp, 0, sw * bpp);
            let mid = (b0 * BLOCK).div_ceil(bpp)..b1 * BLOCK / bpp;
            let n = mid.len();
            let mut d1 = vec![0u8; dw * bpp * rows];
            let mut d2 = vec![0u8; n * bpp * rows];
            let (mut t1, mut t2) = (Vec::new(), Vec::new());
            let k8 = &a.k8[mid.start * 3 * a.n16..];
            for _ in 0..200 {
                let t = Instant::now();
                for (s, d) in src.chunks(sw * bpp * 4).zip(d1.chunks_mut(dw * bpp * 4)) {
                    let s: Vec<&[u8]> = s.chunks_exact(sw * bpp).collect();
                    let mut d: Vec<&mut [u8]> = d.chunks_exact_mut(dw * bpp).collect();
                    // SAFETY: VBMI/VNNI checked; range from HBlocks::range.
                    unsafe { avx512::h_rows_blocks(&s, &mut d, 0, &hb, b0, b1, 0) };
                }
                t1.push(t.elapsed().as_secs_f64());
                if bpp >= 3 {
                    let t = Instant::now();
                    for (s, d) in src.chunks(sw * bpp * 4).zip(d2.chunks_mut(n * bpp * 4)) {
                        let s: Vec<&[u8]> = s.chunks_exact(sw * bpp).collect();
                        let mut d: Vec<&mut [u8]> = d.chunks_exact_mut(n * bpp).collect();
                        // SAFETY: as above.
                        unsafe {
                            avx512::h_rows_vnni8(
                                &s,
                                &mut d,
                                0,
                                &a.start[mid.clone()],
                                k8,
                                a.n16,
                                a.taps,
                                bpp,
                                n,
                            )
                        };
                    }
                    t2.push(t.elapsed().as_secs_f64());
                }
            }
            if bpp >= 3 {
                for r in 0..rows {
                    assert_eq!(
                        &d1[r * dw * bpp + mid.start * bpp..r * dw * bpp + mid.end * bpp],
                        &d2[r * n * bpp..(r + 1) * n * bpp]
                    );
                }
            }
            t1.sort_by(f64::total_cmp);
            t2.sort_by(f64::total_cmp);
            println!(
                "{kernel:?} {sw}->{dw} bpp {bpp} taps {} parts {} wide {}: us per row blocks {:.2} per-output {:.2}",
                a.taps,
                hb.parts,
                hb.wide,
                t1[0] * 1e6 / rows as f64,
                t2.first().copied().unwrap_or(0.0) * 1e6 / rows as f64
            );
        }
    }
}

/// The RGB8 horizontal pass of large shrinks, per case (run by hand, prints only):
/// `cargo test --release --lib pillow::rgbtiming -- --ignored --nocapture`.
#[cfg(all(test, target_arch = "x86_64"))]
mod rgbtiming {
    use super::blocks::{HBlocks, FORCE_LAYOUT, N_LAYOUTS};
    use super::coeffs::{Axis, Kernel};
    use crate::cpu::{self, Features, Isa};
    use std::time::Instant;

    /// Per case, the whole horizontal pass (`h_pass`) with the layout `HBlocks::new` picks
    /// and with each layout forced, alternated call by call; us per row, best of 100.
    #[test]
    #[ignore]
    fn rgb_horizontal_pass() {
        let f = cpu::detected();
        if !Isa::Avx512.supported_by(f) || !f.has(Features::AVX512VBMI | Features::AVX512VNNI) {
            return;
        }
        for (kernel, sw, dw, bpp) in [
            (Kernel::Box, 1001usize, 250usize, 3usize),
            (Kernel::Bilinear, 1001, 250, 3),
            (Kernel::Bicubic, 1001, 250, 3),
            (Kernel::Lanczos, 1001, 250, 3),
            (Kernel::Box, 333, 83, 3),
            (Kernel::Bicubic, 4032, 640, 3),
            (Kernel::Lanczos, 3840, 512, 3),
            (Kernel::Lanczos, 3840, 256, 3),
            (Kernel::Bilinear, 1920, 224, 3),
            (Kernel::Bicubic, 2560, 224, 3),
            (Kernel::Bicubic, 1920, 640, 3),
            (Kernel::Bicubic, 1001, 250, 1),
            (Kernel::Lanczos, 4032, 640, 1),
            (Kernel::Bicubic, 1001, 250, 4),
            (Kernel::Bicubic, 3840, 518, 3),
            (Kernel::Bicubic, 1920, 256, 3),
            (Kernel::Bicubic, 4032, 518, 3),
            (Kernel::Bicubic, 2560, 320, 3),
            (Kernel::Box, 4032, 416, 3),
            (Kernel::Bicubic, 1920, 224, 3),
            (Kernel::Lanczos, 4032, 416, 3),
            (Kernel::Bilinear, 4032, 384, 3),
        ] {
            let a = Axis::new(kernel, sw, dw);
            let hbs: Vec<Option<HBlocks>> = std::iter::once(None)
                .chain((0..N_LAYOUTS).map(Some))
                .map(|l| {
                    FORCE_LAYOUT.with(|c| c.set(l));
                    let hb = HBlocks::new(&a, bpp);
                    FORCE_LAYOUT.with(|c| c.set(None));
                    hb
                })
                .collect();
            let rows = 64;
            let src: Vec<u8> = (0..sw * bpp * rows).map(|i| (i * 7 % 251) as u8).collect();
            let mut outs = vec![vec![0u8; dw * bpp * rows]; hbs.len()];
            let mut ts = vec![Vec::new(); hbs.len()];
            for _ in 0..100 {
                for ((hb, d), t) in hbs.iter().zip(outs.iter_mut()).zip(ts.iter_mut()) {
                    let t0 = Instant::now();
                    super::h_pass(
                        Isa::Avx512,
                        src.chunks_exact(sw * bpp),
                        d.chunks_exact_mut(dw * bpp),
                        0,
                        (&a, hb.as_ref()),
                        0..dw,
                        bpp,
                    );
                    t.push(t0.elapsed().as_secs_f64());
                }
            }
            assert!(outs.iter().all(|o| *o == outs[0]));
            let cols: Vec<String> = hbs
                .iter()
                .zip(ts.iter_mut())
                .map(|(hb, t)| {
                    t.sort_by(f64::total_cmp);
                    let info = hb.as_ref().map_or("none".to_string(), |h| {
                        let (b0, b1) = h.range(0, dw * bpp, 0, sw * bpp);
                        format!(
                            "{}{} {}/{}",
                            h.parts,
                            if h.wide { "w" } else { "n" },
                            b1 - b0,
                            dw * bpp / 16
                        )
                    });
                    format!("{info} {:.3}", t[0] * 1e6 / rows as f64)
                })
                .collect();
            println!(
                "{kernel:?} {sw}->{dw} bpp {bpp} taps {}: {}",
                a.taps,
                cols.join(" | ")
            );
        }
    }
}
