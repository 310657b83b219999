//! Waiting with the GIL released, in short slices so Ctrl-C (KeyboardInterrupt) still works.

use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};

use crate::errors::{Failure, IntoPyResult, raise};

/// Longest stretch spent without the GIL before checking for signals.
const SLICE: Duration = Duration::from_millis(100);

/// How long a blocking call may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Do not wait at all.
    No,
    /// Wait up to this long.
    For(Duration),
    /// Wait until it happens (or the log is closed).
    Forever,
}

impl Wait {
    /// Parses a timeout argument: `None` → `none_means`, `True` → forever, `False` → no wait, a
    /// number → seconds (`ValueError` if negative or not finite), anything else → `TypeError`.
    pub(crate) fn parse(
        py: Python<'_>,
        name: &str,
        value: Option<&Bound<'_, PyAny>>,
        none_means: Wait,
    ) -> PyResult<Wait> {
        let Some(value) = value.filter(|v| !v.is_none()) else {
            return Ok(none_means);
        };
        if let Ok(b) = value.cast::<PyBool>() {
            return Ok(if b.is_true() { Wait::Forever } else { Wait::No });
        }
        if !(value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>()) {
            let ty = value.get_type().name()?;
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{name} must be a number of seconds, True, False or None, not {ty}"
            )));
        }
        let secs: f64 = value.extract()?;
        Duration::try_from_secs_f64(secs)
            .map(Wait::For)
            .map_err(|_| {
                raise(
                    py,
                    "InvalidArgumentError",
                    (format!(
                        "{name} must be a non-negative number of seconds (got {secs})"
                    ),),
                )
            })
    }

    /// Parses the `timeout` of an iterator's `next_timeout`: `None` waits forever and a zero
    /// wait still looks once (as a timed wait of no time, not as an iteration that ends).
    pub(crate) fn parse_next_timeout(
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Wait> {
        Ok(match Wait::parse(py, "timeout", timeout, Wait::Forever)? {
            Wait::No => Wait::For(Duration::ZERO),
            w => w,
        })
    }

    /// Runs `attempt(slice)` with the GIL released until it yields `Some`, or the wait is over
    /// (`None`). `attempt` itself waits up to `slice` (`Duration::ZERO`: just look).
    /// Between slices pending signals are handled, so a KeyboardInterrupt ends the wait.
    pub(crate) fn run<T: Send>(
        self,
        py: Python<'_>,
        mut attempt: impl FnMut(Duration) -> Result<Option<T>, Failure> + Send,
    ) -> PyResult<Option<T>> {
        let deadline = match self {
            Wait::No => return py.detach(|| attempt(Duration::ZERO)).py_err(py),
            Wait::For(d) => Instant::now().checked_add(d),
            Wait::Forever => None,
        };
        loop {
            let slice = match deadline {
                Some(end) => end.saturating_duration_since(Instant::now()).min(SLICE),
                None => SLICE,
            };
            if let Some(found) = py.detach(|| attempt(slice)).py_err(py)? {
                return Ok(Some(found));
            }
            py.check_signals()?;
            if deadline.is_some_and(|end| Instant::now() >= end) {
                return Ok(None);
            }
        }
    }
}
