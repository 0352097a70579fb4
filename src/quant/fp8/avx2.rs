//! AVX2 FP8 quantize: `scalar.rs`'s branch-free formulation (`e4m3fn_lane`,
//! `e5m2_lane`: integer and float selects only) compiled for AVX2, which the compiler
//! vectorizes; the division `x / scale` is the same IEEE operation in every lane, so the
//! bytes equal the scalar spec's (tested on every ISA).

use super::scalar::{e4m3fn_lane, e5m2_lane, Fp8Format};

#[inline]
#[target_feature(enable = "avx2")]
fn run<const E5: bool, const SAT: bool>(x: &[f32], out: &mut [u8], scale: f32) {
    for (o, &v) in out.iter_mut().zip(x) {
        let y = v / scale;
        *o = if E5 {
            e5m2_lane(y, SAT)
        } else {
            e4m3fn_lane(y, SAT)
        };
    }
}

/// Quantizes all of `x` into `out[..x.len()]`; returns how many elements were done.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn quantize(
    x: &[f32],
    out: &mut [u8],
    scale: f32,
    fmt: Fp8Format,
    saturate: bool,
) -> usize {
    let out = &mut out[..x.len()];
    match (fmt, saturate) {
        (Fp8Format::E4M3FN, true) => run::<false, true>(x, out, scale),
        (Fp8Format::E4M3FN, false) => run::<false, false>(x, out, scale),
        (Fp8Format::E5M2, true) => run::<true, true>(x, out, scale),
        (Fp8Format::E5M2, false) => run::<true, false>(x, out, scale),
    }
    x.len()
}
