//! Test buffers that end right before an inaccessible page, shared by the kernel tests of
//! the image and tensor modules: a kernel that reads even one byte past the caller's data
//! faults instead of reading whatever follows it in the heap.

/// Bytes whose last one is the last before a page mapped with no access, so a read past
/// them faults. They start wherever their length puts them (not aligned unless the length
/// makes them so). The whole mapping is unmapped on drop.
pub(crate) struct GuardedBytes {
    map: *mut u8,
    size: usize,
    len: usize,
}

impl GuardedBytes {
    /// A multiple of every page size in use (4 KiB and 16 KiB on aarch64, 64 KiB too).
    const PAGE: usize = 65536;

    /// A copy of `data` ending on the byte before the guard page.
    pub(crate) fn new(data: &[u8]) -> Self {
        let len = data.len();
        let size = len.next_multiple_of(Self::PAGE) + Self::PAGE;
        // SAFETY: a fresh private anonymous mapping of `size` bytes, its last page made
        // inaccessible; `data` is copied into the readable bytes just before that page.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            let map = p.cast::<u8>();
            let guard = map.add(size - Self::PAGE);
            assert_eq!(libc::mprotect(guard.cast(), Self::PAGE, libc::PROT_NONE), 0);
            std::ptr::copy_nonoverlapping(data.as_ptr(), guard.sub(len), len);
            GuardedBytes { map, size, len }
        }
    }

    fn start(&self) -> *mut u8 {
        // SAFETY: `len` bytes before the guard page lie inside the mapping.
        unsafe { self.map.add(self.size - Self::PAGE - self.len) }
    }

    /// The `len` readable bytes before the guard page.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the `len` readable bytes before the guard page, alive while `self` is.
        unsafe { std::slice::from_raw_parts(self.start(), self.len) }
    }
}

impl Drop for GuardedBytes {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer borrowed.
        unsafe { libc::munmap(self.map.cast(), self.size) };
    }
}
