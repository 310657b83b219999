//! What an open found and did: the recovery report of [`crate::Log::recovery_report`].

use std::fmt;
use std::ops::Range;

/// What happened to one part of the log during recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecoveryEventKind {
    /// Records that were durable are damaged: their offsets are holes (reads of them fail with
    /// [`crate::Error::Hole`]); the damaged bytes were copied to the quarantine.
    Hole,
    /// Bytes past the last record that could have been durable (a write torn by a crash, or
    /// records of a batch that was never acknowledged) were cut off; they are in the
    /// quarantine.
    TornTail,
    /// A segment that followed a cut, or whose creation never finished, was moved into the
    /// quarantine.
    SegmentQuarantined,
    /// A damaged store header was replaced (the old one is in the quarantine); the records
    /// were kept.
    HeaderRewritten,
    /// Segments left by an interrupted `truncate_front` were taken out (into the quarantine),
    /// finishing it.
    ObsoleteRemoved,
    /// An index was rebuilt from its store (an index is a cache: nothing is lost).
    IndexRebuilt,
}

impl RecoveryEventKind {
    /// The name every binding uses for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryEventKind::Hole => "hole",
            RecoveryEventKind::TornTail => "torn_tail",
            RecoveryEventKind::SegmentQuarantined => "segment_quarantined",
            RecoveryEventKind::HeaderRewritten => "header_rewritten",
            RecoveryEventKind::ObsoleteRemoved => "obsolete_removed",
            RecoveryEventKind::IndexRebuilt => "index_rebuilt",
        }
    }

    /// Whether this kind took records or bytes out of the log (into the quarantine).
    pub fn loses_data(self) -> bool {
        !matches!(
            self,
            RecoveryEventKind::IndexRebuilt | RecoveryEventKind::ObsoleteRemoved
        )
    }
}

impl fmt::Display for RecoveryEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing recovery found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryEvent {
    /// What.
    pub kind: RecoveryEventKind,
    /// Base offset of the segment concerned.
    pub segment: u64,
    /// The offsets concerned (empty when no whole record was: a torn partial record).
    pub offsets: Range<u64>,
    /// Byte position in the segment's store where the bytes concerned start.
    pub position: u64,
    /// How many bytes.
    pub bytes: u64,
    /// What was found there.
    pub reason: String,
    /// The quarantine item holding the bytes (see [`crate::quarantine::list`]), if any.
    pub quarantine_id: Option<u64>,
    /// An earlier open or repair already found this (a hole its index marks, or whose bytes
    /// the quarantine holds): nothing new was lost.
    pub known: bool,
}

/// What one open of a log found and did. A log that lost, cut or quarantined anything says so
/// here; a clean one has no events but [`RecoveryEventKind::IndexRebuilt`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The log had been closed cleanly (`CLEAN` marker): nothing needed a scan.
    pub clean_shutdown: bool,
    /// Stores that were read through (after a crash: the newest ones; any whose index did not
    /// match).
    pub segments_scanned: u64,
    /// Records of the segments scanned that were checked and kept.
    pub records_checked: u64,
    /// Everything recovery found or did, in log order.
    pub events: Vec<RecoveryEvent>,
    /// The open made everything it kept durable before returning (after a crash; a
    /// read-only or strict open changes nothing and syncs nothing).
    pub synced: bool,
}

impl RecoveryReport {
    /// Whether nothing was lost, cut or quarantined (an index rebuild is not a loss), holes
    /// found again included.
    pub fn is_clean(&self) -> bool {
        !self.events.iter().any(|e| e.kind.loses_data())
    }

    /// Whether this open found nothing new: every event is a hole found again or an index
    /// rebuild.
    pub fn nothing_new(&self) -> bool {
        !self.events.iter().any(|e| e.kind.loses_data() && !e.known)
    }

    /// Records whose offsets became holes.
    pub fn records_in_holes(&self) -> u64 {
        self.count(RecoveryEventKind::Hole)
    }

    /// Records cut off with a torn tail or a quarantined segment (never acknowledged as
    /// durable).
    pub fn records_cut(&self) -> u64 {
        self.count(RecoveryEventKind::TornTail) + self.count(RecoveryEventKind::SegmentQuarantined)
    }

    /// Bytes taken out of the log into the quarantine.
    pub fn bytes_quarantined(&self) -> u64 {
        self.events
            .iter()
            .filter(|e| e.quarantine_id.is_some())
            .map(|e| e.bytes)
            .sum()
    }

    fn count(&self, kind: RecoveryEventKind) -> u64 {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.offsets.end - e.offsets.start)
            .sum()
    }
}

impl fmt::Display for RecoveryEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in segment {:020}", self.kind, self.segment)?;
        if !self.offsets.is_empty() {
            let n = self.offsets.end - self.offsets.start;
            let s = if n == 1 { "" } else { "s" };
            write!(
                f,
                ": offsets {}..{} ({n} record{s})",
                self.offsets.start, self.offsets.end
            )?;
        }
        write!(
            f,
            ", {} bytes at byte {}: {}",
            self.bytes, self.position, self.reason
        )?;
        if let Some(id) = self.quarantine_id {
            write!(f, " [quarantine item {id}]")?;
        }
        if self.known {
            write!(f, " (found before)")?;
        }
        Ok(())
    }
}

impl fmt::Display for RecoveryReport {
    /// One line of summary, then one line per event.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.clean_shutdown {
            "clean shutdown"
        } else {
            "recovered after a crash"
        };
        write!(
            f,
            "{how}: {} segment(s) scanned, {} records checked, {} in holes, {} cut, {} bytes quarantined{}",
            self.segments_scanned,
            self.records_checked,
            self.records_in_holes(),
            self.records_cut(),
            self.bytes_quarantined(),
            if self.synced { ", synced" } else { "" }
        )?;
        for e in &self.events {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}
