//! The state every handle of one open log shares, and the order its locks are taken in.
//!
//! # Locks
//!
//! Every lock of an open log, outermost first: a thread holding one of them takes only locks
//! further down this list (the code that nests them is named).
//! 1. `Shared::refresh` (mutex): a read-only log's following of the writer, held while a view
//!    is checked or taken (`follower.rs`); takes `segments` and segment files inside.
//! 2. `Shared::writer` (mutex): the writer's state; the append path and everything that
//!    changes the active segment (roll, truncation, retention, reindexing the active one,
//!    close). A sync round takes it only to read the active segment and the written mark.
//! 3. `Shared::segments` (rwlock): the list of segments. Readers hold it shared while they
//!    copy a record out; roll, truncation, retention, reindexing and close take it
//!    exclusively, for list changes and in-place rewrites readers must not see half done.
//! 4. `Prefaulter::state` (mutex, `background.rs`): the prefault window and the seal queue; a
//!    roll queues its seal under `segments`.
//! 5. `OpenCache::ring` (mutex, `segment/files.rs`): the sealed segments open now, least
//!    recently used first; closes others' files (their `LazyFiles::files`) to stay in bound.
//! 6. `LazyFiles::files` (rwlock, one per sealed segment): its open files; held for writing
//!    while they are opened, never while the ring is taken.
//! 7. `SegState::header` (mutex, one per segment): the store header as on disk, held across
//!    its rewrite.
//! 8. An in-memory index's entries (rwlock, a read-only log's newest segment).
//! 9. `SegState::trim_to` (mutex, one per segment; where maps pin files): the cut a seal or
//!    close left for the writable map's drop, held across that cut; takes nothing inside.
//!
//! Apart from that order:
//! - `Shared::group` (`GroupCommit`'s mutex, with its two condition variables): group
//!   commit's state (`group_commit.rs`). Never held with `writer`: a round's leader releases
//!   it before the fdatasync, which takes `writer` for a moment.
//! - `Shared::tail` (mutex, with `tail_cv`): parks readers waiting for new records.
//! - `Shared::poison_reason` (mutex): why the log was poisoned; a leaf, taken under `writer`
//!   or `sync` by `poison`.
//! - `Shared::lock` (the directory lock), `flusher`, `flusher_thread` and `background`: taken
//!   only by open and close, with nothing else held.
//!
//! Appends write past the published end of the active segment and then publish (see
//! `segment/mod.rs`), so they need no lock that readers take. Under `SyncPolicy::Always` the
//! appender releases the writer lock before syncing, and concurrent appenders share one
//! `fdatasync` (group commit, `Shared::sync_to`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::thread::{self, JoinHandle, ThreadId};

use parking_lot::{Condvar, Mutex, RwLock};

use super::background::{Flusher, Prefaulter};
use super::group_commit::{GroupCommit, SyncGoal, Syncer};
use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::lock::DirLock;
use crate::options::Options;
use crate::recovery::{CLEAN_MARKER, sync_dir};
use crate::segment::Segment;

/// The writer's state, behind the writer lock (`None` once closed, or for read-only logs).
#[derive(Debug)]
pub(super) struct Writer {
    pub(super) active: Arc<Segment>,
    /// Store position where the next record goes (= `active.end()`).
    pub(super) pos: u64,
    /// Offset the next record gets (= `active.next()`).
    pub(super) next: u64,
    /// Timestamp of the newest record; timestamps never decrease.
    pub(super) last_ts: u64,
    /// Bytes appended since open: the group-commit sequence number.
    pub(super) written: u64,
    /// The active segment's epoch, which every record written into it carries.
    pub(super) epoch: u8,
    /// Store position up to which pages were faulted in ahead of the writer.
    pub(super) populated: u64,
    /// The active segment may hold plain records (single appends, batches stored plain): only
    /// then is it worth compressing once sealed (a segment of frames has nothing to gain).
    pub(super) plain: bool,
    /// Appends copy into the store's writable map (else one `pwrite` each):
    /// `Options::writes_through_map`.
    pub(super) through_map: bool,
}

#[derive(Debug)]
pub(super) struct Shared {
    pub(super) dir: PathBuf,
    pub(super) options: Options,
    /// The segments, oldest first (lock 3 of the module doc).
    pub(super) segments: RwLock<Vec<Arc<Segment>>>,
    /// The writer's state: `None` once closed, or for a read-only log (lock 2).
    pub(super) writer: Mutex<Option<Writer>>,
    pub(super) closed: AtomicBool,
    pub(super) poisoned: AtomicBool,
    /// Why the log was poisoned (a leaf lock).
    pub(super) poison_reason: Mutex<String>,
    /// Group commit (see the module doc for how its lock nests).
    pub(super) group: GroupCommit,
    /// Parks tailing readers until an append or close (`tail_cv` wakes them).
    pub(super) tail: Mutex<()>,
    pub(super) tail_cv: Condvar,
    /// Tailing readers parked now (an append notifies only if there are some).
    pub(super) waiters: AtomicUsize,
    /// A read-only log's following of the writer: held while a view is checked or taken.
    pub(super) refresh: Mutex<super::follower::FollowState>,
    /// The writer's directory lock, released by close.
    pub(super) lock: Mutex<Option<DirLock>>,
    pub(super) opened_clean: bool,
    /// The interval flusher (`SyncPolicy::Interval`), stopped by close.
    pub(super) flusher: Mutex<Option<Flusher>>,
    /// The flusher's thread, so that a close it runs itself does not join it.
    pub(super) flusher_thread: Mutex<Option<ThreadId>>,
    pub(super) prefaulter: Arc<Prefaulter>,
    /// The prefault and seal threads.
    pub(super) background: Mutex<Vec<JoinHandle<()>>>,
    /// What the open found and did.
    pub(super) report: crate::report::RecoveryReport,
    /// The bound on sealed segments open at once (`Options::max_open_segments`).
    pub(super) open_cache: Arc<crate::segment::OpenCache>,
    /// Group syncs run since open (each covers every append before it).
    pub(super) syncs: AtomicU64,
}

/// The segment holding `offset`, if the log holds it (`None` also for an offset in a gap
/// between segments: records recovery found missing).
#[inline]
pub(super) fn find(segs: &[Arc<Segment>], offset: u64) -> Option<&Arc<Segment>> {
    let last = segs.last()?;
    if offset >= last.next() || offset < segs[0].base {
        return None;
    }
    if offset >= last.base {
        return Some(last);
    }
    let i = segs.partition_point(|s| s.base <= offset);
    segs.get(i.checked_sub(1)?).filter(|s| offset < s.next())
}

/// The first offset at or after `offset` that lies in a segment (`offset` itself unless it
/// falls in a gap between segments).
pub(super) fn next_held(segs: &[Arc<Segment>], offset: u64) -> u64 {
    let i = segs.partition_point(|s| s.base <= offset);
    match i.checked_sub(1).map(|j| &segs[j]) {
        Some(s) if offset < s.next() => offset,
        _ => segs.get(i).map_or(offset, |s| s.base.max(offset)),
    }
}

impl Shared {
    pub(super) fn bounds(&self, segs: &[Arc<Segment>]) -> (u64, u64) {
        match (segs.first(), segs.last()) {
            (Some(first), Some(last)) => (first.base, last.next()),
            _ => (self.options.initial_offset, self.options.initial_offset),
        }
    }

    /// The segment holding `offset`, or why there is none: out of range, or a hole (a gap
    /// between segments, where recovery found durable records missing).
    #[inline]
    pub(super) fn locate<'a>(
        &self,
        segs: &'a [Arc<Segment>],
        offset: u64,
    ) -> Result<&'a Arc<Segment>> {
        if let Some(seg) = find(segs, offset) {
            return Ok(seg);
        }
        let (lowest, next) = self.bounds(segs);
        if (lowest..next).contains(&offset) {
            let before = segs.partition_point(|s| s.base <= offset) - 1;
            return Err(Error::Hole {
                offset,
                segment: segs[before].base,
                reason: "its record is missing between two segments (see the quarantine)".into(),
            });
        }
        Err(self.out_of_range(offset, segs))
    }

    pub(super) fn out_of_range(&self, offset: u64, segs: &[Arc<Segment>]) -> Error {
        let (lowest, next) = self.bounds(segs);
        Error::OutOfRange {
            offset,
            lowest,
            next,
        }
    }

    pub(super) fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    pub(super) fn poison_error(&self) -> Option<Error> {
        self.poisoned
            .load(Ordering::Acquire)
            .then(|| Error::Poisoned {
                reason: self.poison_reason.lock().clone(),
            })
    }

    pub(super) fn poison(&self, err: &Error) -> Error {
        let mut reason = self.poison_reason.lock();
        if !self.poisoned.swap(true, Ordering::AcqRel) {
            *reason = err.to_string();
        }
        Error::Poisoned {
            reason: reason.clone(),
        }
    }

    /// The writer state, or why writing is not possible.
    pub(super) fn writable<'a>(&self, guard: &'a mut Option<Writer>) -> Result<&'a mut Writer> {
        self.check_open()?;
        if self.options.read_only {
            return Err(Error::InvalidArgument(
                "the log was opened read_only".into(),
            ));
        }
        if let Some(e) = self.poison_error() {
            return Err(e);
        }
        guard.as_mut().ok_or(Error::Closed)
    }

    pub(super) fn end_offset(&self) -> u64 {
        let segs = self.segments.read();
        self.bounds(&segs).1
    }

    pub(super) fn notify_tailers(&self) {
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::Relaxed) > 0 {
            let _g = self.tail.lock();
            self.tail_cv.notify_all();
        }
    }

    pub(super) fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.stop_flusher();
        let pending = self.prefaulter.stop();
        let threads = std::mem::take(&mut *self.background.lock());
        for handle in threads {
            // The seal thread may itself drop the last handle (after poisoning the log).
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
        for job in pending {
            self.prefaulter.seal(job);
        }
        // Rewrites the compaction thread finished go into place (or, poisoned, away).
        let installed = {
            let guard = self.writer.lock();
            if guard.is_some() && self.poison_error().is_none() {
                self.install_ready()
            } else {
                for (_, r) in self.prefaulter.take_ready() {
                    r.discard();
                }
                Ok(())
            }
        };
        let writer = self.writer.lock().take();
        let mut result = installed;
        if let Some(w) = writer
            && self.poison_error().is_none()
        {
            result = self.close_clean(&w);
            if result.is_ok() {
                self.group.mark_synced(w.written);
            }
        }
        self.segments.write().clear();
        *self.lock.lock() = None;
        {
            let _g = self.tail.lock();
            self.tail_cv.notify_all();
        }
        self.group.wake_all();
        result
    }

    /// Sealed segments not known to be synced yet, oldest first (under `SyncPolicy::Never`
    /// the seal thread may not have got to them; they are the newest sealed ones).
    pub(super) fn unsynced_sealed(&self) -> Vec<Arc<Segment>> {
        let segs = self.segments.read();
        let mut v: Vec<Arc<Segment>> = segs
            .iter()
            .rev()
            .skip(1)
            .take_while(|s| s.durable() < s.count())
            .cloned()
            .collect();
        v.reverse();
        v
    }

    /// Syncs and trims everything, then writes the clean-shutdown marker.
    pub(super) fn close_clean(&self, w: &Writer) -> Result<()> {
        for s in self.unsynced_sealed() {
            s.sync_store()
                .context(|| format!("syncing {}", s.paths.store.display()))?;
            s.mark_durable(s.count());
        }
        let a = &w.active;
        let files = a.active_files();
        let what = || format!("closing {}", a.paths.store.display());
        files.store.sync_data().context(what)?;
        // Every record is durable now; the header says so, in case the marker below is lost
        // or removed (an open without it then knows that damage here is not a torn tail).
        let count = a.count().min(u64::from(u32::MAX)) as u32;
        a.update_header(|h| {
            h.durable_count = count;
            h.flags &= !crate::format::FLAG_PREV_UNSYNCED;
        })
        .context(what)?;
        a.trim_files(w.pos, a.count(), true).context(what)?;
        sync_dir(&self.dir)?;
        let marker = self.dir.join(CLEAN_MARKER);
        fault::check(Op::Create, &marker)
            .and_then(|_| std::fs::File::create(&marker))
            .and_then(|f| fault::check(Op::SyncAll, &marker).and_then(|_| f.sync_all()))
            .context(|| format!("writing {}", marker.display()))?;
        sync_dir(&self.dir)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl Shared {
    /// Waits until `goal` is durable; concurrent callers share sync rounds (group commit).
    pub(super) fn sync_to(&self, goal: SyncGoal) -> Result<()> {
        self.group.sync_to(self, goal)
    }
}

impl Syncer for Shared {
    /// One sync of everything appended so far: sealed segments the seal thread has not
    /// synced yet, then the active one. Returns the `Writer::written` mark it covers.
    ///
    /// With `claim`, the count of records it made durable is also written into the active
    /// store's header (not synced: the next sync takes it along), so that recovery can tell
    /// damage among them from a torn write even when no record was appended after this sync.
    fn sync_now(&self, claim: bool) -> Result<u64> {
        let (active, epoch, count, mark) = {
            let mut g = self.writer.lock();
            let w = g.as_mut().ok_or(Error::Closed)?;
            (w.active.clone(), w.epoch, w.next - w.active.base, w.written)
        };
        self.syncs.fetch_add(1, Ordering::Relaxed);
        for s in self.unsynced_sealed() {
            s.sync_store()
                .context(|| format!("syncing {}", s.paths.store.display()))?;
            s.mark_durable(s.count());
        }
        active
            .active_files()
            .store
            .sync_data()
            .context(|| format!("syncing {}", active.paths.store.display()))?;
        // Appends from now on claim these records durable (see `format::record_flags`).
        active.mark_durable_in(epoch, count);
        if claim {
            // Best effort: a claim only helps recovery tell damage from a torn write.
            let _ = active.claim_in_header(epoch, count);
        }
        Ok(mark)
    }

    fn poison_error(&self) -> Option<Error> {
        Shared::poison_error(self)
    }

    fn poison(&self, err: &Error) -> Error {
        Shared::poison(self, err)
    }

    fn closing(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
