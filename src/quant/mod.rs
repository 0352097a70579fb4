//! Linear int8/uint8, int4/uint4 and FP8 (E4M3FN, E5M2) quantization as ONNX QuantizeLinear / DequantizeLinear, bit-exact
//! with ONNX Runtime: parameters from ranges and data, per-tensor / per-axis / block-wise
//! kernels (scalar reference plus SSE4.1, AVX2 and NEON), quantized tensors, calibrators
//! and quality metrics.

pub mod calib;
mod dequantize;
pub mod float8;
mod fp8;
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
