//! f16 / bf16 -> f32 kernels. `scalar.rs` is the specification; the SIMD files process
//! whole steps and return how many elements they did, and the scalar kernel finishes the
//! tail. Sources are [`Halves`]: a `u16` slice or little-endian byte pairs at any alignment
//! (as stored in model files); both are read with unaligned loads.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub(crate) mod scalar;

use super::narrow::Half;
use crate::cpu::{Isa, Store};

/// 16-bit source values.
pub(crate) trait Halves {
    /// How many values.
    fn count(&self) -> usize;
    /// Value `i` (`i < count()`).
    fn at(&self, i: usize) -> u16;
    /// The values' little-endian bytes, 2 per value, for the SIMD kernels' loads.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // only x86_64 has kernels
    fn bytes(&self) -> *const u8;
}

impl Halves for [u16] {
    fn count(&self) -> usize {
        self.len()
    }
    fn at(&self, i: usize) -> u16 {
        self[i]
    }
    fn bytes(&self) -> *const u8 {
        // Every target scipix builds for is little-endian, so a u16's bytes are its
        // little-endian encoding.
        self.as_ptr().cast()
    }
}

/// Little-endian byte pairs; a trailing odd byte is not a value.
pub(crate) struct LeBytes<'a>(pub &'a [u8]);

impl Halves for LeBytes<'_> {
    fn count(&self) -> usize {
        self.0.len() / 2
    }
    fn at(&self, i: usize) -> u16 {
        u16::from_le_bytes([self.0[2 * i], self.0[2 * i + 1]])
    }
    fn bytes(&self) -> *const u8 {
        self.0.as_ptr()
    }
}

#[cfg(target_arch = "x86_64")]
fn f16c() -> bool {
    crate::cpu::detected().has(crate::cpu::Features::F16C)
}

/// Converts `src` into `out[..src.count()]` with `isa`'s kernel, writing with `store`.
pub(crate) fn widen_with<S: Halves + ?Sized>(
    isa: Isa,
    half: Half,
    src: &S,
    out: &mut [f32],
    store: Store,
) {
    let n = src.count();
    let out = &mut out[..n];
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (isa, store);
    let done = match (isa, half) {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU
        // runs, and the F16C arm checks that feature; `src.bytes()` holds 2 * n bytes.
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Half::F16) => unsafe { avx512::f16(src.bytes(), out, store) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Half::Bf16) => unsafe { avx512::bf16(src.bytes(), out, store) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, Half::F16) if f16c() => unsafe { avx2::f16(src.bytes(), out, store) },
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, Half::Bf16) => unsafe { avx2::bf16(src.bytes(), out, store) },
        _ => 0,
    };
    for (i, o) in out.iter_mut().enumerate().skip(done) {
        *o = match half {
            Half::F16 => scalar::f16(src.at(i)),
            Half::Bf16 => scalar::bf16(src.at(i)),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{self, Isa};

    #[test]
    fn every_isa_equals_scalar_on_every_pattern_store_and_offset() {
        // Every 16-bit pattern (NaN payloads, subnormals, infinities, signed zeros), then
        // a pseudo-random tail, as u16 and as bytes at odd addresses.
        let v: Vec<u16> = (0..=u16::MAX)
            .chain((0..977u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u16))
            .collect();
        let bytes: Vec<u8> = std::iter::once(0xaa)
            .chain(v.iter().flat_map(|h| h.to_le_bytes()))
            .collect();
        for half in [Half::F16, Half::Bf16] {
            let spec = |h: u16| match half {
                Half::F16 => scalar::f16(h),
                Half::Bf16 => scalar::bf16(h),
            };
            let want: Vec<u32> = v.iter().map(|&h| spec(h).to_bits()).collect();
            for isa in Isa::available() {
                cpu::with_isa(isa, |isa| {
                    let mut buf = vec![0f32; v.len() + 32];
                    let line = buf.as_ptr().align_offset(64);
                    for (n, skew) in [(v.len(), 0), (v.len() - 5, 3), (1000, 7), (33, 1), (1, 0)] {
                        let start = v.len() - n;
                        for store in [Store::Cached, Store::Streaming] {
                            let out = &mut buf[line + skew..line + skew + n + 1];
                            out.fill(-3.0);
                            widen_with(isa, half, &v[start..], &mut out[..n], store);
                            let got: Vec<u32> = out[..n].iter().map(|x| x.to_bits()).collect();
                            assert_eq!(got, want[start..], "{isa:?} {half:?} {n} {store:?}");
                            assert_eq!(out[n], -3.0);
                            out.fill(-3.0);
                            let b = LeBytes(&bytes[1 + 2 * start..]);
                            widen_with(isa, half, &b, &mut out[..n], store);
                            let got: Vec<u32> = out[..n].iter().map(|x| x.to_bits()).collect();
                            assert_eq!(got, want[start..], "bytes {isa:?} {half:?} {n}");
                            assert_eq!(out[n], -3.0);
                        }
                    }
                });
            }
        }
    }

    /// No kernel reads past its source: `u16` values and little-endian byte pairs (at an
    /// even and an odd address) end right before an inaccessible page, so a load past them
    /// faults, and every ISA and store gives the scalar bits.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn guard_page_no_kernel_reads_past_the_source() {
        use crate::test_guard::{Guarded, LENS};
        let mut r = crate::test_rng::Rng32(0x1234_5677);
        for n in LENS {
            let v: Vec<u16> = (0..n).map(|_| r.next_u32() as u16).collect();
            let bytes: Vec<u8> = v.iter().flat_map(|h| h.to_le_bytes()).collect();
            let odd: Vec<u8> = std::iter::once(0x5a).chain(bytes.iter().copied()).collect();
            let (halves, even, odd) = (Guarded::new(&v), Guarded::new(&bytes), Guarded::new(&odd));
            for half in [Half::F16, Half::Bf16] {
                let mut want = vec![0f32; n];
                widen_with(
                    Isa::Scalar,
                    half,
                    halves.as_slice(),
                    &mut want,
                    Store::Cached,
                );
                let want: Vec<u32> = want.iter().map(|x| x.to_bits()).collect();
                for isa in Isa::available() {
                    cpu::with_isa(isa, |isa| {
                        for store in [Store::Cached, Store::Streaming] {
                            let check = |src: &dyn Fn(&mut [f32]), what: &str| {
                                let mut got = vec![0f32; n];
                                src(&mut got);
                                let got: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
                                assert_eq!(got, want, "{isa:?} {half:?} {store:?} {what} n={n}");
                            };
                            let s = halves.as_slice();
                            check(&|o| widen_with(isa, half, s, o, store), "u16");
                            let s = LeBytes(even.as_slice());
                            check(&|o| widen_with(isa, half, &s, o, store), "bytes");
                            let s = LeBytes(&odd.as_slice()[1..]);
                            check(&|o| widen_with(isa, half, &s, o, store), "odd bytes");
                        }
                    });
                }
            }
        }
    }
}
