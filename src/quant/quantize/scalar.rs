//! Reference quantize kernel: the specification every SIMD kernel equals bit for bit.
//!
//! Per element, as ONNX Runtime's MLAS `MlasQuantizeLinear`:
//! `y = x / scale` (f32 division), `y = y > lo ? y : lo`, `y = y < hi ? y : hi` with
//! `lo = qmin - zp`, `hi = qmax - zp` (so NaN becomes `lo`, i.e. the result `qmin`),
//! then `q = round_half_even(y) + zp`. The clamp before rounding equals saturation after
//! it because the bounds are integers.

use crate::quant::params::QDtype;

/// One element. `lo`/`hi` are `qmin - zp` and `qmax - zp` as f32.
#[inline(always)]
pub fn quantize_one(x: f32, scale: f32, lo: f32, hi: f32, zp: i32) -> u8 {
    let y = x / scale;
    let y = if y > lo { y } else { lo };
    let y = if y < hi { y } else { hi };
    // In [qmin, qmax] after adding zp; `as u8` keeps the two's-complement byte for int8.
    (round_half_even(y) as i32 + zp) as u8
}

/// Round half to even for |y| <= 2^22 (y is clamped to [-255, 255] before this): adding
/// and subtracting 1.5 * 2^23 leaves no fraction bits, and IEEE round-to-nearest-even does
/// the rounding. Equals `f32::round_ties_even` there, without a libm call.
#[inline(always)]
pub fn round_half_even(y: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (y + MAGIC) - MAGIC
}

/// The reciprocal-multiply fast path is exact (see `fast_ok`) only when `1 / scale` is a
/// normal float: scale in [2^-125, 2^125].
#[inline(always)]
pub fn fast_path_allowed(scale: f32) -> bool {
    (f32::from_bits(0x0100_0000)..=f32::from_bits(0x7E00_0000)).contains(&scale)
}

/// SIMD kernels may compute `y' = x * fl(1 / scale)` instead of `y = x / scale` and keep it
/// when `|y' - round(y')| < FAST_LIMIT`, recomputing with the division otherwise. Why that
/// gives the same integer as the scalar spec:
/// `y' = (x/s)(1+d1)(1+d2)`, `y = (x/s)(1+d3)` with `|di| <= 2^-24`, so
/// `|y' - y| <= 3.01 * 2^-24 * |x/s|`, below 2^-14 for `|x/s| <= 512`. If `y'` is farther
/// than `0.5 - FAST_LIMIT = 2^-12` from every half-integer, no half-integer lies between
/// `y` and `y'`, so both round to the same integer, and since the clamp bounds are integers
/// `round(clamp(y)) = clamp(round(y))` gives the same result. Values with `|x/s| > 512`
/// clamp to the same bound from either. NaN and infinities fail the test (NaN compares
/// false) and take the division path.
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code) // read by the SIMD kernels only
)]
pub const FAST_LIMIT: f32 = 0.5 - 1.0 / 4096.0;

/// Bounds `(lo, hi)` for zero point `zp`.
#[inline(always)]
pub fn bounds(dtype: QDtype, zp: i32) -> (f32, f32) {
    let (qmin, qmax) = dtype.range();
    ((qmin - zp) as f32, (qmax - zp) as f32)
}

/// Quantizes `x` into `out` (same length) with one scale and zero point.
pub fn quantize(x: &[f32], out: &mut [u8], scale: f32, zp: i32, dtype: QDtype) {
    let (lo, hi) = bounds(dtype, zp);
    for (o, &v) in out.iter_mut().zip(x) {
        *o = quantize_one(v, scale, lo, hi, zp);
    }
}

/// Quantizes `x[i]` with `scales[i]`, `zps[i]` (all the same length).
pub fn quantize_per_elem(x: &[f32], out: &mut [u8], scales: &[f32], zps: &[i32], dtype: QDtype) {
    for (((o, &v), &s), &z) in out.iter_mut().zip(x).zip(scales).zip(zps) {
        let (lo, hi) = bounds(dtype, z);
        *o = quantize_one(v, s, lo, hi, z);
    }
}
