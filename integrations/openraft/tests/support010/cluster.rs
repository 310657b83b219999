//! Starting and stopping nodes of an in-process openraft 0.10 cluster on `v010::LogStore`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use openraft_010::error::ForwardReason;
use openraft_010::storage::{RaftLogReader, RaftLogStorage};
use openraft_010::{BasicNode, Config};
use segmentlog_openraft::v010::LogStore;

use super::kv::{Entry, KvStateMachine, Raft, Request, TypeConfig};
use super::router::Router;

/// How long the tests wait for the cluster to reach a state before failing.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A raft config with short timers, so elections take milliseconds.
pub fn fast_config() -> Config {
    Config {
        cluster_name: "segmentlog-test".into(),
        heartbeat_interval: 50,
        election_timeout_min: 200,
        election_timeout_max: 400,
        ..Default::default()
    }
}

/// One running node on our log store.
pub struct Node {
    pub id: u64,
    pub dir: PathBuf,
    pub raft: Raft,
    pub store: LogStore<TypeConfig>,
    pub sm: KvStateMachine,
}

impl Node {
    /// Starts node `id` from `dir` (creating it or recovering what is there) and registers it
    /// with the router.
    pub async fn start(router: &Router, id: u64, dir: &Path, config: &Config) -> Node {
        Self::start_with(router, id, dir, config, segmentlog::Options::default()).await
    }

    /// [`Node::start`] with these segmentlog options (e.g. tiny segments).
    pub async fn start_with(
        router: &Router,
        id: u64,
        dir: &Path,
        config: &Config,
        options: segmentlog::Options,
    ) -> Node {
        let store =
            LogStore::<TypeConfig>::open_with(dir.join("raft"), options).expect("open log store");
        let sm = KvStateMachine::open(&dir.join("sm")).expect("open state machine");
        let raft = Raft::new(
            id,
            Arc::new(config.clone().validate().expect("valid config")),
            router.network(id),
            store.clone(),
            sm.clone(),
        )
        .await
        .expect("start raft");
        router.add(id, raft.clone());
        Node {
            id,
            dir: dir.to_path_buf(),
            raft,
            store,
            sm,
        }
    }

    /// Stops the node: unreachable for the others, raft shut down, log closed.
    pub async fn stop(self, router: &Router) {
        router.remove(self.id);
        self.raft.shutdown().await.expect("raft shutdown");
        self.store.close().expect("close log store");
    }

    /// Every entry the node's store returns (purged ones hidden).
    pub async fn log_entries(&self) -> Vec<Entry> {
        let mut reader = self.store.clone();
        reader.try_get_log_entries(..).await.expect("read log")
    }

    /// The node's last log index according to its store.
    pub async fn last_log_index(&self) -> Option<u64> {
        let mut s = self.store.clone();
        s.get_log_state()
            .await
            .expect("log state")
            .last_log_id
            .map(|l| l.index)
    }
}

/// Members map for `initialize`.
pub fn members(ids: &[u64]) -> BTreeMap<u64, BasicNode> {
    ids.iter().map(|&id| (id, BasicNode::default())).collect()
}

/// Waits until some node of `rafts` is leader and all of them agree; returns its id.
pub async fn wait_leader(rafts: &[&Raft]) -> u64 {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let mut leaders = Vec::new();
        for r in rafts {
            leaders.push(r.current_leader().await);
        }
        if let Some(Some(l)) = leaders.first().copied()
            && leaders.iter().all(|x| *x == Some(l))
            && rafts.iter().any(|r| *r.node_id() == l && r.is_leader())
        {
            return l;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no leader elected in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Each entry as JSON, to compare logs of different nodes.
pub fn as_json(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect()
}

/// Waits until `raft` has applied at least up to `index`.
pub async fn wait_applied(raft: &Raft, index: u64, what: &str) {
    raft.wait(Some(TIMEOUT))
        .applied_index_at_least(Some(index), what)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// Writes `request` through `leader`; returns how often the leader refused it first because its
/// lease was not valid (openraft 0.10 accepts writes only while a quorum acknowledged it within
/// the lease, so a just-elected leader refuses them until its first acknowledgements arrive; the
/// error says to retry). Any other error, or refusals for longer than [`TIMEOUT`], panic.
pub async fn client_write(leader: &Raft, request: Request) -> u64 {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let mut refused = 0;
    loop {
        match leader.client_write(request.clone()).await {
            Ok(_) => return refused,
            Err(e)
                if e.forward_to_leader()
                    .is_some_and(|f| f.reason == ForwardReason::LeaseExpired)
                    && tokio::time::Instant::now() < deadline =>
            {
                refused += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => panic!("client write: {e}"),
        }
    }
}

/// Writes `key{i}=value{i}` for `i` in `range` through `leader`.
pub async fn write_keys(leader: &Raft, range: std::ops::Range<u64>) {
    for i in range {
        client_write(leader, Request::set(format!("key{i}"), format!("value{i}"))).await;
    }
}
