//! Quantize kernels: f32 -> int8/uint8 bytes. `scalar.rs` is the specification; the SIMD
//! files process whole vectors and return how many elements they did, and the scalar
//! kernel finishes the tail.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse41;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;

use crate::cpu::{Isa, Store};
use crate::quant::params::QDtype;

/// Quantizes `x` into `out[..x.len()]` with one scale and zero point (unchecked values:
/// callers validate scale and zero point). Uses `isa`'s kernel, writing with `store`.
pub(crate) fn quantize_with(
    isa: Isa,
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    zp: i32,
    dtype: QDtype,
    store: Store,
) {
    let out = &mut out[..x.len()];
    #[cfg(not(target_arch = "x86_64"))]
    let _ = store; // only the x86_64 kernels stream
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe {
            // Whole 64-element steps, then AVX2 (which every AVX-512 CPU here has) on a
            // remainder of 32 or more, so short runs and blocks stay vectorized.
            let d = avx512::quantize(x, out, scale, zp, dtype, store);
            d + avx2::quantize(&x[d..], &mut out[d..], scale, zp, dtype, Store::Cached)
        },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::quantize(x, out, scale, zp, dtype, store) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::quantize(x, out, scale, zp, dtype) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::quantize(x, out, scale, zp, dtype) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::quantize(x, out, scale, zp, dtype),
        _ => 0,
    };
    scalar::quantize(&x[done..], &mut out[done..], scale, zp, dtype);
}

/// Quantizes `x[i]` with `scales[i]`, `zps[i]` using `isa`'s kernel. `invs`, when given,
/// holds `1 / scales[i]` for every element and every scale passes
/// `scalar::fast_path_allowed`; kernels may use it for the exact reciprocal fast path.
pub(crate) fn quantize_per_elem_with(
    isa: Isa,
    x: &[f32],
    out: &mut [u8],
    scales: &[f32],
    zps: &[i32],
    invs: Option<&[f32]>,
    dtype: QDtype,
) {
    let n = x.len();
    let (out, scales, zps) = (&mut out[..n], &scales[..n], &zps[..n]);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = invs;
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe {
            avx2::quantize_per_elem(x, out, scales, zps, invs.map(|v| &v[..n]), dtype)
        },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::quantize_per_elem(x, out, scales, zps, dtype) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::quantize_per_elem(x, out, scales, zps, dtype) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::quantize_per_elem(x, out, scales, zps, dtype),
        _ => 0,
    };
    scalar::quantize_per_elem(
        &x[done..],
        &mut out[done..],
        &scales[done..],
        &zps[done..],
        dtype,
    );
}
