//! C API: the dynamic batcher (polling-style queue, see `docs/batch.md`).
//!
//! ```
//! use scipix::capi::batch::*;
//! use scipix::capi::ScipixStatus;
//!
//! let config = scipix_batcher_config_default();
//! let mut b = std::ptr::null_mut();
//! assert_eq!(scipix_batcher_new(&config, &mut b), ScipixStatus::SCIPIX_OK);
//! scipix_batcher_free(b);
//! scipix_batcher_free(std::ptr::null_mut()); // free accepts NULL
//! ```
//!
//! `ScipixBatcher` is shared (`Arc`): every call takes its own reference for its duration,
//! so `scipix_batcher_free` on one thread while another is blocked inside a call wakes
//! that call (it returns `SCIPIX_ERR_SHUT_DOWN` or the ticket's outcome) and the memory is
//! released when the last call returns. Calls that START after free are the caller's error.

use super::guard::{guard, guard_or, with_last_error};
use super::handle::{
    free_arc, free_box, to_arc_ptr, to_boxed_ptr, try_clone_arc, try_handle, try_handle_mut,
    try_out, try_slice, Castable, OwnershipArc, OwnershipBox,
};
use super::status::ScipixStatus;
use crate::batch::{Batch, BatcherConfig, DynamicBatcher, ShutdownMode, SubmitOptions};
use crate::error::{Error, ErrorKind, Result};
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

type CBatcher = DynamicBatcher<Vec<u8>, Vec<u8>>;
type CBatch = Batch<Vec<u8>, Vec<u8>>;

/// A dynamic batcher: producers submit byte requests and poll tickets, consumers take
/// batches and complete them. Thread-safe: share one handle between any number of threads.
pub struct ScipixBatcher {
    _private: [u8; 0],
}

impl Castable for ScipixBatcher {
    type Rust = CBatcher;
    type Ownership = OwnershipArc;
}

/// A batch handed to a consumer by `scipix_batcher_next_batch`. Use it from one thread at a
/// time; complete or fail it once, then free it with `scipix_batch_free`.
pub struct ScipixBatch {
    _private: [u8; 0],
}

impl Castable for ScipixBatch {
    type Rust = CBatch;
    type Ownership = OwnershipBox;
}

/// The result bytes of one resolved ticket, owned by the caller; free with
/// `scipix_result_free`.
pub struct ScipixResult {
    _private: [u8; 0],
}

impl Castable for ScipixResult {
    type Rust = Vec<u8>;
    type Ownership = OwnershipBox;
}

/// Wait argument meaning "no time limit".
pub const SCIPIX_WAIT_FOREVER: u32 = u32::MAX;

/// How `scipix_batcher_shutdown` treats queued requests (one of `SCIPIX_SHUTDOWN_*`).
pub type ScipixShutdownMode = u32;
/// Stop accepting; consumers still receive every queued request (released at once,
/// without waiting for the size or time rules); then `next_batch` returns SHUT_DOWN.
pub const SCIPIX_SHUTDOWN_DRAIN: ScipixShutdownMode = 0;
/// Stop accepting and resolve every queued request as `SCIPIX_ERR_CANCELLED` now. Batches
/// already handed out can still be completed.
pub const SCIPIX_SHUTDOWN_CANCEL: ScipixShutdownMode = 1;

/// Batcher configuration; start from `scipix_batcher_config_default()`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixBatcherConfig {
    /// Largest batch (1..=65536). Default 32.
    pub max_batch_size: usize,
    /// A batch is released once its oldest request has waited this long. Default 50.
    pub max_wait_ms: u32,
    /// Queued requests at which submit returns `SCIPIX_ERR_QUEUE_FULL` (>= 1). Default 1000.
    pub max_queue_size: usize,
    /// A batch is released as soon as this many requests wait (0 = off, <= max_batch_size).
    /// Default 16.
    pub preferred_batch_size: usize,
    /// Priority levels (1..=256); priorities are 0..levels-1, higher served first. Default 4.
    pub priority_levels: u32,
    /// Adaptive mode: target batch processing time in ms (0 = off, the default). The
    /// effective batch size then moves between 1 and max_batch_size (see docs/batch.md).
    pub adaptive_target_ms: u32,
}

/// A snapshot of the batcher's counters. `submitted == queue_depth + in_flight + completed
/// + timed_out + failed + cancelled`; `rejected` counts refused submits.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ScipixBatcherStats {
    /// Requests queued, not yet in a batch.
    pub queue_depth: u64,
    /// Requests in batches handed out and not yet completed or failed.
    pub in_flight: u64,
    /// Requests accepted.
    pub submitted: u64,
    /// Requests resolved with a result.
    pub completed: u64,
    /// Submits refused with `SCIPIX_ERR_QUEUE_FULL`.
    pub rejected: u64,
    /// Requests resolved as `SCIPIX_ERR_TIMEOUT` (deadline passed while queued).
    pub timed_out: u64,
    /// Requests resolved as `SCIPIX_ERR_PROCESSING_FAILED`.
    pub failed: u64,
    /// Requests resolved as `SCIPIX_ERR_CANCELLED`.
    pub cancelled: u64,
    /// Batches handed out.
    pub batches: u64,
    /// Mean batch size (0 before the first batch).
    pub mean_batch_size: f64,
    /// Median queue wait in ms over the last 4096 requests.
    pub queue_wait_p50_ms: f64,
    /// 99th percentile queue wait in ms.
    pub queue_wait_p99_ms: f64,
    /// Median batch processing time (hand-out to complete/fail) in ms, last 4096 batches.
    pub processing_p50_ms: f64,
    /// 99th percentile batch processing time in ms.
    pub processing_p99_ms: f64,
    /// Current effective maximum batch size (max_batch_size unless adaptive).
    pub effective_batch_size: u64,
}

/// Consumer callback for `scipix_batcher_start_workers`: called on a scipix worker thread
/// with a batch it must complete or fail (`scipix_batch_complete` / `scipix_batch_fail`)
/// but never free. Return 0 (`SCIPIX_OK`) on success; any other value fails a batch that
/// is still open, with a message naming the value and this thread's last error.
/// The `batch` pointer is valid only until the callback returns: resolve it before
/// returning (to finish it later, e.g. on a GPU queue, run your own consumer loop with
/// `scipix_batcher_next_batch` instead).
pub type ScipixBatchCallback =
    Option<unsafe extern "C" fn(batch: *mut ScipixBatch, user_data: *mut c_void) -> i32>;

fn wait_of(ms: u32) -> Option<Duration> {
    (ms != SCIPIX_WAIT_FOREVER).then(|| Duration::from_millis(u64::from(ms)))
}

fn to_rust_config(c: &ScipixBatcherConfig) -> BatcherConfig {
    BatcherConfig {
        max_batch_size: c.max_batch_size,
        max_wait: Duration::from_millis(u64::from(c.max_wait_ms)),
        max_queue_size: c.max_queue_size,
        preferred_batch_size: c.preferred_batch_size,
        priority_levels: c.priority_levels as usize,
        adaptive_target: (c.adaptive_target_ms > 0)
            .then(|| Duration::from_millis(u64::from(c.adaptive_target_ms))),
    }
}

/// Like `guard`, for bodies that return a non-failure status such as `SCIPIX_PENDING`.
fn guard_status(f: impl FnOnce() -> Result<ScipixStatus>) -> ScipixStatus {
    let mut status = ScipixStatus::SCIPIX_OK;
    let s = guard(|| {
        status = f()?;
        Ok(())
    });
    if s == ScipixStatus::SCIPIX_OK {
        status
    } else {
        s
    }
}

/// Returns the default configuration: max_batch_size 32, max_wait_ms 50, max_queue_size
/// 1000, preferred_batch_size 16, priority_levels 4, adaptive_target_ms 0. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_batcher_config_default() -> ScipixBatcherConfig {
    let d = BatcherConfig::default();
    ScipixBatcherConfig {
        max_batch_size: d.max_batch_size,
        max_wait_ms: d.max_wait.as_millis() as u32,
        max_queue_size: d.max_queue_size,
        preferred_batch_size: d.preferred_batch_size,
        priority_levels: d.priority_levels as u32,
        adaptive_target_ms: 0,
    }
}

/// Creates a batcher from `*config` (NULL = the defaults) and writes it to `*out`.
/// Free it with `scipix_batcher_free`. Thread-safe.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (out), `SCIPIX_ERR_INVALID_ARGUMENT` for
/// max_batch_size 0 or above 65536, preferred_batch_size > max_batch_size,
/// max_queue_size 0, priority_levels outside 1..=256 (the message names the field).
#[no_mangle]
pub extern "C" fn scipix_batcher_new(
    config: *const ScipixBatcherConfig,
    out: *mut *mut ScipixBatcher,
) -> ScipixStatus {
    guard(|| {
        let out = try_out!(out);
        let cfg = if config.is_null() {
            BatcherConfig::default()
        } else {
            // SAFETY: non-null, caller passes a valid config.
            to_rust_config(unsafe { &*config })
        };
        let b = CBatcher::new(cfg)?;
        *out = to_arc_ptr::<ScipixBatcher>(Arc::new(b)).cast_mut();
        Ok(())
    })
}

/// Shuts the batcher down and releases the caller's handle; NULL is ignored.
/// If `scipix_batcher_shutdown(DRAIN)` was called and worker threads run, they first
/// finish the queue; then every request still queued is resolved as cancelled, blocked
/// consumers and pollers wake up, and worker threads are joined (so the callback is not
/// called again after this returns, unless called from the callback itself). Batches
/// still held by consumers stay valid: complete and free them as usual. Threads already
/// inside a call finish it safely; calling any function with `b` after this returns is
/// the caller's error (use after free). Every outcome not taken is released.
#[no_mangle]
pub extern "C" fn scipix_batcher_free(b: *mut ScipixBatcher) {
    guard_or((), || {
        if b.is_null() {
            return;
        }
        // SAFETY: b is a live handle (contract).
        if let Ok(arc) = unsafe { try_clone_arc(b.cast_const(), "b") } {
            arc.close();
        }
        // SAFETY: the caller gives up its handle.
        unsafe { free_arc(b.cast_const()) };
    })
}

/// Queues a copy of `len` bytes at `data` (NULL allowed when len is 0) and writes its
/// ticket number (>= 1) to `*ticket`. Never blocks. `deadline_ms` >= 0: if the request is
/// still queued that many ms from now it is resolved as `SCIPIX_ERR_TIMEOUT` instead of
/// being batched; negative = no deadline. `priority` in 0..priority_levels-1, higher
/// served first. Thread-safe.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (b, ticket, or data with len > 0),
/// `SCIPIX_ERR_INVALID_ARGUMENT` (priority), `SCIPIX_ERR_QUEUE_FULL` at max_queue_size
/// queued requests (counted as rejected; retry later), `SCIPIX_ERR_SHUT_DOWN` after
/// shutdown.
#[no_mangle]
pub extern "C" fn scipix_batcher_submit(
    b: *const ScipixBatcher,
    data: *const c_void,
    len: usize,
    deadline_ms: i64,
    priority: i32,
    ticket: *mut u64,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let ticket = try_out!(ticket);
        let bytes: &[u8] = try_slice!(data.cast::<u8>(), len);
        let priority = usize::try_from(priority)
            .map_err(|_| Error::invalid(format!("priority {priority} is negative")))?;
        let deadline = u64::try_from(deadline_ms).ok().map(Duration::from_millis);
        let id = batcher.submit_id(bytes.to_vec(), SubmitOptions { deadline, priority })?;
        *ticket = id;
        Ok(())
    })
}

/// Waits up to `wait_ms` ms (`SCIPIX_WAIT_FOREVER` = no limit, 0 = just check) for a batch
/// worth running and writes it to `*out`: released when max_batch_size (or the adaptive
/// size) or preferred_batch_size requests wait, or the oldest has waited max_wait_ms, or
/// the batcher is draining. Queued requests whose deadline passed are resolved as
/// `SCIPIX_ERR_TIMEOUT` meanwhile. The caller owns the batch: complete or fail it, then
/// `scipix_batch_free` it. Thread-safe: any number of consumer threads.
/// Returns `SCIPIX_OK` (batch written), `SCIPIX_PENDING` (no batch within the wait; *out
/// untouched), `SCIPIX_ERR_SHUT_DOWN` (cancel shutdown, or drain shutdown with an empty
/// queue; stop consuming), `SCIPIX_ERR_NULL_POINTER` (b, out).
#[no_mangle]
pub extern "C" fn scipix_batcher_next_batch(
    b: *const ScipixBatcher,
    wait_ms: u32,
    out: *mut *mut ScipixBatch,
) -> ScipixStatus {
    guard_status(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let out = try_out!(out);
        match batcher.next_batch(wait_of(wait_ms))? {
            Some(batch) => {
                *out = to_boxed_ptr::<ScipixBatch>(batch);
                Ok(ScipixStatus::SCIPIX_OK)
            }
            None => Ok(ScipixStatus::SCIPIX_PENDING),
        }
    })
}

/// Returns the number of requests in the batch (>= 1), or 0 for NULL.
#[no_mangle]
pub extern "C" fn scipix_batch_count(batch: *const ScipixBatch) -> usize {
    guard_or(0, || {
        // SAFETY: batch is NULL or a live batch (contract).
        unsafe { super::handle::try_ref(batch, "batch") }.map_or(0, |b| b.len())
    })
}

/// Reads request `index` of the batch (batch order: highest priority first, FIFO within
/// a priority): its input bytes (`*data`, `*len`; valid until the batch is freed) and its
/// ticket number. Each output pointer may be NULL to skip it.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (batch), `SCIPIX_ERR_INVALID_ARGUMENT` for
/// index >= count (nothing written).
#[no_mangle]
pub extern "C" fn scipix_batch_item(
    batch: *const ScipixBatch,
    index: usize,
    data: *mut *const c_void,
    len: *mut usize,
    ticket: *mut u64,
) -> ScipixStatus {
    guard(|| {
        let b = try_handle!(batch);
        let item = b.items().get(index).ok_or_else(|| {
            Error::invalid(format!(
                "item index {index} is out of range for a batch of {}",
                b.len()
            ))
        })?;
        if !data.is_null() {
            *try_out!(data) = item.input.as_ptr().cast();
        }
        if !len.is_null() {
            *try_out!(len) = item.input.len();
        }
        if !ticket.is_null() {
            *try_out!(ticket) = item.ticket;
        }
        Ok(())
    })
}

/// Completes the batch: `results[i]` / `lens[i]` are the result bytes of request i (copied;
/// `results[i]` may be NULL when `lens[i]` is 0). `count` must equal the batch count.
/// Producers polling those tickets wake up. Use the batch from one thread at a time.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (batch, results/lens with count > 0, a result with a
/// nonzero length), `SCIPIX_ERR_INVALID_STATE` if the batch was already completed or
/// failed, `SCIPIX_ERR_INVALID_ARGUMENT` if count differs from the batch count. On error
/// the batch is unchanged (still open unless it was already resolved).
#[no_mangle]
pub extern "C" fn scipix_batch_complete(
    batch: *mut ScipixBatch,
    results: *const *const c_void,
    lens: *const usize,
    count: usize,
) -> ScipixStatus {
    guard(|| {
        let b = try_handle_mut!(batch);
        if b.is_done() {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "this batch was already completed or failed",
            ));
        }
        if count != b.len() {
            return Err(Error::invalid(format!(
                "batch has {} requests but count is {count}",
                b.len()
            )));
        }
        let ptrs: &[*const c_void] = try_slice!(results, count);
        let lens: &[usize] = try_slice!(lens, count);
        let mut out = Vec::with_capacity(count);
        for (i, (&p, &n)) in ptrs.iter().zip(lens).enumerate() {
            if n > 0 && p.is_null() {
                return Err(Error::new(
                    ErrorKind::NullPointer,
                    format!("results[{i}] is NULL but lens[{i}] is {n}"),
                ));
            }
            let bytes: &[u8] = try_slice!(p.cast::<u8>(), n);
            out.push(bytes.to_vec());
        }
        b.complete(out)
    })
}

/// Fails every request of the batch with `SCIPIX_ERR_PROCESSING_FAILED`; pollers get
/// `msg` (NULL = "processing failed") as their last error message.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (batch), `SCIPIX_ERR_INVALID_STATE` if already
/// completed or failed, `SCIPIX_ERR_INVALID_ARGUMENT` if msg is not UTF-8.
#[no_mangle]
pub extern "C" fn scipix_batch_fail(batch: *mut ScipixBatch, msg: *const c_char) -> ScipixStatus {
    guard(|| {
        let b = try_handle_mut!(batch);
        let msg = if msg.is_null() {
            "processing failed"
        } else {
            super::handle::try_cstr!(msg)
        };
        b.fail(msg)
    })
}

/// Frees a batch; NULL is ignored. A batch never completed or failed is failed first
/// (its requests get `SCIPIX_ERR_PROCESSING_FAILED`), so no ticket is left unresolved.
/// Item data pointers become invalid. Never call it on the batch a worker callback got.
#[no_mangle]
pub extern "C" fn scipix_batch_free(batch: *mut ScipixBatch) {
    // SAFETY: batch is NULL or a live batch the caller gives up (contract).
    guard_or((), || unsafe { free_box(batch) })
}

fn poll_impl(
    b: *const ScipixBatcher,
    ticket: u64,
    wait: Option<Duration>,
    out: *mut *mut ScipixResult,
) -> ScipixStatus {
    guard_status(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let out = try_out!(out);
        match batcher.poll(ticket, wait)? {
            Some(bytes) => {
                *out = to_boxed_ptr::<ScipixResult>(bytes);
                Ok(ScipixStatus::SCIPIX_OK)
            }
            None => Ok(ScipixStatus::SCIPIX_PENDING),
        }
    })
}

/// Takes the outcome of `ticket`, waiting up to `wait_ms` ms (`SCIPIX_WAIT_FOREVER` = until
/// resolved). Returns `SCIPIX_OK` with the result written to `*out` (free it with
/// `scipix_result_free`), `SCIPIX_PENDING` if still unresolved (*out untouched; poll
/// again), or the request's failure: `SCIPIX_ERR_TIMEOUT` (its deadline passed while
/// queued), `SCIPIX_ERR_PROCESSING_FAILED` (its batch was failed; the message is the
/// consumer's), `SCIPIX_ERR_CANCELLED` (cancel shutdown). Every ticket yields exactly one
/// of those four outcomes, after which it is released: polling it again, or an unknown
/// number, gives `SCIPIX_ERR_NOT_FOUND`. Also `SCIPIX_ERR_NULL_POINTER` (b, out).
/// Thread-safe; several threads may poll different tickets.
#[no_mangle]
pub extern "C" fn scipix_batcher_poll(
    b: *const ScipixBatcher,
    ticket: u64,
    wait_ms: u32,
    out: *mut *mut ScipixResult,
) -> ScipixStatus {
    poll_impl(b, ticket, wait_of(wait_ms), out)
}

/// Non-blocking `scipix_batcher_poll` (wait 0); same statuses.
#[no_mangle]
pub extern "C" fn scipix_batcher_try_poll(
    b: *const ScipixBatcher,
    ticket: u64,
    out: *mut *mut ScipixResult,
) -> ScipixStatus {
    poll_impl(b, ticket, Some(Duration::ZERO), out)
}

/// Returns a pointer to the result bytes (valid until `scipix_result_free`), or NULL for a
/// NULL result. May be a non-NULL dummy when the length is 0.
#[no_mangle]
pub extern "C" fn scipix_result_data(result: *const ScipixResult) -> *const c_void {
    guard_or(std::ptr::null(), || {
        // SAFETY: result is NULL or a live result (contract).
        unsafe { super::handle::try_ref(result, "result") }
            .map_or(std::ptr::null(), |v| v.as_ptr().cast())
    })
}

/// Returns the result length in bytes (0 for NULL).
#[no_mangle]
pub extern "C" fn scipix_result_len(result: *const ScipixResult) -> usize {
    guard_or(0, || {
        // SAFETY: result is NULL or a live result (contract).
        unsafe { super::handle::try_ref(result, "result") }.map_or(0, |v| v.len())
    })
}

/// Frees a result; NULL is ignored.
#[no_mangle]
pub extern "C" fn scipix_result_free(result: *mut ScipixResult) {
    // SAFETY: result is NULL or a live result the caller gives up (contract).
    guard_or((), || unsafe { free_box(result) })
}

/// The completion queue: waits up to `wait_ms` ms for the next ticket whose outcome is
/// ready and not yet taken, and writes its number to `*ticket` (then take the outcome with
/// `scipix_batcher_try_poll`). Tickets are reported in resolution order, each at most
/// once; tickets taken by poll before being reported are skipped. Returns `SCIPIX_OK`,
/// `SCIPIX_PENDING` (none within the wait), `SCIPIX_ERR_SHUT_DOWN` once shut down with
/// nothing queued, in flight or left to report, `SCIPIX_ERR_NULL_POINTER` (b, ticket).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_batcher_next_completed(
    b: *const ScipixBatcher,
    wait_ms: u32,
    ticket: *mut u64,
) -> ScipixStatus {
    guard_status(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let ticket = try_out!(ticket);
        match batcher.next_completed(wait_of(wait_ms))? {
            Some(id) => {
                *ticket = id;
                Ok(ScipixStatus::SCIPIX_OK)
            }
            None => Ok(ScipixStatus::SCIPIX_PENDING),
        }
    })
}

/// Writes a snapshot of the counters to `*out` (see `ScipixBatcherStats`). Thread-safe.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (b, out).
#[no_mangle]
pub extern "C" fn scipix_batcher_stats(
    b: *const ScipixBatcher,
    out: *mut ScipixBatcherStats,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let out = try_out!(out);
        let s = batcher.stats();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        *out = ScipixBatcherStats {
            queue_depth: s.queue_depth as u64,
            in_flight: s.in_flight as u64,
            submitted: s.submitted,
            completed: s.completed,
            rejected: s.rejected,
            timed_out: s.timed_out,
            failed: s.failed,
            cancelled: s.cancelled,
            batches: s.batches,
            mean_batch_size: s.mean_batch_size,
            queue_wait_p50_ms: ms(s.queue_wait_p50),
            queue_wait_p99_ms: ms(s.queue_wait_p99),
            processing_p50_ms: ms(s.processing_p50),
            processing_p99_ms: ms(s.processing_p99),
            effective_batch_size: s.effective_batch_size as u64,
        };
        Ok(())
    })
}

/// Copies the batch size histogram: `counts[s]` = batches of exactly s requests, for s in
/// 0..=max_batch_size (`counts[0]` is 0). `*needed` (may be NULL) receives
/// max_batch_size + 1. Errors: `SCIPIX_ERR_NULL_POINTER` (b, counts with len > 0),
/// `SCIPIX_ERR_BUFFER_TOO_SMALL` if len < max_batch_size + 1 (only *needed is written).
#[no_mangle]
pub extern "C" fn scipix_batcher_batch_size_histogram(
    b: *const ScipixBatcher,
    counts: *mut u64,
    len: usize,
    needed: *mut usize,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let hist = batcher.stats().batch_size_histogram;
        if !needed.is_null() {
            *try_out!(needed) = hist.len();
        }
        if len < hist.len() {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("histogram needs {} counts, got {len}", hist.len()),
            ));
        }
        let dst: &mut [u64] = super::handle::try_slice_mut!(counts, len);
        dst[..hist.len()].copy_from_slice(&hist);
        Ok(())
    })
}

/// Stops accepting requests (`SCIPIX_SHUTDOWN_DRAIN` or `SCIPIX_SHUTDOWN_CANCEL`, see
/// their comments) and wakes every blocked consumer and poller. Submits then return
/// `SCIPIX_ERR_SHUT_DOWN`. CANCEL after DRAIN upgrades; DRAIN after CANCEL does nothing.
/// Thread-safe. Errors: `SCIPIX_ERR_NULL_POINTER` (b), `SCIPIX_ERR_INVALID_ARGUMENT`
/// for an unknown mode (nothing changes).
#[no_mangle]
pub extern "C" fn scipix_batcher_shutdown(
    b: *const ScipixBatcher,
    mode: ScipixShutdownMode,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let mode = match mode {
            SCIPIX_SHUTDOWN_DRAIN => ShutdownMode::Drain,
            SCIPIX_SHUTDOWN_CANCEL => ShutdownMode::Cancel,
            m => return Err(Error::invalid(format!("unknown shutdown mode {m}"))),
        };
        batcher.shutdown(mode);
        Ok(())
    })
}

struct UserData(*mut c_void);
// SAFETY: the caller of scipix_batcher_start_workers promises the callback may be called
// with this pointer from the worker threads (documented contract).
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl UserData {
    // A method, so closures capture the whole (Send) wrapper rather than its field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Callback mode: starts `n` scipix worker threads (1..=256 in total) that take batches
/// and call `callback(batch, user_data)` for each, so the caller needs no consumer loop.
/// The callback must complete or fail the batch and must not free it; if it returns
/// nonzero, or returns without resolving the batch, the batch is failed. With n > 1 the
/// callback runs concurrently and must be thread-safe. The batch pointer is valid only
/// during the callback. Workers stop at shutdown (after
/// draining the queue in DRAIN mode) and are joined by `scipix_batcher_free`.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (b, callback), `SCIPIX_ERR_INVALID_ARGUMENT` (n),
/// `SCIPIX_ERR_SHUT_DOWN` after shutdown, `SCIPIX_ERR_OUT_OF_MEMORY` if a thread cannot
/// start.
#[no_mangle]
pub extern "C" fn scipix_batcher_start_workers(
    b: *const ScipixBatcher,
    n: usize,
    callback: ScipixBatchCallback,
    user_data: *mut c_void,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: b is NULL or a live handle (contract).
        let batcher = unsafe { try_clone_arc(b, "b") }?;
        let cb = callback.ok_or_else(|| super::handle::null_error("callback"))?;
        let user = UserData(user_data);
        batcher.start_workers(n, move |batch: &mut CBatch| {
            let ptr: *mut ScipixBatch = (batch as *mut CBatch).cast();
            // SAFETY: the callback is a valid C function (contract); the batch pointer is
            // valid for the call.
            let rc = unsafe { cb(ptr, user.get()) };
            if rc == 0 {
                Ok(())
            } else {
                let detail = with_last_error(|m| m.to_string_lossy().into_owned());
                Err(Error::new(
                    ErrorKind::ProcessingFailed,
                    format!("batch callback returned {rc}: {detail}"),
                ))
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn new_batcher(cfg: ScipixBatcherConfig) -> *mut ScipixBatcher {
        let mut b = null_mut();
        assert_eq!(scipix_batcher_new(&cfg, &mut b), ScipixStatus::SCIPIX_OK);
        b
    }

    #[test]
    fn bad_configs_and_null_handles_are_rejected() {
        let mut b = null_mut();
        let d = scipix_batcher_config_default();
        for bad in [
            ScipixBatcherConfig {
                max_batch_size: 0,
                ..d
            },
            ScipixBatcherConfig {
                preferred_batch_size: 40,
                ..d
            },
            ScipixBatcherConfig {
                max_queue_size: 0,
                ..d
            },
        ] {
            assert_eq!(
                scipix_batcher_new(&bad, &mut b),
                ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
            );
            assert!(b.is_null(), "nothing written on failure");
        }
        assert_eq!(
            scipix_batcher_new(null(), null_mut()),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        let mut t = 0;
        assert_eq!(
            scipix_batcher_submit(null(), null(), 0, -1, 0, &mut t),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        let mut batch = null_mut();
        assert_eq!(
            scipix_batcher_next_batch(null(), 0, &mut batch),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        assert_eq!(scipix_batch_count(null()), 0);
        scipix_batcher_free(null_mut());
        scipix_batch_free(null_mut());
        scipix_result_free(null_mut());
    }

    #[test]
    fn round_trip_and_misuse_statuses() {
        let cfg = ScipixBatcherConfig {
            max_batch_size: 2,
            preferred_batch_size: 0,
            max_wait_ms: 10_000,
            ..scipix_batcher_config_default()
        };
        let b = new_batcher(cfg);
        let mut t = [0u64; 2];
        for (i, t) in t.iter_mut().enumerate() {
            let data = [i as u8; 3];
            assert_eq!(
                scipix_batcher_submit(b, data.as_ptr().cast(), 3, -1, 0, t),
                ScipixStatus::SCIPIX_OK
            );
        }
        assert_eq!(
            scipix_batcher_submit(b, null(), 1, -1, 0, &mut 0),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        assert_eq!(
            scipix_batcher_submit(b, null(), 0, -1, 9, &mut 0),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        let mut r = null_mut();
        assert_eq!(
            scipix_batcher_try_poll(b, t[0], &mut r),
            ScipixStatus::SCIPIX_PENDING
        );
        let mut batch = null_mut();
        assert_eq!(
            scipix_batcher_next_batch(b, 0, &mut batch),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(scipix_batch_count(batch), 2);
        let (mut p, mut n, mut id) = (null(), 0usize, 0u64);
        assert_eq!(
            scipix_batch_item(batch, 1, &mut p, &mut n, &mut id),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!((n, id), (3, t[1]));
        assert_eq!(
            scipix_batch_item(batch, 2, &mut p, &mut n, &mut id),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        let res: [&[u8]; 2] = [b"a", b""];
        let ptrs = [res[0].as_ptr().cast::<c_void>(), null()];
        let lens = [1usize, 0];
        assert_eq!(
            scipix_batch_complete(batch, ptrs.as_ptr(), lens.as_ptr(), 1),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            scipix_batch_complete(batch, ptrs.as_ptr(), lens.as_ptr(), 2),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(
            scipix_batch_complete(batch, ptrs.as_ptr(), lens.as_ptr(), 2),
            ScipixStatus::SCIPIX_ERR_INVALID_STATE
        );
        assert_eq!(
            scipix_batch_fail(batch, null()),
            ScipixStatus::SCIPIX_ERR_INVALID_STATE
        );
        scipix_batch_free(batch);
        let mut done = 0u64;
        assert_eq!(
            scipix_batcher_next_completed(b, 0, &mut done),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(done, t[0]);
        assert_eq!(
            scipix_batcher_poll(b, t[0], SCIPIX_WAIT_FOREVER, &mut r),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(scipix_result_len(r), 1);
        // SAFETY: one byte at the result pointer.
        assert_eq!(unsafe { *scipix_result_data(r).cast::<u8>() }, b'a');
        scipix_result_free(r);
        assert_eq!(
            scipix_batcher_try_poll(b, t[0], &mut r),
            ScipixStatus::SCIPIX_ERR_NOT_FOUND
        );
        assert_eq!(
            scipix_batcher_try_poll(b, t[1], &mut r),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(scipix_result_len(r), 0);
        scipix_result_free(r);
        let mut s = ScipixBatcherStats::default();
        assert_eq!(scipix_batcher_stats(b, &mut s), ScipixStatus::SCIPIX_OK);
        assert_eq!((s.submitted, s.completed, s.batches), (2, 2, 1));
        let mut hist = [0u64; 3];
        let mut need = 0;
        assert_eq!(
            scipix_batcher_batch_size_histogram(b, hist.as_mut_ptr(), 2, &mut need),
            ScipixStatus::SCIPIX_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(need, 3);
        assert_eq!(
            scipix_batcher_batch_size_histogram(b, hist.as_mut_ptr(), 3, null_mut()),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(hist, [0, 0, 1]);
        assert_eq!(
            scipix_batcher_shutdown(b, 7),
            ScipixStatus::SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            scipix_batcher_shutdown(b, SCIPIX_SHUTDOWN_DRAIN),
            ScipixStatus::SCIPIX_OK
        );
        assert_eq!(
            scipix_batcher_submit(b, null(), 0, -1, 0, &mut 0),
            ScipixStatus::SCIPIX_ERR_SHUT_DOWN
        );
        assert_eq!(
            scipix_batcher_next_batch(b, SCIPIX_WAIT_FOREVER, &mut batch),
            ScipixStatus::SCIPIX_ERR_SHUT_DOWN
        );
        scipix_batcher_free(b);
    }

    unsafe extern "C" fn echo_or_fail(batch: *mut ScipixBatch, user: *mut c_void) -> i32 {
        let n = scipix_batch_count(batch);
        let mut ptrs = vec![null::<c_void>(); n];
        let mut lens = vec![0usize; n];
        for i in 0..n {
            scipix_batch_item(batch, i, &mut ptrs[i], &mut lens[i], null_mut());
        }
        // SAFETY: the test passes a pointer to a u8 flag.
        let fail_on = unsafe { *user.cast::<u8>() };
        // SAFETY: each item has lens[i] readable bytes.
        if lens[0] > 0 && unsafe { *ptrs[0].cast::<u8>() } == fail_on {
            return 5;
        }
        scipix_batch_complete(batch, ptrs.as_ptr(), lens.as_ptr(), n) as i32
    }

    #[test]
    fn callback_workers_echo_and_fail_batches() {
        let cfg = ScipixBatcherConfig {
            max_batch_size: 1,
            preferred_batch_size: 0,
            ..scipix_batcher_config_default()
        };
        let b = new_batcher(cfg);
        let mut flag = 13u8;
        assert_eq!(
            scipix_batcher_start_workers(b, 2, None, null_mut()),
            ScipixStatus::SCIPIX_ERR_NULL_POINTER
        );
        assert_eq!(
            scipix_batcher_start_workers(b, 2, Some(echo_or_fail), (&mut flag as *mut u8).cast()),
            ScipixStatus::SCIPIX_OK
        );
        let mut tickets = Vec::new();
        for v in [1u8, 13, 2] {
            let mut t = 0;
            assert_eq!(
                scipix_batcher_submit(b, (&v as *const u8).cast(), 1, -1, 0, &mut t),
                ScipixStatus::SCIPIX_OK
            );
            tickets.push(t);
        }
        let mut r = null_mut();
        assert_eq!(
            scipix_batcher_poll(b, tickets[0], SCIPIX_WAIT_FOREVER, &mut r),
            ScipixStatus::SCIPIX_OK
        );
        scipix_result_free(r);
        assert_eq!(
            scipix_batcher_poll(b, tickets[1], SCIPIX_WAIT_FOREVER, &mut r),
            ScipixStatus::SCIPIX_ERR_PROCESSING_FAILED
        );
        assert_eq!(
            scipix_batcher_poll(b, tickets[2], SCIPIX_WAIT_FOREVER, &mut r),
            ScipixStatus::SCIPIX_OK
        );
        scipix_result_free(r);
        scipix_batcher_free(b);
    }

    #[test]
    fn free_wakes_blocked_threads_and_keeps_batches_valid() {
        let b = new_batcher(ScipixBatcherConfig {
            max_batch_size: 1,
            preferred_batch_size: 1,
            ..scipix_batcher_config_default()
        });
        let mut t = [0u64; 2];
        for t in &mut t {
            assert_eq!(
                scipix_batcher_submit(b, null(), 0, -1, 0, t),
                ScipixStatus::SCIPIX_OK
            );
        }
        let mut batch = null_mut();
        assert_eq!(
            scipix_batcher_next_batch(b, 0, &mut batch),
            ScipixStatus::SCIPIX_OK
        );
        let (addr, queued) = (b as usize, t[1]);
        let blocked = std::thread::spawn(move || {
            let mut out = null_mut();
            scipix_batcher_poll(
                addr as *const ScipixBatcher,
                queued,
                SCIPIX_WAIT_FOREVER,
                &mut out,
            )
        });
        // Free only once the poller is inside the call (calls starting after free are
        // the caller's error).
        // SAFETY: b is live until the free below.
        let rust = unsafe { super::super::handle::try_ref(b.cast_const(), "b") }.unwrap();
        while rust.waiting_pollers() == 0 {
            std::thread::yield_now();
        }
        scipix_batcher_free(b);
        // The blocked poller was inside the call: it gets the cancellation.
        assert_eq!(blocked.join().unwrap(), ScipixStatus::SCIPIX_ERR_CANCELLED);
        assert_eq!(
            scipix_batch_fail(batch, c"late".as_ptr()),
            ScipixStatus::SCIPIX_OK
        );
        scipix_batch_free(batch);
    }
}
