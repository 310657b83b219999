//! Power-loss simulation. A hook (feature `fault-injection`) records what the disk would hold
//! after a power cut at any moment:
//! - a file's bytes are durable as of its last `fdatasync`/`fsync` (a snapshot taken there);
//! - a directory entry (a file created or removed) is durable as of the last `fsync` of the
//!   directory;
//! - everything else — pages written through the map, new files, removals, trims — may be
//!   lost.
//!
//! The workload runs with the power cut at the K-th file operation (every K of a dry run, or
//! a sample), after which every operation fails with EIO. Then a disk image is built in a new
//! directory and opened, in three variants:
//! - `durable`: exactly the durable state (all unsynced writes dropped);
//! - `torn`: each file keeps a random-length prefix of what was written since its last sync
//!   (and a new or removed file's entry may or may not have reached the disk);
//! - `sectors`: each 512-byte sector of each file independently old or new (writeback in any
//!   order), with a random length between the old and the new.
//!
//! Each image must open, hold every acknowledged (synced) value byte-exact, in order, with no
//! hole and nothing that was not appended, and accept appends.
//!
//! `POWERLOSS_CUTS` caps the cut points per sync policy (default 0 = every operation).
#![cfg(feature = "fault-injection")]

mod common;
mod faultkit;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commitlog::fault::{self, Op};
use commitlog::{Log, SyncPolicy, format};
use common::Rng;
use faultkit::*;
use parking_lot::Mutex;

#[derive(Debug, Default)]
struct DiskState {
    /// Operations seen so far.
    ops: u64,
    /// Cut the power at this operation (never if 0).
    cut_at: u64,
    off: bool,
    /// Content of each file as of its last sync.
    synced: BTreeMap<OsString, Vec<u8>>,
    /// Directory entries as of the last directory sync.
    names: BTreeSet<OsString>,
    /// What each file held in the page cache at the moment of the cut.
    at_cut: BTreeMap<OsString, Vec<u8>>,
}

#[derive(Debug)]
struct Disk {
    dir: PathBuf,
    st: Mutex<DiskState>,
}

fn listing(dir: &Path) -> BTreeMap<OsString, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if let Ok(bytes) = std::fs::read(e.path()) {
            m.insert(e.file_name(), bytes);
        }
    }
    m
}

impl Disk {
    fn install(dir: &Path, cut_at: u64) -> Arc<Disk> {
        let disk = Arc::new(Disk {
            dir: dir.to_owned(),
            st: Mutex::new(DiskState {
                cut_at,
                ..DiskState::default()
            }),
        });
        let d = disk.clone();
        fault::set_hook(Some(Arc::new(move |op: Op, path: &Path| d.on(op, path))));
        disk
    }

    fn on(&self, op: Op, path: &Path) -> io::Result<()> {
        if !path.starts_with(&self.dir) {
            return Ok(());
        }
        let mut st = self.st.lock();
        if st.off {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        st.ops += 1;
        if st.ops == st.cut_at {
            st.off = true;
            st.at_cut = listing(&self.dir);
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        match op {
            Op::SyncData | Op::SyncAll => {
                let name = path.file_name().unwrap().to_owned();
                let bytes = std::fs::read(path).unwrap_or_default();
                st.synced.insert(name, bytes);
            }
            Op::SyncDir => {
                st.names = std::fs::read_dir(&self.dir)
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect();
            }
            _ => {}
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Durable,
    Torn,
    Sectors,
}

fn byte(v: &[u8], i: usize) -> u8 {
    v.get(i).copied().unwrap_or(0)
}

/// Mixes a file's synced bytes (`old`) with its page-cache bytes (`new`) as the variant says.
fn mix(old: &[u8], new: &[u8], variant: Variant, rng: &mut Rng) -> Vec<u8> {
    let (lo, hi) = (old.len().min(new.len()), old.len().max(new.len()));
    let len = lo + rng.below((hi - lo + 1) as u64) as usize;
    match variant {
        Variant::Durable => old.to_vec(),
        Variant::Torn => {
            let cut = (rng.below(len as u64 / 512 + 1) * 512) as usize;
            (0..len)
                .map(|i| if i < cut { byte(new, i) } else { byte(old, i) })
                .collect()
        }
        Variant::Sectors => {
            let sectors = len.div_ceil(512);
            let pick: Vec<bool> = (0..sectors).map(|_| rng.coin()).collect();
            (0..len)
                .map(|i| {
                    if pick[i / 512] {
                        byte(new, i)
                    } else {
                        byte(old, i)
                    }
                })
                .collect()
        }
    }
}

/// Writes the disk as it could be after the cut into `out`.
fn image(st: &DiskState, variant: Variant, rng: &mut Rng, out: &Path) {
    let mut names: BTreeSet<OsString> = st.names.clone();
    if variant != Variant::Durable {
        // Entries created or removed since the last directory sync may or may not be there.
        for n in st.at_cut.keys() {
            if !st.names.contains(n) && rng.coin() {
                names.insert(n.clone());
            }
        }
        for n in &st.names {
            if !st.at_cut.contains_key(n) && rng.coin() {
                names.remove(n);
            }
        }
    }
    for n in names {
        let old = st.synced.get(&n).map(Vec::as_slice).unwrap_or(&[]);
        let bytes = match st.at_cut.get(&n) {
            Some(new) => mix(old, new, variant, rng),
            None => old.to_vec(),
        };
        std::fs::write(out.join(n), bytes).unwrap();
    }
}

const STEPS: u64 = 40;

fn cuts() -> u64 {
    std::env::var("POWERLOSS_CUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn power_loss(sync: SyncPolicy) {
    let _serial = serial();
    struct Unhook;
    impl Drop for Unhook {
        fn drop(&mut self) {
            fault::set_hook(None);
        }
    }
    let _unhook = Unhook;
    let dry = scratch();
    let disk = Disk::install(dry.path(), 0);
    let h = no_panic("dry run", || workload(dry.path(), sync, STEPS, |_, _| {}));
    assert_eq!(h.errors, 0);
    let total = disk.st.lock().ops;
    let max = cuts();
    let points: Vec<u64> = if max == 0 || total <= max {
        (1..=total).collect()
    } else {
        (0..max).map(|i| 1 + i * (total - 1) / (max - 1)).collect()
    };
    let (mut images, mut verified, mut durable, mut unreached) = (0u64, 0u64, 0u64, 0u64);
    for &cut in &points {
        let dir = scratch();
        let disk = Disk::install(dir.path(), cut);
        let h = no_panic("workload", || workload(dir.path(), sync, STEPS, |_, _| {}));
        fault::set_hook(None);
        let st = std::mem::take(&mut *disk.st.lock());
        if !st.off {
            // Under sync=never the seal thread races the workload, and the count of file
            // operations varies by a few from run to run: a cut past this run's end is none.
            assert!(
                cut + 8 > total,
                "cut {cut} of {total}: the power never went off"
            );
            unreached += 1;
            continue;
        }
        for variant in [Variant::Durable, Variant::Torn, Variant::Sectors] {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (cut << 8) ^ variant as u64);
            let case =
                format!("sync={sync:?} power cut at operation {cut} of {total}, {variant:?} image");
            let img = scratch();
            image(&st, variant, &mut rng, img.path());
            let got = no_panic(&case, || contents(img.path(), options(sync)))
                .unwrap_or_else(|e| panic!("{case}: the log does not open after power loss: {e}"));
            check_prefix(&case, &h, &got, false);
            let log = Log::open(img.path(), options(sync)).unwrap();
            let next = log.next_offset().unwrap();
            assert_eq!(log.append(b"after power loss").unwrap(), next, "{case}");
            log.close().unwrap();
            images += 1;
            verified += got.len() as u64;
            durable += (0..h.durable)
                .filter(|&i| h.attempted[i].1 == Fate::Ok)
                .count() as u64;
        }
    }
    eprintln!(
        "power-loss sync={sync:?}: {} cut points of {total} operations, {images} disk images opened, \
         {durable} acknowledged records required, {verified} records verified, 0 lost, 0 wrong bytes \
         ({unreached} cut points past the end of their run)",
        points.len()
    );
}

#[test]
fn power_loss_loses_no_synced_record_sync_always() {
    power_loss(SyncPolicy::Always);
}

#[test]
fn power_loss_loses_no_synced_record_sync_never() {
    power_loss(SyncPolicy::Never);
}

/// A power cut during `truncate_back(k)` — even one that cuts into a batch — may leave the log
/// as it was or cut at `k`, but never loses a record below `k`: those were acknowledged.
#[test]
fn power_loss_during_truncate_back_keeps_the_records_below_the_cut() {
    let _serial = serial();
    let mut images = 0;
    let mut failures = Vec::new();
    let mut straddled = 0;
    let opts = commitlog::Options {
        max_segment_bytes: 64 * 1024,
        ..options(SyncPolicy::Always)
    };
    for k in 1..40u64 {
        let dir = scratch();
        let disk = Disk::install(dir.path(), 0);
        let log = Log::open(dir.path(), opts.clone()).unwrap();
        // Records of ~200 bytes: a batch spans several sectors.
        let values: Vec<Vec<u8>> = (0..40u64).map(|i| value(i * 7 + 3)).collect();
        for batch in values.chunks(8) {
            log.append_batch(batch).unwrap();
        }
        assert_eq!(
            log.segments().unwrap().len(),
            1,
            "one segment: the cut rewrites it"
        );
        {
            let mut st = disk.st.lock();
            st.cut_at = st.ops + 1;
        }
        let r = log.truncate_back(k);
        assert!(r.is_err(), "k={k}: the power went off during truncate_back");
        drop(log);
        fault::set_hook(None);
        let st = std::mem::take(&mut *disk.st.lock());
        assert!(st.off);
        // Does the header of record k-1 (rewritten by the cut) straddle two sectors?
        let prev_pos: u64 = format::STORE_HEADER_LEN
            + values[..k as usize - 1]
                .iter()
                .map(|v| format::RECORD_HEADER_LEN + v.len() as u64)
                .sum::<u64>();
        let straddles = prev_pos / 512 != (prev_pos + format::RECORD_HEADER_LEN - 1) / 512;
        for variant in [Variant::Durable, Variant::Torn, Variant::Sectors] {
            for seed in 0..8u64 {
                let mut rng = Rng(0x51ED_2701 ^ (k << 16) ^ (seed << 4) ^ variant as u64);
                let case =
                    format!("truncate_back({k}) cut by power loss, {variant:?} image {seed}");
                let img = scratch();
                image(&st, variant, &mut rng, img.path());
                let got = no_panic(&case, || contents(img.path(), opts.clone()))
                    .unwrap_or_else(|e| panic!("{case}: does not open: {e}"));
                let ok = got.len() as u64 >= k && got[..] == values[..got.len()];
                if !ok && variant == Variant::Sectors && straddles {
                    // Known limit (docs/RELIABILITY.md): the cut rewrites this header's flags
                    // and checksum in place, and here they lie in two different sectors.
                    straddled += 1;
                    assert!(got[..] == values[..got.len()], "{case}: wrong records");
                } else if !ok {
                    failures.push(format!(
                        "{case}: the log holds {} records, not a prefix of at least {k}",
                        got.len()
                    ));
                }
                images += 1;
            }
        }
    }
    fault::set_hook(None);
    assert!(
        failures.is_empty(),
        "{} of {images} images lost records:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "power loss during truncate_back: {images} disk images, 0 records below the cut lost \
         ({straddled} images lost the cut's batch where the rewritten header straddles two \
         sectors: known limit)"
    );
}
