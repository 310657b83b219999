//! openraft log storage on a segmentlog [`segmentlog::Log`].
//!
//! [`LogStore`] implements openraft's (0.9, `storage-v2`) `RaftLogStorage` and `RaftLogReader`:
//! raft entries are records of the segmentlog (raft index = log offset, JSON-encoded), and the
//! vote, committed log id and last purged log id live in a small metadata file replaced
//! atomically. `append` writes entries at once (readable on return) and a helper thread syncs the
//! log once for every batch of pending appends before firing their flush callbacks, so writes
//! become durable in the order openraft issued them. See the crate's README for the details.
//!
//! With the cargo feature `openraft-010`, `v010::LogStore` is the same store for openraft 0.10
//! (`0.10.0-alpha.37`), whose leader pipelines appends.

// openraft's traits fix the error type (`StorageError`, ~185 bytes); the helpers return the same.
#![allow(clippy::result_large_err)]

mod error;
mod flusher;
mod meta;
mod raft;
mod shared;
mod stats;
mod store;

pub use error::OpenError;
pub use meta::META_FILE;
pub use stats::Stats;
pub use store::{COMMITTED_PERSIST_INTERVAL, LOG_DIR, LogStore};

#[cfg(feature = "openraft-010")]
pub mod v010;
