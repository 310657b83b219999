//! Samples, statistics, ratios against targets, the console table and the JSON file.
//!
//! Every workload runs in rounds: one sample of each contender per round, interleaved, so a
//! noisy neighbour hits all of them alike. A ratio is formed per round (ours / baseline of the
//! same round); its median and min–max are what the targets are judged by.
//!
//! The JSON schema (shared by every bench of the project) is described in `bench/README.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Operations per second.
pub const OPS: &str = "ops/s";
/// Milliseconds.
pub const MS: &str = "ms";
/// Mebibytes.
pub const MIB: &str = "MiB";
/// A ratio (ours / baseline).
pub const X: &str = "x";
/// Appends that shared one fdatasync (group commit).
pub const PER_SYNC: &str = "appends/sync";

/// A target a value must meet.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn holds(self, v: f64) -> bool {
        match self {
            Target::AtLeast(t) => v >= t,
            Target::AtMost(t) => v <= t,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtLeast(t) => format!(">= {t}"),
            Target::AtMost(t) => format!("<= {t}"),
        }
    }
}

#[derive(Debug)]
struct Entry {
    name: String,
    unit: &'static str,
    samples: Vec<f64>,
    /// For a ratio: the measurement it divides, and the one it is divided by.
    of: Option<String>,
    baseline: Option<String>,
    target: Option<Target>,
}

/// Median, min and max of samples.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

pub fn stats(samples: &[f64]) -> Stats {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Stats {
        median,
        min: s.first().copied().unwrap_or(f64::NAN),
        max: s.last().copied().unwrap_or(f64::NAN),
    }
}

/// Operations per second of `n` operations in `elapsed`.
pub fn rate(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

/// All results of one run.
#[derive(Debug)]
pub struct Bench {
    quick: bool,
    entries: Vec<Entry>,
    shown: usize,
}

impl Bench {
    pub fn new(quick: bool) -> Bench {
        Bench {
            quick,
            entries: Vec::new(),
            shown: 0,
        }
    }

    fn entry(&mut self, name: &str, unit: &'static str) -> &mut Entry {
        let i = match self.entries.iter().position(|e| e.name == name) {
            Some(i) => i,
            None => {
                self.entries.push(Entry {
                    name: name.to_owned(),
                    unit,
                    samples: Vec::new(),
                    of: None,
                    baseline: None,
                    target: None,
                });
                self.entries.len() - 1
            }
        };
        &mut self.entries[i]
    }

    /// Adds one sample (one round) of a measurement.
    pub fn sample(&mut self, name: &str, unit: &'static str, value: f64) {
        self.entry(name, unit).samples.push(value);
    }

    /// Sets the target of a measurement (judged on its median).
    pub fn target(&mut self, name: &str, target: Target) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.name == name) {
            e.target = Some(target);
        }
    }

    fn samples(&self, name: &str) -> Vec<f64> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.samples.clone())
            .unwrap_or_default()
    }

    /// Adds the ratio `of / baseline`, round by round, with an optional target.
    pub fn ratio(&mut self, name: &str, of: &str, baseline: &str, target: Option<Target>) {
        let (a, b) = (self.samples(of), self.samples(baseline));
        let samples = a.iter().zip(&b).map(|(x, y)| x / y).collect();
        self.entries.push(Entry {
            name: name.to_owned(),
            unit: X,
            samples,
            of: Some(of.to_owned()),
            baseline: Some(baseline.to_owned()),
            target,
        });
    }

    /// Prints the entries added since the last call.
    pub fn show(&mut self) {
        for e in &self.entries[self.shown..] {
            println!("  {}", line(e));
        }
        self.shown = self.entries.len();
    }

    /// Prints every entry that has a target, with PASS/MISS; returns how many missed.
    pub fn verdicts(&self) -> usize {
        let mut missed = 0;
        println!(
            "\n== targets (issue 7), judged on medians of {} ==",
            self.mode()
        );
        for e in self.entries.iter().filter(|e| e.target.is_some()) {
            let t = e.target.expect("filtered");
            let pass = t.holds(stats(&e.samples).median);
            if !pass {
                missed += 1;
            }
            let verdict = if pass { "PASS" } else { "MISS" };
            println!(
                "  {verdict}  {}   (target {} {})",
                line(e),
                t.text(),
                e.unit
            );
        }
        missed
    }

    fn mode(&self) -> &'static str {
        if self.quick {
            "a quick run (BENCH_QUICK=1)"
        } else {
            "a full run"
        }
    }

    /// Writes the results as JSON (schema in bench/README.md).
    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        let mut s = String::new();
        let when = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let _ = writeln!(s, "{{");
        let _ = writeln!(s, "  \"suite\": \"core\",");
        let _ = writeln!(s, "  \"quick\": {},", self.quick);
        let _ = writeln!(s, "  \"unix_time\": {when},");
        let _ = writeln!(s, "  \"results\": [");
        for (i, e) in self.entries.iter().enumerate() {
            let st = stats(&e.samples);
            let mut o = format!(
                "    {{\"name\": {}, \"unit\": {}, \"median\": {}, \"min\": {}, \"max\": {}, \"runs\": {}",
                json_str(&e.name),
                json_str(e.unit),
                json_num(st.median),
                json_num(st.min),
                json_num(st.max),
                e.samples.len()
            );
            if let Some(of) = &e.of {
                let _ = write!(o, ", \"of\": {}", json_str(of));
            }
            if let Some(b) = &e.baseline {
                let _ = write!(o, ", \"baseline\": {}", json_str(b));
            }
            if let Some(t) = e.target {
                let _ = write!(
                    o,
                    ", \"target\": {}, \"pass\": {}",
                    json_str(&t.text()),
                    t.holds(st.median)
                );
            }
            o.push('}');
            if i + 1 < self.entries.len() {
                o.push(',');
            }
            let _ = writeln!(s, "{o}");
        }
        let _ = writeln!(s, "  ]");
        let _ = writeln!(s, "}}");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, s)
    }
}

fn line(e: &Entry) -> String {
    let st = stats(&e.samples);
    format!(
        "{:<58} {} [{} .. {}] ({} runs)",
        e.name,
        human(st.median, e.unit),
        human(st.min, e.unit),
        human(st.max, e.unit),
        e.samples.len()
    )
}

/// A value with its unit, readable: "7.21 M ops/s", "12.3 ms", "0.81x".
pub fn human(v: f64, unit: &str) -> String {
    match unit {
        OPS if v >= 1e6 => format!("{:.2} M ops/s", v / 1e6),
        OPS if v >= 1e3 => format!("{:.2} k ops/s", v / 1e3),
        X => format!("{v:.2}x"),
        _ => format!("{v:.2} {unit}"),
    }
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}
