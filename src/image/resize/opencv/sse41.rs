//! SSE4.1 row kernels of the OpenCV resize family, bit-identical to [`super::scalar`].
//!
//! The horizontal passes work pixel by pixel on the table's pixel-major form
//! ([`HTab::pofs`], `px_lo..px_hi`): one unaligned 16-byte (or 8-byte) load holds every tap
//! of every channel of a destination pixel, `pshufb` spreads the bytes into lanes, and the
//! pixel's channels are computed side by side (one lane per channel). A 3-channel pixel
//! stores 4 lanes: the fourth lands on the next pixel's first element, which the next store
//! (or the caller's scalar tail) overwrites, so the kernels need one element of room past
//! their last pixel (the caller guarantees it). Integer sums are exact (`pmaddwd` on
//! zero-extended bytes and `i16` weights); float sums keep the scalar order per element.
//! The AVX2 and AVX-512 families run these same kernels (compiled with VEX encoding): no
//! wider form measured faster, the work being one load, a few shuffles and one store per
//! pixel.

use super::super::gather::sse41::four;
use super::scalar::{self, HTab};
use std::arch::x86_64::*;

/// Byte shuffle that zero-extends tap 0 and tap 1 (at `+cn`) of channels 0..4 into `i16`
/// pairs `[t0c, t1c]`, one pair per `i32` lane.
#[inline(always)]
fn pair_mask(cn: usize) -> [i8; 16] {
    let mut m = [-1i8; 16];
    for c in 0..cn.min(4) {
        m[4 * c] = c as i8;
        m[4 * c + 2] = (c + cn) as i8;
    }
    m
}

/// `TAP_MASKS[cn - 3][t]`: the byte shuffle that zero-extends tap `t` of channels 0..cn
/// (3 or 4) of a pixel's 16-byte window into `i32` lanes, repeated in each 128-bit lane of
/// 64 bytes (the AVX2 and AVX-512 forms load 32 or 64 of them). A static table: built in a
/// closure at each call, the masks cost a visible share of a 224-pixel row.
pub(super) static TAP_MASKS: [[[i8; 64]; 4]; 2] = [tap_masks(3), tap_masks(4)];

const fn tap_masks(cn: usize) -> [[i8; 64]; 4] {
    let mut m = [[-1i8; 64]; 4];
    let mut t = 0;
    while t < 4 {
        let mut l = 0;
        while l < 4 {
            let mut c = 0;
            while c < cn {
                m[t][16 * l + 4 * c] = (t * cn + c) as i8;
                c += 1;
            }
            l += 1;
        }
        t += 1;
    }
    m
}

/// Two-tap integer horizontal pass (LINEAR, LINEAR_EXACT) over destination pixels
/// `lo..hi`, writing elements from `out[0]` (pixel `lo`, channel 0), prefetching the same
/// bytes of the source row `next` (the row the caller will likely need next: issued one
/// row ahead, the loads of a large downscale, which skips rows, find their lines in cache). Returns nothing: the
/// caller has checked `tab.px_lo <= lo <= hi <= tab.px_hi`, `tab.cn` is 3 or 4,
/// `tab.pw16` is filled and `out.len() >= (hi - lo) * cn`, plus one element for 3 channels.
///
/// # Safety
/// SSE4.1 must be available, and the conditions above hold.
#[inline]
#[target_feature(enable = "sse4.1")]
pub unsafe fn h_fixed_px(
    src: &[u8],
    next: &[u8],
    tab: &HTab<i32>,
    lo: usize,
    hi: usize,
    out: &mut [i32],
) {
    let cn = tab.cn;
    debug_assert!(tab.px_lo <= lo && hi <= tab.px_hi && (cn == 3 || cn == 4));
    debug_assert!(tab.pw16.len() >= hi && out.len() >= (hi - lo) * cn + (cn == 3) as usize);
    // SAFETY: `pair_mask` is 16 bytes.
    let m = unsafe { _mm_loadu_si128(pair_mask(cn).as_ptr().cast()) };
    let sp = src.as_ptr();
    let np = next.as_ptr();
    let op = out.as_mut_ptr();
    for (i, dx) in (lo..hi).enumerate() {
        // SAFETY: `dx < px_hi`, so 16 bytes from `pofs[dx]` are inside the row; the store
        // writes 4 lanes from element `i * cn`, and `out` has room for them (above).
        unsafe {
            let o = *tab.pofs.get_unchecked(dx) as usize;
            // A hint only: any address is allowed, so the offset is not checked.
            _mm_prefetch::<_MM_HINT_T0>(np.wrapping_add(o).cast());
            let px = _mm_loadl_epi64(sp.add(o).cast());
            let w = _mm_set1_epi32(*tab.pw16.get_unchecked(dx) as i32);
            let v = _mm_madd_epi16(_mm_shuffle_epi8(px, m), w);
            _mm_storeu_si128(op.add(i * cn).cast(), v);
        }
    }
}

/// Four-tap float horizontal pass (IPP CUBIC, fractional AREA with 4 taps) over pixels
/// `lo..hi`: `((p0*w0 + p1*w1) + p2*w2) + p3*w3` per element, as [`super::scalar::h_float`].
/// Same conditions as [`h_fixed_px`] (with `tab.taps == 4` and no `pw16`).
///
/// # Safety
/// SSE4.1 must be available, and the conditions hold.
#[inline]
#[target_feature(enable = "sse4.1")]
pub unsafe fn h_float4_px(src: &[u8], tab: &HTab<f32>, lo: usize, hi: usize, out: &mut [f32]) {
    let cn = tab.cn;
    debug_assert!(tab.px_lo <= lo && hi <= tab.px_hi && (cn == 3 || cn == 4) && tab.taps == 4);
    debug_assert!(out.len() >= (hi - lo) * cn + (cn == 3) as usize);
    let mt = &TAP_MASKS[cn - 3];
    // SAFETY: each mask is 64 bytes.
    let m = unsafe {
        [
            _mm_loadu_si128(mt[0].as_ptr().cast()),
            _mm_loadu_si128(mt[1].as_ptr().cast()),
            _mm_loadu_si128(mt[2].as_ptr().cast()),
            _mm_loadu_si128(mt[3].as_ptr().cast()),
        ]
    };
    let sp = src.as_ptr();
    let op = out.as_mut_ptr();
    for (i, dx) in (lo..hi).enumerate() {
        // SAFETY: as in `h_fixed_px`; `pw` holds 4 weights per pixel.
        unsafe {
            let o = *tab.pofs.get_unchecked(dx) as usize;
            let px = _mm_loadu_si128(sp.add(o).cast());
            let w = _mm_loadu_ps(tab.pw.as_ptr().add(4 * dx));
            let tap = |t: usize| _mm_cvtepi32_ps(_mm_shuffle_epi8(px, m[t]));
            let mut s = _mm_mul_ps(tap(0), _mm_shuffle_ps::<0x00>(w, w));
            s = _mm_add_ps(s, _mm_mul_ps(tap(1), _mm_shuffle_ps::<0x55>(w, w)));
            s = _mm_add_ps(s, _mm_mul_ps(tap(2), _mm_shuffle_ps::<0xAA>(w, w)));
            s = _mm_add_ps(s, _mm_mul_ps(tap(3), _mm_shuffle_ps::<0xFF>(w, w)));
            _mm_storeu_ps(op.add(i * cn), s);
        }
    }
}

/// `INTER_LINEAR` vertical step, 16 elements per step on `i16` lanes as OpenCV's SIMD does
/// it: `r >> 4` fits `i16` (horizontal sums are at most `255 * 2048`), `(b * x) >> 16` is
/// `pmulhw`, and the sum of two such terms plus 2 fits `i16`. Returns the elements done.
///
/// # Safety
/// SSE4.1 must be available; the horizontal sums are those of `INTER_LINEAR` (0..=255 * 2048).
#[inline]
#[target_feature(enable = "sse4.1")]
pub unsafe fn v_linear(r0: &[i32], r1: &[i32], b0: i32, b1: i32, out: &mut [u8]) -> usize {
    let count = out.len().min(r0.len()).min(r1.len()) / 16 * 16;
    let (vb0, vb1) = (_mm_set1_epi16(b0 as i16), _mm_set1_epi16(b1 as i16));
    let two = _mm_set1_epi16(2);
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 16 <= count` on all three slices.
        unsafe {
            let ld = |r: &[i32], k: usize| {
                let a = _mm_srai_epi32::<4>(_mm_loadu_si128(r.as_ptr().add(i + 8 * k).cast()));
                let b = _mm_srai_epi32::<4>(_mm_loadu_si128(r.as_ptr().add(i + 8 * k + 4).cast()));
                _mm_packs_epi32(a, b)
            };
            let f = |k: usize| {
                let a = _mm_mulhi_epi16(ld(r0, k), vb0);
                let b = _mm_mulhi_epi16(ld(r1, k), vb1);
                _mm_srai_epi16::<2>(_mm_add_epi16(_mm_add_epi16(a, b), two))
            };
            let v = _mm_packus_epi16(f(0), f(1));
            _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), v);
        }
        i += 16;
    }
    count
}

/// Float pass of a unit table ([`HTab::upx`]) for 3 and 4 channels, 4 pixels per step: the
/// pixels are gathered by [`four`] and every 4 bytes widened to 4 `f32`s (`x * 1`
/// is `x`). `xs` must be non-decreasing. Returns the pixels done (a prefix).
///
/// # Safety
/// SSE4.1 must be available.
#[inline]
#[target_feature(enable = "sse4.1")]
pub unsafe fn unit_px(src: &[u8], xs: &[u32], cn: usize, out: &mut [f32]) -> usize {
    if cn != 3 && cn != 4 {
        return 0;
    }
    let w = xs.len().min(out.len() / cn);
    let op = out.as_mut_ptr();
    let mut i = 0;
    while i + 4 <= w && xs[i + 3] as usize * cn + 4 <= src.len() {
        // SAFETY: the loads as `four` requires (checked above); the stores write `4 * cn` floats from
        // `out[i * cn]`, inside `out` since `i + 4 <= w`.
        unsafe {
            let v = four(src, &xs[i..i + 4], cn);
            let o = op.add(i * cn);
            _mm_storeu_ps(o, _mm_cvtepi32_ps(_mm_cvtepu8_epi32(v)));
            let v1 = _mm_srli_si128::<4>(v);
            _mm_storeu_ps(o.add(4), _mm_cvtepi32_ps(_mm_cvtepu8_epi32(v1)));
            let v2 = _mm_srli_si128::<8>(v);
            _mm_storeu_ps(o.add(8), _mm_cvtepi32_ps(_mm_cvtepu8_epi32(v2)));
            if cn == 4 {
                let v3 = _mm_srli_si128::<12>(v);
                _mm_storeu_ps(o.add(12), _mm_cvtepi32_ps(_mm_cvtepu8_epi32(v3)));
            }
        }
        i += 4;
    }
    i
}

/// [`super::avx2::h_float_quad`] 4 elements per step: the 4 bytes at each element's first
/// tap (which hold every tap) as four unaligned 32-bit loads into one register, then per
/// tap a shift, a mask, a conversion and the product with the tap-major weights, summed as
/// [`super::scalar::h_float`] (no fused multiply-add). Does whole vectors; returns the
/// elements done.
///
/// # Safety
/// SSE4.1 must be available; `tab.cn == 1`, `1 <= tab.taps <= 4` and
/// `quad_lo <= e0 <= e0 + out.len() <= quad_hi`.
#[target_feature(enable = "sse4.1")]
pub unsafe fn h_float_quad(src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) -> usize {
    debug_assert!(tab.cn == 1 && (1..=4).contains(&tab.taps));
    debug_assert!(tab.quad_lo <= e0 && e0 + out.len() <= tab.quad_hi);
    // SAFETY: the caller's promise.
    unsafe {
        match tab.taps {
            4 => quad::<4>(src, tab, e0, out),
            3 => quad::<3>(src, tab, e0, out),
            2 => quad::<2>(src, tab, e0, out),
            _ => quad::<1>(src, tab, e0, out),
        }
    }
}

/// [`h_float_quad`] with `T` taps.
///
/// # Safety
/// As [`h_float_quad`], with `tab.taps == T`.
#[inline(always)]
unsafe fn quad<const T: usize>(src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) -> usize {
    let n = tab.n;
    let count = out.len() / 4 * 4;
    let (sp, ip, wp, op) = (
        src.as_ptr(),
        tab.idx.as_ptr(),
        tab.w.as_ptr(),
        out.as_mut_ptr(),
    );
    let byte = _mm_set1_epi32(0xff);
    let mut i = 0;
    while i < count {
        let e = e0 + i;
        // SAFETY: elements `e..e + 4` are in the quad range: 4 bytes from each `idx` are
        // inside the row; every tap's weights hold them; the store writes `out[i..i + 4]`.
        unsafe {
            let ld = |k: usize| (sp.add(*ip.add(e + k) as usize) as *const i32).read_unaligned();
            let v = _mm_setr_epi32(ld(0), ld(1), ld(2), ld(3));
            let mut s = _mm_setzero_ps();
            for t in 0..T {
                let x = match t {
                    0 => _mm_and_si128(v, byte),
                    1 => _mm_and_si128(_mm_srli_epi32::<8>(v), byte),
                    2 => _mm_and_si128(_mm_srli_epi32::<16>(v), byte),
                    _ => _mm_srli_epi32::<24>(v),
                };
                let p = _mm_mul_ps(_mm_cvtepi32_ps(x), _mm_loadu_ps(wp.add(t * n + e)));
                s = if t == 0 { p } else { _mm_add_ps(s, p) };
            }
            _mm_storeu_ps(op.add(i), s);
        }
        i += 4;
    }
    count
}

/// IPP `INTER_CUBIC` vertical step, 8 elements per step: `((r0*b0 + r1*b1) + r2*b2) + r3*b3`
/// in `f32`, rounded half to even (`cvtps2dq` under the default rounding mode) and
/// saturated by the packs, as [`super::scalar::v_cubic_f32`]. Returns the elements done.
///
/// # Safety
/// SSE4.1 must be available.
#[inline]
#[target_feature(enable = "sse4.1")]
pub unsafe fn v_cubic_f32(r: [&[f32]; 4], b: [f32; 4], out: &mut [u8]) -> usize {
    let count = r.iter().fold(out.len(), |m, x| m.min(x.len())) / 8 * 8;
    let vb = b.map(|x| _mm_set1_ps(x));
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 8 <= count` on all slices.
        unsafe {
            let f = |j: usize| {
                let mut s = _mm_mul_ps(_mm_loadu_ps(r[0].as_ptr().add(j)), vb[0]);
                for k in 1..4 {
                    s = _mm_add_ps(s, _mm_mul_ps(_mm_loadu_ps(r[k].as_ptr().add(j)), vb[k]));
                }
                _mm_cvtps_epi32(s)
            };
            let p16 = _mm_packs_epi32(f(i), f(i + 4));
            _mm_storel_epi64(out.as_mut_ptr().add(i).cast(), _mm_packus_epi16(p16, p16));
        }
        i += 8;
    }
    count
}

/// `(a + b + c + d + 2) >> 2` per 16-bit lane from two rows' pair-arranged bytes.
#[inline]
#[target_feature(enable = "sse4.1")]
fn mean2x2(top: __m128i, bottom: __m128i) -> __m128i {
    let ones = _mm_set1_epi8(1);
    let s = _mm_add_epi16(
        _mm_maddubs_epi16(top, ones),
        _mm_maddubs_epi16(bottom, ones),
    );
    _mm_srli_epi16::<2>(_mm_add_epi16(s, _mm_set1_epi16(2)))
}

/// The 2x2 area mean as [`super::avx2::area2x2`] (same pair shuffles and arithmetic), 16
/// elements per step (12 for 3 channels, whose 16-byte store spills 4 bytes that the next
/// step or the scalar tail overwrites). Returns the pixels done.
///
/// # Safety
/// SSE4.1; `r0` and `r1` hold the `2 * cn` source bytes of every pixel of `out`.
#[inline]
#[target_feature(enable = "sse4.1")]
pub unsafe fn area2x2(r0: &[u8], r1: &[u8], cn: usize, x0: usize, out: &mut [u8]) -> usize {
    use super::avx2::{PAIR2, PAIR3, PAIR4};
    let len = out.len();
    if !(1..=4).contains(&cn) {
        return 0;
    }
    let (a, b) = (&r0[x0 * 2 * cn..], &r1[x0 * 2 * cn..]);
    assert!(a.len() >= 2 * len && b.len() >= 2 * len);
    let mask = match cn {
        2 => PAIR2,
        3 => PAIR3,
        4 => PAIR4,
        _ => [0; 16],
    };
    // SAFETY: a 16-byte array.
    let mask = unsafe { _mm_loadu_si128(mask.as_ptr().cast()) };
    let mut i = 0;
    if cn == 3 {
        let compact = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, -1, -1, -1, -1);
        // 4 pixels per step: source bytes `2i..2i + 28`, output `i..i + 16`.
        while i + 16 <= len {
            let p = 2 * i;
            // SAFETY: `p + 28 <= 2 * len` bytes of both rows; `i + 16 <= len`.
            unsafe {
                let ld = |r: &[u8], k: usize| {
                    _mm_shuffle_epi8(_mm_loadu_si128(r.as_ptr().add(p + k).cast()), mask)
                };
                let x = mean2x2(ld(a, 0), ld(b, 0));
                let y = mean2x2(ld(a, 12), ld(b, 12));
                let v = _mm_shuffle_epi8(_mm_packus_epi16(x, y), compact);
                _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), v);
            }
            i += 12;
        }
        return i / 3;
    }
    // 16 elements per step: source bytes `2i..2i + 32`.
    while i + 16 <= len {
        let p = 2 * i;
        // SAFETY: `p + 32 <= 2 * len` bytes of both rows; `i + 16 <= len`.
        unsafe {
            let ld = |r: &[u8], k: usize| {
                let v = _mm_loadu_si128(r.as_ptr().add(p + k).cast());
                if cn == 1 {
                    v
                } else {
                    _mm_shuffle_epi8(v, mask)
                }
            };
            let lo = mean2x2(ld(a, 0), ld(b, 0));
            let hi = mean2x2(ld(a, 16), ld(b, 16));
            _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm_packus_epi16(lo, hi));
        }
        i += 16;
    }
    i / cn
}

/// Rounds 8 block sums (`u16`) by the rule of [`super::scalar::area_fast_row`]: `(s + 2) >> 2`
/// for the 2x2 half-up mean, else `cvtps2dq(s * scale)` (round half to even, as `cvRound`),
/// packed to `u16` with saturation (the caller packs to bytes with saturation).
#[inline]
#[target_feature(enable = "sse4.1")]
fn area_round8(t: __m128i, scale: __m128, half_up: bool) -> __m128i {
    if half_up {
        return _mm_srli_epi16::<2>(_mm_add_epi16(t, _mm_set1_epi16(2)));
    }
    let f = |v: __m128i| _mm_cvtps_epi32(_mm_mul_ps(_mm_cvtepi32_ps(v), scale));
    let lo = f(_mm_cvtepu16_epi32(t));
    let hi = f(_mm_unpackhi_epi16(t, _mm_setzero_si128()));
    _mm_packus_epi32(lo, hi)
}

/// Integer-factor `INTER_AREA` ([`super::scalar::area_block`]'s rule) for destination pixels
/// `x0..` of `cn` channels into `out` (whole pixels), `kx` x `ky` blocks with
/// [`scalar::area_simd_fits`]. Per chunk of pixels: the `ky` rows added in `u16` lanes (16
/// columns per step, exact: a block sums to at most `16 * 16 * 255`), then in place the
/// sums of `kx` neighbouring pixels at every column (`kx` shifted loads), moved to one
/// slot per pixel ([`scalar::area_compact`]), then `u16` to `f32`, `* scale`, `cvtps2dq`
/// (round half to even) and saturating packs; 3-channel pixels round 4 lanes each and a
/// `pshufb` drops the fourth. Returns the pixels done (all of them).
///
/// # Safety
/// SSE4.1; `row(0..ky)` each hold the `kx * cn` source bytes of every pixel of `out`.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "sse4.1")]
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
    let vscale = _mm_set1_ps(scale);
    let compact = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    let chunk = AREA_BUF / step;
    let mut d = 0;
    while d < npx {
        let px = chunk.min(npx - d);
        let span = px * step;
        let first = (x0 + d) * step;
        let mut j = 0;
        while j + 16 <= span {
            let z = _mm_setzero_si128();
            let (mut lo, mut hi) = (z, z);
            for r in rows {
                // SAFETY: `first + span` bytes of every row (asserted above); `j + 16 <= span`.
                let v = unsafe { _mm_loadu_si128(r.as_ptr().add(first + j).cast()) };
                lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, z));
                hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, z));
            }
            // SAFETY: `j + 16 <= span <= AREA_BUF` elements of `vs`.
            unsafe {
                _mm_storeu_si128(base.add(j).cast(), lo);
                _mm_storeu_si128(base.add(j + 8).cast(), hi);
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
            // Sums of `kx` pixels at every column below `span` (in place: a step reads
            // only columns at or above its own). The last pixel's sums start at
            // `span - step`, and its 4 lanes end below `span`.
            let mut j = 0;
            while j < span {
                // SAFETY: `j + 8 + (kx - 1) * cn < span + AREA_PAD` elements of `vs`.
                unsafe {
                    let mut acc = _mm_loadu_si128(vp.add(j).cast());
                    for k in 1..kx {
                        acc = _mm_add_epi16(acc, _mm_loadu_si128(vp.add(j + k * cn).cast()));
                    }
                    _mm_storeu_si128(vp.add(j).cast(), acc);
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
            // One lane per element, 16 per step.
            while i + 16 <= n {
                // SAFETY: `i + 16 <= n <= span` elements of `vs` and of `o`.
                unsafe {
                    let a = area_round8(_mm_loadu_si128(vp.add(i).cast()), vscale, half_up);
                    let b = area_round8(_mm_loadu_si128(vp.add(i + 8).cast()), vscale, half_up);
                    _mm_storeu_si128(o.as_mut_ptr().add(i).cast(), _mm_packus_epi16(a, b));
                }
                i += 16;
            }
            scalar::area_round(&vs[i..n], 1, 1, scale, half_up, &mut o[i..]);
        } else {
            // 4 pixels per step: 16 lanes, 12 bytes kept of the 16-byte store, which needs
            // 4 bytes of room past them.
            let mut p = 0;
            while p + 4 <= px && 3 * p + 16 <= n {
                // SAFETY: `4 * p + 16 <= 4 * px <= span` elements of `vs`; `3 * p + 16 <= n`.
                unsafe {
                    let a = area_round8(_mm_loadu_si128(vp.add(4 * p).cast()), vscale, half_up);
                    let b = area_round8(_mm_loadu_si128(vp.add(4 * p + 8).cast()), vscale, half_up);
                    let v = _mm_shuffle_epi8(_mm_packus_epi16(a, b), compact);
                    _mm_storeu_si128(o.as_mut_ptr().add(3 * p).cast(), v);
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
