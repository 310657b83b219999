//! An in-process network: a router that hands each RPC straight to the target `Raft` instance
//! (no sockets). Nodes can be cut off (`isolate`) and reconnected (`heal`).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::{Arc, Mutex};

use openraft::error::{InstallSnapshotError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, Raft, RaftNetwork, RaftNetworkFactory};

use super::kv::TypeConfig;

#[derive(Default)]
struct Inner {
    nodes: BTreeMap<u64, Raft<TypeConfig>>,
    isolated: BTreeSet<u64>,
}

/// Routes RPCs between the `Raft` instances registered with it.
#[derive(Clone, Default)]
pub struct Router {
    inner: Arc<Mutex<Inner>>,
}

impl Router {
    /// Makes `raft` reachable as node `id`.
    pub fn add(&self, id: u64, raft: Raft<TypeConfig>) {
        self.inner.lock().unwrap().nodes.insert(id, raft);
    }

    /// Makes node `id` unreachable (as if its machine went away).
    pub fn remove(&self, id: u64) -> Option<Raft<TypeConfig>> {
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

    fn reach(&self, from: u64, to: u64) -> Result<Raft<TypeConfig>, Unreachable> {
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

fn unreachable(from: u64, to: u64, why: &str) -> Unreachable {
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

type RpcResult<T, E = openraft::error::Infallible> =
    Result<T, RPCError<u64, BasicNode, RaftError<u64, E>>>;

impl RaftNetwork<TypeConfig> for Connection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<u64>> {
        let raft = self.router.reach(self.source, self.target)?;
        raft.append_entries(rpc)
            .await
            .map_err(|e| RemoteError::new(self.target, e).into())
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<u64>, InstallSnapshotError> {
        let raft = self.router.reach(self.source, self.target)?;
        raft.install_snapshot(rpc)
            .await
            .map_err(|e| RemoteError::new(self.target, e).into())
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        _option: RPCOption,
    ) -> RpcResult<VoteResponse<u64>> {
        let raft = self.router.reach(self.source, self.target)?;
        raft.vote(rpc)
            .await
            .map_err(|e| RemoteError::new(self.target, e).into())
    }
}
