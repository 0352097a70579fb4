//! The C ABI: thin `extern "C"` wrappers over the safe modules.
//!
//! ```
//! use scipix::capi::{cpu, version, ScipixStatus};
//! use std::ffi::CStr;
//!
//! // The same functions C programs call, from Rust.
//! let v = unsafe { CStr::from_ptr(version::scipix_version()) };
//! assert_eq!(v.to_str().unwrap(), scipix::version::VERSION);
//! assert_eq!(cpu::scipix_set_opt_level(42), ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT);
//! ```
//!
//! Rules for every file here: run the body through `guard::guard`/`guard_or`, borrow
//! pointers only through the macros and helpers in `handle`, validate everything before
//! writing any output, and keep business logic in the safe modules.

pub mod batch;
#[cfg(feature = "codec")]
pub mod bytes_tensor;
pub mod cpu;
pub mod decode;
#[cfg(feature = "codec")]
pub mod decode_png;
pub mod detect;
mod guard;
pub mod quant;
pub mod resize;
// Helpers for every capi module; not every helper is used by every build of the API.
pub mod gguf;
#[allow(dead_code, unused_macros, unused_imports)]
mod handle;
pub mod image_desc;
pub mod image_ops;
pub mod model;
pub mod status;
pub mod tensor;
pub mod version;
pub mod yuv;
pub mod yuv_tensor;

pub use status::ScipixStatus;
