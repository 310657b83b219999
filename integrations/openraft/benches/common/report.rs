//! What both cluster benchmarks (openraft 0.9: `cluster.rs`, 0.10: `cluster_010.rs`) share:
//! the log stores they compare, the median and range of the runs, and our store's counters
//! for the leader and the followers.

use segmentlog_openraft::Stats;

/// A log store a cluster runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Segmentlog,
    #[cfg(feature = "bench-redb")]
    Redb,
    Memory,
}

impl Kind {
    /// Every store this build compares (redb only with the feature `bench-redb`).
    pub fn all() -> Vec<Kind> {
        let mut kinds = vec![Kind::Segmentlog];
        #[cfg(feature = "bench-redb")]
        kinds.push(Kind::Redb);
        kinds.push(Kind::Memory);
        kinds
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Segmentlog => "segmentlog",
            #[cfg(feature = "bench-redb")]
            Kind::Redb => "redb",
            Kind::Memory => "in-memory",
        }
    }
}

pub fn add(a: &Stats, b: &Stats) -> Stats {
    Stats {
        appends: a.appends + b.appends,
        entries: a.entries + b.entries,
        flushed_appends: a.flushed_appends + b.flushed_appends,
        flush_syncs: a.flush_syncs + b.flush_syncs,
        syncs: a.syncs + b.syncs,
        overlapped_appends: a.overlapped_appends + b.overlapped_appends,
    }
}

/// Median and range of `rates`.
pub fn summary(rates: &mut [f64]) -> String {
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    format!(
        "{median:>8.0} ({:.0}–{:.0})",
        rates[0],
        rates[rates.len() - 1]
    )
}

pub fn per(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The counters of the leader (`l`) and of the two followers summed (`f`) over runs that
/// committed `committed` client writes.
pub fn counters_line(l: &Stats, f: &Stats, committed: u64) -> String {
    format!(
        "entries/append {:.2} | {:.2}; appends/fdatasync {:.2} | {:.2}; \
         fdatasyncs/committed write {:.2} | {:.2}; appends overlapping a pending flush {:.0}% | {:.0}%",
        l.entries_per_append(),
        f.entries_per_append(),
        l.appends_per_sync(),
        f.appends_per_sync(),
        per(l.syncs, committed),
        // Two followers: per follower.
        per(f.syncs, committed) / 2.0,
        100.0 * per(l.overlapped_appends, l.appends),
        100.0 * per(f.overlapped_appends, f.appends),
    )
}

/// Entries between two snapshots of the state machine, for both openraft versions' benches.
/// openraft's default is 5000. The benches' key-value state machine serializes its whole map as
/// JSON into a file (as openraft's examples do): at 64 clients 64,000 keys, ~7 MB a snapshot on
/// each node, against 1,000 keys at 1 client. Every 5000 entries that took most of the 2 cores
/// at 64 clients, for every store alike (in-memory included), and measured the example's
/// snapshots rather than the log. 100,000 is etcd's default `--snapshot-count`;
/// `BENCH_SNAPSHOT_EVERY=5000` gives the old figures.
pub fn snapshot_every() -> u64 {
    std::env::var("BENCH_SNAPSHOT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}
