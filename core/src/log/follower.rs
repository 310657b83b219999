//! A read-only log following the files another process writes (`docs/READERS.md` has the
//! protocol: what the writer publishes, in which order, and what a reader trusts).
//!
//! A reader trusts nothing it cannot check: every record it hands out passed its checksum at
//! the position its (in-memory) index gives, and every view of the directory is taken twice,
//! the same both times, before it is used. What it sees may be a moment old, never wrong:
//! when a read finds something that does not fit (a record gone, a file shorter than
//! expected or removed, a hole), the reader takes a fresh view and tries once more, and only
//! an error that survives a fresh view reaches the caller.

use std::sync::Arc;
use std::time::Duration;

use super::shared::Shared;
use crate::error::{Error, IoContext, Result};
use crate::format::{self, FileKind};
use crate::recovery::{self, CLEAN_MARKER};

/// How many times a reader takes a view of the directory before it gives up on finding two
/// that agree (the writer is creating or removing files meanwhile), and the pause between.
const VIEW_TRIES: u32 = 50;
const VIEW_PAUSE: Duration = Duration::from_millis(2);

/// Whether a read-only read's error may come from the writer changing the files under it
/// (so that a fresh view is worth a second try).
pub(super) fn may_be_stale(e: &Error) -> bool {
    match e {
        Error::Hole { .. } | Error::Corrupt { .. } => true,
        Error::Io { source, .. } => matches!(
            source.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::UnexpectedEof
        ),
        _ => false,
    }
}

impl Shared {
    /// Read-only logs: pick up what the writer (another process) appended, rolled, cut or
    /// removed since the last look. Cheap when nothing changed: a `stat` and a 32-byte read of
    /// the newest store, a `stat` of the oldest, and a `stat` of the name the next segment would
    /// have.
    pub(super) fn refresh(&self) -> Result<()> {
        if !self.options.read_only {
            return Ok(());
        }
        let _g = self.refresh.lock();
        let (oldest, newest) = {
            let segs = self.segments.read();
            (segs.first().cloned(), segs.last().cloned())
        };
        let Some(seg) = newest else {
            return self.reload_locked();
        };
        // Retention or `truncate_front` removed the oldest segment.
        if oldest.is_some_and(|o| !Arc::ptr_eq(&o, &seg) && !o.paths.store.exists()) {
            return self.reload_locked();
        }
        let files = match seg.files() {
            Ok(f) => f,
            Err(_) => return self.reload_locked(),
        };
        let looked = files.store.with_file(false, |f| {
            let meta = f.metadata()?;
            let mut header = [0u8; format::STORE_HEADER_LEN as usize];
            let got = crate::platform::read_at_most(f, &mut header, 0)?;
            Ok((meta, header, got))
        });
        let Ok((meta, header, got)) = looked else {
            return self.reload_locked();
        };
        // Removed (retention, truncation, a re-base): everything may have changed.
        if std::os::unix::fs::MetadataExt::nlink(&meta) == 0 {
            return self.reload_locked();
        }
        // Cut by `truncate_back` (a new epoch), or shorter than what we know of it.
        let same_cut = format::decode_file_header(FileKind::Store, &header[..got])
            .is_ok_and(|h| h.epoch == seg.epoch());
        let len = meta.len();
        if !same_cut || len < seg.end() {
            return self.reload_locked();
        }
        let found = files
            .store
            .with_file(false, |f| {
                recovery::scan::follow(f, &seg.header(), seg.end(), seg.next(), len)
            })
            .context(|| format!("reading {}", seg.paths.store.display()))?;
        if !found.positions.is_empty() {
            let count = seg.count();
            for (i, p) in found.positions.iter().enumerate() {
                files.index.set(count + i as u64, *p);
            }
            seg.publish(found.next, found.end);
        }
        // A roll: the next segment's file appeared.
        let next_store = self
            .dir
            .join(format::file_name(seg.next(), FileKind::Store));
        if found.positions.is_empty() && next_store.exists() {
            return self.reload_locked();
        }
        Ok(())
    }

    /// Read-only logs: takes a fresh view of the whole directory.
    pub(super) fn reload(&self) -> Result<()> {
        let _g = self.refresh.lock();
        self.reload_locked()
    }

    /// A view of the directory the writer was not changing while it was taken: two listings
    /// of the segment files, before and after loading, that agree (else a short pause and
    /// another try). A file that vanished while loading is the writer's work too.
    fn reload_locked(&self) -> Result<()> {
        let mut last_err = None;
        for _ in 0..VIEW_TRIES {
            let before = recovery::list_segments(&self.dir)?;
            let clean = self.dir.join(CLEAN_MARKER).exists();
            let mode = recovery::Mode {
                clean,
                read_only: true,
                ..recovery::Mode::default()
            };
            match recovery::load(&self.dir, &self.options, mode, &self.open_cache) {
                Ok(loaded) if recovery::list_segments(&self.dir)? == before => {
                    *self.segments.write() = loaded.segments;
                    return Ok(());
                }
                Ok(_) => {}
                Err(e) if may_be_stale(&e) => last_err = Some(e),
                Err(e) => return Err(e),
            }
            std::thread::sleep(VIEW_PAUSE);
        }
        Err(last_err.unwrap_or_else(|| {
            Error::io(
                format!("following {}", self.dir.display()),
                std::io::Error::other(
                    "the writer kept changing the directory: no stable view to read",
                ),
            )
        }))
    }
}
