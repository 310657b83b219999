//! What an open found and did, for people: the recovery report on stderr.

use std::path::Path;

use segmentlog::{RecoveryEvent, RecoveryReport};

/// Prints the recovery report of an open for writing on stderr when it lost, cut or moved
/// anything into the quarantine (`!is_clean()`): a log that lost data never opens silently.
/// A hole found again (`known`) is not new damage, and is said to be so.
pub fn warn_if_not_clean(dir: &Path, report: &RecoveryReport) {
    if report.is_clean() {
        return;
    }
    let known = |e: &RecoveryEvent| e.known;
    let new = report
        .events
        .iter()
        .any(|e| e.kind.loses_data() && !known(e));
    let summary = report.to_string();
    let summary = summary.lines().next().unwrap_or_default();
    let dir = dir.display();
    if new {
        eprintln!("segmentlog: opening {dir} recovered it: {summary}");
    } else {
        eprintln!(
            "segmentlog: opening {dir} found only holes made earlier (nothing new was taken \
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
        "segmentlog: nothing was deleted: what left the log is in {dir}/quarantine \
         (`segmentlog quarantine list {dir}`)"
    );
}
