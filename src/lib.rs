//! scipix: fast, exact preprocessing and model plumbing for C/C++ applications and
//! inference runtimes, behind a C ABI (see `include/scipix.h`).
//!
//! The safe Rust modules do the work; [`capi`] exports them as `extern "C"` functions.

#![deny(missing_docs)]

pub mod batch;
// Exported functions take raw pointers by design: C has no `unsafe`, and each function
// validates its pointers through `capi::handle` before use.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub mod capi;
pub mod cpu;
pub mod error;
pub mod image;
pub mod memory;
pub mod model;
pub mod parallel;
pub mod quant;
pub mod tensor;
pub mod version;

pub use error::{Error, ErrorKind, Result};
