//! `commitlog dump`: print records.

use std::io::Write;

use anyhow::{Context, Result};

use crate::args::DumpArgs;
use crate::display::record_line;
use crate::open::open_read_only;
use crate::records;

pub fn run(args: &DumpArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let from = match args.from {
        Some(from) => from,
        None => log.lowest_offset()?,
    };
    // Stops at the end of the log as it is now; a damaged record ends the dump with its error
    // after everything before it was printed.
    let mut iter = log.iter(from);
    records::each(&mut iter, args.count.unwrap_or(u64::MAX), |rec| {
        writeln!(out, "{}", record_line(&rec, args.format))?;
        Ok(())
    })
    .with_context(|| format!("cannot dump {}", args.dir.display()))
}
