//! Descriptors and mappings that do not grow with the log (issue 14, item 6): a log of 10,000
//! segments opens, appends, iterates end to end and reads random offsets with at most 256
//! descriptors (`ulimit -n 256`, the usual limit is 1,024 on Linux desktops and 256 on macOS).
//! Sealed segments are opened on demand and kept in a bounded cache.
//!
//! Its own test binary: the descriptor limit is set for the whole process.

mod common;

use std::path::Path;
use std::time::Instant;

use common::Rng;
use segmentlog::{Log, Options};

/// 10,000; `MANY_SEGMENTS=n` for fewer where each file operation is slow (wine: `platforms/run`),
/// but more than twice the segments the cache may keep open, or the test would prove nothing.
fn segments() -> usize {
    let Ok(s) = std::env::var("MANY_SEGMENTS") else {
        return 10_000;
    };
    let min = 2 * options().max_open_segments + 1;
    match s.parse() {
        Ok(n) if n >= min => n,
        _ => panic!("MANY_SEGMENTS={s}: needs a number of at least {min}"),
    }
}

fn value(i: u64) -> Vec<u8> {
    let mut v = format!("record {i} ").into_bytes();
    v.resize(2_000, (i % 251) as u8);
    v
}

fn options() -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        max_open_segments: 64,
        ..common::base()
    }
}

/// The descriptors the log may hold: a few, plus one per open sealed segment where those are
/// read with positional reads instead of maps (Windows' rules, `map_rules.rs` in core).
fn descriptor_bound() -> usize {
    let per_open_segment = cfg!(any(windows, feature = "windows-rules"));
    64 + if per_open_segment { 65 } else { 0 }
}

/// Open descriptors of this process, where the system says (Linux: `/proc/self/fd`).
fn open_descriptors() -> Option<usize> {
    cfg!(target_os = "linux")
        .then(|| std::fs::read_dir("/proc/self/fd").map(|d| d.count()).ok())
        .flatten()
}

/// Mappings of the log's files (Linux: `/proc/self/maps` lines naming a file under `dir`).
fn mappings_of(dir: &Path) -> Option<usize> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let dir = dir.to_string_lossy();
    Some(maps.lines().filter(|l| l.contains(dir.as_ref())).count())
}

/// Lowers this process's descriptor limit (Unix; Windows has no such small limit to hit, and
/// there the bound is held by the segment count alone).
fn limit_descriptors(n: u64) {
    #[cfg(unix)]
    {
        let limit = libc::rlimit {
            rlim_cur: n as libc::rlim_t,
            rlim_max: n as libc::rlim_t,
        };
        // SAFETY: setrlimit reads the struct we pass; lowering a limit is always allowed.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    }
    let _ = n;
}

#[test]
fn ten_thousand_segments_under_256_descriptors() {
    limit_descriptors(256);
    let dir = tempfile::Builder::new()
        .prefix("clmany")
        .tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();

    // Two records of 2,028 bytes fill a 4 KiB segment: 20,000 appends, 10,000 segments.
    let log = Log::open(dir.path(), options()).unwrap();
    let segments = segments();
    let n = 2 * segments as u64;
    for i in 0..n {
        log.append(&value(i)).unwrap();
        if i % 1000 == 0
            && let Some(fds) = open_descriptors()
        {
            assert!(
                fds < descriptor_bound(),
                "{fds} descriptors after {i} appends"
            );
        }
    }
    log.close().unwrap();
    let stores = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "store")
        })
        .count();
    assert_eq!(stores, segments);

    let started = Instant::now();
    let log = Log::open(dir.path(), options()).unwrap();
    let open_time = started.elapsed();
    assert_eq!(log.next_offset().unwrap(), n);
    assert_eq!(log.append(b"after reopening").unwrap(), n);
    let mut it = 0u64;
    for r in log.iter(0) {
        let r = r.unwrap();
        if r.offset < n {
            assert_eq!(r.value, value(r.offset));
        }
        it += 1;
    }
    assert_eq!(it, n + 1);
    let mut rng = Rng(0x5E6_0000_0001);
    for _ in 0..20_000 {
        let o = rng.below(n);
        assert_eq!(log.read(o).unwrap().value, value(o));
    }
    let fds = open_descriptors();
    let maps = mappings_of(dir.path());
    let open = log.open_segment_count();
    assert!(
        fds.is_none_or(|fds| fds < descriptor_bound()),
        "{fds:?} descriptors open"
    );
    assert!(open <= 65, "{open} segments open");
    assert!(
        maps.is_none_or(|maps| maps <= 2 * 65 + 4),
        "{maps:?} mappings of the log's files"
    );
    eprintln!(
        "{segments} segments, {n} records: reopened in {open_time:?}, iterated and 20,000 random \
         reads with {fds:?} descriptors, {open} segments and {maps:?} mappings open"
    );
    log.close().unwrap();
}
