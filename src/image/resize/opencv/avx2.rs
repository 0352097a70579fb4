//! AVX2 row kernels of the OpenCV resize family, 8 elements per step, bit-identical to
//! [`super::scalar`]. The horizontal passes gather each tap's source byte with
//! `vpgatherdd` (a 4-byte load at the byte offset, masked to its low byte), which is why
//! they stop at the table's `gather_end`; the scalar kernel finishes. Integer products are
//! exact `i32` and float sums keep the scalar operation order, so every lane equals the
//! scalar result. Each function returns how many elements it did.

use super::scalar::HTab;
use std::arch::x86_64::*;

/// Gathers the bytes at `idx[e..e + 8]` of `src` as `i32`.
///
/// # Safety
/// AVX2; every offset + 3 is inside `src` (elements below `gather_end`) and `e + 8 <= n`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn gather8(src: &[u8], idx: &[i32], e: usize) -> __m256i {
    debug_assert!(e + 8 <= idx.len());
    // SAFETY: the caller guarantees 8 offsets at `e` and 4 readable bytes at each.
    unsafe {
        let i = _mm256_loadu_si256(idx.as_ptr().add(e).cast());
        let g = _mm256_i32gather_epi32::<1>(src.as_ptr().cast(), i);
        _mm256_and_si256(g, _mm256_set1_epi32(0xff))
    }
}

/// Gathers the 4 bytes at each of `idx[e..e + 8]` and splits them into the bytes at the
/// offset and at offset + `shift / 8` (the pair's second tap).
///
/// # Safety
/// As [`gather8`].
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn gather8_pair(src: &[u8], idx: &[i32], e: usize, shift: __m128i) -> (__m256i, __m256i) {
    debug_assert!(e + 8 <= idx.len());
    // SAFETY: as in `gather8`.
    let g = unsafe {
        let i = _mm256_loadu_si256(idx.as_ptr().add(e).cast());
        _mm256_i32gather_epi32::<1>(src.as_ptr().cast(), i)
    };
    let m = _mm256_set1_epi32(0xff);
    (
        _mm256_and_si256(g, m),
        _mm256_and_si256(_mm256_srl_epi32(g, shift), m),
    )
}

/// Whether the 8 elements at `e` may use the paired gathers.
#[inline]
fn paired<W>(tab: &HTab<W>, e: usize) -> bool {
    e >= tab.pair_lo && e + 8 <= tab.pair_hi
}

/// Stores the low byte of 8 `i32` lanes (already 0..=255 or saturated by the packs) at `dst`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn store8(dst: &mut [u8], v: __m256i) {
    debug_assert!(dst.len() >= 8);
    let p16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let p8 = _mm_packus_epi16(p16, p16);
    // SAFETY: `dst` has 8 bytes.
    unsafe { _mm_storel_epi64(dst.as_mut_ptr().cast(), p8) }
}

/// Elements this call may gather: from `e0`, at most `len`, below `gather_end`, whole vectors.
fn gather_count(tab_end: usize, e0: usize, len: usize) -> usize {
    let n = tab_end.saturating_sub(e0).min(len);
    n / 8 * 8
}

/// Integer horizontal pass (LINEAR, LINEAR_EXACT, own CUBIC): `Σ S[idx_t] * w_t`.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn h_fixed(src: &[u8], tab: &HTab<i32>, e0: usize, out: &mut [i32]) -> usize {
    let n = tab.n;
    let shift = _mm_cvtsi32_si128(8 * tab.cn as i32);
    let count = gather_count(tab.gather_end, e0, out.len());
    let mut i = 0;
    while i < count {
        let e = e0 + i;
        let mut acc = _mm256_setzero_si256();
        let mut t = 0;
        if paired(tab, e) {
            while t + 1 < tab.taps {
                // SAFETY: `e + 8 <= gather_end`; the pair property holds on these elements.
                unsafe {
                    let (a, b) = gather8_pair(src, &tab.idx[t * n..(t + 1) * n], e, shift);
                    let wa = _mm256_loadu_si256(tab.w.as_ptr().add(t * n + e).cast());
                    let wb = _mm256_loadu_si256(tab.w.as_ptr().add((t + 1) * n + e).cast());
                    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(a, wa));
                    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(b, wb));
                }
                t += 2;
            }
        }
        for t in t..tab.taps {
            // SAFETY: `e + 8 <= gather_end`, so every offset has 4 readable bytes.
            let (s, w) = unsafe {
                (
                    gather8(src, &tab.idx[t * n..(t + 1) * n], e),
                    _mm256_loadu_si256(tab.w.as_ptr().add(t * n + e).cast()),
                )
            };
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(s, w));
        }
        // SAFETY: `i + 8 <= out.len()`.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), acc) };
        i += 8;
    }
    count
}

/// Float horizontal pass (IPP CUBIC, fractional AREA): `((S0*w0 + S1*w1) + ...)` in `f32`,
/// starting from `S0*w0` (AREA's `0 + S0*w0` is the same value).
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn h_float(src: &[u8], tab: &HTab<f32>, e0: usize, out: &mut [f32]) -> usize {
    let n = tab.n;
    let shift = _mm_cvtsi32_si128(8 * tab.cn as i32);
    let count = gather_count(tab.gather_end, e0, out.len());
    let mut i = 0;
    while i < count {
        let e = e0 + i;
        let w = |t: usize| {
            // SAFETY: `t < taps` and `e + 8 <= n`.
            unsafe { _mm256_loadu_ps(tab.w.as_ptr().add(t * n + e)) }
        };
        let mut acc;
        let mut t;
        if paired(tab, e) {
            // SAFETY: `e + 8 <= gather_end`; the pair property holds on these elements.
            let (a, b) = unsafe { gather8_pair(src, &tab.idx[..n], e, shift) };
            acc = _mm256_mul_ps(_mm256_cvtepi32_ps(a), w(0));
            if tab.taps > 1 {
                acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(b), w(1)));
            }
            t = 2;
            while t + 1 < tab.taps {
                // SAFETY: as above.
                let (a, b) = unsafe { gather8_pair(src, &tab.idx[t * n..(t + 1) * n], e, shift) };
                acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(a), w(t)));
                acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(b), w(t + 1)));
                t += 2;
            }
        } else {
            // SAFETY: as in `h_fixed`.
            let s = unsafe { _mm256_cvtepi32_ps(gather8(src, &tab.idx[..n], e)) };
            acc = _mm256_mul_ps(s, w(0));
            t = 1;
        }
        for t in t..tab.taps {
            // SAFETY: as above.
            let p = unsafe {
                let s = _mm256_cvtepi32_ps(gather8(src, &tab.idx[t * n..(t + 1) * n], e));
                _mm256_mul_ps(s, _mm256_loadu_ps(tab.w.as_ptr().add(t * n + e)))
            };
            acc = _mm256_add_ps(acc, p);
        }
        // SAFETY: `i + 8 <= out.len()`.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(i), acc) };
        i += 8;
    }
    count
}

/// One-channel float horizontal pass (GRAY8 IPP cubic, any factor) over elements
/// `e0..e0 + out.len()` of the table's quad range ([`HTab::quad_lo`]): per 8 elements one
/// `vpgatherdd` of the 4 bytes at each element's first tap, which hold every tap, then per
/// tap a shift, a mask, a conversion and the product with the tap-major weights, summed as
/// [`super::scalar::h_float`] (no fused multiply-add). Does whole vectors; returns the
/// elements done.
///
/// # Safety
/// AVX2 must be available; `tab.cn == 1`, `1 <= tab.taps <= 4` and
/// `quad_lo <= e0 <= e0 + out.len() <= quad_hi`.
#[target_feature(enable = "avx2")]
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
    let count = out.len() / 8 * 8;
    let (sp, ip, wp, op) = (
        src.as_ptr(),
        tab.idx.as_ptr(),
        tab.w.as_ptr(),
        out.as_mut_ptr(),
    );
    let byte = _mm256_set1_epi32(0xff);
    let mut i = 0;
    while i < count {
        let e = e0 + i;
        // SAFETY: elements `e..e + 8` are in the quad range: 4 bytes from each `idx` are
        // inside the row; every tap's weights hold them; the store writes `out[i..i + 8]`.
        unsafe {
            let ix = _mm256_loadu_si256(ip.add(e).cast());
            let v = _mm256_i32gather_epi32::<1>(sp.cast(), ix);
            let mut s = _mm256_setzero_ps();
            for t in 0..T {
                let x = match t {
                    0 => _mm256_and_si256(v, byte),
                    1 => _mm256_and_si256(_mm256_srli_epi32::<8>(v), byte),
                    2 => _mm256_and_si256(_mm256_srli_epi32::<16>(v), byte),
                    _ => _mm256_srli_epi32::<24>(v),
                };
                let p = _mm256_mul_ps(_mm256_cvtepi32_ps(x), _mm256_loadu_ps(wp.add(t * n + e)));
                s = if t == 0 { p } else { _mm256_add_ps(s, p) };
            }
            _mm256_storeu_ps(op.add(i), s);
        }
        i += 8;
    }
    count
}

/// `INTER_LINEAR` vertical step, 32 elements per step on `i16` lanes (as
/// [`super::sse41::v_linear`]: `r >> 4` fits `i16`, `(b * x) >> 16` is `vpmulhw`); the
/// in-lane packs are put back in order with one `vpermd`.
///
/// # Safety
/// AVX2 must be available; the horizontal sums are those of `INTER_LINEAR`.
#[target_feature(enable = "avx2")]
pub unsafe fn v_linear(r0: &[i32], r1: &[i32], b0: i32, b1: i32, out: &mut [u8]) -> usize {
    let count = out.len().min(r0.len()).min(r1.len()) / 32 * 32;
    let (vb0, vb1) = (_mm256_set1_epi16(b0 as i16), _mm256_set1_epi16(b1 as i16));
    let two = _mm256_set1_epi16(2);
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 32 <= count` on all three slices.
        unsafe {
            let ld = |r: &[i32], k: usize| {
                let p = r.as_ptr().add(i + 16 * k);
                let a = _mm256_srai_epi32::<4>(_mm256_loadu_si256(p.cast()));
                let b = _mm256_srai_epi32::<4>(_mm256_loadu_si256(p.add(8).cast()));
                _mm256_packs_epi32(a, b)
            };
            let f = |k: usize| {
                let a = _mm256_mulhi_epi16(ld(r0, k), vb0);
                let b = _mm256_mulhi_epi16(ld(r1, k), vb1);
                _mm256_srai_epi16::<2>(_mm256_add_epi16(_mm256_add_epi16(a, b), two))
            };
            let v = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(f(0), f(1)), order);
            _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), v);
        }
        i += 32;
    }
    count
}

/// `INTER_LINEAR_EXACT` vertical step.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn v_exact(h0: &[i32], h1: &[i32], c0: i32, c1: i32, out: &mut [u8]) -> usize {
    let count = out.len().min(h0.len()).min(h1.len()) / 8 * 8;
    let (vc0, vc1) = (_mm256_set1_epi32(c0), _mm256_set1_epi32(c1));
    let round = _mm256_set1_epi32(1 << 15);
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 8 <= count` on all three slices.
        unsafe {
            let a = _mm256_mullo_epi32(_mm256_loadu_si256(h0.as_ptr().add(i).cast()), vc0);
            let b = _mm256_mullo_epi32(_mm256_loadu_si256(h1.as_ptr().add(i).cast()), vc1);
            let v = _mm256_srai_epi32::<16>(_mm256_add_epi32(_mm256_add_epi32(a, b), round));
            store8(&mut out[i..], v);
        }
        i += 8;
    }
    count
}

/// IPP `INTER_CUBIC` vertical step: `((r0*b0 + r1*b1) + r2*b2) + r3*b3`, round half to even.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn v_cubic_f32(r: [&[f32]; 4], b: [f32; 4], out: &mut [u8]) -> usize {
    let count = r.iter().fold(out.len(), |m, x| m.min(x.len())) / 8 * 8;
    let vb = b.map(|x| _mm256_set1_ps(x));
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 8 <= count` on all slices.
        unsafe {
            let mut s = _mm256_mul_ps(_mm256_loadu_ps(r[0].as_ptr().add(i)), vb[0]);
            for k in 1..4 {
                s = _mm256_add_ps(
                    s,
                    _mm256_mul_ps(_mm256_loadu_ps(r[k].as_ptr().add(i)), vb[k]),
                );
            }
            store8(&mut out[i..], _mm256_cvtps_epi32(s));
        }
        i += 8;
    }
    count
}

/// Fractional `INTER_AREA` vertical accumulation: `sum += beta * buf`.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn v_area_acc(sum: &mut [f32], buf: &[f32], beta: f32) -> usize {
    let count = sum.len().min(buf.len()) / 8 * 8;
    let vb = _mm256_set1_ps(beta);
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 8 <= count` on both slices.
        unsafe {
            let s = _mm256_loadu_ps(sum.as_ptr().add(i));
            let p = _mm256_mul_ps(vb, _mm256_loadu_ps(buf.as_ptr().add(i)));
            _mm256_storeu_ps(sum.as_mut_ptr().add(i), _mm256_add_ps(s, p));
        }
        i += 8;
    }
    count
}

/// Fractional `INTER_AREA` final rounding (half to even, saturated).
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn v_area_store(sum: &[f32], out: &mut [u8]) -> usize {
    let count = sum.len().min(out.len()) / 8 * 8;
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 8 <= count` on both slices.
        unsafe {
            store8(
                &mut out[i..],
                _mm256_cvtps_epi32(_mm256_loadu_ps(sum.as_ptr().add(i))),
            )
        };
        i += 8;
    }
    count
}

/// [`super::sse41::h_float4_px`] two pixels at a time, one per 128-bit lane: the pixels'
/// 16-byte windows side by side, the per-lane `vpshufb`s and the pixels' own weights: one
/// load of both pixels' four weights from [`HTab::pw`], splatted tap by tap with an
/// in-lane `vpermilps` (a table pre-splatted per tap and lane, four times the bytes, fell
/// out of L1 beside the rows and timed slower: 1920x1080 to 640x640 RGB8 cubic 1.37 against
/// 1.22-1.27 ms).
/// Lane 0 is stored before lane 1, so for 3 channels lane 1 overwrites lane 0's spill.
/// An odd last pixel goes to the SSE4.1 kernel. Same conditions as that kernel.
///
/// # Safety
/// AVX2 must be available, and the conditions of [`super::sse41::h_float4_px`] hold.
#[target_feature(enable = "avx2")]
pub unsafe fn h_float4_px(src: &[u8], tab: &HTab<f32>, lo: usize, hi: usize, out: &mut [f32]) {
    let cn = tab.cn;
    debug_assert!(tab.px_lo <= lo && hi <= tab.px_hi && (cn == 3 || cn == 4) && tab.taps == 4);
    debug_assert!(out.len() >= (hi - lo) * cn + (cn == 3) as usize);
    let mt = &super::sse41::TAP_MASKS[cn - 3];
    // SAFETY: each mask is 64 bytes.
    let m = unsafe {
        [
            _mm256_loadu_si256(mt[0].as_ptr().cast()),
            _mm256_loadu_si256(mt[1].as_ptr().cast()),
            _mm256_loadu_si256(mt[2].as_ptr().cast()),
            _mm256_loadu_si256(mt[3].as_ptr().cast()),
        ]
    };
    let pw = tab.pw.as_ptr();
    let sp = src.as_ptr();
    let op = out.as_mut_ptr();
    let mut dx = lo;
    while dx + 2 <= hi {
        let i = dx - lo;
        // SAFETY: both pixels are below `px_hi` (16 bytes readable from each window); `pw`
        // holds 4 weights per pixel; the stores stay inside `out` as in the
        // SSE4.1 kernel.
        unsafe {
            let o0 = *tab.pofs.get_unchecked(dx) as usize;
            let o1 = *tab.pofs.get_unchecked(dx + 1) as usize;
            let px = _mm256_inserti128_si256::<1>(
                _mm256_castsi128_si256(_mm_loadu_si128(sp.add(o0).cast())),
                _mm_loadu_si128(sp.add(o1).cast()),
            );
            let wv = _mm256_loadu_ps(pw.add(4 * dx));
            let tap = |t: usize| _mm256_cvtepi32_ps(_mm256_shuffle_epi8(px, m[t]));
            let mut s = _mm256_mul_ps(tap(0), _mm256_permute_ps::<0x00>(wv));
            s = _mm256_add_ps(s, _mm256_mul_ps(tap(1), _mm256_permute_ps::<0x55>(wv)));
            s = _mm256_add_ps(s, _mm256_mul_ps(tap(2), _mm256_permute_ps::<0xAA>(wv)));
            s = _mm256_add_ps(s, _mm256_mul_ps(tap(3), _mm256_permute_ps::<0xFF>(wv)));
            if cn == 4 {
                _mm256_storeu_ps(op.add(i * 4), s);
            } else {
                _mm_storeu_ps(op.add(i * 3), _mm256_castps256_ps128(s));
                _mm_storeu_ps(op.add(i * 3 + 3), _mm256_extractf128_ps::<1>(s));
            }
        }
        dx += 2;
    }
    if dx < hi {
        let i = dx - lo;
        // SAFETY: the same conditions on the last pixel.
        unsafe { super::sse41::h_float4_px(src, tab, dx, hi, &mut out[i * cn..]) };
    }
}

/// Byte shuffles putting each channel of two neighbouring pixels side by side in a 16-byte
/// lane, for `_mm256_maddubs_epi16` to add them: 2 and 4 channels (1 needs none); 3
/// channels take 2 pixels (12 bytes) per lane and zero the last 4 bytes.
pub(super) const PAIR2: [i8; 16] = [0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15];
pub(super) const PAIR3: [i8; 16] = [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, -1, -1, -1, -1];
pub(super) const PAIR4: [i8; 16] = [0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15];

/// `(a + b + c + d + 2) >> 2` per 16-bit lane from two rows' pair-arranged bytes.
#[inline]
#[target_feature(enable = "avx2")]
fn mean2x2(top: __m256i, bottom: __m256i) -> __m256i {
    let ones = _mm256_set1_epi8(1);
    let s = _mm256_add_epi16(
        _mm256_maddubs_epi16(top, ones),
        _mm256_maddubs_epi16(bottom, ones),
    );
    _mm256_srli_epi16::<2>(_mm256_add_epi16(s, _mm256_set1_epi16(2)))
}

/// OpenCV's 2x2 area mean (`INTER_AREA` at 2x, and `INTER_LINEAR(_EXACT)` at exactly 2x),
/// as [`super::scalar::area_fast_row`] with `half_up2x2`: destination pixels `x0..` of
/// `cn` (1..=4) channels into `out` (whole pixels), from source rows `r0` and `r1`. Byte
/// pairs are summed with `vpmaddubsw` (at most 510, exact in `i16`), the two rows added,
/// then `+ 2 >> 2` and a saturating pack (the values are 0..=255 already). 32 elements per
/// step (24 for 3 channels, whose 32-byte store spills 8 bytes that the next step or the
/// scalar tail overwrites). Returns the pixels done.
///
/// # Safety
/// AVX2; `r0` and `r1` hold the `2 * cn` source bytes of every pixel of `out`.
#[inline]
#[target_feature(enable = "avx2")]
pub unsafe fn area2x2(r0: &[u8], r1: &[u8], cn: usize, x0: usize, out: &mut [u8]) -> usize {
    let len = out.len();
    if !(1..=4).contains(&cn) {
        return 0;
    }
    let (a, b) = (&r0[x0 * 2 * cn..], &r1[x0 * 2 * cn..]);
    assert!(a.len() >= 2 * len && b.len() >= 2 * len);
    let mut i = 0;
    if cn == 3 {
        let mask = _mm256_broadcastsi128_si256(unsafe { _mm_loadu_si128(PAIR3.as_ptr().cast()) });
        let compact = _mm256_setr_epi8(
            0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, -1, -1, -1, -1, //
            0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, -1, -1, -1, -1,
        );
        let order = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
        // 8 pixels per step: source bytes `2i..2i + 52`, output `i..i + 32`.
        while i + 32 <= len {
            let p = 2 * i;
            // SAFETY: `p + 52 <= 2 * len` bytes of both rows; `i + 32 <= len`.
            unsafe {
                // Pixels 0-1 | 4-5 and 2-3 | 6-7, one pair per lane.
                let ld = |r: &[u8], lo: usize| {
                    let v = _mm256_castsi128_si256(_mm_loadu_si128(r.as_ptr().add(p + lo).cast()));
                    let hi = _mm_loadu_si128(r.as_ptr().add(p + lo + 24).cast());
                    _mm256_shuffle_epi8(_mm256_inserti128_si256::<1>(v, hi), mask)
                };
                let x = mean2x2(ld(a, 0), ld(b, 0));
                let y = mean2x2(ld(a, 12), ld(b, 12));
                let v = _mm256_shuffle_epi8(_mm256_packus_epi16(x, y), compact);
                let v = _mm256_permutevar8x32_epi32(v, order);
                _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), v);
            }
            i += 24;
        }
        return i / 3;
    }
    let mask = match cn {
        2 => PAIR2,
        4 => PAIR4,
        _ => [0; 16],
    };
    // SAFETY: a 16-byte array.
    let mask = _mm256_broadcastsi128_si256(unsafe { _mm_loadu_si128(mask.as_ptr().cast()) });
    // 32 elements per step: source bytes `2i..2i + 64`.
    while i + 32 <= len {
        let p = 2 * i;
        // SAFETY: `p + 64 <= 2 * len` bytes of both rows; `i + 32 <= len`.
        unsafe {
            let ld = |r: &[u8], k: usize| {
                let v = _mm256_loadu_si256(r.as_ptr().add(p + k).cast());
                if cn == 1 {
                    v
                } else {
                    _mm256_shuffle_epi8(v, mask)
                }
            };
            let lo = mean2x2(ld(a, 0), ld(b, 0));
            let hi = mean2x2(ld(a, 32), ld(b, 32));
            let v = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi16(lo, hi));
            _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), v);
        }
        i += 32;
    }
    i / cn
}

/// Rounds 16 block sums (`u16`) as [`super::sse41::area_block`] does 8, into 16 bytes in
/// order.
#[inline]
#[target_feature(enable = "avx2")]
fn area_round16(t: __m256i, scale: __m256, half_up: bool) -> __m128i {
    let w = if half_up {
        _mm256_srli_epi16::<2>(_mm256_add_epi16(t, _mm256_set1_epi16(2)))
    } else {
        let f = |v: __m128i| {
            _mm256_cvtps_epi32(_mm256_mul_ps(
                _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(v)),
                scale,
            ))
        };
        let (lo, hi) = (
            f(_mm256_castsi256_si128(t)),
            f(_mm256_extracti128_si256::<1>(t)),
        );
        // Lanes 0-3 8-11 | 4-7 12-15 back to 0-7 | 8-15.
        _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi32(lo, hi))
    };
    _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256::<1>(w))
}

/// [`super::sse41::area_block`] with 256-bit vectors: 32 columns per step of the row sums,
/// 16 of the neighbour sums and of the rounding (the AVX2 and AVX-512 families). Returns
/// the pixels done (all of them).
///
/// # Safety
/// AVX2; `row(0..ky)` each hold the `kx * cn` source bytes of every pixel of `out`.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "avx2")]
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
    use super::scalar::{self, AREA_BUF, AREA_MAX_K, AREA_PAD};
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
    let vscale = _mm256_set1_ps(scale);
    let compact = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    let chunk = AREA_BUF / step;
    let mut d = 0;
    while d < npx {
        let px = chunk.min(npx - d);
        let span = px * step;
        let first = (x0 + d) * step;
        let mut j = 0;
        while j + 32 <= span {
            let z = _mm256_setzero_si256();
            let (mut lo, mut hi) = (z, z);
            for r in rows {
                // SAFETY: `first + span` bytes of every row (asserted above); `j + 32 <= span`.
                unsafe {
                    let p = r.as_ptr().add(first + j);
                    lo = _mm256_add_epi16(lo, _mm256_cvtepu8_epi16(_mm_loadu_si128(p.cast())));
                    hi = _mm256_add_epi16(
                        hi,
                        _mm256_cvtepu8_epi16(_mm_loadu_si128(p.add(16).cast())),
                    );
                }
            }
            // SAFETY: `j + 32 <= span <= AREA_BUF` elements of `vs`.
            unsafe {
                _mm256_storeu_si256(base.add(j).cast(), lo);
                _mm256_storeu_si256(base.add(j + 16).cast(), hi);
            }
            j += 32;
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
            // As in the SSE4.1 kernel, 16 columns per step.
            let mut j = 0;
            while j < span {
                // SAFETY: `j + 16 + (kx - 1) * cn < span + AREA_PAD` elements of `vs`.
                unsafe {
                    let mut acc = _mm256_loadu_si256(vp.add(j).cast());
                    for k in 1..kx {
                        acc = _mm256_add_epi16(acc, _mm256_loadu_si256(vp.add(j + k * cn).cast()));
                    }
                    _mm256_storeu_si256(vp.add(j).cast(), acc);
                }
                j += 16;
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
                    let v = area_round16(_mm256_loadu_si256(vp.add(i).cast()), vscale, half_up);
                    _mm_storeu_si128(o.as_mut_ptr().add(i).cast(), v);
                }
                i += 16;
            }
            scalar::area_round(&vs[i..n], 1, 1, scale, half_up, &mut o[i..]);
        } else {
            let mut p = 0;
            while p + 4 <= px && 3 * p + 16 <= n {
                // SAFETY: `4 * p + 16 <= 4 * px <= span` elements of `vs`; `3 * p + 16 <= n`.
                unsafe {
                    let v = area_round16(_mm256_loadu_si256(vp.add(4 * p).cast()), vscale, half_up);
                    _mm_storeu_si128(
                        o.as_mut_ptr().add(3 * p).cast(),
                        _mm_shuffle_epi8(v, compact),
                    );
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
