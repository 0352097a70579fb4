//! The panic boundary and the thread-local last-error message.
//!
//! Every exported function runs its body through [`guard`] (status-returning functions) or
//! [`guard_or`] (functions that return a value), so a Rust panic becomes
//! `SCIPIX_ERR_PANIC` and never unwinds into C.
//!
//! Targets built with `panic = "abort"` (WebAssembly: `wasm32-wasip1` cannot unwind) have
//! nothing to catch: a panic there aborts the module, and tests of the boundary itself
//! are compiled only where panics unwind.

use super::status::ScipixStatus;
use crate::error::{Error, ErrorKind, Result};
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error (interior NULs become spaces).
pub(crate) fn set_last_error(message: &str) {
    let clean = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = clean);
}

/// Runs `f` with a pointer to this thread's last-error message.
pub(crate) fn with_last_error<R>(f: impl FnOnce(&CString) -> R) -> R {
    LAST_ERROR.with(|slot| f(&slot.borrow()))
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    format!("internal panic: {text}")
}

/// Records an error and returns its status.
pub(crate) fn fail(e: &Error) -> ScipixStatus {
    set_last_error(e.message());
    e.kind().into()
}

/// Runs a status-returning body: `Ok` gives `SCIPIX_OK`, `Err` records its message and
/// returns its status, a panic records the panic message and returns `SCIPIX_ERR_PANIC`.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> ScipixStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => ScipixStatus::SCIPIX_OK,
        Ok(Err(e)) => fail(&e),
        Err(payload) => fail(&Error::new(ErrorKind::Panic, panic_message(payload))),
    }
}

/// Runs a value-returning body; on panic records the message and returns `fallback`.
pub(crate) fn guard_or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        set_last_error(&panic_message(payload));
        fallback
    })
}

/// Returns this thread's last error message: the detail of the most recent failed scipix
/// call on this thread ("" if none failed yet). Successful calls do not clear it.
/// The pointer stays valid until the next scipix call on the same thread (a call may replace
/// the message even when it succeeds, e.g. `scipix_set_max_isa` describing a clamp); copy it,
/// or use `scipix_last_error_copy`, if you need it longer. Never NULL; never free it. Thread-safe (per-thread storage).
#[no_mangle]
pub extern "C" fn scipix_last_error_message() -> *const c_char {
    guard_or(c"".as_ptr(), || with_last_error(|m| m.as_ptr()))
}

/// Copies this thread's last error message into `buf` (capacity `buf_len` bytes), always
/// NUL-terminating when `buf_len > 0` and truncating if needed. Returns the full message
/// length in bytes, excluding the NUL, so a return value `>= buf_len` means truncation.
/// `buf` may be NULL when `buf_len` is 0 (to query the length). Thread-safe.
///
/// # Safety
/// `buf` must point to `buf_len` writable bytes, or be NULL with `buf_len == 0`.
#[no_mangle]
pub unsafe extern "C" fn scipix_last_error_copy(buf: *mut c_char, buf_len: usize) -> usize {
    guard_or(0, || {
        with_last_error(|m| {
            let bytes = m.as_bytes();
            if !buf.is_null() && buf_len > 0 {
                let n = bytes.len().min(buf_len - 1);
                // SAFETY: caller guarantees `buf_len` writable bytes at `buf`; n < buf_len.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr().cast(), buf, n);
                    *buf.add(n) = 0;
                }
            }
            bytes.len()
        })
    })
}

/// Test hook for the panic boundary: panics inside scipix and returns what the boundary
/// made of it, which is always `SCIPIX_ERR_PANIC` with the message
/// "internal panic: scipix_debug_panic called" recorded. Safe to call; used by tests.
/// On WebAssembly (no unwinding) the panic aborts the module instead: do not call it there.
#[no_mangle]
pub extern "C" fn scipix_debug_panic() -> ScipixStatus {
    guard(|| panic!("scipix_debug_panic called"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last() -> String {
        // SAFETY: the returned pointer is a valid NUL-terminated string.
        unsafe { CStr::from_ptr(scipix_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    #[cfg_attr(not(panic = "unwind"), ignore = "needs unwinding")]
    fn panic_becomes_status_and_message() {
        assert_eq!(scipix_debug_panic(), ScipixStatus::SCIPIX_ERR_PANIC);
        assert_eq!(last(), "internal panic: scipix_debug_panic called");
    }

    #[test]
    fn errors_map_to_status_and_message() {
        let s = guard(|| Err(Error::invalid("width must be > 0")));
        assert_eq!(s, ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT);
        assert_eq!(last(), "width must be > 0");
        assert_eq!(guard(|| Ok(())), ScipixStatus::SCIPIX_OK);
        assert_eq!(last(), "width must be > 0", "success must not clear");
    }

    #[test]
    fn copy_truncates_and_reports_length() {
        set_last_error("abcdef");
        let mut buf = [0x7f as c_char; 4];
        // SAFETY: buf has 4 bytes.
        let n = unsafe { scipix_last_error_copy(buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, 6);
        // SAFETY: NUL-terminated by the call.
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes(), b"abc");
        // SAFETY: NULL with length 0 is allowed.
        assert_eq!(
            unsafe { scipix_last_error_copy(std::ptr::null_mut(), 0) },
            6
        );
    }

    #[test]
    #[cfg_attr(threadless, ignore = "needs threads")]
    fn last_error_is_per_thread() {
        set_last_error("main thread");
        std::thread::spawn(|| assert_eq!(last(), ""))
            .join()
            .unwrap();
        assert_eq!(last(), "main thread");
    }
}
