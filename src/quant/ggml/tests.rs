//! GGML block kernels: every ISA equals the scalar specification bit for bit, golden
//! blocks from `gguf.quants` 0.19.0, and the input rules.

use super::kernels::{self, scalar, Fmt};
use super::*;
use crate::test_rng::Rng;

/// Blocks that stress the kernels: random magnitudes from 1e-39 to 1e5, exact ties
/// (multiples of d / 2), all-zero and signed-zero blocks, repeated maxima of both signs,
/// and subnormal blocks whose `1 / d` overflows.
fn nasty_blocks(blocks: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng::new(seed);
    let mut x = Vec::with_capacity(blocks * 32);
    for b in 0..blocks {
        let kind = r.next_u64() % 8;
        let mag = 10f32.powi((r.next_u64() % 45) as i32 - 39);
        for j in 0..32 {
            let v = match kind {
                0 => 0.0,
                1 => {
                    if j % 2 == 0 {
                        -0.0
                    } else {
                        0.0
                    }
                }
                2 => ((r.next_u64() % 255) as f32 - 127.0) * 0.5, // ties for Q8_0 with amax 63.5
                3 => {
                    if j == 5 || j == 9 {
                        if j == 5 {
                            -mag
                        } else {
                            mag
                        }
                    } else {
                        r.uniform(-mag, mag)
                    }
                }
                4 => {
                    f32::from_bits((r.next_u64() % 0x0080_0000) as u32)
                        * if j % 3 == 0 { -1.0 } else { 1.0 }
                }
                5 => ((r.next_u64() % 17) as f32 - 8.0) * 0.25, // ties for Q4_0 (x * id + 8.5 on .5)
                _ => r.uniform(-mag, mag),
            };
            x.push(v);
        }
        if b % 5 == 0 {
            x[b * 32 + 31] = -x[b * 32..b * 32 + 31]
                .iter()
                .fold(0f32, |m, v| m.max(v.abs()));
        }
    }
    x
}

#[test]
fn simd_equals_scalar_on_every_isa() {
    // The x86 kernels work on groups of eight blocks: partial, whole and several groups.
    for blocks in [1usize, 2, 3, 7, 8, 9, 16, 33] {
        let x = nasty_blocks(blocks + 1, blocks as u64);
        for start in [0usize, 1, 3] {
            // Unaligned starts: shift by whole floats inside a larger buffer.
            let xs = &x[start..start + blocks * 32];
            for fmt in [Fmt::Q8_0, Fmt::Q4_0] {
                let ts = if fmt == Fmt::Q8_0 { 34 } else { 18 };
                let mut want = vec![0u8; blocks * ts];
                kernels::quantize(Isa::Scalar, fmt, xs, &mut want);
                let mut back_want = vec![0f32; blocks * 32];
                kernels::dequantize(Isa::Scalar, fmt, &want, &mut back_want);
                for isa in Isa::available() {
                    let mut got = vec![0xAAu8; blocks * ts + start];
                    kernels::quantize(isa, fmt, xs, &mut got[start..]);
                    assert_eq!(got[start..], want[..], "{isa:?} {fmt:?} blocks {blocks}");
                    let mut back = vec![f32::NAN; blocks * 32 + start];
                    kernels::dequantize(isa, fmt, &want, &mut back[start..]);
                    let (a, b): (Vec<u32>, Vec<u32>) = (
                        back[start..].iter().map(|v| v.to_bits()).collect(),
                        back_want.iter().map(|v| v.to_bits()).collect(),
                    );
                    assert_eq!(a, b, "{isa:?} {fmt:?} dequantize blocks {blocks}");
                }
            }
        }
    }
}

/// The f16 scale rounding (F16C `vcvtps2ph` in the x86 kernels, the `half` crate in the
/// scalar one): block maxima log-uniform from 1e-12 (f16 subnormal and zero scales) to
/// 1e7 (scales past 65504, which round to inf), plus scales exactly halfway between two
/// f16 values, which must round to even.
#[test]
fn scale_rounding_equals_scalar_on_every_isa() {
    let mut r = Rng::new(21);
    let blocks = 4099;
    let mut x = vec![0f32; blocks * 32];
    for (b, xb) in x.chunks_exact_mut(32).enumerate() {
        let amax = if b % 4 == 3 {
            // d = amax / 127 (or / -8) near an f16 tie: a multiple of half an f16 step.
            let h = (r.next_u64() % 0x7bfe) as u16;
            let lo = half::f16::from_bits(h).to_f32();
            let hi = half::f16::from_bits(h + 1).to_f32();
            (lo + (hi - lo) * 0.5) * if b % 8 == 3 { 127.0 } else { 8.0 }
        } else {
            10f32.powf(r.uniform(-12.0, 7.0))
        };
        for v in xb.iter_mut() {
            *v = r.uniform(-amax, amax);
        }
        xb[(b * 7) % 32] = if b % 2 == 0 { amax } else { -amax };
    }
    for fmt in [Fmt::Q8_0, Fmt::Q4_0] {
        let ts = if fmt == Fmt::Q8_0 { 34 } else { 18 };
        let mut want = vec![0u8; blocks * ts];
        kernels::quantize(Isa::Scalar, fmt, &x, &mut want);
        for isa in Isa::available() {
            let mut got = vec![0u8; blocks * ts];
            kernels::quantize(isa, fmt, &x, &mut got);
            for (k, (g, w)) in got.chunks(ts).zip(want.chunks(ts)).enumerate() {
                assert_eq!(g, w, "{isa:?} {fmt:?} block {k}");
            }
        }
    }
}

#[test]
fn dequantize_simd_equals_scalar_on_random_bytes() {
    // Any byte pattern, including NaN/inf/subnormal f16 scales.
    let mut r = Rng::new(9);
    for fmt in [Fmt::Q8_0, Fmt::Q4_0] {
        let ts = if fmt == Fmt::Q8_0 { 34 } else { 18 };
        let q: Vec<u8> = (0..ts * 41).map(|_| r.next_u64() as u8).collect();
        let mut want = vec![0f32; 41 * 32];
        kernels::dequantize(Isa::Scalar, fmt, &q, &mut want);
        for isa in Isa::available() {
            let mut got = vec![0f32; 41 * 32];
            kernels::dequantize(isa, fmt, &q, &mut got);
            let same = got
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{isa:?} {fmt:?}");
        }
    }
}

#[test]
fn max_abs_bits_matches_on_odd_lengths() {
    let x = nasty_blocks(3, 4);
    for isa in Isa::available() {
        for len in [0usize, 1, 5, 8, 15, 16, 17, 31, 33, 95] {
            for start in [0usize, 1] {
                let s = &x[start..start + len];
                assert_eq!(
                    kernels::max_abs_bits(isa, s),
                    scalar::max_abs_bits(s),
                    "{isa:?} {len}"
                );
            }
        }
        let mut y = x.clone();
        y[70] = f32::NAN;
        assert!(kernels::max_abs_bits(isa, &y) > 0x7f80_0000);
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|v| format!("{v:02x}")).collect()
}

/// `x = [(j - 13) * 0.37 for j in 0..32]` quantized by `gguf.quants.quantize` 0.19.0.
#[test]
fn golden_blocks_from_gguf_py() {
    let x: Vec<f32> = (0..32).map(|j| (j as f32 - 13.0) * 0.37).collect();
    let want = [
        (
            GgmlType::Q8_0,
            "b62aa4abb2b9c1c8cfd6dde4ebf2f900070e151c232a31383f474e555c636a71787f",
        ),
        (GgmlType::Q4_0, "a9ba7e6d6d5c5c4c4b4b3a3a292918180807"),
        (GgmlType::Q4_1, "1e3acfc480809191a2a2b3b3c4c4d5d5e6e6f7f7"),
        (
            GgmlType::Q5_0,
            "a9b6ff3f0000dccbcab9a89786756454434231201f0e",
        ),
        (
            GgmlType::Q5_1,
            "ec35cfc40000ffff00112233445566778899aabbccddeeff",
        ),
    ];
    for (ty, hexstr) in want {
        let q = quantize_to_vec(ty, &x, 32).unwrap();
        assert_eq!(hex(&q), hexstr, "{ty}");
        assert_eq!(q.len(), ty.type_size());
        let back = dequantize_to_vec(ty, &q).unwrap();
        let err = back
            .iter()
            .zip(&x)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 0.37 * 18.0 / 7.0, "{ty} error {err}");
    }
}

#[test]
fn input_rules() {
    let x = vec![1.0f32; 64];
    let mut out = vec![0u8; 68];
    // Row length not a multiple of 32.
    let e = quantize(GgmlType::Q8_0, &x, 48, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("block size 32"), "{}", e.message());
    let e = quantize(GgmlType::Q8_0, &x[..40], 40, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = quantize(GgmlType::Q8_0, &x, 0, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    // Output too small: nothing written.
    let mut small = vec![7u8; 67];
    let e = quantize(GgmlType::Q8_0, &x, 32, &mut small).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
    assert!(small.iter().all(|&b| b == 7));
    // Unsupported types.
    let e = quantize(GgmlType::Q4_K, &x, 256, &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedFormat);
    let e = dequantize(GgmlType::IQ2_XXS, &[0u8; 66], &mut [0f32; 256]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedFormat);
    // Non-finite values and f16 scale overflow: named, nothing written.
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
    ] {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut y = x.clone();
            y[37] = bad;
            let mut o = vec![7u8; 2 * ty.type_size()];
            let e = quantize(ty, &y, 32, &mut o).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains("x[37]"), "{}", e.message());
            assert!(o.iter().all(|&b| b == 7));
        }
        let mut y = x.clone();
        y[40] = 3.0e38;
        let mut o = vec![7u8; 2 * ty.type_size()];
        let e = quantize(ty, &y, 32, &mut o).unwrap_err();
        assert!(e.message().contains("block 1"), "{ty}: {}", e.message());
        assert!(o.iter().all(|&b| b == 7));
        // Just inside the range is accepted.
        let mut y = x.clone();
        y[40] = 1000.0;
        quantize(ty, &y, 32, &mut o).unwrap();
    }
    // Q4_1 minimum beyond f16 even though the spread is small.
    let y = vec![-70000.0f32; 32];
    let e = quantize(GgmlType::Q4_1, &y, 32, &mut out).unwrap_err();
    assert!(e.message().contains("minimum"), "{}", e.message());
    // Dequantize: partial blocks and short outputs.
    let e = dequantize(GgmlType::Q4_0, &[0u8; 19], &mut [0f32; 64]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = dequantize(GgmlType::Q6_K, &[0u8; 210], &mut [0f32; 255]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
}

#[test]
fn parallel_split_equals_single_thread() {
    let x = nasty_blocks(PARALLEL_CUTOFF / 32 + 100, 11);
    for ty in [GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_1] {
        let x: Vec<f32> = x.iter().map(|v| v.clamp(-1000.0, 1000.0)).collect();
        let one = cpu::with_isa(Isa::Scalar, |_| quantize_to_vec(ty, &x, 32).unwrap());
        let many = quantize_to_vec(ty, &x, 32).unwrap();
        assert_eq!(one, many, "{ty}");
        let a = cpu::with_isa(Isa::Scalar, |_| dequantize_to_vec(ty, &one).unwrap());
        let b = dequantize_to_vec(ty, &one).unwrap();
        assert!(a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}

/// No Q8_0 / Q4_0 kernel reads past its blocks: values and block bytes end right before an
/// inaccessible page, so a load past them faults, and every ISA equals the scalar kernel.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn guard_page_no_kernel_reads_past_its_blocks() {
    use crate::test_guard::{Guarded, LENS};
    let mut r = Rng::new(17);
    // 1..=9 blocks take AVX2's groups of eight blocks partly, whole and with one left over.
    for blocks in [1usize, 2, 3, 7, 8, 9, 15, 17, 33] {
        let x = Guarded::new(&nasty_blocks(blocks, blocks as u64));
        for fmt in [Fmt::Q8_0, Fmt::Q4_0] {
            let ts = if fmt == Fmt::Q8_0 { 34 } else { 18 };
            let bytes: Vec<u8> = (0..ts * blocks).map(|_| r.next_u64() as u8).collect();
            let q = Guarded::new(&bytes);
            let mut want_q = vec![0u8; ts * blocks];
            kernels::quantize(Isa::Scalar, fmt, x.as_slice(), &mut want_q);
            let mut want_x = vec![0f32; 32 * blocks];
            kernels::dequantize(Isa::Scalar, fmt, q.as_slice(), &mut want_x);
            for isa in Isa::available() {
                let mut got = vec![0u8; ts * blocks];
                kernels::quantize(isa, fmt, x.as_slice(), &mut got);
                assert!(got == want_q, "quantize {isa:?} {fmt:?} {blocks} blocks");
                let mut got = vec![0f32; 32 * blocks];
                kernels::dequantize(isa, fmt, q.as_slice(), &mut got);
                let same = got
                    .iter()
                    .zip(&want_x)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "dequantize {isa:?} {fmt:?} {blocks} blocks");
            }
        }
    }
    let x = nasty_blocks(130, 3);
    for n in LENS {
        let g = Guarded::new(&x[..n]);
        let want = scalar::max_abs_bits(g.as_slice());
        for isa in Isa::available() {
            assert_eq!(
                kernels::max_abs_bits(isa, g.as_slice()),
                want,
                "{isa:?} {n}"
            );
        }
    }
}
