//! Gathers `out[i] = src[xs[i]]` of bytes ([`gray`]) and of whole 3- or 4-byte pixels
//! ([`pixels`]): the horizontal step of nearest-neighbour resizing (OpenCV's `INTER_NEAREST`
//! / `INTER_NEAREST_EXACT` and Pillow's `NEAREST`), where a table of source columns picks
//! one pixel per output.
//!
//! [`scalar::gray`] is the specification and the kernel of every ISA but AVX-512. On
//! AVX-512, blocks of 64 outputs whose source columns fit a 128-byte window (upscales and
//! downscales up to about 2x) are one byte permute when the CPU has VBMI, and other blocks
//! take 16 outputs per `vpgatherdd`. Measured on an Intel Xeon (AVX-512 VBMI, under KVM),
//! one thread, whole GRAY8 resizes against the earlier per-pixel loop: 3.3x on a 2x
//! upscale, 1.4-1.9x on downscales of 2x to 4x (`benches/peers_resize_grid.py --formats
//! gray --modes cv_nearest,cv_nearest_exact,pil_nearest`). Gathers are slower per element
//! on AMD Zen 4 than on Intel; this dispatch is not yet measured there.

//!
//! [`scalar::pixels`] is the specification of the pixel gather, and [`pixels`] its one
//! entry for every pixel size (1 byte goes to [`gray`]). On AVX2 and AVX-512, RGB and RGBA
//! rows take 8 pixels per `vpgatherdd` ([`avx2::pixels`]; the AVX-512 form measured no
//! faster). On SSE4.1 a step moves 4 pixels with `pinsrd` when the indices never decrease
//! ([`sse41::pixels_sorted`]). Every other case and the end of each row run the portable
//! kernel, which moves 3-byte pixels as 4-byte words ([`scalar::pixels_words`]). Measured
//! on the same Xeon, whole RGB8 NEAREST rows, the AVX2 gather against the SSE4.1 kernel:
//! 1001x667 -> 224x224 17.5 -> 13.3 us, 333x251 -> 224x224 16.1 -> 10.9 us, 333x251 ->
//! 666x502 99 -> 66 us, 1920x1080 -> 640x640 195 -> 193 us (bound by the source rows'
//! cache misses). Not measured on Zen 4 either.

pub mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
pub(super) mod sse41;

use crate::cpu::Isa;

/// [`scalar::gray`] on the kernel family `isa` (same bytes on every ISA).
pub fn gray(isa: Isa, src: &[u8], xs: &[u32], out: &mut [u8]) {
    let done = match isa {
        // SAFETY: `isa` is capped at what this CPU runs, so AVX-512 F/BW are present, and
        // `vbmi()` checks VBMI.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if super::vbmi() => unsafe { avx512::gray_vbmi(src, xs, out) },
        // SAFETY: as above, AVX-512 F/BW.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::gray_gather(src, xs, out) },
        _ => 0,
    };
    let n = xs.len().min(out.len());
    scalar::gray(src, &xs[done..n], &mut out[done..n]);
}

/// [`scalar::pixels`] on the kernel family `isa` (same bytes on every ISA). `sorted` says
/// that `xs` never decreases, which the SSE4.1 kernel needs; an unsorted table is gathered
/// too, by the other kernels. `cn` must not be 0.
pub fn pixels(isa: Isa, src: &[u8], xs: &[u32], sorted: bool, cn: usize, out: &mut [u8]) {
    if cn == 1 {
        return gray(isa, src, xs, out);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = sorted;
    let done = match isa {
        // SAFETY: `isa` is capped at what this CPU runs: AVX2 is present.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::pixels(src, xs, cn, out) },
        // SAFETY: as above, SSE4.1; `sorted` says `xs` never decreases.
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 if sorted => unsafe { sse41::pixels_sorted(src, xs, cn, out) },
        _ => 0,
    };
    scalar::pixels_words(src, &xs[done..], cn, &mut out[done * cn..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::test_noise::noise as bytes;

    /// Index tables as the resize plans build them (`floor((d + 0.5) * src / dst)`, every
    /// factor from 4x up to 1/5 down), and adversarial ones: unsorted, out of range, the
    /// `u32::MAX` marker, a jump past the 128-byte window in the middle of a block.
    fn tables(src_len: usize) -> Vec<Vec<u32>> {
        let mut t = Vec::new();
        for dst in [
            1,
            7,
            63,
            64,
            65,
            127,
            128,
            129,
            200,
            333,
            src_len / 2,
            src_len / 3,
            4 * src_len,
        ] {
            let dst = dst.max(1);
            t.push(
                (0..dst)
                    .map(|d| ((((2 * d + 1) * src_len) / (2 * dst)).min(src_len - 1)) as u32)
                    .collect(),
            );
        }
        let mut rev: Vec<u32> = (0..200)
            .map(|d| (src_len - 1 - d % src_len) as u32)
            .collect();
        t.push(rev.clone());
        rev[100] = u32::MAX;
        t.push(rev);
        let mut jump: Vec<u32> = (0..300).map(|d| d as u32 / 3).collect();
        jump[90] = (src_len - 1) as u32;
        t.push(jump);
        let mut out_of_range: Vec<u32> = (0..150).map(|d| d as u32).collect();
        out_of_range[149] = src_len as u32 + 5;
        t.push(out_of_range);
        t
    }

    #[test]
    fn every_isa_equals_the_specification() {
        for src_len in [1, 2, 63, 129, 130, 500, 1001] {
            // Offsets move the row start off any alignment.
            let buf = bytes(src_len + 3, src_len as u64);
            for off in 0..3 {
                let src = &buf[off..off + src_len];
                for xs in tables(src_len) {
                    for cut in [0, 1, 9] {
                        let xs = &xs[..xs.len().saturating_sub(cut)];
                        let mut want = vec![0xA5u8; xs.len() + 1];
                        scalar::gray(src, xs, &mut want);
                        for isa in Isa::available() {
                            // AVX-512 with and without VBMI (the permute or only gathers).
                            #[cfg(target_arch = "x86_64")]
                            for no_vbmi in [false, true] {
                                crate::image::resize::NO_VBMI.with(|c| c.set(no_vbmi));
                                let mut got = vec![0xA5u8; xs.len() + 1];
                                gray(isa, src, xs, &mut got);
                                crate::image::resize::NO_VBMI.with(|c| c.set(false));
                                assert_eq!(
                                    got,
                                    want,
                                    "{isa:?} (no VBMI: {no_vbmi}) src {src_len}+{off}, {} outputs",
                                    xs.len()
                                );
                            }
                            #[cfg(not(target_arch = "x86_64"))]
                            {
                                let mut got = vec![0xA5u8; xs.len() + 1];
                                gray(isa, src, xs, &mut got);
                                assert_eq!(got, want, "{isa:?} src {src_len}+{off}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_isa_gathers_pixels_as_the_specification() {
        for cn in [2, 3, 4, 5] {
            for src_px in [1, 2, 3, 63, 130, 501] {
                // Offsets move the row start off any alignment; the row ends exactly at the
                // last pixel, so the 4-byte loads of 3-byte pixels meet the end.
                let buf = bytes(src_px * cn + 5, (src_px * cn) as u64);
                for off in 0..5 {
                    let src = &buf[off..off + src_px * cn];
                    for xs in tables(src_px) {
                        for cut in [0, 1, 9] {
                            let xs = &xs[..xs.len().saturating_sub(cut)];
                            let mut want = vec![0xA5u8; xs.len() * cn + 7];
                            scalar::pixels(src, xs, cn, &mut want);
                            let mut words = vec![0xA5u8; xs.len() * cn + 7];
                            scalar::pixels_words(src, xs, cn, &mut words);
                            assert_eq!(words, want, "words cn {cn} src {src_px}+{off}");
                            // The SSE4.1 kernel runs only on tables said to be sorted.
                            let sorted = xs.windows(2).all(|w| w[0] <= w[1]);
                            for isa in Isa::available() {
                                for sorted in [sorted, false] {
                                    let mut got = vec![0xA5u8; xs.len() * cn + 7];
                                    pixels(isa, src, xs, sorted, cn, &mut got);
                                    assert_eq!(
                                        got,
                                        want,
                                        "{isa:?} cn {cn} sorted {sorted} src {src_px}+{off}, {} \
                                         outputs",
                                        xs.len()
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn pixel_specification_copies_whole_pixels_and_zeroes_outside() {
        let src = [1u8, 2, 3, 4, 5, 6, 7];
        let mut out = [9u8; 13];
        scalar::pixels(&src, &[1, 0, 2, u32::MAX], 3, &mut out);
        assert_eq!(out, [4, 5, 6, 1, 2, 3, 0, 0, 0, 0, 0, 0, 9]);
    }

    /// Pillow's NEAREST tables: increasing columns ending on the last pixel, with gaps and
    /// repeats, and the same with unfilled (`u32::MAX`) entries, for 1 to 5 bytes per pixel
    /// and rows that end exactly at the buffer's end or not.
    #[test]
    fn every_isa_gathers_pillow_tables_as_the_specification() {
        let data = bytes(5 * 61 + 8, 77);
        for cn in 1..=5 {
            for src_px in [1usize, 2, 5, 16, 61] {
                for (off, slack) in [(0, 0), (1, 0), (3, 2)] {
                    let src = &data[off..off + src_px * cn + slack];
                    let src = &src[..src_px * cn];
                    for n in [0usize, 1, 3, 4, 5, 7, 8, 13, 33] {
                        let inc: Vec<u32> =
                            (0..n).map(|i| ((i * src_px) / n.max(1)) as u32).collect();
                        let mut last = inc.clone();
                        if let Some(l) = last.last_mut() {
                            *l = src_px as u32 - 1;
                        }
                        let mut holes = last.clone();
                        for c in holes.iter_mut().skip(2).step_by(3) {
                            *c = u32::MAX;
                        }
                        for xs in [inc, last, holes] {
                            let sorted = xs.windows(2).all(|w| w[0] <= w[1]);
                            let mut want = vec![0xA5u8; n * cn];
                            scalar::pixels(src, &xs, cn, &mut want);
                            let mut got = vec![0x5Au8; n * cn];
                            scalar::pixels_words(src, &xs, cn, &mut got);
                            assert_eq!(got, want, "words cn {cn} src {src_px} n {n} {xs:?}");
                            for isa in Isa::available() {
                                let mut got = vec![0x5Au8; n * cn];
                                pixels(isa, src, &xs, sorted, cn, &mut got);
                                assert_eq!(got, want, "{isa:?} cn {cn} src {src_px} {xs:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// The SSE4.1 kernel itself runs: whole steps on a 2x upscale table, stopping before a
    /// step whose last load would pass the end, and at the `u32::MAX` marker.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse41_pixel_kernel_does_whole_steps() {
        if !Isa::available().contains(&Isa::Sse41) {
            return;
        }
        let src = bytes(300 * 3, 6);
        let up: Vec<u32> = (0..100).map(|d| d / 2).collect();
        let mut out = vec![0u8; 100 * 4];
        // SAFETY: SSE4.1 is available (checked above); the tables never decrease.
        unsafe {
            // 100 pixels of 3 bytes: the last step's 16-byte store would pass the 300 bytes.
            assert_eq!(sse41::pixels_sorted(&src, &up, 3, &mut out[..300]), 96);
            assert_eq!(sse41::pixels_sorted(&src, &up, 4, &mut out), 100);
            let end: Vec<u32> = (292..300).collect();
            assert_eq!(sse41::pixels_sorted(&src, &end, 3, &mut out), 4);
            let mut marked = up.clone();
            marked[99] = u32::MAX;
            assert_eq!(sse41::pixels_sorted(&src, &marked, 4, &mut out), 96);
            assert_eq!(sse41::pixels_sorted(&src, &up, 2, &mut out), 0);
        }
    }

    /// The AVX2 kernel itself (not only the scalar remainder) runs: whole steps on 2x
    /// upscale and 3x downscale tables, stopping before an index whose load would pass the
    /// end.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_pixel_kernel_does_whole_steps() {
        if !Isa::available().contains(&Isa::Avx2) {
            return;
        }
        let src = bytes(300 * 3, 5);
        let up: Vec<u32> = (0..100).map(|d| d / 2).collect();
        let down: Vec<u32> = (0..100).map(|d| d * 3 % 300).collect();
        let mut out = vec![0u8; 100 * 4];
        // SAFETY: AVX2 is available (checked above).
        unsafe {
            assert_eq!(avx2::pixels(&src, &up, 3, &mut out), 96);
            assert_eq!(avx2::pixels(&src, &down, 3, &mut out), 96);
            // 300 pixels of 3 bytes: pixel 299's 4-byte load would pass the end.
            let end: Vec<u32> = (292..300).collect();
            assert_eq!(avx2::pixels(&src, &end, 3, &mut out), 0);
            assert_eq!(avx2::pixels(&src[..900 - 4], &up, 4, &mut out), 96);
            assert_eq!(avx2::pixels(&src, &up, 2, &mut out), 0);
        }
    }

    #[test]
    fn specification_reads_indices_and_zeroes_outside() {
        let src = [10u8, 20, 30];
        let mut out = [9u8; 5];
        scalar::gray(&src, &[2, 0, 3, u32::MAX, 1], &mut out);
        assert_eq!(out, [30, 10, 0, 0, 20]);
    }

    /// The AVX-512 kernels themselves (not only the scalar remainder) run: whole blocks
    /// done on 2x upscale, 1.5x and 3x downscale tables, with and without VBMI.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_kernels_do_whole_blocks() {
        if !Isa::available().contains(&Isa::Avx512) || !super::super::vbmi() {
            return;
        }
        let src = bytes(1000, 7);
        let up: Vec<u32> = (0..1000).map(|d| d / 2).collect();
        let down: Vec<u32> = (0..600).map(|d| d * 3 / 2).collect();
        let down3: Vec<u32> = (0..330).map(|d| d * 3).collect();
        for xs in [up, down, down3] {
            let mut want = vec![0u8; xs.len()];
            scalar::gray(&src, &xs, &mut want);
            for vbmi in [true, false] {
                let mut out = vec![0u8; xs.len()];
                // SAFETY: the CPU has AVX-512 F/BW and VBMI (checked above).
                let done = unsafe {
                    if vbmi {
                        avx512::gray_vbmi(&src, &xs, &mut out)
                    } else {
                        avx512::gray_gather(&src, &xs, &mut out)
                    }
                };
                assert!(done >= xs.len() - 64, "vbmi {vbmi}: {done} of {}", xs.len());
                assert_eq!(out[..done], want[..done], "vbmi {vbmi}");
            }
        }
    }
}
