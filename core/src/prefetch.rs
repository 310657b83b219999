//! A cache prefetch hint, for batched reads: asking for the lines of many reads before using
//! any of them lets their memory misses overlap instead of queueing one after another.

/// Asks the CPU to start loading the cache line holding `p`. A hint only: it never faults,
/// whatever the address, and does nothing on targets without one.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint that never faults or changes memory, for any address; SSE
    // is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
