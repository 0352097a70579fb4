//! GGML block kernels. `scalar.rs` is the specification (every format); Q8_0 and Q4_0
//! have SSE4.1, AVX2 (with F16C) and NEON kernels, and AVX-512 (with F16C) quantize
//! kernels, that equal it bit for bit. They process whole blocks only (callers pass multiples of 32 values) and
//! never use fused multiply-add, since the reference rounds after every multiply and add.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse41;

use crate::cpu::Isa;

/// The AVX2 kernels also need F16C (every AVX2 CPU scipix has met has it; without it the
/// SSE4.1 kernels run).
#[cfg(target_arch = "x86_64")]
fn f16c() -> bool {
    crate::cpu::detected().has(crate::cpu::Features::F16C)
}

/// The block formats with SIMD kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fmt {
    Q8_0,
    Q4_0,
}

/// Quantizes whole blocks of `x` into `q` with `isa`'s kernel (lengths checked by the
/// caller: `x.len()` a multiple of 32, `q` exactly the blocks' bytes).
pub(crate) fn quantize(isa: Isa, fmt: Fmt, x: &[f32], q: &mut [u8]) {
    debug_assert_eq!(x.len() % 32, 0);
    match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs;
        // the AVX2 arm also checks F16C.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if f16c() => unsafe { avx512::quantize(fmt, x, q) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 if f16c() => unsafe { avx2::quantize(fmt, x, q) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 | Isa::Avx2 | Isa::Avx512 => unsafe { sse41::quantize(fmt, x, q) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::quantize(fmt, x, q) },
        _ => match fmt {
            Fmt::Q8_0 => scalar::quantize_q8_0(x, q),
            Fmt::Q4_0 => scalar::quantize_q4_0(x, q),
        },
    }
}

/// Dequantizes whole blocks of `q` into `x` with `isa`'s kernel.
pub(crate) fn dequantize(isa: Isa, fmt: Fmt, q: &[u8], x: &mut [f32]) {
    debug_assert_eq!(x.len() % 32, 0);
    match isa {
        // SAFETY (each arm): as in `quantize`.
        // Dequantize has no AVX-512 kernel: at 1M values the 16-lane versions measured
        // slower than the AVX2 ones (Q8_0 0.237 against 0.218 ms into a 16-byte aligned
        // output, whose 64-byte stores all split cache lines; 0.221 against 0.213 aligned;
        // Q4_0 about 1.2x the time at 64K), so AVX-512 CPUs run the AVX2 kernels.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 if f16c() => unsafe { avx2::dequantize(fmt, q, x) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 | Isa::Avx2 | Isa::Avx512 => unsafe { sse41::dequantize(fmt, q, x) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::dequantize(fmt, q, x) },
        _ => match fmt {
            Fmt::Q8_0 => scalar::dequantize_q8_0(q, x),
            Fmt::Q4_0 => scalar::dequantize_q4_0(q, x),
        },
    }
}

/// Largest `|x|` bit pattern of `x` (see [`scalar::max_abs_bits`]) with `isa`'s kernel.
pub(crate) fn max_abs_bits(isa: Isa, x: &[f32]) -> u32 {
    match isa {
        // SAFETY: as in `quantize`.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::max_abs_bits(x) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::max_abs_bits(x) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::max_abs_bits(x) },
        _ => scalar::max_abs_bits(x),
    }
}
