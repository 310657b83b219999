//! Fault injection for reliability tests (cargo feature `fault-injection`).
//!
//! Every operation through which the log changes its files calls [`check`] first, naming the
//! operation and the file. Without the feature `check` is an inlined `Ok(())`: no cost and no
//! change of behaviour. With the feature a test installs a hook ([`set_hook`]) that sees every
//! operation and may fail it with any `io::Error` (`EIO`, `ENOSPC`, ...) instead of letting it
//! run; the same hook sees syncs, so a test can also record what would be durable at each one
//! (the power-loss simulation in `core/tests/powerloss.rs`).
//!
//! Writes through a memory map are plain memory stores and cannot return an error; their
//! failure modes are covered by the points that can fail: `Allocate` (the blocks behind the
//! map, `ENOSPC` shows up here), `Map`, and the syncs that write the pages back.

use std::io;
use std::path::Path;

/// An operation on a file of the log that a test can make fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Creating a file (store, index, clean marker, lock file).
    Create,
    /// Opening an existing file for writing.
    OpenWrite,
    /// Reserving blocks with `posix_fallocate` (where a full disk shows up).
    Allocate,
    /// A `pwrite` (file headers, rebuilt indexes).
    Write,
    /// Memory-mapping a file.
    Map,
    /// `fdatasync` of a file.
    SyncData,
    /// `fsync` of a file.
    SyncAll,
    /// Cutting a file's length (`ftruncate`).
    Trim,
    /// `fsync` of the log directory.
    SyncDir,
    /// Removing a file.
    Remove,
    /// A `pread` while recovering (scanning a store).
    Read,
}

impl Op {
    /// Every operation, for tests that try each one.
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    pub const ALL: [Op; 11] = [
        Op::Create,
        Op::OpenWrite,
        Op::Allocate,
        Op::Write,
        Op::Map,
        Op::SyncData,
        Op::SyncAll,
        Op::Trim,
        Op::SyncDir,
        Op::Remove,
        Op::Read,
    ];
}

#[cfg(feature = "fault-injection")]
mod hook {
    use super::Op;
    use parking_lot::RwLock;
    use std::io;
    use std::path::Path;
    use std::sync::Arc;

    /// A hook: sees `(operation, file)` before the operation runs; an `Err` fails it.
    pub type Hook = dyn Fn(Op, &Path) -> io::Result<()> + Send + Sync;

    static HOOK: RwLock<Option<Arc<Hook>>> = RwLock::new(None);

    /// A rename hook: told `(from, to)` after a file was renamed over another (the power-cut
    /// model needs to know which content a name holds).
    pub type RenameHook = dyn Fn(&Path, &Path) + Send + Sync;

    static RENAME_HOOK: RwLock<Option<Arc<RenameHook>>> = RwLock::new(None);

    /// Installs `hook` for every log in the process (`None` removes it).
    pub fn set_hook(hook: Option<Arc<Hook>>) {
        *HOOK.write() = hook;
    }

    /// Installs the rename hook (`None` removes it).
    pub fn set_rename_hook(hook: Option<Arc<RenameHook>>) {
        *RENAME_HOOK.write() = hook;
    }

    pub(crate) fn renamed(from: &Path, to: &Path) {
        let hook = RENAME_HOOK.read().clone();
        if let Some(h) = hook {
            h(from, to);
        }
    }

    pub(crate) fn check(op: Op, path: &Path) -> io::Result<()> {
        // Clone the Arc so the hook runs without the lock held (it may take its own locks).
        let hook = HOOK.read().clone();
        match hook {
            Some(h) => h(op, path),
            None => Ok(()),
        }
    }
}

#[cfg(feature = "fault-injection")]
pub use hook::{Hook, RenameHook, set_hook, set_rename_hook};

/// Tells the rename hook (tests) that `from` was renamed over `to`.
#[cfg(feature = "fault-injection")]
#[inline]
pub(crate) fn renamed(from: &Path, to: &Path) {
    hook::renamed(from, to)
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn renamed(_from: &Path, _to: &Path) {}

#[cfg(feature = "fault-injection")]
pub mod powercut;

/// Asks the installed hook whether `op` on `path` may run.
#[cfg(feature = "fault-injection")]
#[inline]
pub(crate) fn check(op: Op, path: &Path) -> io::Result<()> {
    hook::check(op, path)
}

/// Without the feature nothing is ever injected.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn check(_op: Op, _path: &Path) -> io::Result<()> {
    Ok(())
}
