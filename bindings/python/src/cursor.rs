//! `segmentlog.Cursor` and `segmentlog.CursorPosition`: named durable cursors. Conversion
//! only; the behaviour is core's (`Log::cursor`, `Cursor::commit`, ...).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString};
use segmentlog::{Cursor, CursorStart, Log};

use crate::detached::Detached;
use crate::errors::{IntoPyResult, guard, raise};
use crate::iter::PyLogIterator;
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

    fn __repr__(&self) -> String {
        format!("Cursor(name={:?})", self.cursor.name())
    }
}
