//! Keyword arguments of `segmentlog.open` / `Log(...)` → core `Options` (names from API.md).

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use segmentlog::{Options, RecoveryMode, SyncPolicy};

use crate::errors::raise;

/// The option names, for the message of an unknown keyword.
const NAMES: &str = "max_segment_bytes, max_index_bytes, initial_offset, sync, recovery, \
                     retention_bytes, retention_ms, max_open_segments, read_only";

/// Builds and validates `Options` from keyword arguments. `None` for any option means its
/// default. An unknown name or a value of the wrong type is a `TypeError`; a value of the right
/// type that core rejects (or a negative integer) is an `InvalidArgumentError` (a `ValueError`).
pub(crate) fn parse(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut o = Options::default();
    for (key, value) in kwargs.into_iter().flat_map(|d| d.iter()) {
        let name: String = key.extract()?;
        if value.is_none() {
            if NAMES.split(", ").any(|n| n == name) {
                continue;
            }
            return Err(unknown(&name));
        }
        match name.as_str() {
            "max_segment_bytes" => o.max_segment_bytes = uint(py, &name, &value)?,
            "max_index_bytes" => o.max_index_bytes = uint(py, &name, &value)?,
            "initial_offset" => o.initial_offset = uint(py, &name, &value)?,
            "sync" => o.sync = sync_policy(py, &value)?,
            "recovery" => o.recovery = recovery(py, &value)?,
            "retention_bytes" => o.retention_bytes = Some(uint(py, &name, &value)?),
            "retention_ms" => o.retention_ms = Some(uint(py, &name, &value)?),
            "max_open_segments" => {
                o.max_open_segments =
                    usize::try_from(uint(py, &name, &value)?).unwrap_or(usize::MAX)
            }
            "read_only" => {
                o.read_only = value
                    .cast::<PyBool>()
                    .map_err(|_| type_error("read_only", "a bool", &value))?
                    .is_true()
            }
            _ => return Err(unknown(&name)),
        }
    }
    o.validate()
        .map_err(|e| raise(py, "InvalidArgumentError", (e.to_string(),)))?;
    Ok(o)
}

fn unknown(name: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "unknown option {name:?} (the options are: {NAMES})"
    ))
}

fn type_error(name: &str, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let got = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    PyTypeError::new_err(format!("option {name} must be {expected}, not {got}"))
}

/// A non-negative int (not a bool).
fn uint(py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(type_error(name, "an int", value));
    }
    value.extract::<u64>().map_err(|_| {
        raise(
            py,
            "InvalidArgumentError",
            (format!(
                "option {name} must be a non-negative integer below 2**64 (got {value})"
            ),),
        )
    })
}

/// `"never"`, `"always"` or an interval in milliseconds.
fn sync_policy(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<SyncPolicy> {
    if let Ok(s) = value.cast::<PyString>() {
        let name = s.to_cow()?;
        return match SyncPolicy::from_name(&name) {
            Some(policy) => Ok(policy),
            None => Err(raise(
                py,
                "InvalidArgumentError",
                (format!(
                    "option sync must be \"never\", \"always\" or an interval in ms (got {name:?})"
                ),),
            )),
        };
    }
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(type_error(
            "sync",
            "\"never\", \"always\" or an int of milliseconds",
            value,
        ));
    }
    let ms = uint(py, "sync", value)?;
    // Zero is rejected by Options::validate with a message that says what to use instead.
    Ok(SyncPolicy::Interval(Duration::from_millis(ms)))
}

/// `"truncate_tail"` or `"strict"`.
fn recovery(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<RecoveryMode> {
    let s = value
        .cast::<PyString>()
        .map_err(|_| type_error("recovery", "a str", value))?;
    let name = s.to_cow()?;
    match RecoveryMode::from_name(&name) {
        Some(mode) => Ok(mode),
        None => Err(raise(
            py,
            "InvalidArgumentError",
            (format!(
                "option recovery must be \"truncate_tail\" or \"strict\" (got {name:?})"
            ),),
        )),
    }
}
