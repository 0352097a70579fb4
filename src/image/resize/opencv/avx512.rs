//! AVX-512 (F + BW) row kernels of the OpenCV resize family, bit-identical to
//! [`super::scalar`]: the four-tap float horizontal pass four destination pixels per `zmm`
//! and the IPP cubic vertical step 16 elements per step. Float sums keep the scalar
//! operation order (products, then sums tap by tap, no fused multiply-add).

use super::scalar::HTab;
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
        let w = |dx: usize| unsafe {
            [0, 1, 2, 3].map(|t| _mm512_loadu_ps(ws.add(t * plane + 4 * dx)))
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
    let mask = |t: usize| {
        let mut m = [-1i8; 64];
        for l in 0..4 {
            for c in 0..cn {
                m[16 * l + 4 * c] = (t * cn + c) as i8;
            }
        }
        // SAFETY: 64 bytes.
        unsafe { _mm512_loadu_si512(m.as_ptr().cast()) }
    };
    let m = [mask(0), mask(1), mask(2), mask(3)];
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
/// 0..=255 as [`super::scalar::v_cubic_f32`]. Returns the elements done.
///
/// # Safety
/// AVX-512 F and BW must be available.
#[target_feature(enable = "avx512f,avx512bw")]
pub unsafe fn v_cubic_f32(r: [&[f32]; 4], b: [f32; 4], out: &mut [u8]) -> usize {
    let count = r.iter().fold(out.len(), |m, x| m.min(x.len())) / 16 * 16;
    let vb = b.map(|x| _mm512_set1_ps(x));
    let zero = _mm512_setzero_si512();
    let mut i = 0;
    while i < count {
        // SAFETY: `i + 16 <= count` on all slices.
        unsafe {
            let mut s = _mm512_mul_ps(_mm512_loadu_ps(r[0].as_ptr().add(i)), vb[0]);
            for k in 1..4 {
                s = _mm512_add_ps(
                    s,
                    _mm512_mul_ps(_mm512_loadu_ps(r[k].as_ptr().add(i)), vb[k]),
                );
            }
            // Negative (and the out-of-range 0x8000_0000) to 0, then unsigned saturation.
            let v = _mm512_max_epi32(_mm512_cvtps_epi32(s), zero);
            _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm512_cvtusepi32_epi8(v));
        }
        i += 16;
    }
    count
}
