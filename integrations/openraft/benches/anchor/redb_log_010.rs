//! The benchmark's durable anchor (`redb_log.rs`) for openraft 0.10: an openraft 0.10 log store
//! on redb with the same layout (one table of entries keyed by index, one of metadata) and the
//! same durability: every `append`, vote, truncation and purge is one write transaction committed
//! with redb's default durability (the commit returns after the data reached the disk), and the
//! flush callback fires after that commit, on the task that called `append`. So unlike our store
//! it does not overlap a flush with openraft's next append: it is what a store written the
//! rocksstore example's way does on 0.10.
//!
//! Built only by `make bench-openraft-010` (cargo feature `bench-redb`).

use std::fmt::Debug;
use std::io;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use openraft_010::OptionalSend;
use openraft_010::entry::RaftEntry;
use openraft_010::storage::{IOFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft_010::type_config::alias::{LogIdOf, VoteOf};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::support010::kv::{Entry, TypeConfig};

const LOGS: TableDefinition<u64, &[u8]> = TableDefinition::new("logs");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// redb-backed openraft 0.10 `RaftLogStorage`; clones share the database.
#[derive(Clone)]
pub struct RedbLogStore {
    db: Arc<Database>,
    /// `append` calls and the entries they carried (each call is one durable commit).
    pub appends: Arc<AtomicU64>,
    pub entries: Arc<AtomicU64>,
    /// openraft allows not persisting the committed id; kept in memory, as in `redb_log.rs`.
    committed: Arc<Mutex<Option<LogIdOf<TypeConfig>>>>,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Commits `txn` durably; `block_in_place` lets the runtime's other tasks run meanwhile.
fn commit(txn: redb::WriteTransaction) -> io::Result<()> {
    tokio::task::block_in_place(|| txn.commit()).map_err(io_err)
}

impl RedbLogStore {
    pub fn open(path: &Path) -> Self {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let db = Database::create(path).expect("open redb");
        let txn = db.begin_write().unwrap();
        txn.open_table(LOGS).unwrap();
        txn.open_table(META).unwrap();
        txn.commit().unwrap();
        RedbLogStore {
            db: Arc::new(db),
            appends: Arc::default(),
            entries: Arc::default(),
            committed: Arc::default(),
        }
    }

    fn get_meta<T: DeserializeOwned>(&self, key: &str) -> io::Result<Option<T>> {
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(META).map_err(io_err)?;
        match table.get(key).map_err(io_err)? {
            Some(v) => Ok(Some(serde_json::from_slice(v.value())?)),
            None => Ok(None),
        }
    }

    fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> io::Result<()> {
        let bytes = serde_json::to_vec(value)?;
        let txn = self.db.begin_write().map_err(io_err)?;
        txn.open_table(META)
            .map_err(io_err)?
            .insert(key, bytes.as_slice())
            .map_err(io_err)?;
        commit(txn)
    }

    /// Removes the entries with index in `range` in one durable transaction.
    fn remove(&self, range: impl RangeBounds<u64> + 'static) -> io::Result<()> {
        let txn = self.db.begin_write().map_err(io_err)?;
        {
            let mut table = txn.open_table(LOGS).map_err(io_err)?;
            table.retain_in(range, |_, _| false).map_err(io_err)?;
        }
        commit(txn)
    }
}

impl RaftLogReader<TypeConfig> for RedbLogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(LOGS).map_err(io_err)?;
        let mut out = Vec::new();
        for row in table.range(range).map_err(io_err)? {
            let (_, v) = row.map_err(io_err)?;
            out.push(serde_json::from_slice(v.value())?);
        }
        Ok(out)
    }

    async fn read_vote(&mut self) -> Result<Option<VoteOf<TypeConfig>>, io::Error> {
        self.get_meta("vote")
    }
}

impl RaftLogStorage<TypeConfig> for RedbLogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, io::Error> {
        let last_purged: Option<LogIdOf<TypeConfig>> = self.get_meta("last_purged")?;
        let last = {
            let txn = self.db.begin_read().map_err(io_err)?;
            let table = txn.open_table(LOGS).map_err(io_err)?;
            match table.last().map_err(io_err)? {
                Some((_, v)) => Some(serde_json::from_slice::<Entry>(v.value())?.log_id()),
                None => None,
            }
        };
        Ok(LogState {
            last_log_id: last.or(last_purged),
            last_purged_log_id: last_purged,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &VoteOf<TypeConfig>) -> Result<(), io::Error> {
        self.put_meta("vote", vote)
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogIdOf<TypeConfig>>,
    ) -> Result<(), io::Error> {
        *self.committed.lock().unwrap() = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogIdOf<TypeConfig>>, io::Error> {
        Ok(*self.committed.lock().unwrap())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: IOFlushed<TypeConfig>,
    ) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let txn = self.db.begin_write().map_err(io_err)?;
        let mut n = 0;
        {
            let mut table = txn.open_table(LOGS).map_err(io_err)?;
            for e in entries {
                n += 1;
                let bytes = serde_json::to_vec(&e)?;
                table
                    .insert(e.log_id().index, bytes.as_slice())
                    .map_err(io_err)?;
            }
        }
        // Durable on return (redb's default durability), as the rocksstore example syncs.
        commit(txn)?;
        self.appends.fetch_add(1, Ordering::Relaxed);
        self.entries.fetch_add(n, Ordering::Relaxed);
        callback.io_completed(Ok(()));
        Ok(())
    }

    async fn truncate_after(
        &mut self,
        last_log_id: Option<LogIdOf<TypeConfig>>,
    ) -> Result<(), io::Error> {
        self.remove(last_log_id.map_or(0, |l| l.index + 1)..)
    }

    async fn purge(&mut self, log_id: LogIdOf<TypeConfig>) -> Result<(), io::Error> {
        self.put_meta("last_purged", &log_id)?;
        self.remove(..=log_id.index)
    }
}
