"""A log written by core's `xlang` example (Rust) reads the same from Python, and back."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLES, cargo_example, run_python

N = 1000
XLANG = str(EXAMPLES / "xlang.py")


def test_python_reads_a_log_written_by_rust(log_dir: Path) -> None:
    wrote = cargo_example("xlang", "write", str(log_dir), str(N))
    assert wrote.returncode == 0, wrote.stderr
    checked = run_python(XLANG, "check", str(log_dir), str(N))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_rust_reads_a_log_written_by_python(log_dir: Path) -> None:
    wrote = run_python(XLANG, "write", str(log_dir), str(N))
    assert wrote.returncode == 0, wrote.stderr
    checked = cargo_example("xlang", "check", str(log_dir), str(N))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_checkers_reject_a_different_log(log_dir: Path) -> None:
    """Both checkers can fail: a log one value short is not the fixture."""
    wrote = run_python(XLANG, "write", str(log_dir), str(N - 1))
    assert wrote.returncode == 0, wrote.stderr
    assert run_python(XLANG, "check", str(log_dir), str(N)).returncode != 0
    assert cargo_example("xlang", "check", str(log_dir), str(N)).returncode != 0
