//! AVX-512 (F + BW) row kernels of the OpenCV resize family, bit-identical to
//! [`super::scalar`]: the four-tap float horizontal pass four destination pixels per `zmm`,
//! the IPP cubic vertical step 16 elements per step and the `INTER_LINEAR` one 64 per step;
//! with VBMI, the horizontal passes over the table's element blocks ([`HTab::blk_lo`]), one
//! element per 32-bit lane, each tap one 64-byte load and one zero-masked `vpermb` that
//! drops the element's byte into its lane. Float sums keep the scalar operation order (products, then sums tap by tap, no
//! fused multiply-add).

use super::scalar::{HTab, WinBlock, BLOCK};
use std::arch::x86_64::*;

/// Pixels ahead whose source window the horizontal pass prefetches.
const PREFETCH: usize = 48;

/// [`super::avx2::h_float4_px`] four pixels at a time, one per 128-bit lane: the pixels'
/// 16-byte windows side by side, per-lane `vpshufb`s, and tap `t` of the four pixels as one
/// load of the pre-splatted [`HTab::pws`] when the table has it (narrow tables, see
/// [`SPLAT_MAX_PX`](super::scalar::SPLAT_MAX_PX)), else the four pixels' weights as one
/// load from [`HTab::pw`] splatted tap by tap with an in-lane `vpermilps`. 3 channels: the
/// 12 results are packed with one `vpermps` and stored with a 12-lane masked store;
/// 4 channels: one 16-lane store. The last `(hi - lo) % 4` pixels go to the AVX2 kernel.
/// Same conditions as [`super::sse41::h_float4_px`].
///
/// # Safety
/// AVX-512 F and BW (and AVX2) must be available, and the conditions of
/// [`super::sse41::h_float4_px`] hold.
#[target_feature(enable = "avx512f,avx512bw,avx2")]
pub unsafe fn h_float4_px(src: &[u8], tab: &HTab<f32>, lo: usize, hi: usize, out: &mut [f32]) {
    debug_assert!(tab.pw.len() == 4 * (tab.n / tab.cn));
    let done = if tab.pws.is_empty() {
        let pw = tab.pw.as_ptr();
        // SAFETY: AVX-512 F is the caller's promise; `pw` holds 4 weights per pixel, read
        // for pixels below `hi`.
        let w = |dx: usize| unsafe {
            let v = _mm512_loadu_ps(pw.add(4 * dx));
            [
                _mm512_permute_ps::<0x00>(v),
                _mm512_permute_ps::<0x55>(v),
                _mm512_permute_ps::<0xAA>(v),
                _mm512_permute_ps::<0xFF>(v),
            ]
        };
        // SAFETY: the caller's promise.
        unsafe { px4(src, tab, lo, hi, out, w) }
    } else {
        debug_assert!(tab.pws.len() == 16 * (tab.n / tab.cn));
        let plane = 4 * (tab.n / tab.cn);
        let ws = tab.pws.as_ptr();
        // SAFETY: as above; `pws` holds 4 splatted weights per pixel and tap.
        // (No array `map` here: its closure would not inherit the target features, and
        // the loads would become calls.)
        let w = |dx: usize| unsafe {
            let p = ws.add(4 * dx);
            [
                _mm512_loadu_ps(p),
                _mm512_loadu_ps(p.add(plane)),
                _mm512_loadu_ps(p.add(2 * plane)),
                _mm512_loadu_ps(p.add(3 * plane)),
            ]
        };
        // SAFETY: the caller's promise.
        unsafe { px4(src, tab, lo, hi, out, w) }
    };
    if done < hi {
        let i = done - lo;
        // SAFETY: the same conditions on the last pixels.
        unsafe { super::avx2::h_float4_px(src, tab, done, hi, &mut out[i * tab.cn..]) };
    }
}

/// The loop of [`h_float4_px`] over whole groups of four pixels, with `w(dx)` giving the
/// four taps' weights of pixels `dx..dx + 4` splatted per lane; returns where it stopped.
///
/// # Safety
/// As [`h_float4_px`].
#[inline(always)]
unsafe fn px4(
    src: &[u8],
    tab: &HTab<f32>,
    lo: usize,
    hi: usize,
    out: &mut [f32],
    w: impl Fn(usize) -> [__m512; 4],
) -> usize {
    let cn = tab.cn;
    debug_assert!(tab.px_lo <= lo && hi <= tab.px_hi && (cn == 3 || cn == 4) && tab.taps == 4);
    debug_assert!(out.len() >= (hi - lo) * cn + (cn == 3) as usize);
    let mt = &super::sse41::TAP_MASKS[cn - 3];
    // SAFETY: 64 bytes each. (Loaded here, not in a closure, which would not inherit the
    // target features and would call the load once per row.)
    let m = unsafe {
        [
            _mm512_loadu_si512(mt[0].as_ptr().cast()),
            _mm512_loadu_si512(mt[1].as_ptr().cast()),
            _mm512_loadu_si512(mt[2].as_ptr().cast()),
            _mm512_loadu_si512(mt[3].as_ptr().cast()),
        ]
    };
    // 3 channels: lanes 0, 1, 2 of each 128-bit lane, in order.
    let pack = _mm512_setr_epi32(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0);
    let sp = src.as_ptr();
    let op = out.as_mut_ptr();
    let mut dx = lo;
    while dx + 4 <= hi {
        let i = dx - lo;
        // SAFETY: the four pixels are below `px_hi` (16 bytes readable from each window);
        // `w` reads their weights; the stores write elements `i * cn..(i + 4) * cn`, inside
        // `out`.
        unsafe {
            let ahead = *tab.pofs.get_unchecked((dx + PREFETCH).min(hi - 1)) as usize;
            _mm_prefetch::<_MM_HINT_T0>(sp.add(ahead).cast());
            let ld =
                |k: usize| _mm_loadu_si128(sp.add(*tab.pofs.get_unchecked(dx + k) as usize).cast());
            let lo2 = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(ld(0)), ld(1));
            let hi2 = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(ld(2)), ld(3));
            let px = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo2), hi2);
            let wt = w(dx);
            let tap = |t: usize| _mm512_cvtepi32_ps(_mm512_shuffle_epi8(px, m[t]));
            let mut s = _mm512_mul_ps(tap(0), wt[0]);
            s = _mm512_add_ps(s, _mm512_mul_ps(tap(1), wt[1]));
            s = _mm512_add_ps(s, _mm512_mul_ps(tap(2), wt[2]));
            s = _mm512_add_ps(s, _mm512_mul_ps(tap(3), wt[3]));
            if cn == 4 {
                _mm512_storeu_ps(op.add(i * 4), s);
            } else {
                let p = _mm512_permutexvar_ps(pack, s);
                _mm512_mask_storeu_ps(op.add(i * 3), 0x0fff, p);
            }
        }
        dx += 4;
    }
    dx
}

/// IPP `INTER_CUBIC` vertical step, 16 elements per step: `((r0*b0 + r1*b1) + r2*b2) + r3*b3`
/// in `f32`, rounded half to even (`vcvtps2dq` under the default rounding mode), clamped to
/// 0..=255 as [`super::scalar::v_cubic_f32`]; the last `len % 16` elements in one
/// masked step (masked loads read nothing past the rows). Returns the elements done: all
/// of `out` the rows cover.
///
/// # Safety
/// AVX-512 F and BW must be available.
#[target_feature(enable = "avx512f,avx512bw")]
pub unsafe fn v_cubic_f32(r: [&[f32]; 4], b: [f32; 4], out: &mut [u8]) -> usize {
    let len = r.iter().fold(out.len(), |m, x| m.min(x.len()));
    let vb = b.map(|x| _mm512_set1_ps(x));
    let zero = _mm512_setzero_si512();
    let op = out.as_mut_ptr();
    // SAFETY (of each call): `m` selects lanes below `len - i` of every slice.
    let step = |i: usize, m: __mmask16| unsafe {
        let ld = |k: usize| _mm512_maskz_loadu_ps(m, r[k].as_ptr().add(i));
        let mut s = _mm512_mul_ps(ld(0), vb[0]);
        s = _mm512_add_ps(s, _mm512_mul_ps(ld(1), vb[1]));
        s = _mm512_add_ps(s, _mm512_mul_ps(ld(2), vb[2]));
        s = _mm512_add_ps(s, _mm512_mul_ps(ld(3), vb[3]));
        // Negative (and the out-of-range 0x8000_0000) to 0, then unsigned saturation.
        let v = _mm512_max_epi32(_mm512_cvtps_epi32(s), zero);
        _mm512_mask_cvtusepi32_storeu_epi8(op.add(i).cast(), m, v);
    };
    let mut i = 0;
    while i + 16 <= len {
        step(i, 0xffff);
        i += 16;
    }
    if i < len {
        step(i, (1u16 << (len - i)) - 1);
    }
    len
}

/// `INTER_LINEAR` vertical step, 64 elements per step on `i16` lanes (as
/// [`super::avx2::v_linear`]: `r >> 4` fits `i16`, `(b * x) >> 16` is `vpmulhw`); the
/// in-lane packs are put back in order with one `vpermd`. Returns the elements done.
///
/// # Safety
/// AVX-512 F and BW must be available; the horizontal sums are those of `INTER_LINEAR`.
#[target_feature(enable = "avx512f,avx512bw")]
pub unsafe fn v_linear(r0: &[i32], r1: &[i32], b0: i32, b1: i32, out: &mut [u8]) -> usize {
    let count = out.len().min(r0.len()).min(r1.len()) / 64 * 64;
    let (vb0, vb1) = (_mm512_set1_epi16(b0 as i16), _mm512_set1_epi16(b1 as i16));
    let two = _mm512_set1_epi16(2);
    let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 64 <= count` on all three slices.
        unsafe {
            let ld = |r: &[i32], k: usize| {
                let p = r.as_ptr().add(i + 32 * k);
                let a = _mm512_srai_epi32::<4>(_mm512_loadu_si512(p.cast()));
                let b = _mm512_srai_epi32::<4>(_mm512_loadu_si512(p.add(16).cast()));
                _mm512_packs_epi32(a, b)
            };
            let f = |k: usize| {
                let a = _mm512_mulhi_epi16(ld(r0, k), vb0);
                let b = _mm512_mulhi_epi16(ld(r1, k), vb1);
                _mm512_srai_epi16::<2>(_mm512_add_epi16(_mm512_add_epi16(a, b), two))
            };
            let v = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(f(0), f(1)));
            _mm512_storeu_si512(out.as_mut_ptr().add(i).cast(), v);
        }
        i += 64;
    }
    count
}

/// The bytes of one tap of a block's 16 elements, each in the low byte of its 32-bit lane
/// (or, with `m` selecting two bytes per lane, two taps as an `i16` pair), the other bytes
/// zero: one zero-masking `vpermb` of the 64 bytes at `p`.
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available, and 64 bytes are readable at `p`.
#[inline(always)]
unsafe fn tap_bytes(p: *const u8, ix: __m512i, m: __mmask64) -> __m512i {
    // SAFETY: the caller's promise.
    unsafe { _mm512_maskz_permutexvar_epi8(m, ix, _mm512_loadu_si512(p.cast())) }
}

/// The lane mask `m` for [`tap_bytes`], hidden from the optimizer: LLVM turns a constant
/// one into an unmasked `vpermb` and a separate `vpandq`.
#[inline(always)]
fn lane_mask(m: u64) -> __mmask64 {
    std::hint::black_box(m)
}

/// Two-tap integer horizontal pass (LINEAR, LINEAR_EXACT) over element blocks `b0..b1`,
/// writing elements from `out[0]` (element `BLOCK * b0`): per block one 64-byte load, one
/// `vpermb` that zero-extends both taps of every element into an `i16` pair and one
/// `vpmaddwd` with the elements' weight pairs ([`HTab::bw16`]), the exact `i32` sums of
/// [`super::scalar::h_fixed`]. Prefetches the same window of `next` (as
/// [`super::sse41::h_fixed_px`]).
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available; `tab.blk_lo <= b0 <= b1 <= tab.blk_hi`,
/// `tab.bw16` is filled, `src` is a row of the table's source width and
/// `out.len() >= BLOCK * (b1 - b0)`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn h_fixed_blocks(
    src: &[u8],
    next: &[u8],
    tab: &HTab<i32>,
    b0: usize,
    b1: usize,
    out: &mut [i32],
) {
    debug_assert!(tab.blk_lo <= b0 && b1 <= tab.blk_hi && tab.bw16.len() >= BLOCK * b1);
    debug_assert!(out.len() >= BLOCK * (b1 - b0));
    let (sp, np, op) = (src.as_ptr(), next.as_ptr(), out.as_mut_ptr());
    let m = lane_mask(0x5555_5555_5555_5555);
    for b in b0..b1 {
        let e = BLOCK * b;
        // SAFETY: the block's 64-byte window is inside the row (table invariant); `bidx`
        // and `bw16` hold the block's 16 elements; the store writes `out[e - BLOCK * b0..]`
        // 16 lanes, inside `out`.
        unsafe {
            let base = *tab.bbase.get_unchecked(b) as usize;
            // A hint only: any address is allowed.
            _mm_prefetch::<_MM_HINT_T0>(np.wrapping_add(base).cast());
            let ix = _mm512_loadu_si512(tab.bidx.as_ptr().add(e).cast());
            let px = tap_bytes(sp.add(base), ix, m);
            let w = _mm512_loadu_si512(tab.bw16.as_ptr().add(e).cast());
            _mm512_storeu_si512(op.add(e - BLOCK * b0).cast(), _mm512_madd_epi16(px, w));
        }
    }
}

/// Float horizontal pass (IPP cubic, fractional AREA) over element blocks `b0..b1`,
/// writing elements from `out[0]` (element `BLOCK * b0`): tap `t` of a block is one
/// 64-byte load at `bbase + t * cn`, one `vpermb` and a conversion; the sum is
/// [`super::scalar::h_float`]'s `((p0*w0 + p1*w1) + ...)` in `f32`, with the weights loaded
/// from the tap-major [`HTab::w`].
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available; `tab.blk_lo <= b0 <= b1 <= tab.blk_hi`, `src`
/// is a row of the table's source width and `out.len() >= BLOCK * (b1 - b0)`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn h_float_blocks(src: &[u8], tab: &HTab<f32>, b0: usize, b1: usize, out: &mut [f32]) {
    // SAFETY: the caller's promise.
    unsafe {
        match tab.taps {
            4 => float_blocks::<4>(src, tab, b0, b1, out),
            1 => float_blocks::<1>(src, tab, b0, b1, out),
            _ => float_blocks::<0>(src, tab, b0, b1, out),
        }
    }
}

/// The window of block `w` as two vectors of source bytes (the second zero unless
/// [`WinBlock::wide`]), loaded with byte masks that stop at the end of `src`.
///
/// # Safety
/// AVX-512 F and BW must be available; `w.base` is inside `src`.
#[inline(always)]
unsafe fn win_bytes(src: &[u8], w: &WinBlock) -> (__m512i, __m512i) {
    let base = w.base as usize;
    if !w.wide && src.len() - base >= 64 {
        // SAFETY: 64 bytes from `base` are inside `src`.
        return unsafe {
            (
                _mm512_loadu_si512(src.as_ptr().add(base).cast()),
                _mm512_setzero_si512(),
            )
        };
    }
    let left = src.len() - base;
    let mask = |k: usize| match left.saturating_sub(k) {
        0 => 0,
        r if r >= 64 => u64::MAX,
        r => (1u64 << r) - 1,
    };
    // SAFETY: the masks stop at the end of `src` (masked-off bytes are not accessed);
    // `base` is inside `src` (the caller's promise).
    unsafe {
        let p = src.as_ptr().add(base);
        let lo = _mm512_maskz_loadu_epi8(mask(0), p.cast());
        let hi = if w.wide {
            _mm512_maskz_loadu_epi8(mask(64), p.wrapping_add(64).cast())
        } else {
            _mm512_setzero_si512()
        };
        (lo, hi)
    }
}

/// Byte permute of a window ([`win_bytes`]): `vpermb` of `lo` for a narrow window,
/// `vpermt2b` of both for a wide one; byte lanes off `m` are zero.
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available.
#[inline(always)]
unsafe fn win_permute(wide: bool, m: __mmask64, ix: __m512i, lo: __m512i, hi: __m512i) -> __m512i {
    // SAFETY: the caller's promise.
    unsafe {
        if wide {
            _mm512_maskz_permutex2var_epi8(m, lo, ix, hi)
        } else {
            _mm512_maskz_permutexvar_epi8(m, ix, lo)
        }
    }
}

/// Two-tap integer horizontal pass of window block `w` ([`HTab::win`]) into
/// `out[..w.lanes]`: the window's bytes ([`win_bytes`]), one byte permute that
/// zero-extends both taps into an `i16` pair (indices `idx0 | idx1 << 16`) and one
/// `vpmaddwd` with [`HTab::bw16`], as [`h_fixed_blocks`].
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available; `w` is one of `tab.win`, `tab.taps == 2`,
/// `tab.bw16` covers block `w.b`, `src` is a row of the table's source width and
/// `out.len() >= w.lanes`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn h_fixed_window(src: &[u8], tab: &HTab<i32>, w: &WinBlock, out: &mut [i32]) {
    debug_assert!(out.len() >= w.lanes && tab.taps == 2 && w.idx.len() == 2 * BLOCK);
    debug_assert!(tab.bw16.len() >= BLOCK * (w.b + 1));
    let e = BLOCK * w.b;
    let m = lane_mask(0x5555_5555_5555_5555);
    let keep = ((1u32 << w.lanes) - 1) as __mmask16;
    // SAFETY: `base` is inside the row and every index inside the window (table
    // invariant); `bw16` holds the block's 16 elements (the caller's promise); the store
    // writes `lanes` lanes, inside `out`.
    unsafe {
        let (lo, hi) = win_bytes(src, w);
        let i0 = _mm512_loadu_si512(w.idx.as_ptr().cast());
        let i1 = _mm512_loadu_si512(w.idx.as_ptr().add(BLOCK).cast());
        let ix = _mm512_or_si512(i0, _mm512_slli_epi32::<16>(i1));
        let px = win_permute(w.wide, m, ix, lo, hi);
        let wt = _mm512_loadu_si512(tab.bw16.as_ptr().add(e).cast());
        _mm512_mask_storeu_epi32(out.as_mut_ptr().cast(), keep, _mm512_madd_epi16(px, wt));
    }
}

/// Float horizontal pass of window block `w` ([`HTab::win`]) into `out[..w.lanes]`: the
/// window's bytes ([`win_bytes`]), then per tap one byte permute with the block's own
/// indices, a conversion and the product with the element weights, summed as
/// [`super::scalar::h_float`].
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available; `w` is one of `tab.win`, `src` is a row of the
/// table's source width and `out.len() >= w.lanes`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn h_float_window(src: &[u8], tab: &HTab<f32>, w: &WinBlock, out: &mut [f32]) {
    debug_assert!(out.len() >= w.lanes && w.idx.len() == tab.taps * BLOCK);
    let (n, e) = (tab.n, BLOCK * w.b);
    let m = lane_mask(0x1111_1111_1111_1111);
    let keep = ((1u32 << w.lanes) - 1) as __mmask16;
    // SAFETY: `base` is inside the row and every index inside the window (table
    // invariant); the weight loads read the block's `lanes` elements of each tap (`e +
    // lanes <= n`); the store writes `lanes` lanes, inside `out`.
    unsafe {
        let (lo, hi) = win_bytes(src, w);
        let mut s = _mm512_setzero_ps();
        for t in 0..tab.taps {
            let ix = _mm512_loadu_si512(w.idx.as_ptr().add(t * BLOCK).cast());
            let px = win_permute(w.wide, m, ix, lo, hi);
            let wt = _mm512_maskz_loadu_ps(keep, tab.w.as_ptr().add(t * n + e));
            let prod = _mm512_mul_ps(_mm512_cvtepi32_ps(px), wt);
            s = if t == 0 { prod } else { _mm512_add_ps(s, prod) };
        }
        _mm512_mask_storeu_ps(out.as_mut_ptr(), keep, s);
    }
}

/// [`h_float_blocks`] with `T` taps (`T = 0`: the table's count, read at run time).
///
/// # Safety
/// As [`h_float_blocks`].
#[inline(always)]
unsafe fn float_blocks<const T: usize>(
    src: &[u8],
    tab: &HTab<f32>,
    b0: usize,
    b1: usize,
    out: &mut [f32],
) {
    let taps = if T == 0 { tab.taps } else { T };
    debug_assert!(tab.taps == taps && taps >= 1);
    debug_assert!(tab.blk_lo <= b0 && b1 <= tab.blk_hi && out.len() >= BLOCK * (b1 - b0));
    if !tab.bwix.is_empty() {
        debug_assert!(T == 4);
        // SAFETY: the caller's promise.
        return unsafe { compact_blocks(src, tab, b0, b1, out) };
    }
    let (n, cn) = (tab.n, tab.cn);
    let (sp, op, wp) = (src.as_ptr(), out.as_mut_ptr(), tab.w.as_ptr());
    // A mask LLVM cannot see: a constant one turns each zero-masking `vpermb` into a
    // `vpermb` and a `vpandq`.
    let m = lane_mask(0x1111_1111_1111_1111);
    for b in b0..b1 {
        let e = BLOCK * b;
        // SAFETY: 64 bytes from `bbase + t * cn` are inside the row for every tap (table
        // invariant); `bidx` and each tap's weights hold the block's 16 elements; the store
        // writes 16 lanes from `out[e - BLOCK * b0]`, inside `out`.
        unsafe {
            let p = sp.add(*tab.bbase.get_unchecked(b) as usize);
            let ix = _mm512_loadu_si512(tab.bidx.as_ptr().add(e).cast());
            let mut s = _mm512_setzero_ps();
            for t in 0..taps {
                let w = _mm512_loadu_ps(wp.add(t * n + e));
                let px = tap_bytes(p.add(t * cn), ix, m);
                let prod = _mm512_mul_ps(_mm512_cvtepi32_ps(px), w);
                s = if t == 0 { prod } else { _mm512_add_ps(s, prod) };
            }
            _mm512_storeu_ps(op.add(e - BLOCK * b0), s);
        }
    }
}

/// [`float_blocks`] of a four-tap table with compact weights ([`HTab::bwix`], 3 or 4
/// channels): each block's weights are spread from the 32 of its first 8 pixels by one
/// `vpermi2ps` per tap, whose indices depend only on the block's first channel `r`
/// (`BLOCK * b = cn * p0 + r`). They stay in registers: 3 channels run 3 blocks at a time
/// (48 elements, 16 pixels; `r` = 0, 1, 2), 4 channels always have `r` = 0.
///
/// # Safety
/// As [`h_float_blocks`], with `tab.bwix` filled.
#[inline(always)]
unsafe fn compact_blocks(src: &[u8], tab: &HTab<f32>, b0: usize, b1: usize, out: &mut [f32]) {
    let cn = tab.cn;
    debug_assert!(tab.taps == 4 && (cn == 3 || cn == 4) && tab.bwix.len() == cn * 4 * BLOCK);
    let (sp, op, pw) = (src.as_ptr(), out.as_mut_ptr(), tab.pw.as_ptr());
    let m = lane_mask(0x1111_1111_1111_1111);
    // SAFETY: `bwix` holds `cn * 4` vectors of 16 indices.
    let wix = |r: usize| unsafe {
        let p = tab.bwix.as_ptr().add(r * 4 * BLOCK);
        [
            _mm512_loadu_si512(p.cast()),
            _mm512_loadu_si512(p.add(BLOCK).cast()),
            _mm512_loadu_si512(p.add(2 * BLOCK).cast()),
            _mm512_loadu_si512(p.add(3 * BLOCK).cast()),
        ]
    };
    let (w0, w1, w2) = (wix(0), wix(1), wix(2 % cn));
    // One block: `wp` the weights of its first pixel, `wi` the indices of its residue.
    // SAFETY (of each call): 64 bytes from `bbase + t * cn` are inside the row for every
    // tap (table invariant); `bidx` holds the block's 16 elements and `pw` its 32 weights
    // from `p0`; the store writes 16 lanes from `out[e - BLOCK * b0]`, inside `out`.
    #[inline(always)]
    unsafe fn block(
        tab: &HTab<f32>,
        sp: *const u8,
        wp: *const f32,
        op: *mut f32,
        m: __mmask64,
        b: usize,
        wi: &[__m512i; 4],
    ) {
        let cn = tab.cn;
        // SAFETY: the caller's promise.
        unsafe {
            let e = BLOCK * b;
            let p = sp.add(*tab.bbase.get_unchecked(b) as usize);
            let ix = _mm512_loadu_si512(tab.bidx.as_ptr().add(e).cast());
            let wa = _mm512_loadu_ps(wp);
            let wb = _mm512_loadu_ps(wp.add(16));
            let mut s = _mm512_setzero_ps();
            for (t, &wt) in wi.iter().enumerate() {
                let w = _mm512_permutex2var_ps(wa, wt, wb);
                let px = tap_bytes(p.add(t * cn), ix, m);
                let prod = _mm512_mul_ps(_mm512_cvtepi32_ps(px), w);
                s = if t == 0 { prod } else { _mm512_add_ps(s, prod) };
            }
            _mm512_storeu_ps(op, s);
        }
    }
    let (mut p0, mut r) = (BLOCK * b0 / cn, BLOCK * b0 % cn);
    let mut b = b0;
    while b < b1 {
        let o = BLOCK * (b - b0);
        // SAFETY: see `block`.
        unsafe {
            if cn == 3 && r == 0 && b + 3 <= b1 {
                let wp = pw.add(4 * p0);
                block(tab, sp, wp, op.add(o), m, b, &w0);
                block(tab, sp, wp.add(20), op.add(o + BLOCK), m, b + 1, &w1);
                block(tab, sp, wp.add(40), op.add(o + 2 * BLOCK), m, b + 2, &w2);
                (b, p0) = (b + 3, p0 + 16);
                continue;
            }
            let wi = match r {
                0 => &w0,
                1 => &w1,
                _ => &w2,
            };
            block(tab, sp, pw.add(4 * p0), op.add(o), m, b, wi);
        }
        (p0, r) = (p0 + BLOCK / cn, r + BLOCK % cn);
        if r >= cn {
            (p0, r) = (p0 + 1, r - cn);
        }
        b += 1;
    }
}

/// One-channel float horizontal pass (GRAY8 IPP cubic, any factor) of elements
/// `e0..e0 + out.len()` in the multi-window form ([`HTab::gw_ix`]), 16 elements per block:
/// per window one 64-byte load and one merge-masked `vpermb` that drops the bytes of every
/// tap of its lanes into the lanes (tap `t` in byte `t`), then per tap a shift, a mask, a
/// conversion and the product with the tap-major weights, summed as
/// [`super::scalar::h_float`] (`((p0*w0 + p1*w1) + p2*w2) + p3*w3`, no fused
/// multiply-add). Prefetches each window of `next` (the row the same tap needs one
/// destination row down): 10-20 % faster on downscales of 1920x1080 and larger. The
/// blocks the range cuts at its ends run with their lanes outside it masked off (loads,
/// permutes and the store), so the whole range is done.
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available; the table has the multi-window form,
/// `e0 + out.len() <= tab.n` and `src` is a row of the table's source width.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn h_float_gray(src: &[u8], next: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
    // SAFETY: the caller's promise.
    unsafe {
        match tab.taps {
            4 => gray_blocks::<4>(src, next, tab, e0, out),
            3 => gray_blocks::<3>(src, next, tab, e0, out),
            2 => gray_blocks::<2>(src, next, tab, e0, out),
            _ => gray_blocks::<1>(src, next, tab, e0, out),
        }
    }
}

/// [`h_float_gray`] with `T` taps.
///
/// # Safety
/// As [`h_float_gray`], with `tab.taps == T`.
#[inline(always)]
unsafe fn gray_blocks<const T: usize>(
    src: &[u8],
    next: &[u8],
    tab: &HTab<f32>,
    e0: usize,
    out: &mut [f32],
) {
    let (n, e1, k) = (tab.n, e0 + out.len(), tab.gw_k);
    debug_assert!(tab.taps == T && tab.cn == 1 && e1 <= n && k > 0);
    debug_assert!(tab.gw_base.len() == k * n.div_ceil(BLOCK) && tab.gw_ix.len() >= e1);
    if e0 == e1 {
        return;
    }
    // Element `e` of the table goes to `out[e - e0]`; only lanes inside `e0..e1` are
    // stored through it.
    let op = out.as_mut_ptr().wrapping_sub(e0);
    let (sp, np) = (src.as_ptr(), next.as_ptr());
    // Whole blocks `f0..f1` unmasked (all lanes), the cut ones at the ends masked.
    let (f0, f1) = (e0.div_ceil(BLOCK), e1 / BLOCK);
    if f0 > f1 {
        // One block holds the whole range.
        // SAFETY: see `gray_part`.
        return unsafe { gray_part::<T>(tab, sp, np, op, e0 / BLOCK, e0, e1) };
    }
    if f0 * BLOCK > e0 {
        // SAFETY: see `gray_part`.
        unsafe { gray_part::<T>(tab, sp, np, op, f0 - 1, e0, e1) };
    }
    for b in f0..f1 {
        // SAFETY: as for `part`, all 16 lanes.
        unsafe { gray_block::<T>(tab, sp, np, op, b, 0xffff, u64::MAX) };
    }
    if f1 * BLOCK < e1 {
        // SAFETY: see `gray_part`.
        unsafe { gray_part::<T>(tab, sp, np, op, f1, e0, e1) };
    }
}

/// Block `b` of [`gray_blocks`], lanes `lanes` (`bytes`: the same lanes as a byte mask):
/// element `e` of the table goes to `op + e`.
///
/// # Safety
/// As [`h_float_gray`]; the selected lanes are elements below `tab.n` and `op + e` is
/// writable for each of them. (A function, not a closure: a closure would not inherit the
/// target features, and the intrinsics would become calls.)
#[inline(always)]
unsafe fn gray_block<const T: usize>(
    tab: &HTab<f32>,
    sp: *const u8,
    np: *const u8,
    op: *mut f32,
    b: usize,
    lanes: __mmask16,
    bytes: u64,
) {
    let (n, k, e) = (tab.n, tab.gw_k, BLOCK * b);
    let (wp, bp, mp) = (tab.w.as_ptr(), tab.gw_base.as_ptr(), tab.gw_mask.as_ptr());
    let byte = _mm512_set1_epi32(0xff);
    // SAFETY: windows `k * b..k * (b + 1)` are 64 bytes inside the row (table invariant);
    // the masked loads read only the selected lanes, elements below `n` of `gw_ix` and of
    // each tap's weights; the masked store writes only those lanes (the caller's promise).
    unsafe {
        let ix = _mm512_maskz_loadu_epi32(lanes, tab.gw_ix.as_ptr().add(e).cast());
        let mut v = _mm512_setzero_si512();
        for w in k * b..k * (b + 1) {
            let base = *bp.add(w) as usize;
            // A hint only: any address is allowed.
            _mm_prefetch::<_MM_HINT_T0>(np.wrapping_add(base).cast());
            let win = _mm512_loadu_si512(sp.add(base).cast());
            v = _mm512_mask_permutexvar_epi8(v, *mp.add(w) & bytes, ix, win);
        }
        let mut s = _mm512_setzero_ps();
        for t in 0..T {
            let x = match t {
                0 => _mm512_and_si512(v, byte),
                1 => _mm512_and_si512(_mm512_srli_epi32::<8>(v), byte),
                2 => _mm512_and_si512(_mm512_srli_epi32::<16>(v), byte),
                _ => _mm512_srli_epi32::<24>(v),
            };
            let wt = _mm512_maskz_loadu_ps(lanes, wp.add(t * n + e));
            let p = _mm512_mul_ps(_mm512_cvtepi32_ps(x), wt);
            s = if t == 0 { p } else { _mm512_add_ps(s, p) };
        }
        _mm512_mask_storeu_ps(op.wrapping_add(e), lanes, s);
    }
}

/// [`gray_block`] on the lanes of block `b` inside elements `e0..e1` (at least one).
///
/// # Safety
/// As [`gray_block`] for those lanes.
#[inline(always)]
unsafe fn gray_part<const T: usize>(
    tab: &HTab<f32>,
    sp: *const u8,
    np: *const u8,
    op: *mut f32,
    b: usize,
    e0: usize,
    e1: usize,
) {
    let e = BLOCK * b;
    let (lo, hi) = (e0.max(e) - e, e1.min(e + BLOCK) - e);
    debug_assert!(lo < hi && hi <= BLOCK);
    let lanes = ((1u32 << hi) - (1u32 << lo)) as __mmask16;
    let bytes = (u64::MAX >> (64 - 4 * (hi - lo))) << (4 * lo);
    // SAFETY: the caller's promise.
    unsafe { gray_block::<T>(tab, sp, np, op, b, lanes, bytes) }
}
