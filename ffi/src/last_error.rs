//! The calling thread's last failure message, for `segmentlog_last_error_message`.

use std::cell::RefCell;
use std::ffi::c_char;

use super::guard::guard_or;
use super::status::segmentlog_status;

thread_local! {
    // Bytes of the message, without a terminating NUL (added when copied out).
    static LAST_ERROR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Stores `message` as the calling thread's last failure. A NUL inside it (which C would take
/// for the end) is replaced by `?`.
pub(crate) fn set(message: &str) {
    // try_with: during thread teardown the slot may be gone; losing the message then is fine.
    let _ = LAST_ERROR.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        slot.clear();
        slot.extend(message.bytes().map(|b| if b == 0 { b'?' } else { b }));
    });
}

#[cfg(test)]
pub(crate) fn get() -> String {
    LAST_ERROR.with(|slot| String::from_utf8_lossy(&slot.borrow()).into_owned())
}

/// Copies the calling thread's last failure message, NUL-terminated, into `buf`.
///
/// The message describes the most recent call *on this thread* that returned a status other
/// than `SEGMENTLOG_STATUS_OK` (or a failed `segmentlog_close`); successful calls leave it as it
/// was, and it is the empty string before any failure. This function never changes it, so a
/// retry after `SEGMENTLOG_STATUS_BUFFER_TOO_SMALL` gets the same message.
///
/// - `buf`: `len` writable bytes; may be NULL only when `len` is 0 (to ask for the size).
/// - `len_out` (required): on `SEGMENTLOG_STATUS_OK` and on `SEGMENTLOG_STATUS_BUFFER_TOO_SMALL`,
///   receives the buffer size the message needs *including* its terminating NUL (so the
///   message's `strlen` is `*len_out - 1`). On BUFFER_TOO_SMALL nothing is written to `buf`.
///
/// Returns OK, BUFFER_TOO_SMALL or NULL_ARGUMENT.
/// Ownership: the caller owns `buf`; nothing is kept. Thread-safety: safe from any thread;
/// each thread has its own message.
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes; `len_out` must be NULL or point to a
/// writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_last_error_message(
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> segmentlog_status {
    // guard_or, not guard: a failure of this very call (NULL, too small) must not replace the
    // message the caller is asking for, so statuses are returned without recording them.
    guard_or(segmentlog_status::Panic, || {
        if len_out.is_null() || (buf.is_null() && len > 0) {
            return segmentlog_status::NullArgument;
        }
        LAST_ERROR.with(|slot| {
            let message = slot.borrow();
            let needed = message.len() + 1;
            if len < needed {
                // SAFETY: len_out was checked non-NULL; the caller promises it is writable.
                unsafe { *len_out = needed };
                return segmentlog_status::BufferTooSmall;
            }
            // SAFETY: buf is non-NULL (len >= needed >= 1) with len >= needed writable bytes;
            // the message is our own Vec, so the regions do not overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), message.len());
                *buf.add(message.len()) = 0;
                *len_out = needed;
            }
            segmentlog_status::Ok
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_message_and_reports_sizes() {
        set("a\0b");
        let mut needed = 0usize;
        // SAFETY: NULL buffer with len 0 is allowed; needed is a valid out-pointer.
        let status = unsafe { segmentlog_last_error_message(std::ptr::null_mut(), 0, &mut needed) };
        assert_eq!(status, segmentlog_status::BufferTooSmall);
        assert_eq!(needed, 4);
        let mut buf = [0x55 as c_char; 4];
        // SAFETY: buf has 4 writable bytes.
        let status = unsafe { segmentlog_last_error_message(buf.as_mut_ptr(), 4, &mut needed) };
        assert_eq!(status, segmentlog_status::Ok);
        assert_eq!(buf.map(|c| c as u8), *b"a?b\0");
        assert_eq!(get(), "a?b");
    }
}
