//! The bench re-runs its own executable as a child for what needs a process of its own: a
//! writer that dies by SIGKILL (crash recovery), and a clean process for peak memory.

use std::path::PathBuf;

use segmentlog::{Log, Options};

/// Environment variable naming the child's role ("crash" or "memory").
pub const ROLE: &str = "CLBENCH_CHILD";
/// The log directory the child writes.
pub const DIR: &str = "CLBENCH_DIR";
/// Bytes (crash) or records (memory) to write.
pub const AMOUNT: &str = "CLBENCH_AMOUNT";

/// Runs the child role if this process is a child; returns whether it was one.
pub fn dispatch() -> bool {
    let Ok(role) = std::env::var(ROLE) else {
        return false;
    };
    let dir = PathBuf::from(std::env::var_os(DIR).expect("CLBENCH_DIR"));
    let amount: u64 = std::env::var(AMOUNT)
        .expect("CLBENCH_AMOUNT")
        .parse()
        .expect("a number");
    match role.as_str() {
        "crash" => {
            let log = Log::open(&dir, Options::default()).expect("open");
            crate::reopen::fill(&log, amount);
            // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            unreachable!("SIGKILL cannot be caught");
        }
        "memory" => crate::memory::child(&dir, amount),
        other => panic!("unknown child role {other}"),
    }
    true
}
