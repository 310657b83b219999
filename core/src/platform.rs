//! What differs by operating system, in one place.

use std::fs::File;
use std::io;

pub(crate) use std::os::unix::fs::FileExt;

/// Reads into `buf` from `pos` until it is full or the file ends; returns the bytes read. A
/// file shorter than expected (another process cut it) is not an error here: the caller sees
/// fewer bytes.
pub(crate) fn read_at_most(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], pos + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
