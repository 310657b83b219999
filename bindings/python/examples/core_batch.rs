//! Core's own speed for `bench/bench.py`: appends N values of SIZE bytes through
//! `Log::append_batch` in batches of BATCH (BATCH = 1: one `Log::append` call per value),
//! straight from Rust, and prints the seconds it took.
//!
//! Usage: core_batch DIR N SIZE BATCH

use std::time::Instant;

use segmentlog::{Log, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, n, size, batch] = args.as_slice() else {
        return Err("usage: core_batch DIR N SIZE BATCH".into());
    };
    let (n, size, batch): (usize, usize, usize) = (n.parse()?, size.parse()?, batch.parse()?);
    // The same values bench.py appends: a pool of 1024 distinct values, cycled.
    let pool: Vec<Vec<u8>> = (0..1024u32)
        .map(|i| (0..size).map(|j| (i as usize * 31 + j) as u8).collect())
        .collect();
    let values: Vec<&[u8]> = (0..n).map(|i| pool[i % pool.len()].as_slice()).collect();

    let log = Log::open(dir, Options::default())?;
    let start = Instant::now();
    if batch == 1 {
        for v in &values {
            log.append(v)?;
        }
    } else {
        for chunk in values.chunks(batch) {
            log.append_batch(chunk)?;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    log.close()?;
    println!("{secs}");
    Ok(())
}
