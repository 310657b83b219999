//! What tools need to know about a log directory's files without opening the log: which names
//! are segment files, and the format version a store was written in. The byte layout itself
//! stays private to the crate (docs/FORMAT.md describes it).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::format::{self, FileKind};

/// Whether `name` (a file name, no directory) is a segment file of a log: a store
/// (`{base:020}.store`) or an index (`{base:020}.index`).
pub fn is_segment_file_name(name: &str) -> bool {
    format::parse_file_name(name).is_some()
}

/// Whether the directory `dir` holds a log: at least one segment file (an open creates the
/// first segment at once, so every log has one).
pub fn holds_log(dir: &Path) -> std::io::Result<bool> {
    for entry in std::fs::read_dir(dir)? {
        if entry?
            .file_name()
            .to_str()
            .is_some_and(is_segment_file_name)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The format version in the header of the store file at `path`, or `None` when the header
/// cannot be read as one (short, zeroed, damaged or of an unknown version: an open recovers it,
/// and [`crate::verify()`] says why). Fails only if the file cannot be read.
pub fn store_format_version(path: &Path) -> std::io::Result<Option<u32>> {
    let mut header = Vec::with_capacity(format::STORE_HEADER_LEN as usize);
    File::open(path)?
        .take(format::STORE_HEADER_LEN)
        .read_to_end(&mut header)?;
    Ok(format::decode_file_header(FileKind::Store, &header)
        .ok()
        .map(|h| h.version))
}

/// How a store's records are compressed (see [`store_compression`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompressionStats {
    /// The codec the store's header names (`None` without one; a byte this build does not know
    /// is `None` too).
    pub codec: Option<crate::Compression>,
    /// The zstd level the header records (0 for the other codecs).
    pub level: u8,
    /// Bytes the store's records take on disk (headers included).
    pub stored_bytes: u64,
    /// Bytes the same records would take uncompressed (one plain record per value).
    pub plain_bytes: u64,
    /// Records in the store (values, whether plain or in frames).
    pub records: u64,
    /// Frames in the store, and the values they hold.
    pub frames: u64,
    pub values_in_frames: u64,
}

/// Walks the record headers of the store at `path` from its first record to the end of its
/// data (the first bytes that are no record header) and counts what its frames save. It
/// checks no checksum (`verify` does): what a damaged store says is a guess. Fails only if the
/// file cannot be read.
pub fn store_compression(path: &Path) -> std::io::Result<CompressionStats> {
    use std::io::{BufReader, Seek, SeekFrom};
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut header = [0u8; format::STORE_HEADER_LEN as usize];
    let mut stats = CompressionStats::default();
    if r.read_exact(&mut header).is_err() {
        return Ok(stats);
    }
    let Ok(h) = format::decode_file_header(FileKind::Store, &header) else {
        return Ok(stats);
    };
    stats.codec =
        crate::Compression::from_codec(h.codec).filter(|c| *c != crate::Compression::None);
    stats.level = h.level;
    let mut pos = format::STORE_HEADER_LEN;
    let mut head = [0u8; (format::RECORD_HEADER_LEN + format::FRAME_HEADER_LEN) as usize];
    while pos + format::RECORD_HEADER_LEN <= len {
        let want = ((len - pos) as usize).min(head.len());
        r.read_exact(&mut head[..want])?;
        let Some(rec) = format::decode_record_header(&head) else {
            break;
        };
        let total = rec.total_len();
        if pos + total > len {
            break;
        }
        stats.stored_bytes += total;
        if rec.is_frame() && want == head.len() {
            let Some(f) = format::decode_frame_header(&head[format::RECORD_HEADER_LEN as usize..])
            else {
                break;
            };
            let count = u64::from(f.count);
            stats.frames += 1;
            stats.values_in_frames += count;
            stats.records += count;
            stats.plain_bytes +=
                count * format::RECORD_HEADER_LEN + u64::from(f.raw_len).saturating_sub(4 * count);
        } else {
            stats.records += 1;
            stats.plain_bytes += total;
        }
        pos += total;
        r.seek(SeekFrom::Start(pos))?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_and_versions() {
        assert!(is_segment_file_name(&format::file_name(7, FileKind::Store)));
        assert!(is_segment_file_name(&format::file_name(7, FileKind::Index)));
        for other in [
            "CLEAN",
            "LOCK",
            "7.store",
            "quarantine",
            "00000000000000000007.store.removed-1-0",
        ] {
            assert!(!is_segment_file_name(other), "{other}");
        }

        let dir = tempfile::tempdir().unwrap();
        assert!(!holds_log(dir.path()).unwrap());
        let log = crate::Log::open(dir.path(), crate::Options::default()).unwrap();
        log.append(b"x").unwrap();
        log.close().unwrap();
        assert!(holds_log(dir.path()).unwrap());

        let store = dir.path().join(format::file_name(0, FileKind::Store));
        assert_eq!(
            store_format_version(&store).unwrap(),
            Some(format::FORMAT_VERSION)
        );
        // A damaged header is no version, not an error.
        let mut bytes = std::fs::read(&store).unwrap();
        bytes[9] ^= 0xff;
        std::fs::write(&store, &bytes).unwrap();
        assert_eq!(store_format_version(&store).unwrap(), None);
        assert!(store_format_version(&dir.path().join("missing.store")).is_err());
    }

    #[test]
    fn compression_stats_count_frames_and_what_they_save() {
        let dir = tempfile::tempdir().unwrap();
        let o = crate::Options {
            compression: crate::Compression::Lz4,
            ..crate::Options::default()
        };
        let log = crate::Log::open(dir.path(), o).unwrap();
        log.append(b"single").unwrap();
        let batch: Vec<Vec<u8>> = (0..50)
            .map(|i| format!("value {i} {}", "ab".repeat(30)).into_bytes())
            .collect();
        log.append_batch(&batch).unwrap();
        log.close().unwrap();
        let s = store_compression(&dir.path().join(format::file_name(0, FileKind::Store))).unwrap();
        let plain: u64 = (28 + 6) + batch.iter().map(|v| 28 + v.len() as u64).sum::<u64>();
        assert_eq!(s.codec, Some(crate::Compression::Lz4));
        assert_eq!((s.records, s.frames, s.values_in_frames), (51, 1, 50));
        assert_eq!(s.plain_bytes, plain);
        assert!(s.stored_bytes * 4 < plain, "{s:?}");
    }
}
