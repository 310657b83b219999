//! `segmentlog`: the operator's tool for segmentlog directories (info, dump, verify, tail,
//! append, repair, quarantine). Exit status: 0 success, 1 corrupt log (verify, repair), 2 error
//! or usage.

mod append;
mod args;
mod cursors;
mod display;
mod dump;
mod info;
mod open;
mod quarantine;
mod repair;
mod report;
mod tail;
mod verify;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// The log is corrupt (verify found problems, or problems remain after repair).
const EXIT_CORRUPT: u8 = 1;
/// Any error: bad usage (clap uses 2 too), I/O, a locked log, an unreadable record.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = BufWriter::new(io::stdout().lock());
    let result = run(&cli.command, &mut out);
    // Whatever was printed before an error (e.g. the records before a damaged one) goes out
    // before the error line.
    let flushed = out.flush().map_err(anyhow::Error::from);
    match result.and_then(|clean| flushed.map(|()| clean)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_CORRUPT),
        // The reader of our output went away (`segmentlog dump | head`): not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("segmentlog: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Runs one command; `Ok(false)` means the log was found corrupt.
fn run(command: &Command, out: &mut dyn Write) -> anyhow::Result<bool> {
    match command {
        Command::Info(a) => info::run(a, out).map(|()| true),
        Command::Dump(a) => dump::run(a, out).map(|()| true),
        Command::Verify(a) => verify::run(a, out),
        Command::Tail(a) => tail::run(a, out).map(|()| true),
        Command::Append(a) => append::run(a, &mut io::stdin().lock(), out).map(|()| true),
        Command::Repair(a) => repair::run(a, out),
        Command::Quarantine(a) => quarantine::run(a, out).map(|()| true),
        Command::Cursors(a) => cursors::run(a, out).map(|()| true),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
