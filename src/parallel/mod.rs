//! Parallel execution on scipix's own thread pool.
//!
//! ```
//! use scipix::parallel;
//!
//! parallel::set_num_threads(2)?;
//! let squares = parallel::install(|| (0..4u64).map(|x| x * x).collect::<Vec<_>>());
//! assert_eq!(squares, [0, 1, 4, 9]);
//! # Ok::<(), scipix::Error>(())
//! ```

pub mod helpers;
pub mod limiter;
pub mod pipeline;
pub mod pool;

pub use helpers::{parallel_map_chunked, parallel_unbalanced};
pub use limiter::{block_on, ConcurrencyLimiter, Permit};
pub use pipeline::{pipeline2, pipeline3};
pub use pool::{available_cores, install, num_threads, set_num_threads, should_split};
