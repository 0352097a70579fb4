//! Buffer pools: reuse byte buffers instead of allocating (and page-faulting) fresh ones.
//!
//! ```
//! use scipix::memory::BufferPool;
//!
//! let pool = BufferPool::new(1024, 2);
//! drop(pool.get_zeroed(512)); // returns to the pool when dropped
//! assert_eq!(pool.idle(), 1);
//! let again = pool.get(256); // reuses it
//! assert!(again.is_pooled() && pool.idle() == 0);
//! ```

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, OnceLock};

struct PoolInner {
    buffer_size: usize,
    max_pooled: usize,
    free: Mutex<Vec<Vec<u8>>>,
}

impl PoolInner {
    fn put_back(&self, buf: Vec<u8>) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < self.max_pooled {
            free.push(buf);
        }
    }
}

/// A thread-safe pool of byte buffers of one capacity. [`get`](Self::get) hands out a
/// buffer (reused if one is free, else newly allocated and zeroed); dropping the
/// [`PooledBuffer`] returns it, keeping at most `max_pooled` idle buffers. Cloning gives
/// another handle to the same pool.
#[derive(Clone)]
pub struct BufferPool {
    inner: Arc<PoolInner>,
}

impl BufferPool {
    /// A pool of buffers of `buffer_size` bytes keeping up to `max_pooled` idle ones.
    pub fn new(buffer_size: usize, max_pooled: usize) -> Self {
        BufferPool {
            inner: Arc::new(PoolInner {
                buffer_size,
                max_pooled,
                free: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Capacity of each buffer.
    pub fn buffer_size(&self) -> usize {
        self.inner.buffer_size
    }

    /// Idle buffers ready for reuse.
    pub fn idle(&self) -> usize {
        self.inner
            .free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// A buffer of `len <= buffer_size` bytes. Contents are unspecified: zeros when fresh,
    /// the previous user's bytes when reused (use [`get_zeroed`](Self::get_zeroed) if it
    /// matters). A `len` above `buffer_size` gives an unpooled buffer.
    pub fn get(&self, len: usize) -> PooledBuffer {
        if len > self.inner.buffer_size {
            return PooledBuffer {
                buf: vec![0; len],
                len,
                pool: None,
            };
        }
        let reused = self
            .inner
            .free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let buf = reused.unwrap_or_else(|| vec![0; self.inner.buffer_size]);
        PooledBuffer {
            buf,
            len,
            pool: Some(Arc::clone(&self.inner)),
        }
    }

    /// As [`get`](Self::get) with the `len` bytes set to zero.
    pub fn get_zeroed(&self, len: usize) -> PooledBuffer {
        let mut b = self.get(len);
        b.fill(0);
        b
    }
}

/// A buffer from a pool; derefs to its `len` bytes and goes back to the pool on drop.
pub struct PooledBuffer {
    buf: Vec<u8>,
    len: usize,
    pool: Option<Arc<PoolInner>>,
}

impl PooledBuffer {
    /// Takes the bytes out as a `Vec` (length `len`); the buffer does not return to the pool.
    pub fn into_vec(mut self) -> Vec<u8> {
        self.pool = None;
        let mut v = std::mem::take(&mut self.buf);
        v.truncate(self.len);
        v
    }

    /// True if the buffer returns to a pool when dropped.
    pub fn is_pooled(&self) -> bool {
        self.pool.is_some()
    }
}

impl Deref for PooledBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl DerefMut for PooledBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.put_back(std::mem::take(&mut self.buf));
        }
    }
}

/// Process-wide pools in three size classes: 1 KiB, 64 KiB and 1 MiB (up to 64, 16 and 4
/// idle buffers). [`get`](Self::get) picks the smallest class that fits; larger requests
/// get an unpooled buffer.
pub struct GlobalPools {
    classes: [BufferPool; 3],
}

/// The size classes of [`GlobalPools`], in bytes.
pub const GLOBAL_CLASSES: [usize; 3] = [1 << 10, 64 << 10, 1 << 20];

impl GlobalPools {
    /// The process-wide instance.
    pub fn global() -> &'static GlobalPools {
        static POOLS: OnceLock<GlobalPools> = OnceLock::new();
        POOLS.get_or_init(|| GlobalPools {
            classes: [
                BufferPool::new(GLOBAL_CLASSES[0], 64),
                BufferPool::new(GLOBAL_CLASSES[1], 16),
                BufferPool::new(GLOBAL_CLASSES[2], 4),
            ],
        })
    }

    /// A buffer of `len` bytes from the smallest class that fits (contents unspecified).
    pub fn get(len: usize) -> PooledBuffer {
        let pools = Self::global();
        match pools.classes.iter().find(|p| len <= p.buffer_size()) {
            Some(p) => p.get(len),
            None => pools.classes[2].get(len),
        }
    }

    /// The pool of size class `i` (0 = 1 KiB, 1 = 64 KiB, 2 = 1 MiB).
    pub fn class(i: usize) -> Option<&'static BufferPool> {
        Self::global().classes.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_bounded() {
        let pool = BufferPool::new(128, 2);
        let mut a = pool.get(100);
        assert_eq!(a.len(), 100);
        a[0] = 7;
        drop(a);
        assert_eq!(pool.idle(), 1);
        let b = pool.get(10);
        assert_eq!(b[0], 7, "reused buffer");
        assert_eq!(pool.get_zeroed(10)[0], 0);
        let (x, y, z) = (pool.get(1), pool.get(1), pool.get(1));
        drop((b, x, y, z));
        assert_eq!(pool.idle(), 2, "at most max_pooled idle");
        let big = pool.get(1000);
        assert!(!big.is_pooled());
        assert_eq!(pool.get(5).into_vec().len(), 5);
    }

    #[test]
    fn global_pools_pick_the_smallest_class() {
        assert_eq!(GlobalPools::get(1).len(), 1);
        let b = GlobalPools::get(2000);
        assert!(b.is_pooled() && b.len() == 2000);
        drop(b);
        assert!(GlobalPools::class(1).unwrap().idle() >= 1);
        assert!(!GlobalPools::get((1 << 20) + 1).is_pooled());
    }
}
