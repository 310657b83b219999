//! Rebuilding an index a read found lying. The index is a cache of its store: when an entry
//! sends a read to bytes that hold another record (a damaged entry the O(1) check at open
//! could not see), the segment's entries are rebuilt from the store and the read is tried
//! again, instead of failing.

use std::sync::Arc;

use super::shared::Shared;
use crate::error::{Error, IoContext, Result};
use crate::format::HOLE;
use crate::index::Index;
use crate::recovery::{scan, sync_dir};
use crate::segment::write_index_aside;
use crate::segment::{Files, Reopen, Segment};
use crate::store::Store;

/// The entries of `seg`'s store as a scan finds them (holes for what is missing).
fn scanned_entries(seg: &Segment) -> Result<Vec<u32>> {
    let files = seg.files()?;
    let mut entries = files
        .store
        .with_file(false, |f| {
            scan::scan_store(f, &seg.header(), None, seg.end()).map(|s| s.entries)
        })
        .context(|| format!("scanning {}", seg.paths.store.display()))?;
    if seg.pinned_files() {
        // The active segment keeps its offsets: what is missing at its end is holes.
        entries.resize(seg.count() as usize, HOLE);
    } else {
        entries.truncate(seg.count() as usize);
        seg.shrink_to(seg.base + entries.len() as u64, seg.end());
    }
    Ok(entries)
}

impl Shared {
    /// Rebuilds the index of the segment at `base` from its store; returns whether the
    /// segment now reads through a rebuilt index (the caller then tries again).
    pub(super) fn reindex(&self, base: u64) -> Result<bool> {
        // Held to the end for a sealed segment too: a `truncate_back` into it meanwhile would
        // map its index writable, and the rebuilt one renamed over it then would take the
        // entries written after the cut away from the file. A rebuild is rare (damage).
        let mut guard = (!self.options.read_only).then(|| self.writer.lock());
        if let Some(w) = guard.as_mut().and_then(|g| g.as_mut())
            && w.active.base == base
        {
            return self.reindex_active(&w.active);
        }
        let seg = {
            let segs = self.segments.read();
            let Some(seg) = segs.iter().find(|s| s.base == base) else {
                return Ok(false);
            };
            seg.clone()
        };
        let entries = scanned_entries(&seg)?;
        let paths = &seg.paths;
        let ctx = |p: &std::path::Path| format!("opening {}", p.display());
        let files = match seg.reopen_kind() {
            Reopen::Pread => Files {
                store: Store::open_pread(&paths.store).context(|| ctx(&paths.store))?,
                index: Index::in_memory(&paths.index, entries),
            },
            Reopen::Mapped => {
                write_index_aside(&paths.index, base, &entries)?;
                sync_dir(&self.dir)?;
                Files {
                    store: Store::open_sealed(&paths.store).context(|| ctx(&paths.store))?,
                    index: Index::open_sealed(&paths.index).context(|| ctx(&paths.index))?,
                }
            }
        };
        Ok(seg.install_files(files))
    }

    /// Rebuilds the active segment's index in place (the caller holds the writer lock): its
    /// entries are rewritten with every reader shut out by the segments lock.
    fn reindex_active(&self, seg: &Arc<Segment>) -> Result<bool> {
        let entries = scanned_entries(seg)?;
        let _readers_out = self.segments.write();
        let index = &seg.active_files().index;
        for (slot, &e) in entries.iter().enumerate() {
            // SAFETY: the writer lock (the caller's) makes this the only writer, and the
            // segments write lock held here shuts every reader out.
            unsafe { index.set(slot as u64, e) };
        }
        Ok(true)
    }
}

impl Shared {
    /// The segment whose index a read's error puts in doubt: an index entry that sent the
    /// read to an intact record of another offset, or to bytes that are no record at all
    /// while the index does not mark a hole there (a damaged entry looks just like a damaged
    /// record until the store is scanned). `None` for anything else.
    pub(super) fn doubtful_index(&self, e: &Error) -> Option<u64> {
        match e {
            Error::Corrupt {
                segment,
                file: "index",
                ..
            } => Some(*segment),
            Error::Hole {
                offset, segment, ..
            } => {
                let segs = self.segments.read();
                let seg = segs.iter().find(|s| s.base == *segment)?;
                if *offset >= seg.next() {
                    return None; // a gap between segments, not an entry
                }
                let marked = seg.files().ok()?.index.get(offset - seg.base) == Some(HOLE);
                (!marked).then_some(*segment)
            }
            _ => None,
        }
    }
}
