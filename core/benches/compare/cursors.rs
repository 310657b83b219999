//! Cursor commits (one `fdatasync` each) beside what a consumer writes by hand without them:
//! the offset into a temporary file, `fsync`, `rename` over the old one, `fsync` of the
//! directory. Each contender commits for a fixed time, one commit after another.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use segmentlog::{CursorStart, Log, Options};

use crate::harness::{Bench, OPS, Target, rate};
use crate::{Config, scratch, settle};

/// Records in the log the cursor moves over.
const RECORDS: u64 = 1000;

fn ours(secs: Duration) -> (u64, Duration) {
    let dir = scratch();
    let log = Log::open(dir.path(), Options::default()).expect("open");
    for _ in 0..RECORDS {
        log.append(b"x").expect("append");
    }
    let cursor = log.cursor("bench", CursorStart::Lowest).expect("cursor");
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < secs {
        cursor.commit(n % (RECORDS + 1)).expect("commit");
        n += 1;
    }
    let elapsed = t.elapsed();
    log.close().expect("close");
    (n, elapsed)
}

/// The hand-written way: write a temporary file, fsync it, rename it over the offset file,
/// fsync the directory.
fn by_hand(secs: Duration) -> (u64, Duration) {
    let dir = scratch();
    let (tmp, path) = (dir.path().join("offset.tmp"), dir.path().join("offset"));
    let commit = |offset: u64| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .expect("tmp");
        f.write_all(&offset.to_le_bytes()).expect("write");
        f.sync_all().expect("fsync");
        std::fs::rename(&tmp, &path).expect("rename");
        sync_dir(dir.path());
    };
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < secs {
        commit(n);
        n += 1;
    }
    (n, t.elapsed())
}

fn sync_dir(dir: &Path) {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .expect("fsync dir");
}

pub fn run(cfg: &Config, b: &mut Bench) {
    println!("== cursor commits (durable), one after another");
    for _ in 0..cfg.runs {
        settle();
        let (n, d) = by_hand(cfg.sync_time);
        b.sample(
            "cursor commit: by hand (write tmp, fsync, rename, fsync dir)",
            OPS,
            rate(n, d),
        );
        settle();
        let (n, d) = ours(cfg.sync_time);
        b.sample("cursor commit: segmentlog", OPS, rate(n, d));
    }
    b.ratio(
        "cursor commit: segmentlog / by hand",
        "cursor commit: segmentlog",
        "cursor commit: by hand (write tmp, fsync, rename, fsync dir)",
        Some(Target::AtLeast(1.0)),
    );
    b.show();
}
