//! AVX2 whole-pixel gathers for 3- and 4-byte pixels: 8 outputs per `vpgatherdd`.

use std::arch::x86_64::*;

/// [`super::scalar::pixels`] on the leading steps of 8 outputs, for `cn` 3 or 4 (any other
/// `cn` does nothing). A step gathers the 4 bytes at each of its 8 source pixels (for 3
/// channels the byte after the pixel too, so every index of the step must leave 4 bytes in
/// `src`), packs 3-byte pixels with `vpshufb` and `vpermd`, and stores exactly the step's
/// `8 * cn` bytes. Stops at the first step with an index past that limit (including the
/// `u32::MAX` marker); the caller's kernel does the rest. Returns the outputs done.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
pub unsafe fn pixels(src: &[u8], xs: &[u32], cn: usize, out: &mut [u8]) -> usize {
    if (cn != 3 && cn != 4) || src.len() < 4 {
        return 0;
    }
    let n = xs.len().min(out.len() / cn);
    // The largest index whose 4-byte load stays inside `src` (fits in i32: checked below).
    let limit = (src.len() - 4) / cn;
    if limit > i32::MAX as usize / 4 {
        return 0;
    }
    let vlimit = _mm256_set1_epi32(limit as i32);
    let vcn = _mm256_set1_epi32(cn as i32);
    let pack = _mm256_setr_epi8(
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13,
        14, -1, -1, -1, -1,
    );
    let join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    let (sp, op) = (src.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: `i + 8 <= n <= xs.len()`; every gathered load `x * cn .. x * cn + 4` lies
        // in `src` because `x <= limit` (checked before the gather; `x * cn` fits in i32);
        // the stores write `out[i * cn .. (i + 8) * cn]`, inside `out` as `i + 8 <= n`.
        unsafe {
            let x = _mm256_loadu_si256(xs.as_ptr().add(i).cast());
            // Unsigned `x <= limit` for all 8 (the marker and any index past the end fail).
            let ok = _mm256_cmpeq_epi32(_mm256_max_epu32(x, vlimit), vlimit);
            if _mm256_movemask_epi8(ok) != -1 {
                break;
            }
            let g = _mm256_i32gather_epi32::<1>(sp.cast(), _mm256_mullo_epi32(x, vcn));
            if cn == 4 {
                _mm256_storeu_si256(op.add(i * 4).cast(), g);
            } else {
                let p = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(g, pack), join);
                _mm_storeu_si128(op.add(i * 3).cast(), _mm256_castsi256_si128(p));
                _mm_storel_epi64(op.add(i * 3 + 16).cast(), _mm256_extracti128_si256::<1>(p));
            }
        }
        i += 8;
    }
    i
}
