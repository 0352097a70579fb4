use super::*;
use crate::cpu::{self, Isa};
use crate::image::test_noise::bytes;

const FORMATS: [PixelFormat; 5] = [
    PixelFormat::Gray8,
    PixelFormat::Rgb8,
    PixelFormat::Bgr8,
    PixelFormat::Rgba8,
    PixelFormat::Bgra8,
];

fn convert(frame: &YuvFrame, fmt: PixelFormat) -> Vec<u8> {
    let (w, h) = (frame.width(), frame.height());
    let mut out = vec![0u8; w * h * fmt.bytes_per_pixel()];
    yuv_to_image(
        frame,
        &mut ImageViewMut::packed(&mut out, w, h, fmt).unwrap(),
    )
    .unwrap();
    out
}

/// The rule of the module docs written out in i64 for a few known colours.
#[test]
fn pixel_rule() {
    assert_eq!(scalar::px(16, 128, 128), [0, 0, 0]);
    assert_eq!(scalar::px(235, 128, 128), [255, 255, 255]);
    assert_eq!(scalar::px(0, 128, 128), [0, 0, 0]); // below 16 clamps
    assert_eq!(scalar::px(126, 128, 128), [128, 128, 128]);
    // BT.601 video-range red, green, blue.
    assert_eq!(scalar::px(81, 90, 240), [254, 0, 0]);
    assert_eq!(scalar::px(145, 54, 34), [0, 255, 1]);
    assert_eq!(scalar::px(41, 240, 110), [0, 0, 255]);
    for y in [0u8, 16, 100, 235, 255] {
        for u in [0u8, 77, 128, 200, 255] {
            for v in [0u8, 31, 128, 222, 255] {
                let yy = (y as i64 - 16).max(0) * 1_220_542 + (1 << 19);
                let (u, v) = (u as i64 - 128, v as i64 - 128);
                let s = |x: i64| (x >> 20).clamp(0, 255) as u8;
                let want = [
                    s(yy + 1_673_527 * v),
                    s(yy - 852_492 * v - 409_993 * u),
                    s(yy + 2_116_026 * u),
                ];
                assert_eq!(scalar::px(y, (u + 128) as u8, (v + 128) as u8), want);
            }
        }
    }
}

/// NV12, NV21, I420 and YV12 holding the same samples convert alike, with padded strides.
#[test]
fn every_420_layout_agrees() {
    let (w, h) = (38usize, 10usize);
    let (cw, ch) = (w / 2, h / 2);
    let yb = bytes((w + 5) * h, 1);
    let ub = bytes(cw * ch, 2);
    let vb = bytes(cw * ch, 3);
    let mut nv12 = vec![0u8; (w + 3) * ch];
    let mut nv21 = vec![0u8; (w + 3) * ch];
    for r in 0..ch {
        for c in 0..cw {
            nv12[r * (w + 3) + 2 * c] = ub[r * cw + c];
            nv12[r * (w + 3) + 2 * c + 1] = vb[r * cw + c];
            nv21[r * (w + 3) + 2 * c] = vb[r * cw + c];
            nv21[r * (w + 3) + 2 * c + 1] = ub[r * cw + c];
        }
    }
    let y = (&yb[..], w + 5);
    let frames = [
        YuvFrame::semi_planar(YuvLayout::Nv12, w, h, y, (&nv12, w + 3)).unwrap(),
        YuvFrame::semi_planar(YuvLayout::Nv21, w, h, y, (&nv21, w + 3)).unwrap(),
        YuvFrame::planar(YuvLayout::I420, w, h, [y, (&ub, cw), (&vb, cw)]).unwrap(),
        YuvFrame::planar(YuvLayout::Yv12, w, h, [y, (&vb, cw), (&ub, cw)]).unwrap(),
    ];
    for fmt in FORMATS {
        let want = convert(&frames[0], fmt);
        for f in &frames[1..] {
            assert_eq!(convert(f, fmt), want, "{:?} {fmt:?}", f.layout());
        }
        // Spot-check against the pixel rule.
        let bpp = fmt.bytes_per_pixel();
        for (px, py) in [(0, 0), (37, 9), (11, 4), (20, 7)] {
            let o = &want[(py * w + px) * bpp..][..bpp];
            let (yv, c) = (yb[py * (w + 5) + px], (py / 2) * cw + px / 2);
            let [r, g, b] = scalar::px(yv, ub[c], vb[c]);
            let expect: Vec<u8> = match fmt {
                PixelFormat::Gray8 => vec![yv],
                PixelFormat::Rgb8 => vec![r, g, b],
                PixelFormat::Bgr8 => vec![b, g, r],
                PixelFormat::Rgba8 => vec![r, g, b, 255],
                PixelFormat::Bgra8 => vec![b, g, r, 255],
            };
            assert_eq!(o, &expect[..], "{fmt:?} at {px},{py}");
        }
    }
}

/// The three packed 4:2:2 orders hold the same samples and convert alike.
#[test]
fn every_422_layout_agrees() {
    let (w, h) = (14usize, 5usize);
    let stride = 2 * w + 6;
    let yb = bytes(w * h, 4);
    let ub = bytes(w / 2 * h, 5);
    let vb = bytes(w / 2 * h, 6);
    let pack = |order: [u8; 4]| {
        let mut p = vec![0u8; stride * h];
        for r in 0..h {
            for c in 0..w / 2 {
                let vals = |k: u8| match k {
                    0 => yb[r * w + 2 * c],
                    1 => yb[r * w + 2 * c + 1],
                    2 => ub[r * (w / 2) + c],
                    _ => vb[r * (w / 2) + c],
                };
                for (j, &k) in order.iter().enumerate() {
                    p[r * stride + 4 * c + j] = vals(k);
                }
            }
        }
        p
    };
    let (yuyv, uyvy, yvyu) = (pack([0, 2, 1, 3]), pack([2, 0, 3, 1]), pack([0, 3, 1, 2]));
    let frames = [
        YuvFrame::packed(YuvLayout::Yuyv, w, h, (&yuyv, stride)).unwrap(),
        YuvFrame::packed(YuvLayout::Uyvy, w, h, (&uyvy, stride)).unwrap(),
        YuvFrame::packed(YuvLayout::Yvyu, w, h, (&yvyu, stride)).unwrap(),
    ];
    for fmt in FORMATS {
        let want = convert(&frames[0], fmt);
        for f in &frames[1..] {
            assert_eq!(convert(f, fmt), want, "{:?} {fmt:?}", f.layout());
        }
    }
    let rgb = convert(&frames[0], PixelFormat::Rgb8);
    let c = 2 * (w / 2) + 3;
    assert_eq!(
        &rgb[(2 * w + 7) * 3..][..3],
        &scalar::px(yb[2 * w + 7], ub[c], vb[c])
    );
}

#[test]
fn bad_frames_are_refused() {
    let buf = [0u8; 64];
    let nv = |w, h, ys, uvs, ylen, uvlen| {
        YuvFrame::semi_planar(
            YuvLayout::Nv12,
            w,
            h,
            (&buf[..ylen], ys),
            (&buf[..uvlen], uvs),
        )
    };
    assert!(nv(4, 4, 4, 4, 16, 8).is_ok());
    assert!(nv(0, 4, 4, 4, 16, 8).is_err()); // empty
    assert!(nv(3, 4, 4, 4, 16, 8).is_err()); // odd width
    assert!(nv(4, 3, 4, 4, 16, 8).is_err()); // odd height (4:2:0)
    assert!(nv(4, 4, 3, 4, 16, 8).is_err()); // stride below the row
    assert!(nv(4, 4, 4, 4, 15, 8).is_err()); // short luma
    assert!(nv(4, 4, 4, 4, 16, 7).is_err()); // short chroma
    assert!(nv(4, 4, usize::MAX, 4, 16, 8).is_err()); // overflowing stride
    assert!(YuvFrame::packed(YuvLayout::Yuyv, 4, 3, (&buf[..24], 8)).is_ok()); // odd height is fine
    assert!(YuvFrame::packed(YuvLayout::Nv12, 4, 4, (&buf[..32], 8)).is_err()); // wrong plane count
    assert!(YuvFrame::new(YuvLayout::I420, 4, 4, &[(&buf[..16], 4)]).is_err());
    // A destination of another size is refused and left untouched.
    let f = nv(4, 4, 4, 4, 16, 8).unwrap();
    let mut out = [9u8; 3 * 4 * 2];
    let mut d = ImageViewMut::packed(&mut out, 4, 2, PixelFormat::Rgb8).unwrap();
    assert!(yuv_to_image(&f, &mut d).is_err());
    assert!(out.iter().all(|&v| v == 9));
}

#[test]
fn split_equals_single_band() {
    let (w, h) = (1280usize, 1024usize); // above the cut-off
    let yb = bytes(w * h, 7);
    let uv = bytes(w * h / 2, 8);
    let f = YuvFrame::semi_planar(YuvLayout::Nv12, w, h, (&yb, w), (&uv, w)).unwrap();
    let run = |split| {
        let mut out = vec![0u8; w * h * 3];
        let mut d = ImageViewMut::packed(&mut out, w, h, PixelFormat::Bgr8).unwrap();
        convert_rows(Isa::Scalar, &f, &mut d, split);
        out
    };
    assert_eq!(run(false), run(true));
    assert_eq!(run(false), convert(&f, PixelFormat::Bgr8));
}

thread_local! {
    /// Set to run the AVX-512 level without its VBMI/VNNI kernel (the AVX2 one) on a CPU
    /// that has them.
    pub(super) static NO_AVX512_ROWS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Every kernel family the machine runs, as (ISA, AVX-512 kernel turned off): each ISA, and
/// the AVX-512 level once more without its own kernel when the CPU has it.
fn kernels() -> Vec<(Isa, bool)> {
    let isas = Isa::available();
    let extra = isas.contains(&Isa::Avx512).then_some((Isa::Avx512, true));
    isas.into_iter().map(|i| (i, false)).chain(extra).collect()
}

/// A frame of `layout` with random planes: strides padded by `pad`, every plane starting
/// `off` bytes into its buffer (unaligned) and ending with its last row's bytes (no padding
/// after the last row, so the kernels' length checks see any read past it).
fn random_frame(
    layout: YuvLayout,
    w: usize,
    h: usize,
    pad: usize,
    off: usize,
    seed: u32,
) -> Vec<(Vec<u8>, usize)> {
    (0..layout.planes())
        .map(|i| {
            let (rows, row_bytes) = layout.plane_shape(i, w, h);
            let stride = row_bytes + pad;
            let len = off + stride * (rows - 1) + row_bytes;
            (bytes(len, seed * 7 + i as u32), stride)
        })
        .collect()
}

/// Every kernel's rows equal the scalar rows: every layout and format, widths 2..=70 (tails of
/// every length) and wider rows of several steps whose last step overlaps the one before,
/// padded strides, unaligned plane starts, row pairs and single rows.
#[test]
fn every_isa_matches_scalar() {
    let widths: Vec<usize> = (2..=70)
        .step_by(2)
        .chain([94, 96, 98, 126, 128, 130, 158, 190, 192, 194, 254, 256, 322])
        .collect();
    for layout in YuvLayout::ALL {
        for &w in &widths {
            let h = if layout.is_420() { 6 } else { 5 };
            let off = w % 5;
            let planes = random_frame(layout, w, h, w % 3, off, w as u32);
            let views: Vec<(&[u8], usize)> = planes.iter().map(|(b, s)| (&b[off..], *s)).collect();
            let f = YuvFrame::new(layout, w, h, &views).unwrap();
            for fmt in FORMATS {
                let run = |isa| {
                    let mut out = vec![0u8; w * h * fmt.bytes_per_pixel()];
                    let mut d = ImageViewMut::packed(&mut out, w, h, fmt).unwrap();
                    convert_rows(isa, &f, &mut d, false);
                    out
                };
                let want = run(Isa::Scalar);
                for (isa, no512) in kernels() {
                    NO_AVX512_ROWS.with(|c| c.set(no512));
                    cpu::with_isa(isa, |isa| {
                        assert_eq!(run(isa), want, "{layout:?} {fmt:?} w {w} {isa:?} {no512}");
                    });
                }
                NO_AVX512_ROWS.with(|c| c.set(false));
            }
        }
    }
}

/// Bands that start or end inside a 4:2:0 row pair convert those rows alone, with the same
/// result; output rows padded past their pixels keep the padding.
#[test]
fn bands_split_row_pairs() {
    let (w, h) = (130usize, 10usize);
    for layout in [YuvLayout::Nv12, YuvLayout::I420] {
        let planes = random_frame(layout, w, h, 2, 1, 99);
        let views: Vec<(&[u8], usize)> = planes.iter().map(|(b, s)| (&b[1..], *s)).collect();
        let f = YuvFrame::new(layout, w, h, &views).unwrap();
        for fmt in FORMATS {
            let bpp = fmt.bytes_per_pixel();
            let stride = w * bpp + 5;
            let whole = |isa| {
                let mut out = vec![7u8; stride * h];
                let mut d = ImageViewMut::new(&mut out, w, h, stride, fmt).unwrap();
                convert_rows(isa, &f, &mut d, false);
                out
            };
            let want = whole(Isa::Scalar);
            for (isa, no512) in kernels() {
                NO_AVX512_ROWS.with(|c| c.set(no512));
                cpu::with_isa(isa, |isa| {
                    assert_eq!(whole(isa), want, "{layout:?} {fmt:?} {isa:?}");
                    // Bands of rows 0-2, 3-3, 4-8, 9-9.
                    let mut out = vec![7u8; stride * h];
                    let mut d = ImageViewMut::new(&mut out, w, h, stride, fmt).unwrap();
                    for (first, rows) in [(0, 3), (3, 1), (4, 5), (9, 1)] {
                        let mut band = d.subview_mut(0, first, w, rows).unwrap();
                        convert_band(isa, &f, first, &mut band);
                    }
                    assert_eq!(out, want, "{layout:?} {fmt:?} {isa:?} in bands");
                });
            }
            NO_AVX512_ROWS.with(|c| c.set(false));
        }
    }
}

/// No kernel reads past a plane: every layout, format and kernel family, even widths
/// around the vector steps (odd chroma widths among them), a few heights, every plane in
/// its own buffer ending on the byte before an inaccessible page (packed and padded
/// strides); whole frames and bands that convert the first or the last row alone equal
/// the scalar rows.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn no_kernel_reads_past_the_frame() {
    use crate::test_guard::Guarded;
    let widths = [
        2usize, 4, 6, 8, 14, 16, 18, 30, 32, 34, 62, 64, 66, 126, 128, 130, 258, 1022,
    ];
    for layout in YuvLayout::ALL {
        let heights: &[usize] = if layout.is_420() {
            &[2, 4, 6]
        } else {
            &[1, 2, 3]
        };
        for w in widths {
            for &h in heights {
                for pad in [0usize, 3] {
                    let seed = (w * 5 + h + pad) as u32;
                    let guarded: Vec<(Guarded<u8>, usize)> =
                        random_frame(layout, w, h, pad, 0, seed)
                            .iter()
                            .map(|(b, s)| (Guarded::new(b), *s))
                            .collect();
                    let views: Vec<(&[u8], usize)> =
                        guarded.iter().map(|(g, s)| (g.as_slice(), *s)).collect();
                    let f = YuvFrame::new(layout, w, h, &views).unwrap();
                    for fmt in FORMATS {
                        let run = |isa| {
                            let mut outs = Vec::new();
                            let mut out = vec![0u8; w * h * fmt.bytes_per_pixel()];
                            let mut d = ImageViewMut::packed(&mut out, w, h, fmt).unwrap();
                            convert_rows(isa, &f, &mut d, false);
                            outs.push(out);
                            if h > 1 {
                                for bands in [[(0, 1), (1, h - 1)], [(0, h - 1), (h - 1, 1)]] {
                                    let mut out = vec![0u8; w * h * fmt.bytes_per_pixel()];
                                    let mut d = ImageViewMut::packed(&mut out, w, h, fmt).unwrap();
                                    for (first, rows) in bands {
                                        let mut band = d.subview_mut(0, first, w, rows).unwrap();
                                        convert_band(isa, &f, first, &mut band);
                                    }
                                    outs.push(out);
                                }
                            }
                            outs
                        };
                        let want = run(Isa::Scalar);
                        for (isa, no512) in kernels() {
                            NO_AVX512_ROWS.with(|c| c.set(no512));
                            let got = cpu::with_isa(isa, run);
                            NO_AVX512_ROWS.with(|c| c.set(false));
                            assert!(
                                got == want,
                                "{layout:?} {fmt:?} {w}x{h} pad {pad} {isa:?} {no512}"
                            );
                        }
                    }
                }
            }
        }
    }
}
