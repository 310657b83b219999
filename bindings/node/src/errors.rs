//! How failures become JavaScript exceptions.
//!
//! Core errors become `Error`s whose `code` is one of `shared/API.md`'s
//! `ERR_COMMITLOG_*` codes; arguments of the wrong type become `TypeError`s
//! (`ERR_INVALID_ARG_TYPE`) and numbers outside what an offset can be become `RangeError`s
//! (`ERR_OUT_OF_RANGE`), the codes Node's own APIs use for the same mistakes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::bindgen_prelude::*;

/// Everything a call can fail with, before it is turned into a JS exception.
#[derive(Debug)]
pub enum Failure {
    /// An argument of the wrong JS type.
    Type(String),
    /// A number that is not an offset/count we can represent exactly.
    Range(String),
    /// An option or argument with the right type but an unacceptable value.
    Invalid(String),
    /// What the core reported.
    Log(commitlog::Error),
    /// A Rust panic caught at the boundary (a bug).
    Panic(String),
}

/// Result of the conversion and core layers, before napi sees it.
pub type Outcome<T> = std::result::Result<T, Failure>;

impl From<commitlog::Error> for Failure {
    fn from(e: commitlog::Error) -> Self {
        Failure::Log(e)
    }
}

/// The `err.code` of a core error (`shared/API.md`).
fn log_code(e: &commitlog::Error) -> &'static str {
    use commitlog::Error as E;
    match e {
        E::OutOfRange { .. } => "ERR_COMMITLOG_OUT_OF_RANGE",
        E::Corrupt { .. } => "ERR_COMMITLOG_CORRUPT",
        E::Closed => "ERR_COMMITLOG_CLOSED",
        E::Locked { .. } => "ERR_COMMITLOG_LOCKED",
        E::InvalidArgument(_) => "ERR_COMMITLOG_INVALID_ARGUMENT",
        // A poisoned log refuses writes after a failed fsync: an I/O failure to the caller.
        E::Poisoned { .. } | E::Io { .. } => "ERR_COMMITLOG_IO",
        // `Error` is non_exhaustive; a kind added later is reported as I/O until mapped.
        _ => "ERR_COMMITLOG_IO",
    }
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Type(m) | Failure::Range(m) | Failure::Invalid(m) => m.clone(),
            Failure::Log(e) => e.to_string(),
            Failure::Panic(m) => format!("internal error in commitlog (a bug): {m}"),
        }
    }

    /// Builds the JS error object (not thrown yet).
    pub fn to_js<'e>(&self, env: &'e Env) -> Unknown<'e> {
        let message = self.message();
        match self {
            Failure::Type(_) => {
                JsTypeError::from(Error::new("ERR_INVALID_ARG_TYPE", message)).into_unknown(*env)
            }
            Failure::Range(_) => {
                JsRangeError::from(Error::new("ERR_OUT_OF_RANGE", message)).into_unknown(*env)
            }
            Failure::Invalid(_) => {
                JsError::from(Error::new("ERR_COMMITLOG_INVALID_ARGUMENT", message))
                    .into_unknown(*env)
            }
            Failure::Log(e) => JsError::from(Error::new(log_code(e), message)).into_unknown(*env),
            Failure::Panic(_) => {
                JsError::from(Error::new("ERR_COMMITLOG_PANIC", message)).into_unknown(*env)
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
