"""Misuse gives clear, typed errors (never a panic or a crash)."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import segmentlog


def test_exception_hierarchy() -> None:
    assert issubclass(segmentlog.OffsetOutOfRangeError, segmentlog.SegmentLogError)
    assert issubclass(segmentlog.OffsetOutOfRangeError, IndexError)
    assert issubclass(segmentlog.InvalidArgumentError, ValueError)
    assert issubclass(segmentlog.SegmentLogIOError, OSError)
    for cls in (segmentlog.CorruptLogError, segmentlog.LogClosedError, segmentlog.LogLockedError,
                segmentlog.InvalidArgumentError, segmentlog.SegmentLogIOError):
        assert issubclass(cls, segmentlog.SegmentLogError)
    assert issubclass(segmentlog.SegmentLogError, Exception)


@pytest.mark.parametrize("value", ["text", 42, None, 3.5, [b"a"], object()])
def test_append_rejects_values_that_are_not_bytes_like(log: segmentlog.Log, value: Any) -> None:
    with pytest.raises(TypeError):
        log.append(value)
    assert log.next_offset == 0


@pytest.mark.parametrize("batch", [[b"ok", "text"], [b"ok", None], [1, 2], "string", 42, None])
def test_append_batch_rejects_bad_items_and_appends_nothing(log: segmentlog.Log, batch: Any) -> None:
    with pytest.raises(TypeError):
        log.append_batch(batch)
    assert log.next_offset == 0


def test_out_of_range_reads(log: segmentlog.Log) -> None:
    log.append_batch([b"a", b"b"])
    for offset in (2, 100, -1):
        with pytest.raises(segmentlog.OffsetOutOfRangeError) as info:
            log.read(offset)
        assert (info.value.offset, info.value.lowest, info.value.next) == (offset, 0, 2)
        assert "out of range" in str(info.value)
    with pytest.raises(IndexError):
        log.read_record(5)
    with pytest.raises(segmentlog.OffsetOutOfRangeError):
        log.truncate_back(3)


def test_offset_arguments_must_be_ints(log: segmentlog.Log) -> None:
    log.append(b"a")
    with pytest.raises(TypeError):
        log.read("0")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        log.read(0.0)  # type: ignore[arg-type]


def test_every_call_on_a_closed_log_raises_log_closed(log: segmentlog.Log) -> None:
    log.append(b"a")
    it = log.iter()
    log.close()
    calls: list[Callable[[], object]] = [
        lambda: log.append(b"x"),
        lambda: log.append_batch([b"x"]),
        lambda: log.read(0),
        lambda: log.read_record(0),
        lambda: log.lowest_offset,
        lambda: log.next_offset,
        lambda: len(log),
        lambda: log.sync(),
        lambda: log.truncate_back(0),
        lambda: log.truncate_front(0),
        lambda: log.offset_at_time(0),
        lambda: list(log),
        lambda: list(it),
    ]
    for call in calls:
        with pytest.raises(segmentlog.LogClosedError):
            call()


def test_second_writer_is_locked_out(log_dir: Path) -> None:
    with segmentlog.open(log_dir):
        with pytest.raises(segmentlog.LogLockedError) as info:
            segmentlog.open(log_dir)
        assert info.value.path == str(log_dir)
    with segmentlog.open(log_dir):  # the lock went with the close
        pass


def test_second_writer_in_another_process_is_locked_out(log_dir: Path) -> None:
    with segmentlog.open(log_dir):
        code = (
            "import sys, segmentlog\n"
            "try:\n    segmentlog.open(sys.argv[1])\n"
            "except segmentlog.LogLockedError:\n    sys.exit(7)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code, str(log_dir)], timeout=60)
        assert proc.returncode == 7


@pytest.mark.parametrize(
    "options",
    [{"bogus": 1}, {"max_segment_bytes": "big"}, {"max_segment_bytes": 1.5}, {"sync": 1.5},
     {"sync": True}, {"recovery": 1}, {"read_only": 1}, {"initial_offset": True}],
)
def test_unknown_options_and_wrong_types_are_type_errors(log_dir: Path, options: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        segmentlog.open(log_dir, **options)


@pytest.mark.parametrize(
    "options",
    [{"max_segment_bytes": 10}, {"max_segment_bytes": -1}, {"max_segment_bytes": 2**40},
     {"max_index_bytes": 0}, {"sync": "sometimes"}, {"sync": 0}, {"sync": -5},
     {"recovery": "yolo"}, {"initial_offset": 2**63}, {"retention_ms": -1},
     {"write_path": "mmap"}],
)
def test_bad_option_values_are_value_errors(log_dir: Path, options: dict[str, Any]) -> None:
    with pytest.raises(segmentlog.InvalidArgumentError) as info:
        segmentlog.open(log_dir, **options)
    assert isinstance(info.value, ValueError)
    assert next(iter(options)).split("_")[0] in str(info.value)


@pytest.mark.parametrize("wait", [-1, "soon", float("nan")])
def test_bad_wait_values(log: segmentlog.Log, wait: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        log.iter(wait=wait)


def test_value_too_large_for_a_segment(log_dir: Path) -> None:
    with segmentlog.open(log_dir, max_segment_bytes=4096) as log:
        with pytest.raises(segmentlog.InvalidArgumentError):
            log.append(b"x" * 5000)
        with pytest.raises(segmentlog.InvalidArgumentError):
            log.append_batch([b"x" * 1000] * 5)
        assert log.next_offset == 0


def test_os_errors_carry_errno(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    with pytest.raises(segmentlog.SegmentLogIOError) as info:
        segmentlog.open(not_a_dir / "log")
    assert isinstance(info.value, OSError)
    assert info.value.errno in (errno.ENOTDIR, errno.EEXIST)
    assert info.value.strerror


def test_corrupt_log_is_reported_in_strict_mode(log_dir: Path) -> None:
    with segmentlog.open(log_dir) as log:
        log.append_batch([b"A" * 100] * 10)
    stores = sorted(p for p in log_dir.iterdir() if p.stat().st_size > 500)
    assert stores, "expected a store file holding the records"
    data = bytearray(stores[0].read_bytes())
    pos = data.index(b"A" * 100)  # damage the first record, not a tail
    data[pos + 10] ^= 0xFF
    stores[0].write_bytes(bytes(data))
    with pytest.raises(segmentlog.CorruptLogError):
        with segmentlog.open(log_dir, recovery="strict") as log:
            log.read(0)


def test_non_contiguous_buffers_are_refused_like_the_stdlib_does(log: segmentlog.Log) -> None:
    strided = memoryview(b"abcdef")[::2]
    with pytest.raises(BufferError):
        log.append(strided)
    with pytest.raises(BufferError):
        log.append_batch([b"ok", strided])
    assert log.next_offset == 0
    assert log.append(strided.tobytes()) == 0
