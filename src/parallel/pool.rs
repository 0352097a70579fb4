//! scipix's own rayon thread pool, kept apart from the global one so a host program that
//! also uses rayon keeps its pool to itself.
//!
//! ```
//! use scipix::parallel::pool;
//!
//! let sum: u64 = pool::install(|| (1..=10u64).sum());
//! assert_eq!(sum, 55);
//! assert!(pool::num_threads() >= 1);
//! ```

use crate::cpu;
use crate::error::{Error, ErrorKind, Result};
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::{Arc, RwLock};

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

fn build(threads: usize) -> Result<Arc<ThreadPool>> {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("scipix-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| Error::new(ErrorKind::OutOfMemory, format!("thread pool: {e}")))
}

/// Number of logical cores (at least 1).
pub fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The pool, built with one thread per core on first use.
pub fn pool() -> Arc<ThreadPool> {
    if let Some(p) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return Arc::clone(p);
    }
    let mut slot = POOL.write().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = slot.as_ref() {
        return Arc::clone(p);
    }
    let p = build(available_cores())
        .or_else(|_| build(1))
        .expect("cannot start even a one-thread pool");
    *slot = Some(Arc::clone(&p));
    p
}

/// Replaces the pool with one of `n` threads (`0` = one per core). Work already running
/// finishes on the old pool, which is dropped when its last user returns.
pub fn set_num_threads(n: usize) -> Result<()> {
    if n > 4096 {
        return Err(Error::invalid(format!(
            "thread count {n} is above the limit of 4096"
        )));
    }
    let threads = if n == 0 { available_cores() } else { n };
    let p = build(threads)?;
    *POOL.write().unwrap_or_else(|e| e.into_inner()) = Some(p);
    Ok(())
}

/// Threads in the pool.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}

/// True when a job of `work` bytes (or elements) at or above `cutoff` should be split across
/// the pool: parallelism is enabled by the opt level and the pool has more than one thread.
pub fn should_split(work: usize, cutoff: usize) -> bool {
    work >= cutoff && cpu::parallel_enabled() && num_threads() > 1
}

/// Runs `f` inside the pool, so rayon calls in it (`par_chunks_mut`, `join`, ...) use
/// scipix's threads rather than the global pool.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    pool().install(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn runs_on_own_pool_and_resizes() {
        let names: Vec<String> = install(|| {
            (0..4)
                .into_par_iter()
                .map(|_| std::thread::current().name().unwrap_or("").to_string())
                .collect()
        });
        assert!(names.iter().all(|n| n.starts_with("scipix-")), "{names:?}");
        set_num_threads(3).unwrap();
        assert_eq!(num_threads(), 3);
        set_num_threads(0).unwrap();
        assert_eq!(num_threads(), available_cores());
        assert!(set_num_threads(100_000).is_err());
    }
}
