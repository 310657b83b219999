//! `segmentlog._segmentlog`: the Python module (built by maturin, re-exported by the pure-Python
//! package `segmentlog`). It only converts types and errors; all behaviour lives in core.

mod cursor;
mod detached;
mod errors;
mod iter;
mod log;
mod options;
mod record;
mod report;
mod value;
mod wait;

use pyo3::prelude::*;

/// The native part of the ``segmentlog`` package; import ``segmentlog`` instead.
#[pymodule]
fn _segmentlog(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<log::PyLog>()?;
    m.add_class::<record::PyRecord>()?;
    m.add_class::<iter::PyLogIterator>()?;
    m.add_class::<cursor::PyCursor>()?;
    m.add_class::<cursor::PyCursorPosition>()?;
    m.add_class::<cursor::PyAutoCommit>()?;
    m.add_class::<report::PyRecoveryReport>()?;
    m.add_class::<report::PyRecoveryEvent>()?;
    m.add_function(wrap_pyfunction!(log::open, m)?)?;
    m.add_function(wrap_pyfunction!(log::repair, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
