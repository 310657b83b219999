"""commitlog from Python against Python's own alternatives, in one run.

1M values of 100 bytes (BENCH_QUICK=1: 100k):
  * append:       a single-call `log.append(v)` loop, vs a plain buffered file with a struct
                  length prefix (not crash-safe: acknowledged data waits in a user-space buffer),
                  vs sqlite3 `executemany` in one transaction;
  * read:         `log.read(offset)` for every offset, vs sqlite3 `SELECT ... WHERE offset = ?`;
  * append_batch: batches of 1000 from Python, vs the same batches from Rust (core's own speed,
                  the `core_batch` example of this crate).
Targets (issue 4): append >= 1.5x the plain file and >= 5x sqlite3; read >= 2x sqlite3;
append_batch close to core's own speed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import commitlog

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
N = 100_000 if QUICK else 1_000_000
SIZE = 100
BATCH = 1000
ROOT = Path(__file__).resolve().parents[3]


def make_values() -> list[bytes]:
    """N values of SIZE bytes: a pool of 1024 distinct values, cycled (as core_batch does)."""
    pool = [bytes((i * 31 + j) & 0xFF for j in range(SIZE)) for i in range(1024)]
    return [pool[i % 1024] for i in range(N)]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def rate(seconds: float) -> str:
    return f"{N / seconds / 1e6:6.2f} M/s ({seconds:6.2f} s)"


def main() -> None:
    values = make_values()
    work = Path(tempfile.mkdtemp(prefix="commitlog-pybench-"))
    results: dict[str, float] = {}
    try:
        # -- append -------------------------------------------------------------------------
        log = commitlog.open(work / "log")

        def cl_append() -> None:
            append = log.append
            for v in values:
                append(v)

        results["commitlog append"] = timed(cl_append)

        def plain_file() -> None:
            pack = struct.Struct("<I").pack
            with open(work / "plain.bin", "wb") as f:
                write = f.write
                for v in values:
                    write(pack(len(v)))
                    write(v)

        results["plain file append"] = timed(plain_file)

        db = sqlite3.connect(work / "bench.sqlite")
        db.execute("CREATE TABLE log (offset INTEGER PRIMARY KEY, value BLOB NOT NULL)")

        def sqlite_insert() -> None:
            with db:
                db.executemany("INSERT INTO log (value) VALUES (?)", ((v,) for v in values))

        results["sqlite3 executemany"] = timed(sqlite_insert)

        # -- read ---------------------------------------------------------------------------
        def cl_read() -> None:
            read = log.read
            for o in range(N):
                read(o)

        results["commitlog read"] = timed(cl_read)

        def sqlite_read() -> None:
            execute = db.execute
            q = "SELECT value FROM log WHERE offset = ?"
            for o in range(1, N + 1):
                execute(q, (o,)).fetchone()

        results["sqlite3 read"] = timed(sqlite_read)

        results["commitlog iterate"] = timed(lambda: sum(1 for _ in log))
        log.close()
        db.close()

        # -- append_batch -------------------------------------------------------------------
        with commitlog.open(work / "batch") as blog:

            def cl_batch() -> None:
                append_batch = blog.append_batch
                for i in range(0, N, BATCH):
                    append_batch(values[i : i + BATCH])

            results["commitlog append_batch"] = timed(cl_batch)

        core = subprocess.run(
            [os.environ.get("CARGO", "cargo"), "run", "--release", "-q", "-p", "commitlog-python",
             "--example", "core_batch", "--", str(work / "core"), str(N), str(SIZE), str(BATCH)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        results["core append_batch (Rust)"] = float(core.stdout.strip())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"commitlog Python benchmark: {N} values of {SIZE} bytes")
    for name, secs in results.items():
        print(f"  {name:28} {rate(secs)}")

    def ratio(a: str, b: str) -> float:
        return results[b] / results[a]

    checks = [
        ("append vs plain file", ratio("commitlog append", "plain file append"), 1.5),
        ("append vs sqlite3", ratio("commitlog append", "sqlite3 executemany"), 5.0),
        ("read vs sqlite3", ratio("commitlog read", "sqlite3 read"), 2.0),
        ("append_batch vs core", ratio("commitlog append_batch", "core append_batch (Rust)"), 0.5),
    ]
    print("ratios (speed of commitlog / speed of the other; target in brackets):")
    for name, r, target in checks:
        verdict = "ok" if r >= target else "BELOW TARGET"
        print(f"  {name:28} {r:6.2f}x  [>= {target}x]  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
