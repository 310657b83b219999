//! The log: a directory of segments, one writer, many readers.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::options::Options;
use crate::record::{Record, RecordRef};

/// A segmented, append-only log in one directory.
///
/// `Log` is a cheap handle (`Clone` shares the same open log); it is `Send + Sync` and every
/// method takes `&self`, so threads may share it. The log is closed by [`Log::close`] (any
/// handle) or when the last handle and iterator are dropped.
#[derive(Debug, Clone)]
pub struct Log {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    options: Options,
}

/// Facts about one segment, for tools (`commitlog info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// Offset of the segment's first record.
    pub base_offset: u64,
    /// One past the offset of its last record (`base_offset` when empty).
    pub next_offset: u64,
    /// Bytes of the store used by records and header.
    pub store_bytes: u64,
    /// Bytes of the index used by entries and header.
    pub index_bytes: u64,
    /// Timestamp of the first record, if any.
    pub first_timestamp: Option<u64>,
    /// Timestamp of the last record, if any.
    pub last_timestamp: Option<u64>,
    /// Whether this is the active (newest, written) segment.
    pub active: bool,
    /// Path of the store file.
    pub store_path: PathBuf,
    /// Path of the index file.
    pub index_path: PathBuf,
}

impl Log {
    /// Opens the log in `dir`, creating the directory and an empty log if needed, and recovers
    /// whatever a crash left (see [`crate::RecoveryMode`]).
    ///
    /// Fails with [`crate::Error::Locked`] if another writer holds the directory (unless
    /// `options.read_only`).
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<Log> {
        let _ = (dir.as_ref(), options);
        todo!()
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The options the log was opened with.
    pub fn options(&self) -> &Options {
        &self.shared.options
    }

    /// Appends one value; returns its offset.
    pub fn append(&self, value: &[u8]) -> Result<u64> {
        let _ = value;
        todo!()
    }

    /// Appends many values with one write (and one sync under `SyncPolicy::Always`); returns
    /// the range of offsets they got. After a crash the batch is all there or not at all. The
    /// whole batch must fit in one segment.
    pub fn append_batch<V: AsRef<[u8]>>(&self, values: &[V]) -> Result<Range<u64>> {
        let _ = values;
        todo!()
    }

    /// Reads the record at `offset`.
    pub fn read(&self, offset: u64) -> Result<Record> {
        self.read_with(offset, |r| r.to_record())
    }

    /// Calls `f` with the record at `offset`, borrowed from the log's memory map (no copy).
    /// `f` must not call into this log.
    pub fn read_with<R>(&self, offset: u64, f: impl FnOnce(RecordRef<'_>) -> R) -> Result<R> {
        let _ = (offset, f);
        todo!()
    }

    /// Iterates over records in offset order starting at `from`, up to the end of the log as
    /// it grows; [`Iter::next_timeout`] waits for records not yet appended.
    pub fn iter(&self, from: u64) -> Iter {
        let _ = from;
        todo!()
    }

    /// Waits until the record at `offset` exists (`next_offset() > offset`), or the timeout
    /// passes (`None`: wait forever). Returns whether it exists. Fails with `Closed` if the log
    /// is closed meanwhile.
    pub fn wait_for(&self, offset: u64, timeout: Option<Duration>) -> Result<bool> {
        let _ = (offset, timeout);
        todo!()
    }

    /// The lowest offset the log holds (equal to `next_offset()` when it is empty).
    pub fn lowest_offset(&self) -> Result<u64> {
        todo!()
    }

    /// The offset the next append will get.
    pub fn next_offset(&self) -> Result<u64> {
        todo!()
    }

    /// Number of records held: `next_offset() - lowest_offset()`.
    pub fn len(&self) -> Result<u64> {
        Ok(self.next_offset()? - self.lowest_offset()?)
    }

    /// Whether the log holds no record.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The first offset appended at or after `timestamp_ms` (ms since the Unix epoch); the
    /// lowest offset if every record is that new, `next_offset()` if none is. O(log n).
    pub fn offset_at_time(&self, timestamp_ms: u64) -> Result<u64> {
        let _ = timestamp_ms;
        todo!()
    }

    /// Drops whole segments whose records all lie below `offset`. With `offset` at or beyond
    /// `next_offset()` the log is emptied and the next append gets `offset`.
    pub fn truncate_front(&self, offset: u64) -> Result<()> {
        let _ = offset;
        todo!()
    }

    /// Removes every record at or after `offset` (durably); the next append gets `offset`.
    /// `offset` must lie in `lowest_offset()..=next_offset()`.
    pub fn truncate_back(&self, offset: u64) -> Result<()> {
        let _ = offset;
        todo!()
    }

    /// Empties the log; offsets go on from where they were (none is reused).
    pub fn reset(&self) -> Result<()> {
        self.truncate_front(self.next_offset()?)
    }

    /// Makes everything appended so far durable.
    pub fn sync(&self) -> Result<()> {
        todo!()
    }

    /// Closes the log: syncs, trims the active segment, marks a clean shutdown and releases
    /// the lock. Idempotent; every later call on any handle fails with `Closed`.
    pub fn close(&self) -> Result<()> {
        todo!()
    }

    /// Whether the log was closed.
    pub fn is_closed(&self) -> bool {
        todo!()
    }

    /// Closes the log and deletes its files and directory.
    pub fn remove(&self) -> Result<()> {
        todo!()
    }

    /// Whether the log had been closed cleanly before this open (no recovery scan was needed).
    pub fn opened_clean(&self) -> bool {
        todo!()
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> Result<Vec<SegmentInfo>> {
        todo!()
    }
}

/// An iterator over records in offset order; see [`Log::iter`].
///
/// As an [`Iterator`] it ends at the current end of the log (and yields more if called again
/// after further appends). It yields `Err(OutOfRange)` if its position falls below the lowest
/// offset (truncation, retention) or was beyond the end when created.
#[derive(Debug)]
pub struct Iter {
    shared: Arc<Shared>,
    next: u64,
}

impl Iter {
    /// The offset of the record this iterator yields next.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Yields the next record, waiting up to `timeout` (`None`: forever) for it to be
    /// appended. `Ok(None)` means the timeout passed.
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Record>> {
        let _ = (timeout, &self.shared);
        todo!()
    }
}

impl Iterator for Iter {
    type Item = Result<Record>;
    fn next(&mut self) -> Option<Self::Item> {
        todo!()
    }
}
