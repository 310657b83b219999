//! `info`, `dump`, `tail` (without -f), `--help` and error handling of the binary.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn info_shows_offsets_segments_versions_and_clean_state() {
    let dir = tempfile::tempdir().unwrap();
    let records = build_log(dir.path(), 300);
    let log = open_reader(dir.path());
    let segments = log.segments().unwrap();
    assert!(segments.len() >= 3, "want several segments");
    drop(log);

    let out = segmentlog().arg("info").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    assert!(
        text.contains(&format!(
            "format:      version {}",
            segmentlog::FORMAT_VERSION
        )),
        "{text}"
    );
    assert!(
        text.contains("compression: none; no compressed batch"),
        "{text}"
    );
    assert!(text.contains("shutdown:    clean"), "{text}");
    assert!(text.contains("recovery:    none needed"), "{text}");
    assert!(text.contains("quarantine:  empty"), "{text}");
    assert!(text.contains("lowest 0, next 300 (300 records)"), "{text}");
    assert!(
        text.contains(&format!("{} segments", segments.len())),
        "{text}"
    );
    let first = records[0].timestamp;
    assert!(text.contains(&format!("({first} ms)")), "{text}");
    // One table row per segment, starting with its base and next offset.
    for s in &segments {
        let row = format!("{:<4}  {:<4}  ", s.base_offset, s.next_offset);
        assert!(
            text.lines().any(|l| l.starts_with(&row)),
            "no row {row:?} in\n{text}"
        );
    }
    assert!(text.trim_end().ends_with("newest"), "{text}");

    let doc = info_json(dir.path());
    assert_eq!(doc["clean_shutdown"], true);
    assert_eq!(doc["next_offset"], 300);
    assert_eq!(doc["records"], 300);
    let segs = doc["segments"].as_array().unwrap();
    assert_eq!(segs.len(), segments.len());
    let sum: u64 = segs.iter().map(|s| s["records"].as_u64().unwrap()).sum();
    assert_eq!(sum, 300);
    assert_eq!(
        segs.last().unwrap()["last_timestamp_ms"],
        records[299].timestamp
    );
    assert!(
        segs.iter()
            .all(|s| s["format_version"] == segmentlog::FORMAT_VERSION)
    );
    assert_eq!(doc["recovery"]["would_lose_data"], false);
    assert_eq!(doc["recovery"]["events"], Value::Array(vec![]));
    assert_eq!(doc["quarantine"]["items"], 0);
    assert_eq!(doc["quarantine"]["bytes"], 0);
    let newest: Vec<bool> = segs
        .iter()
        .map(|s| s["newest"].as_bool().unwrap())
        .collect();
    assert_eq!(newest.iter().filter(|&&n| n).count(), 1);
    assert!(newest.last().unwrap());
}

#[test]
fn info_of_a_log_left_open_by_a_writer_is_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 50);
    let writer = open_writer(dir.path());
    writer.append(b"one more").unwrap();
    segmentlog()
        .arg("info")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("shutdown:    not clean"))
        .stdout(predicate::str::contains("next 51 (51 records)"));
    writer.close().unwrap();
}

#[test]
fn dump_prints_the_asked_records_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let records = build_log(dir.path(), 200);

    let out = segmentlog()
        .arg("dump")
        .arg(dir.path())
        .args(["--from", "150", "--count", "3"])
        .assert()
        .success();
    let expected: String = records[150..153]
        .iter()
        .map(|r| {
            format!(
                "offset={} time={} ms={} len={} text={}\n",
                r.offset,
                iso(r.timestamp),
                r.timestamp,
                r.value.len(),
                String::from_utf8(r.value.clone()).unwrap()
            )
        })
        .collect();
    assert_eq!(stdout_of(out.get_output()), expected);

    let out = segmentlog()
        .arg("dump")
        .arg(dir.path())
        .args(["--format", "json"])
        .assert()
        .success();
    let lines: Vec<Value> = stdout_of(out.get_output())
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 200);
    for (line, rec) in lines.iter().zip(&records) {
        assert_eq!(line["offset"], rec.offset);
        assert_eq!(line["timestamp_ms"], rec.timestamp);
        assert_eq!(line["encoding"], "utf8");
        assert_eq!(line["value"].as_str().unwrap().as_bytes(), rec.value);
    }

    segmentlog()
        .arg("dump")
        .arg(dir.path())
        .args(["--from", "0", "--count", "1", "--format", "hex"])
        .assert()
        .success()
        .stdout(predicate::str::ends_with(format!(
            " hex={}\n",
            records[0]
                .value
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )));
}

#[test]
fn dump_shows_binary_values_as_hex() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_writer(dir.path());
    log.append(b"\x00\xffbinary").unwrap();
    log.append(b"line\nbreak").unwrap();
    log.append("unicodé ✓".as_bytes()).unwrap();
    log.close().unwrap();
    let out = segmentlog().arg("dump").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    let values: Vec<&str> = text
        .lines()
        .map(|l| l.split_once(" len=").unwrap().1)
        .collect();
    assert_eq!(
        values,
        [
            "8 hex=00ff62696e617279",
            "10 hex=6c696e650a627265616b",
            "12 text=unicodé ✓"
        ]
    );
}

#[test]
fn dump_out_of_range_is_one_error_line_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 100);
    let out = segmentlog()
        .arg("dump")
        .arg(dir.path())
        .args(["--from", "500"])
        .assert()
        .code(2)
        .stdout("");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("offset 500 is out of range"), "{err}");
}

#[test]
fn tail_prints_the_last_records() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 120);
    let out = segmentlog()
        .arg("tail")
        .arg(dir.path())
        .args(["-n", "3"])
        .assert()
        .success();
    let offsets: Vec<String> = stdout_of(out.get_output())
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(offsets, ["offset=117", "offset=118", "offset=119"]);
    // Asking for more than there are prints them all.
    let out = segmentlog()
        .arg("tail")
        .arg(dir.path())
        .args(["-n", "1000"])
        .assert()
        .success();
    assert_eq!(stdout_of(out.get_output()).lines().count(), 120);
}

// A shell pipeline; Windows ends a write into a closed pipe with ERROR_NO_DATA instead.
#[cfg(unix)]
#[test]
fn dump_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 3000);
    // `segmentlog dump | head -1`: head exits after one line; dump must not complain.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' dump '{}' | head -n 1",
            assert_cmd::cargo::cargo_bin("segmentlog").display(),
            dir.path().display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout_of(&out).lines().count(), 1);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in [
        "info",
        "dump",
        "verify",
        "tail",
        "append",
        "repair",
        "quarantine",
        "quarantine list",
        "quarantine show",
        "quarantine purge",
    ] {
        let words: Vec<&str> = cmd.split(' ').collect();
        let out = segmentlog().args(&words).arg("--help").assert().success();
        let help = stdout_of(out.get_output());
        assert!(
            help.contains(&format!("Usage: segmentlog {cmd} ")),
            "{help}"
        );
        let (_, example) = help.split_once("\nExample:\n").expect("an Example section");
        assert!(
            example.contains(&format!("segmentlog {cmd} ")),
            "{cmd}: {example}"
        );
        // -h gives the short form, with the example too.
        let out = segmentlog().args(&words).arg("-h").assert().success();
        assert!(stdout_of(out.get_output()).contains("Example:"));
    }
    // What repair's help promises.
    let out = segmentlog().args(["repair", "--help"]).assert().success();
    let help = stdout_of(out.get_output());
    for want in ["--dry-run", "--json", "quarantine", "no confirmation"] {
        assert!(help.contains(want), "repair --help lacks {want:?}:\n{help}");
    }
    assert!(!help.contains("--backup"), "{help}");
    segmentlog()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
}

#[test]
fn usage_errors_and_missing_logs_exit_2_with_one_line() {
    segmentlog().assert().code(2);
    segmentlog().arg("frobnicate").assert().code(2);
    segmentlog()
        .args(["dump", "x", "--format", "yaml"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    for cmd in [
        "info",
        "dump",
        "verify",
        "tail",
        "repair",
        "quarantine list",
        "quarantine purge --all",
    ] {
        let words: Vec<&str> = cmd.split(' ').collect();
        let mut command = segmentlog();
        command.args(&words[..words.len().min(2)]).arg(&missing);
        command.args(&words[words.len().min(2)..]);
        let out = command.assert().code(2);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{cmd}: {err}");
        assert!(err.starts_with("segmentlog: error: "), "{cmd}: {err}");
        assert!(err.contains("nope"), "{cmd}: {err}");
    }
    assert!(!missing.exists(), "a reading command created the directory");
}

#[test]
fn a_directory_without_a_log_is_refused_not_reported_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a log").unwrap();
    for cmd in [
        &["info"][..],
        &["dump"],
        &["verify"],
        &["tail"],
        &["repair"],
        &["repair", "--dry-run"],
        &["quarantine", "list"],
        &["quarantine", "show", "1"],
        &["quarantine", "purge", "--all"],
    ] {
        let (head, tail) = cmd.split_at(cmd.len().min(if cmd[0] == "quarantine" { 2 } else { 1 }));
        segmentlog()
            .args(head)
            .arg(dir.path())
            .args(tail)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is not a segmentlog directory"));
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"], "a command wrote into the directory");
}

/// RFC 3339 as the CLI prints it, computed independently (chrono).
fn iso(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
