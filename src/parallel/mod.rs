//! Parallel execution on scipix's own thread pool.

pub mod helpers;
pub mod limiter;
pub mod pipeline;
pub mod pool;

pub use helpers::{parallel_map_chunked, parallel_unbalanced};
pub use limiter::{block_on, ConcurrencyLimiter, Permit};
pub use pipeline::{pipeline2, pipeline3};
pub use pool::{available_cores, install, num_threads, set_num_threads, should_split};
