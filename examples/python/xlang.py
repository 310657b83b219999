"""The cross-language fixture, from Python (the same as core's `xlang` example).

    python xlang.py write DIR N   # a log in DIR holding b"xlang-{i}" for i in 0..N
    python xlang.py check DIR N   # exit 0 iff the log in DIR holds exactly those N values
"""

from __future__ import annotations

import sys

import segmentlog


def fixture_value(i: int) -> bytes:
    """The i-th value of the fixture log."""
    return f"xlang-{i}".encode()


def write(path: str, n: int) -> None:
    """Writes the fixture log of `n` values (default options)."""
    with segmentlog.open(path) as log:
        if log.next_offset != 0:
            raise SystemExit(f"{path} already holds a log")
        log.append_batch(fixture_value(i) for i in range(n))


def check(path: str, n: int) -> bool:
    """Whether the log in `path` holds exactly the `n` fixture values from offset 0."""
    with segmentlog.open(path, read_only=True) as log:
        if (log.lowest_offset, log.next_offset) != (0, n):
            print(f"offsets {log.lowest_offset}..{log.next_offset}, expected 0..{n}")
            return False
        for rec in log:
            if rec.value != fixture_value(rec.offset):
                print(f"offset {rec.offset}: {rec.value!r}, expected {fixture_value(rec.offset)!r}")
                return False
    return True


def main(argv: list[str]) -> int:
    """Command line entry point; returns the exit status."""
    if len(argv) != 4 or argv[1] not in ("write", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    path, n = argv[2], int(argv[3])
    if argv[1] == "write":
        write(path, n)
        return 0
    return 0 if check(path, n) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
