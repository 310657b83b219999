//! `commitlog tail`: the last records, and with `-f` the ones appended after.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::args::TailArgs;
use crate::display::record_line;
use crate::open::open_read_only;

/// How long one wait for new records lasts before waiting again; only bounds how often the
/// loop wakes, records are printed as soon as they are seen.
const WAIT: Duration = Duration::from_millis(500);

pub fn run(args: &TailArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let next = log.next_offset()?;
    let start = next.saturating_sub(args.lines).max(log.lowest_offset()?);
    let context = || format!("cannot read {}", args.dir.display());
    let mut iter = log.iter(start);
    for rec in iter.by_ref() {
        writeln!(
            out,
            "{}",
            record_line(&rec.with_context(context)?, args.format)
        )?;
    }
    if !args.follow {
        return Ok(());
    }
    out.flush()?;
    // Runs until killed, or until a write fails because the reader went away (EPIPE, which
    // main turns into a quiet exit 0).
    loop {
        if let Some(rec) = iter.next_timeout(Some(WAIT)).with_context(context)? {
            writeln!(out, "{}", record_line(&rec, args.format))?;
            out.flush()?;
        }
    }
}
