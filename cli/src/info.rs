//! `segmentlog info`: what a log directory holds.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use segmentlog::quarantine::{QuarantineEntry, QuarantineKind};
use segmentlog::{RecoveryEvent, RecoveryReport, SegmentInfo};
use serde_json::json;

use crate::args::InfoArgs;
use crate::display::{count, event_json, rfc3339_ms, time_both};
use crate::open::open_read_only;
use crate::quarantine::entries;
use crate::verify::is_known_hole;

pub fn run(args: &InfoArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let lowest = log.lowest_offset()?;
    let next = log.next_offset()?;
    let clean = log.opened_clean();
    // A read-only open changes nothing: its report is what an open for writing would do now.
    let report = log.recovery_report().clone();
    let quarantined = entries(&args.dir)?;
    let quarantined_bytes: u64 = quarantined.iter().map(|e| e.bytes).sum();
    let cursors = crate::cursors::positions(&log)?;
    if !args.json {
        // Printed before the segments are read, so a damaged log still shows these.
        writeln!(out, "log:         {}", args.dir.display())?;
        let shutdown = if clean {
            "clean (closed cleanly; no recovery needed)"
        } else {
            "not clean (a writer has it open, or the last one crashed; its next open recovers)"
        };
        writeln!(out, "shutdown:    {shutdown}")?;
        writeln!(
            out,
            "offsets:     lowest {lowest}, next {next} ({})",
            count(next - lowest, "record")
        )?;
        write_recovery(out, &args.dir, &report)?;
        if quarantined.is_empty() {
            writeln!(out, "quarantine:  empty")?;
        } else {
            writeln!(
                out,
                "quarantine:  {}, {quarantined_bytes} bytes (`segmentlog quarantine list {}`)",
                count(quarantined.len() as u64, "item"),
                args.dir.display()
            )?;
        }
        write_cursors(out, &cursors)?;
    }
    // A segment whose first or last record is damaged shows no time for it (reported below).
    let segments = log.segments().with_context(|| {
        format!(
            "cannot read the segments of {} (`segmentlog verify` finds the damage)",
            args.dir.display()
        )
    })?;
    let versions = segments
        .iter()
        .map(|s| store_version(&s.store_path))
        .collect::<Result<Vec<Option<u32>>>>()?;
    let compression = segments
        .iter()
        .map(|s| {
            segmentlog::files::store_compression(&s.store_path)
                .with_context(|| format!("cannot read {}", s.store_path.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let store_bytes: u64 = segments.iter().map(|s| s.store_bytes).sum();
    let index_bytes: u64 = segments.iter().map(|s| s.index_bytes).sum();
    let first_ts = segments.iter().find_map(|s| s.first_timestamp);
    let last_ts = segments.iter().rev().find_map(|s| s.last_timestamp);
    drop(log);

    if args.json {
        let segs: Vec<_> = segments
            .iter()
            .zip(&versions)
            .zip(&compression)
            .enumerate()
            .map(|(i, ((s, v), c))| {
                json!({
                    "base_offset": s.base_offset,
                    "next_offset": s.next_offset,
                    "records": s.next_offset - s.base_offset,
                    "store_bytes": s.store_bytes,
                    "index_bytes": s.index_bytes,
                    "first_timestamp_ms": s.first_timestamp,
                    "last_timestamp_ms": s.last_timestamp,
                    "first_time": s.first_timestamp.map(rfc3339_ms),
                    "last_time": s.last_timestamp.map(rfc3339_ms),
                    // The newest segment is the one a writer appends to. (`SegmentInfo::active`
                    // is false in a read-only view, so it is not what tells.)
                    "newest": i + 1 == segments.len(),
                    "format_version": v,
                    "codec": codec_name(c),
                    "store_path": s.store_path,
                    "index_path": s.index_path,
                })
            })
            .collect();
        let doc = json!({
            "dir": args.dir,
            "clean_shutdown": clean,
            "lowest_offset": lowest,
            "next_offset": next,
            "records": next - lowest,
            "store_bytes": store_bytes,
            "index_bytes": index_bytes,
            "first_timestamp_ms": first_ts,
            "last_timestamp_ms": last_ts,
            "segments": segs,
            "compression": compression_json(&compression),
            "recovery": recovery_json(&report),
            "cursors": cursors
                .iter()
                .map(|(name, p)| match p {
                    Ok(p) => crate::cursors::position_json(p),
                    Err(e) => json!({"name": name, "error": e.to_string()}),
                })
                .collect::<Vec<_>>(),
            "quarantine": {
                "items": quarantined.len(),
                "bytes": quarantined_bytes,
                "path": segmentlog::quarantine::path(&args.dir),
            },
        });
        writeln!(out, "{doc}")?;
        return unreadable_records(&segments, &args.dir, &quarantined);
    }

    writeln!(out, "format:      {}", version_summary(&versions))?;
    writeln!(out, "compression: {}", compression_summary(&compression))?;
    writeln!(
        out,
        "size:        {}, {store_bytes} store bytes, {index_bytes} index bytes",
        count(segments.len() as u64, "segment")
    )?;
    match (first_ts, last_ts) {
        (Some(a), Some(b)) => {
            writeln!(out, "first time:  {}", time_both(a))?;
            writeln!(out, "last time:   {}", time_both(b))?;
        }
        _ => writeln!(out, "time range:  none (no records)")?,
    }
    if !segments.is_empty() {
        writeln!(out)?;
        write_table(out, &segments)?;
    }
    unreadable_records(&segments, &args.dir, &quarantined)
}

/// The cursors, one line each with its lag (records appended it has not reached).
fn write_cursors(
    out: &mut dyn Write,
    cursors: &[(
        String,
        Result<segmentlog::CursorPosition, segmentlog::Error>,
    )],
) -> Result<()> {
    if cursors.is_empty() {
        writeln!(out, "cursors:     none")?;
        return Ok(());
    }
    writeln!(
        out,
        "cursors:     {}",
        count(cursors.len() as u64, "cursor")
    )?;
    for (name, p) in cursors {
        match p {
            Ok(p) => {
                let skipped = if p.skipped > 0 {
                    format!(", {} skipped", count(p.skipped, "record"))
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "               {name}: lag {} (committed {}, resumes at {}{skipped})",
                    count(p.lag, "record"),
                    p.committed,
                    p.resume
                )?;
            }
            Err(e) => writeln!(out, "               {name}: unreadable: {e}")?,
        }
    }
    Ok(())
}

/// What an open would do now, one line, then one line per event (known holes apart).
fn write_recovery(out: &mut dyn Write, dir: &Path, report: &RecoveryReport) -> Result<()> {
    let new: Vec<&RecoveryEvent> = report.events.iter().filter(|e| !is_known_hole(e)).collect();
    let in_holes: u64 = new
        .iter()
        .filter(|e| e.kind == segmentlog::RecoveryEventKind::Hole)
        .map(|e| e.offsets.end - e.offsets.start)
        .sum();
    if new.is_empty() {
        if report.clean_shutdown {
            writeln!(
                out,
                "recovery:    none needed (closed cleanly, so an open reads no store through; \
                 `segmentlog verify {}` does)",
                dir.display()
            )?;
        } else {
            writeln!(
                out,
                "recovery:    an open now would lose nothing ({} scanned, {} checked)",
                count(report.segments_scanned, "segment"),
                count(report.records_checked, "record")
            )?;
        }
    } else {
        let lost: Vec<&&RecoveryEvent> = new.iter().filter(|e| e.kind.loses_data()).collect();
        if lost.is_empty() {
            writeln!(out, "recovery:    an open now would only rebuild indexes")?;
        } else {
            writeln!(
                out,
                "recovery:    an open now would take at most {} bytes out of the log (into \
                 the quarantine): {} into holes, {} cut",
                lost.iter().map(|e| e.bytes).sum::<u64>(),
                count(in_holes, "record"),
                count(report.records_cut(), "record"),
            )?;
        }
        for e in new {
            writeln!(out, "               {e}")?;
        }
    }
    for e in report.events.iter().filter(|e| is_known_hole(e)) {
        writeln!(out, "               known {e}")?;
    }
    Ok(())
}

fn recovery_json(report: &RecoveryReport) -> serde_json::Value {
    let new = || report.events.iter().filter(|e| !is_known_hole(e));
    json!({
        "clean_shutdown": report.clean_shutdown,
        "segments_scanned": report.segments_scanned,
        "records_checked": report.records_checked,
        "would_lose_data": new().any(|e| e.kind.loses_data()),
        "records_in_holes": new()
            .filter(|e| e.kind == segmentlog::RecoveryEventKind::Hole)
            .map(|e| e.offsets.end - e.offsets.start)
            .sum::<u64>(),
        "known_holes": report
            .events
            .iter()
            .filter(|e| is_known_hole(e))
            .map(|e| e.offsets.end - e.offsets.start)
            .sum::<u64>(),
        "records_cut": report.records_cut(),
        "events": report
            .events
            .iter()
            .map(|e| event_json(e, is_known_hole(e)))
            .collect::<Vec<_>>(),
    })
}

/// Fails (after everything readable was shown) if a segment's first or last record could not
/// be read and is not a hole already in the quarantine: the log is damaged, and `verify` says
/// where.
fn unreadable_records(
    segments: &[SegmentInfo],
    dir: &Path,
    quarantined: &[QuarantineEntry],
) -> Result<()> {
    let known = |offset: u64| {
        quarantined
            .iter()
            .any(|e| e.kind == QuarantineKind::Hole && e.offsets.contains(&offset))
    };
    let damaged = segments.iter().find(|s| {
        s.next_offset > s.base_offset
            && ((s.first_timestamp.is_none() && !known(s.base_offset))
                || (s.last_timestamp.is_none() && !known(s.next_offset - 1)))
    });
    match damaged {
        Some(s) => anyhow::bail!(
            "segment {} of {} holds a corrupt record; `segmentlog verify {}` finds the damage",
            s.base_offset,
            dir.display(),
            dir.display()
        ),
        None => Ok(()),
    }
}

/// The table of segments, one line each, columns aligned.
fn write_table(out: &mut dyn Write, segments: &[SegmentInfo]) -> Result<()> {
    let header = [
        "BASE",
        "NEXT",
        "RECORDS",
        "STORE",
        "INDEX",
        "FIRST TIME",
        "FIRST MS",
        "LAST TIME",
        "LAST MS",
        "",
    ];
    let time = |t: Option<u64>| t.map_or("-".to_owned(), rfc3339_ms);
    let ms = |t: Option<u64>| t.map_or("-".to_owned(), |t| t.to_string());
    let rows: Vec<[String; 10]> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            [
                s.base_offset.to_string(),
                s.next_offset.to_string(),
                (s.next_offset - s.base_offset).to_string(),
                s.store_bytes.to_string(),
                s.index_bytes.to_string(),
                time(s.first_timestamp),
                ms(s.first_timestamp),
                time(s.last_timestamp),
                ms(s.last_timestamp),
                if i + 1 == segments.len() {
                    "newest"
                } else {
                    ""
                }
                .to_owned(),
            ]
        })
        .collect();
    crate::display::write_table(out, &header, &rows)?;
    Ok(())
}

/// "version 2", or every version seen if segments disagree, and how many store headers
/// could not be read.
fn codec_name(c: &segmentlog::files::CompressionStats) -> String {
    match c.codec {
        None => "none".to_owned(),
        Some(segmentlog::Compression::Zstd) => format!("zstd (level {})", c.level),
        Some(other) => other.name().to_owned(),
    }
}

/// Totals over the segments: (bytes the records take, bytes they would take uncompressed,
/// frames, values in frames, records).
fn compression_totals(stats: &[segmentlog::files::CompressionStats]) -> (u64, u64, u64, u64, u64) {
    stats.iter().fold((0, 0, 0, 0, 0), |t, s| {
        (
            t.0 + s.stored_bytes,
            t.1 + s.plain_bytes,
            t.2 + s.frames,
            t.3 + s.values_in_frames,
            t.4 + s.records,
        )
    })
}

/// The codecs of the segments and the ratio achieved: "zstd (level 3), 5.1x smaller (...)".
fn compression_summary(stats: &[segmentlog::files::CompressionStats]) -> String {
    let mut names: Vec<String> = stats.iter().map(codec_name).collect();
    names.dedup();
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    let codecs = match distinct.as_slice() {
        [] => "none".to_owned(),
        [one] => one.clone(),
        _ => format!("mixed ({})", names.join(", ")),
    };
    let (stored, plain, frames, in_frames, records) = compression_totals(stats);
    if frames == 0 {
        return format!("{codecs}; no compressed batch");
    }
    format!(
        "{codecs}; {:.2}x smaller: records take {stored} bytes, {plain} uncompressed          ({} in {}, of {records})",
        plain as f64 / stored.max(1) as f64,
        count(in_frames, "record"),
        count(frames, "frame")
    )
}

fn compression_json(stats: &[segmentlog::files::CompressionStats]) -> serde_json::Value {
    let (stored, plain, frames, in_frames, records) = compression_totals(stats);
    json!({
        "record_bytes": stored,
        "uncompressed_bytes": plain,
        "ratio": if stored == 0 { 1.0 } else { plain as f64 / stored as f64 },
        "frames": frames,
        "records_in_frames": in_frames,
        "records": records,
    })
}

fn version_summary(versions: &[Option<u32>]) -> String {
    let mut distinct: Vec<u32> = versions.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let unreadable = versions.iter().filter(|v| v.is_none()).count() as u64;
    let known = match distinct.as_slice() {
        [] if unreadable == 0 => "no segments yet".to_owned(),
        [] => "unknown".to_owned(),
        [v] => format!("version {v}"),
        many => format!("mixed versions {many:?}"),
    };
    if unreadable == 0 {
        known
    } else {
        format!(
            "{known} ({} with an unreadable header)",
            count(unreadable, "store")
        )
    }
}

/// The format version in a store file's header (`None` if the header is not readable: an
/// open rewrites it, and `verify` says why).
fn store_version(path: &Path) -> Result<Option<u32>> {
    segmentlog::files::store_format_version(path)
        .with_context(|| format!("cannot read the header of {}", path.display()))
}
