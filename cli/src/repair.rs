//! `segmentlog repair`: make holes of damaged records, cut only a torn tail, keep every intact
//! record and its offset, and say exactly what was (or, with `--dry-run`, would be) done.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use segmentlog::{Error, Log, RecoveryEvent, RecoveryEventKind, RecoveryReport};
use serde_json::json;

use crate::args::RepairArgs;
use crate::display::{count, event_json, offset_ranges};
use crate::open::{open_read_only, require_log};
use crate::report::warn_if_not_clean;
use crate::verify::{check, report_json, write_report};

/// Returns whether the log is clean afterwards (with `--dry-run`: whether a repair has
/// nothing to do).
pub fn run(args: &RepairArgs, out: &mut dyn Write) -> Result<bool> {
    let dir = &args.dir;
    if args.backup.is_some() {
        bail!(
            "--backup is gone: repair deletes nothing, and every byte it takes out of the log is \
             kept in {}/quarantine (`segmentlog quarantine list`); copy the directory first if \
             you want a copy anyway",
            dir.display()
        );
    }
    require_log(dir)?;
    let report = Log::repair(dir, args.dry_run).map_err(|e| refusal(dir, e))?;
    if !args.dry_run {
        warn_if_not_clean(dir, &report);
    }
    let known = |e: &RecoveryEvent| e.known;
    let summary = Summary::new(dir, &report, args.dry_run, &known)?;
    let again = if args.dry_run {
        None
    } else {
        Some(check(dir, !args.json)?)
    };
    let clean = match &again {
        Some(again) => again.problems.is_empty(),
        None => !report.events.iter().any(|e| !known(e)),
    };
    if args.json {
        let events: Vec<_> = report
            .events
            .iter()
            .map(|e| event_json(e, known(e)))
            .collect();
        let holes: Vec<_> = summary
            .holes
            .iter()
            .map(|r| json!({"first_offset": r.start, "end_offset": r.end}))
            .collect();
        let doc = json!({
            "dir": dir,
            "dry_run": args.dry_run,
            "clean_shutdown": report.clean_shutdown,
            "segments_scanned": report.segments_scanned,
            "records_kept": report.records_checked,
            "records_in_holes": summary.in_holes,
            "hole_offsets": holes,
            "known_holes": summary.known_holes,
            "records_cut": summary.cut,
            "bytes_quarantined": summary.bytes,
            "quarantine_ids": summary.ids,
            "next_offset_before": summary.next_before,
            "next_offset_after": summary.next_after,
            "events": events,
            "verify": again.as_ref().map(|a| report_json(dir, a)),
            "clean": clean,
        });
        writeln!(out, "{doc}")?;
        return Ok(clean);
    }

    let new: Vec<&RecoveryEvent> = report.events.iter().filter(|e| !known(e)).collect();
    let dir_shown = dir.display();
    match (args.dry_run, new.is_empty()) {
        (true, true) => writeln!(
            out,
            "dry run: nothing was changed; a repair of {dir_shown} would change nothing"
        )?,
        (true, false) => writeln!(
            out,
            "dry run: nothing was changed; a repair of {dir_shown} would do:"
        )?,
        (false, true) => writeln!(out, "repair of {dir_shown} changed nothing")?,
        (false, false) => writeln!(out, "repair of {dir_shown} did:")?,
    }
    for e in &new {
        writeln!(out, "  {e}")?;
    }
    for e in report.events.iter().filter(|e| known(e)) {
        writeln!(out, "  known from an earlier open or repair: {e}")?;
    }
    summary.write(out, report.records_checked)?;
    match again {
        Some(again) => {
            writeln!(out, "checked again:")?;
            write_report(out, dir, &again)?;
        }
        None if !new.is_empty() => writeln!(
            out,
            "dry run: run `segmentlog repair {dir_shown}` to do it (nothing is deleted: \
             what leaves the log goes to the quarantine)"
        )?,
        None => {}
    }
    Ok(clean)
}

/// The numbers of a repair: what it made holes of, cut, quarantined, and the next offset.
struct Summary {
    dry_run: bool,
    /// Offsets made holes now (or to be, in a dry run).
    holes: Vec<std::ops::Range<u64>>,
    in_holes: u64,
    /// Offsets in holes an earlier open or repair made.
    known_holes: u64,
    known_ranges: Vec<std::ops::Range<u64>>,
    cut: u64,
    /// Bytes put into the quarantine now (in a dry run: at most this many would be).
    bytes: u64,
    /// The quarantine items made now.
    ids: Vec<u64>,
    next_before: u64,
    next_after: u64,
}

impl Summary {
    fn new(
        dir: &Path,
        report: &RecoveryReport,
        dry_run: bool,
        known: &dyn Fn(&RecoveryEvent) -> bool,
    ) -> Result<Summary> {
        let is_hole = |e: &&RecoveryEvent| e.kind == RecoveryEventKind::Hole;
        let is_cut = |e: &&RecoveryEvent| {
            matches!(
                e.kind,
                RecoveryEventKind::TornTail | RecoveryEventKind::SegmentQuarantined
            ) && !e.offsets.is_empty()
        };
        let holes: Vec<_> = report
            .events
            .iter()
            .filter(is_hole)
            .filter(|e| !known(e))
            .map(|e| e.offsets.clone())
            .collect();
        let known_ranges: Vec<_> = report
            .events
            .iter()
            .filter(is_hole)
            .filter(|e| known(e))
            .map(|e| e.offsets.clone())
            .collect();
        let len = |r: &std::ops::Range<u64>| r.end - r.start;
        // What goes to the quarantine: everything taken out but a rebuilt index (a cache).
        let quarantined = report.events.iter().filter(|e| {
            !known(e)
                && e.kind != RecoveryEventKind::IndexRebuilt
                && (dry_run || e.quarantine_id.is_some())
        });
        let bytes = quarantined.clone().map(|e| e.bytes).sum();
        let mut ids: Vec<u64> = quarantined.filter_map(|e| e.quarantine_id).collect();
        ids.sort_unstable();
        ids.dedup();
        // The log as an open sees it now: after the repair, or (dry run) with the torn tail
        // already left out in memory by the read-only open's own plan.
        let now = open_read_only(dir)?.next_offset()?;
        let cuts: Vec<_> = report.events.iter().filter(is_cut).collect();
        let next_before = cuts.iter().map(|e| e.offsets.end).fold(now, u64::max);
        let next_after = cuts.iter().map(|e| e.offsets.start).fold(now, u64::min);
        Ok(Summary {
            dry_run,
            in_holes: holes.iter().map(len).sum(),
            holes,
            known_holes: known_ranges.iter().map(len).sum(),
            known_ranges,
            cut: report.records_cut(),
            bytes,
            ids,
            next_before,
            next_after,
        })
    }

    fn write(&self, out: &mut dyn Write, kept: u64) -> Result<()> {
        let would = if self.dry_run { " (would be)" } else { "" };
        writeln!(out, "summary{would}:")?;
        writeln!(
            out,
            "  records kept:       {kept}, each at its own offset (repair never removes an \
             intact record)"
        )?;
        let mut holes = match self.in_holes {
            0 => "0".to_owned(),
            n => format!("{n} ({})", offsets(&self.holes)),
        };
        if self.known_holes > 0 {
            holes.push_str(&format!(
                ", and {} in holes made earlier ({})",
                self.known_holes,
                offsets(&self.known_ranges)
            ));
        }
        writeln!(out, "  records in holes:   {holes}")?;
        writeln!(out, "  records cut:        {}", self.cut)?;
        if self.dry_run {
            writeln!(out, "  bytes quarantined:  at most {}", self.bytes)?;
        } else if self.ids.is_empty() {
            writeln!(out, "  bytes quarantined:  0")?;
        } else {
            let ids: Vec<String> = self.ids.iter().map(u64::to_string).collect();
            writeln!(
                out,
                "  bytes quarantined:  {} ({} {})",
                self.bytes,
                if ids.len() == 1 {
                    "quarantine item"
                } else {
                    "quarantine items"
                },
                ids.join(", ")
            )?;
        }
        let change = if self.next_before == self.next_after {
            "unchanged".to_owned()
        } else {
            format!(
                "back by {}: a torn tail was cut",
                count(self.next_before - self.next_after, "record")
            )
        };
        writeln!(
            out,
            "  next offset:        {} before, {} after ({change})",
            self.next_before, self.next_after
        )?;
        Ok(())
    }
}

/// `offset 7` or `offsets 7, 9..12`.
fn offsets(ranges: &[std::ops::Range<u64>]) -> String {
    let single = ranges.len() == 1 && ranges[0].end - ranges[0].start == 1;
    let noun = if single { "offset" } else { "offsets" };
    format!("{noun} {}", offset_ranges(ranges))
}

/// One clear message for a log that cannot be repaired now.
fn refusal(dir: &Path, e: Error) -> anyhow::Error {
    match e {
        Error::Locked { .. } => anyhow::anyhow!(
            "refusing to repair {}: another process holds its writer lock (stop the writer, then run repair again)",
            dir.display()
        ),
        e => anyhow::Error::new(e).context(format!("cannot repair {}", dir.display())),
    }
}
