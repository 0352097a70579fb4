//! Low-precision throughput, one thread: f32 -> f16 / bf16 at 1M and 16M elements against a
//! copy that moves the same bytes (reads 4 + writes 2 bytes per element = a memcpy of 3
//! bytes per element), and int4 / FP8 quantize against the scalar path and a copy of the
//! same bytes (4 read + 1/2 or 1 written). Ratios only mean something within one run.
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).
//!
//! cargo bench --bench lowprec -- --warm-up-time 1 --measurement-time 2

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa, Store};
use scipix::model::convert;
use scipix::quant::{self, Fp8Format, Layout, Q4Dtype};
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

fn sizes() -> [(usize, &'static str); 2] {
    [(1 << 20, "1M"), (16 << 20, "16M")]
}

/// One thread, as the bench table states: 16M elements is above the pool cut-offs.
fn one_thread() {
    scipix::parallel::set_num_threads(1).unwrap();
}

fn narrow(c: &mut Criterion) {
    one_thread();
    let best = Isa::best_available();
    for (n, name) in sizes() {
        let x = data(n);
        let mut h = vec![0u16; n];
        let mut g = c.benchmark_group(format!("narrow/{name}"));
        g.throughput(Throughput::Elements(n as u64));
        for (label, isa) in [("simd", best), ("scalar", Isa::Scalar)] {
            g.bench_function(BenchmarkId::new("f32_to_f16", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| convert::f32_to_f16(black_box(&x), &mut h))
                })
            });
            g.bench_function(BenchmarkId::new("f32_to_bf16", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| convert::f32_to_bf16(black_box(&x), &mut h))
                })
            });
        }
        let src = vec![1u8; 3 * n];
        let mut dst = vec![0u8; 3 * n];
        g.bench_function(BenchmarkId::new("copy_6_bytes_per_elem", "memcpy"), |b| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
        g.finish();
    }
}

/// Where streaming stores start to win: f32 -> f16 / bf16 (best ISA, one thread) with
/// cached and streaming stores forced, at outputs of 1 to 32 MiB.
fn stream_cutoff(c: &mut Criterion) {
    one_thread();
    let best = Isa::best_available();
    for mib in [1usize, 2, 4, 8, 16, 32] {
        let n = mib << 19; // 2-byte outputs
        let x = data(n);
        let mut h = vec![0u16; n];
        let mut g = c.benchmark_group(format!("stream_cutoff/{mib}MiB"));
        g.throughput(Throughput::Elements(n as u64));
        for (name, bf16) in [("f16", false), ("bf16", true)] {
            for (label, store) in [("cached", Store::Cached), ("streaming", Store::Streaming)] {
                g.bench_function(BenchmarkId::new(name, label), |b| {
                    cpu::with_isa(best, |_| {
                        b.iter(|| {
                            convert::f32_to_half_with_store(bf16, black_box(&x), &mut h, store)
                        })
                    })
                });
            }
        }
        g.finish();
    }
}

fn lowbit(c: &mut Criterion) {
    one_thread();
    let best = Isa::best_available();
    for (n, name) in sizes() {
        let x = data(n);
        let mut q = vec![0u8; n];
        let mut g = c.benchmark_group(format!("lowbit/{name}"));
        g.throughput(Throughput::Elements(n as u64));
        for (label, isa) in [("simd", best), ("scalar", Isa::Scalar)] {
            g.bench_function(BenchmarkId::new("quantize_int4", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| {
                        quant::quantize_int4(
                            black_box(&x),
                            Layout::PerTensor,
                            &[0.37],
                            &[0],
                            Q4Dtype::I4,
                            &mut q,
                        )
                    })
                })
            });
            g.bench_function(BenchmarkId::new("quantize_fp8_e4m3fn", label), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| {
                        quant::quantize_fp8(
                            black_box(&x),
                            Layout::PerTensor,
                            &[0.01],
                            Fp8Format::E4M3FN,
                            true,
                            &mut q,
                        )
                    })
                })
            });
        }
        let src = vec![1u8; (4 * n + n) / 2];
        let mut dst = vec![0u8; src.len()];
        g.bench_function(BenchmarkId::new("copy_int4_bytes", "memcpy"), |b| {
            b.iter(|| {
                dst[..(4 * n + n / 2) / 2].copy_from_slice(black_box(&src[..(4 * n + n / 2) / 2]))
            })
        });
        g.bench_function(BenchmarkId::new("copy_fp8_bytes", "memcpy"), |b| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
        g.finish();
    }
}

criterion_group!(benches, narrow, lowbit, stream_cutoff);
criterion_main!(benches);
