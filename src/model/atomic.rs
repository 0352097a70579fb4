//! Atomic file replacement shared by the model writers.

use crate::error::{Error, ErrorKind, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes a file to `path` atomically: `fill` writes the bytes to a new temporary file
/// in the same directory, which is flushed to disk (`fsync`) and then renamed over
/// `path`, and the directory is synced. A crash leaves either the old file or the
/// complete new one under `path` (plus, at worst, a stray `.<name>.tmp-*` file); on
/// error the temporary file is removed. Readers that still map the old file keep
/// reading it.
pub(crate) fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let file_name = path.file_name().ok_or_else(|| {
        Error::invalid(format!("output path {} has no file name", path.display()))
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |what: &str, e: std::io::Error| {
        Error::new(ErrorKind::Io, format!("{what} {}: {e}", tmp.display()))
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| io("cannot create temporary file", e))?;
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, &file);
        fill(&mut w)?;
        w.flush().map_err(|e| io("cannot write", e))?;
        drop(w);
        file.sync_all().map_err(|e| io("cannot sync", e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot rename {} to {}: {e}", tmp.display(), path.display()),
            )
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable; not all filesystems support syncing a directory.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
