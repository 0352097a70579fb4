//! Fuzzes the format probe, the JPEG decoder and the from-bytes classification pipeline
//! (region decoding included): any input must give an error or a complete image of the
//! size the probe promised, never a panic, an out-of-bounds access,
//! a hang (progressive scans are capped) or an allocation driven by a lying header (the
//! pixel limit is lowered so a fuzzer-made header cannot ask for gigabytes).
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run decode -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use scipix::codec::jpeg::{decode_jpeg, jpeg_output_size};
use scipix::codec::probe::probe;
use scipix::codec::to_tensor::{bytes_to_tensor, BytesOptions, DecodeMode};
use scipix::codec::{DecodeOptions, JpegScale};
use scipix::image::PixelFormat;
use scipix::tensor::{ClassifyOptions, Layout, PipelineSpec};
use scipix::ErrorKind;

fuzz_target!(|data: &[u8]| {
    let probed = probe(data);
    // The first byte picks the variant, so one corpus covers formats, scales and flags.
    let sel = data.first().copied().unwrap_or(0);
    let format = PixelFormat::ALL[(sel % 5) as usize];
    let opts = DecodeOptions {
        max_pixels: 1 << 22,
        scale: JpegScale::new(1 + (sel as u32 >> 3) % 16).unwrap(),
        apply_exif_orientation: sel & 0x80 != 0,
        accept_truncated: sel & 0x40 != 0,
    };
    if let Ok(d) = decode_jpeg(data, format, &opts) {
        let info = probed.expect("a decodable JPEG probes");
        assert_eq!(jpeg_output_size(data, &opts).unwrap(), (d.width, d.height));
        assert_eq!(
            d.pixels.len(),
            d.width * d.height * format.bytes_per_pixel()
        );
        assert!(info.width as u64 * info.height as u64 <= opts.max_pixels);
    }
    // The classification pipeline reads a centre crop: with region decoding only part of
    // the JPEG is decoded. It must accept what the full decode accepts.
    let spec = PipelineSpec::Classify(ClassifyOptions {
        resize_short: 40,
        crop_w: 32,
        crop_h: 24,
        mean: [0.5; 3],
        std: [0.25; 3],
        layout: Layout::Nchw,
    });
    let bopts = BytesOptions {
        mode: if sel & 0x20 != 0 {
            DecodeMode::Reduced
        } else {
            DecodeMode::Exact
        },
        max_pixels: 1 << 22,
        accept_truncated: opts.accept_truncated,
        ..Default::default()
    };
    let mut out = [f32::NAN; 3 * 32 * 24 + 1];
    let r = bytes_to_tensor(data, &spec, &bopts, &mut out);
    assert!(out[3 * 32 * 24].is_nan(), "wrote past the tensor");
    let strict = DecodeOptions {
        max_pixels: 1 << 22,
        accept_truncated: opts.accept_truncated,
        ..Default::default()
    };
    if decode_jpeg(data, PixelFormat::Rgb8, &strict).is_ok() {
        // Only the geometry may refuse it (an extreme aspect ratio whose resize has a side
        // of 0 or above the limit).
        let geometry = matches!(&r, Err(e) if e.kind() == ErrorKind::InvalidArgument);
        assert!(
            r.is_ok() || geometry,
            "a decodable JPEG failed the pipeline: {r:?}"
        );
    }
});
