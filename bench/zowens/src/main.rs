//! Serves zowens/commitlog 0.2 workloads to the core bench, one command per stdin line, one
//! answer per stdout line (times in nanoseconds, measured here so that process start and
//! pipes are not counted):
//!
//! - `append DIR LEN N`        N single appends (`append_msg`) of LEN-byte values -> `NS`
//! - `batches DIR LEN N BATCH` N values in `MessageBuf` batches of BATCH -> `NS`
//! - `fill DIR LEN N`          writes N values (batches of 1000) and keeps the log open -> `ok`
//! - `scan`                    reads the filled log in order, 1 MiB a read -> `NS COUNT`
//! - `random COUNT`            COUNT single-message reads at the bench's random offsets -> `NS`
//!
//! Any failure panics: the bench sees the pipe close and stops.

use std::hint::black_box;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use zowens_commitlog::message::{MessageBuf, MessageSet};
use zowens_commitlog::{CommitLog, LogOptions, ReadLimit};

fn open(dir: &Path) -> CommitLog {
    CommitLog::new(LogOptions::new(dir)).expect("open zowens log")
}

fn append_batches(log: &mut CommitLog, value: &[u8], n: u64, batch: u64) {
    let mut left = n;
    while left > 0 {
        let k = left.min(batch);
        let mut buf = MessageBuf::default();
        for _ in 0..k {
            buf.push(value).expect("push");
        }
        log.append(&mut buf).expect("append batch");
        left -= k;
    }
}

/// The bench's random offsets (the same xorshift sequence as core/benches/compare/reads.rs).
fn random_offsets(n: u64, count: u64) -> Vec<u64> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        })
        .collect()
}

struct Filled {
    log: CommitLog,
    records: u64,
    message_bytes: usize,
}

fn main() {
    let mut filled: Option<Filled> = None;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        let w: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| -> u64 { w[i].parse().expect("a number") };
        let answer = match w.first().copied() {
            Some("append") => {
                let mut log = open(Path::new(w[1]));
                let value = vec![0x5au8; num(2) as usize];
                let t = Instant::now();
                for _ in 0..num(3) {
                    log.append_msg(&value).expect("append");
                }
                t.elapsed().as_nanos().to_string()
            }
            Some("batches") => {
                let mut log = open(Path::new(w[1]));
                let value = vec![0x5au8; num(2) as usize];
                let t = Instant::now();
                append_batches(&mut log, &value, num(3), num(4));
                t.elapsed().as_nanos().to_string()
            }
            Some("fill") => {
                let mut log = open(Path::new(w[1]));
                let value = vec![0x5au8; num(2) as usize];
                append_batches(&mut log, &value, num(3), 1000);
                let first = log.read(0, ReadLimit::max_bytes(1 << 16)).expect("read");
                let message_bytes = first.bytes().len() / first.len();
                filled = Some(Filled {
                    log,
                    records: num(3),
                    message_bytes,
                });
                "ok".to_string()
            }
            Some("scan") => {
                let f = filled.as_ref().expect("fill first");
                let t = Instant::now();
                let (mut next, mut count) = (0u64, 0u64);
                loop {
                    let buf = f
                        .log
                        .read(next, ReadLimit::max_bytes(1 << 20))
                        .expect("read");
                    if buf.is_empty() {
                        break;
                    }
                    for m in buf.iter() {
                        black_box(m.payload());
                        count += 1;
                        next = m.offset() + 1;
                    }
                }
                format!("{} {count}", t.elapsed().as_nanos())
            }
            Some("random") => {
                let f = filled.as_ref().expect("fill first");
                let offsets = random_offsets(f.records, num(1));
                let limit = ReadLimit::max_bytes(f.message_bytes);
                let t = Instant::now();
                for &o in &offsets {
                    let buf = f.log.read(o, limit).expect("read");
                    let m = buf.iter().next().expect("one message");
                    assert_eq!(m.offset(), o);
                    black_box(m.payload());
                }
                t.elapsed().as_nanos().to_string()
            }
            other => panic!("unknown command {other:?}"),
        };
        writeln!(out, "{answer}").expect("stdout");
        out.flush().expect("stdout");
    }
}
