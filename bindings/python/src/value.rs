//! A value to append, borrowed from any bytes-like Python object without copying it.
//!
//! `bytes` is read directly (the common case, and the cheapest). Anything else goes through the
//! buffer protocol (`bytearray`, `memoryview`, `array.array`, `mmap`, numpy arrays, ...).
//!
//! pyo3 only offers the buffer protocol under the limited API from Python 3.11 on (that is when
//! `PyObject_GetBuffer` joined the stable ABI), but this module is built for `abi3-py39`. The
//! function and the `Py_buffer` struct are unchanged since Python 3.3 and every CPython exports
//! them, so they are declared here; the declaration can go once the floor is 3.11
//! (`pyo3::buffer::PyUntypedBuffer`).

use std::borrow::Cow;
use std::ffi::{c_char, c_int, c_void};
use std::marker::PhantomData;

use pyo3::ffi::{Py_ssize_t, PyObject};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// CPython's `Py_buffer` (Include/pybuffer.h), layout stable since 3.3.
#[repr(C)]
struct RawBuffer {
    buf: *mut c_void,
    obj: *mut PyObject,
    len: Py_ssize_t,
    itemsize: Py_ssize_t,
    readonly: c_int,
    ndim: c_int,
    format: *mut c_char,
    shape: *mut Py_ssize_t,
    strides: *mut Py_ssize_t,
    suboffsets: *mut Py_ssize_t,
    internal: *mut c_void,
}

/// Ask for a plain C-contiguous run of bytes; exporters that cannot give one raise BufferError.
const PYBUF_SIMPLE: c_int = 0;

unsafe extern "C" {
    fn PyObject_GetBuffer(obj: *mut PyObject, view: *mut RawBuffer, flags: c_int) -> c_int;
    fn PyBuffer_Release(view: *mut RawBuffer);
}

/// A buffer export, released (with the GIL held) when dropped.
///
/// The raw pointers make it neither `Send` nor `Sync`, so it cannot be moved into
/// `Python::detach` and released without the GIL; while it lives, the exporter keeps the memory
/// in place (a `bytearray` refuses to resize).
pub(crate) struct Export<'py> {
    // Boxed: exporters may point fields of the struct at the struct itself.
    raw: Box<RawBuffer>,
    _py: PhantomData<Python<'py>>,
}

impl<'py> Export<'py> {
    fn get(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let mut raw = Box::new(RawBuffer {
            buf: std::ptr::null_mut(),
            obj: std::ptr::null_mut(),
            len: 0,
            itemsize: 0,
            readonly: 0,
            ndim: 0,
            format: std::ptr::null_mut(),
            shape: std::ptr::null_mut(),
            strides: std::ptr::null_mut(),
            suboffsets: std::ptr::null_mut(),
            internal: std::ptr::null_mut(),
        });
        // SAFETY: `obj` is a live object (we hold a reference and the GIL); `raw` points to
        // writable memory of the `Py_buffer` layout. On failure nothing needs releasing and a
        // Python exception (TypeError for objects without the buffer protocol) is set.
        let rc = unsafe { PyObject_GetBuffer(obj.as_ptr(), &mut *raw, PYBUF_SIMPLE) };
        if rc != 0 {
            return Err(PyErr::fetch(obj.py()));
        }
        Ok(Export {
            raw,
            _py: PhantomData,
        })
    }

    fn as_slice(&self) -> &[u8] {
        let len = usize::try_from(self.raw.len).unwrap_or(0);
        if len == 0 || self.raw.buf.is_null() {
            return &[];
        }
        // SAFETY: with PYBUF_SIMPLE the exporter gave `len` contiguous bytes at `buf`, valid
        // until PyBuffer_Release (in Drop, which needs `&mut self`, so not while this borrow
        // lives).
        unsafe { std::slice::from_raw_parts(self.raw.buf.cast::<u8>(), len) }
    }
}

impl Drop for Export<'_> {
    fn drop(&mut self) {
        // SAFETY: the export succeeded and is released exactly once; `Export` is !Send, so this
        // runs on the thread that took it, which holds the GIL (it never enters `detach`).
        unsafe { PyBuffer_Release(&mut *self.raw) }
    }
}

/// A bytes-like argument.
pub(crate) enum Value<'py> {
    /// A `bytes` object: immutable, so safe to read with the GIL released.
    Bytes(Bound<'py, PyBytes>),
    /// Any other buffer exporter.
    Buffer(Export<'py>),
}

impl<'py> Value<'py> {
    /// Borrows the bytes of `obj`; `TypeError` if it is not bytes-like (str, int, None, ...).
    pub(crate) fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<PyBytes>() {
            Ok(b) => Ok(Value::Bytes(b.clone())),
            Err(_) => Export::get(obj).map(Value::Buffer),
        }
    }

    /// The bytes, for use while the GIL is held.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Value::Bytes(b) => b.as_bytes(),
            Value::Buffer(e) => e.as_slice(),
        }
    }

    /// Whether no Python code can change the bytes: only `bytes` is sure. (A buffer's
    /// `readonly` flag is not: `memoryview(bytearray).toreadonly()` is read-only to its holder
    /// while the `bytearray` stays writable.)
    pub(crate) fn immutable(&self) -> bool {
        matches!(self, Value::Bytes(_))
    }

    /// The bytes, for use with the GIL released: borrowed when immutable, otherwise copied
    /// (another thread could write into a `bytearray` while core checksums and writes it, and
    /// the record would not match its checksum).
    pub(crate) fn detachable(&self) -> Cow<'_, [u8]> {
        match self {
            Value::Bytes(b) => Cow::Borrowed(b.as_bytes()),
            Value::Buffer(e) => Cow::Owned(e.as_slice().to_vec()),
        }
    }
}
