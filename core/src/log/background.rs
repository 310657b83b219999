//! Work off the append path: faulting in pages ahead of the writer, syncing segments sealed
//! under `SyncPolicy::Never`, and the interval flusher.

use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::group_commit::SyncGoal;
use super::shared::{Shared, Writer};
use crate::error::Error;
use crate::segment::Segment;

/// How far ahead of the writer pages of the active store are faulted in: at ~1.3 GB/s of
/// batched appends, 8 MiB is ~6 ms, so the prefaulter stays ahead even when it waits a
/// scheduler tick or two for a core.
pub(super) const PREFAULT_WINDOW: u64 = 8 << 20;
/// The writer asks for more once it has used up this much of the window (one request per MiB
/// appended).
pub(super) const PREFAULT_STEP: u64 = 1 << 20;

impl Writer {
    /// Asks the prefaulter to fault in pages ahead of the writer, once per `PREFAULT_STEP`, so
    /// that appends write into pages already in the page cache instead of each first touch of
    /// a page taking a fault (and a page zeroing) on the append path.
    #[inline]
    pub(super) fn prefault_ahead(&mut self, prefaulter: &Prefaulter) {
        // Pages faulted in writable would be write-protected again by each sync, the cost
        // that writing with `pwrite` avoids.
        if !self.through_map {
            return;
        }
        if self.pos + PREFAULT_WINDOW - PREFAULT_STEP > self.populated {
            self.populated = self.pos + PREFAULT_WINDOW;
            prefaulter.request(&self.active, self.pos, self.populated);
        }
    }
}

/// Two background threads: one faults in the active store ahead of the writer
/// (`MADV_POPULATE_WRITE`), using a second core for the work a first write to a page costs;
/// the other syncs segments sealed under `SyncPolicy::Never`. They are apart because a seal's
/// fdatasync of a whole segment blocks for as long as the disk takes, and a prefaulter stuck
/// behind it let the writer run into unpopulated pages (page faults were 45% of a Node
/// appender's samples).
#[derive(Debug, Default)]
pub(super) struct Prefaulter {
    pub(super) state: Mutex<PrefaultState>,
    /// Wakes the prefault thread.
    pub(super) cv: Condvar,
    /// Wakes the seal thread.
    pub(super) seal_cv: Condvar,
    /// Wakes the compaction thread.
    pub(super) compact_cv: Condvar,
}

#[derive(Debug, Default)]
pub(super) struct PrefaultState {
    pub(super) segment: Option<Arc<Segment>>,
    pub(super) from: u64,
    pub(super) to: u64,
    pub(super) stop: bool,
    /// Segments sealed under `SyncPolicy::Never` whose sync runs on the seal thread, off the
    /// append path, in the order they were sealed.
    pub(super) seals: std::collections::VecDeque<SealJob>,
    /// Whether the seal thread runs (if it could not be started, the writer seals itself).
    pub(super) sealer: bool,
    /// The log, to poison it if a background sync fails.
    pub(super) owner: Option<Weak<Shared>>,
    /// Sealed segments whose single appends the compaction thread compresses (a log with a
    /// codec and `compress_sealed`), oldest first.
    pub(super) compactions: std::collections::VecDeque<Weak<Segment>>,
    /// Whether the compaction thread runs.
    pub(super) compactor: bool,
    /// Rewrites the compaction thread finished, for the writer to rename into place at its
    /// next roll or at close (the thread never holds the log open: a handle dropped while it
    /// works closes the log at once).
    pub(super) ready: Vec<(Weak<Segment>, super::compact::Rewrite)>,
}

/// Sync `sealed`, then clear `FLAG_PREV_UNSYNCED` in the header of `next` (its successor).
///
/// The job does not keep either segment alive: one that retention or a truncation took out of
/// the log before the job ran needs no sync, and its files and mapping go at once.
#[derive(Debug)]
pub(super) struct SealJob {
    pub(super) sealed: Weak<Segment>,
    /// The value the segment was written through while it was active, if it still lives:
    /// its map hands what it wrote to the file before the sync (Windows needs that, see
    /// `Store::flush_view`; once the map is gone, the file has it).
    pub(super) writable: Weak<Segment>,
    /// The sealed segment's epoch and count when it was sealed (a `truncate_back` into it
    /// before the job runs changes the epoch: the job then claims nothing).
    pub(super) epoch: u8,
    pub(super) count: u64,
    pub(super) next: Weak<Segment>,
}

impl Prefaulter {
    pub(super) fn request(&self, segment: &Arc<Segment>, from: u64, to: u64) {
        let mut st = self.state.lock();
        let from = from & !4095;
        if st.segment.as_ref().is_some_and(|s| Arc::ptr_eq(s, segment)) {
            // Pages before `st.from` are faulted in already (or the writer passed them and
            // faulted them itself): each request goes on from there instead of walking the
            // whole window's page tables again.
            st.from = st.from.max(from);
        } else {
            st.segment = Some(segment.clone());
            st.from = from;
        }
        st.to = to;
        self.cv.notify_one();
    }

    /// Stops both threads; returns the seals not started, for `close` to run, so that every
    /// seal runs exactly once whichever thread gets to it.
    pub(super) fn stop(&self) -> Vec<SealJob> {
        let mut st = self.state.lock();
        st.stop = true;
        st.segment = None;
        self.cv.notify_one();
        self.seal_cv.notify_one();
        self.compact_cv.notify_one();
        st.compactions.clear();
        st.seals.drain(..).collect()
    }

    /// Queues `sealed` for the compaction thread, if it runs.
    pub(super) fn compact_behind(&self, sealed: &Arc<Segment>) {
        let mut st = self.state.lock();
        if st.compactor && !st.stop {
            st.compactions.push_back(Arc::downgrade(sealed));
            self.compact_cv.notify_one();
        }
    }

    /// The compaction thread: writes each sealed segment anew with its single appends
    /// compressed (see `compact.rs`) and leaves the result for the writer to install. A
    /// failure leaves the segment as it was: nothing else to do here.
    pub(super) fn run_compactions(&self, options: crate::options::Options) {
        loop {
            let job = {
                let mut st = self.state.lock();
                while !st.stop && st.compactions.is_empty() {
                    self.compact_cv.wait(&mut st);
                }
                if st.stop {
                    return;
                }
                st.compactions.pop_front()
            };
            let Some(seg) = job.and_then(|w| w.upgrade()) else {
                continue;
            };
            let Ok(Some(r)) = super::compact::rewrite_segment(&options, &seg) else {
                continue;
            };
            let mut st = self.state.lock();
            if st.stop {
                r.discard();
                return;
            }
            st.ready.push((Arc::downgrade(&seg), r));
        }
    }

    /// Takes the rewrites the compaction thread finished (see `PrefaultState::ready`).
    pub(super) fn take_ready(&self) -> Vec<(Weak<Segment>, super::compact::Rewrite)> {
        std::mem::take(&mut self.state.lock().ready)
    }

    pub(super) fn seal_behind(
        &self,
        sealed: &Arc<Segment>,
        writable: &Arc<Segment>,
        next: &Arc<Segment>,
    ) {
        let job = SealJob {
            sealed: Arc::downgrade(sealed),
            writable: Arc::downgrade(writable),
            epoch: sealed.epoch(),
            count: sealed.count(),
            next: Arc::downgrade(next),
        };
        let mut st = self.state.lock();
        if st.sealer && !st.stop {
            st.seals.push_back(job);
            self.seal_cv.notify_one();
            return;
        }
        drop(st);
        self.seal(job);
    }

    pub(super) fn seal(&self, job: SealJob) {
        if let Some(sealed) = job.sealed.upgrade() {
            let result = match job.writable.upgrade() {
                Some(w) if !Arc::ptr_eq(&w, &sealed) => w.flush_view(),
                _ => Ok(()),
            }
            .and_then(|()| sealed.sync_store());
            // Retention or truncation removed it meanwhile: nothing left to make durable.
            if result.is_err() && sealed.is_removed() {
                return;
            }
            if let Err(e) = result {
                let owner = self.state.lock().owner.clone();
                if let Some(sh) = owner.and_then(|w| w.upgrade()) {
                    let what = format!("syncing sealed segment {}", sealed.paths.store.display());
                    sh.poison(&Error::io(what, e));
                }
                return;
            }
            sealed.mark_durable_in(job.epoch, job.count);
        }
        if let Some(next) = job.next.upgrade() {
            // Not synced: until a later sync carries it, a crash only makes recovery scan the
            // sealed segment once more.
            let _ = next.update_header(|h| h.flags &= !crate::format::FLAG_PREV_UNSYNCED);
        }
    }

    /// The prefault thread.
    pub(super) fn run_prefault(&self) {
        const CHUNK: u64 = 256 * 1024;
        loop {
            let (seg, from, to) = {
                let mut st = self.state.lock();
                while !st.stop && (st.segment.is_none() || st.from >= st.to) {
                    self.cv.wait(&mut st);
                }
                if st.stop {
                    return;
                }
                let from = st.from;
                let to = st.to.min(from + CHUNK);
                st.from = to;
                (st.segment.clone(), from, to)
            };
            if let Some(seg) = seg {
                seg.active_files().store.populate(from, to - from);
            }
        }
    }

    /// The seal thread.
    pub(super) fn run_seals(&self) {
        loop {
            let job = {
                let mut st = self.state.lock();
                while !st.stop && st.seals.is_empty() {
                    self.seal_cv.wait(&mut st);
                }
                if st.stop {
                    return;
                }
                st.seals.pop_front()
            };
            if let Some(job) = job {
                self.seal(job);
            }
        }
    }
}

#[derive(Debug)]
pub(super) struct FlusherCtl {
    pub(super) stop: Mutex<bool>,
    pub(super) cv: Condvar,
}

#[derive(Debug)]
pub(super) struct Flusher {
    pub(super) ctl: Arc<FlusherCtl>,
    pub(super) handle: JoinHandle<()>,
}

impl Shared {
    pub(super) fn stop_flusher(&self) {
        let Some(f) = self.flusher.lock().take() else {
            return;
        };
        *f.ctl.stop.lock() = true;
        f.ctl.cv.notify_all();
        if *self.flusher_thread.lock() != Some(thread::current().id()) {
            let _ = f.handle.join();
        }
    }
}

pub(super) fn start_flusher(shared: &Arc<Shared>, every: Duration) {
    let ctl = Arc::new(FlusherCtl {
        stop: Mutex::new(false),
        cv: Condvar::new(),
    });
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let thread_ctl = ctl.clone();
    let handle = thread::Builder::new()
        .name("segmentlog-flusher".into())
        .spawn(move || {
            loop {
                {
                    let mut stop = thread_ctl.stop.lock();
                    if !*stop {
                        thread_ctl.cv.wait_for(&mut stop, every);
                    }
                    if *stop {
                        return;
                    }
                }
                let Some(sh) = weak.upgrade() else { return };
                let target = sh.writer.lock().as_ref().map(|w| w.written);
                if let Some(t) = target {
                    // A failure poisons the log; the next append reports it.
                    let _ = sh.sync_to(SyncGoal::Written(t));
                }
            }
        });
    if let Ok(handle) = handle {
        *shared.flusher_thread.lock() = Some(handle.thread().id());
        *shared.flusher.lock() = Some(Flusher { ctl, handle });
    }
}
