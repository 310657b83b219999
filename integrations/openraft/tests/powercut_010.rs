//! `tests/powercut.rs` on openraft 0.10 (feature `openraft-010`): entries acknowledged through
//! `v010::LogStore`, more written but never acknowledged, a roll, the process killed, a restart,
//! one more entry acknowledged, then a power cut; every acknowledged entry must be in every disk
//! image the cut could leave. The scenario is `kill_restart_power_cut_test!`
//! (`tests/durability`), shared with the 0.9 test.

#[path = "support010/mod.rs"]
mod support010;
#[macro_use]
#[path = "durability/mod.rs"]
mod durability;

use openraft_010::entry::RaftEntry;
use openraft_010::storage::{RaftLogReader, RaftLogStorageExt};
use openraft_010::testing::log_id;
use segmentlog_openraft::v010::LogStore;
use support010::kv::{Entry, Request, TypeConfig};

type Store = LogStore<TypeConfig>;

/// ~400 bytes an entry: ten fill a 4 KiB segment.
fn entry(index: u64) -> Entry {
    Entry::new_normal(
        log_id::<TypeConfig>(1, 1, index),
        Request::set(format!("k{index}"), "v".repeat(330)),
    )
}

kill_restart_power_cut_test!(
    a_power_cut_after_a_kill_and_a_restart_loses_no_acknowledged_entry_010,
    support010
);
