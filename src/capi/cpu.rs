//! C API: CPU features, optimization level, instruction-set cap and thread count.
//!
//! ```
//! use scipix::capi::cpu::*;
//! use std::ffi::CStr;
//!
//! let names = unsafe { CStr::from_ptr(scipix_cpu_features_string()) }.to_str().unwrap();
//! assert_eq!(names, scipix::cpu::detected().names());
//! assert_eq!(scipix_get_opt_level(), SCIPIX_OPT_FULL);
//! ```

use super::guard::{guard, guard_or, set_last_error};
use super::handle::try_out;
use super::status::ScipixStatus;
use crate::cpu::{self, Isa, OptLevel};
use crate::error::Error;
use crate::parallel;
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

/// Bit set of CPU features, as returned by `scipix_cpu_features()`.
pub type ScipixCpuFeatures = u64;
/// x86_64 SSE2.
pub const SCIPIX_CPU_SSE2: ScipixCpuFeatures = 1;
/// x86_64 SSSE3.
pub const SCIPIX_CPU_SSSE3: ScipixCpuFeatures = 2;
/// x86_64 SSE4.1.
pub const SCIPIX_CPU_SSE41: ScipixCpuFeatures = 4;
/// x86_64 SSE4.2.
pub const SCIPIX_CPU_SSE42: ScipixCpuFeatures = 8;
/// x86_64 AVX.
pub const SCIPIX_CPU_AVX: ScipixCpuFeatures = 16;
/// x86_64 AVX2.
pub const SCIPIX_CPU_AVX2: ScipixCpuFeatures = 32;
/// x86_64 FMA3.
pub const SCIPIX_CPU_FMA: ScipixCpuFeatures = 64;
/// x86_64 F16C (half-precision conversion).
pub const SCIPIX_CPU_F16C: ScipixCpuFeatures = 128;
/// x86_64 AVX-512 Foundation.
pub const SCIPIX_CPU_AVX512F: ScipixCpuFeatures = 256;
/// x86_64 AVX-512 Byte and Word.
pub const SCIPIX_CPU_AVX512BW: ScipixCpuFeatures = 512;
/// x86_64 AVX-512 Vector Neural Network Instructions.
pub const SCIPIX_CPU_AVX512VNNI: ScipixCpuFeatures = 1024;
/// x86_64 AVX-512 Vector Byte Manipulation Instructions (byte permutes).
pub const SCIPIX_CPU_AVX512VBMI: ScipixCpuFeatures = 2048;
/// aarch64 Advanced SIMD (NEON).
pub const SCIPIX_CPU_NEON: ScipixCpuFeatures = 65536;
/// aarch64 dot-product instructions.
pub const SCIPIX_CPU_DOTPROD: ScipixCpuFeatures = 131072;
/// aarch64 half-precision arithmetic.
pub const SCIPIX_CPU_FP16: ScipixCpuFeatures = 262144;

/// Optimization level (one of `SCIPIX_OPT_*`).
pub type ScipixOptLevel = u32;
/// Scalar kernels, one thread.
pub const SCIPIX_OPT_NONE: ScipixOptLevel = 0;
/// SIMD kernels, one thread.
pub const SCIPIX_OPT_SIMD: ScipixOptLevel = 1;
/// Scalar kernels, several threads.
pub const SCIPIX_OPT_PARALLEL: ScipixOptLevel = 2;
/// SIMD kernels, several threads, pooled scratch memory. The default.
pub const SCIPIX_OPT_FULL: ScipixOptLevel = 3;

/// Kernel family / instruction-set cap (one of `SCIPIX_ISA_*`).
pub type ScipixIsa = u32;
/// Portable scalar kernels: the reference all others equal bit for bit.
pub const SCIPIX_ISA_SCALAR: ScipixIsa = 0;
/// x86_64 SSE4.1 kernels.
pub const SCIPIX_ISA_SSE41: ScipixIsa = 1;
/// x86_64 AVX2 kernels.
pub const SCIPIX_ISA_AVX2: ScipixIsa = 2;
/// x86_64 AVX-512 (F+BW): quantize, normalize and image-to-tensor (when the CPU also has
/// VBMI) run AVX-512 kernels; every other operation runs its AVX2 kernel at this level.
pub const SCIPIX_ISA_AVX512: ScipixIsa = 3;
/// aarch64 NEON kernels.
pub const SCIPIX_ISA_NEON: ScipixIsa = 4;

/// Returns the features of the running CPU as a bit set of `SCIPIX_CPU_*` flags.
/// Detected once, then cached. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_cpu_features() -> ScipixCpuFeatures {
    guard_or(0, || cpu::detected().0)
}

/// Returns the detected features as space-separated lower-case names, e.g.
/// "sse2 ssse3 sse4.1 sse4.2 avx avx2 fma f16c" ("" when none). Static storage: never NULL,
/// never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_cpu_features_string() -> *const c_char {
    static NAMES: OnceLock<CString> = OnceLock::new();
    guard_or(c"".as_ptr(), || {
        NAMES
            .get_or_init(|| CString::new(cpu::detected().names()).unwrap_or_default())
            .as_ptr()
    })
}

/// Sets the optimization level (`SCIPIX_OPT_*`) for the whole process. Calls already
/// running keep the level they started with. Thread-safe.
/// Errors: `SCIPIX_ERR_INVALID_ARGUMENT` for an unknown level.
#[no_mangle]
pub extern "C" fn scipix_set_opt_level(level: ScipixOptLevel) -> ScipixStatus {
    guard(|| {
        let level = OptLevel::from_u32(level)
            .ok_or_else(|| Error::invalid(format!("unknown optimization level {level}")))?;
        cpu::set_opt_level(level);
        Ok(())
    })
}

/// Returns the current optimization level (`SCIPIX_OPT_*`); initially `SCIPIX_OPT_FULL`
/// or the value of the environment variable `SCIPIX_OPT_LEVEL`
/// (none|simd|parallel|full). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_get_opt_level() -> ScipixOptLevel {
    guard_or(SCIPIX_OPT_FULL, || cpu::opt_level() as u32)
}

/// True when SIMD kernels may run (level SIMD or FULL). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_simd_enabled() -> bool {
    guard_or(false, cpu::simd_enabled)
}

/// True when work may be split across threads (level PARALLEL or FULL). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_parallel_enabled() -> bool {
    guard_or(false, cpu::parallel_enabled)
}

/// True when pooled scratch memory is used (level FULL). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_memory_opt_enabled() -> bool {
    guard_or(false, cpu::memory_opt_enabled)
}

/// Caps the kernel family at `requested` (`SCIPIX_ISA_*`) for the whole process, so callers
/// and tests can force a kernel path. An ISA this CPU lacks is clamped to the best one
/// available below it (or the best overall for another architecture's ISA); the cap in force
/// is written to `*effective` when `effective` is not NULL, and a clamp is described in
/// `scipix_last_error_message()`. The initial cap is the best available, or the value of
/// the environment variable `SCIPIX_MAX_ISA` (scalar|sse41|avx2|avx512|neon).
/// Thread-safe: calls already running keep their kernel.
/// Errors: `SCIPIX_ERR_INVALID_ARGUMENT` for an unknown ISA value (nothing changes).
#[no_mangle]
pub extern "C" fn scipix_set_max_isa(
    requested: ScipixIsa,
    effective: *mut ScipixIsa,
) -> ScipixStatus {
    guard(|| {
        let isa = Isa::from_u32(requested)
            .ok_or_else(|| Error::invalid(format!("unknown ISA value {requested}")))?;
        let got = cpu::set_max_isa(isa);
        if got != isa {
            set_last_error(&format!(
                "{} is not available on this CPU; using {}",
                isa.name(),
                got.name()
            ));
        }
        if !effective.is_null() {
            *try_out!(effective) = got as u32;
        }
        Ok(())
    })
}

/// Returns the instruction-set cap in force (`SCIPIX_ISA_*`). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_get_max_isa() -> ScipixIsa {
    guard_or(SCIPIX_ISA_SCALAR, || cpu::max_isa() as u32)
}

/// Returns the kernel family the next operation will use: `SCIPIX_ISA_SCALAR` when the
/// optimization level disables SIMD, otherwise the cap. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_active_isa() -> ScipixIsa {
    guard_or(SCIPIX_ISA_SCALAR, || cpu::kernel_isa() as u32)
}

/// Returns the most capable kernel family this CPU supports. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_best_isa() -> ScipixIsa {
    guard_or(SCIPIX_ISA_SCALAR, || Isa::best_available() as u32)
}

/// Returns the static lower-case name of an ISA value ("scalar", "sse4.1", "avx2",
/// "avx512", "neon", or "unknown"). Never NULL; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_isa_name(isa: ScipixIsa) -> *const c_char {
    let name: &'static std::ffi::CStr = match Isa::from_u32(isa) {
        Some(Isa::Scalar) => c"scalar",
        Some(Isa::Sse41) => c"sse4.1",
        Some(Isa::Avx2) => c"avx2",
        Some(Isa::Avx512) => c"avx512",
        Some(Isa::Neon) => c"neon",
        None => c"unknown",
    };
    name.as_ptr()
}

/// Sets the number of threads in scipix's own thread pool (0 = one per logical core).
/// scipix never uses the host's global rayon pool. Work already running finishes on the
/// old pool. Thread-safe.
/// Errors: `SCIPIX_ERR_INVALID_ARGUMENT` above 4096 threads, `SCIPIX_ERR_OUT_OF_MEMORY` if
/// the threads cannot be started.
#[no_mangle]
pub extern "C" fn scipix_set_num_threads(n: usize) -> ScipixStatus {
    guard(|| parallel::set_num_threads(n))
}

/// Returns the number of threads in scipix's pool. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_get_num_threads() -> usize {
    guard_or(1, parallel::num_threads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::Features;

    #[test]
    fn c_constants_match_rust_flags() {
        let pairs = [
            (SCIPIX_CPU_SSE2, Features::SSE2),
            (SCIPIX_CPU_SSSE3, Features::SSSE3),
            (SCIPIX_CPU_SSE41, Features::SSE41),
            (SCIPIX_CPU_SSE42, Features::SSE42),
            (SCIPIX_CPU_AVX, Features::AVX),
            (SCIPIX_CPU_AVX2, Features::AVX2),
            (SCIPIX_CPU_FMA, Features::FMA),
            (SCIPIX_CPU_F16C, Features::F16C),
            (SCIPIX_CPU_AVX512F, Features::AVX512F),
            (SCIPIX_CPU_AVX512BW, Features::AVX512BW),
            (SCIPIX_CPU_AVX512VNNI, Features::AVX512VNNI),
            (SCIPIX_CPU_AVX512VBMI, Features::AVX512VBMI),
            (SCIPIX_CPU_NEON, Features::NEON),
            (SCIPIX_CPU_DOTPROD, Features::DOTPROD),
            (SCIPIX_CPU_FP16, Features::FP16),
        ];
        for (c, rust) in pairs {
            assert_eq!(c, rust);
        }
        assert_eq!(SCIPIX_ISA_AVX2, Isa::Avx2 as u32);
        assert_eq!(SCIPIX_ISA_NEON, Isa::Neon as u32);
        assert_eq!(SCIPIX_OPT_PARALLEL, OptLevel::Parallel as u32);
    }

    #[test]
    fn invalid_levels_are_rejected_without_change() {
        let before = scipix_get_opt_level();
        assert_eq!(
            scipix_set_opt_level(42),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(scipix_get_opt_level(), before);
        let cap = scipix_get_max_isa();
        assert_eq!(
            scipix_set_max_isa(99, std::ptr::null_mut()),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(scipix_get_max_isa(), cap);
    }
}
