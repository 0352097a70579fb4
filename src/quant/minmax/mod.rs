//! Min/max scans (NaNs skipped). `scalar.rs` is the specification; the SIMD files scan
//! whole vectors, the scalar kernel finishes the tail. A zero extreme is reported as +0.0
//! whatever its sign, so results do not depend on the order lanes meet -0.0 and +0.0.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "aarch64")]
mod neon;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse41;

use crate::cpu::Isa;

/// `(min, max)` of the non-NaN values of `x` folded into `acc`; `(+inf, -inf)` stays when
/// every value is NaN or `x` is empty.
pub(crate) fn minmax_with(isa: Isa, x: &[f32], acc: (f32, f32)) -> (f32, f32) {
    let (done, acc) = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::minmax(x, acc) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::minmax(x, acc) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::minmax(x, acc) },
        _ => (0, acc),
    };
    let (mn, mx) = scalar::minmax(&x[done..], acc);
    // -0.0 + 0.0 == +0.0; every other value is unchanged.
    (mn + 0.0, mx + 0.0)
}

/// Element-wise `mins[i] = min(mins[i], x[i])`, `maxs[i] = max(maxs[i], x[i])` (NaN skipped).
pub(crate) fn minmax_accumulate_with(isa: Isa, x: &[f32], mins: &mut [f32], maxs: &mut [f32]) {
    let n = x.len();
    let (mins, maxs) = (&mut mins[..n], &mut maxs[..n]);
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::minmax_accumulate(x, mins, maxs) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::minmax_accumulate(x, mins, maxs) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::minmax_accumulate(x, mins, maxs) },
        _ => 0,
    };
    scalar::minmax_accumulate(&x[done..], &mut mins[done..], &mut maxs[done..]);
}
