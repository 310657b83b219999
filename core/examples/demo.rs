//! The Rust part of `make demo`: appends to the shared demo log, reopens it, reads, iterates
//! over everything the other languages wrote, and tails for a moment.
//!
//! `cargo run --release -p segmentlog --example demo -- DIR`

use std::time::Duration;

use segmentlog::{Log, Options, SyncPolicy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/demo-log".into());
    let options = Options {
        sync: SyncPolicy::Always,
        ..Options::default()
    };

    let log = Log::open(&dir, options.clone())?;
    let range = log.append_batch(&[
        "event from Rust #1",
        "event from Rust #2",
        "event from Rust #3",
    ])?;
    println!(
        "rust: appended offsets {}..{} to {dir}",
        range.start, range.end
    );
    log.close()?;

    let log = Log::open(&dir, options)?;
    println!(
        "rust: reopened (clean shutdown: {}), log holds offsets {}..{}",
        log.opened_clean(),
        log.lowest_offset()?,
        log.next_offset()?
    );
    let rec = log.read(range.start)?;
    println!(
        "rust: read offset {} -> {:?}",
        rec.offset,
        String::from_utf8_lossy(&rec.value)
    );

    let mut count = 0;
    for rec in log.iter(log.lowest_offset()?) {
        let rec = rec?;
        println!(
            "rust: iter {:>4} @{} {}",
            rec.offset,
            rec.timestamp,
            String::from_utf8_lossy(&rec.value)
        );
        count += 1;
    }
    println!("rust: iterated {count} records");

    // Tail: a writer thread appends while this thread waits for its records.
    let mut tail = log.iter(log.next_offset()?);
    let writer = {
        let log = log.clone();
        std::thread::spawn(move || -> segmentlog::Result<()> {
            for i in 1..=3 {
                std::thread::sleep(Duration::from_millis(20));
                log.append(format!("tailed event #{i}").as_bytes())?;
            }
            Ok(())
        })
    };
    for _ in 0..3 {
        match tail.next_timeout(Some(Duration::from_secs(5)))? {
            Some(rec) => println!(
                "rust: tail saw {} {}",
                rec.offset,
                String::from_utf8_lossy(&rec.value)
            ),
            None => return Err("tail timed out".into()),
        }
    }
    writer.join().map_err(|_| "writer thread panicked")??;
    log.close()?;
    Ok(())
}
