//! Library and ABI versions.
//!
//! ```
//! assert_eq!(scipix::version::VERSION, env!("CARGO_PKG_VERSION"));
//! assert_eq!(scipix::version::ABI_VERSION, scipix::capi::version::SCIPIX_ABI_VERSION);
//! ```

/// The crate version, "MAJOR.MINOR.PATCH".
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Incremented whenever a change breaks binary compatibility of the C API.
pub const ABI_VERSION: u32 = 1;
