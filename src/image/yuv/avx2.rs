//! AVX2 YUV rows: 32 pixels per step, each chroma sample's terms formed once and shared by
//! its two pixels (and, for 4:2:0, by both rows of a row pair).
//!
//! The arithmetic is the AVX-512 kernel's ([`super::avx512`]) on 256-bit vectors: `pshufb`
//! copies a sample into the four bytes of a dword, `vpmaddubsw` makes the word pair
//! `(128 x, x)` and `vpmaddwd` with split weights gives the exact product. Chroma bytes are
//! flipped to signed (`x ^ 0x80 = x - 128`) and multiplied as the signed operand of
//! `vpmaddubsw`, so the chroma terms need no offsets; the rounding half is added at the
//! end, where `vpmulhrsw` by 2048 computes `(w + 8) >> 4` of each pixel's `sum >> 16`.
//! `pshufb` works within 128-bit lanes, so each layout and output size has its own
//! assignment of pixels to lanes (see [`Rows::new`]), chosen so that the stores need
//! few shuffles: three-byte pixels leave `vpackuswb` in pixel order and are interleaved
//! with `pshufb` and `por`, four-byte pixels with `vpunpck*`.

use super::scalar::{CUB, CUG, CVG, CVR, CY};
use super::{Src, YuvLayout};
use crate::cpu::prefetch;
use crate::image::PixelFormat;
use std::arch::x86_64::*;

/// How far ahead of a step's output its cache lines are prefetched, in bytes (as in the
/// AVX-512 kernel).
const OUT_AHEAD: usize = 1024;

/// Prefetches the output lines of a step of `BPP`-byte pixels `OUT_AHEAD` bytes on from
/// `out` (32 pixels: 1.5 or 2 lines).
#[inline(always)]
fn prefetch_out<const BPP: usize>(out: *const u8) {
    for line in 0..BPP.div_ceil(2) {
        let at = out.wrapping_add(OUT_AHEAD + 64 * line);
        // SAFETY: a prefetch reads no memory architecturally and never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast()) };
    }
}

/// `c = 128 hi + lo` (`0 <= lo < 128`) as the dword of `vpmaddwd` weights for a `(128 x, x)`
/// word pair (`hi` in the low word, `lo` in the high one): the pair's products sum to `c x`.
const fn weights(c: i32) -> i32 {
    (c.rem_euclid(128) << 16) | (c.div_euclid(128) & 0xffff)
}

/// Where pixels and chroma samples sit in the vectors a step prepares.
#[derive(Clone, Copy, PartialEq)]
enum Arrange {
    /// Lane `L` of the step's 32 pixels holds pixels `16L..16L + 16` (chroma samples
    /// `8L..8L + 8`), in order: what three-byte stores want.
    Halves,
    /// Lane 0 holds pixels 0-3, 8-11, 16-19, 24-27 and lane 1 the other 16 (the dwords of
    /// 4:2:0 rows permuted with `vpermd`): what the `vpunpck*` of four-byte stores want.
    Quads,
}

/// Sample `s` (0..16) of the step that lane `l`, dword `m` of the pair vectors of half `h`
/// (0, 1) carries.
const fn sample(a: Arrange, h: usize, l: usize, m: usize) -> usize {
    match a {
        Arrange::Halves => 8 * l + 4 * h + m,
        Arrange::Quads => 8 * h + 2 * l + [0, 1, 4, 5][m],
    }
}

/// The constants of one conversion.
pub(crate) struct Rows {
    layout: YuvLayout,
    arrange: Arrange,
    bpp: usize,
    bgr: bool,
    wy: __m256i,
    wr: __m256i,
    wvg: __m256i,
    wug: __m256i,
    wb: __m256i,
    /// `vpmaddubsw` weights (64, 64, 1, 0): `(x, x, x, x)` to `(128 x, x)`.
    pair: __m256i,
    c2048: __m256i,
    ff: __m256i,
    /// `pshufb` indices of the luma pairs: even and odd pixels of half 0, then of half 1.
    luma: [__m256i; 4],
    /// `pshufb` indices of the U and V pairs of halves 0 and 1.
    u: [__m256i; 2],
    v: [__m256i; 2],
    /// What `subs` takes from the luma source vectors (16 at luma bytes), and the sign flip
    /// of the chroma bytes (0x80 at chroma bytes) of packed rows.
    sub: __m256i,
    flip: __m256i,
    /// `pshufb` indices of the three-byte stores.
    out: [__m256i; 7],
}

/// A `pshufb` index vector from its 32 bytes.
#[inline]
#[target_feature(enable = "avx2")]
fn idx(b: &[u8; 32]) -> __m256i {
    // SAFETY: 32 readable bytes.
    unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
}

impl Rows {
    /// The kernel for `layout` and `fmt` (a colour format).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn new(layout: YuvLayout, fmt: PixelFormat) -> Rows {
        let bpp = fmt.bytes_per_pixel();
        let arrange = if bpp == 4 {
            Arrange::Quads
        } else {
            Arrange::Halves
        };
        let packed = layout.packed_offsets();
        // Bytes within lane `l` of the source vectors of half `h`: 4:2:0 luma and
        // interleaved chroma arrive as 32 bytes (`Quads`: dwords permuted to 0 2 4 6 1 3 5 7),
        // planar U and V as 16 bytes in both lanes, packed rows as two vectors whose dword
        // `m` of lane `l` is the group of sample `sample(arrange, h, l, m)`.
        let mut luma = [[0u8; 32]; 4];
        let mut u = [[0u8; 32]; 2];
        let mut v = [[0u8; 32]; 2];
        for h in 0..2 {
            for l in 0..2 {
                for m in 0..4 {
                    let s = sample(arrange, h, l, m);
                    // Luma of pixels 2s and 2s + 1; U and V of sample s.
                    let (ye, yo, cu, cv) = match packed {
                        Some((y, u, v)) => (4 * m + y, 4 * m + y + 2, 4 * m + u, 4 * m + v),
                        None => {
                            let (ye, ou) = match arrange {
                                Arrange::Halves => (2 * s % 16, 2 * (s % 8)),
                                Arrange::Quads => {
                                    (4 * (s / 4) + 2 * (s % 2), 4 * (s / 4) + 2 * (s % 2))
                                }
                            };
                            let (cu, cv) = match layout {
                                YuvLayout::I420 | YuvLayout::Yv12 => (s, s),
                                YuvLayout::Nv21 => (ou + 1, ou),
                                _ => (ou, ou + 1),
                            };
                            (ye, ye + 1, cu, cv)
                        }
                    };
                    for b in 16 * l + 4 * m..16 * l + 4 * m + 4 {
                        luma[2 * h][b] = ye as u8;
                        luma[2 * h + 1][b] = yo as u8;
                        u[h][b] = cu as u8;
                        v[h][b] = cv as u8;
                    }
                }
            }
        }
        let (sub, flip) = match packed {
            Some((y, _, _)) => (
                _mm256_set1_epi32((16 << (8 * y)) | (16 << (8 * (y + 2)))),
                _mm256_set1_epi32(
                    !((0xff << (8 * y)) | (0xff << (8 * (y + 2)))) & 0x8080_8080u32 as i32,
                ),
            ),
            None => (_mm256_set1_epi8(16), _mm256_set1_epi8(-128)),
        };
        let out = out_tables();
        Rows {
            layout,
            arrange,
            bpp,
            bgr: matches!(fmt, PixelFormat::Bgr8 | PixelFormat::Bgra8),
            wy: _mm256_set1_epi32(weights(CY)),
            wr: _mm256_set1_epi32(weights(CVR)),
            wvg: _mm256_set1_epi32(weights(CVG)),
            wug: _mm256_set1_epi32(weights(CUG)),
            wb: _mm256_set1_epi32(weights(CUB)),
            pair: _mm256_set1_epi32(0x0001_4040),
            c2048: _mm256_set1_epi16(2048),
            ff: _mm256_set1_epi8(-1),
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
    #[target_feature(enable = "avx2")]
    fn luma_pairs(&self, idx: __m256i, src: __m256i) -> __m256i {
        _mm256_maddubs_epi16(_mm256_shuffle_epi8(src, idx), self.pair)
    }

    /// The `(128 x, x)` pairs of the signed bytes (`u - 128`) of `src` that `idx` picks.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn chroma_pairs(&self, idx: __m256i, src: __m256i) -> __m256i {
        _mm256_maddubs_epi16(self.pair, _mm256_shuffle_epi8(src, idx))
    }

    /// Chroma terms `[R, G, B][h]` of the step's two halves from sign-flipped U and V
    /// sources.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn chroma(&self, us: [__m256i; 2], vs: [__m256i; 2]) -> [[__m256i; 2]; 3] {
        let z = _mm256_setzero_si256();
        let mut c = [[z; 2]; 3];
        for h in 0..2 {
            let pu = self.chroma_pairs(self.u[h], us[h]);
            let pv = self.chroma_pairs(self.v[h], vs[h]);
            c[0][h] = _mm256_madd_epi16(pv, self.wr);
            c[1][h] = _mm256_add_epi32(
                _mm256_madd_epi16(pv, self.wvg),
                _mm256_madd_epi16(pu, self.wug),
            );
            c[2][h] = _mm256_madd_epi16(pu, self.wb);
        }
        c
    }

    /// Converts the step's 32 pixels from their luma sources (`subs` by 16 done) and chroma
    /// terms, and stores them at `out`.
    ///
    /// # Safety
    /// `out` must have `32 * BPP` writable bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn pixels<const BPP: usize>(
        &self,
        c: &[[__m256i; 2]; 3],
        ys: [__m256i; 2],
        out: *mut u8,
    ) {
        let z = _mm256_setzero_si256();
        let mut w = [[z; 2]; 3];
        for h in 0..2 {
            let ye = _mm256_madd_epi16(self.luma_pairs(self.luma[2 * h], ys[h]), self.wy);
            let yo = _mm256_madd_epi16(self.luma_pairs(self.luma[2 * h + 1], ys[h]), self.wy);
            for ch in 0..3 {
                let se = _mm256_add_epi32(c[ch][h], ye);
                let so = _mm256_add_epi32(c[ch][h], yo);
                // Word 2i: the even pixel's sum >> 16, word 2i + 1: the odd pixel's; then
                // (w + 8) >> 4 adds the rounding half and finishes the >> 20.
                let m = _mm256_blend_epi16::<0b1010_1010>(_mm256_srli_epi32::<16>(se), so);
                w[ch][h] = _mm256_mulhrs_epi16(m, self.c2048);
            }
        }
        let (f, g, t) = if self.bgr {
            (w[2], w[1], w[0])
        } else {
            (w[0], w[1], w[2])
        };
        // SAFETY: the caller guarantees 32 * BPP writable bytes at `out`.
        unsafe {
            if BPP == 3 {
                // Per lane: x1 = first and green of pixels 0-7, x2 of pixels 8-15, x3 = the
                // third channel of pixels 0-15. Each 16-byte block of a lane's 48 output
                // bytes is an `or` of `pshufb`s of two or three of them.
                let x1 = _mm256_packus_epi16(f[0], g[0]);
                let x2 = _mm256_packus_epi16(f[1], g[1]);
                let x3 = _mm256_packus_epi16(t[0], t[1]);
                let o = &self.out;
                let sh = _mm256_shuffle_epi8;
                let b0 = _mm256_or_si256(sh(x1, o[0]), sh(x3, o[1]));
                let b1 = _mm256_or_si256(_mm256_or_si256(sh(x1, o[2]), sh(x2, o[3])), sh(x3, o[4]));
                let b2 = _mm256_or_si256(sh(x2, o[5]), sh(x3, o[6]));
                let p = out.cast::<__m256i>();
                _mm256_storeu_si256(p, _mm256_permute2x128_si256::<0x20>(b0, b1));
                _mm256_storeu_si256(p.add(1), _mm256_permute2x128_si256::<0x30>(b2, b0));
                _mm256_storeu_si256(p.add(2), _mm256_permute2x128_si256::<0x31>(b1, b2));
            } else {
                let (f, g, t) = (
                    _mm256_packus_epi16(f[0], f[1]),
                    _mm256_packus_epi16(g[0], g[1]),
                    _mm256_packus_epi16(t[0], t[1]),
                );
                let (fg0, fg1) = (_mm256_unpacklo_epi8(f, g), _mm256_unpackhi_epi8(f, g));
                let (ta0, ta1) = (
                    _mm256_unpacklo_epi8(t, self.ff),
                    _mm256_unpackhi_epi8(t, self.ff),
                );
                let p = out.cast::<__m256i>();
                _mm256_storeu_si256(p, _mm256_unpacklo_epi16(fg0, ta0));
                _mm256_storeu_si256(p.add(1), _mm256_unpackhi_epi16(fg0, ta0));
                _mm256_storeu_si256(p.add(2), _mm256_unpacklo_epi16(fg1, ta1));
                _mm256_storeu_si256(p.add(3), _mm256_unpackhi_epi16(fg1, ta1));
            }
        }
    }

    /// Converts the rows in `outs` (one, or two 4:2:0 rows sharing `src`'s chroma row) as
    /// [`super::scalar::row`] does, 32 pixels per step with the last step overlapping the one
    /// before it; returns how many pixels of each row it converted: all of them, or none
    /// for rows narrower than 32 pixels.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn rows(&self, src: Src, outs: &mut [&mut [u8]]) -> usize {
        let n = outs[0].len() / self.bpp;
        if n < 32 {
            return 0;
        }
        // SAFETY: AVX2 is available (this function's contract).
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
    #[target_feature(enable = "avx2")]
    unsafe fn run<const BPP: usize, const R: usize>(
        &self,
        src: Src,
        outs: [&mut &mut [u8]; R],
        n: usize,
    ) -> usize {
        assert!(outs.iter().all(|o| o.len() == n * BPP));
        let quads = self.arrange == Arrange::Quads;
        let perm = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
        // 32 bytes at `p`, dwords permuted for `Arrange::Quads`.
        let load = |p: *const u8| {
            // SAFETY: the callers below pass pointers with 32 readable bytes.
            let v = unsafe { _mm256_loadu_si256(p.cast()) };
            if quads {
                _mm256_permutevar8x32_epi32(v, perm)
            } else {
                v
            }
        };
        // Steps start at 0, 32, ... and the last one at n - 32 (even, as n is).
        let last = n - 32;
        let starts = (0..=last.div_ceil(32)).map(|i| (32 * i).min(last));
        match src {
            Src::Semi { y, uv } => {
                assert!(y.iter().take(R).all(|r| r.len() >= n) && uv.len() >= n);
                for x in starts {
                    prefetch::ahead(uv.as_ptr().wrapping_add(x));
                    // SAFETY: bytes [x, x + 32) of `uv` (checked above).
                    let c = _mm256_xor_si256(load(unsafe { uv.as_ptr().add(x) }), self.flip);
                    let c = self.chroma([c, c], [c, c]);
                    for r in 0..R {
                        prefetch::ahead(y[r].as_ptr().wrapping_add(x));
                        prefetch_out::<BPP>(outs[r].as_ptr().wrapping_add(x * BPP));
                        // SAFETY: bytes [x, x + 32) of every luma row (checked above); output
                        // row `r` holds n * BPP bytes.
                        unsafe {
                            let l = _mm256_subs_epu8(load(y[r].as_ptr().add(x)), self.sub);
                            self.pixels::<BPP>(&c, [l, l], outs[r].as_mut_ptr().add(x * BPP));
                        }
                    }
                }
            }
            Src::Planar { y, u, v } => {
                assert!(y.iter().take(R).all(|r| r.len() >= n));
                assert!(u.len() >= n / 2 && v.len() >= n / 2);
                for x in starts {
                    prefetch::ahead(u.as_ptr().wrapping_add(x / 2));
                    prefetch::ahead(v.as_ptr().wrapping_add(x / 2));
                    // SAFETY: bytes [x / 2, x / 2 + 16) of `u` and `v` (checked above).
                    let (cu, cv) = unsafe {
                        (
                            _mm256_broadcastsi128_si256(_mm_loadu_si128(
                                u.as_ptr().add(x / 2).cast(),
                            )),
                            _mm256_broadcastsi128_si256(_mm_loadu_si128(
                                v.as_ptr().add(x / 2).cast(),
                            )),
                        )
                    };
                    let (cu, cv) = (
                        _mm256_xor_si256(cu, self.flip),
                        _mm256_xor_si256(cv, self.flip),
                    );
                    let c = self.chroma([cu, cu], [cv, cv]);
                    for r in 0..R {
                        prefetch::ahead(y[r].as_ptr().wrapping_add(x));
                        prefetch_out::<BPP>(outs[r].as_ptr().wrapping_add(x * BPP));
                        // SAFETY: bytes [x, x + 32) of every luma row (checked above); output
                        // row `r` holds n * BPP bytes.
                        unsafe {
                            let l = _mm256_subs_epu8(load(y[r].as_ptr().add(x)), self.sub);
                            self.pixels::<BPP>(&c, [l, l], outs[r].as_mut_ptr().add(x * BPP));
                        }
                    }
                }
            }
            Src::Packed(p) => {
                assert!(R == 1 && p.len() >= 2 * n);
                let _ = self.layout;
                for x in starts {
                    prefetch::ahead(p.as_ptr().wrapping_add(2 * x));
                    prefetch_out::<BPP>(outs[0].as_ptr().wrapping_add(x * BPP));
                    // SAFETY: bytes [2x, 2x + 64) of `p` (checked above); the output row holds
                    // n * BPP bytes.
                    unsafe {
                        let q = p.as_ptr().add(2 * x);
                        let ld = |o: usize| _mm_loadu_si128(q.add(o).cast());
                        // Halves: samples 0-3 | 8-11 and 4-7 | 12-15; Quads: 0 1 4 5 | 2 3 6 7
                        // and 8 9 12 13 | 10 11 14 15.
                        let (a, b) = if quads {
                            let d = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
                            (
                                _mm256_permutevar8x32_epi32(_mm256_loadu_si256(q.cast()), d),
                                _mm256_permutevar8x32_epi32(
                                    _mm256_loadu_si256(q.add(32).cast()),
                                    d,
                                ),
                            )
                        } else {
                            (
                                _mm256_set_m128i(ld(32), ld(0)),
                                _mm256_set_m128i(ld(48), ld(16)),
                            )
                        };
                        let (a, b) = (_mm256_subs_epu8(a, self.sub), _mm256_subs_epu8(b, self.sub));
                        let (ca, cb) = (
                            _mm256_xor_si256(a, self.flip),
                            _mm256_xor_si256(b, self.flip),
                        );
                        let c = self.chroma([ca, cb], [ca, cb]);
                        self.pixels::<BPP>(&c, [a, b], outs[0].as_mut_ptr().add(x * BPP));
                    }
                }
            }
        }
        n
    }
}

/// `pshufb` indices of the three-byte stores (see [`Rows::pixels`]): per lane, output bytes
/// 0-15 from x1 and x3, 16-31 from x1, x2 and x3, 32-47 from x2 and x3. Bytes a vector does
/// not supply are zeroed (index 0x80).
fn out_tables() -> [[u8; 32]; 7] {
    // (table, source: 1 = x1, 2 = x2, 3 = x3) of each output block.
    const USE: [&[(usize, usize)]; 3] = [
        &[(0, 1), (1, 3)],
        &[(2, 1), (3, 2), (4, 3)],
        &[(5, 2), (6, 3)],
    ];
    let mut t = [[0x80u8; 32]; 7];
    for (block, uses) in USE.iter().enumerate() {
        for i in 0..16 {
            let byte = 16 * block + i;
            let (p, ch) = (byte / 3, byte % 3);
            // x1, x2: first channel at bytes 0-7, green at 8-15, of pixels 0-7 (x1) or 8-15;
            // x3: third channel of pixels 0-15.
            let (source, at) = match ch {
                2 => (3, p),
                _ => (1 + p / 8, 8 * ch + p % 8),
            };
            for &(table, s) in *uses {
                if s == source {
                    t[table][i] = at as u8;
                    t[table][16 + i] = at as u8;
                }
            }
        }
    }
    t
}

/// Luma of a packed 4:2:2 row (`out[x] = p[2 x + Y]`, `Y` the byte of Y0 in its group), 32
/// pixels per step with the last step overlapping the one before it; returns how many
/// pixels it wrote: all, or none for rows narrower than 32 pixels.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn gray_packed<const Y: usize>(p: &[u8], out: &mut [u8]) -> usize {
    let n = out.len();
    if n < 32 {
        return 0;
    }
    assert!(p.len() >= 2 * n);
    let low = _mm256_set1_epi16(0xff);
    let last = n - 32;
    for x in (0..=last.div_ceil(32)).map(|i| (32 * i).min(last)) {
        // SAFETY: bytes [2x, 2x + 64) of `p` and [x, x + 32) of `out` (checked above).
        unsafe {
            let q = p.as_ptr().add(2 * x);
            let (a, b) = (
                _mm256_loadu_si256(q.cast()),
                _mm256_loadu_si256(q.add(32).cast()),
            );
            let (a, b) = if Y == 0 {
                (_mm256_and_si256(a, low), _mm256_and_si256(b, low))
            } else {
                (_mm256_srli_epi16::<8>(a), _mm256_srli_epi16::<8>(b))
            };
            // vpackuswb interleaves the lanes of a and b: qwords 0 2 1 3 restore the order.
            let v = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi16(a, b));
            _mm256_storeu_si256(out.as_mut_ptr().add(x).cast(), v);
        }
    }
    n
}
