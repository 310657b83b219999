//! Reading a segment's published records: every read checks the index entry, the record's
//! header, its checksum and its offset; what cannot be given whole is a hole.

use super::files::FilesRef;
use super::{Files, Segment};
use crate::error::{Error, Result};
use crate::format::{self, HOLE, RECORD_HEADER_LEN, STORE_HEADER_LEN};
use crate::frame::{self, Frame};
use crate::record::RecordRef;

thread_local! {
    /// The buffers a read decompresses a frame into, kept per thread.
    static READ_FRAME: std::cell::Cell<Frame> = std::cell::Cell::new(Frame::default());
}

impl Segment {
    /// The segment's files and its published bounds (`next`, `end`), read in that order:
    /// opening a sealed segment's files may lower its end to what its store really holds
    /// (`shrink_to`), so bounds read before would be stale.
    pub(super) fn files_and_bounds(&self) -> Result<(FilesRef<'_>, u64, u64)> {
        let files = self.files()?;
        Ok((files, self.next(), self.end()))
    }

    /// As [`Segment::files_and_bounds`], for reading the published record at `offset`: one
    /// that opening the files showed missing is a hole.
    fn files_holding(&self, offset: u64) -> Result<(FilesRef<'_>, u64, u64)> {
        let (files, next, end) = self.files_and_bounds()?;
        if offset < self.base || offset >= next {
            return Err(self.hole(offset, "its segment's store ends before its record"));
        }
        Ok((files, next, end))
    }

    /// The error for an offset whose record cannot be given: a hole.
    pub(crate) fn hole(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::Hole {
            offset,
            segment: self.base,
            reason: reason.into(),
        }
    }

    fn corrupt(&self, file: &'static str, position: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            segment: self.base,
            file,
            position,
            reason: reason.into(),
        }
    }

    /// Store position of a published record, checked against the published end; a hole is
    /// [`Error::Hole`].
    pub(super) fn position(&self, f: &Files, offset: u64, end: u64) -> Result<u64> {
        let slot = offset - self.base;
        let entry = f.index.get(slot).unwrap_or(0);
        if entry == HOLE {
            return Err(self.hole(offset, "its record was damaged (see the quarantine)"));
        }
        let pos = u64::from(entry);
        if pos < STORE_HEADER_LEN || pos + RECORD_HEADER_LEN > end {
            let at = format::INDEX_HEADER_LEN + slot * format::INDEX_ENTRY_LEN;
            return Err(self.corrupt(
                "index",
                at,
                format!("entry for offset {offset} points to {pos}, outside the store's records"),
            ));
        }
        Ok(pos)
    }

    /// Checks that a record's header fits what the index promised: a record that is not there
    /// whole is a hole. (Its offset is checked with its checksum, in `checked`: an intact
    /// record of another offset means the index entry is wrong, a damaged one is a hole.)
    pub(super) fn check_header(
        &self,
        offset: u64,
        pos: u64,
        end: u64,
        header: &[u8],
    ) -> Result<format::RecordHeader> {
        let Some(h) = format::decode_record_header(header) else {
            return Err(self.hole(offset, format!("its record at byte {pos} is all zeros")));
        };
        if pos + h.total_len() > end {
            return Err(self.hole(
                offset,
                format!(
                    "its record at byte {pos} claims {} bytes, past the end of the data",
                    h.len
                ),
            ));
        }
        Ok(h)
    }

    /// Calls `f` with the published record at `offset` (`base <= offset < next()` when the
    /// caller found it; a record that opening the files showed missing is a hole).
    pub(crate) fn read_with<R>(
        &self,
        offset: u64,
        f: impl FnOnce(RecordRef<'_>) -> R,
    ) -> Result<R> {
        let (files, _, end) = self.files_holding(offset)?;
        let pos = self.position(&files, offset, end)?;
        let store = &files.store;
        if store.is_mapped() {
            // SAFETY: pos + header <= end (checked by `position`), published bytes below `end`
            // are immutable while the caller holds the segments read lock, and `files` keeps
            // the map alive.
            let header = unsafe { store.slice(pos, RECORD_HEADER_LEN) };
            let h = self.check_header(offset, pos, end, header)?;
            // SAFETY: pos + total <= end (checked by `check_header`); as above.
            let bytes = unsafe { store.slice(pos, h.total_len()) };
            if h.is_frame() {
                return self.read_in_frame(offset, pos, &h, bytes, f);
            }
            Ok(f(self.checked(offset, pos, h.timestamp, bytes)?))
        } else {
            let mut header = [0u8; RECORD_HEADER_LEN as usize];
            let read = |buf: &mut [u8]| {
                let got = store
                    .with_file(false, |file| crate::platform::read_at_most(file, buf, pos))
                    .map_err(|e| Error::io(format!("reading {}", store.path().display()), e))?;
                // A file shorter than what the index promised: the record is not there (yet).
                if got < buf.len() {
                    return Err(self.hole(
                        offset,
                        format!("the file ends inside its record at byte {pos}"),
                    ));
                }
                Ok(())
            };
            read(&mut header)?;
            let h = self.check_header(offset, pos, end, &header)?;
            let mut bytes = vec![0u8; h.total_len() as usize];
            read(&mut bytes)?;
            if h.is_frame() {
                return self.read_in_frame(offset, pos, &h, &bytes, f);
            }
            Ok(f(self.checked(offset, pos, h.timestamp, &bytes)?))
        }
    }

    /// Calls `f` with the value of `offset` in the frame `bytes` (header `h`, read from store
    /// position `pos`): the whole frame is checked and decompressed.
    fn read_in_frame<R>(
        &self,
        offset: u64,
        pos: u64,
        h: &format::RecordHeader,
        bytes: &[u8],
        f: impl FnOnce(RecordRef<'_>) -> R,
    ) -> Result<R> {
        if !format::record_crc_ok(bytes) {
            return Err(self.hole(
                offset,
                format!("checksum mismatch in its frame at byte {pos}"),
            ));
        }
        let value = &bytes[RECORD_HEADER_LEN as usize..];
        let count = frame::header_of(value)
            .map_err(|why| self.hole(offset, format!("{why} (frame at byte {pos})")))?
            .count;
        // An intact frame that does not hold the offset: the index entry is wrong.
        if !(h.offset..h.offset.saturating_add(u64::from(count))).contains(&offset) {
            let slot = offset - self.base;
            return Err(self.corrupt(
                "index",
                format::INDEX_HEADER_LEN + slot * format::INDEX_ENTRY_LEN,
                format!(
                    "entry for offset {offset} points to byte {pos}, which holds the frame of \
                     records {}..{}",
                    h.offset,
                    h.offset.saturating_add(u64::from(count))
                ),
            ));
        }
        // Taken out of the thread's slot while `f` runs (it may read another log).
        let mut decoded = READ_FRAME.take();
        let result = frame::decode(value, &mut decoded)
            .map_err(|why| self.hole(offset, format!("{why} (frame at byte {pos})")))
            .map(|()| {
                let i = (offset - h.offset) as usize;
                f(RecordRef {
                    offset,
                    timestamp: decoded.timestamp(i, h.timestamp),
                    value: decoded.value(i),
                })
            });
        READ_FRAME.set(decoded);
        result
    }

    /// Runs `hint` on the segment's files if they are open: pinned, or a sealed segment's
    /// that the cache holds open (a hint never opens files). Sealed segments hold nearly all
    /// of a big log's records: hinting only the pinned ones left `read_many` of a log of 4
    /// segments at half its speed (2.5 M reads/s against 5.0 M).
    #[inline]
    fn with_open_files(&self, hint: impl FnOnce(&Files)) {
        if let Some(f) = &self.pinned {
            hint(f);
        } else if let Some(f) = &*self.lazy.files.read() {
            hint(f);
        }
    }

    /// Starts loading the index entry of the published record at `offset` (a hint).
    #[inline]
    pub(crate) fn prefetch_entry(&self, offset: u64) {
        self.with_open_files(|f| f.index.prefetch(offset - self.base));
    }

    /// Starts loading the header of the published record at `offset`, once its index entry
    /// is at hand (a hint: a damaged entry is found and reported by the read itself).
    #[inline]
    pub(crate) fn prefetch_record(&self, offset: u64) {
        self.with_open_files(|f| {
            if let Some(pos) = f.index.get(offset - self.base) {
                f.store.prefetch(u64::from(pos));
            }
        });
    }

    /// The record in `bytes` (its header and value, read from store position `pos`) once its
    /// checksum holds.
    fn checked<'a>(
        &self,
        offset: u64,
        pos: u64,
        timestamp: u64,
        bytes: &'a [u8],
    ) -> Result<RecordRef<'a>> {
        if !format::record_crc_ok(bytes) {
            return Err(self.hole(
                offset,
                format!("checksum mismatch in its record at byte {pos}"),
            ));
        }
        // An intact record of another offset: the index entry that sent us here is wrong.
        let held = format::record_offset(bytes);
        if held != offset {
            let slot = offset - self.base;
            return Err(self.corrupt(
                "index",
                format::INDEX_HEADER_LEN + slot * format::INDEX_ENTRY_LEN,
                format!(
                    "entry for offset {offset} points to byte {pos}, which holds record {held}"
                ),
            ));
        }
        Ok(RecordRef {
            offset,
            timestamp,
            value: &bytes[RECORD_HEADER_LEN as usize..],
        })
    }

    /// Copies the store bytes from the published record `from` on, up to the published end
    /// and at most `max_bytes`, into `out` (replacing its contents): one copy under the
    /// caller's segments lock; the caller parses and checks the records outside it. Returns
    /// (store position of `out[0]`, the segment's next offset when copied, whether the copy
    /// reaches the published end).
    pub(crate) fn copy_run(
        &self,
        from: u64,
        max_bytes: u64,
        out: &mut Vec<u8>,
    ) -> Result<(u64, u64, bool)> {
        let (files, next, end) = self.files_holding(from)?;
        let start = self.position(&files, from, end)?;
        let stop = end.min(start.saturating_add(max_bytes));
        out.clear();
        let store = &files.store;
        // Copied, not lent from the map: `truncate_back` zeroes cut records in place (in a
        // sealed segment too, reopened writable), so bytes lent past the lock could change
        // under the reader. The copy is about a third of iteration's time.
        if store.is_mapped() {
            // SAFETY: start + header <= end (checked by `position`), stop <= end; published
            // bytes do not change while the caller holds the segments read lock, and `files`
            // keeps the map alive.
            out.extend_from_slice(unsafe { store.slice(start, stop - start) });
        } else {
            out.resize((stop - start) as usize, 0);
            let got = store
                .with_file(false, |f| crate::platform::read_at_most(f, out, start))
                .map_err(|e| Error::io(format!("reading {}", store.path().display()), e))?;
            // A file cut shorter than this reader's view of it (another process's writer
            // trimmed or cut it): the view is stale, and the caller takes a fresh one.
            if got as u64 != stop - start {
                out.clear();
                return Err(Error::io(
                    format!("reading {}", store.path().display()),
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the file is shorter than the records known in it",
                    ),
                ));
            }
        }
        Ok((start, next, stop == end))
    }

    /// Timestamp of the record at `offset` (checked like a read).
    pub(crate) fn timestamp(&self, offset: u64) -> Result<u64> {
        self.read_with(offset, |r| r.timestamp)
    }
}
