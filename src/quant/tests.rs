//! Kernel equivalence (every ISA equals scalar bit for bit), layout and reference tests.

use super::dequantize::{dequantize_per_elem_with, dequantize_with};
use super::minmax::{minmax_accumulate_with, minmax_with};
use super::quantize::{quantize_per_elem_with, quantize_with};
use super::*;
use crate::cpu::Store::{Cached, Streaming};
use crate::cpu::{self, Isa};

use crate::test_rng::Rng;

/// Values that stress the edge cases: ties, huge, signed zero, infinities, NaN, denormals.
fn nasty(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut r = Rng::new(seed);
    let specials = [
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e-45,
        -1e-40,
        3e38,
        -3e38,
        f32::MAX,
        f32::MIN,
    ];
    (0..n)
        .map(|i| match r.next_u64() % 8 {
            0 => specials[i % specials.len()],
            // Exact ties: (k + 0.5) * scale.
            1 | 2 => ((r.next_u64() % 600) as f32 - 300.0 + 0.5) * scale,
            3 => r.uniform(-1e6, 1e6),
            _ => r.uniform(-200.0, 200.0) * scale,
        })
        .collect()
}

fn isas() -> Vec<Isa> {
    Isa::available()
}

const DTYPES: [QDtype; 2] = [QDtype::I8, QDtype::U8];

#[test]
fn quantize_matches_scalar_on_every_isa() {
    for &dtype in &DTYPES {
        for (scale, zp) in [(0.5f32, 0), (0.1, 3), (0.037, -17), (1.0, 127), (2.5, -128)] {
            let zp = match dtype {
                QDtype::U8 => zp + 128,
                QDtype::I8 => zp,
            };
            let x = nasty(67 + 1000 + 3, zp as u64 + 7, scale);
            for off in 0..4 {
                for n in (0..=67).chain([1000]) {
                    let xs = &x[off..off + n];
                    let mut want = vec![0u8; n];
                    quantize_with(Isa::Scalar, xs, &mut want, scale, zp, dtype, Cached);
                    // Output offsets move streaming stores' aligned steps around.
                    let cases = isas().into_iter().flat_map(|isa| {
                        [Cached, Streaming].map(|st| [1, 32, 63].map(|o| (isa, st, o)))
                    });
                    for (isa, st, o) in cases.flatten() {
                        let mut got = vec![0xAAu8; n + o + 1];
                        quantize_with(isa, xs, &mut got[o..o + n], scale, zp, dtype, st);
                        let at = format!("{isa:?} {st:?} {dtype:?} n={n} off={off} o={o}");
                        assert_eq!(&got[o..o + n], &want[..], "{at}");
                        assert!(got[..o].iter().chain(&got[o + n..]).all(|&b| b == 0xAA));
                    }
                }
            }
        }
    }
}

/// Streaming stores at chosen output alignments (the allocator decides them otherwise),
/// around the lengths where the streaming path starts and where steps end exactly.
#[test]
fn streaming_quantize_matches_scalar_at_every_alignment() {
    let x = nasty(1200, 5, 0.05);
    for n in [255, 256, 257, 511, 512, 513, 575, 576, 577, 1000, 1087] {
        let mut want = vec![0u8; n];
        quantize_with(Isa::Scalar, &x[..n], &mut want, 0.05, 3, QDtype::I8, Cached);
        for isa in isas() {
            for o in [0, 1, 31, 32, 63] {
                let mut buf = vec![0xAAu8; n + 128];
                let start = buf.as_ptr().align_offset(64) + o;
                let out = &mut buf[start..start + n];
                quantize_with(isa, &x[..n], out, 0.05, 3, QDtype::I8, Streaming);
                assert_eq!(out, &want[..], "{isa:?} n={n} o={o}");
                assert!(buf[..start]
                    .iter()
                    .chain(&buf[start + n..])
                    .all(|&b| b == 0xAA));
            }
        }
    }
}

#[test]
fn quantize_per_elem_matches_scalar_on_every_isa() {
    let mut r = Rng::new(5);
    for &dtype in &DTYPES {
        // Nasty values plus values near ties of each lane's own scale.
        let mut x = nasty(300, 11, 0.25);
        let scales: Vec<f32> = (0..300).map(|_| r.uniform(0.01, 2.0)).collect();
        for (i, v) in x.iter_mut().enumerate().filter(|(i, _)| i % 3 == 0) {
            let t = ((i % 200) as f32 - 100.5) * scales[i];
            *v = f32::from_bits((t.to_bits() as i32 + (i % 7) as i32 - 3) as u32);
        }
        let invs: Vec<f32> = scales.iter().map(|s| 1.0 / s).collect();
        let (qmin, qmax) = dtype.range();
        let zps: Vec<i32> = (0..300)
            .map(|_| qmin + (r.next_u64() % (qmax - qmin + 1) as u64) as i32)
            .collect();
        for off in 0..4 {
            for n in (0..=67).chain([290]) {
                let r_ = off..off + n;
                let (xs, s, z) = (&x[r_.clone()], &scales[r_.clone()], &zps[r_.clone()]);
                let mut want = vec![0u8; n];
                quantize_per_elem_with(Isa::Scalar, xs, &mut want, s, z, None, dtype);
                for &isa in &isas() {
                    for inv in [None, Some(&invs[r_.clone()])] {
                        let mut got = vec![0u8; n];
                        quantize_per_elem_with(isa, xs, &mut got, s, z, inv, dtype);
                        assert_eq!(got, want, "{isa:?} {dtype:?} n={n} inv={}", inv.is_some());
                    }
                }
            }
        }
    }
}

#[test]
fn dequantize_matches_scalar_on_every_isa() {
    let q: Vec<u8> = (0..1100u32).map(|i| (i * 37 + 11) as u8).collect();
    let mut r = Rng::new(9);
    let scales: Vec<f32> = (0..1100).map(|_| r.uniform(1e-3, 3.0)).collect();
    for &dtype in &DTYPES {
        let (qmin, qmax) = dtype.range();
        let zps: Vec<i32> = (0..1100)
            .map(|_| qmin + (r.next_u64() % (qmax - qmin + 1) as u64) as i32)
            .collect();
        for off in 0..4 {
            for n in (0..=67).chain([1000]) {
                let qs = &q[off..off + n];
                let mut want = vec![0f32; n];
                dequantize_with(Isa::Scalar, qs, &mut want, 0.0371, zps[0], dtype, Cached);
                let mut want_pe = vec![0f32; n];
                let (s, z) = (&scales[off..off + n], &zps[off..off + n]);
                dequantize_per_elem_with(Isa::Scalar, qs, &mut want_pe, s, z, dtype);
                for &isa in &isas() {
                    // Output offsets (in floats) move streaming stores' aligned steps.
                    for (st, o) in [(Cached, 0), (Streaming, 0), (Streaming, 3), (Streaming, 7)] {
                        let mut buf = vec![f32::NAN; n + o + 1];
                        dequantize_with(isa, qs, &mut buf[o..o + n], 0.0371, zps[0], dtype, st);
                        assert_eq!(
                            bits(&buf[o..o + n]),
                            bits(&want),
                            "{isa:?} {st:?} n={n} o={o}"
                        );
                        assert!(buf[..o].iter().chain(&buf[o + n..]).all(|v| v.is_nan()));
                    }
                    let mut got = vec![0f32; n];
                    dequantize_per_elem_with(isa, qs, &mut got, s, z, dtype);
                    assert_eq!(bits(&got), bits(&want_pe), "{isa:?} per-elem n={n}");
                }
            }
        }
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|f| f.to_bits()).collect()
}

#[test]
fn minmax_matches_scalar_on_every_isa() {
    let mut x = nasty(1600, 3, 1.0);
    // A block with only signed zeros and NaN.
    for (i, v) in x[500..600].iter_mut().enumerate() {
        *v = [0.0, -0.0, f32::NAN][i % 3];
    }
    let init = (f32::INFINITY, f32::NEG_INFINITY);
    for off in 0..4 {
        for n in (0..=67).chain([1000]) {
            for base in [off, 500 + off] {
                let xs = &x[base..base + n];
                let want = minmax_with(Isa::Scalar, xs, init);
                for &isa in &isas() {
                    let got = minmax_with(isa, xs, init);
                    assert_eq!(
                        (got.0.to_bits(), got.1.to_bits()),
                        (want.0.to_bits(), want.1.to_bits()),
                        "{isa:?} n={n} base={base}"
                    );
                }
                let mut mn0 = vec![f32::INFINITY; n];
                let mut mx0 = vec![f32::NEG_INFINITY; n];
                minmax_accumulate_with(Isa::Scalar, xs, &mut mn0, &mut mx0);
                for &isa in &isas() {
                    let mut mn = vec![f32::INFINITY; n];
                    let mut mx = vec![f32::NEG_INFINITY; n];
                    minmax_accumulate_with(isa, xs, &mut mn, &mut mx);
                    assert_eq!((bits(&mn), bits(&mx)), (bits(&mn0), bits(&mx0)), "{isa:?}");
                }
            }
        }
    }
    // NaN skipped, zero reported as +0.0, all-NaN gives the empty marker.
    assert_eq!(tensor::minmax(&[f32::NAN, -0.0, 2.0]), Some((0.0, 2.0)));
    assert_eq!(tensor::minmax(&[f32::NAN, f32::NAN]), None);
    assert_eq!(tensor::minmax(&[]), None);
    assert!(tensor::minmax(&[-0.0]).unwrap().0.is_sign_positive());
}

#[test]
fn scalar_spec_edge_cases() {
    let q = |x: f32, s: f32, z: i32, d: QDtype| {
        let mut o = [0u8];
        quantize_with(Isa::Scalar, &[x], &mut o, s, z, d, Cached);
        o[0]
    };
    // Ties to even.
    assert_eq!(q(0.5, 1.0, 0, QDtype::I8) as i8, 0);
    assert_eq!(q(1.5, 1.0, 0, QDtype::I8) as i8, 2);
    assert_eq!(q(2.5, 1.0, 0, QDtype::I8) as i8, 2);
    assert_eq!(q(-2.5, 1.0, 0, QDtype::I8) as i8, -2);
    assert_eq!(q(-0.5, 1.0, 10, QDtype::U8), 10);
    // Saturation, infinities, NaN, signed zero.
    assert_eq!(q(1e30, 0.1, 0, QDtype::I8) as i8, 127);
    assert_eq!(q(f32::NEG_INFINITY, 0.1, 0, QDtype::I8) as i8, -128);
    assert_eq!(q(f32::INFINITY, 0.1, 3, QDtype::U8), 255);
    assert_eq!(q(f32::NAN, 0.1, 3, QDtype::U8), 0);
    assert_eq!(q(f32::NAN, 0.1, 3, QDtype::I8) as i8, -128);
    assert_eq!(q(-0.0, 0.1, 7, QDtype::U8), 7);
    // Division, not multiplication by the reciprocal: 0.3 / 0.1 rounds to 2.9999998 in
    // f32 but 0.3 * (1 / 0.1) to 3.0000002; both round to 3, so pick a tie that differs.
    let (x, s) = (4.5f32 * 0.3, 0.3f32);
    assert_eq!(
        q(x, s, 0, QDtype::I8) as i8,
        (x / s).round_ties_even() as i8
    );
}

/// Straightforward per-axis reference: index arithmetic per element.
fn ref_axis(x: &[f32], shape: &[usize], axis: usize, s: &[f32], z: &[i32], d: QDtype) -> Vec<u8> {
    let inner: usize = shape[axis + 1..].iter().product();
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / inner) % shape[axis];
            let mut o = [0u8];
            quantize_with(Isa::Scalar, &[v], &mut o, s[c], z[c], d, Cached);
            o[0]
        })
        .collect()
}

#[test]
fn per_axis_matches_reference_on_shapes_and_axes() {
    let shapes: [&[usize]; 6] = [
        &[7],
        &[3, 5],
        &[4, 33],
        &[2, 3, 40],
        &[5, 1, 3, 2],
        &[64, 70],
    ];
    let mut r = Rng::new(21);
    for shape in shapes {
        let n: usize = shape.iter().product();
        let x = nasty(n, n as u64, 0.1);
        for axis in 0..shape.len() {
            for &dtype in &DTYPES {
                let ch = shape[axis];
                let s: Vec<f32> = (0..ch).map(|_| r.uniform(0.01, 1.0)).collect();
                let (qmin, qmax) = dtype.range();
                let z: Vec<i32> = (0..ch)
                    .map(|_| qmin + (r.next_u64() % (qmax - qmin + 1) as u64) as i32)
                    .collect();
                let want = ref_axis(&x, shape, axis, &s, &z, dtype);
                for &isa in &isas() {
                    let got = cpu::with_isa(isa, |_| {
                        let mut o = vec![0u8; n];
                        quantize_linear_axis(&x, shape, axis, &s, &z, dtype, &mut o).unwrap();
                        o
                    });
                    assert_eq!(got, want, "{isa:?} {shape:?} axis {axis}");
                    let back = cpu::with_isa(isa, |_| {
                        let mut o = vec![0f32; n];
                        dequantize_linear_axis(&got, shape, axis, &s, &z, dtype, &mut o).unwrap();
                        o
                    });
                    let inner: usize = shape[axis + 1..].iter().product();
                    for (i, (&q, &b)) in got.iter().zip(&back).enumerate() {
                        let c = (i / inner) % ch;
                        let v = if dtype == QDtype::I8 {
                            q as i8 as i32
                        } else {
                            q as i32
                        };
                        assert_eq!(b.to_bits(), ((v - z[c]) as f32 * s[c]).to_bits());
                    }
                }
            }
        }
    }
}

#[test]
fn blocked_matches_reference() {
    let shape = [3usize, 70];
    let x = nasty(210, 4, 0.05);
    for block in [1usize, 16, 32, 70, 100] {
        let nb = 70usize.div_ceil(block);
        let (s, z) = params_blocked(
            &x.iter()
                .map(|v| if v.is_finite() { *v } else { 0.0 })
                .collect::<Vec<_>>(),
            &shape,
            block,
            QDtype::I8,
            QMode::Symmetric,
            false,
        )
        .unwrap();
        assert_eq!(s.len(), 3 * nb);
        let mut got = vec![0u8; 210];
        quantize_linear_blocked(&x, &shape, block, &s, &z, QDtype::I8, &mut got).unwrap();
        for (i, &g) in got.iter().enumerate() {
            let p = (i / 70) * nb + (i % 70) / block;
            let mut o = [0u8];
            quantize_with(
                Isa::Scalar,
                &x[i..i + 1],
                &mut o,
                s[p],
                z[p],
                QDtype::I8,
                Cached,
            );
            assert_eq!(g, o[0], "block {block} elem {i}");
        }
    }
}

#[test]
fn large_tensors_split_over_the_pool_give_identical_bytes() {
    let n = 2048 * 1025 + 13;
    let x = nasty(n, 77, 0.02);
    let p = QParams::new(0.02, 5, QDtype::I8).unwrap();
    let mut want = vec![0u8; n];
    cpu::with_isa(Isa::Scalar, |_| {
        quant_serial(&x, &mut want, p);
    });
    for &isa in &isas() {
        let got = cpu::with_isa(isa, |_| {
            // with_isa selects one thread; allow the pool so the split path runs.
            cpu::set_opt_level(cpu::OptLevel::Full);
            let mut o = vec![0u8; n];
            quantize_linear(&x, &mut o, p, QDtype::I8).unwrap();
            o
        });
        assert!(got == want, "{isa:?}");
    }
    // Per-axis on a large [rows, cols] along both axes.
    let shape = [2048usize, 1025];
    let x = &x[..2048 * 1025];
    for axis in 0..2 {
        let (s, z) = params_axis(
            &x.iter()
                .map(|v| if v.is_finite() { *v } else { 0.0 })
                .collect::<Vec<_>>(),
            &shape,
            axis,
            QDtype::U8,
            QMode::Asymmetric,
            false,
        )
        .unwrap();
        let want = ref_axis(x, &shape, axis, &s, &z, QDtype::U8);
        for &isa in &isas() {
            let got = cpu::with_isa(isa, |_| {
                cpu::set_opt_level(cpu::OptLevel::Full);
                let mut o = vec![0u8; x.len()];
                quantize_linear_axis(x, &shape, axis, &s, &z, QDtype::U8, &mut o).unwrap();
                o
            });
            assert!(got == want, "{isa:?} axis {axis}");
        }
    }
}

fn quant_serial(x: &[f32], out: &mut [u8], p: QParams) {
    quantize_with(
        Isa::Scalar,
        x,
        out,
        p.scale,
        p.zero_point,
        QDtype::I8,
        Cached,
    );
}

#[test]
fn bad_input_is_refused_without_writing() {
    let x = [1.0f32; 6];
    let mut out = [9u8; 6];
    let p = QParams {
        scale: 0.0,
        zero_point: 0,
    };
    assert!(quantize_linear(&x, &mut out, p, QDtype::I8).is_err());
    let p = QParams {
        scale: 1.0,
        zero_point: 300,
    };
    assert!(quantize_linear(&x, &mut out, p, QDtype::U8).is_err());
    let p = QParams {
        scale: 1.0,
        zero_point: 0,
    };
    let e = quantize_linear(&x, &mut out[..5], p, QDtype::U8).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::BufferTooSmall);
    let shape = [2usize, 3];
    let e = quantize_linear_axis(&x, &shape, 2, &[1.0; 3], &[0; 3], QDtype::I8, &mut out);
    assert!(e.unwrap_err().message().contains("axis"));
    assert!(quantize_linear_axis(&x, &shape, 1, &[1.0; 2], &[0; 2], QDtype::I8, &mut out).is_err());
    assert!(quantize_linear_axis(
        &x,
        &shape,
        1,
        &[1.0, f32::NAN, 1.0],
        &[0; 3],
        QDtype::I8,
        &mut out
    )
    .is_err());
    assert!(
        quantize_linear_axis(&x, &shape, 1, &[1.0; 3], &[0, 0, -1], QDtype::U8, &mut out).is_err()
    );
    let e = quantize_linear_axis(
        &x,
        &[usize::MAX, 2],
        0,
        &[1.0; 3],
        &[0; 3],
        QDtype::I8,
        &mut out,
    );
    assert_eq!(e.unwrap_err().kind(), crate::ErrorKind::SizeOverflow);
    assert!(
        quantize_linear_blocked(&x, &shape, 0, &[1.0; 2], &[0; 2], QDtype::I8, &mut out).is_err()
    );
    assert_eq!(out, [9u8; 6]);
}

#[test]
fn quantized_tensor_round_trips_and_reports() {
    let mut r = Rng::new(8);
    let shape = [16usize, 64];
    let x: Vec<f32> = (0..1024)
        .map(|i| r.uniform(-1.0, 1.0) * (1 + i / 64) as f32)
        .collect();
    for g in [
        Granularity::PerTensor,
        Granularity::PerAxis { axis: 0 },
        Granularity::PerAxis { axis: 1 },
        Granularity::Blocked { block_size: 32 },
    ] {
        let t =
            QuantizedTensor::quantize(&x, &shape, QDtype::I8, QMode::Symmetric, false, g).unwrap();
        let back = t.dequantize().unwrap();
        assert_eq!(t.nbytes(), 1024);
        assert_eq!(t.shape(), &shape);
        let want_params = match g {
            Granularity::PerTensor => 1,
            Granularity::PerAxis { axis } => shape[axis],
            Granularity::Blocked { .. } => 32,
        };
        assert_eq!(t.scales().len(), want_params);
        assert!(t.zero_points().iter().all(|&z| z == 0));
        let ratio = 4.0 * 1024.0 / (1024.0 + 5.0 * want_params as f64);
        assert_eq!(t.compression_ratio(), ratio);
        // Symmetric int8 error is at most half a step of the element's own scale.
        for (i, (&a, &b)) in x.iter().zip(&back).enumerate() {
            let s = match g {
                Granularity::PerTensor => t.scales()[0],
                Granularity::PerAxis { axis: 0 } => t.scales()[i / 64],
                Granularity::PerAxis { .. } => t.scales()[i % 64],
                Granularity::Blocked { .. } => t.scales()[i / 32],
            };
            assert!((a - b).abs() <= s * 0.5 + 1e-6, "{g:?} {i}: {a} vs {b}");
        }
    }
}

#[test]
fn metrics_known_values_and_zero_cases() {
    assert_eq!(quantization_mse(&[1.0, 2.0], &[1.5, 2.0]).unwrap(), 0.125);
    assert_eq!(quantization_mse(&[], &[]).unwrap(), 0.0);
    assert_eq!(sqnr_db(&[3.0, 4.0], &[3.0, 4.0]).unwrap(), f64::INFINITY);
    assert_eq!(sqnr_db(&[0.0, 0.0], &[0.0, 0.0]).unwrap(), f64::INFINITY);
    assert_eq!(sqnr_db(&[], &[]).unwrap(), f64::INFINITY);
    assert_eq!(sqnr_db(&[0.0], &[0.5]).unwrap(), f64::NEG_INFINITY);
    // Signal 25, noise 0.25 -> 20 dB.
    assert!((sqnr_db(&[3.0, 4.0], &[3.5, 4.0]).unwrap() - 20.0).abs() < 1e-12);
    assert!(sqnr_db(&[1.0], &[1.0, 2.0]).is_err());
    assert!(quantization_mse(&[f32::NAN], &[0.0]).unwrap().is_nan());
}

/// Full-range uniform data: the noise is uniform over one step Δ (power Δ²/12) and the
/// signal over [-A, A] (power A²/3), so SQNR = 20·log10(2A/Δ) = 20·log10(levels - 1):
/// 48.13 dB for 255 steps, i.e. 6.02·b dB; the 6.02·b + 1.76 rule is for a full-scale sine.
#[test]
fn sqnr_of_full_range_uniform_data_matches_theory() {
    let n = 1 << 20;
    let a = 3.0f32;
    // Evenly spaced samples cover every step uniformly.
    let x: Vec<f32> = (0..n)
        .map(|i| -a + (i as f32 + 0.5) * (2.0 * a / n as f32))
        .collect();
    for (dtype, mode, steps) in [
        (QDtype::U8, QMode::Asymmetric, 255.0f64),
        (QDtype::I8, QMode::Asymmetric, 255.0),
        (QDtype::I8, QMode::Symmetric, 254.0),
    ] {
        let t = QuantizedTensor::quantize(&x, &[n], dtype, mode, false, Granularity::PerTensor)
            .unwrap();
        let y = t.dequantize().unwrap();
        let got = sqnr_db(&x, &y).unwrap();
        let want = 20.0 * steps.log10();
        assert!(
            (got - want).abs() < 0.05,
            "{dtype:?} {mode:?}: {got} vs {want}"
        );
        let rule = 6.02 * 8.0 + 1.76;
        assert!((got - (rule - 1.76)).abs() < 0.1, "{got} vs 6.02*8");
        let step = t.scales()[0] as f64;
        let mse = quantization_mse(&x, &y).unwrap();
        assert!((mse / (step * step / 12.0) - 1.0).abs() < 0.01, "mse {mse}");
    }
}

fn cal(method: CalibMethod, mode: QMode, axis: Option<usize>) -> Calibrator {
    let mut c = CalibConfig::new(method, QDtype::I8, mode);
    c.axis = axis;
    Calibrator::new(c).unwrap()
}

#[test]
fn minmax_calibrator_streams_per_tensor_and_per_channel() {
    let mut r = Rng::new(31);
    let shape = [3usize, 4, 5];
    let batches: Vec<Vec<f32>> = (0..4)
        .map(|b| {
            (0..60)
                .map(|_| r.uniform(-1.0, 1.0) * (b + 1) as f32)
                .collect()
        })
        .collect();
    for axis in [None, Some(0), Some(1), Some(2)] {
        for mode in [QMode::Asymmetric, QMode::Symmetric] {
            let mut c = cal(CalibMethod::MinMax, mode, axis);
            for b in &batches {
                c.observe(b, &shape).unwrap();
            }
            let ch = axis.map_or(1, |a| shape[a]);
            assert_eq!(c.channels(), ch);
            // Reference: index arithmetic over every batch.
            let mut want = vec![(f32::INFINITY, f32::NEG_INFINITY); ch];
            for b in &batches {
                for (i, &v) in b.iter().enumerate() {
                    let k = match axis {
                        None => 0,
                        Some(a) => (i / shape[a + 1..].iter().product::<usize>()) % shape[a],
                    };
                    want[k] = (want[k].0.min(v), want[k].1.max(v));
                }
            }
            assert_eq!(c.ranges().unwrap(), want);
            let p = c.compute().unwrap();
            for (k, q) in p.iter().enumerate() {
                let e = params_from_range(want[k].0, want[k].1, QDtype::I8, mode, false).unwrap();
                assert_eq!(*q, e);
            }
        }
    }
    let mut c = cal(CalibMethod::MinMax, QMode::Symmetric, Some(1));
    assert_eq!(
        c.ranges().unwrap_err().kind(),
        crate::ErrorKind::InvalidState
    );
    c.observe(&[1.0; 6], &[2, 3]).unwrap();
    assert!(c.observe(&[1.0; 8], &[2, 4]).is_err());
    assert!(c.observe(&[1.0; 6], &[6]).is_err());
    assert_eq!(c.batches(), 1);
    let mut c = cal(CalibMethod::MinMax, QMode::Symmetric, None);
    c.observe(&[1.0, f32::INFINITY], &[2]).unwrap();
    assert!(c.compute().is_err());
}

/// Reference percentile: bins decided by direct comparison with the edges, cumulative
/// shares summed in order, the first edge whose share reaches p.
fn ref_percentile_abs(x: &[f32], p: f64) -> f32 {
    let a: Vec<f32> = x.iter().map(|v| v.abs()).collect();
    let lo = a.iter().cloned().fold(f32::INFINITY, f32::min);
    let hi = a.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let step = (hi - lo) / 2048.0;
    let mut edges: Vec<f32> = (0..=2048).map(|i| i as f32 * step + lo).collect();
    edges[2048] = hi;
    let mut counts = vec![0u64; 2048];
    for &v in &a {
        let mut b = 0;
        while b < 2047 && v >= edges[b + 1] {
            b += 1;
        }
        counts[b] += 1;
    }
    let total = a.len() as f64;
    let mut acc = 0.0;
    for (i, &c) in counts.iter().enumerate() {
        acc += c as f64 / total;
        if acc >= p / 100.0 {
            return edges[i];
        }
    }
    edges[2048]
}

#[test]
fn percentile_calibrator_matches_reference_and_clips_outliers() {
    let mut r = Rng::new(17);
    let mut x: Vec<f32> = (0..20000).map(|_| r.uniform(-1.0, 1.0)).collect();
    x[123] = 50.0;
    x[4567] = -40.0;
    for p in [99.0, 99.9, 99.99] {
        let mut c = cal(CalibMethod::Percentile, QMode::Symmetric, None);
        c.config();
        let mut cfg = *c.config();
        cfg.percentile = p;
        c = Calibrator::new(cfg).unwrap();
        c.observe(&x, &[20000]).unwrap();
        let (lo, hi) = c.ranges().unwrap()[0];
        let t = ref_percentile_abs(&x, p);
        assert_eq!((lo, hi), (-t, t), "p={p}");
        assert!(hi < 1.1, "outliers clipped: {hi}");
        // Within one bin of the exact quantile of |x|.
        let mut a: Vec<f32> = x.iter().map(|v| v.abs()).collect();
        a.sort_by(|u, v| u.partial_cmp(v).unwrap());
        let q = a[((p / 100.0) * a.len() as f64) as usize - 1];
        assert!((hi - q).abs() <= 50.0 / 2048.0 * 1.01, "p={p}: {hi} vs {q}");
    }
    // Asymmetric: one-sided data keeps its sign; thresholds clamp to the observed range.
    let pos: Vec<f32> = (0..5000).map(|i| (i % 100) as f32 * 0.01).collect();
    let mut c = cal(CalibMethod::Percentile, QMode::Asymmetric, None);
    c.observe(&pos, &[5000]).unwrap();
    let (lo, hi) = c.ranges().unwrap()[0];
    assert_eq!(lo, 0.0);
    assert!(hi > 0.97 && hi <= 0.99, "{hi}");
    // Bad percentiles are refused.
    let mut cfg = CalibConfig::new(CalibMethod::Percentile, QDtype::U8, QMode::Asymmetric);
    cfg.percentile = 100.5;
    assert!(Calibrator::new(cfg).is_err());
}

#[test]
fn histogram_merges_as_batches_widen_the_range() {
    let mut r = Rng::new(3);
    let b1: Vec<f32> = (0..4000).map(|_| r.uniform(-1.0, 1.0)).collect();
    let b2: Vec<f32> = (0..4000).map(|_| r.uniform(-3.0, 3.0)).collect();
    for mode in [QMode::Asymmetric, QMode::Symmetric] {
        let mut c = cal(CalibMethod::Percentile, mode, None);
        c.observe(&b1, &[4000]).unwrap();
        c.observe(&b2, &[4000]).unwrap();
        let ch = &c.channels[0];
        let (h, _) = ch.hist.as_ref().unwrap();
        let kept: u64 = h.counts.iter().sum();
        // Symmetric keeps |x| >= the first batch's min |x| only (as ONNX Runtime).
        assert!(kept <= 8000 && kept > 7990, "{mode:?}: {kept}");
        assert_eq!(h.edges.len(), h.counts.len() + 1);
        assert!(h.edges.windows(2).all(|w| w[0] < w[1]));
        assert!(h.edges[h.counts.len()] >= 2.99);
    }
}

#[test]
fn mse_calibrator_clips_when_it_pays() {
    let mut r = Rng::new(41);
    // 200000 values uniform in [-1, 1] and two outliers at +/-5. Keeping the outliers costs
    // N·Δ²/12 ≈ 25.8 of rounding noise; clipping at c costs 0.826·c² + 2·(5 - c)², least
    // (≈ 14.6) near c = 3.5.
    let mut x: Vec<f32> = (0..200_000).map(|_| r.uniform(-1.0, 1.0)).collect();
    x[1000] = 5.0;
    x[2000] = -5.0;
    let err = |m: CalibMethod| {
        let mut c = cal(m, QMode::Symmetric, None);
        c.observe(&x[..100_000], &[100_000]).unwrap();
        c.observe(&x[100_000..], &[100_000]).unwrap();
        let p = c.compute().unwrap()[0];
        let mut q = vec![0u8; x.len()];
        quantize_linear(&x, &mut q, p, QDtype::I8).unwrap();
        let mut y = vec![0f32; x.len()];
        dequantize_linear(&q, &mut y, p, QDtype::I8).unwrap();
        (quantization_mse(&x, &y).unwrap(), c.ranges().unwrap()[0])
    };
    let (e_minmax, r_minmax) = err(CalibMethod::MinMax);
    let (e_mse, r_mse) = err(CalibMethod::Mse);
    assert_eq!(r_minmax, (-5.0, 5.0));
    assert!(r_mse.1 > 2.5 && r_mse.1 < 4.5, "{r_mse:?}");
    assert!(e_mse < e_minmax * 0.75, "{e_mse} vs {e_minmax}");
    // Uniform data: clipping does not pay, the search keeps (nearly) the whole range.
    let u: Vec<f32> = (0..20000).map(|_| r.uniform(-2.0, 2.0)).collect();
    let mut c = cal(CalibMethod::Mse, QMode::Asymmetric, None);
    c.observe(&u, &[20000]).unwrap();
    let (lo, hi) = c.ranges().unwrap()[0];
    assert!(lo < -1.95 && hi > 1.95, "[{lo}, {hi}]");
}

#[test]
fn mse_search_equals_brute_force_on_the_histogram() {
    let mut r = Rng::new(5);
    let x: Vec<f32> = (0..3000)
        .map(|_| r.uniform(-1.0, 1.0).powi(3) * 4.0)
        .collect();
    let mut c = cal(CalibMethod::Mse, QMode::Asymmetric, None);
    c.observe(&x, &[3000]).unwrap();
    let got = c.ranges().unwrap()[0];
    let ch = &c.channels[0];
    let (h, _) = ch.hist.as_ref().unwrap();
    // Brute force: every window, error of the dequantized bin centres, the first minimum.
    let n = h.counts.len();
    let mut best = (f64::INFINITY, (0.0f32, 0.0f32));
    for k in 1..=n / 2 {
        let lo = h.edges[n / 2 - k].max(ch.min).min(ch.max);
        let hi = h.edges[n / 2 + k].min(ch.max).max(ch.min);
        let p = params_from_range(lo, hi, QDtype::I8, QMode::Asymmetric, false).unwrap();
        let mut e = 0.0;
        for b in 0..n {
            let m = (h.edges[b] + h.edges[b + 1]) * 0.5;
            let mut q = [0u8];
            quantize_linear(&[m], &mut q, p, QDtype::I8).unwrap();
            let mut d = [0f32];
            dequantize_linear(&q, &mut d, p, QDtype::I8).unwrap();
            e += h.counts[b] as f64 * ((m - d[0]) as f64).powi(2);
        }
        if e < best.0 {
            best = (e, (lo, hi));
        }
    }
    assert_eq!(got, best.1);
}

/// The SIMD reciprocal fast path must equal the division spec near every tie: for many
/// scales, values within a few ulps of (k + 0.5) * scale for every in-range k.
#[test]
fn reciprocal_fast_path_is_exact_near_ties() {
    let mut r = Rng::new(1234);
    let mut scales: Vec<f32> = (0..40).map(|_| 2f32.powf(r.uniform(-30.0, 30.0))).collect();
    scales.extend([
        0.1,
        0.3,
        1.0 / 255.0,
        4.0 / 254.0,
        1.0 / 3.0,
        0.007,
        f32::from_bits(0x0100_0000),
        f32::from_bits(0x7E00_0000),
        f32::from_bits(0x00FF_FFFF),
        f32::from_bits(0x7E00_0001),
    ]);
    let mut x = Vec::new();
    for &s in &scales {
        x.clear();
        for k in -300..300 {
            let t = (k as f32 + 0.5) * s;
            for d in -3i32..=3 {
                x.push(f32::from_bits((t.to_bits() as i32 + d) as u32));
            }
        }
        for &dtype in &DTYPES {
            let zp = if dtype == QDtype::U8 { 128 } else { 0 };
            let mut want = vec![0u8; x.len()];
            quantize_with(Isa::Scalar, &x, &mut want, s, zp, dtype, Cached);
            for &isa in &isas() {
                let mut got = vec![0u8; x.len()];
                quantize_with(isa, &x, &mut got, s, zp, dtype, Cached);
                assert!(got == want, "{isa:?} scale {s:e} {dtype:?}");
            }
        }
    }
}

#[test]
fn magic_rounding_equals_round_ties_even_on_the_clamped_range() {
    let mut y = -256.0f32;
    while y <= 256.0 {
        for v in [
            y,
            f32::from_bits(y.to_bits() + 1),
            f32::from_bits(y.to_bits().wrapping_sub(1)),
        ] {
            assert_eq!(
                quantize::scalar::round_half_even(v).to_bits() & 0x7fff_ffff,
                v.round_ties_even().to_bits() & 0x7fff_ffff,
                "{v}"
            );
        }
        y += 1.0 / 64.0;
    }
}

#[test]
fn entropy_calibrator_clips_sparse_tails() {
    let mut r = Rng::new(77);
    // Roughly Gaussian bulk (sum of uniforms) with a few far outliers.
    let mut x: Vec<f32> = (0..40_000)
        .map(|_| (0..4).map(|_| r.uniform(-1.0, 1.0)).sum::<f32>())
        .collect();
    x[10] = 40.0;
    x[20] = -35.0;
    let mut c = cal(CalibMethod::Entropy, QMode::Asymmetric, None);
    c.observe(&x, &[40_000]).unwrap();
    let (lo, hi) = c.ranges().unwrap()[0];
    assert!(lo < 0.0 && hi > 0.0);
    assert!(hi < 20.0 && lo > -20.0, "[{lo}, {hi}]");
    assert!(hi > 1.0 && lo < -1.0, "[{lo}, {hi}]");
    // Constant data: the degenerate histogram still gives a finite range.
    let mut c = cal(CalibMethod::Entropy, QMode::Symmetric, None);
    c.observe(&[0.5; 100], &[100]).unwrap();
    let (lo, hi) = c.ranges().unwrap()[0];
    assert!(lo.is_finite() && hi.is_finite() && lo <= hi);
}

/// No kernel reads past its inputs: every input (values, codes, packed nibbles, per-element
/// scales and zero points, FP8 tables, accumulators) ends right before an inaccessible page,
/// so a load past its end faults, and every ISA's result equals the scalar one.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod guard_page {
    use super::super::dequantize::dequantize_nibbles_with;
    use super::super::fp8;
    use super::super::nibble::{pack_with, unpack_with};
    use super::*;
    use crate::test_guard::{Guarded, LENS};

    fn codes(n: usize, seed: u64) -> Vec<u8> {
        let mut r = Rng::new(seed);
        (0..n).map(|_| r.next_u64() as u8).collect()
    }

    /// Runs `f` once per ISA this machine has, with dispatch capped at it.
    fn each_isa(mut f: impl FnMut(Isa)) {
        for isa in isas() {
            cpu::with_isa(isa, &mut f);
        }
    }

    #[test]
    fn quantize_and_dequantize() {
        for n in LENS {
            let x = Guarded::new(&nasty(n, n as u64, 0.05));
            let q = Guarded::new(&codes(n, n as u64 + 1));
            for dtype in DTYPES {
                let zp = if dtype == QDtype::U8 { 131 } else { -3 };
                let mut want_q = vec![0u8; n];
                quantize_with(
                    Isa::Scalar,
                    x.as_slice(),
                    &mut want_q,
                    0.05,
                    zp,
                    dtype,
                    Cached,
                );
                let mut want_f = vec![0f32; n];
                dequantize_with(
                    Isa::Scalar,
                    q.as_slice(),
                    &mut want_f,
                    0.037,
                    zp,
                    dtype,
                    Cached,
                );
                each_isa(|isa| {
                    for st in [Cached, Streaming] {
                        let mut got = vec![0u8; n];
                        quantize_with(isa, x.as_slice(), &mut got, 0.05, zp, dtype, st);
                        assert_eq!(got, want_q, "quantize {isa:?} {dtype:?} {st:?} n={n}");
                        let mut got = vec![0f32; n];
                        dequantize_with(isa, q.as_slice(), &mut got, 0.037, zp, dtype, st);
                        assert_eq!(
                            bits(&got),
                            bits(&want_f),
                            "dequantize {isa:?} {dtype:?} n={n}"
                        );
                    }
                });
            }
        }
    }

    #[test]
    fn per_element_parameters() {
        for n in LENS {
            let mut r = Rng::new(n as u64 + 2);
            let scales: Vec<f32> = (0..n).map(|_| r.uniform(0.01, 0.2)).collect();
            let invs: Vec<f32> = scales.iter().map(|s| 1.0 / s).collect();
            let x = Guarded::new(&nasty(n, n as u64, 0.1));
            let q = Guarded::new(&codes(n, n as u64 + 3));
            let (s, inv) = (Guarded::new(&scales), Guarded::new(&invs));
            for dtype in DTYPES {
                let (lo, hi) = dtype.range();
                let zps: Vec<i32> = (0..n)
                    .map(|_| lo + (r.next_u64() % (hi - lo + 1) as u64) as i32)
                    .collect();
                let z = Guarded::new(&zps);
                let (xs, qs, ss, zs) = (x.as_slice(), q.as_slice(), s.as_slice(), z.as_slice());
                let mut want_q = vec![0u8; n];
                quantize_per_elem_with(Isa::Scalar, xs, &mut want_q, ss, zs, None, dtype);
                let mut want_f = vec![0f32; n];
                dequantize_per_elem_with(Isa::Scalar, qs, &mut want_f, ss, zs, dtype);
                each_isa(|isa| {
                    for invs in [None, Some(inv.as_slice())] {
                        let mut got = vec![0u8; n];
                        quantize_per_elem_with(isa, xs, &mut got, ss, zs, invs, dtype);
                        let fast = invs.is_some();
                        assert_eq!(got, want_q, "quantize {isa:?} {dtype:?} {fast} n={n}");
                    }
                    let mut got = vec![0f32; n];
                    dequantize_per_elem_with(isa, qs, &mut got, ss, zs, dtype);
                    assert_eq!(
                        bits(&got),
                        bits(&want_f),
                        "dequantize {isa:?} {dtype:?} n={n}"
                    );
                });
            }
        }
    }

    #[test]
    fn minmax_and_accumulate() {
        for n in LENS {
            let x = Guarded::new(&nasty(n, n as u64 + 4, 1.0));
            let start: Vec<f32> = nasty(n, n as u64 + 5, 1.0);
            let start = Guarded::new(&start);
            let acc = (0.5f32, 0.25f32);
            let (mn, mx) = minmax_with(Isa::Scalar, x.as_slice(), acc);
            let mut want = (start.as_slice().to_vec(), start.as_slice().to_vec());
            minmax_accumulate_with(Isa::Scalar, x.as_slice(), &mut want.0, &mut want.1);
            each_isa(|isa| {
                let got = minmax_with(isa, x.as_slice(), acc);
                assert_eq!(
                    (got.0.to_bits(), got.1.to_bits()),
                    (mn.to_bits(), mx.to_bits()),
                    "minmax {isa:?} n={n}"
                );
                let (mut mins, mut maxs) = (
                    Guarded::new(start.as_slice()),
                    Guarded::new(start.as_slice()),
                );
                minmax_accumulate_with(isa, x.as_slice(), mins.as_mut_slice(), maxs.as_mut_slice());
                assert_eq!(bits(mins.as_slice()), bits(&want.0), "mins {isa:?} n={n}");
                assert_eq!(bits(maxs.as_slice()), bits(&want.1), "maxs {isa:?} n={n}");
            });
        }
    }

    #[test]
    fn nibble_pack_unpack_and_fused_dequantize() {
        for n in LENS {
            let c = Guarded::new(&codes(n, n as u64 + 6));
            let p = Guarded::new(&codes(n.div_ceil(2), n as u64 + 7));
            for signed in [true, false] {
                let mut packed = vec![0u8; n.div_ceil(2)];
                pack_with(Isa::Scalar, c.as_slice(), &mut packed, signed);
                let mut unpacked = vec![0u8; n];
                unpack_with(Isa::Scalar, p.as_slice(), &mut unpacked, signed);
                let dtype = if signed { QDtype::I8 } else { QDtype::U8 };
                let zp = if signed { -2 } else { 9 };
                let mut want_f = vec![0f32; n];
                dequantize_with(Isa::Scalar, &unpacked, &mut want_f, 0.3, zp, dtype, Cached);
                each_isa(|isa| {
                    let mut got = vec![0u8; n.div_ceil(2)];
                    pack_with(isa, c.as_slice(), &mut got, signed);
                    assert_eq!(got, packed, "pack {isa:?} {signed} n={n}");
                    let mut got = vec![0u8; n];
                    unpack_with(isa, p.as_slice(), &mut got, signed);
                    assert_eq!(got, unpacked, "unpack {isa:?} {signed} n={n}");
                    for st in [Cached, Streaming] {
                        let mut got = vec![0f32; n];
                        let done = dequantize_nibbles_with(
                            isa,
                            p.as_slice(),
                            &mut got,
                            0.3,
                            zp,
                            signed,
                            st,
                        );
                        assert!(done <= n);
                        assert_eq!(
                            bits(&got[..done]),
                            bits(&want_f[..done]),
                            "nibbles {isa:?} n={n}"
                        );
                    }
                });
            }
        }
    }

    #[test]
    fn int4_per_tensor() {
        for n in LENS {
            let x = Guarded::new(&nasty(n, n as u64 + 8, 0.4));
            let q = Guarded::new(&codes(n.div_ceil(2), n as u64 + 9));
            let (s, z) = (Guarded::new(&[0.4f32]), Guarded::new(&[1i32]));
            for dtype in [Q4Dtype::I4, Q4Dtype::U4] {
                let run = |isa| {
                    cpu::with_isa(isa, |_| {
                        let (l, ss, zs) = (float8::Layout::PerTensor, s.as_slice(), z.as_slice());
                        let mut packed = vec![0u8; n.div_ceil(2)];
                        quantize_int4(x.as_slice(), l, ss, zs, dtype, &mut packed).unwrap();
                        let mut f = vec![0f32; n];
                        dequantize_int4(q.as_slice(), n, l, ss, zs, dtype, &mut f).unwrap();
                        (packed, bits(&f))
                    })
                };
                let want = run(Isa::Scalar);
                for isa in isas() {
                    assert!(run(isa) == want, "{isa:?} {dtype:?} n={n}");
                }
            }
        }
    }

    #[test]
    fn fp8_quantize_and_table_dequantize() {
        for n in LENS {
            let x = Guarded::new(&nasty(n, n as u64 + 10, 3.0));
            let q = Guarded::new(&codes(n, n as u64 + 11));
            for fmt in [Fp8Format::E4M3FN, Fp8Format::E5M2] {
                let scaled = fp8::scalar::decode_table(fmt).map(|v| v * 0.7);
                let table = Guarded::new(&scaled);
                let table: &[f32; 256] = table.as_slice().try_into().unwrap();
                let mut want_f = vec![0f32; n];
                fp8::dequantize_scaled_with(Isa::Scalar, q.as_slice(), &mut want_f, table, Cached);
                for sat in [true, false] {
                    let mut want = vec![0u8; n];
                    fp8::quantize_with(Isa::Scalar, x.as_slice(), &mut want, 0.7, fmt, sat);
                    each_isa(|isa| {
                        let mut got = vec![0u8; n];
                        fp8::quantize_with(isa, x.as_slice(), &mut got, 0.7, fmt, sat);
                        assert_eq!(got, want, "quantize {isa:?} {fmt:?} {sat} n={n}");
                    });
                }
                each_isa(|isa| {
                    for st in [Cached, Streaming] {
                        let mut got = vec![0f32; n];
                        fp8::dequantize_scaled_with(isa, q.as_slice(), &mut got, table, st);
                        assert_eq!(
                            bits(&got),
                            bits(&want_f),
                            "dequantize {isa:?} {fmt:?} n={n}"
                        );
                    }
                });
            }
        }
    }

    /// The public shaped layouts, whose runs hand the kernels sub-slices and whose scales
    /// and zero points are read per run: the last run ends at each guard.
    #[test]
    fn shaped_layouts() {
        for (rows, k, block) in [
            (1usize, 129usize, 16usize),
            (3, 33, 7),
            (5, 65, 64),
            (2, 1001, 100),
        ] {
            let n = rows * k;
            let shape = [rows, k];
            let nb = k.div_ceil(block);
            let mut r = Rng::new(n as u64);
            let scales: Vec<f32> = (0..rows * nb).map(|_| r.uniform(0.01, 0.3)).collect();
            let zps: Vec<i32> = (0..rows * nb).map(|i| (i % 11) as i32 - 5).collect();
            let x = Guarded::new(&nasty(n, n as u64 + 12, 0.1));
            let q = Guarded::new(&codes(n, n as u64 + 13));
            let (s, z) = (Guarded::new(&scales), Guarded::new(&zps));
            let (sa, za) = (Guarded::new(&scales[..rows]), Guarded::new(&zps[..rows]));
            let run = |isa| {
                cpu::with_isa(isa, |_| {
                    let (xs, qs) = (x.as_slice(), q.as_slice());
                    let mut out = (vec![0u8; n], vec![0f32; n], vec![0u8; n], vec![0f32; n]);
                    let (ss, zs, sas, zas) =
                        (s.as_slice(), z.as_slice(), sa.as_slice(), za.as_slice());
                    let d = QDtype::I8;
                    quantize_linear_blocked(xs, &shape, block, ss, zs, d, &mut out.0).unwrap();
                    dequantize_linear_blocked(qs, &shape, block, ss, zs, d, &mut out.1).unwrap();
                    quantize_linear_axis(xs, &shape, 0, sas, zas, d, &mut out.2).unwrap();
                    dequantize_linear_axis(qs, &shape, 0, sas, zas, d, &mut out.3).unwrap();
                    let mut f8 = (vec![0u8; n], vec![0f32; n]);
                    let l = float8::Layout::Blocked {
                        shape: &shape,
                        block_size: block,
                    };
                    quantize_fp8(xs, l, ss, Fp8Format::E4M3FN, true, &mut f8.0).unwrap();
                    dequantize_fp8(qs, l, ss, Fp8Format::E5M2, &mut f8.1).unwrap();
                    (out.0, bits(&out.1), out.2, bits(&out.3), f8.0, bits(&f8.1))
                })
            };
            let want = run(Isa::Scalar);
            for isa in isas() {
                assert!(run(isa) == want, "{isa:?} {rows}x{k} blocks of {block}");
            }
        }
    }
}
