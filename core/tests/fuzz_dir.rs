//! Fuzzing the open path with arbitrary directory contents (the stand-in for a `cargo fuzz`
//! target: cargo-fuzz needs a nightly toolchain and CI has stable only; see
//! docs/RELIABILITY.md). A proptest generator builds a log directory out of segment files with
//! real and arbitrary names, holding real log bytes with random edits, random cuts, valid
//! headers over random tails, or plain random bytes, plus a CLEAN marker or not. Each one is
//! verified, opened (default, strict, read-only), iterated and read: no panic, every error
//! typed, and every record returned is byte-exact what was appended at its offset.
//!
//! `FUZZ_SECONDS` runs batches of cases until that many seconds have passed (`make fuzz`);
//! otherwise one batch of `PROPTEST_CASES` (default 256) cases.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;

use common::small;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use segmentlog::format::{FileKind, file_name};
use segmentlog::{Error, Log, Options, RecoveryMode};

fn value(offset: u64) -> Vec<u8> {
    let len = (offset.wrapping_mul(2654435761) % 70) as usize;
    let mut v = format!("f{offset}:").into_bytes();
    v.extend((0..len).map(|i| (offset as usize * 17 + i) as u8));
    v
}

/// The files of a real three-segment log: (base, store bytes, index bytes) per segment.
type Files = Vec<(u64, Vec<u8>, Vec<u8>)>;

fn reference() -> &'static Files {
    static R: OnceLock<Files> = OnceLock::new();
    R.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), small()).unwrap();
        let mut next = 0;
        while log.segments().unwrap().len() < 3 {
            if next % 4 == 1 {
                let vals: Vec<Vec<u8>> = (next..next + 3).map(value).collect();
                log.append_batch(&vals).unwrap();
                next += 3;
            } else {
                log.append(&value(next)).unwrap();
                next += 1;
            }
        }
        let segs = log.segments().unwrap();
        log.close().unwrap();
        segs.iter()
            .map(|s| {
                (
                    s.base_offset,
                    std::fs::read(&s.store_path).unwrap(),
                    std::fs::read(&s.index_path).unwrap(),
                )
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Content {
    /// A real file of the reference log (segment i, store or index), with edits and a cut.
    Real {
        seg: usize,
        index: bool,
        edits: Vec<(usize, u8)>,
        cut: Option<usize>,
    },
    /// A real file's first `keep` bytes (its header at least), then random bytes.
    RealHead {
        seg: usize,
        index: bool,
        keep: usize,
        tail: Vec<u8>,
    },
    Random(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Entry {
    /// A reference segment's base, or any base.
    base: u64,
    kind_index: bool,
    content: Content,
}

fn entry() -> impl Strategy<Value = Entry> {
    let base = prop_oneof![
        4 => (0usize..3).prop_map(|i| reference()[i].0),
        1 => any::<u64>(),
        1 => 0u64..200,
    ];
    let content = prop_oneof![
        6 => (
            0usize..3,
            any::<bool>(),
            prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
            prop::option::of(any::<usize>())
        )
            .prop_map(|(seg, index, edits, cut)| Content::Real {
                seg,
                index,
                edits,
                cut
            }),
        2 => (0usize..3, any::<bool>(), 0usize..80, prop::collection::vec(any::<u8>(), 0..200))
            .prop_map(|(seg, index, keep, tail)| Content::RealHead {
                seg,
                index,
                keep,
                tail
            }),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Content::Random),
    ];
    (base, any::<bool>(), content).prop_map(|(base, kind_index, content)| Entry {
        base,
        kind_index,
        content,
    })
}

fn bytes_of(c: &Content) -> Vec<u8> {
    let real = |seg: usize, index: bool| {
        let (_, s, i) = &reference()[seg];
        if index { i.clone() } else { s.clone() }
    };
    match c {
        Content::Real {
            seg,
            index,
            edits,
            cut,
        } => {
            let mut b = real(*seg, *index);
            for &(at, x) in edits {
                if !b.is_empty() {
                    let n = b.len();
                    b[at % n] ^= x;
                }
            }
            if let Some(c) = cut {
                b.truncate(c % (b.len() + 1));
            }
            b
        }
        Content::RealHead {
            seg,
            index,
            keep,
            tail,
        } => {
            let mut b = real(*seg, *index);
            b.truncate(*keep);
            b.extend_from_slice(tail);
            b
        }
        Content::Random(b) => b.clone(),
    }
}

fn write_dir(dir: &Path, entries: &[Entry], clean: bool) {
    for e in entries {
        let kind = if e.kind_index {
            FileKind::Index
        } else {
            FileKind::Store
        };
        std::fs::write(dir.join(file_name(e.base, kind)), bytes_of(&e.content)).unwrap();
    }
    if clean {
        std::fs::write(dir.join("CLEAN"), b"").unwrap();
    }
}

fn expect_typed(e: &Error, what: &str) -> Result<(), TestCaseError> {
    // Any variant is a typed error; what must not happen is a panic. Io is possible only for
    // a file whose name is not a valid segment (e.g. base beyond MAX_OFFSET) — still typed.
    prop_assert!(!e.to_string().is_empty(), "{what}: empty error message");
    Ok(())
}

fn exercise(dir: &Path, opts: Options) -> Result<(), TestCaseError> {
    let log = match Log::open(dir, opts.clone()) {
        Ok(l) => l,
        Err(e) => return expect_typed(&e, "open"),
    };
    let (lowest, next) = match (log.lowest_offset(), log.next_offset()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return expect_typed(&e, "bounds"),
    };
    prop_assert!(lowest <= next);
    for r in log.iter(lowest).take(10_000) {
        match r {
            Ok(r) => prop_assert_eq!(&r.value, &value(r.offset), "record {}", r.offset),
            Err(e) => {
                expect_typed(&e, "iter")?;
                break;
            }
        }
    }
    for o in lowest..next.min(lowest + 2_000) {
        match log.read(o) {
            Ok(r) => prop_assert_eq!(&r.value, &value(o), "read({})", o),
            Err(e) => expect_typed(&e, "read")?,
        }
    }
    if !opts.read_only
        && let Err(e) = log.append(b"fuzz")
    {
        expect_typed(&e, "append")?;
    }
    let _ = log.segments();
    let _ = log.close();
    Ok(())
}

fn run_batch(cases: u32) -> u32 {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (prop::collection::vec(entry(), 0..6), any::<bool>());
    let result = runner.run(&strategy, |(entries, clean)| {
        for mode in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("clfuzz")
                .tempdir_in("/dev/shm")
                .or_else(|_| tempfile::tempdir())
                .unwrap();
            write_dir(dir.path(), &entries, clean);
            let _ = segmentlog::verify(dir.path(), &mut |_, _| {});
            let opts = match mode {
                0 => small(),
                1 => Options {
                    recovery: RecoveryMode::Strict,
                    ..small()
                },
                _ => Options {
                    read_only: true,
                    ..small()
                },
            };
            exercise(dir.path(), opts)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    cases
}

#[test]
fn arbitrary_directory_contents_never_panic_nor_yield_foreign_bytes() {
    let per_batch = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let start = Instant::now();
    let mut total = run_batch(per_batch);
    while start.elapsed() < Duration::from_secs(seconds) {
        total += run_batch(per_batch);
    }
    eprintln!(
        "fuzz: {total} generated directories x 3 modes in {:.0?}, 0 panics, 0 foreign records",
        start.elapsed()
    );
}
