//! C API: library and ABI versions.
//!
//! ```
//! use scipix::capi::version::{scipix_abi_version, SCIPIX_ABI_VERSION};
//!
//! assert_eq!(scipix_abi_version(), SCIPIX_ABI_VERSION);
//! ```

use super::guard::guard_or;
use std::ffi::c_char;

/// The ABI version this header describes; compare with `scipix_abi_version()` at run time
/// to detect a header/library mismatch.
pub const SCIPIX_ABI_VERSION: u32 = 1;

/// Returns the library version as a static string "MAJOR.MINOR.PATCH" (compare with
/// `SCIPIX_VERSION_STRING`). Never NULL; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_version() -> *const c_char {
    guard_or(c"".as_ptr(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// Returns the ABI version of the loaded library; equal to `SCIPIX_ABI_VERSION` when the
/// header and library match. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_abi_version() -> u32 {
    crate::version::ABI_VERSION
}

#[cfg(test)]
mod tests {
    #[test]
    fn abi_constant_matches_library() {
        assert_eq!(super::SCIPIX_ABI_VERSION, crate::version::ABI_VERSION);
        assert_eq!(super::scipix_abi_version(), super::SCIPIX_ABI_VERSION);
    }
}
