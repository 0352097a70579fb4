//! Reference dequantize kernel: `x = ((q as i32) - zp) as f32 * scale`, as ONNX Runtime's
//! DequantizeLinear (the integer difference is exact in f32, then one rounding).

use crate::quant::params::QDtype;

/// One element; `q` is the stored byte, read as int8 or uint8 per `signed`.
#[inline(always)]
pub fn dequantize_one(q: u8, signed: bool, scale: f32, zp: i32) -> f32 {
    let v = if signed { q as i8 as i32 } else { q as i32 };
    (v - zp) as f32 * scale
}

/// Dequantizes `q` into `out` (same length) with one scale and zero point.
pub fn dequantize(q: &[u8], out: &mut [f32], scale: f32, zp: i32, dtype: QDtype) {
    let signed = dtype == QDtype::I8;
    for (o, &v) in out.iter_mut().zip(q) {
        *o = dequantize_one(v, signed, scale, zp);
    }
}

/// Dequantizes `q[i]` with `scales[i]`, `zps[i]` (all the same length).
pub fn dequantize_per_elem(q: &[u8], out: &mut [f32], scales: &[f32], zps: &[i32], dtype: QDtype) {
    let signed = dtype == QDtype::I8;
    for (((o, &v), &s), &z) in out.iter_mut().zip(q).zip(scales).zip(zps) {
        *o = dequantize_one(v, signed, s, z);
    }
}
