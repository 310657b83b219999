//! Turning core's errors (and panics) into the Python exceptions of `segmentlog._errors`.
//!
//! The exception classes are written in Python (`python/segmentlog/_errors.py`) because some need
//! two built-in bases (`IndexError`, `OSError`) and real attributes; this module only picks the
//! class for each core error kind and fills in its arguments.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::PyErrArguments;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// What went wrong in a call into core: an error it returned, or a panic we caught.
///
/// Kept free of Python objects so it can cross `Python::detach`.
#[derive(Debug)]
pub(crate) enum Failure {
    Core(segmentlog::Error),
    Panic(String),
}

impl From<segmentlog::Error> for Failure {
    fn from(e: segmentlog::Error) -> Self {
        Failure::Core(e)
    }
}

/// Runs `f` (a call into core) and catches any panic, so that no `PanicException` (a
/// `BaseException` that `except Exception` misses) can reach Python. Safe to call with the GIL
/// released.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, segmentlog::Error>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(Failure::Core),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Failure::Panic(msg))
        }
    }
}

impl Failure {
    /// The Python exception for this failure.
    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Core(e) => core_error(py, e),
            Failure::Panic(msg) => raise(
                py,
                "SegmentLogError",
                (format!(
                    "internal error in segmentlog (a bug, please report it): {msg}"
                ),),
            ),
        }
    }
}

/// Extension to convert `Result<T, Failure>` into `PyResult<T>`.
pub(crate) trait IntoPyResult<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Failure> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|f| f.into_pyerr(py))
    }
}

/// The contract's Python exception class for each error kind (see `docs/API.md`).
fn class_of(kind: segmentlog::ErrorKind) -> &'static str {
    use segmentlog::ErrorKind as K;
    match kind {
        K::OutOfRange => "OffsetOutOfRangeError",
        K::Hole => "HoleError",
        K::Corrupt => "CorruptLogError",
        K::Closed => "LogClosedError",
        K::Locked => "LogLockedError",
        K::InvalidArgument => "InvalidArgumentError",
        K::Io => "SegmentLogIOError",
        K::NotFound => "CursorNotFoundError",
    }
}

/// Maps one core error onto its kind's Python exception, with the attributes its variant
/// carries (the offsets of an out-of-range offset or a hole, the locked directory, the errno).
fn core_error(py: Python<'_>, e: segmentlog::Error) -> PyErr {
    use segmentlog::Error as E;
    let class = class_of(e.kind());
    let msg = e.to_string();
    let errno = e.raw_os_error();
    match e {
        E::OutOfRange {
            offset,
            lowest,
            next,
        } => raise(py, class, (msg, offset, lowest, next)),
        E::Hole {
            offset, segment, ..
        } => raise(py, class, (msg, offset, segment)),
        E::Locked { dir } => raise(py, class, (msg, dir)),
        // OSError(errno, strerror) sets `errno` and `strerror`; str() shows both. (A poisoned
        // log is an I/O failure whose errno is already gone.)
        E::Io { .. } if errno.is_some() => raise(py, class, (errno, msg)),
        // The other variants carry only their message.
        _ => raise(py, class, (msg,)),
    }
}

/// The exception `segmentlog._errors.<name>(*args)`.
pub(crate) fn raise<A>(py: Python<'_>, name: &'static str, args: A) -> PyErr
where
    A: PyErrArguments + Send + Sync + 'static,
{
    match error_class(py, name) {
        Ok(cls) => PyErr::from_type(cls, args),
        Err(import_failed) => import_failed,
    }
}

/// The exception class `name` of `segmentlog._errors`, imported once per class.
fn error_class<'py>(py: Python<'py>, name: &'static str) -> PyResult<Bound<'py, PyType>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let module = MODULE.get_or_try_init(py, || {
        PyResult::Ok(py.import("segmentlog._errors")?.unbind())
    })?;
    Ok(module.bind(py).getattr(name)?.cast_into::<PyType>()?)
}
