//! scipix: fast, exact preprocessing and model plumbing for C/C++ applications and
//! inference runtimes, behind a C ABI (see `include/scipix.h`).
//!
//! ```
//! use scipix::image::{ImageView, PixelFormat};
//! use scipix::tensor::{image_to_tensor, TensorParams};
//!
//! // A 2x1 RGB image (one red, one green pixel) to an NCHW tensor scaled to 0..1.
//! let rgb = [255u8, 0, 0, 0, 255, 0];
//! let img = ImageView::packed(&rgb, 2, 1, PixelFormat::Rgb8)?;
//! let params = TensorParams { divisor: 255.0, ..TensorParams::default() };
//! let mut out = [0f32; 6];
//! image_to_tensor(&img, &params, &mut out)?;
//! assert_eq!(out, [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]); // R plane, G plane, B plane
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! The safe Rust modules do the work; [`capi`] exports them as `extern "C"` functions.

#![deny(missing_docs)]

pub mod batch;
// Exported functions take raw pointers by design: C has no `unsafe`, and each function
// validates its pointers through `capi::handle` before use.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub mod capi;
pub mod codec;
pub mod cpu;
pub mod detect;
pub mod error;
pub mod image;
pub mod memory;
pub mod model;
pub mod parallel;
pub mod quant;
pub mod tensor;
#[cfg(test)]
pub(crate) mod test_guard;
#[cfg(test)]
pub(crate) mod test_rng;
pub mod version;

pub use error::{Error, ErrorKind, Result};
