//! `segmentlog verify`: read-only check of every checksum and index entry.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use segmentlog::{Problem, RecoveryEvent, RecoveryEventKind, VerifyReport};
use serde_json::json;

use crate::args::VerifyArgs;
use crate::display::{count, event_json};
use crate::open::require_log;

/// Returns whether the log is clean.
pub fn run(args: &VerifyArgs, out: &mut dyn Write) -> Result<bool> {
    let report = check(&args.dir, !args.json)?;
    if args.json {
        writeln!(out, "{}", report_json(&args.dir, &report))?;
    } else {
        write_report(out, &args.dir, &report)?;
    }
    Ok(report.problems.is_empty())
}

/// Runs core's verify, with a progress bar on stderr when `bar` is asked for and stderr is a
/// terminal (never when piped: scripts and logs get no control characters).
pub fn check(dir: &Path, bar: bool) -> Result<VerifyReport> {
    require_log(dir)?;
    let bar = (bar && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "verifying {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("the template is valid"),
        );
        bar
    });
    let mut progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let report = segmentlog::verify(dir, &mut progress)
        .with_context(|| format!("cannot verify {}", dir.display()));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report
}

/// Whether `e` is a hole an earlier open or repair already made (its index marks it, or its
/// bytes are in the quarantine): no problem, nothing to do.
pub fn is_known_hole(e: &RecoveryEvent) -> bool {
    e.kind == RecoveryEventKind::Hole && e.known
}

/// The new problems one a line, then the known holes one a line, then a summary line.
pub fn write_report(out: &mut dyn Write, dir: &Path, report: &VerifyReport) -> Result<()> {
    for p in &report.problems {
        writeln!(out, "{}", problem_line(p))?;
    }
    for e in report.events.iter().filter(|e| is_known_hole(e)) {
        writeln!(out, "known {e}")?;
    }
    let checked = format!(
        "checked {}, {}, {} bytes",
        count(report.segments, "segment"),
        count(report.records, "record"),
        report.bytes
    );
    let known = if report.known_holes > 0 {
        format!(
            "; {} in known holes (in the quarantine: `segmentlog quarantine list {}`)",
            count(report.known_holes, "record"),
            dir.display()
        )
    } else {
        String::new()
    };
    if report.problems.is_empty() {
        writeln!(out, "{checked}: clean{known}")?;
    } else {
        writeln!(
            out,
            "{checked}: CORRUPT, {}; {} would become holes, {} would be cut{known} \
             (`segmentlog repair` keeps every intact record and its offset)",
            count(report.problems.len() as u64, "problem"),
            count(report.holes - report.known_holes, "record"),
            count(report.cut, "record"),
        )?;
    }
    Ok(())
}

/// `corrupt: segment 312, file 00000000000000000312.store, byte 1234 (offset 317): reason`
pub fn problem_line(p: &Problem) -> String {
    let file = match p.file {
        "store" | "index" => format!("{:020}.{}", p.segment, p.file),
        other => other.to_owned(),
    };
    let offset = p.offset.map_or(String::new(), |o| format!(" (offset {o})"));
    format!(
        "corrupt: segment {}, file {file}, byte {}{offset}: {}",
        p.segment, p.position, p.reason
    )
}

pub fn report_json(dir: &Path, report: &VerifyReport) -> serde_json::Value {
    let problems: Vec<_> = report
        .problems
        .iter()
        .map(|p| {
            json!({
                "segment": p.segment,
                "file": p.file,
                "position": p.position,
                "offset": p.offset,
                "reason": p.reason,
            })
        })
        .collect();
    json!({
        "dir": dir,
        "clean": report.problems.is_empty(),
        "segments": report.segments,
        "records": report.records,
        "bytes": report.bytes,
        "holes": report.holes,
        "known_holes": report.known_holes,
        "cut": report.cut,
        "problems": problems,
        "events": report
            .events
            .iter()
            .map(|e| event_json(e, is_known_hole(e)))
            .collect::<Vec<_>>(),
    })
}
