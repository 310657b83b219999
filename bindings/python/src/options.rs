//! Keyword arguments of `segmentlog.open` / `Log(...)` → core `Options`: core's table
//! (`Options::set`) names, types and checks them; this file only converts Python values and
//! maps core's answer to Python's exceptions.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use segmentlog::{NameStyle, OptionError, OptionValue, Options};

use crate::errors::raise;

/// Builds and validates `Options` from keyword arguments. `None` for any option means its
/// default. An unknown name is an `UnknownOptionError` (an `InvalidArgumentError` and a
/// `TypeError`); a value of the wrong type a `TypeError`; a value of the right type that core
/// rejects an `InvalidArgumentError` (a `ValueError`).
pub(crate) fn parse(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut o = Options::default();
    for (key, value) in kwargs.into_iter().flat_map(|d| d.iter()) {
        let name: String = key.extract()?;
        let text;
        let type_name;
        let v = if value.is_none() {
            OptionValue::Default
        } else if let Ok(b) = value.cast::<PyBool>() {
            OptionValue::Bool(b.is_true())
        } else if value.is_instance_of::<PyInt>() {
            // An int beyond i128 is out of every option's range all the same.
            OptionValue::Int(value.extract::<i128>().unwrap_or_else(|_| {
                if value.lt(0).unwrap_or(false) {
                    i128::MIN
                } else {
                    i128::MAX
                }
            }))
        } else if let Ok(s) = value.cast::<PyString>() {
            text = s.to_cow()?;
            OptionValue::Str(&text)
        } else {
            type_name = value.get_type().name()?.to_string();
            OptionValue::Other(&type_name)
        };
        o.set(NameStyle::Snake, &name, v).map_err(|e| match e {
            OptionError::Unknown(m) => raise(py, "UnknownOptionError", (m,)),
            OptionError::WrongType(m) => PyTypeError::new_err(m),
            OptionError::Invalid(m) => raise(py, "InvalidArgumentError", (m,)),
        })?;
    }
    o.validate()
        .map_err(|e| raise(py, "InvalidArgumentError", (e.to_string(),)))?;
    Ok(o)
}
