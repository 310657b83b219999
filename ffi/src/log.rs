//! `segmentlog_log`: the log handle and the calls on it.

use std::ffi::{CStr, c_char};
use std::sync::OnceLock;

use segmentlog_core::Log;

use super::guard::{Failure, c_path, guard, guard_or, require};
use super::options::{
    segmentlog_compression, segmentlog_options, segmentlog_setting, set_by_name, set_compression,
    to_core,
};
use super::report::segmentlog_recovery_report;
use super::status::segmentlog_status;

/// An open log (opaque). Created by `segmentlog_open`, released by `segmentlog_close`.
///
/// Thread-safety: a `segmentlog_log *` may be shared by any number of threads, which may call
/// every function on it at the same time (appends from several threads get distinct offsets),
/// except `segmentlog_close`: close it once, after every other thread is done with it. Using
/// the pointer after `segmentlog_close` is undefined behaviour, as with `fclose`.
#[derive(Debug)]
pub struct segmentlog_log {
    pub(crate) log: Log,
    /// The recovery report in its C form, made on first use (`segmentlog_get_recovery_report`)
    /// and lent until the handle is closed.
    report: OnceLock<segmentlog_recovery_report>,
}

impl segmentlog_log {
    /// The open's recovery report, converted once.
    pub(crate) fn report(&self) -> &segmentlog_recovery_report {
        self.report
            .get_or_init(|| segmentlog_recovery_report::new(self.log.recovery_report().clone()))
    }
}

/// Borrows the handle behind a checked non-NULL pointer.
///
/// # Safety
/// `log` must be non-NULL and point to a handle from `segmentlog_open` not yet closed.
unsafe fn handle<'a>(log: *mut segmentlog_log) -> &'a Log {
    // SAFETY: guaranteed by the caller (the C contract of every function taking a handle).
    unsafe { &(*log).log }
}

/// Opens (or creates) the log in directory `dir` and recovers what a crash left behind.
///
/// - `dir` (required): a NUL-terminated path: any bytes on Unix, UTF-8 on Windows (other
///   bytes there are `SEGMENTLOG_STATUS_INVALID_ARGUMENT`).
/// - `opts`: NULL for the defaults, else options read during the call only.
/// - `log_out` (required): receives the new handle on success; untouched on failure.
///
/// Fails with LOCKED if another writer holds the directory (another process, or a handle of
/// this process not yet closed), INVALID_ARGUMENT for bad options, CORRUPT (with
/// `SEGMENTLOG_RECOVERY_STRICT`) for damage, IO if the OS refuses. Damaged records that were
/// durable do not stop the open: they become holes (reads of them return HOLE) and
/// `segmentlog_get_recovery_report` says what recovery found and did.
/// Ownership: the caller owns the handle and must release it with `segmentlog_close`.
/// Thread-safety: safe from any thread.
///
/// # Safety
/// `dir` must be NULL or a NUL-terminated string; `opts` NULL or a valid `segmentlog_options`;
/// `log_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_open(
    dir: *const c_char,
    opts: *const segmentlog_options,
    log_out: *mut *mut segmentlog_log,
) -> segmentlog_status {
    guard(|| {
        require(!dir.is_null(), "dir")?;
        require(!log_out.is_null(), "log_out")?;
        // SAFETY: dir is non-NULL and NUL-terminated (caller's contract), and outlives the call.
        let dir = unsafe { c_path(dir) }?;
        // SAFETY: opts is NULL or points to a valid struct (caller's contract).
        let options = unsafe { options_of(opts) }?;
        // SAFETY: log_out is non-NULL and writable (caller's contract).
        unsafe { open_into(dir, options, log_out) }
    })
}

/// Core's options from `opts` (NULL: the defaults).
///
/// # Safety
/// `opts` must be NULL or point to a valid `segmentlog_options`.
unsafe fn options_of(opts: *const segmentlog_options) -> Result<segmentlog_core::Options, Failure> {
    if opts.is_null() {
        Ok(segmentlog_core::Options::default())
    } else {
        // SAFETY: opts is non-NULL and valid (this function's contract).
        to_core(unsafe { &*opts })
    }
}

/// A setting's string as UTF-8 (INVALID_ARGUMENT if it is not).
fn utf8<'a>(c: &'a CStr, what: &str) -> Result<&'a str, Failure> {
    c.to_str().map_err(|_| {
        Failure::new(
            segmentlog_status::InvalidArgument,
            format!("invalid argument: setting {what} is not UTF-8"),
        )
    })
}

/// Opens the log and writes its new handle to `*log_out` (only on success).
///
/// # Safety
/// `log_out` must be non-NULL and writable.
unsafe fn open_into(
    dir: &std::path::Path,
    options: segmentlog_core::Options,
    log_out: *mut *mut segmentlog_log,
) -> Result<(), Failure> {
    let log = Log::open(dir, options)?;
    let handle = Box::into_raw(Box::new(segmentlog_log {
        log,
        report: OnceLock::new(),
    }));
    // SAFETY: log_out is non-NULL and writable (this function's contract).
    unsafe { *log_out = handle };
    Ok(())
}

/// `segmentlog_open` with batches compressed: each `segmentlog_append_batch` is stored as one
/// frame of codec `compression` (a `SEGMENTLOG_COMPRESSION_*` value; `level` is the zstd level,
/// 1 ..= 22, or 0 for the default, 3; only zstd uses it). The codec is written in each new
/// segment's header, so any handle (`segmentlog_open`, a reader, another process) reads the log
/// without being told. A log whose active segment already holds records switches codec at its
/// next segment. Single appends are stored plain, and compressed once their segment is sealed
/// (in the background).
///
/// - `dir`, `opts`, `log_out`: as for `segmentlog_open`.
///
/// Fails as `segmentlog_open` does, and with INVALID_ARGUMENT for an unknown `compression` or a
/// `level` out of range. `log_out` is written only on success.
/// Ownership: the caller owns the handle and must release it with `segmentlog_close`.
/// Thread-safety: safe from any thread.
///
/// # Safety
/// As for `segmentlog_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_open_with_compression(
    dir: *const c_char,
    opts: *const segmentlog_options,
    compression: segmentlog_compression,
    level: i32,
    log_out: *mut *mut segmentlog_log,
) -> segmentlog_status {
    guard(|| {
        require(!dir.is_null(), "dir")?;
        require(!log_out.is_null(), "log_out")?;
        // SAFETY: dir is non-NULL and NUL-terminated (caller's contract), and outlives the call.
        let dir = unsafe { c_path(dir) }?;
        // SAFETY: opts is NULL or points to a valid struct (caller's contract).
        let mut options = unsafe { options_of(opts) }?;
        set_compression(&mut options, compression, level)?;
        // SAFETY: log_out is non-NULL and writable (caller's contract).
        unsafe { open_into(dir, options, log_out) }
    })
}

/// `segmentlog_open` with options set by name on top of `opts`: the options
/// `segmentlog_options` has no field for (`retention_cursor_cap_bytes`, `compression`,
/// `compression_level`, `compress_sealed`), or any other, by the names and with the values
/// of docs/API.md ("Options"), as Python and Node pass them. Later settings win over earlier
/// ones and over `opts`.
///
/// - `settings`: `settings_len` settings (NULL only if `settings_len` is 0); each `name` and
///   `value` non-NULL and NUL-terminated.
/// - `dir`, `opts`, `log_out`: as for `segmentlog_open`.
///
/// Fails as `segmentlog_open` does, with NULL_ARGUMENT for a NULL setting string, and with
/// INVALID_ARGUMENT for an unknown name or a value the option does not take (the message names
/// both). `log_out` is written only on success.
/// Ownership: the caller owns the handle and must release it with `segmentlog_close`; the
/// settings are read during the call only.
/// Thread-safety: safe from any thread.
///
/// # Safety
/// As for `segmentlog_open`; `settings` must be NULL or point to `settings_len` readable
/// `segmentlog_setting` values whose strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_open_with_settings(
    dir: *const c_char,
    opts: *const segmentlog_options,
    settings: *const segmentlog_setting,
    settings_len: usize,
    log_out: *mut *mut segmentlog_log,
) -> segmentlog_status {
    guard(|| {
        require(!dir.is_null(), "dir")?;
        require(!log_out.is_null(), "log_out")?;
        require(!settings.is_null() || settings_len == 0, "settings")?;
        // SAFETY: dir is non-NULL and NUL-terminated (caller's contract), and outlives the call.
        let dir = unsafe { c_path(dir) }?;
        // SAFETY: opts is NULL or points to a valid struct (caller's contract).
        let mut options = unsafe { options_of(opts) }?;
        let settings = if settings_len == 0 {
            &[][..]
        } else {
            // SAFETY: settings is non-NULL and points to settings_len values (caller's
            // contract), which outlive the call.
            unsafe { std::slice::from_raw_parts(settings, settings_len) }
        };
        for s in settings {
            require(!s.name.is_null(), "setting name")?;
            require(!s.value.is_null(), "setting value")?;
            // SAFETY: both are non-NULL and NUL-terminated (caller's contract).
            let (name, value) = unsafe { (CStr::from_ptr(s.name), CStr::from_ptr(s.value)) };
            set_by_name(&mut options, utf8(name, "name")?, utf8(value, "value")?)?;
        }
        // SAFETY: log_out is non-NULL and writable (caller's contract).
        unsafe { open_into(dir, options, log_out) }
    })
}

/// Closes the log and releases the handle: syncs, marks a clean shutdown, releases the
/// directory lock and frees everything the handle owns. NULL is a no-op.
///
/// Readers opened on the log stay valid (free them with `segmentlog_reader_free`), but
/// `segmentlog_reader_next` on them then returns `SEGMENTLOG_STATUS_CLOSED`.
/// If the final sync fails, the handle is released all the same and the failure's message is
/// the thread's last error; call `segmentlog_sync` first to learn whether data reached disk.
///
/// Ownership: takes the handle back; the pointer is invalid afterwards (using it, or closing
/// it again, is undefined, as with `fclose`). Thread-safety: no other thread may be using the
/// handle during or after this call.
///
/// # Safety
/// `log` must be NULL or a handle from `segmentlog_open` not yet closed, unused by others.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_close(log: *mut segmentlog_log) {
    if log.is_null() {
        return;
    }
    guard_or((), || {
        // SAFETY: log came from Box::into_raw in segmentlog_open and is released only here
        // (caller's contract); the Box frees the handle even if close() fails or panics.
        let handle = unsafe { Box::from_raw(log) };
        if let Err(err) = handle.log.close() {
            super::last_error::set(&Failure::from(err).message);
        }
    });
}

/// Appends one value (`len` bytes at `data`) and writes its offset to `*offset_out`.
///
/// - `data`: may be NULL only when `len` is 0 (an empty value).
/// - `offset_out` (required): untouched on failure.
///
/// Fails with INVALID_ARGUMENT if the value cannot fit in a segment, the log is read-only or
/// the next offset would pass INT64_MAX (nothing is written then), IO if the OS refuses (the
/// log then refuses writes until reopened).
/// Ownership: the bytes are copied; the caller keeps `data`. Thread-safety: safe; concurrent
/// appends on one handle are serialized and get distinct offsets.
///
/// # Safety
/// `log` must be an open handle; `data` must point to `len` readable bytes (or be NULL with
/// `len` 0); `offset_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_append(
    log: *mut segmentlog_log,
    data: *const u8,
    len: usize,
    offset_out: *mut u64,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!data.is_null() || len == 0, "data (with len > 0)")?;
        require(!offset_out.is_null(), "offset_out")?;
        // SAFETY: data points to len readable bytes, or len is 0 (caller's contract).
        let value = unsafe { slice(data, len) };
        // SAFETY: log is non-NULL and open (caller's contract).
        let offset = unsafe { handle(log) }.append(value)?;
        // SAFETY: offset_out is non-NULL and writable (caller's contract).
        unsafe { *offset_out = offset };
        Ok(())
    })
}

/// Appends `count` values at once (value `i` is `lens[i]` bytes at `values[i]`) with one write
/// and, under `SEGMENTLOG_SYNC_ALWAYS`, one sync; after a crash the batch is all there or not
/// at all. They get consecutive offsets; the first is written to `*first_offset_out`.
///
/// - `values`, `lens`: arrays of `count` entries; may be NULL only when `count` is 0.
///   `values[i]` may be NULL only when `lens[i]` is 0.
/// - `first_offset_out` (required): untouched on failure. With `count` 0 it receives the
///   offset the next append gets.
///
/// Fails with INVALID_ARGUMENT if the batch cannot fit in one segment or its offsets would
/// take the next offset past INT64_MAX (nothing is written then).
/// Ownership: the bytes are copied; the caller keeps the arrays. Thread-safety: as
/// `segmentlog_append` (a batch is never interleaved with other appends).
///
/// # Safety
/// `log` must be an open handle; the arrays must hold `count` readable entries and each
/// `values[i]` `lens[i]` readable bytes; `first_offset_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_append_batch(
    log: *mut segmentlog_log,
    values: *const *const u8,
    lens: *const usize,
    count: usize,
    first_offset_out: *mut u64,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!values.is_null() || count == 0, "values (with count > 0)")?;
        require(!lens.is_null() || count == 0, "lens (with count > 0)")?;
        require(!first_offset_out.is_null(), "first_offset_out")?;
        array_count::<*const u8>(count, "values")?;
        // SAFETY: both arrays hold count entries, or count is 0 (caller's contract).
        let (ptrs, lens) = unsafe { (slice(values, count), slice(lens, count)) };
        let mut batch = Vec::with_capacity(count);
        for (i, (&ptr, &len)) in ptrs.iter().zip(lens).enumerate() {
            require(
                !ptr.is_null() || len == 0,
                &format!("values[{i}] (with lens[{i}] > 0)"),
            )?;
            // SAFETY: values[i] points to lens[i] readable bytes (caller's contract).
            batch.push(unsafe { slice(ptr, len) });
        }
        // SAFETY: log is non-NULL and open (caller's contract).
        let range = unsafe { handle(log) }.append_batch(&batch)?;
        // SAFETY: first_offset_out is non-NULL and writable (caller's contract).
        unsafe { *first_offset_out = range.start };
        Ok(())
    })
}

/// Copies the value of the record at `offset` into `buf` and writes its length to `*len_out`.
///
/// The BUFFER_TOO_SMALL protocol: if the value is longer than `buf_len`, nothing is copied,
/// `*len_out` receives the length needed and the call returns
/// `SEGMENTLOG_STATUS_BUFFER_TOO_SMALL`; call again with a buffer that large. `buf` may be NULL
/// when `buf_len` is 0, to ask for the length.
///
/// Fails with OUT_OF_RANGE if `offset` is below `segmentlog_lowest_offset` or at/after
/// `segmentlog_next_offset`, HOLE if the record is damaged (its checksum does not match, or
/// recovery found it damaged; `*len_out` is untouched), CORRUPT if the index entry for it
/// cannot be right. For the timestamp too, or to walk records in order, use a `segmentlog_reader`.
/// Ownership: the caller owns `buf`. Thread-safety: safe, also beside appends.
///
/// # Safety
/// `log` must be an open handle; `buf` must be NULL or point to `buf_len` writable bytes;
/// `len_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_read(
    log: *mut segmentlog_log,
    offset: u64,
    buf: *mut u8,
    buf_len: usize,
    len_out: *mut usize,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!buf.is_null() || buf_len == 0, "buf (with buf_len > 0)")?;
        require(!len_out.is_null(), "len_out")?;
        // SAFETY: buf holds buf_len writable bytes, or buf_len is 0 (caller's contract); the
        // caller's buffer is no memory of the log's, and nothing else uses it during the call.
        let buf = unsafe { slice_mut(buf, buf_len) };
        // SAFETY: log is non-NULL and open (caller's contract).
        let copied = unsafe { handle(log) }.read_into(offset, buf)?;
        let (len, result) = match copied {
            Ok(copied) => (copied.len, Ok(())),
            Err(needed) => (
                needed,
                Err(Failure::new(
                    segmentlog_status::BufferTooSmall,
                    format!(
                        "buffer too small: the record at offset {offset} has {needed} bytes, \
                         the buffer {buf_len}"
                    ),
                )),
            ),
        };
        // SAFETY: len_out is non-NULL and writable (caller's contract).
        unsafe { *len_out = len };
        result
    })
}

/// Copies the values of the records at `offsets[0..count]`, in that order (an offset may
/// repeat), back to back into `buf`: a multi-get, faster than `segmentlog_read` in a loop for
/// random offsets (the index entries and records of a window of offsets are prefetched so their
/// memory misses overlap). On success `lens_out[i]` receives the length of value `i` (value `i`
/// starts in `buf` at the sum of the lengths before it) and `*total_out` the sum of all lengths.
///
/// - `offsets`, `lens_out`: arrays of `count` entries; may be NULL only when `count` is 0.
/// - `buf`: `buf_len` writable bytes; may be NULL only when `buf_len` is 0.
/// - `total_out` (required).
///
/// The BUFFER_TOO_SMALL protocol, as for `segmentlog_read`: if the values together are longer
/// than `buf_len`, the call returns `SEGMENTLOG_STATUS_BUFFER_TOO_SMALL`, `*total_out` receives
/// the bytes needed (the only out-parameter written then; `lens_out` is untouched) and the
/// contents of `buf` are unspecified (the values that fitted may have been copied); call
/// again with a buffer that large. Pass `buf` NULL and `buf_len` 0 to ask for the size. Each
/// call reads the log once (the lengths are counted in the same pass that copies): if
/// `segmentlog_truncate_back` and new appends replace records between the two calls, the second
/// may need another size (and says so again) or fail.
///
/// Fails with the status of the first offset that cannot be read, as `segmentlog_read` would
/// for it: OUT_OF_RANGE if it is below `segmentlog_lowest_offset` or at/after
/// `segmentlog_next_offset`, HOLE if its record is damaged, CORRUPT if its index entry cannot
/// be right. Such a failure takes
/// precedence over BUFFER_TOO_SMALL; `lens_out` and `total_out` are then untouched and the
/// contents of `buf` unspecified. INVALID_ARGUMENT if `count` is too large for an array of
/// `uint64_t` to exist (more than `PTRDIFF_MAX / 8`); nothing is read then. With `count` 0
/// nothing is read and `*total_out` receives 0.
/// Ownership: the caller owns every array and `buf`; nothing is kept. Thread-safety: safe,
/// also beside appends.
///
/// # Safety
/// `log` must be an open handle; `offsets` must be NULL or point to `count` readable
/// `uint64_t`s; `buf` NULL or `buf_len` writable bytes; `lens_out` NULL or `count` writable
/// `size_t`s; `total_out` NULL or writable. `buf` must not overlap the arrays.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_read_many(
    log: *mut segmentlog_log,
    offsets: *const u64,
    count: usize,
    buf: *mut u8,
    buf_len: usize,
    lens_out: *mut usize,
    total_out: *mut usize,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!offsets.is_null() || count == 0, "offsets (with count > 0)")?;
        require(!buf.is_null() || buf_len == 0, "buf (with buf_len > 0)")?;
        require(
            !lens_out.is_null() || count == 0,
            "lens_out (with count > 0)",
        )?;
        require(!total_out.is_null(), "total_out")?;
        // A usize is never larger than a u64: the lens Vec of `count` usizes is covered too.
        array_count::<u64>(count, "offsets")?;
        // SAFETY: offsets holds count readable entries, or count is 0 (caller's contract).
        let offsets = unsafe { slice(offsets, count) };
        // SAFETY: as in segmentlog_read: buf holds buf_len writable bytes, or buf_len is 0.
        let buf = unsafe { slice_mut(buf, buf_len) };
        // The lengths reach lens_out only on success.
        let mut lens = vec![0; count];
        // SAFETY: log is non-NULL and open (caller's contract).
        let total = unsafe { handle(log) }.read_many_into(offsets, buf, |i, n| lens[i] = n)?;
        if total > buf_len {
            // SAFETY: total_out is non-NULL and writable (caller's contract).
            unsafe { *total_out = total };
            return Err(Failure::new(
                segmentlog_status::BufferTooSmall,
                format!(
                    "buffer too small: the {count} values have {total} bytes, the buffer \
                     {buf_len}"
                ),
            ));
        }
        if count > 0 {
            // SAFETY: lens_out holds count writable entries (caller's contract) and lens has
            // count entries (one per offset read); they do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(lens.as_ptr(), lens_out, count) };
        }
        // SAFETY: total_out is non-NULL and writable (caller's contract).
        unsafe { *total_out = total };
        Ok(())
    })
}

/// Writes the lowest offset the log holds to `*offset_out` (equal to the next offset when the
/// log is empty). `offset_out` is required and untouched on failure.
/// Ownership: nothing is kept. Thread-safety: safe.
///
/// # Safety
/// `log` must be an open handle; `offset_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_lowest_offset(
    log: *mut segmentlog_log,
    offset_out: *mut u64,
) -> segmentlog_status {
    // SAFETY: forwarded caller's contract.
    unsafe { query(log, offset_out, Log::lowest_offset) }
}

/// Writes the offset the next append will get to `*offset_out`. `offset_out` is required and
/// untouched on failure. Ownership: nothing is kept. Thread-safety: safe.
///
/// # Safety
/// `log` must be an open handle; `offset_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_next_offset(
    log: *mut segmentlog_log,
    offset_out: *mut u64,
) -> segmentlog_status {
    // SAFETY: forwarded caller's contract.
    unsafe { query(log, offset_out, Log::next_offset) }
}

/// Writes to `*offset_out` the first offset appended at or after `timestamp_ms` (milliseconds
/// since the Unix epoch): the lowest offset if every record is that new, the next offset if
/// none is. O(log n). `offset_out` is required and untouched on failure.
/// Ownership: nothing is kept. Thread-safety: safe.
///
/// # Safety
/// `log` must be an open handle; `offset_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_offset_at_time(
    log: *mut segmentlog_log,
    timestamp_ms: u64,
    offset_out: *mut u64,
) -> segmentlog_status {
    // SAFETY: forwarded caller's contract.
    unsafe { query(log, offset_out, |log| log.offset_at_time(timestamp_ms)) }
}

/// Drops whole segments whose records all lie below `offset`, so `segmentlog_lowest_offset` may
/// stay below `offset`. With `offset` at or beyond the next offset the log is emptied and the
/// next append gets `offset` (how a Raft follower re-bases its log on a snapshot).
/// Ownership: nothing is transferred. Thread-safety: safe; readers positioned below the new
/// start then get OUT_OF_RANGE.
///
/// # Safety
/// `log` must be an open handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_truncate_front(
    log: *mut segmentlog_log,
    offset: u64,
) -> segmentlog_status {
    // SAFETY: forwarded caller's contract.
    unsafe { command(log, |log| log.truncate_front(offset)) }
}

/// Removes every record at or after `offset`, durably; the next append gets `offset`.
/// `offset` must lie between the lowest and the next offset (inclusive), else OUT_OF_RANGE.
/// Ownership: nothing is transferred. Thread-safety: safe.
///
/// # Safety
/// `log` must be an open handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_truncate_back(
    log: *mut segmentlog_log,
    offset: u64,
) -> segmentlog_status {
    // SAFETY: forwarded caller's contract.
    unsafe { command(log, |log| log.truncate_back(offset)) }
}

/// Makes everything appended so far durable (fdatasync); fails with IO if the disk refuses
/// (the log then refuses writes until reopened). Ownership: nothing is transferred.
/// Thread-safety: safe.
///
/// # Safety
/// `log` must be an open handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_sync(log: *mut segmentlog_log) -> segmentlog_status {
    // SAFETY: forwarded caller's contract.
    unsafe { command(log, Log::sync) }
}

/// Runs a call that returns an offset into a required out-parameter.
///
/// # Safety
/// `log` NULL or an open handle; `out` NULL or writable.
unsafe fn query(
    log: *mut segmentlog_log,
    out: *mut u64,
    call: impl FnOnce(&Log) -> segmentlog_core::Result<u64>,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!out.is_null(), "offset_out")?;
        // SAFETY: log is non-NULL and open (caller's contract).
        let value = call(unsafe { handle(log) })?;
        // SAFETY: out is non-NULL and writable (caller's contract).
        unsafe { *out = value };
        Ok(())
    })
}

/// Runs a call without out-parameters.
///
/// # Safety
/// `log` NULL or an open handle.
unsafe fn command(
    log: *mut segmentlog_log,
    call: impl FnOnce(&Log) -> segmentlog_core::Result<()>,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        // SAFETY: log is non-NULL and open (caller's contract).
        Ok(call(unsafe { handle(log) })?)
    })
}

/// Refuses a `count` that no array of `T` can have (more than `isize::MAX` bytes): checked
/// before `slice` so that `slice::from_raw_parts` stays sound whatever C passes.
fn array_count<T>(count: usize, what: &str) -> Result<(), Failure> {
    if count > isize::MAX as usize / size_of::<T>() {
        return Err(Failure::new(
            segmentlog_status::InvalidArgument,
            format!("count {count} is larger than any array of {what}"),
        ));
    }
    Ok(())
}

/// A slice from C; empty when `len` is 0 (then `ptr` may be NULL).
///
/// # Safety
/// `ptr` must point to `len` readable `T`s that outlive `'a`, or `len` must be 0.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: non-NULL with len readable elements (caller's contract).
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// A writable slice from C; empty when `len` is 0 (then `ptr` may be NULL).
///
/// # Safety
/// `ptr` must point to `len` writable bytes that outlive `'a` and that nothing else reads or
/// writes meanwhile, or `len` must be 0. (C memory may be uninitialized: it is only written
/// through this slice, as rustls-ffi does with the buffers C gives it.)
pub(crate) unsafe fn slice_mut<'a>(ptr: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 {
        &mut []
    } else {
        // SAFETY: non-NULL with len writable bytes used by no one else (caller's contract).
        unsafe { std::slice::from_raw_parts_mut(ptr, len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handle whose core log is closed but not yet released: what a call racing a close
    /// would see. (C cannot build one: `segmentlog_close` releases the handle, so this state is
    /// reached only from here.)
    #[test]
    fn read_many_on_a_closed_log_is_closed_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = std::ffi::CString::new(dir.path().to_str().expect("a UTF-8 temp path"))
            .expect("no NUL");
        let mut log: *mut segmentlog_log = std::ptr::null_mut();
        // SAFETY: path is NUL-terminated, NULL options mean defaults, log is writable.
        let status = unsafe { segmentlog_open(path.as_ptr(), std::ptr::null(), &mut log) };
        assert_eq!(status, segmentlog_status::Ok);
        let mut off = 0u64;
        // SAFETY: the handle is open; the value is readable; off is writable.
        let status = unsafe { segmentlog_append(log, b"abc".as_ptr(), 3, &mut off) };
        assert_eq!(status, segmentlog_status::Ok);
        // SAFETY: log is open and used by no one else.
        unsafe { handle(log) }.close().expect("close");

        let offsets = [off, off];
        let mut buf = [0u8; 8];
        let mut lens = [7usize; 2];
        let mut total = 7usize;
        for count in [2, 0] {
            // SAFETY: the arrays hold 2 entries each, buf 8 bytes; the handle is not released.
            let status = unsafe {
                segmentlog_read_many(
                    log,
                    offsets.as_ptr(),
                    count,
                    buf.as_mut_ptr(),
                    buf.len(),
                    lens.as_mut_ptr(),
                    &mut total,
                )
            };
            assert_eq!(status, segmentlog_status::Closed, "count {count}");
            assert_eq!((lens, total), ([7, 7], 7));
            assert!(super::super::last_error::get().contains("closed"));
        }
        // SAFETY: the handle came from segmentlog_open; close is idempotent in core.
        unsafe { segmentlog_close(log) };
    }
}
