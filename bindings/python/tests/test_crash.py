"""SIGKILL a process in the middle of appending with sync="always": every acknowledged record
must be there, byte for byte, after reopening (and nothing that was not appended)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import segmentlog

from crash_child import expected_value

CHILD = Path(__file__).with_name("crash_child.py")


def test_sigkill_loses_no_acknowledged_record(log_dir: Path) -> None:
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    acked_total = 0
    for _round in range(10):
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(log_dir)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.01, 0.15))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        lines = out.split("\n")
        # The last line may be cut by the kill; complete lines are acknowledged offsets.
        acked = [int(line) for line in lines[:-1]]
        acked_total += len(acked)

        with segmentlog.open(log_dir, max_segment_bytes=64 * 1024) as log:
            for offset in acked:
                assert log.read(offset) == expected_value(offset), f"round {_round}, offset {offset}"
            # Records appended but not yet printed may be there too; nothing else may be.
            records = list(log)
            assert [r.offset for r in records] == list(range(len(records)))
            for r in records:
                assert r.value == expected_value(r.offset)
            if acked:
                assert log.next_offset > acked[-1]
    assert acked_total > 0
