"""The cross-language fixture: a log written by Rust (core's `xlang` example) or C (the ffi's
`xlang` program) reads the same from Python, and what Python writes they read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from conftest import EXAMPLES, cargo_example, run_python

N = 1000
XLANG = str(EXAMPLES / "xlang.py")

Runner = Callable[..., "subprocess.CompletedProcess[str]"]

def python_xlang(*args: str) -> subprocess.CompletedProcess[str]:
    return run_python(XLANG, *args)

def rust_xlang(*args: str) -> subprocess.CompletedProcess[str]:
    return cargo_example("xlang", *args)

def c_xlang(*args: str) -> subprocess.CompletedProcess[str]:
    # Built by the ffi's make fragment; `make test-python` passes its path.
    program = os.environ.get("SEGMENTLOG_C_XLANG")
    if not program:
        pytest.skip("SEGMENTLOG_C_XLANG is not set (make test-python sets it to the ffi's xlang)")
    return subprocess.run([program, *args], capture_output=True, text=True, timeout=120)

OTHERS: dict[str, Runner] = {"rust": rust_xlang, "c": c_xlang}

@pytest.mark.parametrize("language", OTHERS)
def test_python_reads_a_log_written_by(language: str, log_dir: Path) -> None:
    wrote = OTHERS[language]("write", str(log_dir), str(N))
    assert wrote.returncode == 0, wrote.stderr
    checked = python_xlang("check", str(log_dir), str(N))
    assert checked.returncode == 0, checked.stdout + checked.stderr

@pytest.mark.parametrize("language", OTHERS)
def test_reads_a_log_written_by_python(language: str, log_dir: Path) -> None:
    wrote = python_xlang("write", str(log_dir), str(N))
    assert wrote.returncode == 0, wrote.stderr
    checked = OTHERS[language]("check", str(log_dir), str(N))
    assert checked.returncode == 0, checked.stdout + checked.stderr

@pytest.mark.parametrize("language", ["python", *OTHERS])
def test_the_checkers_reject_a_different_log(language: str, log_dir: Path) -> None:
    """Each checker can fail: a log one value short is not the fixture."""
    wrote = python_xlang("write", str(log_dir), str(N - 1))
    assert wrote.returncode == 0, wrote.stderr
    check = python_xlang if language == "python" else OTHERS[language]
    assert check("check", str(log_dir), str(N)).returncode != 0
