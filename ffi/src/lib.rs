//! The C ABI of commitlog: `libcommitlog.so` / `libcommitlog.a` and `include/commitlog.h`.
//!
//! This crate only converts types and errors; every behaviour lives in the core crate
//! (`commitlog`, renamed `commitlog_core` here because this library is itself called
//! `commitlog`, after the C library file). The header is generated from these sources by
//! `build.rs` (cbindgen) and committed; `make test-ffi` fails if they drift apart.
//!
//! Rules every export keeps (see `docs/API.md` and the header):
//! - the body runs inside `catch_unwind`: a panic becomes `COMMITLOG_STATUS_PANIC`, never an
//!   unwind into C;
//! - every pointer is checked (`COMMITLOG_STATUS_NULL_ARGUMENT`);
//! - out-parameters are written only on success (the one documented exception is the size
//!   reported with `COMMITLOG_STATUS_BUFFER_TOO_SMALL`);
//! - a failure stores a message for `commitlog_last_error_message` (per thread).
//!
//! The C names (`commitlog_status`, `commitlog_log`, ...) are used on the Rust side too, so
//! what one reads here is what C sees.
//!
//! The modules refer to each other with `super::`, not `crate::`, because the benchmark
//! compiles this file as a module of its own crate (there is no rlib; see Cargo.toml).
#![allow(non_camel_case_types)]

mod guard;
mod last_error;
mod log;
mod options;
mod reader;
mod report;
mod status;

pub use last_error::commitlog_last_error_message;
pub use log::{
    commitlog_append, commitlog_append_batch, commitlog_close, commitlog_log,
    commitlog_lowest_offset, commitlog_next_offset, commitlog_offset_at_time, commitlog_open,
    commitlog_read, commitlog_read_many, commitlog_sync, commitlog_truncate_back,
    commitlog_truncate_front,
};
pub use options::{
    COMMITLOG_RECOVERY_STRICT, COMMITLOG_RECOVERY_TRUNCATE_TAIL, COMMITLOG_SYNC_ALWAYS,
    COMMITLOG_SYNC_INTERVAL, COMMITLOG_SYNC_NEVER, commitlog_options, commitlog_options_default,
    commitlog_recovery_mode, commitlog_sync_mode,
};
pub use reader::{
    COMMITLOG_NO_WAIT, COMMITLOG_WAIT_FOREVER, commitlog_reader, commitlog_reader_free,
    commitlog_reader_next, commitlog_reader_open, commitlog_reader_position,
    commitlog_reader_set_skip_holes, commitlog_record,
};
pub use report::{
    COMMITLOG_RECOVERY_EVENT_HEADER_REWRITTEN, COMMITLOG_RECOVERY_EVENT_HOLE,
    COMMITLOG_RECOVERY_EVENT_INDEX_REBUILT, COMMITLOG_RECOVERY_EVENT_OBSOLETE_REMOVED,
    COMMITLOG_RECOVERY_EVENT_SEGMENT_QUARANTINED, COMMITLOG_RECOVERY_EVENT_TORN_TAIL,
    COMMITLOG_RECOVERY_EVENT_UNKNOWN, commitlog_get_recovery_report, commitlog_recovery_event,
    commitlog_recovery_event_kind, commitlog_recovery_report, commitlog_recovery_report_event,
    commitlog_recovery_report_free, commitlog_recovery_report_summary,
    commitlog_recovery_report_text, commitlog_recovery_summary, commitlog_repair,
};
pub use status::{commitlog_status, commitlog_status_str};

// What the header promises about threads, checked by the compiler: a `commitlog_log *` may be
// shared by threads (core's `Log` is Send + Sync) and a reader may move between threads.
const _: () = {
    const fn shared_by_threads<T: Send + Sync>() {}
    const fn moves_between_threads<T: Send>() {}
    shared_by_threads::<commitlog_log>();
    moves_between_threads::<commitlog_reader>();
    shared_by_threads::<commitlog_recovery_report>();
};
