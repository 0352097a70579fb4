//! Batcher configuration and per-request options.
//!
//! ```
//! use scipix::batch::BatcherConfig;
//! use std::time::Duration;
//!
//! let cfg = BatcherConfig {
//!     max_batch_size: 8,
//!     preferred_batch_size: 8,
//!     max_wait: Duration::from_millis(2),
//!     ..BatcherConfig::default()
//! };
//! assert!(cfg.validate().is_ok());
//! let too_small = BatcherConfig { max_batch_size: 4, ..BatcherConfig::default() };
//! assert!(too_small.validate().is_err()); // the default preferred size (16) exceeds it
//! ```

use crate::error::{Error, Result};
use std::time::Duration;

/// How a [`DynamicBatcher`](super::DynamicBatcher) forms batches. `Default` gives the
/// original design's values: 32 / 50 ms / 1000 / 16, 4 priority levels, no adaptive mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatcherConfig {
    /// Largest batch handed to a consumer (>= 1).
    pub max_batch_size: usize,
    /// A batch is released once its oldest request has waited this long.
    pub max_wait: Duration,
    /// Requests queued (not yet handed to a consumer) before `submit` says `QueueFull` (>= 1).
    pub max_queue_size: usize,
    /// A batch is released as soon as this many requests wait (0 = only the other rules);
    /// must be <= `max_batch_size`.
    pub preferred_batch_size: usize,
    /// Number of priority levels (>= 1); a request's priority is in `0..priority_levels`,
    /// higher served first.
    pub priority_levels: usize,
    /// Adaptive mode: the batch processing time to aim for. `None` disables it.
    pub adaptive_target: Option<Duration>,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        BatcherConfig {
            max_batch_size: 32,
            max_wait: Duration::from_millis(50),
            max_queue_size: 1000,
            preferred_batch_size: 16,
            priority_levels: 4,
            adaptive_target: None,
        }
    }
}

/// Upper limits that keep allocations of per-size tables bounded.
pub const MAX_BATCH_SIZE_LIMIT: usize = 1 << 16;
/// Most priority levels a batcher accepts.
pub const MAX_PRIORITY_LEVELS: usize = 256;

impl BatcherConfig {
    /// Checks every field; the error names the offending one.
    pub fn validate(&self) -> Result<()> {
        if self.max_batch_size == 0 {
            return Err(Error::invalid("max_batch_size must be >= 1"));
        }
        if self.max_batch_size > MAX_BATCH_SIZE_LIMIT {
            return Err(Error::invalid(format!(
                "max_batch_size {} is above the limit of {MAX_BATCH_SIZE_LIMIT}",
                self.max_batch_size
            )));
        }
        if self.preferred_batch_size > self.max_batch_size {
            return Err(Error::invalid(format!(
                "preferred_batch_size {} is larger than max_batch_size {}",
                self.preferred_batch_size, self.max_batch_size
            )));
        }
        if self.max_queue_size == 0 {
            return Err(Error::invalid("max_queue_size must be >= 1"));
        }
        if self.priority_levels == 0 || self.priority_levels > MAX_PRIORITY_LEVELS {
            return Err(Error::invalid(format!(
                "priority_levels {} must be in 1..={MAX_PRIORITY_LEVELS}",
                self.priority_levels
            )));
        }
        if self.adaptive_target == Some(Duration::ZERO) {
            return Err(Error::invalid("adaptive_target must be > 0"));
        }
        Ok(())
    }
}

/// Options for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubmitOptions {
    /// Relative deadline: if the request is still queued this long after `submit`, it is
    /// resolved as `Timeout` instead of being batched. `None` = no deadline.
    pub deadline: Option<Duration>,
    /// Priority in `0..priority_levels`; higher is served first. Default 0.
    pub priority: usize,
}
