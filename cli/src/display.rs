//! How records, timestamps and values look on the terminal and in JSON.

use std::fmt::Write as _;

use std::ops::Range;

use segmentlog::quarantine::QuarantineEntry;
use segmentlog::{Record, RecoveryEvent};
use serde_json::json;

use crate::args::Format;

/// Milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds,
/// e.g. `2026-11-25T22:45:15.123Z`.
pub fn rfc3339_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        ms % 1000
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // March-based month, 0..=11
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// `1 segment`, `2 segments`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A timestamp for people and scripts at once: `2026-11-25T22:45:15.123Z (1764110715123 ms)`.
pub fn time_both(ms: u64) -> String {
    format!("{} ({ms} ms)", rfc3339_ms(ms))
}

/// The value as text if it is UTF-8 without control characters (so it prints on one line and
/// reads back unchanged), else `None`.
pub fn printable(value: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(value).ok()?;
    (!s.chars().any(char::is_control)).then_some(s)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// One record as one line (without the newline) in `format`.
pub fn record_line(rec: &Record, format: Format) -> String {
    match format {
        Format::Json => record_json(rec).to_string(),
        Format::Text | Format::Hex => {
            let value = match (format, printable(&rec.value)) {
                (Format::Text, Some(text)) => format!("text={text}"),
                _ => format!("hex={}", hex(&rec.value)),
            };
            format!(
                "offset={} time={} ms={} len={} {value}",
                rec.offset,
                rfc3339_ms(rec.timestamp),
                rec.timestamp,
                rec.value.len()
            )
        }
    }
}

/// One hole (offsets `offset..offset + count` whose records are damaged) as one line in
/// `format`, in the place of the records: `offset=N hole count=K segment=S reason=...`.
pub fn hole_line(offset: u64, count: u64, segment: u64, reason: &str, format: Format) -> String {
    match format {
        Format::Json => json!({
            "offset": offset,
            "hole": true,
            "count": count,
            "segment": segment,
            "reason": reason,
        })
        .to_string(),
        Format::Text | Format::Hex => {
            let reason = reason.replace(['\n', '\r'], " ");
            format!("offset={offset} hole count={count} segment={segment} reason={reason}")
        }
    }
}

/// A recovery event as a JSON object. `known`: the event is an earlier open's or repair's
/// (a hole already in the quarantine), not something done or to do now.
pub fn event_json(e: &RecoveryEvent, known: bool) -> serde_json::Value {
    json!({
        "kind": e.kind.as_str(),
        "segment": e.segment,
        "first_offset": e.offsets.start,
        "end_offset": e.offsets.end,
        "records": e.offsets.end - e.offsets.start,
        "position": e.position,
        "bytes": e.bytes,
        "reason": e.reason,
        "quarantine_id": e.quarantine_id,
        "loses_data": e.kind.loses_data(),
        "known": known,
    })
}

/// Offset ranges for people: `7`, `7..10` (half-open, as in the recovery report), joined
/// with `, `.
pub fn offset_ranges<'a>(ranges: impl IntoIterator<Item = &'a Range<u64>>) -> String {
    let parts: Vec<String> = ranges
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| {
            if r.end - r.start == 1 {
                r.start.to_string()
            } else {
                format!("{}..{}", r.start, r.end)
            }
        })
        .collect();
    parts.join(", ")
}

/// A quarantine item as a JSON object; `path` is where its file is.
pub fn entry_json(e: &QuarantineEntry, path: &std::path::Path) -> serde_json::Value {
    json!({
        "id": e.id,
        "time_ms": e.time_ms,
        "time": rfc3339_ms(e.time_ms),
        "kind": e.kind.as_str(),
        "segment": e.segment,
        "source": e.source,
        "position": e.position,
        "bytes": e.bytes,
        "first_offset": e.offsets.start,
        "end_offset": e.offsets.end,
        "records": e.offsets.end - e.offsets.start,
        "file": e.file,
        "path": path,
        "reason": e.reason,
    })
}

/// One record as a JSON object; `encoding` tells how `value` is written.
pub fn record_json(rec: &Record) -> serde_json::Value {
    let (value, encoding) = match printable(&rec.value) {
        Some(text) => (text.to_owned(), "utf8"),
        None => (hex(&rec.value), "hex"),
    };
    json!({
        "offset": rec.offset,
        "timestamp_ms": rec.timestamp,
        "time": rfc3339_ms(rec.timestamp),
        "len": rec.value.len(),
        "encoding": encoding,
        "value": value,
    })
}

/// Writes `header` and `rows` as columns padded to their widest cell, two spaces apart.
pub fn write_table<const N: usize>(
    out: &mut dyn std::io::Write,
    header: &[&str; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells.zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(&mut header.iter().copied()))?;
    for row in rows {
        writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day of a century leap year) 12:34:56.789
        assert_eq!(rfc3339_ms(951_827_696_789), "2000-02-29T12:34:56.789Z");
        assert_eq!(rfc3339_ms(1_764_110_715_123), "2025-11-25T22:45:15.123Z");
        // The last millisecond of 2100 (not a leap year) and the next one.
        assert_eq!(rfc3339_ms(4_133_980_799_999), "2100-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_ms(4_133_980_800_000), "2101-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
    }

    #[test]
    fn values_print_as_text_only_when_printable_utf8() {
        assert_eq!(printable(b"hello world"), Some("hello world"));
        assert_eq!(printable("héllo ✓".as_bytes()), Some("héllo ✓"));
        assert_eq!(printable(b""), Some(""));
        assert_eq!(printable(b"a\nb"), None);
        assert_eq!(printable(b"\x00"), None);
        assert_eq!(printable(b"\xff\xfe"), None);
        assert_eq!(hex(b"\x00\xffA"), "00ff41");
    }

    #[test]
    fn record_lines_in_each_format() {
        let rec = Record {
            offset: 7,
            timestamp: 1_000,
            value: b"hi".to_vec(),
        };
        assert_eq!(
            record_line(&rec, Format::Text),
            "offset=7 time=1970-01-01T00:00:01.000Z ms=1000 len=2 text=hi"
        );
        assert_eq!(
            record_line(&rec, Format::Hex),
            "offset=7 time=1970-01-01T00:00:01.000Z ms=1000 len=2 hex=6869"
        );
        let bin = Record {
            value: vec![0, 1],
            ..rec.clone()
        };
        assert!(record_line(&bin, Format::Text).ends_with(" hex=0001"));
        let j: serde_json::Value = serde_json::from_str(&record_line(&bin, Format::Json)).unwrap();
        assert_eq!(j["encoding"], "hex");
        assert_eq!(j["value"], "0001");
        assert_eq!(j["timestamp_ms"], 1000);
        assert_eq!(j["time"], "1970-01-01T00:00:01.000Z");
    }

    #[test]
    fn holes_print_as_one_line() {
        assert_eq!(
            hole_line(7, 1, 0, "checksum\nmismatch", Format::Text),
            "offset=7 hole count=1 segment=0 reason=checksum mismatch"
        );
        let j: serde_json::Value =
            serde_json::from_str(&hole_line(7, 3, 5, "x", Format::Json)).unwrap();
        assert_eq!(
            (&j["offset"], &j["hole"], &j["count"]),
            (&7.into(), &true.into(), &3.into())
        );
    }

    #[test]
    fn offset_ranges_are_half_open_and_skip_empty_ones() {
        assert_eq!(offset_ranges(&[7..8, 9..12, 20..20]), "7, 9..12");
        assert_eq!(offset_ranges(&[]), "");
    }
}
