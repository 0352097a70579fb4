//! AVX-512 f32 -> f16 / bf16, 32 elements per step. f16 uses `vcvtps2ph` on 16 lanes with
//! round-to-nearest-even, equal to `scalar.rs` except for NaN (quiet bit set), so a step
//! holding a NaN is redone by the scalar kernel. bf16 uses AVX512_BF16's `vcvtne2ps2bf16`
//! (32 results per instruction) where the CPU has it and it gives the spec's bits: it
//! treats subnormal inputs as zero (ml_dtypes rounds them: 0x007fffff gives 0x0080, the
//! instruction 0x0000) and keeps NaN payloads (ml_dtypes gives 0x7fc0), so a step holding
//! either (one `vfpclassps` per 16 lanes finds them) takes the integer formulation of
//! `scalar.rs` (narrowed with `vpmovdw`), as do CPUs without it.

use crate::cpu::{for_each_step, Store};
use std::arch::x86_64::*;

const RNE: i32 = _MM_FROUND_TO_NEAREST_INT;

#[inline]
#[target_feature(enable = "avx512f")]
fn bf16_lanes(v: __m512) -> __m256i {
    let b = _mm512_castps_si512(v);
    let odd = _mm512_and_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(1));
    let r = _mm512_srli_epi32::<16>(_mm512_add_epi32(
        _mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)),
        odd,
    ));
    let a = _mm512_and_si512(b, _mm512_set1_epi32(0x7fff_ffff));
    let is_nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7f80_0000));
    let nan = _mm512_or_si512(
        _mm512_srli_epi32::<16>(_mm512_and_si512(b, _mm512_set1_epi32(i32::MIN))),
        _mm512_set1_epi32(0x7fc0),
    );
    _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(is_nan, r, nan))
}

/// Writes 32 results (64 bytes) at `o`, streamed when `aligned`.
///
/// # Safety
/// `o` must have 32 writable elements, 64-byte aligned when `aligned`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn put(o: *mut u16, a: __m256i, b: __m256i, aligned: bool) {
    // SAFETY: the caller's contract.
    unsafe {
        if aligned {
            let v = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(a), b);
            _mm512_stream_si512(o.cast(), v);
        } else {
            _mm256_storeu_si256(o.cast(), a);
            _mm256_storeu_si256(o.add(16).cast(), b);
        }
    }
}

/// bf16 of 32 elements with AVX512_BF16 (`hw`): one `vcvtne2ps2bf16` (round to nearest
/// even, like the spec) unless a lane is NaN or a nonzero subnormal, where the instruction
/// differs (it keeps NaN payloads and treats subnormal inputs as zero); `vfpclassps` finds
/// those lanes, and such steps take the integer formulation of `scalar.rs`.
///
/// # Safety
/// `xp` must have 32 readable and `op` 32 writable elements, 64-byte aligned when `aligned`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bf16")]
unsafe fn bf16_step_hw(xp: *const f32, op: *mut u16, aligned: bool) {
    // QNaN (0x01), denormal (0x20), SNaN (0x80).
    const SPECIAL: i32 = 0xa1;
    // SAFETY: the caller's contract.
    unsafe {
        let a = _mm512_loadu_ps(xp);
        let b = _mm512_loadu_ps(xp.add(16));
        if _mm512_fpclass_ps_mask::<SPECIAL>(a) | _mm512_fpclass_ps_mask::<SPECIAL>(b) != 0 {
            put(op, bf16_lanes(a), bf16_lanes(b), aligned);
            return;
        }
        let v = std::mem::transmute::<__m512bh, __m512i>(_mm512_cvtne2ps_pbh(b, a));
        if aligned {
            _mm512_stream_si512(op.cast(), v);
        } else {
            _mm512_storeu_si512(op.cast(), v);
        }
    }
}

/// [`run`] for bf16 on CPUs with AVX512_BF16 (and DQ, for `vfpclassps`).
#[target_feature(enable = "avx512f,avx512dq,avx512bf16")]
fn run_bf16_hw(x: &[f32], out: &mut [u16], store: Store) -> usize {
    let n = x.len().min(out.len());
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(64));
    let done = for_each_step(n, 32, aligned_from, |i, aligned| {
        // SAFETY: `for_each_step` gives i + 32 <= n <= both lengths; `aligned` steps start
        // on a 64-byte boundary.
        unsafe { bf16_step_hw(xp.add(i), op.add(i), aligned) }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

#[target_feature(enable = "avx512f")]
fn run<const BF: bool>(x: &[f32], out: &mut [u16], store: Store) -> usize {
    let n = x.len().min(out.len());
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let aligned_from = (store == Store::Streaming).then(|| op.align_offset(64));
    let done = for_each_step(n, 32, aligned_from, |i, aligned| {
        // SAFETY: `for_each_step` gives i + 32 <= n <= both lengths; `aligned` steps start
        // on a 64-byte boundary.
        unsafe {
            let a = _mm512_loadu_ps(xp.add(i));
            let b = _mm512_loadu_ps(xp.add(i + 16));
            if BF {
                put(op.add(i), bf16_lanes(a), bf16_lanes(b), aligned);
                return;
            }
            let nan =
                _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(b, b);
            if nan != 0 {
                // Ordinary stores to a line no streamed store touches (see `for_each_step`).
                let o = std::slice::from_raw_parts_mut(op.add(i), 32);
                super::scalar::f16(std::slice::from_raw_parts(xp.add(i), 32), o);
                return;
            }
            let (ha, hb) = (_mm512_cvtps_ph::<RNE>(a), _mm512_cvtps_ph::<RNE>(b));
            put(op.add(i), ha, hb, aligned);
        }
    });
    if aligned_from.is_some() {
        _mm_sfence();
    }
    done
}

/// Converts to f16 the largest multiple of 32 elements, or all of them with
/// `Store::Streaming` (see `cpu::for_each_step`); returns how many were done.
///
/// # Safety
/// The CPU must support AVX-512 F.
#[target_feature(enable = "avx512f")]
pub unsafe fn f16(x: &[f32], out: &mut [u16], store: Store) -> usize {
    run::<false>(x, out, store)
}

/// Converts to bf16 like [`f16`].
///
/// # Safety
/// The CPU must support AVX-512 F.
#[target_feature(enable = "avx512f")]
pub unsafe fn bf16(x: &[f32], out: &mut [u16], store: Store) -> usize {
    if std::arch::is_x86_feature_detected!("avx512bf16")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: both features were just detected.
        return unsafe { run_bf16_hw(x, out, store) };
    }
    run::<true>(x, out, store)
}
