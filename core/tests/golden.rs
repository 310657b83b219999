//! Golden files of format version 1 (`tests/data/v1-log`): a change that stops this build
//! reading logs written by earlier builds fails here. Regenerate only for a new format
//! version, keeping the old directory: `cargo test -p commitlog --test golden -- --ignored`.

use std::path::{Path, PathBuf};

use commitlog::{Log, Options};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1-log")
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
fn regenerate_v1_golden_log() {
    let dir = data();
    let _ = std::fs::remove_dir_all(&dir);
    let log = Log::open(&dir, options()).unwrap();
    for i in 0..SINGLES {
        log.append(&value(i)).unwrap();
    }
    let batch: Vec<Vec<u8>> = (SINGLES..SINGLES + BATCH).map(value).collect();
    log.append_batch(&batch).unwrap();
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
    let log = Log::open(
        data(),
        Options {
            read_only: true,
            ..options()
        },
    )
    .unwrap();
    assert!(log.opened_clean());
    check(&log);
    let report = commitlog::verify(&data(), &mut |_, _| {}).unwrap();
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

/// `docs/FORMAT.md` repeats the byte tables of `src/format.rs`; they must not drift apart.
#[test]
fn format_md_matches_the_format_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let code = std::fs::read_to_string(root.join("src/format.rs")).unwrap();
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
        "docs/FORMAT.md and the doc of core/src/format.rs differ"
    );
}
