//! Grayscale throughput: scalar vs best SIMD vs SIMD on the pool, against a copy of the
//! same bytes read plus written (bpp bytes read + 1 written per pixel).
//! `cargo bench --bench gray -- --warm-up-time 1 --measurement-time 2`
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).
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
            // Reads n * bpp, writes n: a copy of (n * bpp + n) / 2 bytes moves the same.
            let copy_len = (n * bpp + n) / 2;
            let mut copy = vec![0u8; copy_len];
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
            g.bench_with_input(
                BenchmarkId::new("copy_same_traffic", side),
                &side,
                |b, _| b.iter(|| copy.copy_from_slice(black_box(&src[..copy_len]))),
            );
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
