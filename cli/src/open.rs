//! Opening logs the way each command needs.

use std::path::Path;

use anyhow::{Context, Result, bail};
use commitlog::{Log, Options};

/// Fails with a clear message unless `dir` is an existing directory: reading commands must
/// not create a log where the user mistyped a path.
pub fn require_dir(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => bail!("{} is not a directory", dir.display()),
        Err(e) => Err(e).with_context(|| format!("cannot open log directory {}", dir.display())),
    }
}

/// Opens the log without the writer lock, changing nothing on disk: safe while another
/// process writes it.
pub fn open_read_only(dir: &Path) -> Result<Log> {
    require_dir(dir)?;
    let options = Options {
        read_only: true,
        ..Options::default()
    };
    Log::open(dir, options).with_context(|| format!("cannot open log {}", dir.display()))
}
