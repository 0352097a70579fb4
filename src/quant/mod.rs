//! Linear int8/uint8 quantization as ONNX QuantizeLinear / DequantizeLinear, bit-exact
//! with ONNX Runtime: parameters from ranges and data, per-tensor / per-axis / block-wise
//! kernels (scalar reference plus SSE4.1, AVX2 and NEON), quantized tensors, calibrators
//! and quality metrics.

pub mod calib;
mod dequantize;
pub mod ggml;
pub mod linear;
pub mod metrics;
mod minmax;
pub mod params;
mod quantize;
pub mod tensor;

pub use calib::{CalibConfig, CalibMethod, Calibrator};
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
