//! Element blocks of the horizontal pass for the AVX-512 VBMI + VNNI kernel
//! ([`super::avx512::h_rows_blocks`]): the destination row as blocks of [`BLOCK`] elements
//! (block `b` is elements `BLOCK * b..BLOCK * (b + 1)`, element `e` = channel `e % bpp` of
//! output `e / bpp`), one element per 32-bit lane, so that no lane idles whatever the
//! channel count and 16 finished bytes are stored at once.
//!
//! Tap `t` of element `e` is source byte `(start[x] + t) * bpp + c`. A block qualifies when
//! its elements' first bytes lie within 64 - 3 * bpp bytes of the lowest one, its window
//! `wb[b]`: then taps `4g..4g + 4` of every element are bytes `off(e) + i * bpp` (i < 4) of
//! the 64 bytes at `wb[b] + 4 g bpp`, one `vpermb` puts them in the element's lane, and
//! three `vpdpbusd` multiply them with the coefficient byte planes of
//! [`super::coeffs::Axis::k8`] (`k = a 2^14 + b 2^7 + c`), exactly as
//! [`super::avx512::h_rows_vnni8`] does with taps along the lanes. Downscales of more than
//! about 4 (3 channels) spread a block over more than 64 bytes and have no blocks.

use super::coeffs::Axis;

/// Elements per block: one 512-bit vector of 32-bit lanes.
pub const BLOCK: usize = 16;

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
    /// `wb[b - lo]`: the block's window, as a byte offset in a full source row.
    pub wb: Vec<u32>,
    /// `ix[(b - lo) * 64..][4 * l + i]`: the byte of tap `4g + i` of lane `l` in each
    /// group's window (`off(e) + i * bpp`).
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
        let window = |b: usize| {
            let es = BLOCK * b..BLOCK * (b + 1);
            let wb = es.clone().map(first).min()?;
            es.clone()
                .all(|e| first(e) - wb + 3 * bpp < 64)
                .then_some(wb)
        };
        let nb = n / BLOCK;
        let lo = (0..nb).find(|&b| window(b).is_some())?;
        let hi = (lo..nb).find(|&b| window(b).is_none()).unwrap_or(nb);
        let groups = axis.taps.div_ceil(4);
        let n16 = axis.n16;
        let mut wb = Vec::with_capacity(hi - lo);
        let mut ix = Vec::with_capacity(64 * (hi - lo));
        let mut kc = Vec::with_capacity(64 * 3 * groups * (hi - lo));
        for b in lo..hi {
            let w = window(b)?;
            wb.push(w as u32);
            for e in BLOCK * b..BLOCK * (b + 1) {
                let off = first(e) - w;
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
        let reach = 4 * (self.groups - 1);
        let fits = |b: usize| {
            let w = self.wb[b - self.lo] as usize;
            w >= base && w - base + 64 + reach * self.bpp <= row_len
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
