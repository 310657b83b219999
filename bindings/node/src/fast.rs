//! The hot paths `index.js` puts in front of `append`, `appendBatch`, `read` and `readMany`.
//!
//! A `Log` method finds its Rust struct with `napi_unwrap`, which V8 serves as a lookup of a
//! private property from C++ (no inline cache): in a profile of `append` it was about a third
//! of the binding's own time per call. These free functions take the log as an `External`
//! instead (a clone of the core `Log`, shared with the instance; `handle()` makes it once per
//! instance and `index.js` keeps it under a symbol), which napi resolves with a single type check.
//!
//! They behave exactly as the methods of the same name (same conversions, same errors); the
//! methods stay for direct calls. Not part of the public API: they are left out of
//! `index.d.ts` and `index.js` does not re-export them.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::convert::{
    array, bytes, bytes_mut, bytes_or, offset_arg, offset_of, safe_u64, to_js_number,
};
use crate::errors::{Failure, Outcome, finish, guard};
use crate::log::{BatchRange, Log, copy_into};

/// The core log behind a handle made by [`handle`].
#[inline]
fn core_log<'a>(handle: &Unknown<'a>) -> Outcome<&'a segmentlog::Log> {
    let raw = handle.value();
    let mut data = std::ptr::null_mut();
    // SAFETY: `raw` is a live handle of this call's scope; napi checks that it is an External.
    let status = unsafe { sys::napi_get_value_external(raw.env, raw.value, &mut data) };
    if status == sys::Status::napi_ok {
        // SAFETY: `data` is an External's payload; napi-rs checks its type id before use.
        // The External is an argument of this call, so it outlives the borrow.
        if let Some(log) = unsafe { External::<segmentlog::Log>::inner_from_raw(data) } {
            return Ok(log);
        }
    }
    Err(not_a_handle())
}

#[cold]
#[inline(never)]
fn not_a_handle() -> Failure {
    Failure::Type("the receiver is not a segmentlog Log".to_string())
}

/// A handle on `log`'s core log for the functions below (made once per instance).
#[napi(namespace = "fast", skip_typescript, catch_unwind)]
pub fn handle(log: &Log) -> External<segmentlog::Log> {
    External::new(log.core().clone())
}

/// `log.append(value)`.
#[napi(namespace = "fast", skip_typescript, catch_unwind)]
pub fn append(env: Env, handle: Unknown, value: Unknown) -> Result<f64> {
    finish(
        &env,
        guard(|| {
            let log = core_log(&handle)?;
            to_js_number(log.append(bytes(&value, "value")?)?, "offset")
        }),
    )
}

/// `log.appendBatch(values)`.
#[napi(namespace = "fast", skip_typescript, catch_unwind)]
pub fn append_batch(env: Env, handle: Unknown, values: Unknown) -> Result<BatchRange> {
    finish(
        &env,
        guard(|| {
            let log = core_log(&handle)?;
            let values = array(&values, "values", |v, i| {
                bytes_or(v, || format!("values[{i}]"))
            })?;
            BatchRange::from_core(log.append_batch(&values)?)
        }),
    )
}

/// `log.readInto(offset, target, at)`.
#[napi(namespace = "fast", skip_typescript, catch_unwind)]
pub fn read_into(
    env: Env,
    handle: Unknown,
    offset: Unknown,
    target: Unknown,
    at: Unknown,
) -> Result<f64> {
    finish(
        &env,
        guard(|| {
            let log = core_log(&handle)?;
            let offset = offset_arg(&offset, "offset")?;
            copy_into(log, offset, &target, &at)
        }),
    )
}

/// `log.appendBatch(values)` with the values packed by `index.js` into `data`, one after the
/// other, their lengths in `lengths[..count]`: three conversions instead of an element lookup
/// and a buffer lookup per value (each of those is a full `napi` call).
#[napi(namespace = "fast", skip_typescript, catch_unwind)]
pub fn append_packed(
    env: Env,
    handle: Unknown,
    data: Unknown,
    lengths: Unknown,
    count: Unknown,
) -> Result<BatchRange> {
    finish(
        &env,
        guard(|| {
            let log = core_log(&handle)?;
            let data = bytes(&data, "data")?;
            let count = safe_u64(&count, "count")?;
            // SAFETY: `lengths` is a live handle of this call's scope; the conversion checks
            // that it is a Uint32Array.
            let lengths = unsafe { lengths.cast::<&[u32]>() }
                .map_err(|_| Failure::Type("lengths must be a Uint32Array".to_string()))?;
            let lengths = usize::try_from(count)
                .ok()
                .and_then(|n| lengths.get(..n))
                .ok_or_else(|| Failure::Range(format!("count ({count}) exceeds lengths")))?;
            let mut values = Vec::with_capacity(lengths.len());
            let mut rest = data;
            for &len in lengths {
                let (value, tail) = rest
                    .split_at_checked(len as usize)
                    .ok_or_else(|| Failure::Range("lengths exceed data".to_string()))?;
                values.push(value);
                rest = tail;
            }
            BatchRange::from_core(log.append_batch(&values)?)
        }),
    )
}

/// `log.readMany(offsets)` with the offsets copied by `index.js` into `offsets[..count]`: copies
/// the values back to back into `target` and their lengths into `lengths[..count]`, and returns
/// the bytes used, or `-(bytes needed + 1)` when they do not all fit (then `target` holds only
/// those that did and the caller asks again with room for all).
#[napi(namespace = "fast", skip_typescript, catch_unwind)]
pub fn read_many_into(
    env: Env,
    handle: Unknown,
    offsets: Unknown,
    count: Unknown,
    target: Unknown,
    lengths: Unknown,
) -> Result<f64> {
    finish(
        &env,
        guard(|| {
            let log = core_log(&handle)?;
            let count = safe_u64(&count, "count")?;
            // The offsets are read (and their view given up) before any view is written.
            let wanted = {
                // SAFETY: `offsets` is a live handle of this call's scope; the conversion
                // checks that it is a Float64Array. No JS runs while the slice is in use.
                let offsets = unsafe { offsets.cast::<&[f64]>() }
                    .map_err(|_| Failure::Type("offsets must be a Float64Array".to_string()))?;
                let n = usize::try_from(count)
                    .ok()
                    .filter(|&n| n <= offsets.len())
                    .ok_or_else(|| Failure::Range(format!("count ({count}) exceeds offsets")))?;
                offsets[..n]
                    .iter()
                    .enumerate()
                    .map(|(i, &o)| offset_of(o, || format!("offsets[{i}]")))
                    .collect::<Outcome<Vec<u64>>>()?
            };
            // `target` and `lengths` are written together. JS may pass two views of one
            // ArrayBuffer, and two `&mut` slices over the same bytes are undefined behaviour:
            // take their raw extents first (each reference ends at once) and refuse overlap.
            let (target_ptr, target_len) = {
                let t = bytes_mut(&target, "target")?;
                (t.as_mut_ptr(), t.len())
            };
            let (lengths_ptr, lengths_len) = {
                // SAFETY: `lengths` is a live handle of this call's scope; the conversion
                // checks that it is a Uint32Array.
                let l = unsafe { lengths.cast::<&mut [u32]>() }
                    .map_err(|_| Failure::Type("lengths must be a Uint32Array".to_string()))?;
                (l.as_mut_ptr(), l.len())
            };
            let (t0, l0) = (target_ptr as usize, lengths_ptr as usize);
            let (t1, l1) = (t0 + target_len, l0 + lengths_len * size_of::<u32>());
            if target_len > 0 && lengths_len > 0 && t0 < l1 && l0 < t1 {
                return Err(Failure::Invalid(
                    "target and lengths must not share memory".to_string(),
                ));
            }
            if wanted.len() > lengths_len {
                return Err(Failure::Range(format!("count ({count}) exceeds lengths")));
            }
            // SAFETY: both views belong to arguments of this call, so their memory lives until
            // it returns; they do not overlap (checked above); no JS runs while the slices are
            // in use, so nothing else reads or writes them. (An empty view becomes an empty
            // slice whatever its pointer.)
            let target = unsafe { raw_slice_mut(target_ptr, target_len) };
            // SAFETY: as above.
            let lengths = unsafe { raw_slice_mut(lengths_ptr, lengths_len) };
            // A value over 4 GiB cannot be in a log (a segment is smaller).
            let total = log.read_many_into(&wanted, target, |i, n| lengths[i] = n as u32)?;
            Ok(if total <= target.len() {
                total as f64
            } else {
                -(total as f64) - 1.0
            })
        }),
    )
}

/// A mutable slice over `len` elements at `ptr`, or an empty one when `len` is 0.
///
/// # Safety
/// When `len > 0`, `ptr` must point to `len` initialized, writable `T`s that stay valid and
/// untouched by anything else for `'a`.
unsafe fn raw_slice_mut<'a, T>(ptr: *mut T, len: usize) -> &'a mut [T] {
    if len == 0 {
        &mut []
    } else {
        // SAFETY: forwarded caller's contract.
        unsafe { std::slice::from_raw_parts_mut(ptr, len) }
    }
}
