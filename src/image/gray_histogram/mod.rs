//! Colour to gray and the histogram of that gray in one pass: the first pass of
//! [`binarize_otsu`](super::binarize::binarize_otsu).
//!
//! For every pixel the gray value is [`gray::scalar::gray_px`](super::gray::scalar::gray_px)
//! (`(9798 R + 19235 G + 3735 B + 16384) >> 15`); it is written to the destination row and
//! counted once in [`SubHist`]. The sum of the sub-histograms is the histogram; how the
//! pixels are spread over them is the kernel's business (it only breaks chains of
//! increments of one counter), so only that sum is specified and tested.
//!
//! SSE4.1, AVX2 and AVX-512 run one loop that converts 64 pixels in registers, stores them and
//! counts the 64 it stored one step earlier, so the conversion's vector work runs under the
//! count's one store per pixel (see `avx2.rs`; AVX-512 runs the AVX2 loop); the other
//! families convert an L1-sized chunk with their gray kernel and count it after
//! ([`scalar::gray_count_row`]).

pub(crate) mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod sse41;

use crate::cpu::Isa;

/// [`SUBS`] sub-histograms of u32 counters; their sum is the histogram. The caller keeps every
/// counter below 2^32 (it adds at most `dst.len()` per call).
pub(crate) type SubHist = [[u32; 256]; SUBS];

/// Sub-histograms, by pixel position. Smooth input repeats a gray value every few pixels,
/// and two increments of one counter wait for each other through memory; with 16 they are
/// at least 16 pixels apart. Alternated A/B of the fused call (RGB8, one thread, under
/// load): photo-like 1024^2 0.869 -> 0.839 ms and 4096^2 11.2 -> 9.8 ms against 8
/// sub-histograms, noise within 1 %; 8 had measured 2-3 % faster than 4, and 32 no faster
/// than 16.
pub(crate) const SUBS: usize = 16;

/// Adds the 32 gray bytes at `p` to `h`, read as four 8-byte words whose bytes are shifted
/// out (byte loads of the same bytes measured 6-9 % slower on photo-like input, 1024^2 RGB8
/// 0.532-0.563 against 0.498-0.512 ms alternated, and the same on noise).
///
/// # Safety
/// The 32 bytes at `p` must be readable.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) unsafe fn count32(p: *const u8, h: &mut SubHist) {
    for w in 0..4 {
        // SAFETY: the caller guarantees 32 readable bytes at `p`.
        let v = unsafe { p.add(8 * w).cast::<u64>().read_unaligned() };
        for k in 0..8 {
            h[(8 * w + k) % SUBS][((v >> (8 * k)) & 0xff) as usize] += 1;
        }
    }
}

/// Adds the 64 gray bytes at `p` to `h` (`run`: they are all equal).
///
/// # Safety
/// The 64 bytes at `p` must be readable.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) unsafe fn count64(p: *const u8, run: bool, h: &mut SubHist) {
    // SAFETY: the caller guarantees 64 readable bytes at `p`.
    unsafe {
        if run {
            h[0][*p as usize] += 64;
        } else {
            count32(p, h);
            count32(p.add(32), h);
        }
    }
}

/// Converts the `dst.len()` pixels of `bpp` (3 or 4) bytes in `src`, whose bytes 0, 1, 2
/// carry the weights `w`, to gray into `dst` and adds those gray values to `h`.
pub(crate) fn gray_count_row(
    isa: Isa,
    src: &[u8],
    dst: &mut [u8],
    bpp: usize,
    w: [u32; 3],
    h: &mut SubHist,
) {
    let done = match isa {
        // SAFETY: `kernel_isa`/`with_isa` only report families this CPU runs; AVX-512
        // implies AVX2.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::gray_count_row(src, dst, bpp, w, h) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::gray_count_row(src, dst, bpp, w, h) },
        _ => 0,
    };
    scalar::gray_count_row(isa, &src[done * bpp..], &mut dst[done..], bpp, w, h);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu;
    use crate::image::test_noise::noise;

    /// Pixels that are noise, long runs of one colour (whole uniform 32-pixel halves), runs
    /// broken by one pixel, black and white.
    fn crafted(n: usize, bpp: usize, seed: u64) -> Vec<u8> {
        let mut v = noise(n * bpp, seed);
        for (i, px) in v.chunks_exact_mut(bpp).enumerate() {
            let c = match (i / 97) % 5 {
                0 => continue,
                1 => [200, 200, 200],
                2 if i % 41 == 0 => [0, 0, 0],
                2 => [255, 255, 255],
                3 => [(i / 7) as u8, 3, 250],
                _ => [12, 34, 56],
            };
            px[..3].copy_from_slice(&c);
        }
        v
    }

    /// Independent restatement: the documented formula, then a plain count.
    fn reference(src: &[u8], n: usize, bpp: usize, w: [u32; 3]) -> (Vec<u8>, [u64; 256]) {
        let mut h = [0u64; 256];
        let g: Vec<u8> = src
            .chunks_exact(bpp)
            .take(n)
            .map(|p| {
                let v = ((w[0] * p[0] as u32 + w[1] * p[1] as u32 + w[2] * p[2] as u32 + 16384)
                    >> 15) as u8;
                h[v as usize] += 1;
                v
            })
            .collect();
        (g, h)
    }

    fn total(h: &SubHist) -> [u64; 256] {
        let mut t = [0u64; 256];
        for p in h {
            for (t, &c) in t.iter_mut().zip(p) {
                *t += c as u64;
            }
        }
        t
    }

    #[test]
    fn every_isa_matches_reference_on_odd_lengths_and_unaligned_starts() {
        let ws = [[9798, 19235, 3735], [3735, 19235, 9798]];
        for bpp in [3usize, 4] {
            for n in (0..=200).chain([255, 256, 257, 1000, 4099]) {
                for off in [0usize, 1, 3] {
                    for k in 0..2 {
                        let buf = if k == 0 {
                            noise(off + n * bpp + 5, n as u64)
                        } else {
                            let mut b = vec![0u8; off];
                            b.extend(crafted(n + 2, bpp, n as u64));
                            b
                        };
                        let w = ws[(n + off) % 2];
                        let src = &buf[off..off + n * bpp];
                        let (g0, h0) = reference(src, n, bpp, w);
                        for isa in Isa::available() {
                            let mut out = vec![0xA5u8; off + n + 3];
                            // A histogram that already holds counts: the kernel adds.
                            let mut h: SubHist = [[1; 256]; SUBS];
                            cpu::with_isa(isa, |isa| {
                                gray_count_row(isa, src, &mut out[off..off + n], bpp, w, &mut h)
                            });
                            let ctx = format!("{isa:?} bpp {bpp} n {n} off {off} kind {k}");
                            assert_eq!(&out[off..off + n], &g0[..], "{ctx}");
                            assert!(out[..off].iter().all(|&v| v == 0xA5), "{ctx}");
                            assert!(out[off + n..].iter().all(|&v| v == 0xA5), "{ctx}");
                            let mut want = h0;
                            want.iter_mut().for_each(|c| *c += SUBS as u64);
                            assert_eq!(total(&h), want, "{ctx}");
                        }
                    }
                }
            }
        }
    }

    /// No kernel reads past the row: rows of the
    /// [`WIDTHS`](crate::test_guard::WIDTHS) lengths and around 192 whose last byte
    /// is the one before an inaccessible page, noise and runs, RGB and RGBA; every ISA's
    /// gray row and histogram equal the reference.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn no_kernel_reads_past_the_row() {
        use crate::test_guard::{Guarded, WIDTHS};
        let w = [9798, 19235, 3735];
        let lens = WIDTHS.into_iter().chain([191, 192, 193]);
        for bpp in [3usize, 4] {
            for n in lens.clone() {
                for k in 0..2 {
                    let data = if k == 0 {
                        noise(n * bpp, n as u64)
                    } else {
                        crafted(n, bpp, n as u64)
                    };
                    let guarded = Guarded::new(&data);
                    let src = guarded.as_slice();
                    let (g0, h0) = reference(src, n, bpp, w);
                    for isa in Isa::available() {
                        let mut out = vec![0u8; n];
                        let mut h: SubHist = [[0; 256]; SUBS];
                        cpu::with_isa(isa, |isa| {
                            gray_count_row(isa, src, &mut out, bpp, w, &mut h)
                        });
                        assert_eq!(out, g0, "{isa:?} bpp {bpp} n {n} kind {k}");
                        assert_eq!(total(&h), h0, "{isa:?} bpp {bpp} n {n} kind {k}");
                    }
                }
            }
        }
    }
}
