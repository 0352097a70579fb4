//! The reference OpenCV resize: how `cv::resize` (OpenCV 5.1, opencv-python-headless 5.1.0.95) builds
//! its coefficient tables, and the row kernels that apply them one element at a time. Every
//! SIMD kernel must produce the same bytes.
//!
//! An "element" is one channel of one pixel: destination element `e = dx * cn + c`. Every
//! horizontal table is tap-major (`idx[t * n + e]`, `w[t * n + e]`, `n` elements), holding
//! byte offsets into a source row, so that a window of elements is a contiguous slice of each
//! tap's row and the kernels are plain gathers.
//!
//! Float rules: OpenCV computes positions in `f64` and converts them to `f32` where the C++
//! code does (`(float)((dx + 0.5) * scale - 0.5)`), `cvRound` is round-half-to-even, and no
//! operation is fused (OpenCV's baseline x86-64 build has no FMA); Rust never contracts
//! `a * b + c`, so the plain expressions below are the exact operations.

/// Fractional bits of the fixed-point coefficients of `INTER_LINEAR` and `INTER_CUBIC` on
/// 8-bit images (OpenCV's `INTER_RESIZE_COEF_BITS`).
pub const COEF_BITS: u32 = 11;
/// `1 << COEF_BITS`.
pub const COEF_SCALE: i32 = 1 << COEF_BITS;

/// OpenCV's `cvRound` on a `f32` (round half to even), then `saturate_cast<short>`.
#[inline]
pub fn round_i16(v: f32) -> i32 {
    (v.round_ties_even() as i32).clamp(i16::MIN as i32, i16::MAX as i32)
}

/// `saturate_cast<uchar>(float)`: round half to even, clamp to 0..=255 (NaN never occurs).
#[inline(always)]
pub fn round_u8(v: f32) -> u8 {
    v.round_ties_even().clamp(0.0, 255.0) as u8
}

/// Widest four-tap table (destination pixels) that also gets the splatted weights
/// [`HTab::pws`]: 16 KiB of them, which stay in L1 beside the rows. Wider tables make the
/// AVX-512 horizontal pass splat [`HTab::pw`] in registers instead (1920x1080 to 640x640
/// RGB8 cubic: 1.26-1.31 ms with the 40 KiB splatted table, 1.11-1.12 ms without), while at
/// 224 wide the splatted loads stay faster (0.340-0.347 against 0.360-0.371 ms).
pub const SPLAT_MAX_PX: usize = 256;

/// A separable horizontal filter: `taps` source byte offsets and weights per destination
/// element, tap-major.
#[derive(Debug, Clone, Default)]
pub struct HTab<W> {
    /// Taps per element.
    pub taps: usize,
    /// Elements (`dst_w * cn`).
    pub n: usize,
    /// `idx[t * n + e]`: byte offset of tap `t` of element `e` in a source row.
    pub idx: Vec<i32>,
    /// `w[t * n + e]`: its weight.
    pub w: Vec<W>,
    /// Elements `0..gather_end` have `idx + 3 < src row bytes` on every tap, so a 4-byte load
    /// at any of their offsets stays inside the row (the SIMD gathers rely on it).
    pub gather_end: usize,
    /// Channels per pixel.
    pub cn: usize,
    /// Elements `pair_lo..pair_hi` have, for every tap pair (t, t + 1) with even `t`, tap
    /// `t + 1` at byte `idx_t + cn` or weight 0, so (with `cn <= 3`) one 4-byte load at
    /// `idx_t` gives both taps' bytes (a weight-0 tap's product is 0 whichever byte it
    /// reads). Empty when `cn > 3`.
    pub pair_lo: usize,
    /// End of that range.
    pub pair_hi: usize,
    /// Pixel-major form for the shuffle kernels: pixels `px_lo..px_hi` (destination pixel
    /// indices) read tap `t` of every channel at `pofs[dx] + t * cn + c` (or have weight 0 on
    /// that tap), and 16 bytes from `pofs[dx]` stay inside the source row.
    pub px_lo: usize,
    /// End of that range.
    pub px_hi: usize,
    /// `pofs[dx]`: byte offset of tap 0, channel 0, of destination pixel `dx`.
    pub pofs: Vec<u32>,
    /// `pw[dx * taps + t]`: weight of tap `t` of destination pixel `dx`.
    pub pw: Vec<W>,
    /// Four-tap tables of at most [`SPLAT_MAX_PX`] pixels: `pws[t * 4 * px + 4 * dx + k]`
    /// (`px = n / cn`, `k` in 0..4) is `pw[dx * 4 + t]`, each weight splatted over 4 lanes
    /// and laid out tap by tap, so the weights of tap `t` for consecutive pixels are
    /// consecutive (one vector load for 4 pixels, no shuffles); empty otherwise.
    pub pws: Vec<W>,
    /// Two-tap integer tables: `pw16[dx] = w0 as u16 | (w1 as u16) << 16` (weights fit `i16`);
    /// empty otherwise.
    pub pw16: Vec<u32>,
    /// Element-block form for the byte-permute kernels: blocks `blk_lo..blk_hi` of
    /// [`BLOCK`] elements (block `b` is elements `BLOCK * b..BLOCK * (b + 1)`) read tap `t`
    /// of every element `e` at `bbase[b] + boff(e) + t * cn` (or have weight 0 on that
    /// tap), where `boff(e) = bidx[e] & 0xff` and `boff(e) < 64` (`boff(e) + cn < 64` for
    /// two-tap tables, whose kernels take tap 1 from tap 0's window); 64 bytes from
    /// `bbase[b] + (taps - 1) * cn` stay inside the source row. So each tap of a block is
    /// one 64-byte load and one byte permute. Downscales of more than about 4 (3 channels)
    /// spread a block over more than 64 bytes and have none: two-source byte permutes
    /// (`vpermt2b`, several micro-operations on the shuffle port) and four merged
    /// single-source ones (a window per quarter block) measured slower there than the
    /// pixel-major kernels (1920x1080 -> 224x224 RGB8 cubic 0.32 -> 0.56 ms with quarter
    /// windows; linear unchanged). Empty range when no block qualifies.
    pub blk_lo: usize,
    /// End of that range.
    pub blk_hi: usize,
    /// `bbase[b]`: byte offset of block `b`'s 64-byte window (tap 0), for blocks
    /// `0..blk_hi`.
    pub bbase: Vec<u32>,
    /// `bidx[e]`: `boff(e) | (boff(e) + cn) << 16`, the permute index of tap 0 in byte 0
    /// and of tap 1 in byte 2 of each 32-bit lane (the two-tap integer kernel zero-extends
    /// both into an `i16` pair), for elements of blocks `blk_lo..blk_hi` (0 elsewhere).
    pub bidx: Vec<u32>,
    /// Four-tap tables of 3 or 4 channels wider than [`SPLAT_MAX_PX`]: `bwix[(r * 4 + t) * BLOCK + l]` (`r` =
    /// `BLOCK * b % cn`) is the position of lane `l`'s tap-`t` weight among the 32 weights
    /// [`HTab::pw`] holds from pixel `BLOCK * b / cn` on, so a block's weights for tap `t`
    /// are one two-source permute of two loads from the compact table (a quarter of the
    /// per-element [`HTab::w`], which with the rows does not stay in L1); every block
    /// `blk_lo..blk_hi` has those 32 weights inside `pw`. Empty otherwise.
    pub bwix: Vec<u32>,
    /// Two-tap integer tables whose weights fit `i16`: `bw16[e] = w0 as u16 | (w1 as u16)
    /// << 16` (element `e`'s two weights), for elements of blocks `0..blk_hi` and of the
    /// window blocks after them; empty otherwise.
    pub bw16: Vec<u32>,
    /// Unit tables (one tap of weight 1 per element, whole pixels: see [`ipp_cubic_htab`]):
    /// `upx[dx]`, the source pixel of destination pixel `dx`, so the pass is a pixel gather;
    /// empty otherwise.
    pub upx: Vec<u32>,
    /// Window blocks: blocks next to `blk_lo..blk_hi` (taps clamped at the image border, a
    /// window that would end past the row, past the compact weights, or the row's last
    /// partial block) whose taps all lie within 128 bytes of the row, each run as one or
    /// two masked loads and one byte permute per tap (float tables) or per tap pair
    /// (two-tap integer tables), single-source within 64 bytes, two-source past them; see
    /// [`WinBlock`]; two-source windows only in the row's last two blocks. They take the
    /// row's end off the pixel-major and scalar kernels, which took about a fifth of the
    /// time of 640x480 -> 160x120 RGB8 cubic on the last 16 elements of every row (one
    /// thread, Intel Xeon family 6 model 167: 0.109 -> 0.094 ms; 333x251 -> 83x62 0.036 ->
    /// 0.031 ms; upscales and larger sources level).
    pub win: Vec<WinBlock>,
    /// One-channel float tables of 1 to 4 taps whose source row has at least 64 bytes
    /// (GRAY8 `INTER_CUBIC` through IPP, any factor): the multi-window byte-permute form,
    /// `gw_k` windows per block of [`BLOCK`] elements (the last block may be partial, its
    /// lanes past `n` unused; 0: no form). Window `j` of block `b` is the 64 bytes of the
    /// row at `gw_base[gw_k * b + j]` (inside the row), serving the lanes whose 4 bits are
    /// set in `gw_mask[gw_k * b + j]` (a byte mask of the 16 32-bit lanes; the windows of a
    /// block split its lanes, and blocks that need fewer than `gw_k` windows end with
    /// windows of mask 0, so every block runs the same count and the loop never
    /// mispredicts). `gw_ix[e]` (`BLOCK` entries per block) holds in byte `t` the offset
    /// of tap `t` of element `e` inside its lane's window (bytes past `taps` repeat tap 0).
    /// So each block is one load and one merge-masked `vpermb` per window, which puts
    /// every tap of a lane in its own byte, at any factor.
    pub gw_k: usize,
    /// See [`HTab::gw_k`].
    pub gw_ix: Vec<u32>,
    /// See [`HTab::gw_k`].
    pub gw_base: Vec<u32>,
    /// See [`HTab::gw_k`].
    pub gw_mask: Vec<u64>,
    /// One-channel tables of 1 to 4 taps: elements `quad_lo..quad_hi` read tap `t` at byte
    /// `idx[e] + t` (or have weight 0 on that tap) and 4 bytes from `idx[e]` lie inside the
    /// row, so one 4-byte gather gives every tap of an element (the AVX2 kernel).
    pub quad_lo: usize,
    /// End of that range.
    pub quad_hi: usize,
}

/// One window block ([`HTab::win`]).
#[derive(Debug, Clone)]
pub struct WinBlock {
    /// The block (elements `BLOCK * b..BLOCK * b + lanes`).
    pub b: usize,
    /// Elements of the block: [`BLOCK`], or fewer for the row's last, partial block.
    pub lanes: usize,
    /// Byte offset of its window in the row: 64 bytes, or 128 when [`WinBlock::wide`]. The
    /// kernels load only the window's bytes inside the row (masked loads).
    pub base: u32,
    /// Whether a tap lies 64 or more bytes past `base` (two windows, two-source permutes).
    pub wide: bool,
    /// `idx[t * BLOCK + l]`: byte of tap `t` of lane `l` in the window (below 128, and
    /// below 64 unless `wide`; 0 for lanes past `lanes`).
    pub idx: Vec<u32>,
}

/// Elements per block of the byte-permute kernels ([`HTab::blk_lo`]): one 512-bit vector
/// of 32-bit lanes.
pub const BLOCK: usize = 16;

impl<W> HTab<W> {
    /// The window block `b`, if the table has it (a scan: `win` holds a few blocks at each
    /// end of the row, and a binary search measured slower).
    pub fn window(&self, b: usize) -> Option<&WinBlock> {
        self.win.iter().find(|w| w.b == b)
    }
}

impl<W: Copy + Default + PartialEq> HTab<W> {
    fn new(taps: usize, n: usize) -> Self {
        HTab {
            taps,
            n,
            idx: vec![0; taps * n],
            w: vec![W::default(); taps * n],
            gather_end: 0,
            cn: 1,
            pair_lo: 0,
            pair_hi: 0,
            px_lo: 0,
            px_hi: 0,
            pofs: Vec::new(),
            pw: Vec::new(),
            pws: Vec::new(),
            pw16: Vec::new(),
            blk_lo: 0,
            blk_hi: 0,
            bbase: Vec::new(),
            bidx: Vec::new(),
            bwix: Vec::new(),
            bw16: Vec::new(),
            upx: Vec::new(),
            win: Vec::new(),
            gw_k: 0,
            gw_ix: Vec::new(),
            gw_base: Vec::new(),
            gw_mask: Vec::new(),
            quad_lo: 0,
            quad_hi: 0,
        }
    }

    /// Byte offset of block `b`'s 64-byte window if the block may use the byte-permute
    /// kernels (see [`HTab::blk_lo`]).
    fn blk_base(&self, b: usize, row_bytes: usize) -> Option<u32> {
        let (n, cn) = (self.n, self.cn);
        let es = BLOCK * b..BLOCK * (b + 1);
        if es.end > n {
            return None;
        }
        let base = es.clone().map(|e| self.idx[e]).min()?;
        // The two-tap kernels permute tap 1 from the same window (`boff + cn`).
        let reach = if self.taps == 2 { cn } else { 0 };
        let ok = base >= 0
            && base as usize + (self.taps - 1) * cn + 64 <= row_bytes
            && es
                .clone()
                .all(|e| (self.idx[e] - base) as usize + reach < 64)
            && es.clone().all(|e| {
                (1..self.taps).all(|t| {
                    self.idx[t * n + e] == self.idx[e] + (t * cn) as i32
                        || self.w[t * n + e] == W::default()
                })
            });
        ok.then_some(base as u32)
    }

    /// Fills the element-block form ([`HTab::blk_lo`]).
    fn with_blocks(mut self, row_bytes: usize) -> Self {
        let (cn, px) = (self.cn, self.n / self.cn);
        let compact = self.taps == 4 && cn >= 3 && px > SPLAT_MAX_PX;
        let mut nb = self.n / BLOCK;
        if compact {
            // Blocks whose 32 weights from their first pixel are inside `pw`.
            nb = nb.min((0..nb).find(|&b| BLOCK * b / cn + 8 > px).unwrap_or(nb));
        }
        let ok = |b: usize| self.blk_base(b, row_bytes).is_some();
        let lo = (0..nb).find(|&b| ok(b)).unwrap_or(nb);
        let hi = (lo..nb).find(|&b| !ok(b)).unwrap_or(nb);
        if lo == hi {
            return self;
        }
        self.bbase = (0..hi)
            .map(|b| self.blk_base(b, row_bytes).unwrap_or(0))
            .collect();
        self.bidx = vec![0; BLOCK * hi];
        for e in BLOCK * lo..BLOCK * hi {
            let off = self.idx[e] as u32 - self.bbase[e / BLOCK];
            self.bidx[e] = off | (off + cn as u32) << 16;
        }
        if compact {
            self.bwix = (0..cn * 4 * BLOCK)
                .map(|i| {
                    let (r, t, l) = (i / (4 * BLOCK), i / BLOCK % 4, i % BLOCK);
                    (4 * ((r + l) / cn) + t) as u32
                })
                .collect();
        }
        (self.blk_lo, self.blk_hi) = (lo, hi);
        self
    }

    /// Block `b` as a window block, if every tap of its elements lies within 128 bytes
    /// (see [`HTab::win`]). The row's last block may be partial.
    fn win_block(&self, b: usize, row_bytes: usize) -> Option<WinBlock> {
        let (n, taps) = (self.n, self.taps);
        let es = BLOCK * b..(BLOCK * (b + 1)).min(n);
        if es.is_empty() {
            return None;
        }
        let offs = || {
            es.clone()
                .flat_map(|e| (0..taps).map(move |t| self.idx[t * n + e]))
        };
        let (lo, hi) = (offs().min()?, offs().max()?);
        if lo < 0 || hi as usize >= row_bytes || hi - lo >= 128 {
            return None;
        }
        // A narrow window ends inside the row where it can, so its load needs no mask.
        let base = if hi - lo < 64 && row_bytes >= 64 {
            lo.min(row_bytes as i32 - 64)
        } else {
            lo
        };
        let idx = (0..taps * BLOCK)
            .map(|i| {
                let e = es.start + i % BLOCK;
                if e < es.end {
                    (self.idx[i / BLOCK * n + e] - base) as u32
                } else {
                    0
                }
            })
            .collect();
        Some(WinBlock {
            b,
            lanes: es.len(),
            base: base as u32,
            wide: hi - base >= 64,
            idx,
        })
    }

    /// Fills [`HTab::win`]: the runs of window blocks on both sides of the block range.
    fn with_windows(mut self, row_bytes: usize) -> Self {
        if self.blk_lo == self.blk_hi {
            return self;
        }
        // Two-source windows only for the row's last two blocks: over whole runs of blocks
        // the pixel-major kernels are faster than `vpermt2b` (see `HTab::blk_lo`).
        let end = self.n.div_ceil(BLOCK);
        let ok = |b: usize| {
            self.win_block(b, row_bytes)
                .filter(|w| !w.wide || b + 2 >= end)
        };
        let left = (0..self.blk_lo).rev().map_while(ok);
        let mut win: Vec<WinBlock> = left.collect();
        win.reverse();
        win.extend((self.blk_hi..end).map_while(ok));
        self.win = win;
        self
    }

    /// Whether destination pixel `dx` may use the pixel-major shuffle kernels.
    fn px_ok(&self, dx: usize, row_bytes: usize) -> bool {
        let (n, cn) = (self.n, self.cn);
        let e = dx * cn;
        let base = self.idx[e];
        self.taps * cn <= 16
            && base >= 0
            && base as usize + 16 <= row_bytes
            && (0..self.taps).all(|t| {
                (0..cn).all(|c| {
                    self.idx[t * n + e + c] == base + (t * cn + c) as i32
                        || self.w[t * n + e] == W::default()
                })
            })
            && (1..cn).all(|c| (0..self.taps).all(|t| self.w[t * n + e + c] == self.w[t * n + e]))
    }

    fn paired(&self, e: usize) -> bool {
        let n = self.n;
        (0..self.taps / 2).all(|p| {
            let t = 2 * p;
            self.idx[(t + 1) * n + e] == self.idx[t * n + e] + self.cn as i32
                || self.w[(t + 1) * n + e] == W::default()
        })
    }

    fn finish(mut self, row_bytes: usize, cn: usize) -> Self {
        self.cn = cn;
        // The first element with a tap too near the row's end, not the last one clear of it:
        // upscales clamp every channel of their last pixels to the row's last pixel, where
        // channel 0 is clear and the others are not.
        let near_end =
            |e: usize| (0..self.taps).any(|t| self.idx[t * self.n + e] as usize + 3 >= row_bytes);
        let end = (0..self.n).find(|&e| near_end(e)).unwrap_or(self.n);
        self.gather_end = end;
        if cn <= 3 {
            let lo = (0..end).find(|&e| self.paired(e)).unwrap_or(end);
            let hi = (lo..end).find(|&e| !self.paired(e)).unwrap_or(end);
            self.pair_lo = lo;
            self.pair_hi = hi;
        }
        let px = self.n / cn;
        self.pofs = (0..px).map(|dx| self.idx[dx * cn].max(0) as u32).collect();
        self.pw = (0..px)
            .flat_map(|dx| (0..self.taps).map(move |t| (dx, t)))
            .map(|(dx, t)| self.w[t * self.n + dx * cn])
            .collect();
        if self.taps == 4 && px <= SPLAT_MAX_PX {
            let mut pws = vec![W::default(); 16 * px];
            for (t, plane) in pws.chunks_exact_mut(4 * px).enumerate() {
                for (lanes, w) in plane.chunks_exact_mut(4).zip(self.pw.chunks_exact(4)) {
                    lanes.fill(w[t]);
                }
            }
            self.pws = pws;
        }
        let lo = (0..px).find(|&dx| self.px_ok(dx, row_bytes)).unwrap_or(px);
        let hi = (lo..px)
            .find(|&dx| !self.px_ok(dx, row_bytes))
            .unwrap_or(px);
        self.px_lo = lo;
        self.px_hi = hi;
        self.with_blocks(row_bytes)
    }

    /// Whether element `e` of a one-channel table reads tap `t` at `idx[e] + t` (or has
    /// weight 0 there) with 4 bytes from `idx[e]` inside the row ([`HTab::quad_lo`]).
    fn quad(&self, e: usize, row_bytes: usize) -> bool {
        let (n, base) = (self.n, self.idx[e]);
        base >= 0
            && base as usize + 4 <= row_bytes
            && (1..self.taps).all(|t| {
                self.idx[t * n + e] == base + t as i32 || self.w[t * n + e] == W::default()
            })
    }

    /// Fills the GRAY8 forms [`HTab::gw_ix`] and [`HTab::quad_lo`] of a one-channel table of
    /// 1 to 4 taps.
    fn with_gray(mut self, row_bytes: usize) -> Self {
        let (n, taps) = (self.n, self.taps);
        if self.cn != 1 || !(1..=4).contains(&taps) {
            return self;
        }
        let lo = (0..n).find(|&e| self.quad(e, row_bytes)).unwrap_or(n);
        let hi = (lo..n).find(|&e| !self.quad(e, row_bytes)).unwrap_or(n);
        (self.quad_lo, self.quad_hi) = (lo, hi);
        if row_bytes < 64 {
            return self;
        }
        let tap = |e: usize, t: usize| self.idx[t.min(taps - 1) * n + e] as usize;
        let span = |e: usize| {
            let offs = (0..taps).map(|t| tap(e, t));
            (offs.clone().min().unwrap_or(0), offs.max().unwrap_or(0))
        };
        // Every block, the last one partial when `n` is not a multiple of `BLOCK` (its lanes
        // past `n` have no window).
        let nb = n.div_ceil(BLOCK);
        let mut ix = vec![0u32; BLOCK * nb];
        let mut wins: Vec<Vec<(u32, u64)>> = Vec::with_capacity(nb);
        for b in 0..nb {
            let lanes = BLOCK.min(n - BLOCK * b);
            let mut bw = Vec::new();
            let mut l = 0;
            while l < lanes {
                // A window from lane `l`'s lowest tap (or the row's last 64 bytes), as many
                // lanes as fit.
                let wb = span(BLOCK * b + l).0.min(row_bytes - 64);
                let mut m = 0u64;
                while l < lanes {
                    let e = BLOCK * b + l;
                    let (lo, hi) = span(e);
                    if lo < wb || hi - wb >= 64 {
                        break;
                    }
                    ix[e] = (0..4).fold(0, |a, t| {
                        let o = if t < taps { tap(e, t) } else { tap(e, 0) };
                        a | ((o - wb) as u32) << (8 * t)
                    });
                    m |= 0xf << (4 * l);
                    l += 1;
                }
                // Every tap of one lane lies within 3 pixels of its first, so a window
                // always takes at least its first lane.
                debug_assert!(m != 0);
                bw.push((wb as u32, m));
            }
            wins.push(bw);
        }
        let k = wins.iter().map(Vec::len).max().unwrap_or(0);
        let pad = |bw: &Vec<(u32, u64)>| {
            let last = bw.last().map_or(0, |w| w.0);
            bw.iter()
                .copied()
                .chain(std::iter::repeat((last, 0)))
                .take(k)
                .collect::<Vec<_>>()
        };
        let all: Vec<(u32, u64)> = wins.iter().flat_map(pad).collect();
        self.gw_k = k;
        self.gw_base = all.iter().map(|w| w.0).collect();
        self.gw_mask = all.iter().map(|w| w.1).collect();
        self.gw_ix = ix;
        self
    }
}

impl HTab<i32> {
    /// Fills [`HTab::pw16`] and [`HTab::bw16`] for a two-tap table whose weights fit `i16`.
    fn with_pairs(mut self) -> Self {
        let fits = |w: &i32| (i16::MIN as i32..=i16::MAX as i32).contains(w);
        let pack = |w0: i32, w1: i32| (w0 as u16 as u32) | ((w1 as u16 as u32) << 16);
        if self.taps != 2 {
            return self;
        }
        if self.pw.iter().all(fits) {
            self.pw16 = self.pw.chunks_exact(2).map(|p| pack(p[0], p[1])).collect();
        }
        if self.blk_hi > 0 && self.w.iter().all(fits) {
            let n = self.n;
            let end = self
                .win
                .iter()
                .map(|w| w.b + 1)
                .fold(self.blk_hi, usize::max);
            self.bw16 = (0..BLOCK * end)
                .map(|e| {
                    if e < n {
                        pack(self.w[e], self.w[n + e])
                    } else {
                        0
                    }
                })
                .collect();
        }
        self
    }
}

/// The vertical filter: `taps` source rows and weights per destination row.
#[derive(Debug, Clone, Default)]
pub struct VTab<W> {
    /// Taps per row.
    pub taps: usize,
    /// `rows[dy * taps + k]`: source row of tap `k` (already clamped into the image).
    pub rows: Vec<u32>,
    /// Its weight.
    pub w: Vec<W>,
}

/// Interpolation position of destination index `d`, OpenCV's `resizeGeneric` rule:
/// `f = (float)((d + 0.5) * scale - 0.5)`, `s = floor(f)`, `f -= s` (in `f32`); in AREA's
/// emulation mode (upscaling with `INTER_AREA`): `s = floor(d * scale)`,
/// `f = (float)((d + 1) - (s + 1) * inv_scale)`, `f = f <= 0 ? 0 : f - floor(f)`.
pub fn position(d: usize, scale: f64, inv_scale: f64, area_mode: bool) -> (i64, f32) {
    if !area_mode {
        let f = ((d as f64 + 0.5) * scale - 0.5) as f32;
        let s = f.floor();
        (s as i64, f - s)
    } else {
        let s = (d as f64 * scale).floor() as i64;
        let f = ((d as f64 + 1.0) - (s as f64 + 1.0) * inv_scale) as f32;
        let f = if f <= 0.0 { 0.0 } else { f - f.floor() };
        (s, f)
    }
}

/// OpenCV's `interpolateCubic` (A = -0.75) in `f32`, operation for operation.
pub fn cubic_coeffs(x: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let c0 = ((A * (x + 1.0) - 5.0 * A) * (x + 1.0) + 8.0 * A) * (x + 1.0) - 4.0 * A;
    let c1 = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let c2 = ((A + 2.0) * (1.0 - x) - (A + 3.0)) * (1.0 - x) * (1.0 - x) + 1.0;
    let c3 = 1.0 - c0 - c1 - c2;
    [c0, c1, c2, c3]
}

/// Horizontal table of `INTER_LINEAR` (2 taps) or `INTER_CUBIC` (4 taps) in 11-bit fixed
/// point (`cvRound(c * 2048)`), with OpenCV's borders: for LINEAR a position left of the
/// image becomes (0, weight 0) and one at or right of the last pixel becomes (last, weight 0),
/// both then read one pixel times 2048; for CUBIC the taps outside the image are clamped to
/// the edge pixel and the weights kept.
pub fn fixed_htab(
    taps: usize,
    src_w: usize,
    dst_w: usize,
    cn: usize,
    scale: f64,
    inv_scale: f64,
    area_mode: bool,
) -> HTab<i32> {
    let n = dst_w * cn;
    let mut tab = HTab::new(taps, n);
    for dx in 0..dst_w {
        let (mut sx, mut fx) = position(dx, scale, inv_scale, area_mode);
        let mut w = [0i32; 4];
        let mut src_px = [0i64; 4];
        if taps == 2 {
            let mut single = false;
            if sx < 0 {
                sx = 0;
                fx = 0.0;
                single = true;
            }
            if sx + 1 >= src_w as i64 {
                if sx >= src_w as i64 - 1 {
                    sx = src_w as i64 - 1;
                    fx = 0.0;
                }
                single = true;
            }
            w[0] = round_i16((1.0 - fx) * COEF_SCALE as f32);
            w[1] = round_i16(fx * COEF_SCALE as f32);
            if single {
                // OpenCV reads S[sx] * 2048 for these (the weights are 2048 and 0 anyway).
                w = [COEF_SCALE, 0, 0, 0];
                src_px = [sx, sx, 0, 0];
            } else {
                src_px = [sx, sx + 1, 0, 0];
            }
        } else {
            let c = cubic_coeffs(fx);
            for k in 0..4 {
                w[k] = round_i16(c[k] * COEF_SCALE as f32);
                src_px[k] = (sx - 1 + k as i64).clamp(0, src_w as i64 - 1);
            }
        }
        for c in 0..cn {
            let e = dx * cn + c;
            for t in 0..taps {
                tab.idx[t * n + e] = (src_px[t] as usize * cn + c) as i32;
                tab.w[t * n + e] = w[t];
            }
        }
    }
    tab.finish(src_w * cn, cn)
        .with_windows(src_w * cn)
        .with_pairs()
}

/// Vertical table of `INTER_LINEAR` or `INTER_CUBIC`: rows `sy - taps/2 + 1 + k` clamped to
/// the image, weights `cvRound(c * 2048)` never adjusted at the borders.
pub fn fixed_vtab(
    taps: usize,
    src_h: usize,
    dst_h: usize,
    scale: f64,
    inv_scale: f64,
    area_mode: bool,
) -> VTab<i32> {
    let mut tab = VTab {
        taps,
        rows: vec![0; taps * dst_h],
        w: vec![0; taps * dst_h],
    };
    for dy in 0..dst_h {
        let (sy, fy) = position(dy, scale, inv_scale, area_mode);
        let c = if taps == 2 {
            [1.0 - fy, fy, 0.0, 0.0]
        } else {
            cubic_coeffs(fy)
        };
        for (k, &ck) in c.iter().take(taps).enumerate() {
            let r = (sy - (taps as i64) / 2 + 1 + k as i64).clamp(0, src_h as i64 - 1);
            tab.rows[dy * taps + k] = r as u32;
            tab.w[dy * taps + k] = round_i16(ck * COEF_SCALE as f32);
        }
    }
    tab
}

/// Horizontal pass of LINEAR/CUBIC for elements `e0..e0 + out.len()`: exact `i32` sums.
pub fn h_fixed(src: &[u8], tab: &HTab<i32>, e0: usize, out: &mut [i32]) {
    let n = tab.n;
    for (i, o) in out.iter_mut().enumerate() {
        let e = e0 + i;
        let mut s = 0i32;
        for t in 0..tab.taps {
            s += src[tab.idx[t * n + e] as usize] as i32 * tab.w[t * n + e];
        }
        *o = s;
    }
}

/// Vertical pass of `INTER_LINEAR` on 8-bit images, as OpenCV's `VResizeLinear` for
/// `uchar` computes it (its SIMD and scalar code agree):
/// `((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2`.
/// This is not the exactly rounded `(b0 * r0 + b1 * r1 + 2^21) >> 22`: it drops low bits
/// twice, so it can be one level lower.
#[inline(always)]
pub fn v_linear_px(r0: i32, r1: i32, b0: i32, b1: i32) -> u8 {
    let v = (((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2;
    v.clamp(0, 255) as u8
}

/// [`v_linear_px`] over a row.
pub fn v_linear(r0: &[i32], r1: &[i32], b0: i32, b1: i32, out: &mut [u8]) {
    for ((o, &a), &b) in out.iter_mut().zip(r0).zip(r1) {
        *o = v_linear_px(a, b, b0, b1);
    }
}

/// Vertical pass of OpenCV's own `INTER_CUBIC` on 8-bit images, integer form:
/// `saturate((sum + 2^21) >> 22)`.
#[inline(always)]
pub fn v_cubic_int_px(r: [i32; 4], b: [i32; 4]) -> u8 {
    let s = r[0] * b[0] + r[1] * b[1] + r[2] * b[2] + r[3] * b[3];
    ((s + (1 << 21)) >> 22).clamp(0, 255) as u8
}

/// Vertical pass of OpenCV's own `INTER_CUBIC`, float form used on whole vectors:
/// `round(r0*b0 + (r1*b1 + (r2*b2 + r3*b3)))` with `b = beta / 2^22` in `f32`.
#[inline(always)]
pub fn v_cubic_float_px(r: [i32; 4], b: [f32; 4]) -> u8 {
    let s = r[0] as f32 * b[0] + (r[1] as f32 * b[1] + (r[2] as f32 * b[2] + r[3] as f32 * b[3]));
    (s.round_ties_even() as i32).clamp(0, 255) as u8
}

// ---------------------------------------------------------------------------------------
// INTER_LINEAR_EXACT

/// Horizontal table of `INTER_LINEAR_EXACT` (OpenCV's `resize_bitExact` with
/// `interpolationLinear`): `f = 1/inv_scale * (d + 0.5) - 0.5` in exactly rounded `f64`,
/// `s = floor(f)`, `c1 = cvRound((f - s) * 256)` (half to even), `c0 = 256 - c1`; a position
/// left of the image or at/after its last pixel (or a 1-pixel source) reads the edge pixel
/// with weights (256, 0).
pub fn exact_htab(src_w: usize, dst_w: usize, cn: usize, inv_scale: f64) -> HTab<i32> {
    let n = dst_w * cn;
    let mut tab = HTab::new(2, n);
    for dx in 0..dst_w {
        let (px, w) = exact_pos(dx, src_w, inv_scale);
        for c in 0..cn {
            let e = dx * cn + c;
            tab.idx[e] = (px[0] * cn + c) as i32;
            tab.idx[n + e] = (px[1] * cn + c) as i32;
            tab.w[e] = w[0];
            tab.w[n + e] = w[1];
        }
    }
    tab.finish(src_w * cn, cn)
        .with_windows(src_w * cn)
        .with_pairs()
}

fn exact_pos(d: usize, src: usize, inv_scale: f64) -> ([usize; 2], [i32; 2]) {
    let scale = 1.0 / inv_scale;
    let f = scale * (d as f64 + 0.5) - 0.5;
    let i = f.floor();
    if i >= 0.0 && src > 1 {
        let i = i as usize;
        if i < src - 1 {
            let c1 = ((f - i as f64) * 256.0).round_ties_even() as i32;
            ([i, i + 1], [256 - c1, c1])
        } else {
            ([src - 1, src - 1], [256, 0])
        }
    } else {
        // Left of the image, or a 1-pixel source.
        ([0, 0], [256, 0])
    }
}

/// Vertical table of `INTER_LINEAR_EXACT`: as [`exact_htab`]; the rows above the image
/// or at/after its last row use the edge row with weights (256, 0), which gives OpenCV's
/// `vlineSet` result `(h + 128) >> 8`.
pub fn exact_vtab(src_h: usize, dst_h: usize, inv_scale: f64) -> VTab<i32> {
    let mut tab = VTab {
        taps: 2,
        rows: vec![0; 2 * dst_h],
        w: vec![0; 2 * dst_h],
    };
    for dy in 0..dst_h {
        let (r, w) = exact_pos(dy, src_h, inv_scale);
        tab.rows[2 * dy] = r[0] as u32;
        tab.rows[2 * dy + 1] = r[1] as u32;
        tab.w[2 * dy] = w[0];
        tab.w[2 * dy + 1] = w[1];
    }
    tab
}

/// Vertical pass of `INTER_LINEAR_EXACT`: `(c0 * h0 + c1 * h1 + 2^15) >> 16` (the horizontal
/// sums `h` carry 8 fractional bits, `c0 + c1 = 256`).
#[inline(always)]
pub fn v_exact_px(h0: i32, h1: i32, c0: i32, c1: i32) -> u8 {
    ((c0 * h0 + c1 * h1 + (1 << 15)) >> 16) as u8
}

/// [`v_exact_px`] over a row.
pub fn v_exact(h0: &[i32], h1: &[i32], c0: i32, c1: i32, out: &mut [u8]) {
    for ((o, &a), &b) in out.iter_mut().zip(h0).zip(h1) {
        *o = v_exact_px(a, b, c0, c1);
    }
}

// ---------------------------------------------------------------------------------------
// INTER_NEAREST and INTER_NEAREST_EXACT

/// Source index of destination index `d` for `INTER_NEAREST`:
/// `min(floor(d * (1 / inv_scale)), src - 1)` in `f64`.
pub fn nearest_index(d: usize, src: usize, inv_scale: f64) -> usize {
    let ifx = 1.0 / inv_scale;
    ((d as f64 * ifx).floor() as usize).min(src - 1)
}

/// Source indices for `INTER_NEAREST_EXACT` (OpenCV 5's `resizeNN_bitexact_tab`, pixel
/// centres, Pillow's rule): `scale = src / dst`, `f = scale * 0.5`, then for each destination
/// index `min(floor(f), src - 1)` followed by `f += scale`, all in `f64` (the running sum's
/// rounding is part of the result).
pub fn nearest_exact_table(src: usize, dst: usize) -> Vec<u32> {
    let scale = src as f64 / dst as f64;
    let mut f = scale * 0.5;
    let mut out = Vec::with_capacity(dst);
    for _ in 0..dst {
        out.push((f.floor() as usize).min(src - 1) as u32);
        f += scale;
    }
    out
}

// ---------------------------------------------------------------------------------------
// INTER_AREA

/// One entry of OpenCV's `computeResizeAreaTab`: destination index, source index, weight.
#[derive(Debug, Clone, Copy)]
pub struct AreaEntry {
    /// Destination index.
    pub d: usize,
    /// Source index.
    pub s: usize,
    /// Weight (`f32`).
    pub a: f32,
}

/// OpenCV's `computeResizeAreaTab` (in `f64`, weights converted to `f32`): destination cell
/// `[d * scale, d * scale + scale)` covers whole source pixels with weight `1 / cell` and the
/// partial ones at its ends (beyond 1e-3) with their covered fraction over `cell`, where
/// `cell = min(scale, src - d * scale)`.
pub fn area_entries(src: usize, dst: usize, scale: f64) -> Vec<AreaEntry> {
    let mut tab = Vec::with_capacity(src * 2);
    for d in 0..dst {
        let fsx1 = d as f64 * scale;
        let fsx2 = fsx1 + scale;
        let cell = scale.min(src as f64 - fsx1);
        let sx2 = (fsx2.floor() as i64).min(src as i64 - 1);
        let sx1 = (fsx1.ceil() as i64).min(sx2);
        if sx1 as f64 - fsx1 > 1e-3 {
            tab.push(AreaEntry {
                d,
                s: (sx1 - 1) as usize,
                a: ((sx1 as f64 - fsx1) / cell) as f32,
            });
        }
        for s in sx1..sx2 {
            tab.push(AreaEntry {
                d,
                s: s as usize,
                a: (1.0 / cell) as f32,
            });
        }
        if fsx2 - sx2 as f64 > 1e-3 {
            tab.push(AreaEntry {
                d,
                s: sx2 as usize,
                a: ((fsx2 - sx2 as f64).min(1.0).min(cell) / cell) as f32,
            });
        }
    }
    tab
}

/// Entries grouped per destination index and padded with weight-0 taps (reading the last
/// real source index) to a common count. Adding `0 * v = +0` to OpenCV's non-negative
/// partial sums changes nothing, so the padded sums are bit-identical.
pub fn area_grouped(entries: &[AreaEntry], dst: usize) -> (usize, Vec<usize>, Vec<f32>) {
    let mut count = vec![0usize; dst];
    for e in entries {
        count[e.d] += 1;
    }
    let taps = count.iter().copied().max().unwrap_or(1).max(1);
    let mut src = vec![0usize; dst * taps];
    let mut w = vec![0f32; dst * taps];
    let mut fill = vec![0usize; dst];
    for e in entries {
        let k = fill[e.d];
        src[e.d * taps + k] = e.s;
        w[e.d * taps + k] = e.a;
        fill[e.d] += 1;
    }
    for d in 0..dst {
        let last = if fill[d] > 0 {
            src[d * taps + fill[d] - 1]
        } else {
            0
        };
        for k in fill[d]..taps {
            src[d * taps + k] = last;
        }
    }
    (taps, src, w)
}

/// Horizontal table of the fractional `INTER_AREA` path (tap-major, `f32` weights).
pub fn area_htab(src_w: usize, dst_w: usize, cn: usize, scale: f64) -> HTab<f32> {
    let (taps, srcs, ws) = area_grouped(&area_entries(src_w, dst_w, scale), dst_w);
    let n = dst_w * cn;
    let mut tab = HTab::new(taps, n);
    for dx in 0..dst_w {
        for c in 0..cn {
            let e = dx * cn + c;
            for t in 0..taps {
                tab.idx[t * n + e] = (srcs[dx * taps + t] * cn + c) as i32;
                tab.w[t * n + e] = ws[dx * taps + t];
            }
        }
    }
    tab.finish(src_w * cn, cn)
}

/// Vertical table of the fractional `INTER_AREA` path.
pub fn area_vtab(src_h: usize, dst_h: usize, scale: f64) -> VTab<f32> {
    let (taps, rows, w) = area_grouped(&area_entries(src_h, dst_h, scale), dst_h);
    VTab {
        taps,
        rows: rows.into_iter().map(|r| r as u32).collect(),
        w,
    }
}

/// One vertical step of the fractional `INTER_AREA` path: `sum += beta * buf`.
pub fn v_area_acc(sum: &mut [f32], buf: &[f32], beta: f32) {
    for (s, &b) in sum.iter_mut().zip(buf) {
        *s += beta * b;
    }
}

/// Final rounding of the fractional `INTER_AREA` path: `saturate_cast<uchar>(sum)`.
pub fn v_area_store(sum: &[f32], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(sum) {
        *o = round_u8(s);
    }
}

/// Integer-factor `INTER_AREA` (OpenCV's `resizeAreaFast`) for elements `e0..e0 + out.len()`
/// of destination row `dy`: the sum of the `kx` x `ky` block, then `(sum + 2) >> 2` for the
/// 2x2 case (channels 1, 3, 4) and `cvRound(sum * (1.f / (kx * ky)))` in `f32` otherwise.
#[allow(clippy::too_many_arguments)]
pub fn area_fast_row<'a>(
    row: impl Fn(usize) -> &'a [u8],
    kx: usize,
    ky: usize,
    cn: usize,
    scale: f32,
    half_up2x2: bool,
    e0: usize,
    out: &mut [u8],
) {
    // Elements of one destination pixel are `cn` apart; a window starting or ending inside
    // a pixel is handled element by element (the rule below, one element at a time).
    let (head, body_start) = if e0.is_multiple_of(cn) {
        (0, e0)
    } else {
        let n = (cn - e0 % cn).min(out.len());
        (n, e0 + n)
    };
    for (i, o) in out[..head].iter_mut().enumerate() {
        *o = area_fast_element(&row, kx, ky, cn, scale, half_up2x2, e0 + i);
    }
    let body = &mut out[head..];
    let whole = body.len() / cn * cn;
    let x0 = body_start / cn;
    if half_up2x2 {
        let (r0, r1) = (row(0), row(1));
        match cn {
            1 => area2x2::<1>(r0, r1, x0, &mut body[..whole]),
            3 => area2x2::<3>(r0, r1, x0, &mut body[..whole]),
            4 => area2x2::<4>(r0, r1, x0, &mut body[..whole]),
            _ => area_block(&row, kx, ky, cn, scale, true, x0, &mut body[..whole]),
        }
    } else {
        area_block(&row, kx, ky, cn, scale, false, x0, &mut body[..whole]);
    }
    for (i, o) in body[whole..].iter_mut().enumerate() {
        *o = area_fast_element(&row, kx, ky, cn, scale, half_up2x2, body_start + whole + i);
    }
}

/// The 2x2 half-up mean of whole pixels `x0..` (of `CN` channels) into `out`.
fn area2x2<const CN: usize>(r0: &[u8], r1: &[u8], x0: usize, out: &mut [u8]) {
    let n = out.len() / CN;
    let a = &r0[x0 * 2 * CN..(x0 + n) * 2 * CN];
    let b = &r1[x0 * 2 * CN..(x0 + n) * 2 * CN];
    for ((o, a), b) in out
        .chunks_exact_mut(CN)
        .zip(a.chunks_exact(2 * CN))
        .zip(b.chunks_exact(2 * CN))
    {
        for c in 0..CN {
            let s = a[c] as u16 + a[CN + c] as u16 + b[c] as u16 + b[CN + c] as u16;
            o[c] = ((s + 2) >> 2) as u8;
        }
    }
}

/// The `kx` x `ky` block rule of [`area_fast_row`] for whole pixels `x0..` into `out`, in
/// chunks of destination pixels: the `ky` rows added column by column into `u32` (exact:
/// `kx * ky * 255` fits whenever the block fits the stack buffer, else element by element),
/// then `kx` neighbouring pixels per channel, then the rounding. Inlined, so that a caller
/// compiled for a wider ISA vectorizes the row sums and the `f32` rounding (`roundps`
/// instead of a `roundevenf` call) with the same arithmetic.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn area_block<'a>(
    row: &impl Fn(usize) -> &'a [u8],
    kx: usize,
    ky: usize,
    cn: usize,
    scale: f32,
    half_up2x2: bool,
    x0: usize,
    out: &mut [u8],
) {
    // 4 KiB of sums: the array is zeroed on every call (one per row), a larger one costs
    // more than the sums on short windows.
    const BUF: usize = 1024;
    if out.is_empty() {
        return;
    }
    let span = kx * cn;
    if span > BUF || kx * ky > (u32::MAX / 255) as usize || !(1..=4).contains(&cn) {
        let e0 = x0 * cn;
        for (i, o) in out.iter_mut().enumerate() {
            *o = area_fast_element(row, kx, ky, cn, scale, half_up2x2, e0 + i);
        }
        return;
    }
    let mut vs = [0u32; BUF];
    let px = BUF / span;
    for (chunk_i, chunk) in out.chunks_mut(px * cn).enumerate() {
        let n = chunk.len() / cn * span;
        let vs = &mut vs[..n];
        let first = (x0 + chunk_i * px) * span;
        vs.fill(0);
        for r in 0..ky {
            for (v, &b) in vs.iter_mut().zip(&row(r)[first..first + n]) {
                *v += b as u32;
            }
        }
        match cn {
            1 => area_hsum::<1>(vs, kx, scale, half_up2x2, chunk),
            2 => area_hsum::<2>(vs, kx, scale, half_up2x2, chunk),
            3 => area_hsum::<3>(vs, kx, scale, half_up2x2, chunk),
            _ => area_hsum::<4>(vs, kx, scale, half_up2x2, chunk),
        }
    }
}

/// The horizontal step of [`area_block`]: each destination pixel adds `kx` pixels of the
/// column sums `vs` per channel and rounds.
#[inline(always)]
fn area_hsum<const CN: usize>(vs: &[u32], kx: usize, scale: f32, half_up2x2: bool, out: &mut [u8]) {
    for (o, blk) in out.chunks_exact_mut(CN).zip(vs.chunks_exact(kx * CN)) {
        let mut sum = [0u32; CN];
        for px in blk.chunks_exact(CN) {
            for c in 0..CN {
                sum[c] += px[c];
            }
        }
        for c in 0..CN {
            o[c] = if half_up2x2 {
                ((sum[c] + 2) >> 2) as u8
            } else {
                round_u8(sum[c] as f32 * scale)
            };
        }
    }
}

/// Column sums (`u16` elements) one chunk of the SIMD integer-area kernels holds.
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
pub const AREA_BUF: usize = 2048;
/// Room past a chunk's column sums for the horizontal step's look-ahead loads: a vector of
/// 16 lanes starting below the chunk's end plus `(kx - 1) * cn` elements.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub const AREA_PAD: usize = 96;
/// Largest `kx` and `ky` the SIMD integer-area kernels take (their row table's size).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub const AREA_MAX_K: usize = 16;

/// Whether the SIMD integer-area kernels take a `kx` x `ky` block of `cn` channels: 1 to 4
/// channels and both factors up to [`AREA_MAX_K`], so that a block sum (at most
/// `16 * 16 * 255`) fits `u16` and the look-ahead stays inside [`AREA_PAD`].
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub fn area_simd_fits(kx: usize, ky: usize, cn: usize) -> bool {
    (1..=4).contains(&cn) && (1..=AREA_MAX_K).contains(&kx) && (1..=AREA_MAX_K).contains(&ky)
}

/// The layout step shared by the SIMD integer-area kernels: `vs` holds, at element
/// `d * kx * cn + c`, the block sum of channel `c` of destination pixel `d` (`px` pixels);
/// moves each pixel's sums to `d * lanes`, `lanes` being `cn`, or 4 for 3 channels (the
/// fourth lane is the next element, whatever it holds). In place: a pixel's sums never move
/// up, and `kx >= 2`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
pub fn area_compact(vs: &mut [u16], px: usize, kx: usize, cn: usize) {
    debug_assert!(kx >= 2);
    let step = kx * cn;
    match cn {
        1 => {
            for d in 0..px {
                vs[d] = vs[d * step];
            }
        }
        2 => {
            for d in 0..px {
                let s = d * step;
                let v = [vs[s], vs[s + 1]];
                vs[2 * d..2 * d + 2].copy_from_slice(&v);
            }
        }
        _ => {
            for d in 0..px {
                let s = d * step;
                let v: [u16; 4] = vs[s..s + 4].try_into().unwrap();
                vs[4 * d..4 * d + 4].copy_from_slice(&v);
            }
        }
    }
}

/// The rounding of [`area_fast_row`]'s rule applied to block sums `t`, `lanes` per
/// destination pixel (`cn` or 4), into the whole pixels of `out`: the SIMD integer-area
/// kernels' remainder.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
pub fn area_round(
    t: &[u16],
    lanes: usize,
    cn: usize,
    scale: f32,
    half_up2x2: bool,
    out: &mut [u8],
) {
    for (o, s) in out.chunks_exact_mut(cn).zip(t.chunks(lanes)) {
        for (o, &s) in o.iter_mut().zip(s) {
            *o = if half_up2x2 {
                ((s + 2) >> 2) as u8
            } else {
                round_u8(s as f32 * scale)
            };
        }
    }
}

/// One element `e` of [`area_fast_row`]'s rule.
fn area_fast_element<'a>(
    row: &impl Fn(usize) -> &'a [u8],
    kx: usize,
    ky: usize,
    cn: usize,
    scale: f32,
    half_up2x2: bool,
    e: usize,
) -> u8 {
    let (dx, c) = (e / cn, e % cn);
    let base = dx * kx * cn + c;
    let mut sum = 0u64;
    for r in 0..ky {
        let s = row(r);
        for k in 0..kx {
            sum += s[base + k * cn] as u64;
        }
    }
    if half_up2x2 {
        ((sum + 2) >> 2) as u8
    } else {
        round_u8(sum as f32 * scale)
    }
}

// ---------------------------------------------------------------------------------------
// INTER_CUBIC through Intel IPP

/// The cubic kernel (Keys, a = -0.75, the same curve as OpenCV's) at distance `x`, in `f64`.
pub fn cubic_kernel(x: f64) -> f64 {
    const A: f64 = -0.75;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    } else {
        0.0
    }
}

/// Horizontal table of the IPP cubic path: position `f = (d + 0.5) * (src / dst) - 0.5` in
/// `f64`, taps `floor(f) - 1 ..= floor(f) + 2` clamped to the image, weights
/// `(float)kernel(f - tap)`.
///
/// A tap of weight exactly 0 adds exactly 0 (the source values are finite; only the sign
/// of a zero sum can change, and the rounding to `u8` erases it). Where every destination
/// pixel lands on a source pixel centre (`t = 0`, so the weights are `0, 1, 0, 0`: odd
/// integer downscales such as 1920 -> 640), the sum is that pixel's value and the table
/// keeps the one tap of weight 1.
pub fn ipp_cubic_htab(src_w: usize, dst_w: usize, cn: usize) -> HTab<f32> {
    let n = dst_w * cn;
    let pos: Vec<_> = (0..dst_w)
        .map(|dx| ipp_cubic_pos(dx, src_w, dst_w))
        .collect();
    let unit = pos.iter().all(|(_, w)| *w == [0.0, 1.0, 0.0, 0.0]);
    // A unit table keeps tap 1 only.
    let (taps, skip) = if unit { (1, 1) } else { (4, 0) };
    let mut tab = HTab::new(taps, n);
    for (dx, (px, w)) in pos.iter().enumerate() {
        for c in 0..cn {
            let e = dx * cn + c;
            for t in 0..taps {
                tab.idx[t * n + e] = (px[t + skip] * cn + c) as i32;
                tab.w[t * n + e] = w[t + skip];
            }
        }
    }
    if unit {
        tab.upx = pos.iter().map(|(px, _)| px[1] as u32).collect();
    }
    tab.finish(src_w * cn, cn)
        .with_windows(src_w * cn)
        .with_gray(src_w * cn)
}

fn ipp_cubic_pos(d: usize, src: usize, dst: usize) -> ([usize; 4], [f32; 4]) {
    let f = (d as f64 + 0.5) * (src as f64 / dst as f64) - 0.5;
    let x0 = f.floor();
    let t = f - x0;
    let mut px = [0usize; 4];
    let mut w = [0f32; 4];
    for k in 0..4 {
        px[k] = (x0 as i64 - 1 + k as i64).clamp(0, src as i64 - 1) as usize;
        w[k] = cubic_kernel(t - (k as f64 - 1.0)) as f32;
    }
    (px, w)
}

/// Vertical table of the IPP cubic path (as [`ipp_cubic_htab`]). A tap of weight 0 names
/// the row of the tap of weight 1 when there is one (its product is 0 whichever row it
/// reads), so a destination row on a source row centre needs one horizontal pass, not four.
pub fn ipp_cubic_vtab(src_h: usize, dst_h: usize) -> VTab<f32> {
    let mut tab = VTab {
        taps: 4,
        rows: vec![0; 4 * dst_h],
        w: vec![0.0; 4 * dst_h],
    };
    for dy in 0..dst_h {
        let (px, w) = ipp_cubic_pos(dy, src_h, dst_h);
        let unit = w == [0.0, 1.0, 0.0, 0.0];
        for k in 0..4 {
            tab.rows[dy * 4 + k] = if unit { px[1] } else { px[k] } as u32;
            tab.w[dy * 4 + k] = w[k];
        }
    }
    tab
}

/// Horizontal pass of the IPP cubic path: `((p0*w0 + p1*w1) + p2*w2) + p3*w3` in `f32`.
/// The fractional `INTER_AREA` pass (`0 + p0*w0 + ...`) is the same sum, so both use
/// [`h_float`].
pub fn h_float(src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
    let n = tab.n;
    for (i, o) in out.iter_mut().enumerate() {
        let e = e0 + i;
        let mut s = src[tab.idx[e] as usize] as f32 * tab.w[e];
        for t in 1..tab.taps {
            s += src[tab.idx[t * n + e] as usize] as f32 * tab.w[t * n + e];
        }
        *o = s;
    }
}

/// Vertical pass of the IPP cubic path: the same sum over four rows, then round half to
/// even and saturate.
#[inline(always)]
pub fn v_cubic_f32_px(r: [f32; 4], b: [f32; 4]) -> u8 {
    round_u8(((r[0] * b[0] + r[1] * b[1]) + r[2] * b[2]) + r[3] * b[3])
}

/// Vertical pass of OpenCV's own `INTER_CUBIC` (taken when the source has a side below 4
/// pixels, which IPP declines) over elements `e0..e0 + out.len()` of a row of `n` elements:
/// OpenCV runs its 8-lane float kernel ([`v_cubic_float_px`]) on elements
/// `0..8 * (n / 8)` and the integer formula ([`v_cubic_int_px`]) on the rest.
pub fn v_cubic_own(r: [&[i32]; 4], b: [i32; 4], e0: usize, n: usize, out: &mut [u8]) {
    const SCALE: f32 = 1.0 / (COEF_SCALE * COEF_SCALE) as f32;
    let bf = [
        b[0] as f32 * SCALE,
        b[1] as f32 * SCALE,
        b[2] as f32 * SCALE,
        b[3] as f32 * SCALE,
    ];
    let float_end = n / 8 * 8;
    for (i, o) in out.iter_mut().enumerate() {
        let v = [r[0][i], r[1][i], r[2][i], r[3][i]];
        *o = if e0 + i < float_end {
            v_cubic_float_px(v, bf)
        } else {
            v_cubic_int_px(v, b)
        };
    }
}

/// [`v_cubic_f32_px`] over a row.
pub fn v_cubic_f32(r: [&[f32]; 4], b: [f32; 4], out: &mut [u8]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = v_cubic_f32_px([r[0][i], r[1][i], r[2][i], r[3][i]], b);
    }
}
