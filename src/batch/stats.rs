//! Batcher statistics.
//!
//! ```
//! use scipix::batch::{BatcherConfig, DynamicBatcher};
//!
//! let batcher: DynamicBatcher<u8, u8> = DynamicBatcher::new(BatcherConfig::default())?;
//! let _ticket = batcher.submit(1)?;
//! let stats = batcher.stats();
//! assert_eq!((stats.submitted, stats.queue_depth, stats.batches), (1, 1, 0));
//! # Ok::<(), scipix::Error>(())
//! ```

use std::time::Duration;

/// Number of recent samples kept for each latency percentile.
pub const SAMPLE_WINDOW: usize = 4096;

/// A snapshot of a batcher's counters. Every accepted request is in exactly one of
/// `queue_depth`, `in_flight`, `completed`, `timed_out`, `failed`, `cancelled`, so
/// `submitted == queue_depth + in_flight + completed + timed_out + failed + cancelled`.
/// `rejected` counts `submit` calls refused with `QueueFull` (not part of `submitted`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatcherStats {
    /// Requests queued, not yet handed to a consumer.
    pub queue_depth: usize,
    /// Requests in batches handed out and not yet completed or failed.
    pub in_flight: usize,
    /// Requests accepted by `submit`.
    pub submitted: u64,
    /// Requests resolved with a result.
    pub completed: u64,
    /// `submit` calls refused because the queue was full.
    pub rejected: u64,
    /// Requests resolved as timed out (deadline passed while queued).
    pub timed_out: u64,
    /// Requests resolved as failed (their batch was failed or dropped).
    pub failed: u64,
    /// Requests resolved as cancelled (shutdown in cancel mode).
    pub cancelled: u64,
    /// Batches handed to consumers.
    pub batches: u64,
    /// `batch_size_histogram[s]` = batches of exactly `s` requests (`s` in `0..=max`;
    /// index 0 stays 0).
    pub batch_size_histogram: Vec<u64>,
    /// Mean batch size (0 before the first batch).
    pub mean_batch_size: f64,
    /// Median time requests waited in the queue (last [`SAMPLE_WINDOW`] requests).
    pub queue_wait_p50: Duration,
    /// 99th percentile queue wait.
    pub queue_wait_p99: Duration,
    /// Median batch processing time, hand-out to complete/fail (last [`SAMPLE_WINDOW`] batches).
    pub processing_p50: Duration,
    /// 99th percentile batch processing time.
    pub processing_p99: Duration,
    /// Current effective maximum batch size (`max_batch_size` unless adaptive mode).
    pub effective_batch_size: usize,
}

/// Fixed-size ring of the most recent durations, in nanoseconds.
#[derive(Debug)]
pub(crate) struct Samples {
    buf: Vec<u64>,
    next: usize,
}

impl Samples {
    pub(crate) fn new() -> Self {
        Samples {
            buf: Vec::new(),
            next: 0,
        }
    }

    pub(crate) fn push(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        if self.buf.len() < SAMPLE_WINDOW {
            self.buf.push(ns);
        } else {
            self.buf[self.next] = ns;
            self.next = (self.next + 1) % SAMPLE_WINDOW;
        }
    }

    /// A copy of the samples (taken under the batcher's lock; sorted outside it).
    pub(crate) fn snapshot(&self) -> Vec<u64> {
        self.buf.clone()
    }

    /// (p50, p99) by nearest rank; zeros when empty.
    #[cfg(test)]
    pub(crate) fn percentiles(&self) -> (Duration, Duration) {
        percentiles_of(self.snapshot())
    }
}

/// (p50, p99) of nanosecond samples by nearest rank; zeros when empty.
pub(crate) fn percentiles_of(mut v: Vec<u64>) -> (Duration, Duration) {
    if v.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    v.sort_unstable();
    let rank = |p: f64| {
        let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        Duration::from_nanos(v[i])
    };
    (rank(0.50), rank(0.99))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank_over_a_bounded_window() {
        let mut s = Samples::new();
        assert_eq!(s.percentiles(), (Duration::ZERO, Duration::ZERO));
        for i in 1..=100u64 {
            s.push(Duration::from_nanos(i));
        }
        assert_eq!(
            s.percentiles(),
            (Duration::from_nanos(50), Duration::from_nanos(99))
        );
        for _ in 0..2 * SAMPLE_WINDOW {
            s.push(Duration::from_nanos(7));
        }
        assert_eq!(s.buf.len(), SAMPLE_WINDOW);
        assert_eq!(s.percentiles().1, Duration::from_nanos(7));
    }
}
