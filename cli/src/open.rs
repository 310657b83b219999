//! Opening logs the way each command needs.

use std::path::Path;

use anyhow::{Context, Result, bail};
use segmentlog::{Log, Options};

/// Fails with a clear message unless `dir` is a directory holding a log (at least one segment
/// file: an open creates the first segment at once). Reading commands must neither create a
/// log where the user mistyped a path nor report some other directory as an empty log.
pub fn require_log(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => bail!("{} is not a directory", dir.display()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot open log directory {}", dir.display()));
        }
    }
    if segmentlog::files::holds_log(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
    {
        return Ok(());
    }
    bail!(
        "{} is not a segmentlog directory (it holds no segment files)",
        dir.display()
    )
}

/// Like [`require_log`], but a directory holding only a quarantine (every segment was taken
/// out) is accepted too: its quarantine can still be listed, shown and purged.
pub fn require_log_or_quarantine(dir: &Path) -> Result<()> {
    if require_log(dir).is_err() && segmentlog::quarantine::path(dir).is_dir() {
        return Ok(());
    }
    require_log(dir)
}

/// Opens the log without the writer lock, changing nothing on disk: safe while another
/// process writes it.
pub fn open_read_only(dir: &Path) -> Result<Log> {
    require_log(dir)?;
    let options = Options {
        read_only: true,
        ..Options::default()
    };
    Log::open(dir, options).with_context(|| format!("cannot open log {}", dir.display()))
}
