//! Process-wide optimization level and instruction-set cap.
//!
//! Both live in atomics, so any thread may change them while others run kernels: a kernel
//! call reads them once at its start and keeps that choice for the whole call.
//! `SCIPIX_OPT_LEVEL` (none|simd|parallel|full) and `SCIPIX_MAX_ISA`
//! (scalar|sse41|avx2|avx512|neon|simd128) set the initial values; unknown values are ignored.

use super::features::{detected, Features};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Once;

/// How much of the machine scipix may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OptLevel {
    /// Scalar kernels, one thread.
    None = 0,
    /// SIMD kernels, one thread.
    Simd = 1,
    /// Scalar kernels, several threads.
    Parallel = 2,
    /// SIMD kernels, several threads and pooled scratch memory (the default).
    Full = 3,
}

/// A kernel family. Which ones exist depends on the architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Isa {
    /// Portable Rust; the reference every other kernel must equal bit for bit.
    Scalar = 0,
    /// x86_64 SSE4.1.
    Sse41 = 1,
    /// x86_64 AVX2.
    Avx2 = 2,
    /// x86_64 AVX-512 (F + BW). Quantize, normalize, image-to-tensor (with VBMI) and YUV frames
    /// (with VBMI and VNNI) have AVX-512 kernels; the other families run their AVX2 kernels
    /// here.
    Avx512 = 3,
    /// aarch64 Advanced SIMD.
    Neon = 4,
    /// WebAssembly SIMD128. WebAssembly cannot detect it at run time: a module either was
    /// compiled with `-C target-feature=+simd128` (and then needs a runtime that has it) or
    /// was not, so this family is available exactly when the build enabled it.
    Simd128 = 5,
}

impl OptLevel {
    /// Converts the C value; `None` for values outside 0..=3.
    pub fn from_u32(v: u32) -> Option<Self> {
        [Self::None, Self::Simd, Self::Parallel, Self::Full]
            .get(v as usize)
            .copied()
    }

    /// Parses `none`, `simd`, `parallel`, `full` (any case) or `0`..`3`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "0" => Some(Self::None),
            "simd" | "1" => Some(Self::Simd),
            "parallel" | "2" => Some(Self::Parallel),
            "full" | "3" => Some(Self::Full),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Simd => "simd",
            Self::Parallel => "parallel",
            Self::Full => "full",
        }
    }
}

impl Isa {
    /// Every family, in C value order.
    pub const ALL: [Isa; 6] = [
        Self::Scalar,
        Self::Sse41,
        Self::Avx2,
        Self::Avx512,
        Self::Neon,
        Self::Simd128,
    ];

    /// Converts the C value; `None` for values outside 0..=5.
    pub fn from_u32(v: u32) -> Option<Self> {
        Self::ALL.get(v as usize).copied()
    }

    /// Parses `scalar`, `sse41`/`sse4.1`, `avx2`, `avx512`, `neon`, `simd128` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" | "none" => Some(Self::Scalar),
            "sse41" | "sse4.1" | "sse4_1" => Some(Self::Sse41),
            "avx2" => Some(Self::Avx2),
            "avx512" => Some(Self::Avx512),
            "neon" => Some(Self::Neon),
            "simd128" => Some(Self::Simd128),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Scalar => "scalar",
            Self::Sse41 => "sse4.1",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
            Self::Neon => "neon",
            Self::Simd128 => "simd128",
        }
    }

    /// Whether a CPU with `f` can run this family.
    pub fn supported_by(self, f: Features) -> bool {
        match self {
            Self::Scalar => true,
            Self::Sse41 => cfg!(target_arch = "x86_64") && f.has(Features::SSE41),
            Self::Avx2 => cfg!(target_arch = "x86_64") && f.has(Features::AVX2 | Features::SSE41),
            Self::Avx512 => {
                cfg!(target_arch = "x86_64")
                    && f.has(Features::AVX512F | Features::AVX512BW | Features::AVX2)
            }
            Self::Neon => cfg!(target_arch = "aarch64") && f.has(Features::NEON),
            Self::Simd128 => cfg!(target_arch = "wasm32") && f.has(Features::SIMD128),
        }
    }

    /// Families this architecture has, from least to most capable.
    pub fn ladder() -> &'static [Isa] {
        if cfg!(target_arch = "x86_64") {
            &[Isa::Scalar, Isa::Sse41, Isa::Avx2, Isa::Avx512]
        } else if cfg!(target_arch = "aarch64") {
            &[Isa::Scalar, Isa::Neon]
        } else if cfg!(target_arch = "wasm32") {
            &[Isa::Scalar, Isa::Simd128]
        } else {
            &[Isa::Scalar]
        }
    }

    /// The most capable family the running CPU supports.
    pub fn best_available() -> Isa {
        let f = detected();
        *Isa::ladder()
            .iter()
            .rev()
            .find(|isa| isa.supported_by(f))
            .unwrap_or(&Isa::Scalar)
    }

    /// Every family the running CPU supports (always includes `Scalar`).
    pub fn available() -> Vec<Isa> {
        let f = detected();
        Isa::ladder()
            .iter()
            .copied()
            .filter(|isa| isa.supported_by(f))
            .collect()
    }

    /// `requested` if this CPU runs it, else the best family available below it on the
    /// same architecture, else the best available overall (e.g. NEON asked for on x86_64).
    pub fn clamp(requested: Isa) -> Isa {
        if requested.supported_by(detected()) {
            return requested;
        }
        let ladder = Isa::ladder();
        match ladder.iter().position(|&i| i == requested) {
            Some(pos) => *ladder[..pos]
                .iter()
                .rev()
                .find(|isa| isa.supported_by(detected()))
                .unwrap_or(&Isa::Scalar),
            None => Isa::best_available(),
        }
    }
}

static OPT: AtomicU8 = AtomicU8::new(OptLevel::Full as u8);
static CAP: AtomicU8 = AtomicU8::new(u8::MAX);
static ENV: Once = Once::new();

fn init_from_env() {
    ENV.call_once(|| {
        if let Some(level) = std::env::var("SCIPIX_OPT_LEVEL")
            .ok()
            .and_then(|v| OptLevel::parse(&v))
        {
            OPT.store(level as u8, Ordering::Relaxed);
        }
        let cap = std::env::var("SCIPIX_MAX_ISA")
            .ok()
            .and_then(|v| Isa::parse(&v))
            .map(Isa::clamp)
            .unwrap_or_else(Isa::best_available);
        CAP.store(cap as u8, Ordering::Relaxed);
    });
}

/// The current optimization level.
pub fn opt_level() -> OptLevel {
    init_from_env();
    OptLevel::from_u32(OPT.load(Ordering::Relaxed) as u32).unwrap_or(OptLevel::Full)
}

/// Sets the optimization level for all threads; calls already running keep their choice.
pub fn set_opt_level(level: OptLevel) {
    init_from_env();
    OPT.store(level as u8, Ordering::Relaxed);
}

/// The instruction-set cap in force (already clamped to what the CPU has).
pub fn max_isa() -> Isa {
    init_from_env();
    Isa::from_u32(CAP.load(Ordering::Relaxed) as u32).unwrap_or(Isa::Scalar)
}

/// Caps kernels at `requested`, clamped to what this CPU runs; returns the cap in force.
pub fn set_max_isa(requested: Isa) -> Isa {
    init_from_env();
    let effective = Isa::clamp(requested);
    CAP.store(effective as u8, Ordering::Relaxed);
    effective
}

/// True when SIMD kernels may run (`Simd` or `Full`).
pub fn simd_enabled() -> bool {
    matches!(opt_level(), OptLevel::Simd | OptLevel::Full)
}

/// True when work may be split across the thread pool (`Parallel` or `Full`).
pub fn parallel_enabled() -> bool {
    matches!(opt_level(), OptLevel::Parallel | OptLevel::Full)
}

/// True when pooled scratch buffers are used (`Full` only).
pub fn memory_opt_enabled() -> bool {
    opt_level() == OptLevel::Full
}

/// The kernel family an operation should use right now: `Scalar` when SIMD is off,
/// else the cap. Read it once per call and dispatch on it with one `match`.
pub fn kernel_isa() -> Isa {
    if simd_enabled() {
        max_isa()
    } else {
        Isa::Scalar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_names_round_trip() {
        for level in [
            OptLevel::None,
            OptLevel::Simd,
            OptLevel::Parallel,
            OptLevel::Full,
        ] {
            assert_eq!(OptLevel::parse(level.name()), Some(level));
            assert_eq!(OptLevel::from_u32(level as u32), Some(level));
        }
        assert_eq!(OptLevel::parse("fast"), None);
        assert_eq!(OptLevel::from_u32(4), None);
        for isa in Isa::ALL {
            assert_eq!(Isa::parse(isa.name()), Some(isa));
            assert_eq!(Isa::from_u32(isa as u32), Some(isa));
        }
        assert_eq!(Isa::parse("sse41"), Some(Isa::Sse41));
        assert_eq!(Isa::from_u32(6), None);
        assert_eq!(Isa::from_u32(9), None);
    }

    #[test]
    fn clamp_never_exceeds_the_cpu() {
        let f = detected();
        for isa in Isa::ALL {
            let c = Isa::clamp(isa);
            assert!(c.supported_by(f), "{isa:?} clamped to unsupported {c:?}");
            if isa.supported_by(f) {
                assert_eq!(c, isa);
            }
        }
        assert_eq!(Isa::clamp(Isa::Scalar), Isa::Scalar);
        assert!(Isa::available().contains(&Isa::best_available()));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn foreign_isa_clamps_to_best_available() {
        assert_eq!(Isa::clamp(Isa::Neon), Isa::best_available());
        assert_eq!(Isa::clamp(Isa::Simd128), Isa::best_available());
    }

    /// SIMD128 is a compile-time property on wasm32: listed exactly when the build enabled it.
    #[cfg(target_arch = "wasm32")]
    #[test]
    fn simd128_follows_the_build() {
        let on = cfg!(target_feature = "simd128");
        assert_eq!(Isa::available().contains(&Isa::Simd128), on);
        let best = if on { Isa::Simd128 } else { Isa::Scalar };
        assert_eq!(Isa::best_available(), best);
        assert_eq!(Isa::clamp(Isa::Avx2), best);
        assert_eq!(Isa::clamp(Isa::Simd128), best);
    }
}
