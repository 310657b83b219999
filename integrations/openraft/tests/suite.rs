//! openraft's own storage conformance suite (`openraft::testing::Suite`, written by openraft's
//! authors) run against `LogStore`.

#[path = "support/mod.rs"]
mod support;

use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};
use segmentlog::Options;
use segmentlog_openraft::LogStore;
use support::kv::{KvStateMachine, TypeConfig};
use tempfile::TempDir;

/// Builds a fresh store and state machine in a temp dir (the guard removes it afterwards).
struct Builder {
    options: Options,
}

impl StoreBuilder<TypeConfig, LogStore<TypeConfig>, KvStateMachine, TempDir> for Builder {
    async fn build(
        &self,
    ) -> Result<(TempDir, LogStore<TypeConfig>, KvStateMachine), StorageError<u64>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LogStore::open_with(dir.path().join("raft"), self.options.clone())
            .expect("open log store");
        let sm = KvStateMachine::open(&dir.path().join("sm")).expect("open state machine");
        Ok((dir, store, sm))
    }
}

#[test]
fn openraft_storage_suite_default_segments() {
    Suite::test_all(Builder {
        options: Options::default(),
    })
    .expect("openraft storage suite");
}

/// The same suite with the smallest segments the log accepts, so entries spread over several
/// segments and purges leave partly purged segments behind.
#[test]
fn openraft_storage_suite_tiny_segments() {
    Suite::test_all(Builder {
        options: Options {
            max_segment_bytes: 4096,
            max_index_bytes: 4096,
            ..Options::default()
        },
    })
    .expect("openraft storage suite");
}
