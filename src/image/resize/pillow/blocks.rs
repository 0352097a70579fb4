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
//! about 4 (3 channels) spread a block over more than 64 bytes; their blocks take a window
//! per quarter (4 elements, at most 2 pixels) and four merging `vpermb` per group.

use super::coeffs::Axis;

/// Elements per block: one 512-bit vector of 32-bit lanes.
pub const BLOCK: usize = 16;

/// Windows per block when one does not hold the block's taps: one per 4 elements.
pub const QUARTERS: usize = 4;

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
    /// Whether each quarter of a block (4 elements) has a window of its own: for
    /// downscales of more than about 4 (3 channels), whose blocks spread over more than 64
    /// bytes; each group then takes four `vpermb`, one per window, per row.
    pub quarters: bool,
    /// `wb[4 * (b - lo) + q]`: the window of quarter `q` of block `b`, as a byte offset in
    /// a full source row (the same four times without [`HBlocks::quarters`]).
    pub wb: Vec<u32>,
    /// `ix[(b - lo) * 64..][4 * l + i]`: the byte of tap `4g + i` of lane `l` in its
    /// window for group `g` (`off(e) + i * bpp`).
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
        // The window of elements `es`, if their taps of a group fit 64 bytes.
        let window = |es: std::ops::Range<usize>| {
            let wb = es.clone().map(first).min()?;
            es.clone()
                .all(|e| first(e) - wb + 3 * bpp < 64)
                .then_some(wb)
        };
        // Block `b`'s windows: one, or one per quarter (repeated to 4 either way).
        let windows = |b: usize, parts: usize| -> Option<[usize; QUARTERS]> {
            let q = BLOCK / parts;
            let mut w = [0; QUARTERS];
            for (p, wp) in w.iter_mut().enumerate() {
                let part = p * parts / QUARTERS;
                *wp = window(BLOCK * b + q * part..BLOCK * b + q * (part + 1))?;
            }
            Some(w)
        };
        let nb = n / BLOCK;
        let run = |parts: usize| {
            let lo = (0..nb).find(|&b| windows(b, parts).is_some()).unwrap_or(nb);
            let hi = (lo..nb)
                .find(|&b| windows(b, parts).is_none())
                .unwrap_or(nb);
            (lo, hi)
        };
        // One window per block, unless a window per quarter covers more than twice the
        // blocks (downscales past about 4 for 3 channels, where single windows cover none).
        let ((lo, hi), (qlo, qhi)) = (run(1), run(QUARTERS));
        let (lo, hi, parts) = if qhi - qlo > 2 * (hi - lo) {
            (qlo, qhi, QUARTERS)
        } else {
            (lo, hi, 1)
        };
        if lo == hi {
            return None;
        }
        let groups = axis.taps.div_ceil(4);
        let n16 = axis.n16;
        let mut wb = Vec::with_capacity(QUARTERS * (hi - lo));
        let mut ix = Vec::with_capacity(64 * (hi - lo));
        let mut kc = Vec::with_capacity(64 * 3 * groups * (hi - lo));
        for b in lo..hi {
            let w = windows(b, parts)?;
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
            quarters: parts == QUARTERS,
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
        let reach = 4 * (self.groups - 1) * self.bpp;
        let fits = |b: usize| {
            let k = QUARTERS * (b - self.lo);
            self.wb[k..k + QUARTERS]
                .iter()
                .all(|&w| w as usize >= base && w as usize - base + 64 + reach <= row_len)
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
