//! The reference grayscale kernel: the exact OpenCV fixed-point formula, one pixel at a time.
//! Every SIMD kernel must produce the same bytes.
//!
//! ```
//! use scipix::image::gray::scalar::{gray_px, WB, WG, WR};
//!
//! // (9798 R + 19235 G + 3735 B + 16384) >> 15
//! assert_eq!(gray_px(255, 0, 0, [WR, WG, WB]), 76);
//! assert_eq!(gray_px(255, 255, 255, [WR, WG, WB]), 255);
//! ```

/// Fractional bits of the fixed-point weights.
pub const SHIFT: u32 = 15;
/// Added before the shift: round half up.
pub const ROUND: u32 = 1 << (SHIFT - 1);
/// Weight of red (0.299 * 2^15, rounded so the three weights sum to 2^15).
pub const WR: u32 = 9798;
/// Weight of green (0.587 * 2^15).
pub const WG: u32 = 19235;
/// Weight of blue (0.114 * 2^15).
pub const WB: u32 = 3735;

/// Gray value of one pixel whose bytes 0, 1, 2 carry weights `w[0]`, `w[1]`, `w[2]`.
#[inline(always)]
pub fn gray_px(p0: u8, p1: u8, p2: u8, w: [u32; 3]) -> u8 {
    ((p0 as u32 * w[0] + p1 as u32 * w[1] + p2 as u32 * w[2] + ROUND) >> SHIFT) as u8
}

/// Converts `dst.len()` pixels of `bpp` bytes (3 or 4) from `src`.
pub fn gray_row(src: &[u8], dst: &mut [u8], bpp: usize, w: [u32; 3]) {
    for (px, d) in src.chunks_exact(bpp).zip(dst.iter_mut()) {
        *d = gray_px(px[0], px[1], px[2], w);
    }
}
