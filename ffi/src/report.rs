//! `segmentlog_recovery_report`: what an open (or `segmentlog_repair`) found and did.

use std::ffi::{CStr, CString, c_char};

use segmentlog_core::{Log, RecoveryEventKind, RecoveryReport};

use super::guard::{Failure, c_path, guard, guard_or, require};
use super::log::segmentlog_log;
use super::status::segmentlog_status;

/// What recovery found or did to one part of the log: one of the
/// `SEGMENTLOG_RECOVERY_EVENT_*` values (`uint32_t`, as the option modes, so that a kind added
/// in a later version can be told apart from the known ones).
pub type segmentlog_recovery_event_kind = u32;
/// A kind this version of the header does not name (not returned by this version of the
/// library; `kind_name` says what it is).
pub const SEGMENTLOG_RECOVERY_EVENT_UNKNOWN: segmentlog_recovery_event_kind = 0;
/// Records that were durable are damaged: their offsets are holes (reads of them return
/// `SEGMENTLOG_STATUS_HOLE`); the damaged bytes were copied to `DIR/quarantine/`.
pub const SEGMENTLOG_RECOVERY_EVENT_HOLE: segmentlog_recovery_event_kind = 1;
/// Bytes past the last record that could have been durable (a write torn by a crash, or
/// records of a batch that was never acknowledged) were cut off, into the quarantine.
pub const SEGMENTLOG_RECOVERY_EVENT_TORN_TAIL: segmentlog_recovery_event_kind = 2;
/// A segment that followed a cut, or whose creation never finished, was moved into the
/// quarantine.
pub const SEGMENTLOG_RECOVERY_EVENT_SEGMENT_QUARANTINED: segmentlog_recovery_event_kind = 3;
/// A damaged store header was replaced (the old one is in the quarantine); the records were
/// kept.
pub const SEGMENTLOG_RECOVERY_EVENT_HEADER_REWRITTEN: segmentlog_recovery_event_kind = 4;
/// Segments left by an interrupted `segmentlog_truncate_front` were taken out (into the
/// quarantine), finishing it.
pub const SEGMENTLOG_RECOVERY_EVENT_OBSOLETE_REMOVED: segmentlog_recovery_event_kind = 5;
/// An index was rebuilt from its store (an index is a cache: nothing is lost).
pub const SEGMENTLOG_RECOVERY_EVENT_INDEX_REBUILT: segmentlog_recovery_event_kind = 6;

/// A recovery report (opaque): what one open of a log (or one `segmentlog_repair`) found and
/// did. It never changes once made.
///
/// Ownership: two ways to get one, told apart by `const`.
/// - `segmentlog_get_recovery_report` lends the report of an open log as a
///   `const segmentlog_recovery_report *`: it belongs to the log handle and stays valid until
///   `segmentlog_close` of that handle. Do not free it.
/// - `segmentlog_repair` gives a `segmentlog_recovery_report *` that the caller owns and must
///   release with `segmentlog_recovery_report_free`.
///
/// Thread-safety: immutable; any number of threads may read one report at once.
#[derive(Debug)]
pub struct segmentlog_recovery_report {
    report: RecoveryReport,
    /// Each event's reason, NUL-terminated, for `segmentlog_recovery_event::reason`.
    reasons: Vec<CString>,
}

impl segmentlog_recovery_report {
    pub(crate) fn new(report: RecoveryReport) -> Self {
        let reasons = report.events.iter().map(|e| c_string(&e.reason)).collect();
        segmentlog_recovery_report { report, reasons }
    }
}

/// A C string of `s`; a NUL inside it (which C would take for the end) becomes `?`.
fn c_string(s: &str) -> CString {
    let bytes: Vec<u8> = s.bytes().map(|b| if b == 0 { b'?' } else { b }).collect();
    CString::new(bytes).unwrap_or_default()
}

/// The numbers of a recovery report, from `segmentlog_recovery_report_summary`.
///
/// Ownership: a plain value, written by the library into the caller's struct.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct segmentlog_recovery_summary {
    /// The log had been closed cleanly (nothing needed a scan).
    pub clean_shutdown: bool,
    /// The open made everything it kept durable before returning (after a crash; a read-only
    /// or strict open changes nothing and syncs nothing).
    pub synced: bool,
    /// Nothing was lost, cut or quarantined (an index rebuild is not a loss).
    pub is_clean: bool,
    /// Stores that were read through.
    pub segments_scanned: u64,
    /// Records of the segments scanned that were checked and kept.
    pub records_checked: u64,
    /// Records whose offsets became holes.
    pub records_in_holes: u64,
    /// Records cut off with a torn tail or a quarantined segment (never acknowledged as
    /// durable).
    pub records_cut: u64,
    /// Bytes taken out of the log into the quarantine.
    pub bytes_quarantined: u64,
    /// How many events the report holds (`segmentlog_recovery_report_event` takes indexes
    /// `0 .. event_count - 1`).
    pub event_count: usize,
}

/// One event of a recovery report, from `segmentlog_recovery_report_event`.
///
/// Ownership: the struct is the caller's; its two strings belong to the report: `kind_name`
/// is static, `reason` stays valid as long as the report does (until `segmentlog_close` of the
/// log for a report of an open log, until `segmentlog_recovery_report_free` for one of
/// `segmentlog_repair`). Do not free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct segmentlog_recovery_event {
    /// What happened: a `SEGMENTLOG_RECOVERY_EVENT_*` value.
    pub kind: segmentlog_recovery_event_kind,
    /// The kind's name, the same in every language: `"hole"`, `"torn_tail"`,
    /// `"segment_quarantined"`, `"header_rewritten"`, `"obsolete_removed"` or
    /// `"index_rebuilt"`. Static, NUL-terminated.
    pub kind_name: *const c_char,
    /// Base offset of the segment concerned.
    pub segment: u64,
    /// The offsets concerned are `first_offset .. end_offset - 1` (none when the two are
    /// equal: e.g. a torn partial record).
    pub first_offset: u64,
    /// One past the last offset concerned.
    pub end_offset: u64,
    /// Byte position in the segment's store where the bytes concerned start.
    pub position: u64,
    /// How many bytes.
    pub bytes: u64,
    /// Whether the bytes were put into the quarantine (`quarantine_id` is then the item).
    pub has_quarantine_id: bool,
    /// The quarantine item holding the bytes (see `DIR/quarantine/MANIFEST`); 0 when
    /// `has_quarantine_id` is false.
    pub quarantine_id: u64,
    /// What was found there: NUL-terminated, owned by the report (see above).
    pub reason: *const c_char,
    /// An earlier open or repair already found this (a hole found again): nothing new lost.
    pub known: bool,
}

fn kind_code(kind: RecoveryEventKind) -> segmentlog_recovery_event_kind {
    match kind {
        RecoveryEventKind::Hole => SEGMENTLOG_RECOVERY_EVENT_HOLE,
        RecoveryEventKind::TornTail => SEGMENTLOG_RECOVERY_EVENT_TORN_TAIL,
        RecoveryEventKind::SegmentQuarantined => SEGMENTLOG_RECOVERY_EVENT_SEGMENT_QUARANTINED,
        RecoveryEventKind::HeaderRewritten => SEGMENTLOG_RECOVERY_EVENT_HEADER_REWRITTEN,
        RecoveryEventKind::ObsoleteRemoved => SEGMENTLOG_RECOVERY_EVENT_OBSOLETE_REMOVED,
        RecoveryEventKind::IndexRebuilt => SEGMENTLOG_RECOVERY_EVENT_INDEX_REBUILT,
        // `RecoveryEventKind` is non_exhaustive; `kind_name` still names a later kind.
        _ => SEGMENTLOG_RECOVERY_EVENT_UNKNOWN,
    }
}

/// The static, NUL-terminated name of a kind (core's `as_str`).
fn kind_name(kind: RecoveryEventKind) -> &'static CStr {
    match kind {
        RecoveryEventKind::Hole => c"hole",
        RecoveryEventKind::TornTail => c"torn_tail",
        RecoveryEventKind::SegmentQuarantined => c"segment_quarantined",
        RecoveryEventKind::HeaderRewritten => c"header_rewritten",
        RecoveryEventKind::ObsoleteRemoved => c"obsolete_removed",
        RecoveryEventKind::IndexRebuilt => c"index_rebuilt",
        _ => c"unknown",
    }
}

/// Lends the recovery report of this open of the log: what recovery found and did when
/// `segmentlog_open` opened it (after a crash: what was scanned, cut, made a hole or put into
/// the quarantine).
///
/// - `report_out` (required): receives the report; untouched on failure.
///
/// Ownership: the report belongs to `log`: valid until `segmentlog_close(log)`; do not free it
/// (it is `const`, which `segmentlog_recovery_report_free` does not take). Thread-safety: safe;
/// every call on one handle lends the same report.
///
/// # Safety
/// `log` must be NULL or an open handle; `report_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_get_recovery_report(
    log: *mut segmentlog_log,
    report_out: *mut *const segmentlog_recovery_report,
) -> segmentlog_status {
    guard(|| {
        require(!log.is_null(), "log")?;
        require(!report_out.is_null(), "report_out")?;
        // SAFETY: log is non-NULL and open (caller's contract).
        let handle = unsafe { &*log };
        let report = handle.report();
        // SAFETY: report_out is non-NULL and writable (caller's contract).
        unsafe { *report_out = report };
        Ok(())
    })
}

/// Repairs the log in directory `dir`: reads every store through (trusting no index), makes a
/// hole of every damaged record that was durable (its bytes copied to `dir/quarantine/`), cuts
/// a torn tail, rebuilds every index that does not match its store, and reports what it did.
/// No intact record is removed and no offset changes. With `dry_run` it changes nothing and
/// reports what it would do.
///
/// - `dir` (required): a NUL-terminated path.
/// - `report_out` (required): receives the report on success; untouched on failure.
///
/// Fails with LOCKED while a writer has the log open (repair takes the writer lock), IO if the
/// directory cannot be read.
/// Ownership: the caller owns the report and must release it with
/// `segmentlog_recovery_report_free`. Thread-safety: safe from any thread.
///
/// # Safety
/// `dir` must be NULL or a NUL-terminated string; `report_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_repair(
    dir: *const c_char,
    dry_run: bool,
    report_out: *mut *mut segmentlog_recovery_report,
) -> segmentlog_status {
    guard(|| {
        require(!dir.is_null(), "dir")?;
        require(!report_out.is_null(), "report_out")?;
        // SAFETY: dir is non-NULL and NUL-terminated (caller's contract), and outlives the call.
        let dir = unsafe { c_path(dir) }?;
        let report = Log::repair(dir, dry_run)?;
        let owned = Box::into_raw(Box::new(segmentlog_recovery_report::new(report)));
        // SAFETY: report_out is non-NULL and writable (caller's contract).
        unsafe { *report_out = owned };
        Ok(())
    })
}

/// Frees a report from `segmentlog_repair`. NULL is a no-op. (A report lent by
/// `segmentlog_get_recovery_report` belongs to its log: never pass it here.)
///
/// Ownership: takes the report back; the pointer, and every `reason` of its events, are
/// invalid afterwards. Thread-safety: no other thread may be using the report.
///
/// # Safety
/// `report` must be NULL or a report from `segmentlog_repair` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_recovery_report_free(report: *mut segmentlog_recovery_report) {
    if report.is_null() {
        return;
    }
    guard_or((), || {
        // SAFETY: report came from Box::into_raw in segmentlog_repair and is freed only here
        // (caller's contract).
        drop(unsafe { Box::from_raw(report) });
    });
}

/// Writes the report's numbers to `*summary_out` (required; untouched on failure).
///
/// Ownership: nothing is kept. Thread-safety: safe.
///
/// # Safety
/// `report` must be NULL or a live report; `summary_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_recovery_report_summary(
    report: *const segmentlog_recovery_report,
    summary_out: *mut segmentlog_recovery_summary,
) -> segmentlog_status {
    guard(|| {
        require(!report.is_null(), "report")?;
        require(!summary_out.is_null(), "summary_out")?;
        // SAFETY: report is non-NULL and live (caller's contract).
        let r = &unsafe { &*report }.report;
        let summary = segmentlog_recovery_summary {
            clean_shutdown: r.clean_shutdown,
            synced: r.synced,
            is_clean: r.is_clean(),
            segments_scanned: r.segments_scanned,
            records_checked: r.records_checked,
            records_in_holes: r.records_in_holes(),
            records_cut: r.records_cut(),
            bytes_quarantined: r.bytes_quarantined(),
            event_count: r.events.len(),
        };
        // SAFETY: summary_out is non-NULL and writable (caller's contract).
        unsafe { *summary_out = summary };
        Ok(())
    })
}

/// Writes event `index` of the report (in log order; `0 .. event_count - 1`, see
/// `segmentlog_recovery_summary`) to `*event_out` (required; untouched on failure).
///
/// Fails with INVALID_ARGUMENT if `index` is not below the event count.
/// Ownership: the struct is the caller's; its strings belong to the report (see
/// `segmentlog_recovery_event`). Thread-safety: safe.
///
/// # Safety
/// `report` must be NULL or a live report; `event_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_recovery_report_event(
    report: *const segmentlog_recovery_report,
    index: usize,
    event_out: *mut segmentlog_recovery_event,
) -> segmentlog_status {
    guard(|| {
        require(!report.is_null(), "report")?;
        require(!event_out.is_null(), "event_out")?;
        // SAFETY: report is non-NULL and live (caller's contract).
        let report = unsafe { &*report };
        let count = report.report.events.len();
        let (Some(e), Some(reason)) = (report.report.events.get(index), report.reasons.get(index))
        else {
            return Err(Failure::new(
                segmentlog_status::InvalidArgument,
                format!(
                    "invalid argument: event index {index} is not below the report's {count} \
                     event(s)"
                ),
            ));
        };
        let event = segmentlog_recovery_event {
            kind: kind_code(e.kind),
            kind_name: kind_name(e.kind).as_ptr(),
            segment: e.segment,
            first_offset: e.offsets.start,
            end_offset: e.offsets.end,
            position: e.position,
            bytes: e.bytes,
            has_quarantine_id: e.quarantine_id.is_some(),
            quarantine_id: e.quarantine_id.unwrap_or(0),
            reason: reason.as_ptr(),
            known: e.known,
        };
        // SAFETY: event_out is non-NULL and writable (caller's contract).
        unsafe { *event_out = event };
        Ok(())
    })
}

/// Copies the report as text, NUL-terminated, into `buf`: one line of summary, then one line
/// per event (the text every language prints for a report).
///
/// The BUFFER_TOO_SMALL protocol of `segmentlog_last_error_message`: `*len_out` (required)
/// receives the size the text needs *including* its NUL on OK and on BUFFER_TOO_SMALL (then
/// nothing is written to `buf`); `buf` may be NULL when `len` is 0, to ask for the size.
/// Ownership: the caller owns `buf`; nothing is kept. Thread-safety: safe.
///
/// # Safety
/// `report` must be NULL or a live report; `buf` NULL or `len` writable bytes; `len_out` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn segmentlog_recovery_report_text(
    report: *const segmentlog_recovery_report,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> segmentlog_status {
    guard(|| {
        require(!report.is_null(), "report")?;
        require(!buf.is_null() || len == 0, "buf (with len > 0)")?;
        require(!len_out.is_null(), "len_out")?;
        // SAFETY: report is non-NULL and live (caller's contract).
        let text = c_string(&unsafe { &*report }.report.to_string());
        let bytes = text.as_bytes_with_nul();
        // SAFETY: len_out is non-NULL and writable (caller's contract).
        unsafe { *len_out = bytes.len() };
        if len < bytes.len() {
            return Err(Failure::new(
                segmentlog_status::BufferTooSmall,
                format!(
                    "buffer too small: the report's text needs {} bytes, the buffer has {len}",
                    bytes.len()
                ),
            ));
        }
        // SAFETY: buf is non-NULL (len >= bytes.len() >= 1) with len writable bytes; the text
        // is our own, so the regions do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len()) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use segmentlog_core::RecoveryEvent;

    fn sample() -> segmentlog_recovery_report {
        segmentlog_recovery_report::new(RecoveryReport {
            clean_shutdown: false,
            segments_scanned: 2,
            records_checked: 40,
            events: vec![RecoveryEvent {
                kind: RecoveryEventKind::Hole,
                segment: 0,
                offsets: 5..6,
                position: 300,
                bytes: 60,
                reason: "checksum\0mismatch".into(),
                quarantine_id: Some(1),
                known: false,
            }],
            synced: true,
        })
    }

    #[test]
    fn summary_and_events_carry_every_field() {
        let report = sample();
        let mut summary = std::mem::MaybeUninit::<segmentlog_recovery_summary>::uninit();
        // SAFETY: report is live; summary is writable.
        let status = unsafe { segmentlog_recovery_report_summary(&report, summary.as_mut_ptr()) };
        assert_eq!(status, segmentlog_status::Ok);
        // SAFETY: written on OK.
        let summary = unsafe { summary.assume_init() };
        assert!(!summary.clean_shutdown && summary.synced && !summary.is_clean);
        assert_eq!((summary.segments_scanned, summary.records_checked), (2, 40));
        assert_eq!((summary.records_in_holes, summary.records_cut), (1, 0));
        assert_eq!((summary.bytes_quarantined, summary.event_count), (60, 1));

        let mut event = std::mem::MaybeUninit::<segmentlog_recovery_event>::uninit();
        // SAFETY: as above.
        let status = unsafe { segmentlog_recovery_report_event(&report, 0, event.as_mut_ptr()) };
        assert_eq!(status, segmentlog_status::Ok);
        // SAFETY: written on OK.
        let event = unsafe { event.assume_init() };
        assert_eq!(event.kind, SEGMENTLOG_RECOVERY_EVENT_HOLE);
        // SAFETY: both strings are NUL-terminated and live as long as the report.
        let (name, reason) = unsafe {
            (
                CStr::from_ptr(event.kind_name),
                CStr::from_ptr(event.reason),
            )
        };
        assert_eq!(name, c"hole");
        assert_eq!(reason, c"checksum?mismatch");
        assert_eq!((event.first_offset, event.end_offset), (5, 6));
        assert_eq!((event.position, event.bytes), (300, 60));
        assert!(event.has_quarantine_id);
        assert_eq!(event.quarantine_id, 1);

        // SAFETY: as above.
        let status = unsafe { segmentlog_recovery_report_event(&report, 1, event_ptr()) };
        assert_eq!(status, segmentlog_status::InvalidArgument);
    }

    fn event_ptr() -> *mut segmentlog_recovery_event {
        // A pointer that must never be written: the call fails first.
        std::ptr::NonNull::dangling().as_ptr()
    }

    #[test]
    fn every_known_kind_has_its_code_and_core_name() {
        for kind in [
            RecoveryEventKind::Hole,
            RecoveryEventKind::TornTail,
            RecoveryEventKind::SegmentQuarantined,
            RecoveryEventKind::HeaderRewritten,
            RecoveryEventKind::ObsoleteRemoved,
            RecoveryEventKind::IndexRebuilt,
        ] {
            assert_ne!(kind_code(kind), SEGMENTLOG_RECOVERY_EVENT_UNKNOWN);
            assert_eq!(kind_name(kind).to_str().unwrap(), kind.as_str());
        }
    }

    #[test]
    fn text_is_core_display_with_the_size_protocol() {
        let report = sample();
        let want = c_string(&report.report.to_string());
        let mut needed = 0usize;
        // SAFETY: NULL buffer with len 0 is allowed; needed is writable.
        let status = unsafe {
            segmentlog_recovery_report_text(&report, std::ptr::null_mut(), 0, &mut needed)
        };
        assert_eq!(status, segmentlog_status::BufferTooSmall);
        assert_eq!(needed, want.as_bytes_with_nul().len());
        let mut buf = vec![0x55 as c_char; needed];
        // SAFETY: buf has `needed` writable bytes.
        let status = unsafe {
            segmentlog_recovery_report_text(&report, buf.as_mut_ptr(), needed, &mut needed)
        };
        assert_eq!(status, segmentlog_status::Ok);
        // SAFETY: the text was written, NUL-terminated.
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }, want.as_c_str());
    }
}
