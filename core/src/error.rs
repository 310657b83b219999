//! The one error type of the crate.
//!
//! Every binding maps these variants onto its own language's errors (see `docs/API.md`):
//! `OutOfRange`, `Corrupt`, `Closed`, `Locked`, `InvalidArgument` and `Io` are the contract's
//! kinds; `Poisoned` is reported as an I/O failure by the bindings.

use std::io;
use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with a [`crate::Log`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The offset is below the lowest retained offset or at/after the next offset.
    #[error("offset {offset} is out of range: the log holds offsets {lowest}..{next}")]
    OutOfRange {
        /// The offset asked for.
        offset: u64,
        /// The lowest offset the log holds.
        lowest: u64,
        /// The offset the next append will get.
        next: u64,
    },
    /// A file does not hold what the format says it must (bad checksum, bad header, ...).
    #[error("corrupt log: segment {segment:020} ({file}) at byte {position}: {reason}")]
    Corrupt {
        /// Base offset of the segment that holds the damage.
        segment: u64,
        /// Which file of the segment: `store` or `index`.
        file: &'static str,
        /// Byte position in that file where the damage starts.
        position: u64,
        /// What was found there.
        reason: String,
    },
    /// The record at this offset cannot be given: it was damaged (found by recovery, `repair`
    /// or this read). Records before and after it keep their offsets and stay readable; the
    /// damaged bytes are in the quarantine once recovery or `repair` has seen them.
    #[error("offset {offset} is a hole: {reason} (segment {segment:020})")]
    Hole {
        /// The offset whose record is missing.
        offset: u64,
        /// Base offset of the segment it belongs to.
        segment: u64,
        /// What was found.
        reason: String,
    },
    /// The log was closed; open it again to go on.
    #[error("the log is closed")]
    Closed,
    /// Another writer (another process, or another `Log` in this one) holds the directory.
    #[error("the log directory {} is locked by another writer", dir.display())]
    Locked {
        /// The directory that is locked.
        dir: PathBuf,
    },
    /// An earlier fsync failed: what was written may not be on disk, so the log refuses
    /// further writes until it is reopened (and recovered from what the disk really holds).
    #[error("the log refuses writes after a failed sync ({reason}); reopen it to recover")]
    Poisoned {
        /// The error that poisoned the log.
        reason: String,
    },
    /// A bad argument: an option out of range, a value too large for a segment, a write to a
    /// read-only log.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The operating system refused an operation.
    #[error("{context}: {source}")]
    Io {
        /// What the log was doing.
        context: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// Builds an [`Error::Io`] from what was being done and the OS error.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The OS error number behind an [`Error::Io`], if any.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

/// Adds context to `io::Result`s.
pub(crate) trait IoContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::io(what(), e))
    }
}
