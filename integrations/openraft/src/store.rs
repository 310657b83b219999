//! [`LogStore`]: openraft's `RaftLogStorage` on a segmentlog `Log`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use openraft::RaftTypeConfig;
use openraft::StorageError;
use segmentlog::{Log, Options, SyncPolicy};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{self, OpenError};
use crate::flusher::Flusher;
use crate::meta::{Meta, MetaFile};
use crate::stats::{Counters, Stats};

/// Name of the segmentlog directory inside the store directory.
pub const LOG_DIR: &str = "log";

/// How often, at most, a changed committed log id is written to the metadata file on its own.
///
/// openraft calls `save_committed` on every commit; three fsyncs each time would cost more than
/// the entries themselves. Persisting the committed id is optional in openraft (an older value
/// only means more entries are re-applied after a restart), so it is written at most this often,
/// and always together with a vote, a purge marker and at [`LogStore::close`].
pub const COMMITTED_PERSIST_INTERVAL: Duration = Duration::from_secs(1);

/// openraft log storage (`RaftLogStorage` + `RaftLogReader`) on a segmentlog [`Log`].
///
/// Layout of the store directory: `log/` holds the segmentlog (one record per raft entry, raft
/// index = log offset, entries encoded as JSON), `raft-meta.json` holds the vote, the committed
/// log id and the last purged log id.
///
/// Cloning is cheap; clones share the store (openraft's log readers are clones).
pub struct LogStore<C: RaftTypeConfig> {
    pub(crate) shared: Arc<Shared<C>>,
}

impl<C: RaftTypeConfig> Clone for LogStore<C> {
    fn clone(&self) -> Self {
        LogStore {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<C: RaftTypeConfig> fmt::Debug for LogStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogStore")
            .field("dir", &self.shared.dir)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared<C: RaftTypeConfig> {
    dir: PathBuf,
    pub(crate) log: Log,
    meta_file: MetaFile,
    /// The current metadata; the file holds the durable copy (the committed id may lag).
    meta: Mutex<Meta<C::NodeId>>,
    /// When the metadata file was last written (rate limit of committed-only writes).
    meta_written: Mutex<Instant>,
    /// Most bytes (records plus headers) and records one `append_batch` may carry.
    max_batch_bytes: u64,
    max_batch_records: u64,
    pub(crate) counters: Arc<Counters>,
    /// Dropped last: joins the thread after the fields above are no longer used by callers.
    pub(crate) flusher: Flusher,
}

impl<C: RaftTypeConfig> LogStore<C>
where
    C::Entry: Serialize + DeserializeOwned,
{
    /// Opens (or creates) the store in `dir` with the segmentlog's default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_with(dir, Options::default())
    }

    /// Opens (or creates) the store in `dir`, passing `options` to the segmentlog.
    ///
    /// The store makes entries durable itself (one sync per batch of appends, before the flush
    /// callback), so `sync` is forced to [`SyncPolicy::Never`]; retention is turned off (raft
    /// decides what to purge), `read_only` is not supported, and `initial_offset` is derived from
    /// the purge marker.
    pub fn open_with(dir: impl AsRef<Path>, mut options: Options) -> Result<Self, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        let setup = |source| OpenError::Setup {
            dir: dir.clone(),
            source,
        };
        options.sync = SyncPolicy::Never;
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
        let meta: Meta<C::NodeId> = meta_file.load().map_err(|source| OpenError::Meta {
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
        Ok(LogStore {
            shared: Arc::new(Shared {
                dir,
                log,
                meta_file,
                meta: Mutex::new(meta),
                meta_written: Mutex::new(Instant::now()),
                max_batch_bytes,
                max_batch_records,
                counters,
                flusher,
            }),
        })
    }
}

/// Brings the log in line with the purge marker after a crash: the marker is written durably
/// before `truncate_front`, so a crash in between leaves a log that still ends below the marker.
fn reconcile<NID: openraft::NodeId>(
    dir: &Path,
    log: &Log,
    meta: &Meta<NID>,
) -> Result<(), OpenError> {
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
                meta.last_purged.as_ref().map(|l| l.index)
            ),
        });
    }
    Ok(())
}

impl<C: RaftTypeConfig> LogStore<C> {
    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The segmentlog holding the entries (offset = raft index). Entries below the last purged
    /// index + 1 may still sit in it (a partly purged segment); the store never returns them.
    pub fn log(&self) -> &Log {
        &self.shared.log
    }

    /// Makes everything durable (log, then the metadata including the latest committed id) and
    /// closes the log, which releases the directory for a later [`LogStore::open`]. Every handle
    /// (clone) of the store fails afterwards. Call it after `Raft::shutdown`.
    pub fn close(&self) -> io::Result<()> {
        if self.shared.log.is_closed() {
            return Ok(());
        }
        let meta = self.meta().clone();
        let (tx, rx) = mpsc::channel();
        self.shared.flusher.job(
            self.store_meta_work(&meta),
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv()
            .unwrap_or_else(|_| Err(io::Error::other("the flusher thread stopped")))?;
        self.shared.log.close().map_err(error::to_io)
    }

    /// Counters since the store was opened: entries per `append`, appends per sync, syncs.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot(self.shared.log.sync_count())
    }

    pub(crate) fn meta(&self) -> MutexGuard<'_, Meta<C::NodeId>> {
        // A panic while holding this lock cannot leave the plain data half-updated.
        self.shared.meta.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A flusher job that durably writes `meta`.
    fn store_meta_work(&self, meta: &Meta<C::NodeId>) -> crate::flusher::Work {
        let bytes = MetaFile::encode(meta);
        let file = self.shared.meta_file.clone();
        *self
            .shared
            .meta_written
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Instant::now();
        Box::new(move || file.store(&bytes))
    }

    /// Runs `work` on the flusher thread after everything appended so far is durable.
    pub(crate) async fn after_sync(&self, work: crate::flusher::Work) -> io::Result<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.shared.flusher.job(
            work,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.await
            .unwrap_or_else(|_| Err(io::Error::other("the flusher thread stopped")))
    }

    /// Durably replaces the metadata with `meta` (after syncing earlier appends), then caches it.
    pub(crate) async fn write_meta(&self, meta: Meta<C::NodeId>) -> io::Result<()> {
        let work = self.store_meta_work(&meta);
        self.after_sync(work).await?;
        *self.meta() = meta;
        Ok(())
    }

    /// Records the committed id; writes the file in the background at most every
    /// [`COMMITTED_PERSIST_INTERVAL`].
    pub(crate) fn note_committed(&self, committed: Option<openraft::LogId<C::NodeId>>) {
        let meta = {
            let mut m = self.meta();
            m.committed = committed;
            m.clone()
        };
        let due = self
            .shared
            .meta_written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
            >= COMMITTED_PERSIST_INTERVAL;
        if due {
            let work = self.store_meta_work(&meta);
            self.shared.flusher.job(
                work,
                Box::new(|r| {
                    if let Err(e) = r {
                        tracing::warn!("writing the committed log id failed: {e}");
                    }
                }),
            );
        }
    }

    pub(crate) fn max_batch(&self) -> (u64, u64) {
        (self.shared.max_batch_bytes, self.shared.max_batch_records)
    }

    pub(crate) fn next_index(&self) -> Result<u64, StorageError<C::NodeId>> {
        self.shared.log.next_offset().map_err(error::read_logs)
    }

    /// The indexes readers may see: from one past the purge marker (entries at or below it may
    /// still sit in a partly purged segment and are hidden) or the log's lowest offset, whichever
    /// is higher, up to the next index.
    pub(crate) fn visible_range(&self) -> Result<(u64, u64), StorageError<C::NodeId>> {
        let first = self.meta().first_visible();
        let lowest = self.shared.log.lowest_offset().map_err(error::read_logs)?;
        let next = self.next_index()?;
        Ok((first.max(lowest).min(next), next))
    }

    /// Whether an empty log may be re-based to start at a later index: only if nothing was ever
    /// purged (otherwise the first index must follow the purge marker).
    pub(crate) fn may_rebase(&self) -> bool {
        self.meta().last_purged.is_none()
    }
}
