//! From a camera or video-decoder frame (NV12, NV21, I420, YV12, YUYV, UYVY, YVYU) to a
//! model tensor in one call: the YUV conversion of [`crate::image::yuv`] (bit for bit
//! `cv2.cvtColor(COLOR_YUV2RGB_*)`), then a fused [`Pipeline`].
//!
//! ```
//! use scipix::image::resize::LetterboxOptions;
//! use scipix::image::yuv::{YuvFrame, YuvLayout};
//! use scipix::tensor::{yuv_to_tensor, Layout, PipelineSpec};
//!
//! // A 64x48 NV12 frame: luma plane, then interleaved chroma at half resolution.
//! let (y, uv) = (vec![120u8; 64 * 48], vec![128u8; 64 * 24]);
//! let frame = YuvFrame::semi_planar(YuvLayout::Nv12, 64, 48, (&y, 64), (&uv, 64))?;
//! let spec = PipelineSpec::Letterbox(
//!     LetterboxOptions { width: 32, height: 32, ..Default::default() },
//!     Layout::Nchw,
//! );
//! let mut tensor = vec![0f32; 3 * 32 * 32];
//! let geometry = yuv_to_tensor(&frame, &spec, &mut tensor)?.unwrap();
//! assert_eq!((geometry.resized_w, geometry.resized_h, geometry.top), (32, 24, 4));
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! The frame is converted to RGB8 band by band alongside the resize
//! (`Pipeline::run_streamed`): only the source rows the current tensor rows read are held,
//! in a per-thread buffer kept between calls (no full-size RGB frame, no allocation in
//! steady state), and of those only the rows the resize's tables read. The tensor equals,
//! bit for bit, `cv2.cvtColor(frame, COLOR_YUV2RGB_<layout>)` followed by the pipeline's
//! peer chain (for the letterbox preset: Ultralytics `LetterBox` + `blobFromImage`, whose
//! `swapRB` on the BGR conversion gives the same RGB floats). Large tensors split their
//! rows across scipix's pool, each part converting its own rows; the bits do not depend
//! on the thread count.

use super::RowSource;
use super::{Pipeline, PipelineSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::image::resize::LetterboxGeometry;
use crate::image::yuv::{yuv_to_image, YuvFrame};
use crate::image::{ImageViewMut, PixelFormat};

/// Converts `frame` to RGB and runs `spec` on it into `out[..len]`, `len` being the
/// pipeline's [`Pipeline::tensor_len`]; returns the letterbox geometry for the letterbox
/// preset. Fails, writing nothing, on invalid pipeline parameters or a short `out`.
pub fn yuv_to_tensor(
    frame: &YuvFrame,
    spec: &PipelineSpec,
    out: &mut [f32],
) -> Result<Option<LetterboxGeometry>> {
    let (w, h) = (frame.width(), frame.height());
    let pipe = Pipeline::cached(w, h, PixelFormat::Rgb8, spec)?;
    let need = pipe.tensor_len()?;
    if out.len() < need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {} floats, the tensor needs {need}", out.len()),
        ));
    }
    let runs = pipe
        .resizer()
        .source_rows()
        .and_then(|rows| row_runs(rows, h));
    pipe.run_streamed_split(&mut out[..need], || FrameRows {
        frame,
        runs: runs.as_deref(),
    })?;
    Ok(pipe.geometry())
}

/// The frame's rows as the pipeline asks for them, converted to RGB8: only those of
/// `runs` when given (the rows the resize reads), else every row asked for.
struct FrameRows<'a> {
    frame: &'a YuvFrame<'a>,
    runs: Option<&'a [(usize, usize)]>,
}

impl RowSource for FrameRows<'_> {
    fn produce(&mut self, first: usize, band: &mut ImageViewMut) -> Result<()> {
        let end = first + band.height();
        let Some(runs) = self.runs else {
            return convert_rows(self.frame, first, end - first, band, 0);
        };
        for &(a, n) in runs {
            let (lo, hi) = (a.max(first), (a + n).min(end));
            if lo < hi {
                convert_rows(self.frame, lo, hi - lo, band, lo - first)?;
            }
        }
        Ok(())
    }
}

/// The runs `(first, count)` of source rows covering `rows` (the rows the resize reads,
/// nondecreasing for a downscale). `None` (convert everything) when the rows come out of
/// order (an upscale) or the runs would cover most of the frame anyway.
fn row_runs(rows: &[u32], h: usize) -> Option<Vec<(usize, usize)>> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut covered = 0;
    for &r in rows {
        let r = r as usize;
        match runs.last_mut() {
            Some(last) if r < last.0 => return None,
            Some(last) if r < last.0 + last.1 => {}
            Some(last) if r == last.0 + last.1 => {
                last.1 += 1;
                covered += 1;
            }
            _ => {
                covered += 1;
                runs.push((r, 1));
            }
        }
    }
    // Below this share of skipped rows the bookkeeping gains little.
    (covered * 10 < h * 9).then_some(runs)
}

/// Converts frame rows `y0..y0 + n` into rows `at..at + n` of `band` (a 4:2:0 run
/// starting on an odd row converts that row on its own first).
fn convert_rows(
    frame: &YuvFrame,
    y0: usize,
    n: usize,
    band: &mut ImageViewMut,
    at: usize,
) -> Result<()> {
    let w = frame.width();
    let split = if frame.layout().is_420() && y0 % 2 == 1 && n > 1 {
        1
    } else {
        n
    };
    for (a, m) in [(y0, split), (y0 + split, n - split)] {
        if m > 0 {
            let mut rows = band.subview_mut(0, at + (a - y0), w, m)?;
            yuv_to_image(&frame.band(a, m)?, &mut rows)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::resize::LetterboxOptions;
    use crate::image::test_noise::noise;
    use crate::image::yuv::YuvLayout;
    use crate::image::ImageView;
    use crate::tensor::source_buffer::with_source_buffer;
    use crate::tensor::{ClassifyOptions, Layout};

    #[test]
    fn row_runs_merge() {
        assert_eq!(
            row_runs(&[0, 1, 3, 4, 6, 7], 10),
            Some(vec![(0, 2), (3, 2), (6, 2)])
        );
        // Rows read again are fine; rows out of order (row 3 after row 6): convert everything.
        assert_eq!(row_runs(&[3, 4, 3, 4], 10), Some(vec![(3, 2)]));
        assert_eq!(row_runs(&[5, 6, 3, 4], 10), None);
        // Nearly every row: convert everything.
        assert_eq!(row_runs(&[0, 1, 2, 3, 4, 5, 6, 7, 8], 10), None);
    }

    /// Large downscales read a few rows; the tensor still equals converting every row.
    #[test]
    fn skipped_rows_do_not_change_the_tensor() {
        let (w, h) = (120, 186);
        let packed = noise(w * 2 * h, 7);
        let y = noise(w * h, 3);
        let c = noise(w * h / 2, 4);
        let (u, v) = c.split_at(w * h / 4);
        let frames = [
            YuvFrame::packed(YuvLayout::Uyvy, w, h, (&packed, w * 2)).unwrap(),
            YuvFrame::planar(YuvLayout::Yv12, w, h, [(&y, w), (v, w / 2), (u, w / 2)]).unwrap(),
            YuvFrame::semi_planar(YuvLayout::Nv12, w, h, (&y, w), (&c, w)).unwrap(),
        ];
        for frame in frames {
            let mut rgb = vec![0u8; w * h * 3];
            yuv_to_image(
                &frame,
                &mut ImageViewMut::packed(&mut rgb, w, h, PixelFormat::Rgb8).unwrap(),
            )
            .unwrap();
            for (tw, th) in [(24, 24), (40, 31), (7, 5), (40, 62), (40, 93)] {
                let spec = PipelineSpec::Letterbox(
                    LetterboxOptions {
                        width: tw,
                        height: th,
                        ..Default::default()
                    },
                    Layout::Nchw,
                );
                let p = Pipeline::new(w, h, PixelFormat::Rgb8, &spec).unwrap();
                let mut want = vec![0f32; p.tensor_len().unwrap()];
                p.run(
                    &ImageView::packed(&rgb, w, h, PixelFormat::Rgb8).unwrap(),
                    &mut want,
                )
                .unwrap();
                // Garbage in the per-thread buffer must not reach the tensor.
                with_source_buffer(w * h * 3, |b| {
                    b.fill(0xA5);
                    Ok(())
                })
                .unwrap();
                let mut got = vec![0f32; want.len()];
                yuv_to_tensor(&frame, &spec, &mut got).unwrap();
                assert!(
                    got.iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{:?} to {tw}x{th}",
                    frame.layout()
                );
            }
        }
    }

    #[test]
    fn equals_conversion_then_pipeline() {
        let (w, h) = (98, 62);
        let y = noise(w * h, 1);
        let uv = noise(w * h / 2, 2);
        let frame = YuvFrame::semi_planar(YuvLayout::Nv21, w, h, (&y, w), (&uv, w)).unwrap();
        let mut rgb = vec![0u8; w * h * 3];
        yuv_to_image(
            &frame,
            &mut ImageViewMut::packed(&mut rgb, w, h, PixelFormat::Rgb8).unwrap(),
        )
        .unwrap();
        for spec in [
            PipelineSpec::Letterbox(
                LetterboxOptions {
                    width: 64,
                    height: 48,
                    ..Default::default()
                },
                Layout::Nhwc,
            ),
            PipelineSpec::Classify(ClassifyOptions {
                resize_short: 40,
                crop_w: 32,
                crop_h: 30,
                mean: [0.5; 3],
                std: [0.25; 3],
                layout: Layout::Nchw,
            }),
        ] {
            let p = Pipeline::new(w, h, PixelFormat::Rgb8, &spec).unwrap();
            let n = p.tensor_len().unwrap();
            let mut want = vec![0f32; n];
            p.run(
                &ImageView::packed(&rgb, w, h, PixelFormat::Rgb8).unwrap(),
                &mut want,
            )
            .unwrap();
            let mut got = vec![f32::NAN; n + 1];
            let g = yuv_to_tensor(&frame, &spec, &mut got).unwrap();
            assert!(got[n].is_nan());
            assert!(got[..n]
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
            assert_eq!(g, p.geometry());
            let e = yuv_to_tensor(&frame, &spec, &mut got[..n - 1]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
        }
    }

    /// No path reads past a plane: every layout, a few sizes (odd chroma widths among
    /// them), every plane in its own buffer ending on the byte before an inaccessible page;
    /// every ISA's tensor equals the scalar one for the letterbox and classify presets.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn no_path_reads_past_the_frame() {
        use crate::cpu::{self, Isa};
        use crate::test_guard::Guarded;
        let specs = crate::tensor::pipeline::tests::small_presets(Layout::Nhwc);
        for layout in YuvLayout::ALL {
            for (w, h) in [(2, 2), (34, 6), (66, 4), (130, 10), (258, 14)] {
                let planes: Vec<(Guarded<u8>, usize)> = (0..layout.planes())
                    .map(|i| {
                        // Packed strides: each plane's rows back to back.
                        let stride = match (layout.planes(), i) {
                            (1, _) => 2 * w,
                            (3, 1..) => w / 2,
                            _ => w,
                        };
                        let len = layout.plane_len(i, w, h, stride).unwrap();
                        (Guarded::new(&noise(len, (w * 3 + i) as u64)), stride)
                    })
                    .collect();
                let views: Vec<(&[u8], usize)> =
                    planes.iter().map(|(g, s)| (g.as_slice(), *s)).collect();
                let frame = YuvFrame::new(layout, w, h, &views).unwrap();
                for spec in &specs {
                    let run = |isa| {
                        let n = Pipeline::new(w, h, PixelFormat::Rgb8, spec)
                            .unwrap()
                            .tensor_len()
                            .unwrap();
                        let mut out = vec![f32::NAN; n];
                        cpu::with_isa(isa, |_| yuv_to_tensor(&frame, spec, &mut out)).unwrap();
                        out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                    };
                    let want = run(Isa::Scalar);
                    for isa in Isa::available() {
                        assert!(run(isa) == want, "{layout:?} {w}x{h} {spec:?} {isa:?}");
                    }
                }
            }
        }
    }
}
