//! `verify`, `repair` and `dump` on damaged logs.

mod common;

use std::fs;

use common::*;
use predicates::prelude::*;
use serde_json::Value;

const N: u64 = 300;
const K: u64 = 170;

#[test]
fn verify_of_a_clean_log_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    commitlog()
        .arg("verify")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("{N} records")))
        .stdout(predicate::str::ends_with(": clean\n"));
    let out = commitlog()
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

    let out = commitlog().arg("verify").arg(dir.path()).assert().code(1);
    let text = stdout_of(out.get_output());
    let line = format!("corrupt: segment {segment}, file {store}, byte {position} (offset {K}):");
    assert!(text.contains(&line), "no {line:?} in\n{text}");
    assert!(text.contains("would become holes"), "{text}");
    assert!(
        text.contains(&format!("{} records", N - 1)) && text.contains("CORRUPT, 1 problem"),
        "{text}"
    );

    let out = commitlog()
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
    commitlog().arg("repair").arg(dir.path()).assert().success();

    let out = commitlog().arg("verify").arg(dir.path()).assert().success();
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

    let out = commitlog()
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
    let out = commitlog().arg("dump").arg(dir.path()).assert().success();
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

    let out = commitlog()
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
        let out = commitlog()
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
    let out = commitlog()
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
fn info_of_a_damaged_log_shows_what_it_can_then_reports() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    // The first record of a segment: info reads it for the segment's time range.
    let base = {
        let log = open_reader(dir.path());
        log.segments().unwrap()[2].base_offset
    };
    corrupt_record(dir.path(), base);
    let out = commitlog().arg("info").arg(dir.path()).assert().code(2);
    let text = stdout_of(out.get_output());
    assert!(
        text.contains(&format!("lowest 0, next {N} ({N} records)")),
        "{text}"
    );
    assert!(text.contains("BASE"), "the segment table is shown: {text}");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("commitlog verify") && err.contains("corrupt"),
        "{err}"
    );
}

#[test]
fn repair_backs_up_cuts_at_the_damage_and_leaves_a_clean_log() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let records = build_log(&log_dir, N);
    let (_, store, _) = corrupt_record(&log_dir, K);
    let damaged = fs::read(log_dir.join(&store)).unwrap();
    let backup = dir.path().join("saved");

    let out = commitlog()
        .arg("repair")
        .arg(&log_dir)
        .arg("--backup")
        .arg(&backup)
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    assert!(
        text.contains(&format!("removed: offsets {K}..{N} ({} records", N - K)),
        "{text}"
    );
    assert!(text.contains(&backup.display().to_string()), "{text}");
    assert!(text.ends_with(": clean\n"), "{text}");

    // The damaged file is in the backup exactly as it was.
    assert_eq!(fs::read(backup.join(&store)).unwrap(), damaged);
    commitlog().arg("verify").arg(&log_dir).assert().success();
    let log = open_writer(&log_dir);
    assert_eq!(log.next_offset().unwrap(), K);
    let kept = log.iter(0).collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(kept, records[..K as usize]);
    // The log goes on from the cut.
    assert_eq!(log.append(b"after repair").unwrap(), K);
    log.close().unwrap();
}

#[test]
fn repair_rebuilds_a_damaged_index_and_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let records = build_log(&log_dir, N);
    // Point the index entry of record K somewhere wrong; its store is intact.
    let (segment, store, _) = locate(&log_dir, K);
    let index = store.with_extension("index");
    let mut bytes = fs::read(&index).unwrap();
    let at = (32 + 4 * (K - segment)) as usize;
    bytes[at..at + 4].copy_from_slice(&40u32.to_le_bytes());
    fs::write(&index, &bytes).unwrap();

    let out = commitlog()
        .args(["verify", "--json"])
        .arg(&log_dir)
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["problems"][0]["file"], "index");
    assert_eq!(doc["problems"][0]["offset"], K);

    let backup = dir.path().join("saved");
    let out = commitlog()
        .arg("repair")
        .arg(&log_dir)
        .arg("--backup")
        .arg(&backup)
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    assert!(text.contains("rebuilt from their stores: "), "{text}");
    assert!(text.contains("removed: nothing"), "{text}");
    assert_eq!(
        fs::read(backup.join(index.file_name().unwrap())).unwrap(),
        bytes
    );
    commitlog().arg("verify").arg(&log_dir).assert().success();
    let log = open_writer(&log_dir);
    let all = log.iter(0).collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(all, records);
    assert_eq!(log.read(K).unwrap(), records[K as usize]);
    log.close().unwrap();
}

#[test]
fn repair_backs_up_next_to_the_log_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("orders");
    build_log(&log_dir, N);
    corrupt_record(&log_dir, K);
    let out = commitlog().arg("repair").arg(&log_dir).assert().success();
    let backups: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("orders.backup-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(stdout_of(out.get_output()).contains(&backups[0]));
}

#[test]
fn repair_of_a_clean_log_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    commitlog()
        .arg("repair")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to repair"));
    let log = open_writer(dir.path());
    assert_eq!(log.next_offset().unwrap(), N);
    log.close().unwrap();
}

#[test]
fn repair_refuses_while_another_writer_holds_the_log() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    corrupt_record(dir.path(), K);
    let writer = open_writer(dir.path());
    let before = snapshot(dir.path());
    let out = commitlog().arg("repair").arg(dir.path()).assert().code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("refusing to repair") && err.contains("writer lock"),
        "{err}"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "repair changed a file while refusing"
    );
    writer.close().unwrap();
    let siblings = fs::read_dir(dir.path().parent().unwrap()).unwrap();
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        !siblings
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .any(|n| n.starts_with(&format!("{name}.backup-"))),
        "a refused repair made a backup"
    );
}

#[test]
fn repair_cuts_a_torn_tail_left_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), N);
    // A crash mid-append: the last record is cut short and the log was not closed cleanly.
    let (segment, store_path, position) = locate(dir.path(), N - 1);
    let store = fs::read(&store_path).unwrap();
    fs::write(&store_path, &store[..position as usize + 20]).unwrap();
    let _ = fs::remove_file(dir.path().join("CLEAN"));

    let out = commitlog().arg("verify").arg(dir.path()).assert().code(1);
    assert!(
        stdout_of(out.get_output()).contains(&format!("segment {segment},")),
        "{}",
        stdout_of(out.get_output())
    );
    let out = commitlog().arg("repair").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    assert!(text.ends_with(": clean\n"), "{text}");
    let log = open_reader(dir.path());
    assert_eq!(log.next_offset().unwrap(), N - 1);
}
