//! Shared pieces of the fault-injection and power-loss tests: a scratch directory on tmpfs,
//! the one-test-at-a-time lock (the hook is process-wide), a deterministic workload that keeps
//! the history of what it attempted and what the log acknowledged, and the check that a
//! reopened log holds exactly what that history allows.
#![allow(dead_code)]

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use segmentlog::{Error, Log, Options, SyncPolicy};

/// The fault hook is global to the process: tests that install one run one at a time.
pub static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A scratch directory on tmpfs when there is one (thousands of fsyncs per test are free
/// there), else in the default temp dir.
pub fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::Builder::new().prefix("clrel").tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}

/// Small segments so that the workload rolls several times.
pub fn options(sync: SyncPolicy) -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        sync,
        // A power cut or fault at the K-th file operation needs the same operations in every
        // run: no compaction thread racing the workload (powerloss.rs cuts `compress_sealed`
        // itself at every operation).
        compress_sealed: false,
        ..crate::common::base()
    }
}

/// The value of the `n`-th attempted append: unique, of varying length, checksummable by eye.
pub fn value(n: u64) -> Vec<u8> {
    let len = (n.wrapping_mul(2654435761) % 200) as usize;
    let mut v = format!("v{n}:").into_bytes();
    v.extend((0..len).map(|i| (n as usize * 31 + i * 7) as u8));
    v
}

/// What happened to one attempted value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The append returned its offset.
    Ok,
    /// The append returned an error (the value may or may not be in the log).
    Failed,
}

/// The history a workload leaves: every value it tried to append, in order.
#[derive(Debug, Default)]
pub struct History {
    pub attempted: Vec<(Vec<u8>, Fate)>,
    /// How many of `attempted` are acknowledged as durable: every Ok value before this index
    /// (sync=always: the append returned; otherwise a later `sync()`/`close()` returned Ok).
    pub durable: usize,
    /// Errors the workload saw (for the figures).
    pub errors: u64,
    /// Errors that were `Poisoned`.
    pub poisoned: u64,
}

/// Runs `f`, turning a panic into a test failure with context (the promise is "an error,
/// never a panic").
pub fn no_panic<R>(what: &str, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => panic!(
            "{what}: the log panicked: {}",
            crate::common::panic_message(p.as_ref())
        ),
    }
}

/// The workload: two sessions (open, appends and batches with a sync every few steps, close),
/// so that open, roll, seal, sync, close and recovery all run. After any error it carries on
/// as an application would: an append error is recorded; a `Poisoned`/`Closed` log is dropped
/// and reopened; a failed open is retried at the next step.
///
/// `after_error` sees each error (with the op that returned it) so tests can assert on it.
pub fn workload(
    dir: &Path,
    sync: SyncPolicy,
    steps: u64,
    mut after_error: impl FnMut(&str, &Error),
) -> History {
    let mut h = History::default();
    let mut log: Option<Log> = None;
    let mut n = 0u64;
    let mut err = |h: &mut History, what: &str, e: &Error| {
        h.errors += 1;
        if matches!(e, Error::Poisoned { .. }) {
            h.poisoned += 1;
        }
        after_error(what, e);
    };
    for step in 0..steps {
        if log.is_none() {
            match Log::open(dir, options(sync)) {
                Ok(l) => log = Some(l),
                Err(e) => {
                    err(&mut h, "open", &e);
                    continue;
                }
            }
        }
        let l = log.as_ref().unwrap();
        let mut broken = false;
        if step % 7 == 3 {
            let values: Vec<Vec<u8>> = (n..n + 3).map(value).collect();
            n += 3;
            let r = l.append_batch(&values);
            let fate = if r.is_ok() { Fate::Ok } else { Fate::Failed };
            h.attempted.extend(values.into_iter().map(|v| (v, fate)));
            if let Err(e) = r {
                broken = matches!(e, Error::Poisoned { .. } | Error::Closed);
                err(&mut h, "append_batch", &e);
            }
        } else {
            let v = value(n);
            n += 1;
            let r = l.append(&v);
            h.attempted
                .push((v, if r.is_ok() { Fate::Ok } else { Fate::Failed }));
            if let Err(e) = r {
                broken = matches!(e, Error::Poisoned { .. } | Error::Closed);
                err(&mut h, "append", &e);
            }
        }
        if sync == SyncPolicy::Always && !broken && h.attempted.last().unwrap().1 == Fate::Ok {
            h.durable = h.attempted.len();
        }
        if !broken && step % 5 == 4 {
            match l.sync() {
                Ok(()) => h.durable = h.attempted.len(),
                Err(e) => {
                    broken = true;
                    err(&mut h, "sync", &e);
                }
            }
        }
        if !broken && (step == steps / 2 || step + 1 == steps) {
            match l.close() {
                Ok(()) => h.durable = h.attempted.len(),
                Err(e) => err(&mut h, "close", &e),
            }
            broken = true;
        }
        if broken {
            log = None;
        }
    }
    h
}

/// Reads every value of the log in `dir` (opened with `opts`), oldest first.
pub fn contents(dir: &Path, opts: Options) -> segmentlog::Result<Vec<Vec<u8>>> {
    let log = Log::open(dir, opts)?;
    let lowest = log.lowest_offset()?;
    let mut out = Vec::new();
    for r in log.iter(lowest) {
        out.push(r?.value);
    }
    let via_read: Vec<Vec<u8>> = (lowest..log.next_offset()?)
        .map(|o| log.read(o).map(|r| r.value))
        .collect::<segmentlog::Result<_>>()?;
    assert_eq!(out, via_read, "iter and read disagree");
    log.close()?;
    Ok(out)
}

/// The promise after a failure: the log holds, in order, a prefix of what was attempted —
/// possibly missing values whose append failed, never a value that was not appended, never a
/// hole where an append succeeded — and every durable value. With `all_ok_kept` (no power loss: the page cache kept everything)
/// every value whose append returned Ok is there too.
pub fn check_prefix(case: &str, h: &History, got: &[Vec<u8>], all_ok_kept: bool) {
    let mut ai = 0;
    for (gi, g) in got.iter().enumerate() {
        loop {
            let Some((a, fate)) = h.attempted.get(ai) else {
                panic!(
                    "{case}: record {gi} of the reopened log ({} bytes) is not an attempted value in order",
                    g.len()
                );
            };
            ai += 1;
            if a == g {
                break;
            }
            // A hole is allowed only where an append failed: what follows a value that was
            // acknowledged with Ok may never survive without it.
            if *fate == Fate::Ok {
                panic!(
                    "{case}: value #{} was appended (Ok) but is missing before record {gi} of the reopened log",
                    ai - 1
                );
            }
        }
    }
    let durable_ok: Vec<usize> = (0..h.durable)
        .filter(|&i| h.attempted[i].1 == Fate::Ok)
        .collect();
    if let Some(&last) = durable_ok.last() {
        assert!(
            ai > last,
            "{case}: acknowledged value #{last} was lost (the log holds {} records, {} were durable)",
            got.len(),
            durable_ok.len()
        );
    }
    if all_ok_kept {
        let ok = h
            .attempted
            .iter()
            .rposition(|(_, f)| *f == Fate::Ok)
            .map_or(0, |i| i + 1);
        assert!(
            ai >= ok,
            "{case}: values appended with Ok up to #{ok} but the log ends after #{ai}"
        );
    }
    let distinct: HashSet<&Vec<u8>> = got.iter().collect();
    assert_eq!(distinct.len(), got.len(), "{case}: a value appears twice");
}

pub fn dir_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}
