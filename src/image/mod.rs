//! 8-bit image preprocessing on borrowed, strided buffers.

mod bands;
pub mod format;
pub mod gray;
pub mod resize;
pub mod threshold;
pub mod view;

pub use format::PixelFormat;
pub use view::{required_len, ImageView, ImageViewMut};
