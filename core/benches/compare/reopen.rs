//! Reopening a large log: after a clean close (trusted segments, O(1) checks each) and after a
//! crash (the newest segment is scanned). The crashed log is written by a child process that
//! kills itself with SIGKILL mid-stream; each run opens a fresh copy of it (sealed stores
//! hard-linked, indexes and the newest store copied, since recovery may rewrite them).

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
            std::fs::copy(&p, &dest).expect("copy segment file");
        }
    }
}

pub fn run(cfg: &Config, b: &mut Bench) {
    let mib = cfg.reopen_bytes >> 20;
    println!("== reopen a {mib} MiB log");
    let clean_name = format!("reopen clean {mib} MiB log: segmentlog");
    let crash_name = format!("reopen after crash {mib} MiB log: segmentlog");

    let clean = scratch();
    let log = Log::open(clean.path(), Options::default()).expect("open");
    fill(&log, cfg.reopen_bytes);
    log.close().expect("close");

    let crashed = scratch();
    let status = Command::new(std::env::current_exe().expect("exe"))
        .env(child::ROLE, "crash")
        .env(child::DIR, crashed.path())
        .env(child::AMOUNT, cfg.reopen_bytes.to_string())
        .status()
        .expect("run crash child");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL),
        "the writer must die by SIGKILL"
    );

    for _ in 0..cfg.runs {
        let t = Instant::now();
        let log = Log::open(clean.path(), Options::default()).expect("reopen clean");
        let d = t.elapsed();
        assert!(log.opened_clean());
        b.sample(&clean_name, MS, d.as_secs_f64() * 1e3);
        log.close().expect("close");

        let run_dir = scratch();
        copy_crashed(crashed.path(), run_dir.path());
        let t = Instant::now();
        let log = Log::open(run_dir.path(), Options::default()).expect("reopen crashed");
        let d = t.elapsed();
        assert!(!log.opened_clean());
        b.sample(&crash_name, MS, d.as_secs_f64() * 1e3);
        log.close().expect("close");
    }
    b.target(&clean_name, Target::AtMost(20.0));
    b.show();
}
