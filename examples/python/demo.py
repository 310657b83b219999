"""The Python part of `make demo`: read what the other languages left, append, tail.

Usage: python demo.py LOG_DIR
"""

from __future__ import annotations

import sys
import threading
import time

import segmentlog


def show(rec: segmentlog.Record) -> str:
    """One line per record: offset, time appended, value."""
    when = time.strftime("%H:%M:%S", time.gmtime(rec.timestamp / 1000))
    return f"  #{rec.offset} at {when}Z: {rec.value.decode('utf-8', 'replace')}"


def main(path: str) -> None:
    """Runs the demo against the log in ``path``."""
    with segmentlog.open(path) as log:
        print(f"python: opened {log!r}; what the others wrote:")
        if not log.recovery_report.is_clean:  # damage found by this open: holes, cut tails
            print(f"python: recovery: {log.recovery_report}")
        # skip_holes: a damaged record (a hole) would otherwise raise HoleError here.
        for i, rec in enumerate(log.iter(skip_holes=True)):
            if i == 20:
                print(f"  ... and {log.next_offset - rec.offset} more")
                break
            print(show(rec))

        first = log.next_offset
        offsets = [log.append(f"event from Python #{i}".encode()) for i in range(3)]
        batch = log.append_batch(
            [b"event from Python #3 (batch)", bytearray(b"event from Python #4 (batch)")]
        )
        print(f"python: appended offsets {offsets} and batch {batch.start}..{batch.stop}")
        assert log.read(offsets[0]) == b"event from Python #0"

        # Tail: a thread appends while the main thread waits (the GIL is released meanwhile).
        def writer() -> None:
            for i in range(5, 8):
                time.sleep(0.05)
                log.append(f"event from Python #{i} (tailed)".encode())

        t = threading.Thread(target=writer)
        t.start()
        print("python: tailing (stops after 0.5 s without a new record)")
        for rec in log.iter(start=first, wait=0.5):
            print(show(rec))
        t.join()
        log.sync()
        print(f"python: done, {len(log)} records, next offset {log.next_offset}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: demo.py LOG_DIR")
    main(sys.argv[1])
