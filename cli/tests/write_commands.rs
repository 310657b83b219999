//! `append`, and `tail -f` against a concurrent appender.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use predicates::prelude::*;

fn values(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let log = open_reader(dir);
    let lowest = log.lowest_offset().unwrap();
    log.iter(lowest).map(|r| r.unwrap().value).collect()
}

#[test]
fn append_makes_each_stdin_line_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("new-log");
    segmentlog()
        .arg("append")
        .arg(&log_dir)
        .write_stdin("first\nsecond\r\n\nlast without newline")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("appended 4 records")
                .and(predicate::str::contains("offsets 0..=3")),
        );
    assert_eq!(
        values(&log_dir),
        [&b"first"[..], b"second", b"", b"last without newline"]
    );
    segmentlog()
        .arg("append")
        .arg(&log_dir)
        .write_stdin("\u{0}bin\u{ff}\n")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("appended 1 record ")
                .and(predicate::str::contains("offsets 4..=4")),
        );
    assert_eq!(values(&log_dir)[4], "\u{0}bin\u{ff}".as_bytes());
    segmentlog()
        .arg("append")
        .arg(&log_dir)
        .write_stdin("")
        .assert()
        .success()
        .stdout(predicate::str::contains("appended nothing"));
}

#[test]
fn append_makes_each_file_one_record_and_rolls_segments() {
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("log");
    let mut files = Vec::new();
    let mut expected = Vec::new();
    for i in 0..20u8 {
        let content: Vec<u8> = (0..1000u32).map(|j| (j as u8).wrapping_mul(i)).collect();
        let path = dir.path().join(format!("f{i}.bin"));
        std::fs::write(&path, &content).unwrap();
        files.push(path);
        expected.push(content);
    }
    segmentlog()
        .arg("append")
        .arg(&log_dir)
        .args(["--max-segment-bytes", "4096"])
        .args(&files)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("appended 20 records")
                .and(predicate::str::contains("offsets 0..=19")),
        );
    assert_eq!(values(&log_dir), expected);
    let log = open_reader(&log_dir);
    assert!(
        log.segments().unwrap().len() >= 5,
        "4 KiB segments hold 3 of these"
    );
}

#[test]
fn append_with_a_missing_or_oversized_file_appends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 10);
    let good = tempfile::NamedTempFile::new().unwrap();
    let out = segmentlog()
        .arg("append")
        .arg(dir.path())
        .arg(good.path())
        .arg("/definitely/missing/file")
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("/definitely/missing/file"), "{err}");
    assert_eq!(values(dir.path()).len(), 10);

    // A file too large for one record is refused before anything is appended, too.
    let big = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(big.path(), vec![7u8; 5000]).unwrap();
    let out = segmentlog()
        .arg("append")
        .arg(dir.path())
        .args(["--max-segment-bytes", "4096"])
        .arg(good.path())
        .arg(big.path())
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("5000 bytes") && err.contains("nothing was appended"),
        "{err}"
    );
    assert_eq!(values(dir.path()).len(), 10);
}

#[test]
fn append_to_a_log_another_writer_holds_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let writer = open_writer(dir.path());
    segmentlog()
        .arg("append")
        .arg(dir.path())
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("locked"));
    writer.close().unwrap();
}

/// A `tail -f` child whose stdout lines arrive on a channel.
struct Follower {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Follower {
    fn start(dir: &std::path::Path, n: u64) -> Follower {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("segmentlog"))
            .arg("tail")
            .arg("-f")
            .args(["-n", &n.to_string()])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Follower { child, lines }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("tail -f printed no line within 20 s")
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn offset_of(line: &str) -> u64 {
    line.strip_prefix("offset=")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn tail_follow_prints_records_another_process_appends() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 100);
    // The test process is the writer; the CLI reads the same directory read-only.
    let writer = open_writer(dir.path());
    let follower = Follower::start(dir.path(), 2);
    assert_eq!(offset_of(&follower.next_line()), 98);
    assert_eq!(offset_of(&follower.next_line()), 99);

    // Appends trickle in, crossing segment boundaries.
    for i in 100..160 {
        writer.append(&value(i)).unwrap();
        if i % 20 == 0 {
            thread::sleep(Duration::from_millis(50));
        }
    }
    for i in 100..160 {
        let line = follower.next_line();
        assert_eq!(offset_of(&line), i, "{line}");
        let text = String::from_utf8(value(i)).unwrap();
        assert!(line.ends_with(&format!(" text={text}")), "{line}");
    }
    writer.close().unwrap();
}

#[test]
fn tail_follow_exits_quietly_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 10);
    let writer = open_writer(dir.path());
    let mut follower = Follower::start(dir.path(), 1);
    assert_eq!(offset_of(&follower.next_line()), 9);
    // Close the read end of the pipe (as `head -1` would), then give it something to write.
    let Follower { lines, .. } = &mut follower;
    drop(std::mem::replace(lines, mpsc::channel().1));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        writer.append(b"more").unwrap();
        if let Some(status) = follower.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "tail -f kept running with nobody reading"
        );
        thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(follower.child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(err, "");
    writer.close().unwrap();
}

// Unix only: there `tail -f` polls its stdout; Windows has no such poll of a pipe, and a
// closed pipe ends it at its next write.
#[cfg(unix)]
#[test]
fn tail_follow_exits_when_its_reader_goes_away_even_if_nothing_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 10);
    // head exits after the first line; with no further record to write, tail -f must notice
    // the closed pipe by itself, or the pipeline never ends.
    let mut pipeline = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' tail -f -n 3 '{}' | head -n 1",
            assert_cmd::cargo::cargo_bin("segmentlog").display(),
            dir.path().display()
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = pipeline.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = pipeline.kill();
            panic!("tail -f kept running with nobody reading");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let out = pipeline.wait_with_output().unwrap();
    assert!(status.success(), "{status:?} {out:?}");
    assert!(stdout_of(&out).starts_with("offset=7 "), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
