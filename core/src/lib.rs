//! # segmentlog
//!
//! A fast, crash-safe, segmented append-only log (a commit log / write-ahead log).
//!
//! A [`Log`] is a directory of segments; each segment is a store file (records, appended only)
//! and a memory-mapped index file (offset → position in the store). The newest segment is the
//! active one; when it is full the log rolls to a new one. See `docs/FORMAT.md` for the bytes
//! on disk.
//!
//! ```
//! use segmentlog::{Log, Options};
//! # let dir = tempfile::tempdir().unwrap();
//! let log = Log::open(dir.path(), Options::default())?;
//! let first = log.append(b"hello")?;
//! let range = log.append_batch(&[b"a".as_slice(), b"b"])?;
//! assert_eq!(range, first + 1..first + 3);
//! assert_eq!(log.read(first)?.value, b"hello");
//! let values: Vec<Vec<u8>> = log.iter(first).map(|r| r.map(|r| r.value)).collect::<Result<_, _>>()?;
//! assert_eq!(values, [b"hello".to_vec(), b"a".to_vec(), b"b".to_vec()]);
//! log.close()?;
//! # Ok::<(), segmentlog::Error>(())
//! ```

mod crc;
mod cursor;
pub mod error;
#[cfg(feature = "fault-injection")]
pub mod fault;
#[cfg(not(feature = "fault-injection"))]
mod fault;
// The bytes on disk are not API: what a user needs of them has a name below
// ([`FORMAT_VERSION`], [`MAX_OFFSET`], [`files`]). The project's own tests and tools that corrupt
// files byte by byte see the module with the `internals` feature, which promises nothing.
pub mod files;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod format;
#[cfg(not(feature = "internals"))]
mod format;
mod frame;
mod index;
mod lock;
mod log;
mod map_rules;
pub mod options;
mod platform;
mod prefetch;
pub mod quarantine;
mod record;
mod recovery;
mod report;
mod segment;
mod store;
pub mod verify;

pub use cursor::{
    AutoCommit, CommitTally, Cursor, CursorPosition, CursorStart,
    MAX_NAME_LEN as MAX_CURSOR_NAME_LEN,
};
pub use error::{Error, ErrorKind, Result};
pub use format::{FORMAT_VERSION, MAX_OFFSET};
pub use log::{Compacted, Copied, Iter, Log, SegmentInfo, WaitCanceller};
pub use options::{
    Compression, NameStyle, OptionError, OptionValue, Options, RecoveryMode, SyncPolicy, WritePath,
    option_names,
};
pub use record::{Record, RecordRef};
pub use report::{RecoveryEvent, RecoveryEventKind, RecoveryReport};
pub use verify::{Problem, VerifyReport, verify};

/// The Rust examples of README.md, compiled and run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
