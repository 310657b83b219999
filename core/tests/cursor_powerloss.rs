//! Power loss during cursor commits, on the disk model of `segmentlog::fault::powercut`
//! (see `powerloss.rs` for the model). A workload creates a cursor and commits a few
//! positions from a read-only handle; the power is cut at every file operation in turn, and
//! each disk the cut could leave (durable, torn, sectors in any order; several seeds) must
//! hold the last acknowledged position or the one being committed, never anything else, and
//! no cursor at all only if its creation was never acknowledged.
#![cfg(feature = "fault-injection")]

mod common;
mod faultkit;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use faultkit::*;
use segmentlog::fault::powercut::*;
use segmentlog::fault::{self, Op};
use segmentlog::{CursorStart, ErrorKind, Log, Options};

struct Unhook;
impl Drop for Unhook {
    fn drop(&mut self) {
        fault::set_hook(None);
    }
}

const START: u64 = 2;
const COMMITS: [u64; 4] = [5, 8, 13, 3];

fn read_only() -> Options {
    Options {
        read_only: true,
        ..Options::default()
    }
}

/// A closed log of 20 records, all durable.
fn log_of_20(dir: &std::path::Path) {
    let log = Log::open(dir, Options::default()).unwrap();
    for i in 0..20u64 {
        log.append(&value(i)).unwrap();
    }
    log.close().unwrap();
}

/// What the workload got acknowledged: the position the cursor must hold at least (`None`:
/// not even created), and the one in flight when the power went.
#[derive(Debug, Default)]
struct Acked {
    last: Option<u64>,
    in_flight: Option<u64>,
}

fn workload(dir: &std::path::Path) -> Acked {
    let mut acked = Acked::default();
    let Ok(log) = Log::open(dir, read_only()) else {
        return acked;
    };
    acked.in_flight = Some(START);
    let Ok(c) = log.cursor("c", CursorStart::Offset(START)) else {
        return acked;
    };
    acked.last = Some(START);
    for p in COMMITS {
        acked.in_flight = Some(p);
        if c.commit(p).is_err() {
            return acked;
        }
        acked.last = Some(p);
    }
    acked.in_flight = None;
    acked
}

#[test]
fn a_power_cut_at_any_operation_of_a_cursor_commit_leaves_the_old_or_the_new_position() {
    let _serial = serial();
    let _unhook = Unhook;
    let dry = scratch();
    log_of_20(dry.path());
    let disk = Disk::install_on_durable(dry.path(), 0);
    let acked = workload(dry.path());
    assert_eq!(acked.last, Some(3), "the dry run completes");
    let total = disk.st.lock().ops;
    fault::set_hook(None);
    let (mut images, mut old, mut new, mut absent) = (0u64, 0u64, 0u64, 0u64);
    for cut in 1..=total {
        let dir = scratch();
        log_of_20(dir.path());
        let disk = Disk::install_on_durable(dir.path(), cut);
        let acked = no_panic("workload", || workload(dir.path()));
        fault::set_hook(None);
        let st = std::mem::take(&mut *disk.st.lock());
        assert!(st.off, "cut {cut} of {total}: the power never went off");
        let mut imgs = Vec::new();
        for variant in Variant::ALL {
            for seed in 0..6u64 {
                let img = scratch();
                let seed = 0xC0FF_EE00 ^ (cut << 8) ^ (seed << 2) ^ variant as u64;
                image(&st, variant, seed, img.path());
                imgs.push((format!("{variant:?} image {seed:#x}"), img));
            }
        }
        // The model writes whole sectors; a disk without atomic sector writes may tear one
        // anywhere: the commit's write torn at every byte, as a prefix and as a suffix.
        let name = std::ffi::OsString::from("c.cursor");
        if let (Some(old), Some(new)) = (st.synced.get(&name), st.at_cut.get(&name))
            && st.names.contains(&name)
        {
            let len = old.len().max(new.len());
            let at = |v: &Vec<u8>, i: usize| v.get(i).copied().unwrap_or(0);
            let changed: Vec<usize> = (0..len).filter(|&i| at(old, i) != at(new, i)).collect();
            if let (Some(&first), Some(&last)) = (changed.first(), changed.last()) {
                for k in first..=last + 1 {
                    for prefix in [true, false] {
                        let img = scratch();
                        image(&st, Variant::Durable, 0, img.path());
                        let torn: Vec<u8> = (0..len)
                            .map(|i| {
                                if (i < k) == prefix {
                                    at(new, i)
                                } else {
                                    at(old, i)
                                }
                            })
                            .collect();
                        std::fs::write(img.path().join(&name), torn).unwrap();
                        let how = if prefix { "prefix" } else { "suffix" };
                        imgs.push((format!("write torn at byte {k} ({how} written)"), img));
                    }
                }
            }
        }
        for (what, img) in imgs {
            {
                let case = format!("power cut at operation {cut} of {total}, {what} ({acked:?})");
                let log = Log::open(img.path(), read_only())
                    .unwrap_or_else(|e| panic!("{case}: the log does not open: {e}"));
                match log.open_cursor("c") {
                    Ok(c) => {
                        let got = c.position().unwrap().committed;
                        assert!(
                            Some(got) == acked.last || Some(got) == acked.in_flight,
                            "{case}: the cursor holds {got}"
                        );
                        if Some(got) == acked.last {
                            old += 1;
                        } else {
                            new += 1;
                        }
                        // It commits on after the cut.
                        c.commit(7).unwrap();
                        assert_eq!(
                            log.open_cursor("c").unwrap().position().unwrap().committed,
                            7
                        );
                    }
                    Err(e) => {
                        assert_eq!(e.kind(), ErrorKind::NotFound, "{case}: {e}");
                        assert_eq!(acked.last, None, "{case}: an acknowledged cursor is gone");
                        absent += 1;
                        // A creation cut short is created over.
                        let c = log.cursor("c", CursorStart::Offset(1)).unwrap();
                        assert_eq!(c.position().unwrap().committed, 1, "{case}");
                    }
                }
                images += 1;
            }
        }
    }
    eprintln!(
        "cursor power loss: {total} cut points, {images} disk images: {old} held the last \
         acknowledged position, {new} the one in flight, {absent} no cursor (creation not \
         acknowledged), 0 anything else"
    );
}

/// A commit is one write and one `fdatasync`, and nothing else that touches the disk.
#[test]
fn a_commit_costs_one_fdatasync() {
    let _serial = serial();
    let _unhook = Unhook;
    let dir = scratch();
    log_of_20(dir.path());
    let log = Log::open(dir.path(), read_only()).unwrap();
    let c = log.cursor("c", CursorStart::Lowest).unwrap();
    let ops = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let seen = ops.clone();
    let syncs = Arc::new(AtomicU64::new(0));
    let s = syncs.clone();
    fault::set_hook(Some(Arc::new(move |op: Op, _: &std::path::Path| {
        seen.lock().push(op);
        if matches!(op, Op::SyncData | Op::SyncAll | Op::SyncDir) {
            s.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    })));
    for p in 1..=10 {
        c.commit(p).unwrap();
    }
    fault::set_hook(None);
    assert_eq!(syncs.load(Ordering::Relaxed), 10, "{:?}", ops.lock());
    assert!(
        ops.lock()
            .iter()
            .all(|op| matches!(op, Op::Write | Op::SyncData)),
        "{:?}",
        ops.lock()
    );
}
