//! zowens/commitlog 0.2 (crates.io `commitlog`, default options): single appends
//! (`append_msg`), `MessageBuf` batches, sequential and random reads.
//!
//! It runs in a helper process, `bench/zowens` (a crate outside the workspace, so its
//! dependency tree stays its own). The helper is built on first use and driven over a pipe, one command per line;
//! it times each workload itself, so the pipe costs nothing measured.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The running helper.
#[derive(Debug)]
pub struct Peer {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Peer {
    /// Builds (if needed) and starts the helper.
    pub fn start() -> Peer {
        let root = root();
        let target = root.join("target/zowens-bench");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--release",
                "--quiet",
                "--locked",
                "--manifest-path",
            ])
            .arg(root.join("bench/zowens/Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("run cargo to build bench/zowens");
        assert!(status.success(), "building bench/zowens failed");
        let mut child = Command::new(target.join("release/zowens-bench"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start zowens-bench");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        Peer {
            child,
            input,
            output,
        }
    }

    fn ask(&mut self, command: &str) -> Vec<u64> {
        writeln!(self.input, "{command}").expect("zowens-bench died");
        self.input.flush().expect("zowens-bench died");
        let mut line = String::new();
        self.output
            .read_line(&mut line)
            .expect("zowens-bench answer");
        assert!(!line.is_empty(), "zowens-bench died on `{command}`");
        line.split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect()
    }

    fn time(&mut self, command: &str) -> Duration {
        Duration::from_nanos(self.ask(command)[0])
    }

    /// `n` single appends of `len`-byte values into a new log in `dir`.
    pub fn append_single(&mut self, dir: &Path, len: usize, n: u64) -> Duration {
        self.time(&format!("append {} {len} {n}", dir.display()))
    }

    /// `n` values of `len` bytes in `MessageBuf` batches of `batch` (building each buffer is
    /// timed: it is part of appending a batch with this API).
    pub fn append_batches(&mut self, dir: &Path, len: usize, n: u64, batch: usize) -> Duration {
        self.time(&format!("batches {} {len} {n} {batch}", dir.display()))
    }

    /// Writes the log that `scan` and `random` read.
    pub fn fill(&mut self, dir: &Path, len: usize, n: u64) {
        self.ask(&format!("fill {} {len} {n}", dir.display()));
    }

    /// Reads the filled log in order (1 MiB per read); returns (elapsed, records).
    pub fn scan(&mut self) -> (Duration, u64) {
        let a = self.ask("scan");
        (Duration::from_nanos(a[0]), a[1])
    }

    /// `count` single-message reads at `reads::random_offsets(n, count)`.
    pub fn random(&mut self, count: u64) -> Duration {
        self.time(&format!("random {count}"))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
