//! The status code every fallible C function returns.
//!
//! ```
//! use scipix::capi::status::{scipix_status_str, ScipixStatus};
//! use std::ffi::CStr;
//!
//! let text = unsafe { CStr::from_ptr(scipix_status_str(ScipixStatus::SCIPIX_OK as i32)) };
//! assert_eq!(text.to_str().unwrap(), "ok");
//! ```

use crate::error::ErrorKind;
use std::ffi::c_char;

/// Result of a scipix call. `SCIPIX_OK` is 0; every other value is a failure whose detail
/// is in `scipix_last_error_message()` on the calling thread.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScipixStatus {
    /// Success.
    SCIPIX_OK = 0,
    /// A required pointer argument was NULL.
    SCIPIX_ERR_NULL_POINTER = 1,
    /// An argument is out of range or inconsistent with another argument.
    SCIPIX_ERR_INVALID_ARGUMENT = 2,
    /// A size computation (e.g. width * height * channels) overflowed.
    SCIPIX_ERR_SIZE_OVERFLOW = 3,
    /// The pixel format, dtype or layout is not supported by this operation.
    SCIPIX_ERR_UNSUPPORTED_FORMAT = 4,
    /// An output buffer is too small.
    SCIPIX_ERR_BUFFER_TOO_SMALL = 5,
    /// Memory could not be allocated.
    SCIPIX_ERR_OUT_OF_MEMORY = 6,
    /// An operating-system I/O call failed.
    SCIPIX_ERR_IO = 7,
    /// A file is malformed or violates its format's rules.
    SCIPIX_ERR_INVALID_FILE = 8,
    /// The named item (tensor, metadata key, ticket) does not exist.
    SCIPIX_ERR_NOT_FOUND = 9,
    /// The queue is full; retry later.
    SCIPIX_ERR_QUEUE_FULL = 10,
    /// A deadline or wait time expired.
    SCIPIX_ERR_TIMEOUT = 11,
    /// The processing step (model) reported a failure for this work.
    SCIPIX_ERR_PROCESSING_FAILED = 12,
    /// The request was cancelled.
    SCIPIX_ERR_CANCELLED = 13,
    /// The object was shut down and accepts no more work.
    SCIPIX_ERR_SHUT_DOWN = 14,
    /// The call is not valid in the object's current state.
    SCIPIX_ERR_INVALID_STATE = 15,
    /// The result is not ready yet (polling); not a failure, try again.
    SCIPIX_PENDING = 16,
    /// A panic inside scipix was caught at the boundary; the object involved may be unusable.
    SCIPIX_ERR_PANIC = 17,
    /// The operation is not available in this build of scipix: it was compiled without the
    /// cargo feature that provides it, or for a target that cannot host it (e.g. JPEG
    /// decoding on WebAssembly). Retrying cannot succeed; use another build.
    SCIPIX_ERR_UNSUPPORTED = 18,
}

impl From<ErrorKind> for ScipixStatus {
    fn from(kind: ErrorKind) -> Self {
        use ScipixStatus::*;
        match kind {
            ErrorKind::NullPointer => SCIPIX_ERR_NULL_POINTER,
            ErrorKind::InvalidArgument => SCIPIX_ERR_INVALID_ARGUMENT,
            ErrorKind::SizeOverflow => SCIPIX_ERR_SIZE_OVERFLOW,
            ErrorKind::UnsupportedFormat => SCIPIX_ERR_UNSUPPORTED_FORMAT,
            ErrorKind::BufferTooSmall => SCIPIX_ERR_BUFFER_TOO_SMALL,
            ErrorKind::OutOfMemory => SCIPIX_ERR_OUT_OF_MEMORY,
            ErrorKind::Io => SCIPIX_ERR_IO,
            ErrorKind::InvalidFile => SCIPIX_ERR_INVALID_FILE,
            ErrorKind::NotFound => SCIPIX_ERR_NOT_FOUND,
            ErrorKind::QueueFull => SCIPIX_ERR_QUEUE_FULL,
            ErrorKind::Timeout => SCIPIX_ERR_TIMEOUT,
            ErrorKind::ProcessingFailed => SCIPIX_ERR_PROCESSING_FAILED,
            ErrorKind::Cancelled => SCIPIX_ERR_CANCELLED,
            ErrorKind::ShutDown => SCIPIX_ERR_SHUT_DOWN,
            ErrorKind::InvalidState => SCIPIX_ERR_INVALID_STATE,
            ErrorKind::Panic => SCIPIX_ERR_PANIC,
            ErrorKind::Unsupported => SCIPIX_ERR_UNSUPPORTED,
        }
    }
}

impl ScipixStatus {
    /// Static NUL-terminated description.
    pub(crate) fn as_cstr(code: i32) -> &'static [u8] {
        match code {
            0 => b"ok\0",
            1 => b"null pointer argument\0",
            2 => b"invalid argument\0",
            3 => b"size overflow\0",
            4 => b"unsupported format\0",
            5 => b"buffer too small\0",
            6 => b"out of memory\0",
            7 => b"I/O error\0",
            8 => b"invalid file\0",
            9 => b"not found\0",
            10 => b"queue full\0",
            11 => b"timeout\0",
            12 => b"processing failed\0",
            13 => b"cancelled\0",
            14 => b"shut down\0",
            15 => b"invalid state\0",
            16 => b"pending\0",
            17 => b"internal panic\0",
            18 => b"not supported by this build\0",
            _ => b"unknown status code\0",
        }
    }
}

/// Returns a static, NUL-terminated English description of `status` ("unknown status code"
/// for values outside the enum). Never NULL; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_status_str(status: i32) -> *const c_char {
    ScipixStatus::as_cstr(status).as_ptr().cast()
}
