//! Errors of opening a store, and the mapping of failures onto openraft's `StorageError`.

use std::io;
use std::path::PathBuf;

use openraft::{AnyError, ErrorSubject, ErrorVerb, NodeId, StorageError, StorageIOError};

/// Why a [`crate::LogStore`] could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The underlying segmentlog failed to open (locked, corrupt, I/O, bad options).
    #[error("cannot open the raft log: {0}")]
    Log(#[from] segmentlog::Error),
    /// The metadata file (vote, committed, purged) could not be read or is damaged.
    #[error("cannot read raft metadata {}: {source}", path.display())]
    Meta {
        /// The metadata file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The log and the metadata disagree in a way no crash can explain (e.g. a hole between the
    /// last purged entry and the first entry the log holds).
    #[error("raft log in {} is inconsistent: {reason}", dir.display())]
    Inconsistent {
        /// The store directory.
        dir: PathBuf,
        /// What disagrees.
        reason: String,
    },
    /// The log found damage among entries that were durable (they became holes): entries
    /// openraft was told are persisted cannot be read. The report says which; `segmentlog
    /// quarantine list` shows the damaged bytes. Restore the node from its peers.
    #[error("raft log in {} lost entries openraft was told are persisted:\n{report}", dir.display())]
    Damaged {
        /// The store directory.
        dir: PathBuf,
        /// What the log's recovery found.
        report: Box<segmentlog::RecoveryReport>,
    },
    /// Creating the store directory or the flusher thread failed.
    #[error("cannot set up the raft store in {}: {source}", dir.display())]
    Setup {
        /// The store directory.
        dir: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
}

/// A segmentlog error as an `io::Error` (the flush callback takes one), keeping the OS error kind.
pub(crate) fn to_io(e: segmentlog::Error) -> io::Error {
    match e {
        segmentlog::Error::Io { source, context } => {
            io::Error::new(source.kind(), format!("{context}: {source}"))
        }
        segmentlog::Error::OutOfRange { .. } => {
            io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
        }
        segmentlog::Error::InvalidArgument(_) => {
            io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
        }
        segmentlog::Error::Corrupt { .. } => {
            io::Error::new(io::ErrorKind::InvalidData, e.to_string())
        }
        other => io::Error::other(other.to_string()),
    }
}

/// A failure while writing log entries.
pub(crate) fn write_logs<NID: NodeId>(e: impl std::error::Error + 'static) -> StorageError<NID> {
    StorageIOError::write_logs(AnyError::new(&e)).into()
}

/// A failure while reading log entries.
pub(crate) fn read_logs<NID: NodeId>(e: impl std::error::Error + 'static) -> StorageError<NID> {
    StorageIOError::read_logs(AnyError::new(&e)).into()
}

/// A failure while reading the entry at `index`.
pub(crate) fn read_at<NID: NodeId>(
    index: u64,
    e: impl std::error::Error + 'static,
) -> StorageError<NID> {
    StorageIOError::read_log_at_index(index, AnyError::new(&e)).into()
}

/// A failure while writing the vote.
pub(crate) fn write_vote<NID: NodeId>(e: impl std::error::Error + 'static) -> StorageError<NID> {
    StorageIOError::write_vote(AnyError::new(&e)).into()
}

/// A failure while writing other metadata (committed id, purge marker).
pub(crate) fn write_meta<NID: NodeId>(e: impl std::error::Error + 'static) -> StorageError<NID> {
    StorageIOError::new(ErrorSubject::Store, ErrorVerb::Write, AnyError::new(&e)).into()
}
