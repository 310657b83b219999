//! A real crash test of cursor commits: a child process (this test binary again, with
//! `CURSOR_CRASH_CHILD_DIR` set) commits positions in a loop from a read-only handle and prints
//! each one once its commit returned; the parent kills it with SIGKILL at a random moment and
//! checks that the cursor holds the last position printed or the one after it (in flight).
//!
//! `CURSOR_CRASH_ROUNDS` sets the rounds (default 20).

mod common;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use segmentlog::{CursorStart, Log, Options};

const RECORDS: u64 = 1000;

/// The position of the `i`-th commit (the creation is commit 0): it wraps, so that commits
/// also go back.
fn position(i: u64) -> u64 {
    (i * 7) % (RECORDS + 1)
}

fn read_only() -> Options {
    Options {
        read_only: true,
        ..common::base()
    }
}

#[test]
fn cursor_crash_child() {
    let Ok(dir) = std::env::var("CURSOR_CRASH_CHILD_DIR") else {
        return;
    };
    use std::io::Write;
    let log = Log::open(&dir, read_only()).expect("child open");
    let c = log
        .cursor("k", CursorStart::Offset(position(0)))
        .expect("child cursor");
    let mut out = std::io::stdout().lock();
    writeln!(out, "0").unwrap();
    out.flush().unwrap();
    for i in 1.. {
        c.commit(position(i)).expect("commit");
        writeln!(out, "{i}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn a_killed_committer_leaves_the_last_acknowledged_position_or_the_next() {
    if std::env::var("CURSOR_CRASH_CHILD_DIR").is_ok() {
        return;
    }
    let rounds: u64 = std::env::var("CURSOR_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let exe = std::env::current_exe().unwrap();
    let mut seed = 0x2545_F491_4F6C_DD1Du64 ^ std::process::id() as u64;
    let (mut acked_total, mut in_flight) = (0u64, 0u64);
    for round in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), Options::default()).unwrap();
        for i in 0..RECORDS {
            log.append(format!("{i}").as_bytes()).unwrap();
        }
        log.close().unwrap();
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "cursor_crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CURSOR_CRASH_CHILD_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = Duration::from_millis(20 + seed % 200);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill at a random moment once the child has started committing.
        let started = Instant::now();
        let mut last: Option<u64> = None;
        for line in lines.by_ref() {
            let Ok(n) = line.unwrap().trim().parse::<u64>() else {
                continue;
            };
            last = Some(n);
            if started.elapsed() >= wait {
                break;
            }
        }
        child.kill().unwrap();
        // Lines printed before the kill were acknowledged too.
        for line in lines {
            if let Ok(n) = line.unwrap_or_default().trim().parse::<u64>() {
                last = Some(n);
            }
        }
        child.wait().unwrap();
        let last = last.expect("the child committed before it was killed");
        let log = Log::open(dir.path(), read_only()).unwrap();
        let got = match log.open_cursor("k") {
            Ok(c) => c.position().unwrap().committed,
            Err(e) => panic!(
                "round {round}: the cursor does not open ({:?}): {e}",
                e.kind()
            ),
        };
        assert!(
            got == position(last) || got == position(last + 1),
            "round {round}: the cursor holds {got}; the last commit acknowledged was #{last} \
             (position {}), the next would be {}",
            position(last),
            position(last + 1)
        );
        acked_total += last;
        in_flight += u64::from(got != position(last));
    }
    eprintln!(
        "cursor crash: {rounds} rounds, {acked_total} commits acknowledged, every killed \
         cursor held its last acknowledged position ({in_flight} held the one in flight)"
    );
}
