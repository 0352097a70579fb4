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
//! The frame is converted to RGB8 into a per-thread buffer kept between calls (no
//! allocation in steady state), then the pipeline reads it band by band. The tensor equals,
//! bit for bit, `cv2.cvtColor(frame, COLOR_YUV2RGB_<layout>)` followed by the pipeline's
//! peer chain (for the letterbox preset: Ultralytics `LetterBox` + `blobFromImage`, whose
//! `swapRB` on the BGR conversion gives the same RGB floats). Both steps split large work
//! across scipix's pool; the bits do not depend on the thread count.

use super::source_buffer::with_source_buffer;
use super::{Pipeline, PipelineSpec};
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::image::resize::LetterboxGeometry;
use crate::image::yuv::{yuv_to_image, YuvFrame};
use crate::image::{ImageView, ImageViewMut, PixelFormat};

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
    let len = checked_product(&[w, h, 3], "converted frame bytes")?;
    with_source_buffer(len, |buf| {
        yuv_to_image(
            frame,
            &mut ImageViewMut::packed(buf, w, h, PixelFormat::Rgb8)?,
        )?;
        pipe.run(
            &ImageView::packed(buf, w, h, PixelFormat::Rgb8)?,
            &mut out[..need],
        )
    })?;
    Ok(pipe.geometry())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::resize::LetterboxOptions;
    use crate::image::yuv::YuvLayout;
    use crate::tensor::{ClassifyOptions, Layout};

    fn noise(n: usize, seed: u32) -> Vec<u8> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s >> 8) as u8
            })
            .collect()
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
}
