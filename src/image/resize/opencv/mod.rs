//! The filters that reproduce OpenCV's `cv::resize` bit for bit.
//!
//! Reference: opencv-python-headless 5.1.0.95 on x86-64 (`modules/imgproc/src/resize.cpp`).
//! Positions use `scale = 1 / (dst / src)` in `f64` (not `src / dst`), exactly as OpenCV
//! computes it; `cvRound` is round half to even. Same source and destination size: a copy.
//!
//! * **`INTER_NEAREST`**: `sx = min(floor(dx * scale_x), src_w - 1)` (f64), same for rows
//!   (top-left corner convention, no half-pixel shift).
//! * **`INTER_NEAREST_EXACT`**: pixel centres, Pillow's rule, in `f64`: `scale = src_w / dst_w`,
//!   `f = scale * 0.5`, `sx = min(floor(f), src_w - 1)`, then `f += scale` for the next
//!   column (a running sum, whose rounding is part of the result); same for rows.
//! * **`INTER_LINEAR`**: `fx = (float)((dx + 0.5) * scale_x - 0.5)`, `sx = floor(fx)`,
//!   weights `cvRound((1 - f) * 2048)`, `cvRound(f * 2048)` (11 bits); outside the image the
//!   edge pixel times 2048. Horizontal sums are exact `i32`; the vertical step is OpenCV's
//!   `((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2` with rows clamped to the
//!   image. An exact 2x downscale in both directions is routed to `INTER_AREA`'s fast path,
//!   as OpenCV does.
//! * **`INTER_LINEAR_EXACT`**: OpenCV's `resize_bitExact`: positions in exact `f64`, weights
//!   with 8 fractional bits (`c1 = cvRound(f * 256)`, `c0 = 256 - c1`), horizontal sums with 8
//!   fractional bits, then `(c0 * h0 + c1 * h1 + 2^15) >> 16`; edge pixels/rows are replicated.
//!   An exact 2x downscale goes to `INTER_AREA`'s fast path.
//! * **`INTER_AREA`**, both factors >= 1 (downscale):
//!   - integer factors (`|scale - round(scale)| < DBL_EPSILON` on both axes): the mean of each
//!     `kx` x `ky` block; 2x2 rounds `(sum + 2) >> 2` (half up), every other block size
//!     `cvRound(sum * (1.f / (kx * ky)))` in `f32` (half to even);
//!   - otherwise OpenCV's `resizeArea` in `f32`: per source row `buf[dx] = Σ S[sx] * αx` over
//!     the source pixels the destination cell covers (partial coverage weighted), in source
//!     order, then per destination row `sum = Σ βy * buf` in source-row order, then
//!     `cvRound` and saturation.
//! * **`INTER_AREA`**, any factor < 1 (upscale on some axis): `INTER_LINEAR`'s arithmetic with
//!   OpenCV's area coefficients `s = floor(d * scale)`, `f = (float)((d + 1) - (s + 1) / scale)`,
//!   `f = f <= 0 ? 0 : f - floor(f)`.
//! * **`INTER_CUBIC`**: opencv-python ships Intel IPP as OpenCV's HAL, and `cv2.resize` hands
//!   8-bit `INTER_CUBIC` to it whenever the source is at least 4x4 (IPP declines smaller
//!   sources; `cv2.ipp.setUseIPP(False)` would change the result). IPP's result is the real
//!   cubic convolution (Keys, a = -0.75, centres `(d + 0.5) * src / dst - 0.5`, taps clamped
//!   to the image) rounded to nearest; scipix computes it in `f32`, horizontal pass first,
//!   taps summed in order, then rounds half to even. **Not exact**: where the true value is
//!   within `f32` error of a half-way point IPP's own float evaluation may round the other
//!   way. Measured against opencv-python-headless 5.1.0.95: max difference 1 level, on about 1 pixel
//!   per million on random images and up to 0.5 % of the pixels on smooth synthetic
//!   gradients (many exact halves). Sources below 4 pixels on a side take OpenCV's own code,
//!   reproduced exactly: 11-bit weights `cvRound(c * 2048)` from OpenCV's float
//!   `interpolateCubic`, taps clamped to the image, exact `i32` horizontal sums, and the
//!   vertical step in `f32` (`r0*b0 + (r1*b1 + (r2*b2 + r3*b3))` with `b = beta / 2^22`,
//!   rounded half to even) on the first `8 * (n / 8)` elements of each row and
//!   `(Σ r*beta + 2^21) >> 22` on the rest, as OpenCV's 8-lane kernel and its scalar tail do.
//!
//! Every destination pixel depends only on the source and its own position, so any window
//! of the destination equals the same pixels of the full resize.

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
use scalar::{HTab, VTab};

#[derive(Debug)]
enum Kind {
    Copy,
    Nearest {
        xofs: Vec<u32>,
        yofs: Vec<u32>,
    },
    Linear {
        h: HTab<i32>,
        v: VTab<i32>,
    },
    Cubic {
        h: HTab<i32>,
        v: VTab<i32>,
    },
    CubicIpp {
        h: HTab<f32>,
        v: VTab<f32>,
    },
    Exact {
        h: HTab<i32>,
        v: VTab<i32>,
    },
    AreaFast {
        kx: usize,
        ky: usize,
        scale: f32,
        half_up: bool,
    },
    Area {
        h: HTab<f32>,
        v: VTab<f32>,
    },
}

/// Coefficient tables for one resize.
#[derive(Debug)]
pub struct Plan {
    /// Boxed: the tables' headers are large, and `Plan` sits in an enum with small variants.
    kind: Box<Kind>,
    cn: usize,
}

/// Working memory reused across calls.
#[derive(Debug, Default)]
pub struct Scratch {
    irows: Vec<i32>,
    frows: Vec<f32>,
    fsum: Vec<f32>,
}

fn int_round_f64(v: f64) -> i64 {
    v.round_ties_even() as i64
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
        let cn = format.channels();
        if !filter.is_opencv() {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!("filter {} is not an OpenCV filter", filter.name()),
            ));
        }
        let plan = |kind| {
            Ok(Plan {
                kind: Box::new(kind),
                cn,
            })
        };
        if (src_w, src_h) == (dst_w, dst_h) {
            return plan(Kind::Copy);
        }
        let inv_x = dst_w as f64 / src_w as f64;
        let inv_y = dst_h as f64 / src_h as f64;
        let scale_x = 1.0 / inv_x;
        let scale_y = 1.0 / inv_y;
        let iscale_x = int_round_f64(scale_x);
        let iscale_y = int_round_f64(scale_y);
        let area_fast = (scale_x - iscale_x as f64).abs() < f64::EPSILON
            && (scale_y - iscale_y as f64).abs() < f64::EPSILON;
        let fast = |kx: i64, ky: i64| {
            let (kx, ky) = (kx as usize, ky as usize);
            Kind::AreaFast {
                kx,
                ky,
                scale: 1.0 / (kx * ky) as f32,
                half_up: kx == 2 && ky == 2,
            }
        };
        let fixed = |taps, area_mode| {
            (
                scalar::fixed_htab(taps, src_w, dst_w, cn, scale_x, inv_x, area_mode),
                scalar::fixed_vtab(taps, src_h, dst_h, scale_y, inv_y, area_mode),
            )
        };
        let two = area_fast && iscale_x == 2 && iscale_y == 2;
        // An odd integer downscale on both axes puts every destination pixel on a source
        // pixel centre: LINEAR's weights are then (1, 0), the exact linear's too, IPP
        // cubic's (0, 1, 0, 0), and each returns that pixel exactly (checked against cv2),
        // so the plan is a pixel gather.
        let centred = |s: usize, d: usize| s.is_multiple_of(d) && !(s / d).is_multiple_of(2);
        let sampled = centred(src_w, dst_w)
            && centred(src_h, dst_h)
            && match filter {
                Filter::CvLinear | Filter::CvLinearExact => true,
                Filter::CvCubic => src_w >= 4 && src_h >= 4,
                _ => false,
            };
        if sampled {
            let (kx, ky) = (src_w / dst_w, src_h / dst_h);
            return plan(Kind::Nearest {
                xofs: (0..dst_w).map(|d| (kx * d + kx / 2) as u32).collect(),
                yofs: (0..dst_h).map(|d| (ky * d + ky / 2) as u32).collect(),
            });
        }
        let kind = match filter {
            Filter::CvNearest => Kind::Nearest {
                xofs: (0..dst_w)
                    .map(|d| scalar::nearest_index(d, src_w, inv_x) as u32)
                    .collect(),
                yofs: (0..dst_h)
                    .map(|d| scalar::nearest_index(d, src_h, inv_y) as u32)
                    .collect(),
            },
            Filter::CvNearestExact => Kind::Nearest {
                xofs: scalar::nearest_exact_table(src_w, dst_w),
                yofs: scalar::nearest_exact_table(src_h, dst_h),
            },
            Filter::CvLinear | Filter::CvLinearExact if two => fast(2, 2),
            Filter::CvLinear => {
                let (h, v) = fixed(2, false);
                Kind::Linear { h, v }
            }
            Filter::CvLinearExact => Kind::Exact {
                h: scalar::exact_htab(src_w, dst_w, cn, inv_x),
                v: scalar::exact_vtab(src_h, dst_h, inv_y),
            },
            Filter::CvArea if scale_x >= 1.0 && scale_y >= 1.0 => {
                if area_fast {
                    fast(iscale_x, iscale_y)
                } else {
                    Kind::Area {
                        h: scalar::area_htab(src_w, dst_w, cn, scale_x),
                        v: scalar::area_vtab(src_h, dst_h, scale_y),
                    }
                }
            }
            Filter::CvArea => {
                let (h, v) = fixed(2, true);
                Kind::Linear { h, v }
            }
            Filter::CvCubic if src_w >= 4 && src_h >= 4 => Kind::CubicIpp {
                h: scalar::ipp_cubic_htab(src_w, dst_w, cn),
                v: scalar::ipp_cubic_vtab(src_h, dst_h),
            },
            Filter::CvCubic => {
                let (h, v) = fixed(4, false);
                Kind::Cubic { h, v }
            }
            _ => unreachable!("checked above"),
        };
        plan(kind)
    }

    /// See `Resizer::source_rows`.
    pub(crate) fn source_rows(&self) -> Option<&[u32]> {
        match &*self.kind {
            Kind::Nearest { yofs, .. } => Some(yofs),
            Kind::Linear { v, .. } | Kind::Exact { v, .. } | Kind::Cubic { v, .. } => Some(&v.rows),
            Kind::CubicIpp { v, .. } => Some(&v.rows),
            _ => None,
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
        let cn = self.cn;
        let (w, h) = (out.width(), out.height());
        if w == 0 || h == 0 {
            return;
        }
        let e0 = x0 * cn;
        let len = w * cn;
        match &*self.kind {
            Kind::Copy => {
                for oy in 0..h {
                    out.row_mut(oy)
                        .copy_from_slice(&src.row(y0 + oy)[e0..e0 + len]);
                }
            }
            Kind::Nearest { xofs, yofs } => {
                let xs = &xofs[x0..x0 + w];
                for oy in 0..h {
                    let s = src.row(yofs[y0 + oy] as usize);
                    kernels::nearest(isa, s, xs, cn, out.row_mut(oy));
                }
            }
            Kind::AreaFast {
                kx,
                ky,
                scale,
                half_up,
            } => {
                for oy in 0..h {
                    let sy = (y0 + oy) * ky;
                    kernels::area_fast_row(
                        isa,
                        |k| src.row(sy + k),
                        *kx,
                        *ky,
                        cn,
                        *scale,
                        *half_up,
                        e0,
                        out.row_mut(oy),
                    );
                }
            }
            Kind::Linear { h: ht, v } => run_sep(
                &v.rows,
                2,
                &mut scratch.irows,
                src,
                y0,
                out,
                |s, nx, o| kernels::h_fixed(isa, s, nx, ht, e0, o),
                |dy, r, o| kernels::v_linear(isa, r[0], r[1], v.w[2 * dy], v.w[2 * dy + 1], o),
            ),
            Kind::Exact { h: ht, v } => run_sep(
                &v.rows,
                2,
                &mut scratch.irows,
                src,
                y0,
                out,
                |s, nx, o| kernels::h_fixed(isa, s, nx, ht, e0, o),
                |dy, r, o| kernels::v_exact(isa, r[0], r[1], v.w[2 * dy], v.w[2 * dy + 1], o),
            ),
            Kind::Cubic { h: ht, v } => {
                let n = ht.n;
                run_sep(
                    &v.rows,
                    4,
                    &mut scratch.irows,
                    src,
                    y0,
                    out,
                    |s, nx, o| kernels::h_fixed(isa, s, nx, ht, e0, o),
                    |dy, r, o| {
                        let b = [
                            v.w[4 * dy],
                            v.w[4 * dy + 1],
                            v.w[4 * dy + 2],
                            v.w[4 * dy + 3],
                        ];
                        scalar::v_cubic_own(r, b, e0, n, o)
                    },
                )
            }
            Kind::CubicIpp { h: ht, v } => run_sep(
                &v.rows,
                4,
                &mut scratch.frows,
                src,
                y0,
                out,
                |s, nx, o| kernels::h_float(isa, s, nx, ht, e0, o),
                |dy, r, o| {
                    let b = [
                        v.w[4 * dy],
                        v.w[4 * dy + 1],
                        v.w[4 * dy + 2],
                        v.w[4 * dy + 3],
                    ];
                    kernels::v_cubic_f32(isa, r, b, o)
                },
            ),
            Kind::Area { h: ht, v } => run_area(isa, ht, v, src, e0, y0, out, scratch),
        }
    }
}

/// Separable path: horizontal pass of the needed source rows (cached across destination
/// rows in `buf`, one slot per tap), then the vertical step `vfn(dy, rows, out_row)`.
/// `hfn(row, next, out)` also gets the source row the same tap needs one destination row
/// down (a prefetch hint).
#[allow(clippy::too_many_arguments)]
fn run_sep<T: Copy + Default>(
    rows_tab: &[u32],
    taps: usize,
    buf: &mut Vec<T>,
    src: &SrcRows,
    y0: usize,
    out: &mut ImageViewMut,
    hfn: impl Fn(&[u8], &[u8], &mut [T]),
    vfn: impl Fn(usize, [&[T]; 4], &mut [u8]),
) {
    let len = out.width() * out.format().channels();
    // Slots start on 64-byte boundaries, one cache line further apart than their rows
    // need, so no slot starts inside a cache line another row ends in, and the vertical
    // pass's full-vector loads of the four slots do not split lines. Back-to-back slots at
    // whatever offset the allocator gave made the 2x RGB8 upscales 8-20 % slower in some
    // placements (640x480 -> 1280x960 cubic 1.21-1.52 ms depending on the heap, 1.20-1.29
    // padded).
    let sz = std::mem::size_of::<T>();
    let stride = (len * sz).next_multiple_of(64) / sz + 64 / sz;
    buf.clear();
    buf.resize(taps * stride + 64 / sz, T::default());
    let at = buf.as_ptr().align_offset(64).min(64 / sz - 1);
    let buf = &mut buf[at..];
    let mut tags = [u32::MAX; 4];
    for oy in 0..out.height() {
        let dy = y0 + oy;
        let need = &rows_tab[dy * taps..dy * taps + taps];
        let slot = assign_slots(&mut tags[..taps], need);
        for (k, &(s, compute)) in slot.iter().take(taps).enumerate() {
            if compute {
                // The row this tap will likely need next (the same tap one destination row
                // down), for the kernels to prefetch while they work on this one.
                let next = if oy + 1 < out.height() {
                    rows_tab[(dy + 1) * taps + k]
                } else {
                    need[k]
                };
                hfn(
                    src.row(need[k] as usize),
                    src.row(next as usize),
                    &mut buf[s * stride..s * stride + len],
                );
            }
        }
        let r = |k: usize| {
            let s = slot[k.min(taps - 1)].0;
            &buf[s * stride..s * stride + len]
        };
        vfn(dy, [r(0), r(1), r(2), r(3)], out.row_mut(oy));
    }
}

/// Chooses a cache slot for each needed source row: a slot already holding it, else one
/// holding no needed row (marked to compute).
fn assign_slots(tags: &mut [u32], need: &[u32]) -> [(usize, bool); 4] {
    let mut res = [(0usize, false); 4];
    let mut used = [false; 4];
    let mut pending = [false; 4];
    for (k, &r) in need.iter().enumerate() {
        if let Some(s) = tags.iter().position(|&t| t == r) {
            res[k] = (s, false);
            used[s] = true;
        } else {
            pending[k] = true;
        }
    }
    for k in 0..need.len() {
        if !pending[k] {
            continue;
        }
        // A repeated row needed twice in this call: reuse the slot assigned a moment ago.
        if let Some(j) = (0..k).find(|&j| need[j] == need[k]) {
            res[k] = res[j];
            continue;
        }
        let s = (0..tags.len())
            .find(|&s| !used[s])
            .expect("one slot per tap");
        used[s] = true;
        tags[s] = need[k];
        res[k] = (s, true);
    }
    res
}

/// Fractional `INTER_AREA`: per destination row, `sum += beta * hbuf(row)` over its source
/// rows; the last computed row is kept (it usually starts the next destination row).
#[allow(clippy::too_many_arguments)]
fn run_area(
    isa: Isa,
    ht: &HTab<f32>,
    v: &VTab<f32>,
    src: &SrcRows,
    e0: usize,
    y0: usize,
    out: &mut ImageViewMut,
    scratch: &mut Scratch,
) {
    let taps = v.taps;
    let len = out.width() * out.format().channels();
    scratch.frows.clear();
    scratch.frows.resize(len, 0.0);
    scratch.fsum.clear();
    scratch.fsum.resize(len, 0.0);
    let mut tag = u32::MAX;
    for oy in 0..out.height() {
        let dy = y0 + oy;
        scratch.fsum.fill(0.0);
        for k in 0..taps {
            let r = v.rows[dy * taps + k];
            if r != tag {
                let row = src.row(r as usize);
                kernels::h_float(isa, row, row, ht, e0, &mut scratch.frows);
                tag = r;
            }
            kernels::v_area_acc(isa, &mut scratch.fsum, &scratch.frows, v.w[dy * taps + k]);
        }
        kernels::v_area_store(isa, &scratch.fsum, out.row_mut(oy));
    }
}

/// Row kernels, one `match` on the ISA each: the SIMD kernel does whole vectors, the scalar
/// kernel the rest. On AVX-512 with VBMI, the horizontal passes (two-tap integer
/// LINEAR/LINEAR_EXACT, float CUBIC/AREA, any channel count) run element-major kernels
/// over the table's 16-element blocks ([`HTab::blk_lo`]: one 64-byte load and one
/// single-source `vpermb` per tap, no idle lanes). 1920x1080 to 640x640 RGB8, alternated
/// against the pixel-major kernels below: LINEAR 0.567 -> 0.484 ms, AREA 1.89 -> 1.27 ms,
/// CUBIC 1.17 -> 1.11 ms; downscales past about 4 have no blocks (a two-source `vpermt2b`
/// form measured slower than the pixel-major kernels). GRAY8 IPP cubic (one-channel
/// float tables of 1 to 4 taps, unit tables included) has its own pass at any factor
/// instead: with VBMI, [`avx512::h_float_gray`] over the table's multi-window form
/// ([`HTab::gw_k`]: per 16 elements as many 64-byte windows as the taps span, one
/// merge-masked `vpermb` each, all four taps of a lane in its bytes, the window's cut
/// blocks masked, the next row's windows prefetched); on AVX2 and on AVX-512 without VBMI,
/// [`avx2::h_float_quad`] (one `vpgatherdd` of the 4 bytes holding every tap per element,
/// on the table's quad range [`HTab::quad_lo`]; the border elements and the last partial
/// vector take the gathers or the scalar kernel below). Both keep the scalar sum order.
/// Before them GRAY8 ran the scalar pass wherever the blocks did not fit (and on AVX2 for
/// every unit table): on an Intel Xeon (family 6 model 167, AVX-512 VBMI, 2 cores under
/// KVM), one thread, whole resizes, 1280x720 -> 256x256 0.157 -> 0.053 ms, 1920x1080 ->
/// 384x384 0.348 -> 0.114 ms, 4032x3024 -> 640x640 1.39 -> 0.67 ms (AVX-512; the AVX2
/// kernel takes 1.1-1.5x the AVX-512 time on 13 grid cases, alternated). The GRAY8
/// `cv_cubic` grid of `benches/peers_resize_grid.py` (2026-12-07, alternated with
/// `cv2.resize`): 18 of 102 cases below cv2 before (min 0.82x, geomean 1.44x, load
/// average 4.7), none after (two runs at load average 1.9: min 1.25x and 1.39x, geomean
/// 2.01x and 2.00x). SSE4.1 runs the quad range with four 32-bit loads per 4 elements
/// ([`sse41::h_float_quad`]): 1280x720 -> 256x256 0.169 -> 0.084 ms, 4032x3024 -> 640x640
/// 4.58 -> 1.06 ms. Elsewhere, the horizontal passes of 3- and 4-channel
/// images run pixel-major shuffle kernels on every x86-64 family (one
/// unaligned load per destination pixel; the AVX2 gathers they replace measured slower):
/// [`sse41`]'s, VEX-encoded on AVX2 and AVX-512, except the four-tap float pass, which AVX2
/// runs two pixels per register ([`avx2`]) and AVX-512 four ([`avx512`]). The border
/// pixels and other tables take the AVX2 gathers (AVX2 and AVX-512) or the scalar kernel.
/// `INTER_NEAREST(_EXACT)` of 3 and 4 channels gathers 8 pixels per `vpgatherdd` on AVX2 and
/// AVX-512 (the `gather` family) and copies 4 pixels per step with SSE4.1 on SSE4.1.
/// The integer-factor area path (`INTER_AREA` at integer factors, `INTER_LINEAR(_EXACT)` at
/// exactly 2x) has SIMD kernels on every family: the 2x2 half-up mean of 1, 3 and 4
/// channels its own (`area2x2`), every other block up to 16x16 of 1 to 4 channels the
/// general `area_block` (rows added in `u16` lanes, `kx` shifted loads for the
/// neighbouring pixels, `f32` rounding with `cvtps2dq`/`vcvtnq`), in AVX2, SSE4.1 and
/// NEON; larger blocks run [`scalar::area_block`], compiled for the x86-64 family. AVX-512
/// runs the AVX2 kernel (no 512-bit form: CPUs that split 512-bit ops would not gain,
/// and on an AVX-512 Xeon the AVX2 kernel already runs 3x and 4x downscales of 640x480 to
/// 4032x3024 at 2.5-5x `cv2.resize`'s speed, one thread, against 0.8-1.1x before it).
/// The vertical steps are AVX2 (8- or 32-element) kernels on AVX2 and AVX-512, except the
/// IPP cubic one, which AVX-512 runs 16 elements per step; `INTER_LINEAR`'s and the IPP
/// cubic one also have SSE4.1 forms. NEON has its own form of each of these but the
/// `INTER_NEAREST` copy, which timed slower than scalar under qemu (`neon.rs`; the
/// horizontal passes take the scalar kernel outside the pixel-major range, for 1 and 2
/// channels and for OpenCV's own 4-tap integer cubic).
mod kernels {
    #[cfg(target_arch = "x86_64")]
    use super::avx2;
    #[cfg(target_arch = "x86_64")]
    use super::avx512;
    #[cfg(target_arch = "aarch64")]
    use super::neon;
    #[cfg(target_arch = "x86_64")]
    use super::scalar::BLOCK;
    use super::scalar::{self, HTab};
    #[cfg(target_arch = "x86_64")]
    use super::sse41;
    use crate::cpu::Isa;

    #[cfg(target_arch = "x86_64")]
    fn has_avx2(isa: Isa) -> bool {
        matches!(isa, Isa::Avx2 | Isa::Avx512)
    }

    /// Whole pixels of the window of elements `e0..e0 + len` that the pixel-major shuffle
    /// kernels may do: inside the table's `px_lo..px_hi`, and (for 3 channels, whose
    /// 4-lane stores spill one element) not the window's last pixel.
    #[cfg(target_arch = "x86_64")]
    fn px_range<W>(tab: &HTab<W>, e0: usize, len: usize) -> (usize, usize) {
        let cn = tab.cn;
        let (p0, p1) = (e0.div_ceil(cn), (e0 + len) / cn);
        let lo = p0.max(tab.px_lo);
        let hi = p1
            .min(tab.px_hi)
            .min(if cn == 3 { p1.saturating_sub(1) } else { p1 });
        if lo < hi {
            (lo, hi)
        } else {
            (p1, p1)
        }
    }

    /// Blocks of the byte-permute kernels ([`HTab::blk_lo`]) wholly inside the window of
    /// elements `e0..e0 + len`, if the AVX-512 family with VBMI runs and there are any.
    #[cfg(target_arch = "x86_64")]
    fn blk_range<W>(isa: Isa, tab: &HTab<W>, e0: usize, len: usize) -> Option<(usize, usize)> {
        let b0 = e0.div_ceil(BLOCK).max(tab.blk_lo);
        let b1 = ((e0 + len) / BLOCK).min(tab.blk_hi);
        (isa == Isa::Avx512 && b0 < b1 && crate::image::resize::vbmi()).then_some((b0, b1))
    }

    /// [`blk_range`] widened by the table's window blocks next to it ([`HTab::win`]) that
    /// lie wholly inside the window of elements `e0..e0 + len`: `(lo, b0, b1, hi, end)`,
    /// window blocks `lo..b0` and `b1..hi` around the element blocks `b0..b1`, `end` the
    /// element after the last of them (before `BLOCK * hi` when block `hi - 1` is the row's
    /// partial last block).
    #[cfg(target_arch = "x86_64")]
    fn win_range<W>(
        isa: Isa,
        tab: &HTab<W>,
        e0: usize,
        len: usize,
    ) -> Option<(usize, usize, usize, usize, usize)> {
        let (b0, b1) = blk_range(isa, tab, e0, len)?;
        let mut lo = b0;
        while lo > 0 && BLOCK * (lo - 1) >= e0 && tab.window(lo - 1).is_some() {
            lo -= 1;
        }
        let (mut hi, mut end) = (b1, BLOCK * b1);
        while let Some(w) = tab.window(hi).filter(|w| BLOCK * hi + w.lanes <= e0 + len) {
            (hi, end) = (hi + 1, BLOCK * hi + w.lanes);
        }
        Some((lo, b0, b1, hi, end))
    }

    /// `next`: a source row to prefetch (as far as this pass reads) while working on `src`.
    pub fn h_fixed(isa: Isa, src: &[u8], next: &[u8], tab: &HTab<i32>, e0: usize, out: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if !tab.bw16.is_empty() {
            if let Some((lo, b0, b1, hi, end)) = win_range(isa, tab, e0, out.len()) {
                let at = |b: usize| BLOCK * b - e0;
                h_fixed_px(isa, src, next, tab, e0, &mut out[..at(lo)]);
                for b in (lo..b0).chain(b1..hi) {
                    let w = tab.window(b).expect("found above");
                    // SAFETY: `win_range` saw AVX-512 with VBMI; `w` is the table's and
                    // `bw16` covers its elements.
                    unsafe { avx512::h_fixed_window(src, tab, w, &mut out[at(b)..]) };
                }
                // SAFETY: `win_range` saw AVX-512 with VBMI and blocks of the table inside
                // the window; `bw16` is filled.
                let o = &mut out[at(b0)..at(b1)];
                unsafe { avx512::h_fixed_blocks(src, next, tab, b0, b1, o) };
                h_fixed_px(isa, src, next, tab, end, &mut out[end - e0..]);
                return;
            }
        }
        h_fixed_px(isa, src, next, tab, e0, out)
    }

    /// [`h_fixed`] without the element blocks: the pixel-major kernels where the table
    /// allows, the gathers elsewhere.
    fn h_fixed_px(isa: Isa, src: &[u8], next: &[u8], tab: &HTab<i32>, e0: usize, out: &mut [i32]) {
        #[cfg(not(target_arch = "x86_64"))]
        let _ = next;
        if out.is_empty() {
            return;
        }
        #[cfg(target_arch = "aarch64")]
        if isa == Isa::Neon {
            return neon::h_fixed(src, tab, e0, out);
        }
        #[cfg(target_arch = "x86_64")]
        if isa != Isa::Scalar && matches!(tab.cn, 3 | 4) && !tab.pw16.is_empty() {
            let (lo, hi) = px_range(tab, e0, out.len());
            if lo < hi {
                let cn = tab.cn;
                let (a, b) = (lo * cn - e0, hi * cn - e0);
                h_fixed_gather(isa, src, tab, e0, &mut out[..a]);
                // SAFETY: `kernel_isa`/`with_isa` only report families this CPU runs (every
                // x86-64 family above scalar has SSE4.1); `px_range` checked the rest.
                unsafe {
                    sse41_family(isa, || {
                        sse41::h_fixed_px(src, next, tab, lo, hi, &mut out[a..])
                    })
                };
                h_fixed_gather(isa, src, tab, e0 + b, &mut out[b..]);
                return;
            }
        }
        h_fixed_gather(isa, src, tab, e0, out)
    }

    fn h_fixed_gather(isa: Isa, src: &[u8], tab: &HTab<i32>, e0: usize, out: &mut [i32]) {
        let done = match isa {
            // SAFETY: `kernel_isa`/`with_isa` only report families this CPU runs.
            #[cfg(target_arch = "x86_64")]
            _ if has_avx2(isa) => unsafe { avx2::h_fixed(src, tab, e0, out) },
            _ => 0,
        };
        scalar::h_fixed(src, tab, e0 + done, &mut out[done..])
    }

    /// `next`: a source row to prefetch (as far as this pass reads) while working on `src`.
    pub fn h_float(isa: Isa, src: &[u8], next: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
        #[cfg(not(target_arch = "x86_64"))]
        let _ = next;
        #[cfg(target_arch = "x86_64")]
        if tab.cn == 1 && isa != Isa::Scalar && (1..=4).contains(&tab.taps) {
            return h_float_gray(isa, src, next, tab, e0, out);
        }
        #[cfg(target_arch = "x86_64")]
        if let Some((lo, b0, b1, hi, end)) = win_range(isa, tab, e0, out.len()) {
            let at = |b: usize| BLOCK * b - e0;
            h_float_px(isa, src, tab, e0, &mut out[..at(lo)]);
            for b in (lo..b0).chain(b1..hi) {
                let w = tab.window(b).expect("found above");
                // SAFETY: `win_range` saw AVX-512 with VBMI; `w` is the table's.
                unsafe { avx512::h_float_window(src, tab, w, &mut out[at(b)..]) };
            }
            // SAFETY: `win_range` saw AVX-512 with VBMI and blocks of the table inside the
            // window.
            unsafe { avx512::h_float_blocks(src, tab, b0, b1, &mut out[at(b0)..at(b1)]) };
            h_float_px(isa, src, tab, end, &mut out[end - e0..]);
            return;
        }
        h_float_px(isa, src, tab, e0, out)
    }

    /// [`h_float`] of a one-channel table of 1 to 4 taps (GRAY8 IPP cubic) on the x86-64
    /// families: AVX-512 with VBMI, the whole window in the multi-window permute kernel
    /// ([`HTab::gw_k`]); otherwise the quad range ([`HTab::quad_lo`]) in the AVX2
    /// one-gather-per-element kernel (AVX2, AVX-512 without VBMI) or its SSE4.1 form (four
    /// 32-bit loads per 4 elements), and the rest (clamped taps at the borders, the last
    /// partial vector) in [`h_float_gather`].
    #[cfg(target_arch = "x86_64")]
    fn h_float_gray(
        isa: Isa,
        src: &[u8],
        next: &[u8],
        tab: &HTab<f32>,
        e0: usize,
        out: &mut [f32],
    ) {
        if isa == Isa::Avx512 && tab.gw_k > 0 && crate::image::resize::vbmi() {
            // SAFETY: AVX-512 with VBMI (checked); the table has the multi-window form and
            // the window is inside it.
            return unsafe { avx512::h_float_gray(src, next, tab, e0, out) };
        }
        h_float_quad(isa, src, tab, e0, out)
    }

    /// [`h_float_gray`] without the permutes: the quad range of the window in
    /// [`avx2::h_float_quad`] (AVX2 and AVX-512) or [`sse41::h_float_quad`], the rest in
    /// [`h_float_gather`].
    #[cfg(target_arch = "x86_64")]
    fn h_float_quad(isa: Isa, src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
        let (lo, hi) = (e0.max(tab.quad_lo), (e0 + out.len()).min(tab.quad_hi));
        if lo >= hi {
            return h_float_gather(isa, src, tab, e0, out);
        }
        h_float_gather(isa, src, tab, e0, &mut out[..lo - e0]);
        let o = &mut out[lo - e0..hi - e0];
        // SAFETY: `isa` is an x86-64 family this CPU runs (the caller's); elements `lo..hi`
        // are in the quad range of a one-channel table of 1 to 4 taps.
        let done = unsafe {
            if has_avx2(isa) {
                avx2::h_float_quad(src, tab, lo, o)
            } else {
                sse41::h_float_quad(src, tab, lo, o)
            }
        };
        h_float_gather(isa, src, tab, lo + done, &mut out[lo + done - e0..]);
    }

    /// [`h_float`] without the element blocks.
    fn h_float_px(isa: Isa, src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
        if out.is_empty() {
            return;
        }
        if !tab.upx.is_empty() {
            return h_float_unit(isa, src, tab, e0, out);
        }
        #[cfg(target_arch = "aarch64")]
        if isa == Isa::Neon {
            return neon::h_float(src, tab, e0, out);
        }
        #[cfg(target_arch = "x86_64")]
        if isa != Isa::Scalar && matches!(tab.cn, 3 | 4) && tab.taps == 4 {
            let (lo, hi) = px_range(tab, e0, out.len());
            if lo < hi {
                let cn = tab.cn;
                let (a, b) = (lo * cn - e0, hi * cn - e0);
                h_float_gather(isa, src, tab, e0, &mut out[..a]);
                // SAFETY: as in `h_fixed`.
                unsafe {
                    if isa == Isa::Avx512 {
                        avx512::h_float4_px(src, tab, lo, hi, &mut out[a..])
                    } else if has_avx2(isa) {
                        avx2::h_float4_px(src, tab, lo, hi, &mut out[a..])
                    } else {
                        sse41::h_float4_px(src, tab, lo, hi, &mut out[a..])
                    }
                };
                h_float_gather(isa, src, tab, e0 + b, &mut out[b..]);
                return;
            }
        }
        h_float_gather(isa, src, tab, e0, out)
    }

    /// [`h_float`] of a unit table ([`HTab::upx`]): each element is its source byte times
    /// weight 1, exactly the byte, so whole pixels are gathered and widened to `f32`.
    fn h_float_unit(isa: Isa, src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
        let cn = tab.cn;
        let head = ((cn - e0 % cn) % cn).min(out.len());
        scalar::h_float(src, tab, e0, &mut out[..head]);
        let dx = (e0 + head) / cn;
        let done = match isa {
            // SAFETY: as in `nearest`.
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 | Isa::Avx2 | Isa::Avx512 => unsafe {
                sse41_family(isa, || {
                    sse41::unit_px(src, &tab.upx[dx..], cn, &mut out[head..])
                })
            },
            _ => 0,
        };
        let e = (dx + done) * cn;
        scalar::h_float(src, tab, e, &mut out[e - e0..]);
    }

    fn h_float_gather(isa: Isa, src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
        let done = match isa {
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            _ if has_avx2(isa) => unsafe { avx2::h_float(src, tab, e0, out) },
            _ => 0,
        };
        scalar::h_float(src, tab, e0 + done, &mut out[done..])
    }

    /// Runs an SSE4.1 kernel compiled for the chosen x86-64 family (VEX encoding on AVX2
    /// and AVX-512).
    ///
    /// # Safety
    /// `isa` is an x86-64 family this CPU runs, and `f` is safe to call given SSE4.1.
    #[cfg(target_arch = "x86_64")]
    unsafe fn sse41_family<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
        #[target_feature(enable = "avx2")]
        unsafe fn on_avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        #[target_feature(enable = "sse4.1")]
        unsafe fn on_sse41<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the caller's contract.
        unsafe {
            if has_avx2(isa) {
                on_avx2(f)
            } else {
                on_sse41(f)
            }
        }
    }

    /// The tables of `INTER_NEAREST` and `INTER_NEAREST_EXACT` never decrease and stay
    /// inside the row.
    pub fn nearest(isa: Isa, src: &[u8], xs: &[u32], cn: usize, out: &mut [u8]) {
        super::super::gather::pixels(isa, src, xs, true, cn, out)
    }

    pub fn v_linear(isa: Isa, r0: &[i32], r1: &[i32], b0: i32, b1: i32, out: &mut [u8]) {
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx512 {
            // SAFETY: as above.
            let done = unsafe { avx512::v_linear(r0, r1, b0, b1, out) };
            let (r0, r1, o) = (&r0[done..], &r1[done..], &mut out[done..]);
            // SAFETY: as above.
            let more = unsafe { avx2::v_linear(r0, r1, b0, b1, o) };
            return scalar::v_linear(&r0[more..], &r1[more..], b0, b1, &mut o[more..]);
        }
        let done = match isa {
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            _ if has_avx2(isa) => unsafe { avx2::v_linear(r0, r1, b0, b1, out) },
            // SAFETY: NEON is part of the aarch64 baseline.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { neon::v_linear(r0, r1, b0, b1, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => unsafe { sse41::v_linear(r0, r1, b0, b1, out) },
            _ => 0,
        };
        scalar::v_linear(&r0[done..], &r1[done..], b0, b1, &mut out[done..])
    }

    pub fn v_exact(isa: Isa, r0: &[i32], r1: &[i32], b0: i32, b1: i32, out: &mut [u8]) {
        let done = match isa {
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            _ if has_avx2(isa) => unsafe { avx2::v_exact(r0, r1, b0, b1, out) },
            // SAFETY: NEON is part of the aarch64 baseline.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { neon::v_exact(r0, r1, b0, b1, out) },
            _ => 0,
        };
        scalar::v_exact(&r0[done..], &r1[done..], b0, b1, &mut out[done..])
    }

    pub fn v_cubic_f32(isa: Isa, r: [&[f32]; 4], b: [f32; 4], out: &mut [u8]) {
        let done = match isa {
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::v_cubic_f32(r, b, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::v_cubic_f32(r, b, out) },
            // SAFETY: NEON is part of the aarch64 baseline.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { neon::v_cubic_f32(r, b, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => unsafe { sse41::v_cubic_f32(r, b, out) },
            _ => 0,
        };
        scalar::v_cubic_f32(r.map(|x| &x[done..]), b, &mut out[done..])
    }

    /// [`scalar::area_fast_row`]: the 2x2 case's whole pixels (1, 3 and 4 channels) in the
    /// `area2x2` kernels, the rest of the whole pixels in the `area_block` kernels (AVX2 on
    /// the AVX2 and AVX-512 families, SSE4.1, NEON; blocks up to 16x16), what they leave
    /// (larger blocks) in [`scalar::area_block`] compiled for the x86-64 family or the
    /// scalar row; the partial pixels at the window's ends in the scalar row.
    #[allow(clippy::too_many_arguments)]
    pub fn area_fast_row<'a>(
        isa: Isa,
        row: impl Fn(usize) -> &'a [u8],
        kx: usize,
        ky: usize,
        cn: usize,
        scale: f32,
        half_up2x2: bool,
        e0: usize,
        out: &mut [u8],
    ) {
        // Whole pixels `p0..p1` of the window.
        let (p0, p1) = (e0.div_ceil(cn), (e0 + out.len()) / cn);
        if p0 >= p1 {
            return scalar::area_fast_row(row, kx, ky, cn, scale, half_up2x2, e0, out);
        }
        let (head, rest) = out.split_at_mut(p0 * cn - e0);
        let (body, tail) = rest.split_at_mut((p1 - p0) * cn);
        scalar::area_fast_row(&row, kx, ky, cn, scale, half_up2x2, e0, head);
        scalar::area_fast_row(&row, kx, ky, cn, scale, half_up2x2, p1 * cn, tail);
        let done = if half_up2x2 {
            match isa {
                // SAFETY: `isa` is one this CPU runs (the caller's contract); the rows
                // hold the 2x2 blocks of every pixel of the window.
                #[cfg(target_arch = "x86_64")]
                _ if has_avx2(isa) => unsafe { avx2::area2x2(row(0), row(1), cn, p0, body) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                Isa::Sse41 => unsafe { sse41::area2x2(row(0), row(1), cn, p0, body) },
                // SAFETY: NEON is part of the aarch64 baseline; as above.
                #[cfg(target_arch = "aarch64")]
                Isa::Neon => unsafe { neon::area2x2(row(0), row(1), cn, p0, body) },
                _ => 0,
            }
        } else {
            0
        };
        let (x, body) = (p0 + done, &mut body[done * cn..]);
        let done = match isa {
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            _ if has_avx2(isa) => unsafe {
                avx2::area_block(&row, kx, ky, cn, scale, half_up2x2, x, body)
            },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => unsafe {
                sse41::area_block(&row, kx, ky, cn, scale, half_up2x2, x, body)
            },
            // SAFETY: as above.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { neon::area_block(&row, kx, ky, cn, scale, half_up2x2, x, body) },
            _ => 0,
        };
        let (x, body) = (x + done, &mut body[done * cn..]);
        match isa {
            // The block rule compiled for the family: vectorized row sums, `roundps`.
            // SAFETY: as above (every x86-64 family above scalar has SSE4.1).
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 | Isa::Avx2 | Isa::Avx512 => unsafe {
                sse41_family(isa, || {
                    scalar::area_block(&row, kx, ky, cn, scale, half_up2x2, x, body)
                })
            },
            // The scalar row: its 2x2 form is specialized per channel count.
            _ => scalar::area_fast_row(row, kx, ky, cn, scale, half_up2x2, x * cn, body),
        }
    }

    pub fn v_area_acc(isa: Isa, sum: &mut [f32], buf: &[f32], beta: f32) {
        let done = match isa {
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            _ if has_avx2(isa) => unsafe { avx2::v_area_acc(sum, buf, beta) },
            // SAFETY: NEON is part of the aarch64 baseline.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { neon::v_area_acc(sum, buf, beta) },
            _ => 0,
        };
        scalar::v_area_acc(&mut sum[done..], &buf[done..], beta)
    }

    pub fn v_area_store(isa: Isa, sum: &[f32], out: &mut [u8]) {
        let done = match isa {
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            _ if has_avx2(isa) => unsafe { avx2::v_area_store(sum, out) },
            // SAFETY: NEON is part of the aarch64 baseline.
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => unsafe { neon::v_area_store(sum, out) },
            _ => 0,
        };
        scalar::v_area_store(&sum[done..], &mut out[done..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::resize::{Filter, Resizer, Scratch as RScratch};
    use crate::image::test_noise::noise;
    use crate::image::ImageView;

    fn image(w: usize, h: usize, cn: usize, seed: u64, stride_pad: usize) -> (Vec<u8>, usize) {
        let stride = w * cn + stride_pad;
        (noise(stride * h + 1, seed), stride)
    }

    /// `n` values below `m` from the shared test generator.
    fn values(n: usize, m: u32, seed: u64) -> Vec<u32> {
        let mut r = crate::test_rng::Rng::new(seed);
        (0..n).map(|_| (r.next_u64() % m as u64) as u32).collect()
    }

    /// The integer-factor AREA row (2x2 fast path and k x k blocks) equals its rule applied
    /// element by element, for windows that start and end inside a pixel too.
    #[test]
    fn area_fast_rows_equal_the_element_rule() {
        for cn in 1..=4 {
            for (kx, ky) in [(2, 2), (3, 3), (2, 3), (4, 2), (5, 5), (8, 8)] {
                let dst_w = 37;
                let (img, stride) = image(dst_w * kx, ky, cn, (cn * 10 + kx) as u64, 3);
                let row = |r: usize| &img[r * stride..r * stride + dst_w * kx * cn];
                let scale = 1.0 / (kx * ky) as f32;
                let half = kx == 2 && ky == 2;
                let want: Vec<u8> = (0..dst_w * cn)
                    .map(|e| {
                        let (dx, c) = (e / cn, e % cn);
                        let mut sum = 0u64;
                        for r in 0..ky {
                            for k in 0..kx {
                                sum += row(r)[(dx * kx + k) * cn + c] as u64;
                            }
                        }
                        if half {
                            ((sum + 2) >> 2) as u8
                        } else {
                            scalar::round_u8(sum as f32 * scale)
                        }
                    })
                    .collect();
                for (e0, e1) in [
                    (0, dst_w * cn),
                    (1, dst_w * cn - 1),
                    (cn + 2, 5 * cn + 1),
                    (7, 8),
                ] {
                    let mut out = vec![0u8; e1 - e0];
                    scalar::area_fast_row(row, kx, ky, cn, scale, half, e0, &mut out);
                    assert_eq!(out, want[e0..e1], "cn {cn} {kx}x{ky} window {e0}..{e1}");
                }
            }
        }
    }

    /// The integer-factor AREA row on every ISA the machine runs equals the scalar row, for
    /// widths around the SIMD steps, unaligned source rows and windows starting and ending
    /// inside a pixel.
    #[test]
    fn area_fast_rows_equal_scalar_on_every_isa() {
        // Every block of 1..=8 on each side (but 1x1, a copy), the largest the SIMD kernels
        // take (16x16), and a few beyond (the scalar rule's fallback).
        let mut blocks: Vec<(usize, usize)> = (1..=8)
            .flat_map(|kx| (1..=8).map(move |ky| (kx, ky)))
            .filter(|&b| b != (1, 1))
            .collect();
        blocks.extend([(16, 16), (16, 3), (2, 16), (17, 2), (3, 17)]);
        for cn in 1..=4 {
            for &(kx, ky) in &blocks {
                for dst_w in [1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 40, 63, 65, 100, 133] {
                    let seed = (cn * 1000 + kx * 100 + ky * 10 + dst_w) as u64;
                    let (img, stride) = image(dst_w * kx + 1, ky, cn, seed, 3);
                    // One byte into the buffer: rows start unaligned.
                    let row = |r: usize| &img[1 + r * stride..1 + r * stride + dst_w * kx * cn];
                    let scale = 1.0 / (kx * ky) as f32;
                    let half = kx == 2 && ky == 2;
                    let n = dst_w * cn;
                    let mut windows = vec![(0, n), (1, n), (0, n - 1), (n / 3, n - n / 3)];
                    windows.extend((0..cn.min(n)).map(|k| (k, n - (cn - 1 - k).min(n - k - 1))));
                    windows.push((cn + 1, (cn + 1 + 37).min(n)));
                    for (e0, e1) in windows.into_iter().filter(|&(a, b)| a < b && b <= n) {
                        let mut want = vec![0u8; e1 - e0];
                        scalar::area_fast_row(row, kx, ky, cn, scale, half, e0, &mut want);
                        for isa in Isa::available() {
                            let mut got = vec![0x5Au8; e1 - e0];
                            kernels::area_fast_row(isa, row, kx, ky, cn, scale, half, e0, &mut got);
                            assert_eq!(
                                got, want,
                                "{isa:?} cn {cn} {kx}x{ky} width {dst_w} window {e0}..{e1}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The integer-factor AREA row across the SIMD kernels' chunks of column sums
    /// ([`scalar::AREA_BUF`] elements): widths around one and two chunks, on every ISA.
    #[test]
    fn area_fast_rows_across_chunks_equal_scalar_on_every_isa() {
        for cn in 1..=4 {
            for (kx, ky) in [(2, 3), (3, 3), (4, 4), (3, 2), (1, 3), (5, 7), (16, 16)] {
                let chunk = scalar::AREA_BUF / (kx * cn);
                for dst_w in [chunk - 1, chunk, chunk + 1, 2 * chunk + 3] {
                    for bright in [false, true] {
                        let seed = (cn * 7 + kx * 5 + ky * 3 + dst_w) as u64;
                        let (mut img, stride) = image(dst_w * kx, ky, cn, seed, 5);
                        if bright {
                            // Block sums near the top of `u16` for 16x16 (at most 65280).
                            img.iter_mut().for_each(|v| *v = 255 - (*v & 1));
                        }
                        let row = |r: usize| &img[r * stride..r * stride + dst_w * kx * cn];
                        let scale = 1.0 / (kx * ky) as f32;
                        let half = kx == 2 && ky == 2;
                        let n = dst_w * cn;
                        for (e0, e1) in [(0, n), (cn - 1, n - 1), (2 * cn + 1, n)] {
                            let mut want = vec![0u8; e1 - e0];
                            scalar::area_fast_row(row, kx, ky, cn, scale, half, e0, &mut want);
                            for isa in Isa::available() {
                                let mut got = vec![0x5Au8; e1 - e0];
                                kernels::area_fast_row(
                                    isa, row, kx, ky, cn, scale, half, e0, &mut got,
                                );
                                assert_eq!(got, want, "{isa:?} cn {cn} {kx}x{ky} width {dst_w}");
                            }
                        }
                    }
                }
            }
        }
    }

    const FORMATS: [PixelFormat; 3] = [PixelFormat::Gray8, PixelFormat::Rgb8, PixelFormat::Rgba8];
    const SIZES: [(usize, usize, usize, usize); 28] = [
        (301, 41, 97, 23),
        (97, 23, 301, 41),
        (333, 17, 111, 9),
        (1, 1, 7, 5),
        (7, 5, 1, 1),
        (37, 23, 101, 61),
        (101, 61, 37, 23),
        (64, 48, 32, 24),
        (96, 40, 32, 20),
        (131, 67, 45, 67),
        (45, 67, 45, 131),
        (5, 200, 41, 33),
        (200, 5, 33, 41),
        (90, 90, 61, 59),
        (160, 90, 53, 30),
        // Four-tap tables wider than `scalar::SPLAT_MAX_PX` (301 above is one too).
        (1000, 7, 300, 5),
        // Downscales whose element blocks span more than 64 bytes.
        (1000, 9, 150, 5),
        (1920, 12, 224, 7),
        // Four-tap blocks whose tap-0 bytes reach the window's last bytes (see
        // `four_tap_blocks_use_the_whole_window`).
        (333, 21, 83, 5),
        (1001, 9, 250, 3),
        // Odd integer downscales: unit cubic tables (one tap of weight 1), both axes, one
        // axis, and wide enough for element blocks.
        (96, 45, 32, 15),
        (75, 50, 15, 30),
        (1920, 12, 640, 4),
        // Last blocks in two-source (128-byte) window blocks, partial ones included (the
        // grid's 3x-4x shrinks of small sources).
        (640, 9, 160, 5),
        (500, 9, 166, 5),
        (640, 9, 213, 4),
        (500, 7, 125, 3),
        (71, 5, 17, 3),
    ];

    /// Every ISA the machine runs, plus the AVX-512 family without VBMI when the CPU has
    /// it, as (isa, VBMI turned off).
    fn isa_paths() -> Vec<(Isa, bool)> {
        let isas = Isa::available();
        let no_vbmi = isas.contains(&Isa::Avx512)
            && crate::cpu::detected().has(crate::cpu::Features::AVX512VBMI);
        let extra = no_vbmi.then_some((Isa::Avx512, true));
        isas.into_iter().map(|i| (i, false)).chain(extra).collect()
    }

    /// Every ISA the machine runs, on full images and on odd windows at unaligned offsets of
    /// strided sources, equals the scalar full resize.
    #[test]
    fn every_isa_and_window_equals_scalar() {
        for &(sw, sh, dw, dh) in &SIZES {
            for fmt in FORMATS {
                let cn = fmt.channels();
                // Source one byte into its buffer with padded rows: unaligned, strided.
                let (buf, stride) = image(sw, sh, cn, (sw * 31 + dh * 7 + cn) as u64, 5);
                let src = ImageView::new(&buf[1..], sw, sh, stride, fmt).unwrap();
                for filter in Filter::ALL.into_iter().filter(|f| f.is_opencv()) {
                    let r = Resizer::new(sw, sh, dw, dh, fmt, filter).unwrap();
                    let mut full = vec![0u8; dw * dh * cn];
                    let mut d = ImageViewMut::packed(&mut full, dw, dh, fmt).unwrap();
                    let mut scratch = RScratch::default();
                    r.run_window(Isa::Scalar, &src, 0, 0, &mut d, &mut scratch);
                    for (isa, no_vbmi) in isa_paths() {
                        crate::image::resize::NO_VBMI.with(|c| c.set(no_vbmi));
                        let windows = [
                            (0, 0, dw, dh),
                            (dw / 3, dh / 4, dw - dw / 3, (dh / 2).max(1)),
                            (dw - 1, dh - 1, 1, 1),
                            (dw / 2, 0, dw.div_ceil(3).min(dw - dw / 2), dh),
                        ];
                        for (x0, y0, ww, wh) in windows {
                            let ostride = ww * cn + 3;
                            let mut o = vec![0xA5u8; ostride * wh + 2];
                            let mut ov =
                                ImageViewMut::new(&mut o[2..], ww, wh, ostride, fmt).unwrap();
                            r.run_window(isa, &src, x0, y0, &mut ov, &mut scratch);
                            for y in 0..wh {
                                let got = &o[2 + y * ostride..2 + y * ostride + ww * cn];
                                let want = &full[((y0 + y) * dw + x0) * cn..][..ww * cn];
                                assert_eq!(
                                    got,
                                    want,
                                    "{} {isa:?}{} {sw}x{sh}->{dw}x{dh} {} window ({x0},{y0}) {ww}x{wh} row {y}",
                                    filter.name(),
                                    if no_vbmi { " without VBMI" } else { "" },
                                    fmt.name()
                                );
                            }
                        }
                    }
                }
            }
        }
        crate::image::resize::NO_VBMI.with(|c| c.set(false));
    }

    /// The GRAY8 IPP cubic horizontal pass (multi-window permutes with VBMI, one gather per
    /// element on AVX2) on every ISA the machine runs equals the scalar pass: upscales and
    /// downscales up to 20x (unit tables at odd integer factors included), destination
    /// widths 1 to 70 and a few wide ones, windows starting and ending at every offset
    /// inside a block, source rows starting unaligned and rows shorter than 64 bytes.
    #[test]
    fn gray_cubic_h_float_equals_scalar_on_every_isa() {
        let mut shapes: Vec<(usize, usize)> = Vec::new();
        for dw in (1..=70)
            .filter(|d| d % 2 == 1)
            .chain([2, 16, 32, 64, 224, 256, 333])
        {
            for sw in [
                4,
                17,
                63,
                64,
                65,
                dw.max(4) + 1,
                2 * dw + 1,
                3 * dw,
                5 * dw,
                7 * dw + 3,
                20 * dw,
                dw / 2 + 4,
            ] {
                shapes.push((sw.max(4), dw));
            }
        }
        for (sw, dw) in shapes {
            let tab = scalar::ipp_cubic_htab(sw, dw, 1);
            let (buf, _) = image(sw + 1, 1, 1, (sw * 7 + dw) as u64, 0);
            // One byte into the buffer: the row starts unaligned.
            let src = &buf[1..1 + sw];
            let n = tab.n;
            let mut want = vec![0f32; n];
            scalar::h_float(src, &tab, 0, &mut want);
            let mut windows = vec![(0, n), (1.min(n - 1), n), (0, n - 1.min(n - 1))];
            windows.extend((0..n.min(17)).map(|a| (a, (a + 37).min(n))));
            windows.extend([(n / 3, n - n / 3), (n - 1, n), (n / 2, n / 2 + 1)]);
            for (isa, no_vbmi) in isa_paths() {
                crate::image::resize::NO_VBMI.with(|c| c.set(no_vbmi));
                for &(e0, e1) in windows.iter().filter(|&&(a, b)| a < b && b <= n) {
                    let mut got = vec![f32::NAN; e1 - e0];
                    kernels::h_float(isa, src, src, &tab, e0, &mut got);
                    let same = got
                        .iter()
                        .zip(&want[e0..e1])
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(
                        same,
                        "{isa:?}{} {sw} -> {dw} window {e0}..{e1}: {got:?} != {:?}",
                        if no_vbmi { " without VBMI" } else { "" },
                        &want[e0..e1]
                    );
                }
            }
        }
        crate::image::resize::NO_VBMI.with(|c| c.set(false));
    }

    /// The IPP cubic vertical step on every ISA equals the scalar step at every row length
    /// 0 to 70 (the AVX-512 masked last step included), on sums near halves, negative and
    /// above 255.
    #[test]
    fn v_cubic_f32_equals_scalar_on_every_isa() {
        let rows: Vec<Vec<f32>> = (0..4)
            .map(|k| {
                values(70, 1400 * 3, 31 + k)
                    .into_iter()
                    .map(|v| (v / 3) as f32 * 0.25 - 60.0 + (v % 3) as f32 * 0.5)
                    .collect()
            })
            .collect();
        let b = [-0.0703125f32, 0.8671875, 0.2265625, -0.0234375];
        for len in 0..=70 {
            let r = [0, 1, 2, 3].map(|k| &rows[k][..len]);
            let mut want = vec![0u8; len];
            scalar::v_cubic_f32(r, b, &mut want);
            for (isa, _) in isa_paths() {
                let mut got = vec![0xA5u8; len + 1];
                kernels::v_cubic_f32(isa, r, b, &mut got[..len]);
                assert_eq!(&got[..len], &want[..], "{isa:?} len {len}");
                assert_eq!(got[len], 0xA5, "{isa:?} len {len} wrote past the row");
            }
        }
    }

    /// The `INTER_LINEAR` vertical step on every ISA equals the scalar step at every row
    /// length 0 to 200 (the AVX-512 64-element steps, the AVX2 32-element steps after them
    /// and the scalar tail), on horizontal sums over the whole range of 11-bit weights.
    #[test]
    fn v_linear_equals_scalar_on_every_isa() {
        let rows: Vec<Vec<i32>> = (0..2)
            .map(|k| {
                values(200, 255 * 2048 + 1, 47 + k)
                    .into_iter()
                    .map(|v| v as i32)
                    .collect()
            })
            .collect();
        for (b0, b1) in [(2048, 0), (1536, 512), (1, 2047), (1229, 819)] {
            for len in 0..=200 {
                let (r0, r1) = (&rows[0][..len], &rows[1][..len]);
                let mut want = vec![0u8; len];
                scalar::v_linear(r0, r1, b0, b1, &mut want);
                for (isa, _) in isa_paths() {
                    let mut got = vec![0xA5u8; len + 1];
                    kernels::v_linear(isa, r0, r1, b0, b1, &mut got[..len]);
                    assert_eq!(&got[..len], &want[..], "{isa:?} len {len} b {b0} {b1}");
                    assert_eq!(got[len], 0xA5, "{isa:?} len {len} wrote past the row");
                }
            }
        }
    }

    /// A four-tap float block needs only its tap-0 bytes inside the 64-byte window (each
    /// tap loads its own), so 333 -> 83 RGB8 (4.01x) has every block in the permute range,
    /// some reaching byte 61 or above; the two-tap tables keep `boff + cn < 64`.
    #[test]
    fn four_tap_blocks_use_the_whole_window() {
        use scalar::BLOCK;
        let h = scalar::ipp_cubic_htab(333, 83, 3);
        assert_eq!((h.blk_lo, h.blk_hi), (0, 249 / BLOCK));
        let far = (0..h.blk_hi * BLOCK).map(|e| h.bidx[e] & 0xff).max();
        assert!(far.is_some_and(|b| (61..64).contains(&b)), "{far:?}");
        for lin in [Filter::CvLinear, Filter::CvLinearExact] {
            let p = Plan::new(lin, 333, 251, 83, 62, PixelFormat::Rgb8).unwrap();
            let (Kind::Linear { h, .. } | Kind::Exact { h, .. }) = &*p.kind else {
                panic!("{} 333 -> 83 is separable", lin.name())
            };
            let b = BLOCK * h.blk_lo..BLOCK * h.blk_hi;
            assert!(
                b.clone().all(|e| (h.bidx[e] & 0xff) + 3 < 64),
                "{}",
                lin.name()
            );
        }
    }

    /// The rows' last blocks, the partial one included, are window blocks: 640 -> 160
    /// RGB8 cubic (4x) ends in one two-source block, 500 -> 166 (3x) in a full and a
    /// partial single-source one; two-source blocks are only the row's last two.
    #[test]
    fn rows_end_in_window_blocks() {
        use scalar::BLOCK;
        let cases = [
            (640, 160, vec![(29, 16)], true),
            (500, 166, vec![(30, 16), (31, 2)], false),
        ];
        for (sw, dw, last, wide) in cases {
            let h = scalar::ipp_cubic_htab(sw, dw, 3);
            let tail: Vec<_> = h
                .win
                .iter()
                .filter(|w| w.b >= h.blk_hi)
                .map(|w| (w.b, w.lanes))
                .collect();
            assert_eq!(tail, last, "{sw} -> {dw}");
            assert_eq!(h.blk_hi, last[0].0);
            assert_eq!(h.win.iter().any(|w| w.wide), wide, "{sw} -> {dw}");
            let end = h.n.div_ceil(BLOCK);
            assert!(h.win.iter().all(|w| !w.wide || w.b + 2 >= end));
        }
    }

    #[test]
    fn known_values() {
        // 2x2 gray to 1x1: LINEAR is routed to AREA's 2x2 path, (sum + 2) >> 2.
        let src = [10u8, 20, 30, 41];
        let v = ImageView::packed(&src, 2, 2, PixelFormat::Gray8).unwrap();
        let mut out = [0u8; 1];
        let mut d = ImageViewMut::packed(&mut out, 1, 1, PixelFormat::Gray8).unwrap();
        crate::image::resize::resize(&v, &mut d, Filter::CvLinear).unwrap();
        assert_eq!(out[0], 25); // (101 + 2) >> 2
                                // 4x1 to 2x1 is a 2x1 integer AREA block: cvRound(sum * 0.5f), half to even.
        let src = [1u8, 2, 5, 6];
        let v = ImageView::packed(&src, 4, 1, PixelFormat::Gray8).unwrap();
        let mut out = [0u8; 2];
        let mut d = ImageViewMut::packed(&mut out, 2, 1, PixelFormat::Gray8).unwrap();
        crate::image::resize::resize(&v, &mut d, Filter::CvArea).unwrap();
        assert_eq!(out, [2, 6]); // 1.5 -> 2, 5.5 -> 6
                                 // NEAREST_EXACT 10 -> 3 picks source pixels 1, 5, 8.
        assert_eq!(scalar::nearest_exact_table(10, 3), vec![1, 5, 8]);
        assert_eq!(scalar::nearest_exact_table(64, 200)[12], 3);
    }

    #[test]
    fn odd_integer_downscales_get_unit_tables_and_gathers() {
        // 1920 -> 640: every position lands on a pixel centre (3 dx + 1), weights 0, 1, 0, 0.
        let h = scalar::ipp_cubic_htab(1920, 640, 3);
        assert_eq!((h.taps, h.upx.len()), (1, 640));
        assert_eq!((h.upx[0], h.upx[5], h.idx[5 * 3 + 2]), (1, 16, 16 * 3 + 2));
        assert_eq!(h.w[7], 1.0);
        // 1280 -> 640 (t = 0.5) keeps four taps and no gather.
        let h = scalar::ipp_cubic_htab(1280, 640, 3);
        assert_eq!((h.taps, h.upx.len()), (4, 0));
        // 1080 -> 360: the zero-weight taps read the unit tap's row, one row per output row.
        let v = scalar::ipp_cubic_vtab(1080, 360);
        assert_eq!(&v.rows[4 * 10..4 * 11], &[31; 4]);
        assert_eq!(&v.w[4 * 10..4 * 11], &[0.0, 1.0, 0.0, 0.0]);
        // 1080 -> 640 keeps its four distinct rows.
        let v = scalar::ipp_cubic_vtab(1080, 640);
        assert_eq!(&v.rows[4 * 10..4 * 11], &[16, 17, 18, 19]);
        // Odd integer downscales on both axes are a pixel gather for the interpolating
        // filters (source pixel 3 d + 1), and stay area averages for CV_AREA.
        let fmt = PixelFormat::Rgb8;
        for filter in [Filter::CvLinear, Filter::CvLinearExact, Filter::CvCubic] {
            let p = Plan::new(filter, 1920, 1080, 640, 360, fmt).unwrap();
            let Kind::Nearest { xofs, yofs } = &*p.kind else {
                panic!("{} 1920x1080 -> 640x360 is not a gather", filter.name())
            };
            assert_eq!((xofs[0], xofs[639], yofs[0], yofs[359]), (1, 1918, 1, 1078));
        }
        let p = Plan::new(Filter::CvArea, 1920, 1080, 640, 360, fmt).unwrap();
        assert!(!matches!(&*p.kind, Kind::Nearest { .. }));
        // One axis only keeps the separable passes.
        let p = Plan::new(Filter::CvLinear, 1920, 1080, 640, 640, fmt).unwrap();
        assert!(matches!(&*p.kind, Kind::Linear { .. }));
    }
}
