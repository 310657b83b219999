//! A segment's index: entry `i` is the store position of record `base + i`.
//!
//! The index is a cache: the store is the truth, and any index that is missing, short,
//! zero-tailed or disagrees with its store is rebuilt from the store (see `recovery.rs`).
//! A writable log memory-maps it (preallocated while the segment is active, trimmed when it is
//! sealed); a read-only log keeps the entries in memory, so it never depends on a file the
//! writer may be changing.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use memmap2::{MmapOptions, MmapRaw};
use parking_lot::RwLock;

use crate::fault::{self, Op};
use crate::format::{self, FileKind, INDEX_ENTRY_LEN, INDEX_HEADER_LEN};
use crate::map_rules::MapPin;
use crate::platform::FileExt;
use crate::store::preallocate;

#[derive(Debug)]
enum Entries {
    /// Entries in a mapped file (`capacity` entries reachable).
    Mapped {
        /// `None` for a sealed index: its map is all it needs.
        file: Option<File>,
        map: MmapRaw,
        /// After the map (dropped after it).
        _pin: MapPin,
        capacity: u64,
    },
    /// Entries in memory (read-only logs), grown as the writer appends.
    Memory(RwLock<Vec<u32>>),
}

/// A segment's index.
#[derive(Debug)]
pub(crate) struct Index {
    path: PathBuf,
    entries: Entries,
}

impl Index {
    /// Writes a fresh index file holding `positions` (replacing any file there) and maps it
    /// read-write with room for at least `capacity_bytes`.
    pub(crate) fn create(
        path: &Path,
        base: u64,
        positions: &[u32],
        capacity_bytes: u64,
    ) -> io::Result<Index> {
        fault::check(Op::Create, path)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let needed = INDEX_HEADER_LEN + INDEX_ENTRY_LEN * positions.len() as u64;
        fault::check(Op::Allocate, path)?;
        preallocate(&file, capacity_bytes.max(needed))?;
        let mut bytes = Vec::with_capacity(needed as usize);
        bytes.extend_from_slice(&format::encode_file_header(
            FileKind::Index,
            &format::FileHeader::new(base, 0),
        ));
        for p in positions {
            bytes.extend_from_slice(&p.to_le_bytes());
        }
        fault::check(Op::Write, path)?;
        file.write_all_at(&bytes, 0)?;
        Index::map(file, path)
    }

    /// Maps an existing, trusted index file read-write with room for `capacity_bytes`.
    pub(crate) fn open_writable(path: &Path, capacity_bytes: u64) -> io::Result<Index> {
        fault::check(Op::OpenWrite, path)?;
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        fault::check(Op::Allocate, path)?;
        preallocate(&file, capacity_bytes.max(len))?;
        Index::map(file, path)
    }

    fn map(file: File, path: &Path) -> io::Result<Index> {
        fault::check(Op::Map, path)?;
        let map = MmapOptions::new().map_raw(&file)?;
        let pin = MapPin::new(&file);
        Ok(Index::mapped(Some(file), map, pin, path))
    }

    fn mapped(file: Option<File>, map: MmapRaw, pin: MapPin, path: &Path) -> Index {
        let capacity = (map.len() as u64).saturating_sub(INDEX_HEADER_LEN) / INDEX_ENTRY_LEN;
        Index {
            path: path.to_owned(),
            entries: Entries::Mapped {
                file,
                map,
                _pin: pin,
                capacity,
            },
        }
    }

    /// Maps an existing index file read-only (sealed segment of a writable log).
    pub(crate) fn open_sealed(path: &Path) -> io::Result<Index> {
        let file = File::open(path)?;
        fault::check(Op::Map, path)?;
        let map = MmapOptions::new().map_raw_read_only(&file)?;
        let pin = MapPin::new(&file);
        Ok(Index::mapped(None, map, pin, path))
    }

    /// An in-memory index (read-only logs).
    pub(crate) fn in_memory(path: &Path, positions: Vec<u32>) -> Index {
        Index {
            path: path.to_owned(),
            entries: Entries::Memory(RwLock::new(positions)),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// How many entries fit (`u64::MAX` for an in-memory index).
    pub(crate) fn capacity(&self) -> u64 {
        match &self.entries {
            Entries::Mapped { capacity, .. } => *capacity,
            Entries::Memory(_) => u64::MAX,
        }
    }

    /// The position stored in `slot`, or `None` past the end of the index.
    #[inline]
    pub(crate) fn get(&self, slot: u64) -> Option<u32> {
        match &self.entries {
            Entries::Mapped { map, capacity, .. } => {
                if slot >= *capacity {
                    return None;
                }
                let at = (INDEX_HEADER_LEN + slot * INDEX_ENTRY_LEN) as usize;
                // SAFETY: `at + 4 <= map.len()` since slot < capacity; the map lives as long as
                // self; an unaligned read of plain bytes is always valid.
                let raw =
                    unsafe { std::ptr::read_unaligned(map.as_ptr().add(at) as *const [u8; 4]) };
                Some(u32::from_le_bytes(raw))
            }
            Entries::Memory(v) => v.read().get(slot as usize).copied(),
        }
    }

    /// Starts loading entry `slot` into the cache (mapped indexes; a hint, see `prefetch`).
    #[inline]
    pub(crate) fn prefetch(&self, slot: u64) {
        if let Entries::Mapped { map, capacity, .. } = &self.entries
            && slot < *capacity
        {
            let at = (INDEX_HEADER_LEN + slot * INDEX_ENTRY_LEN) as usize;
            crate::prefetch::prefetch(map.as_ptr().wrapping_add(at));
        }
    }

    /// Stores `pos` in `slot` (slot < capacity, or the next slot of an in-memory index).
    ///
    /// # Safety
    /// For a mapped index, no other thread reads or writes `slot` meanwhile: the caller is
    /// the only writer of the index (the log's writer, under the writer lock), and the slot
    /// is past what readers may look at (the segment's published count), or the segments
    /// write lock shuts readers out. (An in-memory index has its own lock.)
    #[inline]
    pub(crate) unsafe fn set(&self, slot: u64, pos: u32) {
        match &self.entries {
            Entries::Mapped { map, capacity, .. } => {
                assert!(
                    slot < *capacity,
                    "index slot {slot} out of capacity {capacity}"
                );
                let at = (INDEX_HEADER_LEN + slot * INDEX_ENTRY_LEN) as usize;
                // SAFETY: in bounds (checked above); no other thread touches the slot (the
                // caller's contract), and readers read it only after the record is published
                // (Release/Acquire on the segment's `next`).
                unsafe {
                    std::ptr::write_unaligned(
                        map.as_mut_ptr().add(at) as *mut [u8; 4],
                        pos.to_le_bytes(),
                    )
                };
            }
            Entries::Memory(v) => {
                let mut v = v.write();
                let slot = slot as usize;
                if slot < v.len() {
                    v[slot] = pos;
                } else {
                    debug_assert_eq!(slot, v.len());
                    v.push(pos);
                }
            }
        }
    }

    /// The first `count` entries (fewer if the index holds fewer).
    pub(crate) fn entries(&self, count: u64) -> Vec<u32> {
        (0..count).map_while(|slot| self.get(slot)).collect()
    }

    /// Takes the entries of `other` (both in memory); returns whether it could.
    pub(crate) fn replace_entries(&self, other: Index) -> bool {
        match (&self.entries, other.entries) {
            (Entries::Memory(mine), Entries::Memory(theirs)) => {
                *mine.write() = theirs.into_inner();
                true
            }
            _ => false,
        }
    }

    /// Zeroes slots `from..to` (mapped) or drops them (memory).
    ///
    /// # Safety
    /// As for [`Index::set`], for every slot of `from..to`.
    pub(crate) unsafe fn clear(&self, from: u64, to: u64) {
        match &self.entries {
            Entries::Mapped { capacity, .. } => {
                for slot in from..to.min(*capacity) {
                    // SAFETY: the caller's contract covers the slot.
                    unsafe { self.set(slot, 0) };
                }
            }
            Entries::Memory(v) => v.write().truncate(from as usize),
        }
    }

    /// Zeroes every non-zero slot in `from..to` of the mapped index (entries past the real
    /// end).
    ///
    /// # Safety
    /// As for [`Index::set`], for every slot in `from..to`.
    pub(crate) unsafe fn clear_slots(&self, from: u64, to: u64) {
        if let Entries::Mapped { capacity, .. } = &self.entries {
            for slot in from..to.min(*capacity) {
                if self.get(slot) != Some(0) {
                    // SAFETY: the caller's contract covers the slot.
                    unsafe { self.set(slot, 0) };
                }
            }
        }
    }

    /// Trims the file to `count` entries and syncs it (sealing).
    pub(crate) fn trim(&self, count: u64, sync: bool) -> io::Result<()> {
        if let Entries::Mapped {
            file: Some(file), ..
        } = &self.entries
        {
            fault::check(Op::Trim, &self.path)?;
            crate::map_rules::set_len(file, INDEX_HEADER_LEN + count * INDEX_ENTRY_LEN)?;
            if sync {
                fault::check(Op::SyncAll, &self.path)?;
                file.sync_all()?;
            }
        }
        Ok(())
    }
}
