//! What a memory-mapped file still allows, which differs by system.
//!
//! Unix lets a mapped file be shrunk, removed and replaced: the map keeps the pages it can
//! still reach. Windows refuses all three while any view of the file is mapped, in any
//! process (`ERROR_USER_MAPPED_FILE` for a shrink, `ERROR_ACCESS_DENIED` for a removal or a
//! rename over it); it does allow renaming a mapped file away. So where [`MAPS_PIN_FILES`]:
//!
//! - only the active segment is mapped; sealed segments are read with positional reads and
//!   in-memory indexes (`Reopen::Pread`), like a read-only log's;
//! - a seal or a close cuts the active segment's preallocated tail once its last map is gone
//!   (`Segment`'s drop), not at once; until then the files keep a zero tail, which recovery
//!   takes for what it is (a crash leaves the same);
//! - a removal renames the file away to a name no log file has (`*.removed-*`) and removes it
//!   there: the name is free at once, the bytes go with the last map, and an open removes what
//!   a crash left (`sweep_removed`).
//!
//! The `windows-rules` feature makes Linux keep these rules too, and enforce them: a shrink,
//! removal or replacement of a file this process maps fails, as on Windows. `make
//! test-portable` runs the suites that way, so that every run of `make test` proves the log
//! never asks Windows for what it refuses.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether a mapped file can be neither shrunk, removed nor replaced (see the module doc).
pub(crate) const MAPS_PIN_FILES: bool = cfg!(any(windows, feature = "windows-rules"));

/// What a removed file is renamed to before it is removed: `<name>.removed-<pid>-<n>`.
const REMOVED_MARK: &str = ".removed-";

/// Held by every map of a file, for as long as the map lives; under the emulated rules it
/// registers the file as mapped.
#[derive(Debug)]
pub(crate) struct MapPin {
    #[cfg(all(unix, feature = "windows-rules"))]
    key: Option<emulated::Key>,
}

impl MapPin {
    /// `file` is being mapped.
    pub(crate) fn new(file: &File) -> MapPin {
        let _ = file;
        MapPin {
            #[cfg(all(unix, feature = "windows-rules"))]
            key: emulated::pin(file),
        }
    }
}

#[cfg(all(unix, feature = "windows-rules"))]
impl Drop for MapPin {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            emulated::unpin(key);
        }
    }
}

/// Sets the length of `file`; refused (as on Windows) for a shrink of a mapped file.
pub(crate) fn set_len(file: &File, len: u64) -> io::Result<()> {
    #[cfg(all(unix, feature = "windows-rules"))]
    if emulated::is_pinned_file(file) && len < file.metadata()?.len() {
        return Err(emulated::refused("cutting the length of"));
    }
    file.set_len(len)
}

/// Removes the file at `path`. Where maps pin files, it is renamed away first (see the module
/// doc): the name is free when this returns, the bytes when no map holds them.
pub(crate) fn remove_file(path: &Path) -> io::Result<()> {
    if !MAPS_PIN_FILES {
        return std::fs::remove_file(path);
    }
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(
        "{REMOVED_MARK}{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let away = path.with_file_name(name);
    std::fs::rename(path, &away)?;
    // Refused while a map holds the file: `sweep_removed` (a segment's drop, the next open)
    // takes it then.
    let _ = remove_unpinned(&away);
    Ok(())
}

/// Renames `from` to `to`; refused (as on Windows) when `to` is a file that is mapped.
pub(crate) fn rename(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(all(unix, feature = "windows-rules"))]
    if emulated::is_pinned_path(to) {
        return Err(emulated::refused("replacing"));
    }
    std::fs::rename(from, to)
}

/// Removes the files `remove_file` renamed away in `dir` whose name began with `prefix` (all
/// of them for an empty one) and that no map holds any more.
pub(crate) fn sweep_removed(dir: &Path, prefix: &str) {
    if !MAPS_PIN_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(prefix) && is_removed_name(name) {
            let _ = remove_unpinned(&entry.path());
        }
    }
}

/// Whether `name` is one `remove_file` gave a file it removed.
pub(crate) fn is_removed_name(name: &str) -> bool {
    name.contains(REMOVED_MARK)
}

fn remove_unpinned(path: &PathBuf) -> io::Result<()> {
    #[cfg(all(unix, feature = "windows-rules"))]
    if emulated::is_pinned_path(path) {
        return Err(emulated::refused("removing"));
    }
    std::fs::remove_file(path)
}

/// Windows' rules on Linux: the files this process maps, by device and inode.
#[cfg(all(unix, feature = "windows-rules"))]
mod emulated {
    use std::collections::HashMap;
    use std::fs::File;
    use std::io;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;
    use std::sync::{LazyLock, Mutex};

    pub(super) type Key = (u64, u64);

    static MAPPED: LazyLock<Mutex<HashMap<Key, usize>>> = LazyLock::new(Default::default);

    fn key(meta: &std::fs::Metadata) -> Key {
        (meta.dev(), meta.ino())
    }

    pub(super) fn pin(file: &File) -> Option<Key> {
        let key = key(&file.metadata().ok()?);
        *MAPPED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default() += 1;
        Some(key)
    }

    pub(super) fn unpin(key: Key) {
        let mut mapped = MAPPED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = mapped.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                mapped.remove(&key);
            }
        }
    }

    fn pinned(key: Key) -> bool {
        MAPPED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&key)
    }

    pub(super) fn is_pinned_file(file: &File) -> bool {
        file.metadata().is_ok_and(|m| pinned(key(&m)))
    }

    pub(super) fn is_pinned_path(path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| pinned(key(&m)))
    }

    pub(super) fn refused(what: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{what} a mapped file (refused as Windows would: feature windows-rules)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_file_frees_its_name_at_once_and_goes_when_unmapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        file.set_len(8192).unwrap();
        let map = memmap2::MmapOptions::new().map_raw(&file).unwrap();
        let pin = MapPin::new(&file);
        remove_file(&path).unwrap();
        assert!(!path.exists());
        // The name can be taken again at once.
        std::fs::write(&path, b"new").unwrap();
        if MAPS_PIN_FILES {
            // Shrinking a mapped file is refused (Windows, or emulated).
            assert!(set_len(&file, 4096).is_err());
        }
        if cfg!(feature = "windows-rules") {
            let kept = std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .filter(|e| is_removed_name(e.file_name().to_str().unwrap()))
                .count();
            assert_eq!(kept, 1, "a mapped file stays until its map goes");
        }
        drop((map, pin, file));
        sweep_removed(dir.path(), "f");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, vec!["f".to_string()]);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }
}
