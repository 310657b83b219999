//! Read-only checking of a whole log directory (`segmentlog verify`): every store read through
//! with the same checker and the same rules as recovery and `repair`, so `verify` reports
//! exactly what an open (or a repair) would find and do.

use std::path::Path;

use crate::error::{IoContext, Result};
use crate::format::{self, FileKind};
use crate::recovery::{self, CLEAN_MARKER, Mode};
use crate::report::{RecoveryEvent, RecoveryEventKind};

/// One problem found by [`verify()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Base offset of the segment.
    pub segment: u64,
    /// `"store"`, `"index"` or `"dir"`.
    pub file: &'static str,
    /// Byte position in that file.
    pub position: u64,
    /// The offset of the first record affected, when known.
    pub offset: Option<u64>,
    /// What is wrong, and what recovery or `repair` does about it.
    pub reason: String,
}

/// What [`verify()`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Segments checked.
    pub segments: u64,
    /// Records whose checksum was checked and found good.
    pub records: u64,
    /// Store bytes read.
    pub bytes: u64,
    /// Every problem, in log order. Empty means the log is clean.
    pub problems: Vec<Problem>,
    /// Records whose offsets are (or would become) holes: damaged among durable records.
    pub holes: u64,
    /// Of those, records in holes an earlier open or repair already made (their bytes are in
    /// the quarantine); these are no problem to fix.
    pub known_holes: u64,
    /// Records an open or `repair` would cut off (never acknowledged as durable).
    pub cut: u64,
    /// What an open or `repair` would do, event by event (nothing has been done).
    pub events: Vec<RecoveryEvent>,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

fn problem(e: &RecoveryEvent) -> Problem {
    let (file, what) = match e.kind {
        RecoveryEventKind::Hole => ("store", "damaged durable records (would become holes)"),
        RecoveryEventKind::TornTail => ("store", "torn tail (would be cut)"),
        RecoveryEventKind::SegmentQuarantined => ("dir", "segment would be quarantined"),
        RecoveryEventKind::HeaderRewritten => ("store", "unreadable header (would be rewritten)"),
        RecoveryEventKind::ObsoleteRemoved => (
            "dir",
            "left by an interrupted truncate_front (would be removed)",
        ),
        _ => ("index", "index does not match its store (would be rebuilt)"),
    };
    Problem {
        segment: e.segment,
        file,
        position: e.position,
        offset: (!e.offsets.is_empty()).then_some(e.offsets.start),
        reason: format!("{what}: {}", e.reason),
    }
}

/// Checks every record's checksum and every index entry against its store, without changing
/// any file and without taking the writer lock. `progress(done, total)` is called with store
/// bytes checked so far.
pub fn verify(dir: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport> {
    let (bases, orphans) = recovery::list_segments(dir)?;
    let mut report = VerifyReport::default();
    let mut total = 0;
    for &base in &bases {
        let path = dir.join(format::file_name(base, FileKind::Store));
        total += std::fs::metadata(&path)
            .context(|| format!("reading {}", path.display()))?
            .len();
    }
    progress(0, total);
    let mode = Mode {
        clean: dir.join(CLEAN_MARKER).exists(),
        scan_all: true,
        dry_run: true,
        ..Mode::default()
    };
    let found = recovery::check(dir, mode, &mut |done| progress(done, total))?;
    report.segments = bases.len() as u64;
    report.bytes = total;
    report.records = found.records_checked;
    for base in orphans {
        report.problems.push(Problem {
            segment: base,
            file: "index",
            position: 0,
            offset: None,
            reason: "index file without a store file (would be removed)".into(),
        });
    }
    let known = |e: &&RecoveryEvent| e.kind == RecoveryEventKind::Hole && e.known;
    report
        .problems
        .extend(found.events.iter().filter(|e| !known(e)).map(problem));
    report.holes = found.records_in_holes();
    report.known_holes = found
        .events
        .iter()
        .filter(known)
        .map(|e| e.offsets.end - e.offsets.start)
        .sum();
    report.cut = found.records_cut();
    report.events = found.events;
    progress(total, total);
    Ok(report)
}
