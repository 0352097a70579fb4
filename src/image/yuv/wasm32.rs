//! WebAssembly SIMD128 YUV rows: the SSE4.1 kernel's scheme ([`super::sse41`]), 16 pixels
//! (8 chroma samples) per step. `i8x16.swizzle` copies a sample into both words of a dword
//! (indices past 15 give zero bytes), a 16-bit multiply by (128, 1) makes the `(128 x, x)`
//! pair (chroma first has 128 taken off, giving signed terms), and `i32x4.dot_i16x8_s` with
//! the split weights forms the exact product. One two-source byte shuffle takes the high
//! halves of the even and odd pixels' sums into pixel order, `i16x8.q15mulr_sat` by 2048
//! adds the rounding half and finishes the `>> 20`, and `u8x16.narrow_i16x8` saturates.
//! Constant byte shuffles interleave the channels for the stores.

use super::scalar::{CUB, CUG, CVG, CVR, CY};
use super::{Src, YuvLayout};
use crate::cpu::simd128::{load, load8, store};
use crate::image::PixelFormat;
use std::arch::wasm32::*;

/// `c = 128 hi + lo` (`0 <= lo < 128`) as the dword of `i32x4.dot_i16x8_s` weights for a
/// `(128 x, x)` word pair (`hi` in the low word, `lo` in the high one): the pair's products
/// sum to `c x`.
const fn weights(c: i32) -> i32 {
    (c.rem_euclid(128) << 16) | (c.div_euclid(128) & 0xffff)
}

/// Byte shuffles of the three-byte stores: per output block, indices into (a, b) where
/// x1, x2 = first channel of pixels 0-7 or 8-15 at bytes 0-7 and green at 8-15, x3 = third
/// channel of pixels 0-15. Block 0 is (x1, x3), block 1 first (x1, x2) then (that, x3),
/// block 2 (x2, x3).
const fn rgb_shuffles() -> [[u8; 16]; 4] {
    let mut t = [[0u8; 16]; 4];
    let mut b = 0;
    while b < 48 {
        let (p, ch, i) = (b / 3, b % 3, b % 16);
        // Index of the byte in x1/x2 (first, green) or x3 (third).
        let fg = 8 * ch + p % 8;
        match (b / 16, ch) {
            (0, 2) => t[0][i] = (16 + p) as u8,
            (0, _) => t[0][i] = fg as u8,
            (1, 2) => {
                t[2][i] = (16 + p) as u8;
                t[1][i] = 0;
            }
            (1, _) => {
                t[1][i] = (fg + if p < 8 { 0 } else { 16 }) as u8;
                t[2][i] = i as u8;
            }
            (_, 2) => t[3][i] = (16 + p) as u8,
            _ => t[3][i] = fg as u8,
        }
        b += 1;
    }
    t
}

const RGB: [[u8; 16]; 4] = rgb_shuffles();

/// `i8x16.shuffle` by row `$t` of a table of constant indices.
macro_rules! shuffle {
    ($table:ident[$t:literal], $a:expr, $b:expr) => {
        i8x16_shuffle::<
            { $table[$t][0] as usize },
            { $table[$t][1] as usize },
            { $table[$t][2] as usize },
            { $table[$t][3] as usize },
            { $table[$t][4] as usize },
            { $table[$t][5] as usize },
            { $table[$t][6] as usize },
            { $table[$t][7] as usize },
            { $table[$t][8] as usize },
            { $table[$t][9] as usize },
            { $table[$t][10] as usize },
            { $table[$t][11] as usize },
            { $table[$t][12] as usize },
            { $table[$t][13] as usize },
            { $table[$t][14] as usize },
            { $table[$t][15] as usize },
        >($a, $b)
    };
}

/// The constants of one conversion.
pub(crate) struct Rows {
    bpp: usize,
    bgr: bool,
    wy: v128,
    wr: v128,
    wvg: v128,
    wug: v128,
    wb: v128,
    /// Multipliers (128, 1) that turn `(x, x)` word pairs into `(128 x, x)`.
    pair: v128,
    /// `swizzle` indices of the luma pairs: even and odd pixels of samples 0-3, then of
    /// samples 4-7.
    luma: [v128; 4],
    /// `swizzle` indices of the U and V pairs of samples 0-3 and 4-7.
    u: [v128; 2],
    v: [v128; 2],
    /// What the saturating subtraction takes from the luma sources (16 at luma bytes).
    sub: v128,
}

impl Rows {
    /// The kernel for `layout` and `fmt` (a colour format).
    pub(crate) fn new(layout: YuvLayout, fmt: PixelFormat) -> Rows {
        let packed = layout.packed_offsets();
        // Dword m of the pair vectors of half h carries sample s = 4h + m. 4:2:0 luma and
        // interleaved chroma are one 16-byte vector per step, planar U and V 8 bytes;
        // packed rows two vectors, samples 0-3 and 4-7. Bytes 1 and 3 of each dword index
        // past the vector: zero.
        let mut luma = [[0xffu8; 16]; 4];
        let mut u = [[0xffu8; 16]; 2];
        let mut v = [[0xffu8; 16]; 2];
        for h in 0..2 {
            for m in 0..4 {
                let s = 4 * h + m;
                let (ye, cu, cv) = match (packed, layout) {
                    (Some((y, u, v)), _) => (4 * m + y, 4 * m + u, 4 * m + v),
                    (None, YuvLayout::I420 | YuvLayout::Yv12) => (2 * s, s, s),
                    (None, YuvLayout::Nv21) => (2 * s, 2 * s + 1, 2 * s),
                    (None, _) => (2 * s, 2 * s, 2 * s + 1),
                };
                // Y1 follows Y0 two bytes later in packed rows, one in luma rows.
                let yo = ye + if packed.is_some() { 2 } else { 1 };
                for b in [4 * m, 4 * m + 2] {
                    luma[2 * h][b] = ye as u8;
                    luma[2 * h + 1][b] = yo as u8;
                    u[h][b] = cu as u8;
                    v[h][b] = cv as u8;
                }
            }
        }
        let sub = match packed {
            Some((y, _, _)) => u32x4_splat((16u32 << (8 * y)) | (16u32 << (8 * (y + 2)))),
            None => u8x16_splat(16),
        };
        Rows {
            bpp: fmt.bytes_per_pixel(),
            bgr: matches!(fmt, PixelFormat::Bgr8 | PixelFormat::Bgra8),
            wy: i32x4_splat(weights(CY)),
            wr: i32x4_splat(weights(CVR)),
            wvg: i32x4_splat(weights(CVG)),
            wug: i32x4_splat(weights(CUG)),
            wb: i32x4_splat(weights(CUB)),
            pair: i16x8(128, 1, 128, 1, 128, 1, 128, 1),
            luma: luma.map(|t| load(&t[..])),
            u: u.map(|t| load(&t[..])),
            v: v.map(|t| load(&t[..])),
            sub,
        }
    }

    /// Chroma terms `[R, G, B][h]` of samples `4h..4h + 4` from the U and V sources.
    #[inline(always)]
    fn chroma(&self, us: [v128; 2], vs: [v128; 2]) -> [[v128; 2]; 3] {
        let z = i32x4_splat(0);
        let mut c = [[z; 2]; 3];
        let pairs = |idx: v128, src: v128| {
            let x = i16x8_sub(i8x16_swizzle(src, idx), i16x8_splat(128));
            i16x8_mul(x, self.pair)
        };
        for h in 0..2 {
            let (pu, pv) = (pairs(self.u[h], us[h]), pairs(self.v[h], vs[h]));
            c[0][h] = i32x4_dot_i16x8(pv, self.wr);
            c[1][h] = i32x4_add(i32x4_dot_i16x8(pv, self.wvg), i32x4_dot_i16x8(pu, self.wug));
            c[2][h] = i32x4_dot_i16x8(pu, self.wb);
        }
        c
    }

    /// Converts the step's 16 pixels from their luma sources (reduced by 16) and chroma
    /// terms into `out` (`16 * BPP` bytes).
    #[inline(always)]
    fn pixels<const BPP: usize>(&self, c: &[[v128; 2]; 3], ys: [v128; 2], out: &mut [u8]) {
        let z = i32x4_splat(0);
        let mut w = [[z; 2]; 3];
        let c2048 = i16x8_splat(2048);
        for h in 0..2 {
            let pairs = |idx: v128| i16x8_mul(i8x16_swizzle(ys[h], idx), self.pair);
            let ye = i32x4_dot_i16x8(pairs(self.luma[2 * h]), self.wy);
            let yo = i32x4_dot_i16x8(pairs(self.luma[2 * h + 1]), self.wy);
            for ch in 0..3 {
                let se = i32x4_add(c[ch][h], ye);
                let so = i32x4_add(c[ch][h], yo);
                // Word 2i: the even pixel's sum >> 16, word 2i + 1: the odd pixel's; then
                // (w + 8) >> 4 adds the rounding half and finishes the >> 20.
                let m = i8x16_shuffle::<2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31>(
                    se, so,
                );
                w[ch][h] = i16x8_q15mulr_sat(m, c2048);
            }
        }
        let (f, g, t) = if self.bgr {
            (w[2], w[1], w[0])
        } else {
            (w[0], w[1], w[2])
        };
        if BPP == 3 {
            let x1 = u8x16_narrow_i16x8(f[0], g[0]);
            let x2 = u8x16_narrow_i16x8(f[1], g[1]);
            let x3 = u8x16_narrow_i16x8(t[0], t[1]);
            store(&mut out[..16], shuffle!(RGB[0], x1, x3));
            store(
                &mut out[16..32],
                shuffle!(RGB[2], shuffle!(RGB[1], x1, x2), x3),
            );
            store(&mut out[32..48], shuffle!(RGB[3], x2, x3));
        } else {
            let f = u8x16_narrow_i16x8(f[0], f[1]);
            let g = u8x16_narrow_i16x8(g[0], g[1]);
            let t = u8x16_narrow_i16x8(t[0], t[1]);
            let ff = u8x16_splat(255);
            // Bytes, then words, of the two inputs' low or high halves interleaved.
            let lo = |a, b| {
                i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(a, b)
            };
            let hi = |a, b| {
                i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(a, b)
            };
            let (fg0, fg1, ta0, ta1) = (lo(f, g), hi(f, g), lo(t, ff), hi(t, ff));
            let lo16 = |a, b| {
                i8x16_shuffle::<0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23>(a, b)
            };
            let hi16 = |a, b| {
                i8x16_shuffle::<8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31>(a, b)
            };
            store(&mut out[..16], lo16(fg0, ta0));
            store(&mut out[16..32], hi16(fg0, ta0));
            store(&mut out[32..48], lo16(fg1, ta1));
            store(&mut out[48..64], hi16(fg1, ta1));
        }
    }

    /// Converts the rows in `outs` (one, or two 4:2:0 rows sharing `src`'s chroma row) as
    /// [`super::scalar::row`] does, 16 pixels per step with the last step overlapping the one
    /// before it; returns how many pixels of each row it converted: all of them, or none
    /// for rows narrower than 16 pixels.
    pub(crate) fn rows(&self, src: Src, outs: &mut [&mut [u8]]) -> usize {
        let n = outs[0].len() / self.bpp;
        if n < 16 {
            return 0;
        }
        match self.bpp {
            3 => self.run::<3>(src, outs, n),
            _ => self.run::<4>(src, outs, n),
        }
    }

    /// [`Rows::rows`] for `BPP`-byte pixels, `n >= 16` pixels per row.
    fn run<const BPP: usize>(&self, src: Src, outs: &mut [&mut [u8]], n: usize) -> usize {
        // Steps start at 0, 16, ... and the last one at n - 16 (even, as n is).
        let last = n - 16;
        let starts = (0..=last.div_ceil(16)).map(|i| (16 * i).min(last));
        for x in starts {
            let (c, ys) = match src {
                Src::Semi { y, uv } => {
                    let c = load(&uv[x..]);
                    (self.chroma([c, c], [c, c]), y)
                }
                Src::Planar { y, u, v } => {
                    let (cu, cv) = (load8(&u[x / 2..]), load8(&v[x / 2..]));
                    (self.chroma([cu, cu], [cv, cv]), y)
                }
                Src::Packed(p) => {
                    let a = u8x16_sub_sat(load(&p[2 * x..]), self.sub);
                    let b = u8x16_sub_sat(load(&p[2 * x + 16..]), self.sub);
                    let c = self.chroma([a, b], [a, b]);
                    self.pixels::<BPP>(&c, [a, b], &mut outs[0][x * BPP..]);
                    continue;
                }
            };
            for (r, out) in outs.iter_mut().enumerate() {
                let l = u8x16_sub_sat(load(&ys[r][x..]), self.sub);
                self.pixels::<BPP>(&c, [l, l], &mut out[x * BPP..]);
            }
        }
        n
    }
}

/// Luma of a packed 4:2:2 row (`out[x] = p[2 x + Y]`, `Y` the byte of Y0 in its group), 16
/// pixels per step with the last step overlapping the one before it; returns how many
/// pixels it wrote: all, or none for rows narrower than 16 pixels.
pub(crate) fn gray_packed<const Y: usize>(p: &[u8], out: &mut [u8]) -> usize {
    let n = out.len();
    if n < 16 {
        return 0;
    }
    let last = n - 16;
    for x in (0..=last.div_ceil(16)).map(|i| (16 * i).min(last)) {
        let (a, b) = (load(&p[2 * x..]), load(&p[2 * x + 16..]));
        let v = if Y == 0 {
            i8x16_shuffle::<0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30>(a, b)
        } else {
            i8x16_shuffle::<1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31>(a, b)
        };
        store(&mut out[x..], v);
    }
    n
}
