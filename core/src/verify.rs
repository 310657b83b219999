//! Read-only checking of a whole log directory (`commitlog verify`).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{IoContext, Result};
use crate::format::{self, FileKind, INDEX_ENTRY_LEN, INDEX_HEADER_LEN, STORE_HEADER_LEN};
use crate::recovery::{self, Stop};

/// One problem found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Base offset of the segment.
    pub segment: u64,
    /// `"store"`, `"index"` or `"dir"`.
    pub file: &'static str,
    /// Byte position in that file.
    pub position: u64,
    /// The offset of the first record affected, when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Segments checked.
    pub segments: u64,
    /// Records whose checksum and index entry were checked and found good.
    pub records: u64,
    /// Store bytes read.
    pub bytes: u64,
    /// Every problem, in file order. Empty means the log is clean.
    pub problems: Vec<Problem>,
    /// The offset where the valid prefix of the log ends (every record below it is good and
    /// reachable): cutting the log here (`truncate_back`) removes all damage to records.
    /// Index problems do not move it: an index is rebuilt from its store.
    pub valid_until: u64,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every record's checksum and every index entry against its store, without changing
/// any file and without taking the writer lock. `progress(done, total)` is called with store
/// bytes checked so far. A torn tail of the newest segment is reported as a problem too.
pub fn verify(dir: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport> {
    let (bases, orphans) = recovery::list_segments(dir)?;
    let mut report = VerifyReport::default();
    for base in orphans {
        report.problems.push(Problem {
            segment: base,
            file: "index",
            position: 0,
            offset: None,
            reason: "index file without a store file".into(),
        });
    }
    let mut total = 0;
    for &base in &bases {
        let path = dir.join(format::file_name(base, FileKind::Store));
        total += std::fs::metadata(&path)
            .context(|| format!("reading {}", path.display()))?
            .len();
    }
    progress(0, total);
    let mut expected: Option<u64> = None;
    let mut damaged = false;
    for (i, &base) in bases.iter().enumerate() {
        let newest = i + 1 == bases.len();
        report.segments += 1;
        let problem = |file, position, offset, reason: String| Problem {
            segment: base,
            file,
            position,
            offset,
            reason,
        };
        if let Some(want) = expected
            && want != base
            && !damaged
        {
            report.problems.push(problem(
                "dir",
                0,
                Some(want),
                format!("segment starts at offset {base} but the log runs to {want}"),
            ));
            damaged = true;
            report.valid_until = want;
        }
        let path = dir.join(format::file_name(base, FileKind::Store));
        let store = File::open(&path).context(|| format!("opening {}", path.display()))?;
        let len = store
            .metadata()
            .context(|| format!("reading {}", path.display()))?
            .len();
        let mut header = vec![0u8; STORE_HEADER_LEN.min(len) as usize];
        store
            .read_exact_at(&mut header, 0)
            .context(|| format!("reading {}", path.display()))?;
        match format::decode_file_header(FileKind::Store, &header) {
            Ok(h) if h.base == base => {}
            Ok(h) => {
                report.problems.push(problem(
                    "store",
                    16,
                    Some(base),
                    format!(
                        "header says base offset {} but the file is named for {base}",
                        h.base
                    ),
                ));
                damaged = true;
                continue;
            }
            Err(e) => {
                if !damaged {
                    report.valid_until = base;
                }
                report
                    .problems
                    .push(problem("store", 0, Some(base), e.to_string()));
                damaged = true;
                continue;
            }
        }
        let scan = recovery::scan(&store, STORE_HEADER_LEN, base, len)
            .context(|| format!("reading {}", path.display()))?;
        report.bytes += len;
        progress(report.bytes, total);
        if let Stop::Torn { position, reason } = &scan.stop {
            if !damaged {
                report.records += scan.next - base;
            }
            let reason = if newest {
                format!("torn tail: {reason}")
            } else {
                reason.clone()
            };
            report
                .problems
                .push(problem("store", *position, Some(scan.next), reason));
            if !damaged {
                report.valid_until = scan.next;
            }
            damaged = true;
        } else if !newest && scan.end < len && !damaged {
            // A sealed segment must run to the end of its file (a preallocated tail of zeros
            // is left only by a crash during a roll, and recovery trims it).
            let tail_is_zero = {
                let mut buf = vec![0u8; (len - scan.end).min(1 << 20) as usize];
                store.read_exact_at(&mut buf, scan.end).is_ok() && buf.iter().all(|&b| b == 0)
            };
            if !tail_is_zero {
                report.problems.push(problem(
                    "store",
                    scan.end,
                    Some(scan.next),
                    "unreadable bytes after the last record".into(),
                ));
                report.records += scan.next - base;
                report.valid_until = scan.next;
                damaged = true;
            }
        }
        if !damaged {
            report.records += scan.next - base;
            report.valid_until = scan.next;
        }
        expected = Some(scan.next);
        check_index(dir, base, &scan.positions, &mut report.problems);
    }
    if bases.is_empty() {
        report.valid_until = 0;
    }
    Ok(report)
}

fn check_index(dir: &Path, base: u64, positions: &[u32], problems: &mut Vec<Problem>) {
    let path = dir.join(format::file_name(base, FileKind::Index));
    let mut problem = |position, offset, reason: String| {
        problems.push(Problem {
            segment: base,
            file: "index",
            position,
            offset,
            reason,
        })
    };
    let Ok(index) = File::open(&path) else {
        problem(0, Some(base), "index file is missing".into());
        return;
    };
    let len = index.metadata().map(|m| m.len()).unwrap_or(0);
    let mut header = vec![0u8; INDEX_HEADER_LEN.min(len) as usize];
    if index.read_exact_at(&mut header, 0).is_err() {
        problem(0, Some(base), "index file is unreadable".into());
        return;
    }
    match format::decode_file_header(FileKind::Index, &header) {
        Ok(h) if h.base == base => {}
        Ok(h) => {
            return problem(
                16,
                Some(base),
                format!(
                    "header says base offset {} but the file is named for {base}",
                    h.base
                ),
            );
        }
        Err(e) => return problem(0, Some(base), e.to_string()),
    }
    let slots = len.saturating_sub(INDEX_HEADER_LEN) / INDEX_ENTRY_LEN;
    let mut bytes = vec![0u8; (slots * INDEX_ENTRY_LEN) as usize];
    if index.read_exact_at(&mut bytes, INDEX_HEADER_LEN).is_err() {
        return problem(
            INDEX_HEADER_LEN,
            Some(base),
            "index file is unreadable".into(),
        );
    }
    for (slot, chunk) in bytes.chunks_exact(4).enumerate() {
        let entry = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let at = INDEX_HEADER_LEN + slot as u64 * INDEX_ENTRY_LEN;
        let offset = base + slot as u64;
        match positions.get(slot) {
            Some(&want) if want != entry => {
                return problem(
                    at,
                    Some(offset),
                    format!("entry for offset {offset} says {entry}, the record is at {want}"),
                );
            }
            None if entry != 0 => {
                return problem(
                    at,
                    Some(offset),
                    format!(
                        "entry for offset {offset} points to {entry}, but the store holds no such record"
                    ),
                );
            }
            _ => {}
        }
    }
    if (slots as usize) < positions.len() {
        let offset = base + slots;
        problem(
            len,
            Some(offset),
            format!(
                "index ends at offset {offset}, the store holds {} records",
                positions.len()
            ),
        );
    }
}
