//! What a writer leaves on disk where a mapped file can be neither shrunk nor removed (Windows,
//! and Linux with the `windows-rules` feature, which enforces it: core's `map_rules.rs`), and
//! the same everywhere else: sealed segments cut to what they hold once the writer's map is
//! gone, no file of a removed segment left behind, and what a crash leaves taken up again by
//! the next open.

use std::path::Path;

mod common;

use common::small as options;
use segmentlog::{Log, Options};

fn value(i: u64) -> Vec<u8> {
    format!("record {i:06} ").repeat(8).into_bytes()
}

/// Names in `dir` that no log file has (a file renamed away to be removed, say).
fn strays(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| segmentlog::format::parse_file_name(n).is_none() && n != "CLEAN" && n != "LOCK")
        .collect()
}

/// Every segment file holds exactly what the log says it uses (no preallocated tail).
fn assert_cut_to_size(dir: &Path) {
    let log = Log::open(
        dir,
        Options {
            read_only: true,
            ..options()
        },
    )
    .unwrap();
    for s in log.segments().unwrap() {
        let store = std::fs::metadata(&s.store_path).unwrap().len();
        let index = std::fs::metadata(&s.index_path).unwrap().len();
        assert_eq!(store, s.store_bytes, "{}", s.store_path.display());
        assert_eq!(index, s.index_bytes, "{}", s.index_path.display());
    }
}

#[test]
fn sealed_segments_are_cut_to_size_and_removed_ones_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), options()).unwrap();
    for i in 0..400 {
        assert_eq!(log.append(&value(i)).unwrap(), i);
    }
    let segments = log.segments().unwrap();
    assert!(segments.len() > 8, "{} segments", segments.len());
    // Retention from the front, a cut back into a sealed segment, a re-base: each removes
    // files, the active segment's (mapped) among them for the last two.
    log.truncate_front(segments[3].base_offset).unwrap();
    log.truncate_back(segments[6].base_offset + 2).unwrap();
    for i in 0..100 {
        log.append(&value(i)).unwrap();
    }
    let next = log.next_offset().unwrap();
    log.truncate_front(next + 10).unwrap();
    for i in 0..100 {
        log.append(&value(i)).unwrap();
    }
    log.close().unwrap();
    assert_eq!(strays(dir.path()), Vec::<String>::new());
    assert_cut_to_size(dir.path());
    let log = Log::open(dir.path(), options()).unwrap();
    assert_eq!(log.lowest_offset().unwrap(), next + 10);
    assert_eq!(log.iter(next + 10).count(), 100);
    log.close().unwrap();
}

#[test]
fn what_a_crash_leaves_is_taken_up_by_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), options()).unwrap();
    for i in 0..300 {
        log.append(&value(i)).unwrap();
    }
    let next = log.next_offset().unwrap();
    // A re-base removes every segment, the mapped active one too; the handle then "dies"
    // with its maps (no drop, no close).
    log.truncate_front(next).unwrap();
    for i in 0..100 {
        log.append(&value(next + i)).unwrap();
    }
    std::mem::forget(log);
    // The files as a killed writer leaves them (a forgotten handle in this process would still
    // hold the lock and the maps).
    let crashed = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), crashed.path().join(e.file_name())).unwrap();
    }
    let log = Log::open(crashed.path(), options()).unwrap();
    assert_eq!(strays(crashed.path()), Vec::<String>::new());
    assert_eq!(log.lowest_offset().unwrap(), next);
    assert_eq!(log.next_offset().unwrap(), next + 100);
    for (i, r) in log.iter(next).enumerate() {
        assert_eq!(r.unwrap().value, value(next + i as u64));
    }
    log.close().unwrap();
    assert_cut_to_size(crashed.path());
}
