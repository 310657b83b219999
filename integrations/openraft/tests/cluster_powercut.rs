//! A 3-node cluster in which a node loses its page cache: the power-loss disk model of the core
//! (`segmentlog::fault::powercut`) under the leader's log, a power cut after the writes, and the
//! leader restarted from what the disk held as of its last syncs (not from the files a graceful
//! shutdown or a SIGKILL would leave). Its own test binary: the fault hook is process-wide.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use segmentlog::fault::powercut::{Disk, Variant, image, listing};
use support::cluster::{Node, fast_config, members, wait_applied, wait_leader, write_keys};
use support::router::Router;

/// Segments large enough that the writes below never roll one: nothing but the store's own
/// flushes makes them durable.
fn options() -> segmentlog::Options {
    segmentlog::Options {
        max_segment_bytes: 1 << 20,
        max_index_bytes: 1 << 16,
        ..Default::default()
    }
}

/// Copies `from` into `to` (both directories), leaving out `skip`.
fn copy_tree(from: &Path, to: &Path, skip: &Path) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_that_loses_its_page_cache_keeps_every_committed_entry() {
    let root = tempfile::tempdir().unwrap();
    let router = Router::default();
    let config = fast_config();
    let mut nodes = Vec::new();
    for id in 1..=3u64 {
        let dir = root.path().join(format!("n{id}"));
        nodes.push(Node::start_with(&router, id, &dir, &config, options()).await);
    }
    nodes[0].raft.initialize(members(&[1, 2, 3])).await.unwrap();
    let leader = wait_leader(&nodes.iter().map(|n| &n.raft).collect::<Vec<_>>()).await;
    let take = |nodes: &mut Vec<Node>, id: u64| {
        let at = nodes.iter().position(|n| n.id == id).unwrap();
        nodes.remove(at)
    };
    let l = take(&mut nodes, leader);
    let (b, x) = (nodes.remove(0), nodes.remove(0));

    // The disk under the leader's log: everything there now counts as durable.
    let log_dir = l.dir.join("raft").join(segmentlog_openraft::LOG_DIR);
    let disk = Disk::install_on_durable(&log_dir, 0);
    // One follower is cut off, so every write below is committed by the leader and the other
    // follower alone: each needs the leader's copy on disk.
    router.isolate(x.id);
    write_keys(&l.raft, 0..30).await;

    // The power goes under the leader; the follower that shared the commits goes away for good.
    disk.cut();
    let st = std::mem::take(&mut *disk.st.lock());
    segmentlog::fault::set_hook(None);
    router.remove(l.id);
    let _ = l.raft.shutdown().await;
    drop(l.store);
    b.stop(&router).await;

    // The leader restarts from what its disk held: the files written durably outside the log
    // (metadata), and the log as of its last syncs.
    let back_dir = root.path().join("leader-after-power-cut");
    copy_tree(&l.dir, &back_dir, &log_dir);
    let back_log = back_dir.join("raft").join(segmentlog_openraft::LOG_DIR);
    std::fs::create_dir_all(&back_log).unwrap();
    image(&st, Variant::Durable, 0, &back_log);
    assert!(!listing(&back_log).is_empty(), "the image holds the log");
    let l = Node::start_with(&router, l.id, &back_dir, &config, options()).await;
    router.heal(x.id);

    // The restarted leader and the follower that missed the writes form a majority; every
    // committed write must still be there.
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
