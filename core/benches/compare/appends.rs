//! Appends with `SyncPolicy::Never`: 100 B and 1 KiB values one call each, `append_batch` of
//! 100 and 1000, beside the `BufWriter` ceiling and zowens (single and `MessageBuf` batches).
//!
//! Timed: the appends only (for `BufWriter` its final flush); opening and closing are not.
//! Beside that, for 100 B values, the same appends made durable once at the end: ours with
//! `close()` (which syncs the segment and the directory), `BufWriter` with flush, fdatasync
//! and a directory sync; and ours with `close()` against `BufWriter` with its flush while a
//! thread spins on the other core.

use std::time::{Duration, Instant};

use segmentlog::{Log, Options};

use crate::harness::{Bench, OPS, Target, rate};
use crate::peer::Peer;
use crate::{Config, ceiling, scratch, settle};

/// `n` single appends: (the appends, the appends and the `close()` that makes them durable).
fn ours_single(value: &[u8], n: u64) -> (Duration, Duration) {
    let dir = scratch();
    let log = Log::open(dir.path(), Options::default()).expect("open");
    settle();
    let t = Instant::now();
    for _ in 0..n {
        log.append(value).expect("append");
    }
    let appended = t.elapsed();
    log.close().expect("close");
    (appended, t.elapsed())
}

fn ours_batches(value: &[u8], n: u64, batch: usize) -> Duration {
    let dir = scratch();
    let log = Log::open(dir.path(), Options::default()).expect("open");
    let values = vec![value; batch];
    settle();
    let t = Instant::now();
    for _ in 0..n / batch as u64 {
        log.append_batch(&values).expect("append_batch");
    }
    let elapsed = t.elapsed();
    log.close().expect("close");
    elapsed
}

/// The contenders of a round.
#[derive(Debug, Clone, Copy)]
enum Who {
    Ours,
    BufWriter,
    Zowens,
}

/// `items` rotated left by `round` (round 0: as given): each contender runs first, in the
/// middle and last equally often over the rounds.
fn rotated<const N: usize, T: Copy>(items: [T; N], round: usize) -> [T; N] {
    std::array::from_fn(|i| items[(i + round) % N])
}

/// Runs `f` while a thread spins on another core than this thread's (pinned there): the
/// machine of a user whose other cores are busy. `None` on a single-core machine, and off
/// Linux (no pinning there).
#[cfg(not(target_os = "linux"))]
fn with_other_core_busy<R>(_f: impl FnOnce() -> R) -> Option<R> {
    None
}

/// See above.
#[cfg(target_os = "linux")]
fn with_other_core_busy<R>(f: impl FnOnce() -> R) -> Option<R> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        return None;
    }
    // SAFETY: sched_getcpu takes no arguments.
    let here = unsafe { libc::sched_getcpu() }.max(0) as usize;
    let other = (here + 1) % cores;
    let spinning = Arc::new(AtomicBool::new(true));
    let spinner = {
        let spinning = spinning.clone();
        std::thread::spawn(move || {
            // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes inside it, and
            // sched_setaffinity(0, ..) reads it for this thread only.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(other, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            }
            while spinning.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        })
    };
    let out = f();
    spinning.store(false, Ordering::Relaxed);
    spinner.join().expect("spinner");
    Some(out)
}

fn bufwriter(value: &[u8], n: u64) -> Duration {
    let dir = scratch();
    settle();
    ceiling::append(&dir.path().join("ceiling"), value, n)
}

pub fn run(cfg: &Config, b: &mut Bench, peer: &mut Peer) {
    println!("== appends, sync=never");
    let v100 = vec![0x5au8; 100];
    let v1k = vec![0x5au8; 1024];
    let (n, n1k, np) = (cfg.records, cfg.records_1k, cfg.peer_records);
    // Which contender runs first changes what it measures (what ran just before warms or
    // cools caches, the prefault thread, CPU frequency): the order rotates every round, and
    // each round prints it.
    for round in 0..cfg.runs {
        let order = rotated([Who::Ours, Who::BufWriter, Who::Zowens], round);
        println!("  round {}: {order:?} first to last", round + 1);
        for who in order {
            match who {
                Who::Ours => {
                    let (appended, closed) = ours_single(&v100, n);
                    b.sample("append 100 B: segmentlog", OPS, rate(n, appended));
                    b.sample(
                        "append 100 B, then durable: segmentlog + close",
                        OPS,
                        rate(n, closed),
                    );
                    b.sample(
                        "append 1 KiB: segmentlog",
                        OPS,
                        rate(n1k, ours_single(&v1k, n1k).0),
                    );
                }
                Who::BufWriter => {
                    b.sample("append 100 B: BufWriter", OPS, rate(n, bufwriter(&v100, n)));
                    let dir = scratch();
                    settle();
                    b.sample(
                        "append 100 B, then durable: BufWriter + fdatasync",
                        OPS,
                        rate(
                            n,
                            ceiling::append_durable(&dir.path().join("ceiling"), &v100, n),
                        ),
                    );
                    b.sample(
                        "append 1 KiB: BufWriter",
                        OPS,
                        rate(n1k, bufwriter(&v1k, n1k)),
                    );
                }
                Who::Zowens => {
                    let d = scratch();
                    settle();
                    b.sample(
                        "append 100 B: zowens",
                        OPS,
                        rate(np, peer.append_single(d.path(), 100, np)),
                    );
                    let d = scratch();
                    settle();
                    b.sample(
                        "append 1 KiB: zowens",
                        OPS,
                        rate(np / 4, peer.append_single(d.path(), 1024, np / 4)),
                    );
                }
            }
        }
        // The same appends with the other core busy: ours leans on a second core (the
        // prefault thread), a plain file does not.
        for who in order {
            match who {
                Who::Ours => {
                    if let Some((_, closed)) = with_other_core_busy(|| ours_single(&v100, n)) {
                        b.sample(
                            "append 100 B, other core busy: segmentlog + close",
                            OPS,
                            rate(n, closed),
                        );
                    }
                }
                Who::BufWriter => {
                    if let Some(d) = with_other_core_busy(|| bufwriter(&v100, n)) {
                        b.sample("append 100 B, other core busy: BufWriter", OPS, rate(n, d));
                    }
                }
                Who::Zowens => {}
            }
        }
        for batch in [100usize, 1000] {
            for who in order {
                match who {
                    Who::Ours => b.sample(
                        &format!("append_batch {batch} x 100 B: segmentlog"),
                        OPS,
                        rate(n, ours_batches(&v100, n, batch)),
                    ),
                    // The ceiling again, right beside the batches it is compared with.
                    Who::BufWriter => b.sample(
                        &format!("append 100 B: BufWriter (beside batches of {batch})"),
                        OPS,
                        rate(n, bufwriter(&v100, n)),
                    ),
                    Who::Zowens => {
                        let d = scratch();
                        settle();
                        b.sample(
                            &format!("append_batch {batch} x 100 B: zowens MessageBuf"),
                            OPS,
                            rate(n, peer.append_batches(d.path(), 100, n, batch)),
                        );
                    }
                }
            }
        }
    }
    let ours = "append 100 B: segmentlog";
    b.ratio(
        "append 100 B: segmentlog / BufWriter",
        ours,
        "append 100 B: BufWriter",
        Some(Target::AtLeast(0.7)),
    );
    b.ratio(
        "append 100 B: segmentlog + close / BufWriter + flush",
        "append 100 B, then durable: segmentlog + close",
        "append 100 B: BufWriter",
        Some(Target::AtLeast(0.9)),
    );
    b.ratio(
        "append 100 B, other core busy: segmentlog + close / BufWriter + flush",
        "append 100 B, other core busy: segmentlog + close",
        "append 100 B, other core busy: BufWriter",
        Some(Target::AtLeast(0.7)),
    );
    b.ratio(
        "append 100 B made durable: segmentlog + close / BufWriter + fdatasync",
        "append 100 B, then durable: segmentlog + close",
        "append 100 B, then durable: BufWriter + fdatasync",
        None,
    );
    b.ratio(
        "append 100 B: segmentlog / zowens single",
        ours,
        "append 100 B: zowens",
        Some(Target::AtLeast(8.0)),
    );
    b.ratio(
        "append 1 KiB: segmentlog / BufWriter",
        "append 1 KiB: segmentlog",
        "append 1 KiB: BufWriter",
        None,
    );
    b.ratio(
        "append 1 KiB: segmentlog / zowens single",
        "append 1 KiB: segmentlog",
        "append 1 KiB: zowens",
        None,
    );
    for batch in [100, 1000] {
        let ours = format!("append_batch {batch} x 100 B: segmentlog");
        b.ratio(
            &format!("append_batch {batch}: segmentlog / BufWriter"),
            &ours,
            &format!("append 100 B: BufWriter (beside batches of {batch})"),
            Some(Target::AtLeast(0.9)),
        );
        b.ratio(
            &format!("append_batch {batch}: segmentlog / zowens MessageBuf"),
            &ours,
            &format!("append_batch {batch} x 100 B: zowens MessageBuf"),
            None,
        );
    }
    b.show();
}
