//! A tiny replicated key-value state machine: the application the cluster tests, the example and
//! the benchmark run on top of the log store.
//!
//! It keeps its data in memory and persists only snapshots (to `snapshot.json` in its directory),
//! which is what openraft calls "an implementation with persistent snapshot": after a restart the
//! state machine starts from its last snapshot and openraft re-applies later entries from the log.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    AnyError, BasicNode, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership,
};
use serde::{Deserialize, Serialize};

openraft::declare_raft_types!(
    /// Types of the key-value cluster.
    pub TypeConfig:
        D = Request,
        R = Response,
        NodeId = u64,
        Node = BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A write to the key-value store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Sets `key` to `value`.
    Set { key: String, value: String },
    /// Several writes in one raft entry, applied in order (the benchmark's batching clients).
    Batch(Vec<Request>),
}

impl Request {
    pub fn set(key: impl Into<String>, value: impl Into<String>) -> Self {
        Request::Set {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The answer to a write: the value the key held before.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Response {
    pub previous: Option<String>,
}

/// The state: what was applied last, the membership, the keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvData {
    pub last_applied: Option<LogId<u64>>,
    pub last_membership: StoredMembership<u64, BasicNode>,
    pub kv: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSnapshot {
    meta: SnapshotMeta<u64, BasicNode>,
    data: Vec<u8>,
}

#[derive(Debug)]
struct Inner {
    data: KvData,
    snapshot: Option<StoredSnapshot>,
    snapshots_built: u64,
}

/// The state machine; clones share it (the tests read it while raft writes it).
#[derive(Debug, Clone)]
pub struct KvStateMachine {
    inner: Arc<Mutex<Inner>>,
    snapshot_path: PathBuf,
}

fn sm_err(e: impl std::error::Error + 'static) -> StorageError<u64> {
    StorageIOError::write_state_machine(AnyError::new(&e)).into()
}

impl KvStateMachine {
    /// Opens the state machine kept in `dir`: its last snapshot, if any.
    pub fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let snapshot_path = dir.join("snapshot.json");
        let (data, snapshot) = match fs::read(&snapshot_path) {
            Ok(bytes) => {
                let snap: StoredSnapshot = serde_json::from_slice(&bytes)?;
                (serde_json::from_slice(&snap.data)?, Some(snap))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => (KvData::default(), None),
            Err(e) => return Err(e),
        };
        Ok(KvStateMachine {
            inner: Arc::new(Mutex::new(Inner {
                data,
                snapshot,
                snapshots_built: 0,
            })),
            snapshot_path,
        })
    }

    /// A copy of the current state.
    pub fn data(&self) -> KvData {
        self.inner.lock().unwrap().data.clone()
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<String> {
        self.inner.lock().unwrap().data.kv.get(key).cloned()
    }

    fn persist(&self, snap: &StoredSnapshot) -> io::Result<()> {
        let tmp = self.snapshot_path.with_extension("json.tmp");
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(snap)?)?;
        f.sync_all()?;
        fs::rename(&tmp, &self.snapshot_path)?;
        if let Some(dir) = self.snapshot_path.parent() {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

impl RaftSnapshotBuilder<TypeConfig> for KvStateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        let snap = {
            let mut g = self.inner.lock().unwrap();
            g.snapshots_built += 1;
            let data = serde_json::to_vec(&g.data).map_err(sm_err)?;
            let last = g.data.last_applied;
            let snapshot_id = format!(
                "{}-{}",
                last.map_or("none".to_string(), |l| l.to_string()),
                g.snapshots_built
            );
            let meta = SnapshotMeta {
                last_log_id: last,
                last_membership: g.data.last_membership.clone(),
                snapshot_id,
            };
            StoredSnapshot { meta, data }
        };
        self.persist(&snap).map_err(sm_err)?;
        self.inner.lock().unwrap().snapshot = Some(snap.clone());
        Ok(Snapshot {
            meta: snap.meta,
            snapshot: Box::new(Cursor::new(snap.data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for KvStateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, BasicNode>), StorageError<u64>> {
        let g = self.inner.lock().unwrap();
        Ok((g.data.last_applied, g.data.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError<u64>>
    where
        I: IntoIterator<Item = openraft::Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let mut g = self.inner.lock().unwrap();
        let mut replies = Vec::new();
        for entry in entries {
            g.data.last_applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => replies.push(Response::default()),
                EntryPayload::Normal(Request::Set { key, value }) => {
                    let previous = g.data.kv.insert(key, value);
                    replies.push(Response { previous });
                }
                EntryPayload::Normal(Request::Batch(writes)) => {
                    for w in writes {
                        if let Request::Set { key, value } = w {
                            g.data.kv.insert(key, value);
                        }
                    }
                    replies.push(Response::default());
                }
                EntryPayload::Membership(m) => {
                    g.data.last_membership = StoredMembership::new(Some(entry.log_id), m);
                    replies.push(Response::default());
                }
            }
        }
        Ok(replies)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let snap = StoredSnapshot {
            meta: meta.clone(),
            data: snapshot.into_inner(),
        };
        let data: KvData = serde_json::from_slice(&snap.data).map_err(sm_err)?;
        self.persist(&snap).map_err(sm_err)?;
        let mut g = self.inner.lock().unwrap();
        g.data = data;
        g.snapshot = Some(snap);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        let g = self.inner.lock().unwrap();
        Ok(g.snapshot.as_ref().map(|s| Snapshot {
            meta: s.meta.clone(),
            snapshot: Box::new(Cursor::new(s.data.clone())),
        }))
    }
}
