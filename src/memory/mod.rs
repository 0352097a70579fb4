//! Memory helpers: reusable buffer pools (per size and process-wide size classes) and a
//! bump arena for short-lived scratch allocations.
//!
//! ```
//! use scipix::memory::{Arena, BufferPool};
//!
//! let arena = Arena::new();
//! let scratch = arena.alloc_slice(16, 0u32);
//! scratch[0] = 1;
//! let pool = BufferPool::new(4096, 4);
//! let buf = pool.get(100);
//! assert_eq!(buf.len(), 100);
//! ```

pub mod arena;
pub mod pool;

pub use arena::Arena;
pub use pool::{BufferPool, GlobalPools, PooledBuffer};
