//! FP8 dequantize by table: `out[i] = table[q[i]]`, where the caller's table already holds
//! `decode(c) * scale` for all 256 codes, computed by the scalar rule, so every lane is the
//! scalar result bit for bit (NaN payloads included). AVX2 gathers 8 lanes and AVX-512 16
//! from the 1 KiB table in L1; large outputs use streaming stores (`cpu::f32_steps`).

/// AVX2: 32 codes per step, four 8-lane gathers.
#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use crate::cpu::{f32_steps, Store};
    use std::arch::x86_64::*;

    /// Looks up all of `q` (up to `out.len()`) with `Store::Streaming`, else whole steps of
    /// 32; returns how many elements were done.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn dequantize(q: &[u8], out: &mut [f32], table: &[f32; 256], store: Store) -> usize {
        let n = q.len().min(out.len());
        let (qp, tp) = (q.as_ptr(), table.as_ptr());
        // SAFETY: i + 32 <= n <= q.len(); every index is a byte, < 256 = the table length.
        unsafe {
            f32_steps::avx2(&mut out[..n], store, |i| {
                std::array::from_fn(|k| {
                    let c = _mm_loadl_epi64(qp.add(i + 8 * k).cast());
                    _mm256_i32gather_ps::<4>(tp, _mm256_cvtepu8_epi32(c))
                })
            })
        }
    }
}

/// AVX-512: 64 codes per step, four 16-lane gathers.
#[cfg(target_arch = "x86_64")]
pub(super) mod avx512 {
    use crate::cpu::{f32_steps, Store};
    use std::arch::x86_64::*;

    /// As [`super::avx2::dequantize`], 64 elements per step.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn dequantize(q: &[u8], out: &mut [f32], table: &[f32; 256], store: Store) -> usize {
        let n = q.len().min(out.len());
        let (qp, tp) = (q.as_ptr(), table.as_ptr());
        // SAFETY: as in the AVX2 kernel.
        unsafe {
            f32_steps::avx512(&mut out[..n], store, |i| {
                std::array::from_fn(|k| {
                    let c = _mm_loadu_si128(qp.add(i + 16 * k).cast());
                    _mm512_i32gather_ps::<4>(_mm512_cvtepu8_epi32(c), tp)
                })
            })
        }
    }
}
