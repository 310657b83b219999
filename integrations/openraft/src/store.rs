//! [`LogStore`]: openraft 0.9's `RaftLogStorage` on a segmentlog `Log`.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use openraft::{LogId, NodeId, RaftTypeConfig, Vote};
use segmentlog::{Log, Options};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::OpenError;
use crate::shared::{RaftLogId, Shared};
use crate::stats::Stats;

pub use crate::shared::{COMMITTED_PERSIST_INTERVAL, LOG_DIR};

impl<NID: NodeId> RaftLogId for LogId<NID> {
    fn raft_index(&self) -> u64 {
        self.index
    }
}

/// The shared store with openraft 0.9's vote and log id types for `C`.
pub(crate) type Shared09<C> =
    Shared<Vote<<C as RaftTypeConfig>::NodeId>, LogId<<C as RaftTypeConfig>::NodeId>>;

/// openraft log storage (`RaftLogStorage` + `RaftLogReader`) on a segmentlog [`Log`].
///
/// Layout of the store directory: `log/` holds the segmentlog (one record per raft entry, raft
/// index = log offset, entries encoded as JSON), `raft-meta.json` holds the vote, the committed
/// log id and the last purged log id.
///
/// Cloning is cheap; clones share the store (openraft's log readers are clones).
pub struct LogStore<C: RaftTypeConfig> {
    pub(crate) shared: Arc<Shared09<C>>,
    _config: PhantomData<fn() -> C>,
}

impl<C: RaftTypeConfig> Clone for LogStore<C> {
    fn clone(&self) -> Self {
        LogStore {
            shared: Arc::clone(&self.shared),
            _config: PhantomData,
        }
    }
}

impl<C: RaftTypeConfig> fmt::Debug for LogStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogStore")
            .field("dir", &self.shared.dir())
            .finish_non_exhaustive()
    }
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
    /// callback), so `sync` is forced to [`segmentlog::SyncPolicy::Never`]; retention is turned
    /// off (raft decides what to purge), `read_only` is not supported, and `initial_offset` is
    /// derived from the purge marker.
    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<Self, OpenError> {
        Ok(LogStore {
            shared: Arc::new(Shared::open(dir.as_ref(), options)?),
            _config: PhantomData,
        })
    }
}

impl<C: RaftTypeConfig> LogStore<C> {
    /// The store directory.
    pub fn dir(&self) -> &Path {
        self.shared.dir()
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
        self.shared.close()
    }

    /// Counters since the store was opened: entries per `append`, appends per sync, syncs.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }
}
