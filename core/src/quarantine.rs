//! The quarantine: where recovery and repair put every byte they take out of the log, instead
//! of deleting it.
//!
//! `DIR/quarantine/` holds one file per quarantined item and `MANIFEST`, a text file with one
//! line per item (tab-separated, see [`QuarantineEntry`] for the fields, in that order). An
//! item's file is written and synced before its manifest line, and the manifest line before
//! the log is changed, so a crash at any point leaves the bytes in the quarantine, in the log,
//! or both, never in neither. Only [`purge`] (the operator's `segmentlog quarantine purge`)
//! removes quarantined data.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::lock::DirLock;

/// Name of the quarantine directory inside a log directory.
pub const QUARANTINE_DIR: &str = "quarantine";
/// Name of the manifest inside the quarantine directory.
pub const MANIFEST: &str = "MANIFEST";

/// Why something was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuarantineKind {
    /// Damaged bytes of records that were durable: their offsets are holes.
    Hole,
    /// Bytes past the last record that could have been durable (a torn write, or an append
    /// that was never acknowledged): cut off the end of the log.
    TornTail,
    /// A whole segment file that followed a cut, or whose creation never finished.
    Segment,
    /// A store header that could not be read (the store was kept, with a new header).
    Header,
    /// Segments made obsolete by an interrupted `truncate_front` (the call's own work).
    Obsolete,
}

impl QuarantineKind {
    /// The name used in the manifest and by every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineKind::Hole => "hole",
            QuarantineKind::TornTail => "torn_tail",
            QuarantineKind::Segment => "segment",
            QuarantineKind::Header => "header",
            QuarantineKind::Obsolete => "obsolete",
        }
    }

    fn parse(s: &str) -> Option<QuarantineKind> {
        Some(match s {
            "hole" => QuarantineKind::Hole,
            "torn_tail" => QuarantineKind::TornTail,
            "segment" => QuarantineKind::Segment,
            "header" => QuarantineKind::Header,
            "obsolete" => QuarantineKind::Obsolete,
            _ => return None,
        })
    }
}

impl std::fmt::Display for QuarantineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One quarantined item (one manifest line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineEntry {
    /// Number of the item, unique in this log's quarantine.
    pub id: u64,
    /// When it was quarantined, ms since the Unix epoch.
    pub time_ms: u64,
    /// Why.
    pub kind: QuarantineKind,
    /// Base offset of the segment the bytes came from.
    pub segment: u64,
    /// The file in the log directory they came from.
    pub source: String,
    /// Byte position in `source` where they started.
    pub position: u64,
    /// How many bytes.
    pub bytes: u64,
    /// The offsets whose records were in them (empty when no whole record was).
    pub offsets: Range<u64>,
    /// The item's file in the quarantine directory.
    pub file: String,
    /// What was found.
    pub reason: String,
}

impl QuarantineEntry {
    fn line(&self) -> String {
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            self.id,
            self.time_ms,
            self.kind,
            self.segment,
            clean(&self.source),
            self.position,
            self.bytes,
            self.offsets.start,
            self.offsets.end,
            clean(&self.file),
            clean(&self.reason)
        )
    }

    fn parse(line: &str) -> Option<QuarantineEntry> {
        let f: Vec<&str> = line.splitn(11, '\t').collect();
        if f.len() != 11 {
            return None;
        }
        Some(QuarantineEntry {
            id: f[0].parse().ok()?,
            time_ms: f[1].parse().ok()?,
            kind: QuarantineKind::parse(f[2])?,
            segment: f[3].parse().ok()?,
            source: f[4].to_owned(),
            position: f[5].parse().ok()?,
            bytes: f[6].parse().ok()?,
            offsets: f[7].parse().ok()?..f[8].parse().ok()?,
            file: f[9].to_owned(),
            reason: f[10].to_owned(),
        })
    }
}

/// The path of the quarantine directory of the log in `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(QUARANTINE_DIR)
}

/// Every item in the quarantine of the log in `dir`, oldest first (none if it has none).
/// Safe while a writer has the log open.
pub fn list(dir: &Path) -> Result<Vec<QuarantineEntry>> {
    let manifest = path(dir).join(MANIFEST);
    let text = match fs::read_to_string(&manifest) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", manifest.display()), e)),
    };
    // A line cut short by a crash mid-append is not an entry (its item was not used yet).
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(QuarantineEntry::parse)
        .collect())
}

/// What [`purge`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// The items removed.
    pub removed: Vec<QuarantineEntry>,
    /// Bytes of their files.
    pub bytes: u64,
}

/// Removes quarantined items for good: those whose ids are in `ids`, or all with `None`.
/// Takes the log's writer lock for the duration, so it fails with [`Error::Locked`] while a
/// writer has the log open.
pub fn purge(dir: &Path, ids: Option<&[u64]>) -> Result<PurgeReport> {
    let _lock = DirLock::acquire(dir)?;
    let entries = list(dir)?;
    let qdir = path(dir);
    let (gone, kept): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|e| ids.is_none_or(|ids| ids.contains(&e.id)));
    if let Some(ids) = ids
        && let Some(missing) = ids.iter().find(|id| !gone.iter().any(|e| e.id == **id))
    {
        return Err(Error::InvalidArgument(format!(
            "the quarantine of {} holds no item {missing}",
            dir.display()
        )));
    }
    // The manifest first (written whole, then renamed over the old one): an item is gone
    // from the manifest before its file goes, so no line ever names a file that was purged.
    let tmp = qdir.join("MANIFEST.tmp");
    let manifest = qdir.join(MANIFEST);
    if manifest.exists() {
        let mut text = String::from(HEADER_LINE);
        for e in &kept {
            text.push_str(&e.line());
        }
        write_synced(&tmp, text.as_bytes())?;
        fs::rename(&tmp, &manifest).context(|| format!("replacing {}", manifest.display()))?;
        crate::recovery::sync_dir(&qdir)?;
    }
    let mut report = PurgeReport::default();
    for e in gone {
        let f = qdir.join(&e.file);
        report.bytes += fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        match fs::remove_file(&f) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io(format!("removing {}", f.display()), err)),
        }
        report.removed.push(e);
    }
    if qdir.exists() {
        crate::recovery::sync_dir(&qdir)?;
    }
    Ok(report)
}

const HEADER_LINE: &str = "# segmentlog quarantine: id\ttime_ms\tkind\tsegment\tsource\tposition\tbytes\tfirst_offset\tend_offset\tfile\treason\n";

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    fault::check(Op::Create, path)
        .and_then(|_| File::create(path))
        .and_then(|mut f| {
            fault::check(Op::Write, path)?;
            f.write_all(bytes)?;
            fault::check(Op::SyncAll, path)?;
            f.sync_all()
        })
        .context(|| format!("writing {}", path.display()))
}

/// What is about to be quarantined (everything of an entry but its id, time and file).
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub kind: QuarantineKind,
    pub segment: u64,
    pub source: PathBuf,
    pub position: u64,
    pub bytes: u64,
    pub offsets: Range<u64>,
    pub reason: String,
}

/// The quarantine of one log directory, as recovery writes it.
#[derive(Debug)]
pub(crate) struct Quarantine {
    log_dir: PathBuf,
    entries: Option<Vec<QuarantineEntry>>,
}

impl Quarantine {
    pub(crate) fn new(log_dir: &Path) -> Quarantine {
        Quarantine {
            log_dir: log_dir.to_owned(),
            entries: None,
        }
    }

    fn entries(&mut self) -> Result<&mut Vec<QuarantineEntry>> {
        if self.entries.is_none() {
            self.entries = Some(list(&self.log_dir)?);
        }
        Ok(self.entries.as_mut().expect("loaded above"))
    }

    /// An entry that already holds these bytes (a damage found again by a later open).
    pub(crate) fn known(&mut self, item: &Item) -> Result<Option<QuarantineEntry>> {
        let source = file_name(&item.source);
        Ok(self
            .entries()?
            .iter()
            .find(|e| {
                e.kind == item.kind
                    && e.source == source
                    && e.position == item.position
                    && e.bytes == item.bytes
            })
            .cloned())
    }

    fn prepare(&mut self, item: &Item, suffix: &str) -> Result<QuarantineEntry> {
        let qdir = path(&self.log_dir);
        if !qdir.exists() {
            fault::check(Op::Create, &qdir)
                .and_then(|_| fs::create_dir(&qdir))
                .or_else(|e| {
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .context(|| format!("creating {}", qdir.display()))?;
            crate::recovery::sync_dir(&self.log_dir)?;
        }
        let id = self.entries()?.iter().map(|e| e.id + 1).max().unwrap_or(1);
        let source = file_name(&item.source);
        Ok(QuarantineEntry {
            id,
            time_ms: crate::platform::now_ms(),
            kind: item.kind,
            segment: item.segment,
            file: format!("{id:06}-{source}{suffix}"),
            source,
            position: item.position,
            bytes: item.bytes,
            offsets: item.offsets.clone(),
            reason: item.reason.clone(),
        })
    }

    fn record(&mut self, entry: QuarantineEntry) -> Result<QuarantineEntry> {
        let qdir = path(&self.log_dir);
        let manifest = qdir.join(MANIFEST);
        let fresh = !manifest.exists();
        fault::check(Op::Write, &manifest)
            .and_then(|_| OpenOptions::new().create(true).append(true).open(&manifest))
            .and_then(|mut f| {
                if fresh {
                    f.write_all(HEADER_LINE.as_bytes())?;
                }
                f.write_all(entry.line().as_bytes())?;
                fault::check(Op::SyncAll, &manifest)?;
                f.sync_all()
            })
            .context(|| format!("writing {}", manifest.display()))?;
        if fresh {
            crate::recovery::sync_dir(&qdir)?;
        }
        self.entries()?.push(entry.clone());
        Ok(entry)
    }

    /// Copies `bytes` (read from the item's source) into the quarantine, durably.
    pub(crate) fn copy(&mut self, item: &Item, bytes: &[u8]) -> Result<QuarantineEntry> {
        let entry = self.prepare(item, ".bytes")?;
        let qdir = path(&self.log_dir);
        write_synced(&qdir.join(&entry.file), bytes)?;
        crate::recovery::sync_dir(&qdir)?;
        self.record(entry)
    }

    /// Moves the item's source file into the quarantine (the manifest line first).
    pub(crate) fn take_file(&mut self, item: &Item) -> Result<QuarantineEntry> {
        let entry = self.prepare(item, "")?;
        let entry = self.record(entry)?;
        let qdir = path(&self.log_dir);
        let to = qdir.join(&entry.file);
        fault::check(Op::Remove, &item.source)
            .and_then(|_| fs::rename(&item.source, &to))
            .context(|| format!("moving {} to {}", item.source.display(), to.display()))?;
        crate::recovery::sync_dir(&qdir)?;
        crate::recovery::sync_dir(&self.log_dir)?;
        Ok(entry)
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_round_trip_and_bad_lines_are_skipped() {
        let e = QuarantineEntry {
            id: 3,
            time_ms: 1_700_000_000_123,
            kind: QuarantineKind::Hole,
            segment: 51,
            source: "00000000000000000051.store".into(),
            position: 612,
            bytes: 90,
            offsets: 60..62,
            file: "000003-00000000000000000051.store.bytes".into(),
            reason: "checksum mismatch\tin record 60".into(),
        };
        let line = e.line();
        let back = QuarantineEntry::parse(line.trim_end()).unwrap();
        assert_eq!(back.reason, "checksum mismatch in record 60");
        assert_eq!(
            QuarantineEntry {
                reason: e.reason.replace('\t', " "),
                ..e
            },
            back
        );
        assert!(QuarantineEntry::parse("3\t1\thole\t51").is_none());
        assert!(QuarantineEntry::parse(&line.replace("hole", "mystery")).is_none());
    }
}
