//! The key-value state machine of `tests/support/kv.rs` for openraft 0.10: data in memory,
//! snapshots persisted to `snapshot.json`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::{Stream, TryStreamExt};
use openraft_010::storage::{EntryResponder, RaftStateMachine};
use openraft_010::type_config::alias::{LogIdOf, SnapshotMetaOf, SnapshotOf, StoredMembershipOf};
use openraft_010::{EntryPayload, OptionalSend, RaftSnapshotBuilder, StoredMembership};
use serde::{Deserialize, Serialize};

openraft_010::declare_raft_types!(
    /// Types of the key-value cluster (openraft 0.10's defaults otherwise: u64 node ids and
    /// terms, `BasicNode`, tokio).
    pub TypeConfig:
        D = Request,
        R = Response,
);

/// The raft handle of a node of this application.
pub type Raft = openraft_010::Raft<TypeConfig, KvStateMachine>;
/// A raft entry of this application.
pub type Entry = openraft_010::type_config::alias::EntryOf<TypeConfig>;
/// The snapshot data.
pub type SnapshotData = Cursor<Vec<u8>>;

/// A write to the key-value store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Sets `key` to `value`.
    Set { key: String, value: String },
}

impl Request {
    pub fn set(key: impl Into<String>, value: impl Into<String>) -> Self {
        Request::Set {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
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
    pub last_applied: Option<LogIdOf<TypeConfig>>,
    pub last_membership: StoredMembershipOf<TypeConfig>,
    pub kv: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSnapshot {
    meta: SnapshotMetaOf<TypeConfig>,
    data: Vec<u8>,
}

#[derive(Debug)]
struct Inner {
    data: KvData,
    snapshot: Option<StoredSnapshot>,
}

/// The state machine; clones share it (the tests read it while raft writes it).
#[derive(Debug, Clone)]
pub struct KvStateMachine {
    inner: Arc<Mutex<Inner>>,
    snapshot_path: PathBuf,
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
            inner: Arc::new(Mutex::new(Inner { data, snapshot })),
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
    type SnapshotData = SnapshotData;

    async fn build_snapshot(&mut self) -> Result<SnapshotOf<TypeConfig, SnapshotData>, io::Error> {
        let snap = {
            let g = self.inner.lock().unwrap();
            let data = serde_json::to_vec(&g.data)?;
            let meta = SnapshotMetaOf::<TypeConfig> {
                last_log_id: g.data.last_applied,
                last_membership: g.data.last_membership.clone(),
            };
            StoredSnapshot { meta, data }
        };
        self.persist(&snap)?;
        self.inner.lock().unwrap().snapshot = Some(snap.clone());
        Ok(SnapshotOf::<TypeConfig, SnapshotData> {
            meta: snap.meta,
            snapshot: Cursor::new(snap.data),
        })
    }
}

impl RaftStateMachine<TypeConfig> for KvStateMachine {
    type SnapshotData = SnapshotData;
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogIdOf<TypeConfig>>, StoredMembershipOf<TypeConfig>), io::Error> {
        let g = self.inner.lock().unwrap();
        Ok((g.data.last_applied, g.data.last_membership.clone()))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>> + Unpin + OptionalSend,
    {
        while let Some((entry, responder)) = entries.try_next().await? {
            let response = {
                let mut g = self.inner.lock().unwrap();
                g.data.last_applied = Some(entry.log_id);
                match entry.payload {
                    EntryPayload::Blank => Response::default(),
                    EntryPayload::Normal(Request::Set { key, value }) => Response {
                        previous: g.data.kv.insert(key, value),
                    },
                    EntryPayload::Membership(m) => {
                        g.data.last_membership = StoredMembership::new(Some(entry.log_id), m);
                        Response::default()
                    }
                }
            };
            if let Some(responder) = responder {
                responder.send(response);
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMetaOf<TypeConfig>,
        snapshot: SnapshotData,
    ) -> Result<(), io::Error> {
        let snap = StoredSnapshot {
            meta: meta.clone(),
            data: snapshot.into_inner(),
        };
        let data: KvData = serde_json::from_slice(&snap.data)?;
        self.persist(&snap)?;
        let mut g = self.inner.lock().unwrap();
        g.data = data;
        g.snapshot = Some(snap);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<SnapshotOf<TypeConfig, SnapshotData>>, io::Error> {
        let g = self.inner.lock().unwrap();
        Ok(g.snapshot
            .as_ref()
            .map(|s| SnapshotOf::<TypeConfig, SnapshotData> {
                meta: s.meta.clone(),
                snapshot: Cursor::new(s.data.clone()),
            }))
    }
}
