//! Iteration in offset order.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Log;
use super::shared::{Shared, next_held};
use super::tail::WaitCanceller;
use crate::crc;
use crate::error::{Error, Result};
use crate::format::{self, RECORD_HEADER_LEN};
use crate::frame::{self, Frame};
use crate::record::{Record, RecordRef};

impl Log {
    /// Iterates over records in offset order starting at `from`, up to the end of the log as
    /// it grows; [`Iter::next_timeout`] waits for records not yet appended.
    pub fn iter(&self, from: u64) -> Iter {
        Iter {
            shared: self.shared.clone(),
            next: from,
            raw: Vec::new(),
            at: 0,
            raw_pos: 0,
            raw_segment: 0,
            raw_limit: 0,
            raw_to_end: false,
            need: 0,
            checked_to: 0,
            done: false,
            skip_holes: false,
            reindexed: None,
            refreshed_at: None,
            frame: Frame::default(),
            frame_first: 0,
            frame_ts: 0,
            frame_live: 0..0,
        }
    }
}

/// An iterator over records in offset order; see [`Log::iter`].
///
/// As an [`Iterator`] it ends at the current end of the log (and yields more if called again
/// after further appends). It yields `Err(OutOfRange)` if its position falls below the lowest
/// offset (truncation, retention) or beyond the end, and `Err(Closed)` once the log is
/// closed; after such an error it ends. A hole (a damaged record, see [`Error::Hole`]) is
/// yielded as `Err(Hole)` at its offset and iteration goes on after it (a run of offsets
/// missing between two segments is one error, at its first offset);
/// [`Iter::skip_holes`] passes over holes silently. Under the lock it only copies a run of store bytes (up to
/// 128 KiB); records are checked (three checksums at a time) and handed out one by one from
/// that copy, so iteration costs no syscall and no lock per record, and a damaged record comes
/// after the good ones before it. [`Iter::next_with`] lends each value instead of allocating
/// a `Vec` for it: the fastest way through a log.
#[derive(Debug)]
pub struct Iter {
    shared: Arc<Shared>,
    /// Offset of the record this iterator yields next.
    next: u64,
    /// A run of store bytes copied under the lock, from store position `raw_pos` of segment
    /// `raw_segment`; `at` is where the record `next` starts in it.
    raw: Vec<u8>,
    at: usize,
    raw_pos: u64,
    raw_segment: u64,
    /// The segment's next offset when `raw` was copied: records at or past it are not used.
    raw_limit: u64,
    /// Whether `raw` reached the published end of its segment (a record running past the
    /// end of `raw` is then damage, not a cut).
    raw_to_end: bool,
    /// Bytes the next copy must hold at least (a record longer than `RUN_BYTES`).
    need: u64,
    /// Records in `raw` from `at` up to here have had their checksums checked already.
    checked_to: usize,
    done: bool,
    skip_holes: bool,
    /// The segment whose index this iterator had rebuilt last.
    reindexed: Option<u64>,
    /// A read-only iterator took fresh views of the directory after errors at this position
    /// (at most `FRESH_VIEWS` per position: an error that survives them is real).
    refreshed_at: Option<(u64, u32)>,
    /// The last frame met in `raw`, decompressed: its first offset is `frame_first`, and the
    /// offsets `frame_live` of it are still to be handed out (its bytes in `raw` are passed).
    frame: Frame,
    frame_first: u64,
    frame_ts: u64,
    frame_live: Range<u64>,
}

/// Bytes copied under the lock at a time: small enough that the copy stays in the CPU's
/// cache until the records are checked and handed out, large enough that the lock and the
/// index lookup are paid once per few hundred records.
pub(super) const RUN_BYTES: u64 = 128 << 10;

/// Fresh views a read-only iterator takes at one position before an error there is real: a
/// writer that cuts its log back hundreds of times a second can cut again under one retry.
const FRESH_VIEWS: u32 = 8;

/// Records whose checksums are checked together (see `crc::crc32c_x3`).
pub(super) const CHECK_AHEAD: usize = 3;

/// Where a checked record lies in `Iter::raw`.
pub(super) struct Found {
    offset: u64,
    timestamp: u64,
    value: Range<usize>,
    /// `value` lies in the decompressed frame, not in the copied run.
    in_frame: bool,
}

impl Iter {
    /// Passes over holes (damaged records) without yielding them as errors.
    pub fn skip_holes(mut self, skip: bool) -> Iter {
        self.skip_holes = skip;
        self
    }

    /// A read-only iterator's error that may come from the writer changing the files under
    /// it: takes a fresh view and, if it differs, goes back to where the error was (at most
    /// `FRESH_VIEWS` times per position).
    fn may_refresh(&mut self, at: u64, e: &Error) -> bool {
        if !self.shared.options.read_only || !super::follower::may_be_stale(e) {
            return false;
        }
        let views = match self.refreshed_at {
            Some((o, n)) if o == at => n + 1,
            _ => 1,
        };
        if views > FRESH_VIEWS {
            return false;
        }
        self.refreshed_at = Some((at, views));
        // An unchanged view would give the same error again: it is real, and the iterator
        // goes on from where the error left it.
        if !self.shared.fresh_view_after(e).unwrap_or(false) {
            return false;
        }
        let at = match e {
            Error::Hole { offset, .. } => *offset,
            _ => at,
        };
        self.resume_at(at);
        true
    }

    /// Whether `e` was a lying index entry that is now rebuilt (once per segment and
    /// iterator: the run is copied again through the new index).
    fn may_reindex(&mut self, e: &Error) -> bool {
        let Some(base) = self.shared.doubtful_index(e) else {
            return false;
        };
        if self.reindexed == Some(base) {
            return false;
        }
        self.reindexed = Some(base);
        let next = self.next;
        self.resume_at(next);
        self.shared.reindex(base).unwrap_or(false)
    }

    /// Forgets the copied run and resumes at `offset` (past a hole).
    fn resume_at(&mut self, offset: u64) {
        self.next = offset;
        self.raw.clear();
        self.at = 0;
        self.checked_to = 0;
        self.need = 0;
        self.raw_limit = 0;
        self.frame_live = 0..0;
    }

    /// The hole at `offset`, found in the copied run at `position`: iteration goes on after it.
    fn damaged(&mut self, offset: u64, position: u64, reason: String) -> Error {
        let segment = self.raw_segment;
        self.resume_at(offset + 1);
        Error::Hole {
            offset,
            segment,
            reason: format!("{reason} (byte {position})"),
        }
    }

    /// The offset of the record this iterator yields next.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Copies the next run of store bytes; `false` at the end of the log.
    pub(super) fn fill(&mut self) -> Result<bool> {
        let shared = self.shared.clone();
        let sh = &*shared;
        sh.check_open()?;
        if sh.options.read_only && self.next >= sh.end_offset() {
            sh.refresh()?;
        }
        let segs = sh.segments.read();
        let (lowest, end) = sh.bounds(&segs);
        if self.next < lowest || self.next > end {
            return Err(sh.out_of_range(self.next, &segs));
        }
        self.raw.clear();
        self.at = 0;
        self.checked_to = 0;
        self.frame_live = 0..0;
        if self.next == end {
            return Ok(false);
        }
        let seg = match sh.locate(&segs, self.next) {
            Ok(seg) => seg,
            Err(e @ Error::Hole { .. }) => {
                // Offsets missing between segments: one error, then the next segment.
                let resume = next_held(&segs, self.next);
                self.resume_at(resume);
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let (pos, limit, to_end) =
            match seg.copy_run(self.next, RUN_BYTES.max(self.need), &mut self.raw) {
                Ok(run) => run,
                Err(e @ Error::Hole { .. }) => {
                    self.resume_at(self.next + 1);
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
        self.raw_pos = pos;
        self.raw_segment = seg.base;
        self.raw_limit = limit;
        self.raw_to_end = to_end;
        self.need = 0;
        Ok(true)
    }

    /// Checks the next record (copying more store bytes when needed) and steps past it;
    /// `None` at the end of the log.
    pub(super) fn advance(&mut self) -> Result<Option<Found>> {
        loop {
            if self.next < self.raw_limit && self.frame_live.contains(&self.next) {
                return Ok(Some(self.next_in_frame()));
            }
            let avail = self.raw.len() - self.at;
            if self.next < self.raw_limit && avail >= RECORD_HEADER_LEN as usize {
                let offset = self.next;
                let b = &self.raw[self.at..];
                let (segment, position) = (self.raw_segment, self.raw_pos + self.at as u64);
                let Some(h) = format::decode_record_header(b) else {
                    let why = format!("record {offset} is all zeros");
                    return Err(self.damaged(offset, position, why));
                };
                let is_frame = h.is_frame();
                // A run copied for an offset inside a frame starts at the frame.
                let fits = h.offset == offset || (is_frame && self.at == 0 && h.offset < offset);
                if !fits {
                    let why = format!(
                        "record holds offset {} where {offset} was expected",
                        h.offset
                    );
                    let whole = self.at + (h.total_len() as usize) <= self.raw.len();
                    let intact = whole
                        && format::record_crc_ok(
                            &self.raw[self.at..self.at + h.total_len() as usize],
                        );
                    if self.at == 0 && intact {
                        // The index sent us here, to an intact record of another offset: the
                        // index is wrong, not the record.
                        return Err(Error::Corrupt {
                            segment,
                            file: "index",
                            position,
                            reason: why,
                        });
                    }
                    return Err(self.damaged(offset, position, why));
                }
                let total = h.total_len() as usize;
                if total <= avail {
                    if self.at + total > self.checked_to {
                        self.check_ahead();
                    }
                    if self.at + total > self.checked_to {
                        let why = format!("checksum mismatch in record {offset}");
                        return Err(self.damaged(offset, position, why));
                    }
                    if is_frame {
                        let value =
                            &self.raw[self.at + RECORD_HEADER_LEN as usize..self.at + total];
                        if let Err(why) = frame::decode(value, &mut self.frame) {
                            return Err(self.damaged(
                                offset,
                                position,
                                format!("frame {offset}: {why}"),
                            ));
                        }
                        let end = h.offset + self.frame.count();
                        if offset >= end {
                            let why = format!(
                                "frame {}..{end} where record {offset} was expected",
                                h.offset
                            );
                            return Err(Error::Corrupt {
                                segment,
                                file: "index",
                                position,
                                reason: why,
                            });
                        }
                        self.frame_first = h.offset;
                        self.frame_live = offset..end;
                        self.frame_ts = h.timestamp;
                        self.at += total;
                        return Ok(Some(self.next_in_frame()));
                    }
                    let start = self.at + RECORD_HEADER_LEN as usize;
                    self.at += total;
                    self.next += 1;
                    return Ok(Some(Found {
                        offset,
                        timestamp: h.timestamp,
                        value: start..self.at,
                        in_frame: false,
                    }));
                }
                if self.raw_to_end {
                    let why = format!(
                        "record {offset} claims {} bytes, past the end of the data",
                        h.len
                    );
                    return Err(self.damaged(offset, position, why));
                }
                self.need = total as u64;
            } else if self.next < self.raw_limit && avail > 0 && self.raw_to_end {
                let (offset, position) = (self.next, self.raw_pos + self.at as u64);
                let why = format!("record {offset} lies past the end of the data");
                return Err(self.damaged(offset, position, why));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Hands out the next value of the decompressed frame (`next` is in `frame_live`).
    fn next_in_frame(&mut self) -> Found {
        let offset = self.next;
        self.next += 1;
        self.frame_live.start = self.next;
        let i = (offset - self.frame_first) as usize;
        Found {
            offset,
            timestamp: self.frame.timestamp(i, self.frame_ts),
            value: self.frame.span(i),
            in_frame: true,
        }
    }

    /// Checks the checksums of the next `CHECK_AHEAD` whole records in `raw` from `at` in one
    /// go and moves `checked_to` past those that hold, up to the first that does not (the
    /// caller reports that one when it gets there). Only the checksums: each record's header
    /// is still checked against its offset when it is handed out.
    pub(super) fn check_ahead(&mut self) {
        let mut spans = [(0usize, 0usize); CHECK_AHEAD];
        let mut found = 0;
        let mut at = self.at;
        while found < CHECK_AHEAD {
            let rest = &self.raw[at..];
            if rest.len() < RECORD_HEADER_LEN as usize {
                break;
            }
            let Some(h) = format::decode_record_header(rest) else {
                break;
            };
            let total = h.total_len();
            if total > rest.len() as u64 {
                break;
            }
            spans[found] = (at, at + total as usize);
            found += 1;
            at += total as usize;
        }
        let raw = &self.raw;
        let passed = if found == CHECK_AHEAD {
            let [a, b, c] = spans;
            let crcs = crc::crc32c_x3([&raw[a.0 + 4..a.1], &raw[b.0 + 4..b.1], &raw[c.0 + 4..c.1]]);
            crcs.iter()
                .zip(spans)
                .take_while(|&(&crc, (start, _))| crc == format::u32_at(raw, start))
                .count()
        } else {
            spans[..found]
                .iter()
                .take_while(|&&(start, end)| format::record_crc_ok(&raw[start..end]))
                .count()
        };
        if passed > 0 {
            self.checked_to = spans[passed - 1].1;
        }
    }

    /// Calls `f` with the next record borrowed from the iterator's buffer (no allocation, no
    /// copy of the value); `None` at the current end of the log. Errors as for `next`.
    pub fn next_with<R>(&mut self, f: impl FnOnce(RecordRef<'_>) -> R) -> Option<Result<R>> {
        if self.done {
            return None;
        }
        loop {
            let at = self.next;
            return match self.advance() {
                Ok(Some(found)) => Some(Ok(f(RecordRef {
                    offset: found.offset,
                    timestamp: found.timestamp,
                    value: if found.in_frame {
                        &self.frame.raw()[found.value]
                    } else {
                        &self.raw[found.value]
                    },
                }))),
                Ok(None) => None,
                Err(e) if self.may_refresh(at, &e) => continue,
                Err(Error::Hole { .. }) if self.skip_holes => continue,
                Err(e @ Error::Hole { .. }) => Some(Err(e)),
                Err(e) if self.may_reindex(&e) => continue,
                Err(e) => {
                    self.done = true;
                    Some(Err(e))
                }
            };
        }
    }

    /// Yields the next record, waiting up to `timeout` (`None`: forever) for it to be
    /// appended. `Ok(None)` means the timeout passed.
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Record>> {
        self.next_waiting(timeout, None)
    }

    /// [`Iter::next_timeout`] that `canceller` can end: `Ok(None)` at once when it is
    /// cancelled (before or during the wait; records already there are still returned).
    pub fn next_timeout_or_cancel(
        &mut self,
        timeout: Option<Duration>,
        canceller: &WaitCanceller,
    ) -> Result<Option<Record>> {
        self.next_waiting(timeout, Some(canceller))
    }

    fn next_waiting(
        &mut self,
        timeout: Option<Duration>,
        canceller: Option<&WaitCanceller>,
    ) -> Result<Option<Record>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        // Unlike `Iterator::next`, an error does not end a tail: each call tries again (a
        // persistent condition, such as a position below the lowest offset, fails again).
        self.done = false;
        loop {
            if let Some(item) = self.next() {
                return item.map(Some);
            }
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(None),
                },
            };
            let log = Log {
                shared: self.shared.clone(),
            };
            let arrived = match canceller {
                Some(c) => log.wait_for_or_cancel(self.next, left, c)?,
                None => log.wait_for(self.next, left)?,
            };
            if !arrived {
                return Ok(None);
            }
        }
    }
}

impl Iterator for Iter {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each record's `Vec` is allocated as it is handed out, so the caller frees one just
        // before the next is allocated (glibc's per-thread cache hits). Allocating a whole
        // run's records at once overflowed that cache: malloc and free were 16% of iteration.
        self.next_with(|r| r.to_record())
    }
}
