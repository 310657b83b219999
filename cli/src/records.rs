//! Walking records in order, with the error of a damaged record reported after every good
//! record before it.

use anyhow::Result;
use commitlog::{Iter, Record};

/// Calls `f` with up to `limit` records of `iter`, stopping at the end of the log or at the
/// first error, which is returned after the records that precede it were handed to `f`.
pub fn each(iter: &mut Iter, limit: u64, mut f: impl FnMut(Record) -> Result<()>) -> Result<()> {
    let mut left = limit;
    while left > 0 {
        match iter.next() {
            None => return Ok(()),
            Some(Ok(rec)) => f(rec)?,
            Some(Err(e)) => {
                // Workaround for core (d373671): `Iter` reads ahead in runs, and when a run hits
                // damage it yields the error *before* the good records it had already read in
                // that run, then yields those. Hand them out first, so a dump shows everything
                // up to the damage. With the order fixed in core this loop finds nothing.
                for rec in iter.by_ref().map_while(Result::ok) {
                    if left == 0 {
                        break;
                    }
                    f(rec)?;
                    left -= 1;
                }
                // The damage lies after those records: if they filled the limit, the caller
                // never asked for the damaged one.
                return if left == 0 { Ok(()) } else { Err(e.into()) };
            }
        }
        left -= 1;
    }
    Ok(())
}
