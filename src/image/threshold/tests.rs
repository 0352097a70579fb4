use super::adaptive::run_for_test;
use super::otsu::{histogram_with, otsu_every_bin, otsu_scan};
use super::*;
use crate::error::ErrorKind;
use crate::image::test_noise::noise;

/// Independent statement of cv::threshold on one u8 with integer threshold `t` (any i32).
fn cv_ref(v: u8, t: i32, m: u8, ty: ThresholdType) -> u8 {
    let above = (v as i32) > t;
    let tsat = t.clamp(0, 255) as u8;
    match ty {
        ThresholdType::Binary => {
            if above {
                m
            } else {
                0
            }
        }
        ThresholdType::BinaryInv => {
            if above {
                0
            } else {
                m
            }
        }
        ThresholdType::Trunc => {
            if above {
                tsat
            } else {
                v
            }
        }
        ThresholdType::ToZero => {
            if above {
                v
            } else {
                0
            }
        }
        ThresholdType::ToZeroInv => {
            if above {
                0
            } else {
                v
            }
        }
    }
}

#[test]
fn opencv_argument_conversions() {
    assert_eq!(cv_floor(254.9), 254);
    assert_eq!(cv_floor(-0.5), -1);
    // OpenCV 5.1 on x86-64 saturates, and NaN becomes INT_MAX.
    assert_eq!(cv_floor(f64::NAN), i32::MAX);
    assert_eq!(cv_floor(-f64::NAN), i32::MAX);
    assert_eq!(cv_floor(1e20), i32::MAX);
    assert_eq!(cv_floor(2147483648.0), i32::MAX);
    assert_eq!(cv_floor(2147483647.5), i32::MAX);
    assert_eq!(cv_floor(f64::INFINITY), i32::MAX);
    assert_eq!(cv_floor(f64::NEG_INFINITY), i32::MIN);
    assert_eq!(cv_floor(-2147483648.5), i32::MIN);
    assert_eq!(cv_floor(-3e9), i32::MIN);
    assert_eq!(cv_round(254.5), 254);
    assert_eq!(cv_round(255.5), 256);
    assert_eq!(cv_round(0.5), 0);
    assert_eq!(cv_round(1.5), 2);
    assert_eq!(cv_round(3e9), i32::MAX);
    assert_eq!(cv_round(2147483647.5), i32::MAX);
    assert_eq!(cv_round(f64::NAN), i32::MAX);
    assert_eq!(cv_round(-3e9), i32::MIN);
    assert_eq!(cv_ceil(f64::NAN), i32::MAX);
    assert_eq!(cv_ceil(-2147483648.5), i32::MIN);
    assert_eq!(cv_ceil(-0.5), 0);
    assert_eq!(cv_ceil(2.1), 3);
}

#[test]
fn plan_matches_opencv_for_every_threshold() {
    // Observed with opencv-python-headless 5.1.0.95 (tests/python has the full cross-check).
    let cases: &[(f64, [U8Plan; 5])] = &[
        (
            -1.0,
            [
                U8Plan::Fill(200),
                U8Plan::Fill(0),
                U8Plan::Fill(0),
                U8Plan::Copy,
                U8Plan::Fill(0),
            ],
        ),
        (
            1e20,
            [
                U8Plan::Fill(0),
                U8Plan::Fill(200),
                U8Plan::Copy,
                U8Plan::Fill(0),
                U8Plan::Copy,
            ],
        ),
        (
            2147483648.0,
            [
                U8Plan::Fill(0),
                U8Plan::Fill(200),
                U8Plan::Copy,
                U8Plan::Fill(0),
                U8Plan::Copy,
            ],
        ),
        (
            f64::INFINITY,
            [
                U8Plan::Fill(0),
                U8Plan::Fill(200),
                U8Plan::Copy,
                U8Plan::Fill(0),
                U8Plan::Copy,
            ],
        ),
        (
            f64::NAN,
            [
                U8Plan::Fill(0),
                U8Plan::Fill(200),
                U8Plan::Copy,
                U8Plan::Fill(0),
                U8Plan::Copy,
            ],
        ),
        (
            f64::NEG_INFINITY,
            [
                U8Plan::Fill(200),
                U8Plan::Fill(0),
                U8Plan::Fill(0),
                U8Plan::Copy,
                U8Plan::Fill(0),
            ],
        ),
        (
            -3e9,
            [
                U8Plan::Fill(200),
                U8Plan::Fill(0),
                U8Plan::Fill(0),
                U8Plan::Copy,
                U8Plan::Fill(0),
            ],
        ),
        (
            255.0,
            [
                U8Plan::Fill(0),
                U8Plan::Fill(200),
                U8Plan::Copy,
                U8Plan::Fill(0),
                U8Plan::Copy,
            ],
        ),
    ];
    for (t, want) in cases {
        for (ty, w) in ThresholdType::ALL.iter().zip(want) {
            assert_eq!(plan_u8(*t, 200.0, *ty), *w, "thresh {t} {ty:?}");
        }
    }
    // Max values saturate too: NaN, +inf and 2^31 give 255, -inf gives 0.
    for (m, want) in [
        (f64::NAN, 255),
        (f64::INFINITY, 255),
        (2147483648.0, 255),
        (f64::NEG_INFINITY, 0),
    ] {
        assert_eq!(
            plan_u8(-1.0, m, ThresholdType::Binary),
            U8Plan::Fill(want),
            "maxval {m}"
        );
    }
    // Every reachable integer threshold agrees with the reference rule on every value.
    for t in -3..=258 {
        for ty in ThresholdType::ALL {
            for m in [0.0, 1.5, 200.0, 254.5, 300.0] {
                let plan = plan_u8(t as f64 + 0.75, m, ty);
                let mi = cv_round(m).clamp(0, 255) as u8;
                for v in 0..=255u8 {
                    let got = match plan {
                        U8Plan::Fill(x) => x,
                        U8Plan::Copy => v,
                        U8Plan::Apply(op) => scalar::px_u8(v, op),
                    };
                    assert_eq!(got, cv_ref(v, t, mi, ty), "t {t} m {m} {ty:?} v {v}");
                }
            }
        }
    }
}

#[test]
fn every_isa_matches_scalar_u8() {
    for width in 1..=67usize {
        for &(height, pad, off) in &[(1usize, 0usize, 0usize), (3, 7, 1), (5, 1, 3)] {
            let stride = width + pad;
            let buf = noise(off + stride * height, width as u64 * 7 + height as u64);
            let src =
                ImageView::new(&buf[off..], width, height, stride, PixelFormat::Gray8).unwrap();
            for ty in ThresholdType::ALL {
                for t in [0.0, 99.5, 200.0, 254.0] {
                    let plan = plan_u8(t, 180.0, ty);
                    let mut want = vec![0xEEu8; off + stride * height];
                    {
                        let mut d = ImageViewMut::new(
                            &mut want[off..],
                            width,
                            height,
                            stride,
                            PixelFormat::Gray8,
                        )
                        .unwrap();
                        run_plan(Isa::Scalar, false, plan, &src, &mut d);
                    }
                    for isa in Isa::available() {
                        cpu::with_isa(isa, |isa| {
                            for split in [false, true] {
                                let mut out = vec![0xEEu8; off + stride * height];
                                let mut d = ImageViewMut::new(
                                    &mut out[off..],
                                    width,
                                    height,
                                    stride,
                                    PixelFormat::Gray8,
                                )
                                .unwrap();
                                run_plan(isa, split, plan, &src, &mut d);
                                assert!(out == want, "{isa:?} {ty:?} t {t} {width}x{height}");
                                let mut inplace = buf.clone();
                                let mut d = ImageViewMut::new(
                                    &mut inplace[off..],
                                    width,
                                    height,
                                    stride,
                                    PixelFormat::Gray8,
                                )
                                .unwrap();
                                run_plan_inplace(isa, split, plan, &mut d);
                                let view = ImageView::new(
                                    &inplace[off..],
                                    width,
                                    height,
                                    stride,
                                    PixelFormat::Gray8,
                                )
                                .unwrap();
                                let wv = ImageView::new(
                                    &want[off..],
                                    width,
                                    height,
                                    stride,
                                    PixelFormat::Gray8,
                                )
                                .unwrap();
                                for y in 0..height {
                                    assert_eq!(view.row(y), wv.row(y), "in place {isa:?} {ty:?}");
                                }
                                // Padding of the in-place buffer is the original padding.
                                for y in 0..height - 1 {
                                    let p = off + y * stride + width;
                                    assert_eq!(&inplace[p..p + pad], &buf[p..p + pad]);
                                }
                            }
                        });
                    }
                }
            }
        }
    }
}

#[test]
fn every_isa_matches_scalar_f32() {
    let specials = [
        f32::NAN,
        -0.0,
        0.0,
        0.5,
        0.5000001,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -1.0,
    ];
    for width in 1..=67usize {
        let (height, stride, off) = (3usize, width + 3, width % 3);
        let bytes = noise((off + stride * height) * 4, width as u64);
        let mut src: Vec<f32> = bytes
            .chunks(4)
            .map(|b| (b[0] as f32 - 128.0) / 100.0)
            .collect();
        for (i, s) in specials.iter().enumerate() {
            let j = (i * 7) % src.len();
            src[j] = *s;
        }
        let plane = PlaneF32 {
            width,
            height,
            stride,
        };
        for ty in ThresholdType::ALL {
            let op = f32_op(0.5, 2.5, ty);
            let mut want = vec![9.0f32; off + stride * height];
            run_f32(
                Isa::Scalar,
                false,
                op,
                &src[off..],
                plane,
                &mut want[off..],
                stride,
            );
            // The scalar kernel restated: strict IEEE `>`.
            for y in 0..height {
                for x in 0..width {
                    let v = src[off + y * stride + x];
                    let e = scalar::px_f32(v, op);
                    assert_eq!(want[off + y * stride + x].to_bits(), e.to_bits());
                    if ty == ThresholdType::Binary {
                        assert_eq!(e, if v > 0.5 { 2.5 } else { 0.0 });
                    }
                }
            }
            for isa in Isa::available() {
                cpu::with_isa(isa, |isa| {
                    for split in [false, true] {
                        let mut out = vec![9.0f32; off + stride * height];
                        run_f32(isa, split, op, &src[off..], plane, &mut out[off..], stride);
                        let same = out
                            .iter()
                            .zip(&want)
                            .all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(same, "{isa:?} {ty:?} width {width}");
                        let mut inplace = src.clone();
                        run_f32_inplace(isa, split, op, &mut inplace[off..], stride, width, height);
                        for y in 0..height {
                            for x in 0..stride {
                                let i = off + y * stride + x;
                                let e = if x < width { want[i] } else { src[i] };
                                if i < inplace.len() && (x < width || y + 1 < height) {
                                    assert_eq!(
                                        inplace[i].to_bits(),
                                        e.to_bits(),
                                        "in place {isa:?} {ty:?}"
                                    );
                                }
                            }
                        }
                    }
                });
            }
        }
    }
    let mut small = [0f32; 3];
    let bad = PlaneF32 {
        width: 2,
        height: 2,
        stride: 2,
    };
    assert_eq!(
        threshold_f32_inplace(&mut small, bad, 0.0, 1.0, ThresholdType::Binary)
            .unwrap_err()
            .kind(),
        ErrorKind::BufferTooSmall
    );
}

#[test]
fn large_image_threshold_all_isas() {
    let (w, h) = (1999, 517);
    let buf = noise(w * h, 11);
    let full = ImageView::packed(&buf, w, h, PixelFormat::Gray8).unwrap();
    let src = full.subview(1, 2, 1900, 500).unwrap();
    let plan = plan_u8(127.0, 255.0, ThresholdType::Binary);
    let mut want = vec![0u8; 1900 * 500];
    {
        let mut d = ImageViewMut::packed(&mut want, 1900, 500, PixelFormat::Gray8).unwrap();
        run_plan(Isa::Scalar, false, plan, &src, &mut d);
    }
    for isa in Isa::available() {
        let mut out = vec![0u8; 1900 * 500];
        let mut d = ImageViewMut::packed(&mut out, 1900, 500, PixelFormat::Gray8).unwrap();
        cpu::with_isa(isa, |isa| run_plan(isa, true, plan, &src, &mut d));
        assert!(out == want, "{isa:?}");
    }
}

/// The loop that skips runs of empty bins gives OpenCV's every-bin result on sparse and
/// dense histograms: a few values (tiny crops), clusters with gaps, counts up to 2^40, and
/// full histograms.
#[test]
fn otsu_skipping_empty_bins_equals_every_bin() {
    let r = noise(1 << 16, 91);
    let mut k = 0usize;
    let mut next = || {
        k += 1;
        r[k % r.len()] as u64
    };
    let mut skipped = 0;
    for case in 0..3000 {
        let mut h = [0u64; 256];
        let values = [1, 2, 3, 5, 16, 40, 255, 256][case % 8];
        let big = [1, 1000, 1 << 30][case / 8 % 3];
        for _ in 0..values {
            let at = if case % 5 == 0 {
                // Two clusters with a wide gap.
                (next() % 20 + if next() % 2 == 0 { 20 } else { 200 }) as usize
            } else {
                next() as usize
            };
            h[at.min(255)] += 1 + next() * big;
        }
        let (t, sigma, mu1) = otsu_every_bin(&h);
        let (t2, sigma2, mu1_2) = otsu_scan(&h);
        // Every step as OpenCV's: the largest variance and the last mu1, bit for bit.
        let bits = |(t, s, m): (u8, f64, f64)| (t, s.to_bits(), m.to_bits());
        assert_eq!(
            bits((t2, sigma2, mu1_2)),
            bits((t, sigma, mu1)),
            "case {case}: {h:?}"
        );
        assert_eq!(otsu_from_histogram(&h), t);
        skipped += usize::from(h.iter().filter(|&&c| c == 0).count() > 100);
    }
    assert!(skipped > 1000, "sparse cases {skipped}");
    assert_eq!(otsu_every_bin(&[0; 256]).0, otsu_from_histogram(&[0; 256]));
}

#[test]
fn otsu_matches_definition_and_split() {
    // Two clusters: 40 pixels of 30 and 60 of 200: any t in 30..200 separates them; the first
    // maximum (strict >) is 30.
    let mut h = [0u64; 256];
    h[30] = 40;
    h[200] = 60;
    assert_eq!(otsu_from_histogram(&h), 30);
    assert_eq!(otsu_from_histogram(&[0; 256]), 0);
    let mut one = [0u64; 256];
    one[77] = 1000;
    assert_eq!(otsu_from_histogram(&one), 0);

    let (w, h) = (333, 211);
    let mut buf = noise(w * h, 5);
    for (i, v) in buf.iter_mut().enumerate() {
        // Bimodal: dark text on light paper plus noise.
        *v = if (i / 7) % 5 == 0 {
            40 + *v / 8
        } else {
            180 + *v / 8
        };
    }
    let img = ImageView::packed(&buf, w, h, PixelFormat::Gray8).unwrap();
    let serial = histogram_with(false, &img);
    assert_eq!(serial, histogram_with(true, &img));
    assert_eq!(serial.iter().sum::<u64>(), (w * h) as u64);
    let t = otsu_from_histogram(&serial);
    assert!((71..180).contains(&t), "{t}");
    let mut out = vec![0u8; w * h];
    let mut d = ImageViewMut::packed(&mut out, w, h, PixelFormat::Gray8).unwrap();
    assert_eq!(
        threshold_otsu(&img, &mut d, 255.0, ThresholdType::Binary).unwrap(),
        t
    );
    for (o, s) in out.iter().zip(&buf) {
        assert_eq!(*o, if *s > t { 255 } else { 0 });
    }
}

/// Direct window mean: replicate border, OpenCV's divisor.
fn adaptive_ref(src: &ImageView, k: usize, maxval: f64, ty: ThresholdType, c: f64) -> Vec<u8> {
    let (w, h) = (src.width() as isize, src.height() as isize);
    let r = (k / 2) as isize;
    let div = box_mean_divisor(k);
    let m = cv_round(maxval).clamp(0, 255) as i64;
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let mut s = 0u64;
            for dy in -r..=r {
                for dx in -r..=r {
                    s += src.pixel(
                        (x + dx).clamp(0, w - 1) as usize,
                        (y + dy).clamp(0, h - 1) as usize,
                    )[0] as u64;
                }
            }
            let mean = match div {
                BoxMeanDivisor::Fixed { dd, ds } => ((s + dd) * ds) >> 23,
                BoxMeanDivisor::Float { scale } => (s as f64 * scale).round_ties_even() as u64,
            } as i64;
            let d = src.pixel(x as usize, y as usize)[0] as i64 - mean;
            let hit = match ty {
                ThresholdType::Binary => d > -(c.ceil() as i64),
                _ => d <= -(c.floor() as i64),
            };
            out.push(if hit { m as u8 } else { 0 });
        }
    }
    out
}

#[test]
fn box_divisor_is_exact_division_rounded() {
    // For k <= 15 the fixed-point form equals round(s / k^2) on every reachable sum.
    for k in (3..=15).step_by(2) {
        let d = (k * k) as u64;
        let div = box_mean_divisor(k);
        for s in 0..=255 * d {
            let BoxMeanDivisor::Fixed { dd, ds } = div else {
                panic!()
            };
            let got = ((s + dd) * ds) >> 23;
            assert_eq!(got, (2 * s + d) / (2 * d), "k {k} s {s}");
        }
    }
    assert!(matches!(box_mean_divisor(17), BoxMeanDivisor::Float { .. }));
}

#[test]
fn adaptive_matches_window_reference() {
    for &(w, h) in &[(1usize, 1usize), (7, 3), (23, 17), (40, 9)] {
        let buf = noise(w * h, (w * h) as u64);
        let img = ImageView::packed(&buf, w, h, PixelFormat::Gray8).unwrap();
        for k in [3usize, 5, 15, 17, 31] {
            for (ty, c) in [
                (ThresholdType::Binary, 2.5),
                (ThresholdType::BinaryInv, -3.2),
                (ThresholdType::Binary, -10.0),
            ] {
                let want = adaptive_ref(&img, k, 255.0, ty, c);
                for isa in Isa::available() {
                    for split in [false, true] {
                        let mut out = vec![7u8; w * h];
                        let mut d =
                            ImageViewMut::packed(&mut out, w, h, PixelFormat::Gray8).unwrap();
                        cpu::with_isa(isa, |isa| {
                            run_for_test(isa, split, &img, &mut d, 255.0, ty, k, c)
                        });
                        assert_eq!(out, want, "{w}x{h} k {k} {ty:?} split {split} {isa:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn adaptive_rejects_bad_arguments_without_writing() {
    let buf = noise(64, 1);
    let img = ImageView::packed(&buf, 8, 8, PixelFormat::Gray8).unwrap();
    let mut out = vec![9u8; 64];
    let mut d = ImageViewMut::packed(&mut out, 8, 8, PixelFormat::Gray8).unwrap();
    for (k, ty, c) in [
        (4usize, ThresholdType::Binary, 0.0),
        (1, ThresholdType::Binary, 0.0),
        (3, ThresholdType::Trunc, 0.0),
        (3, ThresholdType::Binary, f64::NAN),
        (MAX_BLOCK_SIZE + 2, ThresholdType::Binary, 0.0),
    ] {
        let e = adaptive_threshold_mean(&img, &mut d, 255.0, ty, k, c).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    assert!(out.iter().all(|&v| v == 9));
    let mut d = ImageViewMut::packed(&mut out, 8, 8, PixelFormat::Gray8).unwrap();
    adaptive_threshold_mean(&img, &mut d, -1.0, ThresholdType::Binary, 3, 0.0).unwrap();
    assert!(out.iter().all(|&v| v == 0));
}

/// Both sides of the small-image cut-off of the serial histogram (`SMALL_PIXELS`), strided, with
/// a run of one value, against a plain count.
#[test]
fn histogram_of_small_and_larger_images_counts_every_pixel() {
    for &(w, h) in &[
        (1usize, 1usize),
        (4, 4),
        (16, 16),
        (256, 1),
        (257, 1),
        (1, 257),
        (17, 16),
    ] {
        let stride = w + 3;
        let mut buf = noise(stride * h, (w * 5 + h) as u64);
        buf[..w.min(9)].fill(42);
        let img = ImageView::new(&buf, w, h, stride, PixelFormat::Gray8).unwrap();
        let mut want = [0u64; 256];
        (0..h).for_each(|y| {
            buf[y * stride..y * stride + w]
                .iter()
                .for_each(|&v| want[v as usize] += 1)
        });
        for split in [false, true] {
            assert_eq!(
                super::otsu::histogram_with(split, &img),
                want,
                "{w}x{h} split {split}"
            );
        }
    }
}

#[test]
fn histogram_counts_runs_and_noise_exactly() {
    let mut data = noise(5000, 9);
    // Runs of every length around the 8- and 32-byte fast paths, at odd offsets.
    let mut i = 3;
    for len in [7usize, 8, 9, 31, 32, 33, 64, 65, 100] {
        for v in data[i..i + len].iter_mut() {
            *v = (len * 3) as u8;
        }
        i += len + 5;
    }
    for start in 0..4 {
        let row = &data[start..];
        let mut h = [[0u32; 256]; 4];
        scalar::histogram_add(row, &mut h);
        let mut want = [0u32; 256];
        for &b in row {
            want[b as usize] += 1;
        }
        for (bin, w) in want.iter().enumerate() {
            assert_eq!(
                h.iter().map(|s| s[bin]).sum::<u32>(),
                *w,
                "bin {bin} start {start}"
            );
        }
    }
}

/// No kernel reads past the image: GRAY8 and f32 planes of odd widths and whole vector
/// steps, a few heights, whose last element ends on the byte before an inaccessible page;
/// every ISA's threshold (out of place and in place, every type), adaptive threshold and
/// histogram equal the scalar ones.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn no_kernel_reads_past_the_image() {
    use crate::test_guard::{Guarded, WIDTHS};
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    for w in WIDTHS {
        for h in [1usize, 2, 5] {
            let data = noise(w * h, (w * 3 + h) as u64);
            let floats: Vec<f32> = data.iter().map(|&v| v as f32 / 255.0).collect();
            let guarded = Guarded::new(&data);
            let gf = Guarded::new(&floats);
            let src = ImageView::packed(guarded.as_slice(), w, h, PixelFormat::Gray8).unwrap();
            let plane = PlaneF32 {
                width: w,
                height: h,
                stride: w,
            };
            let mut counts = [0u64; 256];
            data.iter().for_each(|&v| counts[v as usize] += 1);
            for split in [false, true] {
                assert_eq!(histogram_with(split, &src), counts, "{w}x{h}");
            }
            let run = |isa: Isa| {
                let mut u8s = Vec::new();
                let mut f32s = Vec::new();
                for ty in ThresholdType::ALL {
                    let plan = plan_u8(100.0, 200.0, ty);
                    let mut out = vec![0u8; w * h];
                    let mut d = ImageViewMut::packed(&mut out, w, h, PixelFormat::Gray8).unwrap();
                    run_plan(isa, false, plan, &src, &mut d);
                    u8s.push(out);
                    let mut inplace = Guarded::new(&data);
                    let mut d =
                        ImageViewMut::packed(inplace.as_mut_slice(), w, h, PixelFormat::Gray8)
                            .unwrap();
                    run_plan_inplace(isa, false, plan, &mut d);
                    u8s.push(inplace.as_slice().to_vec());
                    let op = f32_op(0.4, 0.9, ty);
                    let mut out = vec![0f32; w * h];
                    run_f32(isa, false, op, gf.as_slice(), plane, &mut out, w);
                    f32s.push(bits(&out));
                    let mut inplace = Guarded::new(&floats);
                    run_f32_inplace(isa, false, op, inplace.as_mut_slice(), w, w, h);
                    f32s.push(bits(inplace.as_slice()));
                }
                for (k, ty) in [(3, ThresholdType::Binary), (17, ThresholdType::BinaryInv)] {
                    let mut out = vec![0u8; w * h];
                    let mut d = ImageViewMut::packed(&mut out, w, h, PixelFormat::Gray8).unwrap();
                    run_for_test(isa, false, &src, &mut d, 255.0, ty, k, 2.5);
                    u8s.push(out);
                }
                (u8s, f32s)
            };
            let want = run(Isa::Scalar);
            for isa in Isa::available() {
                let got = cpu::with_isa(isa, run);
                assert!(got == want, "{w}x{h} {isa:?}");
            }
        }
    }
}
