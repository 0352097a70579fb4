//! Fixed cost of one C API call on tiny images: `scipix_resize` 4x4 -> 2x2 (GRAY8 and RGB8,
//! CV_LINEAR), a `ScipixResizer` run on the same sizes (tables built once), `scipix_gray`
//! RGB8 4x4, `scipix_threshold`, `scipix_threshold_otsu`, `scipix_binarize_otsu` (RGB8)
//! and `scipix_adaptive_threshold_mean` (3x3) 4x4, called as a C caller would (extern "C" functions,
//! descriptors built once), at SCIPIX_OPT_SIMD (SIMD kernels, no pool) as the peer scripts.
//! What the Python package adds on top is benches/peers_overhead.py.
//! `cargo bench --bench capi_overhead -- --warm-up-time 1 --measurement-time 2`
use criterion::{criterion_group, criterion_main, Criterion};
use scipix::capi::cpu::scipix_set_opt_level;
use scipix::capi::image_desc::{
    ScipixImage, ScipixImageMut, SCIPIX_FORMAT_GRAY8, SCIPIX_FORMAT_RGB8,
};
use scipix::capi::image_ops::{
    scipix_adaptive_threshold_mean, scipix_binarize_otsu, scipix_gray, scipix_threshold,
    scipix_threshold_otsu, SCIPIX_THRESH_BINARY,
};
use scipix::capi::resize::{
    scipix_resize, scipix_resizer_free, scipix_resizer_new, scipix_resizer_run, ScipixResizer,
    SCIPIX_RESIZE_CV_LINEAR,
};
use scipix::capi::ScipixStatus;
use std::hint::black_box;

fn src(a: &[u8], w: usize, h: usize, ch: usize, format: u32) -> ScipixImage {
    ScipixImage {
        data: a.as_ptr(),
        width: w,
        height: h,
        stride: w * ch,
        format,
    }
}

fn dst(a: &mut [u8], w: usize, h: usize, ch: usize, format: u32) -> ScipixImageMut {
    ScipixImageMut {
        data: a.as_mut_ptr(),
        width: w,
        height: h,
        stride: w * ch,
        format,
    }
}

fn bench(c: &mut Criterion) {
    assert_eq!(scipix_set_opt_level(1), ScipixStatus::SCIPIX_OK); // SCIPIX_OPT_SIMD
    let g: Vec<u8> = (0..16u8).map(|i| i * 13).collect();
    let rgb: Vec<u8> = (0..48u8).map(|i| i * 5).collect();
    let (mut o2, mut o2c, mut o4) = (vec![0u8; 4], vec![0u8; 12], vec![0u8; 16]);
    let (sg, srgb) = (
        src(&g, 4, 4, 1, SCIPIX_FORMAT_GRAY8),
        src(&rgb, 4, 4, 3, SCIPIX_FORMAT_RGB8),
    );
    let d2 = dst(&mut o2, 2, 2, 1, SCIPIX_FORMAT_GRAY8);
    let d2c = dst(&mut o2c, 2, 2, 3, SCIPIX_FORMAT_RGB8);
    let d4 = dst(&mut o4, 4, 4, 1, SCIPIX_FORMAT_GRAY8);
    let ok = ScipixStatus::SCIPIX_OK;
    let mut g_ = c.benchmark_group("capi_overhead");
    g_.bench_function("resize_4x4_2x2_gray", |b| {
        b.iter(|| {
            assert_eq!(
                scipix_resize(black_box(&sg), &d2, SCIPIX_RESIZE_CV_LINEAR),
                ok
            )
        })
    });
    g_.bench_function("resize_4x4_2x2_rgb", |b| {
        b.iter(|| {
            assert_eq!(
                scipix_resize(black_box(&srgb), &d2c, SCIPIX_RESIZE_CV_LINEAR),
                ok
            )
        })
    });
    let mut r: *mut ScipixResizer = std::ptr::null_mut();
    assert_eq!(
        scipix_resizer_new(
            4,
            4,
            2,
            2,
            SCIPIX_FORMAT_GRAY8,
            SCIPIX_RESIZE_CV_LINEAR,
            &mut r
        ),
        ok
    );
    g_.bench_function("resizer_run_4x4_2x2_gray", |b| {
        b.iter(|| assert_eq!(scipix_resizer_run(r, black_box(&sg), &d2), ok))
    });
    scipix_resizer_free(r);
    g_.bench_function("gray_4x4_rgb", |b| {
        b.iter(|| assert_eq!(scipix_gray(black_box(&srgb), &d4), ok))
    });
    g_.bench_function("threshold_4x4", |b| {
        b.iter(|| {
            assert_eq!(
                scipix_threshold(black_box(&sg), &d4, 127.0, 255.0, SCIPIX_THRESH_BINARY),
                ok
            )
        })
    });
    let mut t = 0u8;
    g_.bench_function("threshold_otsu_4x4", |b| {
        b.iter(|| {
            assert_eq!(
                scipix_threshold_otsu(black_box(&sg), &d4, 255.0, SCIPIX_THRESH_BINARY, &mut t),
                ok
            )
        })
    });
    g_.bench_function("binarize_otsu_4x4_rgb", |b| {
        b.iter(|| {
            assert_eq!(
                scipix_binarize_otsu(
                    black_box(&srgb),
                    &d4,
                    std::ptr::null(),
                    255.0,
                    SCIPIX_THRESH_BINARY,
                    &mut t
                ),
                ok
            )
        })
    });
    g_.bench_function("adaptive_threshold_mean_4x4_3x3", |b| {
        b.iter(|| {
            assert_eq!(
                scipix_adaptive_threshold_mean(
                    black_box(&sg),
                    &d4,
                    255.0,
                    SCIPIX_THRESH_BINARY,
                    3,
                    2.0
                ),
                ok
            )
        })
    });
    g_.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
