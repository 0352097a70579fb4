//! Runtime CPU feature detection, done once and cached.

use std::sync::OnceLock;

/// A set of CPU features as bit flags (the same values as the C `SCIPIX_CPU_*` constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Features(pub u64);

impl Features {
    /// x86 SSE2.
    pub const SSE2: u64 = 1 << 0;
    /// x86 SSSE3.
    pub const SSSE3: u64 = 1 << 1;
    /// x86 SSE4.1.
    pub const SSE41: u64 = 1 << 2;
    /// x86 SSE4.2.
    pub const SSE42: u64 = 1 << 3;
    /// x86 AVX (with OS support for the YMM state).
    pub const AVX: u64 = 1 << 4;
    /// x86 AVX2.
    pub const AVX2: u64 = 1 << 5;
    /// x86 FMA3.
    pub const FMA: u64 = 1 << 6;
    /// x86 F16C (half-precision conversion).
    pub const F16C: u64 = 1 << 7;
    /// x86 AVX-512 Foundation (with OS support for the ZMM state).
    pub const AVX512F: u64 = 1 << 8;
    /// x86 AVX-512 byte and word instructions.
    pub const AVX512BW: u64 = 1 << 9;
    /// x86 AVX-512 VNNI (int8 dot products).
    pub const AVX512VNNI: u64 = 1 << 10;
    /// x86 AVX-512 VBMI (byte permutes).
    pub const AVX512VBMI: u64 = 1 << 11;
    /// AArch64 Advanced SIMD (NEON).
    pub const NEON: u64 = 1 << 16;
    /// AArch64 int8 dot product (`sdot`/`udot`).
    pub const DOTPROD: u64 = 1 << 17;
    /// AArch64 half-precision arithmetic.
    pub const FP16: u64 = 1 << 18;

    /// Flag bits and their names, in the order `names()` prints them.
    pub const NAMES: [(u64, &'static str); 15] = [
        (Self::SSE2, "sse2"),
        (Self::SSSE3, "ssse3"),
        (Self::SSE41, "sse4.1"),
        (Self::SSE42, "sse4.2"),
        (Self::AVX, "avx"),
        (Self::AVX2, "avx2"),
        (Self::FMA, "fma"),
        (Self::F16C, "f16c"),
        (Self::AVX512F, "avx512f"),
        (Self::AVX512BW, "avx512bw"),
        (Self::AVX512VNNI, "avx512vnni"),
        (Self::AVX512VBMI, "avx512vbmi"),
        (Self::NEON, "neon"),
        (Self::DOTPROD, "dotprod"),
        (Self::FP16, "fp16"),
    ];

    /// True when every bit of `flags` is present.
    pub fn has(self, flags: u64) -> bool {
        self.0 & flags == flags
    }

    /// Space-separated lower-case names of the present features ("" when none).
    pub fn names(self) -> String {
        Self::NAMES
            .iter()
            .filter(|(bit, _)| self.has(*bit))
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The features of the CPU this process runs on; detected on first call, then cached.
pub fn detected() -> Features {
    static CACHE: OnceLock<Features> = OnceLock::new();
    *CACHE.get_or_init(detect)
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Features {
    let checks: [(bool, u64); 12] = [
        (is_x86_feature_detected!("sse2"), Features::SSE2),
        (is_x86_feature_detected!("ssse3"), Features::SSSE3),
        (is_x86_feature_detected!("sse4.1"), Features::SSE41),
        (is_x86_feature_detected!("sse4.2"), Features::SSE42),
        (is_x86_feature_detected!("avx"), Features::AVX),
        (is_x86_feature_detected!("avx2"), Features::AVX2),
        (is_x86_feature_detected!("fma"), Features::FMA),
        (is_x86_feature_detected!("f16c"), Features::F16C),
        (is_x86_feature_detected!("avx512f"), Features::AVX512F),
        (is_x86_feature_detected!("avx512bw"), Features::AVX512BW),
        (is_x86_feature_detected!("avx512vnni"), Features::AVX512VNNI),
        (is_x86_feature_detected!("avx512vbmi"), Features::AVX512VBMI),
    ];
    Features(
        checks
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit),
    )
}

#[cfg(target_arch = "aarch64")]
fn detect() -> Features {
    use std::arch::is_aarch64_feature_detected;
    let checks: [(bool, u64); 3] = [
        (is_aarch64_feature_detected!("neon"), Features::NEON),
        (is_aarch64_feature_detected!("dotprod"), Features::DOTPROD),
        (is_aarch64_feature_detected!("fp16"), Features::FP16),
    ];
    Features(
        checks
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit),
    )
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detect() -> Features {
    Features(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_bits() {
        let f = Features(Features::AVX2 | Features::SSE42 | Features::FMA);
        assert_eq!(f.names(), "sse4.2 avx2 fma");
        assert_eq!(Features(0).names(), "");
        assert!(f.has(Features::AVX2 | Features::FMA));
        assert!(!f.has(Features::AVX512F));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn detection_matches_proc_cpuinfo() {
        let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
            return;
        };
        let flags: Vec<&str> = info
            .lines()
            .find(|l| l.starts_with("flags"))
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        let f = detected();
        for (bit, cpuinfo_name) in [
            (Features::SSE2, "sse2"),
            (Features::SSSE3, "ssse3"),
            (Features::SSE41, "sse4_1"),
            (Features::SSE42, "sse4_2"),
            (Features::AVX2, "avx2"),
            (Features::FMA, "fma"),
            (Features::F16C, "f16c"),
            (Features::AVX512F, "avx512f"),
            (Features::AVX512BW, "avx512bw"),
            (Features::AVX512VNNI, "avx512_vnni"),
            (Features::AVX512VBMI, "avx512vbmi"),
        ] {
            assert_eq!(f.has(bit), flags.contains(&cpuinfo_name), "{cpuinfo_name}");
        }
    }
}
