//! A segment: one store and its index, covering offsets `base..next`.
//!
//! Only the writer (under the writer lock) changes the active segment, and it publishes each
//! append by storing `end` and then `next` with `Release` ordering; readers load `next` with
//! `Acquire` and only ever touch records below it, so they never see a half-written record.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::format::{self, FileKind, RECORD_HEADER_LEN, STORE_HEADER_LEN};
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
}

impl Segment {
    pub(crate) fn new(base: u64, store: Store, index: Index, next: u64, end: u64) -> Segment {
        Segment {
            base,
            store,
            index,
            next: AtomicU64::new(next),
            end: AtomicU64::new(end),
        }
    }

    /// Creates the files of a new, empty, writable segment in `dir`.
    pub(crate) fn create(
        dir: &Path,
        base: u64,
        flags: u32,
        store_cap: u64,
        index_cap: u64,
    ) -> Result<Segment> {
        let store_path = dir.join(format::file_name(base, FileKind::Store));
        let index_path = dir.join(format::file_name(base, FileKind::Index));
        // The header reaches the disk before the caller syncs the directory entry: a segment
        // whose name survives a power cut always has its header (and its flags) too.
        let store = Store::create(&store_path, base, flags, store_cap)
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
        Ok(Segment::new(base, store, index, base, STORE_HEADER_LEN))
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

    fn corrupt(&self, file: &'static str, position: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            segment: self.base,
            file,
            position,
            reason: reason.into(),
        }
    }

    /// Store position of a published record, checked against the published end.
    fn position(&self, offset: u64, end: u64) -> Result<u64> {
        let slot = offset - self.base;
        let pos = u64::from(self.index.get(slot).unwrap_or(0));
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

    /// Checks a record's header against what the index promised; returns its total length.
    fn check_header(
        &self,
        offset: u64,
        pos: u64,
        end: u64,
        header: &[u8],
    ) -> Result<format::RecordHeader> {
        let Some(h) = format::decode_record_header(header) else {
            return Err(self.corrupt("store", pos, format!("record {offset} is all zeros")));
        };
        if h.offset != offset {
            return Err(self.corrupt(
                "store",
                pos,
                format!(
                    "record holds offset {} where {offset} was expected",
                    h.offset
                ),
            ));
        }
        if pos + h.total_len() > end {
            return Err(self.corrupt(
                "store",
                pos,
                format!(
                    "record {offset} claims {} bytes, past the end of the data",
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
            return Err(self.corrupt(
                "store",
                pos,
                format!("checksum mismatch in record {offset}"),
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

    /// Makes the record before `offset` a commit point (the first step of a cut to `offset`),
    /// rewriting its flags and checksum in place; returns whether anything changed.
    ///
    /// This must reach the disk before the records after it are zeroed: a cut into a batch
    /// whose zeroing landed first would leave the batch's remaining records without a commit
    /// point, and recovery would drop them although they were acknowledged.
    ///
    /// Same contract as [`Segment::cut`].
    pub(crate) fn mark_commit(&self, offset: u64) -> Result<bool> {
        if offset <= self.base {
            return Ok(false);
        }
        let end = self.end();
        let prev = self.position(offset - 1, end)?;
        // SAFETY: the record lies below the published end in the mapped store; the caller
        // shuts every reader out.
        let head = unsafe { self.store.slice(prev, RECORD_HEADER_LEN) };
        let h = self.check_header(offset - 1, prev, end, head)?;
        if h.is_commit() {
            return Ok(false);
        }
        // SAFETY: as above; the record lies below the end and readers are shut out.
        let rec = unsafe { self.store.slice_mut(prev, h.total_len()) };
        rec[24..28].copy_from_slice(&(h.flags | format::FLAG_COMMIT).to_le_bytes());
        let crc = format::record_crc(
            &rec[4..RECORD_HEADER_LEN as usize],
            &rec[RECORD_HEADER_LEN as usize..],
        );
        rec[0..4].copy_from_slice(&crc.to_le_bytes());
        Ok(true)
    }

    /// Cuts the segment back so that `offset` is its next offset: zeroes the store bytes and
    /// index slots of the removed records. The record before `offset` must already be a
    /// commit point ([`Segment::mark_commit`], synced).
    ///
    /// Caller holds the writer lock and the segments write lock (no reader is inside), and the
    /// segment is mapped read-write.
    pub(crate) fn cut(&self, offset: u64) -> Result<u64> {
        let end = self.end();
        let next = self.next();
        let pos = if offset == next {
            end
        } else {
            self.position(offset, end)?
        };
        // SAFETY: [pos, end) lies in the mapped store; the caller shuts every reader out.
        unsafe { self.store.slice_mut(pos, end - pos) }.fill(0);
        self.index.clear(offset - self.base, next - self.base);
        self.publish(offset, pos);
        Ok(pos)
    }
}
