//! Truncation and retention under power cuts and I/O faults (issue 13, path 4): a power cut
//! at every file operation of `truncate_back` (into the active segment, into a batch, into a
//! sealed segment), `truncate_front` (within the log and past its end) and retention, and an
//! I/O error at every one of them, once and for good. The log always reopens, never with a
//! hole, and holds what the call's promise allows:
//! - `truncate_back(k)`: the log as it was, cut at k or at a point after k (a prefix of it at
//!   least k long);
//! - `truncate_front(k)` and retention: the log as it was, starting at one of its segment
//!   bases at or below the first record kept (past the end: as it was, or empty at k).
//!
//! Every record was acknowledged durable before the call (the log was closed cleanly), so
//! every record the promise keeps must be there, byte for byte. After a failed call the
//! handle must be poisoned or sound: an append then gets the next offset and survives.
//! `TRACE_OPS=1` prints every file operation of the I/O-error cases.
#![cfg(feature = "fault-injection")]

mod common;
mod faultkit;

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use faultkit::{no_panic, scratch, serial};
use segmentlog::fault::powercut::*;
use segmentlog::fault::{self, Op};
use segmentlog::{Log, Options, SyncPolicy};

// Enough for five segments with compression on too (`common::base`), whose frames are smaller.
const N: u64 = 150;

fn value(i: u64) -> Vec<u8> {
    let len = 60 + (i.wrapping_mul(2654435761) % 150) as usize;
    let mut v = format!("t{i}:").into_bytes();
    v.extend((0..len).map(|j| (i as usize * 7 + j) as u8));
    v
}

fn opts() -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        sync: SyncPolicy::Always,
        // The same file operations in every run (see faultkit::options).
        compress_sealed: false,
        ..common::base()
    }
}

/// A durable log of `N` records over several segments (singles and batches of 5), closed.
/// Returns the segment bases.
fn setup(dir: &Path) -> Vec<u64> {
    let log = Log::open(dir, opts()).unwrap();
    let mut i = 0;
    while i < N {
        if i % 11 == 3 && i + 5 <= N {
            let batch: Vec<Vec<u8>> = (i..i + 5).map(value).collect();
            log.append_batch(&batch).unwrap();
            i += 5;
        } else {
            log.append(&value(i)).unwrap();
            i += 1;
        }
    }
    let bases = log
        .segments()
        .unwrap()
        .iter()
        .map(|s| s.base_offset)
        .collect();
    log.close().unwrap();
    bases
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Back(u64),
    Front(u64),
    Retention(u64),
}

fn run(call: Call, dir: &Path) -> segmentlog::Result<()> {
    run_then(call, dir, |_, _| {})
}

/// Runs `call` on a fresh handle; `after` sees the handle and the call's result, before the
/// handle is closed.
fn run_then(
    call: Call,
    dir: &Path,
    after: impl FnOnce(&Log, &segmentlog::Result<()>),
) -> segmentlog::Result<()> {
    let o = match call {
        Call::Retention(bytes) => Options {
            retention_bytes: Some(bytes),
            ..opts()
        },
        _ => opts(),
    };
    let log = Log::open(dir, o)?;
    let result = match call {
        Call::Back(k) => log.truncate_back(k),
        Call::Front(k) => log.truncate_front(k),
        Call::Retention(_) => Ok(()), // applied by the open
    };
    after(&log, &result);
    result?;
    log.close()
}

/// After a failed call the handle is either poisoned (writes refused) or sound: an append
/// gets the next offset, reads back, and (sync=always) is in the log when it is reopened.
fn append_after(case: &str, log: &Log) -> Option<(u64, Vec<u8>)> {
    let v = b"after the failure".to_vec();
    let next = log.next_offset().ok()?;
    match log.append(&v) {
        Ok(o) => {
            assert_eq!(o, next, "{case}: the append did not get the next offset");
            let back = log
                .read(o)
                .unwrap_or_else(|e| panic!("{case}: append {o} unreadable: {e}"));
            assert_eq!(back.value, v, "{case}");
            assert_eq!(log.next_offset().unwrap(), o + 1, "{case}");
            Some((o, v))
        }
        Err(_) => None,
    }
}

/// Opens `dir` and checks what `call` may have left. `done`: the call returned Ok.
fn check(case: &str, dir: &Path, call: Call, bases: &[u64], done: bool) {
    let log = no_panic(case, || Log::open(dir, opts()))
        .unwrap_or_else(|e| panic!("{case}: the log does not reopen: {e}"));
    let (lowest, next) = (log.lowest_offset().unwrap(), log.next_offset().unwrap());
    for o in lowest..next {
        match log.read(o) {
            Ok(r) => assert_eq!(r.value, value(o), "{case}: offset {o} has wrong bytes"),
            Err(e) => panic!("{case}: offset {o} of {lowest}..{next} is lost: {e}"),
        }
    }
    let report = log.recovery_report();
    assert_eq!(report.records_in_holes(), 0, "{case}: holes: {report}");
    match call {
        Call::Back(k) => {
            assert_eq!(lowest, 0, "{case}");
            assert!((k..=N).contains(&next), "{case}: next {next} (cut at {k})");
            if done {
                assert_eq!(next, k, "{case}: returned Ok but the cut is not there");
            }
        }
        Call::Front(k) if k > N => {
            assert!(
                (lowest, next) == (0, N) || (lowest, next) == (k, k),
                "{case}: {lowest}..{next}"
            );
            if done {
                assert_eq!((lowest, next), (k, k), "{case}");
            }
        }
        Call::Front(k) => {
            assert_eq!(next, N, "{case}");
            assert!(
                bases.contains(&lowest) && lowest <= k,
                "{case}: starts at {lowest}"
            );
        }
        Call::Retention(_) => {
            assert_eq!(next, N, "{case}");
            assert!(bases.contains(&lowest), "{case}: starts at {lowest}");
        }
    }
    log.close().unwrap();
}

fn calls(bases: &[u64]) -> Vec<Call> {
    let last = *bases.last().unwrap();
    vec![
        Call::Back(N - 2),         // within the active segment
        Call::Back(5),             // into the first batch, three segments back
        Call::Back(bases[2]),      // at a segment boundary
        Call::Back(bases[2] + 2),  // into a sealed segment
        Call::Front(bases[2] + 1), // drops two segments
        Call::Front(last),         // everything but the newest
        Call::Front(N + 50),       // past the end: an empty log at N + 50
        Call::Retention(3 * 4096), // keeps about three segments
    ]
}

/// A power cut at every file operation of each call; three disk images each.
#[test]
fn a_power_cut_at_any_operation_of_truncation_or_retention_loses_nothing_it_keeps() {
    let _serial = serial();
    let probe = scratch();
    let bases = setup(probe.path());
    assert!(
        bases.len() >= 5,
        "the log must span several segments: {bases:?}"
    );
    let (mut points, mut images) = (0, 0);
    for call in calls(&bases) {
        let dry = scratch();
        setup(dry.path());
        let disk = Disk::install_on_durable(dry.path(), 0);
        run(call, dry.path()).unwrap();
        let total = disk.st.lock().ops;
        fault::set_hook(None);
        for cut in 1..=total {
            let dir = scratch();
            setup(dir.path());
            let disk = Disk::install_on_durable(dir.path(), cut);
            let result = no_panic("call", || run(call, dir.path()));
            fault::set_hook(None);
            let st = std::mem::take(&mut *disk.st.lock());
            assert!(
                st.off && result.is_err(),
                "{call:?}: cut {cut} of {total} not reached"
            );
            for variant in [Variant::Durable, Variant::Torn, Variant::Sectors] {
                for seed in 0..2u64 {
                    let seed = 0x7E0C_A7E0 ^ (cut << 12) ^ (seed << 4) ^ variant as u64;
                    let img = scratch();
                    image(&st, variant, seed, img.path());
                    let case = format!(
                        "{call:?}, power cut at operation {cut} of {total}, {variant:?} image {seed}"
                    );
                    check(&case, img.path(), call, &bases, false);
                    images += 1;
                }
            }
            points += 1;
        }
    }
    eprintln!(
        "truncation and retention under power cuts: {points} cut points, {images} disk images, \
         0 records lost, 0 holes"
    );
}

/// Fails the `nth` file operation (and every later one when `persistent`) under `dir`.
struct Injector {
    nth: u64,
    persistent: bool,
    seen: AtomicU64,
    injected: AtomicU64,
}

fn inject(dir: &Path, nth: u64, persistent: bool) -> Arc<Injector> {
    let inj = Arc::new(Injector {
        nth,
        persistent,
        seen: AtomicU64::new(0),
        injected: AtomicU64::new(0),
    });
    let (hook, dir) = (inj.clone(), dir.to_owned());
    fault::set_hook(Some(Arc::new(move |op: Op, path: &Path| {
        if !path.starts_with(&dir) || hook.nth == 0 {
            return Ok(());
        }
        let n = hook.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if std::env::var("TRACE_OPS").is_ok() {
            eprintln!("op {n}: {op:?} {}", path.display());
        }
        if n == hook.nth || (hook.persistent && n > hook.nth) {
            hook.injected.fetch_add(1, Ordering::Relaxed);
            let errno = if matches!(op, Op::Allocate | Op::Create) {
                libc::ENOSPC
            } else {
                libc::EIO
            };
            return Err(io::Error::from_raw_os_error(errno));
        }
        Ok(())
    })));
    inj
}

/// An I/O error at every file operation of each call, once and for good: an error (never a
/// panic), and the log reopens holding what the promise allows (exactly the call's result
/// when it returned Ok).
#[test]
fn an_io_error_at_any_operation_of_truncation_or_retention_leaves_a_sound_log() {
    let _serial = serial();
    let probe = scratch();
    let bases = setup(probe.path());
    let (mut cases, mut errors) = (0, 0);
    for call in calls(&bases) {
        let dry = scratch();
        setup(dry.path());
        let total = {
            let seen = Arc::new(AtomicU64::new(0));
            let (s, d) = (seen.clone(), dry.path().to_owned());
            fault::set_hook(Some(Arc::new(move |_: Op, path: &Path| {
                if path.starts_with(&d) {
                    s.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })));
            run(call, dry.path()).unwrap();
            fault::set_hook(None);
            seen.load(Ordering::Relaxed)
        };
        for nth in 1..=total {
            for persistent in [false, true] {
                let dir = scratch();
                setup(dir.path());
                let inj = inject(dir.path(), nth, persistent);
                let case = format!(
                    "{call:?}, I/O error at operation {nth} of {total} (persistent: {persistent})"
                );
                let mut appended = None;
                let result = no_panic(&case, || {
                    run_then(call, dir.path(), |log, result| {
                        if !persistent && result.is_err() {
                            appended = append_after(&case, log);
                        }
                    })
                });
                fault::set_hook(None);
                assert!(inj.injected.load(Ordering::Relaxed) > 0, "{case}");
                let case = format!("{case}: {result:?}");
                if result.is_err() {
                    errors += 1;
                }
                if let Some((o, v)) = appended {
                    // Acknowledged durable (sync=always): it is there after a reopen.
                    let log = Log::open(dir.path(), opts()).unwrap();
                    let got = log
                        .read(o)
                        .unwrap_or_else(|e| panic!("{case}: append {o} lost: {e}"));
                    assert_eq!(got.value, v, "{case}");
                    log.truncate_back(o).unwrap();
                    log.close().unwrap();
                }
                // A failed append (its sync failed) may have left its record: cut it.
                if result.is_ok() {
                    check(&case, dir.path(), call, &bases, true);
                } else {
                    check(&case, dir.path(), call, &bases, false);
                }
                cases += 1;
            }
        }
    }
    eprintln!(
        "truncation and retention under I/O errors: {cases} cases, {errors} errors returned, \
         0 records lost, 0 holes, 0 panics"
    );
}
