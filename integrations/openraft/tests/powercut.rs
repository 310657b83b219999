//! Issue 13, path 3, through the adapter: entries acknowledged, more written but never
//! acknowledged (their sync fails), a roll, the process killed, a restart, one more entry
//! acknowledged, then a power cut. Every entry acknowledged before the kill and after the
//! restart must be there (the old log kept only the entries before the first tear). The
//! scenario is `kill_restart_power_cut_test!` (`tests/durability`), shared with
//! `tests/powercut_010.rs`.

#[path = "support/mod.rs"]
mod support;
#[macro_use]
#[path = "durability/mod.rs"]
mod durability;

use openraft::storage::RaftLogStorageExt;
use openraft::testing::log_id;
use openraft::{Entry, EntryPayload, RaftLogReader};
use segmentlog_openraft::LogStore;
use support::kv::{Request, TypeConfig};

type Store = LogStore<TypeConfig>;

/// ~400 bytes an entry: ten fill a 4 KiB segment.
fn entry(index: u64) -> Entry<TypeConfig> {
    Entry {
        log_id: log_id(1, 1, index),
        payload: EntryPayload::Normal(Request::set(format!("k{index}"), "v".repeat(330))),
    }
}

kill_restart_power_cut_test!(
    a_power_cut_after_a_kill_and_a_restart_loses_no_acknowledged_entry,
    support
);
