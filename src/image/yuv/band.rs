//! A band of rows of a frame, as a frame of its own (for converting only the rows a
//! consumer reads).

use super::YuvFrame;
use crate::error::{Error, Result};

impl<'a> YuvFrame<'a> {
    /// Rows `y0..y0 + n` of this frame as a frame of their own, reading the same planes in
    /// place: band row `i` converts exactly as frame row `y0 + i`. For the 4:2:0 layouts a
    /// band starting on an odd row must be one row long (its chroma row is shared with the
    /// row above); a band starting on an even row may have any length, odd included.
    pub(crate) fn band(&self, y0: usize, n: usize) -> Result<YuvFrame<'a>> {
        if n == 0 || y0.saturating_add(n) > self.height {
            return Err(Error::invalid(format!(
                "rows {y0}..{} of a {}-row frame",
                y0.saturating_add(n),
                self.height
            )));
        }
        let sub = self.layout.is_420();
        if sub && y0 % 2 == 1 && n != 1 {
            return Err(Error::invalid(format!(
                "a 4:2:0 band starting on odd row {y0} must be one row, not {n}"
            )));
        }
        let mut planes = self.planes;
        for (i, plane) in planes.iter_mut().enumerate().take(self.layout.planes()) {
            let first = if i > 0 && sub { y0 / 2 } else { y0 };
            // Inside the plane: the frame's planes hold every row of the frame.
            plane.0 = &plane.0[first * plane.1..];
        }
        Ok(YuvFrame {
            layout: self.layout,
            width: self.width,
            height: n,
            planes,
        })
    }
}
