//! `commitlog repair`: back up, cut the log back to its valid prefix, say what went.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use commitlog::{Error, Log};

use crate::args::RepairArgs;
use crate::open::require_log;
use crate::verify::{check, write_report};

/// Returns whether the log is clean afterwards.
pub fn run(args: &RepairArgs, out: &mut dyn Write) -> Result<bool> {
    let dir = &args.dir;
    require_log(dir)?;
    let report = Log::repair(dir, false).map_err(|e| refusal(dir, e))?;
    writeln!(out, "{report}")?;
    let again = check(dir, true)?;
    writeln!(out, "checked again:")?;
    write_report(out, dir, &again)?;
    Ok(again.problems.is_empty())
}

/// One clear message for a log that cannot be opened for writing.
fn refusal(dir: &Path, e: Error) -> anyhow::Error {
    match e {
        Error::Locked { .. } => anyhow::anyhow!(
            "refusing to repair {}: another process holds its writer lock (stop the writer, then run repair again)",
            dir.display()
        ),
        e => anyhow::Error::new(e).context(format!("cannot open log {}", dir.display())),
    }
}
