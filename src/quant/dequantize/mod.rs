//! Dequantize kernels: int8/uint8 bytes -> f32. `scalar.rs` is the specification; the SIMD
//! files process whole vectors and return how many elements they did, and the scalar
//! kernel finishes the tail.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "aarch64")]
mod neon;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse41;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;

use crate::cpu::{Isa, Store};
use crate::quant::params::QDtype;

/// Dequantizes `q` into `out[..q.len()]` with one scale and zero point using `isa`'s kernel,
/// writing with `store`.
pub(crate) fn dequantize_with(
    isa: Isa,
    q: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    dtype: QDtype,
    store: Store,
) {
    let out = &mut out[..q.len()];
    #[cfg(not(target_arch = "x86_64"))]
    let _ = store; // only the x86_64 kernels stream
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::dequantize(q, out, scale, zp, dtype, store) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::dequantize(q, out, scale, zp, dtype) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::dequantize(q, out, scale, zp, dtype) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::dequantize(q, out, scale, zp, dtype),
        _ => 0,
    };
    scalar::dequantize(&q[done..], &mut out[done..], scale, zp, dtype);
}

/// Dequantizes the first `out.len()` int4 (`signed`) or uint4 codes packed in `packed`
/// (low nibble first) where `isa` has a fused kernel; returns how many elements were done
/// (even, possibly 0). The caller finishes the rest by unpacking and [`dequantize_with`],
/// which gives the same values: `(code - zp) * scale` per element.
pub(crate) fn dequantize_nibbles_with(
    isa: Isa,
    packed: &[u8],
    out: &mut [f32],
    scale: f32,
    zp: i32,
    signed: bool,
    store: Store,
) -> usize {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (packed, out, scale, zp, signed, store);
    match isa {
        // SAFETY: `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe {
            avx2::dequantize_nibbles(packed, out, scale, zp, signed, store)
        },
        _ => 0,
    }
}

/// Dequantizes `q[i]` with `scales[i]`, `zps[i]` using `isa`'s kernel.
pub(crate) fn dequantize_per_elem_with(
    isa: Isa,
    q: &[u8],
    out: &mut [f32],
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) {
    let n = q.len();
    let (out, scales, zps) = (&mut out[..n], &scales[..n], &zps[..n]);
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::dequantize_per_elem(q, out, scales, zps, dtype) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::dequantize_per_elem(q, out, scales, zps, dtype) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::dequantize_per_elem(q, out, scales, zps, dtype) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::dequantize_per_elem(q, out, scales, zps, dtype),
        _ => 0,
    };
    scalar::dequantize_per_elem(
        &q[done..],
        &mut out[done..],
        &scales[done..],
        &zps[done..],
        dtype,
    );
}
