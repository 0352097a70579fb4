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
use memmap2::{Advice, Mmap, MmapOptions};
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
    /// Pages will be needed soon: start reading them now (`MADV_WILLNEED`).
    WillNeed,
}

impl Access {
    fn advice(self) -> Advice {
        match self {
            Access::Normal => Advice::Normal,
            Access::Sequential => Advice::Sequential,
            Access::Random => Advice::Random,
            Access::WillNeed => Advice::WillNeed,
        }
    }
}

/// How to open and map a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// Access pattern applied to the whole mapping after mapping it.
    pub access: Access,
    /// Also ask the kernel to start reading the whole file now (`MADV_WILLNEED`).
    pub will_need: bool,
    /// Pre-fault every page while mapping (`MAP_POPULATE`); makes opening O(file size).
    pub populate: bool,
    /// Lock the pages in RAM (`mlock`); fails if `RLIMIT_MEMLOCK` is too small.
    pub lock: bool,
}

/// A read-only mapping of a whole model file.
#[derive(Debug)]
pub struct MappedModel {
    map: Mmap,
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
        // Check the type before opening: opening a FIFO for reading would block.
        let pre = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
        if !pre.is_dir() && !pre.is_file() {
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
        if usize::try_from(meta.len()).is_err() {
            return Err(Error::overflow(format!(
                "model file {shown} ({} bytes) does not fit in the address space",
                meta.len()
            )));
        }
        let mut mo = MmapOptions::new();
        if options.populate {
            mo.populate();
        }
        // SAFETY: the map is read-only; the module docs state that the file must not be
        // truncated or modified while mapped (the standard contract of file mappings).
        let map = unsafe { mo.map(&file) }
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot map {shown}: {e}")))?;
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
            model.map.lock().map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "cannot lock {} bytes of {shown} in memory (mlock: {e}); \
                         raise RLIMIT_MEMLOCK or open without locking",
                        model.map.len()
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
        self.map.advise(access.advice()).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("madvise({access:?}) failed on {}: {e}", self.path.display()),
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
        self.map
            .advise_range(access.advice(), offset, len)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "madvise({access:?}) failed on {offset}..{end} of {}: {e}",
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
        std::env::temp_dir().join(format!("scipix-mmap-{tag}-{}", std::process::id()))
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
    fn lock_is_reported_or_explained() {
        let p = temp_path("lock");
        std::fs::write(&p, vec![7u8; 4096]).unwrap();
        let opts = OpenOptions {
            lock: true,
            ..Default::default()
        };
        match MappedModel::open(&p, opts) {
            Ok(m) => assert!(m.is_locked()),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Io);
                assert!(e.message().contains("mlock"));
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

        let e = MappedModel::open(std::env::temp_dir(), OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("directory"));

        // A path through a regular file cannot be opened (ENOTDIR): an I/O error.
        let e = MappedModel::open("/dev/null/model", OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.message().contains("/dev/null/model"));

        let e = MappedModel::open("/dev/null", OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("not a regular file"));

        let empty = temp_path("empty");
        std::fs::write(&empty, b"").unwrap();
        let e = MappedModel::open(&empty, OpenOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidFile);
        assert!(e.message().contains("empty"));
        std::fs::remove_file(&empty).unwrap();
    }

    #[test]
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
