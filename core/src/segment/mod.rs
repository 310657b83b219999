//! A segment: one store and its index, covering offsets `base..next`.
//!
//! Only the writer (under the writer lock) changes the active segment, and it publishes each
//! append by storing `end` and then `next` with `Release` ordering; readers load `next` with
//! `Acquire` and only ever touch records below it, so they never see a half-written record.

mod files;
mod open;
mod read;
mod write;

pub(crate) use files::{Files, LazyFiles, OpenCache, Paths, Reopen};
pub(crate) use open::write_index_aside;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::format::{self, FileHeader, FileKind, STORE_HEADER_LEN};
use crate::index::Index;
use crate::store::Store;

/// One segment of a log.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) base: u64,
    pub(crate) paths: Paths,
    /// One past the last published record.
    next: AtomicU64,
    /// Store position just past the last published record.
    end: AtomicU64,
    /// The header and the durable count, shared by every `Segment` value on the same files
    /// (a sealed segment's fresh mapping after a roll, the writable one `truncate_back`
    /// reopens), so that a late writer of one cannot undo what another recorded.
    state: Arc<SegState>,
    /// The active segment's files (and a read-only log's newest): open for its life.
    pinned: Option<Files>,
    /// A sealed segment's files: opened on demand, closed by the cache.
    lazy: Arc<LazyFiles>,
    reopen: Reopen,
    cache: Option<Arc<OpenCache>>,
}

/// See [`Segment::state`].
#[derive(Debug)]
struct SegState {
    /// The store header as on disk (or about to be). Every rewrite of the header, and every
    /// change of the epoch, goes through this lock.
    header: Mutex<FileHeader>,
    /// The header was read from the file (a sealed segment not yet opened has a stand-in).
    header_known: AtomicBool,
    /// How many records from `base` are known durable (synced): what appends claim.
    durable: AtomicU64,
    /// The log is removing (or removed) the segment's files: retention, truncation. A sync
    /// that then finds them gone has nothing left to make durable.
    removed: AtomicBool,
    /// Where maps pin files (`map_rules`): the store length and index entries to cut the files
    /// to once the writable map is gone (set by a seal or close, cleared when the segment is
    /// opened for writing again). Held across the cut.
    trim_to: Mutex<Option<(u64, u64)>>,
    /// The header's codec (it never changes once the segment is created): read per record
    /// without the header lock.
    codec: AtomicU8,
}

impl SegState {
    fn new(header: FileHeader, known: bool) -> Arc<SegState> {
        Arc::new(SegState {
            codec: AtomicU8::new(header.codec),
            durable: AtomicU64::new(u64::from(header.durable_count)),
            header: Mutex::new(header),
            header_known: AtomicBool::new(known),
            removed: AtomicBool::new(false),
            trim_to: Mutex::new(None),
        })
    }
}

impl Drop for Segment {
    /// Where maps pin files (`map_rules`), what had to wait for this value's maps: the cut of
    /// a sealed segment's preallocated tail, the removal of a removed segment's files.
    fn drop(&mut self) {
        if !crate::map_rules::MAPS_PIN_FILES || self.pinned.is_none() {
            return;
        }
        drop(self.pinned.take());
        if self.is_removed() {
            if let (Some(dir), Some(stem)) =
                (self.paths.store.parent(), self.paths.store.file_stem())
            {
                crate::map_rules::sweep_removed(dir, &format!("{}.", stem.to_string_lossy()));
            }
            return;
        }
        let mut trim_to = self.state.trim_to.lock();
        if let Some((store_len, count)) = *trim_to {
            // Best effort, and so not a fault-injection point (no caller could see it fail):
            // refused while another value maps the files (it cuts them when it goes); left
            // undone, the files keep a zero tail, which recovery takes for one.
            let cut = |path: &Path, len: u64| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|f| crate::map_rules::set_len(&f, len))
            };
            let index_len = format::INDEX_HEADER_LEN + count * format::INDEX_ENTRY_LEN;
            if cut(&self.paths.store, store_len).is_ok()
                && cut(&self.paths.index, index_len).is_ok()
            {
                // Under the same guard: a seal or reopen since may not be undone.
                *trim_to = None;
            }
        }
    }
}

impl Segment {
    /// A segment whose files are open for its life (the active one, a read-only newest).
    pub(crate) fn new(
        header: FileHeader,
        store: Store,
        index: Index,
        next: u64,
        end: u64,
    ) -> Segment {
        let paths = Paths {
            store: store.path().to_owned(),
            index: index.path().to_owned(),
        };
        let reopen = if store.is_mapped() {
            Reopen::Mapped
        } else {
            Reopen::Pread
        };
        Segment {
            base: header.base,
            paths,
            next: AtomicU64::new(next),
            end: AtomicU64::new(end),
            state: SegState::new(header, true),
            pinned: Some(Files { store, index }),
            lazy: Arc::default(),
            reopen,
            cache: None,
        }
    }

    /// A sealed segment with `files` open now (checked), closed and opened again as the
    /// cache says.
    pub(crate) fn sealed(
        header: FileHeader,
        files: Files,
        next: u64,
        end: u64,
        reopen: Reopen,
        cache: &Arc<OpenCache>,
    ) -> Segment {
        let seg = Segment::closed(
            header.base,
            Paths {
                store: files.store.path().to_owned(),
                index: files.index.path().to_owned(),
            },
            next,
            end,
            reopen,
            cache,
        );
        *seg.state.header.lock() = header;
        seg.state.codec.store(header.codec, Ordering::Release);
        seg.state
            .durable
            .store(u64::from(header.durable_count), Ordering::Release);
        seg.state.header_known.store(true, Ordering::Release);
        seg.lazy.checked.store(true, Ordering::Release);
        *seg.lazy.files.write() = Some(Arc::new(files));
        cache.opened(&seg.lazy);
        seg
    }

    /// A sealed segment known only by its place in the log (`base..next`, `end` bytes): its
    /// files are opened (and its index checked against its store) at first use.
    pub(crate) fn closed(
        base: u64,
        paths: Paths,
        next: u64,
        end: u64,
        reopen: Reopen,
        cache: &Arc<OpenCache>,
    ) -> Segment {
        let mut stand_in = FileHeader::new(base, 0);
        stand_in.durable_count = (next - base).min(u64::from(u32::MAX)) as u32;
        Segment {
            base,
            paths,
            next: AtomicU64::new(next),
            end: AtomicU64::new(end),
            state: SegState::new(stand_in, false),
            pinned: None,
            lazy: Arc::default(),
            reopen,
            cache: Some(cache.clone()),
        }
    }

    /// Another `Segment` value on the same files with these open files pinned (the active
    /// segment again, after `truncate_back` into a sealed one), sharing the header and durable
    /// count with `self`.
    pub(crate) fn reopened(&self, store: Store, index: Index) -> Segment {
        self.cancel_trim();
        Segment {
            base: self.base,
            paths: Paths {
                store: store.path().to_owned(),
                index: index.path().to_owned(),
            },
            next: AtomicU64::new(self.next()),
            end: AtomicU64::new(self.end()),
            state: self.state.clone(),
            pinned: Some(Files { store, index }),
            lazy: Arc::default(),
            reopen: self.reopen,
            cache: None,
        }
    }

    /// The sealed value of a segment that was active (after a roll): fresh read-only files in
    /// the cache, sharing the header and durable count.
    pub(crate) fn sealed_from(&self, files: Files, cache: &Arc<OpenCache>) -> Segment {
        let reopen = if files.store.is_mapped() {
            Reopen::Mapped
        } else {
            Reopen::Pread
        };
        let seg = Segment {
            base: self.base,
            paths: Paths {
                store: self.paths.store.clone(),
                index: self.paths.index.clone(),
            },
            next: AtomicU64::new(self.next()),
            end: AtomicU64::new(self.end()),
            state: self.state.clone(),
            pinned: None,
            lazy: Arc::default(),
            reopen,
            cache: Some(cache.clone()),
        };
        seg.lazy.checked.store(true, Ordering::Release);
        *seg.lazy.files.write() = Some(Arc::new(files));
        cache.opened(&seg.lazy);
        seg
    }

    /// The store header as last written.
    pub(crate) fn header(&self) -> FileHeader {
        *self.state.header.lock()
    }

    /// Rewrites the store header with `change` applied (not synced: the caller syncs when the
    /// change must be durable).
    pub(crate) fn update_header(
        &self,
        change: impl FnOnce(&mut FileHeader),
    ) -> std::io::Result<()> {
        let mut h = self.state.header.lock();
        let mut new = *h;
        change(&mut new);
        new.version = format::FORMAT_VERSION;
        if new == *h {
            return Ok(());
        }
        self.write_header(&new)?;
        *h = new;
        Ok(())
    }

    /// Writes the store header: through the pinned store, or the file opened by its name for
    /// the moment. By name, only while the log has not begun to remove the segment: a value
    /// kept past the removal (the compaction thread's) would otherwise write into the file of
    /// a new segment of the same base. The file is opened before the check: a removal that
    /// starts after it leaves the descriptor on the old file. Nor is a stand-in header (of a
    /// segment not opened yet) ever written.
    fn write_header(&self, h: &FileHeader) -> std::io::Result<()> {
        match &self.pinned {
            Some(f) => f.store.write_header(h),
            None => {
                crate::fault::check(crate::fault::Op::Write, &self.paths.store)?;
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&self.paths.store)?;
                if self.is_removed() || !self.state.header_known.load(Ordering::Acquire) {
                    return Err(std::io::Error::other(format!(
                        "{}: the segment is removed, or its header not read yet",
                        self.paths.store.display()
                    )));
                }
                let bytes = format::encode_file_header(FileKind::Store, h);
                crate::platform::FileExt::write_all_at(&file, &bytes, 0)
            }
        }
    }

    /// Syncs the store file (data and length): through the pinned store, or the file opened
    /// for the moment (a sealed segment's map needs no descriptor of its own).
    pub(crate) fn sync_store(&self) -> std::io::Result<()> {
        match &self.pinned {
            Some(f) => f.store.sync_all(),
            None => {
                crate::fault::check(crate::fault::Op::SyncAll, &self.paths.store)?;
                crate::platform::open_to_sync(&self.paths.store)?.sync_all()
            }
        }
    }

    /// Hands what was written through the pinned writable map to the file (see
    /// `Store::flush_view`; nothing to do for other values).
    pub(crate) fn flush_view(&self) -> std::io::Result<()> {
        match &self.pinned {
            Some(f) => f.store.flush_view(),
            None => Ok(()),
        }
    }

    /// Whether the segment's header names a codec: batches appended to it are frames.
    #[inline]
    pub(crate) fn framed(&self) -> bool {
        self.state.codec.load(Ordering::Acquire) != format::CODEC_NONE
    }

    /// Reads the sealed segment through `files` of a store rewritten by compression at seal
    /// time (header `header`, data up to `end`): every record durable. The caller holds the
    /// segments write lock.
    pub(crate) fn install_rewritten(&self, header: FileHeader, files: Files, end: u64) {
        *self.state.header.lock() = header;
        self.state.codec.store(header.codec, Ordering::Release);
        self.state.header_known.store(true, Ordering::Release);
        self.state.durable.fetch_max(self.count(), Ordering::AcqRel);
        self.publish(self.next(), end);
        self.install_files(files);
    }

    /// Sets the codec of a segment that holds no record yet (its header is rewritten, not
    /// synced: a crash that loses it leaves an empty segment without a codec, which is fine).
    pub(crate) fn set_codec(&self, codec: u8, level: u8) -> std::io::Result<()> {
        self.update_header(|h| {
            h.codec = codec;
            h.level = level;
        })?;
        self.state.codec.store(codec, Ordering::Release);
        Ok(())
    }

    /// The segment's epoch (see `FileHeader::epoch`).
    pub(crate) fn epoch(&self) -> u8 {
        self.state.header.lock().epoch
    }

    /// How many records from `base` are known durable.
    #[inline]
    pub(crate) fn durable(&self) -> u64 {
        self.state.durable.load(Ordering::Acquire)
    }

    /// Records that the first `count` records are durable. Only for a caller that holds the
    /// writer lock (no cut can race it); others use [`Segment::mark_durable_in`].
    pub(crate) fn mark_durable(&self, count: u64) {
        self.state.durable.fetch_max(count, Ordering::AcqRel);
    }

    /// Records that the first `count` records are durable, as found by a sync that began in
    /// `epoch`. Nothing happens if a cut changed the epoch since: the count may then cover
    /// records that are gone.
    pub(crate) fn mark_durable_in(&self, epoch: u8, count: u64) {
        let h = self.state.header.lock();
        if h.epoch == epoch {
            self.state.durable.fetch_max(count, Ordering::AcqRel);
        }
    }

    /// Writes `count` as the header's durable count, unless a cut changed the epoch since
    /// `epoch` or the header already says as much (not synced: the caller's next sync of the
    /// file takes it along).
    pub(crate) fn claim_in_header(&self, epoch: u8, count: u64) -> std::io::Result<()> {
        let mut h = self.state.header.lock();
        let count = count.min(u64::from(u32::MAX)) as u32;
        if h.epoch != epoch || h.durable_count >= count {
            return Ok(());
        }
        let mut new = *h;
        new.durable_count = count;
        new.version = format::FORMAT_VERSION;
        self.write_header(&new)?;
        *h = new;
        Ok(())
    }

    /// Records a cut to `kept` records: a new epoch, and the header's durable count lowered to
    /// `kept` (written, not synced: the caller syncs it before it changes anything else).
    /// `in_frame`: the cut falls inside a frame (`FLAG_CUT_IN_FRAME`: nothing is appended to
    /// the segment after it).
    pub(crate) fn record_cut(&self, kept: u64, in_frame: bool) -> std::io::Result<u8> {
        let mut h = self.state.header.lock();
        let mut new = *h;
        new.epoch = (h.epoch + 1) % format::EPOCHS;
        new.durable_count = kept.min(u64::from(u32::MAX)) as u32;
        // Records appended after the cut are plain again: compression at seal time redoes it.
        new.flags &= !(format::FLAG_CUT_IN_FRAME | format::FLAG_COMPACTED);
        if in_frame {
            new.flags |= format::FLAG_CUT_IN_FRAME;
        }
        new.version = format::FORMAT_VERSION;
        self.write_header(&new)?;
        *h = new;
        self.state.durable.store(kept, Ordering::Release);
        Ok(new.epoch)
    }

    /// Creates the files of a new, empty, writable segment in `dir`.
    pub(crate) fn create(
        dir: &Path,
        header: FileHeader,
        store_cap: u64,
        index_cap: u64,
    ) -> Result<Segment> {
        let base = header.base;
        let store_path = dir.join(format::file_name(base, FileKind::Store));
        let index_path = dir.join(format::file_name(base, FileKind::Index));
        // The header reaches the disk before the caller syncs the directory entry: a segment
        // whose name survives a power cut always has its header (and its flags) too.
        let store = Store::create(&store_path, &header, store_cap)
            .and_then(|store| match store.sync_all() {
                Ok(()) => Ok(store),
                Err(e) => {
                    drop(store);
                    let _ = std::fs::remove_file(&store_path);
                    Err(e)
                }
            })
            .map_err(|e| Error::io(format!("creating segment file {}", store_path.display()), e))?;
        let index = Index::create(&index_path, base, &[], index_cap).map_err(|e| {
            let _ = std::fs::remove_file(&store_path);
            Error::io(format!("creating index file {}", index_path.display()), e)
        })?;
        Ok(Segment::new(header, store, index, base, STORE_HEADER_LEN))
    }

    #[inline]
    pub(crate) fn next(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }

    #[inline]
    pub(crate) fn end(&self) -> u64 {
        self.end.load(Ordering::Acquire)
    }

    /// Cuts the files to `store_len` bytes and `count` index entries: now, or where maps pin
    /// files (`map_rules`) when this value's writable maps are gone (its drop), unless the
    /// segment is opened for writing again meanwhile. `sync` makes the cut durable (now only:
    /// a later one is not, and needs not be, since recovery takes a zero tail for one).
    pub(crate) fn trim_files(&self, store_len: u64, count: u64, sync: bool) -> std::io::Result<()> {
        if crate::map_rules::MAPS_PIN_FILES {
            // Only the writable (pinned) value is ever cut: its drop makes the cut.
            *self.state.trim_to.lock() = Some((store_len, count));
            return Ok(());
        }
        let files = self.active_files();
        files.store.trim(store_len)?;
        files.index.trim(count, sync)?;
        if sync {
            files.store.sync_all()?;
        }
        Ok(())
    }

    /// The segment is opened for writing again: a cut waiting for an older map must not run.
    pub(crate) fn cancel_trim(&self) {
        *self.state.trim_to.lock() = None;
    }

    /// Says that the log is about to remove the segment's files (before it does).
    pub(crate) fn mark_removed(&self) {
        self.state.removed.store(true, Ordering::Release);
    }

    /// Whether the log removes or removed the segment's files.
    pub(crate) fn is_removed(&self) -> bool {
        self.state.removed.load(Ordering::Acquire)
    }

    pub(crate) fn count(&self) -> u64 {
        self.next() - self.base
    }

    /// Makes records up to `next` (ending at store position `end`) visible to readers.
    #[inline]
    pub(crate) fn publish(&self, next: u64, end: u64) {
        self.end.store(end, Ordering::Release);
        self.next.store(next, Ordering::Release);
    }
}
