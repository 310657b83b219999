//! openraft 0.10's own storage conformance suite (`openraft::testing::log::Suite` of
//! `0.10.0-alpha.37`) run against `v010::LogStore` (feature `openraft-010`).

#[path = "support010/mod.rs"]
mod support010;

use openraft_010::StorageError;
use openraft_010::testing::log::{StoreBuilder, Suite};
use segmentlog::Options;
use segmentlog_openraft::v010::LogStore;
use support010::kv::{KvStateMachine, TypeConfig};
use tempfile::TempDir;

/// Builds a fresh store and state machine in a temp dir (the guard removes it afterwards).
struct Builder {
    options: Options,
}

impl StoreBuilder<TypeConfig, LogStore<TypeConfig>, KvStateMachine, TempDir> for Builder {
    async fn build(
        &self,
    ) -> Result<(TempDir, LogStore<TypeConfig>, KvStateMachine), StorageError<TypeConfig>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LogStore::open_with(dir.path().join("raft"), self.options.clone())
            .expect("open log store");
        let sm = KvStateMachine::open(&dir.path().join("sm")).expect("open state machine");
        Ok((dir, store, sm))
    }
}

fn run(options: Options) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(Suite::test_all(Builder { options }))
        .expect("openraft 0.10 storage suite");
}

#[test]
fn openraft_010_storage_suite_default_segments() {
    run(Options::default());
}

/// The same suite with the smallest segments the log accepts, so entries spread over several
/// segments and purges leave partly purged segments behind.
#[test]
fn openraft_010_storage_suite_tiny_segments() {
    run(support010::tiny_segments());
}
