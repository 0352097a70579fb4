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
///
/// Windows cannot replace or delete a file while it is mapped. There, when the rename
/// over `path` is refused, the old file is first renamed aside to
/// `.<name>.old-<tag>-<n>` in the same directory and the new one renamed in (so a
/// reader opening `path` in between may briefly find no file); the old file is then
/// deleted, or, while still mapped, left for the next write to the same path to
/// delete. Processes that map it keep reading the old contents.
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
        crate::model::process_tag(),
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
        drop(file);
        replace(&tmp, path, &dir, file_name).map_err(|e| {
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

/// Renames `tmp` over `path`. Where that is refused with `path` present (Windows, while
/// `path` is mapped or open without delete sharing), moves the old file aside first; see
/// [`write_atomic`]. Old files set aside by earlier writes are deleted when
/// they no longer are in use.
fn replace(tmp: &Path, path: &Path, dir: &Path, name: &std::ffi::OsStr) -> std::io::Result<()> {
    let aside_prefix = format!(".{}.old-", name.to_string_lossy());
    sweep_aside(dir, &aside_prefix);
    match std::fs::rename(tmp, path) {
        Err(e) if cfg!(windows) && path.is_file() => replace_aside(tmp, path, dir, &aside_prefix)
            .map_err(|e2| std::io::Error::new(e2.kind(), format!("{e}; moving it aside: {e2}"))),
        other => other,
    }
}

/// Moves `path` aside, `tmp` into its place, and tries to delete the old file.
fn replace_aside(tmp: &Path, path: &Path, dir: &Path, aside_prefix: &str) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let aside = dir.join(format!(
        "{aside_prefix}{}-{}",
        crate::model::process_tag(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::rename(path, &aside)?;
    if let Err(e) = std::fs::rename(tmp, path) {
        let _ = std::fs::rename(&aside, path); // put the old file back
        return Err(e);
    }
    let _ = std::fs::remove_file(&aside); // refused while mapped: swept by a later write
    Ok(())
}

/// Deletes files named `<aside_prefix>*` in `dir`; those still in use stay.
fn sweep_aside(dir: &Path, aside_prefix: &str) {
    if !cfg!(windows) {
        return; // only Windows sets files aside
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(aside_prefix)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_aside_swaps_files_and_keeps_the_old_one_only_while_needed() {
        let dir = crate::model::test_temp_dir()
            .join(format!("scipix-st-aside-{}", crate::model::process_tag()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.bin");
        let tmp = dir.join(".m.bin.tmp-x");
        std::fs::write(&path, b"old").unwrap();
        std::fs::write(&tmp, b"new").unwrap();
        replace_aside(&tmp, &path, &dir, ".m.bin.old-").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["m.bin"], "old and temporary files are gone");
        // A missing temporary file: the old file is put back.
        let e = replace_aside(&dir.join("nope"), &path, &dir, ".m.bin.old-").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
