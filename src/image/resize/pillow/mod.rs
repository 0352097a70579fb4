//! The filters that reproduce Pillow's `Image.resize` bit for bit.

use super::Filter;
use crate::cpu::Isa;
use crate::error::{Error, ErrorKind, Result};
use crate::image::{ImageView, ImageViewMut, PixelFormat};

/// Coefficient tables for one resize.
#[derive(Debug)]
pub struct Plan {}

/// Working memory reused across calls.
#[derive(Debug, Default)]
pub struct Scratch {}

impl Plan {
    /// Builds the tables (sizes are already checked to be 1..=MAX_SIDE).
    pub(crate) fn new(
        filter: Filter,
        _src_w: usize,
        _src_h: usize,
        _dst_w: usize,
        _dst_h: usize,
        _format: PixelFormat,
    ) -> Result<Self> {
        Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!("filter {} is not implemented yet", filter.name()),
        ))
    }

    /// Writes destination pixels `x0..x0 + out.width()` by `y0..y0 + out.height()` of the
    /// full resize into `out` (checked by the caller).
    pub(crate) fn run(
        &self,
        _isa: Isa,
        _src: &ImageView,
        _x0: usize,
        _y0: usize,
        _out: &mut ImageViewMut,
        _scratch: &mut Scratch,
    ) {
    }
}
