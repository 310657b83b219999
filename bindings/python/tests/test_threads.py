"""A Log shared by threads; the GIL is released while the log waits or syncs."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

import segmentlog


def test_eight_threads_appending_get_distinct_contiguous_offsets(log_dir: Path) -> None:
    per_thread = 500
    with segmentlog.open(log_dir, max_segment_bytes=64 * 1024) as log:
        got: dict[int, list[int]] = {}
        barrier = threading.Barrier(8)

        def worker(t: int) -> None:
            barrier.wait()
            got[t] = [log.append(f"t{t}-{i}".encode()) for i in range(per_thread)]

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

        offsets = sorted(o for offs in got.values() for o in offs)
        assert offsets == list(range(8 * per_thread))
        for t, offs in got.items():
            assert offs == sorted(offs)  # each thread's appends are ordered
            assert [log.read(o) for o in offs] == [f"t{t}-{i}".encode() for i in range(per_thread)]


def test_threads_appending_with_sync_always_and_batches(log_dir: Path) -> None:
    with segmentlog.open(log_dir, sync="always") as log:
        results: list[range] = []
        lock = threading.Lock()

        def worker(t: int) -> None:
            for i in range(10):
                r = log.append_batch([f"{t}-{i}-{j}".encode() for j in range(3)])
                with lock:
                    results.append(r)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        covered = sorted(o for r in results for o in r)
        assert covered == list(range(8 * 10 * 3))
        assert all(len(r) == 3 for r in results)


def test_a_tailing_iterator_receives_records_appended_by_another_thread(log: segmentlog.Log) -> None:
    def writer() -> None:
        for i in range(5):
            time.sleep(0.02)
            log.append(f"late {i}".encode())

    t = threading.Thread(target=writer)
    t.start()
    got: list[bytes] = []
    it = log.iter(wait=5.0)
    for _ in range(5):
        got.append(next(it).value)
    t.join()
    assert got == [f"late {i}".encode() for i in range(5)]


def test_waiting_releases_the_gil(log: segmentlog.Log) -> None:
    """While this thread blocks in a wait, another thread keeps running Python code."""
    counter = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        before = counter
        assert log.wait_for(0, timeout=0.3) is False
        during_wait = counter - before
        before = counter
        assert next(log.iter(wait=0.3), None) is None
        during_tail = counter - before
    finally:
        stop.set()
        spinner.join()
    # Holding the GIL for the 0.3 s would leave the spinner at (nearly) zero.
    assert during_wait > 10_000
    assert during_tail > 10_000


def test_iterator_shared_by_threads_yields_each_record_once(log: segmentlog.Log) -> None:
    log.append_batch([str(i).encode() for i in range(2000)])
    it = log.iter()
    seen: list[int] = []
    lock = threading.Lock()

    def consume() -> None:
        for rec in it:
            with lock:
                seen.append(rec.offset)

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(seen) == list(range(2000))


class _Interrupted(Exception):
    pass


def _interrupt(signum: int, frame: object) -> None:
    raise _Interrupted


def test_a_wait_forever_can_be_interrupted_by_a_signal(log: segmentlog.Log) -> None:
    """Ctrl-C (here SIGALRM) ends a wait: the wait checks for signals while it blocks."""
    previous = signal.signal(signal.SIGALRM, _interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(_Interrupted):
            log.wait_for(0)  # no timeout: only the signal can end it
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(_Interrupted):
            next(log.iter(wait=True))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
