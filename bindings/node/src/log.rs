//! The `Log` class: the core's `Log` handle, with synchronous methods.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::bytes::Bytes;
use crate::convert::{
    MAX_SAFE_INTEGER, array, boolean, bytes, bytes_mut, bytes_or, is_nullish, number, offset_arg,
    safe_u64, safe_u64_of, string, to_js_number,
};
use crate::cursor::Cursor;
use crate::errors::{Failure, Outcome, finish, guard};
use crate::named_cursor::NamedCursor;
use crate::options;
use crate::report::RecoveryReport;
use crate::tasks::{AppendBatchTask, AppendTask, ReadTask, SyncTask};

/// One record: its offset, when it was appended (ms since the Unix epoch) and its value.
#[napi(object, object_from_js = false)]
pub struct LogRecord {
    pub offset: f64,
    pub timestamp: f64,
    #[napi(ts_type = "Buffer")]
    pub value: Bytes,
}

impl std::fmt::Debug for LogRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogRecord")
            .field("offset", &self.offset)
            .field("timestamp", &self.timestamp)
            .field("value_len", &self.value.0.len())
            .finish()
    }
}

impl LogRecord {
    /// Converts a core record (the value becomes a Buffer without another copy).
    pub fn from_core(r: segmentlog::Record) -> Outcome<LogRecord> {
        Ok(LogRecord {
            offset: to_js_number(r.offset, "offset")?,
            timestamp: to_js_number(r.timestamp, "timestamp")?,
            value: Bytes(r.value),
        })
    }
}

/// The offsets a batch got: `first` is the first record's, `next` is one past the last.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct BatchRange {
    pub first: f64,
    pub next: f64,
}

impl BatchRange {
    pub fn from_core(range: std::ops::Range<u64>) -> Outcome<BatchRange> {
        Ok(BatchRange {
            first: to_js_number(range.start, "offset")?,
            next: to_js_number(range.end, "offset")?,
        })
    }
}

/// A segmented, append-only log in one directory (see `Log.open`).
///
/// Offsets are plain numbers, at most `Number.MAX_SAFE_INTEGER`: an append that would take
/// `nextOffset` past it fails with `ERR_SEGMENTLOG_INVALID_ARGUMENT` before writing anything.
/// Errors carry `err.code`: `ERR_SEGMENTLOG_OUT_OF_RANGE`, `ERR_SEGMENTLOG_CORRUPT`,
/// `ERR_SEGMENTLOG_HOLE` (a damaged record; with `err.offset` and `err.segment`),
/// `ERR_SEGMENTLOG_CLOSED`, `ERR_SEGMENTLOG_LOCKED`, `ERR_SEGMENTLOG_INVALID_ARGUMENT` or
/// `ERR_SEGMENTLOG_IO`; arguments of the wrong type throw a `TypeError`, offsets that are not
/// safe non-negative integers a `RangeError`.
#[napi]
#[derive(Debug)]
pub struct Log {
    inner: segmentlog::Log,
}

impl Log {
    /// The core log (the handle of `fast.rs`'s entry points clones it).
    pub(crate) fn core(&self) -> &segmentlog::Log {
        &self.inner
    }
}

#[napi]
impl Log {
    /// Opens the log in `dir` (creating it if needed) and recovers what a crash left.
    /// Throws `ERR_SEGMENTLOG_LOCKED` if another writer holds the directory (unless `readOnly`).
    #[napi(
        factory,
        catch_unwind,
        ts_args_type = "dir: string, options?: OpenOptions"
    )]
    pub fn open(env: Env, dir: Unknown, options: Option<Unknown>) -> Result<Log> {
        finish(
            &env,
            guard(|| {
                let dir = string(&dir, "dir")?;
                let mut options = match &options {
                    Some(o) => options::parse(o)?,
                    None => segmentlog::Options::default(),
                };
                // Every offset this handle hands out, and the next one, must be a JS number
                // held exactly: core refuses an append past it before writing anything.
                options.max_offset = MAX_SAFE_INTEGER;
                Ok(Log {
                    inner: segmentlog::Log::open(dir, options)?,
                })
            }),
        )
    }

    /// Repairs the log in `dir`: reads every store through (trusting no index), makes a hole
    /// of every damaged record that was durable (its bytes copied to `dir/quarantine/`), cuts a
    /// torn tail, rebuilds every index that does not match its store, and reports what it did.
    /// No intact record is removed and no offset changes. With `dryRun` it changes nothing and
    /// reports what it would do. Throws `ERR_SEGMENTLOG_LOCKED` while a writer has the log open.
    /// Runs on the calling thread (it reads the whole log).
    #[napi(catch_unwind, ts_args_type = "dir: string, options?: RepairOptions")]
    pub fn repair(env: Env, dir: Unknown, options: Option<Unknown>) -> Result<RecoveryReport> {
        finish(
            &env,
            guard(|| {
                let dir = string(&dir, "dir")?;
                let dry_run = match &options {
                    Some(o) => options::parse_repair(o)?,
                    None => false,
                };
                RecoveryReport::from_core(&segmentlog::Log::repair(dir, dry_run)?)
            }),
        )
    }

    /// What this open found and did: after a crash, what was scanned, cut, made a hole or put
    /// into the quarantine. Readable after `close()` too.
    #[napi(getter, catch_unwind)]
    pub fn recovery_report(&self, env: Env) -> Result<RecoveryReport> {
        finish(
            &env,
            guard(|| RecoveryReport::from_core(self.inner.recovery_report())),
        )
    }

    /// Appends one value; returns its offset.
    #[napi(catch_unwind, ts_args_type = "value: Buffer | Uint8Array")]
    pub fn append(&self, env: Env, value: Unknown) -> Result<f64> {
        finish(
            &env,
            guard(|| {
                let offset = self.inner.append(bytes(&value, "value")?)?;
                to_js_number(offset, "offset")
            }),
        )
    }

    /// Appends many values with one write (and one sync under `sync: 'always'`); after a crash
    /// the batch is all there or not at all. Returns the offsets they got.
    #[napi(catch_unwind, ts_args_type = "values: Array<Buffer | Uint8Array>")]
    pub fn append_batch(&self, env: Env, values: Unknown) -> Result<BatchRange> {
        finish(
            &env,
            guard(|| {
                let values = array(&values, "values", |v, i| {
                    bytes_or(v, || format!("values[{i}]"))
                })?;
                BatchRange::from_core(self.inner.append_batch(&values)?)
            }),
        )
    }

    /// The value of the record at `offset`.
    #[napi(
        catch_unwind,
        ts_args_type = "offset: number",
        ts_return_type = "Buffer"
    )]
    pub fn read(&self, env: Env, offset: Unknown) -> Result<Bytes> {
        finish(
            &env,
            guard(|| {
                let offset = offset_arg(&offset, "offset")?;
                Ok(Bytes(self.inner.read(offset)?.value))
            }),
        )
    }

    /// The values at `offsets`, in that order: the same as `offsets.map((o) => log.read(o))`
    /// and the same first error, but faster for many random offsets (one call; the log
    /// fetches a window of records at a time, so their memory misses overlap).
    #[napi(
        catch_unwind,
        ts_args_type = "offsets: Array<number>",
        ts_return_type = "Array<Buffer>"
    )]
    pub fn read_many(&self, env: Env, offsets: Unknown) -> Result<Vec<Bytes>> {
        finish(
            &env,
            guard(|| {
                let offsets = array(&offsets, "offsets", |v, i| {
                    offset_arg(v, &format!("offsets[{i}]"))
                })?;
                let mut values = Vec::with_capacity(offsets.len());
                self.inner
                    .read_many_with(&offsets, |r| values.push(Bytes(r.value.to_vec())))?;
                Ok(values)
            }),
        )
    }

    /// Copies the value at `offset` into `target` from byte `at` and returns its length, or
    /// `-(length + 1)` when it does not fit (nothing is copied then). `read()` in `index.js`
    /// uses it to fill pooled memory, as `Buffer.allocUnsafe` does for small buffers.
    #[napi(
        catch_unwind,
        ts_args_type = "offset: number, target: Uint8Array, at: number"
    )]
    pub fn read_into(
        &self,
        env: Env,
        offset: Unknown,
        target: Unknown,
        at: Unknown,
    ) -> Result<f64> {
        finish(
            &env,
            guard(|| copy_into(&self.inner, offset_arg(&offset, "offset")?, &target, &at)),
        )
    }

    /// The record at `offset`, with its offset and timestamp.
    #[napi(catch_unwind, ts_args_type = "offset: number")]
    pub fn read_record(&self, env: Env, offset: Unknown) -> Result<LogRecord> {
        finish(
            &env,
            guard(|| {
                let offset = offset_arg(&offset, "offset")?;
                LogRecord::from_core(self.inner.read(offset)?)
            }),
        )
    }

    /// The lowest offset the log holds (equal to `nextOffset` when it is empty).
    #[napi(getter, catch_unwind)]
    pub fn lowest_offset(&self, env: Env) -> Result<f64> {
        finish(
            &env,
            guard(|| to_js_number(self.inner.lowest_offset()?, "offset")),
        )
    }

    /// The offset the next append will get.
    #[napi(getter, catch_unwind)]
    pub fn next_offset(&self, env: Env) -> Result<f64> {
        finish(
            &env,
            guard(|| to_js_number(self.inner.next_offset()?, "offset")),
        )
    }

    /// Whether the log was closed (by this handle or another one on the same log).
    #[napi(getter, catch_unwind)]
    pub fn closed(&self, env: Env) -> Result<bool> {
        finish(&env, guard(|| Ok(self.inner.is_closed())))
    }

    /// The first offset appended at or after `timestampMs` (ms since the Unix epoch):
    /// `lowestOffset` if every record is that new (a time before 1970 too), `nextOffset` if
    /// none is.
    #[napi(catch_unwind, ts_args_type = "timestampMs: number")]
    pub fn offset_at_time(&self, env: Env, timestamp_ms: Unknown) -> Result<f64> {
        finish(
            &env,
            guard(|| {
                // Every record is newer than a time before 1970, as in Python and C.
                let n = number(&timestamp_ms, "timestampMs")?;
                let ms = safe_u64_of(if n < 0.0 && n.fract() == 0.0 { 0.0 } else { n }, || {
                    "timestampMs".to_string()
                })?;
                to_js_number(self.inner.offset_at_time(ms)?, "offset")
            }),
        )
    }

    /// Drops whole segments whose records all lie below `offset`; at or beyond `nextOffset`
    /// it empties the log and the next append gets `offset`.
    #[napi(catch_unwind, ts_args_type = "offset: number")]
    pub fn truncate_front(&self, env: Env, offset: Unknown) -> Result<()> {
        finish(
            &env,
            guard(|| Ok(self.inner.truncate_front(offset_arg(&offset, "offset")?)?)),
        )
    }

    /// Removes every record at or after `offset` (durably); the next append gets `offset`.
    #[napi(catch_unwind, ts_args_type = "offset: number")]
    pub fn truncate_back(&self, env: Env, offset: Unknown) -> Result<()> {
        finish(
            &env,
            guard(|| Ok(self.inner.truncate_back(offset_arg(&offset, "offset")?)?)),
        )
    }

    /// Makes everything appended so far durable.
    #[napi(catch_unwind)]
    pub fn sync(&self, env: Env) -> Result<()> {
        finish(&env, guard(|| Ok(self.inner.sync()?)))
    }

    /// Closes the log (idempotent). Later calls throw `ERR_SEGMENTLOG_CLOSED`; live iterators
    /// end.
    #[napi(catch_unwind)]
    pub fn close(&self, env: Env) -> Result<()> {
        finish(&env, guard(|| Ok(self.inner.close()?)))
    }

    /// `append` off the main thread (the value is copied first).
    #[napi(
        catch_unwind,
        ts_args_type = "value: Buffer | Uint8Array",
        ts_return_type = "Promise<number>"
    )]
    pub fn append_async(&self, env: Env, value: Unknown) -> Result<AsyncTask<AppendTask>> {
        finish(
            &env,
            guard(|| {
                let value = bytes(&value, "value")?.to_vec();
                Ok(AsyncTask::new(AppendTask::new(self.inner.clone(), value)))
            }),
        )
    }

    /// `appendBatch` off the main thread (the values are copied first).
    #[napi(
        catch_unwind,
        ts_args_type = "values: Array<Buffer | Uint8Array>",
        ts_return_type = "Promise<BatchRange>"
    )]
    pub fn append_batch_async(
        &self,
        env: Env,
        values: Unknown,
    ) -> Result<AsyncTask<AppendBatchTask>> {
        finish(
            &env,
            guard(|| {
                let values = array(&values, "values", |v, i| {
                    Ok(bytes_or(v, || format!("values[{i}]"))?.to_vec())
                })?;
                Ok(AsyncTask::new(AppendBatchTask::new(
                    self.inner.clone(),
                    values,
                )))
            }),
        )
    }

    /// `read` off the main thread.
    #[napi(
        catch_unwind,
        ts_args_type = "offset: number",
        ts_return_type = "Promise<Buffer>"
    )]
    pub fn read_async(&self, env: Env, offset: Unknown) -> Result<AsyncTask<ReadTask>> {
        finish(
            &env,
            guard(|| {
                let offset = offset_arg(&offset, "offset")?;
                Ok(AsyncTask::new(ReadTask::new(self.inner.clone(), offset)))
            }),
        )
    }

    /// `sync` off the main thread.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn sync_async(&self, env: Env) -> Result<AsyncTask<SyncTask>> {
        finish(
            &env,
            guard(|| Ok(AsyncTask::new(SyncTask::new(self.inner.clone())))),
        )
    }

    /// Opens the named durable cursor `name`, creating it (durably) if it does not exist at
    /// `start`: `'lowest'` (default: every record held), `'next'` (only records appended from
    /// now on) or an offset; or, with `timeMs`, at the first record appended at or after that
    /// time. An existing cursor keeps its position (`created` says which). Works on a log
    /// opened `readOnly`. Names are 1 to 128 ASCII letters, digits, `-`, `_` and `.`, not
    /// starting with `.` (else `ERR_SEGMENTLOG_INVALID_ARGUMENT`).
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, start?: 'lowest' | 'next' | number, timeMs?: number"
    )]
    pub fn named_cursor(
        &self,
        env: Env,
        name: Unknown,
        start: Option<Unknown>,
        time_ms: Option<Unknown>,
    ) -> Result<NamedCursor> {
        finish(
            &env,
            guard(|| {
                let name = string(&name, "name")?;
                let start = crate::named_cursor::parse_start(start.as_ref(), time_ms.as_ref())?;
                let cursor = self.inner.cursor(&name, start)?;
                Ok(NamedCursor::new(cursor, self.inner.clone()))
            }),
        )
    }

    /// Opens the existing named cursor `name`; `ERR_SEGMENTLOG_NOT_FOUND` if there is none.
    #[napi(catch_unwind, ts_args_type = "name: string")]
    pub fn open_named_cursor(&self, env: Env, name: Unknown) -> Result<NamedCursor> {
        finish(
            &env,
            guard(|| {
                let name = string(&name, "name")?;
                let cursor = self.inner.open_cursor(&name)?;
                Ok(NamedCursor::new(cursor, self.inner.clone()))
            }),
        )
    }

    /// The names of the log's named cursors, sorted.
    #[napi(catch_unwind)]
    pub fn cursor_names(&self, env: Env) -> Result<Vec<String>> {
        finish(&env, guard(|| Ok(self.inner.cursor_names()?)))
    }

    /// Deletes the named cursor `name` (durably); `ERR_SEGMENTLOG_NOT_FOUND` if there is none.
    /// Objects still open on it throw `ERR_SEGMENTLOG_NOT_FOUND` from then on.
    #[napi(catch_unwind, ts_args_type = "name: string")]
    pub fn delete_cursor(&self, env: Env, name: Unknown) -> Result<()> {
        finish(
            &env,
            guard(|| {
                let name = string(&name, "name")?;
                Ok(self.inner.delete_cursor(&name)?)
            }),
        )
    }

    /// A cursor over the records from `options.from` (default `lowestOffset`), passing over
    /// holes when `skipHoles`; `iter()` in `index.js` wraps it in an async iterator. Throws
    /// `ERR_SEGMENTLOG_CLOSED` on a closed log.
    #[napi(catch_unwind, ts_args_type = "from?: number, skipHoles?: boolean")]
    pub fn cursor(
        &self,
        env: Env,
        from: Option<Unknown>,
        skip_holes: Option<Unknown>,
    ) -> Result<Cursor> {
        finish(
            &env,
            guard(|| {
                let from = match from.as_ref().filter(|f| !is_nullish(f)) {
                    Some(f) => offset_arg(f, "from")?,
                    None => self.inner.lowest_offset()?,
                };
                let skip = match skip_holes.as_ref().filter(|s| !is_nullish(s)) {
                    Some(s) => boolean(s, "skipHoles")?,
                    None => false,
                };
                if self.inner.is_closed() {
                    return Err(Failure::Log(segmentlog::Error::Closed));
                }
                let iter = self.inner.iter(from).skip_holes(skip);
                Ok(Cursor::new(self.inner.clone(), iter))
            }),
        )
    }
}

/// `readInto`'s work once the offset is checked: copies the value at `offset` into `target`
/// from byte `at`; its length, or `-(length + 1)` when it does not fit (nothing copied then).
pub(crate) fn copy_into(
    log: &segmentlog::Log,
    offset: u64,
    target: &Unknown,
    at: &Unknown,
) -> Outcome<f64> {
    let target = bytes_mut(target, "target")?;
    let at = safe_u64(at, "at")?;
    let len = target.len();
    let room = usize::try_from(at)
        .ok()
        .and_then(|at| target.get_mut(at..))
        .ok_or_else(|| {
            Failure::Range(format!(
                "at ({at}) is beyond the end of target ({len} bytes)"
            ))
        })?;
    Ok(match log.read_into(offset, room)? {
        Ok(copied) => copied.len as f64,
        Err(needed) => -(needed as f64) - 1.0,
    })
}
