//! SSE4.1 YUV rows: the AVX2 kernel's arithmetic ([`super::avx2`]) on one 128-bit vector,
//! 16 pixels (8 chroma samples) per step. A step holds pixels 0-15 in order, so the
//! three-byte stores are `or`s of `pshufb`s and the four-byte stores `punpck*`, with no
//! lane crossing.

use super::scalar::{CUB, CUG, CVG, CVR, CY};
use super::{Src, YuvLayout};
use crate::image::PixelFormat;
use std::arch::x86_64::*;

/// `c = 128 hi + lo` (`0 <= lo < 128`) as the dword of `pmaddwd` weights for a `(128 x, x)`
/// word pair (`hi` in the low word, `lo` in the high one): the pair's products sum to `c x`.
const fn weights(c: i32) -> i32 {
    (c.rem_euclid(128) << 16) | (c.div_euclid(128) & 0xffff)
}

/// The constants of one conversion.
pub(crate) struct Rows {
    bpp: usize,
    bgr: bool,
    wy: __m128i,
    wr: __m128i,
    wvg: __m128i,
    wug: __m128i,
    wb: __m128i,
    /// `pmaddubsw` weights (64, 64, 1, 0): `(x, x, x, x)` to `(128 x, x)`.
    pair: __m128i,
    c2048: __m128i,
    ff: __m128i,
    /// `pshufb` indices of the luma pairs: even and odd pixels of samples 0-3, then of
    /// samples 4-7.
    luma: [__m128i; 4],
    /// `pshufb` indices of the U and V pairs of samples 0-3 and 4-7.
    u: [__m128i; 2],
    v: [__m128i; 2],
    /// What `subs` takes from the luma source vectors (16 at luma bytes), and the sign flip
    /// of the chroma bytes (0x80 at chroma bytes).
    sub: __m128i,
    flip: __m128i,
    /// `pshufb` indices of the three-byte stores.
    out: [__m128i; 7],
}

/// A `pshufb` index vector from its 16 bytes.
#[inline]
#[target_feature(enable = "sse4.1")]
fn idx(b: &[u8; 16]) -> __m128i {
    // SAFETY: 16 readable bytes.
    unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
}

impl Rows {
    /// The kernel for `layout` and `fmt` (a colour format).
    ///
    /// # Safety
    /// The CPU must support SSE4.1.
    #[target_feature(enable = "sse4.1")]
    pub(crate) unsafe fn new(layout: YuvLayout, fmt: PixelFormat) -> Rows {
        let packed = layout.packed_offsets();
        // Dword m of the pair vectors of half h carries sample s = 4h + m. 4:2:0 luma and
        // interleaved chroma are one 16-byte vector per step, planar U and V 8 bytes;
        // packed rows two vectors, samples 0-3 and 4-7.
        let mut luma = [[0u8; 16]; 4];
        let mut u = [[0u8; 16]; 2];
        let mut v = [[0u8; 16]; 2];
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
                for b in 4 * m..4 * m + 4 {
                    luma[2 * h][b] = ye as u8;
                    luma[2 * h + 1][b] = yo as u8;
                    u[h][b] = cu as u8;
                    v[h][b] = cv as u8;
                }
            }
        }
        let (sub, flip) = match packed {
            Some((y, _, _)) => {
                let luma_bytes = (0xff << (8 * y)) | (0xff << (8 * (y + 2)));
                (
                    _mm_set1_epi32((16 << (8 * y)) | (16 << (8 * (y + 2)))),
                    _mm_set1_epi32(!luma_bytes & 0x8080_8080u32 as i32),
                )
            }
            None => (_mm_set1_epi8(16), _mm_set1_epi8(-128)),
        };
        let out = out_tables();
        Rows {
            bpp: fmt.bytes_per_pixel(),
            bgr: matches!(fmt, PixelFormat::Bgr8 | PixelFormat::Bgra8),
            wy: _mm_set1_epi32(weights(CY)),
            wr: _mm_set1_epi32(weights(CVR)),
            wvg: _mm_set1_epi32(weights(CVG)),
            wug: _mm_set1_epi32(weights(CUG)),
            wb: _mm_set1_epi32(weights(CUB)),
            pair: _mm_set1_epi32(0x0001_4040),
            c2048: _mm_set1_epi16(2048),
            ff: _mm_set1_epi8(-1),
            luma: [idx(&luma[0]), idx(&luma[1]), idx(&luma[2]), idx(&luma[3])],
            u: [idx(&u[0]), idx(&u[1])],
            v: [idx(&v[0]), idx(&v[1])],
            sub,
            flip,
            out: [
                idx(&out[0]),
                idx(&out[1]),
                idx(&out[2]),
                idx(&out[3]),
                idx(&out[4]),
                idx(&out[5]),
                idx(&out[6]),
            ],
        }
    }

    /// The `(128 x, x)` pairs of the (unsigned) bytes of `src` that `idx` picks.
    #[inline]
    #[target_feature(enable = "sse4.1")]
    fn luma_pairs(&self, idx: __m128i, src: __m128i) -> __m128i {
        _mm_maddubs_epi16(_mm_shuffle_epi8(src, idx), self.pair)
    }

    /// The `(128 x, x)` pairs of the signed bytes (`u - 128`) of `src` that `idx` picks.
    #[inline]
    #[target_feature(enable = "sse4.1")]
    fn chroma_pairs(&self, idx: __m128i, src: __m128i) -> __m128i {
        _mm_maddubs_epi16(self.pair, _mm_shuffle_epi8(src, idx))
    }

    /// Chroma terms `[R, G, B][h]` of samples `4h..4h + 4` from sign-flipped U and V
    /// sources.
    #[inline]
    #[target_feature(enable = "sse4.1")]
    fn chroma(&self, us: [__m128i; 2], vs: [__m128i; 2]) -> [[__m128i; 2]; 3] {
        let z = _mm_setzero_si128();
        let mut c = [[z; 2]; 3];
        for h in 0..2 {
            let pu = self.chroma_pairs(self.u[h], us[h]);
            let pv = self.chroma_pairs(self.v[h], vs[h]);
            c[0][h] = _mm_madd_epi16(pv, self.wr);
            c[1][h] = _mm_add_epi32(_mm_madd_epi16(pv, self.wvg), _mm_madd_epi16(pu, self.wug));
            c[2][h] = _mm_madd_epi16(pu, self.wb);
        }
        c
    }

    /// Converts the step's 16 pixels from their luma sources (`subs` by 16 done) and chroma
    /// terms, and stores them at `out`.
    ///
    /// # Safety
    /// `out` must have `16 * BPP` writable bytes.
    #[inline]
    #[target_feature(enable = "sse4.1")]
    unsafe fn pixels<const BPP: usize>(
        &self,
        c: &[[__m128i; 2]; 3],
        ys: [__m128i; 2],
        out: *mut u8,
    ) {
        let z = _mm_setzero_si128();
        let mut w = [[z; 2]; 3];
        for h in 0..2 {
            let ye = _mm_madd_epi16(self.luma_pairs(self.luma[2 * h], ys[h]), self.wy);
            let yo = _mm_madd_epi16(self.luma_pairs(self.luma[2 * h + 1], ys[h]), self.wy);
            for ch in 0..3 {
                let se = _mm_add_epi32(c[ch][h], ye);
                let so = _mm_add_epi32(c[ch][h], yo);
                // Word 2i: the even pixel's sum >> 16, word 2i + 1: the odd pixel's; then
                // (w + 8) >> 4 adds the rounding half and finishes the >> 20.
                let m = _mm_blend_epi16::<0b1010_1010>(_mm_srli_epi32::<16>(se), so);
                w[ch][h] = _mm_mulhrs_epi16(m, self.c2048);
            }
        }
        let (f, g, t) = if self.bgr {
            (w[2], w[1], w[0])
        } else {
            (w[0], w[1], w[2])
        };
        let p = out.cast::<__m128i>();
        // SAFETY: the caller guarantees 16 * BPP writable bytes at `out`.
        unsafe {
            if BPP == 3 {
                // x1 = first and green of pixels 0-7, x2 of pixels 8-15, x3 = the third
                // channel of pixels 0-15; each 16-byte store is an `or` of their `pshufb`s.
                let x1 = _mm_packus_epi16(f[0], g[0]);
                let x2 = _mm_packus_epi16(f[1], g[1]);
                let x3 = _mm_packus_epi16(t[0], t[1]);
                let o = &self.out;
                let sh = _mm_shuffle_epi8;
                _mm_storeu_si128(p, _mm_or_si128(sh(x1, o[0]), sh(x3, o[1])));
                _mm_storeu_si128(
                    p.add(1),
                    _mm_or_si128(_mm_or_si128(sh(x1, o[2]), sh(x2, o[3])), sh(x3, o[4])),
                );
                _mm_storeu_si128(p.add(2), _mm_or_si128(sh(x2, o[5]), sh(x3, o[6])));
            } else {
                let (f, g, t) = (
                    _mm_packus_epi16(f[0], f[1]),
                    _mm_packus_epi16(g[0], g[1]),
                    _mm_packus_epi16(t[0], t[1]),
                );
                let (fg0, fg1) = (_mm_unpacklo_epi8(f, g), _mm_unpackhi_epi8(f, g));
                let (ta0, ta1) = (_mm_unpacklo_epi8(t, self.ff), _mm_unpackhi_epi8(t, self.ff));
                _mm_storeu_si128(p, _mm_unpacklo_epi16(fg0, ta0));
                _mm_storeu_si128(p.add(1), _mm_unpackhi_epi16(fg0, ta0));
                _mm_storeu_si128(p.add(2), _mm_unpacklo_epi16(fg1, ta1));
                _mm_storeu_si128(p.add(3), _mm_unpackhi_epi16(fg1, ta1));
            }
        }
    }

    /// Converts the rows in `outs` (one, or two 4:2:0 rows sharing `src`'s chroma row) as
    /// [`super::scalar::row`] does, 16 pixels per step with the last step overlapping the one
    /// before it; returns how many pixels of each row it converted: all of them, or none
    /// for rows narrower than 16 pixels.
    ///
    /// # Safety
    /// The CPU must support SSE4.1.
    #[target_feature(enable = "sse4.1")]
    pub(crate) unsafe fn rows(&self, src: Src, outs: &mut [&mut [u8]]) -> usize {
        let n = outs[0].len() / self.bpp;
        if n < 16 {
            return 0;
        }
        // SAFETY: SSE4.1 is available (this function's contract).
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

    /// [`Rows::rows`] for `R` rows of `BPP`-byte pixels, `n >= 16` pixels each.
    ///
    /// # Safety
    /// As [`Rows::rows`].
    #[target_feature(enable = "sse4.1")]
    unsafe fn run<const BPP: usize, const R: usize>(
        &self,
        src: Src,
        outs: [&mut &mut [u8]; R],
        n: usize,
    ) -> usize {
        assert!(outs.iter().all(|o| o.len() == n * BPP));
        // Steps start at 0, 16, ... and the last one at n - 16 (even, as n is).
        let last = n - 16;
        let starts = (0..=last.div_ceil(16)).map(|i| (16 * i).min(last));
        match src {
            Src::Semi { y, uv } => {
                assert!(y.iter().take(R).all(|r| r.len() >= n) && uv.len() >= n);
                for x in starts {
                    // SAFETY: bytes [x, x + 16) of `uv` (checked above).
                    let c = unsafe { _mm_loadu_si128(uv.as_ptr().add(x).cast()) };
                    let c = _mm_xor_si128(c, self.flip);
                    let c = self.chroma([c, c], [c, c]);
                    for r in 0..R {
                        // SAFETY: bytes [x, x + 16) of every luma row (checked above); output
                        // row `r` holds n * BPP bytes.
                        unsafe {
                            let l = _mm_loadu_si128(y[r].as_ptr().add(x).cast());
                            let l = _mm_subs_epu8(l, self.sub);
                            self.pixels::<BPP>(&c, [l, l], outs[r].as_mut_ptr().add(x * BPP));
                        }
                    }
                }
            }
            Src::Planar { y, u, v } => {
                assert!(y.iter().take(R).all(|r| r.len() >= n));
                assert!(u.len() >= n / 2 && v.len() >= n / 2);
                for x in starts {
                    // SAFETY: bytes [x / 2, x / 2 + 8) of `u` and `v` (checked above).
                    let (cu, cv) = unsafe {
                        (
                            _mm_loadl_epi64(u.as_ptr().add(x / 2).cast()),
                            _mm_loadl_epi64(v.as_ptr().add(x / 2).cast()),
                        )
                    };
                    let (cu, cv) = (_mm_xor_si128(cu, self.flip), _mm_xor_si128(cv, self.flip));
                    let c = self.chroma([cu, cu], [cv, cv]);
                    for r in 0..R {
                        // SAFETY: bytes [x, x + 16) of every luma row (checked above); output
                        // row `r` holds n * BPP bytes.
                        unsafe {
                            let l = _mm_loadu_si128(y[r].as_ptr().add(x).cast());
                            let l = _mm_subs_epu8(l, self.sub);
                            self.pixels::<BPP>(&c, [l, l], outs[r].as_mut_ptr().add(x * BPP));
                        }
                    }
                }
            }
            Src::Packed(p) => {
                assert!(R == 1 && p.len() >= 2 * n);
                for x in starts {
                    // SAFETY: bytes [2x, 2x + 32) of `p` (checked above); the output row holds
                    // n * BPP bytes.
                    unsafe {
                        let q = p.as_ptr().add(2 * x);
                        let a = _mm_subs_epu8(_mm_loadu_si128(q.cast()), self.sub);
                        let b = _mm_subs_epu8(_mm_loadu_si128(q.add(16).cast()), self.sub);
                        let (ca, cb) = (_mm_xor_si128(a, self.flip), _mm_xor_si128(b, self.flip));
                        let c = self.chroma([ca, cb], [ca, cb]);
                        self.pixels::<BPP>(&c, [a, b], outs[0].as_mut_ptr().add(x * BPP));
                    }
                }
            }
        }
        n
    }
}

/// `pshufb` indices of the three-byte stores (see [`Rows::pixels`]): output bytes 0-15 from
/// x1 and x3, 16-31 from x1, x2 and x3, 32-47 from x2 and x3. Bytes a vector does not supply
/// are zeroed (index 0x80).
fn out_tables() -> [[u8; 16]; 7] {
    // (table, source: 1 = x1, 2 = x2, 3 = x3) of each output block.
    const USE: [&[(usize, usize)]; 3] = [
        &[(0, 1), (1, 3)],
        &[(2, 1), (3, 2), (4, 3)],
        &[(5, 2), (6, 3)],
    ];
    let mut t = [[0x80u8; 16]; 7];
    for (block, uses) in USE.iter().enumerate() {
        for &(table, s) in *uses {
            for (i, slot) in t[table].iter_mut().enumerate() {
                let byte = 16 * block + i;
                let (p, ch) = (byte / 3, byte % 3);
                // x1, x2: first channel at bytes 0-7, green at 8-15, of pixels 0-7 (x1) or
                // 8-15; x3: third channel of pixels 0-15.
                let (source, at) = match ch {
                    2 => (3, p),
                    _ => (1 + p / 8, 8 * ch + p % 8),
                };
                if source == s {
                    *slot = at as u8;
                }
            }
        }
    }
    t
}

/// Luma of a packed 4:2:2 row (`out[x] = p[2 x + Y]`, `Y` the byte of Y0 in its group), 16
/// pixels per step with the last step overlapping the one before it; returns how many
/// pixels it wrote: all, or none for rows narrower than 16 pixels.
///
/// # Safety
/// The CPU must support SSE4.1.
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn gray_packed<const Y: usize>(p: &[u8], out: &mut [u8]) -> usize {
    let n = out.len();
    if n < 16 {
        return 0;
    }
    assert!(p.len() >= 2 * n);
    let low = _mm_set1_epi16(0xff);
    let last = n - 16;
    for x in (0..=last.div_ceil(16)).map(|i| (16 * i).min(last)) {
        // SAFETY: bytes [2x, 2x + 32) of `p` and [x, x + 16) of `out` (checked above).
        unsafe {
            let q = p.as_ptr().add(2 * x);
            let (a, b) = (_mm_loadu_si128(q.cast()), _mm_loadu_si128(q.add(16).cast()));
            let (a, b) = if Y == 0 {
                (_mm_and_si128(a, low), _mm_and_si128(b, low))
            } else {
                (_mm_srli_epi16::<8>(a), _mm_srli_epi16::<8>(b))
            };
            _mm_storeu_si128(out.as_mut_ptr().add(x).cast(), _mm_packus_epi16(a, b));
        }
    }
    n
}
