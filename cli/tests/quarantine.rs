//! `quarantine list|show|purge`, and the recovery report `append` prints on stderr when its
//! open took anything out of the log.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use predicates::prelude::*;
use segmentlog::Error;
use serde_json::Value;

const N: u64 = 300;

/// A closed log of `N` records whose records `damaged` were made holes by `repair` (one
/// quarantine item each, ids 1.. in that order); returns each item's segment and bytes as the
/// store holds them.
fn repaired_log(dir: &Path, damaged: &[u64]) -> Vec<(u64, Vec<u8>)> {
    build_log(dir, N);
    let mut spans = Vec::new();
    for &k in damaged {
        let (segment, store, position) = corrupt_record(dir, k);
        spans.push((
            segment,
            dir.join(store),
            position,
            value(k).len() as u64 + 28,
        ));
    }
    run_unlocked(|c| {
        c.arg("repair").arg(dir);
    })
    .success();
    spans
        .into_iter()
        .map(|(segment, store, position, len)| {
            let bytes = fs::read(store).unwrap();
            (
                segment,
                bytes[position as usize..(position + len) as usize].to_vec(),
            )
        })
        .collect()
}

#[test]
fn list_shows_every_item_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (40, 210);
    let damaged = repaired_log(dir.path(), &[a, b]);
    let out = segmentlog()
        .args(["quarantine", "list"])
        .arg(dir.path())
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for col in [
        "ID", "TIME", "KIND", "SEGMENT", "OFFSETS", "BYTES", "FILE", "REASON",
    ] {
        assert!(lines[0].contains(col), "{text}");
    }
    for (line, (id, k)) in lines[1..3].iter().zip([(1, a), (2, b)]) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[0], id.to_string(), "{line}");
        assert!(cells[1].ends_with('Z') && cells[1].contains('T'), "{line}");
        assert_eq!(cells[2], "hole", "{line}");
        assert_eq!(cells[4], k.to_string(), "{line}");
        assert!(
            line.contains(&format!("checksum mismatch in record {k}")),
            "{line}"
        );
    }
    assert!(lines[3].starts_with("2 items, "), "{text}");

    let items = quarantine_items(dir.path());
    assert_eq!(items.len(), 2);
    let segment_of_b = damaged[1].0;
    let item = &items[1];
    assert_eq!(
        (&item["id"], &item["kind"], &item["segment"]),
        (&2.into(), &"hole".into(), &segment_of_b.into())
    );
    assert_eq!(
        (&item["first_offset"], &item["end_offset"]),
        (&b.into(), &(b + 1).into())
    );
    assert!(item["time"].as_str().unwrap().ends_with('Z'));
    assert!(item["time_ms"].as_u64().unwrap() > 1_600_000_000_000);
    let path = Path::new(item["path"].as_str().unwrap());
    assert!(path.starts_with(dir.path().join("quarantine")), "{path:?}");
    assert_eq!(path.file_name().unwrap(), item["file"].as_str().unwrap());
}

#[test]
fn list_of_a_log_without_a_quarantine_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 10);
    segmentlog()
        .args(["quarantine", "list"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("is empty"));
    assert_eq!(quarantine_items(dir.path()), Vec::<Value>::new());
    assert!(!dir.path().join("quarantine").exists());
}

#[test]
fn show_describes_an_item_and_raw_gives_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let k = 123;
    let bytes: Vec<Vec<u8>> = repaired_log(dir.path(), &[k])
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let out = segmentlog()
        .args(["quarantine", "show"])
        .arg(dir.path())
        .arg("1")
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    let path = dir
        .path()
        .join("quarantine")
        .join(quarantine_items(dir.path())[0]["file"].as_str().unwrap());
    for want in [
        "id:        1\n".to_owned(),
        "kind:      hole\n".to_owned(),
        format!("offsets:   {k} (1 record)\n"),
        format!("bytes:     {}\n", bytes[0].len()),
        format!("reason:    checksum mismatch in record {k}\n"),
        format!("file:      {} ({} bytes)\n", path.display(), bytes[0].len()),
    ] {
        assert!(text.contains(&want), "no {want:?} in\n{text}");
    }

    let out = segmentlog()
        .args(["quarantine", "show", "--raw"])
        .arg(dir.path())
        .arg("1")
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, bytes[0]);

    let out = segmentlog()
        .args(["quarantine", "show"])
        .arg(dir.path())
        .arg("7")
        .assert()
        .code(2)
        .stdout("");
    let err = stderr_of(out.get_output());
    assert!(err.contains("holds no item 7"), "{err}");
}

#[test]
fn reading_subcommands_work_while_a_writer_runs_and_purge_refuses() {
    let dir = tempfile::tempdir().unwrap();
    repaired_log(dir.path(), &[50]);
    let writer = open_writer(dir.path());
    writer.append(b"the writer goes on").unwrap();
    assert_eq!(quarantine_items(dir.path()).len(), 1);
    segmentlog()
        .args(["quarantine", "show"])
        .arg(dir.path())
        .arg("1")
        .assert()
        .success();
    let before = snapshot(&dir.path().join("quarantine"));
    for which in [&["--all"][..], &["1"][..]] {
        let out = segmentlog()
            .args(["quarantine", "purge"])
            .arg(dir.path())
            .args(which)
            .assert()
            .code(2)
            .stdout("");
        let err = stderr_of(out.get_output());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("refusing to purge") && err.contains("writer lock"),
            "{err}"
        );
    }
    assert_eq!(snapshot(&dir.path().join("quarantine")), before);
    writer.close().unwrap();
}

#[test]
fn purge_removes_the_named_items_then_all_and_says_how_much() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<Vec<u8>> = repaired_log(dir.path(), &[30, 140, 260])
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let items = quarantine_items(dir.path());
    let path = |i: usize| {
        dir.path()
            .join("quarantine")
            .join(items[i]["file"].as_str().unwrap())
    };

    // Neither --all nor an id, both, or an id it does not hold: refused, nothing purged.
    segmentlog()
        .args(["quarantine", "purge"])
        .arg(dir.path())
        .assert()
        .code(2);
    segmentlog()
        .args(["quarantine", "purge"])
        .arg(dir.path())
        .args(["--all", "1"])
        .assert()
        .code(2);
    segmentlog()
        .args(["quarantine", "purge"])
        .arg(dir.path())
        .args(["2", "9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no item 9"));
    assert_eq!(quarantine_items(dir.path()).len(), 3);

    segmentlog()
        .args(["quarantine", "purge"])
        .arg(dir.path())
        .arg("2")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "purged 1 item ({} bytes) from the quarantine of {}: id 2",
            bytes[1].len(),
            dir.path().display()
        )));
    assert!(!path(1).exists() && path(0).exists() && path(2).exists());
    let left: Vec<u64> = quarantine_items(dir.path())
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(left, [1, 3]);

    segmentlog()
        .args(["quarantine", "purge", "--all"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "purged 2 items ({} bytes) from the quarantine of {}: ids 1, 3",
            bytes[0].len() + bytes[2].len(),
            dir.path().display()
        )));
    assert!(!path(0).exists() && !path(2).exists());
    assert_eq!(quarantine_items(dir.path()).len(), 0);
    segmentlog()
        .args(["quarantine", "purge", "--all"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing purged"));

    // A hole stays a hole once its item is gone; every other record is still there.
    let log = open_reader(dir.path());
    assert_eq!(log.next_offset().unwrap(), N);
    assert!(matches!(
        log.read(140),
        Err(Error::Hole { offset: 140, .. })
    ));
    assert_eq!(log.read(141).unwrap().value, value(141));
}

#[test]
fn append_prints_the_recovery_report_on_stderr_when_its_open_cut_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    // A crash under sync=never, record 117 of 120 damaged on disk: never durable, so the open
    // cuts 117..120 (into the quarantine) and the append gets offset 117.
    build_crashed_log(dir.path(), 120);
    corrupt_record(dir.path(), 117);
    let out = segmentlog()
        .arg("append")
        .arg(dir.path())
        .write_stdin("after the crash\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "offsets 117..=117 (next offset 118)",
        ));
    let err = stderr_of(out.get_output());
    for want in [
        format!(
            "segmentlog: opening {} recovered it: ",
            dir.path().display()
        ),
        "recovered after a crash".to_owned(),
        "3 cut".to_owned(),
        "torn_tail in segment".to_owned(),
        "offsets 117..120 (3 records)".to_owned(),
        "[quarantine item 1]".to_owned(),
        "nothing was deleted".to_owned(),
        "segmentlog quarantine list".to_owned(),
    ] {
        assert!(err.contains(&want), "no {want:?} in\n{err}");
    }
    assert_eq!(quarantine_items(dir.path())[0]["kind"], "torn_tail");

    // Opened again (closed cleanly now): nothing to report.
    segmentlog()
        .arg("append")
        .arg(dir.path())
        .write_stdin("again\n")
        .assert()
        .success()
        .stderr("");
}

#[test]
fn append_prints_the_recovery_report_on_stderr_when_its_open_made_a_hole() {
    let dir = tempfile::tempdir().unwrap();
    // Closed cleanly (every record durable), then a crash-like restart: no CLEAN marker, and a
    // record of the newest segment damaged. It was durable: a hole, and the next offset stays.
    build_log(dir.path(), N);
    fs::remove_file(dir.path().join("CLEAN")).unwrap();
    let k = N - 5;
    corrupt_record(dir.path(), k);
    let out = run_unlocked(|c| {
        c.arg("append")
            .arg(dir.path())
            .write_stdin("after the hole\n");
    })
    .success()
    .stdout(predicate::str::contains(format!("offsets {N}..={N}")));
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("recovered it") && err.contains("1 in holes"),
        "{err}"
    );
    assert!(
        err.contains("hole in segment") && err.contains(&format!("offsets {k}..")),
        "{err}"
    );
    let log = open_reader(dir.path());
    assert!(matches!(log.read(k), Err(Error::Hole { .. })));
    assert_eq!(log.read(N).unwrap().value, b"after the hole");
}

#[test]
fn append_to_a_clean_log_says_nothing_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 20);
    run_unlocked(|c| {
        c.arg("append").arg(dir.path()).write_stdin("x\n");
    })
    .success()
    .stderr("");
}

#[test]
fn a_purged_hole_stays_known_and_is_not_quarantined_again() {
    let dir = tempfile::tempdir().unwrap();
    repaired_log(dir.path(), &[77]);
    segmentlog()
        .args(["quarantine", "purge", "--all"])
        .arg(dir.path())
        .assert()
        .success();
    // The index still marks the hole: verify finds nothing new to do...
    segmentlog()
        .arg("verify")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("known hole"));
    // ...and repair copies nothing into the quarantine again.
    run_unlocked(|c| {
        c.arg("repair").arg(dir.path());
    })
    .success();
    assert_eq!(quarantine_items(dir.path()).len(), 0);
    let log = open_reader(dir.path());
    assert!(matches!(log.read(77), Err(Error::Hole { offset: 77, .. })));
}
