//! Appends 100-byte values through the C API (`commitlog_append`, called as C would, through
//! the extern "C" functions) and through core (`Log::append`) in the same run, and prints the
//! ratio. The target is C ≥ 0.9× core: the boundary (panic guard, pointer checks, status
//! mapping) must cost next to nothing.
//!
//! `BENCH_QUICK=1` runs a short version. Rounds alternate between the two paths on fresh logs
//! and the best round of each counts, to damp the noise of a shared machine.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

use commitlog::{
    commitlog_append, commitlog_close, commitlog_log, commitlog_open, commitlog_status,
};
use commitlog_core::{Log, Options};

const VALUE_LEN: usize = 100;

fn core_round(dir: &Path, n: u64, value: &[u8]) -> Duration {
    let log = Log::open(dir, Options::default()).expect("open");
    let start = Instant::now();
    for i in 0..n {
        let off = log.append(value).expect("append");
        debug_assert_eq!(off, i);
    }
    let elapsed = start.elapsed();
    log.close().expect("close");
    elapsed
}

fn c_round(dir: &Path, n: u64, value: &[u8]) -> Duration {
    let path = CString::new(dir.as_os_str().as_bytes()).expect("no NUL in a temp path");
    let mut log: *mut commitlog_log = std::ptr::null_mut();
    // SAFETY: path is NUL-terminated, NULL options mean defaults, log is a valid out-pointer.
    let status = unsafe { commitlog_open(path.as_ptr(), std::ptr::null(), &mut log) };
    assert_eq!(status, commitlog_status::Ok);
    let start = Instant::now();
    for _ in 0..n {
        let mut off = 0u64;
        // SAFETY: log is open; value is VALUE_LEN readable bytes; off is writable.
        let status = unsafe { commitlog_append(log, value.as_ptr(), value.len(), &mut off) };
        assert_eq!(status, commitlog_status::Ok);
    }
    let elapsed = start.elapsed();
    // SAFETY: log is open and used by no one else.
    unsafe { commitlog_close(log) };
    elapsed
}

fn report(name: &str, n: u64, best: Duration) -> f64 {
    let per_sec = n as f64 / best.as_secs_f64();
    println!(
        "  {name:<28} {:>10.0} appends/s  {:>7.1} MB/s  ({:.0} ns/append)",
        per_sec,
        per_sec * VALUE_LEN as f64 / 1e6,
        best.as_nanos() as f64 / n as f64
    );
    per_sec
}

fn main() {
    // `cargo bench` passes --bench; this harness takes no options.
    let quick = std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0");
    let (n, rounds) = if quick { (20_000, 3) } else { (200_000, 5) };
    let value = [0xABu8; VALUE_LEN];
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut best_core = Duration::MAX;
    let mut best_c = Duration::MAX;
    for round in 0..rounds {
        let core_dir = tmp.path().join(format!("core-{round}"));
        let c_dir = tmp.path().join(format!("c-{round}"));
        // Alternate which path goes first, so neither always gets the warmer cache.
        if round % 2 == 0 {
            best_core = best_core.min(core_round(&core_dir, n, &value));
            best_c = best_c.min(c_round(&c_dir, n, &value));
        } else {
            best_c = best_c.min(c_round(&c_dir, n, &value));
            best_core = best_core.min(core_round(&core_dir, n, &value));
        }
        std::fs::remove_dir_all(&core_dir).expect("cleanup");
        std::fs::remove_dir_all(&c_dir).expect("cleanup");
    }
    println!("ffi append bench: {n} appends of {VALUE_LEN} B, sync=never, best of {rounds} rounds");
    let core = report("core Log::append", n, best_core);
    let c = report("C API commitlog_append", n, best_c);
    let ratio = c / core;
    println!(
        "  C/core ratio: {ratio:.3} (target >= 0.90: {})",
        if ratio >= 0.9 { "met" } else { "NOT met" }
    );
}
