//! Library and ABI versions.

/// The crate version, "MAJOR.MINOR.PATCH".
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Incremented whenever a change breaks binary compatibility of the C API.
pub const ABI_VERSION: u32 = 1;
