//! The openraft 0.9 traits: `RaftLogReader` and `RaftLogStorage` (storage-v2) for [`LogStore`].

use std::fmt::Debug;
use std::ops::RangeBounds;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{
    ErrorSubject, ErrorVerb, LogId, OptionalSend, RaftLogId, RaftLogReader, RaftTypeConfig,
    StorageError, StorageIOError, Vote,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{self, read_at, read_logs, write_logs};
use crate::shared::Fail;
use crate::store::LogStore;

/// A store failure as openraft 0.9's `StorageError`, with the subject and verb it always had.
fn storage_error<NID: openraft::NodeId>(fail: Fail<LogId<NID>>) -> StorageError<NID> {
    match fail {
        Fail::ReadLogs(e) => read_logs(e),
        Fail::ReadAt(index, e) => read_at(index, e),
        Fail::Vanished(index) => read_at(index, std::io::Error::other("last entry vanished")),
        Fail::DecodeAt(index, e) => read_at(index, e),
        Fail::Hole { log_id, expected } => StorageIOError::new(
            ErrorSubject::Log(log_id.clone()),
            ErrorVerb::Write,
            openraft::AnyError::error(format!(
                "entry {log_id} would leave a hole: the next index is {expected}"
            )),
        )
        .into(),
        Fail::Encode { log_id, source } => {
            StorageIOError::write_log_entry(log_id, openraft::AnyError::new(&source)).into()
        }
        Fail::WriteLogs(e) => write_logs(e),
        Fail::WriteLogsIo(e) => write_logs(e),
        Fail::WriteMeta(e) => error::write_meta(e),
    }
}

impl<C: RaftTypeConfig> RaftLogReader<C> for LogStore<C>
where
    C::Entry: Serialize + DeserializeOwned,
{
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<C::Entry>, StorageError<C::NodeId>> {
        self.shared.entries(range).map_err(storage_error)
    }
}

impl<C: RaftTypeConfig> RaftLogStorage<C> for LogStore<C>
where
    C::Entry: Serialize + DeserializeOwned,
{
    type LogReader = LogStore<C>;

    async fn get_log_state(&mut self) -> Result<LogState<C>, StorageError<C::NodeId>> {
        let (last_purged_log_id, last_log_id) = self
            .shared
            .log_state(|e: &C::Entry| e.get_log_id().clone())
            .map_err(storage_error)?;
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        // Written by the flusher after a log sync: never durable before earlier appends.
        self.shared
            .save_vote(vote.clone())
            .await
            .map_err(error::write_vote)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<C::NodeId>>, StorageError<C::NodeId>> {
        Ok(self.shared.meta().vote.clone())
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<C::NodeId>>,
    ) -> Result<(), StorageError<C::NodeId>> {
        self.shared.note_committed(committed);
        Ok(())
    }

    async fn read_committed(
        &mut self,
    ) -> Result<Option<LogId<C::NodeId>>, StorageError<C::NodeId>> {
        Ok(self.shared.meta().committed.clone())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<C>,
    ) -> Result<(), StorageError<C::NodeId>>
    where
        I: IntoIterator<Item = C::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        self.shared
            .append(
                entries,
                |e: &C::Entry| e.get_log_id().clone(),
                Box::new(move |result| callback.log_io_completed(result)),
            )
            .map_err(storage_error)
    }

    async fn truncate(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        self.shared
            .truncate_from(log_id.index, &log_id)
            .await
            .map_err(storage_error)
    }

    async fn purge(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        self.shared.purge(log_id).await.map_err(storage_error)
    }
}
