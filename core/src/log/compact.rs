//! Compression at seal time: the records a log with a codec got one at a time (single
//! appends, never compressed on the append path) are rewritten as frames once their segment is
//! sealed and durable, so that small appends are not left uncompressed.
//!
//! The rewrite is crash-safe and invisible to readers: the new store and index are written
//! beside the segment's files (`*.compact`), synced, and renamed over them (store first); a
//! crash before the store's rename leaves the old files (the `.compact` ones are removed by the
//! next open that compresses), after it the new store with the old index, which the O(1) check at open
//! refuses and recovery rebuilds from the store. The new store holds the same offsets with the
//! same values and timestamps (a frame of single appends carries each one's time,
//! `FRAME_TIMES`), every record durable. Readers that hold the old files (a map, a
//! descriptor) keep reading them; those that open the files anew read the new ones. The heavy
//! part runs without any lock of the log; only the renames run under the writer lock, after
//! checking that nothing changed the segment meanwhile (a `truncate_back` into it, retention).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Log;
use super::shared::Shared;
use crate::error::{Error, IoContext, Result};
use crate::fault::{self, Op};
use crate::format::{self, FileKind, HOLE, RECORD_HEADER_LEN, STORE_HEADER_LEN};
use crate::frame::{self, Compression};
use crate::index::Index;
use crate::options::Options;
use crate::platform::FileExt;
use crate::recovery::{scan, sync_dir};
use crate::segment::{Files, Reopen, Segment};
use crate::store::Store;

/// Raw bytes of single appends gathered into one frame (at most): small enough that a random
/// read decompresses little, large enough for the codec to find the repeats.
const FRAME_TARGET: usize = 64 << 10;
/// Values in one frame at most.
const FRAME_VALUES: usize = 1024;

/// What [`Log::compress_sealed`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compacted {
    /// Sealed segments rewritten.
    pub segments: u64,
    /// Records now in frames that were plain records.
    pub records: u64,
    /// Store bytes before and after, over the segments rewritten.
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// A rewritten store, ready to be renamed over the segment's.
#[derive(Debug)]
pub(super) struct Rewrite {
    store_tmp: PathBuf,
    index_tmp: PathBuf,
    header: format::FileHeader,
    end: u64,
    records: u64,
    before: u64,
    /// The segment's (next, end, epoch) when it was read: changed, the rewrite is dropped.
    was: (u64, u64, u8),
}

/// Numbers the rewrites of this process: each writes files of its own (`<name>.<n>.compact`).
/// Two rewrites of one segment can overlap (the compaction thread and `compress_sealed`, or a
/// stale rewrite of a value a `truncate_back` replaced and the rewrite after the next seal):
/// with one name, the truncating create of one would cut the file the other is about to
/// rename into place, and the discard of a stale one would remove the other's files.
static REWRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn tmp_path(p: &Path, n: u64) -> PathBuf {
    let mut name = p.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{n}.compact"));
    p.with_file_name(name)
}

/// Rewrites the sealed segment `seg`'s runs of plain records as frames of the codec of `o`,
/// beside its files. `Ok(None)`: nothing to gain, or the segment changed meanwhile (left as it
/// is). Needs nothing of the log but its options: the compaction thread runs it without
/// holding the log open (a handle dropped meanwhile closes the log at once).
pub(super) fn rewrite_segment(o: &Options, seg: &Arc<Segment>) -> Result<Option<Rewrite>> {
    {
        if o.read_only
            || o.compression == Compression::None
            || crate::map_rules::MAPS_PIN_FILES
            || seg.is_removed()
        {
            return Ok(None);
        }
        // Opened first: the header is then the file's (a segment not opened yet knows only a
        // stand-in), and the index checked against the store.
        drop(seg.files()?);
        let header = seg.header();
        let (next, end) = (seg.next(), seg.end());
        let count = next - seg.base;
        if count < 2 || header.flags & (format::FLAG_CUT_IN_FRAME | format::FLAG_COMPACTED) != 0 {
            return Ok(None);
        }
        let paths = &seg.paths;
        // Durable first: only records that can no longer be torn are rewritten.
        seg.sync_store()
            .context(|| format!("syncing {}", paths.store.display()))?;
        let file =
            File::open(&paths.store).context(|| format!("opening {}", paths.store.display()))?;
        let found = scan::scan_store(&file, &header, None, end)
            .context(|| format!("scanning {}", paths.store.display()))?;
        // Damage stays where it is (holes, the quarantine): such a segment is left alone.
        if !found.damage.is_empty()
            || found.entries.len() as u64 != count
            || found.entries.contains(&HOLE)
            || found.end != end
        {
            return Ok(None);
        }
        let mut bytes = vec![0u8; end as usize];
        file.read_exact_at(&mut bytes, 0)
            .context(|| format!("reading {}", paths.store.display()))?;
        let mut new_header = header;
        new_header.durable_count = count.min(u64::from(u32::MAX)) as u32;
        new_header.codec = o.compression.codec();
        new_header.level = o.new_header(0, 0).level;
        new_header.version = format::FORMAT_VERSION;
        new_header.flags |= format::FLAG_COMPACTED;
        let (out, positions, records) = rewrite_records(
            &bytes,
            count,
            &new_header,
            o.compression,
            o.compression_level,
        );
        if records == 0 || out.len() as u64 >= end {
            // Nothing to gain: marked, so that no later look reads it through again (a hint
            // only, not synced; not if a cut changed the segment since it was read).
            let _ = seg.update_header(|h| {
                if h.epoch == header.epoch && !seg.is_removed() {
                    h.flags |= format::FLAG_COMPACTED;
                }
            });
            return Ok(None);
        }
        let n = REWRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let store_tmp = tmp_path(&paths.store, n);
        let index_tmp = tmp_path(&paths.index, n);
        let written = (|| -> std::io::Result<()> {
            fault::check(Op::Create, &store_tmp)?;
            let f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&store_tmp)?;
            fault::check(Op::Write, &store_tmp)?;
            f.write_all_at(&out, 0)?;
            fault::check(Op::SyncAll, &store_tmp)?;
            f.sync_all()?;
            let index = Index::create(&index_tmp, seg.base, &positions, 0)?;
            index.trim(positions.len() as u64, true)
        })()
        .context(|| format!("compressing {}", paths.store.display()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&store_tmp);
            let _ = std::fs::remove_file(&index_tmp);
            return Err(e);
        }
        Ok(Some(Rewrite {
            store_tmp,
            index_tmp,
            header: new_header,
            end: out.len() as u64,
            records,
            before: end,
            was: (next, end, header.epoch),
        }))
    }
}

/// Removes the `*.compact` files a crash left in `dir` (a rewrite never installed; the
/// caller holds the writer lock of the directory, so no rewrite is under way).
pub(super) fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some((stem, n)) = name
            .strip_suffix(".compact")
            .and_then(|rest| rest.rsplit_once('.'))
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && format::parse_file_name(stem).is_some()
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

impl Rewrite {
    /// Removes the rewritten files (the rewrite is not used).
    pub(super) fn discard(&self) {
        let _ = std::fs::remove_file(&self.store_tmp);
        let _ = std::fs::remove_file(&self.index_tmp);
    }
}

impl Shared {
    /// Renames a rewrite over `seg`'s files and reads the segment through them, if nothing
    /// changed it since `compact_sealed` looked (else the rewrite is dropped). The caller
    /// holds the writer lock (no truncation or retention runs meanwhile).
    fn install_rewrite(&self, seg: &Arc<Segment>, r: Rewrite) -> Result<bool> {
        let drop_tmp = |r: &Rewrite| r.discard();
        let was = r.was;
        let still = {
            let segs = self.segments.read();
            segs.iter().rev().skip(1).any(|s| Arc::ptr_eq(s, seg))
        };
        if !still || seg.is_removed() || (seg.next(), seg.end(), seg.epoch()) != was {
            drop_tmp(&r);
            return Ok(false);
        }
        let paths = &seg.paths;
        // From the store's rename on, the disk holds the new store: a failure poisons the log
        // (recovery reads it whole at the next open).
        let renamed = (|| -> Result<()> {
            fault::check(Op::Create, &paths.store)
                .and_then(|()| crate::map_rules::rename(&r.store_tmp, &paths.store))
                .context(|| format!("replacing {}", paths.store.display()))?;
            fault::renamed(&r.store_tmp, &paths.store);
            fault::check(Op::Create, &paths.index)
                .and_then(|()| crate::map_rules::rename(&r.index_tmp, &paths.index))
                .context(|| format!("replacing {}", paths.index.display()))?;
            fault::renamed(&r.index_tmp, &paths.index);
            sync_dir(&self.dir)
        })();
        if let Err(e) = renamed {
            drop_tmp(&r);
            return Err(self.poison(&e));
        }
        // Retention removes segments without the writer lock: one that marked this segment
        // removed after the check above may have removed its files before the renames put
        // them back. It marks before it removes, so seeing no mark here means its removal
        // comes after the renames and takes the new files.
        if seg.is_removed() {
            crate::recovery::remove_segment_files(&self.dir, seg.base)
                .and_then(|()| sync_dir(&self.dir))
                .map_err(|e| self.poison(&e))?;
            return Ok(false);
        }
        let ctx = |p: &Path| format!("opening {}", p.display());
        let files = match seg.reopen_kind() {
            Reopen::Mapped => Files {
                store: Store::open_sealed(&paths.store).context(|| ctx(&paths.store))?,
                index: Index::open_sealed(&paths.index).context(|| ctx(&paths.index))?,
            },
            Reopen::Pread => {
                let index = File::open(&paths.index).context(|| ctx(&paths.index))?;
                Files {
                    store: Store::open_pread(&paths.store).context(|| ctx(&paths.store))?,
                    index: Index::in_memory(
                        &paths.index,
                        crate::recovery::read_entries(&index, seg.count())
                            .context(|| ctx(&paths.index))?,
                    ),
                }
            }
        };
        let _readers_out = self.segments.write();
        seg.install_rewritten(r.header, files, r.end);
        Ok(true)
    }

    /// Renames the rewrites the compaction thread finished into place. The caller holds the
    /// writer lock (a roll, close).
    pub(super) fn install_ready(&self) -> Result<()> {
        for (seg, r) in self.prefaulter.take_ready() {
            match seg.upgrade() {
                Some(seg) => {
                    self.install_rewrite(&seg, r)?;
                }
                None => r.discard(),
            }
        }
        Ok(())
    }

    /// Compresses `seg` (see the module doc), adding what it did to `done`.
    pub(super) fn compact(&self, seg: &Arc<Segment>, done: &mut Compacted) -> Result<()> {
        match rewrite_segment(&self.options, seg) {
            Ok(Some(r)) => self.install(seg, r, done),
            Ok(None) => Ok(()),
            // Retention or a truncation took the segment away meanwhile: nothing to do.
            Err(_) if seg.is_removed() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Installs a rewrite of `seg` made by [`rewrite_segment`] (or drops it, if the log or the
    /// segment changed), adding what it did to `done`.
    pub(super) fn install(
        &self,
        seg: &Arc<Segment>,
        r: Rewrite,
        done: &mut Compacted,
    ) -> Result<()> {
        let (records, before, after) = (r.records, r.before, r.end);
        let mut guard = self.writer.lock();
        // Closed or poisoned meanwhile: leave the segment as it is.
        if self.writable(&mut guard).is_err() {
            r.discard();
            return Ok(());
        }
        if self.install_rewrite(seg, r)? {
            done.segments += 1;
            done.records += records;
            done.bytes_before += before;
            done.bytes_after += after;
        }
        Ok(())
    }
}

/// The records of a store (`bytes`, its data up to its end) with every run of two or more
/// plain records as frames (when that is smaller); returns the new store, the index entries
/// and how many records went into frames.
fn rewrite_records(
    bytes: &[u8],
    count: u64,
    header: &format::FileHeader,
    codec: Compression,
    level: i32,
) -> (Vec<u8>, Vec<u32>, u64) {
    let mut w = Rewriter {
        bytes,
        header,
        codec,
        level,
        out: Vec::with_capacity(bytes.len()),
        positions: Vec::with_capacity(count as usize),
        framed: 0,
        run: Vec::new(),
        raw: Vec::new(),
        frame_value: Vec::new(),
    };
    w.out
        .extend_from_slice(&format::encode_file_header(FileKind::Store, header));
    let mut run_bytes = 0usize;
    let mut pos = STORE_HEADER_LEN as usize;
    while (w.positions.len() + w.run.len()) < count as usize {
        let h = format::decode_record_header(&bytes[pos..]).expect("scanned intact");
        let end = pos + h.total_len() as usize;
        if h.is_frame() {
            w.flush();
            run_bytes = 0;
            let held = frame::header_of(&bytes[pos + RECORD_HEADER_LEN as usize..end])
                .expect("scanned intact")
                .count;
            let at = w.out.len() as u32;
            w.out.extend_from_slice(&bytes[pos..end]);
            w.positions.extend((0..held).map(|_| at));
        } else {
            w.run.push((h.offset, h.timestamp, pos, end));
            run_bytes += h.len as usize;
            if run_bytes >= FRAME_TARGET || w.run.len() >= FRAME_VALUES {
                w.flush();
                run_bytes = 0;
            }
        }
        pos = end;
    }
    w.flush();
    debug_assert_eq!(w.positions.len() as u64, count);
    (w.out, w.positions, w.framed)
}

/// The new store `rewrite_records` builds, and the run of plain records waiting to become a
/// frame.
struct Rewriter<'a> {
    /// The old store's data.
    bytes: &'a [u8],
    header: &'a format::FileHeader,
    codec: Compression,
    level: i32,
    out: Vec<u8>,
    positions: Vec<u32>,
    framed: u64,
    /// The run of plain records waiting: (offset, timestamp, start, end) of each.
    run: Vec<(u64, u64, usize, usize)>,
    /// Scratch buffers of `frame::encode`.
    raw: Vec<u8>,
    frame_value: Vec<u8>,
}

impl Rewriter<'_> {
    /// Writes the waiting run out: as one frame when that is smaller, else as it was.
    fn flush(&mut self) {
        let (bytes, run) = (self.bytes, &self.run);
        if run.is_empty() {
            return;
        }
        let values: Vec<&[u8]> = run
            .iter()
            .map(|&(_, _, s, e)| &bytes[s + RECORD_HEADER_LEN as usize..e])
            .collect();
        let times: Vec<u64> = run.iter().map(|&(_, t, _, _)| t).collect();
        let encoded = run.len() >= 2
            && frame::encode(
                &values,
                Some(&times),
                self.codec,
                self.level,
                &mut self.raw,
                &mut self.frame_value,
            );
        if encoded {
            let pos = self.out.len();
            let len = RECORD_HEADER_LEN as usize + self.frame_value.len();
            self.out.resize(pos + len, 0);
            let h = self.header;
            let flags = format::record_flags(true, h.epoch, u64::from(h.durable_count));
            format::encode_record(
                &mut self.out[pos..],
                run[0].0,
                run[0].1 | format::TIMESTAMP_FRAME,
                flags,
                &self.frame_value,
            );
            self.positions.extend(run.iter().map(|_| pos as u32));
            self.framed += run.len() as u64;
        } else {
            for &(_, _, s, e) in run {
                self.positions.push(self.out.len() as u32);
                self.out.extend_from_slice(&bytes[s..e]);
            }
        }
        self.run.clear();
    }
}

impl Log {
    /// Compresses the records appended one at a time (single appends, which `append` stores
    /// plain) in every sealed segment, with the log's codec: runs of them become frames, each
    /// value keeping its offset and timestamp. Crash-safe and invisible to readers (see
    /// `docs/FORMAT.md`, "Frames"); a log opened with a codec runs it by itself on each
    /// segment it seals. Segments with damage are left as they are. Does nothing without a
    /// codec or for a read-only log.
    pub fn compress_sealed(&self) -> Result<Compacted> {
        let sh = &*self.shared;
        sh.check_open()?;
        if sh.options.read_only {
            return Err(Error::InvalidArgument(
                "a read_only log cannot compress its segments".into(),
            ));
        }
        let sealed: Vec<Arc<Segment>> = {
            let segs = sh.segments.read();
            segs.iter().rev().skip(1).rev().cloned().collect()
        };
        let mut done = Compacted::default();
        for seg in &sealed {
            sh.compact(seg, &mut done)?;
        }
        Ok(done)
    }
}

// Where maps pin files there is no rewrite at all (`rewrite_segment` declines).
#[cfg(all(test, not(any(windows, feature = "windows-rules"))))]
mod tests {
    use super::*;
    use crate::Options;

    fn value(i: u64) -> Vec<u8> {
        format!("value {i} {}", "xy".repeat((i % 20) as usize)).into_bytes()
    }

    /// A log with an lz4 codec, no compaction thread, and 600 single appends (`value(i)`)
    /// over several sealed segments.
    fn log_of_single_appends(dir: &Path) -> Log {
        let log = Log::open(
            dir,
            Options {
                max_segment_bytes: 16 * 1024,
                compression: Compression::Lz4,
                compress_sealed: false,
                ..Options::default()
            },
        )
        .unwrap();
        for i in 0..600 {
            log.append(&value(i)).unwrap();
        }
        log
    }

    /// A rewrite of `seg`, which must have something to compress.
    fn rewrite(log: &Log, seg: &Arc<Segment>) -> Rewrite {
        rewrite_segment(&log.shared.options, seg)
            .unwrap()
            .expect("something to compress")
    }

    /// Two rewrites of one segment under way at once (the compaction thread's and
    /// `compress_sealed`'s, or a stale one and the one after the next seal): dropping one
    /// leaves the other's files, and installing that one works.
    #[test]
    fn overlapping_rewrites_of_a_segment_keep_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_of_single_appends(dir.path());
        let sh = &*log.shared;
        let seg = sh.segments.read()[0].clone();
        let first = rewrite(&log, &seg);
        let second = rewrite(&log, &seg);
        first.discard();
        assert!(second.store_tmp.exists() && second.index_tmp.exists());
        let mut done = Compacted::default();
        sh.install(&seg, second, &mut done).unwrap();
        assert_eq!(done.segments, 1);
        for i in 0..600 {
            assert_eq!(log.read(i).unwrap().value, value(i));
        }
        log.close().unwrap();
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".compact")
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    /// A `truncate_back` into the segment between the rewrite and its install: the rewrite is
    /// dropped (its files removed), and the log is what the cut left.
    #[test]
    fn a_rewrite_of_a_segment_cut_meanwhile_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_of_single_appends(dir.path());
        let sh = &*log.shared;
        let seg = sh.segments.read()[0].clone();
        let r = rewrite(&log, &seg);
        let (store_tmp, index_tmp) = (r.store_tmp.clone(), r.index_tmp.clone());
        assert!(store_tmp.exists() && index_tmp.exists());
        let cut = seg.base + 10;
        log.truncate_back(cut).unwrap();
        let installed = {
            let mut guard = sh.writer.lock();
            sh.writable(&mut guard).unwrap();
            sh.install_rewrite(&seg, r).unwrap()
        };
        assert!(!installed);
        assert!(!store_tmp.exists() && !index_tmp.exists());
        assert_eq!(log.next_offset().unwrap(), cut);
        for i in 0..cut {
            assert_eq!(log.read(i).unwrap().value, value(i));
        }
        log.close().unwrap();
        let log = Log::open(dir.path(), Options::default()).unwrap();
        assert_eq!(log.next_offset().unwrap(), cut);
        for i in 0..cut {
            assert_eq!(log.read(i).unwrap().value, value(i));
        }
    }
}
