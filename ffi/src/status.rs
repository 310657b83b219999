//! `segmentlog_status`: what every fallible C function returns.

use std::ffi::{CStr, c_char, c_int};

use segmentlog_core::{Error, ErrorKind};

/// What a segmentlog function returns: `SEGMENTLOG_STATUS_OK` (0) or the kind of failure.
///
/// The error kinds are those of `docs/API.md` (the same kinds Python and Node raise);
/// NULL_ARGUMENT, BUFFER_TOO_SMALL and PANIC are particular to C. Values are never renumbered:
/// a status added later (HOLE) comes after the others. After any status other than OK, the
/// calling thread's `segmentlog_last_error_message` describes the failure.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segmentlog_status {
    /// Success.
    Ok = 0,
    /// The offset is below the lowest retained offset or at/after the next offset (also: a
    /// reader whose position fell below the log's start through truncation or retention).
    OutOfRange = 1,
    /// A file does not hold what the format says (a bad header, an index entry that points
    /// outside its store, damage found by `SEGMENTLOG_RECOVERY_STRICT`) outside a tolerated torn
    /// tail. Corrupt data is never returned as data. (A damaged *record* is a HOLE.)
    Corrupt = 2,
    /// The log was closed (e.g. a reader used after its log was closed).
    Closed = 3,
    /// Another writer (another process, or another open handle in this one) holds the
    /// directory.
    Locked = 4,
    /// A bad argument: an option out of range, a value too large for a segment, a write to a
    /// read-only log, a bad timeout.
    InvalidArgument = 5,
    /// The operating system refused an operation (also: the log refuses writes after a failed
    /// sync until it is reopened).
    Io = 6,
    /// A required pointer argument was NULL; nothing was done.
    NullArgument = 7,
    /// The caller's buffer is too small; the size needed was written to the length out-parameter
    /// and nothing else was done.
    BufferTooSmall = 8,
    /// A bug inside segmentlog panicked; the panic was stopped at the boundary. Please report it
    /// with the message from `segmentlog_last_error_message`.
    Panic = 9,
    /// The record at the offset asked for is a hole: it was damaged (found by recovery,
    /// `segmentlog_repair` or this read) and cannot be given. Every other record keeps its offset
    /// and stays readable; `segmentlog_next_offset` does not change. No out-parameter is written;
    /// the message names the offset, its segment and what was found. A reader that returns HOLE
    /// has moved past the hole: its next call goes on after it (see
    /// `segmentlog_reader_set_skip_holes` to pass over holes silently).
    Hole = 10,
    /// No cursor of the name given exists (never created, or deleted, possibly by another
    /// process while a handle was open on it). No out-parameter is written.
    NotFound = 11,
}

impl segmentlog_status {
    /// The status for a core error: its kind (`Error::kind`, API.md).
    pub(crate) fn of(err: &Error) -> segmentlog_status {
        segmentlog_status::of_kind(err.kind())
    }

    fn of_kind(kind: ErrorKind) -> segmentlog_status {
        match kind {
            ErrorKind::OutOfRange => segmentlog_status::OutOfRange,
            ErrorKind::Corrupt => segmentlog_status::Corrupt,
            ErrorKind::Hole => segmentlog_status::Hole,
            ErrorKind::Closed => segmentlog_status::Closed,
            ErrorKind::Locked => segmentlog_status::Locked,
            ErrorKind::InvalidArgument => segmentlog_status::InvalidArgument,
            ErrorKind::Io => segmentlog_status::Io,
            ErrorKind::NotFound => segmentlog_status::NotFound,
        }
    }

    /// The constant's name without its prefix, e.g. `"OUT_OF_RANGE"`.
    fn name(self) -> &'static CStr {
        match self {
            segmentlog_status::Ok => c"OK",
            segmentlog_status::OutOfRange => c"OUT_OF_RANGE",
            segmentlog_status::Corrupt => c"CORRUPT",
            segmentlog_status::Closed => c"CLOSED",
            segmentlog_status::Locked => c"LOCKED",
            segmentlog_status::InvalidArgument => c"INVALID_ARGUMENT",
            segmentlog_status::Io => c"IO",
            segmentlog_status::NullArgument => c"NULL_ARGUMENT",
            segmentlog_status::BufferTooSmall => c"BUFFER_TOO_SMALL",
            segmentlog_status::Panic => c"PANIC",
            segmentlog_status::Hole => c"HOLE",
            segmentlog_status::NotFound => c"NOT_FOUND",
        }
    }

    /// Every status, in value order.
    const ALL: [segmentlog_status; 12] = [
        segmentlog_status::Ok,
        segmentlog_status::OutOfRange,
        segmentlog_status::Corrupt,
        segmentlog_status::Closed,
        segmentlog_status::Locked,
        segmentlog_status::InvalidArgument,
        segmentlog_status::Io,
        segmentlog_status::NullArgument,
        segmentlog_status::BufferTooSmall,
        segmentlog_status::Panic,
        segmentlog_status::Hole,
        segmentlog_status::NotFound,
    ];
}

/// The name of a status without its prefix, e.g. `"OUT_OF_RANGE"` for
/// `SEGMENTLOG_STATUS_OUT_OF_RANGE`, or `"UNKNOWN"` for a value that is no status.
///
/// Ownership: the string is static; do not free it. Thread-safety: safe from any thread.
/// (`status` is an `int`, not a `segmentlog_status`, so that any value may be passed.)
#[unsafe(no_mangle)]
pub extern "C" fn segmentlog_status_str(status: c_int) -> *const c_char {
    // Nothing here can panic (indexing is checked by `get`), so no catch_unwind is needed.
    usize::try_from(status)
        .ok()
        .and_then(|i| segmentlog_status::ALL.get(i))
        .map_or(c"UNKNOWN", |s| s.name())
        .as_ptr()
}

#[cfg(test)]
mod tests {
    /// Each error kind has its own status, named as the kind is named everywhere.
    #[test]
    fn every_error_kind_has_the_status_of_its_name() {
        let mut seen = std::collections::HashSet::new();
        for kind in segmentlog_core::ErrorKind::ALL {
            let status = segmentlog_status::of_kind(kind);
            assert_eq!(status.name().to_str().unwrap(), kind.name());
            assert!(seen.insert(status as i32), "{kind:?} shares a status");
        }
    }

    use super::*;

    #[test]
    fn every_status_has_its_value_and_name() {
        for (i, s) in segmentlog_status::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i);
            // SAFETY: segmentlog_status_str returns a pointer to a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(segmentlog_status_str(i as c_int)) };
            assert_eq!(name, s.name());
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(segmentlog_status_str(-1)) };
        assert_eq!(unknown, c"UNKNOWN");
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(segmentlog_status_str(12)) };
        assert_eq!(unknown, c"UNKNOWN");
    }

    #[test]
    fn a_hole_has_its_own_status() {
        let err = Error::Hole {
            offset: 7,
            segment: 0,
            reason: "checksum mismatch".into(),
        };
        assert_eq!(segmentlog_status::of(&err), segmentlog_status::Hole);
        assert_eq!(segmentlog_status::Hole as i32, 10);
    }

    #[test]
    fn poisoned_is_reported_as_io() {
        let err = Error::Poisoned {
            reason: "fsync failed".into(),
        };
        assert_eq!(segmentlog_status::of(&err), segmentlog_status::Io);
    }
}
