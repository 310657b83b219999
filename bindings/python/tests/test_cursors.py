"""Named durable cursors: Log.cursor, open_cursor, cursor_names, delete_cursor; Cursor."""

from __future__ import annotations

from pathlib import Path

import pytest

import segmentlog


def filled(log: segmentlog.Log, n: int) -> None:
    log.append_batch(f"r{i}".encode() for i in range(n))


def test_a_consumer_resumes_where_it_committed(log: segmentlog.Log) -> None:
    filled(log, 10)
    c = log.cursor("orders")
    assert c.created and c.name == "orders"
    seen = []
    for rec in c:
        seen.append(rec.offset)
        if rec.offset == 3:
            c.commit(rec.offset + 1)
            break
    assert seen == [0, 1, 2, 3]
    again = log.cursor("orders", "next")  # exists: the start is ignored
    assert not again.created
    assert [r.offset for r in again.iter()][:2] == [4, 5]
    p = again.position()
    assert (p.name, p.committed, p.resume, p.skipped, p.lag, p.commits) == ("orders", 4, 4, 0, 6, 2)
    assert p.committed_at_ms > 0
    assert "committed=4" in repr(p)


def test_every_start(log: segmentlog.Log) -> None:
    filled(log, 5)
    assert log.cursor("a", "lowest").position().committed == 0
    assert log.cursor("b", "next").position().committed == 5
    assert log.cursor("c", 3).position().committed == 3
    assert log.cursor("d", time_ms=0).position().committed == 0
    assert log.cursor("e", time_ms=2**62).position().committed == 5
    with pytest.raises(segmentlog.OffsetOutOfRangeError):
        log.cursor("f", 6)
    with pytest.raises(segmentlog.OffsetOutOfRangeError):
        log.cursor("f", -1)
    with pytest.raises(segmentlog.InvalidArgumentError):
        log.cursor("f", "newest")  # type: ignore[arg-type]
    with pytest.raises(segmentlog.InvalidArgumentError):
        log.cursor("f", 1, time_ms=0)
    with pytest.raises(TypeError):
        log.cursor("f", 1.5)  # type: ignore[arg-type]
    for bad in ["", ".x", "a/b", "a b", "x" * 129]:
        with pytest.raises(segmentlog.InvalidArgumentError):
            log.cursor(bad)
    assert log.cursor_names() == ["a", "b", "c", "d", "e"]


def test_a_read_only_consumer_commits_its_own_position(log: segmentlog.Log, log_dir: Path) -> None:
    filled(log, 4)
    with segmentlog.open(log_dir, read_only=True) as reader:
        c = reader.cursor("reader", "lowest")
        c.commit(2)
    assert log.open_cursor("reader").position().committed == 2


def test_commit_bounds_and_going_back(log: segmentlog.Log) -> None:
    filled(log, 4)
    c = log.cursor("c")
    c.commit(4)
    c.commit(1)
    assert c.position().committed == 1
    with pytest.raises(segmentlog.OffsetOutOfRangeError) as info:
        c.commit(5)
    assert (info.value.lowest, info.value.next) == (0, 4)
    with pytest.raises(segmentlog.OffsetOutOfRangeError):
        c.commit(-1)


def test_records_dropped_before_processing_are_reported(log_dir: Path) -> None:
    with segmentlog.open(log_dir, max_segment_bytes=4096) as log:
        c = log.cursor("slow")
        for i in range(500):
            log.append(b"record %d" % i)
        log.truncate_front(300)
        p = c.position()
        assert p.committed == 0 and p.resume == log.lowest_offset > 0
        assert p.skipped == p.resume
        assert next(iter(c)).offset == p.resume


def test_delete_and_not_found(log: segmentlog.Log) -> None:
    c = log.cursor("gone")
    log.delete_cursor("gone")
    assert log.cursor_names() == []
    for call in (c.position, lambda: c.commit(0), lambda: log.open_cursor("gone"), lambda: log.delete_cursor("gone")):
        with pytest.raises(segmentlog.CursorNotFoundError) as info:
            call()
        assert isinstance(info.value, LookupError)
        assert "gone" in str(info.value)


def test_tailing_from_a_cursor(log: segmentlog.Log) -> None:
    c = log.cursor("tail", "next")
    it = c.iter(wait=0.05)
    assert list(it) == []
    log.append(b"late")
    assert [r.value for r in c.iter()] == [b"late"]


def test_closed_log(log_dir: Path) -> None:
    log = segmentlog.open(log_dir)
    c = log.cursor("c")
    log.close()
    with pytest.raises(segmentlog.LogClosedError):
        c.commit(0)
    with pytest.raises(segmentlog.LogClosedError):
        log.cursor_names()


def test_retention_waits_for_a_cursor_up_to_its_cap(log_dir: Path) -> None:
    with segmentlog.open(
        log_dir, max_segment_bytes=4096, retention_bytes=3 * 4096, retention_cursor_cap_bytes=12 * 4096
    ) as log:
        c = log.cursor("slow")
        for i in range(150):
            log.append(b"%0200d" % i)
        assert log.lowest_offset == 0  # held for the cursor, within the cap
        for i in range(300):
            log.append(b"%0200d" % i)
        p = c.position()
        assert p.skipped > 0 and p.resume == log.lowest_offset  # past the cap: dropped anyway


def test_auto_commit_commits_what_was_processed(log: segmentlog.Log) -> None:
    filled(log, 10)
    c = log.cursor("auto")
    with pytest.raises(segmentlog.InvalidArgumentError):
        c.auto_commit(0)
    seen = []
    for rec in c.auto_commit(3):
        seen.append(rec.offset)
        if rec.offset == 6:
            break  # 0..=5 counted as processed (asking for 6 counted 5): two commits
    assert seen == list(range(7))
    assert c.position().committed == 6
    # Resumes at the first record not committed: 6 comes again (at least once).
    with c.auto_commit(100) as records:
        assert [r.offset for r in records] == [6, 7, 8, 9]
    # Leaving the block commits what was handed out.
    assert c.position().committed == 10
    assert c.position().lag == 0


def test_auto_commit_on_an_exception_commits_only_what_was_processed(
    log: segmentlog.Log,
) -> None:
    filled(log, 5)
    c = log.cursor("failing")
    with pytest.raises(RuntimeError):
        with c.auto_commit(1) as records:
            for rec in records:
                if rec.offset == 2:
                    raise RuntimeError("processing failed")
    # 0 and 1 were processed (each committed as the next was asked for); 2 was not.
    assert c.position().committed == 2
    it = c.auto_commit(1)
    again = it.next_timeout(0)
    assert again is not None and again.offset == 2
    it.commit()
    assert c.position().committed == 3
    assert "failing" in repr(it)


def test_auto_commit_tails_and_outlives_nothing(log_dir: Path) -> None:
    log = segmentlog.open(log_dir)
    c = log.cursor("tail", "next")
    it = c.auto_commit(1, wait=0.05)
    assert list(it) == []
    log.append(b"late")
    rec = it.next_timeout(1)
    assert rec is not None and rec.value == b"late"
    log.close()
    with pytest.raises(segmentlog.LogClosedError):
        it.commit()
