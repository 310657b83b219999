//! `benches/cluster.rs` on openraft 0.10 (feature `openraft-010`): client writes committed per
//! second by a 3-node in-process cluster on `v010::LogStore`, one raft entry per client write,
//! for 1, 16 and 64 concurrent clients, with the store's counters per node. It answers whether
//! 0.10's pipelined log I/O lets the leader's appends share fdatasyncs (appends overlapping a
//! pending flush, appends per fdatasync) and so lifts unbatched throughput.
//!
//! Same settings as `cluster.rs`: each cell runs `BENCH_RUNS` times (default 3) for 4 s each (1 s
//! with `BENCH_QUICK=1`), each on a fresh cluster under `BENCH_DIR` (default: the system's temp
//! dir); the median and the range are printed. Beside this store, as in `cluster.rs`: a durable
//! redb log store for 0.10 (the anchor, `anchor/redb_log_010.rs`; only with the `bench-redb`
//! feature, which `make bench-openraft-010` turns on) and an in-memory one (the ceiling, no I/O:
//! `anchor/mem_log_010.rs`).

#[path = "../tests/support010/mod.rs"]
mod support010;

#[path = "common/report.rs"]
mod report;

#[path = "anchor/mem_log_010.rs"]
mod mem_log_010;

#[cfg(feature = "bench-redb")]
#[path = "anchor/redb_log_010.rs"]
mod redb_log_010;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use openraft_010::Config;
use openraft_010::storage::RaftLogStorage;
use report::{Kind, add, counters_line, per, summary};
use segmentlog_openraft::Stats;
use support010::cluster::{Node, client_write, fast_config, members, wait_leader};
use support010::kv::{KvStateMachine, Raft, Request, TypeConfig};
use support010::router::Router;

struct Cluster {
    router: Router,
    rafts: Vec<Raft>,
    /// The nodes on our store (none for the other kinds).
    nodes: Vec<Node>,
    #[cfg(feature = "bench-redb")]
    redb: Vec<redb_log_010::RedbLogStore>,
    _dir: tempfile::TempDir,
}

/// Starts node `id` on `store` (a redb or in-memory log store) and registers it.
async fn start_raft<LS: RaftLogStorage<TypeConfig>>(
    router: &Router,
    id: u64,
    dir: &std::path::Path,
    config: &Config,
    store: LS,
) -> Raft {
    let sm = KvStateMachine::open(&dir.join("sm")).unwrap();
    let config = Arc::new(config.clone().validate().unwrap());
    let raft = Raft::new(id, config, router.network(id), store, sm)
        .await
        .unwrap();
    router.add(id, raft.clone());
    raft
}

async fn start(kind: Kind, config: &Config) -> Cluster {
    let dir = tempfile::Builder::new()
        .prefix("raft010-bench")
        .tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| std::env::temp_dir().into()))
        .unwrap();
    let router = Router::default();
    let mut rafts = Vec::new();
    let mut nodes = Vec::new();
    #[cfg(feature = "bench-redb")]
    let mut redb = Vec::new();
    for id in 1..=3u64 {
        let path = dir.path().join(format!("n{id}"));
        match kind {
            Kind::Segmentlog => {
                // BENCH_WRITE_PATH=map: appends through the memory map instead of the `pwrite`
                // the store picks, to measure what that choice gains.
                let options = segmentlog::Options {
                    write_path: std::env::var("BENCH_WRITE_PATH")
                        .ok()
                        .and_then(|p| segmentlog::WritePath::from_name(&p))
                        .unwrap_or_default(),
                    ..segmentlog::Options::default()
                };
                let node = Node::start_with(&router, id, &path, config, options).await;
                rafts.push(node.raft.clone());
                nodes.push(node);
            }
            #[cfg(feature = "bench-redb")]
            Kind::Redb => {
                let store = redb_log_010::RedbLogStore::open(&path.join("raft.redb"));
                rafts.push(start_raft(&router, id, &path, config, store.clone()).await);
                redb.push(store);
            }
            Kind::Memory => {
                let store = mem_log_010::MemLogStore::default();
                rafts.push(start_raft(&router, id, &path, config, store).await);
            }
        }
    }
    rafts[0].initialize(members(&[1, 2, 3])).await.unwrap();
    Cluster {
        router,
        rafts,
        nodes,
        #[cfg(feature = "bench-redb")]
        redb,
        _dir: dir,
    }
}

/// Counters of one run: the leader's, the two followers' summed, the writes committed.
#[derive(Default, Clone, Copy)]
struct Counted {
    leader: Stats,
    followers: Stats,
    committed: u64,
    /// Writes the leader refused at first because its lease was not valid (retried).
    refused: u64,
    /// redb: the leader's appends and their entries (one durable commit each).
    redb_appends: u64,
    redb_entries: u64,
}

/// Runs `clients` concurrent writers against the leader for `duration`; returns writes/s and the
/// store's counters of the run.
async fn measure(cluster: &Cluster, clients: usize, duration: Duration) -> (f64, Counted) {
    let leader_id = wait_leader(&cluster.rafts.iter().collect::<Vec<_>>()).await;
    let leader = cluster.rafts[(leader_id - 1) as usize].clone();
    let before: Vec<Stats> = cluster.nodes.iter().map(|n| n.store.stats()).collect();
    #[cfg(feature = "bench-redb")]
    let redb_before = cluster.redb.get((leader_id - 1) as usize).map(|s| {
        (
            s.appends.load(Ordering::Relaxed),
            s.entries.load(Ordering::Relaxed),
        )
    });
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (leader, stop, done) = (leader.clone(), stop.clone(), done.clone());
            let refused = refused.clone();
            tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let request = Request::set(format!("c{c}-{}", i % 1000), "v".repeat(100));
                    refused.fetch_add(client_write(&leader, request).await, Ordering::Relaxed);
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let committed = done.load(Ordering::Relaxed);
    let rate = committed as f64 / started.elapsed().as_secs_f64();
    let mut counted = Counted {
        committed,
        refused: refused.load(Ordering::Relaxed),
        ..Default::default()
    };
    for (node, before) in cluster.nodes.iter().zip(&before) {
        let delta = node.store.stats().since(before);
        if node.id == leader_id {
            counted.leader = delta;
        } else {
            counted.followers = add(&counted.followers, &delta);
        }
    }
    #[cfg(feature = "bench-redb")]
    if let Some((a, e)) = redb_before {
        let s = &cluster.redb[(leader_id - 1) as usize];
        counted.redb_appends = s.appends.load(Ordering::Relaxed) - a;
        counted.redb_entries = s.entries.load(Ordering::Relaxed) - e;
    }
    (rate, counted)
}

async fn stop(cluster: Cluster) {
    for raft in &cluster.rafts {
        raft.shutdown().await.unwrap();
    }
    for node in &cluster.nodes {
        node.store.close().unwrap();
    }
    drop(cluster.router);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0");
    let duration = Duration::from_secs(if quick { 1 } else { 4 });
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let snapshot_every = report::snapshot_every();
    let config = Config {
        // Long enough that the loaded 2-core machine does not trigger elections mid-run: a
        // store that commits on the async task (redb, as openraft's rocksstore example
        // does) stalls a runtime worker for as long as its commit takes, heartbeats included,
        // and its commits grow slower as its log grows between snapshots.
        heartbeat_interval: 100,
        election_timeout_min: 5000,
        election_timeout_max: 10000,
        snapshot_policy: openraft_010::SnapshotPolicy::LogsSinceLast(snapshot_every),
        ..fast_config()
    };
    println!(
        "openraft 0.10.0-alpha.37, 3-node in-process cluster, client writes committed per second \
         (one raft entry each), a snapshot every {snapshot_every} entries: median (min–max) of \
         {runs} runs of {} s",
        duration.as_secs()
    );
    // For profiling one case: BENCH_STORES=segmentlog BENCH_CLIENTS=64.
    let stores = std::env::var("BENCH_STORES").unwrap_or_default();
    let kinds: Vec<Kind> = Kind::all()
        .into_iter()
        .filter(|k| stores.is_empty() || stores.split(',').any(|s| s == k.name()))
        .collect();
    let client_counts: Vec<usize> = std::env::var("BENCH_CLIENTS")
        .ok()
        .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1, 16, 64]);
    print!("{:>7}", "clients");
    for kind in &kinds {
        print!("  {:>22}", format!("{} (0.10)", kind.name()));
    }
    println!();
    for clients in client_counts {
        let mut counted = Counted::default();
        print!("{clients:>7}");
        for &kind in &kinds {
            let mut rates = Vec::new();
            for _ in 0..runs {
                let cluster = start(kind, &config).await;
                let (rate, c) = measure(&cluster, clients, duration).await;
                stop(cluster).await;
                rates.push(rate);
                if kind == Kind::Segmentlog {
                    counted.leader = add(&counted.leader, &c.leader);
                    counted.followers = add(&counted.followers, &c.followers);
                    counted.committed += c.committed;
                }
                counted.refused += c.refused;
                counted.redb_appends += c.redb_appends;
                counted.redb_entries += c.redb_entries;
            }
            print!("  {:>22}", summary(&mut rates));
        }
        println!();
        println!(
            "         segmentlog, leader | followers: {}",
            counters_line(&counted.leader, &counted.followers, counted.committed)
        );
        if counted.redb_appends > 0 {
            println!(
                "         redb, leader: entries/append {:.2} (one durable commit per append)",
                per(counted.redb_entries, counted.redb_appends)
            );
        }
        if counted.refused > 0 {
            println!(
                "         writes refused at first (leader lease not valid yet), then retried, all \
                 stores: {}",
                counted.refused
            );
        }
    }
}
