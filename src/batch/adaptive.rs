//! Adaptive batch sizing toward a target batch latency.
//!
//! ```
//! use scipix::batch::AdaptiveController;
//! use std::time::Duration;
//!
//! // Aim for 10 ms batches, at most 64 requests, starting from 8.
//! let mut c = AdaptiveController::new(Duration::from_millis(10), 64, 8);
//! assert_eq!(c.size(), 8);
//! for _ in 0..200 {
//!     c.record(c.size(), Duration::from_millis(1)); // far below target: grow
//! }
//! assert!(c.size() > 8 && c.size() <= 64);
//! ```
//!
//! # Rule
//! The controller keeps the last [`WINDOW`] completed batches as (size, processing time)
//! pairs, where processing time runs from the moment `next_batch` handed the batch out to
//! the moment it was completed or failed. After each batch it estimates the cost of one
//! item as `c = sum(time) / sum(size)` over the window and sets the effective batch size to
//! `round(target / c)`, limited to at most double and at least half of the current size
//! (for stability) and clamped to `1..=max_batch_size`.
//!
//! Why it converges: for a model whose latency is `L(s) = fixed + per_item * s`, the update
//! `s' = s * target / L(s)` has its fixed point exactly where `L(s) = target`; when the model
//! is slower than the target, `s` shrinks (to 1 if even one item is too slow), when it is
//! faster, `s` grows (to `max_batch_size` if even a full batch is fast enough). The
//! per-item estimate over a window also counts the fixed cost, so under-filled batches
//! make the estimate pessimistic (smaller size), never larger than the model allows.

use std::collections::VecDeque;
use std::time::Duration;

/// Number of recent batches the estimate uses.
pub const WINDOW: usize = 100;

/// The effective-batch-size controller. Pure: feed it sizes and durations (measured or
/// simulated) and read [`size`](Self::size).
#[derive(Debug, Clone)]
pub struct AdaptiveController {
    target_ns: f64,
    max: usize,
    size: usize,
    window: VecDeque<(usize, u64)>,
    sum_size: u64,
    sum_ns: u128,
}

impl AdaptiveController {
    /// A controller aiming at `target` per batch, sizes in `1..=max`, starting at `start`.
    pub fn new(target: Duration, max: usize, start: usize) -> Self {
        let max = max.max(1);
        AdaptiveController {
            target_ns: target.as_nanos() as f64,
            max,
            size: start.clamp(1, max),
            window: VecDeque::with_capacity(WINDOW),
            sum_size: 0,
            sum_ns: 0,
        }
    }

    /// Current effective batch size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Records one completed batch of `size` items that took `latency`, and updates the size.
    pub fn record(&mut self, size: usize, latency: Duration) {
        if size == 0 {
            return;
        }
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        if self.window.len() == WINDOW {
            if let Some((s, t)) = self.window.pop_front() {
                self.sum_size -= s as u64;
                self.sum_ns -= u128::from(t);
            }
        }
        self.window.push_back((size, ns));
        self.sum_size += size as u64;
        self.sum_ns += u128::from(ns);
        // Per-item cost; a zero measurement (coarse clock) counts as 1 ns.
        let per_item = (self.sum_ns as f64 / self.sum_size as f64).max(1.0);
        let ideal = (self.target_ns / per_item).round();
        let lo = (self.size / 2).max(1) as f64;
        let hi = (self.size.saturating_mul(2)) as f64;
        self.size = (ideal.clamp(lo, hi) as usize).clamp(1, self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulated model: `fixed + per_item * size`, in virtual time.
    fn run(target_ms: f64, fixed_ms: f64, per_item_ms: f64, max: usize, start: usize) -> usize {
        let mut c = AdaptiveController::new(Duration::from_secs_f64(target_ms / 1e3), max, start);
        for _ in 0..400 {
            let s = c.size();
            let lat = Duration::from_secs_f64((fixed_ms + per_item_ms * s as f64) / 1e3);
            c.record(s, lat);
        }
        c.size()
    }

    #[test]
    fn converges_to_the_size_that_meets_the_target() {
        // 2 ms + 0.5 ms/item, target 10 ms -> 16 items.
        for start in [1, 8, 16, 64] {
            let s = run(10.0, 2.0, 0.5, 64, start);
            assert!((15..=17).contains(&s), "start {start}: {s}");
        }
    }

    #[test]
    fn shrinks_under_a_slow_model_and_grows_under_a_fast_one() {
        assert_eq!(run(10.0, 0.0, 20.0, 32, 16), 1, "slow model");
        assert_eq!(run(10.0, 0.0, 0.01, 32, 16), 32, "fast model");
        let s = run(10.0, 1.0, 1.0, 32, 32);
        assert!((8..=10).contains(&s), "(10-1)/1 = 9, got {s}");
    }

    #[test]
    fn steps_are_limited_and_window_is_bounded() {
        let mut c = AdaptiveController::new(Duration::from_millis(10), 1024, 16);
        c.record(16, Duration::from_nanos(1));
        assert_eq!(c.size(), 32, "at most doubles");
        c.record(32, Duration::from_secs(100));
        assert_eq!(c.size(), 16, "at most halves");
        for _ in 0..1000 {
            c.record(1, Duration::from_millis(1));
        }
        assert_eq!(c.window.len(), WINDOW);
        c.record(0, Duration::ZERO);
        assert_eq!(c.window.len(), WINDOW);
    }
}
