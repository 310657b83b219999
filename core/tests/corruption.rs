//! Corruption: a small multi-segment log is damaged in every way a disk or a careless person
//! can damage it, then opened (default and strict mode, writable and read-only), read record
//! by record, iterated and verified. Every case must end without a panic in one of two ways:
//! - the log opens and yields a prefix of what was appended (the longest valid one when only
//!   the newest segment's tail is damaged), every record byte-exact;
//! - or a typed `Corrupt` error naming the segment and a position inside the damaged file.
//!
//! It never yields a record that was not appended. `CORRUPTION_FULL=1` truncates at every
//! byte of every file and tries more random damage (the `make fuzz` form); the default
//! truncates every file at every byte of its first and last 100 bytes and at every 13th
//! byte between.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

use commitlog::format::{RECORD_HEADER_LEN, STORE_HEADER_LEN};
use commitlog::{Error, Log, Options, RecoveryMode};
use common::{Rng, panic_message, small};

fn value(offset: u64) -> Vec<u8> {
    let len = (offset.wrapping_mul(2654435761) % 90) as usize;
    let mut v = format!("c{offset}:").into_bytes();
    v.extend((0..len).map(|i| (offset as usize * 13 + i) as u8));
    v
}

/// A scratch directory on tmpfs when there is one (each case syncs on close).
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("clcorrupt")
        .tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

fn full() -> bool {
    std::env::var("CORRUPTION_FULL").is_ok_and(|v| v == "1")
}

/// A log of about four segments. With `batches`, values 0..N are appended in batches and
/// singles mixed, except in the newest segment (singles only, so that "the records before
/// record k" is exact there).
struct Reference {
    dir: tempfile::TempDir,
    count: u64,
    /// (base, next, store path) per segment, oldest first.
    segments: Vec<(u64, u64, PathBuf)>,
    /// Offset of each record that is in a batch -> the batch's last offset.
    batches: BTreeMap<u64, u64>,
}

fn reference(batches: bool, clean: bool) -> Reference {
    let dir = scratch();
    let log = Log::open(dir.path(), small()).unwrap();
    let mut next = 0u64;
    let mut batch_of = BTreeMap::new();
    while log.segments().unwrap().len() < 4 {
        if batches && next % 5 == 0 {
            let vals: Vec<Vec<u8>> = (next..next + 4).map(value).collect();
            assert_eq!(log.append_batch(&vals).unwrap(), next..next + 4);
            batch_of.extend((next..next + 4).map(|o| (o, next + 3)));
            next += 4;
        } else {
            assert_eq!(log.append(&value(next)).unwrap(), next);
            next += 1;
        }
    }
    for _ in 0..12 {
        assert_eq!(log.append(&value(next)).unwrap(), next);
        next += 1;
    }
    let segments = log
        .segments()
        .unwrap()
        .into_iter()
        .map(|s| (s.base_offset, s.next_offset, s.store_path))
        .collect();
    log.sync().unwrap();
    if clean {
        log.close().unwrap();
    } else {
        // A crash: the files as they are, no clean-shutdown marker, the newest store untrimmed.
        let copy = scratch();
        copy_dir(dir.path(), copy.path());
        drop(log);
        return Reference {
            dir: copy,
            count: next,
            segments,
            batches: batch_of,
        }
        .rebase_paths();
    }
    Reference {
        dir,
        count: next,
        segments,
        batches: batch_of,
    }
}

impl Reference {
    fn rebase_paths(mut self) -> Self {
        for s in &mut self.segments {
            s.2 = self.dir.path().join(s.2.file_name().unwrap());
        }
        self
    }

    /// Store positions of the records of the segment at `i`.
    fn positions(&self, i: usize) -> Vec<u64> {
        let (base, next, _) = self.segments[i];
        let mut pos = STORE_HEADER_LEN;
        (base..next)
            .map(|o| {
                let p = pos;
                pos += RECORD_HEADER_LEN + value(o).len() as u64;
                p
            })
            .collect()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_name() != "LOCK" {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "LOCK"))
        .collect();
    v.sort();
    v
}

/// What one open of a damaged directory gave.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Opened; the records it yielded (offsets from 0, a prefix), then maybe a read error.
    Opened { records: u64, read_error: bool },
    /// `Corrupt` at open.
    Corrupt { segment: u64 },
}

static CASES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Opens `dir` with `opts`, reads everything every way, and checks the promise. `damaged`
/// is the file that was damaged (its segment must be the one a `Corrupt` names, when it names
/// a store or index).
fn check(case: &str, dir: &Path, opts: Options, count: u64) -> Outcome {
    CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let run = || -> Outcome {
        let log = match Log::open(dir, opts.clone()) {
            Ok(l) => l,
            Err(Error::Corrupt {
                segment, position, ..
            }) => {
                assert!(
                    position < 1 << 20,
                    "{case}: position {position} is not in a file"
                );
                return Outcome::Corrupt { segment };
            }
            Err(e) => panic!("{case}: open failed with a non-Corrupt error: {e}"),
        };
        let lowest = log.lowest_offset().unwrap();
        let next = log.next_offset().unwrap();
        assert_eq!(lowest, 0, "{case}: the front of the log moved");
        assert!(
            next <= count,
            "{case}: the log claims {next} records, only {count} were appended"
        );
        let mut read_error = false;
        let mut records = 0;
        for r in log.iter(0) {
            match r {
                Ok(r) => {
                    assert_eq!(r.offset, records, "{case}: iteration skipped an offset");
                    assert_eq!(
                        r.value,
                        value(r.offset),
                        "{case}: record {} has wrong bytes",
                        r.offset
                    );
                    records += 1;
                }
                Err(Error::Corrupt { .. }) => {
                    read_error = true;
                    break;
                }
                Err(e) => panic!("{case}: iteration failed with a non-Corrupt error: {e}"),
            }
        }
        for o in 0..next {
            match log.read(o) {
                Ok(r) => assert_eq!(r.value, value(o), "{case}: read({o}) has wrong bytes"),
                Err(Error::Corrupt { .. }) => read_error = true,
                Err(e) => panic!("{case}: read({o}) failed with a non-Corrupt error: {e}"),
            }
        }
        assert!(
            read_error || records == next,
            "{case}: iteration ended at {records} of {next} without an error"
        );
        if !opts.read_only {
            // The log must accept appends again after recovery.
            if !read_error {
                assert_eq!(log.append(&value(next)).unwrap(), next, "{case}");
            }
        }
        let _ = log.close();
        Outcome::Opened {
            records,
            read_error,
        }
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(o) => o,
        Err(p) => panic!("{case}: {}", panic_message(p.as_ref())),
    }
}

/// Checks a damaged copy: verify() must not panic; open read-only, then strict, then default.
fn check_all_modes(case: &str, damaged: &Path, count: u64) -> Outcome {
    let _ = commitlog::verify(damaged, &mut |_, _| {});
    for (name, o) in [
        (
            "read-only",
            Options {
                read_only: true,
                ..small()
            },
        ),
        (
            "strict",
            Options {
                recovery: RecoveryMode::Strict,
                ..small()
            },
        ),
    ] {
        let copy = scratch();
        copy_dir(damaged, copy.path());
        check(&format!("{case} [{name}]"), copy.path(), o, count);
    }
    check(&format!("{case} [default]"), damaged, small(), count)
}

fn damage(reference: &Reference, f: impl FnOnce(&Path)) -> tempfile::TempDir {
    let d = scratch();
    copy_dir(reference.dir.path(), d.path());
    f(d.path());
    d
}

fn positions_to_try(len: u64) -> Vec<u64> {
    if full() || len <= 200 {
        return (0..len).collect();
    }
    (0..len)
        .filter(|&p| p < 100 || p + 100 >= len || p % 13 == 0)
        .collect()
}

/// Records a store cut at `len` still holds whole (up to the last commit point: batches
/// are all or nothing).
fn whole_before(positions: &[u64], base: u64, len: u64, batches: &BTreeMap<u64, u64>) -> u64 {
    let mut n = 0;
    for (i, &p) in positions.iter().enumerate() {
        let o = base + i as u64;
        let end = p + RECORD_HEADER_LEN + value(o).len() as u64;
        if end > len {
            break;
        }
        // o is a commit point unless a batch continues after it.
        if batches.get(&o).is_none_or(|&last| last == o) {
            n = i as u64 + 1;
        }
    }
    base + n
}

#[test]
fn truncating_any_file_at_any_byte() {
    let mut cases = 0;
    for clean in [true, false] {
        let r = reference(true, clean);
        let newest = r.segments.len() - 1;
        for file in files(r.dir.path()) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let len = std::fs::metadata(&file).unwrap().len();
            for cut in positions_to_try(len) {
                let case = format!("clean={clean} {name} cut to {cut} of {len} bytes");
                let d = damage(&r, |d| {
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(d.join(&name))
                        .unwrap();
                    f.set_len(cut).unwrap();
                });
                let out = check_all_modes(&case, d.path(), r.count);
                cases += 1;
                // The newest store cut: exactly the records whole before the cut survive.
                let newest_store = r.segments[newest].2.file_name().unwrap() == name.as_str();
                if newest_store && cut >= STORE_HEADER_LEN {
                    let (base, ..) = r.segments[newest];
                    let want = whole_before(&r.positions(newest), base, cut, &r.batches);
                    assert_eq!(
                        out,
                        Outcome::Opened {
                            records: want,
                            read_error: false
                        },
                        "{case}"
                    );
                }
                // An index is a cache: cutting it loses nothing.
                if name.ends_with(".index") {
                    assert_eq!(
                        out,
                        Outcome::Opened {
                            records: r.count,
                            read_error: false
                        },
                        "{case}"
                    );
                }
            }
        }
    }
    eprintln!("truncation: {cases} damaged directories checked in 3 modes each");
}

/// The Kafka check: damage starting inside record k of the newest segment (a flipped bit, a
/// zeroed run to the end, garbage over its tail) leaves exactly the records before k in the
/// default mode, and `Corrupt` at record k's position in strict mode.
#[test]
fn damage_inside_record_k_of_the_newest_segment_keeps_exactly_the_records_before_k() {
    let r = reference(false, false);
    let newest = r.segments.len() - 1;
    let (base, next, ref store) = r.segments[newest];
    let name = store.file_name().unwrap().to_owned();
    let positions = r.positions(newest);
    let mut cases = 0;
    for (i, &p) in positions.iter().enumerate() {
        let k = base + i as u64;
        let rec_len = RECORD_HEADER_LEN + value(k).len() as u64;
        for (what, at) in [
            ("flip in header", p + 9),
            ("flip in checksum", p + 1),
            ("flip in value", p + rec_len - 1),
        ] {
            for mode in ["default", "strict"] {
                let d = damage(&r, |d| {
                    let path = d.join(&name);
                    let mut bytes = std::fs::read(&path).unwrap();
                    bytes[at as usize] ^= 0x10;
                    std::fs::write(&path, bytes).unwrap();
                });
                let case = format!("{what} of record {k} (of {base}..{next}), {mode}");
                let opts = if mode == "strict" {
                    Options {
                        recovery: RecoveryMode::Strict,
                        ..small()
                    }
                } else {
                    small()
                };
                if mode == "strict" {
                    match Log::open(d.path(), opts) {
                        Err(Error::Corrupt {
                            segment, position, ..
                        }) => {
                            assert_eq!(segment, base, "{case}");
                            assert_eq!(position, p, "{case}: position of the damaged record");
                        }
                        other => panic!("{case}: strict open gave {other:?}"),
                    }
                } else {
                    let out = check(&case, d.path(), opts, r.count);
                    assert_eq!(
                        out,
                        Outcome::Opened {
                            records: k,
                            read_error: false
                        },
                        "{case}"
                    );
                }
                cases += 1;
            }
        }
        // Zeros from inside record k to the end of the file, and garbage over its tail.
        for (what, fill) in [("zeroed", 0u8), ("garbage", 0xA5u8)] {
            let d = damage(&r, |d| {
                let path = d.join(&name);
                let mut bytes = std::fs::read(&path).unwrap();
                let from = (p + rec_len / 2) as usize;
                let to = if fill == 0 {
                    bytes.len()
                } else {
                    (from + 64).min(bytes.len())
                };
                bytes[from..to].fill(fill);
                std::fs::write(&path, bytes).unwrap();
            });
            let case = format!("{what} from inside record {k}");
            let out = check(&case, d.path(), small(), r.count);
            assert_eq!(
                out,
                Outcome::Opened {
                    records: k,
                    read_error: false
                },
                "{case}"
            );
            cases += 1;
        }
    }
    eprintln!(
        "kafka check: {cases} cases over {} records of the newest segment",
        positions.len()
    );
}

/// Random bit flips, zeroed ranges and appended garbage in any file.
#[test]
fn random_bit_flips_zeroed_ranges_and_appended_garbage() {
    let n = if full() { 3000 } else { 300 };
    let mut rng = Rng(0xC0FF_EE00_D15C_0001);
    let mut outcomes: BTreeMap<&str, u64> = BTreeMap::new();
    for clean in [true, false] {
        let r = reference(true, clean);
        let all = files(r.dir.path());
        for i in 0..n {
            let file = &all[rng.below(all.len() as u64) as usize];
            let name = file.file_name().unwrap().to_owned();
            let len = std::fs::metadata(file).unwrap().len();
            let kind = rng.below(3);
            let (a, b, c) = (rng.below(len.max(1)), rng.next(), rng.below(200) + 1);
            let case = format!("clean={clean} case {i}: damage kind {kind} in {name:?} at {a}");
            let d = damage(&r, |d| {
                let path = d.join(&name);
                let mut bytes = std::fs::read(&path).unwrap();
                match kind {
                    0 if !bytes.is_empty() => {
                        for k in 0..1 + b % 3 {
                            let at = ((a + k * 977) % bytes.len() as u64) as usize;
                            bytes[at] ^= 1 << ((b >> (8 * k)) % 8);
                        }
                    }
                    1 if !bytes.is_empty() => {
                        let from = a as usize;
                        let to = (from + c as usize).min(bytes.len());
                        bytes[from..to].fill(0);
                    }
                    _ => bytes.extend((0..c).map(|x| (b >> (x % 8)) as u8 ^ x as u8)),
                }
                std::fs::write(&path, bytes).unwrap();
            });
            let out = check_all_modes(&case, d.path(), r.count);
            *outcomes
                .entry(match out {
                    Outcome::Corrupt { .. } => "Corrupt at open",
                    Outcome::Opened {
                        read_error: true, ..
                    } => "opened, Corrupt on read",
                    Outcome::Opened { records, .. } if records == r.count => "opened, all records",
                    Outcome::Opened { .. } => "opened, a prefix",
                })
                .or_default() += 1;
        }
    }
    eprintln!("random damage: {} cases x 3 modes: {outcomes:?}", 2 * n);
}

/// An index is a cache: deleting, shortening, zeroing or scrambling it never loses a record;
/// a scrambled entry the O(1) check cannot see is caught when read (`Corrupt`, never wrong
/// bytes).
#[test]
fn a_deleted_short_zeroed_or_scrambled_index_loses_nothing() {
    let mut rng = Rng(0x1DE7_0000_0000_0001);
    let mut cases = 0;
    for clean in [true, false] {
        let r = reference(true, clean);
        for (base, ..) in &r.segments {
            let name = commitlog::format::file_name(*base, commitlog::format::FileKind::Index);
            for how in ["delete", "shorten", "zero", "scramble", "scramble-entries"] {
                let case = format!("clean={clean} {how} index of segment {base}");
                let d = damage(&r, |d| {
                    let path = d.join(&name);
                    let mut bytes = std::fs::read(&path).unwrap_or_default();
                    match how {
                        "delete" => {
                            std::fs::remove_file(&path).unwrap();
                            return;
                        }
                        "shorten" => bytes.truncate(bytes.len() / 2),
                        "zero" => bytes.fill(0),
                        "scramble" => bytes.iter_mut().for_each(|b| *b = rng.next() as u8),
                        _ => {
                            // Entries only (header intact), first and last kept: the O(1)
                            // check passes, the reads must notice.
                            let n = bytes.len();
                            if n > 40 {
                                for b in &mut bytes[36..n - 4] {
                                    *b = rng.next() as u8;
                                }
                            }
                        }
                    }
                    std::fs::write(&path, bytes).unwrap();
                });
                let out = check_all_modes(&case, d.path(), r.count);
                match out {
                    Outcome::Opened {
                        records,
                        read_error: false,
                    } => assert_eq!(records, r.count, "{case}"),
                    Outcome::Opened {
                        read_error: true, ..
                    } => assert_eq!(how, "scramble-entries", "{case}: a read failed"),
                    Outcome::Corrupt { .. } => panic!("{case}: an index problem made open fail"),
                }
                cases += 1;
            }
        }
    }
    eprintln!("index damage: {cases} cases, no record lost");
}
