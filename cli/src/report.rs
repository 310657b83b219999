//! What an open found and did, for people: the recovery report on stderr.

use std::collections::BTreeSet;
use std::path::Path;

use commitlog::{RecoveryEvent, RecoveryReport};

/// The ids of the items in the quarantine of `dir` now (none if it cannot be read: this only
/// tells new items from old ones in what an open reports).
pub fn quarantine_ids(dir: &Path) -> BTreeSet<u64> {
    commitlog::quarantine::list(dir)
        .map(|items| items.iter().map(|e| e.id).collect())
        .unwrap_or_default()
}

/// Prints the recovery report of an open for writing on stderr when it lost, cut or moved
/// anything into the quarantine (`!is_clean()`): a log that lost data never opens silently.
/// `earlier` are the quarantine's items from before the open: an event naming one of them is
/// a hole found again, not new damage, and is said to be so.
pub fn warn_if_not_clean(dir: &Path, report: &RecoveryReport, earlier: &BTreeSet<u64>) {
    if report.is_clean() {
        return;
    }
    let known = |e: &RecoveryEvent| e.quarantine_id.is_some_and(|id| earlier.contains(&id));
    let new = report
        .events
        .iter()
        .any(|e| e.kind.loses_data() && !known(e));
    let summary = report.to_string();
    let summary = summary.lines().next().unwrap_or_default();
    let dir = dir.display();
    if new {
        eprintln!("commitlog: opening {dir} recovered it: {summary}");
    } else {
        eprintln!(
            "commitlog: opening {dir} found only holes made earlier (nothing new was taken \
             out): {summary}"
        );
    }
    for e in &report.events {
        if known(e) {
            eprintln!("  known from an earlier open or repair: {e}");
        } else {
            eprintln!("  {e}");
        }
    }
    eprintln!(
        "commitlog: nothing was deleted: what left the log is in {dir}/quarantine \
         (`commitlog quarantine list {dir}`)"
    );
}
