//! The one error type of the crate, and its kind.
//!
//! [`Error::kind`] is the contract's kind of an error (`docs/API.md`), what every binding maps
//! onto its own language's errors: C statuses, Python exception classes, Node `err.code`s.
//! [`ErrorKind`] is exhaustive on purpose: a kind added to it breaks the bindings' builds until
//! each says what it becomes, where a catch-all would quietly call it something else.

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
    /// No cursor of this name exists in the log directory (never created, or deleted).
    #[error("no cursor named {name:?}")]
    CursorNotFound {
        /// The cursor's name.
        name: String,
    },
    /// A cursor file holds no valid position: both of its slots are damaged.
    #[error("corrupt cursor {name:?}: {reason}")]
    CorruptCursor {
        /// The cursor's name.
        name: String,
        /// What was found.
        reason: String,
    },
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

/// The kind of an [`Error`], the same in every language (`docs/API.md`, "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An offset below the lowest or at/after the next ([`Error::OutOfRange`]).
    OutOfRange,
    /// The record at an offset was damaged; its neighbours are fine ([`Error::Hole`]).
    Hole,
    /// Damage a strict open refuses, a header or index that cannot be used
    /// ([`Error::Corrupt`]).
    Corrupt,
    /// A call after close ([`Error::Closed`]).
    Closed,
    /// Another writer holds the directory ([`Error::Locked`]).
    Locked,
    /// A bad argument ([`Error::InvalidArgument`]).
    InvalidArgument,
    /// The operating system refused, or an earlier failed sync poisoned the log
    /// ([`Error::Io`], [`Error::Poisoned`]).
    Io,
    /// A named thing (a cursor) does not exist ([`Error::CursorNotFound`]).
    NotFound,
}

impl ErrorKind {
    /// Every kind, in the order of `docs/API.md`.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::OutOfRange,
        ErrorKind::Hole,
        ErrorKind::Corrupt,
        ErrorKind::Closed,
        ErrorKind::Locked,
        ErrorKind::InvalidArgument,
        ErrorKind::Io,
        ErrorKind::NotFound,
    ];

    /// The kind's name as the bindings spell it after their prefix: `OUT_OF_RANGE` in
    /// `SEGMENTLOG_STATUS_OUT_OF_RANGE` (C) and `ERR_SEGMENTLOG_OUT_OF_RANGE` (Node).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::OutOfRange => "OUT_OF_RANGE",
            ErrorKind::Hole => "HOLE",
            ErrorKind::Corrupt => "CORRUPT",
            ErrorKind::Closed => "CLOSED",
            ErrorKind::Locked => "LOCKED",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Io => "IO",
            ErrorKind::NotFound => "NOT_FOUND",
        }
    }
}

impl Error {
    /// The contract's kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::OutOfRange { .. } => ErrorKind::OutOfRange,
            Error::Hole { .. } => ErrorKind::Hole,
            Error::Corrupt { .. } | Error::CorruptCursor { .. } => ErrorKind::Corrupt,
            Error::CursorNotFound { .. } => ErrorKind::NotFound,
            Error::Closed => ErrorKind::Closed,
            Error::Locked { .. } => ErrorKind::Locked,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            // A poisoned log refuses writes after a failed fsync: an I/O failure to the caller.
            Error::Poisoned { .. } | Error::Io { .. } => ErrorKind::Io,
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_kind_and_every_kind_its_own_name() {
        let io = || io::Error::from(io::ErrorKind::Other);
        let cases = [
            (
                Error::OutOfRange {
                    offset: 1,
                    lowest: 0,
                    next: 1,
                },
                ErrorKind::OutOfRange,
            ),
            (
                Error::Hole {
                    offset: 1,
                    segment: 0,
                    reason: String::new(),
                },
                ErrorKind::Hole,
            ),
            (
                Error::Corrupt {
                    segment: 0,
                    file: "store",
                    position: 0,
                    reason: String::new(),
                },
                ErrorKind::Corrupt,
            ),
            (Error::Closed, ErrorKind::Closed),
            (
                Error::Locked {
                    dir: PathBuf::new(),
                },
                ErrorKind::Locked,
            ),
            (
                Error::InvalidArgument(String::new()),
                ErrorKind::InvalidArgument,
            ),
            (
                Error::Poisoned {
                    reason: String::new(),
                },
                ErrorKind::Io,
            ),
            (Error::io("x", io()), ErrorKind::Io),
            (
                Error::CursorNotFound {
                    name: String::new(),
                },
                ErrorKind::NotFound,
            ),
            (
                Error::CorruptCursor {
                    name: String::new(),
                    reason: String::new(),
                },
                ErrorKind::Corrupt,
            ),
        ];
        for (e, kind) in cases {
            assert_eq!(e.kind(), kind, "{e}");
        }
        let names: std::collections::HashSet<_> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }
}
