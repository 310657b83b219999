//! A cursor's file, `DIR/<name>.cursor`: two slots that take turns (docs/FORMAT.md, "Cursor
//! files", repeats this table; `core/tests/golden.rs` keeps them equal). A slot (48 bytes):
//!
//! | offset | size | field     | meaning                                                     |
//! |-------:|-----:|-----------|-------------------------------------------------------------|
//! |      0 |    8 | magic     | `SLCURSOR`                                                  |
//! |      8 |    4 | version   | 1                                                           |
//! |     12 |    4 | reserved  | 0                                                           |
//! |     16 |    8 | seq       | commits so far, this one included (creation is 1; never 0)  |
//! |     24 |    8 | position  | the offset of the next record to process                    |
//! |     32 |    8 | time_ms   | when it was committed (ms since the Unix epoch)             |
//! |     40 |    4 | crc       | CRC32C of bytes 0..40                                       |
//! |     44 |    4 | zero      | 0                                                           |
//!
//! Each slot holds a commit sequence number, the position and a CRC32C. A commit writes the
//! slot that does *not* hold the newest position, then `fdatasync`s: one sync per commit, and
//! a write torn by a crash or a power cut damages only the slot being written, so the other
//! still holds the previous position. The slots lie 512 bytes apart, in sectors of their own,
//! so a torn sector cannot take both.
//!
//! Commits from several handles (processes, or two opens in one process) are serialised by an
//! exclusive advisory lock on the file (`flock` / `LockFileEx`) held from reading the slots to
//! the end of the sync: a commit only starts once the previous one is durable, so the slot it
//! overwrites is never the only durable one. Within one handle a mutex does the same (a
//! `flock` does not exclude threads sharing a descriptor). The last commit wins.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::platform::{FileExt, now_ms};
use crate::recovery::sync_dir;

/// Bytes of one slot.
pub(crate) const SLOT_LEN: usize = 48;
/// Where slot `i` starts: `i * SLOT_STRIDE` (one sector each).
pub(crate) const SLOT_STRIDE: usize = 512;
/// Length of a cursor file.
pub(crate) const FILE_LEN: usize = 2 * SLOT_STRIDE;
/// The first bytes of every valid slot.
pub(crate) const MAGIC: &[u8; 8] = b"SLCURSOR";
/// The slot layout's version.
pub(crate) const VERSION: u32 = 1;
/// The file name's ending.
pub(crate) const SUFFIX: &str = ".cursor";

/// One committed position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// How many commits the cursor has had, this one included (the creation is the first).
    pub seq: u64,
    /// The offset of the next record to process.
    pub position: u64,
    /// When it was committed (ms since the Unix epoch).
    pub time_ms: u64,
}

/// The bytes of a slot: magic, version, reserved, seq, position, time, CRC32C of bytes 0..40,
/// 4 zero bytes.
pub(crate) fn encode_slot(s: &Slot) -> [u8; SLOT_LEN] {
    let mut b = [0u8; SLOT_LEN];
    b[0..8].copy_from_slice(MAGIC);
    b[8..12].copy_from_slice(&VERSION.to_le_bytes());
    b[16..24].copy_from_slice(&s.seq.to_le_bytes());
    b[24..32].copy_from_slice(&s.position.to_le_bytes());
    b[32..40].copy_from_slice(&s.time_ms.to_le_bytes());
    let crc = crc32c::crc32c(&b[0..40]);
    b[40..44].copy_from_slice(&crc.to_le_bytes());
    b
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

/// The slot in `b`, if `b` holds a whole valid one.
pub(crate) fn decode_slot(b: &[u8]) -> Option<Slot> {
    let b = b.get(..SLOT_LEN)?;
    let valid = &b[0..8] == MAGIC
        && u32_at(b, 8) == VERSION
        && u32_at(b, 12) == 0
        && u32_at(b, 40) == crc32c::crc32c(&b[0..40])
        && u64_at(b, 16) > 0;
    valid.then(|| Slot {
        seq: u64_at(b, 16),
        position: u64_at(b, 24),
        time_ms: u64_at(b, 32),
    })
}

/// What a cursor file's bytes hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Contents {
    /// Nothing yet: empty, short of any slot, or all zeros. Only a creation that never
    /// returned (a crash between creating the file and syncing its first slot) leaves this.
    Uninitialized,
    /// The newest valid slot, and its index (0 or 1).
    Valid { slot: Slot, index: usize },
    /// Bytes, but no valid slot: damage.
    Corrupt,
}

/// Reads a cursor file's bytes: the newest valid slot wins.
pub(crate) fn decode_file(bytes: &[u8]) -> Contents {
    let newest = (0..2)
        .filter_map(|i| {
            let slot = decode_slot(bytes.get(i * SLOT_STRIDE..)?)?;
            Some((slot, i))
        })
        .max_by_key(|(slot, i)| (slot.seq, std::cmp::Reverse(*i)));
    match newest {
        Some((slot, index)) => Contents::Valid { slot, index },
        None if bytes.iter().all(|&b| b == 0) => Contents::Uninitialized,
        None => Contents::Corrupt,
    }
}

/// Releases an advisory lock on drop.
struct Held<'a>(&'a File);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// An open cursor file.
#[derive(Debug)]
pub(crate) struct CursorFile {
    file: File,
    path: PathBuf,
    name: String,
    /// Serialises this handle's commits (see the module doc).
    commits: Mutex<()>,
}

impl CursorFile {
    /// Opens the cursor file at `path`; `Ok(None)` if there is none.
    pub(crate) fn open(path: &Path, name: &str) -> Result<Option<CursorFile>> {
        match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => Ok(Some(CursorFile::from(file, path, name))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(
                format!("opening cursor file {}", path.display()),
                e,
            )),
        }
    }

    /// Opens the cursor file at `path`, creating an empty one if there is none (to be
    /// initialised with [`CursorFile::initialize`]).
    pub(crate) fn open_or_create(path: &Path, name: &str) -> Result<CursorFile> {
        fault::check(Op::Create, path)
            .and_then(|_| {
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(path)
            })
            .map(|file| CursorFile::from(file, path, name))
            .context(|| format!("creating cursor file {}", path.display()))
    }

    fn from(file: File, path: &Path, name: &str) -> CursorFile {
        CursorFile {
            file,
            path: path.to_owned(),
            name: name.to_owned(),
            commits: Mutex::new(()),
        }
    }

    fn lock(&self, exclusive: bool) -> Result<Held<'_>> {
        let locked = if exclusive {
            self.file.lock()
        } else {
            self.file.lock_shared()
        };
        locked.context(|| format!("locking cursor file {}", self.path.display()))?;
        Ok(Held(&self.file))
    }

    /// Whether the file was deleted (or replaced) since it was opened.
    pub(crate) fn gone(&self) -> Result<bool> {
        self.file
            .metadata()
            .and_then(|m| crate::platform::file_gone(&self.file, &m, &self.path))
            .context(|| format!("checking cursor file {}", self.path.display()))
    }

    fn not_found(&self) -> Error {
        Error::CursorNotFound {
            name: self.name.clone(),
        }
    }

    /// The file's bytes (at most `FILE_LEN`).
    fn read_bytes(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; FILE_LEN];
        let mut n = 0;
        while n < FILE_LEN {
            match self.file.read_at(&mut buf[n..], n as u64) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::io(
                        format!("reading cursor file {}", self.path.display()),
                        e,
                    ));
                }
            }
        }
        buf.truncate(n);
        Ok(buf)
    }

    fn contents_locked(&self) -> Result<Contents> {
        if self.gone()? {
            return Err(self.not_found());
        }
        Ok(decode_file(&self.read_bytes()?))
    }

    /// The newest committed slot. `CursorNotFound` if the file was deleted or never
    /// initialised, `CorruptCursor` if neither slot is valid.
    pub(crate) fn load(&self) -> Result<Slot> {
        let contents = {
            let _held = self.lock(false)?;
            self.contents_locked()?
        };
        match contents {
            Contents::Valid { slot, .. } => Ok(slot),
            Contents::Uninitialized => Err(self.not_found()),
            Contents::Corrupt => Err(self.corrupt()),
        }
    }

    fn corrupt(&self) -> Error {
        Error::CorruptCursor {
            name: self.name.clone(),
            reason: format!(
                "neither slot of {} holds a valid position",
                self.path.display()
            ),
        }
    }

    /// Writes the first slot at `position()` unless another handle got there first, and makes
    /// the file and its name durable. `Ok(None)` if the file was deleted meanwhile (open it
    /// again); otherwise the newest slot and whether this call wrote it.
    pub(crate) fn initialize(
        &self,
        dir: &Path,
        position: impl FnOnce() -> Result<u64>,
    ) -> Result<Option<(Slot, bool)>> {
        let _one = self.commits.lock();
        let _held = self.lock(true)?;
        match self.contents_locked() {
            Err(Error::CursorNotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
            Ok(Contents::Valid { slot, .. }) => return Ok(Some((slot, false))),
            Ok(Contents::Corrupt) => return Err(self.corrupt()),
            Ok(Contents::Uninitialized) => {}
        }
        let slot = Slot {
            seq: 1,
            position: position()?,
            time_ms: now_ms(),
        };
        let mut bytes = vec![0u8; FILE_LEN];
        bytes[..SLOT_LEN].copy_from_slice(&encode_slot(&slot));
        let path = &self.path;
        fault::check(Op::Write, path)
            .and_then(|_| self.file.write_all_at(&bytes, 0))
            .context(|| format!("writing cursor file {}", path.display()))?;
        // The file's length changed: a full fsync, then the directory for its name.
        fault::check(Op::SyncAll, path)
            .and_then(|_| self.file.sync_all())
            .context(|| format!("syncing cursor file {}", path.display()))?;
        sync_dir(dir)?;
        Ok(Some((slot, true)))
    }

    /// Commits `position`: writes it into the slot that does not hold the newest position and
    /// `fdatasync`s (the one sync of a commit). Returns the slot written.
    pub(crate) fn commit(&self, position: u64) -> Result<Slot> {
        let _one = self.commits.lock();
        let _held = self.lock(true)?;
        let (newest, index) = match self.contents_locked()? {
            Contents::Valid { slot, index } => (slot, index),
            Contents::Uninitialized => return Err(self.not_found()),
            Contents::Corrupt => return Err(self.corrupt()),
        };
        let slot = Slot {
            seq: newest.seq + 1,
            position,
            time_ms: now_ms(),
        };
        let at = ((1 - index) * SLOT_STRIDE) as u64;
        let path = &self.path;
        fault::check(Op::Write, path)
            .and_then(|_| self.file.write_all_at(&encode_slot(&slot), at))
            .context(|| format!("writing cursor file {}", path.display()))?;
        fault::check(Op::SyncData, path)
            .and_then(|_| self.file.sync_data())
            .context(|| format!("syncing cursor file {}", path.display()))?;
        Ok(slot)
    }

    /// Deletes the file (after any commit under way) and makes that durable.
    pub(crate) fn remove(&self, dir: &Path) -> Result<()> {
        let _one = self.commits.lock();
        let _held = self.lock(true)?;
        if self.gone()? {
            return Err(self.not_found());
        }
        let path = &self.path;
        // Renamed away first where that is what frees a name at once: Windows keeps the name
        // of a file removed while any handle (another cursor's, another process's) is open.
        fault::check(Op::Remove, path)
            .and_then(|_| crate::map_rules::remove_file(path))
            .context(|| format!("removing cursor file {}", path.display()))?;
        sync_dir(dir)
    }
}
