//! Fuzzes the format probe on its own (the decode target reaches it only through JPEG
//! bytes): any input must give an error or a header that is self-consistent, never a panic
//! or a read past the slice. An accepted header is checked against the rules of the probe's
//! docs, against the PNG decoder's own header reader, and for stability: the probe reads the
//! header only, so bytes appended after an accepted file cannot change its answer.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run probe -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use scipix::codec::png::png_info;
use scipix::codec::probe::probe;
use scipix::codec::ContainerFormat;

fuzz_target!(|data: &[u8]| {
    let Ok(info) = probe(data) else {
        return;
    };
    assert!(info.width > 0 && info.height > 0);
    assert!((1..=8).contains(&info.exif_orientation));
    match info.format {
        ContainerFormat::Jpeg => {
            assert!(info.width <= 0xFFFF && info.height <= 0xFFFF);
            assert!(info.sof_type <= 15 && info.channels > 0);
            assert!((2..=16).contains(&info.bit_depth));
        }
        ContainerFormat::Png => {
            assert!(info.width < 1 << 31 && info.height < 1 << 31);
            assert!(matches!(info.channels, 1..=4));
            assert_eq!(info.sof_type, 0);
            // png_info reads further (up to the first IDAT), so it may refuse what the probe
            // accepts; whatever it accepts must agree with the probe.
            if let Ok(p) = png_info(data) {
                assert_eq!((p.width, p.height), (info.width, info.height));
                assert_eq!(p.bit_depth, info.bit_depth);
                assert_eq!(p.interlaced, info.progressive_or_interlaced);
            }
        }
    }
    let mut longer = data.to_vec();
    longer.extend_from_slice(&[0xFF, 0xD9, 0x00, 0xAA]);
    assert_eq!(probe(&longer).ok(), Some(info));
});
