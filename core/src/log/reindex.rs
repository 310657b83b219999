//! Rebuilding an index a read found lying. The index is a cache of its store: when an entry
//! sends a read to bytes that hold another record (a damaged entry the O(1) check at open
//! could not see), the segment's entries are rebuilt from the store and the read is tried
//! again, instead of failing.

use std::sync::Arc;

use super::shared::Shared;
use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::format::HOLE;
use crate::index::Index;
use crate::recovery::{scan, sync_dir};
use crate::store::Store;

impl Shared {
    /// Rebuilds the index of the segment at `base` from its store; returns whether a rebuilt
    /// segment is now in the list (the caller then tries again). The active segment of a
    /// writable log is the writer's own and is not rebuilt here.
    pub(super) fn reindex(&self, base: u64) -> Result<bool> {
        if !self.options.read_only {
            let mut guard = self.writer.lock();
            if let Some(w) = guard.as_mut()
                && w.active.base == base
            {
                return self.reindex_active(&w.active);
            }
        }
        let _g = self.refresh.lock();
        let seg = {
            let segs = self.segments.read();
            let Some(i) = segs.iter().position(|s| s.base == base) else {
                return Ok(false);
            };
            segs[i].clone()
        };
        let scan = scan::scan_store(seg.store.file(), &seg.header(), None, seg.end())
            .context(|| format!("scanning {}", seg.store.path().display()))?;
        let mut entries = scan.entries;
        entries.resize(seg.count() as usize, HOLE);
        let (store, index) = if self.options.read_only {
            let store = Store::open_pread(seg.store.path())
                .context(|| format!("opening {}", seg.store.path().display()))?;
            (store, Index::in_memory(seg.index.path(), entries))
        } else {
            // Written aside and renamed over the old file: readers still using the old map
            // keep the old file, whole.
            let path = seg.index.path();
            let tmp = path.with_extension("index.tmp");
            let index = Index::create(&tmp, base, &entries, 0)
                .and_then(|index| {
                    index.trim(entries.len() as u64, true)?;
                    fault::check(Op::Create, path)?;
                    std::fs::rename(&tmp, path)?;
                    Ok(index)
                })
                .context(|| format!("rebuilding {}", path.display()));
            let index = match index {
                Ok(i) => i,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
            };
            sync_dir(&self.dir)?;
            drop(index);
            let index =
                Index::open_sealed(path).context(|| format!("opening {}", path.display()))?;
            let store = Store::open_sealed(seg.store.path())
                .context(|| format!("opening {}", seg.store.path().display()))?;
            (store, index)
        };
        let fresh = Arc::new(seg.reopened(store, index));
        let mut segs = self.segments.write();
        match segs.iter().position(|s| Arc::ptr_eq(s, &seg)) {
            Some(i) => {
                segs[i] = fresh;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl Shared {
    /// Rebuilds the active segment's index in place (the caller holds the writer lock): its
    /// entries are rewritten with every reader shut out by the segments lock.
    fn reindex_active(&self, seg: &Arc<crate::segment::Segment>) -> Result<bool> {
        let scan = scan::scan_store(seg.store.file(), &seg.header(), None, seg.end())
            .context(|| format!("scanning {}", seg.store.path().display()))?;
        let mut entries = scan.entries;
        entries.resize(seg.count() as usize, HOLE);
        let _readers_out = self.segments.write();
        for (slot, &e) in entries.iter().enumerate() {
            seg.index.set(slot as u64, e);
        }
        Ok(true)
    }
}

/// The error of a read through a lying index entry names the segment to rebuild.
pub(super) fn lying_index(e: &Error) -> Option<u64> {
    match e {
        Error::Corrupt {
            segment,
            file: "index",
            ..
        } => Some(*segment),
        _ => None,
    }
}
