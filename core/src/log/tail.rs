//! Waiting for records not yet appended.

use std::sync::atomic::{Ordering, fence};
use std::thread;
use std::time::{Duration, Instant};

use super::Log;
use crate::error::Result;

impl Log {
    /// Waits until the record at `offset` exists (`next_offset() > offset`), or the timeout
    /// passes (`None`: wait forever). Returns whether it exists. Fails with `Closed` if the log
    /// is closed meanwhile.
    ///
    /// In-process appends wake waiters at once (no polling). A read-only log follows another
    /// process's appends by re-reading the files at most every 10 ms.
    pub fn wait_for(&self, offset: u64, timeout: Option<Duration>) -> Result<bool> {
        let sh = &*self.shared;
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut nap = Duration::from_millis(1);
        loop {
            sh.check_open()?;
            sh.refresh()?;
            if sh.end_offset() > offset {
                return Ok(true);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
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
                if sh.end_offset() <= offset && !sh.closed.load(Ordering::Acquire) {
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
