//! The first step of recovery: what each segment on disk holds, before anything is decided.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::scan::{self, StoreScan};
use crate::error::{IoContext, Result};
use crate::fault::{self, Op};
use crate::format::{
    self, FileHeader, FileKind, HOLE, INDEX_ENTRY_LEN, INDEX_HEADER_LEN, RECORD_HEADER_LEN,
    STORE_HEADER_LEN,
};
use crate::platform::FileExt;

/// What is known of a segment's records.
#[derive(Debug)]
pub(crate) enum Contents {
    /// The index passed the O(1) check against the store: `count` records ending at `end`.
    Trusted { count: u64, end: u64 },
    /// The store was read through.
    Scanned(StoreScan),
}

/// One segment as found on disk.
#[derive(Debug)]
pub(crate) struct Examined {
    pub base: u64,
    pub store_path: PathBuf,
    pub index_path: PathBuf,
    /// The store header, or why it could not be read. With an unreadable header the store was
    /// scanned as if its header said nothing (any epoch, no durable count).
    pub header: std::result::Result<FileHeader, HeaderProblem>,
    pub contents: Contents,
    pub file_len: u64,
    /// The index was to be trusted but did not match its store (so the store was scanned).
    pub index_mismatch: bool,
    /// Entries in the index file, if its header is valid.
    pub index_count: Option<u64>,
    /// The store file as examined, kept open when asked: a read-only log reads its newest
    /// segment through this very file, so that what it examined is what it reads (a file
    /// the writer put in its place under the same name is another file, whose removal the
    /// reader then notices: see `log/follower.rs`).
    pub store_file: Option<File>,
}

/// Why a store header could not be used.
#[derive(Debug, Clone)]
pub(crate) struct HeaderProblem {
    pub reason: String,
    /// All zeros or shorter than a header: a creation that never finished.
    pub unfinished: bool,
}

impl Examined {
    /// The header as recovery uses it (a stand-in for an unreadable one).
    pub fn usable_header(&self) -> FileHeader {
        match &self.header {
            Ok(h) => *h,
            Err(_) => stand_in(self.base),
        }
    }

    pub fn flags(&self) -> Option<u32> {
        self.header.as_ref().ok().map(|h| h.flags)
    }

    /// Whether the segment before this one may not have been synced (unknown counts as yes).
    pub fn prev_unsynced(&self) -> bool {
        self.flags()
            .is_none_or(|f| f & format::FLAG_PREV_UNSYNCED != 0)
    }

    pub fn is_rebase(&self) -> bool {
        self.flags().is_some_and(|f| f & format::FLAG_REBASE != 0)
    }

    /// How many records the segment itself says were durable (its header, its records). A
    /// segment whose store header is unreadable has no durable count to say; its index,
    /// though it proves nothing durable, still says how many offsets were given out, and
    /// none of them may be given again.
    pub fn claimed(&self) -> u64 {
        let header = match &self.header {
            Ok(h) => u64::from(h.durable_count),
            Err(_) => self.index_count.unwrap_or(0),
        };
        match &self.contents {
            Contents::Trusted { .. } => header,
            Contents::Scanned(s) => header.max(s.max_claim),
        }
    }

    /// Records (and holes) found.
    pub fn count(&self) -> u64 {
        match &self.contents {
            Contents::Trusted { count, .. } => *count,
            Contents::Scanned(s) => s.entries.len() as u64,
        }
    }

    pub fn scanned(&self) -> bool {
        matches!(self.contents, Contents::Scanned(_))
    }
}

/// The header recovery assumes for a store whose own cannot be read: no claim, and records of
/// any epoch accepted.
pub(crate) fn stand_in(base: u64) -> FileHeader {
    FileHeader {
        durable_count: u32::MAX,
        ..FileHeader::new(base, 0)
    }
}

/// Reads a store's header.
pub(crate) fn read_header(
    file: &File,
    base: u64,
    file_len: u64,
) -> io::Result<std::result::Result<FileHeader, HeaderProblem>> {
    let mut header = vec![0u8; STORE_HEADER_LEN.min(file_len) as usize];
    let got = crate::platform::read_at_most(file, &mut header, 0)?;
    header.truncate(got);
    Ok(match format::decode_file_header(FileKind::Store, &header) {
        Ok(h) if h.base == base => Ok(h),
        Ok(h) => Err(HeaderProblem {
            reason: format!(
                "header says base offset {} but the file is named for {base}",
                h.base
            ),
            unfinished: false,
        }),
        Err(e) => Err(HeaderProblem {
            unfinished: matches!(e, format::HeaderError::Short | format::HeaderError::Zeroed),
            reason: e.to_string(),
        }),
    })
}

/// Checks a segment's index against its store in O(1); returns (record count, store end).
/// The first entry may be a hole; the last must be the store's last record, whole and a
/// commit point, ending where the file ends.
pub(crate) fn quick_check(
    base: u64,
    store: &File,
    store_len: u64,
    index: &File,
) -> Option<(u64, u64)> {
    let index_len = index.metadata().ok()?.len();
    if index_len < INDEX_HEADER_LEN
        || !(index_len - INDEX_HEADER_LEN).is_multiple_of(INDEX_ENTRY_LEN)
    {
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
    let entry = |slot: u64| -> Option<u32> {
        let mut b = [0u8; 4];
        index
            .read_exact_at(&mut b, INDEX_HEADER_LEN + slot * INDEX_ENTRY_LEN)
            .ok()?;
        Some(u32::from_le_bytes(b))
    };
    let first = entry(0)?;
    if first != STORE_HEADER_LEN as u32 && first != HOLE {
        return None;
    }
    let last = entry(count - 1)?;
    if last == HOLE {
        return None;
    }
    let last = u64::from(last);
    if last + RECORD_HEADER_LEN > store_len {
        return None;
    }
    let mut h = [0u8; RECORD_HEADER_LEN as usize];
    store.read_exact_at(&mut h, last).ok()?;
    let h = format::decode_record_header(&h)?;
    if last + h.total_len() != store_len || !h.is_commit() {
        return None;
    }
    let mut rec = vec![0u8; h.total_len() as usize];
    store.read_exact_at(&mut rec, last).ok()?;
    if !format::record_crc_ok(&rec) {
        return None;
    }
    // The last record holds the last offset: a frame ends with it (a frame cut inside by
    // `truncate_back` does not: such a segment is scanned).
    let held = if h.is_frame() {
        u64::from(
            crate::frame::header_of(&rec[RECORD_HEADER_LEN as usize..])
                .ok()?
                .count,
        )
    } else {
        1
    };
    (h.offset.checked_add(held) == Some(base + count)).then_some((count, store_len))
}

/// Reads every entry of an index file (trusted by `quick_check`).
pub(crate) fn read_entries(index: &File, count: u64) -> io::Result<Vec<u32>> {
    let mut bytes = vec![0u8; (count * INDEX_ENTRY_LEN) as usize];
    index.read_exact_at(&mut bytes, INDEX_HEADER_LEN)?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Entries up to the last non-zero one of an index file whose header is valid (a writable
/// index is preallocated: its tail is unused zero slots).
fn used_entries(index: &File, base: u64) -> Option<u64> {
    let len = index.metadata().ok()?.len();
    let mut h = [0u8; INDEX_HEADER_LEN as usize];
    index.read_exact_at(&mut h, 0).ok()?;
    let header = format::decode_file_header(FileKind::Index, &h).ok()?;
    if header.base != base {
        return None;
    }
    // The length was taken first: a reader racing the writer may see a file created (empty)
    // since, whose header is there by now. Then there are no entries to count.
    let entries = read_entries(
        index,
        len.saturating_sub(INDEX_HEADER_LEN) / INDEX_ENTRY_LEN,
    )
    .ok()?;
    Some(
        entries
            .iter()
            .rposition(|&e| e != 0)
            .map_or(0, |i| i as u64 + 1),
    )
}

/// Examines the segment at `base` in `dir`: reads its header, then trusts its index if
/// `trust_index` and the index passes `quick_check`, or scans the store. `keep_store` keeps
/// the store file open in the result.
pub(crate) fn examine(
    dir: &Path,
    base: u64,
    trust_index: bool,
    keep_store: bool,
) -> Result<Examined> {
    let store_path = dir.join(format::file_name(base, FileKind::Store));
    let index_path = dir.join(format::file_name(base, FileKind::Index));
    let store = File::open(&store_path).context(|| format!("opening {}", store_path.display()))?;
    let file_len = store
        .metadata()
        .context(|| format!("reading {}", store_path.display()))?
        .len();
    let header = read_header(&store, base, file_len)
        .context(|| format!("reading {}", store_path.display()))?;
    let index = File::open(&index_path).ok();
    let trusted = match (&header, &index) {
        (Ok(_), Some(index)) if trust_index => quick_check(base, &store, file_len, index),
        _ => None,
    };
    let mut disagrees = false;
    let contents = match trusted {
        Some((count, end)) => Contents::Trusted { count, end },
        None => {
            let h = match &header {
                Ok(h) => *h,
                Err(_) => stand_in(base),
            };
            // Whatever a crash left unwritten in the page cache is synced once recovery is
            // done (`make_durable`): the disk starts on it now, while the scan reads.
            crate::platform::start_writeback(&store);
            let mut scan = fault::check(Op::Read, &store_path)
                .and_then(|_| scan::scan_store(&store, &h, index.as_ref(), file_len))
                .context(|| format!("scanning {}", store_path.display()))?;
            if let Some(index) = &index {
                let hints = scan::read_hints(index, scan.entries.len());
                // What the index already says: holes an earlier open or repair made, and
                // whether it disagrees with the store at all.
                for d in &mut scan.damage {
                    let span = (d.first - base) as usize..(d.end - base) as usize;
                    d.known = hints
                        .get(span)
                        .is_some_and(|e| e.iter().all(|&p| p == HOLE));
                }
                // (Where the store is damaged the index may still point at the damage.)
                let n = scan.entries.len();
                disagrees = hints.get(..n).is_none_or(|h| {
                    h.iter()
                        .zip(&scan.entries)
                        .any(|(&i, &s)| s != HOLE && i != s)
                });
            }
            Contents::Scanned(scan)
        }
    };
    let index_mismatch = header.is_ok() && ((trust_index && trusted.is_none()) || disagrees);
    // Only needed when the store header cannot say anything (see `Examined::claimed`).
    let index_count = match (&header, &index) {
        (Err(_), Some(f)) => used_entries(f, base),
        _ => None,
    };
    Ok(Examined {
        base,
        store_path,
        index_path,
        header,
        contents,
        file_len,
        index_mismatch,
        index_count,
        store_file: keep_store.then_some(store),
    })
}
