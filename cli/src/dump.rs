//! `segmentlog dump`: print records, and a line for each hole.

use std::io::Write;

use anyhow::{Context, Result};
use segmentlog::{Error, Iter};

use crate::args::{DumpArgs, Format};
use crate::display::{hole_line, record_line};
use crate::open::open_read_only;

pub fn run(args: &DumpArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let from = match args.from {
        Some(from) => from,
        None => log.lowest_offset()?,
    };
    let end = from.saturating_add(args.count.unwrap_or(u64::MAX));
    // Stops at the end of the log as it is now, or before offset `end`.
    let mut iter = log.iter(from);
    while iter.position() < end {
        let Some(item) = iter.next() else { break };
        if !print(&mut iter, item, end, args.format, out)
            .with_context(|| format!("cannot dump {}", args.dir.display()))?
        {
            break;
        }
    }
    Ok(())
}

/// Prints what `iter` yielded, a record or a hole (a hole is no error: the iterator goes on
/// after it), as long as it lies below `end`; returns whether it did. Other errors are
/// returned.
pub fn print(
    iter: &mut Iter,
    item: segmentlog::Result<segmentlog::Record>,
    end: u64,
    format: Format,
    out: &mut dyn Write,
) -> Result<bool> {
    match item {
        Ok(rec) if rec.offset < end => writeln!(out, "{}", record_line(&rec, format))?,
        Ok(_) => return Ok(false),
        Err(Error::Hole {
            offset,
            segment,
            reason,
        }) if offset < end => {
            // The iterator resumes after the hole: offsets up to there are all in it.
            let to = Iter::position(iter).clamp(offset + 1, end);
            writeln!(
                out,
                "{}",
                hole_line(offset, to - offset, segment, &reason, format)
            )?;
        }
        Err(Error::Hole { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    Ok(true)
}
