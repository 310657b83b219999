//! `segmentlog.Cursor`, `segmentlog.CursorPosition` and `segmentlog.AutoCommitIterator`:
//! named durable cursors. Conversion only; the behaviour is core's (`Log::cursor`,
//! `Cursor::commit`, `CommitTally`, ...).

use std::sync::{Mutex, PoisonError};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString};
use segmentlog::{CommitTally, Cursor, CursorStart, Log};

use crate::detached::Detached;
use crate::errors::{IntoPyResult, guard, raise};
use crate::iter::PyLogIterator;
use crate::record::PyRecord;
use crate::wait::Wait;

/// The start of a new cursor from Python's arguments: ``start`` is ``"lowest"`` (also when
/// None), ``"next"`` or an offset (an int); ``time_ms`` starts at the first record appended at
/// or after that time instead (not both).
pub(crate) fn parse_start(
    py: Python<'_>,
    log: &Log,
    start: Option<&Bound<'_, PyAny>>,
    time_ms: Option<i64>,
) -> PyResult<CursorStart> {
    let start = start.filter(|s| !s.is_none());
    let start = match (start, time_ms) {
        (Some(_), Some(_)) => {
            return Err(raise(
                py,
                "InvalidArgumentError",
                ("invalid argument: give start or time_ms, not both".to_owned(),),
            ));
        }
        // Every record was appended after any time before the epoch.
        (None, Some(ms)) => return Ok(CursorStart::Time(u64::try_from(ms).unwrap_or(0))),
        (None, None) => return Ok(CursorStart::Lowest),
        (Some(s), None) => s,
    };
    if start.is_instance_of::<PyString>() {
        return match start.extract::<String>()?.as_str() {
            "lowest" => Ok(CursorStart::Lowest),
            "next" => Ok(CursorStart::Next),
            other => Err(raise(
                py,
                "InvalidArgumentError",
                (format!(
                    "invalid argument: start must be \"lowest\", \"next\" or an offset (got {other:?})"
                ),),
            )),
        };
    }
    if start.is_instance_of::<PyInt>() {
        return Ok(CursorStart::Offset(crate::log::offset_arg(py, log, start)?));
    }
    Err(PyTypeError::new_err(format!(
        "start must be \"lowest\", \"next\" or an int offset, not {}",
        start.get_type().name()?
    )))
}

/// A cursor's committed position and where reading resumes (:meth:`Cursor.position`).
///
/// ``committed``: the offset of the next record to process, as last committed. ``resume``:
/// where reading resumes (``committed`` raised to the lowest offset when retention or
/// truncation dropped records first, lowered to ``next_offset`` when the log was cut back).
/// ``skipped``: records dropped before the cursor processed them. ``lag``: records appended
/// that the cursor has not reached. ``commits``: commits so far (creation is the first).
/// ``committed_at_ms``: when it was committed.
#[pyclass(frozen, get_all, module = "segmentlog", name = "CursorPosition")]
#[derive(Debug)]
pub(crate) struct PyCursorPosition {
    name: String,
    committed: u64,
    resume: u64,
    skipped: u64,
    lag: u64,
    commits: u64,
    committed_at_ms: u64,
}

#[pymethods]
impl PyCursorPosition {
    fn __repr__(&self) -> String {
        format!(
            "CursorPosition(name={:?}, committed={}, resume={}, skipped={}, lag={}, commits={})",
            self.name, self.committed, self.resume, self.skipped, self.lag, self.commits
        )
    }
}

/// A named durable cursor of a log: a consumer's committed position, kept in the log's
/// directory so that it resumes after a crash, in any process. Made by :meth:`Log.cursor` or
/// :meth:`Log.open_cursor`.
///
/// The pattern is at-least-once: iterate from the cursor, process each record, then
/// :meth:`commit` the offset after the last one processed (``record.offset + 1``). A commit is
/// durable when it returns (one fdatasync); a crash during one leaves the old or the new
/// position. Commits from several threads or processes are serialised; the last one wins.
#[pyclass(frozen, module = "segmentlog", name = "Cursor")]
#[derive(Debug)]
pub(crate) struct PyCursor {
    cursor: Detached<Cursor>,
    log: Detached<Log>,
}

impl PyCursor {
    pub(crate) fn new(cursor: Cursor, log: Log) -> Self {
        PyCursor {
            cursor: Detached::new(cursor),
            log: Detached::new(log),
        }
    }
}

#[pymethods]
impl PyCursor {
    /// The cursor's name.
    #[getter]
    fn name(&self) -> &str {
        self.cursor.name()
    }

    /// Whether the call that made this object created the cursor (False: it existed).
    #[getter]
    fn created(&self) -> bool {
        self.cursor.created()
    }

    /// position() -> CursorPosition
    ///
    /// The committed position (read from the cursor's file: commits by other processes show)
    /// and where reading resumes. Raises :class:`CursorNotFoundError` once it was deleted.
    fn position(&self, py: Python<'_>) -> PyResult<PyCursorPosition> {
        let p = py.detach(|| guard(|| self.cursor.position())).py_err(py)?;
        Ok(PyCursorPosition {
            name: p.name,
            committed: p.committed,
            resume: p.resume,
            skipped: p.skipped,
            lag: p.lag,
            commits: p.commits,
            committed_at_ms: p.committed_at_ms,
        })
    }

    /// commit(position) -> None
    ///
    /// Commits ``position`` (the offset of the next record to process, at most
    /// :attr:`Log.next_offset`) durably. It may go back, to process records again.
    fn commit(&self, py: Python<'_>, position: &Bound<'_, PyAny>) -> PyResult<()> {
        let position = crate::log::offset_arg(py, &self.log, position)?;
        py.detach(|| guard(|| self.cursor.commit(position)))
            .py_err(py)
    }

    /// iter(wait=None, skip_holes=False) -> LogIterator
    ///
    /// Records from where the cursor resumes, as :meth:`Log.iter` (``wait`` seconds, or True
    /// for ever, for new ones at the end). Iterating commits nothing.
    #[pyo3(signature = (wait=None, skip_holes=false))]
    fn iter(
        &self,
        py: Python<'_>,
        wait: Option<&Bound<'_, PyAny>>,
        skip_holes: bool,
    ) -> PyResult<PyLogIterator> {
        let wait = Wait::parse(py, "wait", wait, Wait::No)?;
        let it = py
            .detach(|| guard(|| Ok(self.cursor.iter()?.skip_holes(skip_holes))))
            .py_err(py)?;
        Ok(PyLogIterator::new(it, wait))
    }

    /// Records from where the cursor resumes to the current end of the log.
    fn __iter__(&self, py: Python<'_>) -> PyResult<PyLogIterator> {
        self.iter(py, None, false)
    }

    /// auto_commit(every, wait=None, skip_holes=False) -> AutoCommitIterator
    ///
    /// Records from where the cursor resumes (as :meth:`iter`), committed as they are
    /// processed: asking for the next record counts the one before as processed, and every
    /// ``every`` processed records (at least 1) their position is committed. At least once:
    /// after a crash up to ``every`` records come again. Use it in a ``with`` block (leaving it
    /// without an exception commits the records handed out) or call
    /// :meth:`AutoCommitIterator.commit` when done.
    #[pyo3(signature = (every, wait=None, skip_holes=false))]
    fn auto_commit(
        slf: Bound<'_, Self>,
        every: u64,
        wait: Option<&Bound<'_, PyAny>>,
        skip_holes: bool,
    ) -> PyResult<PyAutoCommit> {
        let py = slf.py();
        let wait = Wait::parse(py, "wait", wait, Wait::No)?;
        let this = slf.get();
        let (iter, tally) = py
            .detach(|| {
                guard(|| {
                    let tally = CommitTally::new(every)?;
                    Ok((this.cursor.iter()?.skip_holes(skip_holes), tally))
                })
            })
            .py_err(py)?;
        Ok(PyAutoCommit {
            cursor: slf.unbind(),
            state: Detached::new(Mutex::new((iter, tally))),
            wait,
        })
    }

    fn __repr__(&self) -> String {
        format!("Cursor(name={:?})", self.cursor.name())
    }
}

/// Records from a cursor, committed as they are processed; made by :meth:`Cursor.auto_commit`.
///
/// Iterating yields :class:`Record` objects as :class:`LogIterator` does (waiting as asked);
/// each step first counts the record handed out before as processed and commits every
/// ``every`` of them. ``commit()`` commits everything handed out so far; a ``with`` block
/// commits on a normal exit and commits nothing more if it ends with an exception (the
/// record being processed then comes again after a restart).
#[pyclass(frozen, module = "segmentlog", name = "AutoCommitIterator")]
#[derive(Debug)]
pub(crate) struct PyAutoCommit {
    cursor: Py<PyCursor>,
    // Locked only with the GIL released (threads may share the iterator).
    state: Detached<Mutex<(segmentlog::Iter, CommitTally)>>,
    wait: Wait,
}

impl PyAutoCommit {
    fn next_within(&self, py: Python<'_>, wait: Wait) -> PyResult<Option<PyRecord>> {
        let cursor: &Cursor = &self.cursor.get().cursor;
        let found = wait.run(py, |slice| {
            guard(|| {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let (iter, tally) = &mut *state;
                // Counts the record handed out before once (a no-op on later slices).
                tally.before_next(cursor)?;
                let record = if wait == Wait::No {
                    iter.next().transpose()?
                } else {
                    iter.next_timeout(Some(slice))?
                };
                if let Some(r) = &record {
                    tally.handed_out(r.offset);
                }
                Ok(record)
            })
        })?;
        Ok(found.map(|r| PyRecord::from_core(py, r)))
    }

    fn commit_handed_out(&self, py: Python<'_>) -> PyResult<()> {
        let cursor: &Cursor = &self.cursor.get().cursor;
        py.detach(|| {
            guard(|| {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                state.1.commit(cursor)
            })
        })
        .py_err(py)
    }
}

#[pymethods]
impl PyAutoCommit {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyRecord>> {
        self.next_within(py, self.wait)
    }

    /// next_timeout(timeout=None) -> Record | None
    ///
    /// The next record, waiting up to ``timeout`` seconds for it to be appended (``None``:
    /// forever, ``0``: not at all); ``None`` if the time passes first. Counts the record
    /// handed out before as processed, as iterating does.
    #[pyo3(signature = (timeout=None))]
    fn next_timeout(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<PyRecord>> {
        self.next_within(py, Wait::parse_next_timeout(py, timeout)?)
    }

    /// commit() -> None
    ///
    /// Commits the position after every record handed out so far (all of them processed),
    /// durably.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        self.commit_handed_out(py)
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Commits what was handed out unless the block ended with an exception.
    #[pyo3(signature = (exc_type, _exc_value, _traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        if exc_type.is_none_or(|t| t.is_none()) {
            self.commit_handed_out(py)?;
        }
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "<segmentlog.AutoCommitIterator cursor={:?}>",
            self.cursor.get().cursor.name()
        )
    }
}
