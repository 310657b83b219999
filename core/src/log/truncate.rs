//! Truncation: dropping old segments from the front, or a suffix from the back.

use std::sync::Arc;

use super::Log;
use super::shared::find;
use crate::error::{Error, IoContext, Result};
use crate::format::{self, STORE_HEADER_LEN};
use crate::recovery::{self, sync_dir};
use crate::segment::Segment;

impl Log {
    /// Drops whole segments whose records all lie below `offset`. With `offset` at or beyond
    /// `next_offset()` the log is emptied and the next append gets `offset`.
    pub fn truncate_front(&self, offset: u64) -> Result<()> {
        let sh = &*self.shared;
        if offset > format::MAX_OFFSET {
            return Err(Error::InvalidArgument(format!(
                "offset {offset} is above the largest offset {}",
                format::MAX_OFFSET
            )));
        }
        let mut guard = sh.writer.lock();
        let w = sh.writable(&mut guard)?;
        let active_empty = w.next == w.active.base;
        let victims: Vec<Arc<Segment>> = if offset > w.next || (offset == w.next && !active_empty) {
            // Re-base: a new empty segment at `offset`, marked so that a crash before the old
            // segments are gone still opens as the re-based log.
            let o = &sh.options;
            let seg = Arc::new(Segment::create(
                &sh.dir,
                offset,
                format::FLAG_REBASE,
                o.max_segment_bytes,
                o.max_index_bytes,
            )?);
            sync_dir(&sh.dir)?;
            let old = std::mem::replace(&mut *sh.segments.write(), vec![seg.clone()]);
            w.active = seg;
            w.pos = STORE_HEADER_LEN;
            w.populated = 0;
            w.next = offset;
            w.unsynced.clear();
            old
        } else {
            let mut segs = sh.segments.write();
            let n = segs
                .iter()
                .take(segs.len() - 1)
                .take_while(|s| s.next() <= offset)
                .count();
            segs.drain(..n).collect()
        };
        drop(guard);
        sh.remove_files(&victims)?;
        sh.notify_tailers();
        Ok(())
    }

    /// Removes every record at or after `offset` (durably); the next append gets `offset`.
    /// `offset` must lie in `lowest_offset()..=next_offset()`.
    pub fn truncate_back(&self, offset: u64) -> Result<()> {
        let sh = &*self.shared;
        let mut guard = sh.writer.lock();
        let w = sh.writable(&mut guard)?;
        if offset == w.next {
            return Ok(());
        }
        let mut segs = sh.segments.write();
        let Some(idx) =
            find(&segs, offset).map(|s| segs.iter().position(|x| Arc::ptr_eq(x, s)).unwrap_or(0))
        else {
            return Err(sh.out_of_range(offset, &segs));
        };
        // Newest first, so that a crash midway leaves a log without gaps.
        let later: Vec<Arc<Segment>> = segs.drain(idx + 1..).collect();
        for s in later.iter().rev() {
            recovery::remove_segment_files(&sh.dir, s.base)?;
        }
        if !later.is_empty() {
            sync_dir(&sh.dir)?;
        }
        let target = segs[idx].clone();
        let seg = if Arc::ptr_eq(&target, &w.active) {
            target
        } else {
            // A sealed segment becomes the active one again: reopen it writable.
            let o = &sh.options;
            let store =
                crate::store::Store::open_writable(target.store.path(), o.max_segment_bytes)
                    .context(|| format!("reopening {}", target.store.path().display()))?;
            let index = crate::index::Index::open_writable(target.index.path(), o.max_index_bytes)
                .context(|| format!("reopening {}", target.index.path().display()))?;
            let seg = Arc::new(Segment::new(
                target.base,
                store,
                index,
                target.next(),
                target.end(),
            ));
            segs[idx] = seg.clone();
            seg
        };
        let sync_err = |e| {
            sh.poison(&Error::io(
                format!("syncing {}", seg.store.path().display()),
                e,
            ))
        };
        if seg.mark_commit(offset)? {
            seg.store.sync_data().map_err(sync_err)?;
        }
        let pos = seg.cut(offset)?;
        seg.store
            .sync_data()
            .context(|| format!("syncing {}", seg.store.path().display()))
            .map_err(|e| sh.poison(&e))?;
        drop(segs);
        w.unsynced.retain(|s| s.base < seg.base);
        w.active = seg;
        w.pos = pos;
        w.populated = 0;
        w.next = offset;
        drop(guard);
        sh.notify_tailers();
        Ok(())
    }

    /// Empties the log; offsets go on from where they were (none is reused).
    pub fn reset(&self) -> Result<()> {
        self.truncate_front(self.next_offset()?)
    }
}
