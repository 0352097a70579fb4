//! Read-only memory-mapped model files.
//!
//! ```
//! use scipix::model::{Access, MappedModel, OpenOptions};
//!
//! let path = std::env::temp_dir().join(format!("scipix-mmap-doc-{}", std::process::id()));
//! std::fs::write(&path, b"weights").unwrap();
//! let model = MappedModel::open(&path, OpenOptions::default())?;
//! model.advise(Access::Sequential)?;
//! assert_eq!(model.bytes(), b"weights");
//! std::fs::remove_file(&path).unwrap();
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! [`MappedModel::open`] maps a whole file read-only (shared mapping). Opening is
//! O(1) in the file size: no byte is read until it is touched. Access hints go to the
//! kernel through `madvise`, and pages can be locked in RAM with `mlock`.
//!
//! # Platforms
//! - Linux, macOS and other Unix: `mmap`; hints are `madvise`, locking is `mlock`;
//!   [`OpenOptions::populate`] is `MAP_POPULATE` on Linux and a read of one byte per page
//!   elsewhere.
//! - Windows: `CreateFileMapping`/`MapViewOfFile`. `WillNeed` is `PrefetchVirtualMemory`;
//!   `Normal`, `Sequential` and `Random` have no Windows equivalent for a mapped view and
//!   are accepted and ignored (they are hints everywhere); locking is `VirtualLock`, which
//!   fails once the process's minimum working set is exhausted (raise it with
//!   `SetProcessWorkingSetSize`). Windows cannot delete or replace a file while it is
//!   mapped; see [`crate::model::SafetensorsWriter::write`] for how replacing a model
//!   still works.
//! - WebAssembly (WASI): there is no `mmap`. The whole file is read at open into a buffer
//!   aligned to 4096 bytes (so tensor alignment is what a page-aligned mapping gives),
//!   behind the same handle and API; opening is O(file size) and needs that much memory.
//!   Hints are accepted and ignored; locking is refused with an `Io` error (the bytes are
//!   already resident and there is nothing the module can lock).
//!
//! # Truncation while mapped (SIGBUS)
//! If another process truncates (or shrinks) the file while it is mapped, touching a page
//! beyond the new end of file raises `SIGBUS`, which kills the process unless the host
//! installed a handler; no library can turn that into an error. Writing into the file in
//! place changes the bytes seen through the map. Callers must therefore treat mapped model
//! files as immutable: replace a model by writing a new file and renaming it over the old
//! name (what [`crate::model::SafetensorsWriter::write`] does); a process that still has
//! the old file mapped keeps reading the old, unlinked inode safely. If files may be
//! modified by others (network or shared filesystems), copy the bytes you need out of
//! the map first, or use [`OpenOptions::populate`] plus [`OpenOptions::lock`] to fault the
//! whole file in at open time (this narrows, but on a truncating writer cannot remove, the
//! window).
//!
//! # Threads
//! A [`MappedModel`] is `Send + Sync`: any number of threads may read its bytes at once.

use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Expected access pattern for (part of) a mapping, passed to `madvise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// No special treatment (`MADV_NORMAL`).
    #[default]
    Normal,
    /// Pages will be read in order: read ahead aggressively (`MADV_SEQUENTIAL`).
    Sequential,
    /// Pages will be read in random order: no read-ahead (`MADV_RANDOM`).
    Random,
    /// Pages will be needed soon: start reading them now (`MADV_WILLNEED`;
    /// `PrefetchVirtualMemory` on Windows).
    WillNeed,
}

/// How to open and map a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// Access pattern applied to the whole mapping after mapping it.
    pub access: Access,
    /// Also ask the kernel to start reading the whole file now (`MADV_WILLNEED`).
    pub will_need: bool,
    /// Pre-fault every page while mapping (`MAP_POPULATE` on Linux, a read of each page
    /// elsewhere); makes opening O(file size).
    pub populate: bool,
    /// Lock the pages in RAM (`mlock`, `VirtualLock` on Windows); fails if
    /// `RLIMIT_MEMLOCK` (the working-set minimum on Windows) is too small, and always on
    /// WebAssembly.
    pub lock: bool,
}

/// The platform layer: how the bytes are held, hinted and locked.
#[cfg(not(target_family = "wasm"))]
mod sys {
    use super::Access;
    use memmap2::{Mmap, MmapOptions};
    use std::fs::File;
    use std::io;

    pub type Bytes = Mmap;

    #[cfg(unix)]
    pub const ADVISE_CALL: &str = "madvise";
    #[cfg(unix)]
    pub const LOCK_CALL: &str = "mlock";
    #[cfg(unix)]
    pub const LOCK_REMEDY: &str = "raise RLIMIT_MEMLOCK or open without locking";
    #[cfg(windows)]
    pub const ADVISE_CALL: &str = "PrefetchVirtualMemory";
    #[cfg(windows)]
    pub const LOCK_CALL: &str = "VirtualLock";
    #[cfg(windows)]
    pub const LOCK_REMEDY: &str =
        "raise the working-set minimum (SetProcessWorkingSetSize) or open without locking";

    /// Maps all `len` bytes of `file` read-only; with `populate`, faults every page in.
    pub fn map(file: &File, len: usize, populate: bool) -> io::Result<Mmap> {
        let mut mo = MmapOptions::new();
        mo.len(len);
        if populate {
            mo.populate();
        }
        // SAFETY: the map is read-only; the module docs state that the file must not be
        // truncated or modified while mapped (the standard contract of file mappings).
        let map = unsafe { mo.map(file) }?;
        if populate && !cfg!(any(target_os = "linux", target_os = "android")) {
            // MAP_POPULATE is Linux-only: read one byte per page instead.
            let _ = advise(&map, Access::WillNeed, 0, map.len());
            let mut sum = 0u8;
            for &b in map.iter().step_by(4096) {
                sum = sum.wrapping_add(b);
            }
            std::hint::black_box(sum);
        }
        Ok(map)
    }

    #[cfg(unix)]
    pub fn advise(map: &Mmap, access: Access, offset: usize, len: usize) -> io::Result<()> {
        use memmap2::Advice;
        let advice = match access {
            Access::Normal => Advice::Normal,
            Access::Sequential => Advice::Sequential,
            Access::Random => Advice::Random,
            Access::WillNeed => Advice::WillNeed,
        };
        map.advise_range(advice, offset, len)
    }

    #[cfg(unix)]
    pub fn lock(map: &Mmap) -> io::Result<()> {
        map.lock()
    }

    #[cfg(windows)]
    pub fn advise(map: &Mmap, access: Access, offset: usize, len: usize) -> io::Result<()> {
        use windows_sys::Win32::System::Memory::{PrefetchVirtualMemory, WIN32_MEMORY_RANGE_ENTRY};
        use windows_sys::Win32::System::Threading::GetCurrentProcess;
        if access != Access::WillNeed || len == 0 {
            return Ok(()); // no per-view access-pattern hint on Windows
        }
        let range = &map[offset..offset + len];
        let entry = WIN32_MEMORY_RANGE_ENTRY {
            VirtualAddress: range.as_ptr() as *mut core::ffi::c_void,
            NumberOfBytes: range.len(),
        };
        // SAFETY: the entry describes bytes of a live mapping borrowed for the call.
        let ok = unsafe { PrefetchVirtualMemory(GetCurrentProcess(), 1, &entry, 0) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    #[cfg(windows)]
    pub fn lock(map: &Mmap) -> io::Result<()> {
        use windows_sys::Win32::System::Memory::VirtualLock;
        // SAFETY: the range is exactly the live mapping; the lock ends when it is unmapped.
        let ok = unsafe { VirtualLock(map.as_ptr().cast(), map.len()) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// The platform layer on WebAssembly: no `mmap`, the file is read into an aligned buffer.
#[cfg(target_family = "wasm")]
mod sys {
    use super::Access;
    use std::fs::File;
    use std::io::{self, Read};

    pub const ADVISE_CALL: &str = "advise";
    pub const LOCK_CALL: &str = "lock";
    pub const LOCK_REMEDY: &str =
        "WebAssembly has no page locking (the file was read into memory at open); \
         open without locking";

    /// Alignment of the first byte, as a page-aligned mapping would give.
    const ALIGN: usize = 4096;

    /// The file's bytes at `buf[start..start + len]`, `start` making them 4096-aligned.
    #[derive(Debug)]
    pub struct Bytes {
        buf: Vec<u8>,
        start: usize,
        len: usize,
    }

    impl std::ops::Deref for Bytes {
        type Target = [u8];
        fn deref(&self) -> &[u8] {
            &self.buf[self.start..self.start + self.len]
        }
    }

    /// Reads all `len` bytes of `file` (`populate` changes nothing: they are resident).
    pub fn map(mut file: &File, len: usize, _populate: bool) -> io::Result<Bytes> {
        let total = len
            .checked_add(ALIGN - 1)
            .ok_or_else(|| io::Error::new(io::ErrorKind::OutOfMemory, "file too large"))?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(total).map_err(|_| {
            io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("cannot allocate {total} bytes to read the file into"),
            )
        })?;
        buf.resize(total, 0);
        let start = (buf.as_ptr() as usize).wrapping_neg() % ALIGN;
        file.read_exact(&mut buf[start..start + len]).map_err(|e| {
            io::Error::new(e.kind(), format!("reading the file (did it shrink?): {e}"))
        })?;
        Ok(Bytes { buf, start, len })
    }

    pub fn advise(_: &Bytes, _: Access, _: usize, _: usize) -> io::Result<()> {
        Ok(()) // the bytes are in memory already: nothing to hint
    }

    pub fn lock(_: &Bytes) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "not supported"))
    }
}

/// A read-only mapping of a whole model file (on WebAssembly, the file read into memory).
#[derive(Debug)]
pub struct MappedModel {
    map: sys::Bytes,
    path: PathBuf,
    locked: bool,
}

fn open_error(path: &Path, e: std::io::Error) -> Error {
    let shown = path.display();
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::new(
            ErrorKind::NotFound,
            format!("model file {shown} does not exist"),
        ),
        std::io::ErrorKind::PermissionDenied => Error::new(
            ErrorKind::Io,
            format!("model file {shown} is not readable: permission denied"),
        ),
        _ => Error::new(
            ErrorKind::Io,
            format!("cannot open model file {shown}: {e}"),
        ),
    }
}

impl MappedModel {
    /// Opens and maps `path` read-only.
    ///
    /// Errors: missing file -> `NotFound`; unreadable (permissions or other OS error) ->
    /// `Io`; a directory or another non-regular file -> `InvalidArgument`; a 0-byte file ->
    /// `InvalidFile` (an empty file cannot be mapped and holds no model); mapping or
    /// locking failures -> `Io`.
    pub fn open(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        let path = path.as_ref();
        let shown = path.display();
        // Check the type before opening: opening a FIFO for reading would block, and
        // Windows refuses to open a directory as a file at all.
        let pre = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
        if pre.is_dir() {
            return Err(Error::invalid(format!(
                "model path {shown} is a directory, not a file"
            )));
        }
        if !pre.is_file() {
            return Err(Error::invalid(format!(
                "model path {shown} is not a regular file"
            )));
        }
        let file = File::open(path).map_err(|e| open_error(path, e))?;
        let meta = file.metadata().map_err(|e| open_error(path, e))?;
        if meta.is_dir() {
            return Err(Error::invalid(format!(
                "model path {shown} is a directory, not a file"
            )));
        }
        if !meta.is_file() {
            return Err(Error::invalid(format!(
                "model path {shown} is not a regular file"
            )));
        }
        if meta.len() == 0 {
            return Err(Error::new(
                ErrorKind::InvalidFile,
                format!("model file {shown} is empty (0 bytes)"),
            ));
        }
        let Ok(len) = usize::try_from(meta.len()) else {
            return Err(Error::overflow(format!(
                "model file {shown} ({} bytes) does not fit in the address space",
                meta.len()
            )));
        };
        let map = sys::map(&file, len, options.populate).map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::OutOfMemory {
                ErrorKind::OutOfMemory
            } else {
                ErrorKind::Io
            };
            Error::new(kind, format!("cannot map {shown}: {e}"))
        })?;
        let mut model = MappedModel {
            map,
            path: path.to_path_buf(),
            locked: false,
        };
        if options.access != Access::Normal {
            model.advise(options.access)?;
        }
        if options.will_need {
            model.advise(Access::WillNeed)?;
        }
        if options.lock {
            sys::lock(&model.map).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "cannot lock {} bytes of {shown} in memory ({}: {e}); {}",
                        model.map.len(),
                        sys::LOCK_CALL,
                        sys::LOCK_REMEDY,
                    ),
                )
            })?;
            model.locked = true;
        }
        Ok(model)
    }

    /// The mapped bytes (the whole file).
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Length of the file in bytes (never 0).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Always false: empty files are rejected at open.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The path the model was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the pages are locked in RAM.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Gives the kernel an access hint for the whole mapping.
    pub fn advise(&self, access: Access) -> Result<()> {
        sys::advise(&self.map, access, 0, self.map.len()).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "{}({access:?}) failed on {}: {e}",
                    sys::ADVISE_CALL,
                    self.path.display()
                ),
            )
        })
    }

    /// Gives the kernel an access hint for bytes `offset..offset + len` of the file, e.g.
    /// `WillNeed` on one tensor before using it. The range is widened to whole pages.
    /// An empty range is accepted and does nothing.
    pub fn advise_range(&self, access: Access, offset: usize, len: usize) -> Result<()> {
        let end = offset
            .checked_add(len)
            .ok_or_else(|| Error::overflow("advise range offset + len overflows"))?;
        if end > self.map.len() {
            return Err(Error::invalid(format!(
                "advise range {offset}..{end} is outside the {}-byte file",
                self.map.len()
            )));
        }
        if len == 0 {
            return Ok(());
        }
        sys::advise(&self.map, access, offset, len).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "{}({access:?}) failed on {offset}..{end} of {}: {e}",
                    sys::ADVISE_CALL,
                    self.path.display()
                ),
            )
        })
    }
}

impl crate::model::safetensors::ByteSource for MappedModel {
    fn bytes(&self) -> &[u8] {
        &self.map
    }
}

impl crate::model::safetensors::ByteSource for std::sync::Arc<MappedModel> {
    fn bytes(&self) -> &[u8] {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_path(tag: &str) -> PathBuf {
        crate::model::test_temp_dir()
            .join(format!("scipix-mmap-{tag}-{}", crate::model::process_tag()))
    }

    #[test]
    fn maps_file_and_reads_bytes() {
        let p = temp_path("ok");
        std::fs::File::create(&p)
            .unwrap()
            .write_all(b"hello model")
            .unwrap();
        for access in [
            Access::Normal,
            Access::Sequential,
            Access::Random,
            Access::WillNeed,
        ] {
            let opts = OpenOptions {
                access,
                will_need: true,
                populate: true,
                lock: false,
            };
            let m = MappedModel::open(&p, opts).unwrap();
            assert_eq!(m.bytes(), b"hello model");
            assert_eq!(m.len(), 11);
            m.advise(Access::Random).unwrap();
            m.advise_range(Access::WillNeed, 3, 5).unwrap();
            m.advise_range(Access::WillNeed, 11, 0).unwrap();
            assert!(m.advise_range(Access::WillNeed, 3, 9).is_err());
            assert!(m.advise_range(Access::WillNeed, usize::MAX, 2).is_err());
        }
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn bytes_are_page_aligned_and_complete_on_every_platform() {
        // Mappings start on a page; the WebAssembly read buffer is aligned to match, so
        // tensor alignment does not depend on the platform.
        let p = temp_path("aligned");
        let data: Vec<u8> = (0..3 * 4096 + 17u32).map(|i| (i * 7 % 253) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        for populate in [false, true] {
            let opts = OpenOptions {
                populate,
                ..Default::default()
            };
            let m = MappedModel::open(&p, opts).unwrap();
            assert_eq!(m.bytes().as_ptr() as usize % 4096, 0);
            assert_eq!(m.bytes(), &data[..]);
            m.advise_range(Access::WillNeed, 4095, 4098).unwrap();
            m.advise_range(Access::Sequential, 0, data.len()).unwrap();
        }
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn lock_is_reported_or_explained() {
        let p = temp_path("lock");
        std::fs::write(&p, vec![7u8; 4096]).unwrap();
        let opts = OpenOptions {
            lock: true,
            ..Default::default()
        };
        match MappedModel::open(&p, opts) {
            #[cfg(target_family = "wasm")]
            Ok(_) => panic!("nothing to lock on WebAssembly: open must refuse"),
            #[cfg(not(target_family = "wasm"))]
            Ok(m) => {
                assert!(m.is_locked());
                assert_eq!(m.bytes(), &[7u8; 4096][..]);
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Io);
                assert!(e.message().contains(sys::LOCK_CALL), "{}", e.message());
                assert!(e.message().contains(sys::LOCK_REMEDY), "{}", e.message());
            }
        }
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn clear_errors_for_bad_paths() {
        let missing = temp_path("missing");
        let e = MappedModel::open(&missing, OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.message().contains("does not exist"));

        let e =
            MappedModel::open(crate::model::test_temp_dir(), OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("directory"));

        #[cfg(unix)]
        {
            // A path through a regular file cannot be opened (ENOTDIR): an I/O error.
            let e = MappedModel::open("/dev/null/model", OpenOptions::default()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Io);
            assert!(e.message().contains("/dev/null/model"));

            let e = MappedModel::open("/dev/null", OpenOptions::default()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains("not a regular file"));
        }

        let empty = temp_path("empty");
        std::fs::write(&empty, b"").unwrap();
        let e = MappedModel::open(&empty, OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidFile);
        assert!(e.message().contains("empty"));
        std::fs::remove_file(&empty).unwrap();
    }

    #[test]
    #[cfg_attr(threadless, ignore = "needs threads")]
    fn many_threads_read_one_mapping() {
        let p = temp_path("threads");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let m = std::sync::Arc::new(MappedModel::open(&p, OpenOptions::default()).unwrap());
        std::thread::scope(|s| {
            for t in 0..4 {
                let m = &m;
                let data = &data;
                s.spawn(move || {
                    let sum: u64 = m.bytes()[t..].iter().map(|&b| b as u64).sum();
                    let want: u64 = data[t..].iter().map(|&b| b as u64).sum();
                    assert_eq!(sum, want);
                });
            }
        });
        std::fs::remove_file(&p).unwrap();
    }
}
