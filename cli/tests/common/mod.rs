//! Helpers shared by the CLI tests: build logs with core, find and damage records, run the
//! binary.
#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use segmentlog::format::{self, FileKind};
use std::time::{Duration, Instant};

use segmentlog::{Error, Log, Options, Record};

/// Small segments, so a few hundred records span several of them.
pub const SEGMENT_BYTES: u64 = 4096;

pub fn options() -> Options {
    Options {
        max_segment_bytes: SEGMENT_BYTES,
        ..Options::default()
    }
}

/// Opens `dir` for writing. Retries briefly on `Locked`: a test process spawns children from
/// parallel test threads, and a child inherits the lock file's descriptor for the moment
/// between fork and exec, so a lock this process just released can still look held.
pub fn open_writer(dir: &Path) -> Log {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Log::open(dir, options()) {
            Err(Error::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other.unwrap(),
        }
    }
}

/// Opens `dir` read-only, beside any writer.
pub fn open_reader(dir: &Path) -> Log {
    Log::open(
        dir,
        Options {
            read_only: true,
            ..options()
        },
    )
    .unwrap()
}

/// The value of record `i` in the logs the tests build.
pub fn value(i: u64) -> Vec<u8> {
    format!("record-{i:04} some payload to fill segments").into_bytes()
}

/// Builds a closed log of `n` records `value(0..n)` (about 50 a segment); returns them as
/// read back.
pub fn build_log(dir: &Path, n: u64) -> Vec<Record> {
    let log = open_writer(dir);
    for i in 0..n {
        assert_eq!(log.append(&value(i)).unwrap(), i);
    }
    let records = log.iter(0).collect::<Result<Vec<_>, _>>().unwrap();
    log.close().unwrap();
    records
}

/// The `segmentlog` binary, started directly (`Command::cargo_bin` would put cargo's target
/// runner in front, which a test running under wine cannot start; an aarch64 binary under
/// qemu starts through binfmt_misc either way).
pub fn segmentlog() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("segmentlog"))
}

/// Runs a `segmentlog` command that takes the writer lock (repair, append, quarantine purge),
/// again while it is refused for the lock, for up to 10 s: for the moment between fork and
/// exec, a child another test thread spawns holds this process's lock files too (see
/// `open_writer`), so a log this process just closed can look held. Tests of the refusal
/// itself run the command once.
pub fn run_unlocked(setup: impl Fn(&mut Command)) -> assert_cmd::assert::Assert {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut command = segmentlog();
        setup(&mut command);
        let assert = command.assert();
        let out = assert.get_output();
        let err = String::from_utf8_lossy(&out.stderr);
        let locked = out.status.code() == Some(2)
            && (err.contains("holds its writer lock") || err.contains("locked by another writer"));
        if !locked || Instant::now() >= deadline {
            return assert;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Where record `offset` lives: (segment base, store path, byte position of its header).
pub fn locate(dir: &Path, offset: u64) -> (u64, PathBuf, u64) {
    let log = Log::open(
        dir,
        Options {
            read_only: true,
            ..options()
        },
    )
    .unwrap();
    let seg = log
        .segments()
        .unwrap()
        .into_iter()
        .find(|s| (s.base_offset..s.next_offset).contains(&offset))
        .expect("offset is in the log");
    drop(log);
    let index = fs::read(&seg.index_path).unwrap();
    let at =
        (format::INDEX_HEADER_LEN + format::INDEX_ENTRY_LEN * (offset - seg.base_offset)) as usize;
    let position = u64::from(u32::from_le_bytes(index[at..at + 4].try_into().unwrap()));
    // Cross-check with the store itself: the header there names the same offset.
    let store = fs::read(&seg.store_path).unwrap();
    let header = format::decode_record_header(&store[position as usize..]).unwrap();
    assert_eq!(header.offset, offset);
    (seg.base_offset, seg.store_path, position)
}

/// Flips one byte inside the value of record `offset`; returns (segment base, store file
/// name, byte position of the record).
pub fn corrupt_record(dir: &Path, offset: u64) -> (u64, String, u64) {
    let (base, store, position) = locate(dir, offset);
    let mut bytes = fs::read(&store).unwrap();
    bytes[(position + format::RECORD_HEADER_LEN + 3) as usize] ^= 0x40;
    fs::write(&store, bytes).unwrap();
    (base, format::file_name(base, FileKind::Store), position)
}

/// Every file and directory under `dir` (recursively, so the quarantine too), with each
/// file's content and length, to prove a command changed nothing.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.push((p.clone(), None));
                todo.push(p);
            } else {
                let bytes = fs::read(&p).unwrap();
                out.push((p, Some(bytes)));
            }
        }
    }
    out.sort();
    out
}

/// Copies the files of a log directory a writer still has open, as a crash would leave them
/// (no clean-shutdown marker, the newest store untrimmed), without the lock file.
pub fn copy_as_crashed(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_name() != "LOCK" && e.path().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A log left by a crash of a writer under `sync = never` that had appended `n` records
/// `value(0..n)` (none synced but by segment rolls): the files as they were, in `dir`.
pub fn build_crashed_log(dir: &Path, n: u64) {
    let live = tempfile::tempdir().unwrap();
    let log = Log::open(
        live.path(),
        Options {
            sync: segmentlog::SyncPolicy::Never,
            ..options()
        },
    )
    .unwrap();
    for i in 0..n {
        assert_eq!(log.append(&value(i)).unwrap(), i);
    }
    copy_as_crashed(live.path(), dir);
    drop(log);
}

/// The stderr of a finished command as text.
pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The quarantine of `dir` as `segmentlog quarantine list --json` gives it.
pub fn quarantine_items(dir: &Path) -> Vec<serde_json::Value> {
    let out = segmentlog()
        .args(["quarantine", "list", "--json"])
        .arg(dir)
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    doc["items"].as_array().unwrap().clone()
}

/// The stdout of a finished command as text.
pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// `segmentlog info --json DIR`, which must succeed, parsed.
pub fn info_json(dir: &Path) -> serde_json::Value {
    let out = segmentlog()
        .args(["info", "--json"])
        .arg(dir)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}
