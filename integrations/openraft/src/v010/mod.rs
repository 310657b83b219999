//! The same store for openraft 0.10 (`0.10.0-alpha.37`, cargo feature `openraft-010`).
//!
//! openraft 0.10 is still an alpha; 0.9 stays this crate's default ([`crate::LogStore`]). Its
//! leader pipelines log I/O: the next `append` does not wait for the previous one's flush
//! callback, so appends can reach the flusher while an earlier sync is running and share the next
//! one (group commit). [`LogStore`] here is the same store as [`crate::LogStore`] (same segmentlog,
//! metadata file, flusher and on-disk layout); only openraft's types and traits differ:
//! entries, votes and log ids are 0.10's, every storage method returns `io::Error`, the vote is
//! read through the log reader, and `truncate` became `truncate_after`.

mod raft;

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use openraft_010::RaftTypeConfig;
use openraft_010::type_config::alias::{LogIdOf, VoteOf};
use openraft_010::vote::RaftCommittedLeaderId;
use segmentlog::{Log, Options};

use crate::error::OpenError;
use crate::shared::{RaftLogId, Shared};
use crate::stats::Stats;

/// openraft 0.10's log crate, as this module uses it (`openraft_010` in `Cargo.toml`).
pub use openraft_010 as openraft;

impl<CLID: RaftCommittedLeaderId> RaftLogId for openraft_010::LogId<CLID> {
    fn raft_index(&self) -> u64 {
        self.index
    }
}

/// openraft 0.10 log storage (`RaftLogStorage` + `RaftLogReader`) on a segmentlog [`Log`]:
/// the 0.10 counterpart of [`crate::LogStore`], with the same directory layout.
///
/// Cloning is cheap; clones share the store (openraft's log readers are clones).
pub struct LogStore<C: RaftTypeConfig> {
    shared: Arc<Shared<VoteOf<C>, LogIdOf<C>>>,
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
        f.debug_struct("v010::LogStore")
            .field("dir", &self.shared.dir())
            .finish_non_exhaustive()
    }
}

impl<C: RaftTypeConfig> LogStore<C> {
    /// Opens (or creates) the store in `dir` with the segmentlog's default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_with(dir, Options::default())
    }

    /// Opens (or creates) the store in `dir`, passing `options` to the segmentlog; the options
    /// are adjusted as [`crate::LogStore::open_with`] describes.
    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<Self, OpenError> {
        Ok(LogStore {
            shared: Arc::new(Shared::open(dir.as_ref(), options)?),
            _config: PhantomData,
        })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        self.shared.dir()
    }

    /// The segmentlog holding the entries (offset = raft index); see [`crate::LogStore::log`].
    pub fn log(&self) -> &Log {
        &self.shared.log
    }

    /// Makes everything durable and closes the log; see [`crate::LogStore::close`].
    pub fn close(&self) -> io::Result<()> {
        self.shared.close()
    }

    /// Counters since the store was opened: entries per `append`, appends per sync, syncs.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }
}
