//! A segment: one store and its index, covering offsets `base..next`.
//!
//! Only the writer (under the writer lock) changes the active segment, and it publishes each
//! append by storing `end` and then `next` with `Release` ordering; readers load `next` with
//! `Acquire` and only ever touch records below it, so they never see a half-written record.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

use crate::error::{Error, Result};
use crate::format::{self, FileHeader, FileKind, HOLE, RECORD_HEADER_LEN, STORE_HEADER_LEN};
use crate::index::Index;
use crate::record::RecordRef;
use crate::store::Store;

/// A segment's open files.
#[derive(Debug)]
pub(crate) struct Files {
    pub(crate) store: Store,
    pub(crate) index: Index,
}

/// How a sealed segment's files are opened again once the cache has closed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reopen {
    /// Mapped read-only, no descriptor kept (a writable log).
    Mapped,
    /// Read with `pread`, entries in memory (a read-only log, which must survive another
    /// process cutting the files under it).
    Pread,
}

/// The files of a sealed segment: open while the log's cache of open segments keeps them.
#[derive(Debug, Default)]
pub(crate) struct LazyFiles {
    files: RwLock<Option<Arc<Files>>>,
    /// Set by every use, cleared by the cache's clock hand: a second chance before closing.
    used: AtomicBool,
    /// The index was checked against the store (or rebuilt from it) since the open.
    checked: AtomicBool,
}

impl LazyFiles {
    /// Closes the files unless they were used since the last look; returns whether closed.
    pub(crate) fn close_unless_used(&self) -> bool {
        if self.used.swap(false, Ordering::AcqRel) {
            return false;
        }
        *self.files.write() = None;
        true
    }
}

/// The bound on open sealed segments of one log (`Options::max_open_segments`): a clock of
/// the segments opened, oldest first.
#[derive(Debug)]
pub(crate) struct OpenCache {
    max: usize,
    ring: Mutex<std::collections::VecDeque<Weak<LazyFiles>>>,
}

impl OpenCache {
    pub(crate) fn new(max: usize) -> OpenCache {
        OpenCache {
            max: max.max(1),
            ring: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// `files` were just opened: closes others while more than the bound are open (the
    /// least recently used first; each used since the last look gets a second chance).
    fn opened(&self, files: &Arc<LazyFiles>) {
        let mut ring = self.ring.lock();
        ring.push_back(Arc::downgrade(files));
        let mut looks = 2 * ring.len();
        while ring.len() > self.max && looks > 0 {
            looks -= 1;
            let Some(w) = ring.pop_front() else { break };
            let Some(lazy) = w.upgrade() else { continue };
            if Arc::ptr_eq(&lazy, files) || !lazy.close_unless_used() {
                ring.push_back(w);
            }
        }
        // Entries of segments that left the log.
        if ring.len() > 2 * self.max {
            ring.retain(|w| w.strong_count() > 0);
        }
    }

    /// How many sealed segments are open now (for tests).
    pub(crate) fn open_count(&self) -> usize {
        self.ring
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|l| l.files.read().is_some())
            .count()
    }
}

/// Where a segment's files are.
#[derive(Debug)]
pub(crate) struct Paths {
    pub(crate) store: PathBuf,
    pub(crate) index: PathBuf,
}

impl Paths {
    pub(crate) fn of(dir: &Path, base: u64) -> Paths {
        Paths {
            store: dir.join(format::file_name(base, FileKind::Store)),
            index: dir.join(format::file_name(base, FileKind::Index)),
        }
    }
}

/// The files of a segment for one use: the pinned ones, or an open sealed segment's.
pub(crate) enum FilesRef<'a> {
    Pinned(&'a Files),
    Open(Arc<Files>),
}

impl std::ops::Deref for FilesRef<'_> {
    type Target = Files;
    fn deref(&self) -> &Files {
        match self {
            FilesRef::Pinned(f) => f,
            FilesRef::Open(f) => f,
        }
    }
}

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
}

impl SegState {
    fn new(header: FileHeader, known: bool) -> Arc<SegState> {
        Arc::new(SegState {
            durable: AtomicU64::new(u64::from(header.durable_count)),
            header: Mutex::new(header),
            header_known: AtomicBool::new(known),
            removed: AtomicBool::new(false),
        })
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
            reopen: Reopen::Mapped,
            cache: Some(cache.clone()),
        };
        seg.lazy.checked.store(true, Ordering::Release);
        *seg.lazy.files.write() = Some(Arc::new(files));
        cache.opened(&seg.lazy);
        seg
    }

    /// The pinned files of the active segment (the writer's; never closed).
    #[inline]
    pub(crate) fn active_files(&self) -> &Files {
        self.pinned
            .as_ref()
            .expect("the active segment's files are pinned")
    }

    /// The segment's files, opening them if the cache closed them (or never opened them).
    #[inline]
    pub(crate) fn files(&self) -> Result<FilesRef<'_>> {
        if let Some(f) = &self.pinned {
            return Ok(FilesRef::Pinned(f));
        }
        if !self.lazy.used.load(Ordering::Relaxed) {
            self.lazy.used.store(true, Ordering::Relaxed);
        }
        if let Some(f) = &*self.lazy.files.read() {
            return Ok(FilesRef::Open(f.clone()));
        }
        self.open_lazy()
    }

    #[cold]
    fn open_lazy(&self) -> Result<FilesRef<'_>> {
        let mut slot = self.lazy.files.write();
        if let Some(f) = &*slot {
            return Ok(FilesRef::Open(f.clone()));
        }
        let files = Arc::new(crate::segment_open::open_sealed_files(self)?);
        *slot = Some(files.clone());
        drop(slot);
        if let Some(cache) = &self.cache {
            cache.opened(&self.lazy);
        }
        Ok(FilesRef::Open(files))
    }

    pub(crate) fn reopen_kind(&self) -> Reopen {
        self.reopen
    }

    /// Whether the index was checked against the store since the log was opened.
    pub(crate) fn index_checked(&self) -> bool {
        self.lazy.checked.load(Ordering::Acquire)
    }

    pub(crate) fn set_index_checked(&self) {
        self.lazy.checked.store(true, Ordering::Release);
    }

    /// Records the header read from the file (first open of a sealed segment).
    pub(crate) fn learn_header(&self, header: FileHeader) {
        if !self.state.header_known.swap(true, Ordering::AcqRel) {
            *self.state.header.lock() = header;
        }
    }

    /// Puts freshly opened files in place of a sealed segment's (a rebuilt index); returns
    /// false for a segment whose files are pinned.
    pub(crate) fn install_files(&self, files: Files) -> bool {
        if let Some(pinned) = &self.pinned {
            // A read-only log's newest segment: its entries are in memory.
            return pinned.index.replace_entries(files.index);
        }
        *self.lazy.files.write() = Some(Arc::new(files));
        self.lazy.checked.store(true, Ordering::Release);
        if let Some(cache) = &self.cache {
            cache.opened(&self.lazy);
        }
        true
    }

    /// Whether the files are pinned (the active segment, a read-only newest).
    pub(crate) fn pinned_files(&self) -> bool {
        self.pinned.is_some()
    }

    /// Lowers a sealed segment's end to what its store really holds (found when its files
    /// were opened): the offsets past it become a gap before the next segment.
    pub(crate) fn shrink_to(&self, next: u64, end: u64) {
        if next < self.next() {
            self.publish(next, end.min(self.end()));
        }
    }

    /// Whether the files are open now.
    pub(crate) fn is_open(&self) -> bool {
        self.pinned.is_some() || self.lazy.files.read().is_some()
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
        self.write_header(&new)?;
        *h = new;
        Ok(())
    }

    /// Writes the store header: through the pinned store, or the file opened for the moment.
    fn write_header(&self, h: &FileHeader) -> std::io::Result<()> {
        match &self.pinned {
            Some(f) => f.store.write_header(h),
            None => {
                crate::fault::check(crate::fault::Op::Write, &self.paths.store)?;
                let bytes = format::encode_file_header(FileKind::Store, h);
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&self.paths.store)?;
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
    pub(crate) fn record_cut(&self, kept: u64) -> std::io::Result<u8> {
        let mut h = self.state.header.lock();
        let mut new = *h;
        new.epoch = (h.epoch + 1) % format::EPOCHS;
        new.durable_count = kept.min(u64::from(u32::MAX)) as u32;
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

    /// The error for an offset whose record cannot be given: a hole.
    pub(crate) fn hole(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::Hole {
            offset,
            segment: self.base,
            reason: reason.into(),
        }
    }

    fn corrupt(&self, file: &'static str, position: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            segment: self.base,
            file,
            position,
            reason: reason.into(),
        }
    }

    /// Store position of a published record, checked against the published end; a hole is
    /// [`Error::Hole`].
    fn position(&self, f: &Files, offset: u64, end: u64) -> Result<u64> {
        let slot = offset - self.base;
        let entry = f.index.get(slot).unwrap_or(0);
        if entry == HOLE {
            return Err(self.hole(offset, "its record was damaged (see the quarantine)"));
        }
        let pos = u64::from(entry);
        if pos < STORE_HEADER_LEN || pos + RECORD_HEADER_LEN > end {
            let at = format::INDEX_HEADER_LEN + slot * format::INDEX_ENTRY_LEN;
            return Err(self.corrupt(
                "index",
                at,
                format!("entry for offset {offset} points to {pos}, outside the store's records"),
            ));
        }
        Ok(pos)
    }

    /// Checks that a record's header fits what the index promised: a record that is not there
    /// whole is a hole. (Its offset is checked with its checksum, in `checked`: an intact
    /// record of another offset means the index entry is wrong, a damaged one is a hole.)
    fn check_header(
        &self,
        offset: u64,
        pos: u64,
        end: u64,
        header: &[u8],
    ) -> Result<format::RecordHeader> {
        let Some(h) = format::decode_record_header(header) else {
            return Err(self.hole(offset, format!("its record at byte {pos} is all zeros")));
        };
        if pos + h.total_len() > end {
            return Err(self.hole(
                offset,
                format!(
                    "its record at byte {pos} claims {} bytes, past the end of the data",
                    h.len
                ),
            ));
        }
        Ok(h)
    }

    /// Calls `f` with the published record at `offset` (`base <= offset < next()` when the
    /// caller found it; a record that opening the files showed missing is a hole).
    pub(crate) fn read_with<R>(
        &self,
        offset: u64,
        f: impl FnOnce(RecordRef<'_>) -> R,
    ) -> Result<R> {
        // Opening a sealed segment's files may lower its end to what its store really holds
        // (`shrink_to`): the bounds are read after.
        let files = self.files()?;
        if offset < self.base || offset >= self.next() {
            return Err(self.hole(offset, "its segment's store ends before its record"));
        }
        let end = self.end();
        let pos = self.position(&files, offset, end)?;
        let store = &files.store;
        if store.is_mapped() {
            // SAFETY: pos + header <= end (checked by `position`), published bytes below `end`
            // are immutable while the caller holds the segments read lock, and `files` keeps
            // the map alive.
            let header = unsafe { store.slice(pos, RECORD_HEADER_LEN) };
            let h = self.check_header(offset, pos, end, header)?;
            // SAFETY: pos + total <= end (checked by `check_header`); as above.
            let bytes = unsafe { store.slice(pos, h.total_len()) };
            Ok(f(self.checked(offset, pos, h.timestamp, bytes)?))
        } else {
            let mut header = [0u8; RECORD_HEADER_LEN as usize];
            let read = |buf: &mut [u8]| {
                let got = store
                    .with_file(false, |file| crate::platform::read_at_most(file, buf, pos))
                    .map_err(|e| Error::io(format!("reading {}", store.path().display()), e))?;
                // A file shorter than what the index promised: the record is not there (yet).
                if got < buf.len() {
                    return Err(self.hole(
                        offset,
                        format!("the file ends inside its record at byte {pos}"),
                    ));
                }
                Ok(())
            };
            read(&mut header)?;
            let h = self.check_header(offset, pos, end, &header)?;
            let mut bytes = vec![0u8; h.total_len() as usize];
            read(&mut bytes)?;
            Ok(f(self.checked(offset, pos, h.timestamp, &bytes)?))
        }
    }

    /// Starts loading the index entry of the published record at `offset` (a hint).
    #[inline]
    pub(crate) fn prefetch_entry(&self, offset: u64) {
        if let Some(f) = &self.pinned {
            f.index.prefetch(offset - self.base);
        }
    }

    /// Starts loading the header of the published record at `offset`, once its index entry
    /// is at hand (a hint: a damaged entry is found and reported by the read itself).
    #[inline]
    pub(crate) fn prefetch_record(&self, offset: u64) {
        if let Some(f) = &self.pinned
            && let Some(pos) = f.index.get(offset - self.base)
        {
            f.store.prefetch(u64::from(pos));
        }
    }

    /// The record in `bytes` (its header and value, read from store position `pos`) once its
    /// checksum holds.
    fn checked<'a>(
        &self,
        offset: u64,
        pos: u64,
        timestamp: u64,
        bytes: &'a [u8],
    ) -> Result<RecordRef<'a>> {
        if !format::record_crc_ok(bytes) {
            return Err(self.hole(
                offset,
                format!("checksum mismatch in its record at byte {pos}"),
            ));
        }
        // An intact record of another offset: the index entry that sent us here is wrong.
        let held = format::record_offset(bytes);
        if held != offset {
            let slot = offset - self.base;
            return Err(self.corrupt(
                "index",
                format::INDEX_HEADER_LEN + slot * format::INDEX_ENTRY_LEN,
                format!(
                    "entry for offset {offset} points to byte {pos}, which holds record {held}"
                ),
            ));
        }
        Ok(RecordRef {
            offset,
            timestamp,
            value: &bytes[RECORD_HEADER_LEN as usize..],
        })
    }

    /// Copies the store bytes from the published record `from` on, up to the published end
    /// and at most `max_bytes`, into `out` (replacing its contents): one copy under the
    /// caller's segments lock; the caller parses and checks the records outside it. Returns
    /// (store position of `out[0]`, the segment's next offset when copied, whether the copy
    /// reaches the published end).
    pub(crate) fn copy_run(
        &self,
        from: u64,
        max_bytes: u64,
        out: &mut Vec<u8>,
    ) -> Result<(u64, u64, bool)> {
        // As in `read_with`: the bounds are read after the files are open.
        let files = self.files()?;
        let next = self.next();
        if from < self.base || from >= next {
            return Err(self.hole(from, "its segment's store ends before its record"));
        }
        let end = self.end();
        let start = self.position(&files, from, end)?;
        let stop = end.min(start.saturating_add(max_bytes));
        out.clear();
        let store = &files.store;
        if store.is_mapped() {
            // SAFETY: start + header <= end (checked by `position`), stop <= end; published
            // bytes do not change while the caller holds the segments read lock, and `files`
            // keeps the map alive.
            out.extend_from_slice(unsafe { store.slice(start, stop - start) });
        } else {
            out.resize((stop - start) as usize, 0);
            let got = store
                .with_file(false, |f| crate::platform::read_at_most(f, out, start))
                .map_err(|e| Error::io(format!("reading {}", store.path().display()), e))?;
            // A file cut shorter than this reader's view of it (another process's writer
            // trimmed or cut it): the view is stale, and the caller takes a fresh one.
            if got as u64 != stop - start {
                out.clear();
                return Err(Error::io(
                    format!("reading {}", store.path().display()),
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the file is shorter than the records known in it",
                    ),
                ));
            }
        }
        Ok((start, next, stop == end))
    }

    /// Timestamp of the record at `offset` (checked like a read).
    pub(crate) fn timestamp(&self, offset: u64) -> Result<u64> {
        self.read_with(offset, |r| r.timestamp)
    }

    /// Writes `total` bytes at the writer's position through `fill`.
    ///
    /// # Safety
    /// Writer only, under the writer lock, with `pos + total` within the mapped store and at
    /// or past the published end (no reader looks there).
    pub(crate) unsafe fn write_at(&self, pos: u64, total: u64, fill: impl FnOnce(&mut [u8])) {
        // SAFETY: the caller's contract is slice_mut's contract.
        let dst = unsafe { self.active_files().store.slice_mut(pos, total) };
        fill(dst)
    }

    /// Store position where a cut to `offset` starts: the record at `offset`, or, if that
    /// offset is a hole, the end of the last intact record before it (a hole's damaged bytes
    /// lie between the records around it).
    pub(crate) fn cut_position(&self, offset: u64) -> Result<u64> {
        let end = self.end();
        if offset >= self.next() {
            return Ok(end);
        }
        let files = self.files()?;
        if files.index.get(offset - self.base) != Some(HOLE) {
            return self.position(&files, offset, end);
        }
        for o in (self.base..offset).rev() {
            if files.index.get(o - self.base) == Some(HOLE) {
                continue;
            }
            let pos = self.position(&files, o, end)?;
            let mut head = [0u8; RECORD_HEADER_LEN as usize];
            files
                .store
                .read_exact_at(&mut head, pos)
                .map_err(|e| Error::io(format!("reading {}", files.store.path().display()), e))?;
            let h = self.check_header(o, pos, end, &head)?;
            return Ok(pos + h.total_len());
        }
        Ok(STORE_HEADER_LEN)
    }

    /// Ends the segment's published records at `offset` (store position `pos`, from
    /// [`Segment::cut_position`]): readers that look from now on do not see the records past
    /// it. The caller holds the segments write lock (so no reader is inside them now).
    pub(crate) fn unpublish_from(&self, offset: u64, pos: u64) {
        self.publish(offset, pos);
    }

    /// Zeroes the store bytes `pos..old_end` and the index slots `offset..old_next` of records
    /// that [`Segment::unpublish_from`] took away.
    ///
    /// # Safety
    /// The caller holds the writer lock, the segment is mapped read-write, and the records
    /// were unpublished under the segments write lock: no reader can hold a reference into
    /// those bytes, and none can reach them again.
    pub(crate) unsafe fn zero_unpublished(
        &self,
        offset: u64,
        pos: u64,
        old_next: u64,
        old_end: u64,
    ) {
        let f = self.active_files();
        // SAFETY: [pos, old_end) lies in the mapped store; no reader can see it (contract).
        unsafe { f.store.slice_mut(pos, old_end - pos) }.fill(0);
        f.index.clear(offset - self.base, old_next - self.base);
    }
}
