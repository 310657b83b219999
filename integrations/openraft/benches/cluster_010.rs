//! `benches/cluster.rs` on openraft 0.10 (feature `openraft-010`): client writes committed per
//! second by a 3-node in-process cluster on `v010::LogStore`, one raft entry per client write,
//! for 1, 16 and 64 concurrent clients, with the store's counters per node. It answers whether
//! 0.10's pipelined log I/O lets the leader's appends share fdatasyncs (appends overlapping a
//! pending flush, appends per fdatasync) and so lifts unbatched throughput.
//!
//! Same settings as `cluster.rs`: each cell runs `BENCH_RUNS` times (default 3) for 4 s each (1 s
//! with `BENCH_QUICK=1`), each on a fresh cluster under `BENCH_DIR` (default: the system's temp
//! dir); the median and the range are printed. Only this store runs here: the redb anchor and
//! the in-memory ceiling are 0.9 stores (`make bench-openraft`).

#[path = "../tests/support010/mod.rs"]
mod support010;

#[path = "common/report.rs"]
mod report;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use openraft_010::Config;
use report::{add, counters_line, summary};
use segmentlog_openraft::Stats;
use support010::cluster::{Node, client_write, fast_config, members, wait_leader};
use support010::kv::{Raft, Request};
use support010::router::Router;

struct Cluster {
    router: Router,
    nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

async fn start(config: &Config) -> Cluster {
    let dir = tempfile::Builder::new()
        .prefix("raft010-bench")
        .tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| std::env::temp_dir().into()))
        .unwrap();
    let router = Router::default();
    let mut nodes = Vec::new();
    for id in 1..=3u64 {
        nodes.push(Node::start(&router, id, &dir.path().join(format!("n{id}")), config).await);
    }
    nodes[0].raft.initialize(members(&[1, 2, 3])).await.unwrap();
    Cluster {
        router,
        nodes,
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
}

/// Runs `clients` concurrent writers against the leader for `duration`; returns writes/s and the
/// store's counters of the run.
async fn measure(cluster: &Cluster, clients: usize, duration: Duration) -> (f64, Counted) {
    let rafts: Vec<&Raft> = cluster.nodes.iter().map(|n| &n.raft).collect();
    let leader_id = wait_leader(&rafts).await;
    let leader = cluster.nodes[(leader_id - 1) as usize].raft.clone();
    let before: Vec<Stats> = cluster.nodes.iter().map(|n| n.store.stats()).collect();
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
    (rate, counted)
}

async fn stop(cluster: Cluster) {
    for node in cluster.nodes {
        node.stop(&cluster.router).await;
    }
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
    let config = Config {
        // Long enough that the loaded 2-core machine does not trigger elections mid-run.
        heartbeat_interval: 100,
        election_timeout_min: 1000,
        election_timeout_max: 2000,
        ..fast_config()
    };
    println!(
        "openraft 0.10.0-alpha.37, 3-node in-process cluster, client writes committed per second \
         (one raft entry each): median (min–max) of {runs} runs of {} s",
        duration.as_secs()
    );
    println!("{:>7}  {:>22}", "clients", "segmentlog (0.10)");
    for clients in [1usize, 16, 64] {
        let mut counted = Counted::default();
        let mut rates = Vec::new();
        for _ in 0..runs {
            let cluster = start(&config).await;
            let (rate, c) = measure(&cluster, clients, duration).await;
            stop(cluster).await;
            rates.push(rate);
            counted.leader = add(&counted.leader, &c.leader);
            counted.followers = add(&counted.followers, &c.followers);
            counted.committed += c.committed;
            counted.refused += c.refused;
        }
        println!("{clients:>7}  {:>22}", summary(&mut rates));
        println!(
            "         segmentlog, leader | followers: {}",
            counters_line(&counted.leader, &counted.followers, counted.committed)
        );
        if counted.refused > 0 {
            println!(
                "         writes refused at first (leader lease not valid yet), then retried: {}",
                counted.refused
            );
        }
    }
}
