//! FP8 (E4M3FN, E5M2) quantize kernels. `scalar.rs` is the specification (a port of ONNX
//! Runtime's conversion); `vectorized.rs` compiles its branch-free twin once per ISA and
//! return how many elements they did, and the scalar kernel finishes the rest.

#[cfg(target_arch = "x86_64")]
mod gather;
pub(crate) mod scalar;
mod vectorized;

#[cfg(target_arch = "aarch64")]
use vectorized::neon;
#[cfg(target_arch = "x86_64")]
use vectorized::{avx2, avx512, sse41};

use crate::cpu::{Isa, Store};
pub use scalar::Fp8Format;

/// Quantizes `x` into `out[..x.len()]`: `convert(x / scale)` with `isa`'s kernel.
pub(crate) fn quantize_with(
    isa: Isa,
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    fmt: Fp8Format,
    saturate: bool,
) {
    let out = &mut out[..x.len()];
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::quantize(x, out, scale, fmt, saturate) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::quantize(x, out, scale, fmt, saturate) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => unsafe { sse41::quantize(x, out, scale, fmt, saturate) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => unsafe { neon::quantize(x, out, scale, fmt, saturate) },
        _ => 0,
    };
    scalar::quantize(&x[done..], &mut out[done..], scale, fmt, saturate);
}

/// Dequantizes `q` into `out[..q.len()]` as `table[q[i]]`, where `table[c]` is
/// `decode(c) * scale` computed by the scalar rule (so the result is `scalar::dequantize`'s
/// bit for bit); `store` says whether the x86_64 kernels may stream the output.
pub(crate) fn dequantize_scaled_with(
    isa: Isa,
    q: &[u8],
    out: &mut [f32],
    table: &[f32; 256],
    store: Store,
) {
    let out = &mut out[..q.len()];
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (isa, store);
    let done = match isa {
        // SAFETY (each arm): `isa` comes from `cpu::kernel_isa`, capped at what the CPU runs.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { gather::avx512::dequantize(q, out, table, store) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { gather::avx2::dequantize(q, out, table, store) },
        _ => 0,
    };
    for (o, &c) in out[done..].iter_mut().zip(&q[done..]) {
        *o = table[c as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::scalar::*;
    use super::*;
    use crate::cpu::{self, Isa};

    /// Every sign and exponent with mantissas at, around and between each format's rounding
    /// points, plus a pseudo-random spread of bit patterns.
    fn adversarial() -> Vec<f32> {
        let mut v = Vec::new();
        for se in 0..512u32 {
            for top in 0..16u32 {
                for low in [
                    0u32, 1, 0x7_ffff, 0x8_0000, 0x8_0001, 0xf_ffff, 0x10_0000, 0x10_0001,
                ] {
                    v.push(f32::from_bits((se << 23) | (top << 20) | low));
                }
            }
        }
        let mut r = crate::test_rng::Rng32(0x2545_f491);
        for _ in 0..20_000 {
            v.push(f32::from_bits(r.next_u32()));
        }
        v
    }

    #[test]
    fn branch_free_twin_equals_the_ort_port() {
        for x in adversarial() {
            for sat in [true, false] {
                assert_eq!(
                    e4m3fn_lane(x, sat),
                    e4m3fn_ort(x, sat),
                    "e4m3 {:#x} {sat}",
                    x.to_bits()
                );
                assert_eq!(
                    e5m2_lane(x, sat),
                    e5m2_ort(x, sat),
                    "e5m2 {:#x} {sat}",
                    x.to_bits()
                );
            }
        }
    }

    #[test]
    fn known_values_from_onnx_runtime() {
        // (x, e4m3 sat, e4m3 no-sat, e5m2 sat, e5m2 no-sat) as decoded floats; NaN as NaN.
        let nan = f32::NAN;
        let cases = [
            (448.0, 448.0, 448.0, 448.0, 448.0),
            (464.0, 448.0, 448.0, 448.0, 448.0),
            (465.0, 448.0, nan, 448.0, 448.0),
            (480.0, 448.0, 448.0, 512.0, 512.0),
            (496.0, 448.0, nan, 512.0, 512.0),
            (1e6, 448.0, nan, 57344.0, f32::INFINITY),
            (f32::INFINITY, 448.0, nan, 57344.0, f32::INFINITY),
            (f32::NEG_INFINITY, -448.0, nan, -57344.0, f32::NEG_INFINITY),
            (61440.0, 448.0, nan, 57344.0, nan),
            (1e-9, 0.0, 0.0, 0.0, 0.0),
            (2f32.powi(-10), 0.0, 0.0, 2f32.powi(-10), 2f32.powi(-10)),
            (
                0.75 * 2f32.powi(-9),
                2f32.powi(-9),
                2f32.powi(-9),
                0.0014648438,
                0.0014648438,
            ),
        ];
        for (x, a, b, c, d) in cases {
            let got = [
                e4m3fn_to_f32(e4m3fn_ort(x, true)),
                e4m3fn_to_f32(e4m3fn_ort(x, false)),
                e5m2_to_f32(e5m2_ort(x, true)),
                e5m2_to_f32(e5m2_ort(x, false)),
            ];
            for (g, w) in got.iter().zip([a, b, c, d]) {
                assert!(g == &w || (g.is_nan() && w.is_nan()), "{x}: {got:?}");
            }
        }
        assert_eq!(e4m3fn_ort(f32::NAN, true), 0x7f);
        assert_eq!(e4m3fn_ort(-f32::NAN, true), 0xff);
        assert_eq!(e5m2_ort(-0.0, true), 0x80);
    }

    #[test]
    fn decoding_round_trips_every_finite_code() {
        for c in 0..=255u8 {
            let (a, b) = (e4m3fn_to_f32(c), e5m2_to_f32(c));
            if !a.is_nan() {
                assert_eq!(e4m3fn_ort(a, false), c);
            }
            if !b.is_nan() {
                assert_eq!(e5m2_ort(b, false), c, "{c:#x}");
            }
        }
    }

    #[test]
    fn scaled_table_dequantize_equals_scalar_on_every_isa_store_and_offset() {
        let q: Vec<u8> = (0..6000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 9) as u8)
            .chain(0..=255)
            .collect();
        for fmt in [Fp8Format::E4M3FN, Fp8Format::E5M2] {
            let table = decode_table(fmt);
            for scale in [1.0f32, 0.37, 3e-3, 7e30] {
                let scaled = table.map(|v| v * scale);
                let mut want = vec![0f32; q.len()];
                dequantize(&q, &mut want, scale, &table);
                for isa in Isa::available() {
                    cpu::with_isa(isa, |isa| {
                        for n in [0usize, 1, 31, 33, 64, 65, 511, 513, 6256] {
                            let mut buf = vec![0f32; n + 32];
                            let line = buf.as_ptr().align_offset(64);
                            for skew in [0, 1, 3, 8, 15] {
                                for store in [Store::Cached, Store::Streaming] {
                                    let start = q.len() - n;
                                    let out = &mut buf[line + skew..line + skew + n + 1];
                                    out.fill(-2.0);
                                    dequantize_scaled_with(
                                        isa,
                                        &q[start..],
                                        &mut out[..n],
                                        &scaled,
                                        store,
                                    );
                                    let bits = |v: &[f32]| {
                                        v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                                    };
                                    assert_eq!(
                                        bits(&out[..n]),
                                        bits(&want[start..]),
                                        "{isa:?} {fmt:?} {scale} {n} {skew} {store:?}"
                                    );
                                    assert_eq!(out[n], -2.0);
                                }
                            }
                        }
                    });
                }
            }
        }
    }

    #[test]
    fn every_isa_equals_scalar() {
        let x = adversarial();
        for fmt in [Fp8Format::E4M3FN, Fp8Format::E5M2] {
            for (scale, sat) in [(1.0f32, true), (1.0, false), (0.37, true), (3e-3, false)] {
                let mut want = vec![0u8; x.len()];
                quantize_with(Isa::Scalar, &x, &mut want, scale, fmt, sat);
                for isa in Isa::available() {
                    cpu::with_isa(isa, |isa| {
                        for start in [0usize, 1, 5] {
                            for len in [0usize, 1, 15, 16, 17, 63, 65, 1001] {
                                let mut got = vec![0xa5u8; len + 1];
                                quantize_with(
                                    isa,
                                    &x[start..start + len],
                                    &mut got[..len],
                                    scale,
                                    fmt,
                                    sat,
                                );
                                assert_eq!(got[len], 0xa5);
                                assert_eq!(&got[..len], &want[start..start + len], "{isa:?}");
                            }
                        }
                        let mut got = vec![0u8; x.len()];
                        quantize_with(isa, &x, &mut got, scale, fmt, sat);
                        assert_eq!(got, want, "{isa:?} {fmt:?} {scale} {sat}");
                    });
                }
            }
        }
    }
}
