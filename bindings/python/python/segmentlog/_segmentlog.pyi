"""Type stubs of the native module segmentlog._segmentlog (re-exported by ``segmentlog``)."""

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Iterable, Iterator, Literal, Optional, Type, Union, final

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer

__version__: str
__all__ = [
    "Log",
    "Record",
    "LogIterator",
    "Cursor",
    "CursorPosition",
    "AutoCommitIterator",
    "RecoveryEvent",
    "RecoveryReport",
    "open",
    "repair",
    "__version__",
]

#: Any bytes-like object: ``bytes``, ``bytearray``, ``memoryview``, ``array.array``, ...
_BytesLike = Buffer
#: ``"never"``, ``"always"`` or an interval in milliseconds between background syncs.
_SyncOption = Union[Literal["never", "always"], int]
#: What recovery does with a damaged tail: cut it off, or refuse to open.
_RecoveryOption = Literal["truncate_tail", "strict"]
#: A path to the log's directory.
_StrPath = Union[str, "os.PathLike[str]"]

@final
class Record:
    """One record of a log: ``offset``, ``timestamp`` (ms since the Unix epoch) and ``value``."""

    __match_args__ = ("offset", "timestamp", "value")
    def __new__(cls, offset: int, timestamp: int, value: bytes) -> "Record": ...
    @property
    def offset(self) -> int:
        """The record's offset in the log."""
    @property
    def timestamp(self) -> int:
        """When the record was appended, in milliseconds since the Unix epoch."""
    @property
    def value(self) -> bytes:
        """The bytes that were appended."""
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[type["Record"], tuple[int, int, bytes]]:
        """Lets records be pickled."""

@final
class LogIterator(Iterator[Record]):
    """Records in offset order; made by :meth:`Log.iter` or ``iter(log)``."""

    def __iter__(self) -> "LogIterator": ...
    def __next__(self) -> Record: ...
    def next_timeout(self, timeout: Union[float, bool, None] = None) -> Optional[Record]:
        """The next record, waiting up to ``timeout`` seconds (None: forever); None on timeout."""
    @property
    def position(self) -> int:
        """The offset of the record this iterator yields next."""

@final
class CursorPosition:
    """A cursor's committed position and where reading resumes (:meth:`Cursor.position`)."""

    @property
    def name(self) -> str:
        """The cursor's name."""
    @property
    def committed(self) -> int:
        """The committed position: the offset of the next record to process."""
    @property
    def resume(self) -> int:
        """Where reading resumes: ``committed`` within the log's lowest and next offsets."""
    @property
    def skipped(self) -> int:
        """Records dropped (retention, truncation) before the cursor processed them."""
    @property
    def lag(self) -> int:
        """Records appended that the cursor has not reached."""
    @property
    def commits(self) -> int:
        """Commits so far (creating the cursor is the first)."""
    @property
    def committed_at_ms(self) -> int:
        """When the position was committed, ms since the Unix epoch."""

@final
class Cursor:
    """A named durable cursor; made by :meth:`Log.cursor` or :meth:`Log.open_cursor`."""

    @property
    def name(self) -> str:
        """The cursor's name."""
    @property
    def created(self) -> bool:
        """Whether the call that made this object created the cursor."""
    def position(self) -> CursorPosition:
        """The committed position and where reading resumes."""
    def commit(self, position: int) -> None:
        """Commits ``position`` (the offset of the next record to process) durably."""
    def iter(self, wait: Union[float, bool, None] = None, skip_holes: bool = False) -> LogIterator:
        """Records from where the cursor resumes; ``wait`` as for :meth:`Log.iter`."""
    def __iter__(self) -> LogIterator: ...
    def auto_commit(
        self, every: int, wait: Union[float, bool, None] = None, skip_holes: bool = False
    ) -> AutoCommitIterator:
        """Records from where the cursor resumes, committed every ``every`` processed ones."""

@final
class AutoCommitIterator(Iterator[Record]):
    """Records from a cursor, committed as they are processed; made by :meth:`Cursor.auto_commit`.

    Asking for the next record counts the one before as processed. A ``with`` block commits
    what was handed out when it ends without an exception."""

    def __iter__(self) -> "AutoCommitIterator": ...
    def __next__(self) -> Record: ...
    def next_timeout(self, timeout: Union[float, bool, None] = None) -> Optional[Record]:
        """The next record, waiting up to ``timeout`` seconds (None: forever); None on timeout."""
    def commit(self) -> None:
        """Commits the position after every record handed out so far, durably."""
    def __enter__(self) -> "AutoCommitIterator": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...

@final
class RecoveryEvent:
    """One thing recovery found or did (an event of a :class:`RecoveryReport`)."""

    @property
    def kind(self) -> str:
        """``"hole"``, ``"torn_tail"``, ``"segment_quarantined"``, ``"header_rewritten"``,
        ``"obsolete_removed"`` or ``"index_rebuilt"``."""
    @property
    def segment(self) -> int:
        """Base offset of the segment concerned."""
    @property
    def offsets(self) -> range:
        """The offsets concerned (empty when no whole record was)."""
    @property
    def position(self) -> int:
        """Byte position in the segment's store where the bytes concerned start."""
    @property
    def bytes(self) -> int:
        """How many bytes."""
    @property
    def reason(self) -> str:
        """What was found there."""
    @property
    def quarantine_id(self) -> Optional[int]:
        """The quarantine item holding the bytes, or None."""
    @property
    def known(self) -> bool:
        """Whether an earlier open or repair already found this (a hole found again)."""

@final
class RecoveryReport:
    """What one open (``Log.recovery_report``) or one :func:`repair` found and did."""

    @property
    def clean_shutdown(self) -> bool:
        """The log had been closed cleanly: nothing needed a scan."""
    @property
    def segments_scanned(self) -> int:
        """Stores that were read through."""
    @property
    def records_checked(self) -> int:
        """Records of the segments scanned that were checked and kept."""
    @property
    def synced(self) -> bool:
        """The open made everything it kept durable before returning."""
    @property
    def events(self) -> list[RecoveryEvent]:
        """Everything recovery found or did, in log order."""
    @property
    def is_clean(self) -> bool:
        """Whether nothing was lost, cut or quarantined."""
    @property
    def records_in_holes(self) -> int:
        """Records whose offsets became holes."""
    @property
    def records_cut(self) -> int:
        """Records cut off with a torn tail or a quarantined segment."""
    @property
    def bytes_quarantined(self) -> int:
        """Bytes taken out of the log into the quarantine."""

@final
class Log:
    """A commit log in a directory; ``Log(path, **options)`` opens it like :func:`open`."""

    def __new__(
        cls,
        path: _StrPath,
        *,
        max_segment_bytes: Optional[int] = None,
        max_index_bytes: Optional[int] = None,
        initial_offset: Optional[int] = None,
        sync: Optional[_SyncOption] = None,
        recovery: Optional[_RecoveryOption] = None,
        retention_bytes: Optional[int] = None,
        retention_ms: Optional[int] = None,
        retention_cursor_cap_bytes: Optional[int] = None,
        max_open_segments: Optional[int] = None,
        read_only: Optional[bool] = None,
        compression: Optional[Literal["none", "lz4", "zstd"]] = None,
        compression_level: Optional[int] = None,
        compress_sealed: Optional[bool] = None,
        write_path: Optional[Literal["auto", "map", "write"]] = None,
    ) -> "Log": ...
    def append(self, value: _BytesLike) -> int:
        """Appends one bytes-like value; returns its offset."""
    def append_batch(self, values: Iterable[_BytesLike]) -> range:
        """Appends many values with one write; returns the range of their offsets."""
    def read(self, offset: int) -> bytes:
        """The value of the record at ``offset``."""
    def read_many(self, offsets: Iterable[int]) -> list[bytes]:
        """The values at ``offsets``, in order; like ``[read(o) for o in offsets]``, faster."""
    def read_record(self, offset: int) -> Record:
        """The record at ``offset``, with its offset, timestamp and value."""
    def iter(
        self,
        start: Optional[int] = None,
        wait: Union[float, bool, None] = None,
        skip_holes: bool = False,
    ) -> LogIterator:
        """Records from ``start``; ``wait`` seconds (True: forever) for new ones at the end;
        ``skip_holes`` passes over damaged records instead of raising ``HoleError``."""
    def __iter__(self) -> LogIterator: ...
    def cursor(
        self,
        name: str,
        start: Union[Literal["lowest", "next"], int, None] = None,
        time_ms: Optional[int] = None,
    ) -> Cursor:
        """Opens the cursor ``name``, creating it at ``start`` (or ``time_ms``) if absent."""
    def open_cursor(self, name: str) -> Cursor:
        """Opens the existing cursor ``name`` (``CursorNotFoundError`` if there is none)."""
    def cursor_names(self) -> list[str]:
        """The names of the log's cursors, sorted."""
    def delete_cursor(self, name: str) -> None:
        """Deletes the cursor ``name`` (``CursorNotFoundError`` if there is none)."""
    def wait_for(self, offset: int, timeout: Union[float, bool, None] = None) -> bool:
        """Waits until the record at ``offset`` exists; False if ``timeout`` seconds pass."""
    @property
    def lowest_offset(self) -> int:
        """The lowest offset the log holds (``next_offset`` when it is empty)."""
    @property
    def next_offset(self) -> int:
        """The offset the next append will get."""
    @property
    def recovery_report(self) -> RecoveryReport:
        """What this open found and did."""
    @property
    def path(self) -> Path:
        """The log's directory."""
    @property
    def closed(self) -> bool:
        """Whether the log has been closed."""
    def offset_at_time(self, timestamp_ms: int) -> int:
        """The first offset appended at or after ``timestamp_ms`` (ms since the epoch)."""
    def truncate_front(self, offset: int) -> None:
        """Drops whole old segments below ``offset``; at or past the end, empties the log."""
    def truncate_back(self, offset: int) -> None:
        """Removes every record at or after ``offset``."""
    def sync(self) -> None:
        """Makes everything appended so far durable."""
    def close(self) -> None:
        """Syncs and closes the log (idempotent)."""
    def __len__(self) -> int: ...
    def __enter__(self) -> "Log": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]] = None,
        exc_value: Optional[BaseException] = None,
        traceback: Optional[TracebackType] = None,
    ) -> Literal[False]: ...

def open(
    path: _StrPath,
    *,
    max_segment_bytes: Optional[int] = None,
    max_index_bytes: Optional[int] = None,
    initial_offset: Optional[int] = None,
    sync: Optional[_SyncOption] = None,
    recovery: Optional[_RecoveryOption] = None,
    retention_bytes: Optional[int] = None,
    retention_ms: Optional[int] = None,
    retention_cursor_cap_bytes: Optional[int] = None,
    max_open_segments: Optional[int] = None,
    read_only: Optional[bool] = None,
    compression: Optional[Literal["none", "lz4", "zstd"]] = None,
    compression_level: Optional[int] = None,
    compress_sealed: Optional[bool] = None,
    write_path: Optional[Literal["auto", "map", "write"]] = None,
) -> Log:
    """Opens (or creates) the log in directory ``path``."""

def repair(path: _StrPath, dry_run: bool = False) -> RecoveryReport:
    """Repairs the log in ``path`` (holes instead of cuts); ``dry_run`` changes nothing."""
