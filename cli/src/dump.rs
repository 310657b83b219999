//! `commitlog dump`: print records.

use std::io::Write;

use anyhow::{Context, Result};

use crate::args::DumpArgs;
use crate::display::record_line;
use crate::open::open_read_only;

pub fn run(args: &DumpArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let from = match args.from {
        Some(from) => from,
        None => log.lowest_offset()?,
    };
    let limit = usize::try_from(args.count.unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
    // Stops at the end of the log as it is now. A damaged record ends the dump with its error,
    // after every record before it was printed (the iterator yields them first).
    for rec in log.iter(from).take(limit) {
        let rec = rec.with_context(|| format!("cannot dump {}", args.dir.display()))?;
        writeln!(out, "{}", record_line(&rec, args.format))?;
    }
    Ok(())
}
