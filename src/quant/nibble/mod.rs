//! Nibble packing for int4/uint4: 8-bit codes saturated to 4 bits and packed two per
//! byte, and back. `scalar.rs` is the specification; the SIMD files do whole steps and
//! return how many codes they did, and the scalar kernel finishes the tail. AVX-512 runs
//! the AVX2 kernels (the step is memory-bound inside cache).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "aarch64")]
mod neon;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse41;

use crate::cpu::Isa;

/// Packs `codes` into `out[..ceil(codes.len() / 2)]` with `isa`'s kernel.
pub(crate) fn pack_with(isa: Isa, codes: &[u8], out: &mut [u8], signed: bool) {
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::pack(codes, out, signed) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::pack(codes, out, signed) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::pack(codes, out, signed) },
        _ => 0,
    };
    scalar::pack(&codes[done..], &mut out[done / 2..], signed);
}

/// Unpacks `codes.len()` values from `packed` with `isa`'s kernel.
pub(crate) fn unpack_with(isa: Isa, packed: &[u8], codes: &mut [u8], signed: bool) {
    let done = match isa {
        // SAFETY (each arm): as in `pack_with`.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::unpack(packed, codes, signed) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::unpack(packed, codes, signed) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::unpack(packed, codes, signed) },
        _ => 0,
    };
    scalar::unpack(&packed[done / 2..], &mut codes[done..], signed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{self, Isa};

    #[test]
    fn every_isa_equals_scalar() {
        let codes: Vec<u8> = (0..3000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let packed: Vec<u8> = codes.iter().rev().copied().collect();
        for signed in [true, false] {
            for isa in Isa::available() {
                cpu::with_isa(isa, |isa| {
                    for start in [0usize, 1, 3] {
                        for len in [0usize, 1, 2, 31, 32, 33, 63, 64, 65, 127, 129, 2001] {
                            let c = &codes[start..start + len];
                            let mut want = vec![0xeeu8; len / 2 + 2];
                            let mut got = want.clone();
                            scalar::pack(c, &mut want, signed);
                            pack_with(isa, c, &mut got, signed);
                            assert_eq!(got, want, "pack {isa:?} {signed} {len}");
                            let p = &packed[start..start + len.div_ceil(2)];
                            let mut want = vec![0xeeu8; len + 1];
                            let mut got = want.clone();
                            scalar::unpack(p, &mut want[..len], signed);
                            unpack_with(isa, p, &mut got[..len], signed);
                            assert_eq!(got, want, "unpack {isa:?} {signed} {len}");
                        }
                    }
                });
            }
        }
    }
}
