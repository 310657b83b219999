//! `segmentlog.Record`: one record with its offset and append time.

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple, PyType};

/// One record of a log: its ``offset``, its ``timestamp`` (milliseconds since the Unix epoch,
/// when it was appended) and its ``value`` (bytes). Immutable, comparable and hashable.
#[pyclass(frozen, module = "segmentlog", name = "Record")]
#[derive(Debug)]
pub(crate) struct PyRecord {
    /// The record's offset in the log.
    #[pyo3(get)]
    offset: u64,
    /// When the record was appended, in milliseconds since the Unix epoch.
    #[pyo3(get)]
    timestamp: u64,
    /// The bytes that were appended.
    #[pyo3(get)]
    value: Py<PyBytes>,
}

impl PyRecord {
    pub(crate) fn new(offset: u64, timestamp: u64, value: Bound<'_, PyBytes>) -> Self {
        PyRecord {
            offset,
            timestamp,
            value: value.unbind(),
        }
    }

    /// Converts a record read by core (copies the value into a `bytes` object).
    pub(crate) fn from_core(py: Python<'_>, r: segmentlog::Record) -> Self {
        PyRecord::new(r.offset, r.timestamp, PyBytes::new(py, &r.value))
    }

    fn key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            [
                self.offset.into_pyobject(py)?.into_any(),
                self.timestamp.into_pyobject(py)?.into_any(),
                self.value.bind(py).clone().into_any(),
            ],
        )
    }
}

#[pymethods]
impl PyRecord {
    /// Record(offset, timestamp, value): builds a record (mostly useful in tests, to compare).
    #[new]
    fn py_new(offset: u64, timestamp: u64, value: Bound<'_, PyBytes>) -> Self {
        PyRecord::new(offset, timestamp, value)
    }

    /// Lets ``match rec: case Record(offset, timestamp, value)`` work.
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("offset", "timestamp", "value")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        const SHOWN: usize = 64;
        let value = self.value.bind(py);
        let bytes = value.as_bytes();
        let shown = if bytes.len() > SHOWN {
            let head = PyBytes::new(py, &bytes[..SHOWN]).repr()?;
            format!("{head}...({} bytes)", bytes.len())
        } else {
            value.repr()?.to_string()
        };
        Ok(format!(
            "Record(offset={}, timestamp={}, value={shown})",
            self.offset, self.timestamp
        ))
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<PyRecord>() else {
            return Ok(py.NotImplemented());
        };
        let other = other.get();
        let same = self.offset == other.offset
            && self.timestamp == other.timestamp
            && self.value.bind(py).as_bytes() == other.value.bind(py).as_bytes();
        Ok(match op {
            CompareOp::Eq => same.into_pyobject(py)?.to_owned().into_any().unbind(),
            CompareOp::Ne => (!same).into_pyobject(py)?.to_owned().into_any().unbind(),
            _ => py.NotImplemented(),
        })
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.key(py)?.hash()
    }

    /// Lets records be pickled (e.g. sent to another process by ``multiprocessing``).
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        Ok((slf.get_type(), slf.get().key(slf.py())?))
    }
}
