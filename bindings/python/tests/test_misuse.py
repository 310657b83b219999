"""Misuse from Python (reliability campaign, docs/RELIABILITY.md): huge and negative numbers,
odd buffers, closing twice, closing while other threads append, wait or iterate, iterators
that outlive their log. Each gives a typed exception — never a crash of the interpreter."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path
from typing import Any, Callable, Literal

import pytest

import segmentlog

# What a misuse may raise: the library's typed errors or Python's own argument errors.
TYPED = (segmentlog.SegmentLogError, TypeError, ValueError, OverflowError, IndexError, BufferError)


@pytest.mark.parametrize("offset", [2**63, 2**64 - 1, 2**64, 2**100, -1, -(2**70)])
def test_huge_and_negative_offsets_raise_typed_errors(log: segmentlog.Log, offset: int) -> None:
    log.append(b"a")
    calls: list[Callable[[], object]] = [
        lambda: log.read(offset),
        lambda: log.read_record(offset),
        lambda: log.truncate_back(offset),
        lambda: log.truncate_front(offset),
        lambda: log.offset_at_time(offset),
        lambda: log.iter(offset),
        lambda: log.wait_for(offset, 0.001),
    ]
    for call in calls:
        try:
            call()
        except TYPED:
            pass
    # The log is still whole and usable.
    assert log.read(0) == b"a"
    assert log.append(b"b") == log.next_offset - 1


@pytest.mark.parametrize("timeout", [-1.0, float("nan"), float("inf"), 1e300, 2**70])
def test_odd_timeouts_raise_typed_errors_or_work(log: segmentlog.Log, timeout: Any) -> None:
    log.append(b"a")
    try:
        assert log.wait_for(0, timeout) is True
    except TYPED:
        pass


@pytest.mark.parametrize(
    "options",
    [
        {"max_segment_bytes": 2**64},
        {"max_segment_bytes": -1},
        {"max_index_bytes": 2**100},
        {"initial_offset": 2**64},
        {"initial_offset": 2**63},
        {"retention_bytes": -5},
        {"retention_ms": 2**64},
    ],
)
def test_huge_option_values_raise_typed_errors(log_dir: Path, options: dict[str, Any]) -> None:
    with pytest.raises(TYPED):
        segmentlog.open(log_dir, **options)


def test_buffers_of_every_kind(log: segmentlog.Log) -> None:
    data = bytearray(b"0123456789")
    assert log.read(log.append(memoryview(data)[2:5])) == b"234"
    assert log.read(log.append(b"")) == b""
    # A non-contiguous view has no flat bytes to append: a typed error, nothing appended.
    before = log.next_offset
    try:
        log.append(memoryview(data)[::2])
    except TYPED:
        assert log.next_offset == before
    # A value too large for a segment is refused before anything is written.
    with pytest.raises(segmentlog.InvalidArgumentError):
        log.append(bytes(70 * 1024 * 1024))
    assert log.read(0) == b"234"


def test_a_batch_whose_iterable_raises_appends_nothing(log: segmentlog.Log) -> None:
    def values() -> Any:
        yield b"a"
        yield b"b"
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        log.append_batch(values())
    assert log.next_offset == 0


def test_close_twice_and_context_exit_after_close(log_dir: Path) -> None:
    with segmentlog.open(log_dir) as lg:
        lg.append(b"a")
        lg.close()
        lg.close()
        assert lg.closed
    lg.close()
    with segmentlog.open(log_dir) as again:
        assert again.read(0) == b"a"


def test_iterators_outlive_their_log(log_dir: Path) -> None:
    lg = segmentlog.open(log_dir)
    lg.append_batch([b"a", b"b", b"c"])
    it = lg.iter(0)
    assert next(it).value == b"a"
    tail = lg.iter(0, wait=True)
    del lg
    gc.collect()
    # The handle is gone but the iterators keep the log alive: they still read.
    assert [r.value for r in it] == [b"b", b"c"]
    assert next(tail).value == b"a"
    # The iterators hold the open log, and with it the writer's lock, until they go.
    with pytest.raises(segmentlog.LogLockedError):
        segmentlog.open(log_dir)
    del it, tail
    gc.collect()
    with segmentlog.open(log_dir) as lg2:
        assert lg2.next_offset == 3


def test_iterator_after_close_raises_closed(log: segmentlog.Log) -> None:
    log.append(b"a")
    it = log.iter(0, wait=True)
    log.close()
    with pytest.raises(segmentlog.LogClosedError):
        next(it)
    with pytest.raises(segmentlog.LogClosedError):
        it.next_timeout(0.01)
    with pytest.raises(segmentlog.LogClosedError):
        next(it)


def _run_until_closed(fn: Callable[[], object], errors: list[BaseException]) -> None:
    try:
        while True:
            fn()
    except BaseException as e:  # noqa: BLE001 - the test inspects it
        errors.append(e)


@pytest.mark.parametrize("sync", ["never", "always"])
def test_close_while_other_threads_append_read_and_iterate(
    log_dir: Path, sync: Literal["never", "always"]
) -> None:
    lg = segmentlog.open(log_dir, sync=sync)
    lg.append(b"seed")
    errors: list[BaseException] = []

    def iterate() -> None:
        for _ in lg.iter(0, wait=True):
            pass

    workers = [
        lambda: lg.append(b"x" * 100),
        lambda: lg.append_batch([b"y"] * 10),
        lambda: lg.read(0),
        lambda: lg.next_offset,
        lambda: lg.wait_for(10**9, 0.05),
        iterate,
    ]
    threads = [threading.Thread(target=_run_until_closed, args=(w, errors)) for w in workers]
    for t in threads:
        t.start()
    time.sleep(0.2)
    lg.close()
    for t in threads:
        t.join(timeout=10)
        assert not t.is_alive(), "a thread is stuck after close"
    assert len(errors) == len(workers)
    for e in errors:
        assert isinstance(e, segmentlog.LogClosedError), repr(e)
    with segmentlog.open(log_dir) as again:
        assert again.read(0) == b"seed"


def test_close_wakes_a_thread_waiting_forever(log: segmentlog.Log) -> None:
    errors: list[BaseException] = []
    t = threading.Thread(target=_run_until_closed, args=(lambda: log.wait_for(10**6, True), errors))
    t.start()
    time.sleep(0.1)
    log.close()
    t.join(timeout=10)
    assert not t.is_alive()
    assert isinstance(errors[0], segmentlog.LogClosedError)


def test_many_handles_opened_and_dropped_without_close(tmp_path: Path) -> None:
    # Dropping a Log without close() must release the lock (no leaked writer).
    for i in range(50):
        lg = segmentlog.open(tmp_path / "log")
        lg.append(str(i).encode())
        del lg
        gc.collect()
    with segmentlog.open(tmp_path / "log") as lg:
        assert lg.next_offset == 50
