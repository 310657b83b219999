//! The third step of recovery: carrying out a plan. Every byte that leaves the log goes into
//! the quarantine first (copied and synced, or the file moved there), and only then is the log
//! changed.

use std::fs::{File, OpenOptions};

use super::plan::{Keep, Plan};
use super::scan::last_nonzero;
use crate::error::{IoContext, Result};
use crate::fault::{self, Op};
use crate::format::{self, FileKind, STORE_HEADER_LEN};
use crate::platform::FileExt;
use crate::quarantine::{Item, Quarantine, QuarantineKind};
use crate::report::{RecoveryEvent, RecoveryEventKind};

/// The events a plan will cause (or caused, once `quarantine_id`s are filled in), in log
/// order: per kept segment its header, holes, trailing bytes and index, then the segments
/// that leave.
pub(crate) fn events(plan: &Plan) -> Vec<RecoveryEvent> {
    let mut out = Vec::new();
    for k in &plan.keep {
        let base = k.ex.base;
        if let (Some(_), Err(p)) = (&k.new_header, &k.ex.header) {
            out.push(RecoveryEvent {
                kind: RecoveryEventKind::HeaderRewritten,
                segment: base,
                offsets: base..base,
                position: 0,
                bytes: STORE_HEADER_LEN.min(k.ex.file_len),
                reason: p.reason.clone(),
                quarantine_id: None,
                known: false,
            });
        }
        for d in &k.holes {
            out.push(RecoveryEvent {
                kind: RecoveryEventKind::Hole,
                segment: base,
                offsets: d.first..d.end,
                position: d.position,
                bytes: d.len,
                reason: d.reason.clone(),
                quarantine_id: None,
                known: d.known,
            });
        }
        if let Some(t) = &k.trailing {
            out.push(RecoveryEvent {
                kind: if t.hole {
                    RecoveryEventKind::Hole
                } else {
                    RecoveryEventKind::TornTail
                },
                segment: base,
                offsets: t.offsets.clone(),
                position: t.position,
                bytes: k.ex.file_len.saturating_sub(t.position),
                reason: t.reason.clone(),
                quarantine_id: None,
                known: false,
            });
        }
        if k.index_rebuilt {
            out.push(RecoveryEvent {
                kind: RecoveryEventKind::IndexRebuilt,
                segment: base,
                offsets: base..k.next(),
                position: 0,
                bytes: 0,
                reason: "the index did not match its store".into(),
                quarantine_id: None,
                known: false,
            });
        }
    }
    for d in &plan.dropped {
        let base = d.ex.base;
        out.push(RecoveryEvent {
            kind: if d.obsolete {
                RecoveryEventKind::ObsoleteRemoved
            } else {
                RecoveryEventKind::SegmentQuarantined
            },
            segment: base,
            offsets: base..base + d.ex.count(),
            position: 0,
            bytes: d.ex.file_len,
            reason: d.reason.clone(),
            quarantine_id: None,
            known: false,
        });
    }
    out
}

/// For a plan that is not applied (read-only opens, dry runs, `verify`): fills in the
/// quarantine ids of holes an earlier open or repair quarantined, and how many bytes a cut
/// would really take (up to the last non-zero byte, as `apply` does).
pub(crate) fn annotate_known(events: &mut [RecoveryEvent], plan: &Plan, q: &mut Quarantine) {
    for k in &plan.keep {
        let Some(t) = &k.trailing else { continue };
        let Some(e) = events
            .iter_mut()
            .find(|e| e.segment == k.ex.base && e.position == t.position)
        else {
            continue;
        };
        if let Ok(Some(last)) =
            File::open(&k.ex.store_path).and_then(|f| last_nonzero(&f, t.position, k.ex.file_len))
        {
            e.bytes = last + 1 - t.position;
        } else {
            e.bytes = 0;
        }
    }
    for e in events
        .iter_mut()
        .filter(|e| e.kind == RecoveryEventKind::Hole)
    {
        let Some(k) = plan.keep.iter().find(|k| k.ex.base == e.segment) else {
            continue;
        };
        if let Ok(Some(known)) = q.known(&item(QuarantineKind::Hole, k, e)) {
            e.quarantine_id = Some(known.id);
            e.known = true;
        }
    }
}

fn read_bytes(path: &std::path::Path, file: &File, position: u64, len: u64) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len as usize];
    let got = crate::platform::read_at_most(file, &mut buf, position)
        .context(|| format!("reading {}", path.display()))?;
    buf.truncate(got);
    Ok(buf)
}

/// Quarantines what the plan takes out and fixes what it repairs in place; fills in the
/// events' quarantine ids. Kept segments' indexes are written when they are opened.
pub(crate) fn apply(plan: &mut Plan, q: &mut Quarantine) -> Result<Vec<RecoveryEvent>> {
    let mut events = events(plan);
    let mut ev = events.iter_mut();
    for k in &mut plan.keep {
        let store = OpenOptions::new()
            .read(true)
            .open(&k.ex.store_path)
            .context(|| format!("opening {}", k.ex.store_path.display()))?;
        let base = k.ex.base;
        if k.new_header.is_some() && k.ex.header.is_err() {
            let e = ev.next().expect("one event per header rewrite");
            let bytes = read_bytes(&k.ex.store_path, &store, 0, e.bytes)?;
            let item = item(QuarantineKind::Header, k, e);
            e.quarantine_id = Some(q.copy(&item, &bytes)?.id);
            write_header(k)?;
        }
        for _ in 0..k.holes.len() {
            let e = ev.next().expect("one event per hole");
            let item = item(QuarantineKind::Hole, k, e);
            match q.known(&item)? {
                Some(known) => {
                    e.quarantine_id = Some(known.id);
                    e.known = true;
                }
                // Found before, and its item purged since: the operator let it go.
                None if e.known => {}
                None => {
                    let bytes = read_bytes(&k.ex.store_path, &store, e.position, e.bytes)?;
                    e.quarantine_id = Some(q.copy(&item, &bytes)?.id);
                }
            }
        }
        if let Some(t) = &k.trailing {
            let e = ev.next().expect("one event per trailing cut");
            let last = last_nonzero(&store, t.position, k.ex.file_len)
                .context(|| format!("reading {}", k.ex.store_path.display()))?;
            e.bytes = last.map_or(0, |l| l + 1 - t.position);
            if e.bytes > 0 {
                let kind = if t.hole {
                    QuarantineKind::Hole
                } else {
                    QuarantineKind::TornTail
                };
                let item = item(kind, k, e);
                let bytes = read_bytes(&k.ex.store_path, &store, e.position, e.bytes)?;
                e.quarantine_id = Some(q.copy(&item, &bytes)?.id);
            }
        }
        if k.index_rebuilt {
            ev.next().expect("one event per index rebuild");
        }
        if !k.is_last && k.trailing.is_some() {
            // A sealed store ends at its last record: trim what was quarantined.
            trim(&k.ex.store_path, k.end)?;
        }
        let _ = base;
    }
    // Newest first: a crash midway leaves the log with a prefix of them still in place.
    for (d, e) in plan.dropped.iter().zip(ev).rev() {
        let empty = last_nonzero(
            &File::open(&d.ex.store_path)
                .context(|| format!("opening {}", d.ex.store_path.display()))?,
            0,
            d.ex.file_len,
        )
        .context(|| format!("reading {}", d.ex.store_path.display()))?
        .is_none();
        if empty {
            // Nothing was ever written in it: there is nothing to keep.
            let dir =
                d.ex.store_path
                    .parent()
                    .expect("a segment file has a directory");
            super::remove_segment_files(dir, d.ex.base)?;
        } else {
            let kind = if d.obsolete {
                QuarantineKind::Obsolete
            } else {
                QuarantineKind::Segment
            };
            let item = Item {
                kind,
                segment: d.ex.base,
                source: d.ex.store_path.clone(),
                position: 0,
                bytes: d.ex.file_len,
                offsets: e.offsets.clone(),
                reason: d.reason.clone(),
            };
            e.quarantine_id = Some(q.take_file(&item)?.id);
            remove_file(&d.ex.index_path)?;
        }
        super::sync_dir(
            d.ex.store_path
                .parent()
                .expect("a segment file has a directory"),
        )?;
    }
    Ok(events)
}

fn item(kind: QuarantineKind, k: &Keep, e: &RecoveryEvent) -> Item {
    Item {
        kind,
        segment: k.ex.base,
        source: k.ex.store_path.clone(),
        position: e.position,
        bytes: e.bytes,
        offsets: e.offsets.clone(),
        reason: e.reason.clone(),
    }
}

fn write_header(k: &Keep) -> Result<()> {
    let h = k.header();
    let path = &k.ex.store_path;
    fault::check(Op::OpenWrite, path)
        .and_then(|_| OpenOptions::new().write(true).open(path))
        .and_then(|f| {
            fault::check(Op::Write, path)?;
            f.write_all_at(&format::encode_file_header(FileKind::Store, &h), 0)?;
            fault::check(Op::SyncData, path)?;
            f.sync_data()
        })
        .context(|| format!("rewriting the header of {}", path.display()))
}

fn trim(path: &std::path::Path, len: u64) -> Result<()> {
    fault::check(Op::OpenWrite, path)
        .and_then(|_| OpenOptions::new().write(true).open(path))
        .and_then(|f| {
            fault::check(Op::Trim, path)?;
            crate::map_rules::set_len(&f, len)?;
            fault::check(Op::SyncAll, path)?;
            f.sync_all()
        })
        .context(|| format!("trimming {}", path.display()))
}

fn remove_file(path: &std::path::Path) -> Result<()> {
    match fault::check(Op::Remove, path).and_then(|_| crate::map_rules::remove_file(path)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(crate::error::Error::io(
            format!("removing {}", path.display()),
            e,
        )),
    }
}
