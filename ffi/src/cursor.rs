//! `segmentlog_cursor`: named durable cursors (a consumer's committed position).

use std::ffi::{CStr, c_char};
use std::sync::Arc;

use segmentlog_core::{CommitTally, Cursor, CursorStart};

use super::guard::{Failure, guard, guard_or, require};
use super::log::segmentlog_log;
use super::reader::segmentlog_reader;
use super::status::segmentlog_status;

/// Where a new cursor starts: one of the `SEGMENTLOG_CURSOR_START_*` values (`uint32_t`, so an
/// unknown value can be refused with INVALID_ARGUMENT).
pub type segmentlog_cursor_start = u32;
/// At the lowest offset the log holds (`start_value` is ignored).
pub const SEGMENTLOG_CURSOR_START_LOWEST: segmentlog_cursor_start = 0;
/// At the next offset: only records appended from now on (`start_value` is ignored).
pub const SEGMENTLOG_CURSOR_START_NEXT: segmentlog_cursor_start = 1;
/// At the offset `start_value` (at most the next offset, else OUT_OF_RANGE).
pub const SEGMENTLOG_CURSOR_START_OFFSET: segmentlog_cursor_start = 2;
/// At the first record appended at or after `start_value` ms since the Unix epoch.
pub const SEGMENTLOG_CURSOR_START_TIME: segmentlog_cursor_start = 3;

/// A named durable cursor of a log. Opaque.
///
/// Ownership: created by `segmentlog_cursor_open` or `segmentlog_cursor_open_existing`,
/// released by `segmentlog_cursor_free`. It may outlive `segmentlog_close` of its log (its
/// calls then return CLOSED), but must still be freed.
/// Thread-safety: safe from several threads at once; commits are serialised (also with other
/// handles and processes on the same cursor) and the last one wins.
#[derive(Debug)]
pub struct segmentlog_cursor {
    // Shared with the auto-commit readers made from it (`segmentlog_cursor_auto_reader`).
    cursor: Arc<Cursor>,
}

/// A cursor's committed position and where reading resumes, as `segmentlog_cursor_position`
/// writes it.
///
/// Ownership: a plain value written by the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct segmentlog_cursor_state {
    /// The committed position: the offset of the next record to process.
    pub committed: u64,
    /// Where reading resumes: `committed` raised to the lowest offset (records dropped by
    /// retention or truncation before the cursor reached them) or lowered to the next offset
    /// (a log cut back below it).
    pub resume: u64,
    /// Records dropped before the cursor processed them (`resume - committed`, or 0).
    pub skipped: u64,
    /// Records appended that the cursor has not reached (next offset - `resume`).
    pub lag: u64,
    /// Commits so far (creating the cursor is the first).
    pub commits: u64,
    /// When the position was committed, ms since the Unix epoch.
    pub committed_at_ms: u64,
}

/// The cursor name in the NUL-terminated string `name` (checked non-NULL first).
///
/// # Safety
/// `name` is non-NULL and NUL-terminated, and outlives `'a`.
unsafe fn c_name<'a>(name: *const c_char) -> Result<&'a str, Failure> {
    // SAFETY: non-NULL and NUL-terminated (the caller's contract).
    unsafe { CStr::from_ptr(name) }.to_str().map_err(|_| {
        Failure::new(
            segmentlog_status::InvalidArgument,
            "invalid argument: the cursor name is not UTF-8",
        )
    })
}

fn start_of(start: segmentlog_cursor_start, value: u64) -> Result<CursorStart, Failure> {
    Ok(match start {
        SEGMENTLOG_CURSOR_START_LOWEST => CursorStart::Lowest,
        SEGMENTLOG_CURSOR_START_NEXT => CursorStart::Next,
        SEGMENTLOG_CURSOR_START_OFFSET => CursorStart::Offset(value),
        SEGMENTLOG_CURSOR_START_TIME => CursorStart::Time(value),
        other => {
            return Err(Failure::new(
                segmentlog_status::InvalidArgument,
                format!("invalid argument: {other} is no SEGMENTLOG_CURSOR_START_* value"),
            ));
        }
    })
}

fn into_handle(cursor: Cursor) -> *mut segmentlog_cursor {
    Box::into_raw(Box::new(segmentlog_cursor {
        cursor: Arc::new(cursor),
    }))
}

/// Opens the cursor `name` of `log`, creating it at `start` (with `start_value`, see the
/// `SEGMENTLOG_CURSOR_START_*` values) if it does not exist; its file and directory entry are
/// synced before this returns. An existing cursor keeps its position and ignores `start`.
/// Works on a log opened `read_only`.
///
/// - `name` (required): NUL-terminated, 1 to 128 bytes of ASCII letters, digits, `-`, `_` and
///   `.`, not starting with `.` (else INVALID_ARGUMENT).
/// - `cursor_out` (required): receives the cursor on success; untouched on failure.
/// - `created_out` (optional, may be NULL): on success, true if this call created the cursor.
///
/// Fails with INVALID_ARGUMENT (bad name or start), OUT_OF_RANGE (an offset start past the
/// next offset), CORRUPT (both slots of the cursor's file damaged), CLOSED, IO.
/// Ownership: the caller owns the cursor and frees it with `segmentlog_cursor_free`; `name`
/// is read during the call only. Thread-safety: safe.
///
/// # Safety
/// `log` must be NULL or an open handle; `name` NULL or NUL-terminated; `cursor_out` and
/// `created_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_open(
    log: *mut segmentlog_log,
    name: *const c_char,
    start: segmentlog_cursor_start,
    start_value: u64,
    cursor_out: *mut *mut segmentlog_cursor,
    created_out: *mut bool,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!name.is_null(), "name")?;
        require(!cursor_out.is_null(), "cursor_out")?;
        // SAFETY: name is non-NULL and NUL-terminated (caller's contract).
        let name = unsafe { c_name(name) }?;
        let start = start_of(start, start_value)?;
        // SAFETY: log is non-NULL and open (caller's contract).
        let cursor = unsafe { &(*log).log }.cursor(name, start)?;
        let created = cursor.created();
        // SAFETY: cursor_out is non-NULL and writable, created_out NULL or writable
        // (caller's contract).
        unsafe {
            *cursor_out = into_handle(cursor);
            if !created_out.is_null() {
                *created_out = created;
            }
        }
        Ok(())
    })
}

/// Opens the existing cursor `name` of `log`: NOT_FOUND if there is none.
///
/// - `name` (required): as for `segmentlog_cursor_open`.
/// - `cursor_out` (required): receives the cursor on success; untouched on failure.
///
/// Ownership: the caller owns the cursor and frees it with `segmentlog_cursor_free`.
/// Thread-safety: safe.
///
/// # Safety
/// `log` must be NULL or an open handle; `name` NULL or NUL-terminated; `cursor_out` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_open_existing(
    log: *mut segmentlog_log,
    name: *const c_char,
    cursor_out: *mut *mut segmentlog_cursor,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!name.is_null(), "name")?;
        require(!cursor_out.is_null(), "cursor_out")?;
        // SAFETY: name is non-NULL and NUL-terminated (caller's contract).
        let name = unsafe { c_name(name) }?;
        // SAFETY: log is non-NULL and open (caller's contract).
        let cursor = unsafe { &(*log).log }.open_cursor(name)?;
        // SAFETY: cursor_out is non-NULL and writable (caller's contract).
        unsafe { *cursor_out = into_handle(cursor) };
        Ok(())
    })
}

/// Writes the cursor's committed position (read from its file: commits by other processes
/// show) and where reading resumes to `*state_out` (required; untouched on failure).
///
/// Fails with NOT_FOUND if the cursor was deleted, CORRUPT, CLOSED, IO.
/// Ownership: nothing is kept. Thread-safety: safe.
///
/// # Safety
/// `cursor` must be NULL or a cursor not yet freed; `state_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_position(
    cursor: *const segmentlog_cursor,
    state_out: *mut segmentlog_cursor_state,
) -> segmentlog_status {
    guard(|| {
        require(!cursor.is_null(), "cursor")?;
        require(!state_out.is_null(), "state_out")?;
        // SAFETY: cursor is non-NULL and not freed (caller's contract).
        let p = unsafe { &(*cursor).cursor }.position()?;
        // SAFETY: state_out is non-NULL and writable (caller's contract).
        unsafe {
            *state_out = segmentlog_cursor_state {
                committed: p.committed,
                resume: p.resume,
                skipped: p.skipped,
                lag: p.lag,
                commits: p.commits,
                committed_at_ms: p.committed_at_ms,
            }
        };
        Ok(())
    })
}

/// Commits `position` (the offset of the next record to process, at most the next offset)
/// durably: when this returns OK it survives a crash and a power cut, and a crash during it
/// leaves the previous or the new position. Costs one `fdatasync`. A position may go back.
///
/// Fails with OUT_OF_RANGE (past the next offset), NOT_FOUND (the cursor was deleted),
/// CORRUPT, CLOSED, IO.
/// Ownership: nothing is kept. Thread-safety: safe; the last commit wins.
///
/// # Safety
/// `cursor` must be NULL or a cursor not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_commit(
    cursor: *const segmentlog_cursor,
    position: u64,
) -> segmentlog_status {
    guard(|| {
        require(!cursor.is_null(), "cursor")?;
        // SAFETY: cursor is non-NULL and not freed (caller's contract).
        unsafe { &(*cursor).cursor }.commit(position)?;
        Ok(())
    })
}

/// Opens a reader at the cursor's resume position (see `segmentlog_cursor_position`); read and
/// tail with `segmentlog_reader_next`. Reading commits nothing: call
/// `segmentlog_cursor_commit` with the offset after the last record processed.
///
/// - `reader_out` (required): receives the reader on success; untouched on failure.
///
/// Ownership: the caller owns the reader and frees it with `segmentlog_reader_free`; it does
/// not depend on the cursor (either may be freed first). Thread-safety: safe.
///
/// # Safety
/// `cursor` must be NULL or a cursor not yet freed; `reader_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_reader(
    cursor: *const segmentlog_cursor,
    reader_out: *mut *mut segmentlog_reader,
) -> segmentlog_status {
    guard(|| {
        require(!cursor.is_null(), "cursor")?;
        require(!reader_out.is_null(), "reader_out")?;
        // SAFETY: cursor is non-NULL and not freed (caller's contract).
        let iter = unsafe { &(*cursor).cursor }.iter()?;
        // SAFETY: reader_out is non-NULL and writable (caller's contract).
        unsafe { *reader_out = segmentlog_reader::boxed(iter) };
        Ok(())
    })
}

/// Opens a reader at the cursor's resume position that commits as it goes (the simple
/// consumer): each `segmentlog_reader_next` first counts the record it returned before as
/// processed, and every `every` processed records their position is committed (durably, one
/// fdatasync, within that `segmentlog_reader_next`; if the commit fails, that call returns its
/// error and the next one commits again). At least once: after a crash up to `every` records
/// come again. Freeing the reader commits nothing (the last record returned may not have been
/// processed): call `segmentlog_reader_commit` when done.
///
/// - `every` (>= 1, else INVALID_ARGUMENT): processed records per commit.
/// - `reader_out` (required): receives the reader on success; untouched on failure.
///
/// Ownership: the caller owns the reader and frees it with `segmentlog_reader_free`; it keeps
/// what it needs of the cursor (either may be freed first). Thread-safety: safe.
///
/// # Safety
/// `cursor` must be NULL or a cursor not yet freed; `reader_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_auto_reader(
    cursor: *const segmentlog_cursor,
    every: u64,
    reader_out: *mut *mut segmentlog_reader,
) -> segmentlog_status {
    guard(|| {
        require(!cursor.is_null(), "cursor")?;
        require(!reader_out.is_null(), "reader_out")?;
        // SAFETY: cursor is non-NULL and not freed (caller's contract).
        let cursor = unsafe { &(*cursor).cursor };
        let tally = CommitTally::new(every)?;
        let iter = cursor.iter()?;
        // SAFETY: reader_out is non-NULL and writable (caller's contract).
        unsafe { *reader_out = segmentlog_reader::boxed_auto(iter, cursor.clone(), tally) };
        Ok(())
    })
}

/// Frees a cursor handle (the cursor itself stays in the log: see `segmentlog_cursor_delete`).
/// NULL is a no-op. Ownership: takes the cursor back; the pointer is invalid afterwards.
/// Thread-safety: no other call on this cursor may run.
///
/// # Safety
/// `cursor` must be NULL or a cursor from `segmentlog_cursor_open*` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_free(cursor: *mut segmentlog_cursor) {
    if cursor.is_null() {
        return;
    }
    guard_or((), || {
        // SAFETY: cursor came from Box::into_raw in into_handle and is freed only here
        // (caller's contract).
        drop(unsafe { Box::from_raw(cursor) });
    });
}

/// Deletes the cursor `name` of `log` (after any commit under way; durable when this
/// returns): NOT_FOUND if there is none. Handles still open on it get NOT_FOUND from then on.
///
/// Ownership: `name` is read during the call only. Thread-safety: safe.
///
/// # Safety
/// `log` must be NULL or an open handle; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_delete(
    log: *mut segmentlog_log,
    name: *const c_char,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!name.is_null(), "name")?;
        // SAFETY: name is non-NULL and NUL-terminated (caller's contract).
        let name = unsafe { c_name(name) }?;
        // SAFETY: log is non-NULL and open (caller's contract).
        unsafe { &(*log).log }.delete_cursor(name)?;
        Ok(())
    })
}

/// Lists the names of the log's cursors, sorted, into `buf`: each name followed by a NUL,
/// back to back; `*len_out` receives the bytes written (0: no cursor).
///
/// The BUFFER_TOO_SMALL protocol, as for `segmentlog_read`: if the names need more than
/// `buf_len` bytes, nothing is copied, `*len_out` receives the bytes needed and the call
/// returns BUFFER_TOO_SMALL. Pass `buf` NULL and `buf_len` 0 to ask for the size.
/// - `len_out` (required).
///
/// Ownership: the caller owns `buf`. Thread-safety: safe.
///
/// # Safety
/// `log` must be NULL or an open handle; `buf` NULL or `buf_len` writable bytes; `len_out`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_cursor_list(
    log: *mut segmentlog_log,
    buf: *mut c_char,
    buf_len: usize,
    len_out: *mut usize,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!buf.is_null() || buf_len == 0, "buf (with buf_len > 0)")?;
        require(!len_out.is_null(), "len_out")?;
        // SAFETY: log is non-NULL and open (caller's contract).
        let names = unsafe { &(*log).log }.cursor_names()?;
        let mut bytes = Vec::new();
        for name in &names {
            bytes.extend_from_slice(name.as_bytes());
            bytes.push(0);
        }
        // SAFETY: len_out is non-NULL and writable (caller's contract).
        unsafe { *len_out = bytes.len() };
        if bytes.len() > buf_len {
            return Err(Failure::new(
                segmentlog_status::BufferTooSmall,
                format!(
                    "buffer too small: the cursor names need {} bytes, the buffer has {buf_len}",
                    bytes.len()
                ),
            ));
        }
        if !bytes.is_empty() {
            // SAFETY: buf holds buf_len >= bytes.len() writable bytes (caller's contract) and
            // does not overlap our Vec.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len()) };
        }
        Ok(())
    })
}
