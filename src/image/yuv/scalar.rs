//! The reference YUV to RGB rows: OpenCV's `cvtColor(COLOR_YUV2*)` fixed-point rule, one
//! pixel at a time. Every SIMD kernel must produce the same bytes.

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

/// `(R, G, B)` of one pixel: `y' = max(Y - 16, 0) * CY`, then
/// `R = sat((y' + 2^19 + CVR (V-128)) >> 20)`, `G = sat((y' + 2^19 + CVG (V-128) + CUG (U-128)) >> 20)`,
/// `B = sat((y' + 2^19 + CUB (U-128)) >> 20)` with an arithmetic shift and saturation to 0..=255.
#[inline(always)]
pub fn px(y: u8, u: u8, v: u8) -> [u8; 3] {
    let yy = (y as i32 - 16).max(0) * CY + (1 << (SHIFT - 1));
    let (u, v) = (u as i32 - 128, v as i32 - 128);
    let sat = |x: i32| (x >> SHIFT).clamp(0, 255) as u8;
    [
        sat(yy + CVR * v),
        sat(yy + CVG * v + CUG * u),
        sat(yy + CUB * u),
    ]
}

/// One chroma-subsampled row: pixel `x` takes luma `y[x * ystep]` and chroma
/// `u[(x / 2) * cstep]`, `v[(x / 2) * cstep]`, and is written in `fmt`'s order (alpha 255;
/// GRAY8 is the luma byte). `out` holds exactly `width` pixels.
pub fn row(
    y: &[u8],
    ystep: usize,
    u: &[u8],
    v: &[u8],
    cstep: usize,
    out: &mut [u8],
    fmt: PixelFormat,
) {
    let bpp = fmt.bytes_per_pixel();
    for (x, o) in out.chunks_exact_mut(bpp).enumerate() {
        let yv = y[x * ystep];
        if fmt == PixelFormat::Gray8 {
            o[0] = yv;
            continue;
        }
        let c = (x / 2) * cstep;
        let [r, g, b] = px(yv, u[c], v[c]);
        match fmt {
            PixelFormat::Rgb8 => o.copy_from_slice(&[r, g, b]),
            PixelFormat::Bgr8 => o.copy_from_slice(&[b, g, r]),
            PixelFormat::Rgba8 => o.copy_from_slice(&[r, g, b, 255]),
            PixelFormat::Bgra8 => o.copy_from_slice(&[b, g, r, 255]),
            PixelFormat::Gray8 => unreachable!(),
        }
    }
}
