//! The on-disk format, version 3. `docs/FORMAT.md` repeats these tables; keep both in step.
//!
//! A log is a directory. Each segment is two files named by the segment's base offset (the
//! offset of its first record), zero-padded to 20 digits so that name order is offset order:
//! `00000000000000000000.store` and `00000000000000000000.index`. `LOCK` is the writer's lock
//! file; `CLEAN` exists while the log is closed cleanly (its files are then trimmed and
//! consistent, so the next open need not scan); `quarantine/` holds what recovery took out of
//! the log (see `quarantine.rs`).
//!
//! All integers are little-endian. CRC32C is the Castagnoli CRC (as in iSCSI, ext4, Kafka).
//!
//! ## Store file header (32 bytes)
//! | offset | size | field         | meaning                                                  |
//! |-------:|-----:|---------------|----------------------------------------------------------|
//! |      0 |    8 | magic         | `CLOGSTOR`                                               |
//! |      8 |    4 | version       | format version, `3`                                      |
//! |     12 |    1 | flags         | bit 0 `REBASE`, bit 1 `PREV_UNSYNCED`, bit 2 `CUT_IN_FRAME`, bit 3 `COMPACTED`; others `0` |
//! |     13 |    1 | epoch         | bits 0..6: bumped (mod 128) by every `truncate_back` into the segment |
//! |     14 |    1 | codec         | codec of the segment's frames: `0` none, `1` LZ4, `2` zstd |
//! |     15 |    1 | level         | the zstd level the writer used (informative), else `0`   |
//! |     16 |    8 | base_offset   | offset of the segment's first record                     |
//! |     24 |    4 | durable_count | records from the first known durable when written (0: no claim) |
//! |     28 |    4 | header_crc    | CRC32C of bytes 0..28                                    |
//!
//! The header is rewritten in place (one 32-byte write inside one sector): by close, the open
//! after a crash and `Log::sync` (the durable count, after the sync it counts), by the seal
//! thread (clearing `PREV_UNSYNCED` of the segment after the one it synced), and by
//! `truncate_back` (a new epoch and the count of records kept, synced before anything else
//! changes: the cut is durable in one sector).
//!
//! `REBASE` marks a segment created by `truncate_front` beyond the end of the log: every
//! segment below it is obsolete. If a crash interrupts the removal of those older segments,
//! the next open finishes it (the gap before a `REBASE` segment is expected). The flag is
//! cleared once they are gone.
//!
//! `PREV_UNSYNCED` marks a segment created by a roll under `sync = never`: the segment before it
//! was sealed without waiting for its fdatasync (a background thread runs it, then clears the
//! flag). Until then a power cut may tear that older segment's tail.
//!
//! `CUT_IN_FRAME` marks a segment that `truncate_back` cut inside a frame (see "Frames"): no record
//! is appended to it after the cut (the writer starts a new segment at once, and an open that
//! finds it the newest does the same), so its durable count stays where the cut put it.
//!
//! `COMPACTED` marks a segment whose single appends were compressed at seal time (see "Frames"):
//! there is nothing left to compress in it. A cut into it clears the flag.
//!
//! The codec is chosen when the segment is created (`Options::compression` of the writer), and an
//! empty segment may take another; it never changes once the segment holds a record. Readers
//! need no option: the header and each frame say how to read them.
//!
//! ## Record (28-byte header + value), packed one after another from byte 32
//! | offset | size | field     | meaning                                                   |
//! |-------:|-----:|-----------|-----------------------------------------------------------|
//! |      0 |    4 | crc       | CRC32C of bytes 4..28+length (rest of header and value)   |
//! |      4 |    4 | length    | value length in bytes                                     |
//! |      8 |    8 | offset    | absolute offset of the record (of a frame: its first)     |
//! |     16 |    8 | timestamp | append time, ms since the Unix epoch, never decreasing; bit 63 `FRAME` |
//! |     24 |    4 | flags     | see below                                                 |
//! |     28 |  len | value     | the bytes appended                                        |
//!
//! Record flags: bit 0 `COMMIT` (the last record of an append or batch); bits 1..7 the
//! segment's epoch when the record was written; bits 8..31 a durable claim: how many records
//! of the segment, from its first, had been synced when this record was written (saturating
//! at 2^24 - 1; a smaller claim is always true).
//!
//! Timestamp bit 63 is `FRAME` (version 3): the record is a frame (see "Frames"); the append time
//! is bits 0..62. No time reaches bit 63 (2^63 ms is 292 million years), so no record of an older
//! version has it, and a frame is known as one without its segment's header (which may be the
//! damaged part). A segment without a codec holds exactly the records of version 2.
//!
//! The active store is preallocated, so its tail is zeros: an all-zero record header marks
//! the end of the data. A batch is written as records whose last one carries `COMMIT`; among
//! records that were never durable, recovery keeps only those up to the last `COMMIT`, so a
//! batch that was not acknowledged is all there or not at all.
//!
//! A record at position `i` of its segment (`offset - base_offset`) whose epoch is not the
//! header's and with `i >= durable_count` was cut by `truncate_back` (the zeroing that
//! follows the cut did not finish): it is not part of the log.
//!
//! ## Index file header (32 bytes)
//! | offset | size | field        | meaning                                        |
//! |-------:|-----:|--------------|------------------------------------------------|
//! |      0 |    8 | magic        | `CLOGINDX`                                     |
//! |      8 |    4 | version      | format version, `3`                            |
//! |     12 |    4 | reserved     | `0`                                            |
//! |     16 |    8 | base_offset  | the segment's base offset                      |
//! |     24 |    4 | reserved     | `0`                                            |
//! |     28 |    4 | header_crc   | CRC32C of bytes 0..28                          |
//!
//! ## Index entry (4 bytes), entry `i` at byte `32 + 4*i`
//! | offset | size | field    | meaning                                                   |
//! |-------:|-----:|----------|-----------------------------------------------------------|
//! |      0 |    4 | position | byte position in the store of record `base_offset + i`    |
//!
//! The index is dense (one entry per record), memory-mapped and preallocated while its segment
//! is active; a zero entry is an unused slot (no record starts below byte 32), and `HOLE`
//! (`0xFFFFFFFF`) marks an offset whose record is damaged. The store is the truth: an index
//! that is missing, short, zero-tailed or disagrees with its store is rebuilt from the store.
//!
//! ## Frames (version 3)
//! A batch appended to a segment with a codec is one record, a frame: its header is a record
//! header (`offset` the batch's first offset, `timestamp` the batch's with `FRAME` set, `COMMIT`
//! set, `length` the bytes below, and the checksum over all of them as for any record), and its
//! value is a frame header and the compressed payload:
//!
//! | offset | size | field   | meaning                                                         |
//! |-------:|-----:|---------|-----------------------------------------------------------------|
//! |      0 |    1 | codec   | `1` LZ4 (block format), `2` zstd (one zstd frame)               |
//! |      1 |    1 | flags   | bit 0 `TIMES`: the payload holds a timestamp per value; others `0` |
//! |      2 |    2 | zero    | `0`                                                             |
//! |      4 |    4 | count   | values in the frame: offsets `offset..offset + count`           |
//! |      8 |    4 | raw_len | bytes of the payload decompressed                               |
//! |     12 |    n | payload | compressed: `count` value lengths (4 bytes each), with `TIMES` `count` timestamps (8 bytes each), then the values back to back |
//!
//! Every index entry of the batch's offsets holds the frame's position, so `read(k)` finds the
//! frame through the index as it finds a record, checks its checksum and decompresses it whole
//! (the cost of a random read of a value in a frame is the frame's decompression). A batch whose
//! frame would not be smaller than its plain records (incompressible values) is written as plain
//! records; single appends are written as plain records. A frame is written, published and made
//! durable as one record: a torn frame fails its checksum and its whole batch goes as a torn
//! tail (or, if it was durable, each of its offsets is a hole). A batch's values share the frame
//! record's timestamp; a `TIMES` frame's values each have their own.
//!
//! Single appends are compressed at seal time (`Options::compress_sealed`, on by default with a
//! codec; `Log::compress_sealed` runs it by hand): once a segment is sealed and synced, a
//! background thread writes its records anew beside it, each run of plain records (up to 64 KiB
//! of values) as a `TIMES` frame, frames and records that would not shrink as they were, every
//! offset at the same place in the order, with the header's durable count at all of them. The
//! new store and index (`<name>.store.<n>.compact`, `<name>.index.<n>.compact`, `n` numbering
//! the rewrites of the process) are synced; the writer then renames them over the segment's
//! files (store first) and syncs the directory, at its next roll or at close, only if nothing
//! cut or removed the segment meanwhile. A crash before the store's rename leaves the old files
//! (and `.compact` files nothing reads); after it, the new store, whose old index the check at
//! open refuses and rebuilds. Readers holding the old files (a map, a descriptor) read them on;
//! a segment with damage is not rewritten.
//!
//! A frame of an earlier epoch than its segment's header that starts below the header's durable
//! count and ends past it was cut inside by `truncate_back`: only its values below that count are
//! part of the log. The cut keeps the frame's bytes whole (no record is rewritten in place),
//! writes the new epoch, the count and `CUT_IN_FRAME` in one header write, and the log goes on in
//! a new segment.
//!
//! Trade-off: one record per batch keeps every promise of a plain batch (one checksum over the
//! bytes on disk, all or nothing, one index entry per offset) and costs random reads a whole
//! frame's decompression; iteration decompresses each frame once. Single appends stay plain
//! while their segment is active (an append is still one copy into the map, durable as it was),
//! and are compressed only once sealed and synced, by a rewrite that never changes a byte of the
//! files readers have: the cost is writing each such segment a second time, in the background.
//!
//! ## Version 1
//! Version 1 (the first release) differs only in the store and index headers: bytes 12..16 are
//! the flags (no epoch), the header checksum is at 24 and covers bytes 0..24, and bytes 28..32
//! are reserved. Records are the same, with flag bits 1..31 zero (epoch 0, no claim). This
//! build reads version-1 files as such; a header it rewrites becomes version 3.
//!
//! ## Version 2
//! Version 2 differs from version 3 only in the store header's bytes 14..16 (reserved, `0`: no
//! codec, so no frames). A version-2 header this build rewrites becomes version 3 with no codec,
//! which describes the same records.

/// Version written in every file header this build creates.
pub const FORMAT_VERSION: u32 = 3;
/// The oldest version this build reads (see "Version 1" above).
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// Magic at the head of a store file.
pub const STORE_MAGIC: [u8; 8] = *b"CLOGSTOR";
/// Magic at the head of an index file.
pub const INDEX_MAGIC: [u8; 8] = *b"CLOGINDX";
/// Length of a store file header.
pub const STORE_HEADER_LEN: u64 = 32;
/// Length of an index file header.
pub const INDEX_HEADER_LEN: u64 = 32;
/// Length of a record header.
pub const RECORD_HEADER_LEN: u64 = 28;
/// Length of an index entry.
pub const INDEX_ENTRY_LEN: u64 = 4;
/// Store header flag bit: this segment re-bases the log (older segments are obsolete).
pub const FLAG_REBASE: u32 = 1;
/// Store header flag bit: the segment before this one may not be synced yet (see above).
pub const FLAG_PREV_UNSYNCED: u32 = 2;
/// Store header flag bit (version 3): `truncate_back` cut inside a frame of this segment; no
/// record is appended to it after the cut (see "Frames" above).
pub const FLAG_CUT_IN_FRAME: u32 = 4;
/// Store header flag bit (version 3): the segment's single appends were compressed at seal
/// time (see "Frames" above); nothing is left to compress in it.
pub const FLAG_COMPACTED: u32 = 8;
/// Bit of a record header's timestamp field that marks a frame (version 3): append times
/// never reach it (2^63 ms is 292 million years), so no record of an older version has it.
pub const TIMESTAMP_FRAME: u64 = 1 << 63;
/// Length of a frame's own header, at the start of its record's value.
pub const FRAME_HEADER_LEN: u64 = 12;
/// Frame header flag: the payload holds a timestamp per value (records compressed at seal
/// time), after the lengths.
pub const FRAME_TIMES: u8 = 1;
/// Record flag bit: this record ends an append or a batch.
pub const FLAG_COMMIT: u32 = 1;
/// Index entry of an offset whose record is damaged (a hole): no record starts there.
pub const HOLE: u32 = u32::MAX;
/// Largest offset a record may have (fits a signed 64-bit integer in every language).
pub const MAX_OFFSET: u64 = i64::MAX as u64;
/// Epochs count modulo this (7 bits in a record's flags).
pub const EPOCHS: u8 = 128;
/// Largest durable count a record can claim (24 bits in its flags); larger counts are claimed
/// as this (a smaller claim is always true).
pub const MAX_CLAIM: u32 = (1 << 24) - 1;
/// File name suffix of stores.
pub const STORE_SUFFIX: &str = "store";
/// File name suffix of indexes.
pub const INDEX_SUFFIX: &str = "index";

/// Which kind of file a header belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `.store` file.
    Store,
    /// An `.index` file.
    Index,
}

impl FileKind {
    /// The magic of this kind of file.
    pub fn magic(self) -> [u8; 8] {
        match self {
            FileKind::Store => STORE_MAGIC,
            FileKind::Index => INDEX_MAGIC,
        }
    }
    /// The file name suffix of this kind of file.
    pub fn suffix(self) -> &'static str {
        match self {
            FileKind::Store => STORE_SUFFIX,
            FileKind::Index => INDEX_SUFFIX,
        }
    }
}

/// The file name of a segment file: `{base:020}.{suffix}`.
pub fn file_name(base: u64, kind: FileKind) -> String {
    format!("{base:020}.{}", kind.suffix())
}

/// Parses a segment file name back into its base offset and kind.
pub fn parse_file_name(name: &str) -> Option<(u64, FileKind)> {
    let (stem, suffix) = name.split_once('.')?;
    let kind = match suffix {
        STORE_SUFFIX => FileKind::Store,
        INDEX_SUFFIX => FileKind::Index,
        _ => return None,
    };
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem.parse().ok()?, kind))
}

/// A file header's fields (store or index; an index uses only `base`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileHeader {
    /// The format version the file was written in.
    pub version: u32,
    /// The segment's base offset.
    pub base: u64,
    /// Store header flags (`FLAG_REBASE`, `FLAG_PREV_UNSYNCED`).
    pub flags: u32,
    /// The segment's epoch (store, version 2; 0 in version 1): bumped by every cut of
    /// `truncate_back` into the segment.
    pub epoch: u8,
    /// How many records of the segment, from its first, were durable when the header was
    /// written (store, version 2; 0 = no claim, and always 0 in version 1).
    pub durable_count: u32,
    /// The codec of the segment's frames (store, version 3; `CODEC_NONE` before): with
    /// `CODEC_NONE` the segment holds no frame and its records are exactly version 2's.
    pub codec: u8,
    /// The codec's level the writer used (zstd; informative, readers need not know it).
    pub level: u8,
}

/// Codec byte of a segment (or frame) without compression.
pub const CODEC_NONE: u8 = 0;
/// Codec byte of LZ4 (its block format, no frame format around it).
pub const CODEC_LZ4: u8 = 1;
/// Codec byte of Zstandard (`zstd`).
pub const CODEC_ZSTD: u8 = 2;

impl FileHeader {
    /// A new version-2 header.
    pub fn new(base: u64, flags: u32) -> FileHeader {
        FileHeader {
            version: FORMAT_VERSION,
            base,
            flags,
            epoch: 0,
            durable_count: 0,
            codec: CODEC_NONE,
            level: 0,
        }
    }
}

/// Encodes a 32-byte version-3 file header.
pub fn encode_file_header(kind: FileKind, h: &FileHeader) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0..8].copy_from_slice(&kind.magic());
    b[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    let flags = (h.flags & 0xff) | (u32::from(h.epoch % EPOCHS) << 8);
    b[12..14].copy_from_slice(&flags.to_le_bytes()[..2]);
    b[14] = h.codec;
    b[15] = h.level;
    b[16..24].copy_from_slice(&h.base.to_le_bytes());
    b[24..28].copy_from_slice(&h.durable_count.to_le_bytes());
    let crc = crate::crc::crc32c(&b[0..28]);
    b[28..32].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Why a file header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Shorter than a header.
    Short,
    /// All zeros: a file whose creation did not finish.
    Zeroed,
    /// Not a header of this kind (wrong magic or checksum).
    Bad(String),
    /// A format version this build does not read.
    Version(u32),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::Short => write!(f, "file shorter than its 32-byte header"),
            HeaderError::Zeroed => write!(f, "file header is all zeros"),
            HeaderError::Bad(why) => write!(f, "bad file header: {why}"),
            HeaderError::Version(v) => write!(
                f,
                "format version {v} is not supported (this build reads versions \
                 {OLDEST_READABLE_VERSION} to {FORMAT_VERSION})"
            ),
        }
    }
}

/// Decodes a file header of version 1, 2 or 3.
pub fn decode_file_header(kind: FileKind, bytes: &[u8]) -> Result<FileHeader, HeaderError> {
    let h = bytes.get(..32).ok_or(HeaderError::Short)?;
    if h.iter().all(|&b| b == 0) {
        return Err(HeaderError::Zeroed);
    }
    if h[0..8] != kind.magic() {
        return Err(HeaderError::Bad(format!(
            "magic {:?} is not {:?}",
            String::from_utf8_lossy(&h[0..8]),
            String::from_utf8_lossy(&kind.magic())
        )));
    }
    let version = u32_at(h, 8);
    let (crc_at, crc_over) = match version {
        1 => (24, 24),
        2 | 3 => (28, 28),
        v => return Err(HeaderError::Version(v)),
    };
    if u32_at(h, crc_at) != crate::crc::crc32c(&h[0..crc_over]) {
        return Err(HeaderError::Bad("header checksum mismatch".into()));
    }
    let raw_flags = u32_at(h, 12);
    Ok(if version == 1 {
        FileHeader {
            version,
            base: u64_at(h, 16),
            flags: raw_flags,
            epoch: 0,
            durable_count: 0,
            codec: CODEC_NONE,
            level: 0,
        }
    } else {
        let v3 = version >= 3;
        FileHeader {
            version,
            base: u64_at(h, 16),
            flags: raw_flags & 0xff,
            epoch: ((raw_flags >> 8) & 0x7f) as u8,
            durable_count: u32_at(h, 24),
            codec: if v3 { h[14] } else { CODEC_NONE },
            level: if v3 { h[15] } else { 0 },
        }
    })
}

/// The flags of a record: `COMMIT` if it ends its append or batch, the segment's epoch, and
/// how many records of the segment were durable when it was written.
#[inline]
pub fn record_flags(commit: bool, epoch: u8, durable_claim: u64) -> u32 {
    let claim = durable_claim.min(u64::from(MAX_CLAIM)) as u32;
    u32::from(commit) | (u32::from(epoch % EPOCHS) << 1) | (claim << 8)
}

/// A decoded record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Stored checksum.
    pub crc: u32,
    /// Value length.
    pub len: u32,
    /// Absolute offset.
    pub offset: u64,
    /// Append time in ms since the Unix epoch (the timestamp field without its frame bit).
    pub timestamp: u64,
    /// Flag bits.
    pub flags: u32,
    /// Whether the record is a frame (`TIMESTAMP_FRAME`).
    pub frame: bool,
}

impl RecordHeader {
    /// Total bytes of the record on disk.
    #[inline]
    pub fn total_len(&self) -> u64 {
        RECORD_HEADER_LEN + u64::from(self.len)
    }
    /// Whether the record ends an append or batch.
    #[inline]
    pub fn is_commit(&self) -> bool {
        self.flags & FLAG_COMMIT != 0
    }
    /// The epoch of its segment when it was written (0 in version 1).
    #[inline]
    pub fn epoch(&self) -> u8 {
        ((self.flags >> 1) & 0x7f) as u8
    }
    /// How many records of its segment were durable when it was written (0 in version 1).
    #[inline]
    pub fn durable_claim(&self) -> u32 {
        self.flags >> 8
    }
    /// Whether the record is a frame (version 3; see "Frames").
    #[inline]
    pub fn is_frame(&self) -> bool {
        self.frame
    }
}

/// A frame's own header, at the start of its record's value: the codec of its payload, how
/// many values it holds and their length uncompressed (lengths table included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// `CODEC_LZ4` or `CODEC_ZSTD`.
    pub codec: u8,
    /// `FRAME_TIMES` or 0.
    pub flags: u8,
    /// Values in the frame (offsets `offset..offset + count` of its record).
    pub count: u32,
    /// Length of the payload once decompressed.
    pub raw_len: u32,
}

/// Decodes a frame header from the start of a frame record's value.
#[inline]
pub fn decode_frame_header(value: &[u8]) -> Option<FrameHeader> {
    let b = value.get(..FRAME_HEADER_LEN as usize)?;
    Some(FrameHeader {
        codec: b[0],
        flags: b[1],
        count: u32_at(b, 4),
        raw_len: u32_at(b, 8),
    })
}

/// Encodes a frame header into the first `FRAME_HEADER_LEN` bytes of `out`.
#[inline]
pub fn encode_frame_header(out: &mut [u8], h: &FrameHeader) {
    out[0] = h.codec;
    out[1] = h.flags;
    out[2..4].fill(0);
    out[4..8].copy_from_slice(&h.count.to_le_bytes());
    out[8..12].copy_from_slice(&h.raw_len.to_le_bytes());
}

/// Decodes a record header from at least 28 bytes. `None` if the header is all zeros (the
/// end of the data in a preallocated store).
// Inlined: it runs once per record read or iterated, and returned through memory its fields
// were read back wider than written (a store-forwarding stall: 20% of iteration time).
#[inline(always)]
pub fn decode_record_header(b: &[u8]) -> Option<RecordHeader> {
    let b = &b[..RECORD_HEADER_LEN as usize];
    // A written record's checksum is almost never 0: test it before scanning all 28 bytes.
    if u32_at(b, 0) == 0 && b.iter().all(|&x| x == 0) {
        return None;
    }
    let stamp = u64_at(b, 16);
    Some(RecordHeader {
        crc: u32_at(b, 0),
        len: u32_at(b, 4),
        offset: u64_at(b, 8),
        timestamp: stamp & !TIMESTAMP_FRAME,
        flags: u32_at(b, 24),
        frame: stamp & TIMESTAMP_FRAME != 0,
    })
}

/// Writes a record (header and value) into `out`, which must be exactly
/// `RECORD_HEADER_LEN + value.len()` bytes long.
#[inline]
pub fn encode_record(out: &mut [u8], offset: u64, timestamp: u64, flags: u32, value: &[u8]) {
    encode_record_unsealed(out, offset, timestamp, flags, value);
    let crc = crate::crc::record_crc32c(crate::crc::RecordFields {
        offset,
        timestamp,
        flags,
        value,
    });
    seal_record(out, crc);
}

/// Writes everything of a record but its checksum (see [`encode_record`]); the caller then
/// computes the CRC32C of `out[4..]` and stores it with [`seal_record`]. Batches do that for
/// three records at a time.
#[inline]
pub(crate) fn encode_record_unsealed(
    out: &mut [u8],
    offset: u64,
    timestamp: u64,
    flags: u32,
    value: &[u8],
) {
    let (head, body) = out.split_at_mut(RECORD_HEADER_LEN as usize);
    head[4..8].copy_from_slice(&(value.len() as u32).to_le_bytes());
    head[8..16].copy_from_slice(&offset.to_le_bytes());
    head[16..24].copy_from_slice(&timestamp.to_le_bytes());
    head[24..28].copy_from_slice(&flags.to_le_bytes());
    body.copy_from_slice(value);
}

/// Stores a record's checksum, the CRC32C of `out[4..]` (header and value are contiguous:
/// one pass over both).
#[inline]
pub(crate) fn seal_record(out: &mut [u8], crc: u32) {
    out[0..4].copy_from_slice(&crc.to_le_bytes());
}

/// Checks a whole record (header + value bytes) against its stored checksum.
#[inline]
pub fn record_crc_ok(record: &[u8]) -> bool {
    // The CRC covers the header after the crc field, then the value; the two parts are
    // contiguous here, so one pass: a second call (crc32c_append over the value) adds its own
    // setup and tail steps to a ~16-step chain (100 B value).
    u32_at(record, 0) == crate::crc::crc32c(&record[4..])
}

/// The offset a whole record (header + value bytes) holds.
#[inline]
pub(crate) fn record_offset(record: &[u8]) -> u64 {
    u64_at(record, 8)
}

#[inline]
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

#[inline]
pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

#[cfg(test)]
mod tests;
