//! The practical ceiling: a plain `BufWriter` appending u64-length-prefixed records to one
//! file, an mmap scan of that file, mmap random reads through a table of positions, and a raw
//! `write` + `fdatasync` loop, alone and as a textbook group commit of several threads.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use memmap2::Mmap;

/// Appends `n` records of `value` through a default `BufWriter` (flush included); returns the
/// elapsed time.
pub fn append(path: &Path, value: &[u8], n: u64) -> Duration {
    write(path, value, n, false)
}

/// [`append`], then the file and its directory synced, as a clean close of a log syncs its
/// segment and directory: the ceiling for appends made durable once at the end.
pub fn append_durable(path: &Path, value: &[u8], n: u64) -> Duration {
    write(path, value, n, true)
}

fn write(path: &Path, value: &[u8], n: u64, durable: bool) -> Duration {
    let file = File::create(path).expect("create ceiling file");
    let mut w = BufWriter::new(file);
    let len = (value.len() as u64).to_le_bytes();
    let t = Instant::now();
    for _ in 0..n {
        w.write_all(&len).expect("write");
        w.write_all(value).expect("write");
    }
    let file = w.into_inner().expect("flush");
    if durable {
        file.sync_data().expect("fdatasync");
        let dir = path.parent().expect("a file in a directory");
        File::open(dir)
            .and_then(|d| d.sync_all())
            .expect("sync the directory");
    }
    t.elapsed()
}

/// A written ceiling file, mapped, with the position of every record (the "cached offsets").
#[derive(Debug)]
pub struct Mapped {
    map: Mmap,
    pub positions: Vec<u64>,
}

impl Mapped {
    /// Writes `n` records of `value` to `path` and maps the file.
    pub fn create(path: &Path, value: &[u8], n: u64) -> Mapped {
        append(path, value, n);
        let file = File::open(path).expect("open ceiling file");
        // SAFETY: the file is private to this benchmark and nobody changes it while mapped.
        let map = unsafe { Mmap::map(&file) }.expect("map ceiling file");
        let mut positions = Vec::with_capacity(n as usize);
        let mut pos = 0u64;
        while (pos as usize) < map.len() {
            positions.push(pos);
            pos += 8 + len_at(&map, pos as usize);
        }
        Mapped { map, positions }
    }

    /// Walks every record of the map; returns (records, value bytes).
    pub fn scan(&self) -> (u64, u64) {
        let m = &self.map[..];
        let (mut pos, mut n, mut bytes) = (0usize, 0u64, 0u64);
        while pos < m.len() {
            let len = len_at(m, pos) as usize;
            let value = black_box(&m[pos + 8..pos + 8 + len]);
            bytes += value.len() as u64;
            n += 1;
            pos += 8 + len;
        }
        (n, bytes)
    }

    /// The same walk, computing each value's CRC32C as a log that checks its records must:
    /// the ceiling of a verifying scan (information; the target is against the plain scan).
    pub fn scan_checksummed(&self) -> (u64, u32) {
        let m = &self.map[..];
        let (mut pos, mut n, mut acc) = (0usize, 0u64, 0u32);
        while pos < m.len() {
            let len = len_at(m, pos) as usize;
            acc ^= crc32c::crc32c(black_box(&m[pos + 8..pos + 8 + len]));
            n += 1;
            pos += 8 + len;
        }
        (n, acc)
    }

    /// Reads the record with the given index (through `positions`); returns its length.
    #[inline]
    pub fn read(&self, i: u64) -> usize {
        let pos = self.positions[i as usize] as usize;
        let len = len_at(&self.map, pos) as usize;
        black_box(&self.map[pos + 8..pos + 8 + len]).len()
    }
}

fn len_at(m: &[u8], pos: usize) -> u64 {
    u64::from_le_bytes(m[pos..pos + 8].try_into().expect("8 bytes"))
}

/// `write` + `fdatasync` per record of `value` to a file that grows, until `stop`; returns
/// the count.
pub fn fdatasync_loop(path: &Path, value: &[u8], stop: &AtomicBool) -> u64 {
    let mut file = File::create(path).expect("create raw file");
    let len = (value.len() as u64).to_le_bytes();
    let mut rec = len.to_vec();
    rec.extend_from_slice(value);
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        file.write_all(&rec).expect("write");
        file.sync_data().expect("fdatasync");
        n += 1;
    }
    n
}

/// The textbook group commit on the same kind of file, from `threads` threads until `stop`:
/// each thread writes its record under one lock, then waits until an `fdatasync` that began
/// after its write has finished; a waiter that finds no sync running runs one for everyone
/// (leader and followers on one mutex and one condition variable, as a database's WAL writer
/// does). What group commit on this disk and these cores gives without a log around it;
/// returns the records made durable.
pub fn group_fdatasync_loop(path: &Path, value: &[u8], threads: usize, stop: &AtomicBool) -> u64 {
    struct Synced {
        /// Bytes known durable.
        upto: u64,
        /// A thread is inside fdatasync.
        running: bool,
    }
    let file = File::create(path).expect("create raw file");
    let len = (value.len() as u64).to_le_bytes();
    let mut rec = len.to_vec();
    rec.extend_from_slice(value);
    // The file and the bytes written so far (a write and its count move together).
    let writer = Mutex::new((&file, 0u64));
    let synced = Mutex::new(Synced {
        upto: 0,
        running: false,
    });
    let done = Condvar::new();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let mine = {
                            let mut w = writer.lock().expect("writer lock");
                            w.0.write_all(&rec).expect("write");
                            w.1 += rec.len() as u64;
                            w.1
                        };
                        let mut st = synced.lock().expect("sync lock");
                        while st.upto < mine {
                            if st.running {
                                st = done.wait(st).expect("sync lock");
                                continue;
                            }
                            st.running = true;
                            drop(st);
                            let mark = writer.lock().expect("writer lock").1;
                            file.sync_data().expect("fdatasync");
                            st = synced.lock().expect("sync lock");
                            st.running = false;
                            st.upto = st.upto.max(mark);
                            done.notify_all();
                        }
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("group commit worker"))
            .sum()
    })
}
