//! Opening a log directory: find the segments, check them, rebuild what is a cache, make holes
//! of damage among durable records, cut what a crash tore, and say what was done.
//!
//! Three steps, one file each: `examine` (what each segment holds: headers, indexes checked
//! against their stores, stores scanned by `scan`), `plan` (which damage is a hole and where a
//! torn tail begins; the rules are in its module doc and in docs/FORMAT.md) and `apply` (the
//! quarantine first, then the changes). A strict open, a read-only open and a dry run stop
//! after the plan. I/O errors are errors, never a reason to cut anything.
//!
//! After a crash, recovery scans the newest segment and every segment that may not have been
//! synced (one followed by a `PREV_UNSYNCED` segment); others are trusted when their index
//! passes an O(1) check against the store, and scanned when it does not. Then everything kept
//! is made durable before the log is handed out, so a power cut after the restart cannot take
//! back what the restart found.

mod apply;
mod examine;
mod plan;
pub(crate) mod scan;

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::format::{self, FileKind, HOLE};
use crate::index::Index;
use crate::options::Options;
use crate::quarantine::Quarantine;
use crate::report::RecoveryReport;
use crate::segment::{Files, OpenCache, Paths, Reopen, Segment};
use crate::store::Store;

use examine::{Contents, examine};
pub(crate) use examine::{quick_check, read_entries};
use plan::{Keep, Plan};

/// Name of the clean-shutdown marker file.
pub(crate) const CLEAN_MARKER: &str = "CLEAN";
/// Name of the writer's lock file.
pub(crate) const LOCK_FILE: &str = "LOCK";

/// How a directory is opened.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mode {
    /// The `CLEAN` marker was there.
    pub clean: bool,
    /// Change nothing; keep what is found in memory.
    pub read_only: bool,
    /// Refuse any damage (`RecoveryMode::Strict`).
    pub strict: bool,
    /// Scan every store, trusting no index (repair).
    pub scan_all: bool,
    /// Plan and report, change nothing (repair --dry-run).
    pub dry_run: bool,
}

/// What `load` hands to the log.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub segments: Vec<Arc<Segment>>,
    /// Timestamp of the newest readable record (0 if none).
    pub last_timestamp: u64,
    pub report: RecoveryReport,
}

/// Lists the segment bases in `dir` (those with a store file) and orphan index files.
pub(crate) fn list_segments(dir: &Path) -> Result<(Vec<u64>, Vec<u64>)> {
    let mut found: BTreeMap<u64, (bool, bool)> = BTreeMap::new();
    let entries = std::fs::read_dir(dir).context(|| format!("listing {}", dir.display()))?;
    for entry in entries {
        let entry = entry.context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name();
        let Some((base, kind)) = name.to_str().and_then(format::parse_file_name) else {
            continue;
        };
        let slot = found.entry(base).or_default();
        match kind {
            FileKind::Store => slot.0 = true,
            FileKind::Index => slot.1 = true,
        }
    }
    let stores = found.iter().filter(|(_, v)| v.0).map(|(b, _)| *b).collect();
    let orphans = found
        .iter()
        .filter(|(_, v)| !v.0)
        .map(|(b, _)| *b)
        .collect();
    Ok((stores, orphans))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    fault::check(Op::SyncDir, dir)
        .and_then(|_| crate::platform::sync_directory(dir))
        .context(|| format!("syncing directory {}", dir.display()))
}

/// Creates `dir` and any missing parents, syncing the parent of each directory it creates, so
/// that a new log's directory entry survives a power cut like its files do.
pub(crate) fn create_dir_durably(dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(p.to_owned());
        d = p.parent();
    }
    std::fs::create_dir_all(dir).context(|| format!("creating log directory {}", dir.display()))?;
    for created in missing.iter().rev() {
        let parent = match created.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        sync_dir(parent)?;
    }
    Ok(())
}

pub(crate) fn remove_segment_files(dir: &Path, base: u64) -> Result<()> {
    for kind in [FileKind::Store, FileKind::Index] {
        let path = dir.join(format::file_name(base, kind));
        match fault::check(Op::Remove, &path).and_then(|_| crate::map_rules::remove_file(&path)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("removing {}", path.display()), e)),
        }
    }
    Ok(())
}

/// Examines the segments an open must look at, newest first: every one in `scan_all`;
/// otherwise the newest, each older one that the segment after it says may not have been
/// synced (after a crash), and all of them when the newest re-bases the log (an interrupted
/// `truncate_front`). Returns the index in `bases` of the oldest examined. The older ones are
/// sealed and durable: they are opened, and their indexes checked, when first read.
fn examine_suffix(
    dir: &Path,
    bases: &[u64],
    mode: Mode,
    at_least: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<(usize, Vec<examine::Examined>)> {
    let mut exs = Vec::new();
    let mut first = bases.len();
    let (mut more, mut all, mut unsynced_before) = (true, mode.scan_all, false);
    let mut done = 0;
    while first > 0 && (more || all || exs.len() < at_least) {
        first -= 1;
        let newest = exs.is_empty();
        let scan = mode.scan_all || (!mode.clean && (newest || unsynced_before));
        // A reader keeps the newest two open (the newest may turn out to be a creation that
        // never finished, and the one before it the newest kept).
        let ex = examine(dir, bases[first], !scan, mode.read_only && exs.len() < 2)?;
        done += ex.file_len;
        progress(done);
        unsynced_before = ex.prev_unsynced();
        more = !mode.clean && unsynced_before;
        all |= newest && ex.is_rebase();
        exs.push(ex);
    }
    exs.reverse();
    Ok((first, exs))
}

/// What an open in `mode` would find and do, changing nothing (`verify`, `repair --dry-run`).
pub(crate) fn check(
    dir: &Path,
    mode: Mode,
    progress: &mut dyn FnMut(u64),
) -> Result<RecoveryReport> {
    let mode = Mode {
        dry_run: true,
        ..mode
    };
    let cache = Arc::new(OpenCache::new(1));
    Ok(load_with(dir, &Options::default(), mode, &cache, progress)?.report)
}

/// Finds, checks and opens the segments of the log in `dir` (the sealed ones lazily, in
/// `cache`).
pub(crate) fn load(
    dir: &Path,
    opts: &Options,
    mode: Mode,
    cache: &Arc<OpenCache>,
) -> Result<Loaded> {
    load_with(dir, opts, mode, cache, &mut |_| {})
}

fn load_with(
    dir: &Path,
    opts: &Options,
    mode: Mode,
    cache: &Arc<OpenCache>,
    progress: &mut dyn FnMut(u64),
) -> Result<Loaded> {
    let (bases, orphans) = list_segments(dir)?;
    let writable = !mode.read_only && !mode.dry_run;
    if !mode.read_only && !mode.dry_run {
        // An index without its store caches nothing.
        for base in orphans {
            remove_segment_files(dir, base)?;
        }
    }
    // The plan needs one kept segment to build on; if every examined one goes (a newest
    // whose creation never finished), look one segment further back.
    let mut at_least = 0;
    let (first, mut plan, scanned) = loop {
        let (first, exs) = examine_suffix(dir, &bases, mode, at_least, progress)?;
        let scanned = exs.iter().filter(|e| e.scanned()).count() as u64;
        let examined = exs.len();
        let max_entries = (opts
            .max_index_bytes
            .saturating_sub(format::INDEX_HEADER_LEN)
            / format::INDEX_ENTRY_LEN)
            .max(exs.iter().filter_map(|e| e.index_count).max().unwrap_or(0));
        let plan = plan::plan(exs, mode.clean, max_entries)?;
        if plan.keep.is_empty() && first > 0 {
            at_least = examined + 1;
            continue;
        }
        break (first, plan, scanned);
    };
    if mode.strict
        && let Some(e) = plan.first_problem()
    {
        return Err(e);
    }
    let mut report = RecoveryReport {
        clean_shutdown: mode.clean,
        segments_scanned: scanned,
        records_checked: plan
            .keep
            .iter()
            .filter_map(|k| match &k.ex.contents {
                Contents::Scanned(_) => k.entries.as_ref(),
                Contents::Trusted { .. } => None,
            })
            .map(|e| e.iter().filter(|&&p| p != HOLE).count() as u64)
            .sum(),
        events: Vec::new(),
        synced: false,
    };
    if !writable {
        report.events = apply::events(&plan);
        apply::annotate_known(&mut report.events, &plan, &mut Quarantine::new(dir));
        if mode.dry_run {
            return Ok(Loaded {
                segments: Vec::new(),
                last_timestamp: 0,
                report,
            });
        }
    } else {
        report.events = apply::apply(&mut plan, &mut Quarantine::new(dir))?;
    }
    let changed = report.events.iter().any(|e| e.kind.loses_data()) || !plan.dropped.is_empty();
    let first_dropped = plan.dropped.iter().find(|d| !d.obsolete).map(|d| d.ex.base);
    let Plan { keep, .. } = plan;
    if keep.is_empty() {
        if !writable {
            return Ok(Loaded {
                segments: Vec::new(),
                last_timestamp: 0,
                report,
            });
        }
        // Offsets from the first segment that left on were never durable; none below it may
        // be given again.
        let base = first_dropped
            .or(bases.last().copied())
            .unwrap_or(opts.initial_offset);
        let seg = Segment::create(
            dir,
            opts.new_header(base, 0),
            opts.max_segment_bytes,
            opts.max_index_bytes,
        )?;
        sync_dir(dir)?;
        return Ok(Loaded {
            segments: vec![Arc::new(seg)],
            last_timestamp: 0,
            report,
        });
    }
    // The sealed segments before the examined ones: known by name and size only.
    let reopen = if mode.read_only || crate::map_rules::MAPS_PIN_FILES {
        Reopen::Pread
    } else {
        Reopen::Mapped
    };
    let mut segments = Vec::with_capacity(first + keep.len());
    for (i, &base) in bases[..first].iter().enumerate() {
        let next = bases.get(i + 1).copied().unwrap_or(keep[0].ex.base);
        let paths = Paths::of(dir, base);
        let end = match std::fs::metadata(&paths.store) {
            Ok(meta) => meta.len(),
            // A reader: retention removed it (and the ones before it) since the listing.
            Err(e) if mode.read_only && e.kind() == io::ErrorKind::NotFound => {
                segments.clear();
                continue;
            }
            Err(e) => return Err(Error::io(format!("reading {}", paths.store.display()), e)),
        };
        segments.push(Arc::new(Segment::closed(
            base, paths, next, end, reopen, cache,
        )));
    }
    let mut scanned = vec![false; segments.len()];
    for k in keep {
        scanned.push(k.ex.scanned());
        segments.push(Arc::new(open_kept(k, opts, mode.read_only, cache)?));
    }
    if writable && (!mode.clean || changed) {
        make_durable(dir, &segments, &scanned)?;
        report.synced = !mode.clean;
    }
    // Timestamps never decrease: the next append's is at least the newest record's. A few
    // holes at the end are passed over; past them the clock alone has to do.
    let mut last_timestamp = 0;
    'newest: for seg in segments.iter().rev().filter(|s| s.count() > 0).take(2) {
        for o in (seg.base..seg.next()).rev().take(64) {
            if let Ok(t) = seg.timestamp(o) {
                last_timestamp = t;
                break 'newest;
            }
        }
    }
    Ok(Loaded {
        segments,
        last_timestamp,
        report,
    })
}

/// After a crash: everything kept reaches the disk before anything new is acknowledged, and
/// the headers say so (no `PREV_UNSYNCED` left; the newest's durable count is its count).
///
/// `scanned` says which segments recovery read through: those whose durability it could not
/// take for granted (a claim found in the page cache after a crash may never have reached the
/// disk), and which are synced whatever they claim.
fn make_durable(dir: &Path, segments: &[Arc<Segment>], scanned: &[bool]) -> Result<()> {
    for (s, &scanned) in segments.iter().zip(scanned) {
        if scanned || (s.is_open() && s.durable() < s.count()) {
            s.sync_store()
                .context(|| format!("syncing {}", s.paths.store.display()))?;
            s.mark_durable(s.count());
        }
    }
    for (i, s) in segments.iter().enumerate() {
        let newest = i + 1 == segments.len();
        let h = s.header();
        let stale_flag = h.flags & format::FLAG_PREV_UNSYNCED != 0;
        let stale_count = newest && u64::from(h.durable_count) < s.count();
        if stale_flag || stale_count {
            let count = s.count().min(u64::from(u32::MAX)) as u32;
            s.update_header(|h| {
                h.flags &= !format::FLAG_PREV_UNSYNCED;
                if newest {
                    h.durable_count = h.durable_count.max(count);
                }
            })
            .context(|| format!("writing the header of {}", s.paths.store.display()))?;
            s.sync_store()
                .context(|| format!("syncing {}", s.paths.store.display()))?;
        }
    }
    sync_dir(dir)
}

/// Zeroes every non-zero byte of a writable store from `from` to the end of its map.
fn zero_tail(store: &Store, from: u64) {
    let len = store.mapped_len();
    let file = store.with_file(false, |f| f.try_clone()).ok();
    let mut pos = from;
    while pos < len {
        // Blocks never written are zeros already: not faulted in through the map.
        if let Some(file) = &file {
            match crate::platform::data_from(file, pos) {
                Ok(None) => break,
                Ok(Some(d)) => pos = d,
                Err(_) => {}
            }
            if pos >= len {
                break;
            }
        }
        let n = (len - pos).min(64 * 1024);
        // SAFETY: [pos, pos+n) is inside the writable map; the log is being opened, so no
        // reader or writer exists yet.
        let chunk = unsafe { store.slice_mut(pos, n) };
        if scan::first_nonzero(chunk).is_some() {
            chunk.fill(0);
        }
        pos += n;
    }
}

/// The newest segment's index as it is, when recovery scanned its store and the index agreed
/// with every record found (`positions`, none a hole): a crash of the writing process leaves
/// it so, and rewriting it (truncate, reallocate, megabytes written) cost more than the rest
/// of the reopen bar the scan. Slots past the kept records (a batch cut as not committed) are
/// cleared. `None` (the caller writes a new index) if the file is not such an index or cannot
/// be opened so.
fn reuse_index(path: &Path, base: u64, positions: &[u32], capacity: u64) -> Option<Index> {
    if positions.contains(&HOLE) {
        return None;
    }
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let kept_end = format::INDEX_HEADER_LEN + positions.len() as u64 * format::INDEX_ENTRY_LEN;
    if len < kept_end {
        return None;
    }
    let mut head = [0u8; format::INDEX_HEADER_LEN as usize];
    crate::platform::FileExt::read_exact_at(&file, &mut head, 0).ok()?;
    if format::decode_file_header(FileKind::Index, &head)
        .ok()?
        .base
        != base
    {
        return None;
    }
    let stale = scan::last_nonzero(&file, kept_end, len).ok()?;
    let index = Index::open_writable(path, capacity).ok()?;
    if let Some(last) = stale {
        let slot_end = (last - format::INDEX_HEADER_LEN) / format::INDEX_ENTRY_LEN + 1;
        // SAFETY: the log is being opened: no other thread knows this index yet.
        unsafe { index.clear_slots(positions.len() as u64, slot_end) };
    }
    Some(index)
}

/// Opens the files of a kept segment: the newest read-write (it becomes the active segment)
/// unless the log is read-only, the others sealed.
fn open_kept(k: Keep, opts: &Options, read_only: bool, cache: &Arc<OpenCache>) -> Result<Segment> {
    let durable = k.durable.min(k.count);
    let seg = open_kept_files(k, opts, read_only, cache)?;
    seg.mark_durable(durable);
    Ok(seg)
}

/// Opens the files of a kept segment: the newest pinned (read-write: the active segment of a
/// writable log; read with `pread` in a read-only one), the others sealed, in the cache.
fn open_kept_files(
    k: Keep,
    opts: &Options,
    read_only: bool,
    cache: &Arc<OpenCache>,
) -> Result<Segment> {
    let header = k.header();
    let is_last = k.is_last;
    let Keep {
        ex,
        entries,
        count,
        end,
        trailing,
        ..
    } = k;
    let base = ex.base;
    let (store_path, index_path) = (ex.store_path, ex.index_path);
    let ctx = |p: &Path| format!("opening {}", p.display());
    if read_only {
        let store = match ex.store_file {
            Some(file) => Store::pread_from(file, &store_path),
            None => Store::open_pread(&store_path).context(|| ctx(&store_path))?,
        };
        let positions = match entries {
            Some(p) => p,
            None => {
                let index = File::open(&index_path).context(|| ctx(&index_path))?;
                examine::read_entries(&index, count).context(|| ctx(&index_path))?
            }
        };
        let index = Index::in_memory(&index_path, positions);
        if is_last {
            return Ok(Segment::new(header, store, index, base + count, end));
        }
        let files = Files { store, index };
        return Ok(Segment::sealed(
            header,
            files,
            base + count,
            end,
            Reopen::Pread,
            cache,
        ));
    }
    if is_last {
        let store = Store::open_writable(&store_path, opts.max_segment_bytes)
            .context(|| ctx(&store_path))?;
        // A scan that ended in zeros right at `end` read the tail already: nothing to zero.
        let tail_zeros = trailing.is_none()
            && matches!(&ex.contents, Contents::Scanned(s) if s.end == end && matches!(s.stop, scan::End::Clean));
        if !tail_zeros && (trailing.is_some() || ex.file_len > end) {
            zero_tail(&store, end);
        }
        let reusable = !ex.index_mismatch && ex.header.is_ok();
        let kept_index = match &entries {
            Some(p) if reusable => reuse_index(&index_path, base, p, opts.max_index_bytes),
            _ => None,
        };
        let index = match entries {
            _ if kept_index.is_some() => kept_index.expect("checked"),
            Some(p) => {
                let index = Index::create(&index_path, base, &p, opts.max_index_bytes)
                    .context(|| ctx(&index_path))?;
                // Entries written past the kept records go; the rest of a new file is zeros
                // (not read through: that faulted in megabytes of an empty index).
                // SAFETY: the index was just created here; no other thread knows it.
                unsafe { index.clear_slots(count, p.len() as u64) };
                index
            }
            None => Index::open_writable(&index_path, opts.max_index_bytes)
                .context(|| ctx(&index_path))?,
        };
        return Ok(Segment::new(header, store, index, base + count, end));
    }
    if ex.file_len > end && trailing.is_none() {
        // A sealed segment left preallocated by a crash during a roll: its records all
        // committed (the scan says so); cut the zero tail as the roll would have.
        let file = fault::check(Op::OpenWrite, &store_path)
            .and_then(|_| std::fs::OpenOptions::new().write(true).open(&store_path))
            .context(|| ctx(&store_path))?;
        fault::check(Op::Trim, &store_path)
            .and_then(|_| crate::map_rules::set_len(&file, end))
            .and_then(|_| fault::check(Op::SyncAll, &store_path))
            .and_then(|_| file.sync_all())
            .context(|| ctx(&store_path))?;
    }
    if let Some(p) = &entries {
        drop(Index::create(&index_path, base, p, 0).context(|| ctx(&index_path))?);
    }
    // Where maps pin files (`map_rules`) only the active segment is mapped.
    let (files, reopen) = if crate::map_rules::MAPS_PIN_FILES {
        let positions = match entries {
            Some(p) => p,
            None => {
                let index = File::open(&index_path).context(|| ctx(&index_path))?;
                examine::read_entries(&index, count).context(|| ctx(&index_path))?
            }
        };
        let files = Files {
            store: Store::open_pread(&store_path).context(|| ctx(&store_path))?,
            index: Index::in_memory(&index_path, positions),
        };
        (files, Reopen::Pread)
    } else {
        let files = Files {
            store: Store::open_sealed(&store_path).context(|| ctx(&store_path))?,
            index: Index::open_sealed(&index_path).context(|| ctx(&index_path))?,
        };
        (files, Reopen::Mapped)
    };
    Ok(Segment::sealed(
        header,
        files,
        base + count,
        end,
        reopen,
        cache,
    ))
}
