//! The library-wide error type: a kind (which maps one-to-one onto a C status code)
//! plus a human-readable message.
//!
//! ```
//! use scipix::image::{ImageView, PixelFormat};
//! use scipix::ErrorKind;
//!
//! let err = ImageView::packed(&[0u8; 3], 2, 2, PixelFormat::Gray8).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
//! println!("{err}"); // the message C callers get from scipix_last_error_message()
//! ```

use std::fmt;

/// What went wrong, independent of the message. Each kind has exactly one C status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A required pointer was NULL (only produced at the C boundary).
    NullPointer,
    /// An argument is out of its documented range or inconsistent with another.
    InvalidArgument,
    /// A size computation (width * height * channels, shape products, ...) overflowed.
    SizeOverflow,
    /// A pixel format, dtype or layout is not supported by the operation.
    UnsupportedFormat,
    /// An output buffer is smaller than the operation needs.
    BufferTooSmall,
    /// An allocation failed.
    OutOfMemory,
    /// An operating-system I/O call failed.
    Io,
    /// A file's contents are malformed or violate the format's rules.
    InvalidFile,
    /// A named item (tensor, metadata key, ticket) does not exist.
    NotFound,
    /// The queue is at its configured capacity.
    QueueFull,
    /// A deadline or wait time expired.
    Timeout,
    /// The user's processing step reported a failure.
    ProcessingFailed,
    /// The request was cancelled before it was processed.
    Cancelled,
    /// The object was shut down and accepts no more work.
    ShutDown,
    /// The call is not valid in the object's current state (e.g. completing a batch twice).
    InvalidState,
    /// A Rust panic was caught at the C boundary.
    Panic,
    /// The operation is not available in this build (a cargo feature is off, or the target,
    /// e.g. WebAssembly, cannot host the native library it needs).
    Unsupported,
}

/// An error with its kind and a message that says what was wrong with which input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// Shorthand for [`ErrorKind::InvalidArgument`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for [`ErrorKind::SizeOverflow`].
    pub fn overflow(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::SizeOverflow, message)
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The detail message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string())
    }
}

/// Multiplies sizes with overflow checking; `what` names the quantity in the error.
pub fn checked_product(dims: &[usize], what: &str) -> Result<usize> {
    dims.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d)
            .ok_or_else(|| Error::overflow(format!("{what}: product of {dims:?} overflows")))
    })
}

/// A vector of `n` copies of `value`, or an [`ErrorKind::OutOfMemory`] error instead of an
/// abort when `n` comes from untrusted input and cannot be allocated.
pub fn try_filled_vec<T: Clone>(value: T, n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::new(
            ErrorKind::OutOfMemory,
            format!("{what}: cannot allocate {n} entries"),
        )
    })?;
    v.resize(n, value);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_product_detects_overflow() {
        assert_eq!(checked_product(&[3, 4, 5], "x").unwrap(), 60);
        assert_eq!(checked_product(&[], "x").unwrap(), 1);
        let e = checked_product(&[usize::MAX, 2], "shape").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SizeOverflow);
        assert!(e.message().contains("shape"));
    }

    #[test]
    fn filled_vec_reports_impossible_sizes() {
        assert_eq!(try_filled_vec(7u8, 3, "x").unwrap(), vec![7, 7, 7]);
        let e = try_filled_vec(0u64, usize::MAX / 4, "channels").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfMemory);
    }

    #[test]
    fn io_errors_map_to_io_kind() {
        let e: Error = std::io::Error::new(std::io::ErrorKind::NotFound, "gone").into();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.message().contains("gone"));
    }
}
