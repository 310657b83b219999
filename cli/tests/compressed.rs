//! `info`, `dump`, `verify` and `repair` on a log whose batches are compressed frames.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use segmentlog::format;
use segmentlog::{Compression, Error, Log, Options};
use serde_json::Value;

const BATCHES: u64 = 30;
const PER_BATCH: u64 = 20;

fn event(i: u64) -> Vec<u8> {
    format!(
        r#"{{"id":{i},"kind":"click","user":"user-{}","path":"/items/{}"}}"#,
        i % 9,
        i % 13
    )
    .into_bytes()
}

/// A closed log of `BATCHES` zstd frames of `PER_BATCH` events.
fn build(dir: &Path) -> Vec<Vec<u8>> {
    let log = Log::open(
        dir,
        Options {
            compression: Compression::Zstd,
            ..options()
        },
    )
    .unwrap();
    let mut all = Vec::new();
    for b in 0..BATCHES {
        let batch: Vec<Vec<u8>> = (b * PER_BATCH..(b + 1) * PER_BATCH).map(event).collect();
        log.append_batch(&batch).unwrap();
        all.extend(batch);
    }
    log.close().unwrap();
    all
}

#[test]
fn info_shows_the_codec_and_the_ratio_and_dump_prints_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let all = build(dir.path());
    let out = segmentlog().arg("info").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    let line = text
        .lines()
        .find(|l| l.starts_with("compression: "))
        .unwrap_or_else(|| panic!("no compression line in\n{text}"));
    assert!(line.starts_with("compression: zstd (level 3); "), "{line}");
    let frames = format!("{} records in {BATCHES} frames", BATCHES * PER_BATCH);
    assert!(line.contains(&frames), "{line}");
    let doc = info_json(dir.path());
    let c = &doc["compression"];
    assert_eq!(c["frames"], BATCHES);
    assert_eq!(c["records_in_frames"], BATCHES * PER_BATCH);
    assert!(c["ratio"].as_f64().unwrap() > 3.0, "{c}");
    assert!(
        doc["segments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["codec"] == "zstd (level 3)")
    );

    let out = segmentlog()
        .args(["dump", "--format", "json"])
        .arg(dir.path())
        .assert()
        .success();
    let lines: Vec<Value> = stdout_of(out.get_output())
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), all.len());
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["offset"], i as u64);
    }
    let text = stdout_of(
        segmentlog()
            .arg("dump")
            .arg(dir.path())
            .assert()
            .success()
            .get_output(),
    );
    assert!(text.contains(r#""id":599,"#), "{text}");
    segmentlog().arg("verify").arg(dir.path()).assert().code(0);
}

#[test]
fn a_damaged_frame_is_found_by_verify_and_repaired_into_holes() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let all = build(&log_dir);
    // A byte in the compressed payload of the frame holding offset 100.
    let (_, store, position) = locate(&log_dir, 100);
    let mut bytes = fs::read(&store).unwrap();
    let h = format::decode_record_header(&bytes[position as usize..]).unwrap();
    assert!(h.is_frame());
    let first = h.offset;
    bytes[(position + h.total_len() - 5) as usize] ^= 0x40;
    fs::write(&store, bytes).unwrap();

    let out = segmentlog()
        .args(["verify", "--json"])
        .arg(&log_dir)
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["clean"], false, "{doc}");
    let text = doc.to_string();
    assert!(
        text.contains(&format!("checksum mismatch in record {first}")),
        "{text}"
    );

    run_unlocked(|c| {
        c.arg("repair").arg(&log_dir);
    })
    .success();
    segmentlog().arg("verify").arg(&log_dir).assert().code(0);
    let log = open_writer(&log_dir);
    assert_eq!(log.next_offset().unwrap(), all.len() as u64);
    for (o, v) in all.iter().enumerate() {
        let o = o as u64;
        match log.read(o) {
            Ok(r) => assert_eq!(
                (&r.value, (first..first + PER_BATCH).contains(&o)),
                (v, false)
            ),
            Err(Error::Hole { .. }) => assert!((first..first + PER_BATCH).contains(&o), "{o}"),
            Err(e) => panic!("offset {o}: {e}"),
        }
    }
    // dump prints the frame's offsets as one hole line and goes on.
    drop(log);
    let out = segmentlog().arg("dump").arg(&log_dir).assert().success();
    let text = stdout_of(out.get_output());
    assert!(text.contains(r#""id":599,"#), "{text}");
}
