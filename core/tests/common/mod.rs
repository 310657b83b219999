#![allow(dead_code)]
use commitlog::{Log, Options};
use std::path::Path;

pub fn small() -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        ..Options::default()
    }
}

pub fn open(dir: &Path, o: &Options) -> Log {
    Log::open(dir, o.clone()).expect("open")
}

pub fn value(i: u64) -> Vec<u8> {
    format!("value-{i}-{}", "x".repeat((i % 37) as usize)).into_bytes()
}

pub fn store_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "store"))
        .collect();
    v.sort();
    v
}
