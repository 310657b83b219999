//! `segmentlog quarantine list|show|purge`: what recovery and repair took out of the log.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use segmentlog::Error;
use segmentlog::quarantine::{self, QuarantineEntry};
use serde_json::json;

use crate::args::{
    QuarantineArgs, QuarantineCommand, QuarantineListArgs, QuarantinePurgeArgs, QuarantineShowArgs,
};
use crate::display::{count, entry_json, offset_ranges, rfc3339_ms};
use crate::open::require_log_or_quarantine;

pub fn run(args: &QuarantineArgs, out: &mut dyn Write) -> Result<()> {
    match &args.command {
        QuarantineCommand::List(a) => list(a, out),
        QuarantineCommand::Show(a) => show(a, out),
        QuarantineCommand::Purge(a) => purge(a, out),
    }
}

/// Every item of the quarantine of `dir` (none if it has no quarantine). Only reads.
pub fn entries(dir: &Path) -> Result<Vec<QuarantineEntry>> {
    quarantine::list(dir)
        .with_context(|| format!("cannot read the quarantine of {}", dir.display()))
}

fn list(args: &QuarantineListArgs, out: &mut dyn Write) -> Result<()> {
    let dir = &args.dir;
    require_log_or_quarantine(dir)?;
    let items = entries(dir)?;
    let qdir = quarantine::path(dir);
    let bytes: u64 = items.iter().map(|e| e.bytes).sum();
    if args.json {
        let items: Vec<_> = items
            .iter()
            .map(|e| entry_json(e, &qdir.join(&e.file)))
            .collect();
        let doc = json!({
            "dir": dir,
            "path": qdir,
            "items": items,
            "count": items.len(),
            "bytes": bytes,
        });
        writeln!(out, "{doc}")?;
        return Ok(());
    }
    if items.is_empty() {
        writeln!(out, "the quarantine of {} is empty", dir.display())?;
        return Ok(());
    }
    let header = [
        "ID", "TIME", "KIND", "SEGMENT", "OFFSETS", "BYTES", "FILE", "REASON",
    ];
    let rows: Vec<[String; 8]> = items
        .iter()
        .map(|e| {
            let offsets = offset_ranges([&e.offsets]);
            [
                e.id.to_string(),
                rfc3339_ms(e.time_ms),
                e.kind.as_str().to_owned(),
                e.segment.to_string(),
                if offsets.is_empty() {
                    "-".to_owned()
                } else {
                    offsets
                },
                e.bytes.to_string(),
                e.file.clone(),
                e.reason.clone(),
            ]
        })
        .collect();
    crate::display::write_table(out, &header, &rows)?;
    writeln!(
        out,
        "{}, {bytes} bytes in {}",
        count(items.len() as u64, "item"),
        qdir.display()
    )?;
    Ok(())
}

fn show(args: &QuarantineShowArgs, out: &mut dyn Write) -> Result<()> {
    let dir = &args.dir;
    require_log_or_quarantine(dir)?;
    let Some(e) = entries(dir)?.into_iter().find(|e| e.id == args.id) else {
        bail!(
            "the quarantine of {} holds no item {} (`segmentlog quarantine list {}`)",
            dir.display(),
            args.id,
            dir.display()
        );
    };
    let path = quarantine::path(dir).join(&e.file);
    if args.raw {
        let mut file =
            File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        io::copy(&mut file, out).with_context(|| format!("cannot copy {}", path.display()))?;
        return Ok(());
    }
    let on_disk = match std::fs::metadata(&path) {
        Ok(m) => format!("{} bytes", m.len()),
        Err(err) => format!("missing ({err})"),
    };
    let offsets = if e.offsets.is_empty() {
        "none (no whole record)".to_owned()
    } else {
        format!(
            "{} ({})",
            offset_ranges([&e.offsets]),
            count(e.offsets.end - e.offsets.start, "record")
        )
    };
    writeln!(out, "id:        {}", e.id)?;
    writeln!(
        out,
        "time:      {} ({} ms)",
        rfc3339_ms(e.time_ms),
        e.time_ms
    )?;
    writeln!(out, "kind:      {}", e.kind)?;
    writeln!(out, "segment:   {}", e.segment)?;
    writeln!(out, "source:    {}, byte {}", e.source, e.position)?;
    writeln!(out, "offsets:   {offsets}")?;
    writeln!(out, "bytes:     {}", e.bytes)?;
    writeln!(out, "reason:    {}", e.reason)?;
    writeln!(out, "file:      {} ({on_disk})", path.display())?;
    Ok(())
}

fn purge(args: &QuarantinePurgeArgs, out: &mut dyn Write) -> Result<()> {
    let dir = &args.dir;
    require_log_or_quarantine(dir)?;
    let ids = (!args.all).then_some(args.ids.as_slice());
    let report = quarantine::purge(dir, ids).map_err(|e| match e {
        Error::Locked { .. } => anyhow::anyhow!(
            "refusing to purge the quarantine of {}: another process holds its writer lock \
             (stop the writer, then purge again)",
            dir.display()
        ),
        e => anyhow::Error::new(e)
            .context(format!("cannot purge the quarantine of {}", dir.display())),
    })?;
    if report.removed.is_empty() {
        writeln!(
            out,
            "the quarantine of {} is empty: nothing purged",
            dir.display()
        )?;
        return Ok(());
    }
    let ids: Vec<String> = report.removed.iter().map(|e| e.id.to_string()).collect();
    writeln!(
        out,
        "purged {} ({} bytes) from the quarantine of {}: {} {}",
        count(report.removed.len() as u64, "item"),
        report.bytes,
        dir.display(),
        if ids.len() == 1 { "id" } else { "ids" },
        ids.join(", ")
    )?;
    Ok(())
}
