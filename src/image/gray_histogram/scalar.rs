//! The chunked form, and the specification: gray values by the family's
//! [`gray_row`](crate::image::gray::gray_row) (scalar: `gray_px`, one pixel at a time) into
//! `dst`, one L1-sized chunk at a time, each chunk counted with
//! [`threshold::scalar::histogram_add`](crate::image::threshold::scalar::histogram_add) while
//! it is still in L1.

use super::SubHist;
use crate::cpu::Isa;
use crate::image::gray::gray_row;
use crate::image::threshold::scalar::histogram_add;

/// Pixels converted and counted per step: 2 KiB of gray plus at most 8 KiB of colour stay in
/// L1 between the conversion and the count. Measured at 1024^2 RGB8: 64, 128, 512, 2048 and
/// 16384 pixels all ran within noise of each other (the count, about one store per pixel,
/// dominates), so this is chosen to stay well inside L1.
const CHUNK: usize = 2048;

/// Converts `dst.len()` pixels of `bpp` bytes from `src` with `isa`'s gray kernel and adds
/// them to `h` (to its first four sub-histograms, the layout `histogram_add` counts into).
pub(crate) fn gray_count_row(
    isa: Isa,
    src: &[u8],
    dst: &mut [u8],
    bpp: usize,
    w: [u32; 3],
    h: &mut SubHist,
) {
    let (h4, _) = h
        .split_first_chunk_mut::<4>()
        .expect("at least 4 sub-histograms");
    for (s, d) in src.chunks(CHUNK * bpp).zip(dst.chunks_mut(CHUNK)) {
        gray_row(isa, s, d, bpp, w);
        histogram_add(d, h4);
    }
}
