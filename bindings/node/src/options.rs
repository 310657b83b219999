//! `Log.open`'s options: camelCase names of `docs/API.md`'s options.
//!
//! The options object is read field by field (rather than by napi's automatic struct
//! conversion) so that a wrong type is a `TypeError` naming the option and a misspelled
//! option is refused instead of silently ignored.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use segmentlog::{Options, RecoveryMode, SyncPolicy};

use crate::convert::{boolean, is_nullish, is_type, safe_u64, string};
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
    /// How many sealed segments may have their files open at once [64].
    pub max_open_segments: Option<f64>,
    /// Open without the writer lock, to read (and tail) a log another process writes [false].
    pub read_only: Option<bool>,
}

const NAMES: [&str; 9] = [
    "maxSegmentBytes",
    "maxIndexBytes",
    "initialOffset",
    "sync",
    "recovery",
    "retentionBytes",
    "retentionMs",
    "maxOpenSegments",
    "readOnly",
];

/// Options of `Log.repair`.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct RepairOptions {
    /// Change nothing; report what a repair would do [false].
    pub dry_run: Option<bool>,
}

/// Reads the options argument of `Log.repair`: whether it is a dry run.
pub fn parse_repair(value: &Unknown) -> Outcome<bool> {
    let Some(object) = options_object(value, &["dryRun"])? else {
        return Ok(false);
    };
    let v: Unknown = object
        .get_named_property_unchecked("dryRun")
        .map_err(|e| Failure::Type(format!("options.dryRun could not be read: {e}")))?;
    if is_nullish(&v) {
        return Ok(false);
    }
    boolean(&v, "options.dryRun")
}

/// The options object, checked to be one (`None` for `undefined`/`null`) whose every property
/// is one of `names`.
fn options_object<'a>(value: &Unknown<'a>, names: &[&str]) -> Outcome<Option<Object<'a>>> {
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
    reject_unknown_names(&object, names)?;
    Ok(Some(object))
}

/// Reads the options argument of `Log.open` (`undefined`/`null` means all defaults).
pub fn parse(value: &Unknown) -> Outcome<Options> {
    let mut options = Options::default();
    let Some(object) = options_object(value, &NAMES)? else {
        return Ok(options);
    };

    let get = |name: &str| -> Outcome<Option<Unknown>> {
        let v: Unknown = object
            .get_named_property_unchecked(name)
            .map_err(|e| Failure::Type(format!("options.{name} could not be read: {e}")))?;
        Ok((!is_nullish(&v)).then_some(v))
    };
    if let Some(v) = get("maxSegmentBytes")? {
        options.max_segment_bytes = safe_u64(&v, "options.maxSegmentBytes")?;
    }
    if let Some(v) = get("maxIndexBytes")? {
        options.max_index_bytes = safe_u64(&v, "options.maxIndexBytes")?;
    }
    if let Some(v) = get("initialOffset")? {
        options.initial_offset = safe_u64(&v, "options.initialOffset")?;
    }
    if let Some(v) = get("sync")? {
        options.sync = sync_policy(&v)?;
    }
    if let Some(v) = get("recovery")? {
        let name = string(&v, "options.recovery")?;
        // JavaScript's camelCase spelling of API.md's name is accepted too.
        let api_name = if name == "truncateTail" {
            "truncate_tail"
        } else {
            name.as_str()
        };
        options.recovery = RecoveryMode::from_name(api_name).ok_or_else(|| {
            Failure::Invalid(format!(
                "options.recovery must be 'truncateTail' or 'strict' (got '{name}')"
            ))
        })?;
    }
    if let Some(v) = get("retentionBytes")? {
        options.retention_bytes = Some(safe_u64(&v, "options.retentionBytes")?);
    }
    if let Some(v) = get("retentionMs")? {
        options.retention_ms = Some(safe_u64(&v, "options.retentionMs")?);
    }
    if let Some(v) = get("maxOpenSegments")? {
        let n = safe_u64(&v, "options.maxOpenSegments")?;
        options.max_open_segments = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(v) = get("readOnly")? {
        options.read_only = boolean(&v, "options.readOnly")?;
    }
    Ok(options)
}

/// `'never'`, `'always'`, or an interval in milliseconds.
fn sync_policy(v: &Unknown) -> Outcome<SyncPolicy> {
    if is_type(v, ValueType::Number) {
        let ms = safe_u64(v, "options.sync")?;
        return Ok(SyncPolicy::Interval(Duration::from_millis(ms)));
    }
    if !is_type(v, ValueType::String) {
        return Err(Failure::Type(
            "options.sync must be 'never', 'always' or a number of milliseconds".to_string(),
        ));
    }
    let name = string(v, "options.sync")?;
    SyncPolicy::from_name(&name).ok_or_else(|| {
        Failure::Invalid(format!(
            "options.sync must be 'never', 'always' or a number of milliseconds (got '{name}')"
        ))
    })
}

/// A misspelled option would otherwise be ignored without a word.
fn reject_unknown_names(object: &Object, names: &[&str]) -> Outcome<()> {
    let keys = object
        .get_property_names()
        .map_err(|e| Failure::Type(format!("options could not be read: {e}")))?;
    let len = keys
        .get_array_length()
        .map_err(|e| Failure::Type(format!("options could not be read: {e}")))?;
    for i in 0..len {
        let key: Unknown = keys
            .get_element(i)
            .map_err(|e| Failure::Type(format!("options could not be read: {e}")))?;
        let name = string(&key, "an option name")?;
        if !names.contains(&name.as_str()) {
            return Err(Failure::Invalid(format!(
                "unknown option '{name}' (known: {})",
                names.join(", ")
            )));
        }
    }
    Ok(())
}
