//! The log: a directory of segments, one writer, many readers.
//!
//! One concept a file: `shared` (the state every handle shares, and the lock order),
//! `append`, `roll`, `group_commit`, `background` (prefault, seal and flush threads),
//! `retention`, `truncate`, `follower` (a read-only log following another process's writer),
//! `read`, `tail` and `iter`.

mod append;
mod background;
mod compact;
mod follower;
mod group_commit;
mod iter;
mod read;
mod reindex;
mod retention;
mod roll;
mod shared;
mod tail;
mod truncate;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;

use parking_lot::{Condvar, Mutex, RwLock};

use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::format;
use crate::lock::DirLock;
use crate::options::{Options, SyncPolicy};
use crate::recovery::{self, CLEAN_MARKER, sync_dir};

use background::{Prefaulter, start_flusher};
pub use compact::Compacted;
use group_commit::{GroupCommit, SyncGoal};
pub use iter::Iter;
pub use read::Copied;
use shared::{Shared, Writer};
pub use tail::WaitCanceller;

/// A segmented, append-only log in one directory.
///
/// `Log` is a cheap handle (`Clone` shares the same open log); it is `Send + Sync` and every
/// method takes `&self`, so threads may share it. The log is closed by [`Log::close`] (any
/// handle) or when the last handle and iterator are dropped.
#[derive(Debug, Clone)]
pub struct Log {
    shared: Arc<Shared>,
}

/// Facts about one segment, for tools (`segmentlog info`).
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

impl Log {
    /// Opens the log in `dir`, creating the directory and an empty log if needed, and recovers
    /// whatever a crash left (see [`crate::RecoveryMode`]).
    ///
    /// Fails with [`Error::Locked`] if another writer holds the directory (unless
    /// `options.read_only`). The lock is an `flock` on `dir/LOCK`: a child process forked
    /// while the log is open shares it until the child execs or exits, so a program that
    /// spawns children may briefly see `Locked` right after `close()`.
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<Log> {
        Log::open_scanning(dir, options, false)
    }

    /// [`Log::open`], reading every store through when `scan_all` (repair).
    fn open_scanning(dir: impl AsRef<Path>, options: Options, scan_all: bool) -> Result<Log> {
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
            recovery::create_dir_durably(&dir)?;
        }
        let lock = if read_only {
            None
        } else {
            Some(DirLock::acquire(&dir)?)
        };
        if !read_only {
            // Files an earlier handle removed while they were mapped (`map_rules`).
            crate::map_rules::sweep_removed(&dir, "");
        }
        let marker = dir.join(CLEAN_MARKER);
        let clean = marker.exists();
        let mode = recovery::Mode {
            clean,
            read_only,
            strict: options.recovery == crate::options::RecoveryMode::Strict,
            scan_all,
            ..recovery::Mode::default()
        };
        let open_cache = Arc::new(crate::segment::OpenCache::new(options.max_open_segments));
        // A reader in another process than the writer takes a view the writer was not
        // changing while it was taken.
        let loaded = if read_only {
            follower::stable_view(&dir, &options, mode, &open_cache)?
        } else {
            recovery::load(&dir, &options, mode, &open_cache)?
        };
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
            // An empty active segment takes this handle's codec at once (a segment's codec
            // never changes once it holds records: the next roll brings the new one).
            let want = options.new_header(active.base, 0);
            if active.count() == 0 && active.header().codec != want.codec {
                active.set_codec(want.codec, want.level).context(|| {
                    format!("writing the header of {}", active.paths.store.display())
                })?;
            }
            Some(Writer {
                pos: active.end(),
                next: active.next(),
                last_ts: loaded.last_timestamp,
                written: 0,
                epoch: active.epoch(),
                populated: 0,
                plain: true,
                through_map: options.writes_through_map(),
                active,
            })
        };
        let sync = options.sync;
        let options_compact = options.compress_sealed
            && options.compression != crate::options::Compression::None
            && !crate::map_rules::MAPS_PIN_FILES;
        let shared = Arc::new(Shared {
            dir,
            options,
            segments: RwLock::new(loaded.segments),
            report: loaded.report,
            open_cache,
            writer: Mutex::new(writer),
            closed: AtomicBool::new(false),
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(String::new()),
            group: GroupCommit::default(),
            tail: Mutex::new(()),
            tail_cv: Condvar::new(),
            waiters: AtomicUsize::new(0),
            refresh: Mutex::new(Default::default()),
            lock: Mutex::new(lock),
            opened_clean: clean,
            flusher: Mutex::new(None),
            flusher_thread: Mutex::new(None),
            prefaulter: Arc::new(Prefaulter::default()),
            background: Mutex::new(Vec::new()),
            syncs: AtomicU64::new(0),
        });
        if !read_only {
            // A segment that `truncate_back` cut inside a frame takes no more records (see
            // `FLAG_CUT_IN_FRAME`): a crash came before the roll that follows such a cut.
            let mut guard = shared.writer.lock();
            if let Some(w) = guard.as_mut()
                && w.active.count() > 0
                && w.active.header().flags & format::FLAG_CUT_IN_FRAME != 0
            {
                shared.roll(w)?;
            }
            drop(guard);
            shared.prefaulter.state.lock().owner = Some(Arc::downgrade(&shared));
            let mut threads = shared.background.lock();
            let prefaulter = shared.prefaulter.clone();
            // Without this thread appends still work; they take the page faults themselves.
            if let Ok(handle) = thread::Builder::new()
                .name("segmentlog-prefault".into())
                .spawn(move || prefaulter.run_prefault())
            {
                threads.push(handle);
            }
            // With a codec, single appends are compressed once their segment is sealed.
            if options_compact {
                compact::remove_leftovers(&shared.dir);
                let compactor = shared.prefaulter.clone();
                let options = shared.options.clone();
                if let Ok(handle) = thread::Builder::new()
                    .name("segmentlog-compact".into())
                    .spawn(move || compactor.run_compactions(options))
                {
                    threads.push(handle);
                    shared.prefaulter.state.lock().compactor = true;
                    // Segments sealed before a close the thread did not get to (a close drops
                    // what is queued): every sealed segment is looked at again, and those
                    // marked `FLAG_COMPACTED` are passed over after reading their header.
                    let segs = shared.segments.read();
                    for seg in segs.iter().take(segs.len().saturating_sub(1)) {
                        shared.prefaulter.compact_behind(seg);
                    }
                }
            }
            // Only `SyncPolicy::Never` seals in the background (the other policies sync a
            // segment before rolling past it). Without this thread a roll syncs the sealed
            // segment itself.
            if sync == SyncPolicy::Never {
                let sealer = shared.prefaulter.clone();
                if let Ok(handle) = thread::Builder::new()
                    .name("segmentlog-seal".into())
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

    /// Repairs the log in `dir`: reads every store through (trusting no index), makes a hole of
    /// every damaged record that was durable (its bytes copied to the quarantine), cuts a torn
    /// tail, rebuilds every index that does not match its store, and says what it did. No
    /// intact record is removed and no offset changes. With `dry_run` it changes nothing and
    /// says what it would do.
    ///
    /// Takes the writer lock: fails with [`Error::Locked`] while a writer has the log open.
    pub fn repair(dir: impl AsRef<Path>, dry_run: bool) -> Result<crate::RecoveryReport> {
        let dir = dir.as_ref();
        std::fs::read_dir(dir).context(|| format!("opening log directory {}", dir.display()))?;
        if dry_run {
            let _lock = DirLock::acquire(dir)?;
            let mode = recovery::Mode {
                clean: dir.join(CLEAN_MARKER).exists(),
                scan_all: true,
                ..recovery::Mode::default()
            };
            return recovery::check(dir, mode, &mut |_| {});
        }
        // The smallest files: opening for writing preallocates the active segment, and
        // repair appends nothing.
        let options = Options {
            max_segment_bytes: crate::options::MIN_FILE_BYTES,
            max_index_bytes: crate::options::MIN_FILE_BYTES,
            ..Options::default()
        };
        let log = Log::open_scanning(dir, options, true)?;
        let report = log.recovery_report().clone();
        log.close()?;
        Ok(report)
    }

    /// What this open found and did: after a crash, what was scanned, cut, made a hole or
    /// put into the quarantine (see [`crate::RecoveryReport`]). A log that lost or quarantined
    /// anything says so here.
    pub fn recovery_report(&self) -> &crate::RecoveryReport {
        &self.shared.report
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The options the log was opened with.
    pub fn options(&self) -> &Options {
        &self.shared.options
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

    /// `Closed` once the log was closed (for the parts of the crate built on the log).
    pub(crate) fn check_open(&self) -> Result<()> {
        self.shared.check_open()
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
        crate::map_rules::sweep_removed(&sh.dir, "");
        // The log's cursors go with it.
        if let Ok(entries) = std::fs::read_dir(&sh.dir) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.ends_with(crate::cursor::SUFFIX))
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
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

    /// How many segments have their files open now: the active one, and the sealed ones the
    /// cache keeps (at most `Options::max_open_segments`, plus any a read is using).
    pub fn open_segment_count(&self) -> usize {
        self.shared.open_cache.open_count() + 1
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
                    store_path: s.paths.store.clone(),
                    index_path: s.paths.index.clone(),
                })
            })
            .collect()
    }
}
