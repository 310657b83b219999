//! The boundary: every export runs its body through [`guard`] (or [`guard_or`]), which stops
//! panics and turns failures into a status plus a per-thread message.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use super::last_error;
use super::status::segmentlog_status;

/// A failed call: the status C sees and the message `segmentlog_last_error_message` gives.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: segmentlog_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: segmentlog_status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }
}

impl From<segmentlog_core::Error> for Failure {
    #[cold]
    fn from(err: segmentlog_core::Error) -> Self {
        Failure::new(segmentlog_status::of(&err), err.to_string())
    }
}

/// Fails with `NULL_ARGUMENT` naming the parameter unless `present`. Inlined, with the failure
/// built out of line, so the checks cost every call next to nothing (see benches/append.rs).
#[inline]
pub(crate) fn require(present: bool, param: &str) -> Result<(), Failure> {
    if present {
        Ok(())
    } else {
        Err(null_argument(param))
    }
}

#[cold]
#[inline(never)]
fn null_argument(param: &str) -> Failure {
    Failure::new(
        segmentlog_status::NullArgument,
        format!("NULL argument: {param} must not be NULL"),
    )
}

/// Runs the body of a status-returning export: `Ok` → `SEGMENTLOG_STATUS_OK`; a failure sets
/// the thread's last error and returns its status; a panic is caught and becomes
/// `SEGMENTLOG_STATUS_PANIC` (nothing unwinds into C).
#[inline]
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> segmentlog_status {
    // AssertUnwindSafe: after a panic the caller only gets a status; core's state stays behind
    // its own locks (parking_lot: no poisoning), so nothing half-updated here is observed.
    // The failure's message is built inside the closure, so a panicking Display is caught too.
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => segmentlog_status::Ok,
        Ok(Err(failure)) => {
            last_error::set(&failure.message);
            failure.status
        }
        Err(payload) => {
            last_error::set(&panic_message(payload.as_ref()));
            segmentlog_status::Panic
        }
    }
}

/// Runs the body of an export that returns no status (`segmentlog_close`, ...): a panic is
/// caught, its message stored as the thread's last error, and `fallback` returned.
pub(crate) fn guard_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            last_error::set(&panic_message(payload.as_ref()));
            fallback
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "(no message)"
    };
    format!("panic inside segmentlog (a bug, please report it): {what}")
}

/// The path in the NUL-terminated string `dir`, which must not be NULL (checked first with
/// `require`). Unix paths are bytes; on Windows they are UTF-8 (a C string in another code
/// page is refused with `INVALID_ARGUMENT`, never guessed at).
///
/// # Safety
/// `dir` is non-NULL and NUL-terminated, and outlives `'a`.
pub(crate) unsafe fn c_path<'a>(
    dir: *const std::ffi::c_char,
) -> Result<&'a std::path::Path, Failure> {
    // SAFETY: non-NULL and NUL-terminated (the caller's contract).
    let bytes = unsafe { std::ffi::CStr::from_ptr(dir) }.to_bytes();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes)
            .map(std::path::Path::new)
            .map_err(|_| {
                Failure::new(
                    segmentlog_status::InvalidArgument,
                    "dir is not UTF-8: paths are UTF-8 on this system",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The C suite cannot make a working core panic, so the boundary is proven here.
    #[test]
    fn a_panic_becomes_the_panic_status_with_its_message() {
        let status = guard(|| panic!("boom {}", 42));
        assert_eq!(status, segmentlog_status::Panic);
        let message = last_error::get();
        assert!(message.contains("boom 42"), "{message}");
        let value = guard_or(7, || panic!("static boom"));
        assert_eq!(value, 7);
        assert!(last_error::get().contains("static boom"));
    }

    #[test]
    fn a_failure_sets_status_and_message_and_success_keeps_the_old_message() {
        let status = guard(|| Err(segmentlog_core::Error::Closed.into()));
        assert_eq!(status, segmentlog_status::Closed);
        assert_eq!(last_error::get(), "the log is closed");
        assert_eq!(guard(|| Ok(())), segmentlog_status::Ok);
        assert_eq!(last_error::get(), "the log is closed");
        let status = guard(|| require(false, "log_out"));
        assert_eq!(status, segmentlog_status::NullArgument);
        assert!(last_error::get().contains("log_out"));
    }
}
