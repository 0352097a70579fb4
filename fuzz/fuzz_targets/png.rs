//! Fuzzes the PNG decoder: any input must give an error or a fully written image of the
//! size its header declares, never a panic, an out-of-bounds access or an unbounded
//! allocation (headers above 4 Mpixel are refused by `max_pixels` before allocating).
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run png -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use scipix::codec::png::{decode_png_into, png_info, PngConvention, PngOptions};
use scipix::image::{ImageViewMut, PixelFormat};

const MAX_PIXELS: u64 = 1 << 22;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the destination format and the convention.
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let format = PixelFormat::ALL[pick as usize % PixelFormat::ALL.len()];
    let convention = if pick & 0x80 != 0 {
        PngConvention::Pillow
    } else {
        PngConvention::OpenCv
    };
    let opts = PngOptions {
        max_pixels: MAX_PIXELS,
        convention,
    };
    let Ok(info) = png_info(file) else {
        let mut px = [0u8; 4];
        let mut dst = ImageViewMut::packed(&mut px, 1, 1, PixelFormat::Bgra8).unwrap();
        assert!(decode_png_into(file, &mut dst, &opts).is_err());
        return;
    };
    if info.width as u64 * info.height as u64 > MAX_PIXELS {
        let mut px = [0u8; 4];
        let mut dst = ImageViewMut::packed(&mut px, 1, 1, PixelFormat::Bgra8).unwrap();
        assert!(decode_png_into(file, &mut dst, &opts).is_err());
        return;
    }
    let (w, h) = (info.width as usize, info.height as usize);
    let mut buf = vec![0u8; w * h * format.bytes_per_pixel()];
    let mut dst = ImageViewMut::packed(&mut buf, w, h, format).unwrap();
    let _ = decode_png_into(file, &mut dst, &opts);
});
