"""The exceptions of segmentlog (see docs/API.md for when each is raised)."""

from __future__ import annotations


class SegmentLogError(Exception):
    """Root of every error segmentlog raises (except a plain ``TypeError`` for a wrong type)."""


class OffsetOutOfRangeError(SegmentLogError, IndexError):
    """The offset is below the log's lowest offset, or at or after its next offset.

    ``offset`` is the offset asked for; ``lowest`` and ``next`` are the bounds the log had.
    """

    offset: int
    lowest: int
    next: int

    def __init__(self, message: str, offset: int, lowest: int, next: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.lowest = lowest
        self.next = next

    def __reduce__(self) -> tuple[type[OffsetOutOfRangeError], tuple[str, int, int, int]]:
        return (type(self), (str(self), self.offset, self.lowest, self.next))


class CorruptLogError(SegmentLogError):
    """A file of the log does not hold what the format says it must (bad header, an index entry
    that cannot be right, damage a ``recovery="strict"`` open refuses) outside a torn tail that
    recovery may cut off. A damaged record raises the subclass :class:`HoleError`."""


class HoleError(CorruptLogError):
    """The record at this offset is a hole: it was damaged (found by recovery, ``repair`` or this
    read) and cannot be given. Every other record keeps its offset and stays readable, and
    ``next_offset`` does not change; an iterator that raised it goes on after the hole.

    ``offset`` is the offset whose record is missing; ``segment`` the base offset of the segment
    it belongs to.
    """

    offset: int
    segment: int

    def __init__(self, message: str, offset: int, segment: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.segment = segment

    def __reduce__(self) -> tuple[type[HoleError], tuple[str, int, int]]:
        return (type(self), (str(self), self.offset, self.segment))


class LogClosedError(SegmentLogError):
    """The log was closed; open it again to go on."""


class LogLockedError(SegmentLogError):
    """Another writer (another process, or another open ``Log`` in this one) holds the log's
    directory. ``path`` is the directory."""

    path: str

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else ""

    def __reduce__(self) -> tuple[type[LogLockedError], tuple[str, str]]:
        return (type(self), (str(self), self.path))


class InvalidArgumentError(SegmentLogError, ValueError):
    """A bad argument value: an option out of range, a value too large for a segment, a write
    to a log opened with ``read_only=True``."""


class UnknownOptionError(InvalidArgumentError, TypeError):
    """An option name that does not exist: an :class:`InvalidArgumentError`, as in every
    language, and a ``TypeError``, as an unexpected keyword argument is in Python."""


class SegmentLogIOError(SegmentLogError, OSError):
    """The operating system refused an operation; ``errno`` and ``strerror`` say why
    (``errno`` is ``None`` when no OS error number is known, e.g. a log that refuses writes
    after a failed sync)."""


class CursorNotFoundError(SegmentLogError, LookupError):
    """No cursor of the name given exists (never created, or deleted, possibly by another
    process while a handle was open on it)."""


__all__ = [
    "SegmentLogError",
    "CursorNotFoundError",
    "SegmentLogIOError",
    "CorruptLogError",
    "HoleError",
    "InvalidArgumentError",
    "LogClosedError",
    "LogLockedError",
    "OffsetOutOfRangeError",
    "UnknownOptionError",
]
