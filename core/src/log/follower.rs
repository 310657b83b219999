//! A read-only log following the files another process writes.

use super::shared::Shared;
use crate::error::{Error, IoContext, Result};
use crate::recovery::{self, CLEAN_MARKER};

impl Shared {
    /// Read-only logs: pick up what the writer (another process) appended, rolled or removed.
    pub(super) fn refresh(&self) -> Result<()> {
        if !self.options.read_only {
            return Ok(());
        }
        let _g = self.refresh.lock();
        let newest = self.segments.read().last().cloned();
        let Some(seg) = newest else {
            return self.reload();
        };
        let files = seg.files()?;
        let meta = files
            .store
            .with_file(false, |f| f.metadata())
            .context(|| format!("reading {}", seg.paths.store.display()))?;
        if std::os::unix::fs::MetadataExt::nlink(&meta) == 0 {
            return self.reload();
        }
        let len = meta.len();
        let scan = files
            .store
            .with_file(false, |f| {
                recovery::scan::follow(f, &seg.header(), seg.end(), seg.next(), len)
            })
            .context(|| format!("reading {}", seg.paths.store.display()))?;
        let count = seg.count();
        for (i, p) in scan.positions.iter().enumerate() {
            files.index.set(count + i as u64, *p);
        }
        if !scan.positions.is_empty() {
            seg.publish(scan.next, scan.end);
        } else if len == seg.end() {
            // The writer trimmed the file: it rolled to a new segment or closed.
            return self.reload();
        }
        Ok(())
    }

    pub(super) fn reload(&self) -> Result<()> {
        let mut tries = 0;
        loop {
            let clean = self.dir.join(CLEAN_MARKER).exists();
            let mode = recovery::Mode {
                clean,
                read_only: true,
                ..recovery::Mode::default()
            };
            match recovery::load(&self.dir, &self.options, mode, &self.open_cache) {
                Ok(loaded) => {
                    *self.segments.write() = loaded.segments;
                    return Ok(());
                }
                // A file vanished between listing and opening (the writer removed it).
                Err(Error::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound && tries < 3 =>
                {
                    tries += 1
                }
                Err(e) => return Err(e),
            }
        }
    }
}
