//! The auto-commit helper: iteration from a cursor that commits as it goes, for the simple
//! consumer (`for record in cursor.auto_commit(100)? { process(record?) }`).

use std::time::Duration;

use super::Cursor;
use crate::error::{Error, Result};
use crate::log::Iter;
use crate::record::Record;

/// Records from where a cursor resumes, committed as they are processed; see
/// [`Cursor::auto_commit`].
#[derive(Debug)]
pub struct AutoCommit<'a> {
    cursor: &'a Cursor,
    iter: Iter,
    every: u64,
    /// The offset after the last record handed out, and whether asking for the next has
    /// counted it as processed yet.
    handed: Option<(u64, bool)>,
    /// Records counted as processed since the last commit.
    uncommitted: u64,
    /// The position this helper committed last.
    committed: Option<u64>,
}

impl Cursor {
    /// Iterates from where the cursor resumes and commits as it goes: asking for the next
    /// record counts the one handed out before as processed, and every `every` processed
    /// records (at least 1) their position is committed. At least once: after a crash, up to
    /// `every` records are given again. Dropping it commits nothing (the last record handed
    /// out may not have been processed): call [`AutoCommit::commit`] when done.
    pub fn auto_commit(&self, every: u64) -> Result<AutoCommit<'_>> {
        if every == 0 {
            return Err(Error::InvalidArgument(
                "auto_commit: every must be at least 1".into(),
            ));
        }
        Ok(AutoCommit {
            cursor: self,
            iter: self.iter()?,
            every,
            handed: None,
            uncommitted: 0,
            committed: None,
        })
    }
}

impl AutoCommit<'_> {
    /// The next record, waiting up to `timeout` (`None`: forever) for it to be appended, as
    /// [`Iter::next_timeout`]; first counts the record handed out before as processed.
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Record>> {
        self.count_processed()?;
        let record = self.iter.next_timeout(timeout)?;
        if let Some(r) = &record {
            self.handed_out(r);
        }
        Ok(record)
    }

    /// Commits the position after every record handed out so far (all of them processed).
    pub fn commit(&mut self) -> Result<()> {
        if let Some((after, _)) = self.handed {
            self.handed = Some((after, true));
            self.commit_at(after)?;
        }
        Ok(())
    }

    fn commit_at(&mut self, after: u64) -> Result<()> {
        if self.committed != Some(after) {
            self.cursor.commit(after)?;
            self.committed = Some(after);
        }
        self.uncommitted = 0;
        Ok(())
    }

    fn count_processed(&mut self) -> Result<()> {
        if let Some((after, false)) = self.handed {
            self.handed = Some((after, true));
            self.uncommitted += 1;
            if self.uncommitted >= self.every {
                self.commit_at(after)?;
            }
        }
        Ok(())
    }

    fn handed_out(&mut self, record: &Record) {
        self.handed = Some((record.offset + 1, false));
    }
}

impl Iterator for AutoCommit<'_> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.count_processed() {
            return Some(Err(e));
        }
        let item = self.iter.next()?;
        if let Ok(r) = &item {
            self.handed_out(r);
        }
        Some(item)
    }
}
