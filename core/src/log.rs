//! The log: a directory of segments, one writer, many readers.
//!
//! Locks, always taken in this order:
//! 1. `writer` (mutex): the append path and everything that changes the active segment.
//! 2. `segments` (rwlock): the list of segments. Readers hold it shared while they copy a
//!    record out; only roll, truncation, retention and close take it exclusively, and only
//!    briefly, so reads never wait for an append.
//!
//! Appends write past the published end of the active segment and then publish (see
//! `segment.rs`), so they need no lock that readers take. Under `SyncPolicy::Always` the
//! appender releases the writer lock before syncing, and concurrent appenders share one
//! `fdatasync` (group commit, `sync_to`).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Condvar, Mutex, RwLock};

use crate::crc;
use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::format::{self, FLAG_COMMIT, RECORD_HEADER_LEN, STORE_HEADER_LEN};
use crate::lock::DirLock;
use crate::options::{Options, SyncPolicy};
use crate::record::{Record, RecordRef};
use crate::recovery::{self, CLEAN_MARKER, sync_dir};
use crate::segment::Segment;

/// A segmented, append-only log in one directory.
///
/// `Log` is a cheap handle (`Clone` shares the same open log); it is `Send + Sync` and every
/// method takes `&self`, so threads may share it. The log is closed by [`Log::close`] (any
/// handle) or when the last handle and iterator are dropped.
#[derive(Debug, Clone)]
pub struct Log {
    shared: Arc<Shared>,
}

/// Facts about one segment, for tools (`commitlog info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// Offset of the segment's first record.
    pub base_offset: u64,
    /// One past the offset of its last record (`base_offset` when empty).
    pub next_offset: u64,
    /// Bytes of the store used by records and header.
    pub store_bytes: u64,
    /// Bytes of the index used by entries and header.
    pub index_bytes: u64,
    /// Timestamp of the first record, if any (and readable).
    pub first_timestamp: Option<u64>,
    /// Timestamp of the last record, if any (and readable).
    pub last_timestamp: Option<u64>,
    /// Whether this is the active segment this handle writes (always false when read-only).
    pub active: bool,
    /// Path of the store file.
    pub store_path: PathBuf,
    /// Path of the index file.
    pub index_path: PathBuf,
}

/// The writer's state, behind the writer lock (`None` once closed, or for read-only logs).
#[derive(Debug)]
struct Writer {
    active: Arc<Segment>,
    /// Store position where the next record goes (= `active.end()`).
    pos: u64,
    /// Offset the next record gets (= `active.next()`).
    next: u64,
    /// Timestamp of the newest record; timestamps never decrease.
    last_ts: u64,
    /// Bytes appended since open: the group-commit sequence number.
    written: u64,
    /// Sealed segments whose data and trimmed length are not yet synced (`SyncPolicy::Never`).
    unsynced: Vec<Arc<Segment>>,
    /// Store position up to which pages were faulted in ahead of the writer.
    populated: u64,
}

/// How far ahead of the writer pages of the active store are faulted in: at ~1.3 GB/s of
/// batched appends, 8 MiB is ~6 ms, so the prefaulter stays ahead even when it waits a
/// scheduler tick or two for a core.
const PREFAULT_WINDOW: u64 = 8 << 20;
/// The writer asks for more once it has used up this much of the window (one request per MiB
/// appended).
const PREFAULT_STEP: u64 = 1 << 20;

impl Writer {
    /// Asks the prefaulter to fault in pages ahead of the writer, once per `PREFAULT_STEP`, so
    /// that appends write into pages already in the page cache instead of each first touch of
    /// a page taking a fault (and a page zeroing) on the append path.
    #[inline]
    fn prefault_ahead(&mut self, prefaulter: &Prefaulter) {
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
struct Prefaulter {
    state: Mutex<PrefaultState>,
    /// Wakes the prefault thread.
    cv: Condvar,
    /// Wakes the seal thread.
    seal_cv: Condvar,
}

#[derive(Debug, Default)]
struct PrefaultState {
    segment: Option<Arc<Segment>>,
    from: u64,
    to: u64,
    stop: bool,
    /// Segments sealed under `SyncPolicy::Never` whose sync runs on the seal thread, off the
    /// append path, in the order they were sealed.
    seals: std::collections::VecDeque<SealJob>,
    /// Whether the seal thread runs (if it could not be started, the writer seals itself).
    sealer: bool,
    /// The log, to poison it if a background sync fails.
    owner: Option<Weak<Shared>>,
}

/// Sync `sealed`, then clear `FLAG_PREV_UNSYNCED` in the header of `next` (its successor).
#[derive(Debug)]
struct SealJob {
    sealed: Arc<Segment>,
    next: Arc<Segment>,
}

impl Prefaulter {
    fn request(&self, segment: &Arc<Segment>, from: u64, to: u64) {
        let mut st = self.state.lock();
        if !st.segment.as_ref().is_some_and(|s| Arc::ptr_eq(s, segment)) {
            st.segment = Some(segment.clone());
        }
        st.from = from & !4095;
        st.to = to;
        self.cv.notify_one();
    }

    /// Stops both threads; returns the seals not started, for `close` to run, so that every
    /// seal runs exactly once whichever thread gets to it.
    fn stop(&self) -> Vec<SealJob> {
        let mut st = self.state.lock();
        st.stop = true;
        st.segment = None;
        self.cv.notify_one();
        self.seal_cv.notify_one();
        st.seals.drain(..).collect()
    }

    fn seal_behind(&self, sealed: Arc<Segment>, next: Arc<Segment>) {
        let job = SealJob { sealed, next };
        let mut st = self.state.lock();
        if st.sealer && !st.stop {
            st.seals.push_back(job);
            self.seal_cv.notify_one();
            return;
        }
        drop(st);
        self.seal(job);
    }

    fn seal(&self, job: SealJob) {
        let SealJob { sealed, next } = job;
        let result = sealed
            .store
            .sync_all()
            .and_then(|()| next.store.set_header_flags(next.base, 0));
        if let Err(e) = result {
            let owner = self.state.lock().owner.clone();
            if let Some(sh) = owner.and_then(|w| w.upgrade()) {
                let what = format!("syncing sealed segment {}", sealed.store.path().display());
                sh.poison(&Error::io(what, e));
            }
        }
    }

    /// The prefault thread.
    fn run_prefault(&self) {
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
                seg.store.populate(from, to - from);
            }
        }
    }

    /// The seal thread.
    fn run_seals(&self) {
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

#[derive(Debug, Default)]
struct SyncState {
    /// `Writer::written` value known to be durable.
    synced: u64,
    /// Appenders released by the last round that have not called `sync_to` again yet.
    returning: usize,
    /// How long the last round's syncs took.
    last_round: Duration,
    /// The last gathering gave up before every appender came back.
    gather_timed_out: bool,
    /// Targets of the appenders waiting for a round (one each).
    waiting: Vec<u64>,
    /// Whether a thread is inside fdatasync for the group.
    running: bool,
    /// Sync rounds started and finished (rounds run one at a time, so they finish in order).
    started: u64,
    finished: u64,
}

/// The longest a round's leader waits for appenders to come back (`Shared::sync_to`).
const GATHER_MAX: Duration = Duration::from_millis(1);

/// What a caller of `sync_to` waits for.
#[derive(Debug, Clone, Copy)]
enum SyncGoal {
    /// Everything up to this `Writer::written` value durable, for an append under
    /// `SyncPolicy::Always` (shared rounds; appenders are expected back, see `returning`).
    Appended(u64),
    /// Everything up to this `Writer::written` value durable (shared rounds).
    Written(u64),
    /// A round that starts after the call (`Log::sync`: also covers data a previous process
    /// left in the page cache, which no counter of this one knows about).
    FreshRound,
}

#[derive(Debug)]
struct FlusherCtl {
    stop: Mutex<bool>,
    cv: Condvar,
}

#[derive(Debug)]
struct Flusher {
    ctl: Arc<FlusherCtl>,
    handle: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    options: Options,
    segments: RwLock<Vec<Arc<Segment>>>,
    writer: Mutex<Option<Writer>>,
    closed: AtomicBool,
    poisoned: AtomicBool,
    poison_reason: Mutex<String>,
    sync: Mutex<SyncState>,
    sync_cv: Condvar,
    /// Wakes a round's leader gathering appenders (`SyncState::returning` reached 0).
    gather_cv: Condvar,
    tail: Mutex<()>,
    tail_cv: Condvar,
    waiters: AtomicUsize,
    refresh: Mutex<()>,
    lock: Mutex<Option<DirLock>>,
    opened_clean: bool,
    flusher: Mutex<Option<Flusher>>,
    flusher_thread: Mutex<Option<ThreadId>>,
    prefaulter: Arc<Prefaulter>,
    /// The prefault and seal threads.
    background: Mutex<Vec<JoinHandle<()>>>,
    /// Group syncs run since open (each covers every append before it).
    syncs: AtomicU64,
}

/// Wall-clock milliseconds for record timestamps, from the coarse clock: `SystemTime::now()`
/// and its u128 millisecond conversion cost ~35 ns of CPU per append on the bench machine
/// (a quarter of an append of 100 bytes), the coarse clock ~10 ns. Its resolution is one
/// kernel tick (1-4 ms): timestamps stay in ms and never decrease, but records appended
/// within one tick share it.
fn now_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    if rc != 0 {
        return SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
    }
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// The segment holding `offset`, if the log holds it.
fn find(segs: &[Arc<Segment>], offset: u64) -> Option<&Arc<Segment>> {
    let last = segs.last()?;
    if offset >= last.next() || offset < segs[0].base {
        return None;
    }
    if offset >= last.base {
        return Some(last);
    }
    let i = segs.partition_point(|s| s.base <= offset);
    segs.get(i.checked_sub(1)?)
}

impl Shared {
    fn bounds(&self, segs: &[Arc<Segment>]) -> (u64, u64) {
        match (segs.first(), segs.last()) {
            (Some(first), Some(last)) => (first.base, last.next()),
            _ => (self.options.initial_offset, self.options.initial_offset),
        }
    }

    fn out_of_range(&self, offset: u64, segs: &[Arc<Segment>]) -> Error {
        let (lowest, next) = self.bounds(segs);
        Error::OutOfRange {
            offset,
            lowest,
            next,
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    fn poison_error(&self) -> Option<Error> {
        self.poisoned
            .load(Ordering::Acquire)
            .then(|| Error::Poisoned {
                reason: self.poison_reason.lock().clone(),
            })
    }

    fn poison(&self, err: &Error) -> Error {
        let mut reason = self.poison_reason.lock();
        if !self.poisoned.swap(true, Ordering::AcqRel) {
            *reason = err.to_string();
        }
        Error::Poisoned {
            reason: reason.clone(),
        }
    }

    /// The writer state, or why writing is not possible.
    fn writable<'a>(&self, guard: &'a mut Option<Writer>) -> Result<&'a mut Writer> {
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

    fn end_offset(&self) -> u64 {
        let segs = self.segments.read();
        self.bounds(&segs).1
    }

    fn notify_tailers(&self) {
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::Relaxed) > 0 {
            let _g = self.tail.lock();
            self.tail_cv.notify_all();
        }
    }

    /// Seals the active segment and starts a new one at `w.next`.
    fn roll(&self, w: &mut Writer) -> Result<()> {
        let o = &self.options;
        // The records of the segment being sealed reach the disk before any newer segment can
        // exist there, whatever the sync policy: recovery trusts every segment but the newest
        // to be whole, so a power cut must never leave a newer segment after an older one
        // whose pages were still in the page cache (with `SyncPolicy::Never` the log would
        // then refuse to open). This costs one fdatasync per segment, never one per append.
        //
        // Under `SyncPolicy::Never` that sync runs on a background thread instead, so appends
        // do not wait for the disk: the new segment carries `FLAG_PREV_UNSYNCED` until it is
        // done, and recovery then accepts a torn tail in the sealed segment (cutting the log
        // there) instead of calling it corruption.
        let sync = o.sync != SyncPolicy::Never;
        if sync {
            w.active
                .store
                .sync_data()
                .context(|| format!("sealing {}", w.active.store.path().display()))
                .map_err(|e| self.poison(&e))?;
        }
        let seg = Arc::new(Segment::create(
            &self.dir,
            w.next,
            if sync { 0 } else { format::FLAG_PREV_UNSYNCED },
            o.max_segment_bytes,
            o.max_index_bytes,
        )?);
        let old = std::mem::replace(&mut w.active, seg.clone());
        let sealed = (|| -> Result<()> {
            let what = || format!("sealing {}", old.store.path().display());
            old.store.trim(w.pos).context(what)?;
            old.index.trim(old.count(), sync).context(what)?;
            if sync {
                old.store.sync_all().context(what)?;
            }
            sync_dir(&self.dir)
        })();
        if let Err(e) = sealed {
            // The new segment exists on disk but the old one could not be made durable:
            // refuse further writes rather than build on it.
            return Err(self.poison(&e));
        }
        // Readers get a fresh read-only mapping of the sealed files: the writable one keeps
        // every page it wrote mapped (resident), a fresh one maps only what readers touch.
        let remapped = crate::store::Store::open_sealed(old.store.path())
            .and_then(|store| Ok((store, crate::index::Index::open_sealed(old.index.path())?)))
            .map(|(store, index)| {
                Arc::new(Segment::new(old.base, store, index, old.next(), old.end()))
            });
        {
            let mut segs = self.segments.write();
            let mut unsynced = old;
            if let (Ok(sealed), Some(last)) = (remapped, segs.last_mut()) {
                // What waits for a sync is the file, not the writable map: keep the fresh
                // mapping, so that the old one (every page it wrote) goes away now.
                unsynced = sealed.clone();
                *last = sealed;
            }
            segs.push(seg.clone());
            if !sync {
                self.prefaulter.seal_behind(unsynced.clone(), seg.clone());
                w.unsynced.push(unsynced);
            }
        }
        w.pos = STORE_HEADER_LEN;
        w.populated = 0;
        Ok(())
    }

    /// Rolls if `total` more bytes in `count` records do not fit the active segment.
    fn make_room(&self, w: &mut Writer, total: u64, count: u64) -> Result<bool> {
        let full = |w: &Writer| {
            w.pos.saturating_add(total) > self.options.max_segment_bytes
                || w.next - w.active.base + count > w.active.index.capacity()
        };
        if !full(w) {
            return Ok(false);
        }
        if w.next > w.active.base {
            self.roll(w)?;
        }
        if full(w) {
            return Err(Error::InvalidArgument(format!(
                "{count} record(s) of {total} bytes in all do not fit in one segment (max_segment_bytes = {}, max_index_bytes = {})",
                self.options.max_segment_bytes, self.options.max_index_bytes
            )));
        }
        Ok(true)
    }

    /// Waits until `goal` is durable; threads that arrive while a sync runs share the next
    /// round (group commit).
    fn sync_to(&self, goal: SyncGoal) -> Result<()> {
        let mut st = self.sync.lock();
        let round = st.started + 1;
        // An appender's target also names it among the waiters (every append's is different).
        let appended = match goal {
            SyncGoal::Appended(target) => Some(target),
            _ => None,
        };
        if appended.is_some() && st.returning > 0 {
            st.returning -= 1;
            if st.returning == 0 {
                self.gather_cv.notify_all();
            }
        }
        let mut registered = false;
        let mut gathered = false;
        let result = loop {
            if let Some(e) = self.poison_error() {
                break Err(e);
            }
            let done = match goal {
                SyncGoal::Written(target) | SyncGoal::Appended(target) => st.synced >= target,
                SyncGoal::FreshRound => st.finished >= round,
            };
            if done {
                // A registered appender was counted in `returning` by the round that covered it.
                registered = false;
                break Ok(());
            }
            if st.running {
                if let (Some(target), false) = (appended, registered) {
                    st.waiting.push(target);
                    registered = true;
                }
                self.sync_cv.wait(&mut st);
                continue;
            }
            if st.returning > 0 && !gathered {
                // Group commit gathers: the appenders the last round released are about to
                // append again. Without waiting for them each round would carry only those
                // that appended while the previous one ran, about half of them. Waiting is
                // bounded by half a round's duration, so a fast disk waits little; after a wait
                // that timed out (appenders that do other work between appends) the next round
                // does not wait at all.
                gathered = true;
                if st.gather_timed_out {
                    st.gather_timed_out = false;
                } else {
                    let deadline = Instant::now() + (st.last_round / 2).min(GATHER_MAX);
                    while st.returning > 0 && !self.closed.load(Ordering::Acquire) {
                        if self.gather_cv.wait_until(&mut st, deadline).timed_out() {
                            st.gather_timed_out = st.returning > 0;
                            break;
                        }
                    }
                }
                st.returning = 0;
                continue;
            }
            if registered {
                // Leading now: counted below when the round ends, not as a waiter.
                let me = appended;
                st.waiting.retain(|&t| Some(t) != me);
                registered = false;
            }
            st.running = true;
            st.started += 1;
            drop(st);
            let began = Instant::now();
            let result = self.sync_now();
            let took = began.elapsed();
            st = self.sync.lock();
            st.running = false;
            st.finished += 1;
            st.last_round = took;
            self.sync_cv.notify_all();
            match result {
                Ok(mark) => {
                    st.synced = st.synced.max(mark);
                    // The appenders this round released (the waiters it covered, and this
                    // one) will most likely append again at once: the next round waits a
                    // moment for them (see above).
                    let synced = st.synced;
                    let before = st.waiting.len();
                    st.waiting.retain(|&t| t > synced);
                    let mine = usize::from(appended.is_some_and(|t| t <= synced));
                    st.returning = before - st.waiting.len() + mine;
                }
                Err(Error::Closed) => break Err(Error::Closed),
                Err(e) => break Err(self.poison(&e)),
            }
        };
        if registered {
            let me = appended;
            st.waiting.retain(|&t| Some(t) != me);
        }
        result
    }

    fn sync_now(&self) -> Result<u64> {
        let (active, unsynced, mark) = {
            let mut g = self.writer.lock();
            let w = g.as_mut().ok_or(Error::Closed)?;
            (w.active.clone(), std::mem::take(&mut w.unsynced), w.written)
        };
        self.syncs.fetch_add(1, Ordering::Relaxed);
        for s in unsynced {
            s.store
                .sync_all()
                .context(|| format!("syncing {}", s.store.path().display()))?;
        }
        active
            .store
            .sync_data()
            .context(|| format!("syncing {}", active.store.path().display()))?;
        Ok(mark)
    }

    fn apply_retention(&self) -> Result<()> {
        let o = &self.options;
        if o.retention_bytes.is_none() && o.retention_ms.is_none() {
            return Ok(());
        }
        let victims: Vec<Arc<Segment>> = {
            let mut segs = self.segments.write();
            let mut total: u64 = segs.iter().map(|s| s.end()).sum();
            let now = now_ms();
            let mut n = 0;
            while n + 1 < segs.len() {
                let s = &segs[n];
                let too_big = o.retention_bytes.is_some_and(|max| total > max);
                let too_old = o.retention_ms.is_some_and(|ms| {
                    s.count() > 0
                        && s.timestamp(s.next() - 1)
                            .is_ok_and(|t| t.saturating_add(ms) < now)
                });
                if !(too_big || too_old) {
                    break;
                }
                total -= s.end();
                n += 1;
            }
            segs.drain(..n).collect()
        };
        self.remove_files(&victims)
    }

    fn remove_files(&self, victims: &[Arc<Segment>]) -> Result<()> {
        if victims.is_empty() {
            return Ok(());
        }
        for s in victims {
            recovery::remove_segment_files(&self.dir, s.base)?;
        }
        sync_dir(&self.dir)
    }

    /// Read-only logs: pick up what the writer (another process) appended, rolled or removed.
    fn refresh(&self) -> Result<()> {
        if !self.options.read_only {
            return Ok(());
        }
        let _g = self.refresh.lock();
        let newest = self.segments.read().last().cloned();
        let Some(seg) = newest else {
            return self.reload();
        };
        let file = seg.store.file();
        let meta = file
            .metadata()
            .context(|| format!("reading {}", seg.store.path().display()))?;
        if std::os::unix::fs::MetadataExt::nlink(&meta) == 0 {
            return self.reload();
        }
        let len = meta.len();
        let scan = recovery::scan(file, seg.end(), seg.next(), len)
            .context(|| format!("reading {}", seg.store.path().display()))?;
        let count = seg.count();
        for (i, p) in scan.positions.iter().enumerate() {
            seg.index.set(count + i as u64, *p);
        }
        if !scan.positions.is_empty() {
            seg.publish(scan.next, scan.end);
        } else if len == seg.end() {
            // The writer trimmed the file: it rolled to a new segment or closed.
            return self.reload();
        }
        Ok(())
    }

    fn reload(&self) -> Result<()> {
        let mut tries = 0;
        loop {
            let clean = self.dir.join(CLEAN_MARKER).exists();
            match recovery::load(&self.dir, &self.options, clean, true) {
                Ok(loaded) => {
                    *self.segments.write() = loaded.segments;
                    return Ok(());
                }
                // A file vanished between listing and opening (the writer removed it).
                Err(Error::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound && tries < 3 =>
                {
                    tries += 1
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn stop_flusher(&self) {
        let Some(f) = self.flusher.lock().take() else {
            return;
        };
        *f.ctl.stop.lock() = true;
        f.ctl.cv.notify_all();
        if *self.flusher_thread.lock() != Some(thread::current().id()) {
            let _ = f.handle.join();
        }
    }

    fn close(&self) -> Result<()> {
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
        let writer = self.writer.lock().take();
        let mut result = Ok(());
        if let Some(w) = writer {
            if self.poison_error().is_none() {
                result = self.close_clean(&w);
                if result.is_ok() {
                    self.sync.lock().synced = w.written;
                }
            }
        }
        self.segments.write().clear();
        *self.lock.lock() = None;
        {
            let _g = self.tail.lock();
            self.tail_cv.notify_all();
        }
        {
            let _g = self.sync.lock();
            self.sync_cv.notify_all();
            self.gather_cv.notify_all();
        }
        result
    }

    /// Syncs and trims everything, then writes the clean-shutdown marker.
    fn close_clean(&self, w: &Writer) -> Result<()> {
        for s in &w.unsynced {
            s.store
                .sync_all()
                .context(|| format!("syncing {}", s.store.path().display()))?;
        }
        let a = &w.active;
        let what = || format!("closing {}", a.store.path().display());
        a.store.sync_data().context(what)?;
        a.store.trim(w.pos).context(what)?;
        a.store.sync_all().context(what)?;
        a.index.trim(a.count(), true).context(what)?;
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

fn start_flusher(shared: &Arc<Shared>, every: Duration) {
    let ctl = Arc::new(FlusherCtl {
        stop: Mutex::new(false),
        cv: Condvar::new(),
    });
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let thread_ctl = ctl.clone();
    let handle = thread::Builder::new()
        .name("commitlog-flusher".into())
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

impl Log {
    /// Opens the log in `dir`, creating the directory and an empty log if needed, and recovers
    /// whatever a crash left (see [`crate::RecoveryMode`]).
    ///
    /// Fails with [`Error::Locked`] if another writer holds the directory (unless
    /// `options.read_only`). The lock is an `flock` on `dir/LOCK`: a child process forked
    /// while the log is open shares it until the child execs or exits, so a program that
    /// spawns children may briefly see `Locked` right after `close()`.
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<Log> {
        options.validate()?;
        let dir = dir.as_ref().to_path_buf();
        if dir.as_os_str().is_empty() {
            // `create_dir_all("")` succeeds and the lock file would land in the current
            // directory: an empty path names no log.
            return Err(Error::InvalidArgument(
                "the log directory path is empty".into(),
            ));
        }
        let read_only = options.read_only;
        if read_only {
            std::fs::read_dir(&dir)
                .context(|| format!("opening log directory {}", dir.display()))?;
        } else {
            std::fs::create_dir_all(&dir)
                .context(|| format!("creating log directory {}", dir.display()))?;
        }
        let lock = if read_only {
            None
        } else {
            Some(DirLock::acquire(&dir)?)
        };
        let marker = dir.join(CLEAN_MARKER);
        let clean = marker.exists();
        let loaded = recovery::load(&dir, &options, clean, read_only)?;
        if clean && !read_only {
            // From here on the files change: a crash must lead to a full recovery.
            fault::check(Op::Remove, &marker)
                .and_then(|_| std::fs::remove_file(&marker))
                .context(|| format!("removing {}", marker.display()))?;
            sync_dir(&dir)?;
        }
        let writer = if read_only {
            None
        } else {
            let active = loaded
                .segments
                .last()
                .cloned()
                .ok_or_else(|| Error::InvalidArgument("no active segment".into()))?;
            Some(Writer {
                pos: active.end(),
                next: active.next(),
                last_ts: loaded.last_timestamp,
                written: 0,
                unsynced: Vec::new(),
                populated: 0,
                active,
            })
        };
        let sync = options.sync;
        let shared = Arc::new(Shared {
            dir,
            options,
            segments: RwLock::new(loaded.segments),
            writer: Mutex::new(writer),
            closed: AtomicBool::new(false),
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(String::new()),
            sync: Mutex::new(SyncState::default()),
            sync_cv: Condvar::new(),
            gather_cv: Condvar::new(),
            tail: Mutex::new(()),
            tail_cv: Condvar::new(),
            waiters: AtomicUsize::new(0),
            refresh: Mutex::new(()),
            lock: Mutex::new(lock),
            opened_clean: clean,
            flusher: Mutex::new(None),
            flusher_thread: Mutex::new(None),
            prefaulter: Arc::new(Prefaulter::default()),
            background: Mutex::new(Vec::new()),
            syncs: AtomicU64::new(0),
        });
        if !read_only {
            shared.prefaulter.state.lock().owner = Some(Arc::downgrade(&shared));
            let mut threads = shared.background.lock();
            let prefaulter = shared.prefaulter.clone();
            // Without this thread appends still work; they take the page faults themselves.
            if let Ok(handle) = thread::Builder::new()
                .name("commitlog-prefault".into())
                .spawn(move || prefaulter.run_prefault())
            {
                threads.push(handle);
            }
            // Only `SyncPolicy::Never` seals in the background (the other policies sync a
            // segment before rolling past it). Without this thread a roll syncs the sealed
            // segment itself.
            if sync == SyncPolicy::Never {
                let sealer = shared.prefaulter.clone();
                if let Ok(handle) = thread::Builder::new()
                    .name("commitlog-seal".into())
                    .spawn(move || sealer.run_seals())
                {
                    threads.push(handle);
                    shared.prefaulter.state.lock().sealer = true;
                }
            }
            drop(threads);
            if let SyncPolicy::Interval(every) = sync {
                start_flusher(&shared, every);
            }
            shared.apply_retention()?;
        }
        Ok(Log { shared })
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The options the log was opened with.
    pub fn options(&self) -> &Options {
        &self.shared.options
    }

    /// Appends one value; returns its offset.
    pub fn append(&self, value: &[u8]) -> Result<u64> {
        let sh = &*self.shared;
        let total = RECORD_HEADER_LEN + value.len() as u64;
        let (offset, mark, rolled) = {
            let mut guard = sh.writer.lock();
            let w = sh.writable(&mut guard)?;
            if value.len() as u64 > sh.options.max_value_bytes() {
                return Err(Error::InvalidArgument(format!(
                    "a value of {} bytes does not fit in a segment (at most {} bytes with max_segment_bytes = {})",
                    value.len(),
                    sh.options.max_value_bytes(),
                    sh.options.max_segment_bytes
                )));
            }
            let rolled = sh.make_room(w, total, 1)?;
            w.prefault_ahead(&sh.prefaulter);
            let ts = now_ms().max(w.last_ts);
            let offset = w.next;
            // SAFETY: make_room guarantees pos + total <= max_segment_bytes <= mapped length;
            // the bytes lie past the published end and we hold the writer lock.
            unsafe {
                w.active.write_at(w.pos, total, |dst| {
                    format::encode_record(dst, offset, ts, FLAG_COMMIT, value)
                });
            }
            w.active.index.set(offset - w.active.base, w.pos as u32);
            w.pos += total;
            w.next += 1;
            w.written += total;
            w.last_ts = ts;
            w.active.publish(w.next, w.pos);
            (offset, w.written, rolled)
        };
        sh.notify_tailers();
        if rolled {
            sh.apply_retention()?;
        }
        if sh.options.sync == SyncPolicy::Always {
            sh.sync_to(SyncGoal::Appended(mark))?;
        }
        Ok(offset)
    }

    /// Appends many values with one write (and one sync under `SyncPolicy::Always`); returns
    /// the range of offsets they got. After a crash the batch is all there or not at all. The
    /// whole batch must fit in one segment.
    pub fn append_batch<V: AsRef<[u8]>>(&self, values: &[V]) -> Result<Range<u64>> {
        let sh = &*self.shared;
        let count = values.len() as u64;
        // Saturating: lengths handed in through the C API are only as honest as the caller,
        // and a wrapped sum would let an impossible batch past the size check.
        let total: u64 = values.iter().fold(0u64, |t, v| {
            t.saturating_add(RECORD_HEADER_LEN.saturating_add(v.as_ref().len() as u64))
        });
        let (range, mark, rolled) = {
            let mut guard = sh.writer.lock();
            let w = sh.writable(&mut guard)?;
            if count == 0 {
                return Ok(w.next..w.next);
            }
            let rolled = sh.make_room(w, total, count)?;
            w.prefault_ahead(&sh.prefaulter);
            let ts = now_ms().max(w.last_ts);
            let first = w.next;
            let (base, start) = (w.active.base, w.pos);
            // SAFETY: make_room guarantees start + total fits the mapped store; the bytes lie
            // past the published end and we hold the writer lock.
            unsafe {
                w.active.write_at(start, total, |dst| {
                    // Records are sealed three at a time: three independent CRC chains.
                    let mut pending = [0usize; 4];
                    let mut waiting = 0;
                    let mut at = 0usize;
                    for (i, v) in values.iter().enumerate() {
                        let v = v.as_ref();
                        let len = RECORD_HEADER_LEN as usize + v.len();
                        let flags = if i + 1 == values.len() {
                            FLAG_COMMIT
                        } else {
                            0
                        };
                        format::encode_record_unsealed(
                            &mut dst[at..at + len],
                            first + i as u64,
                            ts,
                            flags,
                            v,
                        );
                        pending[waiting] = at;
                        waiting += 1;
                        at += len;
                        if waiting == 3 {
                            pending[3] = at;
                            seal_three(dst, pending);
                            waiting = 0;
                        }
                    }
                    pending[waiting] = at;
                    for k in 0..waiting {
                        let rec = &mut dst[pending[k]..pending[k + 1]];
                        let crc = crc::crc32c(&rec[4..]);
                        format::seal_record(rec, crc);
                    }
                });
            }
            let mut pos = start;
            for (i, v) in values.iter().enumerate() {
                w.active.index.set(first + i as u64 - base, pos as u32);
                pos += RECORD_HEADER_LEN + v.as_ref().len() as u64;
            }
            w.pos = pos;
            w.next += count;
            w.written += total;
            w.last_ts = ts;
            w.active.publish(w.next, w.pos);
            (first..w.next, w.written, rolled)
        };
        sh.notify_tailers();
        if rolled {
            sh.apply_retention()?;
        }
        if sh.options.sync == SyncPolicy::Always {
            sh.sync_to(SyncGoal::Appended(mark))?;
        }
        Ok(range)
    }

    /// Reads the record at `offset`.
    pub fn read(&self, offset: u64) -> Result<Record> {
        self.read_with(offset, |r| r.to_record())
    }

    /// Calls `f` with the record at `offset`, borrowed from the log's memory map (no copy).
    /// `f` must not call into this log.
    pub fn read_with<R>(&self, offset: u64, f: impl FnOnce(RecordRef<'_>) -> R) -> Result<R> {
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only {
            if offset >= sh.end_offset() {
                sh.refresh()?;
            }
            // The writer may have cut records this reader still knows: on damage, reload once.
            let first = {
                let segs = sh.segments.read();
                match find(&segs, offset) {
                    Some(seg) => seg.read_with(offset, |r| r.to_record()),
                    None => Err(sh.out_of_range(offset, &segs)),
                }
            };
            let rec = match first {
                Err(Error::Corrupt { .. }) => {
                    sh.reload()?;
                    let segs = sh.segments.read();
                    match find(&segs, offset) {
                        Some(seg) => seg.read_with(offset, |r| r.to_record())?,
                        None => return Err(sh.out_of_range(offset, &segs)),
                    }
                }
                other => other?,
            };
            return Ok(f(RecordRef {
                offset: rec.offset,
                timestamp: rec.timestamp,
                value: &rec.value,
            }));
        }
        let segs = sh.segments.read();
        match find(&segs, offset) {
            Some(seg) => seg.read_with(offset, f),
            None => Err(sh.out_of_range(offset, &segs)),
        }
    }

    /// Reads the records at `offsets`, in that order (an offset may repeat): the same records
    /// as calling [`Log::read`] for each, and the same first error, but faster for many random
    /// offsets, since their memory misses overlap (like RocksDB's `MultiGet`).
    pub fn read_many(&self, offsets: &[u64]) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(offsets.len());
        self.read_many_with(offsets, |r| out.push(r.to_record()))?;
        Ok(out)
    }

    /// Calls `f` with each record at `offsets`, in that order, borrowed from the log's memory
    /// map; stops at the first offset that cannot be read and returns its error (`f` has then
    /// seen the records before it). `f` must not call into this log.
    ///
    /// Offsets are taken a window at a time: the index entries of the whole window are asked
    /// of memory first, then the records, then each record is checked and handed out, so a
    /// window costs about two memory latencies instead of two per record.
    pub fn read_many_with(&self, offsets: &[u64], mut f: impl FnMut(RecordRef<'_>)) -> Result<()> {
        /// Reads per window (and per taking of the segments lock, so that a long call does
        /// not hold off a roll or a truncation).
        const WINDOW: usize = 16;
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only {
            // Reads through `pread` (no map to prefetch from): one at a time.
            for &offset in offsets {
                self.read_with(offset, &mut f)?;
            }
            return Ok(());
        }
        for window in offsets.chunks(WINDOW) {
            let segs = sh.segments.read();
            let mut found: [Option<&Arc<Segment>>; WINDOW] = [None; WINDOW];
            for (slot, &offset) in found.iter_mut().zip(window) {
                if let Some(seg) = find(&segs, offset) {
                    seg.prefetch_entry(offset);
                    *slot = Some(seg);
                }
            }
            for (seg, &offset) in found.iter().zip(window) {
                if let Some(seg) = seg {
                    seg.prefetch_record(offset);
                }
            }
            for (seg, &offset) in found.iter().zip(window) {
                match seg {
                    Some(seg) => seg.read_with(offset, &mut f)?,
                    None => return Err(sh.out_of_range(offset, &segs)),
                }
            }
        }
        Ok(())
    }

    /// Iterates over records in offset order starting at `from`, up to the end of the log as
    /// it grows; [`Iter::next_timeout`] waits for records not yet appended.
    pub fn iter(&self, from: u64) -> Iter {
        Iter {
            shared: self.shared.clone(),
            next: from,
            raw: Vec::new(),
            at: 0,
            raw_pos: 0,
            raw_segment: 0,
            raw_limit: 0,
            raw_to_end: false,
            need: 0,
            checked_to: 0,
            done: false,
        }
    }

    /// Waits until the record at `offset` exists (`next_offset() > offset`), or the timeout
    /// passes (`None`: wait forever). Returns whether it exists. Fails with `Closed` if the log
    /// is closed meanwhile.
    ///
    /// In-process appends wake waiters at once (no polling). A read-only log follows another
    /// process's appends by re-reading the files at most every 10 ms.
    pub fn wait_for(&self, offset: u64, timeout: Option<Duration>) -> Result<bool> {
        let sh = &*self.shared;
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut nap = Duration::from_millis(1);
        loop {
            sh.check_open()?;
            sh.refresh()?;
            if sh.end_offset() > offset {
                return Ok(true);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(false);
            }
            if sh.options.read_only {
                thread::sleep(deadline.map_or(nap, |d| nap.min(d - now)));
                nap = (nap * 2).min(Duration::from_millis(10));
                continue;
            }
            sh.waiters.fetch_add(1, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            {
                let mut g = sh.tail.lock();
                if sh.end_offset() <= offset && !sh.closed.load(Ordering::Acquire) {
                    match deadline {
                        None => sh.tail_cv.wait(&mut g),
                        Some(d) => {
                            sh.tail_cv.wait_until(&mut g, d);
                        }
                    }
                }
            }
            sh.waiters.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The lowest offset the log holds (equal to `next_offset()` when it is empty).
    pub fn lowest_offset(&self) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        let segs = sh.segments.read();
        Ok(sh.bounds(&segs).0)
    }

    /// The offset the next append will get.
    pub fn next_offset(&self) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        Ok(sh.end_offset())
    }

    /// Number of records held: `next_offset() - lowest_offset()`.
    pub fn len(&self) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        let segs = sh.segments.read();
        let (lowest, next) = sh.bounds(&segs);
        Ok(next - lowest)
    }

    /// Whether the log holds no record.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The first offset appended at or after `timestamp_ms` (ms since the Unix epoch); the
    /// lowest offset if every record is that new, `next_offset()` if none is.
    ///
    /// Timestamps never decrease along the log (an append never gets an earlier time than
    /// the record before it, even if the clock steps back), so this is a binary search over
    /// the offsets: O(log n) record reads through the index, no separate time index.
    pub fn offset_at_time(&self, timestamp_ms: u64) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        let segs = sh.segments.read();
        let (mut lo, mut hi) = sh.bounds(&segs);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let seg = find(&segs, mid).ok_or_else(|| sh.out_of_range(mid, &segs))?;
            if seg.timestamp(mid)? >= timestamp_ms {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo)
    }

    /// Drops whole segments whose records all lie below `offset`. With `offset` at or beyond
    /// `next_offset()` the log is emptied and the next append gets `offset`.
    pub fn truncate_front(&self, offset: u64) -> Result<()> {
        let sh = &*self.shared;
        if offset > format::MAX_OFFSET {
            return Err(Error::InvalidArgument(format!(
                "offset {offset} is above the largest offset {}",
                format::MAX_OFFSET
            )));
        }
        let mut guard = sh.writer.lock();
        let w = sh.writable(&mut guard)?;
        let active_empty = w.next == w.active.base;
        let victims: Vec<Arc<Segment>> = if offset > w.next || (offset == w.next && !active_empty) {
            // Re-base: a new empty segment at `offset`, marked so that a crash before the old
            // segments are gone still opens as the re-based log.
            let o = &sh.options;
            let seg = Arc::new(Segment::create(
                &sh.dir,
                offset,
                format::FLAG_REBASE,
                o.max_segment_bytes,
                o.max_index_bytes,
            )?);
            sync_dir(&sh.dir)?;
            let old = std::mem::replace(&mut *sh.segments.write(), vec![seg.clone()]);
            w.active = seg;
            w.pos = STORE_HEADER_LEN;
            w.populated = 0;
            w.next = offset;
            w.unsynced.clear();
            old
        } else {
            let mut segs = sh.segments.write();
            let n = segs
                .iter()
                .take(segs.len() - 1)
                .take_while(|s| s.next() <= offset)
                .count();
            segs.drain(..n).collect()
        };
        drop(guard);
        sh.remove_files(&victims)?;
        sh.notify_tailers();
        Ok(())
    }

    /// Removes every record at or after `offset` (durably); the next append gets `offset`.
    /// `offset` must lie in `lowest_offset()..=next_offset()`.
    pub fn truncate_back(&self, offset: u64) -> Result<()> {
        let sh = &*self.shared;
        let mut guard = sh.writer.lock();
        let w = sh.writable(&mut guard)?;
        if offset == w.next {
            return Ok(());
        }
        let mut segs = sh.segments.write();
        let Some(idx) =
            find(&segs, offset).map(|s| segs.iter().position(|x| Arc::ptr_eq(x, s)).unwrap_or(0))
        else {
            return Err(sh.out_of_range(offset, &segs));
        };
        // Newest first, so that a crash midway leaves a log without gaps.
        let later: Vec<Arc<Segment>> = segs.drain(idx + 1..).collect();
        for s in later.iter().rev() {
            recovery::remove_segment_files(&sh.dir, s.base)?;
        }
        if !later.is_empty() {
            sync_dir(&sh.dir)?;
        }
        let target = segs[idx].clone();
        let seg = if Arc::ptr_eq(&target, &w.active) {
            target
        } else {
            // A sealed segment becomes the active one again: reopen it writable.
            let o = &sh.options;
            let store =
                crate::store::Store::open_writable(target.store.path(), o.max_segment_bytes)
                    .context(|| format!("reopening {}", target.store.path().display()))?;
            let index = crate::index::Index::open_writable(target.index.path(), o.max_index_bytes)
                .context(|| format!("reopening {}", target.index.path().display()))?;
            let seg = Arc::new(Segment::new(
                target.base,
                store,
                index,
                target.next(),
                target.end(),
            ));
            segs[idx] = seg.clone();
            seg
        };
        let sync_err = |e| {
            sh.poison(&Error::io(
                format!("syncing {}", seg.store.path().display()),
                e,
            ))
        };
        if seg.mark_commit(offset)? {
            seg.store.sync_data().map_err(sync_err)?;
        }
        let pos = seg.cut(offset)?;
        seg.store
            .sync_data()
            .context(|| format!("syncing {}", seg.store.path().display()))
            .map_err(|e| sh.poison(&e))?;
        drop(segs);
        w.unsynced.retain(|s| s.base < seg.base);
        w.active = seg;
        w.pos = pos;
        w.populated = 0;
        w.next = offset;
        drop(guard);
        sh.notify_tailers();
        Ok(())
    }

    /// Empties the log; offsets go on from where they were (none is reused).
    pub fn reset(&self) -> Result<()> {
        self.truncate_front(self.next_offset()?)
    }

    /// Makes everything appended so far durable. A no-op for a read-only log.
    pub fn sync(&self) -> Result<()> {
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only {
            return Ok(());
        }
        sh.writable(&mut sh.writer.lock())?;
        sh.sync_to(SyncGoal::FreshRound)
    }

    /// Closes the log: syncs, trims the active segment, marks a clean shutdown and releases
    /// the lock. Idempotent; every later call on any handle fails with `Closed`.
    pub fn close(&self) -> Result<()> {
        self.shared.close()
    }

    /// Whether the log was closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Closes the log and deletes its files and directory (a directory holding other files
    /// keeps them, and stays).
    pub fn remove(&self) -> Result<()> {
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only {
            return Err(Error::InvalidArgument(
                "a read_only log cannot remove its files".into(),
            ));
        }
        sh.close()?;
        let (bases, orphans) = recovery::list_segments(&sh.dir)?;
        for base in bases.into_iter().chain(orphans) {
            recovery::remove_segment_files(&sh.dir, base)?;
        }
        for name in [CLEAN_MARKER, recovery::LOCK_FILE] {
            let _ = std::fs::remove_file(sh.dir.join(name));
        }
        let _ = std::fs::remove_dir(&sh.dir);
        Ok(())
    }

    /// How many group syncs (`fdatasync` rounds of the store) ran since the log was opened.
    /// Under `SyncPolicy::Always` concurrent appenders share one, so this grows slower than
    /// the number of appends when threads append at once.
    pub fn sync_count(&self) -> u64 {
        self.shared.syncs.load(Ordering::Relaxed)
    }

    /// Whether the log had been closed cleanly before this open (no recovery scan was needed).
    pub fn opened_clean(&self) -> bool {
        self.shared.opened_clean
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> Result<Vec<SegmentInfo>> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        let segs = sh.segments.read();
        let last = segs.len().saturating_sub(1);
        segs.iter()
            .enumerate()
            .map(|(i, s)| {
                let (first, next) = (s.base, s.next());
                // A damaged first or last record leaves its time unknown; `verify` says why.
                let ts = |o: u64| if o < next { s.timestamp(o).ok() } else { None };
                Ok(SegmentInfo {
                    base_offset: first,
                    next_offset: next,
                    store_bytes: s.end(),
                    index_bytes: format::INDEX_HEADER_LEN
                        + (next - first) * format::INDEX_ENTRY_LEN,
                    first_timestamp: ts(first),
                    last_timestamp: if next > first { ts(next - 1) } else { None },
                    active: i == last && !sh.options.read_only,
                    store_path: s.store.path().to_owned(),
                    index_path: s.index.path().to_owned(),
                })
            })
            .collect()
    }
}

/// Seals the three consecutive records of `dst` that start at `bounds[0..3]` (the third ends
/// at `bounds[3]`), computing their checksums together.
fn seal_three(dst: &mut [u8], bounds: [usize; 4]) {
    let [a, b, c, end] = bounds;
    let crcs = crc::crc32c_x3([&dst[a + 4..b], &dst[b + 4..c], &dst[c + 4..end]]);
    for (start, crc) in [a, b, c].into_iter().zip(crcs) {
        format::seal_record(&mut dst[start..], crc);
    }
}

/// An iterator over records in offset order; see [`Log::iter`].
///
/// As an [`Iterator`] it ends at the current end of the log (and yields more if called again
/// after further appends). It yields `Err(OutOfRange)` if its position falls below the lowest
/// offset (truncation, retention) or beyond the end, and `Err(Closed)` once the log is
/// closed; after an error it ends. Under the lock it only copies a run of store bytes (up to
/// 128 KiB); records are checked (three checksums at a time) and handed out one by one from
/// that copy, so iteration costs no syscall and no lock per record, and a damaged record comes
/// after the good ones before it. [`Iter::next_with`] lends each value instead of allocating
/// a `Vec` for it: the fastest way through a log.
#[derive(Debug)]
pub struct Iter {
    shared: Arc<Shared>,
    /// Offset of the record this iterator yields next.
    next: u64,
    /// A run of store bytes copied under the lock, from store position `raw_pos` of segment
    /// `raw_segment`; `at` is where the record `next` starts in it.
    raw: Vec<u8>,
    at: usize,
    raw_pos: u64,
    raw_segment: u64,
    /// The segment's next offset when `raw` was copied: records at or past it are not used.
    raw_limit: u64,
    /// Whether `raw` reached the published end of its segment (a record running past the
    /// end of `raw` is then damage, not a cut).
    raw_to_end: bool,
    /// Bytes the next copy must hold at least (a record longer than `RUN_BYTES`).
    need: u64,
    /// Records in `raw` from `at` up to here have had their checksums checked already.
    checked_to: usize,
    done: bool,
}

/// Bytes copied under the lock at a time: small enough that the copy stays in the CPU's
/// cache until the records are checked and handed out, large enough that the lock and the
/// index lookup are paid once per few hundred records.
const RUN_BYTES: u64 = 128 << 10;

/// Records whose checksums are checked together (see `crc::crc32c_x3`).
const CHECK_AHEAD: usize = 3;

/// Where a checked record lies in `Iter::raw`.
struct Found {
    offset: u64,
    timestamp: u64,
    value: Range<usize>,
}

impl Iter {
    /// The offset of the record this iterator yields next.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Copies the next run of store bytes; `false` at the end of the log.
    fn fill(&mut self) -> Result<bool> {
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only && self.next >= sh.end_offset() {
            sh.refresh()?;
        }
        let segs = sh.segments.read();
        let (lowest, end) = sh.bounds(&segs);
        if self.next < lowest || self.next > end {
            return Err(sh.out_of_range(self.next, &segs));
        }
        self.raw.clear();
        self.at = 0;
        self.checked_to = 0;
        if self.next == end {
            return Ok(false);
        }
        let seg = find(&segs, self.next).ok_or_else(|| sh.out_of_range(self.next, &segs))?;
        let (pos, limit, to_end) =
            seg.copy_run(self.next, RUN_BYTES.max(self.need), &mut self.raw)?;
        self.raw_pos = pos;
        self.raw_segment = seg.base;
        self.raw_limit = limit;
        self.raw_to_end = to_end;
        self.need = 0;
        Ok(true)
    }

    /// Checks the next record (copying more store bytes when needed) and steps past it;
    /// `None` at the end of the log.
    fn advance(&mut self) -> Result<Option<Found>> {
        loop {
            let avail = self.raw.len() - self.at;
            if self.next < self.raw_limit && avail >= RECORD_HEADER_LEN as usize {
                let offset = self.next;
                let b = &self.raw[self.at..];
                let (segment, position) = (self.raw_segment, self.raw_pos + self.at as u64);
                let corrupt = |reason: String| Error::Corrupt {
                    segment,
                    file: "store",
                    position,
                    reason,
                };
                let Some(h) = format::decode_record_header(b) else {
                    return Err(corrupt(format!("record {offset} is all zeros")));
                };
                if h.offset != offset {
                    return Err(corrupt(format!(
                        "record holds offset {} where {offset} was expected",
                        h.offset
                    )));
                }
                let total = h.total_len() as usize;
                if total <= avail {
                    if self.at + total > self.checked_to {
                        self.check_ahead();
                    }
                    if self.at + total > self.checked_to {
                        return Err(corrupt(format!("checksum mismatch in record {offset}")));
                    }
                    let start = self.at + RECORD_HEADER_LEN as usize;
                    self.at += total;
                    self.next += 1;
                    return Ok(Some(Found {
                        offset,
                        timestamp: h.timestamp,
                        value: start..self.at,
                    }));
                }
                if self.raw_to_end {
                    return Err(corrupt(format!(
                        "record {offset} claims {} bytes, past the end of the data",
                        h.len
                    )));
                }
                self.need = total as u64;
            } else if self.next < self.raw_limit && avail > 0 && self.raw_to_end {
                return Err(Error::Corrupt {
                    segment: self.raw_segment,
                    file: "store",
                    position: self.raw_pos + self.at as u64,
                    reason: format!("record {} lies past the end of the data", self.next),
                });
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Checks the checksums of the next `CHECK_AHEAD` whole records in `raw` from `at` in one
    /// go and moves `checked_to` past those that hold, up to the first that does not (the
    /// caller reports that one when it gets there). Only the checksums: each record's header
    /// is still checked against its offset when it is handed out.
    fn check_ahead(&mut self) {
        let mut spans = [(0usize, 0usize); CHECK_AHEAD];
        let mut found = 0;
        let mut at = self.at;
        while found < CHECK_AHEAD {
            let rest = &self.raw[at..];
            if rest.len() < RECORD_HEADER_LEN as usize {
                break;
            }
            let Some(h) = format::decode_record_header(rest) else {
                break;
            };
            let total = h.total_len();
            if total > rest.len() as u64 {
                break;
            }
            spans[found] = (at, at + total as usize);
            found += 1;
            at += total as usize;
        }
        let raw = &self.raw;
        let passed = if found == CHECK_AHEAD {
            let [a, b, c] = spans;
            let crcs = crc::crc32c_x3([&raw[a.0 + 4..a.1], &raw[b.0 + 4..b.1], &raw[c.0 + 4..c.1]]);
            crcs.iter()
                .zip(spans)
                .take_while(|&(&crc, (start, _))| crc == format::u32_at(raw, start))
                .count()
        } else {
            spans[..found]
                .iter()
                .take_while(|&&(start, end)| format::record_crc_ok(&raw[start..end]))
                .count()
        };
        if passed > 0 {
            self.checked_to = spans[passed - 1].1;
        }
    }

    /// Calls `f` with the next record borrowed from the iterator's buffer (no allocation, no
    /// copy of the value); `None` at the current end of the log. Errors as for `next`.
    pub fn next_with<R>(&mut self, f: impl FnOnce(RecordRef<'_>) -> R) -> Option<Result<R>> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(found)) => Some(Ok(f(RecordRef {
                offset: found.offset,
                timestamp: found.timestamp,
                value: &self.raw[found.value],
            }))),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// Yields the next record, waiting up to `timeout` (`None`: forever) for it to be
    /// appended. `Ok(None)` means the timeout passed.
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Record>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        // Unlike `Iterator::next`, an error does not end a tail: each call tries again (a
        // persistent condition, such as a position below the lowest offset, fails again).
        self.done = false;
        loop {
            if let Some(item) = self.next() {
                return item.map(Some);
            }
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(None),
                },
            };
            let log = Log {
                shared: self.shared.clone(),
            };
            if !log.wait_for(self.next, left)? {
                return Ok(None);
            }
        }
    }
}

impl Iterator for Iter {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with(|r| r.to_record())
    }
}
