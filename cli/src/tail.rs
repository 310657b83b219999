//! `segmentlog tail`: the last records, and with `-f` the ones appended after.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::args::TailArgs;
use crate::dump::print;
use crate::open::open_read_only;

/// How long one wait for new records lasts before waiting again; bounds how soon a vanished
/// reader is noticed, while records are printed as soon as they are seen.
const WAIT: Duration = Duration::from_millis(500);

pub fn run(args: &TailArgs, out: &mut dyn Write) -> Result<()> {
    let log = open_read_only(&args.dir)?;
    let next = log.next_offset()?;
    let start = next.saturating_sub(args.lines).max(log.lowest_offset()?);
    let context = || format!("cannot read {}", args.dir.display());
    let mut iter = log.iter(start);
    // A hole is printed as one line in the place of its records, and the tail goes on.
    while let Some(item) = iter.next() {
        if let Err(segmentlog::Error::OutOfRange {
            offset,
            lowest,
            next,
        }) = item
        {
            iter = log.iter(moved(args, offset, lowest, next));
            continue;
        }
        print(&mut iter, item, u64::MAX, args.format, out).with_context(context)?;
    }
    if !args.follow {
        return Ok(());
    }
    out.flush()?;
    // Runs until killed, or until the reader of our output goes away: seen by a failed write
    // (EPIPE, which main turns into a quiet exit 0) or, while no record comes, by polling.
    loop {
        match iter.next_timeout(Some(WAIT)) {
            Ok(Some(rec)) => {
                print(&mut iter, Ok(rec), u64::MAX, args.format, out).with_context(context)?;
                out.flush()?;
            }
            Ok(None) if stdout_reader_gone() => return Ok(()),
            Ok(None) => {}
            Err(segmentlog::Error::OutOfRange {
                offset,
                lowest,
                next,
            }) => iter = log.iter(moved(args, offset, lowest, next)),
            Err(e) => {
                print(&mut iter, Err(e), u64::MAX, args.format, out).with_context(context)?;
                out.flush()?;
            }
        }
    }
}

/// The writer moved the log under the tail (at `offset`; the log holds `lowest..next`):
/// retention or `truncate_front` removed where it was, or `truncate_back` cut the log below
/// it. Says so; returns the offset to go on from.
fn moved(args: &TailArgs, offset: u64, lowest: u64, next: u64) -> u64 {
    let (from, why) = if offset < lowest {
        (lowest, "records below it were removed")
    } else {
        (next, "the log was cut back below it")
    };
    eprintln!(
        "segmentlog: tail: offset {offset} is gone from {} ({why}); following from offset {from}",
        args.dir.display()
    );
    from
}

/// Whether stdout is a pipe or socket whose reading end was closed (`tail -f | head -1`
/// after head exited): poll reports an error or hang-up on our end. Never true for a
/// terminal or a file.
#[cfg(unix)]
fn stdout_reader_gone() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: `fd` is one valid, writable pollfd for the duration of the call; timeout 0
    // means poll returns at once.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

/// Windows has no poll of a pipe's other end: a closed pipe shows as the next write's error
/// (ERROR_NO_DATA), which ends `tail -f` the same way, one record later.
#[cfg(not(unix))]
fn stdout_reader_gone() -> bool {
    false
}
