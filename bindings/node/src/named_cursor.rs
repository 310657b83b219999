//! `NamedCursor`: a named durable cursor (core's `segmentlog::Cursor`). Named so because
//! `Cursor` is already the reading primitive under `log.iter()` (`cursor.rs`). Conversion
//! only; `index.js` adds `iter()` and `for await` on top of `reader()`, and `autoCommit()` on
//! top of `reader()`, `commitTally()` (core's `CommitTally`) and `commitAsync()`.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::convert::{
    is_nullish, is_type, number, offset_arg, offset_of, safe_u64_of, to_js_number,
};
use crate::cursor::Cursor;
use crate::errors::{Failure, Outcome, finish, guard};

/// A cursor's committed position and where reading resumes (`namedCursor.position()`).
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct CursorPosition {
    /// The cursor's name.
    pub name: String,
    /// The committed position: the offset of the next record to process.
    pub committed: f64,
    /// Where reading resumes: `committed` raised to `lowestOffset` (records dropped by
    /// retention or truncation first) or lowered to `nextOffset` (a log cut back below it).
    pub resume: f64,
    /// Records dropped before the cursor processed them.
    pub skipped: f64,
    /// Records appended that the cursor has not reached.
    pub lag: f64,
    /// Commits so far (creating the cursor is the first).
    pub commits: f64,
    /// When the position was committed, ms since the Unix epoch.
    pub committed_at_ms: f64,
}

/// The start of a new cursor: `'lowest'` (also when absent), `'next'` or an offset; or, with
/// `timeMs`, the first record appended at or after that time (not both).
pub fn parse_start(
    start: Option<&Unknown>,
    time_ms: Option<&Unknown>,
) -> Outcome<segmentlog::CursorStart> {
    use segmentlog::CursorStart;
    let start = start.filter(|s| !is_nullish(s));
    let time_ms = time_ms.filter(|t| !is_nullish(t));
    match (start, time_ms) {
        (Some(_), Some(_)) => Err(Failure::Invalid(
            "invalid argument: give start or timeMs, not both".to_string(),
        )),
        (None, Some(t)) => {
            let ms = number(t, "timeMs")?;
            // Every record was appended after any time before the epoch.
            let ms = if ms < 0.0 { 0.0 } else { ms };
            Ok(CursorStart::Time(safe_u64_of(ms, || "timeMs".to_string())?))
        }
        (None, None) => Ok(CursorStart::Lowest),
        (Some(s), None) if is_type(s, ValueType::String) => {
            let s = crate::convert::string(s, "start")?;
            match s.as_str() {
                "lowest" => Ok(CursorStart::Lowest),
                "next" => Ok(CursorStart::Next),
                other => Err(Failure::Invalid(format!(
                    "invalid argument: start must be 'lowest', 'next' or an offset (got {other:?})"
                ))),
            }
        }
        (Some(s), None) => Ok(CursorStart::Offset(offset_arg(s, "start")?)),
    }
}

/// A named durable cursor of a log: a consumer's committed position, kept in the log's
/// directory so that it resumes after a crash, in any process. Made by `log.namedCursor()` or
/// `log.openNamedCursor()`. The pattern is at-least-once: read from it, process each record,
/// then `commit(record.offset + 1)`. A commit is durable when it returns (one fdatasync); the
/// last of concurrent commits wins.
#[napi]
#[derive(Debug)]
pub struct NamedCursor {
    inner: Arc<segmentlog::Cursor>,
    log: segmentlog::Log,
}

impl NamedCursor {
    pub fn new(inner: segmentlog::Cursor, log: segmentlog::Log) -> NamedCursor {
        NamedCursor {
            inner: Arc::new(inner),
            log,
        }
    }
}

#[napi]
impl NamedCursor {
    /// The cursor's name.
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Whether the call that made this object created the cursor (false: it existed).
    #[napi(getter, catch_unwind)]
    pub fn created(&self) -> bool {
        self.inner.created()
    }

    /// The committed position (read from the cursor's file: commits by other processes show)
    /// and where reading resumes. Throws `ERR_SEGMENTLOG_NOT_FOUND` once it was deleted.
    #[napi(catch_unwind)]
    pub fn position(&self, env: Env) -> Result<CursorPosition> {
        finish(
            &env,
            guard(|| {
                let p = self.inner.position()?;
                Ok(CursorPosition {
                    committed: to_js_number(p.committed, "committed")?,
                    resume: to_js_number(p.resume, "resume")?,
                    skipped: to_js_number(p.skipped, "skipped")?,
                    lag: to_js_number(p.lag, "lag")?,
                    commits: to_js_number(p.commits, "commits")?,
                    committed_at_ms: to_js_number(p.committed_at_ms, "committedAtMs")?,
                    name: p.name,
                })
            }),
        )
    }

    /// Commits `position` (the offset of the next record to process, at most `nextOffset`)
    /// durably; it may go back. Blocks for one fdatasync: `commitAsync` does it off the main
    /// thread.
    #[napi(catch_unwind, ts_args_type = "position: number")]
    pub fn commit(&self, env: Env, position: Unknown) -> Result<()> {
        finish(
            &env,
            guard(|| {
                let position = offset_arg(&position, "position")?;
                Ok(self.inner.commit(position)?)
            }),
        )
    }

    /// `commit` on libuv's thread pool.
    #[napi(
        catch_unwind,
        ts_args_type = "position: number",
        ts_return_type = "Promise<void>"
    )]
    pub fn commit_async(&self, env: Env, position: Unknown) -> Result<AsyncTask<CommitTask>> {
        let position = finish(&env, guard(|| offset_arg(&position, "position")))?;
        Ok(AsyncTask::new(CommitTask {
            cursor: self.inner.clone(),
            position,
        }))
    }

    /// A reading cursor from where this one resumes; `iter()` in `index.js` wraps it.
    #[napi(catch_unwind, ts_args_type = "skipHoles?: boolean")]
    pub fn reader(&self, env: Env, skip_holes: Option<Unknown>) -> Result<Cursor> {
        finish(
            &env,
            guard(|| {
                let skip = match skip_holes.as_ref().filter(|s| !is_nullish(s)) {
                    Some(s) => crate::convert::boolean(s, "skipHoles")?,
                    None => false,
                };
                let iter = self.inner.iter()?.skip_holes(skip);
                Ok(Cursor::new(self.log.clone(), iter))
            }),
        )
    }
}

#[napi]
impl NamedCursor {
    /// When `autoCommit()` (in `index.js`) commits: core's bookkeeping for a consumer that
    /// commits every `every` processed records.
    #[napi(catch_unwind, ts_args_type = "every: number")]
    pub fn commit_tally(&self, env: Env, every: Unknown) -> Result<CommitTally> {
        finish(
            &env,
            guard(|| {
                let every = safe_u64_of(number(&every, "every")?, || "every".to_string())?;
                Ok(CommitTally {
                    inner: segmentlog::CommitTally::new(every)?,
                })
            }),
        )
    }
}

/// Core's `CommitTally` for `namedCursor.autoCommit()`: a record handed out counts as
/// processed once the next is asked for; every `every` processed records a position is due.
/// `index.js` commits what is due with `commitAsync` (off the main thread) and reports it
/// back with `committed`.
#[napi]
#[derive(Debug)]
pub struct CommitTally {
    inner: segmentlog::CommitTally,
}

#[napi]
impl CommitTally {
    /// Counts the record handed out before as processed; the position to commit if one is
    /// due, else null.
    #[napi(catch_unwind)]
    pub fn count_before_next(&mut self, env: Env) -> Result<Option<f64>> {
        let due = self.inner.count_before_next();
        finish(
            &env,
            guard(|| due.map(|p| to_js_number(p, "position")).transpose()),
        )
    }

    /// A record at `offset` was handed out.
    #[napi(catch_unwind)]
    pub fn handed_out(&mut self, env: Env, offset: f64) -> Result<()> {
        let offset = finish(&env, guard(|| offset_of(offset, || "offset".to_string())))?;
        self.inner.handed_out(offset);
        Ok(())
    }

    /// Counts every record handed out as processed; the position after them if not committed
    /// yet, else null.
    #[napi(catch_unwind)]
    pub fn due_now(&mut self, env: Env) -> Result<Option<f64>> {
        let due = self.inner.due_now();
        finish(
            &env,
            guard(|| due.map(|p| to_js_number(p, "position")).transpose()),
        )
    }

    /// `position`, which this tally returned, was committed.
    #[napi(catch_unwind)]
    pub fn committed(&mut self, env: Env, position: f64) -> Result<()> {
        let position = finish(
            &env,
            guard(|| offset_of(position, || "position".to_string())),
        )?;
        self.inner.committed(position);
        Ok(())
    }
}

/// `namedCursor.commitAsync(position)`.
#[derive(Debug)]
pub struct CommitTask {
    cursor: Arc<segmentlog::Cursor>,
    position: u64,
}

#[napi]
impl Task for CommitTask {
    type Output = Outcome<()>;
    type JsValue = ();

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| Ok(self.cursor.commit(self.position)?)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<()> {
        output.map_err(|f| f.reject(&env))
    }
}
