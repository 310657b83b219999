//! The durable anchor of the benchmark: an openraft log store on redb (a pure-Rust embedded
//! B-tree database), laid out like openraft's rocksstore example: one table of entries keyed by
//! index, one of metadata (vote, committed id, last purged id). Every `append`, vote, truncate and
//! purge is one write transaction committed with redb's default durability (`Immediate`: the
//! commit returns after the data reached the disk), and the flush callback fires after that
//! commit.
//!
//! Built only by `make bench` (cargo feature `bench-redb`); not part of the store the crate ships.

// openraft's traits fix the error type (`StorageError`, ~200 bytes); the helpers return the same.
#![allow(clippy::result_large_err)]

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{
    AnyError, Entry, LogId, OptionalSend, RaftLogReader, StorageError, StorageIOError, Vote,
};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::support::kv::TypeConfig;

const LOGS: TableDefinition<u64, &[u8]> = TableDefinition::new("logs");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// redb-backed `RaftLogStorage`; clones share the database.
#[derive(Clone)]
pub struct RedbLogStore {
    db: Arc<Database>,
    /// `append` calls and the entries they carried (each call is one durable commit).
    pub appends: Arc<AtomicU64>,
    pub entries: Arc<AtomicU64>,
    /// openraft allows not persisting the committed id (our store writes it at most once a
    /// second); kept in memory here, which only spares redb work.
    committed: Arc<Mutex<Option<LogId<u64>>>>,
}

fn io_err(e: impl std::fmt::Display) -> StorageError<u64> {
    StorageIOError::write_logs(AnyError::error(e.to_string())).into()
}

/// Commits `txn` durably. The fsync blocks this thread: `block_in_place` lets the runtime's other
/// tasks (the other nodes, the clients) run elsewhere meanwhile, as our store's flusher thread
/// does not hold up the runtime either.
fn commit(txn: redb::WriteTransaction) -> Result<(), StorageError<u64>> {
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

    fn get_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError<u64>> {
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(META).map_err(io_err)?;
        match table.get(key).map_err(io_err)? {
            Some(v) => Ok(Some(serde_json::from_slice(v.value()).map_err(io_err)?)),
            None => Ok(None),
        }
    }

    fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StorageError<u64>> {
        let bytes = serde_json::to_vec(value).map_err(io_err)?;
        let txn = self.db.begin_write().map_err(io_err)?;
        txn.open_table(META)
            .map_err(io_err)?
            .insert(key, bytes.as_slice())
            .map_err(io_err)?;
        commit(txn)
    }

    /// Removes the entries with index in `range` in one durable transaction.
    fn remove(&self, range: impl RangeBounds<u64>) -> Result<(), StorageError<u64>> {
        let txn = self.db.begin_write().map_err(io_err)?;
        {
            let mut table = txn.open_table(LOGS).map_err(io_err)?;
            let keys: Vec<u64> = table
                .range(range)
                .map_err(io_err)?
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()
                .map_err(io_err)?;
            for k in keys {
                table.remove(k).map_err(io_err)?;
            }
        }
        commit(txn)
    }
}

impl RaftLogReader<TypeConfig> for RedbLogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<u64>> {
        let start = match range.start_bound() {
            Bound::Included(&s) => Bound::Included(s),
            Bound::Excluded(&s) => Bound::Excluded(s),
            Bound::Unbounded => Bound::Unbounded,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => Bound::Included(e),
            Bound::Excluded(&e) => Bound::Excluded(e),
            Bound::Unbounded => Bound::Unbounded,
        };
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(LOGS).map_err(io_err)?;
        let mut out = Vec::new();
        for row in table.range::<u64>((start, end)).map_err(io_err)? {
            let (_, v) = row.map_err(io_err)?;
            out.push(serde_json::from_slice(v.value()).map_err(io_err)?);
        }
        Ok(out)
    }
}

impl RaftLogStorage<TypeConfig> for RedbLogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        let last_purged: Option<LogId<u64>> = self.get_meta("last_purged")?;
        let last = {
            let txn = self.db.begin_read().map_err(io_err)?;
            let table = txn.open_table(LOGS).map_err(io_err)?;
            match table.last().map_err(io_err)? {
                Some((_, v)) => {
                    let e: Entry<TypeConfig> = serde_json::from_slice(v.value()).map_err(io_err)?;
                    Some(e.log_id)
                }
                None => None,
            }
        };
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id: last.or(last_purged),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        self.put_meta("vote", vote)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        self.get_meta("vote")
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<u64>>,
    ) -> Result<(), StorageError<u64>> {
        *self.committed.lock().unwrap() = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>, StorageError<u64>> {
        Ok(*self.committed.lock().unwrap())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let txn = self.db.begin_write().map_err(io_err)?;
        let mut n = 0;
        {
            let mut table = txn.open_table(LOGS).map_err(io_err)?;
            for e in entries {
                let bytes = serde_json::to_vec(&e).map_err(io_err)?;
                table
                    .insert(e.log_id.index, bytes.as_slice())
                    .map_err(io_err)?;
                n += 1;
            }
        }
        // Durable on return (redb's default durability), as the rocksstore example syncs.
        commit(txn)?;
        self.appends.fetch_add(1, Ordering::Relaxed);
        self.entries.fetch_add(n, Ordering::Relaxed);
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        self.remove(log_id.index..)
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        self.put_meta("last_purged", &log_id)?;
        self.remove(..=log_id.index)
    }
}
