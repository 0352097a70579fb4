//! Single-threaded speed of the best kernel family against the scalar one, for the
//! families that have WebAssembly SIMD128 kernels, with a plain copy moving as many bytes
//! (input plus output, half read and half written) as the memory-speed baseline. Made for targets where criterion does not run (wasm32-wasip1
//! under wasmtime) but runs anywhere:
//!
//! ```text
//! RUSTFLAGS="-C target-feature=+simd128" cargo run --release --target wasm32-wasip1 \
//!     --example kernel_speed [reps]
//! cargo run --release --example kernel_speed
//! ```
//!
//! Calls alternate scalar, best, copy, so load on a shared machine hits all three alike;
//! each line prints best-of-N and median in microseconds and the scalar/best and
//! best/copy ratios (only ratios from the same run mean anything). Not a test: nothing is
//! asserted except that both families give the same bytes.

use scipix::cpu::{self, Isa};
use scipix::image::gray::to_gray;
use scipix::image::threshold::{threshold, threshold_f32, PlaneF32, ThresholdType};
use scipix::image::{ImageView, ImageViewMut, PixelFormat};
use scipix::quant::{dequantize_linear, quantize_linear, QDtype, QParams};
use scipix::tensor::{image_to_tensor, normalize, Layout, TensorParams};
use std::hint::black_box;
use std::time::Instant;

fn bytes(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn floats(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 8) as f32 / (1 << 20) as f32 - 8.0)
        .collect()
}

/// Best and median of `v` (microseconds).
fn best_median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// Times `run` under the scalar and the best family and a copy of `moved / 2` bytes (the
/// operation's input plus output bytes moved), alternating, `reps` times; `result` reads
/// the output after a run so the two families can be compared.
fn measure(
    name: &str,
    reps: usize,
    best: Isa,
    moved: usize,
    mut run: impl FnMut(),
    mut result: impl FnMut() -> Vec<u8>,
) {
    let (from, mut to) = (bytes(moved / 2), vec![0u8; moved / 2]);
    let mut copy = || black_box(to.as_mut_slice()).copy_from_slice(black_box(&from));
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e6
    };
    let (mut ts, mut tb, mut tc) = (Vec::new(), Vec::new(), Vec::new());
    cpu::with_isa(Isa::Scalar, |_| run());
    let want = result();
    cpu::with_isa(best, |_| run());
    assert!(
        result() == want,
        "{name}: {} differs from scalar",
        best.name()
    );
    for _ in 0..reps {
        ts.push(cpu::with_isa(Isa::Scalar, |_| time(&mut run)));
        tb.push(cpu::with_isa(best, |_| time(&mut run)));
        tc.push(time(&mut copy));
    }
    let ((sb, sm), (bb, bm), (cb, cm)) = (best_median(ts), best_median(tb), best_median(tc));
    println!(
        "{name:<26} scalar {sb:9.1} / {sm:9.1}  {:<8} {bb:9.1} / {bm:9.1}  copy {cb:8.1} / {cm:8.1}  \
         scalar/{0} {:5.2}x  {0}/copy {:5.2}x",
        best.name(),
        sb / bb,
        bb / cb
    );
}

fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_bits().to_le_bytes()).collect()
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let best = Isa::best_available();
    println!(
        "{} on {} ({} reps, single thread; best / median microseconds)",
        best.name(),
        std::env::consts::ARCH,
        reps
    );
    let (w, h) = (1024usize, 512usize);
    let n = w * h;

    for format in [PixelFormat::Rgb8, PixelFormat::Bgra8] {
        let src = bytes(n * format.bytes_per_pixel());
        let dst = std::cell::RefCell::new(vec![0u8; n]);
        let view = ImageView::packed(&src, w, h, format).unwrap();
        measure(
            &format!("gray {}", format.name()),
            reps,
            best,
            n * format.bytes_per_pixel() + n,
            || {
                let mut d = dst.borrow_mut();
                let mut out = ImageViewMut::packed(&mut d, w, h, PixelFormat::Gray8).unwrap();
                to_gray(black_box(&view), &mut out).unwrap();
            },
            || dst.borrow().clone(),
        );
    }

    {
        let src = bytes(n);
        let dst = std::cell::RefCell::new(vec![0u8; n]);
        let view = ImageView::packed(&src, w, h, PixelFormat::Gray8).unwrap();
        measure(
            "threshold u8 (binary)",
            reps,
            best,
            2 * n,
            || {
                let mut d = dst.borrow_mut();
                let mut out = ImageViewMut::packed(&mut d, w, h, PixelFormat::Gray8).unwrap();
                threshold(
                    black_box(&view),
                    &mut out,
                    127.0,
                    255.0,
                    ThresholdType::Binary,
                )
                .unwrap();
            },
            || dst.borrow().clone(),
        );
    }

    {
        let src = floats(n);
        let dst = std::cell::RefCell::new(vec![0f32; n]);
        let plane = PlaneF32 {
            width: w,
            height: h,
            stride: w,
        };
        measure(
            "threshold f32 (trunc)",
            reps,
            best,
            8 * n,
            || {
                let mut d = dst.borrow_mut();
                threshold_f32(
                    black_box(&src),
                    plane,
                    &mut d,
                    w,
                    0.5,
                    1.0,
                    ThresholdType::Trunc,
                )
                .unwrap();
            },
            || to_bytes(&dst.borrow()),
        );
    }

    {
        let (tw, th) = (512usize, 512usize);
        let src = bytes(tw * th * 3);
        let view = ImageView::packed(&src, tw, th, PixelFormat::Rgb8).unwrap();
        for (label, p) in [
            (
                "image_to_tensor nchw /255",
                TensorParams {
                    divisor: 255.0,
                    mean: [0.485, 0.456, 0.406, 0.0],
                    std: [0.229, 0.224, 0.225, 1.0],
                    ..TensorParams::default()
                },
            ),
            (
                "image_to_tensor nhwc x1",
                TensorParams {
                    layout: Layout::Nhwc,
                    ..TensorParams::default()
                },
            ),
        ] {
            let out = std::cell::RefCell::new(vec![0f32; tw * th * 3]);
            measure(
                label,
                reps,
                best,
                tw * th * 3 * 5,
                || image_to_tensor(black_box(&view), &p, &mut out.borrow_mut()).unwrap(),
                || to_bytes(&out.borrow()),
            );
        }
    }

    {
        let src: Vec<f32> = floats(n).iter().map(|v| v + 1.0e3).collect();
        let dst = std::cell::RefCell::new(vec![0f32; n]);
        measure(
            "normalize (stats + apply)",
            reps,
            best,
            8 * n,
            || {
                normalize(black_box(&src), &mut dst.borrow_mut(), 1e-8).unwrap();
            },
            || to_bytes(&dst.borrow()),
        );
    }

    {
        let src = floats(n);
        let dst = std::cell::RefCell::new(vec![0u8; n]);
        let p = QParams {
            scale: 0.0625,
            zero_point: 3,
        };
        measure(
            "quantize int8",
            reps,
            best,
            5 * n,
            || quantize_linear(black_box(&src), &mut dst.borrow_mut(), p, QDtype::I8).unwrap(),
            || dst.borrow().clone(),
        );
    }

    {
        let src = bytes(n);
        let dst = std::cell::RefCell::new(vec![0f32; n]);
        let p = QParams {
            scale: 0.0371,
            zero_point: 130,
        };
        measure(
            "dequantize uint8",
            reps,
            best,
            5 * n,
            || dequantize_linear(black_box(&src), &mut dst.borrow_mut(), p, QDtype::U8).unwrap(),
            || to_bytes(&dst.borrow()),
        );
    }
}
