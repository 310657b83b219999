//! The second step of recovery: deciding, from what every segment holds and says, which
//! damage is a hole and where a torn tail begins. Nothing is changed here (a dry run or a
//! strict open stops after this step).
//!
//! The rule (docs/FORMAT.md, "Recovery"): damage among records that were durable is a hole;
//! the first damage past them is where a torn tail begins, and everything after it (later
//! records, later segments) was never durable and is cut. What was durable is the largest of:
//! - everything, after a clean shutdown;
//! - a whole sealed segment, when the segment after it does not carry `PREV_UNSYNCED` (it was
//!   synced before that one was created) or when any later segment proves durable (a sync
//!   covers the segments before the one it syncs);
//! - the durable count in the segment's header (written by close, a roll, `truncate_back`
//!   and the open after a crash);
//! - the largest durable count any intact record of the segment claims (every append records
//!   how much of its segment was synced when it was written).

use std::ops::Range;

use super::examine::{Contents, Examined};
use super::scan::{Damage, End};
use crate::error::{Error, Result};
use crate::format::{FileHeader, HOLE, STORE_HEADER_LEN};

/// Bytes past a kept segment's last entry that leave the log.
#[derive(Debug)]
pub(crate) struct Trailing {
    /// They held durable records (their offsets are holes), or they were never durable.
    pub hole: bool,
    /// Records were cut off here (not only bytes after the last record): nothing after this
    /// point stays in the log.
    pub cut: bool,
    pub offsets: Range<u64>,
    pub position: u64,
    pub reason: String,
}

/// A segment that stays in the log.
#[derive(Debug)]
pub(crate) struct Keep {
    pub ex: Examined,
    /// The index to write (`None`: the trusted index stays as it is).
    pub entries: Option<Vec<u32>>,
    pub count: u64,
    /// Store position past the last entry.
    pub end: u64,
    /// Damaged spans among the entries (their bytes stay in the store).
    pub holes: Vec<Damage>,
    /// Bytes past `end` to take out.
    pub trailing: Option<Trailing>,
    /// A header to write over an unreadable one.
    pub new_header: Option<FileHeader>,
    /// The index disagreed with the store (reported as a rebuild).
    pub index_rebuilt: bool,
    /// The newest segment kept (the active one of a writable log).
    pub is_last: bool,
    /// How many of its records were durable (`u64::MAX`: all).
    pub durable: u64,
}

impl Keep {
    pub fn next(&self) -> u64 {
        self.ex.base + self.count
    }

    /// The header the segment has once the plan is applied.
    pub fn header(&self) -> FileHeader {
        self.new_header.unwrap_or_else(|| self.ex.usable_header())
    }
}

/// A segment that leaves the log (into the quarantine).
#[derive(Debug)]
pub(crate) struct Dropped {
    pub ex: Examined,
    /// Left by an interrupted `truncate_front` (else: after a cut, or never finished).
    pub obsolete: bool,
    pub reason: String,
}

#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub keep: Vec<Keep>,
    pub dropped: Vec<Dropped>,
}

impl Plan {
    /// The first thing a strict open refuses: any hole, cut, dropped segment or header
    /// rewrite (an index rebuild is fine: the index is a cache).
    pub fn first_problem(&self) -> Option<Error> {
        for k in &self.keep {
            let corrupt = |position, reason: &str| Error::Corrupt {
                segment: k.ex.base,
                file: "store",
                position,
                reason: reason.to_owned(),
            };
            if let Some(d) = k.holes.first() {
                return Some(corrupt(d.position, &d.reason));
            }
            if let Some(t) = &k.trailing {
                return Some(corrupt(t.position, &t.reason));
            }
            if let (Some(_), Err(p)) = (&k.new_header, &k.ex.header) {
                return Some(corrupt(0, &p.reason));
            }
        }
        self.dropped.first().map(|d| Error::Corrupt {
            segment: d.ex.base,
            file: "store",
            position: 0,
            reason: d.reason.clone(),
        })
    }
}

/// How many records of each segment were durable (`u64::MAX`: all it holds), oldest first.
fn durable_counts(exs: &[Examined], clean: bool) -> Vec<u64> {
    let n = exs.len();
    let mut durable = vec![0u64; n];
    let mut later = false;
    for i in (0..n).rev() {
        let sealed_and_synced = i + 1 < n && (later || !exs[i + 1].prev_unsynced());
        durable[i] = if clean || sealed_and_synced {
            match exs.get(i + 1) {
                Some(next) => next.base - exs[i].base,
                None => u64::MAX,
            }
        } else {
            exs[i].claimed()
        };
        later |= durable[i] > 0;
    }
    durable
}

/// Decides the fate of every examined segment (oldest first).
pub(crate) fn plan(exs: Vec<Examined>, clean: bool, max_entries: u64) -> Result<Plan> {
    let durable = durable_counts(&exs, clean);
    // Whether some segment from i on proves durable (then damage before it is a hole).
    let mut proof_from = vec![false; exs.len() + 1];
    for i in (0..exs.len()).rev() {
        proof_from[i] = proof_from[i + 1] || durable[i] > 0;
    }
    let mut plan = Plan::default();
    let mut cut: Option<String> = None;
    let total = exs.len();
    for (i, ex) in exs.into_iter().enumerate() {
        if let Some(why) = &cut {
            plan.dropped.push(Dropped {
                ex,
                obsolete: false,
                reason: why.clone(),
            });
            continue;
        }
        let last = i + 1 == total;
        if let Some(prev) = plan.keep.last_mut() {
            let prev_next = prev.next();
            if ex.base > prev_next && ex.is_rebase() {
                // An interrupted truncate_front: everything below this segment is obsolete.
                for k in plan.keep.drain(..) {
                    plan.dropped.push(Dropped {
                        ex: k.ex,
                        obsolete: true,
                        reason: format!(
                            "below segment {} of an interrupted truncate_front",
                            ex.base
                        ),
                    });
                }
            } else if ex.base > prev_next && proof_from[i] {
                // Durable records are missing between two segments: a hole (the log keeps the
                // gap; reads of those offsets fail with `Hole`). Bytes left past the last
                // record before it held them.
                let missing = prev_next..ex.base;
                let position = prev.end;
                match &mut prev.trailing {
                    Some(t) => {
                        t.hole = true;
                        t.cut = false;
                        t.offsets = t.offsets.start.min(missing.start)..missing.end;
                    }
                    None => {
                        prev.trailing = Some(Trailing {
                            hole: true,
                            cut: false,
                            offsets: missing,
                            position,
                            reason: "records missing between segments".into(),
                        })
                    }
                }
            } else if ex.base != prev_next {
                let what = if ex.base > prev_next {
                    format!(
                        "records {prev_next}..{} are missing before segment {} and nothing \
                         after them was durable",
                        ex.base, ex.base
                    )
                } else if proof_from[i] {
                    return Err(Error::Corrupt {
                        segment: ex.base,
                        file: "store",
                        position: 0,
                        reason: format!(
                            "segment starts at offset {} but the previous one runs to {prev_next}",
                            ex.base
                        ),
                    });
                } else {
                    format!(
                        "segment starts at offset {} but the previous one runs to {prev_next}",
                        ex.base
                    )
                };
                cut = Some(what.clone());
                plan.dropped.push(Dropped {
                    ex,
                    obsolete: false,
                    reason: what,
                });
                continue;
            }
        }
        match decide(ex, durable[i], last, max_entries) {
            Decided::Keep(k) => {
                let cut_here = k.trailing.as_ref().is_some_and(|t| t.cut);
                if cut_here {
                    cut = Some(format!(
                        "follows the torn tail of segment {} (nothing after it was durable)",
                        k.ex.base
                    ));
                }
                plan.keep.push(k);
            }
            Decided::Drop(d) => {
                cut = Some(d.reason.clone());
                plan.dropped.push(d);
            }
        }
    }
    if let Some(k) = plan.keep.last_mut() {
        k.is_last = true;
    }
    Ok(plan)
}

enum Decided {
    Keep(Keep),
    Drop(Dropped),
}

/// The fate of one segment's records, given how many were durable.
fn decide(ex: Examined, durable: u64, last: bool, max_entries: u64) -> Decided {
    let unreadable = ex.header.as_ref().err().cloned();
    let claimed = ex.claimed();
    if let Some(p) = &unreadable {
        // Without a header nothing the segment holds is usable unless something proves it
        // was durable: then the header is rebuilt and the records stay.
        let never_used = p.unfinished && ex.count() == 0 && claimed == 0;
        if (durable == 0 && claimed == 0) || (never_used && last) {
            let reason = if p.unfinished {
                "a segment whose creation never finished".to_string()
            } else {
                format!(
                    "unreadable store header ({}) and nothing proves it durable",
                    p.reason
                )
            };
            return Decided::Drop(Dropped {
                ex,
                obsolete: false,
                reason,
            });
        }
    }
    let scan = match ex.contents {
        Contents::Trusted { count, end } => {
            return Decided::Keep(Keep {
                ex,
                entries: None,
                count,
                end,
                holes: Vec::new(),
                trailing: None,
                new_header: None,
                index_rebuilt: false,
                is_last: false,
                durable,
            });
        }
        Contents::Scanned(ref s) => s,
    };
    let found = scan.entries.len() as u64;
    let limit = durable.min(if durable == u64::MAX { found } else { durable });
    let base = ex.base;
    // The first damage past what was durable starts the torn tail.
    let tail_at = scan
        .damage
        .iter()
        .find(|d| d.first - base >= limit)
        .map_or(found, |d| d.first - base);
    // Records past what was durable count only up to their last commit point (a batch that
    // was never acknowledged is all or nothing).
    let mut kept = limit.min(tail_at);
    if let Some(j) = (kept as usize..tail_at as usize)
        .rev()
        .find(|&j| scan.commits[j])
    {
        kept = j as u64 + 1;
    }
    // A damaged span that straddles the durable limit is a hole as a whole.
    if let Some(d) = scan
        .damage
        .iter()
        .find(|d| d.first - base < kept && d.end - base > kept)
    {
        kept = d.end - base;
    }
    let end = match kept {
        0 => STORE_HEADER_LEN,
        k => u64::from(scan.ends[k as usize - 1]),
    };
    let holes: Vec<Damage> = scan
        .damage
        .iter()
        .filter(|d| d.first - base < kept)
        .cloned()
        .collect();
    let mut entries = scan.entries[..kept as usize].to_vec();
    let mut count = kept;
    let mut trailing = None;
    // How many offsets the segment is known to have given out: what was durable, what its
    // header and records claim. More than an index can hold is no claim (a damaged number).
    let known = if durable == u64::MAX { 0 } else { durable }.max(claimed);
    let known = if known > max_entries.max(found) {
        found
    } else {
        known
    };
    // A sealed segment proven durable holds `durable` offsets (up to the next segment).
    let sealed_durable = if last || durable == u64::MAX {
        0
    } else {
        durable
    };
    if kept == found && (sealed_durable > found || (last && known > found)) {
        // Durable records lost at the end of the data (zeroed, cut off, or damage nothing
        // follows): holes, so that their offsets are never given again. In the newest
        // segment they are entries of its index; before a later segment the loss is a gap in
        // the segment list (see `plan`).
        let missing = base + found..base + known.max(sealed_durable);
        if last {
            entries.extend(missing.clone().map(|_| HOLE));
            count = known;
        }
        trailing = Some(Trailing {
            hole: true,
            cut: false,
            offsets: missing,
            position: end,
            reason: match &scan.stop {
                End::Torn { reason } => reason.clone(),
                End::Clean => "durable records are zeros".into(),
            },
        });
    } else if kept < found || matches!(scan.stop, End::Torn { .. }) {
        let reason = match scan.damage.iter().find(|d| d.first - base >= kept) {
            Some(d) => d.reason.clone(),
            None if kept < found => {
                format!("batch starting at offset {} was not completed", base + kept)
            }
            None => match &scan.stop {
                End::Torn { reason } => reason.clone(),
                End::Clean => unreachable!("checked above"),
            },
        };
        trailing = Some(Trailing {
            hole: false,
            cut: kept < found,
            offsets: base + kept..base + found,
            position: end,
            reason,
        });
    }
    let new_header = unreadable.map(|_| FileHeader {
        epoch: scan.last_epoch,
        ..FileHeader::new(base, 0)
    });
    let index_rebuilt = ex.index_mismatch;
    Decided::Keep(Keep {
        entries: Some(entries),
        count,
        end,
        holes,
        trailing,
        new_header,
        index_rebuilt,
        is_last: false,
        durable,
        ex,
    })
}
