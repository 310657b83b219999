"""Behaviour of every method of segmentlog.Log, Record and LogIterator."""

from __future__ import annotations

import array
import doctest
import gc
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import pytest

import segmentlog


def test_append_returns_consecutive_offsets_and_read_returns_the_values(log: segmentlog.Log) -> None:
    assert log.append(b"zero") == 0
    assert log.append(b"one") == 1
    assert log.read(0) == b"zero"
    assert log.read(1) == b"one"
    assert type(log.read(0)) is bytes


def test_append_takes_any_bytes_like_value(log: segmentlog.Log) -> None:
    buf = bytearray(b"from a bytearray")
    offsets = [
        log.append(b"bytes"),
        log.append(buf),
        log.append(memoryview(b"xxmemoryviewxx")[2:-2]),
        log.append(array.array("B", [1, 2, 3])),
        log.append(b""),
    ]
    assert [log.read(o) for o in offsets] == [b"bytes", b"from a bytearray", b"memoryview", b"\x01\x02\x03", b""]
    buf[0:4] = b"FROM"  # the log kept its own copy
    assert log.read(offsets[1]) == b"from a bytearray"


def test_big_values_round_trip(log: segmentlog.Log) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB, read through the GIL-released path
    mutable_big = bytearray(big[::-1])
    o1 = log.append(big)
    o2 = log.append(mutable_big)
    assert log.read(o1) == big
    assert log.read(o2) == bytes(mutable_big)
    rec = log.read_record(o1)
    assert (rec.offset, rec.value) == (o1, big)


def test_read_many_returns_what_read_returns_in_the_order_asked(log: segmentlog.Log) -> None:
    log.append_batch([bytes([i % 256]) * (i % 50) for i in range(300)])
    offsets = [(i * 7919) % 300 for i in range(1000)] + [5, 5]
    assert log.read_many(offsets) == [log.read(o) for o in offsets]
    assert log.read_many(iter(range(3))) == [b"", b"\x01", b"\x02\x02"]
    assert log.read_many([]) == []
    assert all(type(v) is bytes for v in log.read_many([1, 2]))


def test_read_many_raises_the_first_error(log: segmentlog.Log) -> None:
    log.append_batch([b"a", b"b"])
    with pytest.raises(segmentlog.OffsetOutOfRangeError) as info:
        log.read_many([0, 1, 2, 0])
    assert (info.value.offset, info.value.lowest, info.value.next) == (2, 0, 2)
    with pytest.raises(segmentlog.OffsetOutOfRangeError):
        log.read_many([-1])
    with pytest.raises(TypeError):
        log.read_many([0, "1"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        log.read_many(5)  # type: ignore[arg-type]
    log.close()
    with pytest.raises(segmentlog.LogClosedError):
        log.read_many([0])


def test_read_record_has_offset_timestamp_and_value(log: segmentlog.Log) -> None:
    before = int(time.time() * 1000)
    off = log.append(b"hello")
    after = int(time.time() * 1000)
    rec = log.read_record(off)
    assert rec.offset == off
    assert rec.value == b"hello"
    assert before - 1000 <= rec.timestamp <= after + 1000
    assert rec == segmentlog.Record(off, rec.timestamp, b"hello")
    assert rec != segmentlog.Record(off, rec.timestamp, b"other")
    assert hash(rec) == hash(segmentlog.Record(off, rec.timestamp, b"hello"))
    assert repr(rec) == f"Record(offset={off}, timestamp={rec.timestamp}, value=b'hello')"
    match rec:
        case segmentlog.Record(offset, _, value):
            assert (offset, value) == (off, b"hello")


def test_record_pickles() -> None:
    rec = segmentlog.Record(7, 123, b"v")
    assert pickle.loads(pickle.dumps(rec)) == rec


def test_record_is_immutable() -> None:
    rec = segmentlog.Record(1, 2, b"v")
    with pytest.raises(AttributeError):
        rec.offset = 5  # type: ignore[misc]


def test_append_batch_returns_the_range_of_offsets(log: segmentlog.Log) -> None:
    log.append(b"first")
    r = log.append_batch([b"a", bytearray(b"b"), memoryview(b"c")])
    assert r == range(1, 4)
    assert [log.read(o) for o in r] == [b"a", b"b", b"c"]
    assert log.append_batch(v for v in [b"gen1", b"gen2"]) == range(4, 6)
    assert log.append_batch([]) == range(6, 6)
    assert log.next_offset == 6


def test_iteration_yields_records_in_order(log: segmentlog.Log) -> None:
    values = [f"v{i}".encode() for i in range(10)]
    log.append_batch(values)
    assert [r.value for r in log] == values
    assert [r.offset for r in log] == list(range(10))
    assert [r.value for r in log.iter(start=7)] == values[7:]
    it = log.iter(start=3)
    assert it.position == 3
    assert next(it).offset == 3
    assert it.position == 4
    assert "LogIterator" in repr(it)


def test_iterator_without_wait_stops_at_the_end_and_resumes_after_appends(log: segmentlog.Log) -> None:
    log.append(b"a")
    it = log.iter()
    assert [r.value for r in it] == [b"a"]
    log.append(b"b")
    assert [r.value for r in it] == [b"b"]


def test_iterator_with_wait_stops_after_the_timeout(log: segmentlog.Log) -> None:
    log.append(b"a")
    start = time.monotonic()
    assert [r.value for r in log.iter(wait=0.2)] == [b"a"]
    assert time.monotonic() - start >= 0.2


def test_next_timeout_returns_none_on_timeout_and_the_record_once_appended(log: segmentlog.Log) -> None:
    it = log.iter()
    assert it.next_timeout(0) is None
    assert it.next_timeout(0.05) is None
    log.append(b"x")
    rec = it.next_timeout(1.0)
    assert rec is not None and rec.value == b"x"


def test_wait_for(log: segmentlog.Log) -> None:
    assert log.wait_for(0, timeout=0.05) is False
    log.append(b"x")
    assert log.wait_for(0, timeout=0) is True
    assert log.wait_for(0) is True


def test_len_and_offset_properties(log: segmentlog.Log) -> None:
    assert (len(log), log.lowest_offset, log.next_offset) == (0, 0, 0)
    log.append_batch([b"x"] * 5)
    assert (len(log), log.lowest_offset, log.next_offset) == (5, 0, 5)


def test_repr_shows_path_and_offsets(log_dir: Path) -> None:
    log = segmentlog.open(log_dir)
    log.append(b"x")
    assert repr(log) == f"<segmentlog.Log {str(log_dir)!r} offsets 0..1 (1 records)>"
    log.close()
    assert repr(log) == f"<segmentlog.Log {str(log_dir)!r} closed>"


def test_path_and_closed(log_dir: Path) -> None:
    log = segmentlog.Log(str(log_dir))
    assert log.path == log_dir
    assert log.closed is False
    log.close()
    assert log.closed is True


def test_context_manager_closes_and_data_survives_reopen(log_dir: Path) -> None:
    with segmentlog.open(log_dir) as log:
        log.append_batch([b"a", b"b"])
    assert log.closed
    with segmentlog.Log(log_dir) as log:
        assert [r.value for r in log] == [b"a", b"b"]
        assert log.next_offset == 2


def test_context_manager_closes_on_exception(log_dir: Path) -> None:
    with pytest.raises(RuntimeError):
        with segmentlog.open(log_dir) as log:
            raise RuntimeError("boom")
    assert log.closed


def test_close_is_idempotent(log: segmentlog.Log) -> None:
    log.close()
    log.close()


def test_truncate_back_removes_the_tail_and_offsets_go_on_from_there(log: segmentlog.Log) -> None:
    log.append_batch([b"a", b"b", b"c", b"d"])
    log.truncate_back(2)
    assert log.next_offset == 2
    assert [r.value for r in log] == [b"a", b"b"]
    assert log.append(b"C") == 2
    log.truncate_back(log.next_offset)  # no-op at the end
    assert log.next_offset == 3


def test_truncate_front_drops_whole_segments(log_dir: Path) -> None:
    with segmentlog.open(log_dir, max_segment_bytes=4096) as log:
        for i in range(20):  # several segments
            log.append(bytes([i]) * 1000)
        log.truncate_front(10)
        assert 0 < log.lowest_offset <= 10
        assert log.next_offset == 20
        assert log.read(10) == bytes([10]) * 1000
        with pytest.raises(segmentlog.OffsetOutOfRangeError):
            log.read(log.lowest_offset - 1)


def test_truncate_front_past_the_end_rebases_the_log(log: segmentlog.Log) -> None:
    log.append_batch([b"a", b"b"])
    log.truncate_front(100)
    assert (len(log), log.lowest_offset, log.next_offset) == (0, 100, 100)
    assert log.append(b"snapshot follower") == 100


def test_offset_at_time(log: segmentlog.Log) -> None:
    assert log.offset_at_time(0) == 0
    log.append(b"old")
    time.sleep(0.02)
    middle = int(time.time() * 1000) + 1
    time.sleep(0.02)
    log.append(b"new")
    assert log.offset_at_time(0) == 0
    assert log.offset_at_time(-5) == 0
    assert log.offset_at_time(middle) == 1
    assert log.offset_at_time(int(time.time() * 1000) + 60_000) == 2


def test_sync_succeeds(log_dir: Path) -> None:
    policies: list[Literal["never", "always"] | int] = ["never", "always", 50]
    for policy in policies:
        with segmentlog.open(log_dir, sync=policy) as log:
            log.append(b"x")
            log.sync()


def test_options_are_applied(log_dir: Path) -> None:
    with segmentlog.open(log_dir, initial_offset=1000, max_segment_bytes=8192, max_index_bytes=4096,
                        recovery="strict", retention_bytes=None, retention_ms=10**9) as log:
        assert log.append(b"x") == 1000
        assert log.lowest_offset == 1000


def test_every_write_path_writes_the_same_records(tmp_path: Path) -> None:
    paths: list[Literal["auto", "map", "write"]] = ["auto", "map", "write"]
    syncs: list[Literal["never", "always"]] = ["never", "always"]
    for write_path in paths:
        for sync in syncs:
            d = tmp_path / f"{write_path}-{sync}"
            with segmentlog.open(d, write_path=write_path, sync=sync) as log:
                log.append(b"one")
                log.append_batch([b"two", b"three"])
            # Read back by a handle on the other path: nothing on disk differs.
            with segmentlog.open(d, write_path="write" if write_path == "map" else "map") as log:
                assert [log.read(o) for o in range(3)] == [b"one", b"two", b"three"]


def test_read_only_log_reads_and_refuses_writes(log_dir: Path) -> None:
    with segmentlog.open(log_dir) as writer:
        writer.append(b"written")
        with segmentlog.open(log_dir, read_only=True) as reader:
            assert reader.read(0) == b"written"
            with pytest.raises(segmentlog.InvalidArgumentError):
                reader.append(b"no")


def test_open_accepts_pathlike_and_creates_directories(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    with segmentlog.open(deep) as log:
        log.append(b"x")
    assert deep.is_dir()


def test_public_names_have_docstrings() -> None:
    for name in [*segmentlog.__all__, "open"]:
        obj = getattr(segmentlog, name)
        if isinstance(obj, str):
            continue
        assert obj.__doc__, name
    for cls in (segmentlog.Log, segmentlog.LogIterator, segmentlog.Record):
        for attr, member in vars(cls).items():
            if not attr.startswith("_"):
                assert member.__doc__, f"{cls.__name__}.{attr}"


def test_package_docstring_example_runs() -> None:
    result = doctest.testmod(segmentlog)
    assert result.attempted > 0
    assert result.failed == 0


def test_star_import_does_not_shadow_builtin_open() -> None:
    namespace: dict[str, object] = {}
    exec("from segmentlog import *", namespace)
    assert "open" not in namespace
    assert "Log" in namespace


def test_dropping_the_last_handle_closes_the_log(log_dir: Path) -> None:
    log = segmentlog.open(log_dir)
    log.append(b"kept")
    it = log.iter()
    del log
    gc.collect()
    with pytest.raises(segmentlog.LogLockedError):  # the iterator still holds the log open
        segmentlog.open(log_dir)
    assert next(it).value == b"kept"
    del it
    gc.collect()
    with segmentlog.open(log_dir) as log:
        assert log.read(0) == b"kept"


def test_a_log_left_open_at_interpreter_exit_is_closed(log_dir: Path) -> None:
    code = "import sys, segmentlog\nlog = segmentlog.open(sys.argv[1])\nlog.append(b'left open')\n"
    proc = subprocess.run([sys.executable, "-c", code, str(log_dir)], timeout=60)
    assert proc.returncode == 0
    with segmentlog.open(log_dir) as log:
        assert [r.value for r in log] == [b"left open"]


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_compression_by_name_stores_batches_smaller_and_reads_back(tmp_path: Path, codec: Literal["lz4", "zstd"]) -> None:
    events = [b'{"id":%d,"kind":"click","user":"user-%d","path":"/items/%d"}' % (i, i % 7, i % 11) for i in range(600)]
    sizes = {}
    for name in ["none", codec]:
        d = tmp_path / name
        with segmentlog.open(str(d), compression=name, compression_level=5) as log:  # type: ignore[arg-type]
            for k in range(0, len(events), 50):
                log.append_batch(events[k : k + 50])
        sizes[name] = sum(p.stat().st_size for p in d.glob("*.store"))
        # Opened without the option: the log's own headers say how to read it.
        with segmentlog.open(str(d), read_only=True) as log:
            assert [log.read(o) for o in range(len(events))] == events
            assert [r.value for r in log.iter(123)] == events[123:]
    assert sizes[codec] * 3 < sizes["none"], sizes


def test_compression_names_and_levels_are_checked(tmp_path: Path) -> None:
    with pytest.raises(segmentlog.InvalidArgumentError, match="compression"):
        segmentlog.open(str(tmp_path / "a"), compression="gzip")  # type: ignore[arg-type]
    with pytest.raises(segmentlog.InvalidArgumentError, match="compression_level"):
        segmentlog.open(str(tmp_path / "b"), compression="zstd", compression_level=23)
    with pytest.raises(TypeError, match="compression"):
        segmentlog.open(str(tmp_path / "c"), compression=1)  # type: ignore[arg-type]
