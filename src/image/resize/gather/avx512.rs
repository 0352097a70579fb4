//! AVX-512 one-byte gathers: 64 outputs from a 128-byte source window with one `vpermt2b`
//! (VBMI), or 16 outputs per `vpgatherdd`.

use std::arch::x86_64::*;

/// [`super::scalar::gray`] on the leading blocks of 64 outputs. A block whose indices all
/// lie in `[b, b + 128)`, with `b` its first index and `b + 128 <= src.len()` (downscales up
/// to about 2x, any upscale), is one byte permute; any other block is four [`gray_gather`]
/// steps. Stops at the first block it cannot do (the caller's scalar kernel does the rest).
/// Returns the outputs done.
///
/// # Safety
/// AVX-512 F, BW and VBMI must be available.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn gray_vbmi(src: &[u8], xs: &[u32], out: &mut [u8]) -> usize {
    let n = xs.len().min(out.len());
    let span = _mm512_set1_epi32(128);
    let mut i = 0;
    while i + 64 <= n {
        let b = xs[i] as usize;
        let mut permuted = false;
        if b + 128 <= src.len() {
            let base = _mm512_set1_epi32(b as i32);
            // SAFETY: `i + 64 <= n <= xs.len()`; the source window `b..b + 128` lies in
            // `src` (checked); the store is inside `out` (`i + 64 <= out.len()`).
            unsafe {
                let xp = xs.as_ptr().add(i);
                let d: [__m512i; 4] = std::array::from_fn(|k| {
                    _mm512_sub_epi32(_mm512_loadu_si512(xp.add(16 * k).cast()), base)
                });
                // Unsigned `x - b < 128` for all 64: indices below `b` wrap to large values.
                let inside = d
                    .iter()
                    .fold(0xFFFFu16, |m, &v| m & _mm512_cmplt_epu32_mask(v, span));
                if inside == 0xFFFF {
                    let idx = _mm512_inserti64x4::<1>(
                        _mm512_castsi256_si512(_mm256_set_m128i(
                            _mm512_cvtepi32_epi8(d[1]),
                            _mm512_cvtepi32_epi8(d[0]),
                        )),
                        _mm256_set_m128i(_mm512_cvtepi32_epi8(d[3]), _mm512_cvtepi32_epi8(d[2])),
                    );
                    let sp = src.as_ptr().add(b);
                    let lo = _mm512_loadu_si512(sp.cast());
                    let hi = _mm512_loadu_si512(sp.add(64).cast());
                    let v = _mm512_permutex2var_epi8(lo, idx, hi);
                    _mm512_storeu_si512(out.as_mut_ptr().add(i).cast(), v);
                    permuted = true;
                }
            }
        }
        if !permuted {
            // SAFETY: AVX-512 F/BW are available (this function's contract).
            let done = unsafe { gray_gather(src, &xs[i..i + 64], &mut out[i..i + 64]) };
            if done < 64 {
                return i + done;
            }
        }
        i += 64;
    }
    i
}

/// [`super::scalar::gray`] with `vpgatherdd`: 16 outputs per gather of the 4-byte words at
/// the indices (low byte kept), for the leading blocks whose indices all satisfy
/// `x + 4 <= src.len()`; stops at the first block that does not. Returns the outputs done.
///
/// # Safety
/// AVX-512 F and BW must be available.
#[target_feature(enable = "avx512f,avx512bw")]
pub unsafe fn gray_gather(src: &[u8], xs: &[u32], out: &mut [u8]) -> usize {
    let n = xs.len().min(out.len());
    if src.len() < 4 || src.len() - 3 > i32::MAX as usize {
        return 0;
    }
    let limit = _mm512_set1_epi32((src.len() - 3) as i32);
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: `i + 16 <= n`; every gathered word `x..x + 4` lies in `src` (the unsigned
        // compare `x < len - 3` passes for all 16 before the gather); the 16-byte store is
        // inside `out`.
        unsafe {
            let x = _mm512_loadu_si512(xs.as_ptr().add(i).cast());
            if _mm512_cmplt_epu32_mask(x, limit) != 0xFFFF {
                break;
            }
            let v = _mm512_i32gather_epi32::<1>(x, src.as_ptr().cast());
            _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm512_cvtepi32_epi8(v));
        }
        i += 16;
    }
    i
}
