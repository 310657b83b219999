//! `segmentlog cursors list|show|set|delete`: the log's named cursors.

use std::io::Write;

use anyhow::{Context, Result, bail};
use segmentlog::{CursorPosition, CursorStart, Log};
use serde_json::json;

use crate::args::{CursorNameArgs, CursorSetArgs, CursorsArgs, CursorsCommand, CursorsListArgs};
use crate::display::{rfc3339_ms, time_both};
use crate::open::open_read_only;

pub fn run(args: &CursorsArgs, out: &mut dyn Write) -> Result<()> {
    match &args.command {
        CursorsCommand::List(a) => list(a, out),
        CursorsCommand::Show(a) => show(a, out),
        CursorsCommand::Set(a) => set(a, out),
        CursorsCommand::Delete(a) => delete(a, out),
    }
}

/// Every cursor of `log` with its position, or why it cannot be read (a damaged file).
pub fn positions(log: &Log) -> Result<Vec<(String, Result<CursorPosition, segmentlog::Error>)>> {
    let names = log.cursor_names().context("cannot list the cursors")?;
    Ok(names
        .into_iter()
        .map(|name| {
            let p = log.open_cursor(&name).and_then(|c| c.position());
            (name, p)
        })
        .collect())
}

pub fn position_json(p: &CursorPosition) -> serde_json::Value {
    json!({
        "name": p.name,
        "committed": p.committed,
        "resume": p.resume,
        "lag": p.lag,
        "skipped": p.skipped,
        "commits": p.commits,
        "committed_at_ms": p.committed_at_ms,
        "committed_at": rfc3339_ms(p.committed_at_ms),
    })
}

fn list(args: &CursorsListArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let all = positions(&log)?;
    if args.json {
        let items: Vec<_> = all
            .iter()
            .map(|(name, p)| match p {
                Ok(p) => position_json(p),
                Err(e) => json!({"name": name, "error": e.to_string()}),
            })
            .collect();
        writeln!(out, "{}", json!({"dir": args.dir, "cursors": items}))?;
        return Ok(());
    }
    if all.is_empty() {
        writeln!(out, "{} has no cursors", args.dir.display())?;
        return Ok(());
    }
    let header = [
        "NAME",
        "COMMITTED",
        "RESUME",
        "LAG",
        "SKIPPED",
        "COMMITS",
        "COMMITTED AT",
    ];
    let rows: Vec<[String; 7]> = all
        .iter()
        .map(|(name, p)| match p {
            Ok(p) => [
                name.clone(),
                p.committed.to_string(),
                p.resume.to_string(),
                p.lag.to_string(),
                p.skipped.to_string(),
                p.commits.to_string(),
                rfc3339_ms(p.committed_at_ms),
            ],
            Err(e) => [
                name.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                format!("unreadable: {e}"),
            ],
        })
        .collect();
    crate::display::write_table(out, &header, &rows)?;
    Ok(())
}

fn show(args: &CursorNameArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let p = log
        .open_cursor(&args.name)
        .and_then(|c| c.position())
        .with_context(|| {
            format!(
                "cannot read cursor {:?} of {}",
                args.name,
                args.dir.display()
            )
        })?;
    if args.json {
        writeln!(out, "{}", position_json(&p))?;
        return Ok(());
    }
    writeln!(out, "cursor:       {}", p.name)?;
    writeln!(
        out,
        "committed:    {} (the next offset to process)",
        p.committed
    )?;
    writeln!(out, "resumes at:   {}", p.resume)?;
    writeln!(out, "lag:          {} records", p.lag)?;
    if p.skipped > 0 {
        writeln!(
            out,
            "skipped:      {} records dropped before it processed them",
            p.skipped
        )?;
    }
    writeln!(out, "commits:      {}", p.commits)?;
    writeln!(out, "committed at: {}", time_both(p.committed_at_ms))?;
    Ok(())
}

fn set(args: &CursorSetArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let position = match args.position.as_str() {
        "lowest" => log.lowest_offset()?,
        "next" => log.next_offset()?,
        n => match n.parse::<u64>() {
            Ok(n) => n,
            Err(_) => bail!("the position must be an offset, `lowest` or `next` (got {n:?})"),
        },
    };
    let what = || {
        format!(
            "cannot set cursor {:?} of {}",
            args.name,
            args.dir.display()
        )
    };
    let cursor = log
        .cursor(&args.name, CursorStart::Offset(position))
        .with_context(what)?;
    if !cursor.created() {
        cursor.commit(position).with_context(what)?;
    }
    let verb = if cursor.created() { "created" } else { "set" };
    writeln!(out, "cursor {:?} {verb} at {position}", args.name)?;
    Ok(())
}

fn delete(args: &CursorNameArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    log.delete_cursor(&args.name).with_context(|| {
        format!(
            "cannot delete cursor {:?} of {}",
            args.name,
            args.dir.display()
        )
    })?;
    writeln!(out, "cursor {:?} deleted", args.name)?;
    Ok(())
}
