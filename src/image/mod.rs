//! 8-bit image preprocessing on borrowed, strided buffers.
//!
//! ```
//! use scipix::image::{gray, ImageView, ImageViewMut, PixelFormat};
//!
//! let bgr = [0u8, 0, 255, 255, 255, 255]; // a red and a white pixel, OpenCV's BGR order
//! let src = ImageView::packed(&bgr, 2, 1, PixelFormat::Bgr8)?;
//! let mut out = [0u8; 2];
//! gray::to_gray(&src, &mut ImageViewMut::packed(&mut out, 2, 1, PixelFormat::Gray8)?)?;
//! assert_eq!(out, [76, 255]); // cv::cvtColor(..., COLOR_BGR2GRAY)
//! # Ok::<(), scipix::Error>(())
//! ```

mod bands;
pub mod binarize;
pub mod format;
pub mod gray;
mod gray_histogram;
pub mod resize;
#[cfg(test)]
pub(crate) mod test_noise;
pub mod threshold;
pub mod view;
pub mod yuv;

pub use format::PixelFormat;
pub use view::{required_len, ImageView, ImageViewMut};
