//! Rolling: sealing the full active segment and starting the next one.

use std::sync::Arc;

use super::shared::{Shared, Writer};
use crate::error::{Error, IoContext, Result};
use crate::format::{self, STORE_HEADER_LEN};
use crate::index::Index;
use crate::options::SyncPolicy;
use crate::recovery::sync_dir;
use crate::segment::Segment;
use crate::store::Store;

impl Shared {
    /// Seals the active segment and starts a new one at `w.next`.
    pub(super) fn roll(&self, w: &mut Writer) -> Result<()> {
        // Rewrites the compaction thread finished go into place now, under the writer lock
        // (once per segment, beside the roll's own syncs).
        self.install_ready()?;
        let o = &self.options;
        // The records of the segment being sealed reach the disk before any newer segment can
        // exist there, whatever the sync policy: recovery trusts every segment but the newest
        // to be whole, so a power cut must never leave a newer segment after an older one
        // whose pages were still in the page cache (with `SyncPolicy::Never` the log would
        // then refuse to open). This costs one fdatasync per segment, never one per append.
        //
        // Under `SyncPolicy::Never` that sync runs on a background thread instead, so appends
        // do not wait for the disk: the new segment carries `FLAG_PREV_UNSYNCED` until it is
        // done, and recovery then scans the sealed segment too (what was not durable in it
        // may be a torn tail).
        let sync = o.sync != SyncPolicy::Never;
        if sync {
            w.active
                .active_files()
                .store
                .sync_data()
                .context(|| format!("sealing {}", w.active.paths.store.display()))
                .map_err(|e| self.poison(&e))?;
            w.active.mark_durable(w.active.count());
        }
        let flags = if sync { 0 } else { format::FLAG_PREV_UNSYNCED };
        let seg = Arc::new(Segment::create(
            &self.dir,
            o.new_header(w.next, flags),
            o.max_segment_bytes,
            o.max_index_bytes,
        )?);
        let old = std::mem::replace(&mut w.active, seg.clone());
        let sealed = (|| -> Result<()> {
            let what = || format!("sealing {}", old.paths.store.display());
            old.trim_files(w.pos, old.count(), sync).context(what)?;
            sync_dir(&self.dir)
        })();
        if let Err(e) = sealed {
            // The new segment exists on disk but the old one could not be made durable:
            // refuse further writes rather than build on it.
            return Err(self.poison(&e));
        }
        let remapped = self
            .sealed_files(&old)
            .map(|files| Arc::new(old.sealed_from(files, &self.open_cache)));
        {
            let mut segs = self.segments.write();
            let sealed = match (remapped, segs.last_mut()) {
                (Ok(fresh), Some(last)) => {
                    // What waits for a sync is the file, not the writable map: keep the
                    // fresh files, so that the old map (every page it wrote) goes away now
                    // (2 M appends peak at 66 MiB RSS instead of 252 MiB). A sync of the file
                    // (`platform::open_to_sync`) writes its dirty pages whichever map wrote
                    // them (Windows: once the map flushed them, see `SealJob::writable`).
                    *last = fresh.clone();
                    fresh
                }
                _ => old.clone(),
            };
            segs.push(seg.clone());
            if !sync {
                self.prefaulter.seal_behind(&sealed, &old, &seg);
            }
            if w.plain {
                self.prefaulter.compact_behind(&sealed);
            }
        }
        // The writable map goes here (or with the last reader still using it), outside the
        // segments lock: where maps pin files, its drop cuts the files.
        drop(old);
        w.pos = STORE_HEADER_LEN;
        w.epoch = 0;
        w.populated = 0;
        w.plain = false;
        Ok(())
    }

    /// The files a sealed segment is read through after its roll. Readers get a fresh
    /// read-only mapping: the writable one keeps every page it wrote mapped (resident), a
    /// fresh one maps only what readers touch (10 M appends of 100 B otherwise peak at
    /// 1.2 GiB RSS, all of it file-backed). Where maps pin files (`map_rules`), positional
    /// reads and the entries in memory instead.
    fn sealed_files(&self, old: &Segment) -> Result<crate::segment::Files> {
        let paths = &old.paths;
        let ctx = |p: &std::path::Path| format!("reopening {}", p.display());
        if crate::map_rules::MAPS_PIN_FILES {
            let entries = old.active_files().index.entries(old.count());
            return Ok(crate::segment::Files {
                store: Store::open_pread(&paths.store).context(|| ctx(&paths.store))?,
                index: Index::in_memory(&paths.index, entries),
            });
        }
        Ok(crate::segment::Files {
            store: Store::open_sealed(&paths.store).context(|| ctx(&paths.store))?,
            index: Index::open_sealed(&paths.index).context(|| ctx(&paths.index))?,
        })
    }

    /// Fails, before anything is written, if `count` records from `next` would take the next
    /// offset past `max_offset`.
    #[inline]
    pub(super) fn check_room_for_offsets(&self, next: u64, count: u64) -> Result<()> {
        let max = self.options.max_offset;
        if next.checked_add(count).is_none_or(|end| end > max) {
            return Err(Error::InvalidArgument(format!(
                "the log is full: {count} more record(s) from offset {next} would take its next \
                 offset past {max}, the largest this handle can represent"
            )));
        }
        Ok(())
    }

    /// Rolls if `total` more bytes in `count` records do not fit the active segment.
    pub(super) fn make_room(&self, w: &mut Writer, total: u64, count: u64) -> Result<bool> {
        let full = |w: &Writer| {
            w.pos.saturating_add(total) > self.options.max_segment_bytes
                || w.next - w.active.base + count > w.active.active_files().index.capacity()
        };
        if !full(w) {
            return Ok(false);
        }
        if w.next > w.active.base {
            self.roll(w)?;
        }
        if full(w) {
            return Err(Error::InvalidArgument(format!(
                "{count} record(s) of {total} bytes in all do not fit in one segment (max_segment_bytes = {}, max_index_bytes = {})",
                self.options.max_segment_bytes, self.options.max_index_bytes
            )));
        }
        Ok(true)
    }
}
