use super::*;
use crate::cpu;
use crate::image::test_noise::bytes;

/// Independent reference straight from the documented index formulas and float rule.
#[allow(clippy::needless_range_loop)]
fn reference(img: &ImageView, p: &TensorParams) -> Vec<f32> {
    let (w, h) = (img.width(), img.height());
    let ch = tensor_channels(img.format());
    let mut offs: Vec<usize> = match img.format().rgb_offsets() {
        None => vec![0],
        Some(_) => vec![0, 1, 2],
    };
    if p.swap_rb && ch == 3 {
        offs.swap(0, 2);
    }
    let mut out = vec![f32::NAN; ch * w * h];
    for y in 0..h {
        for x in 0..w {
            for c in 0..ch {
                let v = img.pixel(x, y)[offs[c]] as f32;
                let r = ((v / p.divisor - p.mean[c]) * p.scale) / p.std[c];
                let i = match p.layout {
                    Layout::Nchw => (c * h + y) * w + x,
                    Layout::Nhwc => (y * w + x) * ch + c,
                };
                out[i] = r;
            }
        }
    }
    out
}

fn param_sets() -> Vec<TensorParams> {
    let d = TensorParams::default();
    vec![
        d,
        TensorParams {
            divisor: 255.0,
            mean: [0.485, 0.456, 0.406, 0.0],
            std: [0.229, 0.224, 0.225, 1.0],
            ..d
        },
        TensorParams {
            mean: [104.0, 117.0, 123.0, 0.0],
            scale: 1.0 / 255.0,
            ..d
        },
        TensorParams {
            divisor: 3.0,
            mean: [-1.5, 0.25, 7.0, 0.0],
            scale: 0.7,
            std: [2.0, 1.0, 0.3, 1.0],
            ..d
        },
    ]
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|f| f.to_bits()).collect()
}

fn convert_with(isa: Isa, img: &ImageView, p: &TensorParams) -> Vec<f32> {
    let n = tensor_len(img.width(), img.height(), img.format()).unwrap();
    let mut out = vec![f32::NAN; n + 3];
    cpu::with_isa(isa, |_| image_to_tensor(img, p, &mut out).unwrap());
    assert!(out[n..].iter().all(|v| v.is_nan()), "wrote past the tensor");
    out.truncate(n);
    out
}

#[test]
fn every_isa_equals_reference_on_small_shapes() {
    small_shapes();
}

#[test]
fn plain_division_kernels_equal_reference_too() {
    // The fused division is proven exact for every plan tried so far, so force the
    // plain-division kernels (for the plans this thread builds).
    DISABLE_FUSED.set(true);
    small_shapes();
    DISABLE_FUSED.set(false);
}

#[test]
fn arithmetic_kernels_equal_reference_where_tables_are_chosen() {
    // The scalar family and SSE4.1 (when the rule divides) normally run the table kernel;
    // force their arithmetic kernels (still used by the row converter). Racing other tests
    // is harmless: both paths give equal bits.
    DISABLE_LUT.store(true, std::sync::atomic::Ordering::Relaxed);
    small_shapes();
    DISABLE_LUT.store(false, std::sync::atomic::Ordering::Relaxed);
}

#[test]
fn table_kernel_is_chosen_where_it_wins() {
    let p = param_sets()[1]; // divides
    let plan = Plan::new(PixelFormat::Rgb8, &p);
    assert!(plan.lut_wins(Isa::Scalar, 256));
    assert!(!plan.lut_wins(Isa::Scalar, 255));
    #[cfg(target_arch = "x86_64")]
    {
        assert!(plan.lut_wins(Isa::Sse41, 4096));
        assert!(!plan.lut_wins(Isa::Sse41, 4095));
        assert!(!plan.lut_wins(Isa::Avx2, 1 << 20));
        let blob = Plan::new(PixelFormat::Rgb8, &param_sets()[2]); // no division
        assert!(!blob.lut_wins(Isa::Sse41, 1 << 20));
    }
    let plan = plan.with_lut(PixelFormat::Rgb8, &p);
    let l = plan.lut.as_ref().unwrap();
    assert_eq!(
        l.luts[0].get(255).to_bits(),
        ((1.0f32 - 0.485) / 0.229).to_bits()
    );
}

#[test]
fn every_isa_equals_reference_at_every_output_alignment() {
    // The AVX2/AVX-512 wrappers convert a few leading pixels per row with the scalar
    // kernel until the output is aligned; try every float offset within a 64-byte line.
    let isas = Isa::available();
    for &format in &[PixelFormat::Gray8, PixelFormat::Bgr8, PixelFormat::Rgba8] {
        let bpp = format.bytes_per_pixel();
        for &w in &[1usize, 5, 15, 16, 17, 31, 33, 50] {
            let h = 3;
            let buf = bytes(1 + w * bpp * h, w as u32);
            let img = ImageView::new(&buf[1..], w, h, w * bpp, format).unwrap();
            let n = tensor_len(w, h, format).unwrap();
            for base in param_sets() {
                for layout in [Layout::Nchw, Layout::Nhwc] {
                    let p = TensorParams { layout, ..base };
                    let want = bits(&reference(&img, &p));
                    for &isa in &isas {
                        let mut raw = vec![f32::NAN; n + 32];
                        for off in 0..16 {
                            raw.fill(f32::NAN);
                            let out = &mut raw[off..off + n + 1];
                            cpu::with_isa(isa, |_| image_to_tensor(&img, &p, out).unwrap());
                            assert!(out[n].is_nan(), "wrote past the tensor");
                            assert_eq!(
                                bits(&out[..n]),
                                want,
                                "{format:?} w {w} {layout:?} {isa:?} offset {off}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn table_kernel_sizes_equal_reference() {
    // Large enough for the table kernel on the scalar family and SSE4.1; odd width,
    // padded stride, unaligned start.
    let isas = Isa::available();
    let (w, h) = (67usize, 63usize);
    assert!(w * h >= LUT_MIN_PIXELS_SCALAR);
    #[cfg(target_arch = "x86_64")]
    assert!(w * h >= LUT_MIN_PIXELS_SSE41);
    for (fi, &format) in PixelFormat::ALL.iter().enumerate() {
        let bpp = format.bytes_per_pixel();
        let stride = w * bpp + 3;
        let buf = bytes(2 + stride * h, 99 + fi as u32);
        let img = ImageView::new(&buf[2..], w, h, stride, format).unwrap();
        for base in param_sets() {
            for layout in [Layout::Nchw, Layout::Nhwc] {
                for swap_rb in [false, true] {
                    let p = TensorParams {
                        layout,
                        swap_rb,
                        ..base
                    };
                    let want = bits(&reference(&img, &p));
                    for &isa in &isas {
                        let got = bits(&convert_with(isa, &img, &p));
                        assert!(got == want, "{format:?} {layout:?} swap {swap_rb} {isa:?}");
                    }
                }
            }
        }
    }
}

fn small_shapes() {
    let isas = Isa::available();
    for (fi, &format) in PixelFormat::ALL.iter().enumerate() {
        let bpp = format.bytes_per_pixel();
        for w in 1..=67usize {
            let h = 1 + 2 * (w % 2); // 1 or 3 rows
            let pad = w % 5;
            let start = 1 + w % 3; // unaligned start +1..+3
            let stride = w * bpp + pad;
            let buf = bytes(start + stride * h, (w * 7 + fi) as u32);
            let img = ImageView::new(&buf[start..], w, h, stride, format).unwrap();
            for (pi, base) in param_sets().into_iter().enumerate() {
                for layout in [Layout::Nchw, Layout::Nhwc] {
                    for swap_rb in [false, true] {
                        let p = TensorParams {
                            layout,
                            swap_rb,
                            ..base
                        };
                        let want = bits(&reference(&img, &p));
                        for &isa in &isas {
                            let got = bits(&convert_with(isa, &img, &p));
                            assert_eq!(
                                got, want,
                                "{isa:?} {format:?} w={w} h={h} params#{pi} {layout:?} swap={swap_rb}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn subregions_and_large_images_match_across_isas_and_threads() {
    let (w, h) = (613usize, 411usize);
    for format in [PixelFormat::Bgr8, PixelFormat::Rgba8, PixelFormat::Gray8] {
        let bpp = format.bytes_per_pixel();
        let stride = w * bpp + 13;
        let buf = bytes(stride * h, 99);
        let full = ImageView::new(&buf, w, h, stride, format).unwrap();
        let sub = full.subview(5, 7, 517, 389).unwrap();
        for img in [full, sub] {
            for layout in [Layout::Nchw, Layout::Nhwc] {
                let p = TensorParams {
                    layout,
                    swap_rb: true,
                    ..param_sets()[1]
                };
                let want = bits(&reference(&img, &p));
                for isa in Isa::available() {
                    assert_eq!(
                        bits(&convert_with(isa, &img, &p)),
                        want,
                        "{isa:?} {format:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let (w, h) = (700usize, 500usize);
    let buf = bytes(w * h * 3, 5);
    let img = ImageView::packed(&buf, w, h, PixelFormat::Rgb8).unwrap();
    let imgs = [img, img.subview(0, 0, w, h).unwrap(), img];
    let p = param_sets()[3];
    let n = 3 * w * h;
    let mut runs = Vec::new();
    for threads in [1, 2, 3] {
        crate::parallel::set_num_threads(threads).unwrap();
        let mut one = vec![0f32; n];
        image_to_tensor(&img, &p, &mut one).unwrap();
        let mut batch = vec![0f32; 3 * n];
        images_to_tensor(&imgs, &p, &mut batch).unwrap();
        runs.push((bits(&one), bits(&batch)));
    }
    crate::parallel::set_num_threads(0).unwrap();
    let want = bits(&reference(&img, &p));
    for (one, batch) in &runs {
        assert_eq!(one, &want);
        for k in 0..3 {
            assert_eq!(&batch[k * n..(k + 1) * n], &want[..]);
        }
    }
}

#[test]
fn batch_layout_and_mixed_formats() {
    let (w, h) = (9usize, 4usize);
    let rgb = bytes(w * h * 3, 1);
    let bgra = bytes(w * h * 4, 2);
    let imgs = [
        ImageView::packed(&rgb, w, h, PixelFormat::Rgb8).unwrap(),
        ImageView::packed(&bgra, w, h, PixelFormat::Bgra8).unwrap(),
    ];
    for layout in [Layout::Nchw, Layout::Nhwc] {
        let p = TensorParams {
            layout,
            ..param_sets()[2]
        };
        let mut out = vec![0f32; 2 * 3 * w * h];
        images_to_tensor(&imgs, &p, &mut out).unwrap();
        let n = 3 * w * h;
        assert_eq!(bits(&out[..n]), bits(&reference(&imgs[0], &p)));
        assert_eq!(bits(&out[n..]), bits(&reference(&imgs[1], &p)));
    }
}

#[test]
fn known_values_and_channel_order() {
    // One BGRA pixel (b=10, g=20, r=30, a=255) and one more.
    let px = [10u8, 20, 30, 255, 40, 50, 60, 0];
    let img = ImageView::packed(&px, 2, 1, PixelFormat::Bgra8).unwrap();
    let mut out = [0f32; 6];
    image_to_tensor(&img, &TensorParams::default(), &mut out).unwrap();
    assert_eq!(out, [10., 40., 20., 50., 30., 60.]);
    let p = TensorParams {
        swap_rb: true,
        layout: Layout::Nhwc,
        mean: [1.0, 2.0, 3.0, 0.0],
        std: [2.0, 2.0, 3.0, 1.0],
        ..TensorParams::default()
    };
    image_to_tensor(&img, &p, &mut out).unwrap();
    assert_eq!(out, [14.5, 9.0, 7.0 / 3.0, 29.5, 24.0, 37.0 / 3.0]);
}

#[test]
fn bad_inputs_write_nothing() {
    let px = [1u8; 12];
    let img = ImageView::packed(&px, 2, 2, PixelFormat::Rgb8).unwrap();
    let mut out = [7f32; 12];
    let d = TensorParams::default();
    let cases = [
        TensorParams {
            std: [1.0, 0.0, 1.0, 1.0],
            ..d
        },
        TensorParams { divisor: 0.0, ..d },
        TensorParams {
            scale: f32::INFINITY,
            ..d
        },
        TensorParams {
            mean: [0.0, f32::NAN, 0.0, 0.0],
            ..d
        },
    ];
    for p in cases {
        let e = image_to_tensor(&img, &p, &mut out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    // Unused channel entries are ignored.
    let ok = TensorParams {
        std: [1.0, 1.0, 1.0, 0.0],
        ..d
    };
    assert_eq!(
        image_to_tensor(&img, &ok, &mut out[..11])
            .unwrap_err()
            .kind(),
        ErrorKind::BufferTooSmall
    );
    assert!(out.iter().all(|&v| v == 7.0));
    let gray = ImageView::packed(&px, 3, 4, PixelFormat::Gray8).unwrap();
    let mismatched = [img, gray];
    let mut big = [7f32; 64];
    assert_eq!(
        images_to_tensor(&mismatched, &d, &mut big)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        images_to_tensor(&[], &d, &mut big).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert!(big.iter().all(|&v| v == 7.0));
}

#[test]
fn fused_division_is_used_only_when_proven_exact() {
    let sets = param_sets();
    for (i, p) in sets.iter().enumerate() {
        let plan = Plan::new(PixelFormat::Rgb8, p);
        if plan.fast {
            for c in 0..3 {
                for x in 0..=255u8 {
                    assert_eq!(
                        fused_value(x, &plan, c).to_bits(),
                        scalar::value(x, p.divisor, p.mean[c], p.scale, p.std[c]).to_bits()
                    );
                }
            }
        }
        eprintln!("param set {i}: fast = {}", plan.fast);
    }
    // The torchvision setting takes the fused path on FMA hardware.
    assert_eq!(Plan::new(PixelFormat::Rgb8, &sets[1]).fast, fma_hardware());
    // No division to speed up: never fused.
    assert!(!Plan::new(PixelFormat::Rgb8, &sets[2]).fast);
}

/// No row kernel reads past the image: its last row ends right before an inaccessible page
/// (packed, and with a row padding the last row lacks), so a load past it faults, and every
/// ISA gives the reference bits, with the table, fused-division and plain arithmetic
/// kernels each.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn guard_page_no_kernel_reads_past_the_image() {
    use crate::test_guard::{Guarded, LENS};
    use std::sync::atomic::Ordering::Relaxed;
    let sets = param_sets();
    for (fi, &format) in PixelFormat::ALL.iter().enumerate() {
        let bpp = format.bytes_per_pixel();
        for w in LENS {
            for (h, pad) in [(1usize, 0usize), (3, 5)] {
                let stride = w * bpp + pad;
                let len = stride * (h - 1) + w * bpp;
                let buf = Guarded::new(&bytes(len, (w * 5 + fi) as u32));
                let img = ImageView::new(buf.as_slice(), w, h, stride, format).unwrap();
                for p in [sets[1], sets[2]] {
                    for layout in [Layout::Nchw, Layout::Nhwc] {
                        let p = TensorParams { layout, ..p };
                        let want = bits(&reference(&img, &p));
                        // Default choice, then without tables and without the fused division
                        // (both only on the small widths: the kernels' tails are the same).
                        let variants: &[(bool, bool)] = if w <= 129 {
                            &[(false, false), (true, false), (true, true)]
                        } else {
                            &[(false, false)]
                        };
                        for &(no_lut, no_fused) in variants {
                            DISABLE_LUT.store(no_lut, Relaxed);
                            DISABLE_FUSED.set(no_fused);
                            for isa in Isa::available() {
                                let got = bits(&convert_with(isa, &img, &p));
                                assert!(
                                    got == want,
                                    "{isa:?} {format:?} {w}x{h} {layout:?} lut off {no_lut} \
                                     fused off {no_fused}"
                                );
                            }
                            DISABLE_LUT.store(false, Relaxed);
                            DISABLE_FUSED.set(false);
                        }
                    }
                }
            }
        }
    }
}
