//! The C ABI: thin `extern "C"` wrappers over the safe modules.
//!
//! Rules for every file here: run the body through `guard::guard`/`guard_or`, borrow
//! pointers only through the macros and helpers in `handle`, validate everything before
//! writing any output, and keep business logic in the safe modules.

pub mod batch;
pub mod cpu;
pub mod guard;
pub mod quant;
// Helpers for every capi module; not every helper is used by every build of the API.
pub mod gguf;
#[allow(dead_code, unused_macros, unused_imports)]
pub mod handle;
pub mod image_desc;
pub mod image_ops;
pub mod model;
pub mod status;
pub mod tensor;
pub mod version;

pub use status::ScipixStatus;
