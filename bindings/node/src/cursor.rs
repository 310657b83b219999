//! `Cursor`: reads records in offset order for `log.iter()`.
//!
//! `iter.js` builds the async iterator users see on top of two primitives: `read(max)`, which
//! returns what is already in the log without blocking, and `waitAsync(max)`, an AsyncTask that
//! waits on libuv's pool (core's `Iter::next_timeout`: woken by the append, no polling) for the
//! next record. `cancel()` (from the iterator's `return()`, i.e. `break`) and `close()` wake
//! it at once (core's `WaitCanceller`); one task still waits at most one slice, so that an
//! abandoned cursor or a terminating worker thread does not hold a pool thread for long.

use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::bytes::Bytes;
use crate::convert::safe_u64;
use crate::convert::to_js_number;
use crate::errors::{Failure, Outcome, finish, guard};
use crate::tasks::WaitTask;

/// About how many bytes of values one chunk carries (at least one record).
const CHUNK_BYTES: usize = 1 << 20;

/// Records read in one call, before they become a [`RecordChunk`].
#[derive(Debug, Default)]
pub struct Chunk {
    meta: Vec<f64>,
    data: Vec<u8>,
}

impl Chunk {
    fn len(&self) -> usize {
        self.meta.len() / 3
    }

    fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    fn push(&mut self, record: segmentlog::Record) -> Outcome<()> {
        self.data.extend_from_slice(&record.value);
        self.meta.push(to_js_number(record.offset, "offset")?);
        self.meta.push(to_js_number(record.timestamp, "timestamp")?);
        self.meta.push(self.data.len() as f64);
        Ok(())
    }
}

/// Records in the shape `iter.js` unpacks cheaply: one Buffer holding every value, and
/// `[offset, timestamp, end of value in data]` for each record. Creating one JS Buffer per
/// record costs far more than the record itself, so `iter.js` hands out views of `data`.
#[napi(object, object_from_js = false)]
pub struct RecordChunk {
    pub meta: Float64Array,
    #[napi(ts_type = "Buffer")]
    pub data: Bytes,
}

impl std::fmt::Debug for RecordChunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordChunk")
            .field("records", &(self.meta.len() / 3))
            .field("bytes", &self.data.0.len())
            .finish()
    }
}

impl From<Chunk> for RecordChunk {
    fn from(c: Chunk) -> Self {
        RecordChunk {
            meta: Float64Array::new(c.meta),
            data: Bytes(c.data),
        }
    }
}

/// How long one wait on the core lasts at most (`cancel()` and `close()` end it at once).
const WAIT_SLICE: Duration = Duration::from_millis(200);

/// State shared by a `Cursor` and the wait task running on its behalf.
#[derive(Debug)]
pub struct CursorState {
    log: segmentlog::Log,
    reader: Mutex<Reader>,
    canceller: segmentlog::WaitCanceller,
}

/// The core iterator, and an error met after records that were already handed over.
#[derive(Debug)]
struct Reader {
    iter: segmentlog::Iter,
    deferred: Option<segmentlog::Error>,
}

impl Reader {
    /// Up to `max` records (and about [`CHUNK_BYTES`] of values) already in the log, without
    /// waiting, appended to `out`.
    fn read_available(&mut self, max: usize, out: &mut Chunk) -> Outcome<()> {
        if let Some(e) = self.deferred.take() {
            return Err(e.into());
        }
        while out.len() < max && out.data.len() < CHUNK_BYTES {
            match self.iter.next() {
                Some(Ok(record)) => out.push(record)?,
                Some(Err(e)) if out.is_empty() => return Err(e.into()),
                // Hand over the records read so far; report the error on the next call.
                Some(Err(e)) => {
                    self.deferred = Some(e);
                    break;
                }
                None => break,
            }
        }
        Ok(())
    }
}

impl CursorState {
    fn lock(&self) -> MutexGuard<'_, Reader> {
        // The reader is only a position and a stashed error: a panic elsewhere while it was
        // locked leaves nothing inconsistent, so a poisoned lock is still usable.
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to one slice for the next record: `Some(records)` (empty if the slice passed
    /// without one), `None` once the cursor was cancelled or the log closed.
    ///
    /// One task never waits longer than a slice: a worker thread being terminated waits for
    /// its pending thread-pool work, and a cancelled or abandoned cursor must not hold a pool
    /// thread. `iter.js` loops until a record comes.
    pub fn wait(&self, max: usize) -> Outcome<Option<Chunk>> {
        let mut reader = self.lock();
        if let Some(e) = reader.deferred.take() {
            return Err(e.into());
        }
        if self.canceller.is_cancelled() || self.log.is_closed() {
            return Ok(None);
        }
        match reader
            .iter
            .next_timeout_or_cancel(Some(WAIT_SLICE), &self.canceller)
        {
            Ok(Some(first)) => {
                let mut chunk = Chunk::default();
                chunk.push(first)?;
                reader.read_available(max, &mut chunk)?;
                Ok(Some(chunk))
            }
            Ok(None) if self.canceller.is_cancelled() || self.log.is_closed() => Ok(None),
            Ok(None) => Ok(Some(Chunk::default())),
            Err(segmentlog::Error::Closed) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// Reads a log in offset order (what `log.iter()` is built on).
#[napi]
#[derive(Debug)]
pub struct Cursor {
    state: Arc<CursorState>,
}

impl Cursor {
    pub fn new(log: segmentlog::Log, iter: segmentlog::Iter) -> Cursor {
        Cursor {
            state: Arc::new(CursorState {
                canceller: log.wait_canceller(),
                log,
                reader: Mutex::new(Reader {
                    iter,
                    deferred: None,
                }),
            }),
        }
    }
}

/// A batch size argument: at least 1.
fn batch_size(value: &Unknown) -> Outcome<usize> {
    let n = safe_u64(value, "max")?;
    if n == 0 {
        return Err(Failure::Range("max must be at least 1".to_string()));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

#[napi]
impl Cursor {
    /// Up to `max` records that are already in the log (none at its current end).
    #[napi(catch_unwind, ts_args_type = "max: number")]
    pub fn read(&self, env: Env, max: Unknown) -> Result<RecordChunk> {
        finish(
            &env,
            guard(|| {
                let max = batch_size(&max)?;
                // Never block the JS thread behind a pending `waitAsync`.
                let mut reader = match self.state.reader.try_lock() {
                    Ok(reader) => reader,
                    Err(TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(TryLockError::WouldBlock) => {
                        return Err(Failure::Invalid(
                            "the cursor is busy: a waitAsync() is still pending".into(),
                        ));
                    }
                };
                let mut chunk = Chunk::default();
                reader.read_available(max, &mut chunk)?;
                Ok(chunk.into())
            }),
        )
    }

    /// Waits off the main thread (up to 200 ms) for the next record, then resolves with up to
    /// `max` records (none if none came); with `null` once `cancel()` was called or the log
    /// closed.
    #[napi(
        catch_unwind,
        ts_args_type = "max: number",
        ts_return_type = "Promise<RecordChunk | null>"
    )]
    pub fn wait_async(&self, env: Env, max: Unknown) -> Result<AsyncTask<WaitTask>> {
        finish(
            &env,
            guard(|| {
                let max = batch_size(&max)?;
                Ok(AsyncTask::new(WaitTask::new(self.state.clone(), max)))
            }),
        )
    }

    /// Ends a pending `waitAsync` at once, and every later one.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.state.canceller.cancel();
    }
}
