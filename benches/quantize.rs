//! Quantization throughput: per-tensor quantize / dequantize / min-max at 100K, 1M and 16M
//! elements and per-channel quantize of a [4096, 4096] weight, best SIMD vs scalar on one
//! thread, against a copy of the same bytes read plus written (int8 quantize: 4 read + 1
//! written per element; dequantize the reverse: both a memcpy of 2.5 bytes per element),
//! plus the pooled path at 16M.
//!
//! cargo bench --bench quantize -- --warm-up-time 1 --measurement-time 2
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa, OptLevel};
use scipix::quant::{self, QDtype, QParams};
use std::hint::black_box;

fn data(n: usize) -> Vec<f32> {
    let mut s = 0x1234_5678u32;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / 8_388_608.0 * 4.0 - 2.0
        })
        .collect()
}

/// Source and destination of the copy baseline for `n` int8 elements: 4n bytes read plus
/// n written is the traffic of a (4n + n) / 2 byte memcpy.
fn copy_buffers(n: usize) -> (Vec<u8>, Vec<u8>) {
    let len = (4 * n + n) / 2;
    (vec![1u8; len], vec![0u8; len])
}

fn sizes() -> [(usize, &'static str); 3] {
    [(100_000, "100K"), (1 << 20, "1M"), (16 << 20, "16M")]
}

fn per_tensor(c: &mut Criterion) {
    let best = Isa::best_available();
    let p = QParams::new(4.0 / 255.0, 0, QDtype::I8).unwrap();
    for (n, name) in sizes() {
        let x = data(n);
        let mut q = vec![0u8; n];
        let mut y = vec![0f32; n];
        let mut g = c.benchmark_group(format!("quantize/{name}"));
        g.throughput(Throughput::Elements(n as u64));
        for (label, isa) in [("simd", best), ("scalar", Isa::Scalar)] {
            g.bench_function(BenchmarkId::new("quantize", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| quant::quantize_linear(black_box(&x), &mut q, p, QDtype::I8))
                })
            });
            g.bench_function(BenchmarkId::new("dequantize", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| quant::dequantize_linear(black_box(&q), &mut y, p, QDtype::I8))
                })
            });
            g.bench_function(BenchmarkId::new("minmax", label), |b| {
                cpu::with_isa(isa, |_| b.iter(|| quant::minmax(black_box(&x))))
            });
        }
        if n >= 1 << 20 {
            g.bench_function(BenchmarkId::new("quantize", "simd+pool"), |b| {
                cpu::with_isa(best, |_| {
                    cpu::set_opt_level(OptLevel::Full);
                    b.iter(|| quant::quantize_linear(black_box(&x), &mut q, p, QDtype::I8))
                })
            });
        }
        let (src, mut dst) = copy_buffers(n);
        g.bench_function(BenchmarkId::new("copy_same_traffic", "memcpy"), |b| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
        g.finish();
    }
}

fn per_channel(c: &mut Criterion) {
    let best = Isa::best_available();
    let shape = [4096usize, 4096];
    let x = data(shape[0] * shape[1]);
    let mut q = vec![0u8; x.len()];
    let mut g = c.benchmark_group("per_channel/4096x4096");
    g.throughput(Throughput::Elements(x.len() as u64));
    for axis in [0usize, 1] {
        let (s, z) =
            quant::params_axis(&x, &shape, axis, QDtype::I8, quant::QMode::Symmetric, false)
                .unwrap();
        for (label, isa) in [("simd", best), ("scalar", Isa::Scalar)] {
            g.bench_function(
                BenchmarkId::new(format!("quantize_axis{axis}"), label),
                |b| {
                    cpu::with_isa(isa, |_| {
                        b.iter(|| {
                            quant::quantize_linear_axis(
                                black_box(&x),
                                &shape,
                                axis,
                                &s,
                                &z,
                                QDtype::I8,
                                &mut q,
                            )
                        })
                    })
                },
            );
        }
        g.bench_function(
            BenchmarkId::new(format!("params_axis{axis}"), "simd"),
            |b| {
                cpu::with_isa(best, |_| {
                    b.iter(|| {
                        quant::params_axis(
                            black_box(&x),
                            &shape,
                            axis,
                            QDtype::I8,
                            quant::QMode::Symmetric,
                            false,
                        )
                    })
                })
            },
        );
    }
    let (src, mut dst) = copy_buffers(x.len());
    g.bench_function(BenchmarkId::new("copy_same_traffic", "memcpy"), |b| {
        b.iter(|| dst.copy_from_slice(black_box(&src)))
    });
    g.finish();
}

/// Where splitting over the pool starts to pay (`linear::PARALLEL_CUTOFF`).
fn cutoff(c: &mut Criterion) {
    let best = Isa::best_available();
    let p = QParams::new(4.0 / 255.0, 0, QDtype::I8).unwrap();
    let mut g = c.benchmark_group("cutoff");
    for n in [
        64usize << 10,
        128 << 10,
        256 << 10,
        512 << 10,
        1 << 20,
        4 << 20,
    ] {
        let x = data(n);
        let mut q = vec![0u8; n];
        g.throughput(Throughput::Elements(n as u64));
        for (label, level) in [("one_thread", OptLevel::Simd), ("pool", OptLevel::Full)] {
            g.bench_function(BenchmarkId::new(label, n), |b| {
                cpu::with_isa(best, |_| {
                    cpu::set_opt_level(level);
                    b.iter(|| {
                        // Always split here, whatever the cut-off, to measure the split.
                        if level == OptLevel::Full {
                            scipix::parallel::install(|| {
                                use rayon::prelude::*;
                                q.par_chunks_mut(1 << 16)
                                    .zip(x.par_chunks(1 << 16))
                                    .for_each(|(o, i)| {
                                        let _ = quant::quantize_linear(i, o, p, QDtype::I8);
                                    })
                            })
                        } else {
                            let _ = quant::quantize_linear(black_box(&x), &mut q, p, QDtype::I8);
                        }
                    })
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, per_tensor, per_channel, cutoff);
criterion_main!(benches);
