//! A real crash test: a child process appends and reports every acknowledged offset; the
//! parent kills it with SIGKILL at a random moment, reopens the log and checks that every
//! acknowledged record reads back byte-exact and that the log accepts appends again.
//!
//! The child is this same test binary, re-run with `CRASH_CHILD_DIR` set.
//! `CRASH_ROUNDS` sets the rounds per sync policy (default 50).

mod common;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use segmentlog::{Log, Options, SyncPolicy};

fn value(offset: u64) -> Vec<u8> {
    let len = (offset.wrapping_mul(2654435761) % 300) as usize;
    let mut v = format!("crash-{offset}-").into_bytes();
    v.extend(std::iter::repeat_n(b'a' + (offset % 26) as u8, len));
    v
}

fn options(sync: &str) -> Options {
    Options {
        max_segment_bytes: 256 * 1024,
        max_index_bytes: 64 * 1024,
        sync: if sync == "always" {
            SyncPolicy::Always
        } else {
            SyncPolicy::Never
        },
        ..common::base()
    }
}

/// The child: appends singles and batches forever, printing what was acknowledged.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("CRASH_CHILD_DIR") else {
        return;
    };
    let sync = std::env::var("CRASH_CHILD_SYNC").unwrap_or_default();
    let log = Log::open(&dir, options(&sync)).expect("child open");
    let mut out = std::io::stdout().lock();
    let mut i = 0u64;
    loop {
        use std::io::Write;
        let next = log.next_offset().unwrap();
        if i.is_multiple_of(3) {
            let n = 1 + i % 17;
            let values: Vec<Vec<u8>> = (next..next + n).map(value).collect();
            let r = log.append_batch(&values).expect("batch");
            assert_eq!(r.start, next);
            writeln!(out, "{} {}", r.start, r.end).unwrap();
        } else {
            let off = log.append(&value(next)).expect("append");
            assert_eq!(off, next);
            writeln!(out, "{} {}", off, off + 1).unwrap();
        }
        out.flush().unwrap();
        i += 1;
    }
}

fn rounds() -> u64 {
    std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
}

fn crash_rounds(sync: &str) {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed =
        Instant::now().elapsed().as_nanos() as u64 ^ 0x9E3779B97F4A7C15 ^ std::process::id() as u64;
    let mut acked_total = 0u64;
    let mut max_acked = 0u64;
    for round in 0..rounds() {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env("CRASH_CHILD_DIR", dir.path())
            .env("CRASH_CHILD_SYNC", sync)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (first_ack, acking) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut ranges = vec![];
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut it = line.split_whitespace().map(|x| x.parse::<u64>());
                if let (Some(Ok(a)), Some(Ok(b))) = (it.next(), it.next()) {
                    if ranges.is_empty() {
                        let _ = first_ack.send(());
                    }
                    ranges.push(a..b);
                }
            }
            ranges
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = if sync == "always" {
            20 + seed % 120
        } else {
            5 + seed % 40
        };
        // Odd rounds count the delay from the child's first acknowledged append, so that a
        // slow start (an emulated target) still kills it mid-append; even rounds from its
        // start, so that some crashes hit the open.
        if round % 2 == 1 {
            let _ = acking.recv_timeout(Duration::from_secs(60));
        }
        std::thread::sleep(Duration::from_millis(delay));
        // SIGKILL on Unix, TerminateProcess on Windows: no chance to clean up.
        child.kill().unwrap();
        child.wait().unwrap();
        let acked = reader.join().unwrap();

        let log = Log::open(dir.path(), options(sync))
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        for r in &acked {
            for off in r.clone() {
                let rec = log.read(off).unwrap_or_else(|e| {
                    panic!("round {round}: acknowledged offset {off} lost: {e}")
                });
                assert_eq!(rec.value, value(off), "round {round}: offset {off} differs");
            }
            acked_total += r.end - r.start;
            max_acked = max_acked.max(r.end);
        }
        assert!(log.next_offset().unwrap() >= max_acked);
        let next = log.next_offset().unwrap();
        assert_eq!(
            log.append(&value(next)).unwrap(),
            next,
            "round {round}: log must accept appends"
        );
        log.close().unwrap();
    }
    eprintln!(
        "crash test sync={sync}: {} rounds, {acked_total} acknowledged records verified, 0 lost",
        rounds()
    );
    assert!(acked_total > 0);
}

#[test]
fn sigkill_loses_no_acknowledged_record_sync_always() {
    if std::env::var("CRASH_CHILD_DIR").is_ok() {
        return;
    }
    crash_rounds("always");
}

#[test]
fn sigkill_loses_no_acknowledged_record_sync_never() {
    if std::env::var("CRASH_CHILD_DIR").is_ok() {
        return;
    }
    crash_rounds("never");
}
