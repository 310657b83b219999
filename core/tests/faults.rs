//! I/O fault injection: every file operation of the log (see `segmentlog::fault::Op`) is made to
//! fail, once and from then on, at each of its occurrences during a workload that opens,
//! appends, batches, rolls, syncs, closes and reopens. Each case must give an error (never a
//! panic), and the log reopened without faults must hold, in order, every value whose append
//! returned Ok and nothing that was not appended.
//!
//! Run with `cargo test -p segmentlog --features fault-injection --test faults`.
//! `FAULT_SAMPLES` caps how many occurrences of each operation are tried (default 12; 0 = all).
#![cfg(feature = "fault-injection")]

mod common;
mod faultkit;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use faultkit::*;
use parking_lot::Mutex;
use segmentlog::fault::{self, Op};
use segmentlog::{Error, Log, SyncPolicy};

/// Which occurrence of which operation fails, and how.
#[derive(Debug, Clone, Copy)]
struct Plan {
    op: Op,
    /// 1-based occurrence of `op` that fails first.
    nth: u64,
    /// Fail every later occurrence too ("the disk stays broken").
    persistent: bool,
    errno: i32,
}

/// Counts operations on files under `dir` and fails the planned ones.
#[derive(Debug)]
struct Injector {
    dir: PathBuf,
    plan: Mutex<Option<Plan>>,
    counts: Mutex<BTreeMap<Op, u64>>,
    injected: AtomicU64,
}

impl Injector {
    fn install(dir: &Path, plan: Option<Plan>) -> Arc<Injector> {
        let inj = Arc::new(Injector {
            dir: dir.to_owned(),
            plan: Mutex::new(plan),
            counts: Mutex::new(BTreeMap::new()),
            injected: AtomicU64::new(0),
        });
        let hook = inj.clone();
        fault::set_hook(Some(Arc::new(move |op: Op, path: &Path| {
            hook.check(op, path)
        })));
        inj
    }

    fn check(&self, op: Op, path: &Path) -> io::Result<()> {
        if !path.starts_with(&self.dir) {
            return Ok(());
        }
        let n = {
            let mut c = self.counts.lock();
            let n = c.entry(op).or_default();
            *n += 1;
            *n
        };
        if let Some(p) = *self.plan.lock()
            && p.op == op
            && (n == p.nth || (p.persistent && n > p.nth))
        {
            self.injected.fetch_add(1, Ordering::Relaxed);
            return Err(io::Error::from_raw_os_error(p.errno));
        }
        Ok(())
    }
}

struct Unhook;
impl Drop for Unhook {
    fn drop(&mut self) {
        fault::set_hook(None);
    }
}

const STEPS: u64 = 48;

fn errno_for(op: Op) -> i32 {
    match op {
        Op::Create | Op::Allocate | Op::Write => libc::ENOSPC,
        _ => libc::EIO,
    }
}

/// Which occurrences to try: all of them, or `max` spread evenly (first and last included).
fn sample(count: u64, max: u64) -> Vec<u64> {
    if max == 0 || count <= max {
        return (1..=count).collect();
    }
    let mut v: Vec<u64> = (0..max).map(|i| 1 + i * (count - 1) / (max - 1)).collect();
    v.dedup();
    v
}

fn samples() -> u64 {
    std::env::var("FAULT_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12)
}

/// An error a fault produced must say what it is: never `Corrupt` (a failed write is not
/// damage), and an `Io` error carries the errno that was injected.
fn check_error(case: &str, plan: &Plan, what: &str, e: &Error) {
    assert!(
        !matches!(e, Error::Corrupt { .. }),
        "{case}: {what} reported an injected I/O error as corruption: {e}"
    );
    if let Error::Io { source, .. } = e {
        assert_eq!(
            source.raw_os_error(),
            Some(plan.errno),
            "{case}: {what} returned an I/O error that is not the injected one: {e}"
        );
    }
    assert!(!e.to_string().is_empty());
}

fn sweep(sync: SyncPolicy) {
    let _serial = serial();
    let _unhook = Unhook;
    // Dry run: how often does the workload perform each operation?
    let dry = scratch();
    let counter = Injector::install(dry.path(), None);
    let h = no_panic("dry run", || workload(dry.path(), sync, STEPS, |_, _| {}));
    assert_eq!(h.errors, 0, "the dry run must not fail");
    let counts = counter.counts.lock().clone();
    // Where maps pin files, a seal or close cuts the files once the map is gone, best effort
    // and not a fault point (core's `map_rules.rs`): only recovery trims, if the workload
    // makes it.
    let trims_deferred = cfg!(any(windows, feature = "windows-rules"));
    for op in Op::ALL {
        if op != Op::Read && op != Op::OpenWrite && !(op == Op::Trim && trims_deferred) {
            assert!(
                counts.get(&op).is_some_and(|&n| n > 0),
                "the workload never performs {op:?}"
            );
        }
    }
    let (mut cases, mut injected, mut errors, mut poisoned, mut verified) = (0, 0, 0, 0, 0);
    let (mut absorbed, mut unreached) = (0, 0);
    for (&op, &count) in &counts {
        for nth in sample(count, samples()) {
            for persistent in [false, true] {
                let plan = Plan {
                    op,
                    nth,
                    persistent,
                    errno: errno_for(op),
                };
                let case = format!("sync={sync:?} {plan:?} (of {count})");
                let dir = scratch();
                let inj = Injector::install(dir.path(), Some(plan));
                let h = no_panic(&case, || {
                    workload(dir.path(), sync, STEPS, |what, e| {
                        check_error(&case, &plan, what, e)
                    })
                });
                // The disk stays broken: opening must still give an error or a sound log.
                if persistent
                    && let Ok(got) = no_panic(&case, || contents(dir.path(), options(sync)))
                {
                    check_prefix(&case, &h, &got, false);
                }
                let n = inj.injected.load(Ordering::Relaxed);
                fault::set_hook(None);
                if n == 0 {
                    // Under sync=never the seal thread races the workload: whether a sealed
                    // segment is synced by it or by the next `sync()` varies, and with it the
                    // count of syncs. A case whose nth operation never came is not a case.
                    unreached += 1;
                    continue;
                }
                let got = no_panic(&case, || contents(dir.path(), options(sync)))
                    .unwrap_or_else(|e| panic!("{case}: reopen without faults failed: {e}"));
                check_prefix(&case, &h, &got, true);
                if h.errors == 0 {
                    // A fault the log absorbs by design (e.g. the read-only remap of a sealed
                    // segment falls back to the writable map) must cost nothing at all.
                    assert_eq!(
                        got.len(),
                        h.attempted.len(),
                        "{case}: {n} faults injected, no error reported, records missing"
                    );
                    absorbed += 1;
                }
                cases += 1;
                injected += n;
                errors += h.errors;
                poisoned += h.poisoned;
                verified += got.len();
            }
        }
    }
    eprintln!(
        "fault sweep sync={sync:?}: {cases} cases over {} operations, {injected} faults injected, \
         {errors} errors returned ({poisoned} Poisoned), {absorbed} absorbed with nothing lost, \
         {verified} records verified after reopen, 0 lost, 0 panics ({unreached} cases not reached)",
        counts.len()
    );
    assert!(
        unreached * 10 <= cases,
        "{unreached} of {cases} cases never reached their fault point"
    );
}

#[test]
fn every_fault_point_fails_cleanly_sync_always() {
    sweep(SyncPolicy::Always);
}

#[test]
fn every_fault_point_fails_cleanly_sync_never() {
    sweep(SyncPolicy::Never);
}

/// After a failed fdatasync the log refuses every write with `Poisoned` — even though the
/// disk works again — because the pages that failed may be lost; reads keep working, and a
/// reopen recovers what the disk really holds.
#[test]
fn a_failed_sync_poisons_the_log_until_reopened() {
    let _serial = serial();
    let _unhook = Unhook;
    for sync in [SyncPolicy::Always, SyncPolicy::Never] {
        let dir = scratch();
        let log = Log::open(dir.path(), options(sync)).unwrap();
        for i in 0..5 {
            log.append(&value(i)).unwrap();
        }
        log.sync().unwrap();
        Injector::install(
            dir.path(),
            Some(Plan {
                op: Op::SyncData,
                nth: 1,
                persistent: false,
                errno: libc::EIO,
            }),
        );
        let first = if sync == SyncPolicy::Always {
            log.append(&value(5)).map(|_| ())
        } else {
            log.append(&value(5)).unwrap();
            log.sync()
        };
        let reason = match first {
            Err(Error::Poisoned { reason }) => reason,
            other => panic!("sync={sync:?}: a failed fdatasync gave {other:?}, not Poisoned"),
        };
        // The injected errno as this system words it (5 is EIO on Unix, "Access denied" on
        // Windows).
        let eio = std::io::Error::from_raw_os_error(libc::EIO).to_string();
        let eio = eio.split(" (os error").next().unwrap();
        assert!(reason.contains(eio), "reason: {reason}");
        // The fault was a one-off, yet every write is refused from now on.
        let poisoned = |r: segmentlog::Result<()>, what: &str| match r {
            Err(Error::Poisoned { .. }) => {}
            other => panic!("sync={sync:?}: {what} after a failed sync gave {other:?}"),
        };
        poisoned(log.append(b"x").map(|_| ()), "append");
        poisoned(log.append_batch(&[b"y"]).map(|_| ()), "append_batch");
        poisoned(log.sync(), "sync");
        poisoned(log.truncate_back(2), "truncate_back");
        poisoned(log.truncate_front(100), "truncate_front");
        assert_eq!(log.read(4).unwrap().value, value(4), "reads still work");
        log.close().unwrap();
        fault::set_hook(None);
        let got = contents(dir.path(), options(sync)).unwrap();
        assert!(got.len() >= 5 && got.len() <= 6);
        assert_eq!(got[..5], (0..5).map(value).collect::<Vec<_>>()[..]);
        let log = Log::open(dir.path(), options(sync)).unwrap();
        log.append(b"after reopen").unwrap();
        log.close().unwrap();
    }
}

/// `write_path` decides how an append reaches the store, and `auto` picks `pwrite` under
/// `sync = always` only: a failed `pwrite` (the `Write` operation on the store) fails exactly the
/// appends written with it, publishes nothing (the next append takes the same offset), and does
/// not poison the log; appends through the map never meet it.
#[test]
fn each_write_path_writes_appends_as_it_says() {
    use segmentlog::WritePath;
    let _serial = serial();
    let _unhook = Unhook;
    for (sync, write_path, by_pwrite) in [
        (SyncPolicy::Always, WritePath::Auto, true),
        (SyncPolicy::Never, WritePath::Auto, false),
        (SyncPolicy::Never, WritePath::Write, true),
        (SyncPolicy::Always, WritePath::Map, false),
    ] {
        let case = format!("sync={sync:?} write_path={write_path:?}");
        let dir = scratch();
        let o = segmentlog::Options {
            write_path,
            ..options(sync)
        };
        let log = Log::open(dir.path(), o).unwrap();
        log.append(&value(0)).unwrap();
        Injector::install(
            dir.path(),
            Some(Plan {
                op: Op::Write,
                nth: 1,
                persistent: false,
                errno: libc::EIO,
            }),
        );
        let got = log.append(&value(1));
        fault::set_hook(None);
        if by_pwrite {
            assert!(matches!(got, Err(Error::Io { .. })), "{case}: {got:?}");
            assert_eq!(
                log.append(&value(1)).unwrap(),
                1,
                "{case}: nothing published"
            );
        } else {
            assert_eq!(got.unwrap(), 1, "{case}");
        }
        assert_eq!(log.append(&value(2)).unwrap(), 2, "{case}: not poisoned");
        log.close().unwrap();
        let got = contents(dir.path(), options(sync)).unwrap();
        assert_eq!(got, (0..3).map(value).collect::<Vec<_>>(), "{case}");
    }
}

/// Group commit when its fdatasync fails: 8 threads append under `sync = always`, so
/// rounds carry several waiting appenders, and the 4th fdatasync fails. Every waiter of that
/// round gets the error (none hangs, none is retried into a success), every later append is
/// refused, and every append that returned `Ok` is there after a reopen.
#[test]
fn a_failed_group_sync_fails_every_waiter_of_its_round_and_loses_no_acknowledged_record() {
    let _serial = serial();
    let _unhook = Unhook;
    let dir = scratch();
    let log = Log::open(dir.path(), options(SyncPolicy::Always)).unwrap();
    // Each fdatasync takes 5 ms (as on a disk, so that appenders pile up behind it), and the
    // 4th fails.
    let syncs = Arc::new(AtomicU64::new(0));
    let counted = syncs.clone();
    let root = dir.path().to_owned();
    fault::set_hook(Some(Arc::new(move |op: Op, path: &Path| {
        if op != Op::SyncData || !path.starts_with(&root) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        match counted.fetch_add(1, Ordering::Relaxed) + 1 {
            4 => Err(io::Error::from_raw_os_error(libc::EIO)),
            _ => Ok(()),
        }
    })));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let start = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let (log, done_tx, start) = (log.clone(), done_tx.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut acked = Vec::new();
                let mut failed = 0;
                for i in 0..40u64 {
                    let v = format!("t{t}-{i}").into_bytes();
                    match log.append(&v) {
                        Ok(offset) => {
                            assert_eq!(
                                failed, 0,
                                "thread {t}: an append succeeded after one failed"
                            );
                            acked.push((offset, v));
                        }
                        Err(Error::Poisoned { .. }) => failed += 1,
                        Err(e) => panic!("thread {t}: append gave {e:?}"),
                    }
                }
                done_tx.send(()).unwrap();
                (acked, failed)
            })
        })
        .collect();
    drop(done_tx);
    // No waiter is left hanging by the failed round.
    for _ in 0..8 {
        done_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("an appender hung after the failed group sync");
    }
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let failed: u64 = results.iter().map(|r| r.1).sum();
    let acked: Vec<_> = results.into_iter().flat_map(|r| r.0).collect();
    // Nine rounds succeeded before the failure: some appends were acknowledged, and the rest
    // of the 320 (every one from the failed round on) were refused.
    assert!(
        !acked.is_empty() && failed > 0,
        "{} acked, {failed} failed",
        acked.len()
    );
    assert_eq!(acked.len() as u64 + failed, 320);
    log.close().unwrap();
    fault::set_hook(None);
    let log = Log::open(dir.path(), options(SyncPolicy::Always)).unwrap();
    for (offset, v) in &acked {
        assert_eq!(
            &log.read(*offset).unwrap().value,
            v,
            "acknowledged {offset}"
        );
    }
    eprintln!(
        "group sync failure: {} appends acknowledged before it, {failed} refused, 0 lost",
        acked.len()
    );
}

/// A full disk is not fatal: while no new segment can be created, appends that need one fail
/// with ENOSPC (the log is not poisoned: nothing written was lost), reads go on, and once
/// space is back appends resume on the same handle.
#[test]
fn a_full_disk_fails_appends_with_enospc_and_recovers() {
    let _serial = serial();
    let _unhook = Unhook;
    let dir = scratch();
    let log = Log::open(dir.path(), options(SyncPolicy::Always)).unwrap();
    let inj = Injector::install(
        dir.path(),
        Some(Plan {
            op: Op::Allocate,
            nth: 1,
            persistent: true,
            errno: libc::ENOSPC,
        }),
    );
    let mut ok = 0u64;
    let err = loop {
        match log.append(&value(ok)) {
            Ok(off) => {
                assert_eq!(off, ok);
                ok += 1;
            }
            Err(e) => break e,
        }
        assert!(ok < 10_000, "the disk never filled");
    };
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
    assert!(inj.injected.load(Ordering::Relaxed) > 0);
    for _ in 0..3 {
        let e = log.append(&value(ok)).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
    }
    assert_eq!(log.next_offset().unwrap(), ok);
    assert_eq!(log.read(ok - 1).unwrap().value, value(ok - 1));
    // Space is back.
    fault::set_hook(None);
    assert_eq!(log.append(&value(ok)).unwrap(), ok);
    log.close().unwrap();
    let got = contents(dir.path(), options(SyncPolicy::Always)).unwrap();
    assert_eq!(got, (0..=ok).map(value).collect::<Vec<_>>());
}

/// An I/O error while recovery reads a store is an error, never a reason to cut the log.
#[test]
fn a_read_error_during_recovery_cuts_nothing() {
    let _serial = serial();
    let _unhook = Unhook;
    let dir = scratch();
    let log = Log::open(dir.path(), options(SyncPolicy::Always)).unwrap();
    for i in 0..100 {
        log.append(&value(i)).unwrap();
    }
    drop(log); // closes cleanly: the next open trusts the indexes
    // Make the next open scan: a crash leaves no CLEAN marker.
    std::fs::remove_file(dir.path().join("CLEAN")).unwrap();
    Injector::install(
        dir.path(),
        Some(Plan {
            op: Op::Read,
            nth: 1,
            persistent: true,
            errno: libc::EIO,
        }),
    );
    let e = Log::open(dir.path(), options(SyncPolicy::Always)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EIO), "{e}");
    fault::set_hook(None);
    let got = contents(dir.path(), options(SyncPolicy::Always)).unwrap();
    assert_eq!(got, (0..100).map(value).collect::<Vec<_>>());
}
