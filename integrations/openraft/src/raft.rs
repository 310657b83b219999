//! The openraft traits: `RaftLogReader` and `RaftLogStorage` (storage-v2) for [`LogStore`].

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{
    ErrorSubject, ErrorVerb, LogId, OptionalSend, RaftLogId, RaftLogReader, RaftTypeConfig,
    StorageError, StorageIOError, Vote,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use segmentlog::Options;

use crate::error::{self, read_at, write_logs};
use crate::store::LogStore;

impl<C: RaftTypeConfig> LogStore<C>
where
    C::Entry: Serialize + DeserializeOwned,
{
    /// Reads and decodes the entry at `index`; `Ok(None)` if the log does not hold it.
    fn read_entry(&self, index: u64) -> Result<Option<C::Entry>, StorageError<C::NodeId>> {
        match self
            .log()
            .read_with(index, |r| serde_json::from_slice::<C::Entry>(r.value))
        {
            Ok(Ok(entry)) => Ok(Some(entry)),
            Ok(Err(e)) => Err(read_at(index, e)),
            Err(segmentlog::Error::OutOfRange { .. }) => Ok(None),
            Err(e) => Err(read_at(index, e)),
        }
    }

    /// Appends encoded entries in as few `append_batch` calls as the segment size allows.
    fn append_encoded(&self, values: &[Vec<u8>]) -> Result<(), StorageError<C::NodeId>> {
        let (max_bytes, max_records) = self.max_batch();
        let mut start = 0;
        while start < values.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < values.len() {
                let add = Options::record_bytes(values[end].len() as u64);
                let full = end - start >= max_records as usize || bytes + add > max_bytes;
                if end > start && full {
                    break;
                }
                bytes += add;
                end += 1;
            }
            self.log()
                .append_batch(&values[start..end])
                .map_err(write_logs)?;
            start = end;
        }
        Ok(())
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
        let (first, next) = self.visible_range()?;
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        }
        .max(first);
        let end = match range.end_bound() {
            Bound::Included(&e) => e.saturating_add(1),
            Bound::Excluded(&e) => e,
            Bound::Unbounded => next,
        }
        .min(next);

        let mut entries = Vec::with_capacity(end.saturating_sub(start) as usize);
        for index in start..end {
            match self.read_entry(index)? {
                Some(entry) => entries.push(entry),
                // Purged meanwhile (below) or truncated meanwhile (above): return what is
                // contiguous.
                None if entries.is_empty() => continue,
                None => break,
            }
        }
        Ok(entries)
    }
}

impl<C: RaftTypeConfig> RaftLogStorage<C> for LogStore<C>
where
    C::Entry: Serialize + DeserializeOwned,
{
    type LogReader = LogStore<C>;

    async fn get_log_state(&mut self) -> Result<LogState<C>, StorageError<C::NodeId>> {
        let meta = self.meta().clone();
        let (start, next) = self.visible_range()?;
        let last_log_id = if next > start {
            let last = self.read_entry(next - 1)?.ok_or_else(|| {
                read_at::<C::NodeId>(next - 1, std::io::Error::other("last entry vanished"))
            })?;
            Some(last.get_log_id().clone())
        } else {
            meta.last_purged.clone()
        };
        Ok(LogState {
            last_purged_log_id: meta.last_purged,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        let mut meta = self.meta().clone();
        meta.vote = Some(vote.clone());
        // Written by the flusher after a log sync: never durable before earlier appends.
        self.write_meta(meta).await.map_err(error::write_vote)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<C::NodeId>>, StorageError<C::NodeId>> {
        Ok(self.meta().vote.clone())
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<C::NodeId>>,
    ) -> Result<(), StorageError<C::NodeId>> {
        self.note_committed(committed);
        Ok(())
    }

    async fn read_committed(
        &mut self,
    ) -> Result<Option<LogId<C::NodeId>>, StorageError<C::NodeId>> {
        Ok(self.meta().committed.clone())
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
        let (start, mut next) = self.visible_range()?;
        let purged_below = self.meta().first_visible();
        let mut values = Vec::new();
        let mut appended = 0u64;
        for entry in entries {
            appended += 1;
            let log_id = entry.get_log_id().clone();
            if log_id.index < purged_below {
                // Already purged (covered by a snapshot): nothing to keep. openraft's suite
                // appends such entries after `get_initial_state` purged up to the applied id.
                continue;
            }
            if values.is_empty() && start == next && log_id.index > next && self.may_rebase() {
                // A store that never purged and holds no entry may begin at any index
                // (openraft's suite does this); re-base the empty log there.
                self.log()
                    .truncate_front(log_id.index)
                    .map_err(write_logs)?;
                next = log_id.index;
            }
            let expected = next + values.len() as u64;
            if log_id.index != expected {
                return Err(StorageIOError::new(
                    ErrorSubject::Log(log_id.clone()),
                    ErrorVerb::Write,
                    openraft::AnyError::error(format!(
                        "entry {log_id} would leave a hole: the next index is {expected}"
                    )),
                )
                .into());
            }
            values.push(serde_json::to_vec(&entry).map_err(|e| {
                StorageIOError::write_log_entry(log_id, openraft::AnyError::new(&e))
            })?);
        }
        // Written now (readable at once); made durable by the flusher, which then calls back.
        self.append_encoded(&values)?;
        self.shared.counters.append(appended);
        self.shared
            .flusher
            .flush(Box::new(move |result| callback.log_io_completed(result)));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        let index = log_id.index;
        if index >= self.next_index()? {
            return Ok(());
        }
        let first = self.meta().first_visible();
        if index < first {
            return Err(write_logs(std::io::Error::other(format!(
                "cannot truncate at {log_id}: entries up to {} are purged",
                first - 1
            ))));
        }
        let log = self.log().clone();
        self.after_sync(Box::new(move || {
            log.truncate_back(index).map_err(error::to_io)
        }))
        .await
        .map_err(write_logs)
    }

    async fn purge(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        let mut meta = self.meta().clone();
        if meta.last_purged.as_ref() >= Some(&log_id) {
            return Ok(());
        }
        let index = log_id.index;
        meta.last_purged = Some(log_id);
        // Hide the entries from readers at once; the marker is durable before any segment goes.
        let work_meta = meta.clone();
        *self.meta() = meta;
        self.write_meta(work_meta)
            .await
            .map_err(error::write_meta)?;
        let log = self.log().clone();
        // At or past the end this empties the log and re-bases it: next index = purged + 1.
        self.after_sync(Box::new(move || {
            log.truncate_front(index + 1).map_err(error::to_io)
        }))
        .await
        .map_err(write_logs)
    }
}
