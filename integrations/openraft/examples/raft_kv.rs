//! A tiny replicated key-value store: 3 raft nodes in one process, each keeping its raft log in
//! a segmentlog (`LogStore`), talking through an in-process router.
//!
//! It writes a few keys, stops the leader, writes more through the new leader, restarts the old
//! leader from its directory and shows it caught up.
//!
//!     cargo run --release -p segmentlog-openraft --example raft_kv -- [DIR]
//!
//! DIR (default: a temp dir) gets one subdirectory per node: `nN/raft/log/` is the segmentlog,
//! `nN/raft/raft-meta.json` the vote/committed/purged metadata, `nN/sm/` the state machine's
//! snapshot.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use support::cluster::{Node, fast_config, members, wait_applied, wait_leader};
use support::kv::Request;
use support::router::Router;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let temp;
    let root = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => {
            temp = tempfile::tempdir().expect("temp dir");
            temp.path().to_path_buf()
        }
    };
    let config = fast_config();
    let router = Router::default();
    let mut nodes = BTreeMap::new();
    for id in 1..=3 {
        let node = Node::start(&router, id, &root.join(format!("n{id}")), &config).await;
        nodes.insert(id, node);
    }
    if !nodes[&1].raft.is_initialized().await.unwrap() {
        nodes[&1]
            .raft
            .initialize(members(&[1, 2, 3]))
            .await
            .unwrap();
    }
    let leader = wait_leader(&nodes.values().map(|n| &n.raft).collect::<Vec<_>>()).await;
    println!(
        "raft-kv: 3 nodes in {}; node {leader} is the leader",
        root.display()
    );

    for (k, v) in [
        ("apple", "red"),
        ("banana", "yellow"),
        ("cherry", "dark red"),
    ] {
        let resp = nodes[&leader]
            .raft
            .client_write(Request::set(k, v))
            .await
            .unwrap();
        println!(
            "  set {k}={v} -> committed at log index {}",
            resp.log_id.index
        );
    }
    let last = nodes[&leader].last_log_index().await.unwrap();
    for node in nodes.values() {
        wait_applied(&node.raft, last, "replicated").await;
        println!("  node {}: {:?}", node.id, node.sm.data().kv);
    }

    println!("stopping the leader, node {leader}");
    let old = nodes.remove(&leader).unwrap();
    let old_dir = old.dir.clone();
    old.stop(&router).await;
    let new = wait_leader(&nodes.values().map(|n| &n.raft).collect::<Vec<_>>()).await;
    println!("node {new} is the new leader");
    for (k, v) in [("banana", "green"), ("date", "brown")] {
        let resp = nodes[&new]
            .raft
            .client_write(Request::set(k, v))
            .await
            .unwrap();
        println!(
            "  set {k}={v} -> committed at log index {} (was {:?})",
            resp.log_id.index, resp.data.previous
        );
    }

    println!("restarting node {leader} from {}", old_dir.display());
    let back = Node::start(&router, leader, &old_dir, &config).await;
    let last = nodes[&new].last_log_index().await.unwrap();
    wait_applied(&back.raft, last, "old leader catches up").await;
    nodes.insert(leader, back);
    for node in nodes.values() {
        let log = node.store.log();
        println!(
            "  node {}: log offsets {}..{} in {} segment(s), state {:?}",
            node.id,
            log.lowest_offset().unwrap(),
            log.next_offset().unwrap(),
            log.segments().unwrap().len(),
            node.sm.data().kv
        );
    }
    let states: Vec<_> = nodes.values().map(|n| n.sm.data().kv).collect();
    assert!(states.windows(2).all(|w| w[0] == w[1]), "nodes disagree");
    println!("all 3 nodes agree");
    for (_, node) in nodes {
        node.stop(&router).await;
    }
}
