//! NEON row kernels of the OpenCV resize family, bit-identical to [`super::scalar`].
//!
//! Tested under qemu-user only (`cargo test --target aarch64-unknown-linux-gnu`): the
//! equivalence with the scalar kernels is checked there, not measured on hardware. Timed
//! under qemu-user only (`benches/resize_opencv.rs`, 1920x1080 RGB to 640x640, a rough guide:
//! qemu emulates NEON and float operations with helpers), against the scalar kernels:
//! LINEAR about 1.5x and LINEAR_EXACT about 1.8x faster, CUBIC and AREA level. A NEON
//! `INTER_NEAREST` copy (four 4-byte lane loads and a `vqtbl1q_u8` pack per 4 pixels) timed
//! at 0.6x of the scalar copy there, so NEAREST runs the scalar kernel on aarch64 until a
//! hardware timing says otherwise.
//!
//! * The vertical `INTER_LINEAR` and `INTER_LINEAR_EXACT` steps stay in `i32` lanes, the
//!   scalar formulas operation for operation (integer arithmetic, so exact), 16 elements per
//!   step; the results narrow with saturation (`INTER_LINEAR`'s clamp) or truncation
//!   (`INTER_LINEAR_EXACT`'s `as u8`).
//! * The horizontal passes of 3- and 4-channel images work pixel by pixel on the table's
//!   pixel-major form ([`HTab::pofs`], `px_lo..px_hi`): one 16-byte load holds every tap of
//!   every channel of a destination pixel, `vqtbl1q_u8` spreads the bytes into lanes (an
//!   index of 16 or more gives 0), the two-tap integer pass multiplies with
//!   `vmull_n_s16`/`vmlal_n_s16` (exact `i32`), the four-tap float pass keeps the scalar
//!   order `((p0*w0 + p1*w1) + p2*w2) + p3*w3` with separate `vmulq_f32`/`vaddq_f32` (no
//!   fused multiply-add: the scalar kernel does not fuse). A 3-channel pixel stores 4 lanes,
//!   the fourth on the next pixel's first element, which the next store or the scalar tail
//!   overwrites; the last pixel of the window is therefore left to the scalar kernel.
//! * The float vertical steps (IPP cubic, fractional area) use separate multiplies and adds
//!   in the scalar order and `vcvtnq_s32_f32` (round half to even) with saturating narrows.

use super::scalar::{self, HTab};
use std::arch::aarch64::*;

/// Pixels of the window of elements `e0..e0 + len` that the pixel-major kernels may do:
/// inside the table's `px_lo..px_hi`, and (3 channels, whose 4-lane stores spill one
/// element) not the window's last pixel. Empty range as `(p1, p1)`.
fn px_range<W>(tab: &HTab<W>, e0: usize, len: usize) -> (usize, usize) {
    let cn = tab.cn;
    let (p0, p1) = (e0 / cn, (e0 + len) / cn);
    let lo = p0.max(tab.px_lo);
    let hi = p1
        .min(tab.px_hi)
        .min(if cn == 3 { p1.saturating_sub(1) } else { p1 });
    if lo < hi {
        (lo, hi)
    } else {
        (p1, p1)
    }
}

/// Byte table for `vqtbl1q_u8`: `u16` lanes 0..4 take tap 0 of channels 0..4, lanes 4..8
/// tap 1 (at `+cn`), zero-extended (index 0xFF reads as 0).
fn pair_table(cn: usize) -> [u8; 16] {
    let mut m = [0xFFu8; 16];
    for c in 0..4 {
        m[2 * c] = c as u8;
        m[8 + 2 * c] = (c + cn) as u8;
    }
    m
}

/// Byte table for `vqtbl1q_u8`: `u32` lanes 0..4 take tap `t` of channels 0..4.
fn tap_table(cn: usize, t: usize) -> [u8; 16] {
    let mut m = [0xFFu8; 16];
    for c in 0..4 {
        m[4 * c] = (t * cn + c) as u8;
    }
    m
}

/// Horizontal pass of LINEAR/LINEAR_EXACT (and any two-tap integer table) for elements
/// `e0..e0 + out.len()`: the pixel-major NEON kernel where the table allows it, the scalar
/// kernel elsewhere. Same result as [`scalar::h_fixed`].
pub fn h_fixed(src: &[u8], tab: &HTab<i32>, e0: usize, out: &mut [i32]) {
    let cn = tab.cn;
    if matches!(cn, 3 | 4) && tab.taps == 2 && !tab.pw16.is_empty() {
        let (lo, hi) = px_range(tab, e0, out.len());
        if lo < hi {
            let (a, b) = (lo * cn - e0, hi * cn - e0);
            scalar::h_fixed(src, tab, e0, &mut out[..a]);
            // SAFETY: NEON is part of the aarch64 baseline; `px_range` keeps `lo..hi` inside
            // `px_lo..px_hi` and leaves one element of `out` past pixel `hi` for 3 channels.
            unsafe { h_fixed_px(src, tab, lo, hi, &mut out[a..]) };
            scalar::h_fixed(src, tab, e0 + b, &mut out[b..]);
            return;
        }
    }
    scalar::h_fixed(src, tab, e0, out)
}

/// Two-tap integer pass over destination pixels `lo..hi`, writing from `out[0]`.
///
/// # Safety
/// NEON; `tab.px_lo <= lo <= hi <= tab.px_hi`, `tab.cn` is 3 or 4, `tab.taps == 2`,
/// `tab.pw16` is filled and `out.len() >= (hi - lo) * cn` plus one element for 3 channels.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn h_fixed_px(src: &[u8], tab: &HTab<i32>, lo: usize, hi: usize, out: &mut [i32]) {
    let cn = tab.cn;
    debug_assert!(tab.px_lo <= lo && hi <= tab.px_hi && (cn == 3 || cn == 4));
    debug_assert!(tab.pw16.len() >= hi && out.len() >= (hi - lo) * cn + (cn == 3) as usize);
    // SAFETY: the table is 16 bytes.
    let m = unsafe { vld1q_u8(pair_table(cn).as_ptr()) };
    let sp = src.as_ptr();
    let op = out.as_mut_ptr();
    for (i, dx) in (lo..hi).enumerate() {
        // SAFETY: `dx < px_hi`, so 16 bytes from `pofs[dx]` are inside the row; the store
        // writes 4 lanes from element `i * cn`, inside `out` (above).
        unsafe {
            let o = *tab.pofs.get_unchecked(dx) as usize;
            let w = *tab.pw16.get_unchecked(dx);
            let px = vreinterpretq_s16_u8(vqtbl1q_u8(vld1q_u8(sp.add(o)), m));
            let s = vmull_n_s16(vget_low_s16(px), w as u16 as i16);
            let s = vmlal_n_s16(s, vget_high_s16(px), (w >> 16) as u16 as i16);
            vst1q_s32(op.add(i * cn), s);
        }
    }
}

/// Four-tap float horizontal pass (IPP CUBIC, fractional AREA with 4 taps) for elements
/// `e0..e0 + out.len()`: the pixel-major NEON kernel where the table allows it, the scalar
/// kernel elsewhere. Same result as [`scalar::h_float`].
pub fn h_float(src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) {
    let cn = tab.cn;
    if matches!(cn, 3 | 4) && tab.taps == 4 {
        let (lo, hi) = px_range(tab, e0, out.len());
        if lo < hi {
            let (a, b) = (lo * cn - e0, hi * cn - e0);
            scalar::h_float(src, tab, e0, &mut out[..a]);
            // SAFETY: as in `h_fixed`.
            unsafe { h_float4_px(src, tab, lo, hi, &mut out[a..]) };
            scalar::h_float(src, tab, e0 + b, &mut out[b..]);
            return;
        }
    }
    scalar::h_float(src, tab, e0, out)
}

/// Four-tap float pass over pixels `lo..hi`: `((p0*w0 + p1*w1) + p2*w2) + p3*w3` per
/// element, unfused, as [`scalar::h_float`].
///
/// # Safety
/// NEON; as [`h_fixed_px`] with `tab.taps == 4` (no `pw16`).
#[inline]
#[target_feature(enable = "neon")]
unsafe fn h_float4_px(src: &[u8], tab: &HTab<f32>, lo: usize, hi: usize, out: &mut [f32]) {
    let cn = tab.cn;
    debug_assert!(tab.px_lo <= lo && hi <= tab.px_hi && (cn == 3 || cn == 4) && tab.taps == 4);
    debug_assert!(out.len() >= (hi - lo) * cn + (cn == 3) as usize);
    // SAFETY: each table is 16 bytes.
    let m = unsafe { [0, 1, 2, 3].map(|t| vld1q_u8(tap_table(cn, t).as_ptr())) };
    let sp = src.as_ptr();
    let op = out.as_mut_ptr();
    for (i, dx) in (lo..hi).enumerate() {
        // SAFETY: as in `h_fixed_px`; `pw` holds 4 weights per pixel.
        unsafe {
            let o = *tab.pofs.get_unchecked(dx) as usize;
            let px = vld1q_u8(sp.add(o));
            let w = vld1q_f32(tab.pw.as_ptr().add(4 * dx));
            let tap = |t: usize| vcvtq_f32_u32(vreinterpretq_u32_u8(vqtbl1q_u8(px, m[t])));
            let mut s = vmulq_f32(tap(0), vdupq_laneq_f32::<0>(w));
            s = vaddq_f32(s, vmulq_f32(tap(1), vdupq_laneq_f32::<1>(w)));
            s = vaddq_f32(s, vmulq_f32(tap(2), vdupq_laneq_f32::<2>(w)));
            s = vaddq_f32(s, vmulq_f32(tap(3), vdupq_laneq_f32::<3>(w)));
            vst1q_f32(op.add(i * cn), s);
        }
    }
}

/// Four `i32` lanes of the `INTER_LINEAR` vertical step before narrowing:
/// `((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2`.
#[inline]
#[target_feature(enable = "neon")]
fn v_linear4(r0: int32x4_t, r1: int32x4_t, b0: int32x4_t, b1: int32x4_t) -> int32x4_t {
    let a = vshrq_n_s32::<16>(vmulq_s32(b0, vshrq_n_s32::<4>(r0)));
    let b = vshrq_n_s32::<16>(vmulq_s32(b1, vshrq_n_s32::<4>(r1)));
    vshrq_n_s32::<2>(vaddq_s32(vaddq_s32(a, b), vdupq_n_s32(2)))
}

/// `INTER_LINEAR` vertical step, 16 elements per step, as [`scalar::v_linear`] (`i32`
/// arithmetic, then the clamp to 0..=255 as saturating narrows). Returns the elements done.
///
/// # Safety
/// NEON (always present on aarch64).
#[inline]
#[target_feature(enable = "neon")]
pub unsafe fn v_linear(r0: &[i32], r1: &[i32], b0: i32, b1: i32, out: &mut [u8]) -> usize {
    let count = out.len().min(r0.len()).min(r1.len()) / 16 * 16;
    let (vb0, vb1) = (vdupq_n_s32(b0), vdupq_n_s32(b1));
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 16 <= count` on all three slices.
        unsafe {
            let f = |j: usize| {
                let v = v_linear4(
                    vld1q_s32(r0.as_ptr().add(j)),
                    vld1q_s32(r1.as_ptr().add(j)),
                    vb0,
                    vb1,
                );
                vqmovun_s32(v)
            };
            let lo = vqmovn_u16(vcombine_u16(f(i), f(i + 4)));
            let hi = vqmovn_u16(vcombine_u16(f(i + 8), f(i + 12)));
            vst1q_u8(out.as_mut_ptr().add(i), vcombine_u8(lo, hi));
        }
        i += 16;
    }
    count
}

/// `INTER_LINEAR_EXACT` vertical step, 16 elements per step, as [`scalar::v_exact`]:
/// `(c0 * h0 + c1 * h1 + 2^15) >> 16` in `i32`, truncated to `u8` (`as u8`) by plain narrows.
/// Returns the elements done.
///
/// # Safety
/// NEON (always present on aarch64).
#[inline]
#[target_feature(enable = "neon")]
pub unsafe fn v_exact(h0: &[i32], h1: &[i32], c0: i32, c1: i32, out: &mut [u8]) -> usize {
    let count = out.len().min(h0.len()).min(h1.len()) / 16 * 16;
    let (vc0, vc1) = (vdupq_n_s32(c0), vdupq_n_s32(c1));
    let half = vdupq_n_s32(1 << 15);
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 16 <= count` on all three slices.
        unsafe {
            let f = |j: usize| {
                let s = vmulq_s32(vc0, vld1q_s32(h0.as_ptr().add(j)));
                let s = vaddq_s32(s, vmulq_s32(vc1, vld1q_s32(h1.as_ptr().add(j))));
                vmovn_u32(vreinterpretq_u32_s32(vshrq_n_s32::<16>(vaddq_s32(s, half))))
            };
            let lo = vmovn_u16(vcombine_u16(f(i), f(i + 4)));
            let hi = vmovn_u16(vcombine_u16(f(i + 8), f(i + 12)));
            vst1q_u8(out.as_mut_ptr().add(i), vcombine_u8(lo, hi));
        }
        i += 16;
    }
    count
}

/// Four `f32` lanes rounded half to even and saturated to `u16` (then `u8` by the caller).
#[inline]
#[target_feature(enable = "neon")]
fn round_u16x4(s: float32x4_t) -> uint16x4_t {
    vqmovun_s32(vcvtnq_s32_f32(s))
}

/// IPP `INTER_CUBIC` vertical step, 8 elements per step: `((r0*b0 + r1*b1) + r2*b2) + r3*b3`
/// in `f32` (separate multiplies and adds), rounded half to even and saturated, as
/// [`scalar::v_cubic_f32`]. Returns the elements done.
///
/// # Safety
/// NEON (always present on aarch64).
#[inline]
#[target_feature(enable = "neon")]
pub unsafe fn v_cubic_f32(r: [&[f32]; 4], b: [f32; 4], out: &mut [u8]) -> usize {
    let count = r.iter().fold(out.len(), |m, x| m.min(x.len())) / 8 * 8;
    let vb = b.map(|x| vdupq_n_f32(x));
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 8 <= count` on all slices.
        unsafe {
            let f = |j: usize| {
                let mut s = vmulq_f32(vld1q_f32(r[0].as_ptr().add(j)), vb[0]);
                for k in 1..4 {
                    s = vaddq_f32(s, vmulq_f32(vld1q_f32(r[k].as_ptr().add(j)), vb[k]));
                }
                round_u16x4(s)
            };
            let v = vqmovn_u16(vcombine_u16(f(i), f(i + 4)));
            vst1_u8(out.as_mut_ptr().add(i), v);
        }
        i += 8;
    }
    count
}

/// One vertical step of the fractional `INTER_AREA` path, 4 elements per step:
/// `sum += beta * buf` (unfused), as [`scalar::v_area_acc`]. Returns the elements done.
///
/// # Safety
/// NEON (always present on aarch64).
#[inline]
#[target_feature(enable = "neon")]
pub unsafe fn v_area_acc(sum: &mut [f32], buf: &[f32], beta: f32) -> usize {
    let count = sum.len().min(buf.len()) / 4 * 4;
    let vb = vdupq_n_f32(beta);
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 4 <= count` on both slices.
        unsafe {
            let p = sum.as_mut_ptr().add(i);
            let v = vaddq_f32(vld1q_f32(p), vmulq_f32(vb, vld1q_f32(buf.as_ptr().add(i))));
            vst1q_f32(p, v);
        }
        i += 4;
    }
    count
}

/// Final rounding of the fractional `INTER_AREA` path, 8 elements per step, as
/// [`scalar::v_area_store`]. Returns the elements done.
///
/// # Safety
/// NEON (always present on aarch64).
#[inline]
#[target_feature(enable = "neon")]
pub unsafe fn v_area_store(sum: &[f32], out: &mut [u8]) -> usize {
    let count = sum.len().min(out.len()) / 8 * 8;
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 8 <= count` on both slices.
        unsafe {
            let f = |j: usize| round_u16x4(vld1q_f32(sum.as_ptr().add(j)));
            vst1_u8(
                out.as_mut_ptr().add(i),
                vqmovn_u16(vcombine_u16(f(i), f(i + 4))),
            );
        }
        i += 8;
    }
    count
}

/// OpenCV's 2x2 area mean as [`super::scalar::area_fast_row`] with `half_up2x2`:
/// destination pixels `x0..` of `cn` (1..=4) channels into `out` (whole pixels), 8 pixels
/// per step. `vld{cn}q_u8` splits 16 source pixels of a row into channel planes,
/// `vpaddlq_u8`/`vpadalq_u8` add neighbouring pixels of both rows in `u16` (at most
/// 1020), `vrshrn_n_u16::<2>` is `(sum + 2) >> 2`, and `vst{cn}_u8` interleaves the
/// channels again. Returns the pixels done.
///
/// # Safety
/// NEON (always present on aarch64); `r0` and `r1` hold the `2 * cn` source bytes of
/// every pixel of `out`.
#[inline]
#[target_feature(enable = "neon")]
pub unsafe fn area2x2(r0: &[u8], r1: &[u8], cn: usize, x0: usize, out: &mut [u8]) -> usize {
    if !(1..=4).contains(&cn) {
        return 0;
    }
    let n = out.len() / cn;
    let (a, b) = (&r0[x0 * 2 * cn..], &r1[x0 * 2 * cn..]);
    assert!(a.len() >= 2 * n * cn && b.len() >= 2 * n * cn);
    let count = n / 8 * 8;
    let mean = |x: uint8x16_t, y: uint8x16_t| vrshrn_n_u16::<2>(vpadalq_u8(vpaddlq_u8(x), y));
    let mut x = 0;
    while x < count {
        let (pa, pb) = (a[x * 2 * cn..].as_ptr(), b[x * 2 * cn..].as_ptr());
        let po = out[x * cn..].as_mut_ptr();
        // SAFETY: pixels `x..x + 8` are in `out` and their `16 * cn` source bytes in both rows.
        unsafe {
            match cn {
                1 => vst1_u8(po, mean(vld1q_u8(pa), vld1q_u8(pb))),
                2 => {
                    let (s, t) = (vld2q_u8(pa), vld2q_u8(pb));
                    vst2_u8(po, uint8x8x2_t(mean(s.0, t.0), mean(s.1, t.1)));
                }
                3 => {
                    let (s, t) = (vld3q_u8(pa), vld3q_u8(pb));
                    let v = uint8x8x3_t(mean(s.0, t.0), mean(s.1, t.1), mean(s.2, t.2));
                    vst3_u8(po, v);
                }
                _ => {
                    let (s, t) = (vld4q_u8(pa), vld4q_u8(pb));
                    let v = uint8x8x4_t(
                        mean(s.0, t.0),
                        mean(s.1, t.1),
                        mean(s.2, t.2),
                        mean(s.3, t.3),
                    );
                    vst4_u8(po, v);
                }
            }
        }
        x += 8;
    }
    count
}

/// Rounds 8 block sums (`u16`) by the rule of [`super::scalar::area_fast_row`]:
/// `vrshrq_n_u16::<2>` (`(s + 2) >> 2`) for the 2x2 half-up mean, else
/// `vcvtnq_s32_f32(s * scale)` (round half to even, as `cvRound`) narrowed with saturation.
#[inline]
#[target_feature(enable = "neon")]
fn area_round8(t: uint16x8_t, scale: f32, half_up: bool) -> uint8x8_t {
    if half_up {
        return vqmovn_u16(vrshrq_n_u16::<2>(t));
    }
    let f = |v: uint32x4_t| round_u16x4(vmulq_n_f32(vcvtq_f32_u32(v), scale));
    let lo = f(vmovl_u16(vget_low_u16(t)));
    let hi = f(vmovl_high_u16(t));
    vqmovn_u16(vcombine_u16(lo, hi))
}

/// [`super::sse41::area_block`] in NEON: the rows added with `vaddw_u8`/`vaddw_high_u8`
/// (16 columns per step), the neighbour sums 8 per step, the rounding 16 per step with
/// `vqtbl1q_u8` dropping 3-channel pixels' fourth lane. Returns the pixels done (all of
/// them).
///
/// # Safety
/// NEON (always present on aarch64); `row(0..ky)` each hold the `kx * cn` source bytes of
/// every pixel of `out`.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "neon")]
pub unsafe fn area_block<'a>(
    row: &impl Fn(usize) -> &'a [u8],
    kx: usize,
    ky: usize,
    cn: usize,
    scale: f32,
    half_up: bool,
    x0: usize,
    out: &mut [u8],
) -> usize {
    use scalar::{AREA_BUF, AREA_MAX_K, AREA_PAD};
    if !scalar::area_simd_fits(kx, ky, cn) {
        return 0;
    }
    let npx = out.len() / cn;
    let step = kx * cn;
    let mut rows: [&[u8]; AREA_MAX_K] = [&[]; AREA_MAX_K];
    for (r, s) in rows.iter_mut().enumerate().take(ky) {
        *s = row(r);
        assert!(s.len() >= (x0 + npx) * step);
    }
    let rows = &rows[..ky];
    // Column sums: each chunk writes its `span` elements and zeroes the pad past them
    // before any read (no zeroing of the whole buffer per row).
    let mut buf = std::mem::MaybeUninit::<[u16; AREA_BUF + AREA_PAD]>::uninit();
    let base = buf.as_mut_ptr().cast::<u16>();
    const COMPACT: [u8; 16] = [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 255, 255, 255, 255];
    // SAFETY: a 16-byte array.
    let compact = unsafe { vld1q_u8(COMPACT.as_ptr()) };
    let chunk = AREA_BUF / step;
    let mut d = 0;
    while d < npx {
        let px = chunk.min(npx - d);
        let span = px * step;
        let first = (x0 + d) * step;
        let mut j = 0;
        while j + 16 <= span {
            let (mut lo, mut hi) = (vdupq_n_u16(0), vdupq_n_u16(0));
            for r in rows {
                // SAFETY: `first + span` bytes of every row (asserted above); `j + 16 <= span`.
                let v = unsafe { vld1q_u8(r.as_ptr().add(first + j)) };
                lo = vaddw_u8(lo, vget_low_u8(v));
                hi = vaddw_high_u8(hi, v);
            }
            // SAFETY: `j + 16 <= span <= AREA_BUF` elements of `vs`.
            unsafe {
                vst1q_u16(base.add(j), lo);
                vst1q_u16(base.add(j + 8), hi);
            }
            j += 16;
        }
        for j in j..span {
            let s = rows.iter().map(|r| r[first + j] as u16).sum();
            // SAFETY: `j < span <= AREA_BUF`.
            unsafe { base.add(j).write(s) };
        }
        // SAFETY: `span + AREA_PAD` elements of the buffer, the first `span` written above.
        let vs = unsafe {
            base.add(span).write_bytes(0, AREA_PAD);
            std::slice::from_raw_parts_mut(base, span + AREA_PAD)
        };
        let vp = vs.as_mut_ptr();
        let lanes = if kx > 1 {
            // As in the SSE4.1 kernel, 8 columns per step.
            let mut j = 0;
            while j < span {
                // SAFETY: `j + 8 + (kx - 1) * cn < span + AREA_PAD` elements of `vs`.
                unsafe {
                    let mut acc = vld1q_u16(vp.add(j));
                    for k in 1..kx {
                        acc = vaddq_u16(acc, vld1q_u16(vp.add(j + k * cn)));
                    }
                    vst1q_u16(vp.add(j), acc);
                }
                j += 8;
            }
            scalar::area_compact(vs, px, kx, cn);
            if cn == 3 {
                4
            } else {
                cn
            }
        } else {
            cn
        };
        let vp = vs.as_ptr();
        let o = &mut out[d * cn..(d + px) * cn];
        let n = o.len();
        let mut i = 0;
        if lanes == cn {
            while i + 16 <= n {
                // SAFETY: `i + 16 <= n <= span` elements of `vs` and of `o`.
                unsafe {
                    let a = area_round8(vld1q_u16(vp.add(i)), scale, half_up);
                    let b = area_round8(vld1q_u16(vp.add(i + 8)), scale, half_up);
                    vst1q_u8(o.as_mut_ptr().add(i), vcombine_u8(a, b));
                }
                i += 16;
            }
            scalar::area_round(&vs[i..n], 1, 1, scale, half_up, &mut o[i..]);
        } else {
            let mut p = 0;
            while p + 4 <= px && 3 * p + 16 <= n {
                // SAFETY: `4 * p + 16 <= 4 * px <= span` elements of `vs`; `3 * p + 16 <= n`.
                unsafe {
                    let a = area_round8(vld1q_u16(vp.add(4 * p)), scale, half_up);
                    let b = area_round8(vld1q_u16(vp.add(4 * p + 8)), scale, half_up);
                    let v = vqtbl1q_u8(vcombine_u8(a, b), compact);
                    vst1q_u8(o.as_mut_ptr().add(3 * p), v);
                }
                p += 4;
            }
            i = 3 * p;
            scalar::area_round(&vs[4 * p..4 * px], 4, 3, scale, half_up, &mut o[i..]);
        }
        d += px;
    }
    npx
}
