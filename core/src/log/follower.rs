//! A read-only log following the files another process writes (`docs/READERS.md` has the
//! protocol: what the writer publishes, in which order, and what a reader trusts).
//!
//! A reader trusts nothing it cannot check: every record it hands out passed its checksum at
//! the position its (in-memory) index gives, and every view of the directory is taken twice,
//! the same both times, before it is used. What it sees may be a moment old, never wrong:
//! when a read finds something that does not fit (a record gone, a file shorter than
//! expected or removed, a hole), the reader takes a fresh view and tries once more, and only
//! an error that survives a fresh view reaches the caller.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::shared::Shared;
use crate::error::{Error, IoContext, Result};
use crate::format::{self, FileKind};
use crate::options::Options;
use crate::platform;
use crate::recovery::{self, CLEAN_MARKER};
use crate::segment::OpenCache;

/// How long the directory must stay as it is (the same segment files), over at least
/// `VIEW_QUIET_TRIES` tries that all fail, before a reader gives up on a view (the error is
/// then the directory's, not the writer's work); the longest it keeps trying while the writer
/// changes the directory between tries (where listing and loading are slow, Windows and wine
/// more so, a writer rolling tiny segments changed it during each of 50 tries); and the pause
/// between tries.
const VIEW_QUIET: Duration = Duration::from_millis(100);
const VIEW_QUIET_TRIES: u32 = 3;
const VIEW_PATIENCE: Duration = Duration::from_secs(2);
const VIEW_PAUSE: Duration = Duration::from_millis(2);

/// How long a reader trusts a fresh view that found nothing new before it looks again for a
/// sign that may be lasting (see `Shared::reload_unless_just_done`): at most the delay with
/// which it sees a roll.
const UNCHANGED_PAUSE: Duration = Duration::from_millis(5);

/// Whether a read-only read's error may come from the writer changing the files under it
/// (so that a fresh view is worth a second try).
pub(super) fn may_be_stale(e: &Error) -> bool {
    match e {
        Error::Hole { .. } | Error::Corrupt { .. } => true,
        Error::Io { source, .. } => matches!(
            source.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::UnexpectedEof
        ),
        _ => false,
    }
}

impl Shared {
    /// Read-only logs: pick up what the writer (another process) appended, rolled, cut or
    /// removed since the last look. Cheap when nothing changed: a `stat` and a 32-byte read of
    /// the newest store, a `stat` of the oldest, and a `stat` of the name the next segment would
    /// have. `Some(changed)` if it took a fresh view of the directory (see
    /// [`Shared::reload`]), `None` if the cheap checks sufficed.
    pub(super) fn refresh(&self) -> Result<Option<bool>> {
        if !self.options.read_only {
            return Ok(None);
        }
        let mut state = self.refresh.lock();
        let (oldest, newest) = {
            let segs = self.segments.read();
            (segs.first().cloned(), segs.last().cloned())
        };
        let Some(seg) = newest else {
            return self.reload_unless_just_done(&mut state);
        };
        // Retention or `truncate_front` removed the oldest segment.
        if oldest.is_some_and(|o| !Arc::ptr_eq(&o, &seg) && !o.paths.store.exists()) {
            return self.reload_locked(&mut state).map(Some);
        }
        let files = match seg.files() {
            Ok(f) => f,
            Err(_) => return self.reload_locked(&mut state).map(Some),
        };
        let looked = files.store.with_file(false, |f| {
            let meta = f.metadata()?;
            let gone = platform::file_gone(f, &meta, &seg.paths.store)?;
            let mut header = [0u8; format::STORE_HEADER_LEN as usize];
            let got = platform::read_at_most(f, &mut header, 0)?;
            Ok((meta, gone, header, got))
        });
        let Ok((meta, gone, header, got)) = looked else {
            return self.reload_locked(&mut state).map(Some);
        };
        // Removed or replaced (retention, truncation, a re-base): everything may have changed.
        if gone {
            return self.reload_locked(&mut state).map(Some);
        }
        // Cut by `truncate_back` (a new epoch), or shorter than what we know of it. A header
        // that does not decode is damage (the writer's header writes are one sector) or a
        // header being written: looked at again, but not at every call.
        let decoded = format::decode_file_header(FileKind::Store, &header[..got]);
        let Ok(on_disk) = decoded.as_ref() else {
            return self.reload_unless_just_done(&mut state);
        };
        let len = meta.len();
        if on_disk.epoch != seg.epoch() || len < seg.end() {
            return self.reload_locked(&mut state).map(Some);
        }
        let found = files
            .store
            .with_file(false, |f| {
                recovery::scan::follow(f, &seg.header(), seg.end(), seg.next(), len)
            })
            .context(|| format!("reading {}", seg.paths.store.display()))?;
        if !found.positions.is_empty() {
            let count = seg.count();
            for (i, p) in found.positions.iter().enumerate() {
                // SAFETY: a read-only log's newest index is in memory, behind its own lock;
                // and this is its only writer (under the refresh lock), past the count
                // published below.
                unsafe { files.index.set(count + i as u64, *p) };
            }
            seg.publish(found.next, found.end);
        }
        // A roll: the next segment's file appeared.
        let next_store = self
            .dir
            .join(format::file_name(seg.next(), FileKind::Store));
        if found.positions.is_empty() && next_store.exists() {
            return self.reload_unless_just_done(&mut state);
        }
        Ok(None)
    }

    /// A fresh view for a sign of change that may be lasting rather than the writer's work:
    /// no segment yet, a newest store whose header does not decode (a damaged directory a
    /// read-only reader cannot repair), a next segment file the view leaves out (one still
    /// being created, or a damaged one). When the last such view found nothing new, the
    /// sign is looked at again only after a pause, not at every call: polling a damaged
    /// directory must not reload it every time. (Errors never wait: see `fresh_view_after`.)
    fn reload_unless_just_done(&self, state: &mut FollowState) -> Result<Option<bool>> {
        if state
            .unchanged_at
            .is_some_and(|t| t.elapsed() < UNCHANGED_PAUSE)
        {
            return Ok(None);
        }
        let changed = self.reload_locked(state)?;
        state.unchanged_at = (!changed).then(Instant::now);
        Ok(Some(changed))
    }

    /// A read-only read's error that may come from the writer changing the files under it
    /// (see [`may_be_stale`]): takes a fresh view, `true` if it differs from the one the error
    /// was met in (then the read is worth another try).
    ///
    /// A hole costs no reload when the cheap checks show nothing the writer could have done
    /// to it: [`Shared::refresh`] finds the newest and oldest segments as they were, and the
    /// hole's own store still has the epoch and at least the length of this view (published
    /// records are only ever changed by a cut, which bumps the epoch first, or by removing
    /// the file), and no record where this view says it ends (a view can be taken across a
    /// cut and the appends after it: a gap that the writer has filled since). A reader going
    /// through a zeroed range thus pays two `stat`s and two small reads per hole, not a
    /// listing and load of the directory. The newest segment is the exception: the writer
    /// writes there, and a scan may have read a record in flight torn. A store that fails those
    /// checks (a damaged header, say) is reloaded for once; while it stays exactly as it was
    /// then, and that view found nothing new, its holes are real. Whatever the views say, a
    /// hole whose record reads whole when looked at again is gone (see [`Shared::reads_now`]).
    pub(super) fn fresh_view_after(&self, e: &Error) -> Result<bool> {
        if !may_be_stale(e) {
            return Ok(false);
        }
        let Error::Hole {
            segment, offset, ..
        } = e
        else {
            return self.reload();
        };
        if let Some(changed) = self.refresh()? {
            return Ok(changed || self.reads_now(*offset));
        }
        let on_disk = match self.store_as_found(*segment) {
            StoreAsFound::AsViewed {
                newest: false,
                found: _,
            } => return Ok(self.reads_now(*offset)),
            // The newest segment is being written: the view's scan of it may have read a
            // record torn (`pread` copies page by page: a record not there yet, the one after
            // it already whole), so its hole is looked at again like a changed store's.
            StoreAsFound::AsViewed { found, .. } | StoreAsFound::Otherwise(found) => found,
            StoreAsFound::Unknown => return self.reload(),
        };
        let mut state = self.refresh.lock();
        if state.lasting.contains(&on_disk) {
            return Ok(self.reads_now(*offset));
        }
        let changed = self.reload_locked(&mut state)?;
        if !changed {
            if self.reads_now(*offset) {
                return Ok(true);
            }
            if state.lasting.len() == LASTING_KEPT {
                state.lasting.remove(0);
            }
            state.lasting.push(on_disk);
        }
        Ok(changed)
    }

    /// Whether the record at `offset` reads whole in the current view. A view the same as the
    /// one a hole was met in (segments, epochs, ends) does not make the hole real: the reader
    /// may have copied the record while the writer wrote it (`pread` copies page by page: the
    /// record not there yet, the one after it already whole), and the segment may be sealed
    /// by now. Seen once, under load, as a writer stopped: nothing changed between the views.
    fn reads_now(&self, offset: u64) -> bool {
        let segs = self.segments.read();
        self.locate(&segs, offset)
            .and_then(|seg| seg.read_with(offset, |_| ()))
            .is_ok()
    }

    /// How the store of the segment at `base` is on disk compared to this view.
    fn store_as_found(&self, base: u64) -> StoreAsFound {
        let (seg, newest) = {
            let segs = self.segments.read();
            let Some(seg) = segs.iter().find(|s| s.base == base).cloned() else {
                return StoreAsFound::Unknown;
            };
            let newest = segs.last().is_some_and(|s| Arc::ptr_eq(s, &seg));
            (seg, newest)
        };
        let Ok(file) = std::fs::File::open(&seg.paths.store) else {
            return StoreAsFound::Unknown;
        };
        let mut header = [0u8; format::STORE_HEADER_LEN as usize];
        let read = file.metadata().and_then(|meta| {
            let got = platform::read_at_most(&file, &mut header, 0)?;
            Ok((meta.len(), got))
        });
        let Ok((len, got)) = read else {
            return StoreAsFound::Unknown;
        };
        let as_viewed = len >= seg.end()
            && format::decode_file_header(FileKind::Store, &header[..got])
                .is_ok_and(|h| h.base == base && h.epoch == seg.epoch())
            // Records past the view's end: the view was taken across a cut and the appends
            // after it (a segment scanned between them, and the next segment's name back by
            // the time the listing was checked), so its gap to the next segment is stale.
            && !recovery::scan::goes_on(&file, &seg.header(), seg.end(), seg.next(), len)
                .unwrap_or(true);
        let found = StoreState { base, len, header };
        if as_viewed {
            StoreAsFound::AsViewed { newest, found }
        } else {
            StoreAsFound::Otherwise(found)
        }
    }

    /// Read-only logs: takes a fresh view of the whole directory. `false` if it is the view
    /// the reader had (every segment with the same base, epoch and published end): an error
    /// met in that view is then real, and another view would not change it.
    pub(super) fn reload(&self) -> Result<bool> {
        self.reload_locked(&mut self.refresh.lock())
    }

    /// Takes a stable view (see [`stable_view`]) in place of the reader's; `true` if it
    /// differs. The caller holds `Shared::refresh` (`state`).
    fn reload_locked(&self, state: &mut FollowState) -> Result<bool> {
        let mode = recovery::Mode {
            strict: self.options.recovery == crate::options::RecoveryMode::Strict,
            ..recovery::Mode::default()
        };
        let loaded = stable_view(&self.dir, &self.options, mode, &self.open_cache)?;
        let mut segs = self.segments.write();
        let changed = view_of(&segs) != view_of(&loaded.segments);
        *segs = loaded.segments;
        if changed {
            state.lasting.clear();
        }
        Ok(changed)
    }
}

/// A read-only view of the directory the writer did not change under it while it was taken:
/// the listings before and after the load agree, or the one after still holds every segment
/// loaded but for those retention or `truncate_front` removed from the front meanwhile (see
/// [`settled`]); else a short pause and another try. A file that vanished while loading is the writer's work too. Both a read-only
/// open and every fresh view of a reader take it so.
pub(super) fn stable_view(
    dir: &Path,
    options: &Options,
    mode: recovery::Mode,
    cache: &Arc<OpenCache>,
) -> Result<recovery::Loaded> {
    let mut last_err = None;
    let deadline = Instant::now() + VIEW_PATIENCE;
    let (mut quiet_since, mut quiet_tries, mut last_listing) = (Instant::now(), 0, None);
    while Instant::now() < deadline
        && (quiet_tries < VIEW_QUIET_TRIES || quiet_since.elapsed() < VIEW_QUIET)
    {
        let before = recovery::list_segments(dir)?;
        if last_listing.as_ref() == Some(&before) {
            quiet_tries += 1;
        } else {
            (quiet_since, quiet_tries) = (Instant::now(), 0);
        }
        last_listing = Some(before.clone());
        let mode = recovery::Mode {
            clean: dir.join(CLEAN_MARKER).exists(),
            read_only: true,
            ..mode
        };
        match recovery::load(dir, options, mode, cache) {
            Ok(loaded) => {
                let after = recovery::list_segments(dir)?;
                let bases: Vec<u64> = loaded.segments.iter().map(|s| s.base).collect();
                if after == before || settled(&bases, &after.0) {
                    return Ok(loaded);
                }
            }
            Err(e) if may_be_stale(&e) => last_err = Some(e),
            Err(e) => return Err(e),
        }
        std::thread::sleep(VIEW_PAUSE);
    }
    Err(last_err.unwrap_or_else(|| {
        Error::io(
            format!("following {}", dir.display()),
            std::io::Error::other("the writer kept changing the directory: no stable view to read"),
        )
    }))
}

/// Whether a view of the segments at `bases` is one a reader can trust, given the segment
/// bases listed after it was taken: its newest segment is still there, and of the others only a prefix is gone
/// (retention, `truncate_front`). Segments after its newest are rolls since: the view is a
/// moment old, which `Shared::refresh` makes up for. A removal among or after the loaded
/// ones (`truncate_back`, a re-base) or a segment appearing among them sends the reader
/// round again. Requiring the listing unchanged instead left a reader without any view
/// where a writer rolls faster than the reader loads (tiny segments, slow file systems).
fn settled(bases: &[u64], after: &[u64]) -> bool {
    let Some(&newest) = bases.last() else {
        return false;
    };
    let still: Vec<u64> = after.iter().copied().filter(|&b| b <= newest).collect();
    !still.is_empty() && bases.ends_with(&still)
}

#[cfg(test)]
mod tests {
    use super::settled;
    use crate::{Log, Options};

    #[test]
    fn a_view_stays_good_through_retention_and_rolls_only() {
        let view = [10, 20, 30];
        assert!(settled(&view, &[10, 20, 30]));
        assert!(settled(&view, &[20, 30]), "retention removed the oldest");
        assert!(settled(&view, &[30, 40, 50]), "retention and two rolls");
        assert!(
            !settled(&view, &[10, 20]),
            "truncate_back removed the newest"
        );
        assert!(!settled(&view, &[10, 30]), "a segment in the middle went");
        assert!(
            !settled(&view, &[10, 15, 20, 30]),
            "a segment appeared among them"
        );
        assert!(!settled(&view, &[60]), "a re-base removed them all");
        assert!(!settled(&[], &[]), "an empty view needs equal listings");
    }

    /// A log of `records` values of 100 bytes in 4 KiB segments (the value of record `i` is
    /// `[i; 100]`), its writer left open, and a read-only reader of it.
    fn writer_and_reader(records: u8) -> (tempfile::TempDir, Log, Log) {
        let dir = tempfile::tempdir().unwrap();
        let o = Options {
            max_segment_bytes: 4096,
            ..Options::default()
        };
        let writer = Log::open(dir.path(), o.clone()).unwrap();
        for i in 0..records {
            writer.append(&[i; 100]).unwrap();
        }
        let reader = Log::open(
            dir.path(),
            Options {
                read_only: true,
                ..o
            },
        )
        .unwrap();
        (dir, writer, reader)
    }

    /// A view taken across a `truncate_back` and the appends after it: the segment that was
    /// cut scanned while it held 3 records, the next segment's name back (re-created by a
    /// roll) by the time the listing was checked. The gap between them in the view is stale:
    /// the writer filled it. Reads and iteration take a fresh view, never report a hole.
    #[test]
    fn a_gap_the_writer_filled_since_the_view_is_no_hole() {
        let (_dir, _writer, reader) = writer_and_reader(100);
        let stale_view = |reader: &Log| {
            let first = reader.shared.segments.read()[0].clone();
            assert!(
                first.next() > first.base + 3,
                "the first segment holds 4 records"
            );
            let end = first.cut_position(first.base + 3).unwrap();
            first.shrink_to(first.base + 3, end);
            first.base + 3
        };
        let gap = stale_view(&reader);
        assert_eq!(reader.read(gap).unwrap().value, vec![gap as u8; 100]);
        stale_view(&reader);
        let got: Vec<u64> = reader.iter(0).map(|r| r.unwrap().offset).collect();
        assert_eq!(got, (0..100).collect::<Vec<u64>>());
    }

    /// The newest segment as a scan that raced the writer may find it: a record not there yet
    /// (`pread` copies page by page) and the one after it already whole, taken for damage (a
    /// hole). A fresh view scans it anew; a hole that stays is real, and reported.
    #[test]
    fn a_hole_in_the_newest_segment_is_looked_at_again() {
        let (_dir, _writer, reader) = writer_and_reader(10);
        let torn_scan = |reader: &Log| {
            let newest = reader.shared.segments.read().last().unwrap().clone();
            let files = newest.files().unwrap();
            // SAFETY: a read-only log's newest index is in memory, behind its own lock.
            unsafe { files.index.set(3, crate::format::HOLE) };
        };
        torn_scan(&reader);
        assert_eq!(reader.read(3).unwrap().value, vec![3u8; 100]);
        torn_scan(&reader);
        let got: Vec<u64> = reader.iter(0).map(|r| r.unwrap().offset).collect();
        assert_eq!(got, (0..10).collect::<Vec<u64>>());
    }
}

/// What a reader's view of the segments says: base, epoch and published end of each.
fn view_of(segs: &[Arc<crate::segment::Segment>]) -> Vec<(u64, u8, u64, u64)> {
    segs.iter()
        .map(|s| (s.base, s.epoch(), s.next(), s.end()))
        .collect()
}

/// What a read-only log remembers of following the writer (under `Shared::refresh`).
#[derive(Debug, Default)]
pub(crate) struct FollowState {
    /// When the last fresh view taken for a possibly lasting sign found nothing new.
    unchanged_at: Option<Instant>,
    /// Stores found unlike the view (a damaged header, say) by a fresh view that found
    /// nothing new: their holes are real while they stay so.
    lasting: Vec<StoreState>,
}

/// How many such stores a reader remembers.
const LASTING_KEPT: usize = 16;

/// A store as a reader found it on disk: its length and header bytes.
#[derive(Debug, PartialEq, Eq)]
struct StoreState {
    base: u64,
    len: u64,
    header: [u8; format::STORE_HEADER_LEN as usize],
}

enum StoreAsFound {
    /// Same epoch, at least as long as the view has it, and no record past its end; whether
    /// it is the view's newest segment.
    AsViewed { newest: bool, found: StoreState },
    /// Otherwise, as found.
    Otherwise(StoreState),
    /// Not in the view, or not readable.
    Unknown,
}
