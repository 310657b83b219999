//! The core workloads of issue 7 beside the practical ceiling (a plain `BufWriter` file, mmap
//! reads of it, a raw `fdatasync` loop) and zowens/commitlog 0.2, all in one run.
//!
//! `cargo bench -p segmentlog --bench compare` (`BENCH_QUICK=1` for a run of about a minute).
//! Prints every measurement (median [min .. max] of several rounds), the ratios, and the
//! targets with PASS/MISS; writes `bench/results/core.json` (or `$BENCH_RESULTS/core.json`).
//! Scratch logs go to `$BENCH_DIR` (default: the system temp dir). `BENCH_ONLY=reads,durable`
//! runs some of appends, reads, durable, cursors, reopen, memory, compression (and writes no
//! results).

mod alloc;
mod appends;
mod ceiling;
mod child;
mod compression;
mod cursors;
mod durable;
mod harness;
mod memory;
mod peer;
mod reads;
mod reopen;

use std::path::PathBuf;
use std::time::Duration;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Sizes of the run.
#[derive(Debug)]
pub struct Config {
    pub quick: bool,
    /// Rounds per workload.
    pub runs: usize,
    /// 100 B records per append run and in the read log.
    pub records: u64,
    /// 1 KiB records per append run.
    pub records_1k: u64,
    /// zowens single appends per run (it is ~10x slower).
    pub peer_records: u64,
    /// Random reads per run (ours, mmap), and zowens (as many: a short run is noise-prone).
    pub reads: u64,
    pub peer_reads: u64,
    pub time_queries: u64,
    /// How long each durable contender appends per run.
    pub sync_time: Duration,
    /// Size of the reopened log.
    pub reopen_bytes: u64,
    /// Records appended for the memory measurement.
    pub memory_records: u64,
}

impl Config {
    fn from_env() -> Config {
        let quick = std::env::var_os("BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0");
        if quick {
            Config {
                quick,
                runs: 3,
                records: 500_000,
                records_1k: 100_000,
                peer_records: 100_000,
                reads: 300_000,
                peer_reads: 300_000,
                time_queries: 50_000,
                sync_time: Duration::from_millis(300),
                reopen_bytes: 128 << 20,
                memory_records: 2_000_000,
            }
        } else {
            Config {
                quick,
                runs: 5,
                records: 2_000_000,
                records_1k: 400_000,
                peer_records: 400_000,
                reads: 1_000_000,
                peer_reads: 1_000_000,
                time_queries: 200_000,
                sync_time: Duration::from_secs(1),
                reopen_bytes: 1 << 30,
                memory_records: 10_000_000,
            }
        }
    }
}

/// Writes every dirty page of the machine back before a contender starts, so that none pays
/// for the write-back of data the one before it left in the page cache (each run writes
/// hundreds of MB; on this disk that back-pressure moved results by 2x from run to run).
pub fn settle() {
    // SAFETY: sync() takes no arguments and only starts and waits for write-back.
    unsafe { libc::sync() };
}

/// A fresh scratch directory (removed on drop).
pub fn scratch() -> tempfile::TempDir {
    let mut b = tempfile::Builder::new();
    b.prefix("clbench-");
    match std::env::var_os("BENCH_DIR") {
        Some(d) => {
            std::fs::create_dir_all(&d).expect("create BENCH_DIR");
            b.tempdir_in(d)
        }
        None => b.tempdir(),
    }
    .expect("scratch dir")
}

fn results_path() -> PathBuf {
    let dir = std::env::var_os("BENCH_RESULTS").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/results")),
        PathBuf::from,
    );
    dir.join("core.json")
}

fn main() {
    if child::dispatch() {
        return;
    }
    let cfg = Config::from_env();
    let started = std::time::Instant::now();
    println!(
        "segmentlog core bench ({}; {} rounds per workload; medians [min .. max])",
        if cfg.quick { "BENCH_QUICK" } else { "full" },
        cfg.runs
    );
    // BENCH_ONLY=reads,appends runs a subset (for profiling); only a full set is written.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wanted = |w: &str| only.is_empty() || only.split(',').any(|o| o.trim() == w);
    let mut b = harness::Bench::new(cfg.quick);
    if wanted("appends") || wanted("reads") {
        let mut peer = peer::Peer::start();
        if wanted("appends") {
            appends::run(&cfg, &mut b, &mut peer);
        }
        if wanted("reads") {
            reads::run(&cfg, &mut b, &mut peer);
        }
    }
    if wanted("durable") {
        durable::run(&cfg, &mut b);
    }
    if wanted("cursors") {
        cursors::run(&cfg, &mut b);
    }
    if wanted("reopen") {
        reopen::run(&cfg, &mut b);
    }
    if wanted("memory") {
        memory::run(&cfg, &mut b);
    }
    if wanted("compression") {
        compression::run(&cfg, &mut b);
    }
    let missed = b.verdicts();
    if only.is_empty() {
        let path = results_path();
        b.write_json(&path).expect("write results");
        println!(
            "\n{missed} target(s) missed; results in {} ({:.0} s)",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("\n{missed} target(s) missed; BENCH_ONLY={only}: results not written");
    }
}
