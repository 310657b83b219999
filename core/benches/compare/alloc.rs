//! A counting global allocator: net heap bytes since counting was switched on, and their peak.
//! Off (one relaxed load per call) except in the memory child.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

#[derive(Debug)]
pub struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static NET: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

fn grow(by: i64) {
    if ON.load(Ordering::Relaxed) {
        let now = NET.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

/// Starts counting from zero.
pub fn start() {
    NET.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    ON.store(true, Ordering::Relaxed);
}

/// (net heap bytes now, peak net heap bytes) since `start`.
pub fn now_and_peak() -> (i64, i64) {
    (NET.load(Ordering::Relaxed), PEAK.load(Ordering::Relaxed))
}

// SAFETY: every call forwards to the system allocator with the caller's arguments; the
// counters have no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's (valid) layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's (valid) layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (i.e. System) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        grow(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for realloc, forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grow(new_size as i64 - layout.size() as i64);
        }
        p
    }
}
