//! The auto-commit helper: iteration from a cursor that commits as it goes, for the simple
//! consumer (`for record in cursor.auto_commit(100)? { process(record?) }`).
//!
//! [`CommitTally`] is its bookkeeping alone (what was handed out, what counts as processed,
//! when to commit), so that the language bindings, which hold the cursor and the iterator in
//! their own ways, commit exactly as [`AutoCommit`] does.

use std::time::Duration;

use super::Cursor;
use crate::error::{Error, Result};
use crate::log::Iter;
use crate::record::Record;

/// When an auto-committing consumer commits: a record handed out counts as processed once
/// the next one is asked for, and every `every` processed records their position is
/// committed. Used by [`AutoCommit`]; public for callers that keep the cursor and the
/// iteration themselves (call [`CommitTally::before_next`] before asking for each record and
/// [`CommitTally::handed_out`] with each record handed out).
#[derive(Debug, Clone)]
pub struct CommitTally {
    every: u64,
    /// The offset after the last record handed out, and whether asking for the next has
    /// counted it as processed yet.
    handed: Option<(u64, bool)>,
    /// Records counted as processed since the last commit.
    uncommitted: u64,
    /// The position committed last through this tally.
    committed: Option<u64>,
}

impl CommitTally {
    /// A tally that commits every `every` processed records (at least 1, else
    /// [`Error::InvalidArgument`]).
    pub fn new(every: u64) -> Result<CommitTally> {
        if every == 0 {
            return Err(Error::InvalidArgument(
                "auto_commit: every must be at least 1".into(),
            ));
        }
        Ok(CommitTally {
            every,
            handed: None,
            uncommitted: 0,
            committed: None,
        })
    }

    /// Before the next record is asked for: counts the one handed out before as processed
    /// and commits through `cursor` once `every` are.
    pub fn before_next(&mut self, cursor: &Cursor) -> Result<()> {
        match self.count_before_next() {
            Some(position) => self.commit_now(cursor, position),
            None => Ok(()),
        }
    }

    /// A record at `offset` was handed out.
    pub fn handed_out(&mut self, offset: u64) {
        self.handed = Some((offset + 1, false));
    }

    /// Commits the position after every record handed out so far (all of them processed).
    pub fn commit(&mut self, cursor: &Cursor) -> Result<()> {
        match self.due_now() {
            Some(position) => self.commit_now(cursor, position),
            None => Ok(()),
        }
    }

    /// [`CommitTally::before_next`] for a caller that commits by itself (off its main thread,
    /// say): counts the record handed out before as processed and returns the position to
    /// commit when one is due; call [`CommitTally::committed`] once that commit returned.
    pub fn count_before_next(&mut self) -> Option<u64> {
        let (after, false) = self.handed? else {
            return None;
        };
        self.handed = Some((after, true));
        self.uncommitted += 1;
        (self.uncommitted >= self.every).then_some(after)
    }

    /// [`CommitTally::commit`] for a caller that commits by itself: counts every record handed
    /// out as processed and returns the position after them, unless committed already.
    pub fn due_now(&mut self) -> Option<u64> {
        let (after, _) = self.handed?;
        self.handed = Some((after, true));
        if self.committed == Some(after) {
            self.uncommitted = 0;
            return None;
        }
        Some(after)
    }

    /// `position`, which this tally returned, was committed.
    pub fn committed(&mut self, position: u64) {
        self.committed = Some(position);
        self.uncommitted = 0;
    }

    fn commit_now(&mut self, cursor: &Cursor, position: u64) -> Result<()> {
        cursor.commit(position)?;
        self.committed(position);
        Ok(())
    }
}

/// Records from where a cursor resumes, committed as they are processed; see
/// [`Cursor::auto_commit`].
#[derive(Debug)]
pub struct AutoCommit<'a> {
    cursor: &'a Cursor,
    iter: Iter,
    tally: CommitTally,
}

impl Cursor {
    /// Iterates from where the cursor resumes and commits as it goes: asking for the next
    /// record counts the one handed out before as processed, and every `every` processed
    /// records (at least 1) their position is committed. At least once: after a crash, up to
    /// `every` records are given again. Dropping it commits nothing (the last record handed
    /// out may not have been processed): call [`AutoCommit::commit`] when done.
    pub fn auto_commit(&self, every: u64) -> Result<AutoCommit<'_>> {
        let tally = CommitTally::new(every)?;
        Ok(AutoCommit {
            cursor: self,
            iter: self.iter()?,
            tally,
        })
    }
}

impl AutoCommit<'_> {
    /// The next record, waiting up to `timeout` (`None`: forever) for it to be appended, as
    /// [`Iter::next_timeout`]; first counts the record handed out before as processed.
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Record>> {
        self.tally.before_next(self.cursor)?;
        let record = self.iter.next_timeout(timeout)?;
        if let Some(r) = &record {
            self.tally.handed_out(r.offset);
        }
        Ok(record)
    }

    /// Commits the position after every record handed out so far (all of them processed).
    pub fn commit(&mut self) -> Result<()> {
        self.tally.commit(self.cursor)
    }
}

impl Iterator for AutoCommit<'_> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.tally.before_next(self.cursor) {
            return Some(Err(e));
        }
        let item = self.iter.next()?;
        if let Ok(r) = &item {
            self.tally.handed_out(r.offset);
        }
        Some(item)
    }
}
