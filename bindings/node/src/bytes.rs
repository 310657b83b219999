//! Values handed to JS as new Buffers holding a copy of the bytes.
//!
//! napi's `Buffer::from(Vec<u8>)` gives V8 the Rust allocation as external memory, which costs
//! a finalizer and GC bookkeeping per buffer: for the small values logs usually hold, copying
//! into a V8-owned buffer is much cheaper.

use std::ptr;

use napi::bindgen_prelude::*;
use napi::check_status;

/// Bytes that become a JS `Buffer` (a copy) when returned to JS.
#[derive(Debug, Default)]
pub struct Bytes(pub Vec<u8>);

impl TypeName for Bytes {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Bytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let mut buffer = ptr::null_mut();
        let mut data = ptr::null_mut();
        check_status!(
            // SAFETY: `env` is the live env napi calls us with; the source is `len` initialized
            // bytes of a live Vec (a dangling but non-null pointer when empty, never read then).
            unsafe {
                sys::napi_create_buffer_copy(
                    env,
                    val.0.len(),
                    val.0.as_ptr().cast(),
                    &mut data,
                    &mut buffer,
                )
            },
            "could not create a Buffer"
        )?;
        Ok(buffer)
    }
}
