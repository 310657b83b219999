//! `tests/crash.rs` on openraft 0.10 (feature `openraft-010`): a node on `v010::LogStore` whose
//! process is killed with SIGKILL (no close, no destructor) restarts with its vote and log
//! intact, and raft runs on it again. The test runs this same test binary as a child process.
//! The scenario is `sigkill_test!` (`tests/durability`), shared with the 0.9 test.

#[path = "support010/mod.rs"]
mod support010;
#[macro_use]
#[path = "durability/mod.rs"]
mod durability;

use openraft_010::storage::{RaftLogReader, RaftLogStorage};
use segmentlog_openraft::v010::LogStore;
use support010::cluster::{TIMEOUT, fast_config, members, wait_applied, write_keys};
use support010::kv::{KvStateMachine, Raft, TypeConfig};
use support010::router::Router;

type Vote = openraft_010::type_config::alias::VoteOf<TypeConfig>;

sigkill_test!(crash_child_010, killed_node_restarts_with_vote_and_log_010);
