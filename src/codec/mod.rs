//! Image file decoding into caller-provided, strided 8-bit images, bit-exact with a named
//! reference decoder (OpenCV's `cv2.imdecode` or Pillow's `Image.open(...).convert(...)`).
//!
//! Compiled with the default-on cargo feature `codec`. Pure Rust, so it builds on every
//! target scipix supports, WebAssembly included.

pub mod png;
