//! Quantization quality: mean squared error and signal-to-quantization-noise ratio.
//! Sums are taken in f64, element by element in order.
//!
//! ```
//! use scipix::quant::{quantization_mse, sqnr_db};
//!
//! let x = [1.0f32, 2.0, 3.0, 4.0];
//! let y = [1.0f32, 2.0, 3.0, 5.0];
//! assert_eq!(quantization_mse(&x, &y)?, 0.25);
//! assert!((sqnr_db(&x, &y)? - 10.0 * (7.5f64 / 0.25).log10()).abs() < 1e-12);
//! # Ok::<(), scipix::Error>(())
//! ```

use crate::error::{Error, Result};

fn check(x: &[f32], y: &[f32]) -> Result<()> {
    if x.len() != y.len() {
        return Err(Error::invalid(format!(
            "original has {} elements, reconstruction {}",
            x.len(),
            y.len()
        )));
    }
    Ok(())
}

/// `Σ (x - y)² / n` in f64; 0.0 for empty input; NaN if any input is NaN or infinite.
pub fn quantization_mse(x: &[f32], y: &[f32]) -> Result<f64> {
    check(x, y)?;
    if x.is_empty() {
        return Ok(0.0);
    }
    let s: f64 = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| {
            let d = a as f64 - b as f64;
            d * d
        })
        .sum();
    Ok(s / x.len() as f64)
}

/// `10 * log10(Σ x² / Σ (x - y)²)` in dB. Zero noise (exact reconstruction, including
/// empty or all-zero input) gives +inf; a zero signal with non-zero noise gives -inf.
pub fn sqnr_db(x: &[f32], y: &[f32]) -> Result<f64> {
    check(x, y)?;
    let (mut sig, mut noise) = (0.0f64, 0.0f64);
    for (&a, &b) in x.iter().zip(y) {
        let (a, d) = (a as f64, a as f64 - b as f64);
        sig += a * a;
        noise += d * d;
    }
    Ok(if noise == 0.0 {
        f64::INFINITY
    } else if sig == 0.0 {
        f64::NEG_INFINITY
    } else {
        10.0 * (sig / noise).log10()
    })
}
