//! Cross-check of the Pillow resize family against the real Pillow (`PIL.Image.resize`),
//! run by `python3` on the same bytes: every format, every filter, many size pairs, random
//! and photo-like images, on every ISA this machine runs. Skipped, with a message, only
//! when `python3` cannot import PIL.

use scipix::cpu::{self, Isa};
use scipix::image::resize::{Filter, Resizer, Scratch};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random bytes, or a smooth photo-like picture (gradients, a disc, an edge, mild noise).
/// Alpha (byte 3) takes 0, 255 and everything between.
fn image(rng: &mut Rng, w: usize, h: usize, bpp: usize, photo: bool) -> Vec<u8> {
    let mut v = vec![0u8; w * h * bpp];
    for y in 0..h {
        for x in 0..w {
            for c in 0..bpp {
                let i = (y * w + x) * bpp + c;
                v[i] = if !photo {
                    rng.next() as u8
                } else {
                    let fx = x as f64 / w as f64;
                    let fy = y as f64 / h as f64;
                    let disc = ((fx - 0.4).powi(2) + (fy - 0.5).powi(2) < 0.08) as u8 as f64;
                    let edge = (x > w * 2 / 3) as u8 as f64;
                    let base = match c {
                        0 => 200.0 * fx + 40.0 * disc,
                        1 => 180.0 * fy + 60.0 * edge,
                        2 => 120.0 + 100.0 * (fx * 9.0 + fy * 5.0).sin() * 0.5,
                        _ => 255.0 * (1.0 - fy) * (1.0 - disc * 0.7),
                    };
                    let noise = (rng.next() % 9) as f64 - 4.0;
                    (base + noise).clamp(0.0, 255.0) as u8
                };
            }
        }
        if bpp == 4 && h > 2 {
            // Fully transparent and fully opaque runs.
            if y % 5 == 1 {
                for x in 0..w / 2 {
                    v[(y * w + x) * bpp + 3] = 0;
                }
            } else if y % 5 == 3 {
                for x in w / 3..w {
                    v[(y * w + x) * bpp + 3] = 255;
                }
            }
        }
    }
    v
}

/// (width, height).
type Size = (usize, usize);

struct Case {
    format: PixelFormat,
    filter: Filter,
    src: (usize, usize),
    dst: (usize, usize),
    data: Vec<u8>,
}

fn mode(f: PixelFormat) -> &'static str {
    match f {
        PixelFormat::Gray8 => "L",
        PixelFormat::Rgb8 | PixelFormat::Bgr8 => "RGB",
        PixelFormat::Rgba8 | PixelFormat::Bgra8 => "RGBA",
    }
}

fn pil_name(f: Filter) -> &'static str {
    match f {
        Filter::PilNearest => "nearest",
        Filter::PilBox => "box",
        Filter::PilBilinear => "bilinear",
        Filter::PilBicubic => "bicubic",
        Filter::PilLanczos => "lanczos",
        _ => unreachable!(),
    }
}

const FILTERS: [Filter; 5] = [
    Filter::PilNearest,
    Filter::PilBox,
    Filter::PilBilinear,
    Filter::PilBicubic,
    Filter::PilLanczos,
];
const FORMATS: [PixelFormat; 5] = [
    PixelFormat::Gray8,
    PixelFormat::Rgb8,
    PixelFormat::Bgr8,
    PixelFormat::Rgba8,
    PixelFormat::Bgra8,
];

fn have_pillow() -> bool {
    Command::new("python3")
        .args(["-c", "import PIL.Image"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs Pillow on every case; returns its outputs in order.
fn pillow(cases: &[Case]) -> Vec<Vec<u8>> {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "scipix_resize_pillow_{}_{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut blob = Vec::new();
    let mut lines = String::new();
    for c in cases {
        lines += &format!(
            "{} {} {} {} {} {} {}\n",
            mode(c.format),
            c.src.0,
            c.src.1,
            c.dst.0,
            c.dst.1,
            pil_name(c.filter),
            blob.len()
        );
        blob.extend_from_slice(&c.data);
    }
    let (cases_p, in_p, out_p) = (dir.join("cases"), dir.join("in"), dir.join("out"));
    std::fs::write(&cases_p, lines).unwrap();
    std::fs::write(&in_p, blob).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/resize_pillow_ref.py");
    let st = Command::new("python3")
        .arg(script)
        .args([&cases_p, &in_p, &out_p])
        .status()
        .expect("python3 runs");
    assert!(st.success(), "the Pillow reference script failed");
    let out = std::fs::read(&out_p).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let mut res = Vec::new();
    let mut at = 0;
    for c in cases {
        let n = c.dst.0 * c.dst.1 * c.format.bytes_per_pixel();
        res.push(out[at..at + n].to_vec());
        at += n;
    }
    assert_eq!(at, out.len(), "Pillow returned a different number of bytes");
    res
}

fn ours(c: &Case) -> Vec<u8> {
    let bpp = c.format.bytes_per_pixel();
    let src = ImageView::packed(&c.data, c.src.0, c.src.1, c.format).unwrap();
    let mut out = vec![0u8; c.dst.0 * c.dst.1 * bpp];
    let mut dst = ImageViewMut::packed(&mut out, c.dst.0, c.dst.1, c.format).unwrap();
    let r = Resizer::new(c.src.0, c.src.1, c.dst.0, c.dst.1, c.format, c.filter).unwrap();
    r.resize(&src, &mut dst).unwrap();
    out
}

/// The same resize computed as a 2x2 grid of windows (exercises the window path).
fn ours_windows(c: &Case) -> Vec<u8> {
    let bpp = c.format.bytes_per_pixel();
    let (dw, dh) = c.dst;
    let src = ImageView::packed(&c.data, c.src.0, c.src.1, c.format).unwrap();
    let mut out = vec![0u8; dw * dh * bpp];
    let mut dst = ImageViewMut::packed(&mut out, dw, dh, c.format).unwrap();
    let r = Resizer::new(c.src.0, c.src.1, dw, dh, c.format, c.filter).unwrap();
    let mut scratch = Scratch::default();
    let (sx, sy) = (dw.div_ceil(2), dh.div_ceil(2));
    for (x, w) in [(0, sx), (sx, dw - sx)] {
        for (y, h) in [(0, sy), (sy, dh - sy)] {
            if w == 0 || h == 0 {
                continue;
            }
            let mut win = dst.subview_mut(x, y, w, h).unwrap();
            r.resize_window(&src, x, y, &mut win, &mut scratch).unwrap();
        }
    }
    out
}

fn diff_report(c: &Case, want: &[u8], got: &[u8], what: &str) -> String {
    let n = want.iter().zip(got).filter(|(a, b)| a != b).count();
    let max = want
        .iter()
        .zip(got)
        .map(|(&a, &b)| (a as i32 - b as i32).abs())
        .max()
        .unwrap_or(0);
    let first = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(0);
    format!(
        "{what}: {} {} {}x{} -> {}x{}: {n} bytes differ (max {max}); first at byte {first}: \
         pillow {} scipix {}",
        c.format.name(),
        c.filter.name(),
        c.src.0,
        c.src.1,
        c.dst.0,
        c.dst.1,
        want[first],
        got[first]
    )
}

fn check(cases: &[Case]) {
    let want = pillow(cases);
    let mut failures = Vec::new();
    for isa in Isa::available() {
        cpu::with_isa(isa, |_| {
            for (c, w) in cases.iter().zip(&want) {
                let got = ours(c);
                if &got != w {
                    failures.push(diff_report(c, w, &got, isa.name()));
                }
                let got = ours_windows(c);
                if &got != w {
                    failures.push(diff_report(c, w, &got, &format!("{} windows", isa.name())));
                }
            }
        });
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with Pillow:\n{}",
        failures.len(),
        failures[..failures.len().min(3000)].join("\n")
    );
}

#[test]
fn every_filter_and_format_matches_pillow() {
    if !have_pillow() {
        eprintln!("SKIPPED: python3 cannot import PIL (pip install pillow==13.0.0)");
        return;
    }
    let pairs: &[(Size, Size)] = &[
        ((1, 1), (1, 1)),
        ((1, 1), (5, 3)),
        ((5, 3), (1, 1)),
        ((7, 5), (3, 2)),
        ((3, 2), (7, 5)),
        ((1, 9), (4, 3)),
        ((9, 1), (2, 5)),
        ((2, 2), (3, 3)),
        ((64, 48), (64, 20)),
        ((64, 48), (17, 48)),
        ((48, 64), (48, 131)),
        ((100, 80), (33, 257)),
        ((257, 131), (64, 64)),
        ((37, 23), (100, 99)),
        ((640, 480), (224, 224)),
        ((300, 200), (299, 201)),
        ((1920, 12), (7, 5)),
        ((13, 1080), (3, 640)),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sizes: Vec<_> = pairs.to_vec();
    for _ in 0..12 {
        let s = (1 + rng.below(90), 1 + rng.below(90));
        let d = (1 + rng.below(90), 1 + rng.below(90));
        sizes.push((s, d));
    }
    let mut cases = Vec::new();
    for &(s, d) in &sizes {
        for format in FORMATS {
            for filter in FILTERS {
                let photo = rng.below(2) == 0;
                let data = image(&mut rng, s.0, s.1, format.bytes_per_pixel(), photo);
                cases.push(Case {
                    format,
                    filter,
                    src: s,
                    dst: d,
                    data,
                });
            }
        }
    }
    check(&cases);
}

#[test]
fn full_hd_to_model_sizes_matches_pillow() {
    if !have_pillow() {
        eprintln!("SKIPPED: python3 cannot import PIL (pip install pillow==13.0.0)");
        return;
    }
    let mut rng = Rng(7);
    let mut cases = Vec::new();
    for (d, filter) in [
        ((640, 640), Filter::PilBilinear),
        ((224, 224), Filter::PilBilinear),
        ((640, 640), Filter::PilBicubic),
        ((256, 144), Filter::PilLanczos),
        ((7, 3), Filter::PilLanczos),
        ((400, 300), Filter::PilBox),
        ((2000, 1100), Filter::PilBicubic),
    ] {
        let data = image(&mut rng, 1920, 1080, 3, true);
        cases.push(Case {
            format: PixelFormat::Rgb8,
            filter,
            src: (1920, 1080),
            dst: d,
            data,
        });
    }
    check(&cases);
}
