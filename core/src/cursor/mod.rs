//! Named durable cursors: a consumer's committed position, kept in the log directory so that
//! it resumes where it left off after a crash, in any process.
//!
//! One concept a file: `name` (which names are allowed), `file` (the two-slot file and its
//! durable commit), `auto_commit` (iteration that commits as it goes), and here the API on
//! [`Log`].
//!
//! A cursor's position is the offset of the next record to process. The pattern is
//! at-least-once: iterate from the cursor, process, then commit the offset after the last
//! record processed; a crash between processing and committing gives those records again.

mod auto_commit;
mod file;
mod name;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::format::MAX_OFFSET;
use crate::log::{Iter, Log};

pub use auto_commit::{AutoCommit, CommitTally};
pub(crate) use file::SUFFIX;
use file::{CursorFile, Slot};
pub use name::MAX_NAME_LEN;
use name::validate;

/// Where a new cursor starts (an existing one keeps its committed position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorStart {
    /// At the lowest offset the log holds: every record still there.
    Lowest,
    /// At the next offset: only records appended from now on.
    Next,
    /// At this offset (at most `next_offset`; below `lowest_offset` it resumes at the lowest).
    Offset(u64),
    /// At the first record appended at or after this time (ms since the Unix epoch).
    Time(u64),
}

/// A cursor's committed position and where reading resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorPosition {
    /// The cursor's name.
    pub name: String,
    /// The committed position: the offset of the next record to process.
    pub committed: u64,
    /// Where reading resumes: `committed`, raised to `lowest_offset` if retention or
    /// `truncate_front` dropped records the cursor had not reached, lowered to `next_offset`
    /// if `truncate_back` cut below it.
    pub resume: u64,
    /// Records dropped before the cursor processed them: `resume - committed` when resuming
    /// above the committed position, else 0.
    pub skipped: u64,
    /// Records appended that the cursor has not reached: `next_offset - resume`.
    pub lag: u64,
    /// Commits so far (creating the cursor is the first).
    pub commits: u64,
    /// When the position was committed (ms since the Unix epoch).
    pub committed_at_ms: u64,
}

/// A named durable cursor of a log; see [`Log::cursor`].
///
/// `Send + Sync`. Commits from several threads, handles or processes are serialised; the last
/// one wins. A cursor deleted by another handle fails with [`Error::CursorNotFound`].
#[derive(Debug)]
pub struct Cursor {
    log: Log,
    name: String,
    file: CursorFile,
    created: bool,
}

impl Log {
    fn cursor_path(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}{SUFFIX}"))
    }

    /// Opens the cursor `name`, creating it at `start` if it does not exist (durably: its
    /// file and directory entry are synced before this returns). `start` is ignored for a
    /// cursor that exists; [`Cursor::created`] tells which happened.
    ///
    /// Works on a `read_only` log too: a cursor file is the one thing a read-only handle
    /// writes. Names are 1 to [`MAX_NAME_LEN`] bytes of ASCII letters, digits, `-`, `_` and
    /// `.`, not starting with `.` (else [`Error::InvalidArgument`]).
    pub fn cursor(&self, name: &str, start: CursorStart) -> Result<Cursor> {
        validate(name)?;
        self.check_open()?;
        let path = self.cursor_path(name);
        // A concurrent delete may remove the file between opening and locking it: then open
        // again (a few times; a delete loop in another process could otherwise starve us).
        for _ in 0..16 {
            let file = CursorFile::open_or_create(&path, name)?;
            if let Some((_, created)) = file.initialize(self.dir(), || self.start_at(start))? {
                return Ok(Cursor {
                    log: self.clone(),
                    name: name.to_owned(),
                    file,
                    created,
                });
            }
        }
        Err(Error::io(
            format!("creating cursor {name:?}: deleted by another handle at every try"),
            std::io::Error::from(std::io::ErrorKind::Interrupted),
        ))
    }

    /// Opens the existing cursor `name`; [`Error::CursorNotFound`] if there is none.
    pub fn open_cursor(&self, name: &str) -> Result<Cursor> {
        validate(name)?;
        self.check_open()?;
        let not_found = || Error::CursorNotFound {
            name: name.to_owned(),
        };
        let file = CursorFile::open(&self.cursor_path(name), name)?.ok_or_else(not_found)?;
        // Fails with CursorNotFound if its creation never completed.
        file.load()?;
        Ok(Cursor {
            log: self.clone(),
            name: name.to_owned(),
            file,
            created: false,
        })
    }

    /// The names of the log's cursors, sorted.
    pub fn cursor_names(&self) -> Result<Vec<String>> {
        self.check_open()?;
        let dir = self.dir();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("listing cursors in {}", dir.display()), e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::io(format!("listing cursors in {}", dir.display()), e))?;
            let Some(name) = entry
                .file_name()
                .to_str()
                .and_then(|f| f.strip_suffix(SUFFIX))
                .filter(|n| validate(n).is_ok())
                .map(str::to_owned)
            else {
                continue;
            };
            // A file whose creation never completed is no cursor.
            match CursorFile::open(&entry.path(), &name)?.map(|f| f.load()) {
                None | Some(Err(Error::CursorNotFound { .. })) => {}
                Some(_) => names.push(name),
            }
        }
        names.sort();
        Ok(names)
    }

    /// Deletes the cursor `name` (after any commit under way); [`Error::CursorNotFound`] if
    /// there is none. Handles still open on it fail with `CursorNotFound` from then on.
    pub fn delete_cursor(&self, name: &str) -> Result<()> {
        validate(name)?;
        self.check_open()?;
        let not_found = || Error::CursorNotFound {
            name: name.to_owned(),
        };
        let file = CursorFile::open(&self.cursor_path(name), name)?.ok_or_else(not_found)?;
        file.remove(self.dir())
    }

    fn start_at(&self, start: CursorStart) -> Result<u64> {
        match start {
            CursorStart::Lowest => self.lowest_offset(),
            CursorStart::Next => self.next_offset(),
            CursorStart::Offset(o) => self.check_position(o).map(|()| o),
            CursorStart::Time(ms) => self.offset_at_time(ms),
        }
    }

    /// A position a cursor may hold: at most `next_offset` (a position past the end names a
    /// record that does not exist yet, most likely a mistake).
    fn check_position(&self, position: u64) -> Result<()> {
        let next = self.next_offset()?;
        if position > next || position > MAX_OFFSET {
            return Err(Error::OutOfRange {
                offset: position,
                lowest: self.lowest_offset()?,
                next,
            });
        }
        Ok(())
    }
}

/// The lowest committed position of the cursors in `dir` (`None` without any readable one):
/// what retention must keep (`Options::retention_cursor_cap_bytes`).
pub(crate) fn lowest_committed(dir: &std::path::Path) -> Option<u64> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .filter_map(|entry| {
            let file_name = entry.file_name();
            let name = file_name.to_str()?.strip_suffix(SUFFIX)?;
            validate(name).ok()?;
            let file = CursorFile::open(&entry.path(), name).ok()??;
            file.load().ok().map(|slot| slot.position)
        })
        .min()
}

impl Cursor {
    /// The cursor's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether [`Log::cursor`] created this cursor (false: it existed).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The committed position (read from the file: commits by other processes show) and
    /// where reading resumes.
    pub fn position(&self) -> Result<CursorPosition> {
        self.log.check_open()?;
        let slot = self.file.load()?;
        self.position_of(slot)
    }

    fn position_of(&self, slot: Slot) -> Result<CursorPosition> {
        let (lowest, next) = (self.log.lowest_offset()?, self.log.next_offset()?);
        let resume = slot.position.clamp(lowest, next);
        Ok(CursorPosition {
            name: self.name.clone(),
            committed: slot.position,
            resume,
            skipped: resume.saturating_sub(slot.position),
            lag: next - resume,
            commits: slot.seq,
            committed_at_ms: slot.time_ms,
        })
    }

    /// Iterates from where the cursor resumes ([`CursorPosition::resume`]); use
    /// [`Iter::next_timeout`] to tail. Iterating commits nothing: call [`Cursor::commit`]
    /// with the offset after the last record processed.
    pub fn iter(&self) -> Result<Iter> {
        Ok(self.log.iter(self.position()?.resume))
    }

    /// Commits `position` (the offset of the next record to process, at most
    /// `next_offset`) durably: when this returns it survives a crash and a power cut, and a
    /// crash during it leaves the previous or the new position. Costs one `fdatasync`. A
    /// position may go back (to process records again).
    pub fn commit(&self, position: u64) -> Result<()> {
        self.log.check_open()?;
        self.log.check_position(position)?;
        self.file.commit(position).map(|_| ())
    }
}
