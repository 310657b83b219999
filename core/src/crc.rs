//! CRC32C of one record, and of three at once for checking records in a row.
//!
//! One record's CRC32C is a single dependent chain of `crc32` instructions: each takes the
//! previous result, so a 124-byte record (the 100 B value plus the header) waits out ~16
//! instruction latencies (3 cycles each on x86_64) while the unit could start one a cycle.
//! Iteration checks many records in a row, so it computes three of them in lockstep: three
//! independent chains fill the pipeline and the checks cost about a third as much. The result
//! is exactly `crc32c::crc32c` of each buffer (a test keeps them equal).

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
    use std::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u16, _mm_crc32_u32, _mm_crc32_u64};

    #[target_feature(enable = "sse4.2")]
    pub(super) fn crc32c(buf: &[u8]) -> u32 {
        finish(u64::from(u32::MAX), buf)
    }

    #[target_feature(enable = "sse4.2")]
    pub(super) fn crc32c_x3(bufs: [&[u8]; 3]) -> [u32; 3] {
        let common = bufs.iter().map(|b| b.len()).min().unwrap_or(0) & !7;
        let mut crc = [u64::from(u32::MAX); 3];
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
