//! Compression per batch (issue 20): `none`, `lz4` and `zstd` (level 3) side by side on
//! (a) 100-byte random values and (b) ~300-byte JSON events with repeated keys, appended in
//! batches of `BATCH`: disk bytes per record, append, iterate and random-read throughput.
//! A random read of a value in a frame decompresses the whole frame: its cost is the
//! random-read row.

use std::time::Instant;

use segmentlog::{Compression, Log, Options};

use crate::harness::{Bench, OPS, Target, rate};
use crate::{Config, scratch, settle};

/// Values per `append_batch` (one frame each).
const BATCH: usize = 100;

const CODECS: [Compression; 3] = [Compression::None, Compression::Lz4, Compression::Zstd];

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// 100 bytes of noise.
fn random_value(rng: &mut Rng) -> Vec<u8> {
    (0..100).map(|_| rng.next() as u8).collect()
}

/// A ~300-byte JSON event: the same keys every time, values from small vocabularies, ids and
/// numbers random.
fn json_event(rng: &mut Rng, i: u64) -> Vec<u8> {
    const EVENTS: [&str; 6] = [
        "page_view",
        "click",
        "add_to_cart",
        "checkout",
        "search",
        "login",
    ];
    const PATHS: [&str; 6] = [
        "/",
        "/products",
        "/products/detail",
        "/cart",
        "/search",
        "/account/settings",
    ];
    const AGENTS: [&str; 3] = [
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0",
    ];
    const COUNTRIES: [&str; 8] = ["DE", "FR", "US", "GB", "JP", "BR", "IN", "NL"];
    format!(
        r#"{{"ts":{},"event":"{}","user_id":"u-{:06}","session":"{:016x}","path":"{}","item":{},"referrer":"https://shop.example.com{}","user_agent":"{}","country":"{}","latency_ms":{},"status":{}}}"#,
        1_760_000_000_000u64 + i * 37 + rng.next() % 37,
        rng.pick(&EVENTS),
        rng.next() % 200_000,
        rng.next(),
        rng.pick(&PATHS),
        rng.next() % 5000,
        rng.pick(&PATHS),
        rng.pick(&AGENTS),
        rng.pick(&COUNTRIES),
        rng.next() % 900 + 5,
        if rng.next().is_multiple_of(20) {
            500
        } else {
            200
        },
    )
    .into_bytes()
}

fn options(c: Compression) -> Options {
    Options {
        compression: c,
        ..Options::default()
    }
}

struct Measured {
    append: f64,
    bytes_per_record: f64,
    iterate: f64,
    read: f64,
}

fn measure(c: Compression, values: &[Vec<u8>], reads: u64) -> Measured {
    let dir = scratch();
    let log = Log::open(dir.path(), options(c)).expect("open");
    let t = Instant::now();
    for chunk in values.chunks(BATCH) {
        log.append_batch(chunk).expect("append_batch");
    }
    let append = rate(values.len() as u64, t.elapsed());
    log.close().expect("close");
    // Closed: every store is trimmed to its data.
    let bytes: u64 = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "store"))
        .map(|p| std::fs::metadata(p).expect("metadata").len())
        .sum();
    let log = Log::open(dir.path(), options(c)).expect("reopen");
    let t = Instant::now();
    let mut it = log.iter(0);
    let (mut n, mut sum) = (0u64, 0usize);
    while let Some(r) = it.next_with(|r| r.value.len()) {
        sum += r.expect("iterate");
        n += 1;
    }
    let iterate = rate(n, t.elapsed());
    assert_eq!(n, values.len() as u64);
    std::hint::black_box(sum);
    let mut rng = Rng(0x5EED);
    let count = values.len() as u64;
    let t = Instant::now();
    for _ in 0..reads {
        let o = rng.next() % count;
        sum += log.read_with(o, |r| r.value.len()).expect("read");
    }
    let read = rate(reads, t.elapsed());
    std::hint::black_box(sum);
    log.close().expect("close");
    Measured {
        append,
        bytes_per_record: bytes as f64 / count as f64,
        iterate,
        read,
    }
}

/// The codec alone, no log around it: the same batches as a frame's payload (the values'
/// lengths, then the values), compressed as ours are (lz4's block format, zstd level 3), then
/// decoded one after another into one buffer, walking the lengths. Records per second: the
/// most any iteration that decodes every frame can reach on this machine.
fn decode_alone(c: Compression, values: &[Vec<u8>]) -> f64 {
    let frames: Vec<(Vec<u8>, usize, usize)> = values
        .chunks(BATCH)
        .map(|chunk| {
            let mut raw = Vec::new();
            for v in chunk {
                raw.extend_from_slice(&(v.len() as u32).to_le_bytes());
            }
            for v in chunk {
                raw.extend_from_slice(v);
            }
            let packed = match c {
                Compression::Lz4 => lz4::block::compress(&raw, None, false).expect("lz4"),
                _ => zstd::bulk::compress(&raw, 3).expect("zstd"),
            };
            (packed, raw.len(), chunk.len())
        })
        .collect();
    let mut out = vec![0u8; frames.iter().map(|f| f.1).max().unwrap_or(0)];
    let mut zstd = zstd::bulk::Decompressor::new().expect("zstd context");
    let (mut n, mut sum) = (0u64, 0usize);
    let t = Instant::now();
    for (packed, len, count) in &frames {
        let got = match c {
            Compression::Lz4 => {
                lz4::block::decompress_to_buffer(packed, Some(*len as i32), &mut out)
            }
            _ => zstd.decompress_to_buffer(packed, &mut out[..]),
        }
        .expect("decode");
        assert_eq!(got, *len);
        for i in 0..*count {
            sum += u32::from_le_bytes(out[4 * i..4 * i + 4].try_into().expect("4 bytes")) as usize;
        }
        n += *count as u64;
    }
    let r = rate(n, t.elapsed());
    std::hint::black_box(sum);
    r
}

pub fn run(cfg: &Config, b: &mut Bench) {
    let records = (cfg.records / 2) as usize;
    let reads = cfg.reads / 3;
    let mut rng = Rng(0xC0DEC);
    let random: Vec<Vec<u8>> = (0..records).map(|_| random_value(&mut rng)).collect();
    let json: Vec<Vec<u8>> = (0..records as u64)
        .map(|i| json_event(&mut rng, i))
        .collect();
    let mean = json.iter().map(Vec::len).sum::<usize>() / json.len();
    println!(
        "== compression per batch: {records} records in batches of {BATCH}, {reads} random \
         reads; (a) 100 B random values, (b) JSON events of {mean} B on average"
    );
    let name = |what: &str, data: &str, c: Compression| format!("{what} {data}: {}", c.name());
    for _ in 0..cfg.runs {
        for (data, values) in [("(a) random 100 B", &random), ("(b) json", &json)] {
            for c in CODECS {
                settle();
                let m = measure(c, values, reads);
                b.sample(&name("append", data, c), OPS, m.append);
                b.sample(&name("disk bytes/record", data, c), "B", m.bytes_per_record);
                b.sample(&name("iterate", data, c), OPS, m.iterate);
                b.sample(&name("random read", data, c), OPS, m.read);
            }
        }
        for c in [Compression::Lz4, Compression::Zstd] {
            settle();
            b.sample(
                &name("decode alone", "(b) json", c),
                OPS,
                decode_alone(c, &json),
            );
        }
    }
    for data in ["(a) random 100 B", "(b) json"] {
        let json = data == "(b) json";
        for c in [Compression::Lz4, Compression::Zstd] {
            b.ratio(
                &format!("disk: none / {} {data} (times smaller)", c.name()),
                &name("disk bytes/record", data, Compression::None),
                &name("disk bytes/record", data, c),
                (json && c == Compression::Zstd).then_some(Target::AtLeast(4.0)),
            );
            b.ratio(
                &format!("append: {} / none {data}", c.name()),
                &name("append", data, c),
                &name("append", data, Compression::None),
                (json && c == Compression::Lz4).then_some(Target::AtLeast(0.7)),
            );
            b.ratio(
                &format!("iterate: {} / none {data}", c.name()),
                &name("iterate", data, c),
                &name("iterate", data, Compression::None),
                json.then_some(Target::AtLeast(0.7)),
            );
            if json {
                b.ratio(
                    &format!("ceiling: {} decode alone / none iterate {data}", c.name()),
                    &name("decode alone", "(b) json", c),
                    &name("iterate", data, Compression::None),
                    None,
                );
            }
            b.ratio(
                &format!("random read: {} / none {data}", c.name()),
                &name("random read", data, c),
                &name("random read", data, Compression::None),
                None,
            );
        }
    }
    b.show();
}
