//! C API: from a YUV camera/decoder frame to a model tensor in one call (conversion, then
//! the fused letterbox or classification pipeline).

use super::guard::guard;
use super::handle::try_ref_from_ptr;
use super::resize::{
    classify_spec, ScipixClassifyParams, ScipixLetterboxInfo, ScipixLetterboxParams,
};
use super::status::ScipixStatus;
use super::tensor::{batch_slot, layout_arg, ScipixTensorLayout};
use super::yuv::{frame_from_c, ScipixYuvFrame};
use crate::error::Result;
use crate::image::resize::LetterboxGeometry;
use crate::image::PixelFormat;
use crate::tensor::{yuv_to_tensor, Pipeline, PipelineSpec};

/// One frame into slot `batch_index` of `out`; the geometry for letterbox specs.
fn run_one(
    frame: *const ScipixYuvFrame,
    spec: &PipelineSpec,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
) -> Result<Option<LetterboxGeometry>> {
    let f = try_ref_from_ptr!(frame);
    let pipe = Pipeline::cached(f.width, f.height, PixelFormat::Rgb8, spec)?;
    let per = pipe.tensor_len()?;
    let check = |span| frame_from_c(f, span, "the output tensor");
    let (frame, slot) = batch_slot(out, out_len, per, batch_index, "frame", check)?;
    yuv_to_tensor(&frame, spec, slot)
}

/// Converts the YUV `frame` (as `scipix_yuv_to_image` to RGB) and letterboxes it into an
/// RGB float tensor `/255` in `layout` in one call, writing image `batch_index` of a batch
/// tensor: the `3 * H * W` floats from `out + batch_index * 3 * H * W` (capacity `out_len`
/// floats; H x W the letterbox size). Bit for bit `cv2.cvtColor(frame,
/// COLOR_YUV2BGR_<layout>)` + Ultralytics `LetterBox` + `cv2.dnn.blobFromImage(img, 1/255.0,
/// swapRB=True)`. The frame is converted band by band alongside the resize (no full-size
/// RGB frame is written). `info` (may be NULL) receives the geometry.
///
/// Errors: those of `scipix_yuv_to_image` (frame) and `scipix_letterbox_to_tensor`
/// (parameters, layout, `out`); `SCIPIX_ERR_INVALID_ARGUMENT` when `out` overlaps a plane.
/// Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_yuv_letterbox_to_tensor(
    frame: *const ScipixYuvFrame,
    params: *const ScipixLetterboxParams,
    layout: ScipixTensorLayout,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
    info: *mut ScipixLetterboxInfo,
) -> ScipixStatus {
    guard(|| {
        let p = try_ref_from_ptr!(params).to_rust();
        let spec = PipelineSpec::Letterbox(p, layout_arg(layout)?);
        let g = run_one(frame, &spec, out, out_len, batch_index)?;
        // SAFETY: NULL or a valid writable pointer (documented contract).
        if let (Some(i), Some(g)) = (unsafe { info.as_mut() }, g) {
            *i = g.into();
        }
        Ok(())
    })
}

/// Converts the YUV `frame` to RGB and runs torchvision's classification input on it
/// (`Resize(resize_short)` with Pillow BILINEAR, `CenterCrop`, `ToTensor`,
/// `Normalize(mean, std)`, as `scipix_classify_to_tensor`; `mean_len == std_len == 3`),
/// writing image `batch_index` of a batch tensor. Bit for bit `cv2.cvtColor(frame,
/// COLOR_YUV2RGB_<layout>)` followed by that chain on the RGB image.
///
/// Errors: those of `scipix_yuv_to_image` and `scipix_classify_to_tensor`. Nothing is
/// written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_yuv_classify_to_tensor(
    frame: *const ScipixYuvFrame,
    params: *const ScipixClassifyParams,
    mean: *const f32,
    mean_len: usize,
    std: *const f32,
    std_len: usize,
    out: *mut f32,
    out_len: usize,
    batch_index: usize,
) -> ScipixStatus {
    guard(|| {
        let spec = classify_spec(params, 3, mean, mean_len, std, std_len)?;
        run_one(frame, &spec, out, out_len, batch_index).map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::resize::scipix_letterbox_params_default;
    use crate::capi::tensor::SCIPIX_LAYOUT_NCHW;
    use crate::capi::yuv::SCIPIX_YUV_I420;

    #[test]
    fn letterbox_and_classify_from_a_frame() {
        let (w, h) = (96, 64);
        let mut planes = vec![0u8; w * h * 3 / 2];
        for (i, v) in planes.iter_mut().enumerate() {
            *v = (i * 37 % 251) as u8;
        }
        let (y, rest) = planes.split_at(w * h);
        let (u, v) = rest.split_at(w * h / 4);
        let frame = ScipixYuvFrame {
            layout: SCIPIX_YUV_I420,
            width: w,
            height: h,
            planes: [y.as_ptr(), u.as_ptr(), v.as_ptr()],
            strides: [w, w / 2, w / 2],
        };
        let mut p = std::mem::MaybeUninit::uninit();
        assert_eq!(
            scipix_letterbox_params_default(p.as_mut_ptr()),
            ScipixStatus::SCIPIX_OK
        );
        // SAFETY: initialised by the call above.
        let mut p: ScipixLetterboxParams = unsafe { p.assume_init() };
        p.width = 48;
        p.height = 48;
        let per = 3 * 48 * 48;
        let mut out = vec![f32::NAN; 2 * per];
        let mut info = ScipixLetterboxInfo::default();
        let st = scipix_yuv_letterbox_to_tensor(
            &frame,
            &p,
            SCIPIX_LAYOUT_NCHW,
            out.as_mut_ptr(),
            out.len(),
            1,
            &mut info,
        );
        assert_eq!(st, ScipixStatus::SCIPIX_OK);
        assert!(out[..per].iter().all(|v| v.is_nan()));
        assert!(out[per..].iter().all(|v| v.is_finite()));
        assert_eq!(
            (info.resized_width, info.resized_height, info.top),
            (48, 32, 8)
        );
        // The same through the Rust path.
        let yf = crate::image::yuv::YuvFrame::planar(
            crate::image::yuv::YuvLayout::I420,
            w,
            h,
            [(y, w), (u, w / 2), (v, w / 2)],
        )
        .unwrap();
        let mut want = vec![0f32; per];
        let spec = PipelineSpec::Letterbox(p.to_rust(), crate::tensor::Layout::Nchw);
        yuv_to_tensor(&yf, &spec, &mut want).unwrap();
        assert!(out[per..]
            .iter()
            .zip(&want)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        // Classification, and the refusals.
        let cp = ScipixClassifyParams {
            resize_short: 40,
            crop_width: 32,
            crop_height: 32,
            layout: SCIPIX_LAYOUT_NCHW,
        };
        let (m, s) = ([0.5f32; 3], [0.25f32; 3]);
        let mut c = vec![f32::NAN; 3 * 32 * 32];
        let call = |c: &mut [f32], n: usize, std_len: usize| {
            scipix_yuv_classify_to_tensor(
                &frame,
                &cp,
                m.as_ptr(),
                3,
                s.as_ptr(),
                std_len,
                c.as_mut_ptr(),
                n,
                0,
            )
        };
        assert_eq!(
            call(&mut c, 3 * 32 * 32 - 1, 3),
            ScipixStatus::SCIPIX_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(
            call(&mut c, 3 * 32 * 32, 1),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert!(c.iter().all(|v| v.is_nan()));
        assert_eq!(call(&mut c, 3 * 32 * 32, 3), ScipixStatus::SCIPIX_OK);
        assert!(c.iter().all(|v| v.is_finite()));
        // A tensor over the frame's own planes is refused.
        let st = scipix_yuv_letterbox_to_tensor(
            &frame,
            &p,
            SCIPIX_LAYOUT_NCHW,
            planes.as_ptr() as *mut f32,
            per,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(st, ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT);
        let bad = ScipixYuvFrame {
            layout: 99,
            ..frame
        };
        let st = scipix_yuv_letterbox_to_tensor(
            &bad,
            &p,
            SCIPIX_LAYOUT_NCHW,
            out.as_mut_ptr(),
            out.len(),
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(st, ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT);
    }
}
