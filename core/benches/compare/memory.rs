//! Memory while appending many records (100 B, one call each, sync=never), measured in a
//! child process so that nothing else this bench did counts: heap (counting allocator, net of
//! what was allocated before the appends) must stay flat; peak RSS (`VmHWM`) and anonymous RSS
//! are reported (the store and index maps are file-backed and not heap).

use std::path::Path;
use std::process::Command;

use segmentlog::{Log, Options};

use crate::harness::{Bench, MIB, Target};
use crate::{Config, alloc, child, scratch};

/// Child side: appends `n` records, prints `key value` lines.
pub fn child(dir: &Path, n: u64) {
    let value = [0x5au8; 100];
    let log = Log::open(dir, Options::default()).expect("open");
    // A first append creates what lives as long as the log (prefault request etc.).
    log.append(&value).expect("append");
    alloc::start();
    for _ in 1..n {
        log.append(&value).expect("append");
    }
    let (net, peak) = alloc::now_and_peak();
    println!("heap_net {net}");
    println!("heap_peak {peak}");
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    for line in status.lines() {
        for key in ["VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"] {
            if let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
                let kib: u64 = rest
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .unwrap_or(0);
                println!("{key} {}", kib * 1024);
            }
        }
    }
    log.close().expect("close");
}

pub fn run(cfg: &Config, b: &mut Bench) {
    let n = cfg.memory_records;
    println!("== memory while appending {n} records of 100 B (child process)");
    let dir = scratch();
    let out = Command::new(std::env::current_exe().expect("exe"))
        .env(child::ROLE, "memory")
        .env(child::DIR, dir.path())
        .env(child::AMOUNT, n.to_string())
        .output()
        .expect("run memory child");
    assert!(out.status.success(), "memory child failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |key: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("memory child did not report {key}: {text}"))
    };
    let mib = |v: f64| v / (1u64 << 20) as f64;
    let m = n / 1_000_000;
    let heap = format!("append {m} M x 100 B: heap growth, peak");
    b.sample(&heap, MIB, mib(get("heap_peak")));
    b.sample(
        &format!("append {m} M x 100 B: heap growth, end"),
        MIB,
        mib(get("heap_net")),
    );
    b.sample(
        &format!("append {m} M x 100 B: peak RSS (VmHWM)"),
        MIB,
        mib(get("VmHWM")),
    );
    b.sample(
        &format!("append {m} M x 100 B: anonymous RSS"),
        MIB,
        mib(get("RssAnon")),
    );
    b.sample(
        &format!("append {m} M x 100 B: file-backed RSS"),
        MIB,
        mib(get("RssFile")),
    );
    // Flat: at most 1 MiB more heap after n appends than after the first.
    b.target(&heap, Target::AtMost(1.0));
    b.show();
}
