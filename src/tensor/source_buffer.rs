//! The per-thread buffer that the from-bytes and from-frame pipelines decode or convert the
//! source image into before the fused pipeline reads it.

use crate::error::{Error, ErrorKind, Result};
use std::cell::RefCell;

thread_local! {
    /// Kept between calls: it grows to the largest image this thread has seen, so a stream
    /// of images allocates nothing in steady state.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on `len` bytes of this thread's source buffer (a fresh one on re-entry). The
/// bytes hold whatever an earlier call left: `f` must write what it reads. Fails with
/// `OutOfMemory` when the buffer cannot grow to `len`.
pub(crate) fn with_source_buffer<R>(
    len: usize,
    f: impl FnOnce(&mut [u8]) -> Result<R>,
) -> Result<R> {
    let run = |buf: &mut Vec<u8>| {
        if buf.len() < len {
            buf.try_reserve_exact(len - buf.len()).map_err(|_| {
                Error::new(
                    ErrorKind::OutOfMemory,
                    format!("cannot allocate {len} bytes for the source image"),
                )
            })?;
            buf.resize(len, 0);
        }
        f(&mut buf[..len])
    };
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => run(&mut buf),
        Err(_) => run(&mut Vec::new()),
    })
}
