//! NEON YUV rows: 32 pixels (16 chroma samples) per step, each chroma sample's terms formed
//! once and shared by its two pixels (and, for 4:2:0, by both rows of a row pair).
//!
//! `vld2q_u8` (4:2:0 luma, NV12/NV21 chroma) and `vld4q_u8` (packed 4:2:2) split a step
//! into even pixels, odd pixels, U and V. Every product of the scalar rule is formed
//! exactly from 16-bit halves: `x c = 256 x (c >> 8) + x (c & 255)` with `256 x` and `x`
//! widened to 16 bits and `vmull`/`vmlal` into 32-bit lanes. `vaddhn` adds a pixel's luma
//! product to its chroma sum and keeps `sum >> 16`; `vqrshrun` by 4 adds the rounding
//! half, finishes the `>> 20` and saturates to bytes. The even and odd pixels are zipped
//! back into order and `vst3q_u8`/`vst4q_u8` interleave the channels.

use super::scalar::{CUB, CUG, CVG, CVR, CY};
use super::{Src, YuvLayout};
use crate::image::PixelFormat;
use std::arch::aarch64::*;

/// The constants of one conversion.
pub(crate) struct Rows {
    layout: YuvLayout,
    bpp: usize,
    bgr: bool,
}

/// `c >> 8` and `c & 255` of a weight, each fitting 16 signed bits.
const fn split(c: i32) -> (i16, i16) {
    (c.div_euclid(256) as i16, c.rem_euclid(256) as i16)
}

/// Chroma sums `[R, G, B]` of 16 samples, four 32-bit lanes per vector, without the
/// rounding half.
type Chroma = [[int32x4_t; 4]; 3];

/// `c (x - 128)` of four samples from `256 (x - 128)` (`d256`) and `x - 128` (`d`), added to
/// `acc`.
#[inline]
#[target_feature(enable = "neon")]
fn term(acc: int32x4_t, d256: int16x4_t, d: int16x4_t, c: i32) -> int32x4_t {
    let (hi, lo) = split(c);
    vmlal_n_s16(vmlal_n_s16(acc, d256, hi), d, lo)
}

/// `(256 (x - 128), x - 128)` of 16 chroma bytes, in four halves of 4 lanes each.
#[inline]
#[target_feature(enable = "neon")]
fn signed(x: uint8x16_t) -> ([int16x4_t; 4], [int16x4_t; 4]) {
    let d = vreinterpretq_s8_u8(veorq_u8(x, vdupq_n_u8(0x80)));
    let (d256l, d256h) = (vshll_n_s8::<8>(vget_low_s8(d)), vshll_high_n_s8::<8>(d));
    let (dl, dh) = (vmovl_s8(vget_low_s8(d)), vmovl_high_s8(d));
    (
        [
            vget_low_s16(d256l),
            vget_high_s16(d256l),
            vget_low_s16(d256h),
            vget_high_s16(d256h),
        ],
        [
            vget_low_s16(dl),
            vget_high_s16(dl),
            vget_low_s16(dh),
            vget_high_s16(dh),
        ],
    )
}

/// The chroma sums of 16 samples from their U and V bytes.
#[inline]
#[target_feature(enable = "neon")]
fn chroma(u: uint8x16_t, v: uint8x16_t) -> Chroma {
    let ((u256, u1), (v256, v1)) = (signed(u), signed(v));
    let z = vdupq_n_s32(0);
    let mut c = [[z; 4]; 3];
    for q in 0..4 {
        c[0][q] = term(z, v256[q], v1[q], CVR);
        c[1][q] = term(term(z, v256[q], v1[q], CVG), u256[q], u1[q], CUG);
        c[2][q] = term(z, u256[q], u1[q], CUB);
    }
    c
}

/// `CY * y` of 16 luma bytes (already reduced by 16), four 32-bit lanes per vector.
#[inline]
#[target_feature(enable = "neon")]
fn luma(y: uint8x16_t) -> [int32x4_t; 4] {
    let (hi, lo) = split(CY);
    let (hi, lo) = (hi as u16, lo as u16);
    let (y256l, y256h) = (vshll_n_u8::<8>(vget_low_u8(y)), vshll_high_n_u8::<8>(y));
    let (yl, yh) = (vmovl_u8(vget_low_u8(y)), vmovl_high_u8(y));
    let a = [
        vmlal_n_u16(vmull_n_u16(vget_low_u16(y256l), hi), vget_low_u16(yl), lo),
        vmlal_high_n_u16(vmull_high_n_u16(y256l, hi), yl, lo),
        vmlal_n_u16(vmull_n_u16(vget_low_u16(y256h), hi), vget_low_u16(yh), lo),
        vmlal_high_n_u16(vmull_high_n_u16(y256h, hi), yh, lo),
    ];
    a.map(|v| vreinterpretq_s32_u32(v))
}

/// One channel of 16 pixels as bytes: `sat((a + c + 2^19) >> 20)`.
#[inline]
#[target_feature(enable = "neon")]
fn channel(a: &[int32x4_t; 4], c: &[int32x4_t; 4]) -> uint8x16_t {
    let lo = vaddhn_high_s32(vaddhn_s32(a[0], c[0]), a[1], c[1]);
    let hi = vaddhn_high_s32(vaddhn_s32(a[2], c[2]), a[3], c[3]);
    vqrshrun_high_n_s16::<4>(vqrshrun_n_s16::<4>(lo), hi)
}

impl Rows {
    /// The kernel for `layout` and `fmt` (a colour format).
    ///
    /// # Safety
    /// The CPU must support NEON (always true on aarch64).
    #[target_feature(enable = "neon")]
    pub(crate) unsafe fn new(layout: YuvLayout, fmt: PixelFormat) -> Rows {
        Rows {
            layout,
            bpp: fmt.bytes_per_pixel(),
            bgr: matches!(fmt, PixelFormat::Bgr8 | PixelFormat::Bgra8),
        }
    }

    /// Converts the 32 pixels whose even and odd luma bytes are `ye`, `yo` (reduced by 16)
    /// with the chroma sums `c`, and stores them at `out`.
    ///
    /// # Safety
    /// `out` must have `32 * BPP` writable bytes.
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn pixels<const BPP: usize>(
        &self,
        c: &Chroma,
        ye: uint8x16_t,
        yo: uint8x16_t,
        out: *mut u8,
    ) {
        let (ae, ao) = (luma(ye), luma(yo));
        let z = vdupq_n_u8(0);
        // Channel bytes of pixels 0-15 and 16-31.
        let mut b = [[z; 2]; 3];
        for ch in 0..3 {
            let (e, o) = (channel(&ae, &c[ch]), channel(&ao, &c[ch]));
            b[ch] = [vzip1q_u8(e, o), vzip2q_u8(e, o)];
        }
        let (f, g, t) = if self.bgr {
            (b[2], b[1], b[0])
        } else {
            (b[0], b[1], b[2])
        };
        // SAFETY: the caller guarantees 32 * BPP writable bytes at `out`.
        unsafe {
            for h in 0..2 {
                let o = out.add(16 * BPP * h);
                if BPP == 3 {
                    vst3q_u8(o, uint8x16x3_t(f[h], g[h], t[h]));
                } else {
                    vst4q_u8(o, uint8x16x4_t(f[h], g[h], t[h], vdupq_n_u8(255)));
                }
            }
        }
    }

    /// Converts the rows in `outs` (one, or two 4:2:0 rows sharing `src`'s chroma row) as
    /// [`super::scalar::row`] does, 32 pixels per step with the last step overlapping the one
    /// before it; returns how many pixels of each row it converted: all of them, or none
    /// for rows narrower than 32 pixels.
    ///
    /// # Safety
    /// The CPU must support NEON (always true on aarch64).
    #[target_feature(enable = "neon")]
    pub(crate) unsafe fn rows(&self, src: Src, outs: &mut [&mut [u8]]) -> usize {
        let n = outs[0].len() / self.bpp;
        if n < 32 {
            return 0;
        }
        // SAFETY: NEON is available (this function's contract).
        unsafe {
            match (self.bpp, outs) {
                (3, [a]) => self.run::<3, 1>(src, [a], n),
                (3, [a, b]) => self.run::<3, 2>(src, [a, b], n),
                (4, [a]) => self.run::<4, 1>(src, [a], n),
                (4, [a, b]) => self.run::<4, 2>(src, [a, b], n),
                _ => 0,
            }
        }
    }

    /// [`Rows::rows`] for `R` rows of `BPP`-byte pixels, `n >= 32` pixels each.
    ///
    /// # Safety
    /// As [`Rows::rows`].
    #[target_feature(enable = "neon")]
    unsafe fn run<const BPP: usize, const R: usize>(
        &self,
        src: Src,
        outs: [&mut &mut [u8]; R],
        n: usize,
    ) -> usize {
        assert!(outs.iter().all(|o| o.len() == n * BPP));
        let sub = vdupq_n_u8(16);
        // Steps start at 0, 32, ... and the last one at n - 32 (even, as n is).
        let last = n - 32;
        let starts = (0..=last.div_ceil(32)).map(|i| (32 * i).min(last));
        match src {
            Src::Semi { y, uv } => {
                assert!(y.iter().take(R).all(|r| r.len() >= n) && uv.len() >= n);
                let vu = self.layout == YuvLayout::Nv21;
                for x in starts {
                    // SAFETY: bytes [x, x + 32) of `uv` (checked above).
                    let c = unsafe { vld2q_u8(uv.as_ptr().add(x)) };
                    let c = if vu {
                        chroma(c.1, c.0)
                    } else {
                        chroma(c.0, c.1)
                    };
                    for r in 0..R {
                        // SAFETY: bytes [x, x + 32) of every luma row (checked above); output
                        // row `r` holds n * BPP bytes.
                        unsafe {
                            let l = vld2q_u8(y[r].as_ptr().add(x));
                            let (ye, yo) = (vqsubq_u8(l.0, sub), vqsubq_u8(l.1, sub));
                            self.pixels::<BPP>(&c, ye, yo, outs[r].as_mut_ptr().add(x * BPP));
                        }
                    }
                }
            }
            Src::Planar { y, u, v } => {
                assert!(y.iter().take(R).all(|r| r.len() >= n));
                assert!(u.len() >= n / 2 && v.len() >= n / 2);
                for x in starts {
                    // SAFETY: bytes [x / 2, x / 2 + 16) of `u` and `v` (checked above).
                    let c = unsafe {
                        chroma(
                            vld1q_u8(u.as_ptr().add(x / 2)),
                            vld1q_u8(v.as_ptr().add(x / 2)),
                        )
                    };
                    for r in 0..R {
                        // SAFETY: bytes [x, x + 32) of every luma row (checked above); output
                        // row `r` holds n * BPP bytes.
                        unsafe {
                            let l = vld2q_u8(y[r].as_ptr().add(x));
                            let (ye, yo) = (vqsubq_u8(l.0, sub), vqsubq_u8(l.1, sub));
                            self.pixels::<BPP>(&c, ye, yo, outs[r].as_mut_ptr().add(x * BPP));
                        }
                    }
                }
            }
            Src::Packed(p) => {
                assert!(R == 1 && p.len() >= 2 * n);
                let (yo, uo, vo) = self.layout.packed_offsets().expect("a packed layout");
                for x in starts {
                    // SAFETY: bytes [2x, 2x + 64) of `p` (checked above); the output row holds
                    // n * BPP bytes.
                    unsafe {
                        let q = vld4q_u8(p.as_ptr().add(2 * x));
                        let b = [q.0, q.1, q.2, q.3];
                        let c = chroma(b[uo], b[vo]);
                        let (ye, yd) = (vqsubq_u8(b[yo], sub), vqsubq_u8(b[yo + 2], sub));
                        self.pixels::<BPP>(&c, ye, yd, outs[0].as_mut_ptr().add(x * BPP));
                    }
                }
            }
        }
        n
    }
}

/// Luma of a packed 4:2:2 row (`out[x] = p[2 x + Y]`, `Y` the byte of Y0 in its group), 16
/// pixels per step with the last step overlapping the one before it; returns how many
/// pixels it wrote: all, or none for rows narrower than 16 pixels.
///
/// # Safety
/// The CPU must support NEON (always true on aarch64).
#[target_feature(enable = "neon")]
pub(crate) unsafe fn gray_packed<const Y: usize>(p: &[u8], out: &mut [u8]) -> usize {
    let n = out.len();
    if n < 16 {
        return 0;
    }
    assert!(p.len() >= 2 * n);
    let last = n - 16;
    for x in (0..=last.div_ceil(16)).map(|i| (16 * i).min(last)) {
        // SAFETY: bytes [2x, 2x + 32) of `p` and [x, x + 16) of `out` (checked above).
        unsafe {
            let q = vld2q_u8(p.as_ptr().add(2 * x));
            vst1q_u8(out.as_mut_ptr().add(x), if Y == 0 { q.0 } else { q.1 });
        }
    }
    n
}
