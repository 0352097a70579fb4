//! Colour to Otsu binary (`image::binarize::binarize_otsu`) at 1024^2 and 4096^2 RGB8, noise
//! and photo-like input: each ISA forced, the same work as two calls (gray, then Otsu
//! threshold), and a copy moving the same bytes (3 read + 1 written per pixel).
//! `cargo bench --bench binarize -- --warm-up-time 1 --measurement-time 3`
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::cpu::{self, Isa, OptLevel};
use scipix::image::binarize::binarize_otsu;
use scipix::image::gray::to_gray;
use scipix::image::threshold::{threshold_otsu, ThresholdType};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use std::hint::black_box;

fn noise(n: usize) -> Vec<u8> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

/// Two tones in smooth blobs with a slow gradient and one level of noise.
fn photo(side: usize) -> Vec<u8> {
    let jitter = noise(side * side);
    let mut v = Vec::with_capacity(side * side * 3);
    for y in 0..side {
        for x in 0..side {
            let blob = ((x / 97 + y / 61) % 3 == 0) as usize;
            let g = 60 + 120 * blob + 40 * x / side + (jitter[y * side + x] & 1) as usize;
            v.extend_from_slice(&[g as u8, (g + 9) as u8, (g + 18) as u8]);
        }
    }
    v
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("binarize_otsu_rgb8");
    for side in [1024usize, 4096] {
        let n = side * side;
        g.throughput(Throughput::Elements(n as u64));
        for (kind, src) in [("noise", noise(n * 3)), ("photo", photo(side))] {
            let view = ImageView::packed(&src, side, side, PixelFormat::Rgb8).unwrap();
            let mut dst = vec![0u8; n];
            let mut gray = vec![0u8; n];
            for isa in Isa::available() {
                let id = BenchmarkId::new(format!("{kind}/{isa:?}"), side);
                g.bench_with_input(id, &side, |b, _| {
                    cpu::with_isa(isa, |_| {
                        cpu::set_opt_level(OptLevel::Simd);
                        b.iter(|| {
                            let mut d =
                                ImageViewMut::packed(&mut dst, side, side, PixelFormat::Gray8)
                                    .unwrap();
                            binarize_otsu(
                                black_box(&view),
                                &mut d,
                                None,
                                255.0,
                                ThresholdType::Binary,
                            )
                            .unwrap()
                        })
                    })
                });
            }
            g.bench_with_input(
                BenchmarkId::new(format!("{kind}/two_calls"), side),
                &side,
                |b, _| {
                    cpu::set_opt_level(OptLevel::Simd);
                    b.iter(|| {
                        let mut gv =
                            ImageViewMut::packed(&mut gray, side, side, PixelFormat::Gray8)
                                .unwrap();
                        to_gray(black_box(&view), &mut gv).unwrap();
                        let gs = ImageView::packed(&gray, side, side, PixelFormat::Gray8).unwrap();
                        let mut d =
                            ImageViewMut::packed(&mut dst, side, side, PixelFormat::Gray8).unwrap();
                        threshold_otsu(&gs, &mut d, 255.0, ThresholdType::Binary).unwrap()
                    })
                },
            );
        }
        // memcpy of 2 bytes per pixel: 2 read + 2 written, the fused call's 3 + 1.
        let a = noise(2 * n);
        let mut b2 = vec![0u8; 2 * n];
        g.bench_with_input(
            BenchmarkId::new("memcpy_same_bytes", side),
            &side,
            |b, _| b.iter(|| b2.copy_from_slice(black_box(&a))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
