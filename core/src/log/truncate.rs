//! Truncation: dropping old segments from the front, or a suffix from the back.
//!
//! Both are failure-atomic: a failed file operation leaves the log as it was, or poisoned
//! (when the disk may already hold part of the change), never with files and memory that
//! disagree; and a power cut at any moment leaves a log that opens as it was before the call
//! or as the call left it, never losing a record below the cut.

use std::sync::Arc;

use super::Log;
use super::shared::{Shared, Writer, find};
use crate::error::{Error, IoContext, Result};
use crate::format::{self, STORE_HEADER_LEN};
use crate::recovery::{self, sync_dir};
use crate::segment::Segment;

impl Shared {
    /// Removes `victims` (the oldest segments, oldest first), each removal synced to the
    /// directory before the next starts (a power cut leaves a log that starts at one of them,
    /// never one with a gap). Each leaves the in-memory list as its files go, so a failure
    /// midway leaves list and directory in agreement. One that is no longer the oldest (a
    /// concurrent truncation took it) ends the work.
    pub(super) fn remove_front(&self, victims: &[Arc<Segment>]) -> Result<()> {
        for first in victims {
            {
                let segs = self.segments.read();
                if segs.len() < 2 || !Arc::ptr_eq(&segs[0], first) {
                    return Ok(());
                }
            }
            first.mark_removed();
            let removed = recovery::remove_segment_files(&self.dir, first.base);
            if removed.is_ok() || !first.paths.store.exists() {
                let mut segs = self.segments.write();
                if segs.first().is_some_and(|s| Arc::ptr_eq(s, first)) {
                    segs.remove(0);
                }
            }
            removed?;
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Syncs everything appended so far, with the writer lock held.
    fn sync_all_locked(&self, w: &Writer) -> Result<()> {
        for s in self.unsynced_sealed() {
            s.sync_store()
                .context(|| format!("syncing {}", s.paths.store.display()))
                .map_err(|e| self.poison(&e))?;
            s.mark_durable(s.count());
        }
        w.active
            .active_files()
            .store
            .sync_data()
            .context(|| format!("syncing {}", w.active.paths.store.display()))
            .map_err(|e| self.poison(&e))?;
        w.active.mark_durable(w.next - w.active.base);
        Ok(())
    }
}

impl Log {
    /// Drops whole segments whose records all lie below `offset`. With `offset` at or beyond
    /// `next_offset()` the log is emptied and the next append gets `offset`.
    pub fn truncate_front(&self, offset: u64) -> Result<()> {
        let sh = &*self.shared;
        if offset > sh.options.max_offset {
            return Err(Error::InvalidArgument(format!(
                "offset {offset} is above the largest offset {}",
                sh.options.max_offset
            )));
        }
        let mut guard = sh.writer.lock();
        let w = sh.writable(&mut guard)?;
        let active_empty = w.next == w.active.base;
        if offset > w.next || (offset == w.next && !active_empty) {
            // Re-base: a new empty segment at `offset`, marked so that a crash before the old
            // segments are gone still opens as the re-based log (recovery finishes the job).
            let o = &sh.options;
            let seg = Arc::new(Segment::create(
                &sh.dir,
                o.new_header(offset, format::FLAG_REBASE),
                o.max_segment_bytes,
                o.max_index_bytes,
            )?);
            // The new segment may be on disk now: a recovery would take everything below it
            // for obsolete. Failing from here on poisons the log, so that nothing is appended
            // below it that recovery would then throw away.
            sync_dir(&sh.dir).map_err(|e| sh.poison(&e))?;
            let old = std::mem::replace(&mut *sh.segments.write(), vec![seg.clone()]);
            w.active = seg.clone();
            w.pos = STORE_HEADER_LEN;
            w.epoch = 0;
            w.populated = 0;
            w.next = offset;
            w.plain = false;
            // The old files must go before anything is built on the new segment: a failure
            // here poisons the log (the next open removes what is left).
            let removed = (|| -> Result<()> {
                for s in &old {
                    s.mark_removed();
                    recovery::remove_segment_files(&sh.dir, s.base)?;
                }
                sync_dir(&sh.dir)?;
                // Done: the flag has nothing left to say.
                seg.update_header(|h| h.flags &= !format::FLAG_REBASE)
                    .and_then(|()| seg.active_files().store.sync_data())
                    .context(|| format!("writing the header of {}", seg.paths.store.display()))
            })();
            drop(guard);
            removed.map_err(|e| sh.poison(&e))?;
        } else {
            let victims: Vec<Arc<Segment>> = {
                let segs = sh.segments.read();
                segs.iter()
                    .take(segs.len() - 1)
                    .take_while(|s| s.next() <= offset)
                    .cloned()
                    .collect()
            };
            drop(guard);
            sh.remove_front(&victims)?;
        }
        sh.notify_tailers();
        Ok(())
    }

    /// Removes every record at or after `offset` (durably); the next append gets `offset`.
    /// `offset` must lie in `lowest_offset()..=next_offset()`.
    ///
    /// The cut is made durable in one sector: the segment's header gets a new epoch and the
    /// count of records below the cut, and a record past that count written in an older epoch
    /// is not part of the log. No record is rewritten in place.
    pub fn truncate_back(&self, offset: u64) -> Result<()> {
        let sh = &*self.shared;
        let mut guard = sh.writer.lock();
        let w = sh.writable(&mut guard)?;
        if offset == w.next {
            return Ok(());
        }
        let (idx, target, later) = {
            let segs = sh.segments.read();
            let Some(target) = find(&segs, offset).cloned() else {
                return Err(sh.out_of_range(offset, &segs));
            };
            let idx = segs
                .iter()
                .position(|s| Arc::ptr_eq(s, &target))
                .expect("found in the list");
            (idx, target, segs.len() - idx - 1)
        };
        // A sealed segment becomes the active one again: its writable files are opened
        // before anything changes (a full disk fails here, with the log as it was).
        let seg = if Arc::ptr_eq(&target, &w.active) {
            target
        } else {
            let o = &sh.options;
            // Opened through the sealed value first (under its own lock), so that the header
            // is the file's and not a stand-in (the cut writes the next one from it), the
            // index is checked against the store (rebuilt if need be) before the writable
            // value reads it, and no later first open through the sealed value (a reader or
            // the compaction thread still holding it) rebuilds the index and renames it over
            // the one the writable value maps.
            drop(target.files()?);
            // A cut of its files still waiting for an older writable map must not run now.
            target.cancel_trim();
            let store =
                crate::store::Store::open_writable(&target.paths.store, o.max_segment_bytes)
                    .context(|| format!("reopening {}", target.paths.store.display()))?;
            let index = crate::index::Index::open_writable(&target.paths.index, o.max_index_bytes)
                .context(|| format!("reopening {}", target.paths.index.display()))?;
            Arc::new(target.reopened(store, index))
        };
        // A cut inside a frame keeps the frame's bytes whole: its values from the cut on are
        // cut by the header (a new epoch, the durable count at the cut, see "Frames" in
        // FORMAT.md), and the log goes on in a new segment, so that count stays put.
        let in_frame = seg.frame_around(offset)?;
        let pos = match in_frame {
            Some((at, len)) => at + len,
            None => seg.cut_position(offset)?,
        };
        // Everything before the cut is durable before the cut is: a power cut must not take
        // back records below it once the header says where the log ends.
        sh.sync_all_locked(w)?;
        // From here on a failure poisons the log: the disk may hold part of the change.
        let result = (|| -> Result<()> {
            // Later segments go newest first, each removal synced, so that a power cut leaves
            // a prefix of them.
            for _ in 0..later {
                let last = sh.segments.write().pop().expect("counted above");
                last.mark_removed();
                recovery::remove_segment_files(&sh.dir, last.base)?;
                sync_dir(&sh.dir)?;
            }
            let kept = offset - seg.base;
            let epoch = seg
                .record_cut(kept, in_frame.is_some())
                .and_then(|epoch| seg.active_files().store.sync_data().map(|()| epoch))
                .context(|| format!("recording the cut in {}", seg.paths.store.display()))?;
            let (old_next, old_end) = (seg.next(), seg.end());
            {
                let mut segs = sh.segments.write();
                segs[idx] = seg.clone();
                seg.unpublish_from(offset, pos);
            }
            // SAFETY: we hold the writer lock; `seg` is mapped read-write (the active segment,
            // or reopened writable above); the records were unpublished under the segments
            // write lock just now.
            unsafe { seg.zero_unpublished(offset, pos, old_next, old_end) };
            seg.active_files()
                .store
                .sync_data()
                .context(|| format!("syncing {}", seg.paths.store.display()))?;
            w.active = seg.clone();
            w.epoch = epoch;
            w.pos = pos;
            w.populated = 0;
            w.next = offset;
            w.plain = true;
            if in_frame.is_some() {
                sh.roll(w)?;
            }
            Ok(())
        })();
        drop(guard);
        result.map_err(|e| sh.poison(&e))?;
        sh.notify_tailers();
        Ok(())
    }

    /// Empties the log; offsets go on from where they were (none is reused).
    pub fn reset(&self) -> Result<()> {
        self.truncate_front(self.next_offset()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Log, Options};

    fn value(i: u64) -> Vec<u8> {
        format!("value {i:04}").into_bytes()
    }

    /// Segments of 4 KiB (about a hundred `value`s each), no compaction thread.
    fn small() -> Options {
        Options {
            max_segment_bytes: 4096,
            max_index_bytes: 4096,
            compress_sealed: false,
            ..Options::default()
        }
    }

    /// Appends `value(offset)` until the log has `segments` segments.
    fn fill(log: &Log, segments: usize) {
        while log.shared.segments.read().len() < segments {
            let next = log.next_offset().unwrap();
            log.append(&value(next)).unwrap();
        }
    }

    /// A sealed segment `truncate_back` makes active again, opened for the first time through
    /// the sealed value someone still holds (the compaction thread, a reader that found it
    /// before the cut): that open must not rebuild the index and rename it over the file the
    /// writable value maps, or the entries written after the cut go with the old file, and
    /// the next cut into the segment reads the rebuilt one.
    #[test]
    fn a_stale_sealed_value_opened_after_a_cut_leaves_the_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let options = small();
        let log = Log::open(dir.path(), options.clone()).unwrap();
        fill(&log, 5);
        log.close().unwrap();
        // Reopened: the sealed segments before the newest two are checked at first use.
        let log = Log::open(dir.path(), options.clone()).unwrap();
        let stale = log.shared.segments.read()[0].clone();
        log.truncate_back(stale.base + 3).unwrap();
        for i in 3..8 {
            log.append(&value(i)).unwrap();
        }
        drop(stale.files().unwrap());
        drop(stale);
        // Sealed, and cut again near its end: the cut reads the index file.
        fill(&log, 2);
        let next = log.shared.segments.read()[1].base - 1;
        log.truncate_back(next).unwrap();
        for i in 0..next {
            assert_eq!(log.read(i).unwrap().value, value(i), "offset {i}");
        }
        log.close().unwrap();
        let log = Log::open(dir.path(), options).unwrap();
        assert_eq!(log.next_offset().unwrap(), next);
        for i in 0..next {
            assert_eq!(
                log.read(i).unwrap().value,
                value(i),
                "offset {i} after reopening"
            );
        }
    }

    /// A cut into a sealed segment not opened since the log was: the segment knew only a
    /// stand-in header (epoch 0, no codec), and the cut must not write that over the real
    /// one (an epoch that goes back, a codec lost).
    #[test]
    fn a_cut_into_a_segment_not_opened_yet_keeps_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            compression: crate::Compression::Lz4,
            ..small()
        };
        let log = Log::open(dir.path(), options.clone()).unwrap();
        fill(&log, 5);
        // Two cuts into segment 0: its epoch is 2.
        let end = log.shared.segments.read()[1].base;
        log.truncate_back(end - 1).unwrap();
        log.truncate_back(end - 2).unwrap();
        fill(&log, 5);
        let before = log.shared.segments.read()[0].header();
        log.close().unwrap();
        let log = Log::open(dir.path(), options.clone()).unwrap();
        log.truncate_back(5).unwrap();
        let after = log.shared.segments.read()[0].header();
        assert_eq!(after.epoch, (before.epoch + 1) % crate::format::EPOCHS);
        assert_eq!((after.codec, after.durable_count), (before.codec, 5));
        log.append_batch(&[value(5), value(6)]).unwrap();
        log.close().unwrap();
        let log = Log::open(dir.path(), options).unwrap();
        assert_eq!(log.next_offset().unwrap(), 7);
        for i in 0..7 {
            assert_eq!(log.read(i).unwrap().value, value(i), "offset {i}");
        }
    }

    /// A segment value kept past its removal (as the compaction thread may keep one) must not
    /// write its header into the file of a new segment of the same base.
    #[test]
    fn a_removed_segment_value_leaves_a_new_file_of_its_name_alone() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), small()).unwrap();
        fill(&log, 3);
        let stale = log.shared.segments.read()[1].clone();
        drop(stale.files().unwrap());
        let base = stale.base;
        // Cut to one record short of it, and append the same record again: segment 0 is as
        // full as before, and the next record opens a new segment at the same base.
        log.truncate_back(base - 1).unwrap();
        assert!(stale.is_removed());
        log.append(&value(base - 1)).unwrap();
        log.append(&value(base)).unwrap();
        let new = log.shared.segments.read()[1].clone();
        assert_eq!(new.base, base);
        let header = || std::fs::read(&new.paths.store).unwrap()[..32].to_vec();
        let before = header();
        let written = stale.update_header(|h| h.flags |= crate::format::FLAG_COMPACTED);
        assert!(written.is_err());
        assert_eq!(header(), before);
        drop(new);
        for i in 0..=base {
            assert_eq!(log.read(i).unwrap().value, value(i), "offset {i}");
        }
    }
}
