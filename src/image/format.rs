//! Pixel formats of 8-bit images.
//!
//! ```
//! use scipix::image::PixelFormat;
//!
//! assert_eq!(PixelFormat::Bgra8.bytes_per_pixel(), 4);
//! assert_eq!(PixelFormat::Rgb8.rgb_offsets(), Some((0, 1, 2)));
//! assert_eq!(PixelFormat::Bgr8.rgb_offsets(), Some((2, 1, 0)));
//! ```

/// Layout of one pixel. Channel order is the byte order in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// One byte: luma.
    Gray8,
    /// Three bytes: R, G, B.
    Rgb8,
    /// Three bytes: B, G, R (OpenCV's default order).
    Bgr8,
    /// Four bytes: R, G, B, A.
    Rgba8,
    /// Four bytes: B, G, R, A.
    Bgra8,
}

impl PixelFormat {
    /// All formats, in C enum order.
    pub const ALL: [PixelFormat; 5] = [
        PixelFormat::Gray8,
        PixelFormat::Rgb8,
        PixelFormat::Bgr8,
        PixelFormat::Rgba8,
        PixelFormat::Bgra8,
    ];

    /// Converts the C value (`SCIPIX_FORMAT_*`); `None` when unknown.
    pub fn from_u32(v: u32) -> Option<Self> {
        Self::ALL.get(v as usize).copied()
    }

    /// Bytes per pixel (= channels, all formats are 8-bit).
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Gray8 => 1,
            PixelFormat::Rgb8 | PixelFormat::Bgr8 => 3,
            PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
        }
    }

    /// Number of channels.
    pub fn channels(self) -> usize {
        self.bytes_per_pixel()
    }

    /// Byte offsets of (R, G, B) within a pixel; `None` for gray.
    pub fn rgb_offsets(self) -> Option<(usize, usize, usize)> {
        match self {
            PixelFormat::Gray8 => None,
            PixelFormat::Rgb8 | PixelFormat::Rgba8 => Some((0, 1, 2)),
            PixelFormat::Bgr8 | PixelFormat::Bgra8 => Some((2, 1, 0)),
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            PixelFormat::Gray8 => "gray8",
            PixelFormat::Rgb8 => "rgb8",
            PixelFormat::Bgr8 => "bgr8",
            PixelFormat::Rgba8 => "rgba8",
            PixelFormat::Bgra8 => "bgra8",
        }
    }
}
