//! Threshold and Otsu throughput on GRAY8 images of 1K..16M pixels: scalar vs best SIMD vs
//! SIMD on the pool, against a copy of the same bytes read plus written (threshold and
//! adaptive: 1 read + 1 written per pixel; Otsu's threshold alone: 1 read, nothing written).
//! `cargo bench --bench threshold -- --warm-up-time 1 --measurement-time 2`
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa, OptLevel};
use scipix::image::threshold::{adaptive_threshold_mean, otsu_threshold, threshold, ThresholdType};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use std::hint::black_box;

fn dims(n: usize) -> (usize, usize) {
    let w = n.min(4096);
    (w, n / w)
}

fn bench(c: &mut Criterion) {
    let best = Isa::best_available();
    let modes = [
        ("scalar", Isa::Scalar, OptLevel::Simd),
        ("simd", best, OptLevel::Simd),
        ("simd_parallel", best, OptLevel::Full),
    ];
    let sizes = [1usize << 10, 1 << 14, 1 << 18, 1 << 20, 1 << 24];
    let mut g = c.benchmark_group("threshold_binary");
    for n in sizes {
        let (w, h) = dims(n);
        let src: Vec<u8> = (0..n).map(|i| (i * 131 + i / 4099) as u8).collect();
        let mut dst = vec![0u8; n];
        g.throughput(Throughput::Elements(n as u64));
        let view = ImageView::packed(&src, w, h, PixelFormat::Gray8).unwrap();
        for (name, isa, level) in modes {
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                cpu::with_isa(isa, |_| {
                    cpu::set_opt_level(level);
                    b.iter(|| {
                        let mut d =
                            ImageViewMut::packed(&mut dst, w, h, PixelFormat::Gray8).unwrap();
                        threshold(
                            black_box(&view),
                            &mut d,
                            127.0,
                            255.0,
                            ThresholdType::Binary,
                        )
                        .unwrap()
                    })
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("memcpy", n), &n, |b, _| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("otsu");
    for n in sizes {
        let (w, h) = dims(n);
        let src: Vec<u8> = (0..n).map(|i| (i * 131 + i / 4099) as u8).collect();
        g.throughput(Throughput::Elements(n as u64));
        let view = ImageView::packed(&src, w, h, PixelFormat::Gray8).unwrap();
        for (name, isa, level) in [modes[1], modes[2]] {
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                cpu::with_isa(isa, |_| {
                    cpu::set_opt_level(level);
                    b.iter(|| otsu_threshold(black_box(&view)).unwrap())
                })
            });
        }
        let mut half = vec![0u8; n / 2];
        g.bench_with_input(BenchmarkId::new("copy_same_traffic", n), &n, |b, _| {
            b.iter(|| half.copy_from_slice(black_box(&src[..n / 2])))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("adaptive_mean_11");
    for n in [1usize << 20, 1 << 22] {
        let (w, h) = dims(n);
        let src: Vec<u8> = (0..n).map(|i| (i * 131 + i / 4099) as u8).collect();
        let mut dst = vec![0u8; n];
        g.throughput(Throughput::Elements(n as u64));
        let view = ImageView::packed(&src, w, h, PixelFormat::Gray8).unwrap();
        for (name, isa, level) in [modes[1], modes[2]] {
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                cpu::with_isa(isa, |_| {
                    cpu::set_opt_level(level);
                    b.iter(|| {
                        let mut d =
                            ImageViewMut::packed(&mut dst, w, h, PixelFormat::Gray8).unwrap();
                        adaptive_threshold_mean(
                            black_box(&view),
                            &mut d,
                            255.0,
                            ThresholdType::Binary,
                            11,
                            5.0,
                        )
                        .unwrap()
                    })
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("memcpy", n), &n, |b, _| {
            b.iter(|| dst.copy_from_slice(black_box(&src)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
