//! Readers in other processes against a writer that changes everything under them (issue 14,
//! items 2 to 4): for `CHURN_SECONDS` (default 30) a writer process appends singles and
//! batches to 4 KiB segments, so it rolls all the time, with retention on, and now and then
//! cuts its log back (`truncate_back`) and appends again, as a Raft follower does. Two
//! read-only reader processes and `segmentlog tail -f` follow it.
//!
//! Every value says which offset and which generation (one per cut) it was written for, so a
//! reader can tell a right record from a wrong one. The promise checked:
//! - no reader ever gets a wrong byte, a panic, or an error other than "out of range" (which
//!   is what retention passing it, or a cut below it, is; the reader goes on from the lowest
//!   or the next offset);
//! - `segmentlog tail -f` keeps running, and prints only right records;
//! - when the writer stops, both readers converge on exactly the log it left.
//!
//! Children are this test binary run again with `CHURN_ROLE` set; their output goes to files.
//! `CHURN_KEEP=1` keeps the directory (its path is printed).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use segmentlog::{Error, Log, Options};

fn seconds() -> u64 {
    std::env::var("CHURN_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

/// The value written at `offset` in generation `generation`.
fn value(offset: u64, generation: u64) -> Vec<u8> {
    let mut v = format!("o={offset} g={generation} ").into_bytes();
    let len = (offset.wrapping_mul(2654435761) ^ generation) % 280;
    v.extend((0..len).map(|i| b'a' + ((offset ^ generation.wrapping_mul(31) ^ i) % 26) as u8));
    v
}

/// The generation a value was written in, if the value is right for `offset`.
fn check(offset: u64, v: &[u8]) -> Result<u64, String> {
    let text = String::from_utf8_lossy(&v[..v.len().min(64)]).into_owned();
    let mut words = text.split(' ');
    let o = words
        .next()
        .and_then(|w| w.strip_prefix("o=")?.parse::<u64>().ok());
    let g = words
        .next()
        .and_then(|w| w.strip_prefix("g=")?.parse::<u64>().ok());
    match (o, g) {
        (Some(o), Some(g)) if o == offset && value(o, g) == v => Ok(g),
        _ => Err(format!("wrong bytes at offset {offset}: {text:?}")),
    }
}

fn options(read_only: bool) -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        retention_bytes: Some(64 * 1024),
        read_only,
        ..Options::default()
    }
}

/// The writer: churns for `seconds`, then writes the final log (offset and generation of
/// every record) to `done` and closes.
fn writer(dir: &Path, seconds: u64, done: &Path) {
    let log = Log::open(dir, options(false)).expect("writer open");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut generation = 0u64;
    let mut cuts = 0;
    while Instant::now() < deadline {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let next = log.next_offset().unwrap();
        match x % 100 {
            0..=69 => {
                log.append(&value(next, generation)).unwrap();
            }
            70..=94 => {
                let n = 1 + x % 8;
                let values: Vec<Vec<u8>> = (next..next + n).map(|o| value(o, generation)).collect();
                log.append_batch(&values).unwrap();
            }
            _ => {
                let lowest = log.lowest_offset().unwrap();
                let back = (x >> 8) % 20;
                if next - lowest > back + 1 {
                    generation += 1;
                    cuts += 1;
                    log.truncate_back(next - back).unwrap();
                }
            }
        }
    }
    let (lowest, next) = (log.lowest_offset().unwrap(), log.next_offset().unwrap());
    let mut out = String::new();
    for r in log.iter(lowest) {
        let r = r.unwrap();
        out.push_str(&format!(
            "{} {}\n",
            r.offset,
            check(r.offset, &r.value).unwrap()
        ));
    }
    log.close().unwrap();
    let tmp = done.with_extension("tmp");
    fs::write(&tmp, format!("{lowest} {next} {cuts}\n{out}")).unwrap();
    fs::rename(&tmp, done).unwrap();
}

/// A reader: follows the log until the writer is done and it holds exactly the writer's final
/// log; writes what it saw to `report` ("ok ..." or the first failure).
fn reader(dir: &Path, done: &Path, report: &Path) {
    let outcome = std::panic::catch_unwind(|| follow(dir, done));
    let line = match outcome {
        Ok(Ok(summary)) => format!("ok {summary}"),
        Ok(Err(e)) => format!("FAILED {e}"),
        Err(p) => format!(
            "FAILED panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        ),
    };
    fs::write(report, line).unwrap();
}

fn follow(dir: &Path, done: &Path) -> Result<String, String> {
    let log = Log::open(dir, options(true)).map_err(|e| format!("open: {e}"))?;
    let mut pos = log.lowest_offset().map_err(|e| e.to_string())?;
    let mut it = log.iter(pos);
    let (mut seen, mut passed, mut restarts) = (0u64, 0u64, 0u64);
    let mut finished_at: Option<Instant> = None;
    loop {
        match it.next_timeout(Some(Duration::from_millis(50))) {
            Ok(Some(r)) => {
                check(r.offset, &r.value)?;
                pos = r.offset + 1;
                seen += 1;
            }
            Ok(None) => {
                if !done.exists() {
                    continue;
                }
                let since = *finished_at.get_or_insert_with(Instant::now);
                if converged(&log, done)? {
                    return Ok(format!(
                        "seen={seen} passed_by_retention={passed} restarts_after_cuts={restarts}"
                    ));
                }
                if since.elapsed() > Duration::from_secs(20) {
                    let view = (log.lowest_offset(), log.next_offset());
                    let head = fs::read_to_string(done).unwrap_or_default();
                    return Err(format!(
                        "did not converge on the writer's final log in 20 s: the reader sees \
                         {view:?}, the writer left {:?}",
                        head.lines().next()
                    ));
                }
            }
            Err(Error::OutOfRange { lowest, next, .. }) => {
                // Retention passed us (below lowest), or a cut left us past the end.
                if pos < lowest {
                    passed += 1;
                    pos = lowest;
                } else {
                    restarts += 1;
                    pos = next;
                }
                it = log.iter(pos);
            }
            Err(e) => return Err(format!("false error at offset {pos}: {e}")),
        }
    }
}

/// Whether the reader's view is exactly the writer's final log.
fn converged(log: &Log, done: &Path) -> Result<bool, String> {
    let text = fs::read_to_string(done).map_err(|e| e.to_string())?;
    let mut lines = text.lines();
    let head: Vec<u64> = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .filter_map(|w| w.parse().ok())
        .collect();
    let (lowest, next) = (head[0], head[1]);
    if log.lowest_offset().map_err(|e| e.to_string())? != lowest
        || log.next_offset().map_err(|e| e.to_string())? != next
    {
        return Ok(false);
    }
    for line in lines {
        let (o, g) = line.split_once(' ').unwrap();
        let (o, g): (u64, u64) = (o.parse().unwrap(), g.parse().unwrap());
        match log.read(o) {
            Ok(r) if check(o, &r.value)? == g => {}
            Ok(_) => return Ok(false),
            Err(e) => return Err(format!("reading {o} at the end: {e}")),
        }
    }
    Ok(true)
}

/// The child roles.
#[test]
fn churn_child() {
    let Ok(role) = std::env::var("CHURN_ROLE") else {
        return;
    };
    let dir = PathBuf::from(std::env::var("CHURN_DIR").unwrap());
    let done = PathBuf::from(std::env::var("CHURN_DONE").unwrap());
    match role.as_str() {
        "writer" => writer(&dir, seconds(), &done),
        _ => reader(
            &dir,
            &done,
            &PathBuf::from(std::env::var("CHURN_REPORT").unwrap()),
        ),
    }
}

fn spawn(role: &str, dir: &Path, done: &Path, out: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["churn_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("CHURN_ROLE", role)
        .env("CHURN_DIR", dir)
        .env("CHURN_DONE", done)
        .env("CHURN_REPORT", out)
        .stdout(Stdio::from(
            fs::File::create(out.with_extension("stdout")).unwrap(),
        ))
        .stderr(Stdio::from(
            fs::File::create(out.with_extension("stderr")).unwrap(),
        ))
        .spawn()
        .unwrap()
}

/// Threads that only spin, until dropped.
struct Hogs {
    spinning: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Hogs {
    fn start(n: usize) -> Hogs {
        let spinning = Arc::new(AtomicBool::new(true));
        let threads = (0..n)
            .map(|_| {
                let spinning = spinning.clone();
                std::thread::spawn(move || {
                    while spinning.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Hogs { spinning, threads }
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        self.spinning.store(false, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn wait(child: &mut Child, what: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{what} exited with {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn readers_and_tail_follow_a_rolling_retaining_truncating_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, _removed_at_end) = if std::env::var("CHURN_KEEP").is_ok() {
        let kept = tmp.keep();
        eprintln!("keeping {}", kept.display());
        (kept, None)
    } else {
        (tmp.path().to_path_buf(), Some(tmp))
    };
    let dir = root.join("log");
    let done = root.join("final");
    // The log exists before anyone follows it.
    drop(Log::open(&dir, options(false)).unwrap());
    let mut writer = spawn("writer", &dir, &done, &root.join("writer"));
    // Readers preempted anywhere, as on a loaded machine: two threads that only spin keep
    // both cores busy while the writer runs, so that a reader's view goes stale in the middle
    // of being taken (a race that cost a false hole once, seen only under load).
    let hogs = Hogs::start(2);
    std::thread::sleep(Duration::from_millis(200));
    let reports: Vec<PathBuf> = (0..2).map(|i| root.join(format!("reader{i}"))).collect();
    let mut readers: Vec<Child> = reports
        .iter()
        .map(|r| spawn("reader", &dir, &done, r))
        .collect();
    let tail_out = root.join("tail.out");
    let tail_err = root.join("tail.err");
    let mut tail = Command::new(assert_cmd::cargo::cargo_bin("segmentlog"))
        .args(["tail", "-f", "-n", "5"])
        .arg(&dir)
        .stdout(Stdio::from(fs::File::create(&tail_out).unwrap()))
        .stderr(Stdio::from(fs::File::create(&tail_err).unwrap()))
        .spawn()
        .unwrap();

    wait(
        &mut writer,
        "the writer",
        Duration::from_secs(seconds() + 60),
    );
    drop(hogs);
    for (r, report) in readers.iter_mut().zip(&reports) {
        wait(r, "a reader", Duration::from_secs(60));
        let line = fs::read_to_string(report).unwrap();
        assert!(line.starts_with("ok "), "{}: {line}", report.display());
        eprintln!("{}: {line}", report.file_name().unwrap().to_string_lossy());
    }
    // tail -f is still following.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        tail.try_wait().unwrap().is_none(),
        "segmentlog tail -f stopped: {}",
        fs::read_to_string(&tail_err).unwrap()
    );
    tail.kill().unwrap();
    let _ = tail.wait();
    // Only notes that it followed on after a cut or retention (no error, no panic).
    let err = fs::read_to_string(&tail_err).unwrap();
    for line in err.lines() {
        assert!(
            line.contains("following from offset"),
            "tail -f said on stderr: {line}"
        );
    }
    let out = fs::read_to_string(&tail_out).unwrap();
    let mut lines = 0;
    for line in out.lines() {
        // offset=N time=... ms=... len=... text=o=N g=G ...
        let offset: u64 = line
            .split(' ')
            .find_map(|w| w.strip_prefix("offset=")?.parse().ok())
            .unwrap_or_else(|| panic!("tail -f printed {line:?}"));
        let text = line.split_once("text=").map(|(_, t)| t).unwrap_or_default();
        assert!(
            text.starts_with(&format!("o={offset} ")),
            "tail -f printed a wrong record: {line:?}"
        );
        lines += 1;
    }
    let head = fs::read_to_string(&done).unwrap();
    eprintln!(
        "writer {}s: final log (lowest next cuts) {}; tail -f printed {lines} records",
        seconds(),
        head.lines().next().unwrap_or_default()
    );
    assert!(lines > 100, "tail -f printed only {lines} records");
}
