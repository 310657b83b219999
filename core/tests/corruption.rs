//! Corruption: a small multi-segment log is damaged in every way a disk or a careless person
//! can damage it, then opened (default and strict mode, writable and read-only), read record
//! by record, iterated and verified. Every case must end without a panic, and:
//! - never a wrong byte: every offset reads as its appended value or as a typed `Hole`;
//! - never a re-issued offset: when every record was durable, `next_offset` is the count
//!   appended, whatever was damaged;
//! - nothing unaccounted: records kept + records in holes + records cut (quarantined) equals
//!   what was written (for durable logs, where nothing may be cut);
//! - a strict open either holds everything or fails with `Corrupt`.
//!
//! `CORRUPTION_FULL=1` truncates at every byte of every file and tries more random damage (the
//! `make reliability-full` form); the default truncates every file at every byte of its first
//! and last 100 bytes and at every 13th byte between (`CORRUPTION_STRIDE`: fewer, see
//! `stride_and_edges`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

use common::{Rng, panic_message, small};
use segmentlog::format::{RECORD_HEADER_LEN, STORE_HEADER_LEN};
use segmentlog::{Error, Log, Options, RecoveryMode};

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

/// How the reference log was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Left {
    /// Closed cleanly (the `CLEAN` marker is there).
    Closed,
    /// `sync()` returned, then the process died (the files as the page cache held them).
    Synced,
    /// The process died with nothing synced since the newest segment began.
    Unsynced,
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

fn reference(batches: bool, left: Left) -> Reference {
    let dir = scratch();
    let log = Log::open(dir.path(), small()).unwrap();
    let mut next = 0u64;
    let mut batch_of = BTreeMap::new();
    while log.segments().unwrap().len() < 4 {
        if batches && next.is_multiple_of(5) {
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
    if left != Left::Unsynced {
        log.sync().unwrap();
    }
    if left == Left::Closed {
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
        self.spans(i).into_iter().map(|(p, _)| p).collect()
    }

    /// Where each offset of the segment at `i` lies in its store, (start, end): the bytes of
    /// its record, or of the frame that holds it (a log written with compression, see
    /// `common::base`), read from the undamaged store.
    fn spans(&self, i: usize) -> Vec<(u64, u64)> {
        let (base, next, ref path) = self.segments[i];
        let bytes = std::fs::read(path).unwrap();
        let mut pos = STORE_HEADER_LEN;
        let mut out = Vec::new();
        while out.len() < (next - base) as usize {
            let h = segmentlog::format::decode_record_header(&bytes[pos as usize..]).unwrap();
            assert_eq!(h.offset, base + out.len() as u64);
            let end = pos + h.total_len();
            let count = if h.is_frame() {
                let at = (pos + RECORD_HEADER_LEN) as usize;
                segmentlog::format::decode_frame_header(&bytes[at..])
                    .unwrap()
                    .count
            } else {
                1
            };
            out.extend((0..count).map(|_| (pos, end)));
            pos = end;
        }
        out
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Opened: offsets that read back their value, offsets that are holes, records the report
    /// says were cut (into the quarantine), and the next offset.
    Opened {
        kept: u64,
        holes: u64,
        cut: u64,
        next: u64,
    },
    /// `Corrupt` at open (strict mode).
    Corrupt { segment: u64 },
}

impl Outcome {
    fn accounted(self) -> u64 {
        match self {
            Outcome::Opened {
                kept, holes, cut, ..
            } => kept + holes + cut,
            Outcome::Corrupt { .. } => 0,
        }
    }
}

static CASES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Opens `dir` with `opts`, reads everything every way, and checks the promise: every offset
/// gives its value or a `Hole`, iteration agrees with reads, and the log takes appends.
/// `index_may_lie`: a scrambled index entry may send a read elsewhere (`Corrupt`, file index).
fn check(case: &str, dir: &Path, opts: Options, count: u64, index_may_lie: bool) -> Outcome {
    CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let run = || -> Outcome {
        let log = match Log::open(dir, opts.clone()) {
            Ok(l) => l,
            Err(Error::Corrupt {
                segment, position, ..
            }) if opts.recovery == RecoveryMode::Strict => {
                assert!(
                    position < 1 << 20,
                    "{case}: position {position} is not in a file"
                );
                return Outcome::Corrupt { segment };
            }
            Err(e) => panic!("{case}: open failed: {e}"),
        };
        let report = log.recovery_report().clone();
        let lowest = log.lowest_offset().unwrap();
        let next = log.next_offset().unwrap();
        assert_eq!(lowest, 0, "{case}: the front of the log moved");
        assert!(
            next <= count,
            "{case}: the log claims {next} records, only {count} were appended"
        );
        let (mut kept, mut holes) = (0, 0);
        let mut fates = Vec::new();
        for o in 0..next {
            match log.read(o) {
                Ok(r) => {
                    assert_eq!(r.value, value(o), "{case}: read({o}) has wrong bytes");
                    kept += 1;
                    fates.push(true);
                }
                Err(Error::Hole { offset, .. }) => {
                    assert_eq!(offset, o, "{case}: the hole names another offset");
                    holes += 1;
                    fates.push(false);
                }
                Err(Error::Corrupt { file: "index", .. }) if index_may_lie => fates.push(false),
                Err(e) => panic!("{case}: read({o}) failed with neither a value nor a hole: {e}"),
            }
        }
        if !index_may_lie {
            // Iteration agrees with reads: values where they read, a hole error where not.
            let mut o = 0;
            for r in log.iter(0) {
                match r {
                    Ok(r) => {
                        assert!(
                            fates[r.offset as usize],
                            "{case}: iter gave hole {}",
                            r.offset
                        );
                        assert!(r.offset >= o, "{case}: iteration went back");
                        assert_eq!(r.value, value(r.offset), "{case}: iter wrong bytes");
                        o = r.offset + 1;
                    }
                    Err(Error::Hole { offset, .. }) => {
                        assert!(!fates[offset as usize], "{case}: iter hole at {offset}");
                        o = offset + 1;
                    }
                    Err(e) => panic!("{case}: iteration failed with a non-hole error: {e}"),
                }
            }
            let skipping = log.iter(0).skip_holes(true).count() as u64;
            assert_eq!(skipping, kept, "{case}: skip_holes yields the kept records");
        }
        if !opts.read_only {
            // The log must accept appends again after recovery, at its next offset.
            assert_eq!(log.append(&value(next)).unwrap(), next, "{case}");
        }
        let _ = log.close();
        Outcome::Opened {
            kept,
            holes,
            cut: report.records_cut(),
            next,
        }
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(o) => o,
        Err(p) => panic!("{case}: {}", panic_message(p.as_ref())),
    }
}

/// Checks a damaged copy: verify() must not panic; open read-only, then strict, then default.
/// Read-only must find what the default open does (the same plan, not applied).
fn check_all_modes(case: &str, damaged: &Path, count: u64, index_may_lie: bool) -> Outcome {
    let verified = segmentlog::verify(damaged, &mut |_, _| {});
    let mut outcomes = Vec::new();
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
        outcomes.push(check(
            &format!("{case} [{name}]"),
            copy.path(),
            o,
            count,
            index_may_lie,
        ));
    }
    let out = check(
        &format!("{case} [default]"),
        damaged,
        small(),
        count,
        index_may_lie,
    );
    if !index_may_lie {
        assert_eq!(
            outcomes[0], out,
            "{case}: read-only and default opens disagree"
        );
    }
    if let (Ok(v), Outcome::Opened { holes, .. }) = (verified, out) {
        assert!(
            v.holes <= holes,
            "{case}: verify saw more holes than the open"
        );
    }
    match outcomes[1] {
        Outcome::Corrupt { .. } => {}
        _ if index_may_lie => {}
        strict => assert_eq!(strict.accounted(), count, "{case}: strict lost records"),
    }
    out
}

/// The promise for a log whose records were all durable: nothing cut, every offset kept,
/// read or a hole.
fn assert_all_accounted(case: &str, out: Outcome, count: u64) {
    match out {
        Outcome::Opened {
            kept,
            holes,
            cut,
            next,
        } => {
            assert_eq!(next, count, "{case}: offsets would be given again");
            assert_eq!(cut, 0, "{case}: durable records were cut");
            assert_eq!(kept + holes, count, "{case}: records unaccounted for");
        }
        Outcome::Corrupt { .. } => panic!("{case}: the default open failed"),
    }
}

fn damage(reference: &Reference, f: impl FnOnce(&Path)) -> tempfile::TempDir {
    let d = scratch();
    copy_dir(reference.dir.path(), d.path());
    f(d.path());
    d
}

/// A copy of `reference`'s directory whose file `name` has its bytes changed by `hurt`.
fn damage_file(
    reference: &Reference,
    name: impl AsRef<Path>,
    hurt: impl FnOnce(&mut Vec<u8>),
) -> tempfile::TempDir {
    damage(reference, |d| {
        let path = d.join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        hurt(&mut bytes);
        std::fs::write(&path, bytes).unwrap();
    })
}

/// Every mode opens `damaged` with exactly `holes` holes: no other record lost, none cut,
/// the next offset where it was.
fn assert_only_holes(case: &str, damaged: &Path, count: u64, holes: u64) {
    let out = check_all_modes(case, damaged, count, false);
    assert_eq!(
        out,
        Outcome::Opened {
            kept: count - holes,
            holes,
            cut: 0,
            next: count
        },
        "{case}"
    );
}

/// Every how many bytes between a file's first and last bytes a cut is tried, and how many
/// bytes at each end are tried one by one: 13 and 100; `CORRUPTION_STRIDE=n` for fewer cases
/// where each is slow (emulated targets: `platforms/run`), with 4 at each end.
fn stride_and_edges() -> (u64, u64) {
    match std::env::var("CORRUPTION_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(n) if n > 1 => (n, 4),
        _ => (13, 100),
    }
}

fn positions_to_try(len: u64) -> Vec<u64> {
    let (stride, edges) = stride_and_edges();
    if full() || len <= 2 * edges {
        return (0..len).collect();
    }
    (0..len)
        .filter(|&p| p < edges || p + edges >= len || p % stride == 0)
        .collect()
}

/// Records a store cut at `len` still holds whole (up to the last commit point: batches
/// are all or nothing).
fn whole_before(spans: &[(u64, u64)], base: u64, len: u64, batches: &BTreeMap<u64, u64>) -> u64 {
    let mut n = 0;
    for (i, &(_, end)) in spans.iter().enumerate() {
        let o = base + i as u64;
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

/// Every file of a durable log (closed, or synced before a crash) cut at every byte: every
/// offset stays, read or a hole; the cut bytes of a store become holes, never a shorter log.
#[test]
fn truncating_any_file_at_any_byte() {
    let mut cases = 0;
    let mut holes = 0;
    for left in [Left::Closed, Left::Synced] {
        let r = reference(true, left);
        for file in files(r.dir.path()) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let len = std::fs::metadata(&file).unwrap().len();
            for cut in positions_to_try(len) {
                let case = format!("{left:?} {name} cut to {cut} of {len} bytes");
                let d = damage(&r, |d| {
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(d.join(&name))
                        .unwrap();
                    f.set_len(cut).unwrap();
                });
                let out = check_all_modes(&case, d.path(), r.count, false);
                assert_all_accounted(&case, out, r.count);
                if let Outcome::Opened { holes: h, .. } = out {
                    holes += h;
                    // An index is a cache: cutting it loses nothing.
                    if name.ends_with(".index") {
                        assert_eq!(h, 0, "{case}: a cut index made holes");
                    }
                }
                cases += 1;
            }
        }
    }
    eprintln!(
        "truncation: {cases} damaged directories x 3 modes, {holes} records in holes, 0 cut, \
         0 wrong bytes, 0 offsets given again"
    );
}

type Hurt = Box<dyn Fn(&mut Vec<u8>)>;

/// The newest store of a log whose newest records were never synced, cut at every byte: a
/// torn tail, so exactly the records whole before the cut survive (a batch all or nothing).
#[test]
fn truncating_a_store_never_synced_keeps_the_records_whole_before_the_cut() {
    let r = reference(true, Left::Unsynced);
    let newest = r.segments.len() - 1;
    let (base, _, ref store) = r.segments[newest];
    let name = store.file_name().unwrap().to_string_lossy().into_owned();
    let len = std::fs::metadata(store).unwrap().len();
    let used = r
        .spans(newest)
        .last()
        .map_or(STORE_HEADER_LEN, |&(_, end)| end);
    let mut cases = 0;
    for cut in positions_to_try(used.min(len) + 1) {
        if cut < STORE_HEADER_LEN {
            continue;
        }
        let case = format!("Unsynced {name} cut to {cut}");
        let d = damage(&r, |d| {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(d.join(&name))
                .unwrap();
            f.set_len(cut).unwrap();
        });
        let want = whole_before(&r.spans(newest), base, cut, &r.batches);
        match check(&case, d.path(), small(), r.count, false) {
            Outcome::Opened {
                kept, holes, next, ..
            } => assert_eq!((kept, holes, next), (want, 0, want), "{case}"),
            other => panic!("{case}: {other:?}"),
        }
        cases += 1;
    }
    eprintln!("torn tails never synced: {cases} cuts, each exactly the records whole before it");
}

/// The Kafka check, and path 1 of issue 13 in miniature: damage starting inside record k of
/// the newest segment (a flipped bit, a zeroed run to the end, garbage over its tail).
/// - Records that were durable (the log was synced): record k is a hole, every other record
///   keeps its offset and value, and the next offset does not move.
/// - Records never synced: a torn tail, exactly the records before k stay; those after it
///   that were whole are reported cut (into the quarantine). Strict mode: `Corrupt` at k.
#[test]
fn damage_inside_record_k_of_the_newest_segment() {
    let mut cases = 0;
    for left in [Left::Synced, Left::Unsynced] {
        let r = reference(false, left);
        let newest = r.segments.len() - 1;
        let (base, next, ref store) = r.segments[newest];
        let name = store.file_name().unwrap().to_owned();
        let positions = r.positions(newest);
        for (i, &p) in positions.iter().enumerate() {
            let k = base + i as u64;
            let rec_len = RECORD_HEADER_LEN + value(k).len() as u64;
            let mut tries: Vec<(String, Hurt)> = Vec::new();
            for (what, at) in [
                ("flip in header", p + 9),
                ("flip in checksum", p + 1),
                ("flip in value", p + rec_len - 1),
            ] {
                tries.push((
                    what.into(),
                    Box::new(move |b: &mut Vec<u8>| b[at as usize] ^= 0x10),
                ));
            }
            let from = (p + rec_len / 2) as usize;
            // Records whose bytes the 64 bytes of garbage from `from` reach.
            let garbled = positions[i..]
                .iter()
                .take_while(|&&q| (q as usize) < from + 64)
                .count() as u64;
            tries.push((
                "zeroed from inside it to the end".into(),
                Box::new(move |b: &mut Vec<u8>| {
                    let n = b.len();
                    b[from..n].fill(0)
                }),
            ));
            tries.push((
                "garbage over its tail".into(),
                Box::new(move |b: &mut Vec<u8>| {
                    let to = (from + 64).min(b.len());
                    b[from..to].fill(0xA5)
                }),
            ));
            for (what, hurt) in &tries {
                let d = damage_file(&r, &name, |bytes| hurt(bytes));
                let case = format!("{left:?}: {what} of record {k} (of {base}..{next})");
                let strict = Options {
                    recovery: RecoveryMode::Strict,
                    ..small()
                };
                let copy = scratch();
                copy_dir(d.path(), copy.path());
                match Log::open(copy.path(), strict) {
                    Err(Error::Corrupt { segment, .. }) => assert_eq!(segment, base, "{case}"),
                    other => panic!("{case}: strict open gave {other:?}"),
                }
                let out = check(&case, d.path(), small(), r.count, false);
                let Outcome::Opened {
                    kept,
                    holes,
                    cut,
                    next: n,
                } = out
                else {
                    unreachable!()
                };
                let zeroed = what.starts_with("zeroed");
                if left == Left::Synced {
                    // Zeros to the end take the records after k along: holes too; garbage
                    // every record it reaches.
                    let lost = if zeroed {
                        next - k
                    } else if what.starts_with("garbage") {
                        garbled
                    } else {
                        1
                    };
                    assert_eq!(
                        (kept, holes, cut, n),
                        (r.count - lost, lost, 0, next),
                        "{case}"
                    );
                } else {
                    assert_eq!(
                        (kept, holes),
                        (k, 0),
                        "{case}: exactly the records before k"
                    );
                    // The records after the damage that are still whole are reported cut;
                    // those the damage reached to the end of the data left no trace.
                    let reaches_end = zeroed
                        || k + 1 == next
                        || (what.starts_with("garbage") && k + garbled == next);
                    let want_cut = if reaches_end { 0 } else { r.count - k };
                    assert_eq!(cut, want_cut, "{case}: the cut records are reported");
                }
                cases += 1;
            }
        }
    }
    eprintln!("kafka check: {cases} cases, 0 wrong bytes");
}

/// A flipped bit anywhere in the header of a record of a sealed segment of a cleanly closed
/// log (opened without a scan: its index is trusted until a read disagrees) is a hole at that
/// offset and nothing else, in every mode: in particular a damaged offset field is not taken
/// for a lying index entry (which a read-only reader could not rebuild).
#[test]
fn a_flip_in_any_header_byte_of_a_sealed_record_is_one_hole() {
    let r = reference(false, Left::Closed);
    let (base, next, ref store) = r.segments[0];
    let name = store.file_name().unwrap().to_owned();
    let positions = r.positions(0);
    let mut cases = 0;
    for (i, &p) in positions.iter().enumerate().step_by(6) {
        let k = base + i as u64;
        // Alone, and after a hole at the record before: the iteration that goes on after a
        // hole meets this record first, where an intact record of another offset would mean
        // a lying index.
        for before in [false, true] {
            if before && i == 0 {
                continue;
            }
            for at in p..p + RECORD_HEADER_LEN {
                let d = damage_file(&r, &name, |bytes| {
                    bytes[at as usize] ^= 0x04;
                    if before {
                        bytes[positions[i - 1] as usize] ^= 0x01; // its checksum
                    }
                });
                let case = format!(
                    "flip at byte {} of the header of record {k} (of {base}..{next}){}",
                    at - p,
                    if before {
                        ", the record before damaged"
                    } else {
                        ""
                    }
                );
                assert_only_holes(&case, d.path(), r.count, 1 + u64::from(before));
                cases += 1;
            }
        }
    }
    eprintln!("sealed record headers: {cases} damaged directories, each exactly its holes");
}

/// Damaged offset fields in several records of one sealed segment (found by the random
/// damage below): each is one hole, in every mode, however the iteration meets them.
#[test]
fn damaged_offset_fields_of_several_sealed_records_are_holes() {
    let r = reference(true, Left::Closed);
    let (base, next, ref store) = r.segments[0];
    let name = store.file_name().unwrap().to_owned();
    let positions = r.positions(0);
    let n = positions.len();
    let mut cases = 0;
    for first in (0..n).step_by(4) {
        for second in (first + 1..n).step_by(5) {
            for third in [None, Some(n - 1)] {
                let hit: Vec<usize> = [Some(first), Some(second), third]
                    .into_iter()
                    .flatten()
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                // Records, or frames: a frame's damage is a hole at each of its offsets.
                let hit_at: std::collections::BTreeSet<u64> =
                    hit.iter().map(|&i| positions[i]).collect();
                let d = damage_file(&r, &name, |bytes| {
                    for &p in &hit_at {
                        bytes[p as usize + 13] ^= 0x01; // offset byte 5
                    }
                });
                let holes = positions.iter().filter(|p| hit_at.contains(p)).count() as u64;
                let case = format!("offset fields of records {hit:?} of {base}..{next} damaged");
                assert_only_holes(&case, d.path(), r.count, holes);
                cases += 1;
            }
        }
    }
    eprintln!("damaged offset fields: {cases} directories, each exactly its holes");
}

/// Random bit flips, zeroed ranges and appended garbage in any file of a durable log.
#[test]
fn random_bit_flips_zeroed_ranges_and_appended_garbage() {
    let n = if full() {
        3000
    } else {
        300 * 13 / stride_and_edges().0.max(13)
    };
    let mut rng = Rng(0xC0FF_EE00_D15C_0001);
    let mut outcomes: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut kept_all, mut holes_all) = (0, 0);
    for left in [Left::Closed, Left::Synced] {
        let r = reference(true, left);
        let all = files(r.dir.path());
        for i in 0..n {
            let file = &all[rng.below(all.len() as u64) as usize];
            let name = file.file_name().unwrap().to_owned();
            let len = std::fs::metadata(file).unwrap().len();
            let kind = rng.below(3);
            let (a, b, c) = (rng.below(len.max(1)), rng.next(), rng.below(200) + 1);
            let case = format!("{left:?} case {i}: damage kind {kind} in {name:?} at {a}");
            let d = damage_file(&r, &name, |bytes| match kind {
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
            });
            let out = check_all_modes(&case, d.path(), r.count, false);
            assert_all_accounted(&case, out, r.count);
            if let Outcome::Opened { kept, holes, .. } = out {
                kept_all += kept;
                holes_all += holes;
                *outcomes
                    .entry(if holes == 0 { "all records" } else { "holes" })
                    .or_default() += 1;
            }
        }
    }
    eprintln!(
        "random damage: {} cases x 3 modes: {outcomes:?}; {kept_all} records kept, {holes_all} \
         in holes, 0 cut, 0 wrong bytes",
        2 * n
    );
}

/// Recovery passes over the blocks of the newest store that were never written (the file
/// system says where they are) without reading them: bytes far past them are still found.
/// The crash is made by hand: a closed log without its clean marker, its newest store grown
/// to 64 MiB as a hole with garbage written 40 MiB in.
#[test]
fn garbage_past_never_written_blocks_of_the_tail_is_found() {
    use std::io::{Read, Seek, SeekFrom, Write};
    let dir = scratch();
    let log = Log::open(dir.path(), Options::default()).unwrap();
    for o in 0..100 {
        log.append(&value(o)).unwrap();
    }
    let store = log.segments().unwrap().last().unwrap().store_path.clone();
    log.close().unwrap();
    std::fs::remove_file(dir.path().join("CLEAN")).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&store)
        .unwrap();
    let data_end = file.metadata().unwrap().len();
    file.set_len(64 << 20).unwrap();
    let far = 40u64 << 20;
    file.seek(SeekFrom::Start(far)).unwrap();
    file.write_all(b"not a record").unwrap();
    drop(file);

    let log = Log::open(dir.path(), Options::default()).unwrap();
    let report = log.recovery_report();
    assert!(
        report
            .events
            .iter()
            .any(|e| e.kind == segmentlog::RecoveryEventKind::TornTail),
        "the garbage 40 MiB in was not found: {report:?}"
    );
    assert_eq!(log.next_offset().unwrap(), 100);
    for o in 0..100 {
        assert_eq!(log.read(o).unwrap().value, value(o));
    }
    let mut byte = [0u8; 1];
    let mut file = std::fs::File::open(&store).unwrap();
    if file.metadata().unwrap().len() > far {
        file.seek(SeekFrom::Start(far)).unwrap();
        file.read_exact(&mut byte).unwrap();
        assert_eq!(byte, [0], "the garbage is still in the log's store");
    }
    assert!(data_end < far);
}

/// One index entry of a sealed segment of a cleanly closed log pointing off its record (into
/// the middle of a record, past the data, or at the next record) costs nothing and never
/// gives another record's bytes: the read it misleads finds no record, or a record of
/// another offset, where the index marks no hole, so the index is rebuilt from the store and
/// every record reads.
#[test]
fn an_index_entry_pointing_off_its_record_loses_nothing() {
    let r = reference(false, Left::Closed);
    let (base, next, _) = r.segments[0];
    let name = segmentlog::format::file_name(base, segmentlog::format::FileKind::Index);
    let mut cases = 0;
    let entry = |slot: u64| {
        (segmentlog::format::INDEX_HEADER_LEN + slot * segmentlog::format::INDEX_ENTRY_LEN) as usize
    };
    for slot in 0..next - base {
        // A bit flipped in the entry, or the entry swapped with the next one's (an intact
        // record of another offset: its bytes must never be given for this one).
        for bit in [2u32, 4, 9, 20, 0] {
            if bit == 0 && slot + 1 == next - base {
                continue;
            }
            let d = damage_file(&r, &name, |bytes| {
                let at = entry(slot);
                if bit == 0 {
                    let (a, b) = (entry(slot), entry(slot + 1));
                    let (x, y) = (bytes[a..a + 4].to_vec(), bytes[b..b + 4].to_vec());
                    bytes[a..a + 4].copy_from_slice(&y);
                    bytes[b..b + 4].copy_from_slice(&x);
                } else {
                    let pos = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
                    bytes[at..at + 4].copy_from_slice(&(pos ^ (1 << bit)).to_le_bytes());
                }
            });
            let how = if bit == 0 {
                "swapped with the next".to_string()
            } else {
                format!("off by bit {bit}")
            };
            let case = format!("entry of record {} {how}: records lost", base + slot);
            assert_only_holes(&case, d.path(), r.count, 0);
            cases += 1;
        }
    }
    eprintln!("index entries off their record: {cases} cases, no record lost");
}

/// An index is a cache: deleting, shortening, zeroing or scrambling it never loses a record.
/// A scrambled entry the O(1) check at open cannot see is caught by the read it misleads
/// (its record of another offset, or no record at all where the index marks none): the
/// index is rebuilt from the store and the read answers.
#[test]
fn a_deleted_short_zeroed_or_scrambled_index_loses_nothing() {
    let mut rng = Rng(0x1DE7_0000_0000_0001);
    let mut cases = 0;
    for left in [Left::Closed, Left::Synced] {
        let r = reference(true, left);
        for (base, ..) in &r.segments {
            let name = segmentlog::format::file_name(*base, segmentlog::format::FileKind::Index);
            for how in ["delete", "shorten", "zero", "scramble", "scramble-entries"] {
                let case = format!("{left:?} {how} index of segment {base}");
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
                let out = check_all_modes(&case, d.path(), r.count, false);
                match out {
                    Outcome::Opened {
                        kept, holes, next, ..
                    } => {
                        assert_eq!(next, r.count, "{case}");
                        assert_eq!((kept, holes), (r.count, 0), "{case}: records lost");
                    }
                    Outcome::Corrupt { .. } => panic!("{case}: an index problem made open fail"),
                }
                cases += 1;
            }
        }
    }
    eprintln!("index damage: {cases} cases, no record lost");
}

/// After a crash, a batch that never committed is cut from the newest segment; the index
/// entries the writer had already made for it go too (a zero entry is an unused slot: readers
/// in other processes count records by the index). Recovery keeps an index that agrees with
/// the store rather than writing it anew, so this is the one place those entries are cleared.
#[test]
fn entries_of_a_cut_batch_leave_the_newest_index() {
    let dir = scratch();
    let log = Log::open(dir.path(), Options::default()).unwrap();
    for o in 0..20 {
        assert_eq!(log.append(&value(o)).unwrap(), o);
    }
    let vals: Vec<Vec<u8>> = (20..24).map(value).collect();
    assert_eq!(log.append_batch(&vals).unwrap(), 20..24);
    let newest = log.segments().unwrap().pop().unwrap();
    // The process dies with nothing synced; the batch's last record (its commit) is torn.
    let crashed = scratch();
    copy_dir(dir.path(), crashed.path());
    drop(log);
    let store = crashed.path().join(newest.store_path.file_name().unwrap());
    let index = crashed.path().join(newest.index_path.file_name().unwrap());
    let last = STORE_HEADER_LEN
        + (0..23)
            .map(|o| RECORD_HEADER_LEN + value(o).len() as u64)
            .sum::<u64>();
    let mut bytes = std::fs::read(&store).unwrap();
    bytes[(last + RECORD_HEADER_LEN) as usize] ^= 0x40;
    std::fs::write(&store, &bytes).unwrap();
    let entry = |slot: u64| {
        let b = std::fs::read(&index).unwrap();
        let at = (segmentlog::format::INDEX_HEADER_LEN + 4 * slot) as usize;
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    };
    assert_ne!(entry(23), 0, "the crashed index holds the batch's entries");

    let log = Log::open(crashed.path(), Options::default()).unwrap();
    assert_eq!(
        log.next_offset().unwrap(),
        20,
        "the uncommitted batch is cut"
    );
    for slot in 20..24 {
        assert_eq!(entry(slot), 0, "index slot {slot} past the kept records");
    }
    for o in 0..20 {
        assert_eq!(log.read(o).unwrap().value, value(o));
    }
    assert_eq!(log.append(b"next").unwrap(), 20);
    log.close().unwrap();
}
