//! Options set by name, as Python (`open(path, max_segment_bytes=...)`) and Node
//! (`Log.open(dir, { maxSegmentBytes })`) pass them: one table of names, value types and errors
//! for both, so that the same mistake gives the same error kind in every language. C sets the
//! fields of its options struct, which its compiler types.

use std::time::Duration;

use super::{Compression, Options, RecoveryMode, SyncPolicy, WritePath};

/// How the caller spells option names: Python `max_segment_bytes`, JavaScript `maxSegmentBytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameStyle {
    /// `max_segment_bytes` (docs/API.md, Rust, Python).
    Snake,
    /// `maxSegmentBytes` (JavaScript).
    Camel,
}

/// An option's value as a binding received it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptionValue<'a> {
    /// Python `None`, JavaScript `undefined`/`null`: the option keeps its default.
    Default,
    /// A boolean.
    Bool(bool),
    /// An integer of any sign (a Python `int`; beyond `i128` pass `i128::MIN`/`MAX`).
    Int(i128),
    /// A JavaScript number (integer or not).
    Number(f64),
    /// A string.
    Str(&'a str),
    /// A value of another type, named as the caller's language names its type.
    Other(&'a str),
}

/// Why an option could not be set: [`OptionError::WrongType`] is a `TypeError` in Python and
/// Node; the others are of kind `INVALID_ARGUMENT` (Python's `UnknownOptionError` is also a
/// `TypeError`, as an unexpected keyword argument is there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionError {
    /// No option has this name.
    Unknown(String),
    /// A value of the wrong type.
    WrongType(String),
    /// A value of the right type that no option accepts.
    Invalid(String),
}

impl std::fmt::Display for OptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionError::Unknown(m) | OptionError::WrongType(m) | OptionError::Invalid(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for OptionError {}

/// What an option's value is.
#[derive(Debug, Clone, Copy)]
enum Type {
    /// A non-negative integer.
    Uint,
    /// A boolean.
    Bool,
    /// `"never"`, `"always"` or a number of milliseconds.
    Sync,
    /// `"truncate_tail"` (or `"truncateTail"`) or `"strict"`.
    Recovery,
    /// `"none"`, `"lz4"` or `"zstd"`.
    Compression,
    /// `"auto"`, `"map"` or `"write"`.
    WritePath,
}

impl Type {
    fn expected(self) -> &'static str {
        match self {
            Type::Uint => "a non-negative integer",
            Type::Bool => "a boolean",
            Type::Sync => "\"never\", \"always\" or a number of milliseconds",
            Type::Recovery => "\"truncate_tail\" or \"strict\"",
            Type::Compression => "\"none\", \"lz4\" or \"zstd\"",
            Type::WritePath => "\"auto\", \"map\" or \"write\"",
        }
    }
}

/// Every option a binding can set by name (`max_offset` is the binding's own business).
const TABLE: [(&str, &str, Type); 14] = [
    ("max_segment_bytes", "maxSegmentBytes", Type::Uint),
    ("max_index_bytes", "maxIndexBytes", Type::Uint),
    ("initial_offset", "initialOffset", Type::Uint),
    ("sync", "sync", Type::Sync),
    ("recovery", "recovery", Type::Recovery),
    ("retention_bytes", "retentionBytes", Type::Uint),
    ("retention_ms", "retentionMs", Type::Uint),
    (
        "retention_cursor_cap_bytes",
        "retentionCursorCapBytes",
        Type::Uint,
    ),
    ("max_open_segments", "maxOpenSegments", Type::Uint),
    ("read_only", "readOnly", Type::Bool),
    ("compression", "compression", Type::Compression),
    ("compression_level", "compressionLevel", Type::Uint),
    ("compress_sealed", "compressSealed", Type::Bool),
    ("write_path", "writePath", Type::WritePath),
];

/// The names of every option, in the caller's style.
pub fn option_names(style: NameStyle) -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(move |&(snake, camel, _)| match style {
        NameStyle::Snake => snake,
        NameStyle::Camel => camel,
    })
}

impl Options {
    /// Sets the option called `name` (spelled in `style`) to `value`, converting and checking
    /// the value's type and sign; ranges that depend on other options are checked by
    /// [`Options::validate`], which the caller runs after the last option.
    pub fn set(
        &mut self,
        style: NameStyle,
        name: &str,
        value: OptionValue<'_>,
    ) -> Result<(), OptionError> {
        let Some(&(snake, _, ty)) = TABLE.iter().find(|&&(snake, camel, _)| {
            name == match style {
                NameStyle::Snake => snake,
                NameStyle::Camel => camel,
            }
        }) else {
            let known: Vec<_> = option_names(style).collect();
            return Err(OptionError::Unknown(format!(
                "unknown option {name:?} (the options are: {})",
                known.join(", ")
            )));
        };
        if value == OptionValue::Default {
            return Ok(());
        }
        let shown = match style {
            NameStyle::Snake => snake.to_owned(),
            NameStyle::Camel => name.to_owned(),
        };
        let wrong_type = || {
            let got = match value {
                OptionValue::Bool(_) => "bool",
                OptionValue::Int(_) => "int",
                OptionValue::Number(_) => "number",
                OptionValue::Str(_) => "str",
                OptionValue::Other(t) => t,
                OptionValue::Default => "none",
            };
            OptionError::WrongType(format!(
                "option {shown} must be {}, not {got}",
                ty.expected()
            ))
        };
        let uint = |value| match value {
            OptionValue::Int(i) => u64::try_from(i).map_err(|_| {
                OptionError::Invalid(format!(
                    "option {shown} must be an integer from 0 to 2**64 - 1 (got {})",
                    if i == i128::MIN || i == i128::MAX {
                        "an integer beyond that".to_owned()
                    } else {
                        i.to_string()
                    }
                ))
            }),
            // A JavaScript number: an integer a double holds exactly.
            OptionValue::Number(n)
                if n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&n) =>
            {
                Ok(n as u64)
            }
            OptionValue::Number(n) => Err(OptionError::Invalid(format!(
                "option {shown} must be an integer from 0 to Number.MAX_SAFE_INTEGER (got {n})"
            ))),
            _ => Err(wrong_type()),
        };
        // A word that no value of a word option is called.
        let unknown_word = |s: &str| {
            OptionError::Invalid(format!(
                "option {shown} must be {} (got {s:?})",
                ty.expected()
            ))
        };
        match (ty, value) {
            (Type::Uint, v) => {
                let n = uint(v)?;
                match snake {
                    "max_segment_bytes" => self.max_segment_bytes = n,
                    "max_index_bytes" => self.max_index_bytes = n,
                    "initial_offset" => self.initial_offset = n,
                    "retention_bytes" => self.retention_bytes = Some(n),
                    "retention_ms" => self.retention_ms = Some(n),
                    "retention_cursor_cap_bytes" => self.retention_cursor_cap_bytes = Some(n),
                    "max_open_segments" => {
                        self.max_open_segments = usize::try_from(n).unwrap_or(usize::MAX)
                    }
                    // Out of range (validate says so): kept out of range, not wrapped.
                    "compression_level" => {
                        self.compression_level = i32::try_from(n).unwrap_or(i32::MAX)
                    }
                    _ => unreachable!("every Uint option is set above: {snake}"),
                }
            }
            (Type::Bool, OptionValue::Bool(b)) => match snake {
                "read_only" => self.read_only = b,
                "compress_sealed" => self.compress_sealed = b,
                _ => unreachable!("every Bool option is set above: {snake}"),
            },
            (Type::Sync, OptionValue::Str(s)) => {
                self.sync = SyncPolicy::from_name(s).ok_or_else(|| unknown_word(s))?;
            }
            // Zero is refused by `validate`, with a message that says what to use instead.
            (Type::Sync, v @ (OptionValue::Int(_) | OptionValue::Number(_))) => {
                self.sync = SyncPolicy::Interval(Duration::from_millis(uint(v)?));
            }
            (Type::Recovery, OptionValue::Str(s)) => {
                self.recovery = RecoveryMode::from_name(s).ok_or_else(|| unknown_word(s))?;
            }
            (Type::Compression, OptionValue::Str(s)) => {
                self.compression = Compression::from_name(s).ok_or_else(|| unknown_word(s))?;
            }
            (Type::WritePath, OptionValue::Str(s)) => {
                self.write_path = WritePath::from_name(s).ok_or_else(|| unknown_word(s))?;
            }
            _ => return Err(wrong_type()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(style: NameStyle, name: &str, value: OptionValue<'_>) -> Result<Options, OptionError> {
        let mut o = Options::default();
        o.set(style, name, value).map(|()| o)
    }

    #[test]
    fn every_name_in_both_styles_sets_its_field() {
        use NameStyle::*;
        use OptionValue::*;
        assert_eq!(
            set(Snake, "max_segment_bytes", Int(8192))
                .unwrap()
                .max_segment_bytes,
            8192
        );
        assert_eq!(
            set(Camel, "maxIndexBytes", Number(8192.0))
                .unwrap()
                .max_index_bytes,
            8192
        );
        assert_eq!(
            set(Snake, "initial_offset", Int(7)).unwrap().initial_offset,
            7
        );
        assert_eq!(
            set(Camel, "sync", Str("always")).unwrap().sync,
            SyncPolicy::Always
        );
        assert_eq!(
            set(Snake, "sync", Int(5)).unwrap().sync,
            SyncPolicy::Interval(Duration::from_millis(5))
        );
        for mode in ["truncate_tail", "truncateTail"] {
            assert_eq!(
                set(Snake, "recovery", Str(mode)).unwrap().recovery,
                RecoveryMode::TruncateTail
            );
        }
        assert_eq!(
            set(Camel, "retentionBytes", Number(1.0))
                .unwrap()
                .retention_bytes,
            Some(1)
        );
        assert_eq!(
            set(Snake, "retention_ms", Int(2)).unwrap().retention_ms,
            Some(2)
        );
        assert_eq!(
            set(Camel, "maxOpenSegments", Number(3.0))
                .unwrap()
                .max_open_segments,
            3
        );
        assert!(set(Snake, "read_only", Bool(true)).unwrap().read_only);
        assert_eq!(
            set(Camel, "compression", Str("zstd")).unwrap().compression,
            Compression::Zstd
        );
        assert!(
            !set(Camel, "compressSealed", Bool(false))
                .unwrap()
                .compress_sealed
        );
        assert_eq!(
            set(Snake, "compression_level", Int(9))
                .unwrap()
                .compression_level,
            9
        );
        assert_eq!(
            set(Camel, "writePath", Str("write")).unwrap().write_path,
            WritePath::Write
        );
        assert!(matches!(
            set(Snake, "write_path", Str("mmap")),
            Err(OptionError::Invalid(_))
        ));
        assert_eq!(
            set(Snake, "read_only", Default).unwrap(),
            Options::default()
        );
        assert_eq!(option_names(Camel).count(), option_names(Snake).count());
    }

    #[test]
    fn each_mistake_has_its_own_error() {
        use NameStyle::*;
        use OptionValue::*;
        let unknown = |r| matches!(r, Err(OptionError::Unknown(_)));
        let wrong_type = |r| matches!(r, Err(OptionError::WrongType(_)));
        let invalid = |r| matches!(r, Err(OptionError::Invalid(_)));
        // A name in the other language's style is unknown, even with a default value.
        assert!(unknown(set(Snake, "maxSegmentBytes", Int(8192))));
        assert!(unknown(set(Camel, "max_segment_bytes", Default)));
        assert!(unknown(set(Snake, "no_such_option", Int(1))));
        assert!(wrong_type(set(Snake, "max_segment_bytes", Str("big"))));
        assert!(wrong_type(set(Snake, "max_segment_bytes", Bool(true))));
        assert!(wrong_type(set(Snake, "read_only", Int(1))));
        assert!(wrong_type(set(Camel, "recovery", Number(1.0))));
        assert!(wrong_type(set(Snake, "sync", Other("float"))));
        assert!(invalid(set(Snake, "max_segment_bytes", Int(-1))));
        assert!(invalid(set(Snake, "max_segment_bytes", Int(i128::MAX))));
        assert!(invalid(set(Camel, "maxSegmentBytes", Number(-1.0))));
        assert!(invalid(set(Camel, "maxSegmentBytes", Number(1.5))));
        assert!(invalid(set(
            Camel,
            "maxSegmentBytes",
            Number(2f64.powi(53))
        )));
        assert!(invalid(set(Snake, "sync", Str("sometimes"))));
        assert!(invalid(set(Snake, "recovery", Str("maybe"))));
        assert!(invalid(set(Snake, "compression", Str("gzip"))));
        assert!(wrong_type(set(Camel, "compression", Bool(true))));
        let Err(OptionError::Unknown(m)) = set(Camel, "maxSegmentByte", Int(1)) else {
            panic!()
        };
        assert!(m.contains("maxSegmentBytes"), "{m}");
    }
}
