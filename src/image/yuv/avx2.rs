//! AVX2 YUV rows: 16 pixels per step in 32-bit lanes with the scalar rule's exact products
//! (`vpmaddwd` on split weights), shift and saturation (`vpackssdw`, `vpackuswb`); chroma
//! is duplicated per pixel before widening. Luma and chroma with a step of 2 or 4 bytes
//! (NV12, NV21, the packed 4:2:2 layouts) are gathered with `pshufb`.

use super::scalar::{Row, CUB, CUG, CVG, CVR, CY, HALF, SHIFT};
use crate::image::PixelFormat;
use std::arch::x86_64::*;

/// Bytes 0, 2, ..., 14 of a 16-byte vector into its low 8 bytes.
const EVEN: [i8; 16] = [0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1];
/// Bytes 0, 4, 8, 12 into the low 4 bytes.
const QUARTER: [i8; 16] = [0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1];

/// 16 bytes taken every `step` (1, 2 or 4) bytes from `p`; reads `16 * step` bytes.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn take16(p: *const u8, step: usize) -> __m128i {
    // SAFETY: the caller guarantees 16 * step readable bytes at `p`.
    unsafe {
        match step {
            1 => _mm_loadu_si128(p.cast()),
            _ => {
                let e = _mm_loadu_si128(EVEN.as_ptr().cast());
                let a = _mm_shuffle_epi8(_mm_loadu_si128(p.cast()), e);
                let b = _mm_shuffle_epi8(_mm_loadu_si128(p.add(16).cast()), e);
                _mm_unpacklo_epi64(a, b)
            }
        }
    }
}

/// 8 bytes taken every `step` (1, 2 or 4) bytes from `p`, in the low half; reads
/// `8 * step` bytes.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn take8(p: *const u8, step: usize) -> __m128i {
    // SAFETY: the caller guarantees 8 * step readable bytes at `p`.
    unsafe {
        match step {
            1 => _mm_loadl_epi64(p.cast()),
            2 => _mm_shuffle_epi8(
                _mm_loadu_si128(p.cast()),
                _mm_loadu_si128(EVEN.as_ptr().cast()),
            ),
            _ => {
                let q = _mm_loadu_si128(QUARTER.as_ptr().cast());
                let a = _mm_shuffle_epi8(_mm_loadu_si128(p.cast()), q);
                let b = _mm_shuffle_epi8(_mm_loadu_si128(p.add(16).cast()), q);
                _mm_unpacklo_epi32(a, b)
            }
        }
    }
}

/// `(hi, lo)` with `c = hi * 128 + lo` and `0 <= lo < 128`: the pair of 16-bit weights that
/// `vpmaddwd` applies to `(x << 7, x)` to give `x * c` exactly (`|x| <= 255`, so `x << 7`
/// fits 16 bits and the sum fits 32).
const fn split(c: i32) -> i32 {
    let hi = c.div_euclid(128);
    let lo = c.rem_euclid(128);
    (lo << 16) | (hi & 0xffff)
}

/// `(x << 7, x)` pairs of 16 i16 values: pixels 0-3 and 8-11 in the first vector, 4-7 and
/// 12-15 in the second (`vpunpck*wd` work within 128-bit lanes).
#[inline]
#[target_feature(enable = "avx2")]
fn pairs(x: __m256i) -> (__m256i, __m256i) {
    let x7 = _mm256_slli_epi16::<7>(x);
    (_mm256_unpacklo_epi16(x7, x), _mm256_unpackhi_epi16(x7, x))
}

/// Converts pixels `0..n * 16` of `row` (as [`super::scalar::row`]; `fmt` is a colour
/// format) and returns how many it converted: the blocks whose loads stay inside
/// `y`, `u` and `v`. Every product of the scalar rule is formed exactly by `vpmaddwd` on
/// `(x << 7, x)` pairs with split weights, so the sums, shifts and saturation are the
/// scalar ones.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn row(row: Row, out: &mut [u8], fmt: PixelFormat) -> usize {
    let Row {
        y,
        ystep,
        u,
        v,
        cstep,
    } = row;
    let bpp = fmt.bytes_per_pixel();
    let width = out.len() / bpp;
    let (rb_swap, alpha) = match fmt {
        PixelFormat::Rgb8 => (false, false),
        PixelFormat::Bgr8 => (true, false),
        PixelFormat::Rgba8 => (false, true),
        PixelFormat::Bgra8 => (true, true),
        PixelFormat::Gray8 => return 0,
    };
    let c16 = _mm256_set1_epi16(16);
    let c128 = _mm256_set1_epi16(128);
    let zero = _mm256_setzero_si256();
    let half = _mm256_set1_epi32(HALF);
    let (wy, wvr, wvg, wug, wub) = (
        _mm256_set1_epi32(split(CY)),
        _mm256_set1_epi32(split(CVR)),
        _mm256_set1_epi32(split(CVG)),
        _mm256_set1_epi32(split(CUG)),
        _mm256_set1_epi32(split(CUB)),
    );
    // Byte i of each lane's low half beside byte i of its high half: r0 g0 r1 g1 ...
    let zip = _mm256_setr_epi8(
        0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5,
        13, 6, 14, 7, 15,
    );
    let drop_alpha = _mm256_setr_epi8(
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13,
        14, -1, -1, -1, -1,
    );
    let ff = _mm256_set1_epi16(0xff);
    let mut x = 0;
    while x + 16 <= width
        && (x + 16) * ystep <= y.len()
        && (x / 2 + 8) * cstep <= u.len()
        && (x / 2 + 8) * cstep <= v.len()
    {
        // SAFETY: the loop condition keeps every load inside `y`, `u` and `v`.
        let (yb, ub, vb) = unsafe {
            (
                take16(y.as_ptr().add(x * ystep), ystep),
                take8(u.as_ptr().add(x / 2 * cstep), cstep),
                take8(v.as_ptr().add(x / 2 * cstep), cstep),
            )
        };
        let y16 = _mm256_max_epi16(_mm256_sub_epi16(_mm256_cvtepu8_epi16(yb), c16), zero);
        let (ya, yb2) = pairs(y16);
        let (ylo, yhi) = (
            _mm256_add_epi32(_mm256_madd_epi16(ya, wy), half),
            _mm256_add_epi32(_mm256_madd_epi16(yb2, wy), half),
        );
        // Chroma duplicated per pixel, so its pairs line up with the luma pairs.
        let u16 = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(ub, ub)), c128);
        let v16 = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(vb, vb)), c128);
        let (ua, uh) = pairs(u16);
        let (va, vh) = pairs(v16);
        let chan = |lo: __m256i, hi: __m256i| {
            _mm256_packs_epi32(
                _mm256_srai_epi32::<{ SHIFT as i32 }>(_mm256_add_epi32(ylo, lo)),
                _mm256_srai_epi32::<{ SHIFT as i32 }>(_mm256_add_epi32(yhi, hi)),
            )
        };
        let r = chan(_mm256_madd_epi16(va, wvr), _mm256_madd_epi16(vh, wvr));
        let g = chan(
            _mm256_add_epi32(_mm256_madd_epi16(va, wvg), _mm256_madd_epi16(ua, wug)),
            _mm256_add_epi32(_mm256_madd_epi16(vh, wvg), _mm256_madd_epi16(uh, wug)),
        );
        let b = chan(_mm256_madd_epi16(ua, wub), _mm256_madd_epi16(uh, wub));
        let (first, third) = if rb_swap { (b, r) } else { (r, b) };
        // Lane 0: pixels 0-7, lane 1: pixels 8-15, as zipped byte pairs.
        let fg = _mm256_shuffle_epi8(_mm256_packus_epi16(first, g), zip);
        let ta = _mm256_shuffle_epi8(_mm256_packus_epi16(third, ff), zip);
        let p0 = _mm256_unpacklo_epi16(fg, ta); // pixels 0-3 | 8-11
        let p1 = _mm256_unpackhi_epi16(fg, ta); // pixels 4-7 | 12-15
        let o = &mut out[x * bpp..(x + 16) * bpp];
        // SAFETY: `o` holds 16 * bpp bytes: 64 for four-byte pixels, 48 for three-byte ones.
        unsafe {
            let p = o.as_mut_ptr();
            if alpha {
                _mm256_storeu_si256(p.cast(), _mm256_permute2x128_si256::<0x20>(p0, p1));
                _mm256_storeu_si256(p.add(32).cast(), _mm256_permute2x128_si256::<0x31>(p0, p1));
            } else {
                let (q0, q1) = (
                    _mm256_shuffle_epi8(p0, drop_alpha),
                    _mm256_shuffle_epi8(p1, drop_alpha),
                );
                let c = [
                    _mm256_castsi256_si128(q0),
                    _mm256_castsi256_si128(q1),
                    _mm256_extracti128_si256::<1>(q0),
                    _mm256_extracti128_si256::<1>(q1),
                ];
                let o0 = _mm_or_si128(c[0], _mm_slli_si128::<12>(c[1]));
                let o1 = _mm_or_si128(_mm_srli_si128::<4>(c[1]), _mm_slli_si128::<8>(c[2]));
                let o2 = _mm_or_si128(_mm_srli_si128::<8>(c[2]), _mm_slli_si128::<4>(c[3]));
                _mm_storeu_si128(p.cast(), o0);
                _mm_storeu_si128(p.add(16).cast(), o1);
                _mm_storeu_si128(p.add(32).cast(), o2);
            }
        }
        x += 16;
    }
    x
}
