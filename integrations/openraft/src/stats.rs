//! Counters of one store: how openraft drives it (entries per `append`, whether appends overlap
//! pending flushes) and how many log syncs that costs. Relaxed atomics, a few per `append`.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a [`LogStore`](crate::LogStore) did since it was opened; see [`LogStore::stats`].
///
/// [`LogStore::stats`]: crate::LogStore::stats
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// `append` calls.
    pub appends: u64,
    /// Entries those calls carried (entries at or below the purge marker included).
    pub entries: u64,
    /// Appends whose flush callback fired (successfully or not).
    pub flushed_appends: u64,
    /// Sync rounds the flusher ran that covered at least one append's flush.
    pub flush_syncs: u64,
    /// Every `fdatasync` round of the log since it was opened (flushes, vote/purge/truncate
    /// writes, the sync on open after a crash): `segmentlog::Log::sync_count`.
    pub syncs: u64,
    /// Appends that arrived while an earlier append's flush was still pending. Zero means every
    /// `append` waited for the previous one's flush callback (openraft 0.9 does that).
    pub overlapped_appends: u64,
}

impl Stats {
    /// Entries per `append` call.
    pub fn entries_per_append(&self) -> f64 {
        ratio(self.entries, self.appends)
    }

    /// Appends acknowledged per sync round.
    pub fn appends_per_sync(&self) -> f64 {
        ratio(self.flushed_appends, self.flush_syncs)
    }

    /// The counters accumulated since `earlier` (a snapshot of the same store).
    pub fn since(&self, earlier: &Stats) -> Stats {
        Stats {
            appends: self.appends - earlier.appends,
            entries: self.entries - earlier.entries,
            flushed_appends: self.flushed_appends - earlier.flushed_appends,
            flush_syncs: self.flush_syncs - earlier.flush_syncs,
            syncs: self.syncs - earlier.syncs,
            overlapped_appends: self.overlapped_appends - earlier.overlapped_appends,
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    appends: AtomicU64,
    entries: AtomicU64,
    flushed_appends: AtomicU64,
    flush_syncs: AtomicU64,
    overlapped_appends: AtomicU64,
    /// Flushes queued and not yet called back.
    pending: AtomicU64,
}

impl Counters {
    /// An append of `entries` entries whose flush is about to be queued.
    pub fn append(&self, entries: u64) {
        self.appends.fetch_add(1, Ordering::Relaxed);
        self.entries.fetch_add(entries, Ordering::Relaxed);
        if self.pending.fetch_add(1, Ordering::Relaxed) > 0 {
            self.overlapped_appends.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One sync round acknowledged `appends` flushes.
    pub fn flushed(&self, appends: u64) {
        if appends > 0 {
            self.flush_syncs.fetch_add(1, Ordering::Relaxed);
            self.flushed_appends.fetch_add(appends, Ordering::Relaxed);
            self.pending.fetch_sub(appends, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self, syncs: u64) -> Stats {
        Stats {
            appends: self.appends.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
            flushed_appends: self.flushed_appends.load(Ordering::Relaxed),
            flush_syncs: self.flush_syncs.load(Ordering::Relaxed),
            syncs,
            overlapped_appends: self.overlapped_appends.load(Ordering::Relaxed),
        }
    }
}
