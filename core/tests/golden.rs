//! Golden files of format versions 1 (`tests/data/v1-log`, written by the first release), 2
//! (`tests/data/v2-log`) and 3 (`tests/data/v3-log`: its batch a zstd frame, the single appends
//! of its sealed segments compressed at seal time into `TIMES` frames; `tests/data/v3-lz4-log`:
//! the same with lz4, its frames written by the `lz4_flex` encoder of the first release that had
//! compression): a change that stops this build reading logs written by earlier builds fails
//! here. Regenerate only the current version's directories, for a new format version, keeping
//! the old ones: `cargo test -p segmentlog --test golden -- --ignored`.

use std::path::{Path, PathBuf};

use segmentlog::{Log, Options};

fn data_of(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/v{version}-log"))
}

/// The golden log of `version` whose frames use `codec` (zstd's is [`data_of`]).
fn data_with(version: u32, codec: segmentlog::Compression) -> PathBuf {
    match codec {
        segmentlog::Compression::Zstd => data_of(version),
        c => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/data/v{version}-{}-log", c.name())),
    }
}

fn data() -> PathBuf {
    data_of(1)
}

fn options() -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        ..Options::default()
    }
}

fn value(i: u64) -> Vec<u8> {
    format!("golden record {i}: {}", "v1".repeat((i % 40) as usize)).into_bytes()
}

const SINGLES: u64 = 150;
const BATCH: u64 = 20;

#[test]
#[ignore = "writes the golden files"]
fn regenerate_current_golden_log() {
    for codec in [segmentlog::Compression::Zstd, segmentlog::Compression::Lz4] {
        write_golden_log(&data_with(segmentlog::format::FORMAT_VERSION, codec), codec);
    }
}

fn write_golden_log(dir: &Path, codec: segmentlog::Compression) {
    let _ = std::fs::remove_dir_all(dir);
    let log = Log::open(
        dir,
        Options {
            compression: codec,
            compress_sealed: false,
            ..options()
        },
    )
    .unwrap();
    for i in 0..SINGLES {
        log.append(&value(i)).unwrap();
    }
    let batch: Vec<Vec<u8>> = (SINGLES..SINGLES + BATCH).map(value).collect();
    log.append_batch(&batch).unwrap();
    log.compress_sealed().unwrap();
    log.close().unwrap();
    std::fs::remove_file(dir.join("LOCK")).unwrap();
}

fn check(log: &Log) {
    let n = SINGLES + BATCH;
    assert_eq!(
        (log.lowest_offset().unwrap(), log.next_offset().unwrap()),
        (0, n)
    );
    let mut last_ts = 0;
    for (i, rec) in log.iter(0).enumerate() {
        let rec = rec.unwrap();
        assert_eq!((rec.offset, &rec.value), (i as u64, &value(i as u64)));
        assert!(rec.timestamp >= last_ts && rec.timestamp > 1_700_000_000_000);
        last_ts = rec.timestamp;
    }
    assert!(
        log.segments().unwrap().len() > 3,
        "the golden log spans several segments"
    );
}

#[test]
fn reads_format_v1_golden_log_read_only() {
    let log = open_read_only(&data());
    assert!(log.opened_clean());
    check(&log);
    let report = segmentlog::verify(&data(), &mut |_, _| {}).unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn opens_format_v1_golden_log_for_writing() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(data()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    let log = Log::open(tmp.path(), options()).unwrap();
    check(&log);
    assert_eq!(
        log.append(b"appended by this build").unwrap(),
        SINGLES + BATCH
    );
}

/// `docs/FORMAT.md` repeats the byte tables of `src/format/mod.rs`; they must not drift apart.
#[test]
fn format_md_matches_the_format_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // FORMAT.md's tables in its order: the segment files, then the cursor files.
    let code = ["src/format/mod.rs", "src/cursor/file.rs"]
        .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
        .concat();
    let doc = std::fs::read_to_string(root.join("../docs/FORMAT.md")).unwrap();
    let code_rows: Vec<&str> = code
        .lines()
        .filter_map(|l| l.strip_prefix("//! "))
        .filter(|l| l.starts_with('|'))
        .collect();
    let doc_rows: Vec<&str> = doc.lines().filter(|l| l.starts_with('|')).collect();
    assert!(code_rows.len() > 20);
    assert_eq!(
        code_rows, doc_rows,
        "docs/FORMAT.md and the doc of core/src/format/mod.rs differ"
    );
}

/// The version-2 golden log: read as written, and every header says version 2.
#[test]
fn reads_format_v2_golden_log() {
    let dir = data_of(2);
    let header = std::fs::read(dir.join("00000000000000000000.store")).unwrap();
    let h = segmentlog::format::decode_file_header(segmentlog::format::FileKind::Store, &header)
        .unwrap();
    assert_eq!(h.version, 2);
    let log = open_read_only(&dir);
    assert!(log.opened_clean());
    check(&log);
    assert!(log.recovery_report().is_clean());
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    let log = Log::open(tmp.path(), options()).unwrap();
    check(&log);
    assert_eq!(log.append(b"appended").unwrap(), SINGLES + BATCH);
}

/// A version-1 log opened for writing: the header of the segment it appends to becomes
/// the current version at close; the sealed ones stay version 1, and both read back.
#[test]
fn a_version_1_log_written_to_reads_back_in_both_versions() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(data()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    let log = Log::open(tmp.path(), options()).unwrap();
    for i in 0..200 {
        log.append(format!("more {i}").as_bytes()).unwrap();
    }
    log.close().unwrap();
    let versions: Vec<u32> = log_versions(tmp.path());
    assert!(
        versions.contains(&1) && versions.contains(&segmentlog::FORMAT_VERSION),
        "{versions:?}"
    );
    let log = Log::open(tmp.path(), options()).unwrap();
    assert_eq!(log.next_offset().unwrap(), SINGLES + BATCH + 200);
    assert_eq!(log.read(3).unwrap().value, value(3));
    assert_eq!(log.read(SINGLES + BATCH + 199).unwrap().value, b"more 199");
}

fn log_versions(dir: &Path) -> Vec<u32> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "store") {
            let b = std::fs::read(&p).unwrap();
            let h = segmentlog::format::decode_file_header(segmentlog::format::FileKind::Store, &b)
                .unwrap();
            v.push(h.version);
        }
    }
    v
}

/// The version-3 golden log: its batch is one zstd frame (the segment's header names the
/// codec), its sealed segments' single appends are `TIMES` frames; read as written, read-only
/// and for writing, and verified clean.
#[test]
fn reads_format_v3_golden_log_with_a_frame() {
    reads_v3_golden_log(
        segmentlog::Compression::Zstd,
        segmentlog::format::CODEC_ZSTD,
    );
}

/// The same with lz4 frames: written by `lz4_flex`, read by whichever lz4 this build links.
#[test]
fn reads_format_v3_golden_log_with_lz4_frames() {
    reads_v3_golden_log(segmentlog::Compression::Lz4, segmentlog::format::CODEC_LZ4);
}

fn reads_v3_golden_log(codec: segmentlog::Compression, codec_byte: u8) {
    use segmentlog::format::{self, FileKind};
    let dir = data_with(3, codec);
    let (mut frames, mut timed) = (0, 0);
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "store") {
            let b = std::fs::read(&p).unwrap();
            let h = format::decode_file_header(FileKind::Store, &b).unwrap();
            assert_eq!((h.version, h.codec), (3, codec_byte));
            let mut pos = format::STORE_HEADER_LEN as usize;
            while pos < b.len() {
                let Some(r) = format::decode_record_header(&b[pos..]) else {
                    break;
                };
                if r.is_frame() {
                    let f = format::decode_frame_header(&b[pos + 28..]).unwrap();
                    assert_eq!(f.codec, codec_byte);
                    if f.flags == format::FRAME_TIMES {
                        timed += 1;
                    } else {
                        assert_eq!((r.offset, f.count, f.flags), (SINGLES, BATCH as u32, 0));
                        frames += 1;
                    }
                }
                pos += r.total_len() as usize;
            }
        }
    }
    assert_eq!(frames, 1, "the batch is one frame");
    assert!(
        timed >= 3,
        "each sealed segment's single appends are a frame: {timed}"
    );
    let log = open_read_only(&dir);
    assert!(log.opened_clean());
    check(&log);
    for o in SINGLES..SINGLES + BATCH {
        assert_eq!(log.read(o).unwrap().value, value(o));
    }
    let report = segmentlog::verify(&dir, &mut |_, _| {}).unwrap();
    assert!(report.is_clean(), "{report:?}");
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    // Opened without the option: the log's own headers say how to read it.
    let log = Log::open(tmp.path(), options()).unwrap();
    check(&log);
    assert_eq!(log.append(b"appended").unwrap(), SINGLES + BATCH);
}

/// A golden log opened read-only (nothing in `data/` is ever changed).
fn open_read_only(dir: &std::path::Path) -> Log {
    Log::open(
        dir,
        Options {
            read_only: true,
            ..options()
        },
    )
    .unwrap()
}
