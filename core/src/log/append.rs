//! Appending records and batches.

use std::ops::Range;

use std::cell::RefCell;

use super::Log;
use super::group_commit::SyncGoal;
use super::shared::Writer;
use crate::crc;
use crate::error::{Error, Result};
use crate::format::{self, RECORD_HEADER_LEN};
use crate::frame;
use crate::options::SyncPolicy;
use crate::platform::now_ms;

impl Log {
    /// Appends one value; returns its offset.
    pub fn append(&self, value: &[u8]) -> Result<u64> {
        let sh = &*self.shared;
        let total = RECORD_HEADER_LEN + value.len() as u64;
        let (offset, mark, rolled) = {
            let mut guard = sh.writer.lock();
            let w = sh.writable(&mut guard)?;
            if value.len() as u64 > sh.options.max_value_bytes() {
                return Err(Error::InvalidArgument(format!(
                    "a value of {} bytes does not fit in a segment (at most {} bytes with max_segment_bytes = {})",
                    value.len(),
                    sh.options.max_value_bytes(),
                    sh.options.max_segment_bytes
                )));
            }
            sh.check_room_for_offsets(w.next, 1)?;
            let rolled = sh.make_room(w, total, 1)?;
            w.prefault_ahead(&sh.prefaulter);
            let ts = now_ms().max(w.last_ts);
            let offset = w.next;
            let flags = format::record_flags(true, w.epoch, w.active.durable());
            // SAFETY: make_room guarantees pos + total <= max_segment_bytes <= mapped length;
            // the bytes lie past the published end and we hold the writer lock.
            unsafe {
                w.active.write_at(w.pos, total, w.through_map, |dst| {
                    format::encode_record(dst, offset, ts, flags, value)
                })?;
            }
            // SAFETY: the writer lock (`w`) makes this the only writer, and the slot is past
            // the published count until `publish` below.
            unsafe {
                w.active
                    .active_files()
                    .index
                    .set(offset - w.active.base, w.pos as u32)
            };
            w.pos += total;
            w.next += 1;
            w.written += total;
            w.last_ts = ts;
            w.plain = true;
            w.active.publish(w.next, w.pos);
            (offset, w.written, rolled)
        };
        sh.notify_tailers();
        if rolled {
            sh.apply_retention()?;
        }
        if sh.options.sync == SyncPolicy::Always {
            sh.sync_to(SyncGoal::Appended(mark))?;
        }
        Ok(offset)
    }

    /// Appends many values with one write (and one sync under `SyncPolicy::Always`); returns
    /// the range of offsets they got. After a crash the batch is all there or not at all. The
    /// whole batch must fit in one segment.
    pub fn append_batch<V: AsRef<[u8]>>(&self, values: &[V]) -> Result<Range<u64>> {
        let sh = &*self.shared;
        let count = values.len() as u64;
        // Saturating: lengths handed in through the C API are only as honest as the caller,
        // and a wrapped sum would let an impossible batch past the size check.
        let total: u64 = values.iter().fold(0u64, |t, v| {
            t.saturating_add(RECORD_HEADER_LEN.saturating_add(v.as_ref().len() as u64))
        });
        // Compressed before the writer lock is taken: appenders compress in parallel.
        let o = &sh.options;
        let framed = count > 1
            && FRAME_BUFS.with(|cell| {
                let (raw, frame) = &mut *cell.borrow_mut();
                frame::encode(values, None, o.compression, o.compression_level, raw, frame)
            });
        let (range, mark, rolled) = {
            let mut guard = sh.writer.lock();
            let w = sh.writable(&mut guard)?;
            if count == 0 {
                return Ok(w.next..w.next);
            }
            sh.check_room_for_offsets(w.next, count)?;
            let rolled = sh.make_room(w, total, count)?;
            // Only a segment whose header names a codec holds frames (the active one of a log
            // written without compression does not).
            let range = if framed && w.active.framed() {
                FRAME_BUFS.with(|cell| {
                    let (_, frame) = &*cell.borrow();
                    self.write_frame(w, frame, count)
                })?
            } else {
                self.write_plain_batch(w, values, total)?
            };
            (range, w.written, rolled)
        };
        sh.notify_tailers();
        if rolled {
            sh.apply_retention()?;
        }
        if sh.options.sync == SyncPolicy::Always {
            sh.sync_to(SyncGoal::Appended(mark))?;
        }
        Ok(range)
    }

    /// Writes a batch encoded by `frame::encode` (the frame's value) as one frame record of
    /// `count` offsets, every one of whose index entries points at it; returns its offsets.
    /// The caller made room for the plain records, which take more.
    fn write_frame(&self, w: &mut Writer, frame_value: &[u8], count: u64) -> Result<Range<u64>> {
        let sh = &*self.shared;
        w.prefault_ahead(&sh.prefaulter);
        let ts = now_ms().max(w.last_ts);
        let first = w.next;
        let (base, start) = (w.active.base, w.pos);
        let flags = format::record_flags(true, w.epoch, w.active.durable());
        let total = RECORD_HEADER_LEN + frame_value.len() as u64;
        // SAFETY: make_room guaranteed room for the plain records, which take more than the
        // frame; the bytes lie past the published end and we hold the writer lock.
        unsafe {
            w.active.write_at(start, total, w.through_map, |dst| {
                format::encode_record(dst, first, ts | format::TIMESTAMP_FRAME, flags, frame_value)
            })?;
        }
        let index = &w.active.active_files().index;
        for i in 0..count {
            // SAFETY: the writer lock (`w`) makes this the only writer, and the slots are past
            // the published count until `publish` below.
            unsafe { index.set(first + i - base, start as u32) };
        }
        w.pos = start + total;
        w.next += count;
        w.written += total;
        w.last_ts = ts;
        w.active.publish(w.next, w.pos);
        Ok(first..w.next)
    }

    /// Writes a batch as plain records (one per value, the last a commit point); returns
    /// their offsets.
    fn write_plain_batch<V: AsRef<[u8]>>(
        &self,
        w: &mut Writer,
        values: &[V],
        total: u64,
    ) -> Result<Range<u64>> {
        let sh = &*self.shared;
        let count = values.len() as u64;
        {
            w.prefault_ahead(&sh.prefaulter);
            let ts = now_ms().max(w.last_ts);
            let first = w.next;
            let (base, start) = (w.active.base, w.pos);
            let durable = w.active.durable();
            let (inner, last) = (
                format::record_flags(false, w.epoch, durable),
                format::record_flags(true, w.epoch, durable),
            );
            // SAFETY: make_room guarantees start + total fits the mapped store; the bytes lie
            // past the published end and we hold the writer lock.
            unsafe {
                w.active
                    .write_at(start, total, w.through_map, |dst: &mut [u8]| {
                        // Checksums three at a time (three independent CRC chains), from
                        // the fields and the caller's values (see `crc::record_crc32c`).
                        let fields = |i: usize| crc::RecordFields {
                            offset: first + i as u64,
                            timestamp: ts,
                            flags: if i + 1 == values.len() { last } else { inner },
                            value: values[i].as_ref(),
                        };
                        let mut at = 0usize;
                        let mut write = |r: crc::RecordFields<'_>, crc: u32| {
                            let rec = &mut dst[at..at + RECORD_HEADER_LEN as usize + r.value.len()];
                            format::encode_record_unsealed(
                                rec,
                                r.offset,
                                r.timestamp,
                                r.flags,
                                r.value,
                            );
                            format::seal_record(rec, crc);
                            at += rec.len();
                        };
                        let whole = values.len() - values.len() % 3;
                        for i in (0..whole).step_by(3) {
                            let three = [fields(i), fields(i + 1), fields(i + 2)];
                            for (r, crc) in three.into_iter().zip(crc::record_crc32c_x3(three)) {
                                write(r, crc);
                            }
                        }
                        for i in whole..values.len() {
                            let r = fields(i);
                            write(r, crc::record_crc32c(r));
                        }
                    })?;
            }
            let mut pos = start;
            let index = &w.active.active_files().index;
            for (i, v) in values.iter().enumerate() {
                // SAFETY: the writer lock (`w`) makes this the only writer, and the slots are
                // past the published count until `publish` below.
                unsafe { index.set(first + i as u64 - base, pos as u32) };
                pos += RECORD_HEADER_LEN + v.as_ref().len() as u64;
            }
            w.pos = pos;
            w.next += count;
            w.written += total;
            w.last_ts = ts;
            w.plain = true;
            w.active.publish(w.next, w.pos);
            Ok(first..w.next)
        }
    }
}

thread_local! {
    /// Scratch of `frame::encode`: the raw payload and the frame, kept per appending thread.
    static FRAME_BUFS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}
