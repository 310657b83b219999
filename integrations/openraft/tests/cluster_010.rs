//! The cluster tests of `tests/cluster.rs` on openraft 0.10 (feature `openraft-010`): a real
//! 3-node cluster in one process on `v010::LogStore`. Failover (the new leader holds every
//! committed entry, the old leader restarts from its directory and catches up), catch-up of a
//! far-behind follower by snapshot, and what 0.10 changes for the store: the leader's appends
//! arrive while earlier flushes are pending, and one fdatasync covers several of them.

#[path = "support010/mod.rs"]
mod support010;

use std::collections::BTreeMap;
use std::time::Duration;

use openraft_010::{Config, SnapshotPolicy};
use support010::cluster::{
    Node, TIMEOUT, as_json, client_write, fast_config, members, wait_applied, wait_leader,
    write_keys,
};
use support010::kv::Request;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn far_behind_follower_catches_up_by_snapshot() {
    let root = tempfile::tempdir().unwrap();
    let router = Router::default();
    let config = Config {
        snapshot_policy: SnapshotPolicy::LogsSinceLast(20),
        max_in_snapshot_log_to_keep: 0,
        purge_batch_size: 1,
        ..fast_config()
    };
    let mut nodes = start_cluster(&router, root.path(), &config).await;
    let leader = leader_of(&nodes).await;
    write_keys(&nodes[&leader].raft, 0..5).await;
    let applied = nodes[&leader].last_log_index().await.unwrap();
    for node in nodes.values() {
        wait_applied(&node.raft, applied, "all nodes have the first entries").await;
    }

    let lagger = *nodes.keys().find(|&&id| id != leader).unwrap();
    router.isolate(lagger);
    let lagger_end = nodes[&lagger].last_log_index().await.unwrap();

    // The leader (with the third node as quorum) moves on, snapshots and purges past the lagger's
    // end, so the entries the lagger needs are gone from every log.
    write_keys(&nodes[&leader].raft, 5..120).await;
    let purged = nodes[&leader]
        .raft
        .wait(Some(TIMEOUT))
        .metrics(
            |m| m.purged.is_some_and(|p| p.index > lagger_end + 1),
            "leader purges past the lagger's end",
        )
        .await
        .expect("leader purged")
        .purged
        .unwrap();
    // Purged entries still in a partly purged segment are hidden.
    let leader_log = nodes[&leader].log_entries().await;
    assert!(leader_log[0].log_id.index > purged.index);

    router.heal(lagger);
    nodes[&lagger]
        .raft
        .wait(Some(TIMEOUT))
        .metrics(|m| m.snapshot.is_some(), "lagger installs a snapshot")
        .await
        .expect("snapshot installed");
    write_keys(&nodes[&leader].raft, 120..130).await;
    let last = nodes[&leader].last_log_index().await.unwrap();
    wait_applied(&nodes[&lagger].raft, last, "lagger applies everything").await;

    assert_eq!(nodes[&lagger].sm.data().kv, expected_kv(130));
    // The lagger's log was purged past its old end, re-based, then appended to.
    let state = {
        use openraft_010::storage::RaftLogStorage;
        let mut s = nodes[&lagger].store.clone();
        s.get_log_state().await.unwrap()
    };
    let lagger_purged = state
        .last_purged_log_id
        .expect("lagger purged its log")
        .index;
    assert!(
        lagger_purged > lagger_end,
        "purged {lagger_purged} <= old end {lagger_end}"
    );
    assert_eq!(state.last_log_id.unwrap().index, last);
    let lagger_log = nodes[&lagger].log_entries().await;
    assert_eq!(lagger_log.first().unwrap().log_id.index, lagger_purged + 1);
    let from_leader = as_json(&nodes[&leader].log_entries().await);
    let from_lagger = as_json(&lagger_log);
    assert!(
        from_leader.ends_with(&from_lagger),
        "lagger's entries are the leader's"
    );

    // And it all survives a restart of the lagger.
    let dir = nodes[&lagger].dir.clone();
    nodes.remove(&lagger).unwrap().stop(&router).await;
    let back = Node::start_with(&router, lagger, &dir, &config, support010::tiny_segments()).await;
    wait_applied(&back.raft, last, "restarted lagger re-applies").await;
    assert_eq!(as_json(&back.log_entries().await), from_lagger);
    assert_eq!(back.sm.data().kv, expected_kv(130));
    nodes.insert(lagger, back);

    tokio::time::sleep(Duration::from_millis(10)).await;
    for (_, node) in nodes {
        node.stop(&router).await;
    }
}

/// openraft 0.10 does not wait for an append's flush before the next append: with concurrent
/// clients the leader's appends reach the store while an earlier flush is pending, and the
/// flusher's group commit acknowledges several appends per fdatasync. (On openraft 0.9 both stay
/// at zero overlap and one append per fdatasync; see the README.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leader_appends_overlap_pending_flushes() {
    let root = tempfile::tempdir().unwrap();
    let router = Router::default();
    let nodes = start_cluster(&router, root.path(), &fast_config()).await;
    let leader = leader_of(&nodes).await;
    let before = nodes[&leader].store.stats();
    let writers: Vec<_> = (0..16)
        .map(|c| {
            let raft = nodes[&leader].raft.clone();
            tokio::spawn(async move {
                for i in 0..40 {
                    client_write(&raft, Request::set(format!("c{c}-{i}"), "v")).await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let s = nodes[&leader].store.stats().since(&before);
    assert!(s.appends > 0 && s.flush_syncs > 0, "{s:?}");
    assert!(
        s.overlapped_appends > 0,
        "no leader append overlapped a pending flush: {s:?}"
    );
    assert!(
        s.flush_syncs < s.flushed_appends,
        "every fdatasync acknowledged a single append: {s:?}"
    );
    for (_, node) in nodes {
        node.stop(&router).await;
    }
}
