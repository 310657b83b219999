//! Reads of a log of 100 B records that is in the page cache: ordered iteration of the whole
//! log (as an `Iterator` of owned records, and borrowing with `Iter::next_with`), random reads
//! of known offsets (one `read` at a time, and `read_many` of 1000), `offset_at_time`; beside
//! an mmap scan / mmap random read of the `BufWriter` file and zowens reads.

use std::hint::black_box;
use std::time::Instant;

use segmentlog::{Log, Options};

use crate::harness::{Bench, OPS, Target, rate};
use crate::peer::Peer;
use crate::{Config, ceiling, scratch, settle};

/// A xorshift generator: the same random offsets for every contender, cheap to draw.
pub fn random_offsets(n: u64, count: u64) -> Vec<u64> {
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

pub fn run(cfg: &Config, b: &mut Bench, peer: &mut Peer) {
    println!("== reads of {} records of 100 B (page cache)", cfg.records);
    let value = [0x5au8; 100];
    let n = cfg.records;

    let ours_dir = scratch();
    let log = Log::open(ours_dir.path(), Options::default()).expect("open");
    for _ in 0..n {
        log.append(&value).expect("append");
    }
    let ceiling_dir = scratch();
    let mapped = ceiling::Mapped::create(&ceiling_dir.path().join("ceiling"), &value, n);
    let peer_dir = scratch();
    peer.fill(peer_dir.path(), value.len(), n);

    // The three logs were just written: let the write-back finish before anything is timed.
    settle();
    let offsets = random_offsets(n, cfg.reads);
    let first_ts = log.read(0).expect("read").timestamp;
    let last_ts = log.read(n - 1).expect("read").timestamp;
    let times: Vec<u64> = random_offsets(last_ts - first_ts + 1, cfg.time_queries)
        .into_iter()
        .map(|d| first_ts + d)
        .collect();

    for _ in 0..cfg.runs {
        // Ordered iteration.
        let t = Instant::now();
        let mut count = 0u64;
        for r in log.iter(0) {
            count += black_box(r.expect("iter").value.len()).min(1) as u64;
        }
        let d = t.elapsed();
        assert_eq!(count, n, "iteration saw every record");
        b.sample("iterate 100 B: segmentlog", OPS, rate(n, d));

        // The same, borrowing each record (Iter::next_with: no allocation per record).
        let t = Instant::now();
        let mut count = 0u64;
        let mut it = log.iter(0);
        while let Some(r) = it.next_with(|r| black_box(r.value.len()).min(1) as u64) {
            count += r.expect("iter");
        }
        let d = t.elapsed();
        assert_eq!(count, n, "iteration saw every record");
        b.sample("iterate 100 B: segmentlog next_with", OPS, rate(n, d));

        let t = Instant::now();
        let (count, _) = mapped.scan();
        let d = t.elapsed();
        assert_eq!(count, n);
        b.sample("iterate 100 B: mmap scan", OPS, rate(n, d));

        let t = Instant::now();
        let (count, _) = black_box(mapped.scan_checksummed());
        let d = t.elapsed();
        assert_eq!(count, n);
        b.sample("iterate 100 B: mmap scan + CRC32C", OPS, rate(n, d));

        let (d, count) = peer.scan();
        assert_eq!(count, n);
        b.sample("iterate 100 B: zowens", OPS, rate(n, d));

        // Random reads.
        let t = Instant::now();
        for &o in &offsets {
            black_box(log.read(o).expect("read").value.len());
        }
        b.sample(
            "random read 100 B: segmentlog read",
            OPS,
            rate(cfg.reads, t.elapsed()),
        );

        let t = Instant::now();
        for &o in &offsets {
            black_box(log.read_with(o, |r| r.value.len()).expect("read_with"));
        }
        b.sample(
            "random read 100 B: segmentlog read_with",
            OPS,
            rate(cfg.reads, t.elapsed()),
        );

        // The same offsets as multi-gets of 1000 (`read_many`: the misses of a window of
        // reads overlap).
        let t = Instant::now();
        for chunk in offsets.chunks(1000) {
            for r in log.read_many(chunk).expect("read_many") {
                black_box(r.value.len());
            }
        }
        b.sample(
            "random read 100 B: segmentlog read_many",
            OPS,
            rate(cfg.reads, t.elapsed()),
        );

        let t = Instant::now();
        for &o in &offsets {
            black_box(mapped.read(o));
        }
        b.sample("random read 100 B: mmap", OPS, rate(cfg.reads, t.elapsed()));

        b.sample(
            "random read 100 B: zowens",
            OPS,
            rate(cfg.peer_reads, peer.random(cfg.peer_reads)),
        );

        // offset_at_time: a binary search over the log's timestamps.
        let t = Instant::now();
        for &ts in &times {
            black_box(log.offset_at_time(ts).expect("offset_at_time"));
        }
        b.sample(
            "offset_at_time: segmentlog",
            OPS,
            rate(cfg.time_queries, t.elapsed()),
        );
    }
    log.close().expect("close");

    // The targets are judged on `next_with`: like the mmap scan and zowens' iteration (whose
    // messages borrow from the buffer it reads), it hands out values without allocating.
    // `Iterator::next` allocates a `Vec` per record; its rows are information.
    b.ratio(
        "iterate next_with: segmentlog / mmap scan",
        "iterate 100 B: segmentlog next_with",
        "iterate 100 B: mmap scan",
        Some(Target::AtLeast(0.5)),
    );
    b.ratio(
        "iterate next_with: segmentlog / zowens",
        "iterate 100 B: segmentlog next_with",
        "iterate 100 B: zowens",
        Some(Target::AtLeast(1.5)),
    );
    b.ratio(
        "iterate next_with: segmentlog / mmap scan + CRC32C",
        "iterate 100 B: segmentlog next_with",
        "iterate 100 B: mmap scan + CRC32C",
        None,
    );
    b.ratio(
        "iterate: segmentlog / mmap scan",
        "iterate 100 B: segmentlog",
        "iterate 100 B: mmap scan",
        None,
    );
    b.ratio(
        "iterate: segmentlog / zowens",
        "iterate 100 B: segmentlog",
        "iterate 100 B: zowens",
        None,
    );
    b.ratio(
        "random read: segmentlog read / zowens",
        "random read 100 B: segmentlog read",
        "random read 100 B: zowens",
        Some(Target::AtLeast(5.0)),
    );
    b.ratio(
        "random read: segmentlog read_many / zowens",
        "random read 100 B: segmentlog read_many",
        "random read 100 B: zowens",
        Some(Target::AtLeast(5.0)),
    );
    b.ratio(
        "random read: segmentlog read / mmap",
        "random read 100 B: segmentlog read",
        "random read 100 B: mmap",
        None,
    );
    b.ratio(
        "random read: segmentlog read_with / mmap",
        "random read 100 B: segmentlog read_with",
        "random read 100 B: mmap",
        None,
    );
    b.show();
}
