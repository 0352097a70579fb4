use super::*;
use crate::capi::resize::{scipix_letterbox_params_default, ScipixLetterboxParams};
use crate::capi::tensor::SCIPIX_LAYOUT_NCHW;
use crate::codec::jpeg::tests::sample_jpeg;
use crate::image::resize::LetterboxOptions;
use crate::tensor::{ClassifyOptions, Layout};

fn last() -> String {
    let mut s = String::new();
    crate::capi::guard::with_last_error(|m| s = m.to_string_lossy().into_owned());
    s
}

fn lb_params(w: usize, h: usize) -> ScipixLetterboxParams {
    let mut p = std::mem::MaybeUninit::<ScipixLetterboxParams>::uninit();
    assert_eq!(
        scipix_letterbox_params_default(p.as_mut_ptr()),
        ScipixStatus::SCIPIX_OK
    );
    // SAFETY: initialised by the call above.
    let mut p = unsafe { p.assume_init() };
    p.width = w;
    p.height = h;
    p
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn letterbox_slot_equals_the_rust_call_and_reports_the_mapping() {
    let jpg = sample_jpeg(1280, 720, 2, false);
    let p = lb_params(320, 320);
    let per = 3 * 320 * 320;
    let mut opts = ScipixBytesOptions::default();
    assert_eq!(
        scipix_bytes_options_default(&mut opts),
        ScipixStatus::SCIPIX_OK
    );
    opts.mode = SCIPIX_DECODE_REDUCED;
    let mut out = vec![f32::NAN; 2 * per];
    let mut info = ScipixBytesInfo::default();
    let st = scipix_bytes_letterbox_to_tensor(
        jpg.as_ptr(),
        jpg.len(),
        &p,
        SCIPIX_LAYOUT_NCHW,
        &opts,
        out.as_mut_ptr(),
        out.len(),
        1,
        &mut info,
    );
    assert_eq!(st, ScipixStatus::SCIPIX_OK, "{}", last());
    assert!(out[..per].iter().all(|v| v.is_nan()), "slot 0 was written");
    let spec = PipelineSpec::Letterbox(
        LetterboxOptions {
            width: 320,
            height: 320,
            ..Default::default()
        },
        Layout::Nchw,
    );
    let mut want = vec![0f32; per];
    let o = BytesOptions {
        mode: DecodeMode::Reduced,
        ..Default::default()
    };
    bytes_to_tensor(&jpg, &spec, &o, &mut want).unwrap();
    assert!(same_bits(&out[per..], &want));
    // 1280x720 -> 320x180 needs 1/4 (1280 >= 4 * 320): 320x180 decoded, 70 rows of pad.
    assert_eq!(info.container, SCIPIX_CONTAINER_JPEG);
    assert_eq!((info.source_width, info.source_height), (1280, 720));
    assert_eq!((info.decoded_width, info.decoded_height), (320, 180));
    assert_eq!(info.scale_num, 2);
    assert_eq!((info.letterbox.top, info.letterbox.scale_x), (70, 1.0));
}

#[test]
fn classify_and_batches_match_the_rust_calls() {
    let items: Vec<Vec<u8>> = [(333, 217), (640, 480), (217, 333)]
        .iter()
        .map(|&(w, h)| sample_jpeg(w, h, 2, false))
        .collect();
    let ptrs: Vec<*const u8> = items.iter().map(|v| v.as_ptr()).collect();
    let lens: Vec<usize> = items.iter().map(|v| v.len()).collect();
    let params = ScipixClassifyParams {
        resize_short: 80,
        crop_width: 64,
        crop_height: 64,
        layout: SCIPIX_LAYOUT_NCHW,
    };
    let (mean, std) = ([0.485f32, 0.456, 0.406], [0.229f32, 0.224, 0.225]);
    let spec = PipelineSpec::Classify(ClassifyOptions {
        resize_short: 80,
        crop_w: 64,
        crop_h: 64,
        mean,
        std,
        layout: Layout::Nchw,
    });
    let per = 3 * 64 * 64;
    let mut out = vec![f32::NAN; 3 * per];
    let mut infos = [ScipixBytesInfo::default(); 3];
    let st = scipix_bytes_classify_batch_to_tensor(
        ptrs.as_ptr(),
        lens.as_ptr(),
        3,
        &params,
        mean.as_ptr(),
        3,
        std.as_ptr(),
        3,
        std::ptr::null(),
        out.as_mut_ptr(),
        out.len(),
        infos.as_mut_ptr(),
    );
    assert_eq!(st, ScipixStatus::SCIPIX_OK, "{}", last());
    for (i, b) in items.iter().enumerate() {
        let mut one = vec![f32::NAN; per];
        let st = scipix_bytes_classify_to_tensor(
            b.as_ptr(),
            b.len(),
            &params,
            mean.as_ptr(),
            3,
            std.as_ptr(),
            3,
            std::ptr::null(),
            one.as_mut_ptr(),
            per,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(st, ScipixStatus::SCIPIX_OK, "{}", last());
        let mut want = vec![0f32; per];
        bytes_to_tensor(b, &spec, &BytesOptions::default(), &mut want).unwrap();
        assert!(same_bits(&one, &want));
        assert!(same_bits(&out[i * per..(i + 1) * per], &want), "image {i}");
        assert_eq!(infos[i].scale_num, 8);
        assert_eq!(infos[i].letterbox.out_width, 0);
    }
    let p = lb_params(96, 96);
    let mut out = vec![f32::NAN; 3 * 3 * 96 * 96];
    let st = scipix_bytes_letterbox_batch_to_tensor(
        ptrs.as_ptr(),
        lens.as_ptr(),
        3,
        &p,
        SCIPIX_LAYOUT_NCHW,
        std::ptr::null(),
        out.as_mut_ptr(),
        out.len(),
        std::ptr::null_mut(),
    );
    assert_eq!(st, ScipixStatus::SCIPIX_OK, "{}", last());
    assert!(out.iter().all(|v| v.is_finite()));
}

#[test]
fn bad_arguments_are_refused_and_nothing_is_written() {
    use ScipixStatus::*;
    let jpg = sample_jpeg(64, 48, 2, false);
    let p = lb_params(32, 32);
    let per = 3 * 32 * 32;
    let mut out = vec![f32::NAN; per];
    let call = |data: *const u8, len, opts: *const ScipixBytesOptions, out: *mut f32, n, idx| {
        scipix_bytes_letterbox_to_tensor(
            data,
            len,
            &p,
            SCIPIX_LAYOUT_NCHW,
            opts,
            out,
            n,
            idx,
            std::ptr::null_mut(),
        )
    };
    let o = out.as_mut_ptr();
    assert_eq!(
        call(std::ptr::null(), 10, std::ptr::null(), o, per, 0),
        SCIPIX_ERR_NULL_POINTER
    );
    assert_eq!(
        call(jpg.as_ptr(), jpg.len(), std::ptr::null(), o, per - 1, 0),
        SCIPIX_ERR_BUFFER_TOO_SMALL
    );
    assert_eq!(
        call(jpg.as_ptr(), jpg.len(), std::ptr::null(), o, per, 1),
        SCIPIX_ERR_BUFFER_TOO_SMALL
    );
    assert!(last().contains("ends at"), "{}", last());
    let mut bad = ScipixBytesOptions {
        mode: 7,
        ..Default::default()
    };
    assert_eq!(
        call(jpg.as_ptr(), jpg.len(), &bad, o, per, 0),
        SCIPIX_ERR_INVALID_ARGUMENT
    );
    bad.mode = SCIPIX_DECODE_EXACT;
    bad.format = 3; // RGBA8
    assert_eq!(
        call(jpg.as_ptr(), jpg.len(), &bad, o, per, 0),
        SCIPIX_ERR_UNSUPPORTED_FORMAT
    );
    bad.format = SCIPIX_FORMAT_RGB8;
    bad.png_convention = 9;
    assert_eq!(
        call(jpg.as_ptr(), jpg.len(), &bad, o, per, 0),
        SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        call(b"GIF89a".as_ptr(), 6, std::ptr::null(), o, per, 0),
        SCIPIX_ERR_UNSUPPORTED_FORMAT
    );
    assert!(out.iter().all(|v| v.is_nan()));
    // The tensor may not overlap the encoded bytes.
    let mut shared = vec![0u8; jpg.len() + per * 4 + 4];
    shared[..jpg.len()].copy_from_slice(&jpg);
    let base = shared.as_mut_ptr();
    let aligned = (base as usize).next_multiple_of(4) - base as usize;
    // SAFETY: inside `shared`, 4-byte aligned.
    let o2 = unsafe { base.add(aligned) }.cast::<f32>();
    assert_eq!(
        call(base, jpg.len(), std::ptr::null(), o2, per, 0),
        SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert!(last().contains("overlaps"), "{}", last());
    // Batches: n = 0, NULL lists, a NULL image pointer with a length.
    let lens = [jpg.len(), 5];
    let ptrs = [jpg.as_ptr(), std::ptr::null()];
    let mut batch = |ptrs: *const *const u8, lens: *const usize, n| {
        scipix_bytes_letterbox_batch_to_tensor(
            ptrs,
            lens,
            n,
            &p,
            SCIPIX_LAYOUT_NCHW,
            std::ptr::null(),
            out.as_mut_ptr(),
            per * 2,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(
        batch(ptrs.as_ptr(), lens.as_ptr(), 0),
        SCIPIX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        batch(std::ptr::null(), lens.as_ptr(), 2),
        SCIPIX_ERR_NULL_POINTER
    );
    assert_eq!(
        batch(ptrs.as_ptr(), std::ptr::null(), 2),
        SCIPIX_ERR_NULL_POINTER
    );
    assert_eq!(
        batch(ptrs.as_ptr(), lens.as_ptr(), 2),
        SCIPIX_ERR_NULL_POINTER
    );
    assert!(last().starts_with("image 1"), "{}", last());
    assert_eq!(
        scipix_bytes_options_default(std::ptr::null_mut()),
        SCIPIX_ERR_NULL_POINTER
    );
}
