//! The writer's changes to the active segment's bytes: appends and cuts.

use std::cell::RefCell;

use super::Segment;
use crate::error::{Error, Result};
use crate::format::{HOLE, RECORD_HEADER_LEN, STORE_HEADER_LEN};

thread_local! {
    /// Where records are put together before a `pwrite` (`WritePath::Write`).
    static STAGING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A staging buffer grown past this by a big batch is not kept for the next append.
const STAGING_KEPT: usize = 1 << 20;

impl Segment {
    /// Writes `total` bytes at the writer's position through `fill`: straight into the
    /// store's writable map when `through_map`, else into a staging buffer written with one
    /// `pwrite`. An error (only of the `pwrite`) leaves nothing published: the bytes lie past
    /// the end, where the next append writes again and recovery sees a torn tail.
    ///
    /// # Safety
    /// Writer only, under the writer lock, with `pos + total` within the mapped store and at
    /// or past the published end (no reader looks there).
    pub(crate) unsafe fn write_at(
        &self,
        pos: u64,
        total: u64,
        through_map: bool,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<()> {
        let store = &self.active_files().store;
        if through_map {
            // SAFETY: the caller's contract is slice_mut's contract.
            fill(unsafe { store.slice_mut(pos, total) });
            return Ok(());
        }
        STAGING.with(|cell| {
            let mut buf = cell.borrow_mut();
            buf.clear();
            buf.resize(total as usize, 0);
            fill(&mut buf);
            let written = store
                .write_bytes(&buf, pos)
                .map_err(|e| Error::io(format!("writing {}", store.path().display()), e));
            if buf.capacity() > STAGING_KEPT {
                *buf = Vec::new();
            }
            written
        })
    }

    /// Store position where a cut to `offset` starts: the record at `offset`, or, if that
    /// offset is a hole, the end of the last intact record before it (a hole's damaged bytes
    /// lie between the records around it).
    pub(crate) fn cut_position(&self, offset: u64) -> Result<u64> {
        let (files, next, end) = self.files_and_bounds()?;
        if offset >= next {
            return Ok(end);
        }
        if files.index.get(offset - self.base) != Some(HOLE) {
            return self.position(&files, offset, end);
        }
        for o in (self.base..offset).rev() {
            if files.index.get(o - self.base) == Some(HOLE) {
                continue;
            }
            let pos = self.position(&files, o, end)?;
            let mut head = [0u8; RECORD_HEADER_LEN as usize];
            files
                .store
                .read_exact_at(&mut head, pos)
                .map_err(|e| Error::io(format!("reading {}", files.store.path().display()), e))?;
            let h = self.check_header(o, pos, end, &head)?;
            return Ok(pos + h.total_len());
        }
        Ok(STORE_HEADER_LEN)
    }

    /// The store position and length of the frame that holds `offset` when `offset` is not
    /// its first value (a cut there falls inside the frame); `None` otherwise.
    pub(crate) fn frame_around(&self, offset: u64) -> Result<Option<(u64, u64)>> {
        let (files, next, end) = self.files_and_bounds()?;
        if offset <= self.base || offset >= next {
            return Ok(None);
        }
        if files.index.get(offset - self.base) == Some(HOLE) {
            return Ok(None);
        }
        let pos = self.position(&files, offset, end)?;
        let mut head = [0u8; RECORD_HEADER_LEN as usize];
        files
            .store
            .read_exact_at(&mut head, pos)
            .map_err(|e| Error::io(format!("reading {}", files.store.path().display()), e))?;
        let h = self.check_header(offset, pos, end, &head)?;
        Ok((h.is_frame() && h.offset < offset).then_some((pos, h.total_len())))
    }

    /// Ends the segment's published records at `offset` (store position `pos`, from
    /// [`Segment::cut_position`]): readers that look from now on do not see the records past
    /// it. The caller holds the segments write lock (so no reader is inside them now).
    pub(crate) fn unpublish_from(&self, offset: u64, pos: u64) {
        self.publish(offset, pos);
    }

    /// Zeroes the store bytes `pos..old_end` and the index slots `offset..old_next` of records
    /// that [`Segment::unpublish_from`] took away.
    ///
    /// # Safety
    /// The caller holds the writer lock, the segment is mapped read-write, and the records
    /// were unpublished under the segments write lock: no reader can hold a reference into
    /// those bytes, and none can reach them again.
    pub(crate) unsafe fn zero_unpublished(
        &self,
        offset: u64,
        pos: u64,
        old_next: u64,
        old_end: u64,
    ) {
        let f = self.active_files();
        // SAFETY: [pos, old_end) lies in the mapped store; no reader can see it (contract).
        unsafe { f.store.slice_mut(pos, old_end - pos) }.fill(0);
        // SAFETY: the caller holds the writer lock (the only writer) and the slots were
        // unpublished: no reader looks at them (contract).
        unsafe { f.index.clear(offset - self.base, old_next - self.base) };
    }
}
