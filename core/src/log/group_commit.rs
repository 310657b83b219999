//! Group commit: appenders under `SyncPolicy::Always` that arrive while a sync runs share the
//! next one.
//!
//! [`GroupCommit`] is the barrier alone; what a round syncs, and the log's poison and close
//! state it consults, come through [`Syncer`] (the log's `Shared`, or a fake in the tests
//! below).

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};

/// What a group commit syncs, and the state of the log it consults.
pub(super) trait Syncer {
    /// One sync of everything written so far; returns the `Writer::written` mark it covers
    /// (taken before the sync starts). With `claim`, it may also record what became durable.
    fn sync_now(&self, claim: bool) -> Result<u64>;
    /// The error every caller gets once the log is poisoned.
    fn poison_error(&self) -> Option<Error>;
    /// Poisons the log for `err` (a failed sync); returns the error callers get from now on.
    fn poison(&self, err: &Error) -> Error;
    /// The log is closing: a gathering leader stops waiting.
    fn closing(&self) -> bool;
}

/// Group commit's state and the condition variables its waiters park on (a leaf among the
/// log's locks: never held with the writer lock, see `shared.rs`).
#[derive(Debug, Default)]
pub(super) struct GroupCommit {
    state: Mutex<SyncState>,
    /// Wakes appenders waiting for a sync round.
    sync_cv: Condvar,
    /// Wakes a round's leader gathering appenders (`SyncState::returning` reached 0).
    gather_cv: Condvar,
    /// `SyncState::synced` and `SyncState::finished`, readable without the lock: an appender
    /// parked for a round checks them when it wakes (see `SyncState::waiting`).
    synced: AtomicU64,
    finished: AtomicU64,
}

#[derive(Debug, Default)]
struct SyncState {
    /// `Writer::written` value known to be durable.
    synced: u64,
    /// Appenders released by the last round that have not called `sync_to` again yet.
    returning: usize,
    /// How long the last round's syncs took.
    last_round: Duration,
    /// The last gathering gave up before every appender came back.
    gather_timed_out: bool,
    /// The appenders parked while a round runs: each one's target and thread. The round's end
    /// takes them all out and unparks them; a covered one returns without taking this lock
    /// again. (Woken through a condition variable, each re-took the lock in turn, one context
    /// switch after another: with 8 appenders that chain was as long as a quarter of the
    /// fdatasync it followed.)
    waiting: Vec<(u64, Thread)>,
    /// Whether a thread is inside fdatasync for the group.
    running: bool,
    /// Sync rounds started and finished (rounds run one at a time, so they finish in order).
    started: u64,
    finished: u64,
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

impl GroupCommit {
    /// Everything up to `written` is durable (a clean close synced it).
    pub(super) fn mark_synced(&self, written: u64) {
        let mut st = self.state.lock();
        st.synced = st.synced.max(written);
        self.synced.store(st.synced, Ordering::Release);
    }

    /// Wakes every waiter and gatherer (close: they see the log closed and return).
    pub(super) fn wake_all(&self) {
        let st = self.state.lock();
        self.sync_cv.notify_all();
        self.gather_cv.notify_all();
        for (_, t) in &st.waiting {
            t.unpark();
        }
    }

    /// Waits until `goal` is durable; threads that arrive while a sync runs share the next
    /// round (group commit). A round's leader runs `log.sync_now`.
    pub(super) fn sync_to(&self, log: &impl Syncer, goal: SyncGoal) -> Result<()> {
        let mut st = self.state.lock();
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
        let mut gathered = false;
        loop {
            if let Some(e) = log.poison_error() {
                return Err(e);
            }
            let done = match goal {
                SyncGoal::Written(target) | SyncGoal::Appended(target) => st.synced >= target,
                SyncGoal::FreshRound => st.finished >= round,
            };
            if done {
                return Ok(());
            }
            if st.running {
                let Some(target) = appended else {
                    self.sync_cv.wait(&mut st);
                    continue;
                };
                // Parked until the running round ends (it takes this entry out).
                st.waiting.push((target, thread::current()));
                let round_end = st.finished + 1;
                drop(st);
                loop {
                    if self.synced.load(Ordering::Acquire) >= target {
                        return Ok(());
                    }
                    if self.finished.load(Ordering::Acquire) >= round_end {
                        break;
                    }
                    thread::park();
                }
                // The round ended without covering this append (it started before the append
                // was written, or it failed): back to leading or waiting.
                st = self.state.lock();
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
                    while st.returning > 0 && !log.closing() {
                        if self.gather_cv.wait_until(&mut st, deadline).timed_out() {
                            st.gather_timed_out = st.returning > 0;
                            break;
                        }
                    }
                }
                st.returning = 0;
                continue;
            }
            st.running = true;
            st.started += 1;
            drop(st);
            let began = Instant::now();
            let result = log.sync_now(!matches!(goal, SyncGoal::Appended(_)));
            let took = began.elapsed();
            st = self.state.lock();
            st.running = false;
            st.finished += 1;
            st.last_round = took;
            if let Ok(mark) = result {
                st.synced = st.synced.max(mark);
                // The appenders this round released (the waiters it covered, and this one)
                // will most likely append again at once: the next round waits a moment for
                // them (see above). Counted here, by their targets: counted by each once it
                // ran again, those not yet scheduled were missed and the next gathering waited
                // for too few (8 threads: ~5 appends per fdatasync, not 7).
                let synced = st.synced;
                let covered = st.waiting.iter().filter(|(t, _)| *t <= synced).count();
                let mine = usize::from(appended.is_some_and(|t| t <= synced));
                st.returning = covered + mine;
            }
            // A failed sync poisons the log before anyone woken can look (or lead a round).
            let failed = match result {
                Ok(_) => None,
                Err(Error::Closed) => Some(Error::Closed),
                Err(e) => Some(log.poison(&e)),
            };
            self.synced.store(st.synced, Ordering::Release);
            self.finished.store(st.finished, Ordering::Release);
            let parked = std::mem::take(&mut st.waiting);
            self.sync_cv.notify_all();
            drop(st);
            // Unparked outside the lock: a woken appender that was not covered takes it.
            for (_, t) in parked {
                t.unpark();
            }
            if let Some(e) = failed {
                return Err(e);
            }
            st = self.state.lock();
        }
    }
}

#[cfg(test)]
mod tests {
    //! The barrier alone, against a fake log whose "sync" takes the written mark, sleeps and
    //! records what it covered (raft-engine's write_barrier tests are the model: sequential
    //! callers, parallel groups, a failing round).
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::thread;

    use super::*;

    #[derive(Debug, Default)]
    struct FakeLog {
        /// Bytes "appended": each appender takes its target from here.
        written: AtomicU64,
        /// Highest mark a finished sync covered.
        durable: AtomicU64,
        syncs: AtomicUsize,
        claims: AtomicUsize,
        /// The sync round (1-based) that fails, 0 = none.
        fail_round: usize,
        sleep: Duration,
        poisoned: Mutex<Option<String>>,
        closing: AtomicBool,
    }

    impl Syncer for FakeLog {
        fn sync_now(&self, claim: bool) -> Result<u64> {
            let mark = self.written.load(Ordering::SeqCst);
            let round = self.syncs.fetch_add(1, Ordering::SeqCst) + 1;
            self.claims.fetch_add(usize::from(claim), Ordering::SeqCst);
            thread::sleep(self.sleep);
            if round == self.fail_round {
                return Err(Error::Io {
                    context: "syncing the fake".into(),
                    source: std::io::Error::other("injected EIO"),
                });
            }
            self.durable.fetch_max(mark, Ordering::SeqCst);
            Ok(mark)
        }
        fn poison_error(&self) -> Option<Error> {
            let reason = self.poisoned.lock().clone()?;
            Some(Error::Poisoned { reason })
        }
        fn poison(&self, err: &Error) -> Error {
            let mut p = self.poisoned.lock();
            let reason = p.get_or_insert_with(|| err.to_string()).clone();
            Error::Poisoned { reason }
        }
        fn closing(&self) -> bool {
            self.closing.load(Ordering::SeqCst)
        }
    }

    /// An append of one byte, then its sync: returns its target.
    fn append(group: &GroupCommit, log: &FakeLog) -> Result<u64> {
        let target = log.written.fetch_add(1, Ordering::SeqCst) + 1;
        group.sync_to(log, SyncGoal::Appended(target))?;
        Ok(target)
    }

    fn settled(group: &GroupCommit) {
        let st = group.state.lock();
        assert!(!st.running);
        assert!(
            st.waiting.is_empty(),
            "waiters left registered: {:?}",
            st.waiting
        );
        assert_eq!(st.started, st.finished);
    }

    #[test]
    fn sequential_callers_each_run_their_own_round() {
        let (group, log) = (GroupCommit::default(), FakeLog::default());
        for i in 1..=5 {
            assert_eq!(append(&group, &log).unwrap(), i);
            assert_eq!(log.durable.load(Ordering::SeqCst), i);
        }
        assert_eq!(log.syncs.load(Ordering::SeqCst), 5);
        // Appends never claim in the header; an explicit sync does.
        assert_eq!(log.claims.load(Ordering::SeqCst), 0);
        // Written data already durable needs no round; a fresh round always runs one.
        group.sync_to(&log, SyncGoal::Written(5)).unwrap();
        assert_eq!(log.syncs.load(Ordering::SeqCst), 5);
        group.sync_to(&log, SyncGoal::FreshRound).unwrap();
        assert_eq!(log.syncs.load(Ordering::SeqCst), 6);
        assert_eq!(log.claims.load(Ordering::SeqCst), 1);
        // What a clean close synced needs no round either.
        group.mark_synced(9);
        group.sync_to(&log, SyncGoal::Written(9)).unwrap();
        assert_eq!(log.syncs.load(Ordering::SeqCst), 6);
        settled(&group);
    }

    #[test]
    fn parallel_appenders_share_rounds_and_each_returns_only_once_covered() {
        const THREADS: u64 = 8;
        const EACH: u64 = 40;
        let group = Arc::new(GroupCommit::default());
        let log = Arc::new(FakeLog {
            sleep: Duration::from_millis(2),
            ..FakeLog::default()
        });
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (group, log) = (group.clone(), log.clone());
                thread::spawn(move || {
                    for _ in 0..EACH {
                        let target = append(&group, &log).unwrap();
                        // Released only by a round whose mark, taken before it synced,
                        // covers this append.
                        let durable = log.durable.load(Ordering::SeqCst);
                        assert!(durable >= target, "released at {durable} < {target}");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let appends = THREADS * EACH;
        let syncs = log.syncs.load(Ordering::SeqCst) as u64;
        assert_eq!(log.durable.load(Ordering::SeqCst), appends);
        // Eight appenders against a 2 ms sync: without sharing there would be one round per
        // append; with it most rounds carry several (about 7 on this machine).
        assert!(
            syncs * 3 <= appends,
            "{syncs} syncs for {appends} appends: rounds are not shared"
        );
        settled(&group);
    }

    #[test]
    fn a_failing_round_fails_its_waiters_and_every_later_call() {
        let group = Arc::new(GroupCommit::default());
        let log = Arc::new(FakeLog {
            sleep: Duration::from_millis(20),
            fail_round: 2,
            ..FakeLog::default()
        });
        // Round 1 succeeds; round 2 fails with its waiters parked behind it.
        append(&group, &log).unwrap();
        let results: Vec<_> = (0..4)
            .map(|_| {
                let (group, log) = (group.clone(), log.clone());
                thread::spawn(move || append(&group, &log))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        for r in &results {
            match r {
                Err(Error::Poisoned { reason }) => assert!(reason.contains("injected EIO")),
                other => panic!("a caller of the failed round got {other:?}"),
            }
        }
        // Exactly the failing round ran after the first: nobody retried behind the poison.
        assert_eq!(log.syncs.load(Ordering::SeqCst), 2);
        assert_eq!(log.durable.load(Ordering::SeqCst), 1);
        assert!(matches!(
            group.sync_to(&*log, SyncGoal::FreshRound),
            Err(Error::Poisoned { .. })
        ));
        assert_eq!(log.syncs.load(Ordering::SeqCst), 2);
        settled(&group);
    }
}
