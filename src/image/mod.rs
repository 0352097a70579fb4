//! 8-bit image preprocessing on borrowed, strided buffers.

pub mod format;
pub mod gray;
pub mod threshold;
pub mod view;

pub use format::PixelFormat;
pub use view::{required_len, ImageView, ImageViewMut};
