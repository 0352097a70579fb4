//! Reference kernels: every other kernel equals these bit for bit.

use super::Plan;

/// The float rule, in f32 with exactly this operation order and no fused operations:
/// `((x as f32 / divisor - mean) * scale) / std`.
#[inline(always)]
pub(crate) fn value(x: u8, div: f32, mean: f32, scale: f32, std: f32) -> f32 {
    ((x as f32 / div - mean) * scale) / std
}

/// Converts `w` pixels of `src` into planes `planes[c][..w]` (NCHW rows).
pub(crate) fn row_planar(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) {
    for (c, plane) in planes.iter_mut().enumerate().take(p.channels) {
        let (off, mean, std) = (p.offs[c], p.mean[c], p.std[c]);
        for (x, o) in plane[..w].iter_mut().enumerate() {
            *o = value(src[x * p.bpp + off], p.div, mean, p.scale, std);
        }
    }
}

/// Converts `w` pixels of `src` into `dst[..w * channels]`, channels interleaved (NHWC row).
pub(crate) fn row_interleaved(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) {
    let ch = p.channels;
    for (x, px) in dst[..w * ch].chunks_exact_mut(ch).enumerate() {
        for (c, o) in px.iter_mut().enumerate() {
            *o = value(
                src[x * p.bpp + p.offs[c]],
                p.div,
                p.mean[c],
                p.scale,
                p.std[c],
            );
        }
    }
}
