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
    (y.round_ties_even() as i32 + zp) as u8
}

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
