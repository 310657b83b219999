"""Hypothesis drives a log with random operations and compares it with a list model.

Segments are tiny (4096 bytes) so that rolling, truncation across segments and reopening a
multi-segment log all happen within a few steps.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import segmentlog

OPTIONS = {"max_segment_bytes": 4096, "max_index_bytes": 4096}
values = st.binary(max_size=600)


class LogMachine(RuleBasedStateMachine):
    """The model: the values held, in order, and the offset of the first one."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="segmentlog-stateful-"))
        self.log = segmentlog.open(self.dir, **OPTIONS)  # type: ignore[arg-type]
        self.lowest = 0
        self.model: list[bytes] = []

    @property
    def next(self) -> int:
        return self.lowest + len(self.model)

    def teardown(self) -> None:
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(value=values)
    def append(self, value: bytes) -> None:
        assert self.log.append(value) == self.next
        self.model.append(value)

    @rule(batch=st.lists(values, max_size=5))
    def append_batch(self, batch: list[bytes]) -> None:
        assert self.log.append_batch(batch) == range(self.next, self.next + len(batch))
        self.model.extend(batch)

    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        offset = data.draw(st.integers(min_value=self.lowest - 2, max_value=self.next + 2))
        if self.lowest <= offset < self.next:
            expected = self.model[offset - self.lowest]
            assert self.log.read(offset) == expected
            rec = self.log.read_record(offset)
            assert (rec.offset, rec.value) == (offset, expected)
        else:
            with pytest.raises(segmentlog.OffsetOutOfRangeError):
                self.log.read(offset)

    @rule(data=st.data())
    def truncate_back(self, data: st.DataObject) -> None:
        offset = data.draw(st.integers(min_value=self.lowest, max_value=self.next))
        self.log.truncate_back(offset)
        del self.model[offset - self.lowest :]

    @precondition(lambda self: len(self.model) > 0)
    @rule(data=st.data())
    def truncate_front(self, data: st.DataObject) -> None:
        # Only whole segments go, so the new lowest offset lies between the old one and `offset`
        # (or, at or past the end, the log is emptied and rebased at `offset`).
        offset = data.draw(st.integers(min_value=self.lowest, max_value=self.next + 3))
        self.log.truncate_front(offset)
        if offset >= self.next:
            self.lowest, self.model = offset, []
            assert self.log.lowest_offset == offset
            return
        new_lowest = self.log.lowest_offset
        assert self.lowest <= new_lowest <= offset
        del self.model[: new_lowest - self.lowest]
        self.lowest = new_lowest

    @rule()
    def reopen(self) -> None:
        self.log.close()
        self.log = segmentlog.open(self.dir, **OPTIONS)  # type: ignore[arg-type]

    @rule()
    def iterate(self) -> None:
        records = list(self.log)
        assert [r.value for r in records] == self.model
        assert [r.offset for r in records] == list(range(self.lowest, self.next))

    @invariant()
    def bounds_match(self) -> None:
        assert self.log.lowest_offset == self.lowest
        assert self.log.next_offset == self.next
        assert len(self.log) == len(self.model)


LogMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLog = LogMachine.TestCase
