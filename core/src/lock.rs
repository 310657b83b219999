//! The writer's exclusive lock on a log directory.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};
use crate::recovery::LOCK_FILE;

/// Holds `flock(LOCK_EX)` on `dir/LOCK` until dropped. `flock` locks belong to the open file
/// description, so a second `Log` in the same process conflicts just like another process.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        let file = crate::fault::check(crate::fault::Op::Create, &path)
            .and_then(|_| {
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)
            })
            .map_err(|e| Error::io(format!("opening lock file {}", path.display()), e))?;
        // SAFETY: the fd is valid while `file` lives; flock does not touch memory.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Err(Error::Locked {
                    dir: dir.to_owned(),
                });
            }
            return Err(Error::io(format!("locking {}", path.display()), err));
        }
        Ok(DirLock { _file: file })
    }
}
