//! The failover test of `tests/cluster.rs` on openraft 0.10 (feature `openraft-010`): a real
//! 3-node cluster in one process on `v010::LogStore`; the leader writes, stops, the new leader
//! holds every committed entry, writes more, the old leader restarts from its directory and
//! catches up: all logs identical, all state machines equal.

#[path = "support010/mod.rs"]
mod support010;

use std::collections::BTreeMap;

use openraft_010::Config;
use support010::cluster::{
    Node, as_json, fast_config, members, wait_applied, wait_leader, write_keys,
};
use support010::router::Router;

fn expected_kv(n: u64) -> BTreeMap<String, String> {
    (0..n)
        .map(|i| (format!("key{i}"), format!("value{i}")))
        .collect()
}

async fn start_cluster(
    router: &Router,
    root: &std::path::Path,
    config: &Config,
) -> BTreeMap<u64, Node> {
    let mut nodes = BTreeMap::new();
    for id in 1..=3 {
        let node = Node::start_with(
            router,
            id,
            &root.join(format!("n{id}")),
            config,
            support010::tiny_segments(),
        )
        .await;
        nodes.insert(id, node);
    }
    nodes[&1]
        .raft
        .initialize(members(&[1, 2, 3]))
        .await
        .expect("initialize");
    nodes
}

async fn leader_of(nodes: &BTreeMap<u64, Node>) -> u64 {
    let rafts: Vec<_> = nodes.values().map(|n| &n.raft).collect();
    wait_leader(&rafts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_then_old_leader_restarts_and_catches_up() {
    let root = tempfile::tempdir().unwrap();
    let router = Router::default();
    let config = fast_config();
    let mut nodes = start_cluster(&router, root.path(), &config).await;

    let old = leader_of(&nodes).await;
    write_keys(&nodes[&old].raft, 0..60).await;
    // Every write returned, so every entry in the leader's log is committed.
    let committed_log = as_json(&nodes[&old].log_entries().await);
    let committed = nodes[&old].last_log_index().await.unwrap();
    assert_eq!(
        committed_log.len() as u64,
        committed + 1,
        "leader log holds 0..=last"
    );
    assert!(committed >= 61, "membership + blank + 60 writes");
    wait_applied(&nodes[&old].raft, committed, "leader applies its writes").await;

    // The leader goes away.
    let old_node = nodes.remove(&old).unwrap();
    let old_dir = old_node.dir.clone();
    old_node.stop(&router).await;

    let new = leader_of(&nodes).await;
    assert_ne!(new, old);
    let new_log = as_json(&nodes[&new].log_entries().await);
    assert!(
        new_log.len() >= committed_log.len(),
        "new leader lost entries: {} < {}",
        new_log.len(),
        committed_log.len()
    );
    assert_eq!(
        new_log[..committed_log.len()],
        committed_log[..],
        "new leader holds every committed entry, unchanged"
    );

    write_keys(&nodes[&new].raft, 60..100).await;

    // The old leader comes back from its directory and catches up.
    let back = Node::start_with(&router, old, &old_dir, &config, support010::tiny_segments()).await;
    nodes.insert(old, back);
    let last = nodes[&new].last_log_index().await.unwrap();
    for node in nodes.values() {
        wait_applied(&node.raft, last, "every node applies the whole log").await;
    }
    let leader_log = as_json(&nodes[&new].log_entries().await);
    for node in nodes.values() {
        assert_eq!(
            as_json(&node.log_entries().await),
            leader_log,
            "node {} has the leader's log",
            node.id
        );
        assert_eq!(
            node.sm.data().kv,
            expected_kv(100),
            "node {} state",
            node.id
        );
    }

    for (_, node) in nodes {
        node.stop(&router).await;
    }
}
