//! A node whose process is killed with SIGKILL (no close, no destructor) restarts with its vote
//! and log intact.
//!
//! The test runs this same test binary as a child process that starts a one-node cluster on a
//! directory, writes entries, reports what it has, and waits to be killed.

#[path = "support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use openraft::storage::RaftLogStorage;
use openraft::{Raft, RaftLogReader, Vote};
use segmentlog_openraft::LogStore;
use support::cluster::{TIMEOUT, fast_config, members, wait_applied, write_keys};
use support::kv::{KvStateMachine, TypeConfig};
use support::router::Router;

const DIR_ENV: &str = "SEGMENTLOG_RAFT_CRASH_DIR";
const KEYS: u64 = 200;

/// The child: only does something when started by `killed_node_restarts_with_vote_and_log`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by killed_node_restarts_with_vote_and_log"]
async fn crash_child() {
    let dir = std::path::PathBuf::from(std::env::var(DIR_ENV).expect("child needs its dir"));
    let router = Router::default();
    let store = LogStore::<TypeConfig>::open(dir.join("raft")).unwrap();
    let sm = KvStateMachine::open(&dir.join("sm")).unwrap();
    let raft = Raft::new(
        1,
        Arc::new(fast_config()),
        router.network(1),
        store.clone(),
        sm,
    )
    .await
    .unwrap();
    router.add(1, raft.clone());
    raft.initialize(members(&[1])).await.unwrap();
    raft.wait(Some(TIMEOUT))
        .metrics(|m| m.state.is_leader(), "leader")
        .await
        .unwrap();
    write_keys(&raft, 0..KEYS).await;
    let m = raft.metrics().borrow().clone();
    println!(
        "READY {} {}",
        serde_json::to_string(&m.vote).unwrap(),
        m.last_log_index.unwrap()
    );
    // Wait to be killed; never exit cleanly.
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_node_restarts_with_vote_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start child");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let ready = stdout
        .lines()
        .map(|l| l.unwrap())
        // libtest prints "test crash_child ... " on the same line, before our output.
        .find_map(|l| l.find("READY ").map(|at| l[at..].to_string()))
        .expect("child reports READY");
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();

    let mut parts = ready.splitn(3, ' ').skip(1);
    let vote: Vote<u64> = serde_json::from_str(parts.next().unwrap()).unwrap();
    let last: u64 = parts.next().unwrap().parse().unwrap();

    // The store reopens (the lock died with the process) with everything acknowledged.
    let mut store = LogStore::<TypeConfig>::open(dir.path().join("raft")).unwrap();
    assert!(
        !store.log().opened_clean(),
        "the child never closed its log"
    );
    assert_eq!(store.read_vote().await.unwrap(), Some(vote));
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id.map(|l| l.index), Some(last));
    let entries = store.try_get_log_entries(..).await.unwrap();
    assert_eq!(entries.len() as u64, last + 1);

    // And raft runs on it again: same node, leader again, every key back in the state machine.
    let router = Router::default();
    let sm = KvStateMachine::open(&dir.path().join("sm")).unwrap();
    let raft = Raft::new(
        1,
        Arc::new(fast_config()),
        router.network(1),
        store.clone(),
        sm.clone(),
    )
    .await
    .unwrap();
    router.add(1, raft.clone());
    raft.wait(Some(TIMEOUT))
        .metrics(|m| m.state.is_leader(), "leader after restart")
        .await
        .unwrap();
    wait_applied(&raft, last, "re-applied after restart").await;
    for i in 0..KEYS {
        assert_eq!(sm.get(&format!("key{i}")), Some(format!("value{i}")));
    }
    write_keys(&raft, KEYS..KEYS + 5).await;
    raft.shutdown().await.unwrap();
    store.close().unwrap();
}
