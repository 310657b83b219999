//! Appends 100-byte values through the C API (`segmentlog_append`, called as C would, through
//! the extern "C" functions) and through core (`Log::append`) in the same run, and prints the
//! ratio. The target is C ≥ 0.9× core: the boundary (panic guard, pointer checks, status
//! mapping) must cost next to nothing.
//!
//! Both logs are open at once and the two paths take turns in blocks of appends (alternating
//! which goes first), so both see the same machine load, page-cache state and background work.
//! On a shared machine single blocks vary tenfold (page faults on fresh pages, other
//! processes), so the headline ratio compares each path's best block, the cost of the code
//! itself; the median of the per-block ratios is printed beside it (and is the ratio written
//! to `bench/results/ffi.json` for `make bench`'s report). `BENCH_QUICK=1` runs a short
//! version.

use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

use segmentlog_core::{Log, Options};

// The library's own source, compiled into this benchmark: the same extern "C" functions C
// calls, without an rlib of the ffi crate (see ffi/Cargo.toml).
#[allow(dead_code, unused_imports)]
#[path = "../src/lib.rs"]
mod ffi;

use ffi::{
    segmentlog_append, segmentlog_close, segmentlog_log, segmentlog_open, segmentlog_status,
};

const VALUE_LEN: usize = 100;

/// The C side: a handle from `segmentlog_open`, closed on drop.
struct CLog(*mut segmentlog_log);

impl CLog {
    fn open(dir: &Path) -> CLog {
        let path =
            CString::new(dir.to_str().expect("a UTF-8 temp path")).expect("no NUL in a temp path");
        let mut log: *mut segmentlog_log = std::ptr::null_mut();
        // SAFETY: path is NUL-terminated, NULL options mean defaults, log is writable.
        let status = unsafe { segmentlog_open(path.as_ptr(), std::ptr::null(), &mut log) };
        assert_eq!(status, segmentlog_status::Ok);
        CLog(log)
    }

    fn append_block(&self, n: usize, value: &[u8]) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            let mut off = 0u64;
            // SAFETY: the handle is open; value is readable; off is writable.
            let status =
                unsafe { segmentlog_append(self.0, value.as_ptr(), value.len(), &mut off) };
            assert_eq!(status, segmentlog_status::Ok);
        }
        start.elapsed()
    }
}

impl Drop for CLog {
    fn drop(&mut self) {
        // SAFETY: the handle is open and used by no one else.
        unsafe { segmentlog_close(self.0) };
    }
}

fn core_block(log: &Log, n: usize, value: &[u8]) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        log.append(value).expect("append");
    }
    start.elapsed()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; this harness takes no options.
    let quick = std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0");
    let (blocks, block) = if quick { (20, 2_500) } else { (100, 4_000) };
    let value = [0xABu8; VALUE_LEN];
    let tmp = tempfile::tempdir().expect("temp dir");
    let core_log = Log::open(tmp.path().join("core"), Options::default()).expect("open");
    let c_log = CLog::open(&tmp.path().join("c"));

    let (mut core_ns, mut c_ns, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..blocks {
        let (core, c) = if i % 2 == 0 {
            let core = core_block(&core_log, block, &value);
            (core, c_log.append_block(block, &value))
        } else {
            let c = c_log.append_block(block, &value);
            (core_block(&core_log, block, &value), c)
        };
        core_ns.push(core.as_nanos() as f64 / block as f64);
        c_ns.push(c.as_nanos() as f64 / block as f64);
        ratios.push(core.as_secs_f64() / c.as_secs_f64());
    }
    drop(c_log);
    core_log.close().expect("close");

    let n = blocks * block;
    println!(
        "ffi append bench: {n} appends of {VALUE_LEN} B per path, sync=never, {blocks} \
         alternating blocks of {block}"
    );
    let mut best = [0.0; 2];
    for (i, (name, ns)) in [
        ("core Log::append", &mut core_ns),
        ("C API segmentlog_append", &mut c_ns),
    ]
    .into_iter()
    .enumerate()
    {
        best[i] = ns.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "  {name:<24} best block {:>5.0} ns/append ({:>5.1} M appends/s, {:>5.0} MB/s), \
             median block {:>5.0} ns",
            best[i],
            1e3 / best[i],
            1e3 * VALUE_LEN as f64 / best[i],
            median(ns)
        );
    }
    let best_ratio = best[0] / best[1];
    let paired = median(&mut ratios);
    println!(
        "  C/core throughput ratio: {best_ratio:.3} on best blocks, {paired:.3} median of paired \
         blocks (target >= 0.90: {})",
        if paired >= 0.9 { "met" } else { "NOT met" }
    );
    write_results(quick, &core_ns, &c_ns, &ratios);
}

/// Writes `bench/results/ffi.json` for `make bench`'s report (schema in bench/README.md):
/// appends/s per block for each path, and the paired C/core ratio with its target.
fn write_results(quick: bool, core_ns: &[f64], c_ns: &[f64], ratios: &[f64]) {
    fn entry(name: &str, unit: &str, values: &[f64], extra: &str) -> String {
        let mut v = values.to_vec();
        let (min, max) = (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        format!(
            "{{\"name\": \"{name}\", \"unit\": \"{unit}\", \"median\": {}, \"min\": {min}, \
             \"max\": {max}, \"runs\": {}{extra}}}",
            median(&mut v),
            v.len()
        )
    }
    let ops = |ns: &[f64]| ns.iter().map(|ns| 1e9 / ns).collect::<Vec<_>>();
    let (core_name, c_name) = (
        "append 100 B: core Log::append",
        "append 100 B: C segmentlog_append",
    );
    let mut sorted = ratios.to_vec();
    let pass = median(&mut sorted) >= 0.9;
    let entries = [
        entry(core_name, "ops/s", &ops(core_ns), ""),
        entry(c_name, "ops/s", &ops(c_ns), ""),
        entry(
            "append 100 B: C / core",
            "x",
            ratios,
            &format!(
                ", \"of\": \"{c_name}\", \"baseline\": \"{core_name}\", \"target\": \">= 0.9\", \
                 \"pass\": {pass}"
            ),
        ),
    ];
    let unix_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let json = format!(
        "{{\"suite\": \"ffi\", \"quick\": {quick}, \"unix_time\": {unix_time}, \"results\": [\n  {}\n]}}\n",
        entries.join(",\n  ")
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/results");
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("ffi.json"), json));
    match written {
        Ok(()) => println!("  results: bench/results/ffi.json"),
        Err(e) => eprintln!("  could not write bench/results/ffi.json: {e}"),
    }
}
