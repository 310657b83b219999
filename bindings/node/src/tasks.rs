//! The Promise forms: napi `AsyncTask`s whose `compute` runs on libuv's thread pool.
//!
//! Each task owns a clone of the core `Log` (clones share one log), so the JS object may be
//! collected or closed meanwhile; a closed log makes the promise reject with
//! `ERR_SEGMENTLOG_CLOSED`. `compute` never fails at the napi level: the outcome, success or
//! failure, is carried to `resolve`, which runs on the JS thread and can build the right JS
//! error class with its `code`.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::bytes::Bytes;
use crate::convert::to_js_number;
use crate::cursor::{Chunk, CursorState, RecordChunk};
use crate::errors::{Outcome, guard};
use crate::log::BatchRange;

/// Settles a promise from an outcome computed off the main thread.
fn settle<T>(env: &Env, outcome: Outcome<T>) -> Result<T> {
    outcome.map_err(|f| f.reject(env))
}

/// `appendAsync(value)`.
#[derive(Debug)]
pub struct AppendTask {
    log: segmentlog::Log,
    value: Vec<u8>,
}

impl AppendTask {
    pub fn new(log: segmentlog::Log, value: Vec<u8>) -> Self {
        AppendTask { log, value }
    }
}

#[napi]
impl Task for AppendTask {
    type Output = Outcome<f64>;
    type JsValue = f64;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| {
            to_js_number(self.log.append(&self.value)?, "offset")
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<f64> {
        settle(&env, output)
    }
}

/// `appendBatchAsync(values)`.
#[derive(Debug)]
pub struct AppendBatchTask {
    log: segmentlog::Log,
    values: Vec<Vec<u8>>,
}

impl AppendBatchTask {
    pub fn new(log: segmentlog::Log, values: Vec<Vec<u8>>) -> Self {
        AppendBatchTask { log, values }
    }
}

#[napi]
impl Task for AppendBatchTask {
    type Output = Outcome<BatchRange>;
    type JsValue = BatchRange;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| {
            BatchRange::from_core(self.log.append_batch(&self.values)?)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<BatchRange> {
        settle(&env, output)
    }
}

/// `readAsync(offset)`.
#[derive(Debug)]
pub struct ReadTask {
    log: segmentlog::Log,
    offset: u64,
}

impl ReadTask {
    pub fn new(log: segmentlog::Log, offset: u64) -> Self {
        ReadTask { log, offset }
    }
}

#[napi]
impl Task for ReadTask {
    type Output = Outcome<Vec<u8>>;
    type JsValue = Bytes;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| Ok(self.log.read(self.offset)?.value)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Bytes> {
        settle(&env, output).map(Bytes)
    }
}

/// `syncAsync()`.
#[derive(Debug)]
pub struct SyncTask {
    log: segmentlog::Log,
}

impl SyncTask {
    pub fn new(log: segmentlog::Log) -> Self {
        SyncTask { log }
    }
}

#[napi]
impl Task for SyncTask {
    type Output = Outcome<()>;
    type JsValue = ();

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| Ok(self.log.sync()?)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<()> {
        settle(&env, output)
    }
}

/// `cursor.waitAsync(max)`: the live tail's wait for new records.
#[derive(Debug)]
pub struct WaitTask {
    state: Arc<CursorState>,
    max: usize,
}

impl WaitTask {
    pub fn new(state: Arc<CursorState>, max: usize) -> Self {
        WaitTask { state, max }
    }
}

#[napi]
impl Task for WaitTask {
    type Output = Outcome<Option<Chunk>>;
    type JsValue = Option<RecordChunk>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| self.state.wait(self.max)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        settle(&env, output).map(|chunk| chunk.map(RecordChunk::from))
    }
}
