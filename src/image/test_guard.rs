//! Test buffers that end right before an inaccessible page, shared by the kernel tests of
//! the image and tensor modules: a kernel that reads even one byte past the caller's data
//! faults instead of reading whatever follows it in the heap.

/// Bytes whose last one is the last before a page mapped with no access, so a read past
/// them faults. They start wherever their length puts them (not aligned unless the length
/// makes them so; the `f32`s of [`GuardedBytes::from_f32`] are 4-byte aligned, as the guard
/// page is). The whole mapping is unmapped on drop.
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

    /// A copy of the `f32`s `data` (native byte order) ending on the byte before the guard
    /// page; read them with [`GuardedBytes::f32s`].
    pub(crate) fn from_f32(data: &[f32]) -> Self {
        let b: Vec<u8> = data.iter().flat_map(|v| v.to_ne_bytes()).collect();
        Self::new(&b)
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

    /// [`GuardedBytes::bytes`], writable (for in-place kernels).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.start(), self.len) }
    }

    /// The bytes as `f32`s; `len` must be a multiple of 4 (then they are 4-byte aligned,
    /// ending where the page-aligned guard starts).
    pub(crate) fn f32s(&self) -> &[f32] {
        assert!(self.len.is_multiple_of(4));
        // SAFETY: `len / 4` initialized f32s (any bits are an f32), aligned as said above.
        unsafe { std::slice::from_raw_parts(self.start().cast(), self.len / 4) }
    }

    /// [`GuardedBytes::f32s`], writable (for in-place kernels).
    pub(crate) fn f32s_mut(&mut self) -> &mut [f32] {
        assert!(self.len.is_multiple_of(4));
        // SAFETY: as in `f32s`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.start().cast(), self.len / 4) }
    }
}

impl Drop for GuardedBytes {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer borrowed.
        unsafe { libc::munmap(self.map.cast(), self.size) };
    }
}

/// Row lengths for the guard tests: odd ones that leave every SIMD family a tail of several
/// lengths (single pixels, one, two and several vector steps, two larger rows), and
/// multiples of every vector step, whose last whole step ends on the guard page.
pub(crate) const WIDTHS: [usize; 18] = [
    1, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 256, 257, 1021,
];
