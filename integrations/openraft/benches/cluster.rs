//! Entries committed per second by a 3-node in-process raft cluster on our log store versus the
//! same cluster on an in-memory log store.
//!
//! Our store acknowledges an append (fires openraft's flush callback) only after the log was
//! fsynced, i.e. sync=always semantics; batches of appends share one fsync. The in-memory store
//! acknowledges at once, so the ratio is the price of durability.
//!
//! `BENCH_QUICK=1` runs each measurement for 1 s instead of 4 s.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use openraft::{Config, Raft};
use support::cluster::{Node, fast_config, members, start_mem_node, wait_leader};
use support::kv::{Request, TypeConfig};
use support::router::Router;

#[derive(Clone, Copy)]
enum Kind {
    Segmentlog,
    Memory,
}

struct Cluster {
    router: Router,
    rafts: Vec<Raft<TypeConfig>>,
    nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

async fn start(kind: Kind, config: &Config) -> Cluster {
    let dir = tempfile::Builder::new()
        .prefix("raft-bench")
        .tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| std::env::temp_dir().into()))
        .unwrap();
    let router = Router::default();
    let mut rafts = Vec::new();
    let mut nodes = Vec::new();
    for id in 1..=3u64 {
        let path = dir.path().join(format!("n{id}"));
        match kind {
            Kind::Segmentlog => {
                let node = Node::start(&router, id, &path, config).await;
                rafts.push(node.raft.clone());
                nodes.push(node);
            }
            Kind::Memory => rafts.push(start_mem_node(&router, id, &path, config).await),
        }
    }
    rafts[0].initialize(members(&[1, 2, 3])).await.unwrap();
    Cluster {
        router,
        rafts,
        nodes,
        _dir: dir,
    }
}

/// Runs `clients` concurrent writers against the leader for `secs`; returns entries/s.
async fn measure(cluster: &Cluster, clients: usize, duration: Duration) -> f64 {
    let leader_id = wait_leader(&cluster.rafts.iter().collect::<Vec<_>>()).await;
    let leader = cluster.rafts[(leader_id - 1) as usize].clone();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (leader, stop, done) = (leader.clone(), stop.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    leader
                        .client_write(Request::set(format!("c{c}-{}", i % 1000), "v".repeat(100)))
                        .await
                        .expect("client write");
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
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
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
    let config = Config {
        // Long enough that the loaded 2-core machine does not trigger elections mid-run.
        heartbeat_interval: 100,
        election_timeout_min: 1000,
        election_timeout_max: 2000,
        ..fast_config()
    };
    println!(
        "3-node in-process openraft cluster, entries committed per second ({} s per run)",
        duration.as_secs()
    );
    println!(
        "{:>8}  {:>14}  {:>14}  {:>7}",
        "clients", "segmentlog e/s", "memory e/s", "ratio"
    );
    for clients in [1usize, 16, 64] {
        let ours = start(Kind::Segmentlog, &config).await;
        let ours_rate = measure(&ours, clients, duration).await;
        stop(ours).await;
        let mem = start(Kind::Memory, &config).await;
        let mem_rate = measure(&mem, clients, duration).await;
        stop(mem).await;
        println!(
            "{clients:>8}  {ours_rate:>14.0}  {mem_rate:>14.0}  {:>6.2}x",
            ours_rate / mem_rate
        );
    }
    println!("ratio = segmentlog / in-memory (1.00x = durability costs nothing)");
}
