//! `commitlog info`: what a log directory holds.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result};
use commitlog::SegmentInfo;
use serde_json::json;

use crate::args::InfoArgs;
use crate::display::{count, rfc3339_ms, time_both};
use crate::open::open_read_only;

pub fn run(args: &InfoArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let lowest = log.lowest_offset()?;
    let next = log.next_offset()?;
    let clean = log.opened_clean();
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
    }
    // A segment whose first or last record is damaged shows no time for it (reported below).
    let segments = log.segments().with_context(|| {
        format!(
            "cannot read the segments of {} (`commitlog verify` finds the damage)",
            args.dir.display()
        )
    })?;
    let versions = segments
        .iter()
        .map(|s| store_version(&s.store_path))
        .collect::<Result<Vec<u32>>>()?;
    let store_bytes: u64 = segments.iter().map(|s| s.store_bytes).sum();
    let index_bytes: u64 = segments.iter().map(|s| s.index_bytes).sum();
    let first_ts = segments.iter().find_map(|s| s.first_timestamp);
    let last_ts = segments.iter().rev().find_map(|s| s.last_timestamp);
    drop(log);

    if args.json {
        let segs: Vec<_> = segments
            .iter()
            .zip(&versions)
            .enumerate()
            .map(|(i, (s, v))| {
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
        });
        writeln!(out, "{doc}")?;
        return unreadable_records(&segments, &args.dir);
    }

    writeln!(out, "format:      {}", version_summary(&versions))?;
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
    unreadable_records(&segments, &args.dir)
}

/// Fails (after everything readable was shown) if a segment's first or last record could not
/// be read: the log is damaged, and `verify` says where.
fn unreadable_records(segments: &[SegmentInfo], dir: &std::path::Path) -> Result<()> {
    let damaged = segments.iter().find(|s| {
        s.next_offset > s.base_offset && (s.first_timestamp.is_none() || s.last_timestamp.is_none())
    });
    match damaged {
        Some(s) => anyhow::bail!(
            "segment {} of {} holds a corrupt record; `commitlog verify {}` finds the damage",
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
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(&header))?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}

/// "version 1", or every version seen if segments disagree.
fn version_summary(versions: &[u32]) -> String {
    let mut distinct = versions.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    match distinct.as_slice() {
        [] => "no segments yet".to_owned(),
        [v] => format!("version {v}"),
        many => format!("mixed versions {many:?}"),
    }
}

/// The format version in a store file's header (bytes 8..12, see `commitlog::format`).
fn store_version(path: &Path) -> Result<u32> {
    let mut header = [0u8; commitlog::format::STORE_HEADER_LEN as usize];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .with_context(|| format!("cannot read the header of {}", path.display()))?;
    Ok(u32::from_le_bytes([
        header[8], header[9], header[10], header[11],
    ]))
}
