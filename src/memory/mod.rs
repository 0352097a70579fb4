//! Memory helpers: reusable buffer pools (per size and process-wide size classes) and a
//! bump arena for short-lived scratch allocations.

pub mod arena;
pub mod pool;

pub use arena::Arena;
pub use pool::{BufferPool, GlobalPools, PooledBuffer};
