//! Element blocks of the horizontal pass for the AVX-512 VBMI + VNNI kernel
//! ([`super::avx512::h_rows_blocks`]): the destination row as blocks of [`BLOCK`] elements
//! (block `b` is elements `BLOCK * b..BLOCK * (b + 1)`, element `e` = channel `e % bpp` of
//! output `e / bpp`), one element per 32-bit lane, so that no lane idles whatever the
//! channel count and 16 finished bytes are stored at once.
//!
//! Tap `t` of element `e` is source byte `(start[x] + t) * bpp + c`. A block qualifies when
//! its elements' first bytes lie within 64 - 3 * bpp bytes of the lowest one, its window
//! `w`: then taps `4g..4g + 4` of every element are bytes `off(e) + i * bpp` (i < 4) of
//! the 64 bytes at `w + 4 g bpp`, one `vpermb` puts them in the element's lane, and
//! three `vpdpbusd` multiply them with the coefficient byte planes of
//! [`super::coeffs::Axis::k8`] (`k = a 2^16 + b 2^8 + c`), exactly as
//! [`super::avx512::h_rows_vnni8`] does with taps along the lanes. Downscales of more than
//! about 4 (3 channels) spread a block over more than 64 bytes; their blocks take a
//! 128-byte window (two loads and one `vpermt2b` per group) while the block fits one, up to
//! a downscale of about 7 (3 channels), and past that a 64-byte window per quarter (4
//! elements, at most 2 pixels, four merging `vpermb`). The first of these layouts that
//! covers at least 7/8 of the blocks the widest-reaching one covers is taken.

use super::coeffs::Axis;

/// Elements per block: one 512-bit vector of 32-bit lanes.
pub const BLOCK: usize = 16;

/// Most windows per block (one per 4 elements); [`HBlocks::wb`] holds this many per block.
pub const QUARTERS: usize = 4;

/// The layouts in order of cost: (windows per block, window bytes). 64-byte windows take
/// one `vpermb` each per group and row, 128-byte ones one `vpermt2b` of two loads.
/// RGB8, `h_pass` alone, us per row, one layout forced at a time, alternated
/// (`pillow::rgbtiming`): 1001 -> 250 BOX 0.338 (quarters) -> 0.227 (one 128-byte window),
/// BICUBIC 0.709 -> 0.458; 4032 -> 640 BICUBIC 2.31 -> 1.40; 3840 -> 512 LANCZOS 2.88 ->
/// 2.03; 1920 -> 640 BICUBIC 0.586 (one 64-byte window) against 0.693 (one 128-byte
/// window). A window per half block (two `vpermt2b` merged through the index) measured
/// level with quarters (1920 -> 224 BILINEAR 0.611 against 0.638, 2560 -> 224 BICUBIC
/// 1.329 against 1.299) and is not built.
const LAYOUTS: [(usize, usize); 3] = [(1, 64), (1, 128), (QUARTERS, 64)];

#[cfg(test)]
thread_local! {
    /// Set to make [`HBlocks::new`] take the layout `LAYOUTS[i]` (tests cover every kernel).
    pub static FORCE_LAYOUT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Layouts [`HBlocks::new`] may take ([`FORCE_LAYOUT`] indices).
#[cfg(test)]
pub const N_LAYOUTS: usize = LAYOUTS.len();

/// The block tables of one horizontal axis at one channel count.
#[derive(Debug)]
pub struct HBlocks {
    /// Blocks `lo..hi` qualify (the first run of them).
    pub lo: usize,
    /// End of that run.
    pub hi: usize,
    /// Groups of 4 taps: `taps.div_ceil(4)`.
    pub groups: usize,
    /// Bytes per pixel.
    pub bpp: usize,
    /// Windows per block: 1 or [`QUARTERS`] (one per 4 elements); each takes one permute
    /// per group and row.
    pub parts: usize,
    /// Whether the windows are 128 bytes (`vpermt2b` of two loads) rather than 64 (`vpermb`
    /// of one); only with 1 part.
    pub wide: bool,
    /// `wb[4 * (b - lo) + q]`: the window of quarter `q` of block `b`, as a byte offset in
    /// a full source row (each part's window repeated over its quarters).
    pub wb: Vec<u32>,
    /// `ix[(b - lo) * 64..][4 * l + i]`: the byte of tap `4g + i` of lane `l` in its
    /// window for group `g` (`off(e) + i * bpp`, below the window's size).
    pub ix: Vec<u8>,
    /// `kc[((b - lo) * groups + g) * 3 + j][4 * l + i]` (64 bytes each): plane `j` (`a`,
    /// `b`, `c`) of the coefficient of tap `4g + i` of lane `l` (0 past the taps).
    pub kc: Vec<i8>,
}

impl HBlocks {
    /// The blocks of `axis` at `bpp` bytes per pixel; `None` when no block qualifies or the
    /// coefficients do not split into bytes.
    pub fn new(axis: &Axis, bpp: usize) -> Option<HBlocks> {
        if axis.k8.is_empty() || bpp == 0 {
            return None;
        }
        let n = axis.start.len() * bpp;
        let first = |e: usize| axis.start[e / bpp] as usize * bpp + e % bpp;
        // The window of elements `es`, if their taps of a group fit `span` bytes.
        let window = |es: std::ops::Range<usize>, span: usize| {
            let wb = es.clone().map(first).min()?;
            es.clone()
                .all(|e| first(e) - wb + 3 * bpp < span)
                .then_some(wb)
        };
        // Block `b`'s windows: one per part (repeated over the quarters).
        let windows = |b: usize, (parts, span): (usize, usize)| -> Option<[usize; QUARTERS]> {
            let q = BLOCK / parts;
            let mut w = [0; QUARTERS];
            for (p, wp) in w.iter_mut().enumerate() {
                let part = p * parts / QUARTERS;
                *wp = window(BLOCK * b + q * part..BLOCK * b + q * (part + 1), span)?;
            }
            Some(w)
        };
        let nb = n / BLOCK;
        let run = |layout: (usize, usize)| {
            let lo = (0..nb)
                .find(|&b| windows(b, layout).is_some())
                .unwrap_or(nb);
            let hi = (lo..nb)
                .find(|&b| windows(b, layout).is_none())
                .unwrap_or(nb);
            (lo, hi)
        };
        // The cheapest layout that covers 7/8 of the most any covers (the outputs outside
        // the blocks take the slower per-output kernels).
        let runs = LAYOUTS.map(run);
        let most = runs.iter().map(|&(lo, hi)| hi - lo).max().unwrap_or(0);
        if most == 0 {
            return None;
        }
        let i = (0..LAYOUTS.len())
            .find(|&i| 8 * (runs[i].1 - runs[i].0) >= 7 * most)
            .unwrap_or(0);
        #[cfg(test)]
        let i = FORCE_LAYOUT.with(|c| c.get()).unwrap_or(i);
        let ((lo, hi), layout) = (runs[i], LAYOUTS[i]);
        if lo == hi {
            return None;
        }
        let groups = axis.taps.div_ceil(4);
        let n16 = axis.n16;
        let mut wb = Vec::with_capacity(QUARTERS * (hi - lo));
        let mut ix = Vec::with_capacity(64 * (hi - lo));
        let mut kc = Vec::with_capacity(64 * 3 * groups * (hi - lo));
        for b in lo..hi {
            let w = windows(b, layout)?;
            wb.extend(w.iter().map(|&x| x as u32));
            for (l, e) in (BLOCK * b..BLOCK * (b + 1)).enumerate() {
                let off = first(e) - w[l * QUARTERS / BLOCK];
                ix.extend((0..4).map(|i| (off + i * bpp) as u8));
            }
            for g in 0..groups {
                for j in 0..3 {
                    for e in BLOCK * b..BLOCK * (b + 1) {
                        let plane = &axis.k8[(e / bpp) * 3 * n16 + j * n16..][..n16];
                        kc.extend_from_slice(&plane[4 * g..4 * g + 4]);
                    }
                }
            }
        }
        Some(HBlocks {
            lo,
            hi,
            groups,
            bpp,
            parts: layout.0,
            wide: layout.1 == 128,
            wb,
            ix,
            kc,
        })
    }

    /// Blocks wholly inside the destination elements `e0..e1` whose windows, for every
    /// group, lie inside a source row that starts at byte `base` of a full row and has
    /// `row_len` bytes; empty if none.
    pub fn range(&self, e0: usize, e1: usize, base: usize, row_len: usize) -> (usize, usize) {
        let b0 = e0.div_ceil(BLOCK).max(self.lo);
        let mut b1 = (e1 / BLOCK).min(self.hi);
        let reach = 4 * (self.groups - 1) * self.bpp + if self.wide { 128 } else { 64 };
        let fits = |b: usize| {
            let k = QUARTERS * (b - self.lo);
            self.wb[k..k + QUARTERS]
                .iter()
                .all(|&w| w as usize >= base && w as usize - base + reach <= row_len)
        };
        // Windows move right with the blocks (up to trimming at the edges): keep the
        // longest prefix whose every block fits.
        if b0 < b1 {
            b1 = (b0..b1).find(|&b| !fits(b)).unwrap_or(b1);
        }
        if b0 < b1 {
            (b0, b1)
        } else {
            (0, 0)
        }
    }
}
