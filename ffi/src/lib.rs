//! The C ABI of segmentlog: `libsegmentlog.so` / `libsegmentlog.a` and `include/segmentlog.h`.
//!
//! This crate only converts types and errors; every behaviour lives in the core crate
//! (`segmentlog`, renamed `segmentlog_core` here because this library is itself called
//! `segmentlog`, after the C library file). The header is generated from these sources by
//! `build.rs` (cbindgen) and committed; `make test-ffi` fails if they drift apart.
//!
//! Rules every export keeps (see `docs/API.md` and the header):
//! - the body runs inside `catch_unwind`: a panic becomes `SEGMENTLOG_STATUS_PANIC`, never an
//!   unwind into C;
//! - every pointer is checked (`SEGMENTLOG_STATUS_NULL_ARGUMENT`);
//! - out-parameters are written only on success (the one documented exception is the size
//!   reported with `SEGMENTLOG_STATUS_BUFFER_TOO_SMALL`);
//! - a failure stores a message for `segmentlog_last_error_message` (per thread).
//!
//! The C names (`segmentlog_status`, `segmentlog_log`, ...) are used on the Rust side too, so
//! what one reads here is what C sees.
//!
//! The modules refer to each other with `super::`, not `crate::`, because the benchmark
//! compiles this file as a module of its own crate (there is no rlib; see Cargo.toml).
#![allow(non_camel_case_types)]

mod cursor;
mod guard;
mod last_error;
mod log;
mod options;
mod reader;
mod report;
mod status;

pub use cursor::{
    SEGMENTLOG_CURSOR_START_LOWEST, SEGMENTLOG_CURSOR_START_NEXT, SEGMENTLOG_CURSOR_START_OFFSET,
    SEGMENTLOG_CURSOR_START_TIME, segmentlog_cursor, segmentlog_cursor_commit,
    segmentlog_cursor_delete, segmentlog_cursor_free, segmentlog_cursor_list,
    segmentlog_cursor_open, segmentlog_cursor_open_existing, segmentlog_cursor_position,
    segmentlog_cursor_reader, segmentlog_cursor_start, segmentlog_cursor_state,
};
pub use last_error::segmentlog_last_error_message;
pub use log::{
    segmentlog_append, segmentlog_append_batch, segmentlog_close, segmentlog_log,
    segmentlog_lowest_offset, segmentlog_next_offset, segmentlog_offset_at_time, segmentlog_open,
    segmentlog_open_with_compression, segmentlog_read, segmentlog_read_many, segmentlog_sync,
    segmentlog_truncate_back, segmentlog_truncate_front,
};
pub use options::{
    SEGMENTLOG_COMPRESSION_LZ4, SEGMENTLOG_COMPRESSION_NONE, SEGMENTLOG_COMPRESSION_ZSTD,
    SEGMENTLOG_RECOVERY_STRICT, SEGMENTLOG_RECOVERY_TRUNCATE_TAIL, SEGMENTLOG_SYNC_ALWAYS,
    SEGMENTLOG_SYNC_INTERVAL, SEGMENTLOG_SYNC_NEVER, segmentlog_compression, segmentlog_options,
    segmentlog_options_default, segmentlog_recovery_mode, segmentlog_sync_mode,
};
pub use reader::{
    SEGMENTLOG_NO_WAIT, SEGMENTLOG_WAIT_FOREVER, segmentlog_reader, segmentlog_reader_free,
    segmentlog_reader_next, segmentlog_reader_open, segmentlog_reader_position,
    segmentlog_reader_set_skip_holes, segmentlog_record,
};
pub use report::{
    SEGMENTLOG_RECOVERY_EVENT_HEADER_REWRITTEN, SEGMENTLOG_RECOVERY_EVENT_HOLE,
    SEGMENTLOG_RECOVERY_EVENT_INDEX_REBUILT, SEGMENTLOG_RECOVERY_EVENT_OBSOLETE_REMOVED,
    SEGMENTLOG_RECOVERY_EVENT_SEGMENT_QUARANTINED, SEGMENTLOG_RECOVERY_EVENT_TORN_TAIL,
    SEGMENTLOG_RECOVERY_EVENT_UNKNOWN, segmentlog_get_recovery_report, segmentlog_recovery_event,
    segmentlog_recovery_event_kind, segmentlog_recovery_report, segmentlog_recovery_report_event,
    segmentlog_recovery_report_free, segmentlog_recovery_report_summary,
    segmentlog_recovery_report_text, segmentlog_recovery_summary, segmentlog_repair,
};
pub use status::{segmentlog_status, segmentlog_status_str};

// What the header promises about threads, checked by the compiler: a `segmentlog_log *` may be
// shared by threads (core's `Log` is Send + Sync) and a reader may move between threads.
const _: () = {
    const fn shared_by_threads<T: Send + Sync>() {}
    const fn moves_between_threads<T: Send>() {}
    shared_by_threads::<segmentlog_log>();
    moves_between_threads::<segmentlog_reader>();
    shared_by_threads::<segmentlog_recovery_report>();
    shared_by_threads::<segmentlog_cursor>();
};
