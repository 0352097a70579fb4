//! Pillow-family resize, one thread, 1920x1080 RGB8 source: scipix scalar vs each SIMD
//! family, against `fast_image_resize` (same filter and sizes; its coefficients differ
//! slightly from Pillow's, so it is a speed peer only) and a copy of the same bytes read
//! plus written (the source read once, the destination written once).
//! `cargo bench --bench resize_pillow -- --warm-up-time 1 --measurement-time 3`
//! Pillow itself: `python3 benches/peers_resize_pillow.py`.
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fast_image_resize as fr;
use scipix::cpu::{self, Isa};
use scipix::image::resize::{Filter, Resizer, Scratch};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use std::hint::black_box;

#[path = "common/photo.rs"]
mod photo;
use photo::photo;

fn bench(c: &mut Criterion) {
    let (sw, sh) = (1920usize, 1080usize);
    let src = photo(sw, sh);
    let view = ImageView::packed(&src, sw, sh, PixelFormat::Rgb8).unwrap();
    let fr_src =
        fr::images::ImageRef::new(sw as u32, sh as u32, &src, fr::PixelType::U8x3).unwrap();
    for ((dw, dh), filter, fr_filter) in [
        (
            (640usize, 640usize),
            Filter::PilBilinear,
            fr::FilterType::Bilinear,
        ),
        ((224, 224), Filter::PilBilinear, fr::FilterType::Bilinear),
        ((640, 640), Filter::PilBicubic, fr::FilterType::CatmullRom),
        ((640, 640), Filter::PilLanczos, fr::FilterType::Lanczos3),
    ] {
        let mut g = c.benchmark_group(format!("resize_pillow/{}/{dw}x{dh}", filter.name()));
        g.sample_size(20);
        let r = Resizer::new(sw, sh, dw, dh, PixelFormat::Rgb8, filter).unwrap();
        let mut out = vec![0u8; dw * dh * 3];
        let mut scratch = Scratch::default();
        for isa in Isa::available() {
            g.bench_function(BenchmarkId::new("scipix", isa.name()), |b| {
                cpu::with_isa(isa, |_| {
                    b.iter(|| {
                        let mut d =
                            ImageViewMut::packed(&mut out, dw, dh, PixelFormat::Rgb8).unwrap();
                        r.resize_window(black_box(&view), 0, 0, &mut d, &mut scratch)
                            .unwrap();
                    })
                })
            });
        }
        let mut fr_dst = fr::images::Image::new(dw as u32, dh as u32, fr::PixelType::U8x3);
        let mut fr_resizer = fr::Resizer::new();
        let opts = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr_filter));
        g.bench_function("fast_image_resize", |b| {
            b.iter(|| {
                fr_resizer
                    .resize(black_box(&fr_src), &mut fr_dst, &opts)
                    .unwrap()
            })
        });
        let len = (src.len() + out.len()) / 2;
        let mut copy = vec![0u8; len];
        g.bench_function("copy_same_traffic", |b| {
            b.iter(|| copy.copy_from_slice(black_box(&src[..len])))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
