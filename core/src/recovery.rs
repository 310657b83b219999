//! Opening a log directory: find the segments, check them, rebuild what is a cache, cut what a
//! crash tore.
//!
//! Rules (see `docs/FORMAT.md`):
//! - The store is the truth, the index a cache. A sealed segment's index is checked in O(1)
//!   (header, first entry, last entry against the store's last record and length); if that
//!   fails, or the index is missing, it is rebuilt by scanning the store.
//! - After a clean close (`CLEAN` marker) the newest segment is trusted the same way; after a
//!   crash it is scanned: records are kept up to the last commit point (the last record of an
//!   append or batch) whose checksum holds. What follows is a torn tail: cut off and zeroed
//!   (`RecoveryMode::TruncateTail`) or reported (`RecoveryMode::Strict`).
//! - Damage in an older segment is always an error. I/O errors are errors, never a reason to
//!   cut anything.
//! - A gap before a `REBASE` segment is an interrupted `truncate_front`: the older segments
//!   are removed. Any other gap or overlap is damage: reported in strict mode; in the default
//!   mode the log is cut at the gap (what follows it cannot be reached in order).

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::format::{
    self, FileKind, HeaderError, INDEX_ENTRY_LEN, INDEX_HEADER_LEN, RECORD_HEADER_LEN,
    STORE_HEADER_LEN,
};
use crate::index::Index;
use crate::options::{Options, RecoveryMode};
use crate::segment::Segment;
use crate::store::Store;

/// Name of the clean-shutdown marker file.
pub(crate) const CLEAN_MARKER: &str = "CLEAN";
/// Name of the writer's lock file.
pub(crate) const LOCK_FILE: &str = "LOCK";

/// Why a scan stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// At zeros (the preallocated tail) or at the end of the file: nothing torn.
    Clean,
    /// At bytes that are not a valid, committed record.
    Torn { position: u64, reason: String },
}

/// What a scan of a store found.
#[derive(Debug)]
pub(crate) struct Scan {
    /// Positions of the committed records, in order.
    pub positions: Vec<u32>,
    /// Store position just past the last committed record.
    pub end: u64,
    /// Offset after the last committed record.
    pub next: u64,
    /// Why it stopped.
    pub stop: Stop,
}

/// Reads a file in large chunks through `pread`.
struct ChunkReader<'a> {
    file: &'a File,
    limit: u64,
    buf: Vec<u8>,
    start: u64,
}

const CHUNK: usize = 1 << 20;

impl<'a> ChunkReader<'a> {
    fn new(file: &'a File, limit: u64) -> Self {
        ChunkReader {
            file,
            limit,
            buf: Vec::new(),
            start: 0,
        }
    }

    /// Bytes `pos..pos+len` (caller checked `pos + len <= limit`).
    fn get(&mut self, pos: u64, len: usize) -> io::Result<&[u8]> {
        let have = pos >= self.start && pos + len as u64 <= self.start + self.buf.len() as u64;
        if !have {
            let want = (self.limit - pos).min(CHUNK.max(len) as u64) as usize;
            self.buf.resize(want, 0);
            self.file.read_exact_at(&mut self.buf, pos)?;
            self.start = pos;
        }
        let at = (pos - self.start) as usize;
        Ok(&self.buf[at..at + len])
    }
}

/// Scans records from `pos` (expected to hold offset `offset`) up to `limit` bytes of `file`.
pub(crate) fn scan(file: &File, mut pos: u64, mut offset: u64, limit: u64) -> io::Result<Scan> {
    let mut reader = ChunkReader::new(file, limit);
    let mut positions = Vec::new();
    let mut pending = 0usize;
    let (mut end, mut next) = (pos, offset);
    let stop = loop {
        if pos + RECORD_HEADER_LEN > limit {
            if pos == limit
                || reader
                    .get(pos, (limit - pos) as usize)?
                    .iter()
                    .all(|&b| b == 0)
            {
                break Stop::Clean;
            }
            break Stop::Torn {
                position: pos,
                reason: "record header cut short by the end of the file".into(),
            };
        }
        let Some(h) = format::decode_record_header(reader.get(pos, RECORD_HEADER_LEN as usize)?)
        else {
            break Stop::Clean;
        };
        if h.offset != offset {
            break Stop::Torn {
                position: pos,
                reason: format!(
                    "record holds offset {} where {offset} was expected",
                    h.offset
                ),
            };
        }
        if pos + h.total_len() > limit {
            break Stop::Torn {
                position: pos,
                reason: format!(
                    "record {offset} of {} bytes runs past the end of the file",
                    h.len
                ),
            };
        }
        if !format::record_crc_ok(reader.get(pos, h.total_len() as usize)?) {
            break Stop::Torn {
                position: pos,
                reason: format!("checksum mismatch in record {offset}"),
            };
        }
        positions.push(pos as u32);
        pending += 1;
        pos += h.total_len();
        offset += 1;
        if h.is_commit() {
            pending = 0;
            end = pos;
            next = offset;
        }
    };
    let stop = if pending > 0 {
        positions.truncate(positions.len() - pending);
        Stop::Torn {
            position: end,
            reason: format!("batch starting at offset {next} was not completed"),
        }
    } else {
        stop
    };
    Ok(Scan {
        positions,
        end,
        next,
        stop,
    })
}

/// Checks a segment's index against its store in O(1); returns (record count, store end).
pub(crate) fn quick_check(
    base: u64,
    store: &File,
    store_len: u64,
    index: &File,
) -> Option<(u64, u64)> {
    let index_len = index.metadata().ok()?.len();
    if index_len < INDEX_HEADER_LEN || (index_len - INDEX_HEADER_LEN) % INDEX_ENTRY_LEN != 0 {
        return None;
    }
    let mut header = [0u8; INDEX_HEADER_LEN as usize];
    index.read_exact_at(&mut header, 0).ok()?;
    if format::decode_file_header(FileKind::Index, &header)
        .ok()?
        .base
        != base
    {
        return None;
    }
    let count = (index_len - INDEX_HEADER_LEN) / INDEX_ENTRY_LEN;
    if count == 0 {
        return (store_len == STORE_HEADER_LEN).then_some((0, STORE_HEADER_LEN));
    }
    let entry = |slot: u64| -> Option<u64> {
        let mut b = [0u8; 4];
        index
            .read_exact_at(&mut b, INDEX_HEADER_LEN + slot * INDEX_ENTRY_LEN)
            .ok()?;
        Some(u64::from(u32::from_le_bytes(b)))
    };
    if entry(0)? != STORE_HEADER_LEN {
        return None;
    }
    let last = entry(count - 1)?;
    if last + RECORD_HEADER_LEN > store_len {
        return None;
    }
    let mut h = [0u8; RECORD_HEADER_LEN as usize];
    store.read_exact_at(&mut h, last).ok()?;
    let h = format::decode_record_header(&h)?;
    if h.offset != base + count - 1 || last + h.total_len() != store_len || !h.is_commit() {
        return None;
    }
    let mut rec = vec![0u8; h.total_len() as usize];
    store.read_exact_at(&mut rec, last).ok()?;
    format::record_crc_ok(&rec).then_some((count, store_len))
}

/// Reads every entry of an index file (trusted by `quick_check`).
fn read_entries(index: &File, count: u64) -> io::Result<Vec<u32>> {
    let mut bytes = vec![0u8; (count * INDEX_ENTRY_LEN) as usize];
    index.read_exact_at(&mut bytes, INDEX_HEADER_LEN)?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// A segment found on disk, checked but not yet opened.
#[derive(Debug)]
struct Found {
    base: u64,
    flags: u32,
    store_path: PathBuf,
    index_path: PathBuf,
    count: u64,
    end: u64,
    /// Positions from a scan (the index must be rebuilt from them).
    rebuilt: Option<Vec<u32>>,
    /// The file holds bytes past `end` (preallocated or torn tail).
    untrimmed: bool,
}

/// What `load` hands to the log.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub segments: Vec<Arc<Segment>>,
    /// Timestamp of the newest record (0 if none).
    pub last_timestamp: u64,
}

fn corrupt(segment: u64, file: &'static str, position: u64, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        segment,
        file,
        position,
        reason: reason.into(),
    }
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
        .and_then(|_| File::open(dir))
        .and_then(|d| d.sync_all())
        .context(|| format!("syncing directory {}", dir.display()))
}

pub(crate) fn remove_segment_files(dir: &Path, base: u64) -> Result<()> {
    for kind in [FileKind::Store, FileKind::Index] {
        let path = dir.join(format::file_name(base, kind));
        match fault::check(Op::Remove, &path).and_then(|_| std::fs::remove_file(&path)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("removing {}", path.display()), e)),
        }
    }
    Ok(())
}

/// Checks one segment. `newest` segments of an unclean log are scanned; others are trusted
/// when their index passes `quick_check`.
fn examine(
    dir: &Path,
    base: u64,
    newest: bool,
    tail_may_tear: bool,
    clean: bool,
    opts: &Options,
    read_only: bool,
) -> Result<Option<Found>> {
    let store_path = dir.join(format::file_name(base, FileKind::Store));
    let index_path = dir.join(format::file_name(base, FileKind::Index));
    let store = File::open(&store_path).context(|| format!("opening {}", store_path.display()))?;
    let store_len = store
        .metadata()
        .context(|| format!("reading {}", store_path.display()))?
        .len();
    let mut header = vec![0u8; STORE_HEADER_LEN.min(store_len) as usize];
    store
        .read_exact_at(&mut header, 0)
        .context(|| format!("reading {}", store_path.display()))?;
    let flags = match format::decode_file_header(FileKind::Store, &header) {
        Ok(h) if h.base == base => h.flags,
        Ok(h) => {
            return Err(corrupt(
                base,
                "store",
                16,
                format!(
                    "header says base offset {} but the file is named for {base}",
                    h.base
                ),
            ));
        }
        // A crash while the newest segment was being created leaves its header unwritten.
        Err(HeaderError::Short | HeaderError::Zeroed) if newest => return Ok(None),
        Err(e) => return Err(corrupt(base, "store", 0, e.to_string())),
    };
    let trusted = if tail_may_tear && !clean {
        None
    } else {
        File::open(&index_path)
            .ok()
            .and_then(|index| quick_check(base, &store, store_len, &index))
    };
    if let Some((count, end)) = trusted {
        return Ok(Some(Found {
            base,
            flags,
            store_path,
            index_path,
            count,
            end,
            rebuilt: None,
            untrimmed: false,
        }));
    }
    let s = fault::check(Op::Read, &store_path)
        .and_then(|_| scan(&store, STORE_HEADER_LEN, base, store_len))
        .context(|| format!("scanning {}", store_path.display()))?;
    if let Stop::Torn { position, reason } = &s.stop {
        let torn_tail_allowed =
            tail_may_tear && (read_only || opts.recovery == RecoveryMode::TruncateTail);
        if !torn_tail_allowed {
            return Err(corrupt(base, "store", *position, reason.clone()));
        }
    }
    Ok(Some(Found {
        base,
        flags,
        store_path,
        index_path,
        count: s.next - base,
        end: s.end,
        untrimmed: store_len > s.end,
        rebuilt: Some(s.positions),
    }))
}

/// Zeroes every non-zero byte of a writable store from `from` to the end of its map.
fn zero_tail(store: &Store, from: u64) {
    let len = store.mapped_len();
    let mut pos = from;
    while pos < len {
        let n = (len - pos).min(64 * 1024);
        // SAFETY: [pos, pos+n) is inside the writable map; the log is being opened, so no
        // reader or writer exists yet.
        let chunk = unsafe { store.slice_mut(pos, n) };
        if chunk.iter().any(|&b| b != 0) {
            chunk.fill(0);
        }
        pos += n;
    }
}

/// The header flags of a segment's store (0 if the header cannot be read: `examine` says why).
fn store_flags(dir: &Path, base: u64) -> u32 {
    let mut header = [0u8; STORE_HEADER_LEN as usize];
    File::open(dir.join(format::file_name(base, FileKind::Store)))
        .and_then(|f| f.read_exact_at(&mut header, 0))
        .ok()
        .and_then(|()| format::decode_file_header(FileKind::Store, &header).ok())
        .map_or(0, |h| h.flags)
}

/// Finds, checks and opens every segment of the log in `dir`.
pub(crate) fn load(dir: &Path, opts: &Options, clean: bool, read_only: bool) -> Result<Loaded> {
    let (bases, orphans) = list_segments(dir)?;
    if !read_only {
        for base in orphans {
            remove_segment_files(dir, base)?;
        }
    }
    let mut found: Vec<Found> = Vec::with_capacity(bases.len());
    let flags: Vec<u32> = bases.iter().map(|&b| store_flags(dir, b)).collect();
    for (i, &base) in bases.iter().enumerate() {
        let newest = i + 1 == bases.len();
        // The segment after this one says this one may not have reached the disk whole.
        let unsynced = flags
            .get(i + 1)
            .is_some_and(|f| f & format::FLAG_PREV_UNSYNCED != 0);
        match examine(
            dir,
            base,
            newest,
            newest || unsynced,
            clean,
            opts,
            read_only,
        )? {
            Some(f) => found.push(f),
            None if read_only => {}
            None => remove_segment_files(dir, base)?, // recreated below if nothing else is left
        }
    }
    resolve_gaps(dir, &mut found, opts, read_only)?;

    if found.is_empty() {
        if read_only {
            return Ok(Loaded {
                segments: Vec::new(),
                last_timestamp: 0,
            });
        }
        let base = bases.last().copied().unwrap_or(opts.initial_offset);
        let seg = Segment::create(dir, base, 0, opts.max_segment_bytes, opts.max_index_bytes)?;
        sync_dir(dir)?;
        return Ok(Loaded {
            segments: vec![Arc::new(seg)],
            last_timestamp: 0,
        });
    }

    let last = found.len() - 1;
    let mut segments = Vec::with_capacity(found.len());
    for (i, f) in found.into_iter().enumerate() {
        segments.push(Arc::new(open_found(f, i == last, opts, read_only)?));
    }
    let mut last_timestamp = 0;
    for seg in segments.iter().rev() {
        if seg.count() > 0 {
            last_timestamp = seg.timestamp(seg.next() - 1)?;
            break;
        }
    }
    Ok(Loaded {
        segments,
        last_timestamp,
    })
}

/// Applies the gap rules of the module doc to the found segments (oldest first).
fn resolve_gaps(dir: &Path, found: &mut Vec<Found>, opts: &Options, read_only: bool) -> Result<()> {
    let mut i = 0;
    while i + 1 < found.len() {
        let next = found[i].base + found[i].count;
        let after = &found[i + 1];
        if next == after.base {
            i += 1;
            continue;
        }
        if after.base > next && after.flags & format::FLAG_REBASE != 0 {
            // An interrupted truncate_front: everything below the REBASE segment is obsolete.
            let obsolete: Vec<Found> = found.drain(..=i).collect();
            if !read_only {
                for f in &obsolete {
                    remove_segment_files(dir, f.base)?;
                }
                sync_dir(dir)?;
            }
            i = 0;
            continue;
        }
        let what = if after.base > next {
            format!(
                "records {next}..{} are missing between segments",
                after.base
            )
        } else {
            format!(
                "segment starts at offset {} but the previous one runs to {next}",
                after.base
            )
        };
        if opts.recovery == RecoveryMode::Strict || read_only {
            return Err(corrupt(after.base, "store", 0, what));
        }
        // Default mode: the log is cut at the gap, newest segment first.
        let cut: Vec<Found> = found.drain(i + 1..).collect();
        for f in cut.iter().rev() {
            remove_segment_files(dir, f.base)?;
        }
        sync_dir(dir)?;
    }
    Ok(())
}

/// Opens the files of a checked segment: the newest read-write (it becomes the active segment)
/// unless the log is read-only, the others sealed.
fn open_found(f: Found, newest: bool, opts: &Options, read_only: bool) -> Result<Segment> {
    let Found {
        base,
        store_path,
        index_path,
        count,
        end,
        rebuilt,
        untrimmed,
        ..
    } = f;
    let ctx = |p: &Path| format!("opening {}", p.display());
    if read_only {
        let store = Store::open_pread(&store_path).context(|| ctx(&store_path))?;
        let positions = match rebuilt {
            Some(p) => p,
            None => {
                let index = File::open(&index_path).context(|| ctx(&index_path))?;
                read_entries(&index, count).context(|| ctx(&index_path))?
            }
        };
        let index = Index::in_memory(&index_path, positions);
        return Ok(Segment::new(base, store, index, base + count, end));
    }
    if newest {
        let store = Store::open_writable(&store_path, opts.max_segment_bytes)
            .context(|| ctx(&store_path))?;
        if untrimmed {
            zero_tail(&store, end);
        }
        let index = match rebuilt {
            Some(p) => {
                let index = Index::create(&index_path, base, &p, opts.max_index_bytes)
                    .context(|| ctx(&index_path))?;
                index.clear_tail(count);
                index
            }
            None => Index::open_writable(&index_path, opts.max_index_bytes)
                .context(|| ctx(&index_path))?,
        };
        return Ok(Segment::new(base, store, index, base + count, end));
    }
    if untrimmed {
        // A sealed segment left preallocated by a crash during a roll: its records all
        // committed (the scan says so); cut the zero tail as the roll would have.
        let file = fault::check(Op::OpenWrite, &store_path)
            .and_then(|_| std::fs::OpenOptions::new().write(true).open(&store_path))
            .context(|| ctx(&store_path))?;
        fault::check(Op::Trim, &store_path)
            .and_then(|_| file.set_len(end))
            .and_then(|_| fault::check(Op::SyncAll, &store_path))
            .and_then(|_| file.sync_all())
            .context(|| ctx(&store_path))?;
    }
    let store = Store::open_sealed(&store_path).context(|| ctx(&store_path))?;
    let index = match rebuilt {
        Some(p) => Index::create(&index_path, base, &p, 0).context(|| ctx(&index_path))?,
        None => Index::open_sealed(&index_path).context(|| ctx(&index_path))?,
    };
    Ok(Segment::new(base, store, index, base + count, end))
}
