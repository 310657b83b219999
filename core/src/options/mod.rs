//! Options of [`crate::Log::open`], with the names of `docs/API.md`.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::format;
pub use crate::frame::Compression;

mod by_name;
pub use by_name::{NameStyle, OptionError, OptionValue, option_names};

/// When appended records are made durable (fdatasync'ed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPolicy {
    /// The OS decides. A record that was appended still survives a crash of the *process*
    /// (it is in the kernel's page cache the moment `append` returns), not of the machine.
    #[default]
    Never,
    /// Every append (or batch) is on disk before it returns. Concurrent appenders share one
    /// fdatasync (group commit).
    Always,
    /// A background thread syncs at this interval.
    Interval(Duration),
}

impl SyncPolicy {
    /// The policy named `"never"` or `"always"` (the names of `docs/API.md`); an interval
    /// has no name (bindings pass a number of milliseconds).
    pub fn from_name(name: &str) -> Option<SyncPolicy> {
        match name {
            "never" => Some(SyncPolicy::Never),
            "always" => Some(SyncPolicy::Always),
            _ => None,
        }
    }
}

/// What to do with a damaged tail of the newest segment when the log is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecoveryMode {
    /// Cut a torn or corrupt tail of the newest segment off (what a crash mid-append leaves).
    #[default]
    TruncateTail,
    /// Report any damage as [`Error::Corrupt`] and change nothing.
    Strict,
}

impl RecoveryMode {
    /// The mode named `"truncate_tail"` or `"strict"` (the names of `docs/API.md`;
    /// JavaScript's spelling `"truncateTail"` is accepted too, in every language).
    pub fn from_name(name: &str) -> Option<RecoveryMode> {
        match name {
            "truncate_tail" | "truncateTail" => Some(RecoveryMode::TruncateTail),
            "strict" => Some(RecoveryMode::Strict),
            _ => None,
        }
    }
}

/// How appends put their bytes into the active store file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WritePath {
    /// [`WritePath::Write`] when every append is synced ([`SyncPolicy::Always`]),
    /// [`WritePath::Map`] otherwise.
    #[default]
    Auto,
    /// Copy each record into a shared memory map of the file: no system call per append (the
    /// fastest way to append when syncs are rare), but each sync then write-protects the
    /// pages the appends dirtied (a TLB flush on every core the process runs on) and the next
    /// append to such a page faults.
    Map,
    /// One `pwrite` (Windows: `WriteFile`) per append or batch: a system call each, and no
    /// page of the file mapped writable, so a sync only writes pages back. The faster way when
    /// most appends are soon synced (`sync = always`, or a caller that syncs often itself): on
    /// the 2-core bench machine +9-12% one thread's durable appends (8 threads: no measurable
    /// change) and +14-18% the openraft store's commits at 64 clients.
    Write,
}

impl WritePath {
    /// The path named `"auto"`, `"map"` or `"write"` (the names of `docs/API.md`).
    pub fn from_name(name: &str) -> Option<WritePath> {
        match name {
            "auto" => Some(WritePath::Auto),
            "map" => Some(WritePath::Map),
            "write" => Some(WritePath::Write),
            _ => None,
        }
    }
}

/// Options of a log. `Options::default()` gives the defaults documented on each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Roll to a new segment when the active store would grow past this many bytes
    /// (default 64 MiB; at most 4 GiB - 1, at least 4 KiB). The active store file is
    /// preallocated to this size and trimmed when the segment is sealed.
    pub max_segment_bytes: u64,
    /// Roll when the active index would grow past this many bytes (default 8 MiB, 4 bytes a
    /// record; at least 4 KiB).
    pub max_index_bytes: u64,
    /// The offset of the first record of a new, empty log (default 0). Ignored when the
    /// directory already holds a log.
    pub initial_offset: u64,
    /// How far this handle lets the log's offsets go: `next_offset()` never passes it, so every
    /// offset it hands out (and the next one) fits (default and most [`format::MAX_OFFSET`],
    /// 2^63 - 1: a signed 64-bit integer in every language). An append that would pass it
    /// fails with [`Error::InvalidArgument`] before anything is written; a binding whose
    /// numbers hold less sets it lower (Node: 2^53 - 1). Not stored in the log.
    pub max_offset: u64,
    /// When appends are made durable (default [`SyncPolicy::Never`]).
    pub sync: SyncPolicy,
    /// How a damaged tail is handled on open (default [`RecoveryMode::TruncateTail`]).
    pub recovery: RecoveryMode,
    /// Drop the oldest sealed segments while the log holds more than this many bytes.
    pub retention_bytes: Option<u64>,
    /// Drop sealed segments whose newest record is older than this many milliseconds.
    pub retention_ms: Option<u64>,
    /// Retention waits for named cursors (`Log::cursor`): a segment holding records at or
    /// after a cursor's committed position is kept while the log holds at most this many
    /// bytes. Past this cap retention drops it anyway (so a dead consumer cannot fill the
    /// disk): that cursor then resumes at the lowest offset and reports the records it
    /// skipped. `None` (default): retention does not look at cursors.
    pub retention_cursor_cap_bytes: Option<u64>,
    /// How many sealed segments may have their files open at once (default 64, at least 1):
    /// the others are opened when read and closed again, least recently used first, so that
    /// descriptors and memory mappings do not grow with the log (like RocksDB's
    /// `max_open_files`). The active segment is always open.
    pub max_open_segments: usize,
    /// Open without the writer lock, for reading (and tailing) a log another process writes.
    /// Nothing on disk is changed; writes fail with [`Error::InvalidArgument`].
    pub read_only: bool,
    /// How [`crate::Log::append_batch`] stores a batch (default [`Compression::None`]): as
    /// one compressed frame. Stored in each new segment's header, so readers need no option;
    /// a log opened with another codec than its active segment's starts using it with its next
    /// segment (an empty active segment takes it at once). Single appends are stored plain and
    /// compressed once their segment is sealed (see `compress_sealed`).
    pub compression: Compression,
    /// The zstd level (1 to 22, default 3; checked whatever the codec, used by zstd only).
    pub compression_level: i32,
    /// With a codec, compress the single appends of each segment the log seals, on a
    /// background thread (default true; see [`crate::Log::compress_sealed`]): `append` stores
    /// one value plain, and this is what keeps small appends from staying uncompressed.
    pub compress_sealed: bool,
    /// How appends write the active store (default [`WritePath::Auto`]).
    pub write_path: WritePath,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_segment_bytes: 64 * 1024 * 1024,
            max_index_bytes: 8 * 1024 * 1024,
            initial_offset: 0,
            max_offset: format::MAX_OFFSET,
            sync: SyncPolicy::Never,
            recovery: RecoveryMode::TruncateTail,
            retention_bytes: None,
            retention_ms: None,
            retention_cursor_cap_bytes: None,
            max_open_segments: 64,
            read_only: false,
            compression: Compression::None,
            compression_level: 3,
            compress_sealed: true,
            write_path: WritePath::Auto,
        }
    }
}

impl Options {
    /// Whether appends copy into a writable map of the store (else one `pwrite` each): the
    /// resolved [`Options::write_path`].
    pub(crate) fn writes_through_map(&self) -> bool {
        match self.write_path {
            WritePath::Map => true,
            WritePath::Write => false,
            WritePath::Auto => self.sync != SyncPolicy::Always,
        }
    }
}

/// Smallest accepted `max_segment_bytes` / `max_index_bytes`.
pub const MIN_FILE_BYTES: u64 = 4096;

impl Options {
    /// Checks every option; an error names the option and the accepted range.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_FILE_BYTES..=u64::from(u32::MAX)).contains(&self.max_segment_bytes) {
            return Err(Error::InvalidArgument(format!(
                "max_segment_bytes must be between {MIN_FILE_BYTES} and {} (got {})",
                u32::MAX,
                self.max_segment_bytes
            )));
        }
        if !(MIN_FILE_BYTES..=u64::from(u32::MAX)).contains(&self.max_index_bytes) {
            return Err(Error::InvalidArgument(format!(
                "max_index_bytes must be between {MIN_FILE_BYTES} and {} (got {})",
                u32::MAX,
                self.max_index_bytes
            )));
        }
        if self.max_offset > format::MAX_OFFSET {
            return Err(Error::InvalidArgument(format!(
                "max_offset must be at most {} (got {})",
                format::MAX_OFFSET,
                self.max_offset
            )));
        }
        if self.initial_offset > self.max_offset {
            return Err(Error::InvalidArgument(format!(
                "initial_offset must be at most {} (got {})",
                self.max_offset, self.initial_offset
            )));
        }
        if self.max_open_segments == 0 {
            return Err(Error::InvalidArgument(
                "max_open_segments must be at least 1".into(),
            ));
        }
        if !crate::frame::ZSTD_LEVELS.contains(&self.compression_level) {
            return Err(Error::InvalidArgument(format!(
                "compression_level must be between {} and {} (got {})",
                crate::frame::ZSTD_LEVELS.start(),
                crate::frame::ZSTD_LEVELS.end(),
                self.compression_level
            )));
        }
        if let SyncPolicy::Interval(d) = self.sync
            && d.is_zero()
        {
            return Err(Error::InvalidArgument(
                "sync interval must be at least 1 ms (use SyncPolicy::Always to sync every append)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The header of a new segment at `base` with header flags `flags`: it names the codec
    /// of these options.
    pub(crate) fn new_header(&self, base: u64, flags: u32) -> format::FileHeader {
        let mut h = format::FileHeader::new(base, flags);
        h.codec = self.compression.codec();
        if self.compression == Compression::Zstd {
            h.level = self.compression_level.clamp(0, 255) as u8;
        }
        h
    }

    /// The largest value one record may carry with these options.
    pub fn max_value_bytes(&self) -> u64 {
        self.max_batch().0.saturating_sub(Options::record_bytes(0))
    }

    /// The most one [`crate::Log::append_batch`] can take with these options, since a batch
    /// goes whole into one segment: (bytes its records take, see [`Options::record_bytes`];
    /// records).
    pub fn max_batch(&self) -> (u64, u64) {
        (
            self.max_segment_bytes
                .saturating_sub(format::STORE_HEADER_LEN),
            self.max_index_bytes
                .saturating_sub(format::INDEX_HEADER_LEN)
                / format::INDEX_ENTRY_LEN,
        )
    }

    /// The bytes a value of `len` bytes takes in a segment, its record header included.
    pub const fn record_bytes(len: u64) -> u64 {
        format::RECORD_HEADER_LEN + len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_parse_and_others_do_not() {
        assert_eq!(SyncPolicy::from_name("never"), Some(SyncPolicy::Never));
        assert_eq!(SyncPolicy::from_name("always"), Some(SyncPolicy::Always));
        assert_eq!(SyncPolicy::from_name("Always"), None);
        assert_eq!(
            RecoveryMode::from_name("truncate_tail"),
            Some(RecoveryMode::TruncateTail)
        );
        assert_eq!(
            RecoveryMode::from_name("strict"),
            Some(RecoveryMode::Strict)
        );
        assert_eq!(
            RecoveryMode::from_name("truncateTail"),
            Some(RecoveryMode::TruncateTail)
        );
        assert_eq!(RecoveryMode::from_name("TruncateTail"), None);
    }
}
