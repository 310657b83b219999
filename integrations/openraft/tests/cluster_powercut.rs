//! A 3-node cluster in which a node loses its page cache: the power-loss disk model of the core
//! (`segmentlog::fault::powercut`) under the leader's log, a power cut after the writes, and the
//! leader restarted from what the disk held as of its last syncs (not from the files a graceful
//! shutdown or a SIGKILL would leave). Its own test binary: the fault hook is process-wide. The
//! scenario is `leader_loses_page_cache_test!` (`tests/durability`), shared with
//! `tests/cluster_powercut_010.rs`.

#[path = "support/mod.rs"]
mod support;
#[macro_use]
#[path = "durability/mod.rs"]
mod durability;

use support::cluster::{Node, fast_config, members, wait_applied, wait_leader, write_keys};
use support::router::Router;

leader_loses_page_cache_test!(a_leader_that_loses_its_page_cache_keeps_every_committed_entry);
