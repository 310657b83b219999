#!/usr/bin/env python3
"""The cross-language cursor test: a Python producer, a Node consumer and a C consumer, each
with its own cursor on one log, each killed with SIGKILL at random moments over ROUNDS rounds
(default 70), then run to the end. Checks that each consumer processed every record at least
once, never one below the position it resumed from (its last committed position), and that
each restart processed again at most K records (the at-least-once window: a consumer commits
every K records); reports the kills, the records processed again and the largest window.

Usage: run.py ROOT WORKDIR  (environment: PYTHON, NODE, C_CONSUMER, ROUNDS, SEED)
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

N = 14000  # records the producer appends in all
K = 7  # a consumer commits every K records


def main():
    root, work = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    rounds = int(os.environ.get("ROUNDS") or "70")
    seed = int(os.environ.get("SEED") or str(time.time_ns() % 2**32))
    rng = random.Random(seed)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log = os.path.join(work, "log")
    python, node = os.environ.get("PYTHON", "python3"), os.environ.get("NODE", "node")
    journals = {"node": os.path.join(work, "node.journal"), "c": os.path.join(work, "c.journal")}
    commands = {
        "producer": [python, os.path.join(here, "producer.py"), log, str(N)],
        "node": [node, os.path.join(here, "consumer.js"), root, log, "node-consumer",
                 journals["node"], str(N), str(K)],
        "c": [os.environ["C_CONSUMER"], log, "c-consumer", journals["c"], str(N), str(K)],
    }
    # The log exists before the consumers first open it (read-only opens do not create it).
    subprocess.run([python, "-c", "import segmentlog, sys; segmentlog.open(sys.argv[1]).close()",
                    log], check=True)

    done, kills = set(), {name: 0 for name in commands}
    for _ in range(rounds):
        running = {name: subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                   for name, cmd in commands.items() if name not in done}
        round_ms = rng.uniform(100, 600)
        start = time.monotonic()
        for name, at in sorted(((n, rng.uniform(20, round_ms)) for n in running),
                               key=lambda x: x[1]):
            time.sleep(max(0.0, start + at / 1000 - time.monotonic()))
            proc = running[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills[name] += 1
        for name, proc in running.items():
            rc = proc.wait()
            if rc == 0:
                done.add(name)
            elif rc != -signal.SIGKILL:
                sys.exit(f"{name} failed (exit {rc}): {proc.stderr.read().decode()}")
    under_kills = subprocess.run(
        [python, "-c", "import segmentlog, sys; "
         "print(segmentlog.open(sys.argv[1], read_only=True).next_offset)", log],
        check=True, capture_output=True, text=True).stdout.strip()
    # Then each runs to the end without kills.
    for name in commands:
        if name not in done:
            out = subprocess.run(commands[name], capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                sys.exit(f"{name} failed at the end (exit {out.returncode}): {out.stderr}")

    report = []
    for name, path in journals.items():
        report.append(check(name, path))
    print(f"cursors xlang (seed {seed}): {rounds} rounds, SIGKILLs: producer {kills['producer']}, "
          f"node {kills['node']}, c {kills['c']}; {under_kills} of {N} records appended "
          f"under the kills; consumers commit every {K}")
    for line in report:
        print("  " + line)


def check(name, path):
    """Checks one consumer's journal; returns its line of the report."""
    runs = []  # (committed at start, [offsets processed])
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("start "):
                committed, resume = map(int, line.split()[1:])
                if resume != committed:
                    sys.exit(f"{name}: resumed at {resume}, committed {committed} (no retention here)")
                runs.append((committed, []))
            elif line:
                runs[-1][1].append(int(line))
    seen = set()
    again, widest = 0, 0
    for i, (committed, offsets) in enumerate(runs):
        # Each run reads on in order from its committed position: none below it, no gap.
        expected = list(range(committed, committed + len(offsets)))
        if offsets != expected:
            sys.exit(f"{name}: run {i} from {committed} processed {offsets[:10]}..., "
                     f"not {committed}, {committed + 1}, ...")
        window = sum(1 for o in offsets if o in seen)
        if window > K:
            sys.exit(f"{name}: run {i} processed {window} records again, more than the "
                     f"at-least-once window of {K}")
        again += window
        widest = max(widest, window)
        seen.update(offsets)
    missing = [o for o in range(N) if o not in seen]
    if missing:
        sys.exit(f"{name}: {len(missing)} records never processed, first {missing[:5]}")
    return (f"{name}: {len(runs)} runs, every record processed at least once, none below its "
            f"committed position; {again} processed again (largest window {widest} <= {K})")


if __name__ == "__main__":
    main()
