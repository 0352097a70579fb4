//! Lookup tables for the u8 -> f32 tensor rule.
//!
//! The image-to-tensor result for a u8 pixel depends only on its output channel and its byte
//! value, so one 256-entry f32 table per output channel holds every possible result. Each
//! entry is computed by the scalar rule itself (`image_to_tensor::scalar::value`), so a table
//! lookup gives exactly the bits of the scalar kernel, which every kernel equals, for any
//! parameters.
//!
//! ```text
//! table[c][x] = ((x as f32 / divisor - mean[c]) * scale) / std[c]   (f32, no fused ops)
//! ```
//!
//! Building a table costs 256 evaluations of the rule per channel (no allocation: the table
//! lives inline, 1 KiB per channel). Tables are plain values: `Send + Sync`, freely shared.

// Some entry points serve callers outside this module (row converters of the fused
// pipelines) and may be unused in a given build.
#![allow(dead_code)]

use super::image_to_tensor::{scalar, tensor_channels, TensorParams};
use crate::image::PixelFormat;

/// The 256 results of the rule for one output channel, indexed by the byte value.
#[derive(Clone, PartialEq)]
#[repr(C, align(64))]
pub(crate) struct ChannelLut(pub(crate) [f32; 256]);

impl std::fmt::Debug for ChannelLut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChannelLut[{}, {}, .., {}]",
            self.0[0], self.0[1], self.0[255]
        )
    }
}

impl ChannelLut {
    /// The table of output channel `channel` (0..=2) under `p` (its `mean[channel]` and
    /// `std[channel]`; `swap_rb` and `layout` play no part). `p` should have passed
    /// [`TensorParams::validate`]; the entries are whatever the scalar rule gives.
    pub(crate) fn new(p: &TensorParams, channel: usize) -> Self {
        let (div, mean, scale, std) = (p.divisor, p.mean[channel], p.scale, p.std[channel]);
        Self::from_fn(|x| scalar::value(x, div, mean, scale, std))
    }

    /// A table with `f(x)` at entry `x` for every byte value.
    pub(crate) fn from_fn(f: impl Fn(u8) -> f32) -> Self {
        let mut t = [0f32; 256];
        for (x, o) in t.iter_mut().enumerate() {
            *o = f(x as u8);
        }
        ChannelLut(t)
    }

    /// The entry for byte `x`.
    #[inline(always)]
    pub(crate) fn get(&self, x: u8) -> f32 {
        self.0[x as usize]
    }

    /// The 256 entries (64-byte aligned).
    #[inline(always)]
    pub(crate) fn entries(&self) -> &[f32; 256] {
        &self.0
    }
}

/// The tables of every output channel of one pixel format under one rule, with the source
/// byte offset of each output channel (after `swap_rb`), as image-to-tensor uses them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TensorLut {
    /// Table of output channel c (entries of unused channels are unspecified).
    pub(crate) luts: [ChannelLut; 3],
    /// Byte offset, within a source pixel, of output channel c.
    pub(crate) offs: [usize; 3],
    /// Output channels: 1 (gray) or 3.
    pub(crate) channels: usize,
    /// Source bytes per pixel: 1, 3 or 4.
    pub(crate) bpp: usize,
}

impl TensorLut {
    /// Tables for `format` images under `p` (which should have passed
    /// [`TensorParams::validate`]). Output channel `c` reads source byte `offs[c]`: the
    /// c-th colour byte in memory order, first and third swapped when `p.swap_rb`.
    pub(crate) fn new(format: PixelFormat, p: &TensorParams) -> Self {
        let channels = tensor_channels(format);
        let mut offs = [0, 1, 2];
        if channels == 1 {
            offs = [0, 0, 0];
        } else if p.swap_rb {
            offs.swap(0, 2);
        }
        let zero = ChannelLut([0f32; 256]);
        let mut luts = [zero.clone(), zero.clone(), zero];
        for (c, l) in luts.iter_mut().enumerate().take(channels) {
            *l = ChannelLut::new(p, c);
        }
        TensorLut {
            luts,
            offs,
            channels,
            bpp: format.bytes_per_pixel(),
        }
    }

    /// Scalar lookups: converts `w` pixels of `src` into `planes[c][..w]` (NCHW row; only
    /// the first `channels` planes are touched).
    pub(crate) fn row_planar(&self, src: &[u8], w: usize, planes: &mut [&mut [f32]; 3]) {
        let bpp = self.bpp;
        let src = &src[..w * bpp];
        for (c, plane) in planes.iter_mut().enumerate().take(self.channels) {
            let (t, off) = (self.luts[c].entries(), self.offs[c]);
            for (o, px) in plane[..w].iter_mut().zip(src.chunks_exact(bpp)) {
                *o = t[px[off] as usize];
            }
        }
    }

    /// Scalar lookups: converts `w` pixels of `src` into `dst[..w * channels]`, channels
    /// interleaved (NHWC row, or a gray row).
    pub(crate) fn row_interleaved(&self, src: &[u8], w: usize, dst: &mut [f32]) {
        let (bpp, ch) = (self.bpp, self.channels);
        let src = &src[..w * bpp];
        if ch == 1 {
            let t = self.luts[0].entries();
            for (o, &x) in dst[..w].iter_mut().zip(src) {
                *o = t[x as usize];
            }
            return;
        }
        let [t0, t1, t2] = [
            self.luts[0].entries(),
            self.luts[1].entries(),
            self.luts[2].entries(),
        ];
        let [o0, o1, o2] = self.offs;
        for (o, px) in dst[..w * 3].chunks_exact_mut(3).zip(src.chunks_exact(bpp)) {
            o[0] = t0[px[o0] as usize];
            o[1] = t1[px[o1] as usize];
            o[2] = t2[px[o2] as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{ImageView, PixelFormat};
    use crate::tensor::{image_to_tensor, tensor_len, Layout};

    fn params() -> TensorParams {
        TensorParams {
            divisor: 255.0,
            mean: [0.485, 0.456, 0.406, 0.0],
            scale: 1.0,
            std: [0.229, 0.224, 0.225, 1.0],
            swap_rb: false,
            layout: Layout::Nchw,
        }
    }

    #[test]
    fn entries_are_the_scalar_rule() {
        let p = params();
        for c in 0..3 {
            let l = ChannelLut::new(&p, c);
            for x in 0..=255u8 {
                let want = ((x as f32 / 255.0 - p.mean[c]) * 1.0) / p.std[c];
                assert_eq!(l.get(x).to_bits(), want.to_bits(), "c {c} x {x}");
            }
        }
        let l = ChannelLut::new(&TensorParams::default(), 0);
        assert_eq!((l.get(0), l.get(7), l.get(255)), (0.0, 7.0, 255.0));
        assert_eq!(l.entries().as_ptr() as usize % 64, 0);
    }

    #[test]
    fn rows_equal_image_to_tensor() {
        let (w, h) = (37usize, 3usize);
        for &fmt in &[
            PixelFormat::Gray8,
            PixelFormat::Rgb8,
            PixelFormat::Bgr8,
            PixelFormat::Rgba8,
            PixelFormat::Bgra8,
        ] {
            for &(swap, layout) in &[
                (false, Layout::Nchw),
                (true, Layout::Nchw),
                (false, Layout::Nhwc),
                (true, Layout::Nhwc),
            ] {
                let bpp = fmt.bytes_per_pixel();
                let data: Vec<u8> = (0..w * h * bpp).map(|i| (i * 37 + 11) as u8).collect();
                let img = ImageView::packed(&data, w, h, fmt).unwrap();
                let p = TensorParams {
                    swap_rb: swap,
                    layout,
                    ..params()
                };
                let mut want = vec![0f32; tensor_len(w, h, fmt).unwrap()];
                image_to_tensor(&img, &p, &mut want).unwrap();
                let lut = TensorLut::new(fmt, &p);
                let ch = lut.channels;
                let mut got = vec![0f32; want.len()];
                for y in 0..h {
                    let row = &data[y * w * bpp..(y + 1) * w * bpp];
                    if layout == Layout::Nhwc || ch == 1 {
                        lut.row_interleaved(row, w, &mut got[y * w * ch..(y + 1) * w * ch]);
                    } else {
                        let mut it = got.chunks_exact_mut(w * h);
                        let (a, b, c) =
                            (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
                        let r = y * w..(y + 1) * w;
                        let mut planes = [&mut a[r.clone()], &mut b[r.clone()], &mut c[r]];
                        lut.row_planar(row, w, &mut planes);
                    }
                }
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{fmt:?} swap {swap} {layout:?}");
            }
        }
    }
}
