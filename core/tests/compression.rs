//! Compression per batch (`Options::compression`): every promise of the log holds for a log
//! whose batches are frames. The crash, power-loss, corruption and fuzz suites run with a codec
//! too (`SEGMENTLOG_TEST_COMPRESSION`, `make test-compressed`); these are the cases that need
//! frames whatever that variable says.

use std::path::Path;

use segmentlog::format::{self, FileKind};
use segmentlog::{Compression, Error, Log, Options};

mod common;

fn opts(c: Compression) -> Options {
    Options {
        max_segment_bytes: 64 * 1024,
        max_index_bytes: 4096,
        compression: c,
        ..Options::default()
    }
}

/// A JSON-like event: compressible, of varying length.
fn event(i: u64) -> Vec<u8> {
    format!(
        r#"{{"id":{i},"kind":"click","user":"user-{}","path":"/items/{}","pad":"{}"}}"#,
        i % 17,
        i % 101,
        "x".repeat((i % 23) as usize)
    )
    .into_bytes()
}

/// Appends singles and batches of events; returns what each new offset holds.
fn fill(log: &Log, rounds: u64) -> Vec<Vec<u8>> {
    let base = log.next_offset().unwrap();
    let mut want = Vec::new();
    for r in 0..rounds {
        let next = base + want.len() as u64;
        let o = log.append(&event(next)).unwrap();
        assert_eq!(o, next);
        want.push(event(o));
        let batch: Vec<Vec<u8>> = (0..1 + r % 40).map(|k| event(o + 1 + k)).collect();
        let range = log.append_batch(&batch).unwrap();
        assert_eq!(range.start, o + 1);
        want.extend(batch);
    }
    want
}

/// Every way of reading gives `want` back.
fn check(log: &Log, want: &[Vec<u8>]) {
    assert_eq!(log.next_offset().unwrap(), want.len() as u64);
    for (o, v) in want.iter().enumerate() {
        assert_eq!(&log.read(o as u64).unwrap().value, v, "read({o})");
    }
    // Iteration from every offset (most start inside a frame) for the first records, and
    // from 0 through everything.
    for from in (0..want.len().min(120)).chain([want.len()]) {
        let got: Vec<Vec<u8>> = log
            .iter(from as u64)
            .take(50)
            .map(|r| r.unwrap().value)
            .collect();
        let end = (from + 50).min(want.len());
        assert_eq!(got, want[from..end], "iter({from})");
    }
    let all: Vec<(u64, Vec<u8>)> = log
        .iter(0)
        .map(|r| r.map(|r| (r.offset, r.value)).unwrap())
        .collect();
    assert_eq!(all.len(), want.len());
    for (i, (o, v)) in all.iter().enumerate() {
        assert_eq!((*o, v), (i as u64, &want[i]));
    }
    let offsets: Vec<u64> = (0..want.len() as u64).rev().step_by(7).collect();
    let many = log.read_many(&offsets).unwrap();
    for (r, o) in many.iter().zip(&offsets) {
        assert_eq!(&r.value, &want[*o as usize]);
    }
}

/// Frames and their values counted over every store of `dir` (by their headers).
fn frames(dir: &Path) -> (usize, u64) {
    let (mut n, mut values) = (0, 0);
    for p in common::store_files(dir) {
        let b = std::fs::read(&p).unwrap();
        format::decode_file_header(FileKind::Store, &b).unwrap();
        let mut pos = format::STORE_HEADER_LEN as usize;
        while pos + 28 <= b.len() {
            let Some(r) = format::decode_record_header(&b[pos..]) else {
                break;
            };
            if r.is_frame() {
                n += 1;
                values += u64::from(format::decode_frame_header(&b[pos + 28..]).unwrap().count);
            }
            pos += r.total_len() as usize;
        }
    }
    (n, values)
}

fn disk_bytes(dir: &Path) -> u64 {
    common::store_files(dir)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum()
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() && p.file_name().unwrap() != "LOCK" {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn batches_are_frames_and_read_back_every_way_with_each_codec() {
    let plain = tempfile::tempdir().unwrap();
    let log = Log::open(plain.path(), opts(Compression::None)).unwrap();
    let want = fill(&log, 150);
    log.close().unwrap();
    assert_eq!(frames(plain.path()), (0, 0));
    for c in [Compression::Lz4, Compression::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), opts(c)).unwrap();
        assert_eq!(fill(&log, 150), want);
        check(&log, &want);
        // A reader in the same process, read-only, as another process's would be.
        let ro = common::open_read_only(dir.path(), &opts(Compression::None));
        check(&ro, &want);
        // A copy taken while the log is open is a crash: the scan rebuilds what it needs.
        let crashed = tempfile::tempdir().unwrap();
        copy_dir(dir.path(), crashed.path());
        for p in std::fs::read_dir(crashed.path()).unwrap() {
            let p = p.unwrap().path();
            if p.extension().is_some_and(|e| e == "index") {
                std::fs::remove_file(p).unwrap();
            }
        }
        let again = Log::open(crashed.path(), opts(Compression::None)).unwrap();
        assert!(
            again.recovery_report().is_clean(),
            "{:?}",
            again.recovery_report()
        );
        check(&again, &want);
        drop(again);
        log.close().unwrap();
        let (n, values) = frames(dir.path());
        assert!(
            n > 100 && values > 2000,
            "{c:?}: {n} frames of {values} values"
        );
        assert!(
            disk_bytes(dir.path()) * 2 < disk_bytes(plain.path()),
            "{c:?}: {} bytes, {} without compression",
            disk_bytes(dir.path()),
            disk_bytes(plain.path())
        );
        let report = segmentlog::verify(dir.path(), &mut |_, _| {}).unwrap();
        assert!(report.is_clean(), "{report:?}");
        let log = Log::open(dir.path(), opts(Compression::None)).unwrap();
        assert!(log.opened_clean());
        check(&log, &want);
    }
}

/// A frame is written only when it takes fewer bytes than the plain records: incompressible
/// batches never grow on disk.
#[test]
fn incompressible_batches_never_take_more_than_plain_records() {
    for c in [Compression::Lz4, Compression::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), opts(c)).unwrap();
        let mut rng = common::Rng(7);
        let mut want = Vec::new();
        for n in 2..6 {
            let batch: Vec<Vec<u8>> = (0..n)
                .map(|_| (0..100).map(|_| rng.next() as u8).collect())
                .collect();
            log.append_batch(&batch).unwrap();
            want.extend(batch);
        }
        check(&log, &want);
        log.close().unwrap();
        let store = common::store_files(dir.path()).pop().unwrap();
        let s = segmentlog::files::store_compression(&store).unwrap();
        assert_eq!(s.records, want.len() as u64);
        assert!(s.stored_bytes <= s.plain_bytes, "{c:?}: {s:?}");
    }
    // LZ4 grows incompressible bytes by about 1/255: two large random values stay plain.
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), opts(Compression::Lz4)).unwrap();
    let mut rng = common::Rng(9);
    let batch: Vec<Vec<u8>> = (0..2)
        .map(|_| (0..10_000).map(|_| rng.next() as u8).collect())
        .collect();
    log.append_batch(&batch).unwrap();
    check(&log, &batch);
    log.close().unwrap();
    assert_eq!(frames(dir.path()), (0, 0));
}

/// A frame whose bytes are torn (never synced, `sync = never`, a crash): recovery takes the
/// whole batch away, nothing before it.
#[test]
fn a_torn_frame_takes_its_whole_batch_away() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), opts(Compression::Lz4)).unwrap();
    let first: Vec<Vec<u8>> = (0..30).map(event).collect();
    log.append_batch(&first).unwrap();
    let second: Vec<Vec<u8>> = (30..60).map(event).collect();
    log.append_batch(&second).unwrap();
    let crashed = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), crashed.path());
    drop(log);
    let store = common::store_files(crashed.path()).pop().unwrap();
    let mut b = std::fs::read(&store).unwrap();
    let at = format::STORE_HEADER_LEN as usize;
    let first_len = format::decode_record_header(&b[at..]).unwrap().total_len() as usize;
    let second_len = format::decode_record_header(&b[at + first_len..])
        .unwrap()
        .total_len() as usize;
    // A byte inside the second frame's compressed payload.
    b[at + first_len + second_len - 3] ^= 0x55;
    std::fs::write(&store, &b).unwrap();
    let log = Log::open(crashed.path(), opts(Compression::Lz4)).unwrap();
    assert_eq!(log.next_offset().unwrap(), 30);
    for (o, v) in first.iter().enumerate() {
        assert_eq!(&log.read(o as u64).unwrap().value, v);
    }
    assert!(!log.recovery_report().is_clean());
    assert_eq!(log.append(b"after").unwrap(), 30);
}

/// A durable frame damaged later: each of its offsets is a hole, the records around keep
/// theirs.
#[test]
fn a_damaged_durable_frame_is_a_hole_of_all_its_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let o = Options {
        sync: segmentlog::SyncPolicy::Always,
        ..opts(Compression::Zstd)
    };
    let log = Log::open(dir.path(), o.clone()).unwrap();
    log.append(b"first").unwrap();
    let batch: Vec<Vec<u8>> = (0..25).map(event).collect();
    log.append_batch(&batch).unwrap();
    log.append(b"last").unwrap();
    log.close().unwrap();
    let store = common::store_files(dir.path()).pop().unwrap();
    let mut b = std::fs::read(&store).unwrap();
    let at = format::STORE_HEADER_LEN as usize;
    let single = format::decode_record_header(&b[at..]).unwrap().total_len() as usize;
    b[at + single + 40] ^= 1;
    std::fs::write(&store, &b).unwrap();
    std::fs::remove_file(dir.path().join("CLEAN")).unwrap();
    let log = Log::open(dir.path(), o).unwrap();
    assert_eq!(log.next_offset().unwrap(), 27);
    assert_eq!(log.read(0).unwrap().value, b"first");
    assert_eq!(log.read(26).unwrap().value, b"last");
    for k in 1..26 {
        assert!(matches!(log.read(k), Err(Error::Hole { .. })), "offset {k}");
    }
    let got: Vec<_> = log.iter(0).collect();
    assert_eq!(got.len(), 27);
    assert!(
        got[1..26]
            .iter()
            .all(|r| matches!(r, Err(Error::Hole { .. })))
    );
}

/// `truncate_back` into the middle of a frame keeps the values before the cut, across
/// reopens (clean and crashed), and the log goes on after it.
#[test]
fn truncate_back_inside_a_frame_keeps_the_values_before_the_cut() {
    for c in [Compression::Lz4, Compression::Zstd] {
        for cut in [1u64, 7, 19] {
            let dir = tempfile::tempdir().unwrap();
            let log = Log::open(dir.path(), opts(c)).unwrap();
            log.append(b"zero").unwrap();
            let batch: Vec<Vec<u8>> = (1..21).map(event).collect();
            log.append_batch(&batch).unwrap();
            log.append_batch(&[event(21), event(22)]).unwrap();
            log.truncate_back(cut).unwrap();
            assert_eq!(log.next_offset().unwrap(), cut);
            let mut want: Vec<Vec<u8>> = vec![b"zero".to_vec()];
            want.extend(batch[..cut as usize - 1].iter().cloned());
            check(&log, &want);
            // A copy now is a crash right after the cut.
            let crashed = tempfile::tempdir().unwrap();
            copy_dir(dir.path(), crashed.path());
            let more: Vec<Vec<u8>> = (100..110).map(event).collect();
            log.append_batch(&more).unwrap();
            log.append(b"single").unwrap();
            want.extend(more);
            want.push(b"single".to_vec());
            check(&log, &want);
            log.close().unwrap();
            let log = Log::open(dir.path(), opts(c)).unwrap();
            check(&log, &want);
            let report = segmentlog::verify(dir.path(), &mut |_, _| {}).unwrap();
            assert!(report.is_clean(), "{report:?}");
            drop(log);
            let log = Log::open(crashed.path(), opts(c)).unwrap();
            check(&log, &want[..cut as usize]);
            log.append(b"after the crash").unwrap();
            assert_eq!(log.read(cut).unwrap().value, b"after the crash");
        }
    }
}

/// A crash after the header recorded a cut inside a frame and before the log rolled to a new
/// segment: the open rolls (the cut segment takes no record, so the cut stays where it is),
/// and what is appended then survives a crash too.
#[test]
fn an_open_after_a_cut_inside_a_frame_rolls_before_appending() {
    let dir = tempfile::tempdir().unwrap();
    let o = Options {
        sync: segmentlog::SyncPolicy::Always,
        ..opts(Compression::Zstd)
    };
    let log = Log::open(dir.path(), o.clone()).unwrap();
    let batch: Vec<Vec<u8>> = (0..20).map(event).collect();
    log.append_batch(&batch).unwrap();
    log.truncate_back(8).unwrap();
    let crashed = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), crashed.path());
    drop(log);
    // Undo the roll: the segment the cut made (at offset 8) never was.
    for kind in ["store", "index"] {
        std::fs::remove_file(crashed.path().join(format!("{:020}.{kind}", 8))).unwrap();
    }
    assert_eq!(common::store_files(crashed.path()).len(), 1);
    let log = Log::open(crashed.path(), o.clone()).unwrap();
    assert_eq!(log.next_offset().unwrap(), 8);
    let more: Vec<Vec<u8>> = (100..104).map(event).collect();
    log.append_batch(&more).unwrap();
    log.append(b"single").unwrap();
    let mut want: Vec<Vec<u8>> = batch[..8].to_vec();
    want.extend(more);
    want.push(b"single".to_vec());
    check(&log, &want);
    assert_eq!(
        common::store_files(crashed.path()).len(),
        2,
        "the open rolled"
    );
    let again = tempfile::tempdir().unwrap();
    copy_dir(crashed.path(), again.path());
    drop(log);
    let log = Log::open(again.path(), o).unwrap();
    check(&log, &want);
}

/// A log written without compression takes the codec of the handle that opens it: its empty
/// active segment at once, later ones as they are made.
#[test]
fn a_log_written_without_compression_takes_a_codec_later() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), opts(Compression::None)).unwrap();
    let mut want = fill(&log, 30);
    log.close().unwrap();
    let log = Log::open(dir.path(), opts(Compression::Zstd)).unwrap();
    want.extend(fill(&log, 200));
    check(&log, &want);
    log.close().unwrap();
    assert!(frames(dir.path()).0 > 50);
    let log = Log::open(dir.path(), opts(Compression::None)).unwrap();
    check(&log, &want);
}

/// Single appends are compressed once their segment is sealed: by the background thread on
/// its own, or by `compress_sealed`; every offset keeps its value and timestamp, through
/// reads, iteration, a reader opened before, a reopen and a crash.
#[test]
#[cfg_attr(
    any(windows, feature = "windows-rules"),
    ignore = "no seal-time compression where maps pin files"
)]
fn single_appends_are_compressed_once_their_segment_is_sealed() {
    for background in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let o = Options {
            compress_sealed: background,
            ..opts(Compression::Lz4)
        };
        let log = Log::open(dir.path(), o.clone()).unwrap();
        for i in 0..3000u64 {
            log.append(&event(i)).unwrap();
            if i % 500 == 0 {
                log.append_batch(&[event(i), event(i + 1)]).unwrap();
            }
        }
        let want: Vec<(u64, Vec<u8>, u64)> = log
            .iter(0)
            .map(|r| r.map(|r| (r.offset, r.value, r.timestamp)).unwrap())
            .collect();
        let values: Vec<Vec<u8>> = want.iter().map(|(_, v, _)| v.clone()).collect();
        let reader = common::open_read_only(dir.path(), &opts(Compression::None));
        // Every sealed store but holds its records in frames at a fraction of its size.
        let sealed_small = || {
            let stores = common::store_files(dir.path());
            let n = stores.len() - 1;
            n >= 4
                && stores[..n]
                    .iter()
                    .all(|p| std::fs::metadata(p).unwrap().len() < 64 * 1024 / 3)
        };
        let mut log = log;
        if background {
            // The thread works behind the rolls; the writer installs each rewrite at its next
            // roll or at close, and the next open looks again at what a close left.
            for _ in 0..20 {
                if sealed_small() {
                    break;
                }
                log.close().unwrap();
                log = Log::open(dir.path(), o.clone()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            log.close().unwrap();
            log = Log::open(dir.path(), o.clone()).unwrap();
        } else {
            assert_eq!(frames(dir.path()).0, 6, "only the batches are frames yet");
            assert!(!sealed_small());
            let done = log.compress_sealed().unwrap();
            assert!(
                done.records > 2000 && done.bytes_after * 3 < done.bytes_before,
                "{done:?}"
            );
            assert_eq!(
                log.compress_sealed().unwrap().segments,
                0,
                "nothing left to do"
            );
        }
        assert!(sealed_small(), "{:?}", frames(dir.path()));
        assert!(frames(dir.path()).1 > 2900, "{:?}", frames(dir.path()));
        check(&log, &values);
        check(&reader, &values);
        let got: Vec<(u64, Vec<u8>, u64)> = log
            .iter(0)
            .map(|r| r.map(|r| (r.offset, r.value, r.timestamp)).unwrap())
            .collect();
        assert_eq!(got, want, "timestamps kept");
        let crashed = tempfile::tempdir().unwrap();
        copy_dir(dir.path(), crashed.path());
        log.close().unwrap();
        let again = Log::open(dir.path(), o.clone()).unwrap();
        check(&again, &values);
        drop(again);
        let again = Log::open(crashed.path(), o).unwrap();
        check(&again, &values);
        for (o, _, t) in want.iter().step_by(97) {
            assert_eq!(again.read(*o).unwrap().timestamp, *t);
        }
        // A cut inside a frame of single appends keeps what is before it.
        again.truncate_back(1234).unwrap();
        check(&again, &values[..1234]);
        // Verified once closed: a verify beside a writer that is renaming a rewritten store
        // and its index into place may read one before and the other after (it then reports
        // the index as disagreeing with its store, which the next open rebuilds).
        again.close().unwrap();
        let report = segmentlog::verify(crashed.path(), &mut |_, _| {}).unwrap();
        assert!(report.is_clean(), "{report:?}");
    }
}

/// Segments sealed by a handle that did not compress them (a close dropped its queue, or the
/// option was off) are compressed by the next handle that opens the log with a codec, the
/// newest sealed ones first; a segment once compressed is marked and not read again.
#[test]
#[cfg_attr(
    any(windows, feature = "windows-rules"),
    ignore = "no seal-time compression where maps pin files"
)]
fn the_next_open_compresses_what_an_earlier_handle_left() {
    let dir = tempfile::tempdir().unwrap();
    let off = Options {
        compress_sealed: false,
        ..opts(Compression::Zstd)
    };
    let log = Log::open(dir.path(), off.clone()).unwrap();
    for i in 0..2000u64 {
        log.append(&event(i)).unwrap();
    }
    let values: Vec<Vec<u8>> = (0..2000).map(event).collect();
    log.close().unwrap();
    let sealed = common::store_files(dir.path()).len() - 1;
    assert!((3..=4).contains(&sealed), "{sealed} sealed segments");
    assert_eq!(frames(dir.path()), (0, 0));
    // The thread rewrites them in the background; the writer installs the rewrites at its
    // next roll or at close.
    let mut log = Log::open(dir.path(), opts(Compression::Zstd)).unwrap();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        log.close().unwrap();
        if frames(dir.path()).0 == sealed {
            break;
        }
        log = Log::open(dir.path(), opts(Compression::Zstd)).unwrap();
    }
    assert_eq!(frames(dir.path()).0, sealed, "one frame per sealed segment");
    let log = Log::open(dir.path(), opts(Compression::Zstd)).unwrap();
    check(&log, &values);
    log.close().unwrap();
    for p in &common::store_files(dir.path())[..sealed] {
        let b = std::fs::read(p).unwrap();
        let h = format::decode_file_header(FileKind::Store, &b).unwrap();
        assert_ne!(h.flags & format::FLAG_COMPACTED, 0);
    }
    let log = Log::open(dir.path(), off).unwrap();
    assert_eq!(log.compress_sealed().unwrap().segments, 0);
    check(&log, &values);
}

/// The compaction thread never holds the log open: a handle dropped (or a log emptied by
/// `truncate_front`) while it works can be opened again at once, and retention's removals
/// are not undone by a rewrite renamed into place.
#[test]
fn dropping_a_compressing_log_releases_it_at_once() {
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let o = Options {
            max_segment_bytes: 4096,
            max_index_bytes: 4096,
            compression: Compression::Zstd,
            ..Options::default()
        };
        let log = Log::open(dir.path(), o.clone()).unwrap();
        for i in 0..100u64 {
            log.append(&event(i)).unwrap();
        }
        log.truncate_front(1000).unwrap();
        assert_eq!(log.append(b"after").unwrap(), 1000);
        drop(log);
        let log = Log::open(dir.path(), o.clone()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            (log.lowest_offset().unwrap(), log.next_offset().unwrap()),
            (1000, 1001)
        );
        for i in 0..200u64 {
            log.append(&event(i)).unwrap();
        }
        log.truncate_front(1150).unwrap();
        let low = log.lowest_offset().unwrap();
        drop(log);
        let log = Log::open(dir.path(), o.clone()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(log.lowest_offset().unwrap(), low, "round {round}");
        for o in low..log.next_offset().unwrap() {
            log.read(o).unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
    }
}
