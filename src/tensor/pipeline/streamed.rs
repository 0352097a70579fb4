//! [`Pipeline::run_streamed`]: the fused pipeline fed by a producer of source rows in
//! top-to-bottom order (a scanline decoder, a YUV converter), holding only the band of
//! source rows the current tensor rows read, never the whole source image.

use super::{overlap, Ctx, Dst, Pipeline, BAND_BYTES, SPLIT_BYTES};
use crate::cpu;
use crate::error::{checked_product, Result};
use crate::image::resize::src_rows::SrcRows;
use crate::image::{ImageView, ImageViewMut};
use crate::parallel;
use crate::tensor::image_to_tensor::RowConverter;
use crate::tensor::source_buffer::with_source_buffer;
use rayon::prelude::*;

/// Writes source rows on request for [`Pipeline::run_streamed`].
pub(crate) trait RowSource {
    /// Writes rows `first..first + band.height()` of the source image into `band` (full
    /// source width, the pipeline's format). Requests come in increasing order, each row
    /// at most once; rows never requested are not needed (a producer that must read them
    /// in order, like a decoder, skips them).
    fn produce(&mut self, first: usize, band: &mut ImageViewMut) -> Result<()>;
}

/// Source bytes a band of [`Pipeline::run_streamed`] holds at most (beyond the rows one
/// tensor row needs): about 170 rows of a 12 MP RGB photo, in L2 or close to it.
const STREAM_SRC_BYTES: usize = 1 << 21;

/// Tensor rows `t..t + n`, which read source rows `first..end`.
struct Band {
    t: usize,
    n: usize,
    first: usize,
    end: usize,
}

impl Pipeline {
    /// The bands of tensor rows `y0..y0 + n` that show resized pixels, with the source
    /// rows each reads (nondecreasing from band to band: `Resizer::src_rect` is monotone).
    fn stream_bands(&self, y0: usize, n: usize) -> impl Iterator<Item = Band> + '_ {
        let (w, h) = (self.rect.width, self.rect.height);
        let (rw, rh) = self.resizer.dst_size();
        let (_, sx, nx) = overlap(self.rect.left, w, rw);
        let (oy, sy, ny) = overlap(self.rect.top, h, rh);
        let bpp = self.resizer.format().bytes_per_pixel();
        // Tensor rows per band: BAND_BYTES of resized pixels, fewer when their source rows
        // would pass STREAM_SRC_BYTES (a large reduction reads many source rows per row).
        let (sw, sh) = self.resizer.src_size();
        let src_per_row = (sh as f64 / rh as f64).max(1.0);
        let by_src = (STREAM_SRC_BYTES / (sw * bpp).max(1)) as f64 / src_per_row;
        let band_rows = (BAND_BYTES / (nx * bpp).max(1)).min(by_src as usize).max(4);
        let (lo, hi) = if nx == 0 {
            (0, 0)
        } else {
            (y0.max(oy), (y0 + n).min(oy + ny))
        };
        (lo..hi).step_by(band_rows).map(move |t| {
            let n = band_rows.min(hi - t);
            let (_, first, _, end) = self.resizer.src_rect(sx, sy + (t - oy), nx, n);
            Band { t, n, first, end }
        })
    }

    /// Writes the tensor into `out` (exactly [`Pipeline::tensor_len`] floats) from source
    /// rows that `source` produces in order, on the calling thread: band by band, each
    /// band of tensor rows resized from a buffer holding only the source rows it reads
    /// (rows shared with the next band are kept, not produced again). The bits equal
    /// [`Pipeline::run`] on the whole source. A producer error stops the run and is
    /// returned, with the tensor rows before it written.
    pub(crate) fn run_streamed(&self, out: &mut [f32], source: &mut dyn RowSource) -> Result<()> {
        let h = self.rect.height;
        self.stream_rows(0, h, &mut self.dst(out), source)
    }

    /// [`Pipeline::run_streamed`] with the tensor rows split across scipix's pool for
    /// large tensors (one producer from `make` per task, each asked for the rows of its
    /// part only); the bits do not depend on the thread count.
    pub(crate) fn run_streamed_split<S: RowSource>(
        &self,
        out: &mut [f32],
        make: impl Fn() -> S + Sync,
    ) -> Result<()> {
        let (w, h) = (self.rect.width, self.rect.height);
        let ch =
            RowConverter::new(self.resizer.format(), &self.params, cpu::kernel_isa()).channels();
        if h < 2 || !parallel::should_split(w * h * ch * 4, SPLIT_BYTES) {
            return self.run_streamed(out, &mut make());
        }
        let rows = h.div_ceil(parallel::num_threads() * 2).max(1);
        let mut parts: Vec<(usize, Dst)> = Vec::new();
        match self.dst(out) {
            Dst::Planar([a, b, c]) => {
                let chunks = a
                    .chunks_mut(rows * w)
                    .zip(b.chunks_mut(rows * w))
                    .zip(c.chunks_mut(rows * w));
                for (i, ((a, b), c)) in chunks.enumerate() {
                    parts.push((i * rows, Dst::Planar([a, b, c])));
                }
            }
            Dst::Interleaved(d) => {
                for (i, c) in d.chunks_mut(rows * w * ch).enumerate() {
                    parts.push((i * rows, Dst::Interleaved(c)));
                }
            }
        }
        parallel::install(|| {
            parts.into_par_iter().try_for_each(|(y0, mut dst)| {
                let n = match &dst {
                    Dst::Planar([a, _, _]) => a.len() / w,
                    Dst::Interleaved(d) => d.len() / (w * ch),
                };
                let mut src = make();
                self.stream_rows(y0, n, &mut dst, &mut src)
            })
        })
    }

    /// `out` as the destination rows of the whole tensor.
    fn dst<'a>(&self, out: &'a mut [f32]) -> Dst<'a> {
        let conv = RowConverter::new(self.resizer.format(), &self.params, cpu::kernel_isa());
        if conv.planar() {
            let plane = self.rect.width * self.rect.height;
            let (a, rest) = out.split_at_mut(plane);
            let (b, c) = rest.split_at_mut(plane);
            Dst::Planar([a, b, c])
        } else {
            Dst::Interleaved(out)
        }
    }

    /// Tensor rows `y0..y0 + n` into `dst` (which holds exactly those rows), streaming
    /// their source rows from `source`.
    fn stream_rows(
        &self,
        y0: usize,
        n: usize,
        dst: &mut Dst,
        source: &mut dyn RowSource,
    ) -> Result<()> {
        let isa = cpu::kernel_isa();
        let format = self.resizer.format();
        let conv = RowConverter::new(format, &self.params, isa);
        let bpp = format.bytes_per_pixel();
        let padv = conv.pixel_values(&self.pad[..bpp]);
        let (w, ch) = (self.rect.width, conv.channels());
        let src_w = self.resizer.src_size().0;
        let row_bytes = src_w * bpp;
        let cap = self
            .stream_bands(y0, n)
            .map(|b| b.end - b.first)
            .max()
            .unwrap_or(0);
        let mut done = y0;
        if cap > 0 {
            let len = checked_product(&[cap, row_bytes], "source band bytes")?;
            with_source_buffer(len, |buf| {
                // Source rows `first..end` are in `buf`, row `first` at its start.
                let (mut first, mut end) = (0, 0);
                for band in self.stream_bands(y0, n) {
                    if band.first >= end {
                        (first, end) = (band.first, band.first);
                    } else if band.first > first {
                        let keep = (band.first - first) * row_bytes..(end - first) * row_bytes;
                        buf.copy_within(keep, 0);
                        first = band.first;
                    }
                    if band.end > end {
                        let new = (end - first) * row_bytes..(band.end - first) * row_bytes;
                        let mut rows =
                            ImageViewMut::packed(&mut buf[new], src_w, band.end - end, format)?;
                        source.produce(end, &mut rows)?;
                        end = band.end;
                    }
                    let held = ImageView::packed(
                        &buf[..(end - first) * row_bytes],
                        src_w,
                        end - first,
                        format,
                    )?;
                    let ctx = Ctx {
                        p: self,
                        src: SrcRows::band(held, first),
                        conv: &conv,
                        padv,
                        isa,
                    };
                    for r in done..band.t {
                        dst.fill(w, ch, padv, r - y0, 0, w);
                    }
                    ctx.rows_at(band.t, band.n, dst, y0);
                    done = band.t + band.n;
                }
                Ok(())
            })?;
        }
        for r in done..y0 + n {
            dst.fill(w, ch, padv, r - y0, 0, w);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::resize::{Filter, LetterboxOptions};
    use crate::image::test_noise::noise;
    use crate::image::PixelFormat;
    use crate::tensor::{ClassifyOptions, Layout, PipelineSpec, TensorParams};

    /// Copies rows of a whole image on request, checking the order contract.
    struct Copier<'a> {
        src: ImageView<'a>,
        next: usize,
        produced: usize,
    }

    impl RowSource for Copier<'_> {
        fn produce(&mut self, first: usize, band: &mut ImageViewMut) -> Result<()> {
            assert!(
                first >= self.next,
                "row {first} asked for after row {}",
                self.next
            );
            for y in 0..band.height() {
                band.row_mut(y).copy_from_slice(self.src.row(first + y));
            }
            self.next = first + band.height();
            self.produced += band.height();
            Ok(())
        }
    }

    fn specs() -> Vec<PipelineSpec> {
        let mut v = vec![
            PipelineSpec::Letterbox(
                LetterboxOptions {
                    width: 64,
                    height: 48,
                    ..Default::default()
                },
                Layout::Nchw,
            ),
            PipelineSpec::Letterbox(
                LetterboxOptions {
                    width: 160,
                    height: 160,
                    ..Default::default()
                },
                Layout::Nhwc,
            ),
            PipelineSpec::Classify(ClassifyOptions {
                resize_short: 37,
                crop_w: 31,
                crop_h: 45,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 0.225],
                layout: Layout::Nchw,
            }),
        ];
        for filter in Filter::ALL {
            for (width, height) in [(23, 17), (300, 7), (50, 400), (90, 70)] {
                v.push(PipelineSpec::Generic {
                    filter,
                    width,
                    height,
                    params: TensorParams::default(),
                });
            }
        }
        v
    }

    /// Streaming the source band by band, on one thread or split, gives the bits of the
    /// whole-image pipeline, asks for rows in order, and (downscaling) asks for each row
    /// at most once.
    #[test]
    fn streamed_equals_whole_image() {
        let mut ran = 0;
        for spec in specs() {
            for f in [PixelFormat::Rgb8, PixelFormat::Gray8, PixelFormat::Bgra8] {
                for (w, h) in [(97, 61), (13, 90), (640, 480), (1001, 37), (347, 263)] {
                    let buf = noise(w * h * f.bytes_per_pixel(), (w * 31 + h) as u64);
                    let src = ImageView::packed(&buf, w, h, f).unwrap();
                    let Ok(p) = Pipeline::new(w, h, f, &spec) else {
                        continue;
                    };
                    let len = p.tensor_len().unwrap();
                    let mut want = vec![0f32; len];
                    p.run(&src, &mut want).unwrap();
                    let mut got = vec![f32::NAN; len];
                    let mut c = Copier {
                        src,
                        next: 0,
                        produced: 0,
                    };
                    p.run_streamed(&mut got, &mut c).unwrap();
                    let same = |a: &[f32], b: &[f32]| {
                        a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
                    };
                    assert!(same(&want, &got), "{spec:?} {f:?} {w}x{h}");
                    assert!(c.produced <= h, "{spec:?} {w}x{h}: {} rows", c.produced);
                    let mut split = vec![f32::NAN; len];
                    p.run_streamed_split(&mut split, || Copier {
                        src,
                        next: 0,
                        produced: 0,
                    })
                    .unwrap();
                    assert!(same(&want, &split), "split {spec:?} {f:?} {w}x{h}");
                    ran += 1;
                }
            }
        }
        assert!(ran > 100, "{ran} cases ran");
    }

    /// A producer error stops the run and comes back unchanged.
    #[test]
    fn producer_errors_are_returned() {
        struct Fails;
        impl RowSource for Fails {
            fn produce(&mut self, _: usize, _: &mut ImageViewMut) -> Result<()> {
                Err(crate::Error::invalid("corrupt data"))
            }
        }
        let spec = PipelineSpec::Letterbox(LetterboxOptions::default(), Layout::Nchw);
        let p = Pipeline::new(1280, 720, PixelFormat::Rgb8, &spec).unwrap();
        let mut out = vec![0f32; p.tensor_len().unwrap()];
        let e = p.run_streamed(&mut out, &mut Fails).unwrap_err();
        assert_eq!(e.message(), "corrupt data");
        let e = p.run_streamed_split(&mut out, || Fails).unwrap_err();
        assert_eq!(e.message(), "corrupt data");
    }
}
