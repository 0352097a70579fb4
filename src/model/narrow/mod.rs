//! f32 -> f16 / bf16 kernels. `scalar.rs` is the specification (the exact rules are
//! there); the SIMD files process whole steps and return how many elements they did, and
//! the scalar kernel finishes the tail.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse41;

use crate::cpu::{Isa, Store};

/// The 16-bit target format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Half {
    F16,
    Bf16,
}

#[cfg(target_arch = "x86_64")]
fn f16c() -> bool {
    crate::cpu::detected().has(crate::cpu::Features::F16C)
}

/// Outputs of at least this many bytes are written with streaming stores where the kernel
/// has them (AVX2, AVX-512): the 2-byte results of a 6-byte-per-element conversion then
/// skip the read-for-ownership of the output lines, which a copy of the same bytes (glibc's
/// large `memcpy`) skips too. Below it the output may stay in cache for its reader.
pub(crate) const STREAM_MIN_BYTES: usize = 8 << 20;

/// Converts `x` into `out[..x.len()]` with `isa`'s kernel, writing with `store`.
pub(crate) fn narrow_with(isa: Isa, half: Half, x: &[f32], out: &mut [u16], store: Store) {
    let out = &mut out[..x.len()];
    #[cfg(not(target_arch = "x86_64"))]
    let _ = store; // only the x86_64 kernels stream
    let done = match (isa, half) {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU
        // runs; the F16C arms also check that feature.
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Half::F16) => unsafe { avx512::f16(x, out, store) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Half::Bf16) => unsafe { avx512::bf16(x, out, store) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, Half::F16) if f16c() => unsafe { avx2::f16(x, out, store) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, Half::Bf16) if f16c() => unsafe { avx2::bf16(x, out, store) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Sse41 | Isa::Avx2, Half::F16) => unsafe { sse41::f16(x, out) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Sse41 | Isa::Avx2, Half::Bf16) => unsafe { sse41::bf16(x, out) },
        #[cfg(target_arch = "aarch64")]
        (Isa::Neon, Half::F16) => unsafe { neon::f16(x, out) },
        #[cfg(target_arch = "aarch64")]
        (Isa::Neon, Half::Bf16) => unsafe { neon::bf16(x, out) },
        _ => 0,
    };
    match half {
        Half::F16 => scalar::f16(&x[done..], &mut out[done..]),
        Half::Bf16 => scalar::bf16(&x[done..], &mut out[done..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{self, Isa};

    /// f32 bit patterns that cover every rounding case of both formats: every sign and
    /// exponent with mantissas whose low bits sit at, just below and just above each tie,
    /// plus a pseudo-random spread.
    fn adversarial() -> Vec<f32> {
        let mut v = Vec::new();
        let lows = [
            0u32, 1, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x7fff, 0x8000, 0x8001,
            0xffff, 0x1_0000, 0x1_8000, 0x7f_ffff, 0x40_0000, 0x40_0001, 0x7f_e000,
        ];
        for se in 0..512u32 {
            for &m in &lows {
                v.push(f32::from_bits((se << 23) | m));
            }
        }
        let mut r = crate::test_rng::Rng32(0x9e37_79b9);
        for _ in 0..20_000 {
            v.push(f32::from_bits(r.next_u32()));
        }
        v
    }

    #[test]
    fn f16_scalar_matches_half_except_nan() {
        for x in adversarial() {
            let h = scalar::f16_one(x);
            if x.is_nan() {
                let m = ((x.to_bits() & 0x7f_ffff) >> 13) as u16;
                let want = ((x.to_bits() >> 16) as u16 & 0x8000) | 0x7c00 | m | u16::from(m == 0);
                assert_eq!(h, want, "{:#x}", x.to_bits());
            } else {
                assert_eq!(h, half::f16::from_f32(x).to_bits(), "{:#x}", x.to_bits());
            }
        }
    }

    #[test]
    fn known_values() {
        let cases: [(u32, u16, u16); 12] = [
            (0x3f80_0000, 0x3c00, 0x3f80), // 1.0
            (0x477f_f000, 0x7c00, 0x4780), // 65520: f16 tie to even goes to inf
            (0x477f_efff, 0x7bff, 0x4780), // just below: 65504
            (0x7f7f_ffff, 0x7c00, 0x7f80), // f32::MAX
            (0x3300_0000, 0x0000, 0x3300), // 2^-25: tie between 0 and 2^-24, to 0
            (0x3300_0001, 0x0001, 0x3300), // just above: smallest f16 subnormal
            (0x007f_ffff, 0x0000, 0x0080), // largest f32 subnormal: bf16 rounds it
            (0x7f80_0001, 0x7c01, 0x7fc0), // signalling NaN
            (0x7fa0_0000, 0x7d00, 0x7fc0), // signalling NaN with payload
            (0xffc1_2345, 0xfe09, 0xffc0), // negative quiet NaN
            (0x8000_0000, 0x8000, 0x8000), // -0
            (0x3f80_8000, 0x3c04, 0x3f80), // bf16 tie, even below
        ];
        for isa in Isa::available() {
            cpu::with_isa(isa, |isa| {
                let x: Vec<f32> = cases.iter().map(|c| f32::from_bits(c.0)).collect();
                // Long enough for every kernel's vector steps: repeat the cases.
                let xs: Vec<f32> = x.iter().cycle().take(x.len() * 8).copied().collect();
                let mut h = vec![0u16; xs.len()];
                let mut b = vec![0u16; xs.len()];
                narrow_with(isa, Half::F16, &xs, &mut h, Store::Cached);
                narrow_with(isa, Half::Bf16, &xs, &mut b, Store::Cached);
                for (k, c) in cases.iter().cycle().take(xs.len()).enumerate() {
                    assert_eq!(h[k], c.1, "{isa:?} f16 of {:#x}", c.0);
                    assert_eq!(b[k], c.2, "{isa:?} bf16 of {:#x}", c.0);
                }
            });
        }
    }

    #[test]
    fn every_isa_equals_scalar_on_tails_and_offsets() {
        let x = adversarial();
        for half in [Half::F16, Half::Bf16] {
            let mut want = vec![0u16; x.len()];
            narrow_with(Isa::Scalar, half, &x, &mut want, Store::Cached);
            for isa in Isa::available() {
                cpu::with_isa(isa, |isa| {
                    for start in [0usize, 1, 3] {
                        for len in [0usize, 1, 7, 8, 15, 16, 17, 31, 33, 63, 65, 1000, 9_999] {
                            let src = &x[start..start + len];
                            let mut got = vec![0xdeadu16; len + 1];
                            narrow_with(isa, half, src, &mut got[1..], Store::Cached);
                            assert_eq!(got[0], 0xdead);
                            assert_eq!(&got[1..], &want[start..start + len], "{isa:?} {half:?}");
                        }
                    }
                    for store in [Store::Cached, Store::Streaming] {
                        for start in [0usize, 1, 7] {
                            let mut got = vec![0u16; x.len() + 8];
                            let n = x.len() - start;
                            narrow_with(isa, half, &x[start..], &mut got[start..start + n], store);
                            assert_eq!(
                                &got[start..start + n],
                                &want[start..],
                                "{isa:?} {half:?} {store:?}"
                            );
                        }
                    }
                });
            }
        }
    }

    /// No kernel reads past its source: it ends right before an inaccessible page, so a
    /// load past it faults, and every ISA and store gives the scalar bits.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn guard_page_no_kernel_reads_past_the_source() {
        use crate::test_guard::{Guarded, LENS};
        let x = adversarial();
        for n in LENS {
            let src = Guarded::new(&x[x.len() - n..]);
            for half in [Half::F16, Half::Bf16] {
                let mut want = vec![0u16; n];
                narrow_with(Isa::Scalar, half, src.as_slice(), &mut want, Store::Cached);
                for isa in Isa::available() {
                    cpu::with_isa(isa, |isa| {
                        for store in [Store::Cached, Store::Streaming] {
                            let mut got = vec![0u16; n];
                            narrow_with(isa, half, src.as_slice(), &mut got, store);
                            assert_eq!(got, want, "{isa:?} {half:?} {store:?} n={n}");
                        }
                    });
                }
            }
        }
    }
}
