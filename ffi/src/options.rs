//! `segmentlog_options`: the options of `docs/API.md` as a plain C struct.

use std::ffi::c_char;
use std::time::Duration;

use segmentlog_core::{Compression, NameStyle, OptionValue, Options, RecoveryMode, SyncPolicy};

use super::guard::{Failure, guard_or};
use super::status::segmentlog_status;

/// When appends are made durable: one of the `SEGMENTLOG_SYNC_*` values.
///
/// (A `uint32_t` rather than a C enum so that any value C stores can be checked: an unknown
/// one makes `segmentlog_open` fail with `SEGMENTLOG_STATUS_INVALID_ARGUMENT`.)
pub type segmentlog_sync_mode = u32;
/// The OS decides when to write to disk. An append that returned survives a crash of the
/// process (kill -9), not of the machine. The default.
pub const SEGMENTLOG_SYNC_NEVER: segmentlog_sync_mode = 0;
/// Every append (or batch) is on disk before it returns; concurrent appenders share one sync.
pub const SEGMENTLOG_SYNC_ALWAYS: segmentlog_sync_mode = 1;
/// A background thread syncs every `sync_interval_ms` milliseconds.
pub const SEGMENTLOG_SYNC_INTERVAL: segmentlog_sync_mode = 2;

/// What `segmentlog_open` does with a damaged tail of the newest segment: one of the
/// `SEGMENTLOG_RECOVERY_*` values (`uint32_t` for the same reason as `segmentlog_sync_mode`).
pub type segmentlog_recovery_mode = u32;
/// Cut a torn or corrupt tail off (what a crash mid-append leaves). The default.
pub const SEGMENTLOG_RECOVERY_TRUNCATE_TAIL: segmentlog_recovery_mode = 0;
/// Report any damage as `SEGMENTLOG_STATUS_CORRUPT` and change nothing.
pub const SEGMENTLOG_RECOVERY_STRICT: segmentlog_recovery_mode = 1;

/// How `segmentlog_append_batch` stores a batch: one of the `SEGMENTLOG_COMPRESSION_*` values
/// (`uint32_t` for the same reason as `segmentlog_sync_mode`). Passed to
/// `segmentlog_open_with_compression` (the fields of `segmentlog_options` are frozen in this
/// major version).
pub type segmentlog_compression = u32;
/// Batches are stored as plain records (the format and speed of a log without compression).
/// The default.
pub const SEGMENTLOG_COMPRESSION_NONE: segmentlog_compression = 0;
/// Each batch is one LZ4 frame.
pub const SEGMENTLOG_COMPRESSION_LZ4: segmentlog_compression = 1;
/// Each batch is one Zstandard frame, at the level given with it.
pub const SEGMENTLOG_COMPRESSION_ZSTD: segmentlog_compression = 2;

/// Options of `segmentlog_open`. Start from `segmentlog_options_default()` and change fields:
/// fields may be added in a later major version (a new soname), never in this one.
///
/// Ownership: a plain value; `segmentlog_open` reads it during the call and keeps nothing.
/// Thread-safety: a value like any other.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct segmentlog_options {
    /// Roll to a new segment when the active store would grow past this many bytes
    /// (default 64 MiB; 4096 ..= 4294967295). Also bounds the size of one value or batch.
    pub max_segment_bytes: u64,
    /// Roll when the active index would grow past this many bytes (default 8 MiB, 4 bytes a
    /// record; 4096 ..= 4294967295).
    pub max_index_bytes: u64,
    /// Offset of the first record of a new, empty log (default 0; at most INT64_MAX). Ignored
    /// when the directory already holds a log.
    pub initial_offset: u64,
    /// When appends are made durable (default `SEGMENTLOG_SYNC_NEVER`).
    pub sync: segmentlog_sync_mode,
    /// How a damaged tail is handled on open (default `SEGMENTLOG_RECOVERY_TRUNCATE_TAIL`).
    pub recovery: segmentlog_recovery_mode,
    /// The interval of `SEGMENTLOG_SYNC_INTERVAL`, in milliseconds (at least 1); ignored with
    /// the other sync modes. Default 0.
    pub sync_interval_ms: u64,
    /// Drop the oldest sealed segments while the log holds more than this many bytes;
    /// 0 = no limit (the default).
    pub retention_bytes: u64,
    /// Drop sealed segments whose newest record is older than this many milliseconds;
    /// 0 = keep forever (the default).
    pub retention_ms: u64,
    /// Open without the writer lock, to read (and tail) a log another process writes; writes
    /// then fail with `SEGMENTLOG_STATUS_INVALID_ARGUMENT`. Default false.
    pub read_only: bool,
    /// How many sealed segments may have their files open at once (default 64, at least 1):
    /// the others are opened when read, so descriptors and mappings do not grow with the log.
    pub max_open_segments: u64,
}

/// The default options (those documented on each field of `segmentlog_options`).
///
/// Ownership: returned by value. Thread-safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn segmentlog_options_default() -> segmentlog_options {
    // The fallback (all zero) cannot be reached (the conversion does not panic); were it
    // reached, segmentlog_open would reject it (max_segment_bytes 0) with a clear error.
    guard_or(ZEROED, || from_core(&Options::default()))
}

const ZEROED: segmentlog_options = segmentlog_options {
    max_segment_bytes: 0,
    max_index_bytes: 0,
    initial_offset: 0,
    sync: SEGMENTLOG_SYNC_NEVER,
    recovery: SEGMENTLOG_RECOVERY_TRUNCATE_TAIL,
    sync_interval_ms: 0,
    retention_bytes: 0,
    retention_ms: 0,
    read_only: false,
    max_open_segments: 0,
};

fn from_core(o: &Options) -> segmentlog_options {
    let (sync, sync_interval_ms) = match o.sync {
        SyncPolicy::Never => (SEGMENTLOG_SYNC_NEVER, 0),
        SyncPolicy::Always => (SEGMENTLOG_SYNC_ALWAYS, 0),
        SyncPolicy::Interval(d) => (
            SEGMENTLOG_SYNC_INTERVAL,
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
        ),
    };
    segmentlog_options {
        max_segment_bytes: o.max_segment_bytes,
        max_index_bytes: o.max_index_bytes,
        initial_offset: o.initial_offset,
        sync,
        recovery: match o.recovery {
            RecoveryMode::Strict => SEGMENTLOG_RECOVERY_STRICT,
            RecoveryMode::TruncateTail => SEGMENTLOG_RECOVERY_TRUNCATE_TAIL,
        },
        sync_interval_ms,
        retention_bytes: o.retention_bytes.unwrap_or(0),
        retention_ms: o.retention_ms.unwrap_or(0),
        read_only: o.read_only,
        max_open_segments: o.max_open_segments as u64,
    }
}

/// Converts C options to core's. Ranges are checked by core (`Options::validate` on open);
/// only what C can express but Rust cannot (unknown enum values) is checked here.
pub(crate) fn to_core(c: &segmentlog_options) -> Result<Options, Failure> {
    let sync = match c.sync {
        SEGMENTLOG_SYNC_NEVER => SyncPolicy::Never,
        SEGMENTLOG_SYNC_ALWAYS => SyncPolicy::Always,
        SEGMENTLOG_SYNC_INTERVAL => SyncPolicy::Interval(Duration::from_millis(c.sync_interval_ms)),
        other => {
            return Err(Failure::new(
                segmentlog_status::InvalidArgument,
                format!("invalid argument: sync must be a SEGMENTLOG_SYNC_* value (got {other})"),
            ));
        }
    };
    let recovery = match c.recovery {
        SEGMENTLOG_RECOVERY_TRUNCATE_TAIL => RecoveryMode::TruncateTail,
        SEGMENTLOG_RECOVERY_STRICT => RecoveryMode::Strict,
        other => {
            return Err(Failure::new(
                segmentlog_status::InvalidArgument,
                format!(
                    "invalid argument: recovery must be a SEGMENTLOG_RECOVERY_* value (got {other})"
                ),
            ));
        }
    };
    Ok(Options {
        max_segment_bytes: c.max_segment_bytes,
        max_index_bytes: c.max_index_bytes,
        initial_offset: c.initial_offset,
        sync,
        recovery,
        retention_bytes: (c.retention_bytes != 0).then_some(c.retention_bytes),
        retention_ms: (c.retention_ms != 0).then_some(c.retention_ms),
        read_only: c.read_only,
        max_open_segments: usize::try_from(c.max_open_segments).unwrap_or(usize::MAX),
        ..Options::default()
    })
}

/// Sets the codec and level of `o` from their C values (`level` 0: the default).
pub(crate) fn set_compression(
    o: &mut Options,
    compression: segmentlog_compression,
    level: i32,
) -> Result<(), Failure> {
    o.compression = match compression {
        SEGMENTLOG_COMPRESSION_NONE => Compression::None,
        SEGMENTLOG_COMPRESSION_LZ4 => Compression::Lz4,
        SEGMENTLOG_COMPRESSION_ZSTD => Compression::Zstd,
        other => {
            return Err(Failure::new(
                segmentlog_status::InvalidArgument,
                format!(
                    "invalid argument: compression must be a SEGMENTLOG_COMPRESSION_* value (got {other})"
                ),
            ));
        }
    };
    if level != 0 {
        o.compression_level = level;
    }
    Ok(())
}

/// One option set by name, for `segmentlog_open_with_settings`: the options
/// `segmentlog_options` has no field for (its fields are fixed until the next soname), or any
/// other, by the names of docs/API.md.
///
/// Ownership: both strings belong to the caller and are read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct segmentlog_setting {
    /// The option's name, NUL-terminated: `"retention_cursor_cap_bytes"`, `"compress_sealed"`,
    /// `"compression"`, `"compression_level"`, ... (docs/API.md, "Options").
    pub name: *const c_char,
    /// Its value as text, NUL-terminated: `"true"` or `"false"`, a decimal integer, or a word
    /// (`"lz4"`, `"always"`, `"strict"`).
    pub value: *const c_char,
}

/// Sets the option `name` of `o` to the value `text` spells, by core's table of options by name
/// (the one Python and Node use): `true`/`false` are booleans, decimal digits (with an optional
/// `-`) integers, anything else a string.
pub(crate) fn set_by_name(o: &mut Options, name: &str, text: &str) -> Result<(), Failure> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let value = match text {
        "true" => OptionValue::Bool(true),
        "false" => OptionValue::Bool(false),
        _ if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            // Beyond i128: the extreme of the sign, which core reports as out of range.
            OptionValue::Int(text.parse().unwrap_or(if text.starts_with('-') {
                i128::MIN
            } else {
                i128::MAX
            }))
        }
        _ => OptionValue::Str(text),
    };
    o.set(NameStyle::Snake, name, value).map_err(|e| {
        Failure::new(
            segmentlog_status::InvalidArgument,
            format!("invalid argument: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_values_map_and_unknown_ones_fail() {
        let mut o = Options::default();
        set_compression(&mut o, SEGMENTLOG_COMPRESSION_ZSTD, 0).unwrap();
        assert_eq!((o.compression, o.compression_level), (Compression::Zstd, 3));
        set_compression(&mut o, SEGMENTLOG_COMPRESSION_LZ4, 7).unwrap();
        assert_eq!((o.compression, o.compression_level), (Compression::Lz4, 7));
        assert!(set_compression(&mut o, 3, 0).is_err());
    }

    #[test]
    fn defaults_round_trip_through_c() {
        let c = segmentlog_options_default();
        assert_eq!(to_core(&c).unwrap(), Options::default());
        assert_eq!(c.retention_bytes, 0);
        assert_eq!(c.sync, SEGMENTLOG_SYNC_NEVER);
    }

    #[test]
    fn every_option_is_carried_over() {
        let c = segmentlog_options {
            max_segment_bytes: 1 << 20,
            max_index_bytes: 1 << 14,
            initial_offset: 5,
            sync: SEGMENTLOG_SYNC_INTERVAL,
            recovery: SEGMENTLOG_RECOVERY_STRICT,
            sync_interval_ms: 250,
            retention_bytes: 1 << 30,
            retention_ms: 60_000,
            read_only: true,
            max_open_segments: 3,
        };
        let o = to_core(&c).unwrap();
        assert_eq!(o.max_open_segments, 3);
        assert_eq!(o.sync, SyncPolicy::Interval(Duration::from_millis(250)));
        assert_eq!(o.recovery, RecoveryMode::Strict);
        assert_eq!(o.retention_bytes, Some(1 << 30));
        assert_eq!(o.retention_ms, Some(60_000));
        assert_eq!(from_core(&o), c);
    }

    #[test]
    fn unknown_modes_are_invalid_arguments() {
        let mut c = segmentlog_options_default();
        c.sync = 3;
        assert_eq!(
            to_core(&c).unwrap_err().status,
            segmentlog_status::InvalidArgument
        );
        let mut c = segmentlog_options_default();
        c.recovery = 7;
        assert_eq!(
            to_core(&c).unwrap_err().status,
            segmentlog_status::InvalidArgument
        );
    }
}
