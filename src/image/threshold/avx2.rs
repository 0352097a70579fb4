//! AVX2 threshold kernels: 128 u8 or 32 f32 elements per step. u8 `v > t` is
//! `max(v, t + 1) == v` (the caller guarantees t <= 254); f32 uses the ordered `cmpgt`.

use super::{F32Op, ThresholdType, U8Op};
use std::arch::x86_64::*;

const BIN: u8 = 0;
const BIN_INV: u8 = 1;
const TRUNC: u8 = 2;
const TOZERO: u8 = 3;
const TOZERO_INV: u8 = 4;

fn code(ty: ThresholdType) -> u8 {
    match ty {
        ThresholdType::Binary => BIN,
        ThresholdType::BinaryInv => BIN_INV,
        ThresholdType::Trunc => TRUNC,
        ThresholdType::ToZero => TOZERO,
        ThresholdType::ToZeroInv => TOZERO_INV,
    }
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn one_u8<const TY: u8>(v: __m256i, t: __m256i, t1: __m256i, m: __m256i) -> __m256i {
    let above = _mm256_cmpeq_epi8(_mm256_max_epu8(v, t1), v);
    match TY {
        BIN => _mm256_and_si256(above, m),
        BIN_INV => _mm256_andnot_si256(above, m),
        TRUNC => _mm256_min_epu8(v, t),
        TOZERO => _mm256_and_si256(above, v),
        _ => _mm256_andnot_si256(above, v),
    }
}

/// Processes whole 128-byte steps from `s` to `d` (which may be equal); returns elements done.
#[target_feature(enable = "avx2")]
unsafe fn run_u8<const TY: u8>(s: *const u8, d: *mut u8, n: usize, op: U8Op) -> usize {
    let t = _mm256_set1_epi8(op.t as i8);
    let t1 = _mm256_set1_epi8(op.t.wrapping_add(1) as i8);
    let m = _mm256_set1_epi8(op.m as i8);
    let mut i = 0;
    while i + 128 <= n {
        // SAFETY: the caller guarantees n readable bytes at s and n writable bytes at d;
        // every load happens before the stores of the same step.
        unsafe {
            let v0 = _mm256_loadu_si256(s.add(i).cast());
            let v1 = _mm256_loadu_si256(s.add(i + 32).cast());
            let v2 = _mm256_loadu_si256(s.add(i + 64).cast());
            let v3 = _mm256_loadu_si256(s.add(i + 96).cast());
            _mm256_storeu_si256(d.add(i).cast(), one_u8::<TY>(v0, t, t1, m));
            _mm256_storeu_si256(d.add(i + 32).cast(), one_u8::<TY>(v1, t, t1, m));
            _mm256_storeu_si256(d.add(i + 64).cast(), one_u8::<TY>(v2, t, t1, m));
            _mm256_storeu_si256(d.add(i + 96).cast(), one_u8::<TY>(v3, t, t1, m));
        }
        i += 128;
    }
    i
}

#[target_feature(enable = "avx2")]
unsafe fn dispatch_u8(s: *const u8, d: *mut u8, n: usize, op: U8Op) -> usize {
    // SAFETY: forwarded contract.
    unsafe {
        match code(op.ty) {
            BIN => run_u8::<BIN>(s, d, n, op),
            BIN_INV => run_u8::<BIN_INV>(s, d, n, op),
            TRUNC => run_u8::<TRUNC>(s, d, n, op),
            TOZERO => run_u8::<TOZERO>(s, d, n, op),
            _ => run_u8::<TOZERO_INV>(s, d, n, op),
        }
    }
}

/// Thresholds the leading whole steps of `dst.len()` elements; returns how many were done.
///
/// # Safety
/// The CPU must support AVX2; `op.t <= 254`.
#[target_feature(enable = "avx2")]
pub unsafe fn apply_u8(src: &[u8], dst: &mut [u8], op: U8Op) -> usize {
    let n = dst.len().min(src.len());
    // SAFETY: n elements in both slices.
    unsafe { dispatch_u8(src.as_ptr(), dst.as_mut_ptr(), n, op) }
}

/// In-place variant of [`apply_u8`].
///
/// # Safety
/// As [`apply_u8`].
#[target_feature(enable = "avx2")]
pub unsafe fn apply_u8_inplace(buf: &mut [u8], op: U8Op) -> usize {
    let p = buf.as_mut_ptr();
    // SAFETY: buf.len() elements; reads precede writes within each step.
    unsafe { dispatch_u8(p, p, buf.len(), op) }
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn one_f32<const TY: u8>(v: __m256, t: __m256, m: __m256) -> __m256 {
    let above = _mm256_cmp_ps::<_CMP_GT_OQ>(v, t);
    match TY {
        BIN => _mm256_and_ps(above, m),
        BIN_INV => _mm256_and_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(v, t), m),
        TRUNC => _mm256_blendv_ps(v, t, above),
        TOZERO => _mm256_andnot_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(v, t), v),
        _ => _mm256_andnot_ps(above, v),
    }
}

#[target_feature(enable = "avx2")]
unsafe fn run_f32<const TY: u8>(s: *const f32, d: *mut f32, n: usize, op: F32Op) -> usize {
    let t = _mm256_set1_ps(op.t);
    let m = _mm256_set1_ps(op.m);
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: as in run_u8.
        unsafe {
            let v0 = _mm256_loadu_ps(s.add(i));
            let v1 = _mm256_loadu_ps(s.add(i + 8));
            let v2 = _mm256_loadu_ps(s.add(i + 16));
            let v3 = _mm256_loadu_ps(s.add(i + 24));
            _mm256_storeu_ps(d.add(i), one_f32::<TY>(v0, t, m));
            _mm256_storeu_ps(d.add(i + 8), one_f32::<TY>(v1, t, m));
            _mm256_storeu_ps(d.add(i + 16), one_f32::<TY>(v2, t, m));
            _mm256_storeu_ps(d.add(i + 24), one_f32::<TY>(v3, t, m));
        }
        i += 32;
    }
    i
}

#[target_feature(enable = "avx2")]
unsafe fn dispatch_f32(s: *const f32, d: *mut f32, n: usize, op: F32Op) -> usize {
    // SAFETY: forwarded contract.
    unsafe {
        match code(op.ty) {
            BIN => run_f32::<BIN>(s, d, n, op),
            BIN_INV => run_f32::<BIN_INV>(s, d, n, op),
            TRUNC => run_f32::<TRUNC>(s, d, n, op),
            TOZERO => run_f32::<TOZERO>(s, d, n, op),
            _ => run_f32::<TOZERO_INV>(s, d, n, op),
        }
    }
}

/// f32 threshold of the leading whole steps; returns elements done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn apply_f32(src: &[f32], dst: &mut [f32], op: F32Op) -> usize {
    let n = dst.len().min(src.len());
    // SAFETY: n elements in both slices.
    unsafe { dispatch_f32(src.as_ptr(), dst.as_mut_ptr(), n, op) }
}

/// In-place variant of [`apply_f32`].
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn apply_f32_inplace(buf: &mut [f32], op: F32Op) -> usize {
    let p = buf.as_mut_ptr();
    // SAFETY: buf.len() elements; reads precede writes within each step.
    unsafe { dispatch_f32(p, p, buf.len(), op) }
}
