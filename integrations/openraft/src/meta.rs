//! The small metadata file: vote, committed log id and last purged log id.
//!
//! It is replaced atomically (write a temp file, fsync it, rename it over the old one, fsync the
//! directory), so after a crash the file holds either the old or the new contents, never a mix.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::shared::RaftLogId;

/// File name of the metadata inside the store directory.
pub const META_FILE: &str = "raft-meta.json";
const META_TMP: &str = "raft-meta.json.tmp";

/// What the store keeps beside the log: `V` is openraft's vote type, `L` its log id type (they
/// differ between openraft versions; the file's layout does not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "V: Serialize, L: Serialize",
    deserialize = "V: DeserializeOwned, L: DeserializeOwned"
))]
pub(crate) struct Meta<V, L> {
    pub vote: Option<V>,
    pub committed: Option<L>,
    pub last_purged: Option<L>,
}

impl<V, L> Default for Meta<V, L> {
    fn default() -> Self {
        Meta {
            vote: None,
            committed: None,
            last_purged: None,
        }
    }
}

impl<V, L: RaftLogId> Meta<V, L> {
    /// The lowest raft index a reader may see: one past the last purged entry.
    pub fn first_visible(&self) -> u64 {
        self.last_purged.as_ref().map_or(0, |l| l.raft_index() + 1)
    }
}

/// Paths of the metadata file and its temp file.
#[derive(Debug, Clone)]
pub(crate) struct MetaFile {
    dir: PathBuf,
    path: PathBuf,
    tmp: PathBuf,
}

impl MetaFile {
    pub fn new(dir: &Path) -> Self {
        MetaFile {
            dir: dir.to_path_buf(),
            path: dir.join(META_FILE),
            tmp: dir.join(META_TMP),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the metadata; a missing file means a new store (all `None`). A temp file left by a
    /// crash mid-write is removed: the rename never happened, so the old file is the truth.
    pub fn load<V: DeserializeOwned, L: DeserializeOwned>(&self) -> io::Result<Meta<V, L>> {
        match fs::remove_file(&self.tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Meta::default()),
            Err(e) => return Err(e),
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not valid raft metadata: {e}", self.path.display()),
            )
        })
    }

    /// Encodes `meta` (done by the caller's thread, so the flusher thread only does I/O).
    pub fn encode<V: Serialize, L: Serialize>(meta: &Meta<V, L>) -> Vec<u8> {
        // Serializing plain data structs to JSON cannot fail.
        serde_json::to_vec_pretty(meta).expect("raft metadata serializes")
    }

    /// Durably replaces the file with `bytes`.
    pub fn store(&self, bytes: &[u8]) -> io::Result<()> {
        let mut f = File::create(&self.tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&self.tmp, &self.path)?;
        File::open(&self.dir)?.sync_all()
    }
}
