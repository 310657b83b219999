//! A power-loss disk model for tests of anything built on the log (cargo feature
//! `fault-injection`). A hook records what the disk under one log directory would hold after a
//! power cut at any moment:
//! - a file's bytes are durable as of its last `fdatasync`/`fsync` (a snapshot taken there);
//! - a directory entry (a file created or removed) is durable as of the last `fsync` of the
//!   directory;
//! - everything else (pages written through the map, new files, removals, trims) may be lost.
//!
//! The power is cut at the K-th file operation ([`Disk::install`]) or by hand
//! ([`Disk::cut`]); from then on every operation fails with `EIO`. [`image`] then writes a
//! disk the cut could have left into a new directory, in one of three [`Variant`]s. The model
//! assumes what disks guarantee and file systems rely on: a 512-byte sector is written whole
//! or not at all, and `fsync` means what POSIX says. Only files directly in the directory are
//! modelled (the quarantine below it is not).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{Op, set_hook};

/// xorshift64*: the image's choices, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// What the model knows of the disk.
#[derive(Debug, Default)]
pub struct DiskState {
    /// Operations seen so far.
    pub ops: u64,
    /// Cut the power at this operation (never if 0).
    pub cut_at: u64,
    /// The power is off: every operation fails.
    pub off: bool,
    /// Content of each file as of its last sync.
    pub synced: BTreeMap<OsString, Vec<u8>>,
    /// Directory entries as of the last directory sync.
    pub names: BTreeSet<OsString>,
    /// What each file held in the page cache at the moment of the cut.
    pub at_cut: BTreeMap<OsString, Vec<u8>>,
    /// Syncs of this file fail (EIO) and reach nothing: the process dies before they run.
    pub refuse_sync_of: Option<OsString>,
    /// Every sync fails (EIO) and reaches nothing.
    pub refuse_syncs: bool,
    /// The power (or the process: see [`Disk::install_continuing`]) goes the moment this file
    /// is about to be synced.
    pub cut_on_sync_of: Option<OsString>,
    /// Renames since the last directory sync: (to, from, the durable bytes `to` had before).
    /// Until the directory is synced, a power cut may leave either name as it was.
    pub renames: Vec<(OsString, OsString, Vec<u8>)>,
}

/// The model of the disk under one directory, installed as the fault hook.
#[derive(Debug)]
pub struct Disk {
    /// The directory modelled.
    pub dir: PathBuf,
    /// What is known of it.
    pub st: Mutex<DiskState>,
}

/// The files directly in `dir` and what they hold now (the page cache's view).
pub fn listing(dir: &Path) -> BTreeMap<OsString, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
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

    /// Installs the model on `dir`, a copy of another modelled directory taken while the
    /// process that wrote it was killed: the disk holds what `before` says was durable, the
    /// files hold what the killed process left in the page cache.
    pub fn install_continuing(dir: &Path, before: &DiskState) -> Arc<Disk> {
        let disk = Disk::install(dir, 0);
        {
            let mut st = disk.st.lock();
            st.synced = before.synced.clone();
            st.names = before.names.clone();
        }
        disk
    }

    /// Installs the model on `dir` (as the process-wide fault hook), to cut the power at the
    /// `cut_at`-th file operation under it (never if 0).
    pub fn install(dir: &Path, cut_at: u64) -> Arc<Disk> {
        let disk = Arc::new(Disk {
            dir: dir.to_owned(),
            st: Mutex::new(DiskState {
                cut_at,
                ..DiskState::default()
            }),
        });
        let d = disk.clone();
        set_hook(Some(Arc::new(move |op: Op, path: &Path| d.on(op, path))));
        let d = disk.clone();
        super::set_rename_hook(Some(Arc::new(move |from: &Path, to: &Path| {
            d.on_rename(from, to)
        })));
        disk
    }

    /// Cuts the power now: what the files hold is what the cut finds.
    pub fn cut(&self) {
        let mut st = self.st.lock();
        st.off = true;
        st.at_cut = listing(&self.dir);
    }

    /// `from` was renamed over `to`: `to` now names the renamed file, whose durable bytes are
    /// those synced under `from` (the rename itself is durable once the directory is synced).
    fn on_rename(&self, from: &Path, to: &Path) {
        if !to.starts_with(&self.dir) {
            return;
        }
        let (Some(f), Some(t)) = (from.file_name(), to.file_name()) else {
            return;
        };
        let mut st = self.st.lock();
        let before = st.synced.get(t).cloned().unwrap_or_default();
        let moved = st.synced.remove(f).unwrap_or_default();
        st.synced.insert(t.to_owned(), moved);
        st.renames.push((t.to_owned(), f.to_owned(), before));
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
        let sync = matches!(op, Op::SyncData | Op::SyncAll);
        if st.ops == st.cut_at || (sync && st.cut_on_sync_of.as_deref() == path.file_name()) {
            st.off = true;
            st.at_cut = listing(&self.dir);
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        if matches!(op, Op::SyncData | Op::SyncAll | Op::SyncDir)
            && (st.refuse_syncs || st.refuse_sync_of.as_deref() == path.file_name())
        {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        match op {
            Op::SyncData | Op::SyncAll => {
                let Some(name) = path.file_name().map(|n| n.to_owned()) else {
                    return Ok(());
                };
                let bytes = std::fs::read(path).unwrap_or_default();
                st.synced.insert(name, bytes);
            }
            Op::SyncDir => {
                st.names = listing(&self.dir).into_keys().collect();
                st.renames.clear();
            }
            _ => {}
        }
        Ok(())
    }
}

/// Which disk a power cut may leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Exactly the synced state.
    Durable,
    /// Each file keeps a random prefix, in whole sectors, of what was written since its last
    /// sync; entries created or removed since the last directory sync may or may not be there.
    Torn,
    /// Every sector of every file independently old or new (write-back in any order), with a
    /// random length between the old and the new.
    Sectors,
}

impl Variant {
    /// The three variants.
    pub const ALL: [Variant; 3] = [Variant::Durable, Variant::Torn, Variant::Sectors];
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

/// Writes the disk as it could be after the cut into `out` (choices drawn from `seed`).
pub fn image(st: &DiskState, variant: Variant, seed: u64, out: &Path) {
    let rng = &mut Rng(seed | 1);
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
    // A rename not yet made durable by a directory sync: the name holds the old file
    // (exactly its durable bytes), or the new one (as any file).
    let mut undone: BTreeMap<OsString, Vec<u8>> = BTreeMap::new();
    for (to, from, before) in &st.renames {
        if variant == Variant::Durable || rng.coin() {
            undone.insert(to.clone(), before.clone());
            names.remove(from);
        }
    }
    for n in names {
        if let Some(bytes) = undone.get(&n) {
            std::fs::write(out.join(&n), bytes).expect("writing a disk image");
            continue;
        }
        let old = st.synced.get(&n).map(Vec::as_slice).unwrap_or(&[]);
        let bytes = match st.at_cut.get(&n) {
            Some(new) => mix(old, new, variant, rng),
            None => old.to_vec(),
        };
        std::fs::write(out.join(n), bytes).expect("writing a disk image");
    }
}
