//! Splitting row-local image work into bands on scipix's thread pool.

use super::{ImageView, ImageViewMut};
use crate::parallel;
use rayon::prelude::*;

/// Rows per band when splitting an image of `height` rows: about eight bands per pool thread.
pub(crate) fn band_rows(height: usize) -> usize {
    height.div_ceil(parallel::num_threads() * 8).max(1)
}

/// Runs `run` on `src` and `dst` (same height): once on the whole images, or, when `split`,
/// on matching bands of rows across scipix's pool. For a row-local `run` both give the same
/// result whatever the thread count.
pub(crate) fn for_each_band(
    split: bool,
    src: &ImageView,
    dst: &mut ImageViewMut,
    run: impl Fn(&ImageView, &mut ImageViewMut) + Sync,
) {
    if !split {
        run(src, dst);
        return;
    }
    let rows = band_rows(src.height());
    let width = src.width();
    parallel::install(|| {
        dst.bands_mut(rows)
            .into_par_iter()
            .enumerate()
            .for_each(|(i, mut band)| {
                let part = src
                    .subview(0, i * rows, width, band.height())
                    .expect("band inside the image");
                run(&part, &mut band);
            })
    });
}

/// Runs `run(first_row, band)` over `dst`: once on the whole image (`first_row` 0), or, when
/// `split`, on bands of rows across scipix's pool. For work that depends only on the row
/// index, both give the same result whatever the thread count.
pub(crate) fn for_each_band_rows(
    split: bool,
    dst: &mut ImageViewMut,
    run: impl Fn(usize, &mut ImageViewMut) + Sync,
) {
    if !split {
        run(0, dst);
        return;
    }
    let rows = band_rows(dst.height());
    parallel::install(|| {
        dst.bands_mut(rows)
            .into_par_iter()
            .enumerate()
            .for_each(|(i, mut band)| run(i * rows, &mut band))
    });
}
