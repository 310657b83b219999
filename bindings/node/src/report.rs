//! `log.recoveryReport` and `Log.repair`: core's `RecoveryReport` as a plain object.

use napi_derive::napi;

use crate::convert::to_js_number;
use crate::errors::Outcome;

/// One thing recovery found or did.
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(Debug)]
pub struct RecoveryEvent {
    /// What happened.
    #[napi(
        ts_type = "'hole' | 'torn_tail' | 'segment_quarantined' | 'header_rewritten' | 'obsolete_removed' | 'index_rebuilt'"
    )]
    pub kind: String,
    /// Base offset of the segment concerned.
    pub segment: f64,
    /// The offsets concerned are `firstOffset` up to (not including) `endOffset` (none when
    /// equal: e.g. a torn partial record).
    pub first_offset: f64,
    /// One past the last offset concerned.
    pub end_offset: f64,
    /// Byte position in the segment's store where the bytes concerned start.
    pub position: f64,
    /// How many bytes.
    pub bytes: f64,
    /// What was found there.
    pub reason: String,
    /// The quarantine item holding the bytes (`DIR/quarantine/`), or `null`.
    pub quarantine_id: Option<f64>,
    /// An earlier open or repair already found this (a hole found again).
    pub known: bool,
}

/// What an open (`log.recoveryReport`) or a repair (`Log.repair`) found and did.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct RecoveryReport {
    /// The log had been closed cleanly: nothing needed a scan.
    pub clean_shutdown: bool,
    /// Stores that were read through.
    pub segments_scanned: f64,
    /// Records of the segments scanned that were checked and kept.
    pub records_checked: f64,
    /// The open made everything it kept durable before returning.
    pub synced: bool,
    /// Nothing was lost, cut or quarantined (an index rebuild is not a loss).
    pub is_clean: bool,
    /// Records whose offsets became holes.
    pub records_in_holes: f64,
    /// Records cut off with a torn tail or a quarantined segment (never acknowledged as
    /// durable).
    pub records_cut: f64,
    /// Bytes taken out of the log into the quarantine.
    pub bytes_quarantined: f64,
    /// Everything recovery found or did, in log order.
    pub events: Vec<RecoveryEvent>,
    /// The report as text (the same in every language): one line of summary, then one line
    /// per event.
    pub text: String,
}

/// A count as a JS number (counts of records and bytes stay far below 2^53).
fn count(n: u64) -> f64 {
    n as f64
}

impl RecoveryReport {
    /// Converts core's report. An offset a double cannot hold exactly (a log another language
    /// took past 2^53 - 1) is a `RangeError`, never rounded.
    pub fn from_core(r: &segmentlog::RecoveryReport) -> Outcome<RecoveryReport> {
        let events = r
            .events
            .iter()
            .map(|e| {
                Ok(RecoveryEvent {
                    kind: e.kind.as_str().to_string(),
                    segment: to_js_number(e.segment, "segment")?,
                    first_offset: to_js_number(e.offsets.start, "offset")?,
                    end_offset: to_js_number(e.offsets.end, "offset")?,
                    position: count(e.position),
                    bytes: count(e.bytes),
                    reason: e.reason.clone(),
                    quarantine_id: e.quarantine_id.map(count),
                    known: e.known,
                })
            })
            .collect::<Outcome<Vec<_>>>()?;
        Ok(RecoveryReport {
            clean_shutdown: r.clean_shutdown,
            segments_scanned: count(r.segments_scanned),
            records_checked: count(r.records_checked),
            synced: r.synced,
            is_clean: r.is_clean(),
            records_in_holes: count(r.records_in_holes()),
            records_cut: count(r.records_cut()),
            bytes_quarantined: count(r.bytes_quarantined()),
            events,
            text: r.to_string(),
        })
    }
}
