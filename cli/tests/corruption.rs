//! `verify`, `repair`, `dump`, `tail` and `info` on damaged logs: damage among durable records
//! becomes a hole (every other record keeps its offset), only a torn tail is cut, and nothing
//! is deleted.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use predicates::prelude::*;
use segmentlog::Error;
use serde_json::Value;

const N: u64 = 300;
const K: u64 = 170;

#[test]
fn verify_of_a_clean_log_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    segmentlog()
        .arg("verify")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("{N} records")))
        .stdout(predicate::str::ends_with(": clean\n"));
    let out = segmentlog()
        .args(["verify", "--json"])
        .arg(dir.path())
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["clean"], true);
    assert_eq!(doc["records"], N);
    assert_eq!(
        (&doc["holes"], &doc["known_holes"], &doc["cut"]),
        (&0.into(), &0.into(), &0.into())
    );
    assert_eq!(doc["problems"], Value::Array(vec![]));
    assert_eq!(doc["events"], Value::Array(vec![]));
}

#[test]
fn verify_finds_the_exact_segment_and_byte_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    let (segment, store, position) = corrupt_record(dir.path(), K);
    assert!(segment > 0, "the damage should be in a later segment");
    let before = snapshot(dir.path());

    let out = segmentlog().arg("verify").arg(dir.path()).assert().code(1);
    let text = stdout_of(out.get_output());
    let line = format!("corrupt: segment {segment}, file {store}, byte {position} (offset {K}):");
    assert!(text.contains(&line), "no {line:?} in\n{text}");
    assert!(text.contains("would become holes"), "{text}");
    assert!(
        text.contains(&format!("{} records", N - 1)) && text.contains("CORRUPT, 1 problem"),
        "{text}"
    );

    let out = segmentlog()
        .args(["verify", "--json"])
        .arg(dir.path())
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["clean"], false);
    assert_eq!(
        (&doc["holes"], &doc["known_holes"], &doc["cut"]),
        (&1.into(), &0.into(), &0.into())
    );
    let p = &doc["problems"][0];
    assert_eq!(
        (&p["segment"], &p["file"]),
        (&segment.into(), &"store".into())
    );
    assert_eq!(
        (&p["position"], &p["offset"]),
        (&position.into(), &K.into())
    );
    let e = &doc["events"][0];
    assert_eq!((&e["kind"], &e["known"]), (&"hole".into(), &false.into()));
    assert_eq!(
        (&e["first_offset"], &e["end_offset"]),
        (&K.into(), &(K + 1).into())
    );

    assert_eq!(snapshot(dir.path()), before, "verify changed a file");
}

#[test]
fn verify_after_repair_lists_the_known_hole_apart_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    let (segment, _, position) = corrupt_record(dir.path(), K);
    run_unlocked(|c| {
        c.arg("repair").arg(dir.path());
    })
    .success();

    let out = segmentlog()
        .arg("verify")
        .arg(dir.path())
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    assert!(!text.contains("corrupt:"), "{text}");
    let line = format!(
        "known hole in segment {segment:020}: offsets {K}..{} (1 record)",
        K + 1
    );
    assert!(text.contains(&line), "no {line:?} in\n{text}");
    assert!(text.contains(&format!("at byte {position}")), "{text}");
    assert!(text.contains("[quarantine item 1]"), "{text}");
    assert!(
        text.trim_end()
            .lines()
            .last()
            .unwrap()
            .contains(": clean; 1 record in known holes"),
        "{text}"
    );

    let out = segmentlog()
        .args(["verify", "--json"])
        .arg(dir.path())
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["clean"], true);
    assert_eq!(doc["problems"], Value::Array(vec![]));
    assert_eq!(
        (&doc["holes"], &doc["known_holes"], &doc["cut"]),
        (&1.into(), &1.into(), &0.into())
    );
    let e = &doc["events"][0];
    assert_eq!(
        (&e["kind"], &e["known"], &e["quarantine_id"]),
        (&"hole".into(), &true.into(), &1.into())
    );
}

#[test]
fn dump_prints_a_hole_as_one_line_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let records = build_log(dir.path(), N);
    let (segment, _, _) = corrupt_record(dir.path(), K);
    let out = segmentlog().arg("dump").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, N, "one line per offset");
    let hole = format!("offset={K} hole count=1 segment={segment} reason=");
    assert!(
        lines[K as usize].starts_with(&hole),
        "{}",
        lines[K as usize]
    );
    assert!(lines[K as usize].contains("checksum mismatch"), "{text}");
    for (i, line) in lines.iter().enumerate().filter(|&(i, _)| i as u64 != K) {
        let value = String::from_utf8(records[i].value.clone()).unwrap();
        assert!(line.starts_with(&format!("offset={i} ")), "{line}");
        assert!(line.ends_with(&format!(" text={value}")), "{line}");
    }
    assert_eq!(stderr_of(out.get_output()), "");

    let out = segmentlog()
        .args(["dump", "--format", "json"])
        .arg(dir.path())
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    let hole: Value = serde_json::from_str(text.lines().nth(K as usize).unwrap()).unwrap();
    assert_eq!(
        (&hole["offset"], &hole["hole"], &hole["count"]),
        (&K.into(), &true.into(), &1.into())
    );
    assert_eq!(text.lines().count() as u64, N);
}

#[test]
fn dump_counts_a_hole_as_one_offset() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    corrupt_record(dir.path(), K);
    let from = (K - 3).to_string();
    let offsets = |count: &str| -> Vec<String> {
        let out = segmentlog()
            .arg("dump")
            .arg(dir.path())
            .args(["--from", &from, "--count", count])
            .assert()
            .success();
        stdout_of(out.get_output())
            .lines()
            .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(offsets("3").len(), 3);
    let four = offsets("4");
    assert_eq!(four.len(), 4);
    assert_eq!(four[3], format!("offset={K} hole"));
    let five = offsets("5");
    assert_eq!(
        five[4].split(' ').next().unwrap(),
        format!("offset={}", K + 1)
    );
}

#[test]
fn tail_prints_a_hole_as_one_line_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    corrupt_record(dir.path(), N - 2);
    let out = segmentlog()
        .arg("tail")
        .arg(dir.path())
        .args(["-n", "3"])
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    let firsts: Vec<String> = text
        .lines()
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(firsts.len(), 3, "{text}");
    assert!(firsts[0].starts_with(&format!("offset={} time=", N - 3)));
    assert_eq!(firsts[1], format!("offset={} hole", N - 2));
    assert!(firsts[2].starts_with(&format!("offset={} time=", N - 1)));
}

#[test]
fn info_of_a_damaged_log_shows_what_it_can_then_reports_until_repaired() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    // The first record of a segment: info reads it for the segment's time range.
    let base = {
        let log = open_reader(dir.path());
        log.segments().unwrap()[2].base_offset
    };
    corrupt_record(dir.path(), base);
    let out = segmentlog().arg("info").arg(dir.path()).assert().code(2);
    let text = stdout_of(out.get_output());
    assert!(
        text.contains(&format!("lowest 0, next {N} ({N} records)")),
        "{text}"
    );
    assert!(text.contains("BASE"), "the segment table is shown: {text}");
    let err = stderr_of(out.get_output());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("segmentlog verify") && err.contains("corrupt"),
        "{err}"
    );

    // Once repair made it a hole (its bytes in the quarantine), info has nothing to complain
    // about: the hole is known, and the quarantine is counted.
    run_unlocked(|c| {
        c.arg("repair").arg(dir.path());
    })
    .success();
    let out = segmentlog().arg("info").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    assert!(text.contains("quarantine:  1 item, "), "{text}");
    assert!(
        text.contains(&format!("lowest 0, next {N} ({N} records)")),
        "{text}"
    );
    let doc = info_json(dir.path());
    assert_eq!(doc["quarantine"]["items"], 1);
    assert_eq!(doc["segments"][2]["first_timestamp_ms"], Value::Null);
}

#[test]
fn info_says_what_an_open_would_recover_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    build_crashed_log(dir.path(), 120);
    let segment = segment_of(dir.path(), 117);
    corrupt_record(dir.path(), 117);
    let before = snapshot(dir.path());

    let out = segmentlog().arg("info").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    assert!(text.contains("shutdown:    not clean"), "{text}");
    assert!(
        text.contains("recovery:    an open now would take at most ")
            && text.contains("0 records into holes, 3 records cut"),
        "{text}"
    );
    let event = format!("torn_tail in segment {segment:020}: offsets 117..120 (3 records)");
    assert!(text.contains(&event), "no {event:?} in\n{text}");
    assert!(text.contains("quarantine:  empty"), "{text}");

    let doc = info_json(dir.path());
    let r = &doc["recovery"];
    assert_eq!(
        (
            &r["would_lose_data"],
            &r["records_cut"],
            &r["records_in_holes"]
        ),
        (&true.into(), &3.into(), &0.into())
    );
    assert_eq!(r["events"][0]["kind"], "torn_tail");
    assert_eq!(doc["quarantine"]["items"], 0);
    assert_eq!(snapshot(dir.path()), before, "info changed a file");
}

/// Base offset of the segment holding `offset` (found by reading the store files' headers).
fn segment_of(dir: &Path, offset: u64) -> u64 {
    let mut bases: Vec<u64> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".store").map(|b| b.parse().unwrap())
        })
        .collect();
    bases.sort_unstable();
    *bases.iter().rev().find(|&&b| b <= offset).unwrap()
}

#[test]
fn repair_makes_a_hole_and_keeps_every_other_record_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let records = build_log(&log_dir, N);
    let (segment, store, position) = corrupt_record(&log_dir, K);
    let damaged = fs::read(log_dir.join(&store)).unwrap();

    let out = run_unlocked(|c| {
        c.arg("repair").arg(&log_dir);
    })
    .success();
    let text = stdout_of(out.get_output());
    for want in [
        format!(
            "hole in segment {segment:020}: offsets {K}..{} (1 record)",
            K + 1
        ),
        format!("at byte {position}: checksum mismatch in record {K} [quarantine item 1]"),
        format!("records kept:       {}, each at its own offset", N - 1),
        format!("records in holes:   1 (offset {K})"),
        "records cut:        0".to_owned(),
        "(quarantine item 1)".to_owned(),
        format!("next offset:        {N} before, {N} after (unchanged)"),
        "checked again:".to_owned(),
    ] {
        assert!(text.contains(&want), "no {want:?} in\n{text}");
    }
    let last = format!(
        "clean; 1 record in known holes (in the quarantine: `segmentlog quarantine list {}`)",
        log_dir.display()
    );
    assert!(text.trim_end().ends_with(&last), "{text}");
    // The repair itself opened the log for writing: its report is on stderr too.
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("recovered it") && err.contains("hole"),
        "{err}"
    );

    // No backup beside the log: the quarantine holds the damaged bytes, exactly.
    let siblings: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(siblings.len(), 1, "repair wrote beside the log");
    let items = quarantine_items(&log_dir);
    assert_eq!(items.len(), 1);
    let bytes = items[0]["bytes"].as_u64().unwrap() as usize;
    let quarantined = fs::read(items[0]["path"].as_str().unwrap()).unwrap();
    assert_eq!(
        quarantined,
        damaged[position as usize..position as usize + bytes]
    );

    let log = open_writer(&log_dir);
    assert_eq!(log.next_offset().unwrap(), N);
    for (o, rec) in records.iter().enumerate() {
        let o = o as u64;
        match log.read(o) {
            Ok(got) => assert_eq!((o != K, &got), (true, rec)),
            Err(Error::Hole { offset, .. }) => assert_eq!((offset, o), (K, K)),
            Err(e) => panic!("offset {o}: {e}"),
        }
    }
    // The log goes on where it was.
    assert_eq!(log.append(b"after repair").unwrap(), N);
    log.close().unwrap();
}

#[test]
fn repair_json_says_the_same() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    corrupt_record(dir.path(), K);
    let out = run_unlocked(|c| {
        c.args(["repair", "--json"]).arg(dir.path());
    })
    .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["dry_run"], false);
    assert_eq!(doc["clean"], true);
    assert_eq!(doc["records_kept"], N - 1);
    assert_eq!(doc["records_in_holes"], 1);
    assert_eq!(doc["hole_offsets"][0]["first_offset"], K);
    assert_eq!(doc["hole_offsets"][0]["end_offset"], K + 1);
    assert_eq!(doc["records_cut"], 0);
    assert_eq!(doc["quarantine_ids"], serde_json::json!([1]));
    assert!(doc["bytes_quarantined"].as_u64().unwrap() > 0);
    assert_eq!(
        (&doc["next_offset_before"], &doc["next_offset_after"]),
        (&N.into(), &N.into())
    );
    assert_eq!(doc["events"][0]["kind"], "hole");
    assert_eq!(doc["verify"]["clean"], true);
    assert_eq!(doc["verify"]["known_holes"], 1);
}

/// Points the index entry of record K somewhere wrong (its store is intact); returns the index
/// path and its bytes before.
fn lie_in_the_index(log_dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let (segment, store, _) = locate(log_dir, K);
    let index = store.with_extension("index");
    let good = fs::read(&index).unwrap();
    let mut bytes = good.clone();
    let at = (32 + 4 * (K - segment)) as usize;
    bytes[at..at + 4].copy_from_slice(&40u32.to_le_bytes());
    fs::write(&index, &bytes).unwrap();
    (index, good)
}

#[test]
fn repair_rewrites_a_lying_index_and_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let records = build_log(&log_dir, N);
    let (index, good) = lie_in_the_index(&log_dir);

    let out = run_unlocked(|c| {
        c.arg("repair").arg(&log_dir);
    })
    .success();
    let text = stdout_of(out.get_output());
    assert!(text.contains("records in holes:   0\n"), "{text}");
    assert!(text.contains("bytes quarantined:  0\n"), "{text}");
    assert!(text.trim_end().ends_with(": clean"), "{text}");
    assert_eq!(fs::read(&index).unwrap(), good, "the index was not rebuilt");
    // An index is a cache: nothing went into the quarantine, nothing to say on stderr.
    assert_eq!(quarantine_items(&log_dir).len(), 0);
    assert_eq!(stderr_of(out.get_output()), "");
    let log = open_writer(&log_dir);
    let all = log.iter(0).collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(all, records);
    log.close().unwrap();
}

/// A lying index entry in a sealed segment (one the O(1) check at open cannot see): verify
/// reports it, repair rebuilds the index and says so.
#[test]
fn verify_and_repair_report_a_lying_index_entry() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    lie_in_the_index(dir.path());
    let out = segmentlog()
        .args(["verify", "--json"])
        .arg(dir.path())
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["problems"][0]["file"], "index");
    run_unlocked(|c| {
        c.arg("repair").arg(dir.path());
    })
    .success()
    .stdout(predicate::str::contains("index_rebuilt in segment"));
}

#[test]
fn repair_of_a_clean_log_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let records = build_log(dir.path(), N);
    let before = snapshot(dir.path());
    run_unlocked(|c| {
        c.args(["repair", "--dry-run"]).arg(dir.path());
    })
    .success()
    .stdout(predicate::str::contains("would change nothing"));
    assert_eq!(snapshot(dir.path()), before);
    run_unlocked(|c| {
        c.arg("repair").arg(dir.path());
    })
    .success()
    .stdout(predicate::str::contains("changed nothing"))
    .stdout(predicate::str::contains(format!(
        "next offset:        {N} before, {N} after (unchanged)"
    )))
    .stderr("");
    assert!(!dir.path().join("quarantine").exists());
    let log = open_writer(dir.path());
    assert_eq!(log.next_offset().unwrap(), N);
    assert_eq!(log.iter(0).collect::<Result<Vec<_>, _>>().unwrap(), records);
    log.close().unwrap();
}

#[test]
fn repair_refuses_while_another_writer_holds_the_log() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    corrupt_record(dir.path(), K);
    let writer = open_writer(dir.path());
    let before = snapshot(dir.path());
    for dry in [false, true] {
        let mut cmd = segmentlog();
        cmd.arg("repair").arg(dir.path());
        if dry {
            cmd.arg("--dry-run");
        }
        let out = cmd.assert().code(2);
        let err = stderr_of(out.get_output());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("refusing to repair") && err.contains("writer lock"),
            "{err}"
        );
        assert_eq!(stdout_of(out.get_output()), "");
    }
    assert_eq!(
        snapshot(dir.path()),
        before,
        "repair changed a file while refusing"
    );
    writer.close().unwrap();
}

#[test]
fn repair_cuts_only_a_torn_tail_left_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    // A writer under sync=never crashed after 120 appends: the newest segment's records were
    // never synced, and record 117 reached the disk damaged. Records 117..120 were never
    // durable: a torn tail, the one thing repair cuts (into the quarantine).
    build_crashed_log(dir.path(), 120);
    let segment = segment_of(dir.path(), 117);
    assert!(segment < 117, "117 should not be the first of its segment");
    corrupt_record(dir.path(), 117);

    let out = segmentlog().arg("verify").arg(dir.path()).assert().code(1);
    let text = stdout_of(out.get_output());
    assert!(
        text.contains(&format!("segment {segment},")) && text.contains("3 records would be cut"),
        "{text}"
    );
    let out = run_unlocked(|c| {
        c.arg("repair").arg(dir.path());
    })
    .success();
    let text = stdout_of(out.get_output());
    for want in [
        format!("torn_tail in segment {segment:020}: offsets 117..120 (3 records)"),
        "records kept:       117,".to_owned(),
        "records in holes:   0\n".to_owned(),
        "records cut:        3\n".to_owned(),
        "(quarantine item 1)".to_owned(),
        "next offset:        120 before, 117 after (back by 3 records: a torn tail was cut)"
            .to_owned(),
    ] {
        assert!(text.contains(&want), "no {want:?} in\n{text}");
    }
    assert!(text.ends_with(": clean\n"), "{text}");
    let items = quarantine_items(dir.path());
    assert_eq!(items.len(), 1);
    assert_eq!(
        (
            &items[0]["kind"],
            &items[0]["first_offset"],
            &items[0]["end_offset"]
        ),
        (&"torn_tail".into(), &117.into(), &120.into())
    );
    let log = open_reader(dir.path());
    assert_eq!(log.next_offset().unwrap(), 117);
    let values: Vec<Vec<u8>> = log.iter(0).map(|r| r.unwrap().value).collect();
    assert_eq!(values, (0..117).map(value).collect::<Vec<_>>());
}

#[test]
fn repair_refuses_the_old_backup_option_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 10);
    let before = snapshot(dir.path());
    let out = segmentlog()
        .arg("repair")
        .arg(dir.path())
        .args(["--backup", "/tmp/somewhere"])
        .assert()
        .code(2);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("--backup is gone") && err.contains("quarantine"),
        "{err}"
    );
    assert_eq!(snapshot(dir.path()), before);
}

/// Issue 13, path 2: a log of 9 segments written by `segmentlog append`, one byte flipped in
/// the middle of segment 3's store (0-based: the fourth, a sealed segment in the middle).
/// `repair --dry-run` changes no file; `repair` removes no intact record: every other offset
/// reads its value, the damaged offset reads as a hole, the next offset does not move, the next
/// append gets it, and the damaged bytes are in the quarantine.
#[test]
fn issue_13_path_2_a_flipped_byte_in_segment_3_of_9_loses_one_record_only() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let n = 470;
    let lines: String = (0..n)
        .map(|i| String::from_utf8(value(i)).unwrap() + "\n")
        .collect();
    segmentlog()
        .arg("append")
        .arg(&log_dir)
        .args(["--max-segment-bytes", &SEGMENT_BYTES.to_string()])
        .write_stdin(lines)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "offsets 0..={} (next offset {n})",
            n - 1
        )));
    let segments = open_reader(&log_dir).segments().unwrap();
    assert_eq!(segments.len(), 9);
    let seg = &segments[3];

    // One byte in the middle of the store; which record holds it?
    let mut store = fs::read(&seg.store_path).unwrap();
    let middle = store.len() / 2;
    let k = (seg.base_offset..seg.next_offset)
        .find(|&o| {
            let (_, _, p) = locate(&log_dir, o);
            let len = segmentlog::format::RECORD_HEADER_LEN as usize + value(o).len();
            (p as usize..p as usize + len).contains(&middle)
        })
        .expect("the middle of a sealed store is inside a record");
    store[middle] ^= 0x01;
    fs::write(&seg.store_path, &store).unwrap();
    let (_, _, position) = locate(&log_dir, k);

    // The dry run says what a repair would do, and changes no file (nor makes any).
    let before = snapshot(&log_dir);
    let out = segmentlog()
        .args(["repair", "--dry-run"])
        .arg(&log_dir)
        .assert()
        .code(1);
    let text = stdout_of(out.get_output());
    for want in [
        "dry run: nothing was changed".to_owned(),
        format!(
            "hole in segment {:020}: offsets {k}..{} (1 record)",
            seg.base_offset,
            k + 1
        ),
        format!("records kept:       {}, ", n - 1),
        format!("records in holes:   1 (offset {k})"),
        "records cut:        0".to_owned(),
        format!("next offset:        {n} before, {n} after (unchanged)"),
    ] {
        assert!(text.contains(&want), "dry run: no {want:?} in\n{text}");
    }
    assert_eq!(
        snapshot(&log_dir),
        before,
        "repair --dry-run changed a file"
    );

    let out = segmentlog().arg("repair").arg(&log_dir).assert().success();
    let text = stdout_of(out.get_output());
    for want in [
        format!("records kept:       {}, ", n - 1),
        format!("records in holes:   1 (offset {k})"),
        "records cut:        0".to_owned(),
        "(quarantine item 1)".to_owned(),
        format!("next offset:        {n} before, {n} after (unchanged)"),
    ] {
        assert!(text.contains(&want), "repair: no {want:?} in\n{text}");
    }

    // 0 intact records removed: every other offset reads its value, k is a hole.
    let log = open_reader(&log_dir);
    assert_eq!(log.next_offset().unwrap(), n);
    assert_eq!(log.lowest_offset().unwrap(), 0);
    for o in 0..n {
        match log.read(o) {
            Ok(rec) => assert!(o != k && rec.value == value(o), "offset {o}"),
            Err(Error::Hole {
                offset, segment, ..
            }) => {
                assert_eq!((o, offset, segment), (k, k, seg.base_offset));
            }
            Err(e) => panic!("offset {o}: {e}"),
        }
    }
    drop(log);

    // The damaged bytes are in the quarantine.
    let items = quarantine_items(&log_dir);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(
        (&item["kind"], &item["segment"], &item["position"]),
        (&"hole".into(), &seg.base_offset.into(), &position.into())
    );
    assert_eq!(
        (&item["first_offset"], &item["end_offset"]),
        (&k.into(), &(k + 1).into())
    );
    let bytes = item["bytes"].as_u64().unwrap() as usize;
    assert!(bytes > 0 && (position as usize..position as usize + bytes).contains(&middle));
    assert_eq!(
        fs::read(item["path"].as_str().unwrap()).unwrap(),
        store[position as usize..position as usize + bytes]
    );

    // The next append gets the old next offset; the clean log opens without a word.
    segmentlog()
        .arg("append")
        .arg(&log_dir)
        .write_stdin("after repair\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "offsets {n}..={n} (next offset {})",
            n + 1
        )))
        .stderr("");
    assert_eq!(
        open_reader(&log_dir).read(n).unwrap().value,
        b"after repair"
    );
    segmentlog().arg("verify").arg(&log_dir).assert().success();
}
