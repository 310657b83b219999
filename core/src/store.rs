//! A segment's store file: a header, then records appended one after another.
//!
//! A writable store is preallocated (`platform::preallocate`) to its capacity and written through a
//! shared memory map: an append is a `memcpy` into the page cache, so a record survives a crash
//! of the process the moment `append` returns, with no syscall per append. Under
//! `WritePath::Write` appends are one `pwrite` each instead (the page cache all the same), and
//! the map is only read. Because the blocks
//! are allocated up front, a full disk shows up as an error when a segment is created, never
//! as a `SIGBUS` on a write through the map. A read-only store (a log opened `read_only`,
//! possibly while another process writes it) reads with `pread`, so a file the writer trims can
//! never fault a reader.

use std::fs::{File, OpenOptions};
use std::io;

use crate::platform::FileExt;
pub(crate) use crate::platform::preallocate;
use std::path::{Path, PathBuf};

use memmap2::{MmapOptions, MmapRaw};

use crate::fault::{self, Op};
use crate::format::{self, FileKind};
use crate::map_rules::MapPin;

/// How a store's bytes are reached.
#[derive(Debug)]
enum Access {
    /// Mapped (read-write for the active segment, read-only for a sealed one); the pin goes
    /// after the map.
    Mapped(MmapRaw, #[allow(dead_code)] MapPin),
    /// Read with `pread` (read-only logs).
    Pread,
}

/// A store file.
#[derive(Debug)]
pub(crate) struct Store {
    /// `None` for a sealed store of a writable log: its map is all it needs to read, and a
    /// log of many segments should not hold a descriptor for each (the rare header rewrite
    /// or sync opens the file for the moment).
    file: Option<File>,
    path: PathBuf,
    access: Access,
}

impl Store {
    /// Creates a new store (it must not exist) preallocated to `capacity`, with its header.
    pub(crate) fn create(
        path: &Path,
        header: &format::FileHeader,
        capacity: u64,
    ) -> io::Result<Store> {
        fault::check(Op::Create, path)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        let result = (|| {
            fault::check(Op::Allocate, path)?;
            preallocate(&file, capacity)?;
            fault::check(Op::Write, path)?;
            file.write_all_at(&format::encode_file_header(FileKind::Store, header), 0)?;
            Store::map_writable(file, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(path);
        }
        result
    }

    /// Opens an existing store for writing, preallocated to at least `capacity`.
    pub(crate) fn open_writable(path: &Path, capacity: u64) -> io::Result<Store> {
        fault::check(Op::OpenWrite, path)?;
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        fault::check(Op::Allocate, path)?;
        preallocate(&file, capacity.max(len))?;
        Store::map_writable(file, path)
    }

    fn map_writable(file: File, path: &Path) -> io::Result<Store> {
        fault::check(Op::Map, path)?;
        // No `MADV_HUGEPAGE`: huge page-cache folios spare random reads a TLB miss (+10-15%),
        // but the first write into one zeroes 2 MiB in the writer, which made appends erratic.
        let map = MmapOptions::new().map_raw(&file)?;
        let pin = MapPin::new(&file);
        Ok(Store {
            file: Some(file),
            path: path.to_owned(),
            access: Access::Mapped(map, pin),
        })
    }

    /// Opens a sealed store of a writable log: mapped read-only at its current length, no
    /// descriptor kept.
    pub(crate) fn open_sealed(path: &Path) -> io::Result<Store> {
        let file = File::open(path)?;
        fault::check(Op::Map, path)?;
        let map = MmapOptions::new().map_raw_read_only(&file)?;
        let pin = MapPin::new(&file);
        Ok(Store {
            file: None,
            path: path.to_owned(),
            access: Access::Mapped(map, pin),
        })
    }

    /// Opens a store of a read-only log: read with `pread`.
    pub(crate) fn open_pread(path: &Path) -> io::Result<Store> {
        Ok(Store::pread_from(File::open(path)?, path))
    }

    /// A store of a read-only log read with `pread` through `file`, already open on `path`.
    pub(crate) fn pread_from(file: File, path: &Path) -> Store {
        Store {
            file: Some(file),
            path: path.to_owned(),
            access: Access::Pread,
        }
    }

    /// Runs `f` on the store's file: its own descriptor, or one opened for the moment
    /// (read-write when `write`).
    pub(crate) fn with_file<R>(
        &self,
        write: bool,
        f: impl FnOnce(&File) -> io::Result<R>,
    ) -> io::Result<R> {
        match &self.file {
            Some(file) => f(file),
            None => {
                let file = OpenOptions::new()
                    .read(true)
                    .write(write)
                    .open(&self.path)?;
                f(&file)
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes reachable through the map (0 for a pread store).
    pub(crate) fn mapped_len(&self) -> u64 {
        match &self.access {
            Access::Mapped(m, _) => m.len() as u64,
            Access::Pread => 0,
        }
    }

    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self.access, Access::Mapped(..))
    }

    /// Borrows `len` bytes at `pos` from the map.
    ///
    /// # Safety
    /// The store must be mapped, `pos + len` within the mapped length and within the file's
    /// data, and no one may write those bytes while the slice lives (the caller holds the log
    /// lock that excludes truncation, and only reads published records).
    pub(crate) unsafe fn slice(&self, pos: u64, len: u64) -> &[u8] {
        match &self.access {
            Access::Mapped(m, _) => {
                debug_assert!(pos + len <= m.len() as u64);
                // SAFETY: in bounds of the live mapping (caller's contract), no writer aliases it.
                unsafe { std::slice::from_raw_parts(m.as_ptr().add(pos as usize), len as usize) }
            }
            Access::Pread => unreachable!("slice() on a pread store"),
        }
    }

    /// Mutably borrows `len` bytes at `pos` of a writable map.
    ///
    /// # Safety
    /// The store must be mapped read-write, `pos + len` within the mapped length, and the
    /// caller must have exclusive access to those bytes: they are past the published end (only
    /// the writer, under the writer lock, touches them) or every reader is shut out by the
    /// segments lock.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn slice_mut(&self, pos: u64, len: u64) -> &mut [u8] {
        match &self.access {
            Access::Mapped(m, _) => {
                debug_assert!(pos + len <= m.len() as u64);
                // SAFETY: in bounds (caller's contract); exclusive access (caller's contract).
                unsafe {
                    std::slice::from_raw_parts_mut(m.as_mut_ptr().add(pos as usize), len as usize)
                }
            }
            Access::Pread => unreachable!("slice_mut() on a pread store"),
        }
    }

    /// Starts loading the cache line at `pos` of a mapped store (a hint, see `prefetch`).
    #[inline]
    pub(crate) fn prefetch(&self, pos: u64) {
        if let Access::Mapped(m, _) = &self.access
            && pos < m.len() as u64
        {
            crate::prefetch::prefetch(m.as_ptr().wrapping_add(pos as usize));
        }
    }

    /// Faults in (writable) the pages of `pos..pos+len` of a writable map ahead of the writer,
    /// so appends do not each take a page fault (one `madvise` per window instead). Best
    /// effort: kernels without `MADV_POPULATE_WRITE` (before 5.14) just fault on write.
    pub(crate) fn populate(&self, pos: u64, len: u64) {
        if let Access::Mapped(m, _) = &self.access {
            let end = (pos + len).min(m.len() as u64);
            if pos < end {
                crate::platform::populate_write(m, pos as usize, (end - pos) as usize);
            }
        }
    }

    /// Rewrites the file header (one 32-byte write: a sector is written whole or not at all).
    pub(crate) fn write_header(&self, header: &format::FileHeader) -> io::Result<()> {
        fault::check(Op::Write, &self.path)?;
        let bytes = format::encode_file_header(FileKind::Store, header);
        self.with_file(true, |f| f.write_all_at(&bytes, 0))
    }

    /// Writes `buf` at `pos` with `pwrite` (a writable store: appends under
    /// `WritePath::Write`).
    pub(crate) fn write_bytes(&self, buf: &[u8], pos: u64) -> io::Result<()> {
        fault::check(Op::Write, &self.path)?;
        self.with_file(true, |f| f.write_all_at(buf, pos))
    }

    /// Reads exactly `buf.len()` bytes at `pos` with `pread` (any store).
    pub(crate) fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> io::Result<()> {
        self.with_file(false, |f| f.read_exact_at(buf, pos))
    }

    /// Makes written data durable.
    pub(crate) fn sync_data(&self) -> io::Result<()> {
        fault::check(Op::SyncData, &self.path)?;
        self.flush_view()?;
        self.with_file(crate::platform::SYNC_NEEDS_WRITE, |f| f.sync_data())
    }

    /// Makes data and metadata (the length) durable.
    pub(crate) fn sync_all(&self) -> io::Result<()> {
        fault::check(Op::SyncAll, &self.path)?;
        self.flush_view()?;
        self.with_file(crate::platform::SYNC_NEEDS_WRITE, |f| f.sync_all())
    }

    /// Hands what was written through a writable map to the file, where a sync of the file
    /// alone would miss it. Windows: `FlushFileBuffers` does not write the pages a view
    /// dirtied, `FlushViewOfFile` first does (memmap2's `flush_async`). Unix: a shared map's
    /// pages are the file's page cache, which `fdatasync` writes; nothing to do.
    pub(crate) fn flush_view(&self) -> io::Result<()> {
        #[cfg(windows)]
        if let (Access::Mapped(m, _), Some(_)) = (&self.access, &self.file) {
            m.flush_async()?;
        }
        Ok(())
    }

    /// Cuts the file to `len` bytes (the map keeps its length; nothing reads past `len`).
    /// Where maps pin files (`map_rules`), only once the map is gone.
    pub(crate) fn trim(&self, len: u64) -> io::Result<()> {
        fault::check(Op::Trim, &self.path)?;
        self.with_file(true, |f| crate::map_rules::set_len(f, len))
    }
}
