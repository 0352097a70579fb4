//! Linear int8/uint8, int4/uint4 and FP8 (E4M3FN, E5M2) quantization as ONNX QuantizeLinear / DequantizeLinear, bit-exact
//! with ONNX Runtime: parameters from ranges and data, per-tensor / per-axis / block-wise
//! kernels (scalar reference plus SSE4.1, AVX2 and NEON), quantized tensors, calibrators
//! and quality metrics.
//!
//! ```
//! use scipix::quant::{dequantize_linear, quantize_linear, QDtype, QParams};
//!
//! // ONNX QuantizeLinear / DequantizeLinear with scale 0.1, zero point 0, int8.
//! let p = QParams::new(0.1, 0, QDtype::I8)?;
//! let x = [0.0f32, 0.25, -1.0, 100.0];
//! let mut q = [0u8; 4];
//! quantize_linear(&x, &mut q, p, QDtype::I8)?;
//! assert_eq!(q.map(|b| b as i8), [0, 2, -10, 127]); // ties to even, saturated
//! let mut back = [0f32; 4];
//! dequantize_linear(&q, &mut back, p, QDtype::I8)?;
//! assert_eq!(back[2], -1.0);
//! # Ok::<(), scipix::Error>(())
//! ```

pub mod calib;
mod dequantize;
pub mod float8;
mod fp8;
pub mod ggml;
pub mod int4;
pub mod linear;
pub mod metrics;
mod minmax;
mod nibble;
pub mod params;
mod quantize;
pub mod tensor;

pub use calib::{CalibConfig, CalibMethod, Calibrator};
pub use float8::{dequantize_fp8, quantize_fp8, Fp8Format, Layout};
pub use int4::{dequantize_int4, packed_len, quantize_int4, Q4Dtype};
pub use linear::{
    dequantize_linear, dequantize_linear_axis, dequantize_linear_blocked, quantize_linear,
    quantize_linear_axis, quantize_linear_blocked,
};
pub use metrics::{quantization_mse, sqnr_db};
pub use params::{params_from_range, quant_range, QDtype, QMode, QParams};
pub use tensor::{
    minmax, minmax_axis, params_axis, params_blocked, params_from_data, Granularity,
    QuantizedTensor,
};

#[cfg(test)]
mod tests;
