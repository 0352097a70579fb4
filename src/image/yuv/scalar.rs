//! The reference YUV to RGB rows: OpenCV's `cvtColor(COLOR_YUV2*)` fixed-point rule, one
//! pixel pair at a time. Every SIMD kernel must produce the same bytes.

use crate::image::PixelFormat;

/// `1.164 * 2^20` and the chroma weights of BT.601 video range, as OpenCV's
/// `ITUR_BT_601_*` constants.
pub const CY: i32 = 1_220_542;
/// Weight of `U - 128` in B.
pub const CUB: i32 = 2_116_026;
/// Weight of `U - 128` in G.
pub const CUG: i32 = -409_993;
/// Weight of `V - 128` in G.
pub const CVG: i32 = -852_492;
/// Weight of `V - 128` in R.
pub const CVR: i32 = 1_673_527;
/// Fixed-point shift.
pub const SHIFT: u32 = 20;
/// Rounding term, `2^(SHIFT - 1)`.
pub const HALF: i32 = 1 << (SHIFT - 1);

/// `(R, G, B)` of one pixel: `y' = max(Y - 16, 0) * CY + 2^19`, then
/// `R = sat((y' + CVR (V-128)) >> 20)`, `G = sat((y' + CVG (V-128) + CUG (U-128)) >> 20)`,
/// `B = sat((y' + CUB (U-128)) >> 20)` with an arithmetic shift and saturation to 0..=255.
#[inline(always)]
pub fn px(y: u8, u: u8, v: u8) -> [u8; 3] {
    let (r, g, b) = chroma(u, v);
    rgb(luma(y), r, g, b)
}

/// `max(Y - 16, 0) * CY + 2^19`.
#[inline(always)]
fn luma(y: u8) -> i32 {
    (y as i32 - 16).max(0) * CY + HALF
}

/// The chroma terms of R, G and B.
#[inline(always)]
fn chroma(u: u8, v: u8) -> (i32, i32, i32) {
    let (u, v) = (u as i32 - 128, v as i32 - 128);
    (CVR * v, CVG * v + CUG * u, CUB * u)
}

#[inline(always)]
fn rgb(yy: i32, r: i32, g: i32, b: i32) -> [u8; 3] {
    let sat = |x: i32| (x >> SHIFT).clamp(0, 255) as u8;
    [sat(yy + r), sat(yy + g), sat(yy + b)]
}

/// The source bytes of one frame row: pixel `x` takes luma `y[x * ystep]` and chroma
/// `u[(x / 2) * cstep]`, `v[(x / 2) * cstep]`. The slices run to the end of their planes.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// Luma, from the row's first sample.
    pub y: &'a [u8],
    /// Bytes between luma samples (1, or 2 in packed 4:2:2).
    pub ystep: usize,
    /// U, from the row's first sample.
    pub u: &'a [u8],
    /// V, from the row's first sample.
    pub v: &'a [u8],
    /// Bytes between chroma samples (1 planar, 2 semi-planar, 4 packed 4:2:2).
    pub cstep: usize,
}

/// Converts pixels `x0..` (`x0` even) of `row` into `out`, which holds exactly the row's
/// pixels, in `fmt`'s order (alpha 255; GRAY8 is the luma byte).
pub fn row(row: Row, out: &mut [u8], fmt: PixelFormat, x0: usize) {
    let Row {
        y,
        ystep,
        u,
        v,
        cstep,
    } = row;
    match fmt {
        PixelFormat::Gray8 if ystep == 1 => {
            let n = out.len();
            out[x0..].copy_from_slice(&y[x0..n]);
        }
        PixelFormat::Gray8 => {
            for (x, o) in out.iter_mut().enumerate().skip(x0) {
                *o = y[x * ystep];
            }
        }
        PixelFormat::Rgb8 => color::<0, 2, 3>(y, ystep, u, v, cstep, out, x0),
        PixelFormat::Bgr8 => color::<2, 0, 3>(y, ystep, u, v, cstep, out, x0),
        PixelFormat::Rgba8 => color::<0, 2, 4>(y, ystep, u, v, cstep, out, x0),
        PixelFormat::Bgra8 => color::<2, 0, 4>(y, ystep, u, v, cstep, out, x0),
    }
}

/// Colour rows: red at byte `R`, green at 1, blue at `B` of each `BPP`-byte pixel, alpha 255
/// at byte 3 when `BPP` is 4. The width is even, so pixels come in pairs sharing chroma.
#[inline(always)]
fn color<const R: usize, const B: usize, const BPP: usize>(
    y: &[u8],
    ystep: usize,
    u: &[u8],
    v: &[u8],
    cstep: usize,
    out: &mut [u8],
    x0: usize,
) {
    for (i, o) in out.chunks_exact_mut(2 * BPP).enumerate().skip(x0 / 2) {
        let (cr, cg, cb) = chroma(u[i * cstep], v[i * cstep]);
        for (k, p) in o.chunks_exact_mut(BPP).enumerate() {
            let c = rgb(luma(y[(2 * i + k) * ystep]), cr, cg, cb);
            p[R] = c[0];
            p[1] = c[1];
            p[B] = c[2];
            if BPP == 4 {
                p[3] = 255;
            }
        }
    }
}
