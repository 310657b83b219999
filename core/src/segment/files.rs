//! A segment's files: pinned for the active segment (and a read-only log's newest), opened
//! on demand and kept in the bounded `OpenCache` for sealed ones.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

use super::Segment;
use crate::error::Result;
use crate::format::{self, FileHeader, FileKind};
use crate::index::Index;
use crate::store::Store;

/// A segment's open files.
#[derive(Debug)]
pub(crate) struct Files {
    pub(crate) store: Store,
    pub(crate) index: Index,
}

/// How a sealed segment's files are opened again once the cache has closed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reopen {
    /// Mapped read-only, no descriptor kept (a writable log).
    Mapped,
    /// Read with `pread`, entries in memory (a read-only log, which must survive another
    /// process cutting the files under it).
    Pread,
}

/// The files of a sealed segment: open while the log's cache of open segments keeps them.
#[derive(Debug, Default)]
pub(crate) struct LazyFiles {
    pub(super) files: RwLock<Option<Arc<Files>>>,
    /// Set by every use, cleared by the cache's clock hand: a second chance before closing.
    pub(super) used: AtomicBool,
    /// The index was checked against the store (or rebuilt from it) since the open.
    pub(super) checked: AtomicBool,
}

impl LazyFiles {
    /// Closes the files unless they were used since the last look; returns whether closed.
    pub(crate) fn close_unless_used(&self) -> bool {
        if self.used.swap(false, Ordering::AcqRel) {
            return false;
        }
        *self.files.write() = None;
        true
    }
}

/// The bound on open sealed segments of one log (`Options::max_open_segments`): a clock of
/// the segments opened, oldest first.
#[derive(Debug)]
pub(crate) struct OpenCache {
    max: usize,
    ring: Mutex<std::collections::VecDeque<Weak<LazyFiles>>>,
}

impl OpenCache {
    pub(crate) fn new(max: usize) -> OpenCache {
        OpenCache {
            max: max.max(1),
            ring: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// `files` were just opened: closes others while more than the bound are open (the
    /// least recently used first; each used since the last look gets a second chance).
    pub(super) fn opened(&self, files: &Arc<LazyFiles>) {
        let mut ring = self.ring.lock();
        ring.push_back(Arc::downgrade(files));
        let mut looks = 2 * ring.len();
        while ring.len() > self.max && looks > 0 {
            looks -= 1;
            let Some(w) = ring.pop_front() else { break };
            let Some(lazy) = w.upgrade() else { continue };
            if Arc::ptr_eq(&lazy, files) || !lazy.close_unless_used() {
                ring.push_back(w);
            }
        }
        // Entries of segments that left the log.
        if ring.len() > 2 * self.max {
            ring.retain(|w| w.strong_count() > 0);
        }
    }

    /// How many sealed segments are open now (for tests).
    pub(crate) fn open_count(&self) -> usize {
        self.ring
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|l| l.files.read().is_some())
            .count()
    }
}

/// Where a segment's files are.
#[derive(Debug)]
pub(crate) struct Paths {
    pub(crate) store: PathBuf,
    pub(crate) index: PathBuf,
}

impl Paths {
    pub(crate) fn of(dir: &Path, base: u64) -> Paths {
        Paths {
            store: dir.join(format::file_name(base, FileKind::Store)),
            index: dir.join(format::file_name(base, FileKind::Index)),
        }
    }
}

/// The files of a segment for one use: the pinned ones, or an open sealed segment's.
pub(crate) enum FilesRef<'a> {
    Pinned(&'a Files),
    Open(Arc<Files>),
}

impl std::ops::Deref for FilesRef<'_> {
    type Target = Files;
    fn deref(&self) -> &Files {
        match self {
            FilesRef::Pinned(f) => f,
            FilesRef::Open(f) => f,
        }
    }
}

impl Segment {
    /// The pinned files of the active segment (the writer's; never closed).
    #[inline]
    pub(crate) fn active_files(&self) -> &Files {
        self.pinned
            .as_ref()
            .expect("the active segment's files are pinned")
    }

    /// The segment's files, opening them if the cache closed them (or never opened them).
    #[inline]
    pub(crate) fn files(&self) -> Result<FilesRef<'_>> {
        if let Some(f) = &self.pinned {
            return Ok(FilesRef::Pinned(f));
        }
        if !self.lazy.used.load(Ordering::Relaxed) {
            self.lazy.used.store(true, Ordering::Relaxed);
        }
        if let Some(f) = &*self.lazy.files.read() {
            return Ok(FilesRef::Open(f.clone()));
        }
        self.open_lazy()
    }

    #[cold]
    fn open_lazy(&self) -> Result<FilesRef<'_>> {
        let mut slot = self.lazy.files.write();
        if let Some(f) = &*slot {
            return Ok(FilesRef::Open(f.clone()));
        }
        let files = Arc::new(super::open::open_sealed_files(self)?);
        *slot = Some(files.clone());
        drop(slot);
        if let Some(cache) = &self.cache {
            cache.opened(&self.lazy);
        }
        Ok(FilesRef::Open(files))
    }

    pub(crate) fn reopen_kind(&self) -> Reopen {
        self.reopen
    }

    /// Whether the index was checked against the store since the log was opened.
    pub(crate) fn index_checked(&self) -> bool {
        self.lazy.checked.load(Ordering::Acquire)
    }

    pub(crate) fn set_index_checked(&self) {
        self.lazy.checked.store(true, Ordering::Release);
    }

    /// Records the header read from the file (first open of a sealed segment).
    pub(crate) fn learn_header(&self, header: FileHeader) {
        if !self.state.header_known.swap(true, Ordering::AcqRel) {
            self.state.codec.store(header.codec, Ordering::Release);
            *self.state.header.lock() = header;
        }
    }

    /// Puts freshly opened files in place of a sealed segment's (a rebuilt index); returns
    /// false for a segment whose files are pinned.
    pub(crate) fn install_files(&self, files: Files) -> bool {
        if let Some(pinned) = &self.pinned {
            // A read-only log's newest segment: its entries are in memory.
            return pinned.index.replace_entries(files.index);
        }
        *self.lazy.files.write() = Some(Arc::new(files));
        self.lazy.checked.store(true, Ordering::Release);
        if let Some(cache) = &self.cache {
            cache.opened(&self.lazy);
        }
        true
    }

    /// Whether the files are pinned (the active segment, a read-only newest).
    pub(crate) fn pinned_files(&self) -> bool {
        self.pinned.is_some()
    }

    /// Lowers a sealed segment's end to what its store really holds (found when its files
    /// were opened): the offsets past it become a gap before the next segment.
    pub(crate) fn shrink_to(&self, next: u64, end: u64) {
        if next < self.next() {
            self.publish(next, end.min(self.end()));
        }
    }

    /// Whether the files are open now.
    pub(crate) fn is_open(&self) -> bool {
        self.pinned.is_some() || self.lazy.files.read().is_some()
    }
}
