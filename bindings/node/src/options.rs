//! `Log.open`'s options: camelCase names of `docs/API.md`'s options.
//!
//! The options object is read field by field (rather than by napi's automatic struct
//! conversion) so that a wrong type is a `TypeError` naming the option and a misspelled
//! option is refused instead of silently ignored.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use segmentlog::{NameStyle, OptionError, OptionValue, Options};

use crate::convert::{boolean, is_nullish, is_type, number, string};
use crate::errors::{Failure, Outcome};

// This struct gives TypeScript the options' types and docs; `parse` below reads them.
/// Options of `Log.open` (every one optional; defaults in brackets).
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct OpenOptions {
    /// Roll to a new segment when the active store would grow past this many bytes [64 MiB].
    pub max_segment_bytes: Option<f64>,
    /// Roll when the active index would grow past this many bytes [8 MiB].
    pub max_index_bytes: Option<f64>,
    /// Offset of the first record of a new, empty log [0].
    pub initial_offset: Option<f64>,
    /// When appends are made durable: `'never'` [default], `'always'`, or an interval in ms.
    #[napi(ts_type = "'never' | 'always' | number")]
    pub sync: Option<Either<String, f64>>,
    /// What to do with a damaged tail on open: `'truncateTail'` [default] or `'strict'`.
    #[napi(ts_type = "'truncateTail' | 'truncate_tail' | 'strict'")]
    pub recovery: Option<String>,
    /// Drop the oldest sealed segments while the log holds more than this many bytes.
    pub retention_bytes: Option<f64>,
    /// Drop sealed segments whose newest record is older than this many milliseconds.
    pub retention_ms: Option<f64>,
    /// Retention keeps the segments a named cursor still needs while the log holds at most
    /// this many bytes (past it, it drops them anyway) [none: cursors are not waited for].
    pub retention_cursor_cap_bytes: Option<f64>,
    /// How many sealed segments may have their files open at once [64].
    pub max_open_segments: Option<f64>,
    /// Open without the writer lock, to read (and tail) a log another process writes [false].
    pub read_only: Option<bool>,
    /// How `appendBatch` stores a batch: `'none'` [default], `'lz4'` or `'zstd'` (one
    /// compressed frame per batch; readers need not be told).
    #[napi(ts_type = "'none' | 'lz4' | 'zstd'")]
    pub compression: Option<String>,
    /// The zstd level, 1 to 22 [3].
    pub compression_level: Option<f64>,
    /// With a codec, compress the single appends of each sealed segment in the background
    /// [true].
    pub compress_sealed: Option<bool>,
    /// How appends write the active store: `'map'` (no system call; fastest when syncs are
    /// rare), `'write'` (one `pwrite` each; faster when most appends are soon synced) or
    /// `'auto'` [default: `'write'` under `sync: 'always'`, else `'map'`].
    #[napi(ts_type = "'auto' | 'map' | 'write'")]
    pub write_path: Option<String>,
}

/// Options of `Log.repair`.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct RepairOptions {
    /// Change nothing; report what a repair would do [false].
    pub dry_run: Option<bool>,
}

/// Reads the options argument of `Log.repair`: whether it is a dry run.
pub fn parse_repair(value: &Unknown) -> Outcome<bool> {
    let Some(object) = options_object(value)? else {
        return Ok(false);
    };
    reject_unknown_names(&object, &["dryRun"])?;
    let v: Unknown = object
        .get_named_property_unchecked("dryRun")
        .map_err(|e| Failure::Type(format!("options.dryRun could not be read: {e}")))?;
    if is_nullish(&v) {
        return Ok(false);
    }
    boolean(&v, "options.dryRun")
}

/// The options argument, checked to be an object (`None` for `undefined`/`null`).
fn options_object<'a>(value: &Unknown<'a>) -> Outcome<Option<Object<'a>>> {
    if is_nullish(value) {
        return Ok(None);
    }
    if !is_type(value, ValueType::Object) || value.is_array().unwrap_or(false) {
        return Err(Failure::Type(
            "options must be an object (or undefined)".to_string(),
        ));
    }
    // SAFETY: the value was just checked to be a JS object.
    let object = unsafe { value.cast::<Object>() }
        .map_err(|e| Failure::Type(format!("options must be an object: {e}")))?;
    Ok(Some(object))
}

/// Reads the options argument of `Log.open` (`undefined`/`null` means all defaults): core's
/// table (`Options::set`) names, types and checks each option; this only converts JS values.
pub fn parse(value: &Unknown) -> Outcome<Options> {
    let mut options = Options::default();
    let Some(object) = options_object(value)? else {
        return Ok(options);
    };
    for name in property_names(&object)? {
        let v: Unknown = object
            .get_named_property_unchecked(&name)
            .map_err(|e| Failure::Type(format!("options.{name} could not be read: {e}")))?;
        let text;
        let value = match v.get_type() {
            Ok(ValueType::Undefined | ValueType::Null) => OptionValue::Default,
            Ok(ValueType::Boolean) => OptionValue::Bool(boolean(&v, "option")?),
            Ok(ValueType::Number) => OptionValue::Number(number(&v, "option")?),
            Ok(ValueType::String) => {
                text = string(&v, "option")?;
                OptionValue::Str(&text)
            }
            Ok(ValueType::Object) if v.is_array().unwrap_or(false) => OptionValue::Other("array"),
            Ok(ValueType::Object) => OptionValue::Other("object"),
            Ok(ValueType::Function) => OptionValue::Other("function"),
            Ok(ValueType::Symbol) => OptionValue::Other("symbol"),
            _ => OptionValue::Other("an unknown value"),
        };
        options
            .set(NameStyle::Camel, &name, value)
            .map_err(|e| match e {
                OptionError::WrongType(m) => Failure::Type(m),
                OptionError::Unknown(m) | OptionError::Invalid(m) => Failure::Invalid(m),
            })?;
    }
    Ok(options)
}

/// The own enumerable property names of an options object.
fn property_names(object: &Object) -> Outcome<Vec<String>> {
    let keys = object
        .get_property_names()
        .map_err(|e| Failure::Type(format!("options could not be read: {e}")))?;
    let len = keys
        .get_array_length()
        .map_err(|e| Failure::Type(format!("options could not be read: {e}")))?;
    (0..len)
        .map(|i| {
            let key: Unknown = keys
                .get_element(i)
                .map_err(|e| Failure::Type(format!("options could not be read: {e}")))?;
            string(&key, "an option name")
        })
        .collect()
}

/// A misspelled option would otherwise be ignored without a word (`Log.open`'s options are
/// checked by core's table instead).
fn reject_unknown_names(object: &Object, names: &[&str]) -> Outcome<()> {
    for name in property_names(object)? {
        if !names.contains(&name.as_str()) {
            return Err(Failure::Invalid(format!(
                "unknown option '{name}' (known: {})",
                names.join(", ")
            )));
        }
    }
    Ok(())
}
