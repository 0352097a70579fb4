//! Fuzzes the format probe and the JPEG decoder: any input must give an error or a
//! complete image of the size the probe promised, never a panic, an out-of-bounds access,
//! a hang (progressive scans are capped) or an allocation driven by a lying header (the
//! pixel limit is lowered so a fuzzer-made header cannot ask for gigabytes).
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run decode -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use scipix::codec::jpeg::{decode_jpeg, jpeg_output_size};
use scipix::codec::probe::probe;
use scipix::codec::{DecodeOptions, JpegScale};
use scipix::image::PixelFormat;

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
});
