//! How failures become JavaScript exceptions.
//!
//! Core errors become `Error`s whose `code` is one of `docs/API.md`'s
//! `ERR_SEGMENTLOG_*` codes (a hole, `ERR_SEGMENTLOG_HOLE`, also carries `offset` and
//! `segment`); every error of kind OUT_OF_RANGE (an offset outside the log, or a number that
//! can be no offset) is a `RangeError` (as Python's is an `IndexError`); arguments of the wrong
//! type become `TypeError`s (`ERR_INVALID_ARG_TYPE`) and other numbers out of range
//! `RangeError`s (`ERR_OUT_OF_RANGE`), the codes Node's own APIs use for the same mistakes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::bindgen_prelude::*;

use crate::convert::MAX_SAFE_INTEGER;

/// Everything a call can fail with, before it is turned into a JS exception.
#[derive(Debug)]
pub enum Failure {
    /// An argument of the wrong JS type.
    Type(String),
    /// A number that is not a count or size we can represent exactly.
    Range(String),
    /// A number that can be no offset (negative, fractional, beyond 2^53 - 1): kind
    /// OUT_OF_RANGE, like an offset past the end of the log.
    Offset(String),
    /// An option or argument with the right type but an unacceptable value.
    Invalid(String),
    /// What the core reported.
    Log(segmentlog::Error),
    /// A Rust panic caught at the boundary (a bug).
    Panic(String),
}

/// Result of the conversion and core layers, before napi sees it.
pub type Outcome<T> = std::result::Result<T, Failure>;

impl From<segmentlog::Error> for Failure {
    fn from(e: segmentlog::Error) -> Self {
        Failure::Log(e)
    }
}

/// The `err.code` of a core error (`docs/API.md`).
fn log_code(e: &segmentlog::Error) -> &'static str {
    kind_code(e.kind())
}

fn kind_code(kind: segmentlog::ErrorKind) -> &'static str {
    use segmentlog::ErrorKind as K;
    match kind {
        K::OutOfRange => "ERR_SEGMENTLOG_OUT_OF_RANGE",
        K::Corrupt => "ERR_SEGMENTLOG_CORRUPT",
        K::Hole => "ERR_SEGMENTLOG_HOLE",
        K::Closed => "ERR_SEGMENTLOG_CLOSED",
        K::Locked => "ERR_SEGMENTLOG_LOCKED",
        K::InvalidArgument => "ERR_SEGMENTLOG_INVALID_ARGUMENT",
        K::Io => "ERR_SEGMENTLOG_IO",
        K::NotFound => "ERR_SEGMENTLOG_NOT_FOUND",
    }
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Type(m) | Failure::Range(m) | Failure::Offset(m) | Failure::Invalid(m) => {
                m.clone()
            }
            Failure::Log(e) => e.to_string(),
            Failure::Panic(m) => format!("internal error in segmentlog (a bug): {m}"),
        }
    }

    /// Builds the JS error object (not thrown yet).
    pub fn to_js<'e>(&self, env: &'e Env) -> Unknown<'e> {
        if let Failure::Log(segmentlog::Error::Hole {
            offset, segment, ..
        }) = self
        {
            return hole_error(env, self.message(), *offset, *segment);
        }
        let message = self.message();
        match self {
            Failure::Type(_) => {
                JsTypeError::from(Error::new("ERR_INVALID_ARG_TYPE", message)).into_unknown(*env)
            }
            Failure::Range(_) => {
                JsRangeError::from(Error::new("ERR_OUT_OF_RANGE", message)).into_unknown(*env)
            }
            Failure::Offset(_) => out_of_range(env, message),
            Failure::Log(e) if e.kind() == segmentlog::ErrorKind::OutOfRange => {
                out_of_range(env, message)
            }
            Failure::Invalid(_) => {
                JsError::from(Error::new("ERR_SEGMENTLOG_INVALID_ARGUMENT", message))
                    .into_unknown(*env)
            }
            Failure::Log(e) => JsError::from(Error::new(log_code(e), message)).into_unknown(*env),
            Failure::Panic(_) => {
                JsError::from(Error::new("ERR_SEGMENTLOG_PANIC", message)).into_unknown(*env)
            }
        }
    }

    /// Throws this failure on `env` and returns the error napi expects from a function whose
    /// exception is already pending (napi then leaves the pending exception alone).
    pub fn throw(self, env: &Env) -> Error {
        let value = self.to_js(env);
        match env.throw(value) {
            Ok(()) => Error::new(Status::PendingException, self.message()),
            // Throwing failed (the env is shutting down): let napi report it as a plain error.
            Err(e) => e,
        }
    }

    /// The rejection of an AsyncTask's promise: napi hands this JS error object back as is.
    pub fn reject(self, env: &Env) -> Error {
        Error::from(self.to_js(env))
    }
}

/// An error of kind OUT_OF_RANGE: a `RangeError` whose code is `ERR_SEGMENTLOG_OUT_OF_RANGE`.
fn out_of_range<'e>(env: &'e Env, message: String) -> Unknown<'e> {
    let code = kind_code(segmentlog::ErrorKind::OutOfRange);
    JsRangeError::from(Error::new(code, message)).into_unknown(*env)
}

/// The error of a hole: `code` `ERR_SEGMENTLOG_HOLE` with the hole's `offset` and the base
/// offset of its `segment` as numbers. Offsets a double cannot hold exactly are never rounded:
/// such a hole (only met iterating a log another language took past 2^53 - 1) is a
/// `RangeError`, as its records are.
fn hole_error<'e>(env: &'e Env, message: String, offset: u64, segment: u64) -> Unknown<'e> {
    if offset > MAX_SAFE_INTEGER {
        let message = format!(
            "{message}; offset {offset} is beyond Number.MAX_SAFE_INTEGER and cannot be \
             represented exactly"
        );
        return Failure::Range(message).to_js(env);
    }
    let error = JsError::from(Error::new("ERR_SEGMENTLOG_HOLE", message)).into_unknown(*env);
    // SAFETY: `into_unknown` of a JsError gives a JS Error object.
    if let Ok(mut object) = unsafe { error.cast::<Object>() } {
        // Failing to set them (the env is shutting down) leaves the error without them.
        let _ = object.set_named_property("offset", offset as f64);
        let _ = object.set_named_property("segment", segment as f64);
    }
    error
}

/// Runs `f` on the calling thread, turning a panic into [`Failure::Panic`].
///
/// `#[napi(catch_unwind)]` covers the JS thread; AsyncTask `compute` runs on libuv's pool,
/// where an unwinding panic would abort the process, so tasks wrap their work in this.
pub fn guard<T>(f: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "panic with a non-string payload".to_string()
        };
        Err(Failure::Panic(message))
    })
}

/// Converts an [`Outcome`] of a synchronous export into what napi returns, throwing the
/// failure with its proper JS class.
pub fn finish<T>(env: &Env, outcome: Outcome<T>) -> Result<T> {
    outcome.map_err(|f| f.throw(env))
}

#[cfg(test)]
mod tests {
    /// Each error kind has its own `err.code`, named as the kind is named everywhere.
    #[test]
    fn every_error_kind_has_the_code_of_its_name() {
        for kind in segmentlog::ErrorKind::ALL {
            assert_eq!(
                super::kind_code(kind),
                format!("ERR_SEGMENTLOG_{}", kind.name())
            );
        }
    }
}
