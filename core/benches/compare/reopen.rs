//! Reopening a large log: after a clean close (trusted segments, O(1) checks each) and after a
//! crash (the newest segment is scanned), with the newest segment nearly empty, half full and
//! nearly full: what recovery costs depends on how much of the newest segment's preallocated
//! tail it has to look at. Each crashed log is written by a child process that kills itself
//! with SIGKILL mid-stream; each run opens a fresh copy of it (sealed stores hard-linked,
//! indexes and the newest store copied, since recovery may rewrite them; the copy keeps the
//! tail's never-written blocks unwritten, as the crash left them).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use segmentlog::{Log, Options};

use crate::harness::{Bench, MS, Target};
use crate::{Config, child, scratch};

/// Fills `dir` with about `bytes` of 100 B records (batches of 1000) and a few single appends.
pub fn fill(log: &Log, bytes: u64) {
    let value = [0x5au8; 100];
    let batch = vec![&value[..]; 1000];
    let per_batch = 1000 * (100 + segmentlog::format::RECORD_HEADER_LEN);
    for _ in 0..bytes / per_batch {
        log.append_batch(&batch).expect("append_batch");
    }
    for _ in 0..10 {
        log.append(&value).expect("append");
    }
}

/// The newest segment's fill in the crash rows.
const NEWEST_FILL: [(&str, f64); 3] = [
    ("newest segment nearly empty", 0.02),
    ("newest segment half full", 0.5),
    ("newest segment nearly full", 0.98),
];

/// Bytes for `fill` that leave about `total` bytes, the newest segment `fraction` full.
fn crash_amount(total: u64, fraction: f64) -> u64 {
    let per_batch = 1000 * (100 + segmentlog::format::RECORD_HEADER_LEN);
    let segment = Options::default().max_segment_bytes;
    let per_segment = (segment - segmentlog::format::STORE_HEADER_LEN) / per_batch;
    let sealed = (total / segment).max(1) - 1;
    let newest = ((per_segment as f64 * fraction).round() as u64).max(1);
    (sealed * per_segment + newest) * per_batch
}

/// Copies the crashed log `from` into `to` for one run.
fn copy_crashed(from: &Path, to: &Path) {
    let mut stores: Vec<_> = std::fs::read_dir(from)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "store" || x == "index"))
        .collect();
    stores.sort();
    let newest_stem = stores
        .last()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_owned())
        .expect("segments");
    for p in stores {
        let dest = to.join(p.file_name().expect("name"));
        let sealed_store =
            p.file_stem() != Some(&newest_stem) && p.extension().is_some_and(|x| x == "store");
        if sealed_store {
            // Opening never writes a sealed store: share it instead of copying a GiB.
            std::fs::hard_link(&p, &dest).expect("link sealed store");
        } else {
            // The newest segment is repaired in place, and any index may be rebuilt.
            copy_keeping_holes(&p, &dest);
        }
    }
}

/// Copies `from` to `to` byte for byte except for the ranges the file system reports as
/// holes (`SEEK_HOLE`; blocks reserved and never written are such), which stay holes.
/// `std::fs::copy` would write them out as zeros: a crashed log it never leaves.
fn copy_keeping_holes(from: &Path, to: &Path) {
    use std::os::unix::fs::FileExt;
    use std::os::unix::io::AsRawFd;
    let src = std::fs::File::open(from).expect("open copy source");
    let len = src.metadata().expect("stat").len();
    let dst = std::fs::File::create(to).expect("create copy");
    dst.set_len(len).expect("size copy");
    let mut buf = vec![0u8; 1 << 20];
    let mut pos = 0u64;
    while pos < len {
        // SAFETY: lseek on an open fd has no memory-safety preconditions; only the file
        // position changes, and every read here is positional.
        let data = unsafe { libc::lseek(src.as_raw_fd(), pos as libc::off_t, libc::SEEK_DATA) };
        if data < 0 {
            break; // ENXIO: only holes from `pos` on.
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(src.as_raw_fd(), data, libc::SEEK_HOLE) };
        let (start, stop) = (data as u64, (hole.max(data) as u64).min(len));
        let mut at = start;
        while at < stop {
            let n = ((stop - at) as usize).min(buf.len());
            src.read_exact_at(&mut buf[..n], at)
                .expect("read copy source");
            dst.write_all_at(&buf[..n], at).expect("write copy");
            at += n as u64;
        }
        pos = stop.max(pos + 1);
    }
}

/// Writes a log of about `bytes` in a child process that dies by SIGKILL.
fn crash(bytes: u64) -> tempfile::TempDir {
    let crashed = scratch();
    let status = Command::new(std::env::current_exe().expect("exe"))
        .env(child::ROLE, "crash")
        .env(child::DIR, crashed.path())
        .env(child::AMOUNT, bytes.to_string())
        .status()
        .expect("run crash child");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL),
        "the writer must die by SIGKILL"
    );
    crashed
}

pub fn run(cfg: &Config, b: &mut Bench) {
    let mib = cfg.reopen_bytes >> 20;
    println!("== reopen a {mib} MiB log");
    let clean_name = format!("reopen clean {mib} MiB log: segmentlog");

    let clean = scratch();
    let log = Log::open(clean.path(), Options::default()).expect("open");
    fill(&log, cfg.reopen_bytes);
    log.close().expect("close");

    let crashed: Vec<(String, tempfile::TempDir)> = NEWEST_FILL
        .iter()
        .map(|&(what, fraction)| {
            let name = format!("reopen after crash {mib} MiB log, {what}: segmentlog");
            (name, crash(crash_amount(cfg.reopen_bytes, fraction)))
        })
        .collect();

    for _ in 0..cfg.runs {
        let t = Instant::now();
        let log = Log::open(clean.path(), Options::default()).expect("reopen clean");
        let d = t.elapsed();
        assert!(log.opened_clean());
        b.sample(&clean_name, MS, d.as_secs_f64() * 1e3);
        log.close().expect("close");

        for (name, crashed) in &crashed {
            let run_dir = scratch();
            copy_crashed(crashed.path(), run_dir.path());
            let t = Instant::now();
            let log = Log::open(run_dir.path(), Options::default()).expect("reopen crashed");
            let d = t.elapsed();
            assert!(!log.opened_clean());
            b.sample(name, MS, d.as_secs_f64() * 1e3);
            log.close().expect("close");
        }
    }
    b.target(&clean_name, Target::AtMost(20.0));
    for (name, _) in &crashed {
        b.target(name, Target::AtMost(50.0));
    }
    b.show();
}
