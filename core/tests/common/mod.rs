#![allow(dead_code)]
use segmentlog::{Log, Options};
use std::path::Path;

/// The options every suite starts from: the defaults, with the codec named by
/// `SEGMENTLOG_TEST_COMPRESSION` (`none`, `lz4`, `zstd`; unset: none), so that the crash,
/// power-loss, corruption and fuzz suites run with compression on too
/// (`make test-compressed`), and the write path named by `SEGMENTLOG_TEST_WRITE_PATH`
/// (`auto`, `map`, `write`; unset: auto, which writes with `pwrite` under `sync = always` and
/// through the map otherwise; `make test-write-paths` runs the other two pairings).
pub fn base() -> Options {
    let write_path = match std::env::var("SEGMENTLOG_TEST_WRITE_PATH") {
        Ok(name) if !name.is_empty() => segmentlog::WritePath::from_name(&name)
            .unwrap_or_else(|| panic!("SEGMENTLOG_TEST_WRITE_PATH={name:?} names no write path")),
        _ => segmentlog::WritePath::Auto,
    };
    let compression = match std::env::var("SEGMENTLOG_TEST_COMPRESSION") {
        Ok(name) if !name.is_empty() => segmentlog::Compression::from_name(&name)
            .unwrap_or_else(|| panic!("SEGMENTLOG_TEST_COMPRESSION={name:?} names no codec")),
        _ => segmentlog::Compression::None,
    };
    Options {
        compression,
        write_path,
        ..Options::default()
    }
}

/// Small segments. Without compression at seal time: the tests that use these options find
/// records by the byte positions they were appended at (a codec still makes every batch a
/// frame); the crash suites on `base()` run it in the background.
pub fn small() -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        compress_sealed: false,
        ..base()
    }
}

pub fn open(dir: &Path, o: &Options) -> Log {
    Log::open(dir, o.clone()).expect("open")
}

/// A read-only handle on `dir` with options `o` otherwise.
pub fn open_read_only(dir: &Path, o: &Options) -> Log {
    open(
        dir,
        &Options {
            read_only: true,
            ..o.clone()
        },
    )
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

/// xorshift64*: reproducible randomness from a seed (the corruption and power-loss tests).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    pub fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// The message of a caught panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
