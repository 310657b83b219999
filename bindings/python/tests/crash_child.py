"""Child of test_crash.py: appends with sync="always" and prints each acknowledged offset.

Usage: crash_child.py LOG_DIR START
Value i is `expected_value(i)`; runs until killed.
"""

from __future__ import annotations

import sys

import segmentlog


def expected_value(i: int) -> bytes:
    """The value the child appends as its i-th record (lengths vary, bytes are checkable)."""
    return f"crash-{i}-".encode() + bytes([i % 251]) * (i * 37 % 700)


def main(path: str) -> None:
    with segmentlog.open(path, sync="always", max_segment_bytes=64 * 1024) as log:
        i = log.next_offset
        print("ready", flush=True)
        while True:
            if i % 5 == 4:
                batch = log.append_batch([expected_value(i), expected_value(i + 1)])
                assert batch == range(i, i + 2)
                print(i, flush=True)
                print(i + 1, flush=True)
                i += 2
            else:
                assert log.append(expected_value(i)) == i
                print(i, flush=True)
                i += 1


if __name__ == "__main__":
    main(sys.argv[1])
