//! Buffers that end right before an inaccessible page, for tests that check a kernel never
//! reads past its input: any load that touches even one byte after the last element
//! faults (SIGSEGV) instead of silently reading a neighbour's memory, so an
//! out-of-bounds read shows up on every run, not only when the heap happens to end there.
//!
//! Linux on x86_64 and aarch64 only (anonymous `mmap` plus `mprotect`); tests that use it
//! carry the same `cfg`.

#![cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]

/// A multiple of every page size in use (4 KiB, 16 KiB and 64 KiB pages): the guard is at
/// least one whole page whatever the kernel's page size.
pub(crate) const PAGE: usize = 65536;

/// Lengths for guard-page tests: every vector step's partial tails (SSE 4 and 16, AVX2 8
/// and 32, AVX-512 16 and 64 lanes, NEON 4 and 16 per register or step) and two odd
/// lengths long enough for streamed stores (at least 8 AVX-512 steps of 64).
pub(crate) const LENS: [usize; 14] = [1, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129, 1001, 4099];

/// Row widths (in pixels) for the image kernels' guard tests: odd ones that leave every
/// SIMD family a tail of several lengths (single pixels, one, two and several vector
/// steps, two larger rows), and multiples of every vector step, whose last whole step ends
/// on the guard page.
pub(crate) const WIDTHS: [usize; 18] = [
    1, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 256, 257, 1021,
];

/// `len` elements of `T` copied from a slice, placed so that the byte after the last
/// element is the first byte of a `PROT_NONE` region of [`PAGE`] bytes. Reading any
/// element is fine; reading anything past the end faults. The start is aligned to
/// `align_of::<T>()` and, in general, to nothing more, as a caller's buffer might be.
///
/// An empty buffer's slice starts at the guard itself. The mapping is private and freed
/// on drop.
pub(crate) struct Guarded<T: Copy> {
    map: *mut u8,
    size: usize,
    len: usize,
    _elem: std::marker::PhantomData<T>,
}

impl<T: Copy> Guarded<T> {
    /// A copy of `data` ending right before the guard page.
    pub(crate) fn new(data: &[T]) -> Self {
        let bytes = std::mem::size_of_val(data);
        // The guard starts on a page boundary and `bytes` is a multiple of `size_of::<T>()`,
        // itself a multiple of `T`'s alignment, so the first element is aligned.
        let size = bytes.next_multiple_of(PAGE) + PAGE;
        // SAFETY: a fresh private anonymous mapping of `size` bytes; its last PAGE bytes
        // are made inaccessible, and `data` is copied into the `bytes` readable bytes just
        // before them, which lie inside the mapping since `size - PAGE >= bytes`.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED, "mmap of {size} bytes failed");
            let map = p.cast::<u8>();
            let guard = map.add(size - PAGE);
            assert_eq!(libc::mprotect(guard.cast(), PAGE, libc::PROT_NONE), 0);
            std::ptr::copy_nonoverlapping(data.as_ptr().cast::<u8>(), guard.sub(bytes), bytes);
            Guarded {
                map,
                size,
                len: data.len(),
                _elem: std::marker::PhantomData,
            }
        }
    }

    fn start(&self) -> *mut T {
        // SAFETY: `size - PAGE - len * size_of::<T>()` is inside the mapping (see `new`).
        unsafe {
            self.map
                .add(self.size - PAGE - self.len * std::mem::size_of::<T>())
                .cast()
        }
    }

    /// The elements; the last one ends right before the guard page.
    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: `len` initialized, aligned elements before the guard, alive and not
        // mutably borrowed while this borrow of `self` is.
        unsafe { std::slice::from_raw_parts(self.start(), self.len) }
    }

    /// The elements, writable (for in-place kernels and outputs that are also read).
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, borrowed exclusively through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.start(), self.len) }
    }
}

impl<T: Copy> Drop for Guarded<T> {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer borrowed.
        unsafe { libc::munmap(self.map.cast(), self.size) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_data_and_ends_at_the_guard() {
        for len in [0usize, 1, 3, 1000, PAGE / 4, PAGE / 4 + 1] {
            let data: Vec<u32> = (0..len as u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect();
            let mut g = Guarded::new(&data);
            assert_eq!(g.as_slice(), &data[..]);
            let end = g.as_slice().as_ptr_range().end as usize;
            assert_eq!(end, g.map as usize + g.size - PAGE, "len {len}");
            assert_eq!(end % 4096, 0, "len {len}");
            if let Some(v) = g.as_mut_slice().last_mut() {
                *v = 7;
                assert_eq!(g.as_slice()[len - 1], 7);
            }
        }
    }
}
