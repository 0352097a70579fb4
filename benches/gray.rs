//! Grayscale throughput: scalar vs best SIMD vs SIMD on the pool, against a plain copy of
//! the same source bytes. `cargo bench --bench gray -- --warm-up-time 1 --measurement-time 2`
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa, OptLevel};
use scipix::image::gray::to_gray;
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let best = Isa::best_available();
    for format in [PixelFormat::Rgb8, PixelFormat::Bgra8] {
        let bpp = format.bytes_per_pixel();
        let mut g = c.benchmark_group(format!("gray/{}", format.name()));
        for side in [256usize, 512, 1024, 2048, 4096] {
            let n = side * side;
            let src: Vec<u8> = (0..n * bpp).map(|i| (i * 31 + i / 7) as u8).collect();
            let mut dst = vec![0u8; n];
            let mut copy = vec![0u8; n * bpp];
            g.throughput(Throughput::Elements(n as u64));
            let view = ImageView::packed(&src, side, side, format).unwrap();
            for (name, isa, level) in [
                ("scalar", Isa::Scalar, OptLevel::Simd),
                ("simd", best, OptLevel::Simd),
                ("simd_parallel", best, OptLevel::Full),
            ] {
                if side < 1024 && name == "scalar" && format == PixelFormat::Bgra8 {
                    continue;
                }
                g.bench_with_input(BenchmarkId::new(name, side), &side, |b, _| {
                    cpu::with_isa(isa, |_| {
                        cpu::set_opt_level(level);
                        b.iter(|| {
                            let mut d =
                                ImageViewMut::packed(&mut dst, side, side, PixelFormat::Gray8)
                                    .unwrap();
                            to_gray(black_box(&view), &mut d).unwrap();
                        })
                    })
                });
            }
            g.bench_with_input(BenchmarkId::new("memcpy_src_bytes", side), &side, |b, _| {
                b.iter(|| copy.copy_from_slice(black_box(&src)))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
