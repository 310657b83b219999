//! Dropping core handles without holding the GIL.
//!
//! Dropping the last handle (or iterator) of a log closes it: a sync and a trim of the active
//! segment. When Python frees a `Log` that was never closed, that must not stall every other
//! Python thread, so the handle is dropped with the GIL released.

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::Python;

/// Owns a `T` that is dropped with the GIL released (and any panic of its `Drop` caught).
#[derive(Debug)]
pub(crate) struct Detached<T: Send>(ManuallyDrop<T>);

impl<T: Send> Detached<T> {
    pub(crate) fn new(value: T) -> Self {
        Detached(ManuallyDrop::new(value))
    }
}

impl<T: Send> Deref for Detached<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send> Drop for Detached<T> {
    fn drop(&mut self) {
        // SAFETY: the value is taken exactly once, here, and `self.0` is not used afterwards.
        let value = unsafe { ManuallyDrop::take(&mut self.0) };
        // Pyclasses are dropped by Python (attached already, so `attach` only borrows that).
        Python::attach(|py| {
            py.detach(move || {
                // A panic in core's Drop must not unwind into Python's deallocator.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
            })
        });
    }
}
