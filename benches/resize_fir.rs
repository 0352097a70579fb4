//! scipix's Pillow-family resize against `fast_image_resize` (fir), one thread, same run,
//! 1920x1080 RGB8 photo-like source -> 640x640 and 224x224, plus a copy of the bytes each
//! side must at least read and write. Filter pairs (same continuous kernel and support,
//! Pillow's window rule; fir's i16 coefficients round differently, so fir is a speed peer
//! only): BOX = `Convolution(Box)`, BILINEAR = `Convolution(Bilinear)`, BICUBIC =
//! `Convolution(CatmullRom)` (Keys a = -0.5), LANCZOS = `Convolution(Lanczos3)`;
//! NEAREST = `ResizeAlg::Nearest`. Also: the cost of building the tables (`Resizer::new`)
//! against one resize, and the letterbox -> tensor pipeline split into its resize, its
//! f32 stores and a copy of the same bytes.
//! `cargo bench --bench resize_fir -- --warm-up-time 1 --measurement-time 3`
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fast_image_resize as fr;
use scipix::image::resize::{letterbox_geometry, Filter, LetterboxOptions, Resizer, Scratch};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use scipix::tensor::{Layout, Pipeline, PipelineSpec};
use std::hint::black_box;

#[path = "common/photo.rs"]
mod photo;
use photo::photo;

fn bench(c: &mut Criterion) {
    scipix::parallel::set_num_threads(1).unwrap();
    let (sw, sh) = (1920usize, 1080usize);
    let src = photo(sw, sh);
    let view = ImageView::packed(&src, sw, sh, PixelFormat::Rgb8).unwrap();
    let fr_src =
        fr::images::ImageRef::new(sw as u32, sh as u32, &src, fr::PixelType::U8x3).unwrap();
    let filters = [
        (Filter::PilNearest, fr::ResizeAlg::Nearest),
        (
            Filter::PilBox,
            fr::ResizeAlg::Convolution(fr::FilterType::Box),
        ),
        (
            Filter::PilBilinear,
            fr::ResizeAlg::Convolution(fr::FilterType::Bilinear),
        ),
        (
            Filter::PilBicubic,
            fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom),
        ),
        (
            Filter::PilLanczos,
            fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3),
        ),
    ];
    for (dw, dh) in [(640usize, 640usize), (224, 224)] {
        // Every source byte is read by the convolutions (and every cache line by NEAREST).
        let moved = src.len() + dw * dh * 3;
        let (cs, mut cd) = (vec![1u8; moved / 2], vec![0u8; moved / 2]);
        for (filter, alg) in filters {
            let mut g = c.benchmark_group(format!("resize_fir/{}/{dw}x{dh}", filter.name()));
            g.sample_size(20);
            let r = Resizer::new(sw, sh, dw, dh, PixelFormat::Rgb8, filter).unwrap();
            let mut out = vec![0u8; dw * dh * 3];
            let mut scratch = Scratch::default();
            let mut fr_dst = fr::images::Image::new(dw as u32, dh as u32, fr::PixelType::U8x3);
            let mut fr_resizer = fr::Resizer::new();
            let opts = fr::ResizeOptions::new().resize_alg(alg);
            // Criterion runs the functions one after the other: compare within one run only.
            g.bench_function("scipix", |b| {
                b.iter(|| {
                    let mut d = ImageViewMut::packed(&mut out, dw, dh, PixelFormat::Rgb8).unwrap();
                    r.resize_window(black_box(&view), 0, 0, &mut d, &mut scratch)
                        .unwrap();
                })
            });
            g.bench_function("fast_image_resize", |b| {
                b.iter(|| {
                    fr_resizer
                        .resize(black_box(&fr_src), &mut fr_dst, &opts)
                        .unwrap()
                })
            });
            g.bench_function("scipix_tables_only", |b| {
                b.iter(|| Resizer::new(sw, sh, dw, dh, PixelFormat::Rgb8, black_box(filter)))
            });
            g.bench_function(BenchmarkId::new("copy_bytes", moved), |b| {
                b.iter(|| cd.copy_from_slice(black_box(&cs)))
            });
            g.finish();
        }
    }

    // Letterbox -> NCHW /255 tensor, BGR frame: the whole pipeline, its resize alone
    // (cv INTER_LINEAR to the letterbox's inner size), and a copy of source + tensor bytes.
    let bgr = ImageView::packed(&src, sw, sh, PixelFormat::Bgr8).unwrap();
    let o = LetterboxOptions::default();
    let geo = letterbox_geometry(sw, sh, &o).unwrap();
    let spec = PipelineSpec::Letterbox(o, Layout::Nchw);
    let pipe = Pipeline::new(sw, sh, PixelFormat::Bgr8, &spec).unwrap();
    let mut t = vec![0f32; pipe.tensor_len().unwrap()];
    let rz = Resizer::new(
        sw,
        sh,
        geo.resized_w,
        geo.resized_h,
        PixelFormat::Bgr8,
        Filter::CvLinear,
    )
    .unwrap();
    let mut inner = vec![0u8; geo.resized_w * geo.resized_h * 3];
    let moved = src.len() + t.len() * 4;
    let (cs, mut cd) = (vec![1u8; moved / 2], vec![0u8; moved / 2]);
    let mut g = c.benchmark_group("letterbox_tensor/640x640");
    g.sample_size(20);
    g.bench_function("pipeline", |b| {
        b.iter(|| pipe.run(black_box(&bgr), &mut t).unwrap())
    });
    g.bench_function("resize_only", |b| {
        b.iter(|| {
            let mut d =
                ImageViewMut::packed(&mut inner, geo.resized_w, geo.resized_h, PixelFormat::Bgr8)
                    .unwrap();
            rz.resize(black_box(&bgr), &mut d).unwrap()
        })
    });
    g.bench_function("fill_tensor_f32", |b| b.iter(|| t.fill(black_box(0.5))));
    g.bench_function("tables_only", |b| {
        b.iter(|| Pipeline::new(sw, sh, PixelFormat::Bgr8, black_box(&spec)).unwrap())
    });
    g.bench_function(BenchmarkId::new("copy_bytes", moved), |b| {
        b.iter(|| cd.copy_from_slice(black_box(&cs)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
