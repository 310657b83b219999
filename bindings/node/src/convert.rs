//! Checked conversions between JS values and the core's types.
//!
//! Offsets are plain JS numbers: an offset is accepted only as a non-negative integer no
//! larger than `Number.MAX_SAFE_INTEGER`, and an offset the core returns that a double cannot
//! hold exactly is reported as a `RangeError` rather than rounded.

use napi::bindgen_prelude::*;

use crate::errors::{Failure, Outcome};

/// `Number.MAX_SAFE_INTEGER` (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A human name of a JS value's type, for `TypeError` messages.
fn type_name(value: &Unknown) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "a boolean",
        Ok(ValueType::Number) => "a number",
        Ok(ValueType::String) => "a string",
        Ok(ValueType::Symbol) => "a symbol",
        Ok(ValueType::Object) => "an object",
        Ok(ValueType::Function) => "a function",
        Ok(ValueType::External) => "an external",
        _ => "an unknown value",
    }
}

/// Whether `value` has JS type `t`.
pub fn is_type(value: &Unknown, t: ValueType) -> bool {
    value.get_type().ok() == Some(t)
}

/// Whether `value` is `undefined` or `null` (an omitted optional argument).
pub fn is_nullish(value: &Unknown) -> bool {
    matches!(
        value.get_type(),
        Ok(ValueType::Undefined) | Ok(ValueType::Null)
    )
}

/// A JS number (any double), or a `TypeError` naming `what`.
///
/// One napi call on the hot path: `napi_get_value_double` itself refuses anything but a
/// number, and the type is looked up only to word the error.
#[inline]
pub fn number(value: &Unknown, what: &str) -> Outcome<f64> {
    let raw = value.value();
    let mut n = 0.0;
    // SAFETY: `raw` is a live handle of this call's scope; napi checks that it is a number.
    let status = unsafe { sys::napi_get_value_double(raw.env, raw.value, &mut n) };
    if status != sys::Status::napi_ok {
        return Err(not_a(value, what, "a number"));
    }
    Ok(n)
}

/// The `TypeError` of an argument `what` that is not `expected` (built out of line).
#[cold]
#[inline(never)]
fn not_a(value: &Unknown, what: &str, expected: &str) -> Failure {
    Failure::Type(format!(
        "{what} must be {expected} (got {})",
        type_name(value)
    ))
}

/// A non-negative safe integer (offset, count, size, milliseconds).
pub fn safe_u64(value: &Unknown, what: &str) -> Outcome<u64> {
    safe_u64_of(number(value, what)?, || what.to_string())
}

/// A JS number that must be a non-negative safe integer (`what` names it, on error only).
pub fn safe_u64_of(n: f64, what: impl FnOnce() -> String) -> Outcome<u64> {
    if !(n.is_finite() && n.fract() == 0.0 && n >= 0.0 && n <= MAX_SAFE_INTEGER as f64) {
        let what = what();
        return Err(Failure::Range(format!(
            "{what} must be an integer between 0 and Number.MAX_SAFE_INTEGER (got {n})"
        )));
    }
    Ok(n as u64)
}

/// An offset argument: a non-negative safe integer. A number that is not one can be no offset
/// of the log: a `RangeError` of kind OUT_OF_RANGE (`ERR_SEGMENTLOG_OUT_OF_RANGE`), as an
/// offset past the log's end is, and as Python's `OffsetOutOfRangeError` is for the same int.
pub fn offset_arg(value: &Unknown, what: &str) -> Outcome<u64> {
    offset_of(number(value, what)?, || what.to_string())
}

/// [`offset_arg`] of a number already read.
pub fn offset_of(n: f64, what: impl FnOnce() -> String) -> Outcome<u64> {
    safe_u64_of(n, what).map_err(|f| match f {
        Failure::Range(m) => Failure::Offset(m),
        other => other,
    })
}

/// An offset (or timestamp) from the core as a JS number, refused if it would be rounded.
pub fn to_js_number(n: u64, what: &str) -> Outcome<f64> {
    if n > MAX_SAFE_INTEGER {
        return Err(Failure::Range(format!(
            "{what} {n} is beyond Number.MAX_SAFE_INTEGER and cannot be represented exactly"
        )));
    }
    Ok(n as f64)
}

/// A string argument.
pub fn string(value: &Unknown, what: &str) -> Outcome<String> {
    if !is_type(value, ValueType::String) {
        return Err(Failure::Type(format!(
            "{what} must be a string (got {})",
            type_name(value)
        )));
    }
    // SAFETY: the value was just checked to be a JS string.
    unsafe { value.cast::<String>() }
        .map_err(|e| Failure::Type(format!("{what} must be a string: {e}")))
}

/// A boolean argument.
pub fn boolean(value: &Unknown, what: &str) -> Outcome<bool> {
    if !is_type(value, ValueType::Boolean) {
        return Err(Failure::Type(format!(
            "{what} must be a boolean (got {})",
            type_name(value)
        )));
    }
    // SAFETY: the value was just checked to be a JS boolean.
    unsafe { value.cast::<bool>() }
        .map_err(|e| Failure::Type(format!("{what} must be a boolean: {e}")))
}

/// The bytes of a `Buffer` or `Uint8Array`, borrowed for the duration of the call.
#[inline]
pub fn bytes<'a>(value: &Unknown<'a>, what: &str) -> Outcome<&'a [u8]> {
    bytes_or(value, || what.to_string())
}

/// [`bytes`], with the argument's name built only if it is needed for an error (the
/// elements of a batch are named `values[i]`).
#[inline]
pub fn bytes_or<'a>(value: &Unknown<'a>, what: impl FnOnce() -> String) -> Outcome<&'a [u8]> {
    // napi's `&[u8]` conversion asks V8 for the typed array's storage and checks that it is
    // a Uint8Array (a Buffer is one); anything else is refused without side effects.
    // SAFETY: `value` is a live handle of this call's scope; the conversion checks the type.
    let slice = unsafe { value.cast::<&'a [u8]>() };
    slice.map_err(|_| not_bytes(value, &what()))
}

#[cold]
#[inline(never)]
fn not_bytes(value: &Unknown, what: &str) -> Failure {
    let got = if value.is_typedarray().unwrap_or(false) {
        "another kind of typed array"
    } else {
        type_name(value)
    };
    Failure::Type(format!("{what} must be a Buffer or Uint8Array (got {got})"))
}

/// The bytes of a `Buffer` or `Uint8Array` to write into, borrowed for the duration of the call.
pub fn bytes_mut<'a>(value: &Unknown<'a>, what: &str) -> Outcome<&'a mut [u8]> {
    // SAFETY: `value` is a live handle of this call's scope; the conversion checks that it is
    // a Uint8Array. No JS runs while the slice is in use, so nothing else touches its memory.
    let slice = unsafe { value.cast::<&'a mut [u8]>() };
    slice.map_err(|_| {
        Failure::Type(format!(
            "{what} must be a Buffer or Uint8Array (got {})",
            type_name(value)
        ))
    })
}

/// The elements of a JS array, each converted by `f`.
pub fn array<'a, T>(
    value: &Unknown<'a>,
    what: &str,
    mut f: impl FnMut(&Unknown<'a>, usize) -> Outcome<T>,
) -> Outcome<Vec<T>> {
    if !value.is_array().unwrap_or(false) {
        return Err(Failure::Type(format!(
            "{what} must be an array (got {})",
            type_name(value)
        )));
    }
    // SAFETY: the value was just checked to be a JS array.
    let array = unsafe { value.cast::<Array>() }
        .map_err(|e| Failure::Type(format!("{what} must be an array: {e}")))?;
    let len = array.len();
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let item = array
            .get::<Unknown>(i)
            .map_err(|e| Failure::Type(format!("{what}[{i}] could not be read: {e}")))?
            .ok_or_else(|| Failure::Type(format!("{what}[{i}] is missing")))?;
        out.push(f(&item, i as usize)?);
    }
    Ok(out)
}
