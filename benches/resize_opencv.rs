//! OpenCV-family resize, one thread: scalar vs the best ISA, against a copy that reads and
//! writes the same bytes (source in, destination out), on a 1920x1080 RGB8 photo-like frame.
//! `cargo bench --bench resize_opencv -- --warm-up-time 1 --measurement-time 2`
//!
//! Copy baseline rule (every bench in benches/): a "copy" row moves the same memory traffic
//! as the operation it sits next to: an operation that reads R bytes and writes W bytes is
//! compared with a memcpy of (R + W) / 2 bytes (which reads that many and writes that many).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use scipix::cpu::{self, Isa, OptLevel};
use scipix::image::resize::{Filter, Resizer, Scratch};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use std::hint::black_box;

fn frame(w: usize, h: usize) -> Vec<u8> {
    let mut s = 0x1234_5678_9abc_def1u64;
    let mut v = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let smooth = (x * 255 / w + y * 128 / h + c * 50) as u64;
                v.push((smooth + (s >> 60)) as u8);
            }
        }
    }
    v
}

fn bench(c: &mut Criterion) {
    let (sw, sh) = (1920usize, 1080usize);
    let fmt = PixelFormat::Rgb8;
    let src = frame(sw, sh);
    let view = ImageView::packed(&src, sw, sh, fmt).unwrap();
    let best = Isa::best_available();
    let filters = [
        Filter::CvLinear,
        Filter::CvCubic,
        Filter::CvArea,
        Filter::CvLinearExact,
        Filter::CvNearest,
        Filter::CvNearestExact,
    ];
    for (dw, dh) in [(640usize, 640usize), (224, 224)] {
        let mut g = c.benchmark_group(format!("resize_opencv/1920x1080_rgb8_to_{dw}x{dh}"));
        let mut dst = vec![0u8; dw * dh * 3];
        for filter in filters {
            let r = Resizer::new(sw, sh, dw, dh, fmt, filter).unwrap();
            for (name, isa) in [("scalar", Isa::Scalar), ("best", best)] {
                g.bench_with_input(BenchmarkId::new(name, filter.name()), &filter, |b, _| {
                    cpu::with_isa(isa, |_| {
                        cpu::set_opt_level(OptLevel::Simd);
                        let mut scratch = Scratch::default();
                        b.iter(|| {
                            let mut d = ImageViewMut::packed(&mut dst, dw, dh, fmt).unwrap();
                            r.resize_window(black_box(&view), 0, 0, &mut d, &mut scratch)
                                .unwrap();
                        })
                    })
                });
            }
        }
        // The same bytes moved: the source read once plus the destination written once,
        // as a memcpy of (source + destination) / 2 bytes.
        let len = (src.len() + dst.len()) / 2;
        let mut sink = vec![0u8; len];
        g.bench_function("copy_same_traffic", |b| {
            b.iter(|| sink.copy_from_slice(black_box(&src[..len])))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
