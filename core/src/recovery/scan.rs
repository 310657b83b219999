//! The segment checker: reads a store from its header to its end and says, for every offset,
//! whether an intact record holds it, which bytes are damaged, and where the data ends.
//!
//! Recovery, `verify`, `repair` and a read-only follower all use this one function, so there
//! is one definition of a valid record. It decides nothing: whether damage is a hole (damage
//! inside what was durable) or a torn tail (bytes that were never durable) is `plan.rs`'s
//! call, which needs what the other segments say.
//!
//! Damage does not end a scan: the scan looks for the next intact record after it (the index
//! file's entries first, then every byte position), so the records after a damaged one keep
//! their offsets. A record found that way must hold a later offset than the damaged one, fit
//! the file and pass its checksum.

use std::fs::File;
use std::io;

use crate::format::{self, FileHeader, HOLE, RECORD_HEADER_LEN, STORE_HEADER_LEN};

/// One damaged span: offsets `first..end` have no intact record; their bytes are
/// `position..position + len`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damage {
    pub first: u64,
    pub end: u64,
    pub position: u64,
    pub len: u64,
    pub reason: String,
    /// The segment's index already marks these offsets as holes: an earlier open or repair
    /// found this damage.
    pub known: bool,
}

/// How the data of a store ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// Zeros (the preallocated tail) or the end of the file.
    Clean,
    /// Bytes that are no intact record and are followed by none: torn or damaged.
    Torn { reason: String },
}

/// What a scan of one store found.
#[derive(Debug)]
pub(crate) struct StoreScan {
    /// Entry per offset from the segment's base: the record's store position, or `HOLE`.
    pub entries: Vec<u32>,
    /// Store position just past each offset's record (for a hole: where the next record
    /// starts).
    pub ends: Vec<u32>,
    /// Whether each offset's record ends an append or batch (false for holes).
    pub commits: Vec<bool>,
    /// The damaged spans among `entries`, in order.
    pub damage: Vec<Damage>,
    /// Store position where the data ends: past the last entry.
    pub end: u64,
    /// How the data ends at `end`.
    pub stop: End,
    /// The largest durable count an intact record claims.
    pub max_claim: u64,
    /// The epoch of the last intact record (0 if none).
    pub last_epoch: u8,
}

impl StoreScan {
    /// Takes in the intact record `h` at `pos` holding `count` offsets (a frame holds
    /// several, each an entry at the frame); returns where it ends.
    fn push_intact(&mut self, pos: u64, h: &format::RecordHeader, count: u64) -> u64 {
        let end = pos + h.total_len();
        for i in 0..count {
            self.entries.push(pos as u32);
            self.ends.push(end as u32);
            self.commits.push(i + 1 == count && h.is_commit());
        }
        self.max_claim = self.max_claim.max(u64::from(h.durable_claim()));
        self.last_epoch = h.epoch();
        self.end = end;
        end
    }
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

    /// Bytes `pos..pos+len` (caller checked `pos + len <= limit`). A file that turns out
    /// shorter than `limit` (another process cut it) gives a short slice.
    fn get(&mut self, pos: u64, len: usize) -> io::Result<&[u8]> {
        let have = pos >= self.start && pos + len as u64 <= self.start + self.buf.len() as u64;
        if !have {
            let want = (self.limit - pos).min(CHUNK.max(len) as u64) as usize;
            self.buf.resize(want, 0);
            let got = crate::platform::read_at_most(self.file, &mut self.buf, pos)?;
            self.buf.truncate(got);
            self.start = pos;
        }
        let at = (pos - self.start) as usize;
        let stop = (at + len).min(self.buf.len());
        Ok(&self.buf[at.min(stop)..stop])
    }

    /// What the buffer already holds from `pos` on (empty if nothing).
    fn buffered(&self, pos: u64) -> &[u8] {
        match pos.checked_sub(self.start) {
            Some(at) if at < self.buf.len() as u64 => &self.buf[at as usize..],
            _ => &[],
        }
    }
}

/// The next three records at the start of `buf`, if all three are there whole and pass every
/// check of [`intact`] (holding `offset`, `offset + 1`, `offset + 2`): their headers. Their
/// checksums are computed together, three independent chains (a 100 B record's alone is a
/// chain of dependent steps that leaves the CPU's CRC unit mostly idle). Anything else (the
/// end of the buffer, a frame, damage, zeros) is left to `intact`, record by record, which
/// says why.
fn three_intact(buf: &[u8], offset: u64, header: &FileHeader) -> Option<[format::RecordHeader; 3]> {
    let mut heads = [None; 3];
    let mut bounds = [0usize; 4];
    for i in 0..3 {
        let at = bounds[i];
        let head = buf.get(at..at + RECORD_HEADER_LEN as usize)?;
        let h = format::decode_record_header(head)?;
        if h.is_frame() {
            return None;
        }
        let slot = offset + i as u64 - header.base;
        let cut =
            h.epoch() != header.epoch % format::EPOCHS && slot >= u64::from(header.durable_count);
        if h.offset != offset + i as u64 || cut {
            return None;
        }
        let end = at.checked_add(usize::try_from(h.total_len()).ok()?)?;
        if end > buf.len() {
            return None;
        }
        heads[i] = Some(h);
        bounds[i + 1] = end;
    }
    let [a, b, c, end] = bounds;
    let crcs = crate::crc::crc32c_x3([&buf[a + 4..b], &buf[b + 4..c], &buf[c + 4..end]]);
    let heads = heads.map(|h| h.expect("all three decoded above"));
    heads
        .iter()
        .zip(crcs)
        .all(|(h, crc)| h.crc == crc)
        .then_some(heads)
}

/// A record that passed every check at `pos`: its header, and how many offsets it holds (a
/// frame holds several; one cut inside by `truncate_back` only those below the cut).
fn intact(
    reader: &mut ChunkReader<'_>,
    pos: u64,
    offset: u64,
    header: &FileHeader,
) -> io::Result<Result<(format::RecordHeader, u64), String>> {
    let limit = reader.limit;
    if pos + RECORD_HEADER_LEN > limit {
        return Ok(Err("record header cut short by the end of the file".into()));
    }
    let head = reader.get(pos, RECORD_HEADER_LEN as usize)?;
    if head.len() < RECORD_HEADER_LEN as usize {
        return Ok(Err("record header cut short by the end of the file".into()));
    }
    let Some(h) = format::decode_record_header(head) else {
        return Ok(Err(format!("record {offset} is all zeros")));
    };
    if h.offset != offset {
        return Ok(Err(format!(
            "record holds offset {} where {offset} was expected",
            h.offset
        )));
    }
    if pos + h.total_len() > limit {
        return Ok(Err(format!(
            "record {offset} of {} bytes runs past the end of the file",
            h.len
        )));
    }
    let bytes = reader.get(pos, h.total_len() as usize)?;
    if bytes.len() as u64 != h.total_len() || !format::record_crc_ok(bytes) {
        return Ok(Err(format!("checksum mismatch in record {offset}")));
    }
    // A record of an earlier epoch past what the header says was durable was cut by
    // `truncate_back` (its zeroing did not finish): it is not part of the log.
    let slot = offset - header.base;
    let old_epoch = h.epoch() != header.epoch % format::EPOCHS;
    if old_epoch && slot >= u64::from(header.durable_count) {
        return Ok(Err(format!(
            "record {offset} is of epoch {} but the segment is at epoch {} (cut by truncate_back)",
            h.epoch(),
            header.epoch
        )));
    }
    if !h.is_frame() {
        return Ok(Ok((h, 1)));
    }
    let value = &bytes[RECORD_HEADER_LEN as usize..];
    let mut count = match crate::frame::header_of(value) {
        Ok(f) => u64::from(f.count),
        Err(why) => return Ok(Err(format!("record {offset}: {why}"))),
    };
    if offset
        .checked_add(count)
        .is_none_or(|end| end > format::MAX_OFFSET + 1)
    {
        return Ok(Err(format!(
            "frame {offset} claims {count} values, past the largest offset"
        )));
    }
    // A frame of an earlier epoch that runs past what the header says was durable was cut
    // inside by `truncate_back`: only its values below the cut are part of the log.
    if old_epoch {
        count = count.min(u64::from(header.durable_count) - slot);
    }
    Ok(Ok((h, count)))
}

/// Scans the store `file` of the segment whose header is `header`, up to `limit` bytes.
/// `index` (the segment's index file, if any) only helps find the records after damage;
/// nothing in it is trusted.
pub(crate) fn scan_store(
    file: &File,
    header: &FileHeader,
    index: Option<&File>,
    limit: u64,
) -> io::Result<StoreScan> {
    let base = header.base;
    let mut reader = ChunkReader::new(file, limit);
    let mut s = StoreScan {
        entries: Vec::new(),
        ends: Vec::new(),
        commits: Vec::new(),
        damage: Vec::new(),
        end: STORE_HEADER_LEN,
        stop: End::Clean,
        max_claim: 0,
        last_epoch: 0,
    };
    let mut hints = Hints::new(index);
    let mut pos = STORE_HEADER_LEN;
    let mut offset = base;
    loop {
        if pos >= limit {
            break;
        }
        if let Some(heads) = three_intact(reader.buffered(pos), offset, header) {
            for h in heads {
                pos = s.push_intact(pos, &h, 1);
                offset += 1;
            }
            continue;
        }
        let why = match intact(&mut reader, pos, offset, header)? {
            Ok((h, count)) => {
                pos = s.push_intact(pos, &h, count);
                offset += count;
                continue;
            }
            Err(why) => why,
        };
        match resync(&mut reader, pos, offset, header, &mut hints)? {
            Resync::Found(found_pos, found_offset) => {
                s.damage.push(Damage {
                    first: offset,
                    end: found_offset,
                    position: pos,
                    len: found_pos - pos,
                    reason: why,
                    known: false,
                });
                for _ in offset..found_offset {
                    s.entries.push(HOLE);
                    s.ends.push(found_pos as u32);
                    s.commits.push(false);
                }
                pos = found_pos;
                offset = found_offset;
                s.end = pos;
            }
            Resync::Nothing { nonzero } => {
                let zeros = !nonzero && reader.get(pos, 1)?.iter().all(|&b| b == 0);
                if !zeros {
                    s.stop = End::Torn { reason: why };
                }
                break;
            }
        }
    }
    Ok(s)
}

/// The first `count` entries of an index file, or as many as it has (hints: entries are
/// checked against the store before use).
pub(crate) fn read_hints(index: &File, count: usize) -> Vec<u32> {
    let Ok(len) = index.metadata().map(|m| m.len()) else {
        return Vec::new();
    };
    let have = len.saturating_sub(format::INDEX_HEADER_LEN) / format::INDEX_ENTRY_LEN;
    let mut bytes = vec![0u8; (have.min(count as u64) * format::INDEX_ENTRY_LEN) as usize];
    let Ok(got) = crate::platform::read_at_most(index, &mut bytes, format::INDEX_HEADER_LEN) else {
        return Vec::new();
    };
    bytes.truncate(got - got % 4);
    entries_of(&bytes)
}

fn entries_of(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// An index file's entries as hints for finding records after damage, read a chunk at a
/// time where they are asked for: past the last record an index is mostly zeros, and the
/// newest segment's is megabytes (asked for the slot after a scan's last record, it reads the
/// chunk holding that slot, not every chunk before it).
struct Hints<'a> {
    index: Option<&'a File>,
    /// Entries `start..start + entries.len()`.
    start: usize,
    entries: Vec<u32>,
    /// The index has no entries from `start + entries.len()` on.
    done: bool,
}

impl<'a> Hints<'a> {
    /// Entries read per chunk.
    const CHUNK: usize = 16 << 10;

    fn new(index: Option<&'a File>) -> Self {
        Hints {
            index,
            start: 0,
            entries: Vec::new(),
            done: false,
        }
    }

    /// The entry at `slot`, if the index has one.
    fn get(&mut self, slot: usize) -> Option<u32> {
        let end = self.start + self.entries.len();
        if slot < self.start || (slot >= end && !self.done) {
            let index = self.index?;
            let mut bytes = vec![0u8; Self::CHUNK * 4];
            let at = format::INDEX_HEADER_LEN + slot as u64 * format::INDEX_ENTRY_LEN;
            let got = crate::platform::read_at_most(index, &mut bytes, at).unwrap_or(0);
            bytes.truncate(got - got % 4);
            self.done = bytes.len() < Self::CHUNK * 4;
            self.start = slot;
            self.entries = entries_of(&bytes);
        }
        self.entries.get(slot.checked_sub(self.start)?).copied()
    }
}

/// What a search for records after damage found.
enum Resync {
    /// The first intact record after it: its position and offset.
    Found(u64, u64),
    /// None; whether any byte after the damage's first is not zero.
    Nothing { nonzero: bool },
}

/// The first intact record after damage at `pos` (where `offset` was expected).
fn resync(
    reader: &mut ChunkReader<'_>,
    pos: u64,
    offset: u64,
    header: &FileHeader,
    hints: &mut Hints<'_>,
) -> io::Result<Resync> {
    let base = header.base;
    let limit = reader.limit;
    // What the index said: the first later offset whose entry points past the damage at an
    // intact record holding that offset.
    let mut slot = (offset - base + 1) as usize;
    while let Some(p) = hints.get(slot) {
        slot += 1;
        if p == 0 {
            break;
        }
        let p = u64::from(p);
        if p == u64::from(HOLE) || p <= pos || p >= limit {
            continue;
        }
        let o = base + slot as u64 - 1;
        if intact(reader, p, o, header)?.is_ok() {
            return Ok(Resync::Found(p, o));
        }
    }
    // Every later byte position: a header whose offset is one that could follow, then the
    // whole record's checks. Runs of zeros (the preallocated tail) are skipped a chunk at a
    // time.
    // Each record takes at least a header, so few offsets can lie in the bytes left; a frame
    // (version 3) holds any number of values in few bytes, so there only the checksum decides.
    let most = if header.version >= 3 {
        u64::from(u32::MAX)
    } else {
        (limit - pos) / RECORD_HEADER_LEN
    };
    let mut q = pos + 1;
    let mut nonzero = false;
    while q + RECORD_HEADER_LEN <= limit {
        // Blocks never written are zeros: passed over unread (a header may start up to 27
        // zero bytes before the data).
        match crate::platform::data_from(reader.file, q)? {
            None => q = limit,
            Some(d) => q = q.max(d.saturating_sub(RECORD_HEADER_LEN - 1)),
        }
        if q + RECORD_HEADER_LEN > limit {
            break;
        }
        let chunk_len = (limit - q).min(CHUNK as u64) as usize;
        let chunk = reader.get(q, chunk_len)?;
        if chunk.len() < RECORD_HEADER_LEN as usize {
            break;
        }
        let Some(first) = first_nonzero(chunk) else {
            q += chunk.len() as u64;
            continue;
        };
        nonzero = true;
        let chunk = chunk.to_vec();
        // A header may start up to 27 bytes before its first non-zero byte (a zero checksum,
        // length and low offset bytes).
        let from = (q + first as u64)
            .saturating_sub(RECORD_HEADER_LEN - 1)
            .max(q);
        let stop = (q + chunk.len() as u64).saturating_sub(RECORD_HEADER_LEN - 1);
        let mut c = from;
        while c < stop {
            let at = (c - q) as usize;
            let claimed = format::u64_at(&chunk, at + 8);
            if claimed > offset
                && claimed - offset <= most
                && intact(reader, c, claimed, header)?.is_ok()
            {
                return Ok(Resync::Found(c, claimed));
            }
            c += 1;
        }
        // The last 27 bytes of this chunk start the next one.
        q = stop.max(q + 1);
    }
    // Fewer bytes left than a record header: not passed through above.
    if !nonzero && q < limit {
        nonzero = last_nonzero(reader.file, q, limit)?.is_some();
    }
    Ok(Resync::Nothing { nonzero })
}

/// The index of the first non-zero byte of `bytes`. A block at a time, each tested whole (an
/// OR of its bytes, which the compiler vectorizes): the preallocated tail a scan reads
/// through is megabytes of zeros.
pub(crate) fn first_nonzero(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for block in bytes.chunks(ZERO_BLOCK) {
        if block.iter().fold(0u8, |acc, &b| acc | b) != 0 {
            return block.iter().position(|&b| b != 0).map(|i| at + i);
        }
        at += block.len();
    }
    None
}

/// The index of the last non-zero byte of `bytes` (as [`first_nonzero`], from the end).
fn last_nonzero_in(bytes: &[u8]) -> Option<usize> {
    let mut end = bytes.len();
    for block in bytes.rchunks(ZERO_BLOCK) {
        end -= block.len();
        if block.iter().fold(0u8, |acc, &b| acc | b) != 0 {
            return block.iter().rposition(|&b| b != 0).map(|i| end + i);
        }
    }
    None
}

const ZERO_BLOCK: usize = 4096;

/// The position of the last non-zero byte of `file` in `from..to`, if any.
pub(crate) fn last_nonzero(file: &File, from: u64, to: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0u8; CHUNK];
    let mut last = None;
    let mut pos = from;
    while pos < to {
        match crate::platform::data_from(file, pos)? {
            None => break,
            Some(d) if d >= to => break,
            Some(d) => pos = d,
        }
        let n = ((to - pos) as usize).min(CHUNK);
        let got = crate::platform::read_at_most(file, &mut buf[..n], pos)?;
        if got == 0 {
            break;
        }
        if let Some(i) = last_nonzero_in(&buf[..got]) {
            last = Some(pos + i as u64);
        }
        pos += got as u64;
    }
    Ok(last)
}

/// Records a writer in another process appended past what a reader knows.
#[derive(Debug, Default)]
pub(crate) struct Followed {
    /// Positions of the new records, from `offset` on.
    pub positions: Vec<u32>,
    /// Store position past the last of them.
    pub end: u64,
    /// Offset after the last of them.
    pub next: u64,
}

/// Whether an intact record holding `offset` starts at `pos` of `file` (read up to `limit`):
/// a store that goes on past where a reader's view of it ends.
pub(crate) fn goes_on(
    file: &File,
    header: &FileHeader,
    pos: u64,
    offset: u64,
    limit: u64,
) -> io::Result<bool> {
    Ok(intact(&mut ChunkReader::new(file, limit), pos, offset, header)?.is_ok())
}

/// Reads the records from `pos` (holding `offset`) up to `limit` bytes of `file`, stopping at
/// the first bytes that are no intact record (the writer may be writing there) and keeping
/// only those up to the last commit point (a batch shows whole or not at all). A file that
/// turns out shorter than `limit` just ends sooner.
pub(crate) fn follow(
    file: &File,
    header: &FileHeader,
    pos: u64,
    offset: u64,
    limit: u64,
) -> io::Result<Followed> {
    let mut reader = ChunkReader::new(file, limit);
    let mut out = Followed {
        positions: Vec::new(),
        end: pos,
        next: offset,
    };
    let (mut pos, mut offset, mut pending) = (pos, offset, 0usize);
    while pos < limit {
        let Ok((h, count)) = intact(&mut reader, pos, offset, header)? else {
            break;
        };
        for _ in 0..count {
            out.positions.push(pos as u32);
        }
        pos += h.total_len();
        offset += count;
        pending += count as usize;
        if h.is_commit() {
            pending = 0;
            out.end = pos;
            out.next = offset;
        }
    }
    out.positions.truncate(out.positions.len() - pending);
    Ok(out)
}
