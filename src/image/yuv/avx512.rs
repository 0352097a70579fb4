//! AVX-512 YUV rows (F, BW, VBMI, VNNI): 64 pixels per step, each chroma sample's terms
//! formed once and shared by its two pixels (and, for 4:2:0, by both rows of a row pair).
//!
//! Every value is the scalar rule's exact 32-bit sum. `vpermb` copies a sample `x` into all
//! four bytes of a dword and `vpmaddubsw` turns it into the word pair `(128 x, x)`, on which
//! `vpdpwssds` with the split weights `(c >> 7, c & 127)` adds `c x` exactly to an
//! accumulator. The chroma sums start from per-channel constants (the rounding half minus
//! `128 c` of each chroma term) and each pixel's sum is its chroma sum plus its luma
//! product, one more `vpdpwssds`. The chroma samples of a step are laid out so that lane
//! `i` of the two luma pair vectors holds pixels `2i` and `2i + 1`: the even pixel's
//! `sum >> 16` and the odd pixel's high word merge into one word vector in pixel order (one
//! shift, one masked move), an arithmetic `>> 4` finishes the `>> 20`, and `vpackuswb`
//! saturates. Two-source byte permutes (`vpermt2b`) interleave the channels for the stores.
//!
//! Two choices only serve the code LLVM generates. Every sum stays within +-2^30, so the
//! saturating `vpdpwssds` equals the wrapping `vpdpwssd`, but LLVM splits the latter back
//! into `vpmaddwd` + `vpaddd` (two uops instead of one). And `vpermb` with zero-masking would
//! form a pair in one step, but LLVM turns it into a two-source permute against a zero
//! vector, two uops on Intel cores.

use super::scalar::{CUB, CUG, CVG, CVR, CY, HALF};
use super::{Src, YuvLayout};
use crate::cpu::prefetch;
use crate::image::PixelFormat;
use std::arch::x86_64::*;

/// How far ahead of a step's output its cache lines are prefetched, in bytes. On 1080p
/// frames evicted from the caches between calls (the development Xeon under load),
/// prefetching the sources `prefetch::AHEAD` bytes and the output 1 KiB ahead cut the
/// median time by about 5 % (2 KiB measured the same), and by 2-5 % with warm caches.
const OUT_AHEAD: usize = 1024;

/// Prefetches the `BPP` output lines of a step `OUT_AHEAD` bytes on from `out`.
#[inline(always)]
fn prefetch_out<const BPP: usize>(out: *const u8) {
    for line in 0..BPP {
        let at = out.wrapping_add(OUT_AHEAD + 64 * line);
        // SAFETY: a prefetch reads no memory architecturally and never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast()) };
    }
}

/// `c = 128 hi + lo` (`0 <= lo < 128`) as the dword of `vpdpwssds` weights for a `(128 x, x)`
/// word pair (`hi` in the low word, `lo` in the high one): the pair's products sum to `c x`.
const fn weights(c: i32) -> i32 {
    (c.rem_euclid(128) << 16) | (c.div_euclid(128) & 0xffff)
}

/// Start of the chroma sum of a channel whose chroma weights sum to `c`: the rounding half
/// minus `128 c`, so that adding `c x` gives `c (x - 128)`.
const fn start(c: i32) -> i32 {
    HALF - 128 * c
}

/// Odd words: where the odd pixels' sums sit after the merge.
const ODD_WORDS: u32 = 0xAAAA_AAAA;

/// Byte of packed vector `x` that holds word `w` (0..32) of the `half` (0, 1) input of
/// `vpackuswb`: 16 bytes per lane, the first input's 8 words then the second's.
const fn packed(w: usize, half: usize) -> u8 {
    (16 * (w / 8) + 8 * half + w % 8) as u8
}

/// `vpermt2b` and `vpermb` indices of the three-byte stores. The 64 pixels' channel words
/// are packed as X1 = (first, green) of pixels 0-31, X2 = third of pixels 0-31 then 32-63,
/// X3 = (first, green) of pixels 32-63 ("first" is red for RGB, blue for BGR). Store 0
/// (pixels 0-21) takes X1 and X2, store 2 (pixels 42-63) X3 and X2, store 1 first and green
/// from X1 and X3, then the third channel from X2.
const fn rgb_tables() -> [[u8; 64]; 4] {
    let mut t = [[0u8; 64]; 4];
    let mut b = 0;
    while b < 192 {
        let (p, ch) = (b / 3, b % 3);
        let (chunk, i) = (b / 64, b % 64);
        let in_x2 = if p < 32 {
            packed(p, 0)
        } else {
            packed(p - 32, 1)
        };
        // First or green of pixel p in X1 (p < 32) or X3.
        let in_x13 = packed(p % 32, (ch == 1) as usize);
        if ch == 2 {
            // Store 1 takes the third channel with a one-source permute of X2.
            t[if chunk == 1 { 3 } else { chunk }][i] = if chunk == 1 { in_x2 } else { 64 + in_x2 };
        } else if chunk == 1 && p >= 32 {
            t[1][i] = 64 + in_x13;
        } else {
            t[chunk][i] = in_x13;
        }
        b += 1;
    }
    t
}

/// `vpermt2b` indices of the four-byte stores of pixels 0-15 and 16-31 from
/// Xa = (first, green) and Xb = (third, 255) of pixels 0-31; pixels 32-63 use the same
/// indices on the vectors of pixels 32-63.
const fn rgba_tables() -> [[u8; 64]; 2] {
    let mut t = [[0u8; 64]; 2];
    let mut b = 0;
    while b < 128 {
        let (p, ch) = (b / 4, b % 4);
        t[b / 64][b % 64] = match ch {
            0 => packed(p, 0),
            1 => packed(p, 1),
            2 => 64 + packed(p, 0),
            _ => 64 + packed(0, 1),
        };
        b += 1;
    }
    t
}

static RGB_IDX: [[u8; 64]; 4] = rgb_tables();
static RGBA_IDX: [[u8; 64]; 2] = rgba_tables();

/// Bytes of the third channel in store 1.
const THIRD_IN_STORE1: u64 = third_in_store1();

const fn third_in_store1() -> u64 {
    let mut m = 0u64;
    let mut i = 0;
    while i < 64 {
        if (64 + i) % 3 == 2 {
            m |= 1 << i;
        }
        i += 1;
    }
    m
}

/// The constants of one conversion: weights, chroma sum starts and permute indices.
struct K {
    wy: __m512i,
    wr: __m512i,
    wvg: __m512i,
    wug: __m512i,
    wb: __m512i,
    kr: __m512i,
    kg: __m512i,
    kb: __m512i,
    /// `vpmaddubsw` weights (64, 64, 1, 0): `(x, x, x, x)` to `(128 x, x)`.
    pair: __m512i,
    ff: __m512i,
    /// `vpermb` indices of the luma pairs: even and odd pixels of chroma samples 0-15,
    /// then of samples 16-31.
    luma: [__m512i; 4],
    /// `vpermb` indices of the U and V pairs of samples 0-15 and 16-31.
    u: [__m512i; 2],
    v: [__m512i; 2],
    out: [__m512i; 4],
}

impl K {
    /// `luma[k]` takes byte `ly[k].0 + ly[k].1 * i` for lane `i`, `u[t]` byte
    /// `cu[t].0 + cu[t].1 * i`, `v[t]` byte `cv[t].0 + cv[t].1 * i`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
    fn new(ly: [(i32, i32); 4], cu: [(i32, i32); 2], cv: [(i32, i32); 2], bpp: usize) -> K {
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        // Opaque to the optimizer: with known indices LLVM replaces some `vpermb` by a
        // `vshufi64x2` and two `vpshufb`, more shuffle uops in all.
        let idx = |(base, step): (i32, i32)| {
            let b = _mm512_add_epi32(
                _mm512_set1_epi32(std::hint::black_box(base)),
                _mm512_mullo_epi32(iota, _mm512_set1_epi32(step)),
            );
            _mm512_mullo_epi32(b, _mm512_set1_epi32(0x0101_0101))
        };
        let load = |t: &[u8; 64]| {
            // SAFETY: 64 readable bytes.
            unsafe { _mm512_loadu_si512(t.as_ptr().cast()) }
        };
        let out = if bpp == 3 {
            [
                load(&RGB_IDX[0]),
                load(&RGB_IDX[1]),
                load(&RGB_IDX[2]),
                load(&RGB_IDX[3]),
            ]
        } else {
            let z = _mm512_setzero_si512();
            [load(&RGBA_IDX[0]), load(&RGBA_IDX[1]), z, z]
        };
        K {
            wy: _mm512_set1_epi32(weights(CY)),
            wr: _mm512_set1_epi32(weights(CVR)),
            wvg: _mm512_set1_epi32(weights(CVG)),
            wug: _mm512_set1_epi32(weights(CUG)),
            wb: _mm512_set1_epi32(weights(CUB)),
            kr: _mm512_set1_epi32(start(CVR)),
            kg: _mm512_set1_epi32(start(CVG + CUG)),
            kb: _mm512_set1_epi32(start(CUB)),
            pair: _mm512_set1_epi32(0x0001_4040),
            ff: _mm512_set1_epi16(255),
            luma: [idx(ly[0]), idx(ly[1]), idx(ly[2]), idx(ly[3])],
            u: [idx(cu[0]), idx(cu[1])],
            v: [idx(cv[0]), idx(cv[1])],
            out,
        }
    }

    /// The `(128 x, x)` pairs of the bytes of `src` that `idx` picks.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
    fn pairs(&self, idx: __m512i, src: __m512i) -> __m512i {
        _mm512_maddubs_epi16(_mm512_permutexvar_epi8(idx, src), self.pair)
    }

    /// Chroma sums `[R, G, B][t]` of samples `16t..16t + 16` from the U and V sources of
    /// the two sample halves.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
    fn chroma(&self, us: [__m512i; 2], vs: [__m512i; 2]) -> [[__m512i; 2]; 3] {
        let z = _mm512_setzero_si512();
        let mut c = [[z; 2]; 3];
        for t in 0..2 {
            let (pu, pv) = (self.pairs(self.u[t], us[t]), self.pairs(self.v[t], vs[t]));
            c[0][t] = _mm512_dpwssds_epi32(self.kr, pv, self.wr);
            c[1][t] =
                _mm512_dpwssds_epi32(_mm512_dpwssds_epi32(self.kg, pv, self.wvg), pu, self.wug);
            c[2][t] = _mm512_dpwssds_epi32(self.kb, pu, self.wb);
        }
        c
    }

    /// Converts the 64 pixels whose luma bytes `luma` picks from `ys` (samples 0-15 from
    /// `ys[0]`, 16-31 from `ys[1]`, already reduced by 16 with saturation) with the chroma
    /// sums `c`, and stores them at `out` (blue first when `bgr`).
    ///
    /// # Safety
    /// `out` must have `64 * BPP` writable bytes.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
    unsafe fn pixels<const BPP: usize>(
        &self,
        c: &[[__m512i; 2]; 3],
        ys: [__m512i; 2],
        bgr: bool,
        out: *mut u8,
    ) {
        let z = _mm512_setzero_si512();
        let mut h = [[z; 2]; 3];
        for t in 0..2 {
            // Luma pairs of the even and odd pixels of samples 16t..16t + 16.
            let ye = self.pairs(self.luma[2 * t], ys[t]);
            let yo = self.pairs(self.luma[2 * t + 1], ys[t]);
            for ch in 0..3 {
                let se = _mm512_dpwssds_epi32(c[ch][t], ye, self.wy);
                let so = _mm512_dpwssds_epi32(c[ch][t], yo, self.wy);
                // Word 2i: pixel 2i's sum >> 16, word 2i + 1: pixel 2i + 1's.
                let w = _mm512_mask_mov_epi16(_mm512_srli_epi32::<16>(se), ODD_WORDS, so);
                h[ch][t] = _mm512_srai_epi16::<4>(w);
            }
        }
        let (f, g, th) = if bgr {
            (h[2], h[1], h[0])
        } else {
            (h[0], h[1], h[2])
        };
        // SAFETY: the caller guarantees 64 * BPP writable bytes at `out`.
        unsafe {
            if BPP == 3 {
                let x1 = _mm512_packus_epi16(f[0], g[0]);
                let x2 = _mm512_packus_epi16(th[0], th[1]);
                let x3 = _mm512_packus_epi16(f[1], g[1]);
                let o0 = _mm512_permutex2var_epi8(x1, self.out[0], x2);
                let o1 = _mm512_mask_permutexvar_epi8(
                    _mm512_permutex2var_epi8(x1, self.out[1], x3),
                    THIRD_IN_STORE1,
                    self.out[3],
                    x2,
                );
                let o2 = _mm512_permutex2var_epi8(x3, self.out[2], x2);
                _mm512_storeu_si512(out.cast(), o0);
                _mm512_storeu_si512(out.add(64).cast(), o1);
                _mm512_storeu_si512(out.add(128).cast(), o2);
            } else {
                for t in 0..2 {
                    let xa = _mm512_packus_epi16(f[t], g[t]);
                    let xb = _mm512_packus_epi16(th[t], self.ff);
                    let o = out.add(128 * t);
                    _mm512_storeu_si512(o.cast(), _mm512_permutex2var_epi8(xa, self.out[0], xb));
                    _mm512_storeu_si512(
                        o.add(64).cast(),
                        _mm512_permutex2var_epi8(xa, self.out[1], xb),
                    );
                }
            }
        }
    }
}

/// The AVX-512 rows of one conversion (layout and RGB8, BGR8, RGBA8 or BGRA8), with their
/// constants.
pub(crate) struct Rows {
    k: K,
    layout: YuvLayout,
    bpp: usize,
    bgr: bool,
}

impl Rows {
    /// The kernel for `layout` and `fmt` (a colour format).
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, BW, VBMI and VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
    pub(crate) unsafe fn new(layout: YuvLayout, fmt: PixelFormat) -> Rows {
        // Byte (base, step) of lane i of each pair vector in its source vector: luma of the
        // even and odd pixels of samples 0-15, then of samples 16-31; U and V of samples
        // 0-15 and 16-31. Semi-planar and planar rows read 64 luma bytes, 64 interleaved
        // chroma bytes or 32 of U and of V per step; packed rows two vectors of 32 pixels.
        let luma = [(0, 2), (1, 2), (32, 2), (33, 2)];
        let (ly, cu, cv) = match layout {
            YuvLayout::Nv12 => (luma, [(0, 2), (32, 2)], [(1, 2), (33, 2)]),
            YuvLayout::Nv21 => (luma, [(1, 2), (33, 2)], [(0, 2), (32, 2)]),
            YuvLayout::I420 | YuvLayout::Yv12 => (luma, [(0, 1), (16, 1)], [(0, 1), (16, 1)]),
            YuvLayout::Yuyv | YuvLayout::Uyvy | YuvLayout::Yvyu => {
                let (y, u, v) = layout.packed_offsets().expect("a packed layout");
                let (y, u, v) = (y as i32, u as i32, v as i32);
                (
                    [(y, 4), (y + 2, 4), (y, 4), (y + 2, 4)],
                    [(u, 4), (u, 4)],
                    [(v, 4), (v, 4)],
                )
            }
        };
        Rows {
            k: K::new(ly, cu, cv, fmt.bytes_per_pixel()),
            layout,
            bpp: fmt.bytes_per_pixel(),
            bgr: matches!(fmt, PixelFormat::Bgr8 | PixelFormat::Bgra8),
        }
    }

    /// Converts the rows in `outs` (one, or two 4:2:0 rows sharing `src`'s chroma row) as
    /// [`super::scalar::row`] does, 64 pixels per step with the last step overlapping the one
    /// before it; returns how many pixels of each row it converted: all of them, or none
    /// for rows narrower than 64 pixels.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, BW, VBMI and VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
    pub(crate) unsafe fn rows(&self, src: Src, outs: &mut [&mut [u8]]) -> usize {
        let n = outs[0].len() / self.bpp;
        if n < 64 {
            return 0;
        }
        // SAFETY: AVX-512 F, BW, VBMI and VNNI are available (this function's contract).
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

    /// [`Rows::rows`] for `R` rows of `BPP`-byte pixels, `n >= 64` pixels each.
    ///
    /// # Safety
    /// As [`Rows::rows`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
    unsafe fn run<const BPP: usize, const R: usize>(
        &self,
        src: Src,
        outs: [&mut &mut [u8]; R],
        n: usize,
    ) -> usize {
        let (k, bgr) = (&self.k, self.bgr);
        assert!(outs.iter().all(|o| o.len() == n * BPP));
        let sub16 = _mm512_set1_epi8(16);
        // Blocks start at 0, 64, ... and the last one at n - 64 (even, as n is).
        let last = n - 64;
        let starts = (0..=last.div_ceil(64)).map(|i| (64 * i).min(last));
        match src {
            Src::Semi { y, uv } => {
                assert!(y.iter().take(R).all(|r| r.len() >= n) && uv.len() >= n);
                for x in starts {
                    prefetch::ahead(uv.as_ptr().wrapping_add(x));
                    // SAFETY: bytes [x, x + 64) of `uv` and of every luma row (checked above).
                    let c = unsafe {
                        let c = _mm512_loadu_si512(uv.as_ptr().add(x).cast());
                        k.chroma([c, c], [c, c])
                    };
                    for r in 0..R {
                        prefetch::ahead(y[r].as_ptr().wrapping_add(x));
                        prefetch_out::<BPP>(outs[r].as_ptr().wrapping_add(x * BPP));
                        // SAFETY: as above; output row `r` holds n * BPP bytes.
                        unsafe {
                            let l = _mm512_loadu_si512(y[r].as_ptr().add(x).cast());
                            let l = _mm512_subs_epu8(l, sub16);
                            k.pixels::<BPP>(&c, [l, l], bgr, outs[r].as_mut_ptr().add(x * BPP));
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
                    // SAFETY: bytes [x / 2, x / 2 + 32) of `u` and `v` (checked above).
                    let c = unsafe {
                        let cu = _mm256_loadu_si256(u.as_ptr().add(x / 2).cast());
                        let cv = _mm256_loadu_si256(v.as_ptr().add(x / 2).cast());
                        let (cu, cv) = (_mm512_castsi256_si512(cu), _mm512_castsi256_si512(cv));
                        k.chroma([cu, cu], [cv, cv])
                    };
                    for r in 0..R {
                        prefetch::ahead(y[r].as_ptr().wrapping_add(x));
                        prefetch_out::<BPP>(outs[r].as_ptr().wrapping_add(x * BPP));
                        // SAFETY: bytes [x, x + 64) of every luma row (checked above); output
                        // row `r` holds n * BPP bytes.
                        unsafe {
                            let l = _mm512_loadu_si512(y[r].as_ptr().add(x).cast());
                            let l = _mm512_subs_epu8(l, sub16);
                            k.pixels::<BPP>(&c, [l, l], bgr, outs[r].as_mut_ptr().add(x * BPP));
                        }
                    }
                }
            }
            Src::Packed(p) => {
                assert!(R == 1 && p.len() >= 2 * n);
                let (yo, _, _) = self.layout.packed_offsets().expect("a packed layout");
                // 16 at the luma bytes, 0 at the chroma bytes.
                let sub = _mm512_set1_epi32((16 << (8 * yo)) | (16 << (8 * (yo + 2))));
                for x in starts {
                    prefetch::ahead(p.as_ptr().wrapping_add(2 * x));
                    prefetch::ahead(p.as_ptr().wrapping_add(2 * x + 64));
                    prefetch_out::<BPP>(outs[0].as_ptr().wrapping_add(x * BPP));
                    // SAFETY: bytes [2x, 2x + 128) of `p` (checked above); the output row
                    // holds n * BPP bytes.
                    unsafe {
                        let a = _mm512_loadu_si512(p.as_ptr().add(2 * x).cast());
                        let b = _mm512_loadu_si512(p.as_ptr().add(2 * x + 64).cast());
                        let (a, b) = (_mm512_subs_epu8(a, sub), _mm512_subs_epu8(b, sub));
                        let c = k.chroma([a, b], [a, b]);
                        k.pixels::<BPP>(&c, [a, b], bgr, outs[0].as_mut_ptr().add(x * BPP));
                    }
                }
            }
        }
        n
    }
}

/// Luma of a packed 4:2:2 row (`out[x] = p[2 x + Y]`, `Y` the byte of Y0 in its group), 64
/// pixels per step with the last step overlapping the one before it; returns how many
/// pixels it wrote: all, or none for rows narrower than 64 pixels.
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) unsafe fn gray_packed<const Y: usize>(p: &[u8], out: &mut [u8]) -> usize {
    let n = out.len();
    if n < 64 {
        return 0;
    }
    assert!(p.len() >= 2 * n);
    let low = _mm512_set1_epi16(0xff);
    // vpackuswb interleaves the 128-bit lanes of its inputs: qwords 0 2 4 6 1 3 5 7 restore
    // the order.
    let order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    let last = n - 64;
    for x in (0..=last.div_ceil(64)).map(|i| (64 * i).min(last)) {
        // SAFETY: bytes [2x, 2x + 128) of `p` and [x, x + 64) of `out` (checked above).
        unsafe {
            let q = p.as_ptr().add(2 * x);
            let (a, b) = (
                _mm512_loadu_si512(q.cast()),
                _mm512_loadu_si512(q.add(64).cast()),
            );
            let (a, b) = if Y == 0 {
                (_mm512_and_si512(a, low), _mm512_and_si512(b, low))
            } else {
                (_mm512_srli_epi16::<8>(a), _mm512_srli_epi16::<8>(b))
            };
            let v = _mm512_permutexvar_epi64(order, _mm512_packus_epi16(a, b));
            _mm512_storeu_si512(out.as_mut_ptr().add(x).cast(), v);
        }
    }
    n
}
