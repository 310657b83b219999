//! SIGKILL at scale with concurrent appenders: the child runs four threads appending batches
//! of 1..64 records and single records to one log with `SyncPolicy::Always` (so group commit
//! is in play) and prints every acknowledged range; the parent kills it at a random moment,
//! reopens and checks every acknowledged record byte-exact, that the offsets form one
//! gap-free run, and that every record past the acknowledged ones is one a thread really
//! tried to append (whole batches only).
//!
//! `CRASH_ROUNDS` sets the rounds (default 10 here; `make crash-test ROUNDS=1000`).

mod common;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use segmentlog::{Log, Options, SyncPolicy};

const THREADS: u64 = 4;

/// The value of record `i` of the `seq`-th append of thread `t`.
fn value(t: u64, seq: u64, i: u64) -> Vec<u8> {
    let mut v = format!("t{t}-s{seq}-i{i}-").into_bytes();
    let len = (seq.wrapping_mul(2654435761) ^ i) % 120;
    v.extend((0..len).map(|k| (t * 7 + seq + k) as u8));
    v
}

/// `(t, seq, i)` back from a value, if it is one.
fn parse(v: &[u8]) -> Option<(u64, u64, u64)> {
    let s = std::str::from_utf8(
        v.split(|&b| b == b'-')
            .take(3)
            .collect::<Vec<_>>()
            .join(&b'-')
            .as_slice(),
    )
    .ok()?
    .to_owned();
    let mut it = s.split('-');
    let t = it.next()?.strip_prefix('t')?.parse().ok()?;
    let seq = it.next()?.strip_prefix('s')?.parse().ok()?;
    let i = it.next()?.strip_prefix('i')?.parse().ok()?;
    Some((t, seq, i))
}

fn options() -> Options {
    Options {
        max_segment_bytes: 128 * 1024,
        max_index_bytes: 16 * 1024,
        sync: SyncPolicy::Always,
        ..common::base()
    }
}

fn batch_len(t: u64, seq: u64) -> u64 {
    if seq.is_multiple_of(3) {
        1
    } else {
        1 + (seq * 7 + t) % 64
    }
}

#[test]
fn crash_heavy_child() {
    let Ok(dir) = std::env::var("CRASH_HEAVY_DIR") else {
        return;
    };
    let log = Log::open(&dir, options()).expect("child open");
    let out = Arc::new(Mutex::new(std::io::stdout()));
    // Each round's child starts its sequence numbers where nothing can collide.
    let epoch: u64 = std::env::var("CRASH_HEAVY_EPOCH").unwrap().parse().unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let log = log.clone();
            let out = out.clone();
            std::thread::spawn(move || {
                for seq in epoch * 1_000_000.. {
                    let n = batch_len(t, seq);
                    let r = if n == 1 {
                        let o = log.append(&value(t, seq, 0)).expect("append");
                        o..o + 1
                    } else {
                        let vals: Vec<Vec<u8>> = (0..n).map(|i| value(t, seq, i)).collect();
                        log.append_batch(&vals).expect("batch")
                    };
                    let mut o = out.lock().unwrap();
                    writeln!(o, "{} {} {t} {seq}", r.start, r.end).unwrap();
                    o.flush().unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

fn rounds() -> u64 {
    std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
}

#[test]
fn sigkill_with_concurrent_batch_appenders_loses_no_acknowledged_record() {
    if std::env::var("CRASH_HEAVY_DIR").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed = Instant::now().elapsed().as_nanos() as u64 ^ 0xA076_1D64_78BD_642F;
    let (mut acked_total, mut appends_total, mut beyond_total) = (0u64, 0u64, 0u64);
    // Where the log ended before this round's child started.
    let mut before = 0u64;
    for round in 0..rounds() {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_heavy_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CRASH_HEAVY_DIR", dir.path())
            .env("CRASH_HEAVY_EPOCH", (round + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (first_ack, acking) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let f: Vec<u64> = line
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                if let [a, b, t, seq] = f[..] {
                    if acked.is_empty() {
                        let _ = first_ack.send(());
                    }
                    acked.push((a, b, t, seq));
                }
            }
            acked
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // As in crash.rs: odd rounds from the first acknowledged batch, even ones from start.
        if round % 2 == 1 {
            let _ = acking.recv_timeout(Duration::from_secs(60));
        }
        std::thread::sleep(Duration::from_millis(20 + seed % 150));
        // SIGKILL on Unix, TerminateProcess on Windows: no chance to clean up.
        child.kill().unwrap();
        child.wait().unwrap();
        let acked = reader.join().unwrap();

        let log = Log::open(dir.path(), options())
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        let lowest = log.lowest_offset().unwrap();
        let next = log.next_offset().unwrap();
        let mut max_end = 0;
        for &(a, b, t, seq) in &acked {
            for (i, off) in (a..b).enumerate() {
                let rec = log.read(off).unwrap_or_else(|e| {
                    panic!("round {round}: acknowledged offset {off} lost: {e}")
                });
                assert_eq!(
                    rec.value,
                    value(t, seq, i as u64),
                    "round {round}: offset {off}"
                );
            }
            acked_total += b - a;
            max_end = max_end.max(b);
        }
        appends_total += acked.len() as u64;
        assert!(
            next >= max_end,
            "round {round}: the log ends at {next}, before {max_end}"
        );
        // Records this round's child wrote past what the parent saw acknowledged: whole
        // batches a thread really sent.
        let first_unseen = max_end.max(before).max(lowest);
        let mut partial: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        for r in log.iter(first_unseen) {
            let r = r.unwrap();
            let (t, seq, i) = parse(&r.value).unwrap_or_else(|| {
                panic!("round {round}: offset {} holds a foreign value", r.offset)
            });
            assert_eq!(
                r.value,
                value(t, seq, i),
                "round {round}: offset {}",
                r.offset
            );
            *partial.entry((t, seq)).or_default() += 1;
            beyond_total += 1;
        }
        for ((t, seq), n) in partial {
            // An unacknowledged append that survived is whole (or also printed, if it raced).
            let printed = acked.iter().any(|r| r.2 == t && r.3 == seq);
            assert!(
                printed || n == batch_len(t, seq),
                "round {round}: batch t{t} s{seq} survived with {n} of {} records",
                batch_len(t, seq)
            );
        }
        // Every 50 rounds the log is emptied (re-based at its end), so that it stays small
        // and a crash right after a re-base is covered too.
        if round % 50 == 49 {
            log.reset().unwrap();
            assert_eq!(log.next_offset().unwrap(), next);
        }
        before = next;
        log.close().unwrap();
    }
    eprintln!(
        "crash test (4 threads, batches, sync=always): {} rounds, {appends_total} acknowledged appends, \
         {acked_total} acknowledged records verified, 0 lost, {beyond_total} unacknowledged whole-batch records found intact",
        rounds()
    );
    assert!(acked_total > 0);
}
