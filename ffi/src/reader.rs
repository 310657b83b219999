//! `segmentlog_reader`: ordered iteration and tailing.

use std::sync::Arc;
use std::time::Duration;

use segmentlog_core::{CommitTally, Cursor, Iter, Record};

use super::guard::{Failure, guard, guard_or, require};
use super::log::segmentlog_log;
use super::status::segmentlog_status;

/// `segmentlog_reader_next` timeout: return at once when no record is there yet.
pub const SEGMENTLOG_NO_WAIT: i64 = 0;
/// `segmentlog_reader_next` timeout: wait until a record is appended (or the log is closed).
// Written into the header by cbindgen.toml (`after_includes`) as `(-1)`: cbindgen would drop
// the parentheses a negative macro needs in expressions like `x - SEGMENTLOG_WAIT_FOREVER`.
pub const SEGMENTLOG_WAIT_FOREVER: i64 = -1;

/// A reader: walks records in offset order from a starting offset, up to the end of the log
/// and then, if asked to wait, on as records are appended (tailing). Opaque.
///
/// Ownership: created by `segmentlog_reader_open`, released by `segmentlog_reader_free`. It
/// keeps what it reads valid on its own: it may outlive `segmentlog_close` of its log (its
/// `segmentlog_reader_next` then returns `SEGMENTLOG_STATUS_CLOSED`), but must still be freed.
/// Thread-safety: use a reader from one thread at a time (it may move between threads);
/// several readers on one log may be used by several threads at once.
#[derive(Debug)]
pub struct segmentlog_reader {
    /// Always `Some` between calls: taken out only for the moment
    /// `segmentlog_reader_set_skip_holes` hands it to core's `Iter::skip_holes`.
    iter: Option<Iter>,
    /// The record last returned; `segmentlog_record::data` points into it.
    current: Option<Record>,
    /// For a reader from `segmentlog_cursor_auto_reader`: the cursor it commits and when.
    auto: Option<(Arc<Cursor>, CommitTally)>,
}

impl segmentlog_reader {
    /// A new reader over `iter`, owned by the caller (freed by `segmentlog_reader_free`).
    pub(crate) fn boxed(iter: Iter) -> *mut segmentlog_reader {
        Box::into_raw(Box::new(segmentlog_reader {
            iter: Some(iter),
            current: None,
            auto: None,
        }))
    }

    /// A reader over `iter` that commits through `cursor` as `tally` says.
    pub(crate) fn boxed_auto(
        iter: Iter,
        cursor: Arc<Cursor>,
        tally: CommitTally,
    ) -> *mut segmentlog_reader {
        Box::into_raw(Box::new(segmentlog_reader {
            iter: Some(iter),
            current: None,
            auto: Some((cursor, tally)),
        }))
    }

    /// The core iterator (missing only if a panic interrupted `segmentlog_reader_set_skip_holes`).
    fn iter(&mut self) -> Result<&mut Iter, Failure> {
        self.iter.as_mut().ok_or_else(lost)
    }

    fn iter_ref(&self) -> Result<&Iter, Failure> {
        self.iter.as_ref().ok_or_else(lost)
    }
}

#[cold]
fn lost() -> Failure {
    Failure::new(
        segmentlog_status::Panic,
        "panic inside segmentlog (a bug, please report it): the reader lost its iterator",
    )
}

/// A record returned by `segmentlog_reader_next`: a view into the reader.
///
/// Ownership: `data` belongs to the reader and stays valid until the next
/// `segmentlog_reader_next` or `segmentlog_reader_free` on that reader; copy what you keep.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct segmentlog_record {
    /// The record's offset.
    pub offset: u64,
    /// When it was appended, in milliseconds since the Unix epoch (never decreasing along the
    /// log).
    pub timestamp: u64,
    /// The value's bytes (not NUL-terminated; do not dereference when `len` is 0).
    pub data: *const u8,
    /// The value's length in bytes.
    pub len: usize,
}

/// Opens a reader on `log` whose first record will be the one at offset `from`.
///
/// An offset below the log's lowest or beyond its next offset is reported by the first
/// `segmentlog_reader_next` (OUT_OF_RANGE); `from` equal to the next offset is how to tail only
/// new records.
/// - `reader_out` (required): receives the reader on success; untouched on failure.
///
/// Ownership: the caller owns the reader and frees it with `segmentlog_reader_free`.
/// Thread-safety: safe (the log handle may be shared).
///
/// # Safety
/// `log` must be NULL or an open handle; `reader_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_reader_open(
    log: *mut segmentlog_log,
    from: u64,
    reader_out: *mut *mut segmentlog_reader,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!reader_out.is_null(), "reader_out")?;
        // SAFETY: log is non-NULL and open (caller's contract).
        let iter = unsafe { &(*log).log }.iter(from);
        // SAFETY: reader_out is non-NULL and writable (caller's contract).
        unsafe { *reader_out = segmentlog_reader::boxed(iter) };
        Ok(())
    })
}

/// Moves to the next record.
///
/// - `timeout_ms`: `SEGMENTLOG_NO_WAIT` (0) returns at once at the end of the log; a positive
///   value waits up to that many milliseconds for a record to be appended;
///   `SEGMENTLOG_WAIT_FOREVER` (-1) waits until one is. Other negative values: INVALID_ARGUMENT.
/// - `record_out` (required): receives the record when there is one.
/// - `has_record_out` (required): on `SEGMENTLOG_STATUS_OK`, true if `*record_out` was written,
///   false if the end of the log was reached within the timeout (`*record_out` untouched; call
///   again later: the reader stays at the same position).
///
/// Fails with CLOSED once the log is closed, OUT_OF_RANGE if the reader's position is below the
/// log's lowest offset (truncation, retention) or was beyond its end, HOLE for a damaged record
/// (the reader has then moved past it: the next call goes on after it; offsets missing between
/// two segments are one HOLE, at the first of them), CORRUPT for other damage.
/// A previous record view is invalid after this call, whatever it returns.
/// Ownership: the record's bytes belong to the reader (see `segmentlog_record`).
/// Thread-safety: one call at a time per reader.
///
/// # Safety
/// `reader` must be NULL or a reader not yet freed; `record_out` and `has_record_out` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_reader_next(
    reader: *mut segmentlog_reader,
    timeout_ms: i64,
    record_out: *mut segmentlog_record,
    has_record_out: *mut bool,
) -> segmentlog_status {
    guard(|| {
        require(!reader.is_null(), "reader")?;
        require(!record_out.is_null(), "record_out")?;
        require(!has_record_out.is_null(), "has_record_out")?;
        let timeout = match timeout_ms {
            SEGMENTLOG_WAIT_FOREVER => None,
            ms if ms >= 0 => Some(Duration::from_millis(ms.unsigned_abs())),
            ms => {
                return Err(Failure::new(
                    segmentlog_status::InvalidArgument,
                    format!(
                        "invalid argument: timeout_ms must be >= 0 or SEGMENTLOG_WAIT_FOREVER \
                         (got {ms})"
                    ),
                ));
            }
        };
        // SAFETY: reader is non-NULL, not freed, and used by one thread at a time (contract).
        let reader = unsafe { &mut *reader };
        // Drop the previous record first: its view is documented as invalid now.
        reader.current = None;
        if let Some((cursor, tally)) = &mut reader.auto {
            tally.before_next(cursor)?;
        }
        // next_timeout also for NO_WAIT (a zero timeout returns at once): unlike the Iterator,
        // it reports a persistent error (closed, truncated away) again on every call instead of
        // ending, so C never mistakes a failed reader for one at the end of the log.
        let record = reader.iter()?.next_timeout(timeout)?.map(|record| {
            let view = segmentlog_record {
                offset: record.offset,
                timestamp: record.timestamp,
                data: record.value.as_ptr(),
                len: record.value.len(),
            };
            if let Some((_, tally)) = &mut reader.auto {
                tally.handed_out(record.offset);
            }
            // The Vec's heap buffer does not move when the Record moves into `current`.
            reader.current = Some(record);
            view
        });
        // SAFETY: both out-pointers are non-NULL and writable (caller's contract).
        unsafe {
            if let Some(view) = record {
                *record_out = view;
            }
            *has_record_out = record.is_some();
        }
        Ok(())
    })
}

/// Writes to `*offset_out` the offset of the record the reader returns next.
/// `offset_out` is required and untouched on failure. Ownership: nothing is kept.
/// Thread-safety: as `segmentlog_reader_next`.
///
/// # Safety
/// `reader` must be NULL or a reader not yet freed; `offset_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_reader_position(
    reader: *const segmentlog_reader,
    offset_out: *mut u64,
) -> segmentlog_status {
    guard(|| {
        require(!reader.is_null(), "reader")?;
        require(!offset_out.is_null(), "offset_out")?;
        // SAFETY: reader is non-NULL and not freed (caller's contract).
        let position = unsafe { &*reader }.iter_ref()?.position();
        // SAFETY: offset_out is non-NULL and writable (caller's contract).
        unsafe { *offset_out = position };
        Ok(())
    })
}

/// Sets whether the reader passes over holes (damaged records, see `SEGMENTLOG_STATUS_HOLE`)
/// silently: with `skip` true, `segmentlog_reader_next` never returns HOLE and goes on to the
/// next readable record; with `skip` false (the default) it returns HOLE once for each hole.
/// Takes effect from the next `segmentlog_reader_next`; the position does not change.
/// Ownership: nothing is transferred; a record view the reader holds stays valid.
/// Thread-safety: as `segmentlog_reader_next`.
///
/// # Safety
/// `reader` must be NULL or a reader not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_reader_set_skip_holes(
    reader: *mut segmentlog_reader,
    skip: bool,
) -> segmentlog_status {
    guard(|| {
        require(!reader.is_null(), "reader")?;
        // SAFETY: reader is non-NULL, not freed, and used by one thread at a time (contract).
        let reader = unsafe { &mut *reader };
        if let Some(iter) = reader.iter.take() {
            reader.iter = Some(iter.skip_holes(skip));
        }
        reader.iter()?;
        Ok(())
    })
}

/// Commits, for a reader from `segmentlog_cursor_auto_reader`, the position after every
/// record it returned (all of them processed), durably; nothing to do if that is committed
/// already. INVALID_ARGUMENT for any other reader. Ownership: nothing is transferred; a record
/// view the reader holds stays valid. Thread-safety: as `segmentlog_reader_next`.
///
/// # Safety
/// `reader` must be NULL or a reader not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_reader_commit(
    reader: *mut segmentlog_reader,
) -> segmentlog_status {
    guard(|| {
        require(!reader.is_null(), "reader")?;
        // SAFETY: reader is non-NULL, not freed, and used by one thread at a time (contract).
        let reader = unsafe { &mut *reader };
        let Some((cursor, tally)) = &mut reader.auto else {
            return Err(Failure::new(
                segmentlog_status::InvalidArgument,
                "invalid argument: segmentlog_reader_commit needs a reader from \
                 segmentlog_cursor_auto_reader"
                    .to_string(),
            ));
        };
        tally.commit(cursor)?;
        Ok(())
    })
}

/// Frees a reader and the record view it holds. NULL is a no-op.
/// Ownership: takes the reader back; the pointer is invalid afterwards. May be called before
/// or after `segmentlog_close` of its log. Thread-safety: no other call on this reader may run.
///
/// # Safety
/// `reader` must be NULL or a reader from `segmentlog_reader_open` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_reader_free(reader: *mut segmentlog_reader) {
    if reader.is_null() {
        return;
    }
    guard_or((), || {
        // SAFETY: reader came from Box::into_raw in segmentlog_reader_open and is freed only
        // here (caller's contract).
        drop(unsafe { Box::from_raw(reader) });
    });
}
