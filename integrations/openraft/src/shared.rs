//! The store itself, independent of the openraft version: the segmentlog, the metadata file, the
//! flusher and what every openraft operation does to them. `store.rs`/`raft.rs` (openraft 0.9)
//! and `v010` (openraft 0.10) only wrap it in their version's types and errors.

use std::fmt;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use segmentlog::{Log, Options, SyncPolicy, WritePath};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{self, OpenError};
use crate::flusher::{Done, Flusher, Work};
use crate::meta::{Meta, MetaFile};
use crate::stats::{Counters, Stats};

/// Name of the segmentlog directory inside the store directory.
pub const LOG_DIR: &str = "log";

/// How often, at most, a changed committed log id is written to the metadata file on its own.
///
/// openraft calls `save_committed` on every commit; three fsyncs each time would cost more than
/// the entries themselves. Persisting the committed id is optional in openraft (an older value
/// only means more entries are re-applied after a restart), so it is written at most this often,
/// and always together with a vote, a purge marker and at `LogStore::close`.
pub const COMMITTED_PERSIST_INTERVAL: Duration = Duration::from_secs(1);

/// What the store keeps of a vote or a log id: openraft's types, stored as JSON.
pub(crate) trait Stored:
    Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

impl<T: Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static> Stored for T {}

/// An openraft log id, whatever the version: ordered, printable, with a raft index.
pub(crate) trait RaftLogId: Stored + PartialOrd + fmt::Display {
    fn raft_index(&self) -> u64;
}

/// Why a store operation failed; each version maps it onto its own error type. The variants keep
/// the concrete source, so openraft 0.9's `StorageError`s read as they always did.
#[derive(Debug)]
pub(crate) enum Fail<L> {
    /// Reading the log's bounds failed.
    ReadLogs(segmentlog::Error),
    /// Reading the entry at this index failed.
    ReadAt(u64, segmentlog::Error),
    /// The entry at this index, which the log should hold, is not there.
    Vanished(u64),
    /// Decoding the entry at this index failed.
    DecodeAt(u64, serde_json::Error),
    /// The entry with this id does not follow the log's last entry.
    Hole { log_id: L, expected: u64 },
    /// Encoding the entry with this id failed.
    Encode {
        log_id: L,
        source: serde_json::Error,
    },
    /// Writing to the log failed.
    WriteLogs(segmentlog::Error),
    /// Writing to the log on the flusher thread (or its sync) failed, or a truncation was refused.
    WriteLogsIo(io::Error),
    /// Writing the metadata file (purge marker) failed.
    WriteMeta(io::Error),
}

impl<L: RaftLogId> Fail<L> {
    /// The failure as an `io::Error` (openraft 0.10's storage error type), kind kept.
    #[cfg_attr(not(feature = "openraft-010"), allow(dead_code))]
    pub fn into_io(self) -> io::Error {
        match self {
            Fail::ReadLogs(e) | Fail::WriteLogs(e) => error::to_io(e),
            Fail::ReadAt(index, e) => {
                let e = error::to_io(e);
                io::Error::new(e.kind(), format!("reading raft entry {index}: {e}"))
            }
            Fail::Vanished(index) => {
                io::Error::other(format!("reading raft entry {index}: last entry vanished"))
            }
            Fail::DecodeAt(index, e) => io::Error::new(
                io::ErrorKind::InvalidData,
                format!("decoding raft entry {index}: {e}"),
            ),
            Fail::Hole { log_id, expected } => io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("entry {log_id} would leave a hole: the next index is {expected}"),
            ),
            Fail::Encode { log_id, source } => io::Error::new(
                io::ErrorKind::InvalidData,
                format!("encoding entry {log_id}: {source}"),
            ),
            Fail::WriteLogsIo(e) | Fail::WriteMeta(e) => e,
        }
    }
}

/// One open store: the log, the metadata, the flusher, the counters. `V` is openraft's vote
/// type, `L` its log id type.
pub(crate) struct Shared<V, L> {
    dir: PathBuf,
    pub(crate) log: Log,
    meta_file: MetaFile,
    /// The current metadata; the file holds the durable copy (the committed id may lag).
    meta: Mutex<Meta<V, L>>,
    /// When the metadata file was last written (rate limit of committed-only writes).
    meta_written: Mutex<Instant>,
    /// Most bytes (records plus headers) and records one `append_batch` may carry.
    max_batch_bytes: u64,
    max_batch_records: u64,
    pub(crate) counters: Arc<Counters>,
    /// Dropped last: joins the thread after the fields above are no longer used by callers.
    pub(crate) flusher: Flusher,
}

impl<V: Stored, L: RaftLogId> Shared<V, L> {
    /// Opens (or creates) the store in `dir`, passing `options` to the segmentlog.
    ///
    /// The store makes entries durable itself (one sync per batch of appends, before the flush
    /// callback), so `sync` is forced to [`SyncPolicy::Never`]; retention is turned off (raft
    /// decides what to purge), `read_only` is not supported, and `initial_offset` is derived from
    /// the purge marker. A `write_path` left at `Auto` becomes [`WritePath::Write`]: nearly
    /// every append is synced soon after, where `pwrite` beats writing through the map.
    pub fn open(dir: &Path, mut options: Options) -> Result<Self, OpenError> {
        let dir = dir.to_path_buf();
        let setup = |source| OpenError::Setup {
            dir: dir.clone(),
            source,
        };
        options.sync = SyncPolicy::Never;
        // The flusher syncs after nearly every append: through the map, each sync
        // write-protected the appended pages again (a TLB shootdown IPI per page, ~20% of the
        // CPU of `make bench-openraft-010` at 64 clients) and the next append faulted; with
        // `pwrite` commits/s went from 22.5-23.4 k to 26.6-26.8 k there.
        if options.write_path == WritePath::Auto {
            options.write_path = WritePath::Write;
        }
        options.retention_bytes = None;
        options.retention_ms = None;
        options.read_only = false;
        // A new log starts at 0; `reconcile` moves it past a purge marker.
        options.initial_offset = 0;
        let (max_batch_bytes, max_batch_records) = options.max_batch();
        // The log first: its open creates the directories durably and takes the directory
        // lock, so no second process touches the metadata file below.
        let log = Log::open(dir.join(LOG_DIR), options)?;
        // openraft was told every entry it appended is persisted once the flush callback ran,
        // and the log never cuts what was synced; a hole (a damaged entry that was durable)
        // means the storage lost something openraft relies on: refuse to go on.
        let report = log.recovery_report();
        if report.records_in_holes() > 0 {
            return Err(OpenError::Damaged {
                dir,
                report: Box::new(report.clone()),
            });
        }
        let meta_file = MetaFile::new(&dir);
        let meta: Meta<V, L> = meta_file.load().map_err(|source| OpenError::Meta {
            path: meta_file.path().to_path_buf(),
            source,
        })?;

        reconcile(&dir, &log, &meta)?;
        if !log.opened_clean() {
            // Entries a crashed process appended but never synced are in the log now, and
            // openraft treats whatever the log holds as persisted: make it so before it looks.
            log.sync()?;
        }

        let counters = Arc::new(Counters::default());
        let flusher = Flusher::start(log.clone(), Arc::clone(&counters)).map_err(setup)?;
        Ok(Shared {
            dir,
            log,
            meta_file,
            meta: Mutex::new(meta),
            meta_written: Mutex::new(Instant::now()),
            max_batch_bytes,
            max_batch_records,
            counters,
            flusher,
        })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes everything durable (log, then the metadata including the latest committed id) and
    /// closes the log, which releases the directory.
    pub fn close(&self) -> io::Result<()> {
        if self.log.is_closed() {
            return Ok(());
        }
        let meta = self.meta().clone();
        let (tx, rx) = mpsc::channel();
        self.flusher.job(
            self.store_meta_work(&meta),
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv()
            .unwrap_or_else(|_| Err(io::Error::other("the flusher thread stopped")))?;
        self.log.close().map_err(error::to_io)
    }

    /// Counters since the store was opened.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot(self.log.sync_count())
    }

    pub fn meta(&self) -> MutexGuard<'_, Meta<V, L>> {
        // A panic while holding this lock cannot leave the plain data half-updated.
        self.meta.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A flusher job that durably writes `meta`.
    fn store_meta_work(&self, meta: &Meta<V, L>) -> Work {
        let bytes = MetaFile::encode(meta);
        let file = self.meta_file.clone();
        *self.meta_written.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        Box::new(move || file.store(&bytes))
    }

    /// Runs `work` on the flusher thread after everything appended so far is durable.
    pub async fn after_sync(&self, work: Work) -> io::Result<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.flusher.job(
            work,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.await
            .unwrap_or_else(|_| Err(io::Error::other("the flusher thread stopped")))
    }

    /// Durably replaces the metadata with `meta` (after syncing earlier appends), then caches it.
    async fn write_meta(&self, meta: Meta<V, L>) -> io::Result<()> {
        let work = self.store_meta_work(&meta);
        self.after_sync(work).await?;
        *self.meta() = meta;
        Ok(())
    }

    /// Durably stores `vote`, after everything appended before it (never durable before them).
    pub async fn save_vote(&self, vote: V) -> io::Result<()> {
        let mut meta = self.meta().clone();
        meta.vote = Some(vote);
        self.write_meta(meta).await
    }

    /// Records the committed id; writes the file in the background at most every
    /// [`COMMITTED_PERSIST_INTERVAL`].
    pub fn note_committed(&self, committed: Option<L>) {
        let meta = {
            let mut m = self.meta();
            m.committed = committed;
            m.clone()
        };
        let due = self
            .meta_written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
            >= COMMITTED_PERSIST_INTERVAL;
        if due {
            let work = self.store_meta_work(&meta);
            self.flusher.job(
                work,
                Box::new(|r| {
                    if let Err(e) = r {
                        tracing::warn!("writing the committed log id failed: {e}");
                    }
                }),
            );
        }
    }

    fn next_index(&self) -> Result<u64, Fail<L>> {
        self.log.next_offset().map_err(Fail::ReadLogs)
    }

    /// The indexes readers may see: from one past the purge marker (entries at or below it may
    /// still sit in a partly purged segment and are hidden) or the log's lowest offset, whichever
    /// is higher, up to the next index.
    fn visible_range(&self) -> Result<(u64, u64), Fail<L>> {
        let first = self.meta().first_visible();
        let lowest = self.log.lowest_offset().map_err(Fail::ReadLogs)?;
        let next = self.next_index()?;
        Ok((first.max(lowest).min(next), next))
    }

    /// Whether an empty log may be re-based to start at a later index: only if nothing was ever
    /// purged (otherwise the first index must follow the purge marker).
    fn may_rebase(&self) -> bool {
        self.meta().last_purged.is_none()
    }

    /// Reads and decodes the entry at `index`; `Ok(None)` if the log does not hold it.
    fn read_entry<E: DeserializeOwned>(&self, index: u64) -> Result<Option<E>, Fail<L>> {
        match self
            .log
            .read_with(index, |r| serde_json::from_slice::<E>(r.value))
        {
            Ok(Ok(entry)) => Ok(Some(entry)),
            Ok(Err(e)) => Err(Fail::DecodeAt(index, e)),
            Err(segmentlog::Error::OutOfRange { .. }) => Ok(None),
            Err(e) => Err(Fail::ReadAt(index, e)),
        }
    }

    /// The visible entries in `range` (purged ones hidden), contiguous.
    pub fn entries<E: DeserializeOwned>(
        &self,
        range: impl RangeBounds<u64>,
    ) -> Result<Vec<E>, Fail<L>> {
        let (first, next) = self.visible_range()?;
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        }
        .max(first);
        let end = match range.end_bound() {
            Bound::Included(&e) => e.saturating_add(1),
            Bound::Excluded(&e) => e,
            Bound::Unbounded => next,
        }
        .min(next);

        let mut entries = Vec::with_capacity(end.saturating_sub(start) as usize);
        for index in start..end {
            match self.read_entry(index)? {
                Some(entry) => entries.push(entry),
                // Purged meanwhile (below) or truncated meanwhile (above): return what is
                // contiguous.
                None if entries.is_empty() => continue,
                None => break,
            }
        }
        Ok(entries)
    }

    /// The last purged log id, and the last visible entry's log id (`log_id_of`) or else the last
    /// purged one: openraft's `LogState`.
    pub fn log_state<E: DeserializeOwned>(
        &self,
        log_id_of: impl FnOnce(&E) -> L,
    ) -> Result<(Option<L>, Option<L>), Fail<L>> {
        let last_purged = self.meta().last_purged.clone();
        let (start, next) = self.visible_range()?;
        let last_log_id = if next > start {
            let last: E = self.read_entry(next - 1)?.ok_or(Fail::Vanished(next - 1))?;
            Some(log_id_of(&last))
        } else {
            last_purged.clone()
        };
        Ok((last_purged, last_log_id))
    }

    /// Appends encoded entries in as few `append_batch` calls as the segment size allows.
    fn append_encoded(&self, values: &[Vec<u8>]) -> Result<(), Fail<L>> {
        let (max_bytes, max_records) = (self.max_batch_bytes, self.max_batch_records);
        let mut start = 0;
        while start < values.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < values.len() {
                let add = Options::record_bytes(values[end].len() as u64);
                let full = end - start >= max_records as usize || bytes + add > max_bytes;
                if end > start && full {
                    break;
                }
                bytes += add;
                end += 1;
            }
            self.log
                .append_batch(&values[start..end])
                .map_err(Fail::WriteLogs)?;
            start = end;
        }
        Ok(())
    }

    /// openraft's `append`: writes `entries` now (readable on return) and queues `done` on the
    /// flusher, which calls it once a sync covers them.
    pub fn append<E: Serialize>(
        &self,
        entries: impl IntoIterator<Item = E>,
        log_id_of: impl Fn(&E) -> L,
        done: Done,
    ) -> Result<(), Fail<L>> {
        let (start, mut next) = self.visible_range()?;
        let purged_below = self.meta().first_visible();
        let mut values = Vec::new();
        let mut appended = 0u64;
        for entry in entries {
            appended += 1;
            let log_id = log_id_of(&entry);
            let index = log_id.raft_index();
            if index < purged_below {
                // Already purged (covered by a snapshot): nothing to keep. openraft's suite
                // appends such entries after `get_initial_state` purged up to the applied id.
                continue;
            }
            if values.is_empty() && start == next && index > next && self.may_rebase() {
                // A store that never purged and holds no entry may begin at any index
                // (openraft's suite does this); re-base the empty log there.
                self.log.truncate_front(index).map_err(Fail::WriteLogs)?;
                next = index;
            }
            let expected = next + values.len() as u64;
            if index != expected {
                return Err(Fail::Hole { log_id, expected });
            }
            match serde_json::to_vec(&entry) {
                Ok(v) => values.push(v),
                Err(source) => return Err(Fail::Encode { log_id, source }),
            }
        }
        // Written now (readable at once); made durable by the flusher, which then calls back.
        self.append_encoded(&values)?;
        self.counters.append(appended);
        self.flusher.flush(done);
        Ok(())
    }

    /// Removes the entries from `index` on (after everything appended before is durable);
    /// `what` names the truncation point in the error when it lies in the purged part.
    pub async fn truncate_from(&self, index: u64, what: impl fmt::Display) -> Result<(), Fail<L>> {
        if index >= self.next_index()? {
            return Ok(());
        }
        let first = self.meta().first_visible();
        if index < first {
            return Err(Fail::WriteLogsIo(io::Error::other(format!(
                "cannot truncate at {what}: entries up to {} are purged",
                first - 1
            ))));
        }
        let log = self.log.clone();
        self.after_sync(Box::new(move || {
            log.truncate_back(index).map_err(error::to_io)
        }))
        .await
        .map_err(Fail::WriteLogsIo)
    }

    /// Purges the entries up to `log_id`: the durable marker first, then whole segments.
    pub async fn purge(&self, log_id: L) -> Result<(), Fail<L>> {
        let mut meta = self.meta().clone();
        if meta.last_purged.as_ref() >= Some(&log_id) {
            return Ok(());
        }
        let index = log_id.raft_index();
        meta.last_purged = Some(log_id);
        // Hide the entries from readers at once; the marker is durable before any segment goes.
        let work_meta = meta.clone();
        *self.meta() = meta;
        self.write_meta(work_meta).await.map_err(Fail::WriteMeta)?;
        let log = self.log.clone();
        // At or past the end this empties the log and re-bases it: next index = purged + 1.
        self.after_sync(Box::new(move || {
            log.truncate_front(index + 1).map_err(error::to_io)
        }))
        .await
        .map_err(Fail::WriteLogsIo)
    }
}

/// Brings the log in line with the purge marker after a crash: the marker is written durably
/// before `truncate_front`, so a crash in between leaves a log that still ends below the marker.
fn reconcile<V, L: RaftLogId>(dir: &Path, log: &Log, meta: &Meta<V, L>) -> Result<(), OpenError> {
    let first = meta.first_visible();
    if log.next_offset()? < first {
        log.truncate_front(first)?;
    }
    let lowest = log.lowest_offset()?;
    // Without a purge marker the log may begin anywhere (see `may_rebase`).
    if meta.last_purged.is_some() && lowest > first {
        return Err(OpenError::Inconsistent {
            dir: dir.to_path_buf(),
            reason: format!(
                "the log starts at index {lowest} but the last purged index is {:?}: entries {first}..{lowest} are missing",
                meta.last_purged.as_ref().map(|l| l.raft_index())
            ),
        });
    }
    Ok(())
}
