//! Frames: a batch stored as one compressed record (see "Frames" in `format/mod.rs`).
//!
//! A frame's payload, once decompressed, is the lengths of its values (one `u32` each), their
//! timestamps (one `u64` each) when the frame has `FRAME_TIMES` (records compressed at seal
//! //! time, each appended at its own time), then the values back to back. The codecs are LZ4's block
//! format (the C liblz4, through the `lz4` crate) and `zstd`; zstd's contexts are kept per
//! thread (one costs more to set up than a small batch costs to compress).

use std::cell::RefCell;
use std::ops::Range;

use crate::format::{self, CODEC_LZ4, CODEC_NONE, CODEC_ZSTD, FRAME_HEADER_LEN, FrameHeader};

/// Which codec a log writes its batches with (`Options::compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Batches are stored as plain records (the format and speed of a log without compression).
    #[default]
    None,
    /// LZ4 (fast; about 2-3x on text).
    Lz4,
    /// Zstandard at `Options::compression_level` (smaller; slower to write).
    Zstd,
}

impl Compression {
    /// The codec named `"none"`, `"lz4"` or `"zstd"` (the names of `docs/API.md`).
    pub fn from_name(name: &str) -> Option<Compression> {
        match name {
            "none" => Some(Compression::None),
            "lz4" => Some(Compression::Lz4),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The codec's name, as [`Compression::from_name`] takes it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The codec byte of a segment header.
    pub(crate) fn codec(self) -> u8 {
        match self {
            Compression::None => CODEC_NONE,
            Compression::Lz4 => CODEC_LZ4,
            Compression::Zstd => CODEC_ZSTD,
        }
    }

    /// The codec of a segment header's byte (`None` for a byte this build does not know).
    pub fn from_codec(codec: u8) -> Option<Compression> {
        match codec {
            CODEC_NONE => Some(Compression::None),
            CODEC_LZ4 => Some(Compression::Lz4),
            CODEC_ZSTD => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// Smallest and largest zstd level accepted (`Options::compression_level`).
pub const ZSTD_LEVELS: std::ops::RangeInclusive<i32> = 1..=22;

thread_local! {
    static ZSTD_ENCODER: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
    static ZSTD_DECODER: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Encodes `values` as a frame's value (frame header and compressed payload) into `out`
/// (replacing its contents), using `raw` as scratch. Returns false, with `out` unspecified,
/// when the frame would not be smaller than the plain records (incompressible values: they
/// are then stored as plain records, which read faster).
/// `times`: a timestamp per value (a frame of records appended one by one), or `None` (a
/// batch: one time, the frame record's).
pub(crate) fn encode<V: AsRef<[u8]>>(
    values: &[V],
    times: Option<&[u64]>,
    codec: Compression,
    level: i32,
    raw: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> bool {
    let count = values.len();
    let plain: u64 = values
        .iter()
        .map(|v| format::RECORD_HEADER_LEN + v.as_ref().len() as u64)
        .sum();
    let per_value = if times.is_some() { 12 } else { 4 };
    let raw_len =
        per_value * count as u64 + values.iter().map(|v| v.as_ref().len() as u64).sum::<u64>();
    if times.is_some_and(|t| t.len() != count) {
        return false;
    }
    if codec == Compression::None || count == 0 || raw_len > u64::from(u32::MAX) {
        return false;
    }
    raw.clear();
    raw.reserve(raw_len as usize);
    for v in values {
        raw.extend_from_slice(&(v.as_ref().len() as u32).to_le_bytes());
    }
    for t in times.unwrap_or_default() {
        raw.extend_from_slice(&t.to_le_bytes());
    }
    for v in values {
        raw.extend_from_slice(v.as_ref());
    }
    let head = FRAME_HEADER_LEN as usize;
    out.clear();
    let done = match codec {
        Compression::Lz4 => match lz4::block::compress_bound(raw.len()) {
            Ok(bound) => {
                out.resize(head + bound, 0);
                match lz4::block::compress_to_buffer(raw, None, false, &mut out[head..]) {
                    Ok(n) => {
                        out.truncate(head + n);
                        true
                    }
                    Err(_) => false,
                }
            }
            // Past liblz4's input limit (~2 GiB): stored plain.
            Err(_) => false,
        },
        Compression::Zstd => {
            out.resize(head + zstd::zstd_safe::compress_bound(raw.len()), 0);
            ZSTD_ENCODER.with(|cell| {
                let mut cell = cell.borrow_mut();
                if cell.as_ref().is_none_or(|(l, _)| *l != level) {
                    *cell = zstd::bulk::Compressor::new(level).ok().map(|c| (level, c));
                }
                let Some((_, c)) = cell.as_mut() else {
                    return false;
                };
                match c.compress_to_buffer(&raw[..], &mut out[head..]) {
                    Ok(n) => {
                        out.truncate(head + n);
                        true
                    }
                    Err(_) => false,
                }
            })
        }
        Compression::None => false,
    };
    if !done || format::RECORD_HEADER_LEN + out.len() as u64 >= plain {
        return false;
    }
    format::encode_frame_header(
        &mut out[..head],
        &FrameHeader {
            codec: codec.codec(),
            flags: if times.is_some() {
                format::FRAME_TIMES
            } else {
                0
            },
            count: count as u32,
            raw_len: raw_len as u32,
        },
    );
    true
}

/// A decoded frame: its values, decompressed.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    /// The decompressed payload.
    raw: Vec<u8>,
    /// Where each value lies in `raw`.
    spans: Vec<Range<usize>>,
    /// Each value's timestamp (`FRAME_TIMES`), else empty: the frame record's time.
    times: Vec<u64>,
}

impl Frame {
    /// How many values the frame holds.
    pub(crate) fn count(&self) -> u64 {
        self.spans.len() as u64
    }

    /// Value `i` of the frame.
    #[inline]
    pub(crate) fn value(&self, i: usize) -> &[u8] {
        &self.raw[self.spans[i].clone()]
    }

    /// Value `i`'s timestamp: its own, or `frame_time` (the frame record's) for a batch.
    #[inline]
    pub(crate) fn timestamp(&self, i: usize, frame_time: u64) -> u64 {
        self.times.get(i).copied().unwrap_or(frame_time)
    }

    /// Where value `i` lies in [`Frame::raw`].
    #[inline]
    pub(crate) fn span(&self, i: usize) -> Range<usize> {
        self.spans[i].clone()
    }

    /// The decompressed payload.
    #[inline]
    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }
}

/// The frame header of a frame record's value, if it is one this build can decode.
pub(crate) fn header_of(value: &[u8]) -> Result<FrameHeader, String> {
    let h = format::decode_frame_header(value)
        .ok_or_else(|| "frame shorter than its header".to_owned())?;
    let per_value = if h.flags & format::FRAME_TIMES != 0 {
        12
    } else {
        4
    };
    if h.count == 0
        || u64::from(h.count) * per_value > u64::from(h.raw_len)
        || h.flags & !format::FRAME_TIMES != 0
    {
        return Err(format!(
            "frame claims {} values in {} bytes",
            h.count, h.raw_len
        ));
    }
    if h.codec != CODEC_LZ4 && h.codec != CODEC_ZSTD {
        return Err(format!("frame of unknown codec {}", h.codec));
    }
    Ok(h)
}

/// Decompresses a frame record's value into `frame` (reusing its buffers). An error says why
/// the frame cannot be read (its checksum held, so a bug or a codec this build lacks).
pub(crate) fn decode(value: &[u8], frame: &mut Frame) -> Result<(), String> {
    let h = header_of(value)?;
    let body = &value[FRAME_HEADER_LEN as usize..];
    let raw_len = h.raw_len as usize;
    // Every byte is overwritten by the decompression (checked below): only growth is zeroed,
    // not the whole buffer once per frame (a pass over it that cost iteration ~10%).
    frame.raw.resize(raw_len, 0);
    let got = match h.codec {
        CODEC_LZ4 => {
            let size = i32::try_from(raw_len)
                .map_err(|_| format!("lz4 frame of {raw_len} bytes, past liblz4's limit"))?;
            lz4::block::decompress_to_buffer(body, Some(size), &mut frame.raw)
                .map_err(|e| format!("lz4: {e}"))?
        }
        _ => ZSTD_DECODER.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                *cell = Some(zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?);
            }
            let d = cell.as_mut().expect("set above");
            d.decompress_to_buffer(body, &mut frame.raw[..])
                .map_err(|e| format!("zstd: {e}"))
        })?,
    };
    if got != raw_len {
        return Err(format!(
            "frame decompressed to {got} bytes, not the {raw_len} it claims"
        ));
    }
    let count = h.count as usize;
    frame.spans.clear();
    frame.times.clear();
    let mut at = 4 * count;
    if h.flags & format::FRAME_TIMES != 0 {
        frame.times.extend(
            frame.raw[at..at + 8 * count]
                .chunks_exact(8)
                .map(|c| format::u64_at(c, 0)),
        );
        at += 8 * count;
    }
    for i in 0..count {
        let len = format::u32_at(&frame.raw, 4 * i) as usize;
        let end = at
            .checked_add(len)
            .filter(|&e| e <= raw_len)
            .ok_or_else(|| format!("frame value {i} runs past the payload"))?;
        frame.spans.push(at..end);
        at = end;
    }
    if at != raw_len {
        return Err("frame payload longer than its values".into());
    }
    Ok(())
}
