//! Normalization throughput: scalar vs the best SIMD kernel (both single-threaded), the
//! parallel path at 16M, and a plain copy of the same bytes as the memory-speed baseline.
//!
//! cargo bench --bench normalize -- --warm-up-time 1 --measurement-time 2
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).
//! Normalization reads 4 and writes 4 bytes per element, so the copy is of the f32 input.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa, OptLevel};
use scipix::tensor::{normalize, normalize_channels, Layout};
use std::hint::black_box;

fn data(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| 1.0e4 + ((i as u32).wrapping_mul(2654435761) >> 8) as f32 / (1 << 24) as f32)
        .collect()
}

fn bench(c: &mut Criterion) {
    let best = Isa::best_available();
    let label = |isa: Isa| isa.name();
    let mut g = c.benchmark_group("normalize");
    for n in [128usize, 512, 2048, 8192, 1 << 24] {
        let x = data(n);
        let mut y = vec![0f32; n];
        g.throughput(Throughput::Elements(n as u64));
        if n >= 1 << 20 {
            g.sample_size(10);
        }
        for isa in [Isa::Scalar, best] {
            g.bench_with_input(BenchmarkId::new(label(isa), n), &n, |b, _| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| normalize(black_box(&x), black_box(&mut y), 1e-8).unwrap())
                })
            });
        }
        if n >= 1 << 20 {
            g.bench_with_input(BenchmarkId::new("simd+threads", n), &n, |b, _| {
                let old = cpu::opt_level();
                cpu::set_opt_level(OptLevel::Full);
                b.iter(|| normalize(black_box(&x), black_box(&mut y), 1e-8).unwrap());
                cpu::set_opt_level(old);
            });
        }
        g.bench_with_input(BenchmarkId::new("copy", n), &n, |b, _| {
            b.iter(|| black_box(&mut y).copy_from_slice(black_box(&x)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("normalize_channels_hwc3");
    let n = 3 * 640 * 640;
    let x = data(n);
    let mut y = vec![0f32; n];
    let (mean, std) = ([123.675f32, 116.28, 103.53], [58.395f32, 57.12, 57.375]);
    g.throughput(Throughput::Elements(n as u64));
    for isa in [Isa::Scalar, best] {
        g.bench_with_input(BenchmarkId::new(label(isa), n), &n, |b, _| {
            cpu::with_isa(isa, |_| {
                b.iter(|| normalize_channels(&x, &mut y, Layout::Nhwc, &mean, &std).unwrap())
            })
        });
    }
    g.bench_with_input(BenchmarkId::new("copy", n), &n, |b, _| {
        b.iter(|| black_box(&mut y).copy_from_slice(black_box(&x)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
