//! Mean/variance normalization of f32 buffers (placeholder until the kernels land).

use crate::error::Result;

/// Mean and population variance of a buffer, in f64.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub mean: f64,
    pub var: f64,
}

/// Statistics of `x`.
pub fn stats(_x: &[f32]) -> Result<Stats> {
    unimplemented!()
}

/// Normalizes.
pub fn normalize(_x: &[f32], _out: &mut [f32], _eps: f32) -> Result<Stats> {
    unimplemented!()
}

/// Per-channel.
pub fn normalize_channels() -> Result<()> {
    unimplemented!()
}
