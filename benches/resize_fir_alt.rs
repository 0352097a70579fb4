//! Alternated comparison of scipix's Pillow-family resize with `fast_image_resize` (fir):
//! for each filter and size the two sides run call by call in turn (scipix, fir, scipix,
//! ...), one thread, and the best and median of N calls of each are printed with their
//! ratio (fir time / scipix time: above 1 means scipix is faster). Then, for the
//! convolutions, scipix's two passes timed alone for every ISA the machine has (the same
//! work as inside the resize: horizontal 1920x1080 -> Wx1080, vertical Wx1080 -> WxH, the
//! order Pillow picks for these sizes), and the NEAREST gather alone per ISA.
//! Source: 1920x1080 RGB8 photo-like picture, as in `resize_fir.rs`.
//!
//! `cargo bench --bench resize_fir_alt -- [N]` (N calls per side, default 60)
use fast_image_resize as fr;
use scipix::cpu::{self, Isa};
use scipix::image::resize::{Filter, Resizer, Scratch};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use std::hint::black_box;
use std::time::Instant;

#[path = "common/photo.rs"]
mod photo;
use photo::photo;

/// Best and median of a list of times in seconds.
fn stats(mut t: Vec<f64>) -> (f64, f64) {
    t.sort_by(|a, b| a.total_cmp(b));
    (t[0], t[t.len() / 2])
}

fn time(f: &mut impl FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Alternates `a` and `b` call by call, `n` calls each after one warm-up call each.
fn alternate(n: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> ((f64, f64), (f64, f64)) {
    a();
    b();
    let (mut ta, mut tb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        ta.push(time(&mut a));
        tb.push(time(&mut b));
    }
    (stats(ta), stats(tb))
}

/// Best and median of `n` calls of `f` after one warm-up call.
fn alone(n: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    stats((0..n).map(|_| time(&mut f)).collect())
}

/// Resizes `src` (w x h RGB8) to `dw x dh` with `r`, into `out`.
fn run(r: &Resizer, src: &ImageView, out: &mut [u8], dw: usize, dh: usize, s: &mut Scratch) {
    let mut d = ImageViewMut::packed(out, dw, dh, PixelFormat::Rgb8).unwrap();
    r.resize_window(black_box(src), 0, 0, &mut d, s).unwrap();
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(60);
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
    let ms = |t: f64| t * 1e3;
    println!("N = {n} calls per side, alternated; times in ms (best / median)");
    println!(
        "{:<10} {:>9} {:>17} {:>17} {:>13}",
        "filter", "size", "scipix", "fir", "fir/scipix"
    );
    for (dw, dh) in [(640usize, 640usize), (224, 224)] {
        for (filter, alg) in filters {
            let r = Resizer::new(sw, sh, dw, dh, PixelFormat::Rgb8, filter).unwrap();
            let mut out = vec![0u8; dw * dh * 3];
            let mut scratch = Scratch::default();
            let mut fr_dst = fr::images::Image::new(dw as u32, dh as u32, fr::PixelType::U8x3);
            let mut fr_resizer = fr::Resizer::new();
            let opts = fr::ResizeOptions::new().resize_alg(alg);
            let (s, f) = alternate(
                n,
                || run(&r, &view, &mut out, dw, dh, &mut scratch),
                || {
                    fr_resizer
                        .resize(black_box(&fr_src), &mut fr_dst, &opts)
                        .unwrap()
                },
            );
            println!(
                "{:<10} {:>9} {:>8.3} / {:<6.3} {:>8.3} / {:<6.3} {:>5.2} / {:<5.2}",
                filter.name(),
                format!("{dw}x{dh}"),
                ms(s.0),
                ms(s.1),
                ms(f.0),
                ms(f.1),
                f.0 / s.0,
                f.1 / s.1
            );
        }
    }

    // Per pass and per ISA: each pass as a one-axis resize of the same sizes.
    println!("\nscipix per pass and ISA, ms (best / median of {n})");
    let mid = |dw: usize| photo(dw, sh);
    for (dw, dh) in [(640usize, 640usize), (224, 224)] {
        let tmp = mid(dw);
        let tview = ImageView::packed(&tmp, dw, sh, PixelFormat::Rgb8).unwrap();
        for (filter, _) in filters {
            let mut line = format!("{:<10} {:>9}", filter.name(), format!("{dw}x{dh}"));
            for isa in Isa::available() {
                let (h, v) = cpu::with_isa(isa, |_| {
                    if filter == Filter::PilNearest {
                        let r = Resizer::new(sw, sh, dw, dh, PixelFormat::Rgb8, filter).unwrap();
                        let mut out = vec![0u8; dw * dh * 3];
                        let mut s = Scratch::default();
                        let t = alone(n, || run(&r, &view, &mut out, dw, dh, &mut s));
                        (t, (0.0, 0.0))
                    } else {
                        let rh = Resizer::new(sw, sh, dw, sh, PixelFormat::Rgb8, filter).unwrap();
                        let rv = Resizer::new(dw, sh, dw, dh, PixelFormat::Rgb8, filter).unwrap();
                        let mut oh = vec![0u8; dw * sh * 3];
                        let mut ov = vec![0u8; dw * dh * 3];
                        let (mut s1, mut s2) = (Scratch::default(), Scratch::default());
                        alternate(
                            n / 2,
                            || run(&rh, &view, &mut oh, dw, sh, &mut s1),
                            || run(&rv, &tview, &mut ov, dw, dh, &mut s2),
                        )
                    }
                });
                line += &format!(
                    "  {} h {:.3}/{:.3} v {:.3}/{:.3}",
                    isa.name(),
                    ms(h.0),
                    ms(h.1),
                    ms(v.0),
                    ms(v.1)
                );
            }
            println!("{line}");
        }
    }
}
