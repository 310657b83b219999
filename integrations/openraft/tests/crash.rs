//! A node whose process is killed with SIGKILL (no close, no destructor) restarts with its vote
//! and log intact.
//!
//! The test runs this same test binary as a child process that starts a one-node cluster on a
//! directory, writes entries, reports what it has, and waits to be killed. The scenario is
//! `sigkill_test!` (`tests/durability`), shared with `tests/crash_010.rs`.

#[path = "support/mod.rs"]
mod support;
#[macro_use]
#[path = "durability/mod.rs"]
mod durability;

use openraft::storage::RaftLogStorage;
use openraft::{Raft, RaftLogReader};
use segmentlog_openraft::LogStore;
use support::cluster::{TIMEOUT, fast_config, members, wait_applied, write_keys};
use support::kv::{KvStateMachine, TypeConfig};
use support::router::Router;

type Vote = openraft::Vote<u64>;

sigkill_test!(crash_child, killed_node_restarts_with_vote_and_log);
