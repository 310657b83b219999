//! The in-process network of `tests/support/router.rs` for openraft 0.10 (`RaftNetworkV2`): each
//! RPC goes straight to the target `Raft`; nodes can be cut off and reconnected.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};

use openraft_010::error::{RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft_010::network::{RPCOption, RaftNetworkFactory};
use openraft_010::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft_010::type_config::alias::{SnapshotOf, VoteOf};
use openraft_010::{BasicNode, RaftNetworkV2};

use super::kv::{Raft, SnapshotData, TypeConfig};

#[derive(Default)]
struct Inner {
    nodes: BTreeMap<u64, Raft>,
    isolated: BTreeSet<u64>,
}

/// Routes RPCs between the `Raft` instances registered with it.
#[derive(Clone, Default)]
pub struct Router {
    inner: Arc<Mutex<Inner>>,
}

impl Router {
    /// Makes `raft` reachable as node `id`.
    pub fn add(&self, id: u64, raft: Raft) {
        self.inner.lock().unwrap().nodes.insert(id, raft);
    }

    /// Makes node `id` unreachable (as if its machine went away).
    pub fn remove(&self, id: u64) -> Option<Raft> {
        self.inner.lock().unwrap().nodes.remove(&id)
    }

    /// Cuts node `id` off: no RPC reaches it or leaves it.
    pub fn isolate(&self, id: u64) {
        self.inner.lock().unwrap().isolated.insert(id);
    }

    /// Reconnects node `id`.
    pub fn heal(&self, id: u64) {
        self.inner.lock().unwrap().isolated.remove(&id);
    }

    /// The network factory node `id` uses to reach the others.
    pub fn network(&self, id: u64) -> Network {
        Network {
            source: id,
            router: self.clone(),
        }
    }

    fn reach(&self, from: u64, to: u64) -> Result<Raft, Unreachable<TypeConfig>> {
        let g = self.inner.lock().unwrap();
        if g.isolated.contains(&from) || g.isolated.contains(&to) {
            return Err(unreachable(from, to, "isolated"));
        }
        g.nodes
            .get(&to)
            .cloned()
            .ok_or_else(|| unreachable(from, to, "not running"))
    }
}

fn unreachable(from: u64, to: u64, why: impl std::fmt::Display) -> Unreachable<TypeConfig> {
    Unreachable::new(&io::Error::new(
        io::ErrorKind::NotConnected,
        format!("node {to} is unreachable from node {from}: {why}"),
    ))
}

/// `RaftNetworkFactory` of one node.
pub struct Network {
    source: u64,
    router: Router,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Connection;

    async fn new_client(&mut self, target: u64, _node: &BasicNode) -> Connection {
        Connection {
            source: self.source,
            target,
            router: self.router.clone(),
        }
    }
}

/// A "connection" from one node to another.
pub struct Connection {
    source: u64,
    target: u64,
    router: Router,
}

impl RaftNetworkV2<TypeConfig> for Connection {
    type SnapshotData = SnapshotData;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        let raft = self.router.reach(self.source, self.target)?;
        // A node that stopped (fatal error, shutdown) is as good as unreachable.
        raft.append_entries(rpc)
            .await
            .map_err(|e| unreachable(self.source, self.target, e).into())
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let raft = self.router.reach(self.source, self.target)?;
        raft.vote(rpc)
            .await
            .map_err(|e| unreachable(self.source, self.target, e).into())
    }

    async fn full_snapshot(
        &mut self,
        vote: VoteOf<TypeConfig>,
        snapshot: SnapshotOf<TypeConfig, SnapshotData>,
        _cancel: impl Future<Output = ReplicationClosed> + Send + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let raft = self.router.reach(self.source, self.target)?;
        raft.install_full_snapshot(vote, snapshot)
            .await
            .map_err(|e| unreachable(self.source, self.target, e).into())
    }
}
