//! The openraft 0.10 traits: `RaftLogReader` and `RaftLogStorage` for [`LogStore`].

use std::fmt::Debug;
use std::io;
use std::ops::RangeBounds;

use openraft_010::entry::RaftEntry;
use openraft_010::storage::{IOFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft_010::type_config::alias::{LogIdOf, VoteOf};
use openraft_010::{OptionalSend, RaftTypeConfig};

use super::LogStore;

impl<C: RaftTypeConfig> RaftLogReader<C> for LogStore<C> {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<C::Entry>, io::Error> {
        self.shared.entries(range).map_err(|f| f.into_io())
    }

    async fn read_vote(&mut self) -> Result<Option<VoteOf<C>>, io::Error> {
        Ok(self.shared.meta().vote.clone())
    }
}

impl<C: RaftTypeConfig> RaftLogStorage<C> for LogStore<C> {
    type LogReader = LogStore<C>;

    async fn get_log_state(&mut self) -> Result<LogState<C>, io::Error> {
        let (last_purged_log_id, last_log_id) = self
            .shared
            .log_state(|e: &C::Entry| e.log_id())
            .map_err(|f| f.into_io())?;
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &VoteOf<C>) -> Result<(), io::Error> {
        // Written by the flusher after a log sync: never durable before earlier appends.
        self.shared.save_vote(vote.clone()).await
    }

    async fn save_committed(&mut self, committed: Option<LogIdOf<C>>) -> Result<(), io::Error> {
        self.shared.note_committed(committed);
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogIdOf<C>>, io::Error> {
        Ok(self.shared.meta().committed.clone())
    }

    async fn append<I>(&mut self, entries: I, callback: IOFlushed<C>) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = C::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        // openraft 0.10 calls this again before the previous callback fired; the flusher's
        // next sync then covers every append queued meanwhile.
        self.shared
            .append(
                entries,
                |e: &C::Entry| e.log_id(),
                Box::new(move |result| callback.io_completed(result)),
            )
            .map_err(|f| f.into_io())
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogIdOf<C>>) -> Result<(), io::Error> {
        let index = last_log_id.as_ref().map_or(0, |l| l.index + 1);
        self.shared
            .truncate_from(index, index)
            .await
            .map_err(|f| f.into_io())
    }

    async fn purge(&mut self, log_id: LogIdOf<C>) -> Result<(), io::Error> {
        self.shared.purge(log_id).await.map_err(|f| f.into_io())
    }
}
