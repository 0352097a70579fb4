//! Parallel execution on scipix's own thread pool.

pub mod pool;

pub use pool::{available_cores, install, num_threads, set_num_threads, should_split};
