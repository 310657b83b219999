//! A segment: one store and its index, covering offsets `base..next`.
//!
//! Only the writer (under the writer lock) changes the active segment, and it publishes each
//! append by storing `end` and then `next` with `Release` ordering; readers load `next` with
//! `Acquire` and only ever touch records below it, so they never see a half-written record.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::format::{self, FileHeader, FileKind, HOLE, RECORD_HEADER_LEN, STORE_HEADER_LEN};
use crate::index::Index;
use crate::record::RecordRef;
use crate::store::Store;

/// One segment of a log.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) base: u64,
    pub(crate) store: Store,
    pub(crate) index: Index,
    /// One past the last published record.
    next: AtomicU64,
    /// Store position just past the last published record.
    end: AtomicU64,
    /// The header and the durable count, shared by every `Segment` value on the same files
    /// (a sealed segment's fresh mapping after a roll, the writable one `truncate_back`
    /// reopens), so that a late writer of one cannot undo what another recorded.
    state: Arc<SegState>,
}

/// See [`Segment::state`].
#[derive(Debug)]
struct SegState {
    /// The store header as on disk (or about to be). Every rewrite of the header, and every
    /// change of the epoch, goes through this lock.
    header: Mutex<FileHeader>,
    /// How many records from `base` are known durable (synced): what appends claim.
    durable: AtomicU64,
}

impl Segment {
    pub(crate) fn new(
        header: FileHeader,
        store: Store,
        index: Index,
        next: u64,
        end: u64,
    ) -> Segment {
        Segment {
            base: header.base,
            store,
            index,
            next: AtomicU64::new(next),
            end: AtomicU64::new(end),
            state: Arc::new(SegState {
                durable: AtomicU64::new(u64::from(header.durable_count)),
                header: Mutex::new(header),
            }),
        }
    }

    /// Another `Segment` value on the same files (new store and index handles), sharing the
    /// header and durable count with `self`.
    pub(crate) fn reopened(&self, store: Store, index: Index) -> Segment {
        Segment {
            base: self.base,
            store,
            index,
            next: AtomicU64::new(self.next()),
            end: AtomicU64::new(self.end()),
            state: self.state.clone(),
        }
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
        self.store.write_header(&new)?;
        *h = new;
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
        self.store.write_header(&new)?;
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
        self.store.write_header(&new)?;
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
    fn position(&self, offset: u64, end: u64) -> Result<u64> {
        let slot = offset - self.base;
        let entry = self.index.get(slot).unwrap_or(0);
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

    /// Checks a record's header against what the index promised. A record that is not there
    /// whole is a hole; one holding another offset means the index entry is wrong.
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
        if h.offset != offset {
            let slot = offset - self.base;
            return Err(self.corrupt(
                "index",
                format::INDEX_HEADER_LEN + slot * format::INDEX_ENTRY_LEN,
                format!(
                    "entry for offset {offset} points to byte {pos}, which holds record {}",
                    h.offset
                ),
            ));
        }
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

    /// Calls `f` with the published record at `offset` (`base <= offset < next()`).
    pub(crate) fn read_with<R>(
        &self,
        offset: u64,
        f: impl FnOnce(RecordRef<'_>) -> R,
    ) -> Result<R> {
        let next = self.next();
        debug_assert!(offset >= self.base && offset < next);
        let end = self.end();
        let pos = self.position(offset, end)?;
        if self.store.is_mapped() {
            // SAFETY: pos + header <= end (checked by `position`), published bytes below `end`
            // are immutable while the caller holds the segments read lock.
            let header = unsafe { self.store.slice(pos, RECORD_HEADER_LEN) };
            let h = self.check_header(offset, pos, end, header)?;
            // SAFETY: pos + total <= end (checked by `check_header`); same lock as above.
            let bytes = unsafe { self.store.slice(pos, h.total_len()) };
            Ok(f(self.checked(offset, pos, h.timestamp, bytes)?))
        } else {
            let mut header = [0u8; RECORD_HEADER_LEN as usize];
            self.store
                .read_exact_at(&mut header, pos)
                .map_err(|e| Error::io(format!("reading {}", self.store.path().display()), e))?;
            let h = self.check_header(offset, pos, end, &header)?;
            let mut bytes = vec![0u8; h.total_len() as usize];
            self.store
                .read_exact_at(&mut bytes, pos)
                .map_err(|e| Error::io(format!("reading {}", self.store.path().display()), e))?;
            Ok(f(self.checked(offset, pos, h.timestamp, &bytes)?))
        }
    }

    /// Starts loading the index entry of the published record at `offset` (a hint).
    #[inline]
    pub(crate) fn prefetch_entry(&self, offset: u64) {
        self.index.prefetch(offset - self.base);
    }

    /// Starts loading the header of the published record at `offset`, once its index entry
    /// is at hand (a hint: a damaged entry is found and reported by the read itself).
    #[inline]
    pub(crate) fn prefetch_record(&self, offset: u64) {
        if let Some(pos) = self.index.get(offset - self.base) {
            self.store.prefetch(u64::from(pos));
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
        let next = self.next();
        debug_assert!(from >= self.base && from < next);
        let end = self.end();
        let start = self.position(from, end)?;
        let stop = end.min(start.saturating_add(max_bytes));
        out.clear();
        if self.store.is_mapped() {
            // SAFETY: start + header <= end (checked by `position`), stop <= end; published
            // bytes do not change while the caller holds the segments read lock.
            out.extend_from_slice(unsafe { self.store.slice(start, stop - start) });
        } else {
            out.resize((stop - start) as usize, 0);
            self.store
                .read_exact_at(out, start)
                .map_err(|e| Error::io(format!("reading {}", self.store.path().display()), e))?;
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
        let dst = unsafe { self.store.slice_mut(pos, total) };
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
        if self.index.get(offset - self.base) != Some(HOLE) {
            return self.position(offset, end);
        }
        for o in (self.base..offset).rev() {
            if self.index.get(o - self.base) == Some(HOLE) {
                continue;
            }
            let pos = self.position(o, end)?;
            let mut head = [0u8; RECORD_HEADER_LEN as usize];
            self.store
                .read_exact_at(&mut head, pos)
                .map_err(|e| Error::io(format!("reading {}", self.store.path().display()), e))?;
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
        // SAFETY: [pos, old_end) lies in the mapped store; no reader can see it (contract).
        unsafe { self.store.slice_mut(pos, old_end - pos) }.fill(0);
        self.index.clear(offset - self.base, old_next - self.base);
    }
}
