//! Reading records by offset, and the log's bounds.

use std::sync::Arc;

use super::Log;
use super::shared::{find, next_held};
use crate::error::{Error, Result};
use crate::record::{Record, RecordRef};
use crate::segment::Segment;

impl Log {
    /// Reads the record at `offset`.
    pub fn read(&self, offset: u64) -> Result<Record> {
        self.read_with(offset, |r| r.to_record())
    }

    /// Calls `f` with the record at `offset`, borrowed from the log's memory map (no copy).
    /// `f` must not call into this log.
    pub fn read_with<R>(&self, offset: u64, f: impl FnOnce(RecordRef<'_>) -> R) -> Result<R> {
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only {
            if offset >= sh.end_offset() {
                sh.refresh()?;
            }
            let attempt = || {
                let segs = sh.segments.read();
                sh.locate(&segs, offset)
                    .and_then(|seg| seg.read_with(offset, |r| r.to_record()))
            };
            // The writer may have cut records this reader still knows: on damage, reload once;
            // an index entry that still lies is rebuilt.
            let mut rec = attempt();
            if let Err(e) = &rec
                && sh.fresh_view_after(e)?
            {
                rec = attempt();
            }
            if let Err(e) = &rec
                && let Some(base) = sh.doubtful_index(e)
                && sh.reindex(base)?
            {
                rec = attempt();
            }
            let rec = rec?;
            return Ok(f(RecordRef {
                offset: rec.offset,
                timestamp: rec.timestamp,
                value: &rec.value,
            }));
        }
        let mut f = Some(f);
        let mut call = |r: RecordRef<'_>| (f.take().expect("called once"))(r);
        let first = {
            let segs = sh.segments.read();
            sh.locate(&segs, offset)?.read_with(offset, &mut call)
        };
        match first {
            Err(e) => match sh.doubtful_index(&e) {
                Some(base) if sh.reindex(base)? => {
                    let segs = sh.segments.read();
                    sh.locate(&segs, offset)?.read_with(offset, call)
                }
                _ => Err(e),
            },
            ok => ok,
        }
    }

    /// Reads the records at `offsets`, in that order (an offset may repeat): the same records
    /// as calling [`Log::read`] for each, and the same first error, but faster for many random
    /// offsets, since their memory misses overlap (like RocksDB's `MultiGet`).
    pub fn read_many(&self, offsets: &[u64]) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(offsets.len());
        self.read_many_with(offsets, |r| out.push(r.to_record()))?;
        Ok(out)
    }

    /// Calls `f` with each record at `offsets`, in that order, borrowed from the log's memory
    /// map; stops at the first offset that cannot be read and returns its error (`f` has then
    /// seen the records before it). `f` must not call into this log.
    ///
    /// Offsets are taken a window at a time: the index entries of the whole window are asked
    /// of memory first, then the records, then each record is checked and handed out, so a
    /// window costs about two memory latencies instead of two per record.
    pub fn read_many_with(&self, offsets: &[u64], mut f: impl FnMut(RecordRef<'_>)) -> Result<()> {
        /// Reads per window (and per taking of the segments lock, so that a long call does
        /// not hold off a roll or a truncation).
        const WINDOW: usize = 16;
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only {
            // Reads through `pread` (no map to prefetch from): one at a time.
            for &offset in offsets {
                self.read_with(offset, &mut f)?;
            }
            return Ok(());
        }
        let mut start = 0;
        let mut reindexed = None;
        'windows: while start < offsets.len() {
            let window = &offsets[start..(start + WINDOW).min(offsets.len())];
            let segs = sh.segments.read();
            let mut found: [Option<&Arc<Segment>>; WINDOW] = [None; WINDOW];
            for (slot, &offset) in found.iter_mut().zip(window) {
                if let Some(seg) = find(&segs, offset) {
                    seg.prefetch_entry(offset);
                    *slot = Some(seg);
                }
            }
            for (seg, &offset) in found.iter().zip(window) {
                if let Some(seg) = seg {
                    seg.prefetch_record(offset);
                }
            }
            for (i, (seg, &offset)) in found.iter().zip(window).enumerate() {
                let read = match seg {
                    Some(seg) => seg.read_with(offset, &mut f),
                    None => Err(sh.locate(&segs, offset).expect_err("not found above")),
                };
                if let Err(e) = read {
                    drop(segs);
                    // A lying index entry: rebuilt (once per segment), and the reads go on
                    // from this offset.
                    match sh.doubtful_index(&e) {
                        Some(base) if reindexed != Some(base) && sh.reindex(base)? => {
                            reindexed = Some(base);
                            start += i;
                            continue 'windows;
                        }
                        _ => return Err(e),
                    }
                }
            }
            start += window.len();
        }
        Ok(())
    }
}

/// What [`Log::read_into`] copied: the value's length and the record's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Bytes of the value, copied to the start of the buffer.
    pub len: usize,
    /// The record's timestamp (milliseconds since the Unix epoch).
    pub timestamp: u64,
}

impl Log {
    /// Copies the value at `offset` to the start of `buf`: `Ok(Ok(copied))`, or `Ok(Err(n))`
    /// when the value (`n` bytes) does not fit, with nothing copied, so the caller can ask
    /// again with room for `n` (the record may have changed in between: it is read anew).
    /// What every binding's read into a caller's memory is built on.
    pub fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<Result<Copied, usize>> {
        self.read_with(offset, |r| {
            let len = r.value.len();
            let dst = buf.get_mut(..len).ok_or(len)?;
            dst.copy_from_slice(r.value);
            Ok(Copied {
                len,
                timestamp: r.timestamp,
            })
        })
    }

    /// Copies the values at `offsets`, in that order, back to back into `buf` (a multi-get
    /// into the caller's memory, as fast as [`Log::read_many_with`]), and calls
    /// `value_len(i, n)` with the length of each value `i`. Returns the bytes all the values
    /// take together: when that is more than `buf.len()`, only the values before the first
    /// that did not fit were copied, and the caller can ask again with room for all. Stops at
    /// the first offset that cannot be read and returns its error.
    pub fn read_many_into(
        &self,
        offsets: &[u64],
        buf: &mut [u8],
        mut value_len: impl FnMut(usize, usize),
    ) -> Result<usize> {
        // Bytes the values need; None once that overflows usize (then nothing more fits).
        let (mut total, mut i) = (Some(0usize), 0);
        self.read_many_with(offsets, |r| {
            let len = r.value.len();
            value_len(i, len);
            i += 1;
            if let Some(at) = total {
                let end = at.checked_add(len);
                if let Some(dst) = end.and_then(|end| buf.get_mut(at..end)) {
                    dst.copy_from_slice(r.value);
                }
                total = end;
            }
        })?;
        total.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the {} values together are longer than {} bytes",
                offsets.len(),
                usize::MAX
            ))
        })
    }
}

impl Log {
    /// The lowest offset the log holds (equal to `next_offset()` when it is empty).
    pub fn lowest_offset(&self) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        let segs = sh.segments.read();
        Ok(sh.bounds(&segs).0)
    }

    /// The offset the next append will get.
    pub fn next_offset(&self) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        Ok(sh.end_offset())
    }

    /// Number of records held: `next_offset() - lowest_offset()`.
    pub fn len(&self) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        let segs = sh.segments.read();
        let (lowest, next) = sh.bounds(&segs);
        Ok(next - lowest)
    }

    /// Whether the log holds no record.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The first offset appended at or after `timestamp_ms` (ms since the Unix epoch); the
    /// lowest offset if every record is that new, `next_offset()` if none is.
    ///
    /// Timestamps never decrease along the log (an append never gets an earlier time than
    /// the record before it, even if the clock steps back), so this is a binary search over
    /// the offsets: O(log n) record reads through the index, no separate time index.
    pub fn offset_at_time(&self, timestamp_ms: u64) -> Result<u64> {
        let sh = &*self.shared;
        sh.check_open()?;
        sh.refresh()?;
        let segs = sh.segments.read();
        let (mut lo, mut hi) = sh.bounds(&segs);
        // The first readable record at or after `o` below `hi`: holes have no time.
        let readable = |mut o: u64, hi: u64| -> Result<Option<(u64, u64)>> {
            while o < hi {
                o = next_held(&segs, o);
                if o >= hi {
                    break;
                }
                match sh.locate(&segs, o)?.timestamp(o) {
                    Ok(t) => return Ok(Some((o, t))),
                    Err(Error::Hole { .. }) => o += 1,
                    Err(e) => return Err(e),
                }
            }
            Ok(None)
        };
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match readable(mid, hi)? {
                Some((_, t)) if t >= timestamp_ms => hi = mid,
                Some((o, _)) => lo = o + 1,
                None => hi = mid,
            }
        }
        Ok(lo)
    }
}
