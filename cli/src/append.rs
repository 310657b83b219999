//! `segmentlog append`: lines of stdin, or whole files, as records.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use segmentlog::{Log, Options};

use crate::args::AppendArgs;
use crate::display::count;
use crate::report::warn_if_not_clean;

pub fn run(args: &AppendArgs, stdin: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    let mut options = Options::default();
    if let Some(bytes) = args.max_segment_bytes {
        options.max_segment_bytes = bytes;
    }
    // Read and check every file before appending anything, so a missing or oversized file
    // appends nothing.
    let files = args
        .files
        .iter()
        .map(|f| std::fs::read(f).with_context(|| format!("cannot read {}", f.display())))
        .collect::<Result<Vec<Vec<u8>>>>()?;
    let max = options.max_value_bytes();
    if let Some((path, v)) = args
        .files
        .iter()
        .zip(&files)
        .find(|(_, v)| v.len() as u64 > max)
    {
        bail!(
            "{} holds {} bytes, more than one record may ({max} bytes with --max-segment-bytes {}); nothing was appended",
            path.display(),
            v.len(),
            options.max_segment_bytes
        );
    }
    let dir = args.dir.display();
    let log = Log::open(&args.dir, options).with_context(|| format!("cannot open log {dir}"))?;
    warn_if_not_clean(&args.dir, log.recovery_report());
    let first = log.next_offset()?;
    let appended = if args.files.is_empty() {
        append_lines(&log, stdin)
    } else {
        files
            .iter()
            .try_for_each(|v| log.append(v).map(drop).map_err(Into::into))
    };
    let next = log.next_offset()?;
    // close() syncs: every record is durable once the command reports it.
    let closed = log.close();
    appended.with_context(|| match next - first {
        0 => format!("appending to {dir} failed; nothing was appended"),
        n => format!(
            "appending to {dir} stopped after {} (offsets {first}..={})",
            count(n, "record"),
            next - 1
        ),
    })?;
    closed.with_context(|| format!("cannot close log {dir}"))?;
    if next == first {
        writeln!(out, "appended nothing to {dir} (next offset {next})")?;
    } else {
        writeln!(
            out,
            "appended {} to {dir}: offsets {first}..={} (next offset {next})",
            count(next - first, "record"),
            next - 1
        )?;
    }
    Ok(())
}

/// Appends each line (without `\n` or `\r\n`) as one record; bytes need not be UTF-8.
fn append_lines(log: &Log, input: &mut dyn BufRead) -> Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("cannot read stdin")?
            == 0
        {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        log.append(&line)?;
    }
}
