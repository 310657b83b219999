"""segmentlog: a fast, crash-safe, segmented append-only log (a commit log / write-ahead log).

>>> import segmentlog, tempfile
>>> with segmentlog.open(tempfile.mkdtemp()) as log:
...     first = log.append(b"hello")
...     log.append_batch([b"a", b"b"])
...     log.read(first)
range(1, 3)
b'hello'

Records get consecutive offsets; :meth:`Log.read` returns a value, :meth:`Log.read_record` a
:class:`Record` with its offset and timestamp, and iterating over a log (or
:meth:`Log.iter`, which can also wait for new records) yields records in order.

A damaged record among durable ones does not cut the log: it becomes a hole, and reading it
raises :class:`HoleError` while every other record keeps its offset. :attr:`Log.recovery_report`
says what an open found and did; :func:`repair` scans a closed log and makes holes of damage.
"""

from ._segmentlog import (
    AutoCommitIterator,
    Cursor,
    CursorPosition,
    Log,
    LogIterator,
    Record,
    RecoveryEvent,
    RecoveryReport,
    __version__,
    repair,
)
from ._segmentlog import open as open  # not in __all__: `import *` must not shadow builtins.open
from ._errors import (
    SegmentLogError,
    SegmentLogIOError,
    CorruptLogError,
    CursorNotFoundError,
    HoleError,
    InvalidArgumentError,
    LogClosedError,
    LogLockedError,
    OffsetOutOfRangeError,
    UnknownOptionError,
)

__all__ = [
    "AutoCommitIterator",
    "Cursor",
    "CursorPosition",
    "SegmentLogError",
    "SegmentLogIOError",
    "CorruptLogError",
    "CursorNotFoundError",
    "HoleError",
    "InvalidArgumentError",
    "Log",
    "LogClosedError",
    "LogIterator",
    "LogLockedError",
    "OffsetOutOfRangeError",
    "Record",
    "RecoveryEvent",
    "RecoveryReport",
    "UnknownOptionError",
    "__version__",
    "repair",
]
