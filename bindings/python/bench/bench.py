"""segmentlog from Python beside Python's own alternatives, in one run (issue 4).

Values of 100 bytes, 1M of them (BENCH_QUICK=1: 100k), several rounds; in each round every
workload runs back to back with its baseline, and the ratios are taken round by round (the
machine is shared and noisy):
  * append:       a single-call `log.append(v)` loop, beside a plain buffered file with a
                  struct length prefix (not crash-safe: acknowledged data waits in a user-space
                  buffer) and sqlite3 `executemany` in one transaction;
  * read:         `log.read(offset)` beside sqlite3 `SELECT value ... WHERE offset = ?`, over
                  the same random sample of offsets (and `log.read_many` of 1000 at a time);
  * append_batch: batches of 1000 from Python, beside the same batches from Rust (core's own
                  speed: the `core_batch` example of this crate).
Targets: append >= 1.5x the plain file and >= 5x sqlite3; read >= 2x sqlite3; append_batch
close to core's own speed (taken as >= 0.7x).

Prints a table and writes bench/results/python.json (schema in bench/README.md).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import segmentlog

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
N = 100_000 if QUICK else 1_000_000
READS = N // 4
ROUNDS = 3
SIZE = 100
BATCH = 1000
ROOT = Path(__file__).resolve().parents[3]
RESULTS = ROOT / "bench" / "results" / "python.json"

APPEND = "append 100 B: segmentlog"
PLAIN = "append 100 B: plain buffered file"
SQLITE_INSERT = "append 100 B: sqlite3 executemany"
READ = "random read 100 B: segmentlog"
SQLITE_READ = "random read 100 B: sqlite3"
READ_MANY = "random read 100 B: segmentlog read_many"
BATCHED = "append_batch 1000 x 100 B: segmentlog (Python)"
CORE_BATCHED = "append_batch 1000 x 100 B: core (Rust)"
CORE_APPEND = "append 100 B: core (Rust)"
# (name, ours, baseline, target)
RATIOS = [
    ("append: segmentlog / plain file", APPEND, PLAIN, 1.5),
    ("append: segmentlog / sqlite3", APPEND, SQLITE_INSERT, 5.0),
    ("read: segmentlog / sqlite3", READ, SQLITE_READ, 2.0),
    # No target: the same offsets as one multi-get call per 1000.
    ("read_many: segmentlog / sqlite3", READ_MANY, SQLITE_READ, None),
    ("append_batch: Python / core", BATCHED, CORE_BATCHED, 0.7),
    # No target: what the binding costs per call.
    ("append: Python / core", APPEND, CORE_APPEND, None),
]


def make_values() -> list[bytes]:
    """N values of SIZE bytes: a pool of 1024 distinct values, cycled (as core_batch does)."""
    pool = [bytes((i * 31 + j) & 0xFF for j in range(SIZE)) for i in range(1024)]
    return [pool[i % 1024] for i in range(N)]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def core_batch_binary() -> Path:
    """Builds the Rust baseline once (release)."""
    cargo = os.environ.get("CARGO", "cargo")
    subprocess.run(
        [cargo, "build", "--release", "-q", "-p", "segmentlog-python", "--example", "core_batch"],
        cwd=ROOT, check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / "core_batch"


def one_round(work: Path, values: list[bytes], sample: list[int], core_batch: Path) -> dict[str, float]:
    """Operations per second of every workload, measured once each."""
    ops: dict[str, float] = {}
    log = segmentlog.open(work / "log")

    def cl_append() -> None:
        append = log.append
        for v in values:
            append(v)

    ops[APPEND] = N / timed(cl_append)

    def plain_file() -> None:
        pack = struct.Struct("<I").pack
        with open(work / "plain.bin", "wb") as f:
            write = f.write
            for v in values:
                write(pack(len(v)))
                write(v)

    ops[PLAIN] = N / timed(plain_file)

    db = sqlite3.connect(work / "bench.sqlite")
    db.execute("CREATE TABLE log (offset INTEGER PRIMARY KEY, value BLOB NOT NULL)")

    def sqlite_insert() -> None:
        with db:
            db.executemany("INSERT INTO log (offset, value) VALUES (?, ?)", enumerate(values))

    ops[SQLITE_INSERT] = N / timed(sqlite_insert)

    def cl_read() -> None:
        read = log.read
        for o in sample:
            read(o)

    ops[READ] = len(sample) / timed(cl_read)

    def cl_read_many() -> None:
        read_many = log.read_many
        for i in range(0, len(sample), 1000):
            read_many(sample[i : i + 1000])

    ops[READ_MANY] = len(sample) / timed(cl_read_many)
    assert log.read_many(sample[:3]) == [log.read(o) for o in sample[:3]]

    def sqlite_read() -> None:
        execute = db.execute
        q = "SELECT value FROM log WHERE offset = ?"
        for o in sample:
            execute(q, (o,)).fetchone()

    ops[SQLITE_READ] = len(sample) / timed(sqlite_read)
    assert log.read(sample[0]) == db.execute(
        "SELECT value FROM log WHERE offset = ?", (sample[0],)).fetchone()[0]
    log.close()
    db.close()

    with segmentlog.open(work / "batch") as blog:

        def cl_batch() -> None:
            append_batch = blog.append_batch
            for i in range(0, N, BATCH):
                append_batch(values[i : i + BATCH])

        ops[BATCHED] = N / timed(cl_batch)

    for name, batch in ((CORE_BATCHED, BATCH), (CORE_APPEND, 1)):
        out = subprocess.run(
            [str(core_batch), str(work / f"core-{batch}"), str(N), str(SIZE), str(batch)],
            capture_output=True, text=True, check=True,
        )
        ops[name] = N / float(out.stdout.strip())
    return ops


def entry(name: str, unit: str, samples: list[float]) -> dict[str, object]:
    return {"name": name, "unit": unit, "median": statistics.median(samples),
            "min": min(samples), "max": max(samples), "runs": len(samples)}


def main() -> int:
    core_batch = core_batch_binary()
    values = make_values()
    sample = random.Random(4).sample(range(N), READS)
    rounds: list[dict[str, float]] = []
    for _ in range(ROUNDS):
        work = Path(tempfile.mkdtemp(prefix="segmentlog-pybench-"))
        try:
            rounds.append(one_round(work, values, sample, core_batch))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    results: list[dict[str, object]] = []
    print(f"python bench: {N} values of {SIZE} bytes, {READS} random reads, {ROUNDS} rounds "
          "(median, min-max)")
    for name in rounds[0]:
        e = entry(name, "ops/s", [r[name] for r in rounds])
        results.append(e)
        print(f"  {name:48} {e['median'] / 1e6:6.2f} M/s  "  # type: ignore[operator]
              f"({e['min'] / 1e6:.2f}-{e['max'] / 1e6:.2f})")  # type: ignore[operator]
    print("ratios, ours / baseline, round by round:")
    for name, ours, base, target in RATIOS:
        e = entry(name, "x", [r[ours] / r[base] for r in rounds])
        e.update({"of": ours, "baseline": base})
        verdict = ""
        if target is not None:
            passed = bool(e["median"] >= target)  # type: ignore[operator]
            e.update({"target": f">= {target}", "pass": passed})
            verdict = f"target >= {target}: {'PASS' if passed else 'MISS'}"
        results.append(e)
        print(f"  {name:48} {e['median']:6.2f}x  ({e['min']:.2f}-{e['max']:.2f})  {verdict}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(
        {"suite": "python", "quick": QUICK, "unix_time": int(time.time()), "results": results},
        indent=1) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
