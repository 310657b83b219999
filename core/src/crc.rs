//! CRC32C of one record, and of three at once for checking records in a row.
//!
//! One record's CRC32C is a single dependent chain of `crc32` instructions: each takes the
//! previous result, so a 124-byte record (the 100 B value plus the header) waits out ~16
//! instruction latencies (3 cycles each on x86_64) while the unit could start one a cycle.
//! Iteration checks many records in a row, so it computes three of them in lockstep: three
//! independent chains fill the pipeline and the checks cost about a third as much. The result
//! is exactly `crc32c::crc32c` of each buffer (a test keeps them equal).
//!
//! Appends seal a record from its fields and the caller's value (`record_crc32c`, three at a
//! time in a batch), not from the bytes they just wrote: the same checksum, without loads
//! that wait on the stores before them.

/// The CRC32C (Castagnoli) of one buffer: the same value as `crc32c::crc32c`, which first
/// walks byte by byte to an 8-byte boundary and ends byte by byte too; a record lies at any
/// position, so for a 124-byte record that is up to 14 extra links in the chain. Unaligned
/// 8-byte loads cost nothing extra here, and the tail takes at most three steps (4, 2, 1).
#[inline]
pub(crate) fn crc32c(buf: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE4.2 (checked just above), the only feature the
            // function is compiled for.
            return unsafe { x86::crc32c(buf) };
        }
    }
    crc32c::crc32c(buf)
}

/// What a record's checksum covers: its header's fields (the value's length is `value.len()`)
/// and its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordFields<'a> {
    pub(crate) offset: u64,
    pub(crate) timestamp: u64,
    pub(crate) flags: u32,
    pub(crate) value: &'a [u8],
}

/// A record's checksum: the CRC32C of its bytes 4.. as `format::encode_record` writes them,
/// computed from the fields and the caller's value instead of read back from where the record
/// was just written. Read back, the header's 8-byte words straddle the narrower stores that
/// wrote them and the value was written by a string copy: loads the store buffer cannot
/// serve, each waiting for those stores to reach the cache. Encoding a 100 B record took
/// ~33 ns reading back, ~20-25 ns this way (a loop of `encode_record` into a hot buffer).
#[inline]
pub(crate) fn record_crc32c(r: RecordFields<'_>) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE4.2 (checked just above), the only feature the
            // function is compiled for.
            return unsafe { x86::record_crc32c(r) };
        }
    }
    let mut head = [0u8; 24];
    head[0..4].copy_from_slice(&(r.value.len() as u32).to_le_bytes());
    head[4..12].copy_from_slice(&r.offset.to_le_bytes());
    head[12..20].copy_from_slice(&r.timestamp.to_le_bytes());
    head[20..24].copy_from_slice(&r.flags.to_le_bytes());
    crc32c::crc32c_append(crc32c::crc32c(&head), r.value)
}

/// [`record_crc32c`] of three records at once: three independent chains fill the pipeline (a
/// batch of plain records seals them three at a time).
pub(crate) fn record_crc32c_x3(records: [RecordFields<'_>; 3]) -> [u32; 3] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE4.2 (checked just above), the only feature the
            // function is compiled for.
            return unsafe { x86::record_crc32c_x3(records) };
        }
    }
    records.map(record_crc32c)
}

/// The CRC32C (Castagnoli) of each of three buffers.
pub(crate) fn crc32c_x3(bufs: [&[u8]; 3]) -> [u32; 3] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE4.2 (checked just above), the only feature the
            // function is compiled for.
            return unsafe { x86::crc32c_x3(bufs) };
        }
    }
    bufs.map(crc32c::crc32c)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::RecordFields;
    use std::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u16, _mm_crc32_u32, _mm_crc32_u64};

    #[target_feature(enable = "sse4.2")]
    pub(super) fn crc32c(buf: &[u8]) -> u32 {
        finish(u64::from(u32::MAX), buf)
    }

    #[target_feature(enable = "sse4.2")]
    pub(super) fn record_crc32c(r: RecordFields<'_>) -> u32 {
        // The crc32 instructions take their operand's bytes least significant first: the
        // fields' little-endian encodings, in the order the header holds them.
        let mut crc = u64::from(_mm_crc32_u32(u32::MAX, r.value.len() as u32));
        crc = _mm_crc32_u64(crc, r.offset);
        crc = _mm_crc32_u64(crc, r.timestamp);
        crc = u64::from(_mm_crc32_u32(crc as u32, r.flags));
        finish(crc, r.value)
    }

    #[target_feature(enable = "sse4.2")]
    pub(super) fn crc32c_x3(bufs: [&[u8]; 3]) -> [u32; 3] {
        continue_x3([u64::from(u32::MAX); 3], bufs)
    }

    #[target_feature(enable = "sse4.2")]
    pub(super) fn record_crc32c_x3(records: [RecordFields; 3]) -> [u32; 3] {
        let mut crc = [0u64; 3];
        for (c, r) in crc.iter_mut().zip(&records) {
            *c = u64::from(_mm_crc32_u32(u32::MAX, r.value.len() as u32));
        }
        for (c, r) in crc.iter_mut().zip(&records) {
            *c = _mm_crc32_u64(*c, r.offset);
        }
        for (c, r) in crc.iter_mut().zip(&records) {
            *c = _mm_crc32_u64(*c, r.timestamp);
        }
        for (c, r) in crc.iter_mut().zip(&records) {
            *c = u64::from(_mm_crc32_u32(*c as u32, r.flags));
        }
        continue_x3(crc, records.map(|r| r.value))
    }

    /// Continues three independent chains over `bufs`, in lockstep as far as the shortest
    /// goes, and returns the final CRCs.
    #[target_feature(enable = "sse4.2")]
    fn continue_x3(mut crc: [u64; 3], bufs: [&[u8]; 3]) -> [u32; 3] {
        let common = bufs.iter().map(|b| b.len()).min().unwrap_or(0) & !7;
        let [a, b, c] = bufs;
        for ((wa, wb), wc) in a[..common]
            .chunks_exact(8)
            .zip(b[..common].chunks_exact(8))
            .zip(c[..common].chunks_exact(8))
        {
            crc[0] = _mm_crc32_u64(crc[0], word(wa));
            crc[1] = _mm_crc32_u64(crc[1], word(wb));
            crc[2] = _mm_crc32_u64(crc[2], word(wc));
        }
        [
            finish(crc[0], &a[common..]),
            finish(crc[1], &b[common..]),
            finish(crc[2], &c[common..]),
        ]
    }

    /// Continues `crc` over `rest` (one buffer alone) and returns the final CRC.
    #[target_feature(enable = "sse4.2")]
    fn finish(mut crc: u64, rest: &[u8]) -> u32 {
        let mut words = rest.chunks_exact(8);
        for w in &mut words {
            crc = _mm_crc32_u64(crc, word(w));
        }
        let mut crc = crc as u32;
        let mut rest = words.remainder();
        if rest.len() >= 4 {
            crc = _mm_crc32_u32(
                crc,
                u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]),
            );
            rest = &rest[4..];
        }
        if rest.len() >= 2 {
            crc = _mm_crc32_u16(crc, u16::from_le_bytes([rest[0], rest[1]]));
            rest = &rest[2..];
        }
        if let Some(&byte) = rest.first() {
            crc = _mm_crc32_u8(crc, byte);
        }
        !crc
    }

    #[inline(always)]
    fn word(b: &[u8]) -> u64 {
        let mut x = [0u8; 8];
        x.copy_from_slice(b);
        u64::from_le_bytes(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_equals_crc32c_at_every_length_and_alignment() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 31 + i / 7) as u8).collect();
        for start in 0..8 {
            for len in 0..=260 {
                let buf = &data[start..start + len];
                assert_eq!(crc32c(buf), crc32c::crc32c(buf), "start {start} len {len}");
            }
        }
    }

    #[test]
    fn record_checksum_equals_crc32c_of_the_encoded_record() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 13 + i / 5) as u8).collect();
        for len in [0usize, 1, 3, 4, 7, 8, 9, 100, 124, 299] {
            let value = &data[..len];
            let r = RecordFields {
                offset: 0x0102_0304_0506_0708,
                timestamp: 0x1122_3344_5566_7788,
                flags: 0xa1b2_c3d4,
                value,
            };
            let mut rec = vec![0u8; crate::format::RECORD_HEADER_LEN as usize + len];
            crate::format::encode_record(&mut rec, r.offset, r.timestamp, r.flags, value);
            assert_eq!(record_crc32c(r), crc32c::crc32c(&rec[4..]), "len {len}");
        }
    }

    #[test]
    fn three_record_checksums_equal_one_at_a_time_for_every_length_mix() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 11 + i / 3) as u8).collect();
        let fields = |n: usize, len: usize| RecordFields {
            offset: 1000 + n as u64,
            timestamp: 0x0123_4567_89ab_cdef ^ n as u64,
            flags: 0x5a5a_0000 | n as u32,
            value: &data[n..n + len],
        };
        for la in [0, 1, 7, 8, 9, 100, 124] {
            for lb in [0, 3, 8, 100] {
                for lc in [0, 5, 16, 100, 150] {
                    let recs = [fields(0, la), fields(1, lb), fields(2, lc)];
                    let one = recs.map(|r| {
                        let mut rec =
                            vec![0u8; crate::format::RECORD_HEADER_LEN as usize + r.value.len()];
                        crate::format::encode_record(
                            &mut rec,
                            r.offset,
                            r.timestamp,
                            r.flags,
                            r.value,
                        );
                        crc32c::crc32c(&rec[4..])
                    });
                    assert_eq!(record_crc32c_x3(recs), one, "lengths {la} {lb} {lc}");
                }
            }
        }
    }

    #[test]
    fn equals_crc32c_of_each_buffer_for_every_length_mix() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for la in [0, 1, 7, 8, 9, 31, 124, 125, 300] {
            for lb in [0, 3, 8, 124, 200] {
                for lc in [0, 5, 16, 124, 299] {
                    let bufs = [&data[..la], &data[1..1 + lb], &data[..lc]];
                    assert_eq!(
                        crc32c_x3(bufs),
                        bufs.map(crc32c::crc32c),
                        "lengths {la} {lb} {lc}"
                    );
                }
            }
        }
    }
}
