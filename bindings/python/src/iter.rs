//! `segmentlog.LogIterator`: records in offset order, optionally waiting for new ones (tailing).

use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;

use crate::detached::Detached;
use crate::errors::{IntoPyResult, guard};
use crate::record::PyRecord;
use crate::wait::Wait;

/// Iterates over a log's records in offset order, yielding :class:`Record` objects.
///
/// Made by :meth:`Log.iter` (or ``iter(log)``). Without ``wait`` it stops at the current end of
/// the log; with ``wait`` it blocks (other Python threads keep running) until the next record is
/// appended, and stops when ``wait`` seconds pass without one. It raises
/// :class:`OffsetOutOfRangeError` if its position falls below the log's lowest offset
/// (truncation, retention) and :class:`LogClosedError` once the log is closed.
#[pyclass(frozen, module = "segmentlog", name = "LogIterator")]
#[derive(Debug)]
pub(crate) struct PyLogIterator {
    // A Mutex so threads may share the iterator; it is only locked with the GIL released.
    inner: Detached<Mutex<segmentlog::Iter>>,
    wait: Wait,
}

impl PyLogIterator {
    pub(crate) fn new(inner: segmentlog::Iter, wait: Wait) -> Self {
        PyLogIterator {
            inner: Detached::new(Mutex::new(inner)),
            wait,
        }
    }

    fn next_within(&self, py: Python<'_>, wait: Wait) -> PyResult<Option<PyRecord>> {
        let found = wait.run(py, |slice| {
            guard(|| {
                let mut it = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
                if wait == Wait::No {
                    it.next().transpose()
                } else {
                    it.next_timeout(Some(slice))
                }
            })
        })?;
        Ok(found.map(|r| PyRecord::from_core(py, r)))
    }
}

#[pymethods]
impl PyLogIterator {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyRecord>> {
        self.next_within(py, self.wait)
    }

    /// next_timeout(timeout=None) -> Record | None
    ///
    /// The next record, waiting up to ``timeout`` seconds for it to be appended (``None``:
    /// forever, ``0``: not at all). Returns ``None`` if the time passes first.
    #[pyo3(signature = (timeout=None))]
    fn next_timeout(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<PyRecord>> {
        self.next_within(py, Wait::parse_next_timeout(py, timeout)?)
    }

    /// The offset of the record this iterator yields next.
    #[getter]
    fn position(&self, py: Python<'_>) -> PyResult<u64> {
        py.detach(|| {
            guard(|| {
                Ok(self
                    .inner
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .position())
            })
        })
        .py_err(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let wait = match self.wait {
            Wait::No => "no wait".to_owned(),
            Wait::For(d) => format!("wait={}s", d.as_secs_f64()),
            Wait::Forever => "wait=forever".to_owned(),
        };
        Ok(format!(
            "<segmentlog.LogIterator position={} {wait}>",
            self.position(py)?
        ))
    }
}
