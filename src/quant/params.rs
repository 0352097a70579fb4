//! Quantization parameters (scale, zero point) from a real range, as ONNX Runtime's
//! `compute_scale_zp` computes them.
//!
//! ```
//! use scipix::quant::{params_from_range, QDtype, QMode};
//!
//! // ONNX Runtime's compute_scale_zp: the range is widened to include 0.
//! let p = params_from_range(0.5, 2.55, QDtype::U8, QMode::Asymmetric, false)?;
//! assert_eq!((p.scale, p.zero_point), (0.01, 0));
//! # Ok::<(), scipix::Error>(())
//! ```

use crate::error::{Error, Result};

/// The integer type of quantized data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QDtype {
    /// Signed 8-bit, [-128, 127].
    I8,
    /// Unsigned 8-bit, [0, 255].
    U8,
}

impl QDtype {
    /// Full representable range `(min, max)`.
    pub fn range(self) -> (i32, i32) {
        match self {
            QDtype::I8 => (-128, 127),
            QDtype::U8 => (0, 255),
        }
    }

    /// Lower-case name ("int8", "uint8").
    pub fn name(self) -> &'static str {
        match self {
            QDtype::I8 => "int8",
            QDtype::U8 => "uint8",
        }
    }

    /// Checks that `zp` is representable in this type.
    pub fn check_zero_point(self, zp: i32) -> Result<()> {
        let (lo, hi) = self.range();
        if zp < lo || zp > hi {
            return Err(Error::invalid(format!(
                "zero point {zp} is outside the {} range [{lo}, {hi}]",
                self.name()
            )));
        }
        Ok(())
    }
}

/// How the real range maps onto the integer range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QMode {
    /// `[rmin, rmax]` (widened to include 0) maps onto the full integer range.
    Asymmetric,
    /// `[-absmax, absmax]` maps symmetrically; int8 uses [-127, 127] with zero point 0,
    /// uint8 uses [0, 255] with zero point 128.
    Symmetric,
}

/// A scale and a zero point: `q = saturate(round_half_even(x / scale) + zero_point)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QParams {
    /// Step between adjacent quantized values; finite and > 0.
    pub scale: f32,
    /// The quantized value that represents real 0.0 exactly.
    pub zero_point: i32,
}

impl QParams {
    /// Checks `scale` (finite, > 0) and `zero_point` (inside `dtype`).
    pub fn new(scale: f32, zero_point: i32, dtype: QDtype) -> Result<Self> {
        check_scale(scale)?;
        dtype.check_zero_point(zero_point)?;
        Ok(QParams { scale, zero_point })
    }
}

/// Checks that a scale is finite and > 0 (NaN, infinities, zero and negatives are refused).
pub fn check_scale(scale: f32) -> Result<()> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::invalid(format!(
            "scale {scale} must be finite and > 0"
        )));
    }
    Ok(())
}

/// The integer range parameters are computed for, as ONNX Runtime's
/// `get_qmin_qmax_for_qType`: reduce-range gives uint8 [0, 127] and int8 [-64, 64]
/// (7 bits, so u8 x s8 products summed in pairs cannot saturate the 16-bit accumulators of
/// pre-VNNI `vpmaddubsw`); otherwise symmetric int8 gives [-127, 127] and everything else
/// the full type range.
pub fn quant_range(dtype: QDtype, mode: QMode, reduce_range: bool) -> (i32, i32) {
    match (dtype, reduce_range, mode) {
        (QDtype::U8, true, _) => (0, 127),
        (QDtype::I8, true, _) => (-64, 64),
        (QDtype::I8, false, QMode::Symmetric) => (-127, 127),
        (d, false, _) => d.range(),
    }
}

/// Computes scale and zero point for the real range `[rmin, rmax]`, exactly as ONNX
/// Runtime's `compute_scale_zp` (with `quant_range` for qmin/qmax):
///
/// 1. widen the range to include 0: `rmin = min(rmin, 0)`, `rmax = max(rmax, 0)`;
/// 2. symmetric: `absmax = max(|rmin|, |rmax|)`, range `[-absmax, absmax]`;
/// 3. `scale = (rmax - rmin) / (qmax - qmin)` in f64;
/// 4. if that scale is below the smallest normal f32 (constant or all-zero data, or a
///    denormal-sized range), the result is `scale = 1, zero_point = 0`;
/// 5. else zero point = `round_half_even((qmin + qmax) / 2)` when symmetric (0 for int8,
///    128 for uint8), or `round_half_even(qmin - rmin / scale)` (f64) when asymmetric,
///    and the scale is rounded to f32.
///
/// Errors: a non-finite bound or `rmin > rmax`.
pub fn params_from_range(
    rmin: f32,
    rmax: f32,
    dtype: QDtype,
    mode: QMode,
    reduce_range: bool,
) -> Result<QParams> {
    if !rmin.is_finite() || !rmax.is_finite() {
        return Err(Error::invalid(format!(
            "range [{rmin}, {rmax}] must be finite"
        )));
    }
    if rmin > rmax {
        return Err(Error::invalid(format!(
            "range [{rmin}, {rmax}]: rmin must be <= rmax"
        )));
    }
    let (qmin, qmax) = quant_range(dtype, mode, reduce_range);
    let mut lo = rmin.min(0.0);
    let mut hi = rmax.max(0.0);
    if mode == QMode::Symmetric {
        let absmax = lo.abs().max(hi.abs());
        lo = -absmax;
        hi = absmax;
    }
    let scale = (hi as f64 - lo as f64) / (qmax - qmin) as f64;
    if scale < f32::MIN_POSITIVE as f64 {
        return Ok(QParams {
            scale: 1.0,
            zero_point: 0,
        });
    }
    let zp = match mode {
        QMode::Symmetric => ((qmin + qmax) as f64 / 2.0).round_ties_even(),
        QMode::Asymmetric => (qmin as f64 - lo as f64 / scale).round_ties_even(),
    };
    let zero_point = (zp as i32).clamp(qmin, qmax);
    Ok(QParams {
        scale: scale as f32,
        zero_point,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asymmetric_uint8_matches_hand_values() {
        let p = params_from_range(-1.0, 3.0, QDtype::U8, QMode::Asymmetric, false).unwrap();
        assert_eq!(p.scale, (4.0f64 / 255.0) as f32);
        // 0 - (-1) / (4/255) = 63.75 -> 64
        assert_eq!(p.zero_point, 64);
        // Range widened to include 0: [2, 5] behaves as [0, 5].
        let p = params_from_range(2.0, 5.0, QDtype::U8, QMode::Asymmetric, false).unwrap();
        assert_eq!(p.zero_point, 0);
        assert_eq!(p.scale, (5.0f64 / 255.0) as f32);
        let p = params_from_range(-5.0, -2.0, QDtype::I8, QMode::Asymmetric, false).unwrap();
        assert_eq!(p.zero_point, 127);
    }

    #[test]
    fn symmetric_int8_uses_127() {
        let p = params_from_range(-0.5, 2.0, QDtype::I8, QMode::Symmetric, false).unwrap();
        assert_eq!(p.zero_point, 0);
        assert_eq!(p.scale, (4.0f64 / 254.0) as f32);
        let p = params_from_range(-0.5, 2.0, QDtype::U8, QMode::Symmetric, false).unwrap();
        assert_eq!(p.zero_point, 128);
        assert_eq!(p.scale, (4.0f64 / 255.0) as f32);
    }

    #[test]
    fn reduce_range_is_seven_bits() {
        assert_eq!(quant_range(QDtype::U8, QMode::Asymmetric, true), (0, 127));
        assert_eq!(quant_range(QDtype::I8, QMode::Symmetric, true), (-64, 64));
        let p = params_from_range(0.0, 127.0, QDtype::U8, QMode::Asymmetric, true).unwrap();
        assert_eq!((p.scale, p.zero_point), (1.0, 0));
    }

    #[test]
    fn constant_and_tiny_ranges_are_guarded() {
        for (a, b) in [(0.0, 0.0), (0.0, 1e-40), (-1e-39, 0.0)] {
            let p = params_from_range(a, b, QDtype::U8, QMode::Asymmetric, false).unwrap();
            assert_eq!((p.scale, p.zero_point), (1.0, 0), "[{a}, {b}]");
        }
        let p = params_from_range(3.0, 3.0, QDtype::I8, QMode::Asymmetric, false).unwrap();
        assert_eq!(p.zero_point, -128);
        assert!(p.scale > 0.0);
    }

    #[test]
    fn bad_ranges_are_refused() {
        for (a, b) in [(f32::NAN, 1.0), (0.0, f32::INFINITY), (2.0, 1.0)] {
            assert!(params_from_range(a, b, QDtype::U8, QMode::Asymmetric, false).is_err());
        }
        assert!(QParams::new(0.0, 0, QDtype::U8).is_err());
        assert!(QParams::new(1.0, 256, QDtype::U8).is_err());
        assert!(QParams::new(1.0, -129, QDtype::I8).is_err());
        assert!(QParams::new(f32::NAN, 0, QDtype::I8).is_err());
    }
}
