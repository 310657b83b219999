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
/// and [`crate::verify`] says why). Fails only if the file cannot be read.
pub fn store_format_version(path: &Path) -> std::io::Result<Option<u32>> {
    let mut header = Vec::with_capacity(format::STORE_HEADER_LEN as usize);
    File::open(path)?
        .take(format::STORE_HEADER_LEN)
        .read_to_end(&mut header)?;
    Ok(format::decode_file_header(FileKind::Store, &header)
        .ok()
        .map(|h| h.version))
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
}
