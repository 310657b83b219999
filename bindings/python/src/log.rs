//! `segmentlog.Log`: the log handle, and `segmentlog.open`.

use std::borrow::Cow;
use std::path::PathBuf;

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyRange, PyString};
use segmentlog::{Log, SyncPolicy};

use crate::cursor::PyCursor;
use crate::detached::Detached;
use crate::errors::{Failure, IntoPyResult, guard, raise};
use crate::iter::PyLogIterator;
use crate::options;
use crate::record::PyRecord;
use crate::report::PyRecoveryReport;
use crate::value::Value;
use crate::wait::Wait;

/// Values and reads at least this big are copied with the GIL released.
const BIG: usize = 64 * 1024;

/// A commit log: a directory of segments holding records appended in order, each with an
/// offset (an int that grows by one per record) and a timestamp.
///
/// ``Log(path, **options)`` opens the log in ``path`` (creating it if needed), the same as
/// :func:`segmentlog.open`. Use it as a context manager, or call :meth:`close`. One ``Log`` may
/// be shared by many threads; file work (syncs, waits, batches, big reads and writes) runs with
/// the GIL released.
///
/// Options (keyword only, ``None`` means the default): ``max_segment_bytes`` (64 MiB),
/// ``max_index_bytes`` (8 MiB), ``initial_offset`` (0), ``sync`` (``"never"``, ``"always"`` or
/// an int of milliseconds between background syncs; default ``"never"``), ``recovery``
/// (``"truncate_tail"`` or ``"strict"``), ``retention_bytes``, ``retention_ms``, ``read_only``
/// (``False``). An unknown option or a value of the wrong type raises ``TypeError``; a bad value
/// raises :class:`InvalidArgumentError` (a ``ValueError``).
#[pyclass(frozen, module = "segmentlog", name = "Log")]
pub(crate) struct PyLog {
    log: Detached<Log>,
    /// The open's recovery report, converted on first use.
    report: PyOnceLock<Py<PyRecoveryReport>>,
}

impl std::fmt::Debug for PyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyLog")
            .field("log", &*self.log)
            .finish_non_exhaustive()
    }
}

/// Opens a log; see [`PyLog`].
fn open_log(py: Python<'_>, path: PathBuf, options: Option<&Bound<'_, PyDict>>) -> PyResult<PyLog> {
    let options = options::parse(py, options)?;
    let log = py
        .detach(|| guard(|| Log::open(&path, options)))
        .py_err(py)?;
    Ok(PyLog {
        log: Detached::new(log),
        report: PyOnceLock::new(),
    })
}

/// repair(path, dry_run=False) -> RecoveryReport
///
/// Repairs the log in directory ``path``: reads every store through (trusting no index), makes
/// a hole of every damaged record that was durable (its bytes copied to ``path/quarantine/``),
/// cuts a torn tail, rebuilds every index that does not match its store, and returns what it
/// did as a :class:`RecoveryReport`. No intact record is removed and no offset changes. With
/// ``dry_run`` it changes nothing and reports what it would do. Runs with the GIL released.
/// Raises :class:`LogLockedError` while a writer has the log open.
#[pyfunction]
#[pyo3(signature = (path, dry_run=false))]
pub(crate) fn repair(py: Python<'_>, path: PathBuf, dry_run: bool) -> PyResult<PyRecoveryReport> {
    let report = py
        .detach(|| guard(|| Log::repair(&path, dry_run)))
        .py_err(py)?;
    PyRecoveryReport::from_core(py, report)
}

/// open(path, **options) -> Log
///
/// Opens (or creates) the log in directory ``path``. The options are those of :class:`Log`.
/// Raises :class:`LogLockedError` if another writer holds the directory, and
/// :class:`CorruptLogError` if it holds damage that recovery may not cut off.
#[pyfunction]
#[pyo3(signature = (path, **options))]
pub(crate) fn open(
    py: Python<'_>,
    path: PathBuf,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyLog> {
    open_log(py, path, options)
}

impl PyLog {
    fn sync_always(&self) -> bool {
        self.log.options().sync == SyncPolicy::Always
    }

    /// An offset argument: any int from 0 to 2**63 - 1 (core's `format::MAX_OFFSET`, which is
    /// `i64::MAX`); `None` for an int outside (negative, or beyond any offset). Anything that
    /// is not an int is a `TypeError`.
    pub(crate) fn offset_in_range(value: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        match value.extract::<i64>() {
            Ok(o) => Ok(u64::try_from(o).ok()),
            // An int too large (or too negative) for an i64: no offset is that far out.
            Err(e) if e.is_instance_of::<PyOverflowError>(value.py()) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An offset argument of this log (see [`offset_arg`]).
    fn offset(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        offset_arg(py, &self.log, value)
    }

    /// Reads one record into a new `bytes` object with a single copy. Small values are copied
    /// straight from the log's memory map with the GIL held (creating a `bytes` object runs no
    /// Python code, so nothing can call back into the log meanwhile); big ones are copied into a
    /// `bytes` object allocated first, with the GIL released.
    fn read_parts<'py>(
        &self,
        py: Python<'py>,
        offset: u64,
    ) -> PyResult<(u64, u64, Bound<'py, PyBytes>)> {
        enum Got<'py> {
            Small(u64, u64, Bound<'py, PyBytes>),
            Big(usize),
        }
        let got = guard(|| {
            self.log.read_with(offset, |r| {
                if r.value.len() < BIG {
                    Got::Small(r.offset, r.timestamp, PyBytes::new(py, r.value))
                } else {
                    Got::Big(r.value.len())
                }
            })
        })
        .py_err(py)?;
        let mut len = match got {
            Got::Small(o, t, b) => return Ok((o, t, b)),
            Got::Big(len) => len,
        };
        // The record may change between two reads (truncate_back, then a new append at the same
        // offset): then allocate again for its new length.
        loop {
            let mut copied = Err(0);
            let bytes = PyBytes::new_with(py, len, |buf| {
                copied = py
                    .detach(|| guard(|| self.log.read_into(offset, buf)))
                    .py_err(py)?;
                Ok(())
            })?;
            match copied {
                Ok(c) if c.len == len => return Ok((offset, c.timestamp, bytes)),
                // Shorter now: the bytes object must be exactly the value.
                Ok(c) => len = c.len,
                Err(needed) => len = needed,
            }
        }
    }

    fn make_iter(
        &self,
        py: Python<'_>,
        start: Option<&Bound<'_, PyAny>>,
        wait: Wait,
        skip_holes: bool,
    ) -> PyResult<PyLogIterator> {
        let start = match start {
            Some(s) => self.offset(py, s)?,
            None => guard(|| self.log.lowest_offset()).py_err(py)?,
        };
        let it = guard(|| Ok(self.log.iter(start).skip_holes(skip_holes))).py_err(py)?;
        Ok(PyLogIterator::new(it, wait))
    }
}

#[pymethods]
impl PyLog {
    #[new]
    #[pyo3(signature = (path, **options))]
    fn py_new(
        py: Python<'_>,
        path: PathBuf,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        open_log(py, path, options)
    }

    /// append(value) -> int
    ///
    /// Appends one value (any bytes-like object: ``bytes``, ``bytearray``, ``memoryview``, ...)
    /// and returns its offset. The value is not copied on the way in. With ``sync="always"`` it
    /// is on disk when this returns. ``TypeError`` for anything not bytes-like (``str``: encode
    /// it first); :class:`InvalidArgumentError` if it is too large for a segment.
    fn append(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        let v = Value::extract(value)?;
        let bytes = v.as_slice();
        let slow = self.sync_always() || bytes.len() >= BIG;
        let result = if slow && v.immutable() {
            py.detach(|| guard(|| self.log.append(bytes)))
        } else if self.sync_always() {
            // A mutable buffer must not change while core checksums and writes it.
            let owned = bytes.to_vec();
            py.detach(|| guard(|| self.log.append(&owned)))
        } else {
            // Fast path (and big mutable buffers): a write to the page cache, GIL held.
            guard(|| self.log.append(bytes))
        };
        result.py_err(py)
    }

    /// append_batch(values) -> range
    ///
    /// Appends every value of an iterable of bytes-like objects with one write (and one sync
    /// under ``sync="always"``); returns the ``range`` of offsets they got. After a crash the
    /// batch is all there or not at all. The batch must fit in one segment. If any item is not
    /// bytes-like, ``TypeError`` is raised and nothing is appended.
    fn append_batch<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyRange>> {
        let held = values
            .try_iter()?
            .map(|item| Value::extract(&item?))
            .collect::<PyResult<Vec<_>>>()?;
        let slices: Vec<Cow<'_, [u8]>> = held.iter().map(Value::detachable).collect();
        let range = py
            .detach(|| guard(|| self.log.append_batch(&slices)))
            .py_err(py)?;
        // Offsets never exceed i64::MAX (format::MAX_OFFSET), so this cannot fail on 64-bit.
        let bound = |o: u64| {
            isize::try_from(o).map_err(|_| PyOverflowError::new_err("offset does not fit a range"))
        };
        PyRange::new(py, bound(range.start)?, bound(range.end)?)
    }

    /// read(offset) -> bytes
    ///
    /// The value of the record at ``offset``. Raises :class:`OffsetOutOfRangeError` (an
    /// ``IndexError``) if ``offset`` is below :attr:`lowest_offset` or not below
    /// :attr:`next_offset`, and :class:`HoleError` if its record was damaged.
    fn read<'py>(
        &self,
        py: Python<'py>,
        offset: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let offset = self.offset(py, offset)?;
        Ok(self.read_parts(py, offset)?.2)
    }

    /// read_many(offsets) -> list[bytes]
    ///
    /// The values at ``offsets`` (any iterable of ints), in that order: the same list as
    /// ``[log.read(o) for o in offsets]`` and the same first error, but faster for many random
    /// offsets (one call; the log fetches a window of records at a time, so their memory
    /// misses overlap). The reads run with the GIL released.
    fn read_many<'py>(
        &self,
        py: Python<'py>,
        offsets: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut wanted = Vec::new();
        for item in offsets.try_iter()? {
            wanted.push(self.offset(py, &item?)?);
        }
        // The reads (many of them: page faults, or preads for a read-only log) run with the
        // GIL released, into one buffer; the bytes objects are made from it afterwards.
        let (data, lens) = py
            .detach(|| {
                guard(|| {
                    let (mut data, mut lens) = (Vec::new(), Vec::with_capacity(wanted.len()));
                    self.log.read_many_with(&wanted, |r| {
                        data.extend_from_slice(r.value);
                        lens.push(r.value.len());
                    })?;
                    Ok((data, lens))
                })
            })
            .py_err(py)?;
        let mut at = 0;
        PyList::new(
            py,
            lens.into_iter().map(|len| {
                at += len;
                PyBytes::new(py, &data[at - len..at])
            }),
        )
    }

    /// read_record(offset) -> Record
    ///
    /// The record at ``offset`` with its offset, timestamp and value; errors as :meth:`read`.
    fn read_record(&self, py: Python<'_>, offset: &Bound<'_, PyAny>) -> PyResult<PyRecord> {
        let offset = self.offset(py, offset)?;
        let (o, t, value) = self.read_parts(py, offset)?;
        Ok(PyRecord::new(o, t, value))
    }

    /// iter(start=None, wait=None, skip_holes=False) -> LogIterator
    ///
    /// Iterates over records (:class:`Record`) in offset order from ``start`` (default: the
    /// lowest offset). With ``wait=None`` or ``False`` iteration stops at the current end of the
    /// log; with ``wait`` a number of seconds, each step waits up to that long for the next
    /// record to be appended (a tail that stops after a quiet spell); with ``wait=True`` it
    /// waits forever (until the log is closed, which raises :class:`LogClosedError`).
    /// A hole (a damaged record) raises :class:`HoleError` once, and the next step goes on
    /// after it; with ``skip_holes=True`` holes are passed over silently.
    #[pyo3(signature = (start=None, wait=None, skip_holes=false))]
    fn iter(
        &self,
        py: Python<'_>,
        start: Option<&Bound<'_, PyAny>>,
        wait: Option<&Bound<'_, PyAny>>,
        skip_holes: bool,
    ) -> PyResult<PyLogIterator> {
        let wait = Wait::parse(py, "wait", wait, Wait::No)?;
        self.make_iter(py, start, wait, skip_holes)
    }

    /// Iterates over every record held, from the lowest offset to the current end.
    fn __iter__(&self, py: Python<'_>) -> PyResult<PyLogIterator> {
        self.make_iter(py, None, Wait::No, false)
    }

    /// wait_for(offset, timeout=None) -> bool
    ///
    /// Waits until the record at ``offset`` exists (``next_offset > offset``) or ``timeout``
    /// seconds pass (``None``: forever); returns whether it exists.
    #[pyo3(signature = (offset, timeout=None))]
    fn wait_for(
        &self,
        py: Python<'_>,
        offset: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let offset = self.offset(py, offset)?;
        let wait = Wait::parse(py, "timeout", timeout, Wait::Forever)?;
        let found = wait.run(py, |slice| {
            guard(|| Ok(self.log.wait_for(offset, Some(slice))?.then_some(())))
        })?;
        Ok(found.is_some())
    }

    /// cursor(name, start="lowest", time_ms=None) -> Cursor
    ///
    /// Opens the named cursor, creating it (durably) if it does not exist at ``start``:
    /// ``"lowest"`` (every record held), ``"next"`` (only records appended from now on) or an
    /// offset; with ``time_ms``, at the first record appended at or after that time. An
    /// existing cursor keeps its position (:attr:`Cursor.created` says which). Works on a log
    /// opened ``read_only``. Names are 1 to 128 ASCII letters, digits, ``-``, ``_`` and ``.``,
    /// not starting with ``.`` (else :class:`InvalidArgumentError`).
    #[pyo3(signature = (name, start=None, time_ms=None))]
    fn cursor(
        &self,
        py: Python<'_>,
        name: &str,
        start: Option<&Bound<'_, PyAny>>,
        time_ms: Option<i64>,
    ) -> PyResult<PyCursor> {
        let start = crate::cursor::parse_start(py, &self.log, start, time_ms)?;
        let log: &Log = &self.log;
        let cursor = py.detach(|| guard(|| log.cursor(name, start))).py_err(py)?;
        Ok(PyCursor::new(cursor, log.clone()))
    }

    /// open_cursor(name) -> Cursor
    ///
    /// Opens the existing cursor ``name``; :class:`CursorNotFoundError` if there is none.
    fn open_cursor(&self, py: Python<'_>, name: &str) -> PyResult<PyCursor> {
        let log: &Log = &self.log;
        let cursor = py.detach(|| guard(|| log.open_cursor(name))).py_err(py)?;
        Ok(PyCursor::new(cursor, log.clone()))
    }

    /// cursor_names() -> list[str]
    ///
    /// The names of the log's cursors, sorted.
    fn cursor_names(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let log: &Log = &self.log;
        py.detach(|| guard(|| log.cursor_names())).py_err(py)
    }

    /// delete_cursor(name) -> None
    ///
    /// Deletes the cursor ``name`` (durably); :class:`CursorNotFoundError` if there is none.
    /// Cursor objects still open on it raise :class:`CursorNotFoundError` from then on.
    fn delete_cursor(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let log: &Log = &self.log;
        py.detach(|| guard(|| log.delete_cursor(name))).py_err(py)
    }

    /// The lowest offset the log holds (equal to :attr:`next_offset` when it is empty).
    #[getter]
    fn lowest_offset(&self, py: Python<'_>) -> PyResult<u64> {
        guard(|| self.log.lowest_offset()).py_err(py)
    }

    /// The offset the next append will get.
    #[getter]
    fn next_offset(&self, py: Python<'_>) -> PyResult<u64> {
        guard(|| self.log.next_offset()).py_err(py)
    }

    /// What this open found and did (a :class:`RecoveryReport`): after a crash, what was
    /// scanned, cut, made a hole or put into the quarantine. Stays readable after close.
    #[getter]
    fn recovery_report(&self, py: Python<'_>) -> PyResult<Py<PyRecoveryReport>> {
        let report = self.report.get_or_try_init(py, || {
            let core = guard(|| Ok(self.log.recovery_report().clone())).py_err(py)?;
            Py::new(py, PyRecoveryReport::from_core(py, core)?)
        })?;
        Ok(report.clone_ref(py))
    }

    /// The log's directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.log.dir().to_path_buf()
    }

    /// Whether the log has been closed.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        guard(|| Ok(self.log.is_closed())).py_err(py)
    }

    /// offset_at_time(timestamp_ms) -> int
    ///
    /// The first offset appended at or after ``timestamp_ms`` (milliseconds since the Unix
    /// epoch, an int); :attr:`lowest_offset` if every record is that new, :attr:`next_offset` if
    /// none is.
    fn offset_at_time(&self, py: Python<'_>, timestamp_ms: i64) -> PyResult<u64> {
        // Every record was appended after any time before the epoch.
        let ms = u64::try_from(timestamp_ms).unwrap_or(0);
        py.detach(|| guard(|| self.log.offset_at_time(ms)))
            .py_err(py)
    }

    /// truncate_front(offset) -> None
    ///
    /// Drops whole old segments whose records all lie below ``offset`` (so
    /// :attr:`lowest_offset` may stay below it). With ``offset`` at or beyond
    /// :attr:`next_offset` the log is emptied and the next append gets ``offset`` (at most
    /// 2**63 - 1: above, :class:`InvalidArgumentError`).
    fn truncate_front(&self, py: Python<'_>, offset: &Bound<'_, PyAny>) -> PyResult<()> {
        let offset = match Self::offset_in_range(offset)? {
            Some(o) => o,
            // Above any offset: what core says of a u64 above its largest offset.
            None if offset.gt(0)? => {
                return Err(raise(
                    py,
                    "InvalidArgumentError",
                    (format!(
                        "invalid argument: offset {offset} is above the largest offset {}",
                        segmentlog::MAX_OFFSET
                    ),),
                ));
            }
            None => self.offset(py, offset)?,
        };
        py.detach(|| guard(|| self.log.truncate_front(offset)))
            .py_err(py)
    }

    /// truncate_back(offset) -> None
    ///
    /// Removes every record at or after ``offset`` (durably); the next append gets ``offset``.
    /// ``offset`` must lie between :attr:`lowest_offset` and :attr:`next_offset` inclusive.
    fn truncate_back(&self, py: Python<'_>, offset: &Bound<'_, PyAny>) -> PyResult<()> {
        let offset = self.offset(py, offset)?;
        py.detach(|| guard(|| self.log.truncate_back(offset)))
            .py_err(py)
    }

    /// sync() -> None
    ///
    /// Makes everything appended so far durable (fdatasync), with the GIL released.
    fn sync(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| guard(|| self.log.sync())).py_err(py)
    }

    /// close() -> None
    ///
    /// Syncs and closes the log and releases its lock. Calling it again does nothing; any other
    /// call afterwards raises :class:`LogClosedError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| match guard(|| self.log.close()) {
            Err(Failure::Core(segmentlog::Error::Closed)) => Ok(()),
            other => other,
        })
        .py_err(py)
    }

    /// The number of records held: ``next_offset - lowest_offset``.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        let n = guard(|| self.log.len()).py_err(py)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let path = PyString::new(py, &self.log.dir().to_string_lossy()).repr()?;
        let bounds = guard(|| Ok((self.log.lowest_offset()?, self.log.next_offset()?)));
        Ok(match bounds {
            Ok((lowest, next)) => format!(
                "<segmentlog.Log {path} offsets {lowest}..{next} ({} records)>",
                next - lowest
            ),
            Err(_) => format!("<segmentlog.Log {path} closed>"),
        })
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Closes the log on leaving a ``with`` block; exceptions are not suppressed.
    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }
}

/// An offset argument of `log`: an int that is negative or above 2**63 - 1 can be no offset of
/// the log, and raises `OffsetOutOfRangeError` (with that int as its `offset`); anything not an
/// int is a `TypeError`.
pub(crate) fn offset_arg(py: Python<'_>, log: &Log, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Some(o) = PyLog::offset_in_range(value)? {
        return Ok(o);
    }
    let (lowest, next) = guard(|| Ok((log.lowest_offset()?, log.next_offset()?))).py_err(py)?;
    Err(raise(
        py,
        "OffsetOutOfRangeError",
        (
            format!("offset {value} is out of range: the log holds offsets {lowest}..{next}"),
            value.clone().unbind(),
            lowest,
            next,
        ),
    ))
}
