//! `tests/cluster_powercut.rs` on openraft 0.10 (feature `openraft-010`): a 3-node cluster on
//! `v010::LogStore` whose leader loses its page cache (the core's power-loss disk model under its
//! log), restarted from what its disk held as of its last syncs; with the follower that missed
//! the writes it must hold every committed key. Its own test binary: the fault hook is
//! process-wide. The scenario is `leader_loses_page_cache_test!` (`tests/durability`).

#[path = "support010/mod.rs"]
mod support010;
#[macro_use]
#[path = "durability/mod.rs"]
mod durability;

use support010::cluster::{Node, fast_config, members, wait_applied, wait_leader, write_keys};
use support010::router::Router;

leader_loses_page_cache_test!(a_leader_that_loses_its_page_cache_keeps_every_committed_entry_010);
