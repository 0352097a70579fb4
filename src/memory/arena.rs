//! A bump arena: many small allocations served from a few large chunks and freed all at
//! once by [`Arena::reset`], for per-request scratch data.
//!
//! ```
//! use scipix::memory::Arena;
//!
//! let mut arena = Arena::with_capacity(1024);
//! let a = arena.alloc_copy(&[1u8, 2, 3]);
//! a[0] = 9;
//! assert_eq!(a, [9, 2, 3]);
//! arena.reset(); // everything allocated so far is freed at once
//! ```

use bumpalo::Bump;

/// A bump allocator. Allocation takes `&self` and returns references that live until
/// [`reset`](Self::reset) (which takes `&mut self`, so the borrow checker proves no
/// reference survives it). Only `Copy` values are stored: nothing is dropped on reset.
/// Not `Sync`: use one arena per thread.
#[derive(Default)]
pub struct Arena {
    bump: Bump,
}

impl Arena {
    /// An empty arena; the first allocation takes a chunk from the system.
    pub fn new() -> Self {
        Arena { bump: Bump::new() }
    }

    /// An arena with `bytes` reserved up front.
    pub fn with_capacity(bytes: usize) -> Self {
        Arena {
            bump: Bump::with_capacity(bytes),
        }
    }

    /// Moves `value` into the arena.
    pub fn alloc<T: Copy>(&self, value: T) -> &mut T {
        self.bump.alloc(value)
    }

    /// A slice of `len` copies of `value`.
    pub fn alloc_slice<T: Copy>(&self, len: usize, value: T) -> &mut [T] {
        self.bump.alloc_slice_fill_copy(len, value)
    }

    /// A copy of `src`.
    pub fn alloc_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        self.bump.alloc_slice_copy(src)
    }

    /// Frees every allocation at once and keeps the largest chunk for reuse.
    pub fn reset(&mut self) {
        self.bump.reset();
    }

    /// Bytes currently reserved from the system (all chunks).
    pub fn allocated_bytes(&self) -> usize {
        self.bump.allocated_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_coexist_until_reset() {
        let mut arena = Arena::with_capacity(1 << 12);
        let a = arena.alloc_slice(100, 1u32);
        let b = arena.alloc_copy(&[5u8, 6, 7]);
        let c = arena.alloc(3.5f64);
        a[99] = 9;
        assert_eq!((a[0], a[99], b[2], *c), (1, 9, 7, 3.5));
        let before = arena.allocated_bytes();
        arena.reset();
        for _ in 0..10 {
            arena.alloc_slice(100, 0u32);
        }
        assert!(arena.allocated_bytes() <= before.max(1 << 13));
    }
}
