"""Holes (damaged records that keep their offset), the recovery report, repair, and offsets at
the top of the range."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Callable

import pytest

import segmentlog

STORE_HEADER = 32
RECORD_HEADER = 28
#: 100-byte values: 128 bytes a record, 31 records a 4 KiB segment (bases 0, 31, 62, 93).
VALUE_LEN = 100
RECORD_LEN = RECORD_HEADER + VALUE_LEN
PER_SEGMENT = 31
RECORDS = 100


def value_of(offset: int) -> bytes:
    return f"record {offset}".encode().ljust(VALUE_LEN, b".")


def store_path(log_dir: Path, base: int) -> Path:
    return log_dir / f"{base:020d}.store"


def flip_byte(path: Path, at: int) -> None:
    with path.open("r+b") as f:
        f.seek(at)
        byte = f.read(1)[0]
        f.seek(at)
        f.write(bytes([byte ^ 0x5A]))


def damage(log_dir: Path, base: int, offset: int) -> None:
    """Flips one byte in the middle of the value of record `offset` (segment `base`)."""
    at = STORE_HEADER + (offset - base) * RECORD_LEN + RECORD_HEADER + VALUE_LEN // 2
    flip_byte(store_path(log_dir, base), at)


def small_log(log_dir: Path) -> segmentlog.Log:
    return segmentlog.open(log_dir, max_segment_bytes=4096, max_index_bytes=4096)


@pytest.fixture
def written(log_dir: Path) -> Path:
    """A closed log of RECORDS records in 4 KiB segments."""
    with small_log(log_dir) as log:
        assert log.append_batch([value_of(i) for i in range(PER_SEGMENT)]) == range(PER_SEGMENT)
        for i in range(PER_SEGMENT, RECORDS):
            assert log.append(value_of(i)) == i
    return log_dir


def walk(it: segmentlog.LogIterator) -> tuple[list[int], list[segmentlog.HoleError]]:
    """Steps an iterator to its end, going on after each HoleError."""
    offsets: list[int] = []
    holes: list[segmentlog.HoleError] = []
    while True:
        try:
            rec = next(it)
        except StopIteration:
            return offsets, holes
        except segmentlog.HoleError as e:
            holes.append(e)
            continue
        assert rec.value == value_of(rec.offset)
        offsets.append(rec.offset)


def test_hole_error_is_a_corrupt_log_error_with_offset_and_segment() -> None:
    assert issubclass(segmentlog.HoleError, segmentlog.CorruptLogError)
    assert issubclass(segmentlog.HoleError, segmentlog.SegmentLogError)
    e = segmentlog.HoleError("offset 5 is a hole", 5, 0)
    assert (e.offset, e.segment) == (5, 0)
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is segmentlog.HoleError
    assert (copy.offset, copy.segment, str(copy)) == (5, 0, "offset 5 is a hole")


def test_damaged_record_is_a_hole_and_its_neighbours_read(written: Path) -> None:
    damage(written, 0, 5)
    with small_log(written) as log:
        with pytest.raises(segmentlog.HoleError) as info:
            log.read(5)
        assert (info.value.offset, info.value.segment) == (5, 0)
        assert "offset 5 is a hole" in str(info.value)
        with pytest.raises(segmentlog.HoleError):
            log.read_record(5)
        with pytest.raises(segmentlog.HoleError):
            log.read_many([4, 5, 6])
        assert log.read(4) == value_of(4)
        assert log.read(6) == value_of(6)
        assert log.next_offset == RECORDS
        assert log.lowest_offset == 0

        # Iteration reports the hole once and goes on after it.
        offsets, holes = walk(log.iter())
        assert offsets == [i for i in range(RECORDS) if i != 5]
        assert [(h.offset, h.segment) for h in holes] == [(5, 0)]
        # skip_holes passes over it silently; so does a tail (wait) from before it.
        offsets, holes = walk(log.iter(skip_holes=True))
        assert (len(offsets), holes) == (RECORDS - 1, [])
        offsets, holes = walk(log.iter(start=3, wait=0.05))
        assert offsets == [i for i in range(3, RECORDS) if i != 5]
        assert [h.offset for h in holes] == [5]
        # A plain for loop stops at the hole: the error surfaces.
        seen = []
        with pytest.raises(segmentlog.HoleError):
            for rec in log:
                seen.append(rec.offset)
        assert seen == [0, 1, 2, 3, 4]

        assert log.append(b"after") == RECORDS


def test_repair_names_the_hole_and_dry_run_changes_nothing(written: Path) -> None:
    hole = PER_SEGMENT + 3
    damage(written, PER_SEGMENT, hole)
    dry = segmentlog.repair(written, dry_run=True)
    assert dry.records_in_holes == 1
    # Nothing was put into the quarantine: no item.
    assert [(e.offsets, e.quarantine_id) for e in dry.events if e.kind == "hole"] == [
        (range(hole, hole + 1), None)
    ]
    assert "quarantine_id=None" in repr(dry.events[0])
    assert not (written / "quarantine").exists()

    report = segmentlog.repair(str(written))
    assert isinstance(report, segmentlog.RecoveryReport)
    assert report.records_in_holes == 1
    assert report.records_cut == 0
    assert not report.is_clean
    assert report.bytes_quarantined >= RECORD_LEN
    holes = [e for e in report.events if e.kind == "hole"]
    assert len(holes) == 1
    e = holes[0]
    assert isinstance(e, segmentlog.RecoveryEvent)
    assert e.segment == PER_SEGMENT
    assert e.offsets == range(hole, hole + 1)
    assert e.position == STORE_HEADER + 3 * RECORD_LEN
    assert e.bytes == RECORD_LEN
    assert isinstance(e.quarantine_id, int)
    assert e.reason
    assert str(e).startswith("hole in segment")
    assert "kind='hole'" in repr(e)
    text = str(report)
    assert "1 in holes" in text and "hole in segment" in text
    assert (written / "quarantine").is_dir()

    with small_log(written) as log:
        with pytest.raises(segmentlog.LogLockedError):
            segmentlog.repair(written)
        with pytest.raises(segmentlog.HoleError) as info:
            log.read(hole)
        assert (info.value.offset, info.value.segment) == (hole, PER_SEGMENT)
        assert log.read(hole - 1) == value_of(hole - 1)
        assert log.read(hole + 1) == value_of(hole + 1)
        assert log.next_offset == RECORDS
        assert log.recovery_report.clean_shutdown

    # Repair again: the same hole, already in the quarantine (the same item, nothing new).
    again = segmentlog.repair(written)
    assert [(h.offsets, h.quarantine_id) for h in again.events if h.kind == "hole"] == [
        (e.offsets, e.quarantine_id)
    ]


def test_recovery_report_of_a_clean_open(written: Path) -> None:
    with small_log(written) as log:
        report = log.recovery_report
        assert report is log.recovery_report
        assert report.clean_shutdown and report.is_clean
        assert (report.records_in_holes, report.records_cut, report.bytes_quarantined) == (0, 0, 0)
        assert report.events == []
        assert str(report).startswith("clean shutdown")
        assert "is_clean=True" in repr(report)
    assert log.recovery_report.clean_shutdown  # still readable after close


def test_repair_of_a_missing_directory_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(segmentlog.SegmentLogIOError):
        segmentlog.repair(tmp_path / "missing")


def test_issue_13_path_1_damage_in_the_newest_store_after_a_crash(tmp_path: Path) -> None:
    """300,000 records, closed, one byte flipped in the middle of the newest store, CLEAN
    removed: the open keeps every intact record and every offset, and names the hole."""
    log_dir = tmp_path / "log"
    n, batch = 300_000, 10_000
    with segmentlog.open(log_dir, max_segment_bytes=1 << 20) as log:
        for start in range(0, n, batch):
            got = log.append_batch([b"%012d" % i for i in range(start, start + batch)])
            assert got == range(start, start + batch)
    record_len = RECORD_HEADER + 12
    newest = max(log_dir.glob("*.store"))
    base = int(newest.stem)
    size = newest.stat().st_size
    index = (size // 2 - STORE_HEADER) // record_len
    hole = base + index
    flip_byte(newest, STORE_HEADER + index * record_len + RECORD_HEADER + 6)
    (log_dir / "CLEAN").unlink()

    with segmentlog.open(log_dir, max_segment_bytes=1 << 20) as log:
        report = log.recovery_report
        assert not report.clean_shutdown
        assert report.records_in_holes == 1
        assert [(e.kind, e.offsets) for e in report.events if e.kind == "hole"] == [
            ("hole", range(hole, hole + 1))
        ]
        assert report.records_cut == 0
        assert log.next_offset == n
        with pytest.raises(segmentlog.HoleError) as info:
            log.read(hole)
        assert (info.value.offset, info.value.segment) == (hole, base)
        count = 0
        for rec in log.iter(skip_holes=True):
            assert rec.value == b"%012d" % rec.offset
            count += 1
        assert count == n - 1
        intact = [o for o in range(n) if o != hole]
        values = log.read_many(intact)
        assert values[0] == b"%012d" % 0 and values[-1] == b"%012d" % (n - 1)
        assert all(v == b"%012d" % o for o, v in zip(intact, values))


# Offsets at the top of the range: core's limit is 2**63 - 1 (next_offset never passes it).
TOP = 2**63 - 1


def test_appends_stop_at_the_largest_offset_without_writing(log_dir: Path) -> None:
    with segmentlog.open(log_dir, initial_offset=TOP - 2) as log:
        assert log.append(b"a") == TOP - 2
        assert log.append_batch([b"b"]) == range(TOP - 1, TOP)
        for _ in range(3):
            with pytest.raises(segmentlog.InvalidArgumentError):
                log.append(b"c")
            with pytest.raises(segmentlog.InvalidArgumentError):
                log.append_batch([b"c", b"d"])
        assert log.next_offset == TOP
        assert [r.offset for r in log.iter(start=TOP - 2)] == [TOP - 2, TOP - 1]
        assert log.read(TOP - 1) == b"b"
        assert log.read_record(TOP - 2).value == b"a"
        assert log.read_many([TOP - 1, TOP - 2]) == [b"b", b"a"]
        assert log.wait_for(TOP - 1, timeout=0)
        assert not log.wait_for(TOP, timeout=0)
        assert list(log.iter(start=TOP)) == []
    with segmentlog.open(log_dir) as log:
        assert log.next_offset == TOP
        assert len(log) == 2


@pytest.mark.parametrize("offset", [TOP, TOP + 1, 2**64 - 1, 2**64, 2**100, -1, -(2**64)])
def test_offsets_beyond_the_log_raise_out_of_range_for_every_method(
    log_dir: Path, offset: int
) -> None:
    with segmentlog.open(log_dir, initial_offset=TOP - 2) as log:
        log.append(b"a")
        calls: list[Callable[[], object]] = [
            lambda: log.read(offset),
            lambda: log.read_record(offset),
            lambda: log.read_many([TOP - 2, offset]),
            lambda: next(log.iter(start=offset)),
            lambda: log.truncate_back(offset),
        ]
        if not 0 <= offset <= TOP:
            # No record can ever be there (wait_for(TOP) is accepted: it times out).
            calls.append(lambda: log.wait_for(offset, timeout=0))
        for call in calls:
            with pytest.raises(segmentlog.OffsetOutOfRangeError) as info:
                call()
            assert isinstance(info.value, IndexError)
            assert info.value.offset == offset
            assert (info.value.lowest, info.value.next) == (TOP - 2, TOP - 1)
        assert log.next_offset == TOP - 1
        assert log.read(TOP - 2) == b"a"


@pytest.mark.parametrize("offset", [TOP + 1, 2**64 - 1, 2**64, 2**100])
def test_truncate_front_beyond_the_largest_offset_is_invalid(log_dir: Path, offset: int) -> None:
    with segmentlog.open(log_dir) as log:
        log.append(b"a")
        with pytest.raises(segmentlog.InvalidArgumentError) as info:
            log.truncate_front(offset)
        assert isinstance(info.value, ValueError)
        assert log.read(0) == b"a"
        log.truncate_front(TOP)  # re-bases the log at the largest offset: nothing more fits
        assert (log.lowest_offset, log.next_offset) == (TOP, TOP)
        with pytest.raises(segmentlog.InvalidArgumentError):
            log.append(b"b")
        assert log.next_offset == TOP


def test_initial_offset_at_and_beyond_the_largest_offset(log_dir: Path, tmp_path: Path) -> None:
    with segmentlog.open(log_dir, initial_offset=TOP) as log:
        assert log.next_offset == TOP
        with pytest.raises(segmentlog.InvalidArgumentError):
            log.append(b"a")
    for beyond in (TOP + 1, 2**64 - 1):
        with pytest.raises(segmentlog.InvalidArgumentError):
            segmentlog.open(tmp_path / "other", initial_offset=beyond)
    with pytest.raises(segmentlog.InvalidArgumentError):
        segmentlog.open(tmp_path / "other", initial_offset=2**64)
