//! Client writes committed per second by a 3-node in-process raft cluster on our log store, on a
//! durable redb log store (the anchor: what openraft users deploy; only with the `bench-redb`
//! feature, which `make bench-openraft` turns on) and on an in-memory log store (the ceiling: no
//! I/O at all), for 1, 16 and 64 concurrent clients, with our store's counters per node.
//!
//! Our store acknowledges an append (fires openraft's flush callback) only after the log was
//! fdatasynced; redb commits each append durably; the in-memory store acknowledges at once.
//!
//! Each (store, clients) cell runs `BENCH_RUNS` times (default 3) for 4 s each (1 s with
//! `BENCH_QUICK=1`), each on a fresh cluster; the median and the range are printed. The cluster
//! lives in a temporary directory under `BENCH_DIR` (default: the system's temp dir; point it at
//! the real disk, not a tmpfs).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/report.rs"]
mod report;

#[cfg(feature = "bench-redb")]
#[path = "anchor/redb_log.rs"]
mod redb_log;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use openraft::{Config, Raft};
use report::{Kind, add, per, summary};
use segmentlog_openraft::Stats;
use support::cluster::{Node, fast_config, members, start_mem_node, wait_leader};
use support::kv::{Request, TypeConfig};
use support::router::Router;

struct Cluster {
    router: Router,
    rafts: Vec<Raft<TypeConfig>>,
    nodes: Vec<Node>,
    #[cfg(feature = "bench-redb")]
    redb: Vec<redb_log::RedbLogStore>,
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
    #[cfg(feature = "bench-redb")]
    let mut redb = Vec::new();
    for id in 1..=3u64 {
        let path = dir.path().join(format!("n{id}"));
        match kind {
            Kind::Segmentlog => {
                let node = Node::start(&router, id, &path, config).await;
                rafts.push(node.raft.clone());
                nodes.push(node);
            }
            #[cfg(feature = "bench-redb")]
            Kind::Redb => {
                let store = redb_log::RedbLogStore::open(&path.join("raft.redb"));
                let sm = support::kv::KvStateMachine::open(&path.join("sm")).unwrap();
                let raft = Raft::new(
                    id,
                    Arc::new(config.clone().validate().unwrap()),
                    router.network(id),
                    store.clone(),
                    sm,
                )
                .await
                .unwrap();
                router.add(id, raft.clone());
                rafts.push(raft);
                redb.push(store);
            }
            Kind::Memory => rafts.push(start_mem_node(&router, id, &path, config).await),
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

/// At most this many batch entries in flight at once (one per driver task): two, so one entry
/// fills while the other is being committed. More only splits the waiting writes over more
/// entries, and openraft 0.9's leader writes its entries one fdatasync after another anyway.
const MAX_BATCHES_IN_FLIGHT: usize = 2;

type Queued = (Request, tokio::sync::oneshot::Sender<()>);

/// What an application does on openraft 0.9 to commit more than one write per leader fsync: it
/// packs the writes queued while earlier entries were being committed into one raft entry
/// (`Request::Batch`). Driver tasks each take everything queued, submit it as one
/// `client_write`, and answer every writer in it once that entry is committed.
struct Batcher {
    queue: tokio::sync::mpsc::UnboundedSender<Queued>,
    drivers: Vec<tokio::task::JoinHandle<()>>,
}

impl Batcher {
    fn start(leader: &Raft<TypeConfig>, drivers: usize) -> Batcher {
        let (queue, rx) = tokio::sync::mpsc::unbounded_channel::<Queued>();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let drivers = (0..drivers)
            .map(|_| {
                let (leader, rx) = (leader.clone(), rx.clone());
                tokio::spawn(async move {
                    loop {
                        let mut batch = Vec::new();
                        {
                            let mut rx = rx.lock().await;
                            match rx.recv().await {
                                Some(first) => batch.push(first),
                                None => return,
                            }
                            while let Ok(more) = rx.try_recv() {
                                batch.push(more);
                            }
                        }
                        let (writes, acks): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                        leader
                            .client_write(Request::Batch(writes))
                            .await
                            .expect("batched client write");
                        for ack in acks {
                            let _ = ack.send(());
                        }
                    }
                })
            })
            .collect();
        Batcher { queue, drivers }
    }

    async fn stop(self) {
        drop(self.queue);
        for d in self.drivers {
            d.await.unwrap();
        }
    }
}

/// Our store's counters during one run: the leader's, and the two followers' summed.
#[derive(Default, Clone, Copy)]
struct Counted {
    leader: Stats,
    followers: Stats,
    committed: u64,
    /// redb: the leader's appends and their entries (one durable commit each).
    redb_appends: u64,
    redb_entries: u64,
}

/// Runs `clients` concurrent writers against the leader for `duration`; returns writes/s and, on
/// our store, the counters of the run. `batched`: the writers hand their writes to a [`Batcher`].
async fn measure(
    cluster: &Cluster,
    clients: usize,
    duration: Duration,
    batched: bool,
) -> (f64, Counted) {
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
    let batcher = batched.then(|| Batcher::start(&leader, clients.min(MAX_BATCHES_IN_FLIGHT)));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (leader, stop, done) = (leader.clone(), stop.clone(), done.clone());
            let queue = batcher.as_ref().map(|b| b.queue.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let request = Request::set(format!("c{c}-{}", i % 1000), "v".repeat(100));
                    match &queue {
                        None => {
                            leader.client_write(request).await.expect("client write");
                        }
                        Some(queue) => {
                            let (tx, rx) = tokio::sync::oneshot::channel();
                            queue.send((request, tx)).expect("batcher runs");
                            rx.await.expect("batched client write");
                        }
                    }
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
    if let Some(b) = batcher {
        b.stop().await;
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    let mut counted = Counted {
        committed: done.load(Ordering::Relaxed),
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

fn counters_line(c: &Counted) -> String {
    report::counters_line(&c.leader, &c.followers, c.committed)
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
        // Long enough that the loaded 2-core machine does not trigger elections mid-run (see
        // cluster_010.rs: a store that commits on the async task stalls heartbeats).
        heartbeat_interval: 100,
        election_timeout_min: 5000,
        election_timeout_max: 10000,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(snapshot_every),
        ..fast_config()
    };
    println!(
        "3-node in-process openraft cluster, client writes committed per second, a snapshot \
         every {snapshot_every} entries: median (min–max) of {runs} runs of {} s",
        duration.as_secs()
    );
    // Each store with one raft entry per client write, then the durable ones with the writes
    // batched.
    let cells: Vec<(Kind, bool)> = Kind::all()
        .into_iter()
        .map(|k| (k, false))
        .chain(
            Kind::all()
                .into_iter()
                .filter(|&k| k != Kind::Memory)
                .map(|k| (k, true)),
        )
        .collect();
    print!("{:>7}", "clients");
    for (kind, batched) in &cells {
        let name = if *batched {
            format!("{} batched", kind.name())
        } else {
            kind.name().to_string()
        };
        print!("  {name:>22}");
    }
    println!();
    for clients in [1usize, 16, 64] {
        let mut counted = Counted::default();
        let mut counted_batched = Counted::default();
        print!("{clients:>7}");
        for &(kind, batched) in &cells {
            let mut rates = Vec::new();
            for _ in 0..runs {
                let cluster = start(kind, &config).await;
                let (rate, c) = measure(&cluster, clients, duration, batched).await;
                stop(cluster).await;
                rates.push(rate);
                if batched && kind == Kind::Segmentlog {
                    let b = &mut counted_batched;
                    b.leader = add(&b.leader, &c.leader);
                    b.followers = add(&b.followers, &c.followers);
                    b.committed += c.committed;
                } else if kind == Kind::Segmentlog {
                    counted.leader = add(&counted.leader, &c.leader);
                    counted.followers = add(&counted.followers, &c.followers);
                    counted.committed += c.committed;
                }
                if !batched {
                    counted.redb_appends += c.redb_appends;
                    counted.redb_entries += c.redb_entries;
                }
            }
            print!("  {:>22}", summary(&mut rates));
        }
        println!();
        println!(
            "         segmentlog, leader | followers: {}",
            counters_line(&counted)
        );
        println!(
            "         segmentlog batched: client writes per raft entry {:.1}; {}",
            per(counted_batched.committed, counted_batched.leader.entries),
            counters_line(&counted_batched)
        );
        if counted.redb_appends > 0 {
            println!(
                "         redb, leader: entries/append {:.2} (one durable commit per append)",
                per(counted.redb_entries, counted.redb_appends)
            );
        }
    }
}
