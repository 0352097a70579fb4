//! The source rows a resize window reads: the whole source image, or one band of it whose
//! first row is not row 0 (what a streaming producer such as a scanline decoder has in
//! memory at a time).

use crate::image::ImageView;

/// Rows `first..first + band.height()` of a source image, addressed by their row number
/// in the whole image. A kernel that reads a row outside the band panics (a slice index
/// out of range); callers size bands with [`super::Resizer::src_rect`], which covers every
/// row a destination window reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SrcRows<'a> {
    band: ImageView<'a>,
    first: usize,
}

impl<'a> SrcRows<'a> {
    /// Every row of `image`.
    pub(crate) fn whole(image: ImageView<'a>) -> Self {
        SrcRows {
            band: image,
            first: 0,
        }
    }

    /// `band` holds source rows `first..first + band.height()`.
    pub(crate) fn band(band: ImageView<'a>, first: usize) -> Self {
        SrcRows { band, first }
    }

    /// Source row `y` (`width * bpp` bytes).
    #[inline]
    pub(crate) fn row(&self, y: usize) -> &'a [u8] {
        self.band.row(y - self.first)
    }

    /// The band's bytes: row `y` starts at [`SrcRows::offset`]`(y)`.
    pub(crate) fn as_bytes(&self) -> &'a [u8] {
        self.band.as_bytes()
    }

    /// Bytes from one row to the next.
    pub(crate) fn stride(&self) -> usize {
        self.band.stride()
    }

    /// Where source row `y` starts in [`SrcRows::as_bytes`].
    pub(crate) fn offset(&self, y: usize) -> usize {
        (y - self.first) * self.band.stride()
    }
}
