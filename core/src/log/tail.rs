//! Waiting for records not yet appended.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread;
use std::time::{Duration, Instant};

use super::Log;
use super::shared::Shared;
use crate::error::Result;

/// Ends, from any thread, the waits that were given it ([`Log::wait_for_or_cancel`],
/// [`crate::Iter::next_timeout_or_cancel`]): [`WaitCanceller::cancel`] wakes them at once, and
/// every later wait with it returns at once too. What a binding's "stop waiting" (a JS
/// iterator's `return()`) is built on, instead of waiting in short slices and looking.
#[derive(Debug, Clone)]
pub struct WaitCanceller {
    shared: Arc<Shared>,
    cancelled: Arc<AtomicBool>,
}

impl WaitCanceller {
    /// Cancels every wait given this canceller (or a clone), now and from now on.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        // Under the tail lock, so that a waiter that saw the flag unset is already parked
        // (and is woken here) or has not yet checked it (and sees it set).
        let _g = self.shared.tail.lock();
        self.shared.tail_cv.notify_all();
    }

    /// Whether [`WaitCanceller::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl Log {
    /// A canceller for waits on this log (see [`WaitCanceller`]).
    pub fn wait_canceller(&self) -> WaitCanceller {
        WaitCanceller {
            shared: self.shared.clone(),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// [`Log::wait_for`] that `canceller` can end: returns `Ok(false)` at once when it is
    /// cancelled (before or during the wait).
    pub fn wait_for_or_cancel(
        &self,
        offset: u64,
        timeout: Option<Duration>,
        canceller: &WaitCanceller,
    ) -> Result<bool> {
        self.wait(offset, timeout, Some(&canceller.cancelled))
    }

    /// Waits until the record at `offset` exists (`next_offset() > offset`), or the timeout
    /// passes (`None`: wait forever). Returns whether it exists. Fails with `Closed` if the log
    /// is closed meanwhile.
    ///
    /// In-process appends wake waiters at once (no polling). A read-only log follows another
    /// process's appends by re-reading the files at most every 10 ms.
    pub fn wait_for(&self, offset: u64, timeout: Option<Duration>) -> Result<bool> {
        self.wait(offset, timeout, None)
    }

    fn wait(
        &self,
        offset: u64,
        timeout: Option<Duration>,
        cancelled: Option<&AtomicBool>,
    ) -> Result<bool> {
        let sh = &*self.shared;
        let cancelled = || cancelled.is_some_and(|c| c.load(Ordering::SeqCst));
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut nap = Duration::from_millis(1);
        loop {
            sh.check_open()?;
            sh.refresh()?;
            if sh.end_offset() > offset {
                return Ok(true);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) || cancelled() {
                return Ok(false);
            }
            if sh.options.read_only {
                thread::sleep(deadline.map_or(nap, |d| nap.min(d - now)));
                nap = (nap * 2).min(Duration::from_millis(10));
                continue;
            }
            sh.waiters.fetch_add(1, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            {
                let mut g = sh.tail.lock();
                if sh.end_offset() <= offset && !sh.closed.load(Ordering::Acquire) && !cancelled() {
                    match deadline {
                        None => sh.tail_cv.wait(&mut g),
                        Some(d) => {
                            sh.tail_cv.wait_until(&mut g, d);
                        }
                    }
                }
            }
            sh.waiters.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
