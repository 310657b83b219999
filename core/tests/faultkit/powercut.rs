//! The power-loss disk model shared by the power-loss tests (see `core/tests/powerloss.rs`
//! for what it assumes): a hook records what a disk would hold after a power cut at any
//! moment, and `image` builds such a disk in a new directory.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commitlog::fault::{self, Op};
use parking_lot::Mutex;

use crate::common::Rng;

#[derive(Debug, Default)]
pub struct DiskState {
    /// Operations seen so far.
    pub ops: u64,
    /// Cut the power at this operation (never if 0).
    pub cut_at: u64,
    pub off: bool,
    /// Content of each file as of its last sync.
    pub synced: BTreeMap<OsString, Vec<u8>>,
    /// Directory entries as of the last directory sync.
    pub names: BTreeSet<OsString>,
    /// What each file held in the page cache at the moment of the cut.
    pub at_cut: BTreeMap<OsString, Vec<u8>>,
    /// Syncs of this file fail (EIO) and reach nothing: the process dies before they run.
    pub refuse_sync_of: Option<OsString>,
}

#[derive(Debug)]
pub struct Disk {
    pub dir: PathBuf,
    pub st: Mutex<DiskState>,
}

pub fn listing(dir: &Path) -> BTreeMap<OsString, Vec<u8>> {
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
    /// Installs the model on a directory whose files are all durable already (a log closed
    /// before the hook was there).
    pub fn install_on_durable(dir: &Path, cut_at: u64) -> Arc<Disk> {
        let disk = Disk::install(dir, cut_at);
        {
            let mut st = disk.st.lock();
            st.synced = listing(dir);
            st.names = st.synced.keys().cloned().collect();
        }
        disk
    }

    pub fn install(dir: &Path, cut_at: u64) -> Arc<Disk> {
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
        if matches!(op, Op::SyncData | Op::SyncAll)
            && st.refuse_sync_of.as_deref() == path.file_name()
        {
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
pub enum Variant {
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
pub fn image(st: &DiskState, variant: Variant, rng: &mut Rng, out: &Path) {
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
