//! `Cursor`: reads records in offset order for `log.iter()`.
//!
//! `iter.js` builds the async iterator users see on top of two primitives: `read(max)`, which
//! returns what is already in the log without blocking, and `waitAsync(max)`, an AsyncTask that
//! waits on libuv's pool (core's `Iter::next_timeout`: woken by the append, no polling) for the
//! next record. One task waits at most one slice, so `cancel()` (from the iterator's
//! `return()`, i.e. `break`), `close()` and worker termination end it promptly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::convert::safe_u64;
use crate::errors::{Failure, Outcome, finish, guard};
use crate::log::LogRecord;
use crate::tasks::WaitTask;

/// How long one wait on the core lasts before the cursor checks for `cancel()`/`close()`.
const WAIT_SLICE: Duration = Duration::from_millis(200);

/// State shared by a `Cursor` and the wait task running on its behalf.
#[derive(Debug)]
pub struct CursorState {
    log: commitlog::Log,
    reader: Mutex<Reader>,
    cancelled: AtomicBool,
}

/// The core iterator, and an error met after records that were already handed over.
#[derive(Debug)]
struct Reader {
    iter: commitlog::Iter,
    deferred: Option<commitlog::Error>,
}

impl Reader {
    /// Up to `max` records already in the log, without waiting.
    fn read_available(&mut self, max: usize) -> Outcome<Vec<LogRecord>> {
        if let Some(e) = self.deferred.take() {
            return Err(e.into());
        }
        let mut out = Vec::new();
        while out.len() < max {
            match self.iter.next() {
                Some(Ok(record)) => out.push(LogRecord::from_core(record)?),
                Some(Err(e)) if out.is_empty() => return Err(e.into()),
                // Hand over the records read so far; report the error on the next call.
                Some(Err(e)) => {
                    self.deferred = Some(e);
                    break;
                }
                None => break,
            }
        }
        Ok(out)
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
    pub fn wait(&self, max: usize) -> Outcome<Option<Vec<LogRecord>>> {
        let mut reader = self.lock();
        if let Some(e) = reader.deferred.take() {
            return Err(e.into());
        }
        if self.cancelled.load(Ordering::Acquire) || self.log.is_closed() {
            return Ok(None);
        }
        match reader.iter.next_timeout(Some(WAIT_SLICE)) {
            Ok(Some(first)) => {
                let mut records = vec![LogRecord::from_core(first)?];
                records.extend(reader.read_available(max.saturating_sub(1))?);
                Ok(Some(records))
            }
            Ok(None) if self.cancelled.load(Ordering::Acquire) || self.log.is_closed() => Ok(None),
            Ok(None) => Ok(Some(Vec::new())),
            Err(commitlog::Error::Closed) => Ok(None),
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
    pub fn new(log: commitlog::Log, iter: commitlog::Iter) -> Cursor {
        Cursor {
            state: Arc::new(CursorState {
                log,
                reader: Mutex::new(Reader {
                    iter,
                    deferred: None,
                }),
                cancelled: AtomicBool::new(false),
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
    /// Up to `max` records that are already in the log (an empty array at its current end).
    #[napi(catch_unwind, ts_args_type = "max: number")]
    pub fn read(&self, env: Env, max: Unknown) -> Result<Vec<LogRecord>> {
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
                reader.read_available(max)
            }),
        )
    }

    /// Waits off the main thread (up to 200 ms) for the next record, then resolves with up to
    /// `max` records (an empty array if none came); with `null` once `cancel()` was called or
    /// the log closed.
    #[napi(
        catch_unwind,
        ts_args_type = "max: number",
        ts_return_type = "Promise<Array<LogRecord> | null>"
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

    /// Ends a pending `waitAsync` (within one wait slice) and every later one.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.state.cancelled.store(true, Ordering::Release);
    }
}
