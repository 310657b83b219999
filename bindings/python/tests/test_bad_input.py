"""The cross-language bad-input table (tests/bad-input/cases.tsv): the same bad input gives the
same error kind in C, Python and Node. Here each kind is the exception class docs/API.md names."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import pytest

import segmentlog

TABLE = Path(__file__).resolve().parents[3] / "tests" / "bad-input" / "cases.tsv"

KINDS: dict[str, type[BaseException]] = {
    "OUT_OF_RANGE": segmentlog.OffsetOutOfRangeError,
    "INVALID_ARGUMENT": segmentlog.InvalidArgumentError,
    "CLOSED": segmentlog.LogClosedError,
    "LOCKED": segmentlog.LogLockedError,
    "TYPE": TypeError,
}


def cases() -> list[Any]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, setup, op, arg, kind, langs = line.split("\t")
        if "python" in langs.split(","):
            rows.append(pytest.param(setup, op, arg, kind, id=name))
    return rows


def value(text: str) -> Any:
    if text.startswith('b"'):
        return text[2:-1].encode()
    if text.startswith('"'):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return int(text)


def test_the_table_has_cases_for_python() -> None:
    assert len(cases()) >= 30


@pytest.mark.parametrize("setup, op, arg, kind", cases())
def test_bad_input(tmp_path: Path, setup: str, op: str, arg: str, kind: str) -> None:
    path = tmp_path / "log"
    opened: list[segmentlog.Log] = []

    def open_log(**options: Any) -> segmentlog.Log:
        lg = segmentlog.open(path, **options)
        opened.append(lg)
        return lg

    log: Optional[segmentlog.Log] = None
    if setup != "none":
        log = open_log()
        for v in (b"a", b"b", b"c"):
            log.append(v)
        if setup in ("closed", "read_only"):
            log.close()
        if setup == "read_only":
            log = open_log(read_only=True)

    call: Callable[[], Any]
    if op == "open":
        name, _, text = arg.partition("=")
        call = lambda: open_log(**{name: value(text)})  # noqa: E731
    else:
        assert log is not None
        lg = log
        if op == "read_many":
            call = lambda: lg.read_many([value(t) for t in arg.split(",")])  # noqa: E731
        elif op == "iter":
            call = lambda: next(lg.iter(value(arg)), None)  # noqa: E731
        else:
            method = getattr(lg, op)
            call = lambda: method(value(arg))  # noqa: E731
    try:
        if kind == "OK":
            call()
        else:
            with pytest.raises(KINDS[kind]):
                call()
    finally:
        for lg in opened:
            lg.close()
