//! Group commit: appenders under `SyncPolicy::Always` that arrive while a sync runs share the
//! next one.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::shared::Shared;
use crate::error::{Error, IoContext, Result};

#[derive(Debug, Default)]
pub(super) struct SyncState {
    /// `Writer::written` value known to be durable.
    pub(super) synced: u64,
    /// Appenders released by the last round that have not called `sync_to` again yet.
    pub(super) returning: usize,
    /// How long the last round's syncs took.
    pub(super) last_round: Duration,
    /// The last gathering gave up before every appender came back.
    pub(super) gather_timed_out: bool,
    /// Targets of the appenders waiting for a round (one each).
    pub(super) waiting: Vec<u64>,
    /// Whether a thread is inside fdatasync for the group.
    pub(super) running: bool,
    /// Sync rounds started and finished (rounds run one at a time, so they finish in order).
    pub(super) started: u64,
    pub(super) finished: u64,
}

/// The longest a round's leader waits for appenders to come back (`Shared::sync_to`).
pub(super) const GATHER_MAX: Duration = Duration::from_millis(1);

/// What a caller of `sync_to` waits for.
#[derive(Debug, Clone, Copy)]
pub(super) enum SyncGoal {
    /// Everything up to this `Writer::written` value durable, for an append under
    /// `SyncPolicy::Always` (shared rounds; appenders are expected back, see `returning`).
    Appended(u64),
    /// Everything up to this `Writer::written` value durable (shared rounds).
    Written(u64),
    /// A round that starts after the call (`Log::sync`: also covers data a previous process
    /// left in the page cache, which no counter of this one knows about).
    FreshRound,
}

impl Shared {
    /// Waits until `goal` is durable; threads that arrive while a sync runs share the next
    /// round (group commit).
    pub(super) fn sync_to(&self, goal: SyncGoal) -> Result<()> {
        let mut st = self.sync.lock();
        let round = st.started + 1;
        // An appender's target also names it among the waiters (every append's is different).
        let appended = match goal {
            SyncGoal::Appended(target) => Some(target),
            _ => None,
        };
        if appended.is_some() && st.returning > 0 {
            st.returning -= 1;
            if st.returning == 0 {
                self.gather_cv.notify_all();
            }
        }
        let mut registered = false;
        let mut gathered = false;
        let result = loop {
            if let Some(e) = self.poison_error() {
                break Err(e);
            }
            let done = match goal {
                SyncGoal::Written(target) | SyncGoal::Appended(target) => st.synced >= target,
                SyncGoal::FreshRound => st.finished >= round,
            };
            if done {
                // A registered appender was counted in `returning` by the round that covered it.
                registered = false;
                break Ok(());
            }
            if st.running {
                if let (Some(target), false) = (appended, registered) {
                    st.waiting.push(target);
                    registered = true;
                }
                self.sync_cv.wait(&mut st);
                continue;
            }
            if st.returning > 0 && !gathered {
                // Group commit gathers: the appenders the last round released are about to
                // append again. Without waiting for them each round would carry only those
                // that appended while the previous one ran, about half of them (8 threads:
                // 4.5 appends per fdatasync without the gathering, ~7 with it). Waiting is
                // bounded by half a round's duration, so a fast disk waits little; after a wait
                // that timed out (appenders that do other work between appends) the next round
                // does not wait at all.
                gathered = true;
                if st.gather_timed_out {
                    st.gather_timed_out = false;
                } else {
                    let deadline = Instant::now() + (st.last_round / 2).min(GATHER_MAX);
                    while st.returning > 0 && !self.closed.load(Ordering::Acquire) {
                        if self.gather_cv.wait_until(&mut st, deadline).timed_out() {
                            st.gather_timed_out = st.returning > 0;
                            break;
                        }
                    }
                }
                st.returning = 0;
                continue;
            }
            if registered {
                // Leading now: counted below when the round ends, not as a waiter.
                let me = appended;
                st.waiting.retain(|&t| Some(t) != me);
                registered = false;
            }
            st.running = true;
            st.started += 1;
            drop(st);
            let began = Instant::now();
            let result = self.sync_now(!matches!(goal, SyncGoal::Appended(_)));
            let took = began.elapsed();
            st = self.sync.lock();
            st.running = false;
            st.finished += 1;
            st.last_round = took;
            self.sync_cv.notify_all();
            match result {
                Ok(mark) => {
                    st.synced = st.synced.max(mark);
                    // The appenders this round released (the waiters it covered, and this
                    // one) will most likely append again at once: the next round waits a
                    // moment for them (see above). Counted here, by their targets: counted by
                    // each once it ran again, those not yet scheduled were missed and the next
                    // gathering waited for too few (8 threads: ~5 appends per fdatasync, not 7).
                    let synced = st.synced;
                    let before = st.waiting.len();
                    st.waiting.retain(|&t| t > synced);
                    let mine = usize::from(appended.is_some_and(|t| t <= synced));
                    st.returning = before - st.waiting.len() + mine;
                }
                Err(Error::Closed) => break Err(Error::Closed),
                Err(e) => break Err(self.poison(&e)),
            }
        };
        if registered {
            let me = appended;
            st.waiting.retain(|&t| Some(t) != me);
        }
        result
    }

    /// One sync of everything appended so far: sealed segments the seal thread has not
    /// synced yet, then the active one. Returns the `Writer::written` mark it covers.
    ///
    /// With `claim`, the count of records it made durable is also written into the active
    /// store's header (not synced: the next sync takes it along), so that recovery can tell
    /// damage among them from a torn write even when no record was appended after this sync.
    pub(super) fn sync_now(&self, claim: bool) -> Result<u64> {
        let (active, epoch, count, mark) = {
            let mut g = self.writer.lock();
            let w = g.as_mut().ok_or(Error::Closed)?;
            (w.active.clone(), w.epoch, w.next - w.active.base, w.written)
        };
        self.syncs.fetch_add(1, Ordering::Relaxed);
        for s in self.unsynced_sealed() {
            s.sync_store()
                .context(|| format!("syncing {}", s.paths.store.display()))?;
            s.mark_durable(s.count());
        }
        active
            .active_files()
            .store
            .sync_data()
            .context(|| format!("syncing {}", active.paths.store.display()))?;
        // Appends from now on claim these records durable (see `format::record_flags`).
        active.mark_durable_in(epoch, count);
        if claim {
            // Best effort: a claim only helps recovery tell damage from a torn write.
            let _ = active.claim_in_header(epoch, count);
        }
        Ok(mark)
    }
}
