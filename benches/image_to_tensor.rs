//! Image-to-tensor throughput (pixels/s): RGB -> NCHW with the torchvision rule (two
//! divisions per element, the slowest) and the OpenCV blobFromImage rule (subtract and
//! multiply), scalar vs the best SIMD kernel single-threaded, a batch of 8 images on the
//! pool, and a copy of the same bytes read plus written (3 bytes read + 12 written per
//! pixel) as the memory-speed baseline.
//!
//! cargo bench --bench image_to_tensor -- --warm-up-time 1 --measurement-time 2
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa, OptLevel};
use scipix::image::{ImageView, PixelFormat};
use scipix::tensor::{image_to_tensor, images_to_tensor, TensorParams};
use std::hint::black_box;

fn pixels(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| ((i as u32).wrapping_mul(2654435761) >> 24) as u8)
        .collect()
}

fn bench(c: &mut Criterion) {
    let best = Isa::best_available();
    let label = |isa: Isa| isa.name();
    let torch = TensorParams {
        divisor: 255.0,
        mean: [0.485, 0.456, 0.406, 0.0],
        std: [0.229, 0.224, 0.225, 1.0],
        ..TensorParams::default()
    };
    let blob = TensorParams {
        scale: 1.0 / 255.0,
        mean: [104.0, 117.0, 123.0, 0.0],
        swap_rb: true,
        ..TensorParams::default()
    };
    let mut g = c.benchmark_group("image_to_tensor");
    for side in [224usize, 640, 1024] {
        let buf = pixels(side * side * 3);
        let img = ImageView::packed(&buf, side, side, PixelFormat::Bgr8).unwrap();
        let mut out = vec![0f32; 3 * side * side];
        // Reads 3 bytes and writes 12 per pixel: a copy of 7.5 bytes per pixel.
        let copy_len = (3 + 12) * side * side / 2;
        let copy_src = vec![1u8; copy_len];
        let mut copy_dst = vec![0u8; copy_len];
        g.throughput(Throughput::Elements((side * side) as u64));
        for (rule, p) in [("torch", &torch), ("blob", &blob)] {
            for isa in [Isa::Scalar, best] {
                let id = BenchmarkId::new(format!("{rule}/{}", label(isa)), side);
                g.bench_with_input(id, &side, |b, _| {
                    cpu::with_isa(isa, |_| {
                        b.iter(|| image_to_tensor(black_box(&img), p, black_box(&mut out)).unwrap())
                    })
                });
            }
        }
        g.bench_with_input(
            BenchmarkId::new("copy_same_traffic", side),
            &side,
            |b, _| b.iter(|| black_box(&mut copy_dst).copy_from_slice(black_box(&copy_src))),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("images_to_tensor_batch8");
    let side = 224;
    let buf = pixels(side * side * 3);
    let img = ImageView::packed(&buf, side, side, PixelFormat::Bgr8).unwrap();
    let imgs = [img; 8];
    let mut out = vec![0f32; 8 * 3 * side * side];
    g.throughput(Throughput::Elements((8 * side * side) as u64));
    for (rule, p) in [("torch", &torch), ("blob", &blob)] {
        g.bench_function(format!("{rule}/{}/1thread", label(best)), |b| {
            cpu::with_isa(best, |_| {
                b.iter(|| images_to_tensor(black_box(&imgs), p, black_box(&mut out)).unwrap())
            })
        });
        g.bench_function(format!("{rule}/{}/pool", label(best)), |b| {
            let old = cpu::opt_level();
            cpu::set_opt_level(OptLevel::Full);
            b.iter(|| images_to_tensor(black_box(&imgs), p, black_box(&mut out)).unwrap());
            cpu::set_opt_level(old);
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
