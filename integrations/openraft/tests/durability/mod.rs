//! The durability tests written once for openraft 0.9 and 0.10 (each test file includes this
//! module with `#[path]` and `#[macro_use]`).
//!
//! The scenarios (kill + restart + power cut under the store, a cluster whose leader loses its
//! page cache, a SIGKILLed node) do not depend on openraft's version; only its types and traits
//! do. So each scenario is a macro that expands to the test in the calling file, resolving the
//! names it uses there (`Store`, `Node`, `Router`, `write_keys`, ...: `tests/support` for 0.9,
//! `tests/support010` for 0.10, which have the same names and signatures). What needs no openraft
//! at all (disk images, copying trees, the child process) is plain functions here.
#![allow(dead_code, unused_macros)]

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use segmentlog::fault::powercut::{DiskState, Variant, image, listing};

/// How long the crash test's parent waits for its child to report.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// Segments large enough that the cluster power-cut writes never roll one: nothing but the
/// store's own flushes makes them durable.
pub fn large_segments() -> segmentlog::Options {
    segmentlog::Options {
        max_segment_bytes: 1 << 20,
        max_index_bytes: 1 << 16,
        ..Default::default()
    }
}

/// Writes the files of the directory `from` (its listing: no subdirectories) into `to`.
pub fn copy_files(from: &Path, to: &Path) {
    for (name, bytes) in listing(from) {
        std::fs::write(to.join(name), bytes).unwrap();
    }
}

/// Copies `from` into `to` (both directories), leaving out `skip`.
pub fn copy_tree(from: &Path, to: &Path, skip: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let path = e.path();
        if path == skip {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(e.file_name()), skip);
        } else {
            std::fs::copy(&path, to.join(e.file_name())).unwrap();
        }
    }
}

/// The files of a node's store directory tree `node_dir` as the power cut `st` under its log
/// directory `log_dir` left them, in `back_dir`: everything outside the log as it is (written
/// durably by the store: the metadata), the log as of its last syncs.
pub fn durable_image_of_node(node_dir: &Path, log_dir: &Path, st: &DiskState, back_dir: &Path) {
    copy_tree(node_dir, back_dir, log_dir);
    let back_log = back_dir.join(log_dir.strip_prefix(node_dir).unwrap());
    std::fs::create_dir_all(&back_log).unwrap();
    image(st, Variant::Durable, 0, &back_log);
    assert!(!listing(&back_log).is_empty(), "the image holds the log");
}

/// Runs the test `name` of this test binary as a child process with `env` set, its output
/// (stdout and stderr) going to the file `out`, never to a pipe that could fill. Returns the
/// child and the first line of its output that contains `READY ` (from that word on), waiting
/// for it at most [`CHILD_TIMEOUT`].
pub fn start_child_until_ready(name: &str, env: (&str, &OsStr), out: &Path) -> (Child, String) {
    let file = File::create(out).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(env.0, env.1)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("start child");
    let deadline = Instant::now() + CHILD_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        // libtest prints "test NAME ... " on the same line, before the child's own output.
        if let Some(line) = text
            .lines()
            .find_map(|l| l.find("READY ").map(|at| &l[at..]))
        {
            return (child, line.to_string());
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child exited ({status}) before READY; its output:\n{text}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child not READY in {CHILD_TIMEOUT:?}; its output:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILLs `child` (no destructor, no close runs in it) and reaps it.
pub fn kill(mut child: Child) {
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
}

/// The kill, restart, power-cut test of the store (issue 13, path 3, through the adapter):
/// entries acknowledged, more written but never acknowledged, a roll, the process killed the
/// moment the sealed segment is synced, a restart, one more entry acknowledged, then a power cut.
/// Every acknowledged entry must be in every disk image the cut could leave.
///
/// Expects in scope: `Store` (the adapter's log store type, opened with `open_with`),
/// `entry(index)` (~400 bytes an entry: ten fill a 4 KiB segment), `support::tiny_segments`
/// (or `support010::`, passed as `$support`), and the storage traits for `blocking_append` and
/// `try_get_log_entries`.
macro_rules! kill_restart_power_cut_test {
    ($name:ident, $support:ident) => {
        #[tokio::test]
        async fn $name() {
            use segmentlog::fault::powercut::{Disk, Variant, image, listing};
            use $crate::durability::copy_files;
            let mut images = 0;
            for variant in Variant::ALL {
                for seed in 0..4u64 {
                    let first = tempfile::tempdir().unwrap();
                    let log_dir = first.path().join(segmentlog_openraft::LOG_DIR);
                    // Session 1: ten entries acknowledged.
                    let mut s = Store::open_with(first.path(), $support::tiny_segments()).unwrap();
                    let disk = Disk::install_continuing(&log_dir, &Default::default());
                    disk.st.lock().synced = listing(&log_dir);
                    disk.st.lock().names = listing(&log_dir).into_keys().collect();
                    s.blocking_append((0..10).map(entry)).await.unwrap();
                    // Twenty more written, a roll, and the process is killed the moment the
                    // segment it sealed is about to be synced: they were never acknowledged, and
                    // are in the page cache only. (Written as the adapter writes them, without
                    // its flush: nothing waits for a sync.)
                    let active = s
                        .log()
                        .segments()
                        .unwrap()
                        .last()
                        .unwrap()
                        .store_path
                        .clone();
                    disk.st.lock().cut_on_sync_of = Some(active.file_name().unwrap().to_owned());
                    for i in 10..30 {
                        let _ = s.log().append(&serde_json::to_vec(&entry(i)).unwrap());
                    }
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                    while !disk.st.lock().off && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    let killed = std::mem::take(&mut *disk.st.lock());
                    assert!(killed.off, "the sealed segment's sync was reached");
                    assert!(killed.at_cut.len() > listing(&log_dir).len() / 2);
                    // The killed process's files (its page cache), in a new place.
                    let second = tempfile::tempdir().unwrap();
                    let log2 = second.path().join(segmentlog_openraft::LOG_DIR);
                    std::fs::create_dir(&log2).unwrap();
                    for (name, bytes) in &killed.at_cut {
                        std::fs::write(log2.join(name), bytes).unwrap();
                    }
                    copy_files(first.path(), second.path());
                    segmentlog::fault::set_hook(None);
                    drop(s);
                    // Session 2: a restart, and one more entry acknowledged.
                    let disk = Disk::install_continuing(&log2, &killed);
                    let mut s = Store::open_with(second.path(), $support::tiny_segments()).unwrap();
                    let next = s.log().next_offset().unwrap();
                    s.blocking_append([entry(next)]).await.unwrap();
                    // The power goes.
                    disk.cut();
                    let st = std::mem::take(&mut *disk.st.lock());
                    segmentlog::fault::set_hook(None);
                    drop(s);
                    let img = tempfile::tempdir().unwrap();
                    let img_log = img.path().join(segmentlog_openraft::LOG_DIR);
                    std::fs::create_dir(&img_log).unwrap();
                    copy_files(second.path(), img.path());
                    image(&st, variant, seed, &img_log);
                    let case = format!("{variant:?} image {seed}");
                    let mut s = Store::open_with(img.path(), $support::tiny_segments())
                        .unwrap_or_else(|e| panic!("{case}: does not open: {e}"));
                    let mut want: Vec<u64> = (0..10).collect();
                    want.push(next);
                    for i in want {
                        let got = s.try_get_log_entries(i..i + 1).await.unwrap();
                        assert_eq!(got, vec![entry(i)], "{case}: acknowledged entry {i} lost");
                    }
                    s.close().unwrap();
                    images += 1;
                }
            }
            eprintln!(
                "kill, restart, power cut through the adapter: {images} images, 0 entries lost"
            );
        }
    };
}

/// A 3-node cluster in which the leader loses its page cache: the power-loss disk model under
/// the leader's log, one follower cut off (so every write is committed by the leader and the
/// other follower alone: each needs the leader's copy on disk), a power cut after the writes,
/// that other follower gone for good, and the leader restarted from the durable image of its
/// disk. With the isolated follower it must hold every committed key.
///
/// Expects in scope the cluster helpers of `tests/support/cluster.rs` (or their 0.10
/// counterparts): `Node`, `Router`, `fast_config`, `members`, `wait_leader`, `wait_applied`,
/// `write_keys`.
macro_rules! leader_loses_page_cache_test {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            use segmentlog::fault::powercut::Disk;
            use $crate::durability::{durable_image_of_node, large_segments};
            let root = tempfile::tempdir().unwrap();
            let router = Router::default();
            let config = fast_config();
            let mut nodes = Vec::new();
            for id in 1..=3u64 {
                let dir = root.path().join(format!("n{id}"));
                nodes.push(Node::start_with(&router, id, &dir, &config, large_segments()).await);
            }
            nodes[0].raft.initialize(members(&[1, 2, 3])).await.unwrap();
            let leader = wait_leader(&nodes.iter().map(|n| &n.raft).collect::<Vec<_>>()).await;
            let at = nodes.iter().position(|n| n.id == leader).unwrap();
            let l = nodes.remove(at);
            let (b, x) = (nodes.remove(0), nodes.remove(0));

            // The disk under the leader's log: everything there now counts as durable.
            let log_dir = l.dir.join("raft").join(segmentlog_openraft::LOG_DIR);
            let disk = Disk::install_on_durable(&log_dir, 0);
            // One follower is cut off, so every write below is committed by the leader and the
            // other follower alone: each needs the leader's copy on disk.
            router.isolate(x.id);
            write_keys(&l.raft, 0..30).await;

            // The power goes under the leader; the follower that shared the commits goes away
            // for good.
            disk.cut();
            let st = std::mem::take(&mut *disk.st.lock());
            segmentlog::fault::set_hook(None);
            router.remove(l.id);
            let _ = l.raft.shutdown().await;
            drop(l.store);
            b.stop(&router).await;

            // The leader restarts from what its disk held: the files written durably outside
            // the log (metadata), and the log as of its last syncs.
            let back_dir = root.path().join("leader-after-power-cut");
            durable_image_of_node(&l.dir, &log_dir, &st, &back_dir);
            let l = Node::start_with(&router, l.id, &back_dir, &config, large_segments()).await;
            router.heal(x.id);

            // The restarted leader and the follower that missed the writes form a majority;
            // every committed write must still be there.
            wait_leader(&[&l.raft, &x.raft]).await;
            let mut last = 0;
            for n in [&l, &x] {
                last = last.max(n.last_log_index().await.unwrap_or(0));
            }
            for n in [&l, &x] {
                wait_applied(&n.raft, last, "both nodes apply the whole log").await;
            }
            for n in [&l, &x] {
                for i in 0..30 {
                    assert_eq!(
                        n.sm.get(&format!("key{i}")).as_deref(),
                        Some(format!("value{i}").as_str()),
                        "node {}: committed key{i} lost with the leader's page cache",
                        n.id
                    );
                }
            }
            l.stop(&router).await;
            x.stop(&router).await;
        }
    };
}

/// A node whose process is killed with SIGKILL (no close, no destructor) restarts with its vote
/// and log intact: the test runs this same test binary as a child process (`$child`) that starts
/// a one-node cluster on a directory, writes `KEYS` keys, reports its vote and last index, and
/// waits to be killed; `$parent` kills it, reopens the store and runs raft on it again.
///
/// Expects in scope: `LogStore`, `Raft`, `Vote` (the vote type), `KvStateMachine`, `Router`,
/// `TIMEOUT`, `fast_config`, `members`, `wait_applied`, `write_keys`, and the storage traits for
/// `read_vote`, `get_log_state` and `try_get_log_entries`.
macro_rules! sigkill_test {
    ($child:ident, $parent:ident) => {
        const DIR_ENV: &str = "SEGMENTLOG_RAFT_CRASH_DIR";
        const KEYS: u64 = 200;

        /// The child: only does something when started by the parent test.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "run as a child process by the SIGKILL test"]
        async fn $child() {
            let dir =
                std::path::PathBuf::from(std::env::var(DIR_ENV).expect("child needs its dir"));
            let router = Router::default();
            let store = LogStore::<TypeConfig>::open(dir.join("raft")).unwrap();
            let sm = KvStateMachine::open(&dir.join("sm")).unwrap();
            let raft = Raft::new(
                1,
                std::sync::Arc::new(fast_config()),
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
            // The current metrics (the same call in 0.9 and 0.10, whose watch types differ).
            let m = raft
                .wait(Some(TIMEOUT))
                .metrics(|_| true, "metrics")
                .await
                .unwrap();
            println!(
                "READY {} {}",
                serde_json::to_string(&m.vote).unwrap(),
                m.last_log_index.unwrap()
            );
            // Wait to be killed; never exit cleanly.
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $parent() {
            let dir = tempfile::tempdir().unwrap();
            let (child, ready) = $crate::durability::start_child_until_ready(
                stringify!($child),
                (DIR_ENV, dir.path().as_os_str()),
                &dir.path().join("child.out"),
            );
            $crate::durability::kill(child);

            let mut parts = ready.splitn(3, ' ').skip(1);
            let vote: Vote = serde_json::from_str(parts.next().unwrap()).unwrap();
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

            // And raft runs on it again: same node, leader again, every key back in the state
            // machine.
            let router = Router::default();
            let sm = KvStateMachine::open(&dir.path().join("sm")).unwrap();
            let raft = Raft::new(
                1,
                std::sync::Arc::new(fast_config()),
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
    };
}
