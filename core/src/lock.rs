//! The writer's exclusive lock on a log directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::error::{Error, Result};
use crate::recovery::LOCK_FILE;

/// Holds an exclusive lock on `dir/LOCK` until dropped: `flock(LOCK_EX)` on Unix,
/// `LockFileEx` on Windows (std's `File::try_lock`). Both belong to the open file (not the
/// process), so a second `Log` in the same process conflicts just like another process; both
/// go away with the process, so a crash leaves no stale lock.
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
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked {
                dir: dir.to_owned(),
            }),
            Err(TryLockError::Error(e)) => Err(Error::io(format!("locking {}", path.display()), e)),
        }
    }
}
