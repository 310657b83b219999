//! Node.js bindings for segmentlog, built with napi-rs.
//!
//! This crate only converts between JavaScript and Rust: every behaviour lives in the
//! `segmentlog` core crate. The public surface is the `Log` class (`log.rs`), its Promise
//! forms (`tasks.rs`) and the cursor behind `log.iter()` (`cursor.rs`; the JS async iterator
//! around it lives in `iter.js`). `fast.rs` holds the entry points `index.js` routes `append`,
//! `appendBatch` and `read` through. Argument checking is in `convert.rs`, error mapping in
//! `errors.rs`.
//!
//! Every exported function carries `#[napi(catch_unwind)]`, and work done on libuv's thread
//! pool is wrapped in [`errors::guard`], so a panic becomes a JavaScript exception instead of
//! taking the process down.

mod bytes;
mod convert;
mod cursor;
mod errors;
pub mod fast;
mod log;
mod named_cursor;
mod options;
mod report;
mod tasks;

pub use cursor::{Cursor, RecordChunk};
pub use log::{BatchRange, Log, LogRecord};
pub use named_cursor::{CommitTally, CursorPosition, NamedCursor};
pub use options::{OpenOptions, RepairOptions};
pub use report::{RecoveryEvent, RecoveryReport};
